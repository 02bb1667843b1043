#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podman (rootful) with `--runtime plastron-runtime` and the policy chosen by
# `--annotation plastron.io/policy=NAME`: a raw ICMP socket (seccomp) and a
# connection to the metadata address (cgroup-BPF) are denied inside the
# container and logged with the rule id and podman's container id, while the
# same image without plastron is not denied; a benign command succeeds; no
# annotation leaves the container untouched; an unknown policy fails the run
# with the reason shown by podman; `podman exec` processes are confined
# like the first. Once in front of runc (the shim's
# default; its socket given with podman's --runtime-flag, since podman's
# environment does not reach the create that conmon runs) and once in front
# of crun through a wrapper script, with podman's own runtime flags (--log,
# --log-format) passed through. podman's storage, run root, tmp dir, locks
# and events are under a temp dir, containers go into a private cgroup
# parent, and everything is removed at the end, even on failure. --ulimit:
# CAP_SYS_RESOURCE is missing on this machine, so podman's default limits
# cannot be set.
# Usage: podman.sh PROBE POLICY   (env PLASTRON, PLASTROND, PLASTRON_RUNTIME_SHIM)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy_src=$2
SHIM=$PLASTRON_RUNTIME_SHIM

((EUID == 0)) || bail "podman tests run as root"
for b in /usr/bin/podman /usr/bin/conmon /usr/bin/crun /usr/bin/runc; do
	[[ -x $b ]] || bail "$b is installed (apt-get install podman crun runc)"
done
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rtp 23 || bail "temp dir"
cgparent=plastron-rtp-$$
image=localhost/plastron-rt/probe:$$
# The image blob-info cache is always under /var/lib/containers, crun's
# default root is /run/crun: removed at the end when this test created them.
had_varlib=0 had_cache=0 had_runcrun=0
[[ -e /run/crun ]] && had_runcrun=1
[[ -e /var/lib/containers ]] && had_varlib=1
[[ -e /var/lib/containers/cache ]] && had_cache=1
export CONTAINERS_CONF=$tmp/containers.conf
pod() {
	timeout 120 /usr/bin/podman --root "$tmp/storage" --runroot "$tmp/run" \
		--storage-driver vfs --cgroup-manager cgroupfs --tmpdir "$tmp/libpod" "$@"
}
cleanup() {
	local p d i
	pod rm -af -t 0 >/dev/null 2>&1
	# Whatever is left in the test's cgroups (conmon, a runtime stuck in
	# create) was started by this test.
	for i in 1 2 3; do
		for p in $(cat /sys/fs/cgroup/*/"$cgparent"/cgroup.procs \
			/sys/fs/cgroup/*/"$cgparent"/*/cgroup.procs 2>/dev/null | sort -u); do
			kill -KILL "$p" 2>/dev/null
		done
		sleep 0.1
		for d in /sys/fs/cgroup/*/"$cgparent"; do
			[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	agent_stop TERM
	# conmon's exit commands (`podman container cleanup`) may still run:
	# wait for every process whose command line names this test's dir.
	local busy f
	for i in $(seq 50); do
		busy=0
		for f in /proc/[0-9]*/cmdline; do
			[[ $(tr '\0' ' ' <"$f" 2>/dev/null) == *"$tmp/"* ]] && busy=1 && break
		done
		((busy)) || break
		sleep 0.1
	done
	"$PLASTROND" --uninstall --pin-dir "$pin" --socket "$sock" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
	grep -o " $tmp/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$tmp"
	((had_cache)) || rm -rf /var/lib/containers/cache
	((had_varlib)) || rmdir /var/lib/containers 2>/dev/null
	((had_runcrun)) || rmdir /run/crun 2>/dev/null
}
trap cleanup EXIT

# podman's default runtime (the baseline) is crun.
moved=$(crun_cgroups_ready) || bail "cgroups usable by crun (move v2 controllers to v1: $moved)"
[[ -n $moved ]] && note "$moved"
cat >"$tmp/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$tmp/podman-events.log"
tmp_dir = "$tmp/libpod"
lock_type = "file"
volume_path = "$tmp/storage/volumes"
[network]
network_config_dir = "$tmp/networks"
CONF
mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"
make_rootfs "$tmp/rootfs" "$probe" || bail "busybox root filesystem"
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" . || bail "tar the root filesystem"
agent_up
if pod import "$tmp/rootfs.tar" "$image" >"$tmp/import.log" 2>&1; then
	ok "podman import of the busybox root filesystem (private storage)"
else
	diag "$tmp/import.log"
	bail "podman import of the busybox root filesystem (private storage)"
fi

common=(--network none --cgroup-parent "/$cgparent" --ulimit nofile=20000:20000
	--ulimit nproc=4096:4096)
shim=(--runtime "$SHIM" --runtime-flag "plastron-socket=$sock")
acts=(getpid icmp-raw metadata)

# Baseline: podman's own runtime (crun), no plastron.
pod run --rm "${common[@]}" "$image" /probe "${acts[@]}" >"$tmp/base.out" 2>"$tmp/base.out.err"
expect "podman (crun, no plastron)" "$tmp/base.out" getpid ok
expect "podman (crun, no plastron)" "$tmp/base.out" icmp-raw ok
expect "podman (crun, no plastron)" "$tmp/base.out" metadata ENETUNREACH

# logged LABEL CID_FILE: both denials in the log for podman's container id.
logged() {
	local label=$1 cid pair rule enf
	cid=$(cat "$2" 2>/dev/null)
	for pair in "disable-icmp:seccomp" "block-access-to-metadata-service:cgroup-bpf"; do
		rule=${pair%%:*} enf=${pair#*:}
		if [[ -n $cid ]] && log_has ".container_id == \"$cid\" and .action == \"DENIED\"
			and .enforcer == \"$enf\" and .policy == \"rt-demo\"
			and (.rule | split(\"|\") | index(\"$rule\")) != null"; then
			ok "$label: log has DENIED $rule ($enf) with podman's container id"
		else
			not_ok "$label: log has DENIED $rule ($enf) with podman's container id"
			diag "$log"
		fi
	done
}

# plastron-runtime in front of runc (its default real runtime).
if pod "${shim[@]}" run --rm --cidfile "$tmp/runc.cid" "${common[@]}" \
	--annotation plastron.io/policy=rt-demo "$image" /probe "${acts[@]}" \
	>"$tmp/runc.out" 2>"$tmp/runc.out.err"; then
	ok "podman --runtime plastron-runtime run --annotation plastron.io/policy=rt-demo"
else
	not_ok "podman --runtime plastron-runtime run --annotation plastron.io/policy=rt-demo"
	diag "$tmp/runc.out.err"
fi
expect "podman + plastron-runtime (runc)" "$tmp/runc.out" getpid ok
expect "podman + plastron-runtime (runc)" "$tmp/runc.out" icmp-raw EPERM
expect "podman + plastron-runtime (runc)" "$tmp/runc.out" metadata EPERM
logged "podman + plastron-runtime (runc)" "$tmp/runc.cid"

# podman exec (conmon runs `runtime exec --process FILE`): the new process
# is confined like the first.
if pod "${shim[@]}" run -d --cidfile "$tmp/runcx.cid" "${common[@]}" \
	--annotation plastron.io/policy=rt-demo "$image" /bin/sleep 600 \
	>/dev/null 2>"$tmp/runcx.err"; then
	cidx=$(cat "$tmp/runcx.cid")
	pod "${shim[@]}" exec "$cidx" /probe seccomp icmp-raw >"$tmp/runcx.out" 2>&1
	expect "podman exec (plastron-runtime in front of runc)" "$tmp/runcx.out" seccomp mode2
	# podman's default profile is a filter already: plastron's is the second
	expect "podman exec (plastron-runtime in front of runc)" "$tmp/runcx.out" seccomp-filters n2
	expect "podman exec (plastron-runtime in front of runc)" "$tmp/runcx.out" icmp-raw EPERM
	pod "${shim[@]}" rm -f -t 0 "$cidx" >/dev/null 2>&1
else
	not_ok "podman run -d under rt-demo for podman exec"
	diag "$tmp/runcx.err"
fi

# In front of crun: a wrapper script as --runtime, since podman gives its
# --runtime-flag values to create/start/kill/delete but not to the delete
# that `podman container cleanup` (conmon's exit command) runs. podman's
# runtime flags (--log, --log-format) still pass through the shim; crun
# keeps its state in its default root, where crun itself must find the
# running container.
cat >"$tmp/plastron-crun" <<SH
#!/bin/sh
exec "$SHIM" --plastron-socket "$sock" --plastron-runtime /usr/bin/crun "\$@"
SH
chmod +x "$tmp/plastron-crun"
crun_shim=(--runtime "$tmp/plastron-crun")
if pod "${crun_shim[@]}" --runtime-flag "log=$tmp/crun.log" --runtime-flag log-format=json \
	run -d --cidfile "$tmp/crun.cid" "${common[@]}" --annotation plastron.io/policy=rt-demo \
	"$image" /probe --loop 0 "${acts[@]}" >"$tmp/crun.run" 2>"$tmp/crun.run.err"; then
	ok "podman --runtime (plastron-runtime in front of crun) run -d"
else
	not_ok "podman --runtime (plastron-runtime in front of crun) run -d"
	diag "$tmp/crun.run.err"
	diag "$tmp/crun.log"
fi
cid=$(cat "$tmp/crun.cid" 2>/dev/null)
/usr/bin/crun state "$cid" >"$tmp/crun.state" 2>&1
check "crun runs the container (its state in crun's root)" jq_true '.status == "running"' \
	"$tmp/crun.state"
for i in $(seq 100); do
	pod logs "$cid" >"$tmp/crun.out" 2>&1
	[[ -n $(result "$tmp/crun.out" metadata) ]] && break
	sleep 0.05
done
expect "podman + plastron-runtime (crun)" "$tmp/crun.out" getpid ok
expect "podman + plastron-runtime (crun)" "$tmp/crun.out" icmp-raw EPERM
expect "podman + plastron-runtime (crun)" "$tmp/crun.out" metadata EPERM
logged "podman + plastron-runtime (crun)" "$tmp/crun.cid"
pod "${crun_shim[@]}" exec "$cid" /probe seccomp icmp-raw >"$tmp/crunx.out" 2>&1
expect "podman exec (plastron-runtime in front of crun)" "$tmp/crunx.out" seccomp mode2
# podman's default profile is a filter already: plastron's is the second
expect "podman exec (plastron-runtime in front of crun)" "$tmp/crunx.out" seccomp-filters n2
expect "podman exec (plastron-runtime in front of crun)" "$tmp/crunx.out" icmp-raw EPERM
pod "${crun_shim[@]}" rm -f -t 0 "$cid" >/dev/null 2>"$tmp/crun.rm.err"
gone=0
for i in $(seq 50); do
	if ! /usr/bin/crun state "$cid" >/dev/null 2>&1 &&
		! pod container exists "$cid" >/dev/null 2>&1; then
		gone=1
		break
	fi
	sleep 0.1
done
if ((gone)); then
	ok "podman rm -f through the shim stops and removes it (crun state gone)"
else
	not_ok "podman rm -f through the shim stops and removes it (crun state gone)"
	diag "$tmp/crun.rm.err"
	/usr/bin/crun state "$cid" 2>&1 | sed 's/^/# /'
fi

# A benign command under the policy.
out=$(pod "${shim[@]}" run --rm "${common[@]}" --annotation plastron.io/policy=rt-demo \
	"$image" /bin/sh -c 'echo benign; cat /etc/passwd' 2>"$tmp/benign.err")
if (($? == 0)) && [[ $out == "benign"$'\n'"root:x:0:0:root:/:/bin/sh" ]]; then
	ok "podman + plastron-runtime: a benign command succeeds under rt-demo"
else
	not_ok "podman + plastron-runtime: a benign command succeeds under rt-demo (got '$out')"
	diag "$tmp/benign.err"
fi

# No annotation (and no default policy): the container is not confined.
pod "${shim[@]}" run --rm "${common[@]}" "$image" /probe icmp-raw metadata \
	>"$tmp/pass.out" 2>"$tmp/pass.out.err"
expect "podman + plastron-runtime, no annotation" "$tmp/pass.out" icmp-raw ok
expect "podman + plastron-runtime, no annotation" "$tmp/pass.out" metadata ENETUNREACH

# An unknown policy: the run fails and podman shows why.
if pod "${shim[@]}" run --rm "${common[@]}" --annotation plastron.io/policy=no-such-policy \
	"$image" /probe getpid >"$tmp/unknown.out" 2>"$tmp/unknown.err"; then
	not_ok "an unknown policy fails the podman run, with the reason"
elif [[ -z $(result "$tmp/unknown.out" getpid) ]] && grep -q "no-such-policy" "$tmp/unknown.err"; then
	ok "an unknown policy fails the podman run, with the reason"
else
	not_ok "an unknown policy fails the podman run, with the reason"
	diag "$tmp/unknown.err"
fi
tap_done
