#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# plastron-runtime in front of crun instead of runc: a privileged busybox
# container under rt-demo has one cgroup-BPF denial (connect to the metadata
# address) and one seccomp denial (raw ICMP socket), each checked from
# inside and in the violation log with its rule id, and a benign syscall
# that succeeds. The same container under plain crun is not denied. The real
# runtime is chosen once with --plastron-runtime and once with
# PLASTRON_RUNTIME. crun-specific commands (state, which adds "root") pass
# through the shim. crun exec through the shim is confined. Private pin dir, socket, netns and crun root, all removed
# at the end, even on failure. crun 1.8 needs hugetlb off cgroup v2 on this
# machine: see crun_cgroups_ready in lib.sh.
# Usage: crun.sh PROBE POLICY   (env PLASTRON, PLASTROND, PLASTRON_RUNTIME_SHIM)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy_src=$2
SHIM=$PLASTRON_RUNTIME_SHIM
crun=/usr/bin/crun

((EUID == 0)) || bail "runtime tests run as root"
[[ -x $crun ]] || bail "crun is installed (apt-get install crun)"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rtc 19 || bail "temp dir"
state=$tmp/crun
netns=plastron-rtc-$$
ids=()
cleanup() {
	local c
	for c in "${ids[@]}"; do "$crun" --root "$state" delete -f "$c" >/dev/null 2>&1; done
	agent_remove
	ip netns del "$netns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if moved=$(crun_cgroups_ready); then
	ok "cgroups usable by crun${moved:+ ($moved)}"
else
	bail "cgroups usable by crun (move v2 controllers to v1: $moved)"
fi
mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"
make_rootfs "$tmp/rootfs" "$probe" || bail "busybox root filesystem"
ip netns add "$netns" && ip -n "$netns" link set lo up &&
	ip -n "$netns" addr add 169.254.169.254/32 dev lo ||
	bail "network namespace with 169.254.169.254 on its loopback"
template=$tmp/template.json
make_template "$template" "$tmp/rootfs" "/var/run/netns/$netns" || bail "bundle template"
agent_up

acts=(getpid icmp-raw metadata)
cid() { echo "rtc$$-$1"; }

# Baseline: plain crun, same bundle, no plastron.
id=$(cid base)
ids+=("$id")
bundle "$tmp/b-$id" "" /probe "${acts[@]}" &&
	timeout 60 "$crun" --root "$state" run --bundle "$tmp/b-$id" "$id" \
		>"$tmp/base.out" 2>"$tmp/base.out.err" </dev/null
expect "plain crun" "$tmp/base.out" getpid ok
expect "plain crun" "$tmp/base.out" icmp-raw ok
expect "plain crun" "$tmp/base.out" metadata ECONNREFUSED

# confined LABEL ID: check the denials inside and in the log.
confined() {
	local label=$1 id=$2 out=$tmp/$2.out
	expect "$label" "$out" getpid ok
	expect "$label" "$out" icmp-raw EPERM
	expect "$label" "$out" metadata EPERM
	local pair rule enf
	for pair in "disable-icmp:seccomp" "block-access-to-metadata-service:cgroup-bpf"; do
		rule=${pair%%:*} enf=${pair#*:}
		if log_has ".container_id == \"$id\" and .action == \"DENIED\" and .enforcer == \"$enf\"
			and (.rule | split(\"|\") | index(\"$rule\")) != null and .policy == \"rt-demo\""; then
			ok "$label: log has DENIED $rule ($enf)"
		else
			not_ok "$label: log has DENIED $rule ($enf)"
			diag "$log"
		fi
	done
}

# --plastron-runtime /usr/bin/crun, and crun's own global flags after it
# (--cgroup-manager with its value as a separate word must not hide the
# command).
id=$(cid opt)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /probe "${acts[@]}"
if timeout 60 "$SHIM" --plastron-socket "$sock" --plastron-runtime "$crun" --root "$state" \
	--log "$tmp/crun.log" --log-format json --cgroup-manager cgroupfs \
	run --bundle "$tmp/b-$id" "$id" >"$tmp/$id.out" 2>"$tmp/$id.out.err" </dev/null; then
	ok "plastron-runtime --plastron-runtime crun runs the probe under rt-demo"
else
	not_ok "plastron-runtime --plastron-runtime crun runs the probe under rt-demo"
	diag "$tmp/$id.out.err"
	diag "$tmp/crun.log"
fi
confined "crun (--plastron-runtime)" "$id"

# PLASTRON_RUNTIME=/usr/bin/crun, create + start as a high-level runtime does.
id=$(cid env)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /probe "${acts[@]}"
export PLASTRON_RUNTIME=$crun
if timeout 60 "$SHIM" --plastron-socket "$sock" --root "$state" create --bundle "$tmp/b-$id" \
	"$id" >"$tmp/$id.out" 2>"$tmp/$id.out.err" </dev/null; then
	ok "PLASTRON_RUNTIME=crun plastron-runtime create"
else
	not_ok "PLASTRON_RUNTIME=crun plastron-runtime create"
	diag "$tmp/$id.out.err"
fi
# Other commands pass through to crun untouched (the hook already had crun's
# state JSON on stdin, which adds "root" to runc's).
"$SHIM" --root "$state" state "$id" >"$tmp/state.json" 2>&1
check "plastron-runtime state (crun): passed through, the container is created" \
	jq_true ".id == \"$id\" and .status == \"created\" and .pid > 0" "$tmp/state.json"
"$SHIM" --root "$state" start "$id" >>"$tmp/$id.out.err" 2>&1
for i in $(seq 100); do
	[[ $("$crun" --root "$state" state "$id" 2>/dev/null | jq -r .status) == stopped ]] && break
	sleep 0.05
done
confined "crun (PLASTRON_RUNTIME, create+start)" "$id"
"$PLASTRON" status --socket "$sock" --json >"$tmp/status.json" 2>&1
check "the container is registered with the agent under rt-demo" jq_true \
	".containers[] | select(.id == \"$id\" and .policy == \"rt-demo\" and .cgroup_id > 0)" \
	"$tmp/status.json"
"$SHIM" --root "$state" delete "$id" >/dev/null 2>&1
check "plastron-runtime delete (crun) removes the container" \
	bash -c "! '$crun' --root '$state' state '$id'"
unset PLASTRON_RUNTIME

# crun's --config FILE (relative to the working directory, as crun reads
# it): that file is the one rewritten; config.json is left alone.
id=$(cid cfg)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /probe "${acts[@]}" &&
	mv "$tmp/b-$id/config.json" "$tmp/b-$id/other.json" &&
	bundle "$tmp/b-$id" "" /probe "${acts[@]}" && cp "$tmp/b-$id/config.json" "$tmp/cfg.orig"
if timeout 60 "$SHIM" --plastron-socket "$sock" --plastron-runtime "$crun" --root "$state" \
	run -b "$tmp/b-$id" -f "$tmp/b-$id/other.json" "$id" >"$tmp/$id.out" 2>"$tmp/$id.out.err" \
	</dev/null; then
	ok "crun run -f other.json through the shim"
else
	not_ok "crun run -f other.json through the shim"
	diag "$tmp/$id.out.err"
fi
confined "crun --config other.json" "$id"
check "crun --config: config.json untouched" cmp -s "$tmp/cfg.orig" "$tmp/b-$id/config.json"

# Pass-through: the real runtime gets every argument but the --plastron-*
# ones, unchanged and in order (podman/conmon's flags, crun's and runc's
# global flags with values as separate words), and the bundle is confined.
id=$(cid argv)
bundle "$tmp/b-$id" rt-demo /probe getpid
cat >"$tmp/record" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/argv.out"
SH
chmod +x "$tmp/record"
args=(--root "$state" --log "$tmp/x.log" --log-format json --systemd-cgroup --debug
	--cgroup-manager systemd --rootless false create --bundle "$tmp/b-$id"
	--pid-file "$tmp/x.pid" --no-pivot "$id")
"$SHIM" --plastron-socket "$sock" --plastron-runtime="$tmp/record" "${args[@]}" \
	>"$tmp/argv.err" 2>&1
if [[ $(cat "$tmp/argv.out" 2>/dev/null) == "$(printf '%s\n' "${args[@]}")" ]] &&
	jq_true '.annotations["plastron.io/confined"] == "rt-demo"' "$tmp/b-$id/config.json"; then
	ok "runtime flags pass through unchanged (--systemd-cgroup, --cgroup-manager VALUE, ...), bundle confined"
else
	not_ok "runtime flags pass through unchanged (--systemd-cgroup, --cgroup-manager VALUE, ...), bundle confined"
	diag "$tmp/argv.out"
	diag "$tmp/argv.err"
fi

# crun exec through the shim: the new process is confined like the first
# (args form and --process FILE, podman/conmon's form).
id=$(cid exec)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /bin/sleep 600
xshim() { timeout 60 "$SHIM" --plastron-socket "$sock" --plastron-runtime "$crun" --root "$state" "$@" </dev/null; }
xshim run -d --bundle "$tmp/b-$id" "$id" >/dev/null 2>"$tmp/exec-run.err" || diag "$tmp/exec-run.err"
"$crun" --root "$state" exec "$id" /probe seccomp >"$tmp/exec-plain.out" 2>&1
expect "crun exec without the shim (for comparison)" "$tmp/exec-plain.out" seccomp mode0
xshim exec "$id" /probe seccomp icmp-raw >"$tmp/exec.out" 2>"$tmp/exec.out.err"
expect "plastron-runtime exec ID CMD (crun)" "$tmp/exec.out" seccomp mode2
expect "plastron-runtime exec ID CMD (crun)" "$tmp/exec.out" icmp-raw EPERM
jq -c '.process | .args = ["/probe", "seccomp", "icmp-raw"]' "$template" >"$tmp/proc.json"
xshim exec --process "$tmp/proc.json" "$id" >"$tmp/exec-proc.out" 2>"$tmp/exec-proc.out.err"
expect "plastron-runtime exec --process FILE (crun)" "$tmp/exec-proc.out" seccomp mode2
expect "plastron-runtime exec --process FILE (crun)" "$tmp/exec-proc.out" icmp-raw EPERM
"$crun" --root "$state" delete -f "$id" >/dev/null 2>&1

# Fail closed in front of crun too.
agent_stop TERM
id=$(cid closed)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /probe getpid
if timeout 60 "$SHIM" --plastron-socket "$sock" --plastron-runtime "$crun" --root "$state" \
	run --bundle "$tmp/b-$id" "$id" >"$tmp/$id.out" 2>"$tmp/$id.out.err" </dev/null; then
	not_ok "crun: plastrond stopped, the container does not start"
elif [[ $(result "$tmp/$id.out" getpid) == "" ]] && grep -q 'fails closed' "$tmp/$id.out.err"; then
	ok "crun: plastrond stopped, the container does not start"
else
	not_ok "crun: plastrond stopped, the container does not start"
	diag "$tmp/$id.out.err"
fi
tap_done
