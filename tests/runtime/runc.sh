#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# plastrond + plastron-runtime in front of runc, end to end, on this kernel:
# denials from inside a privileged container (raw ICMP, core_pattern,
# the metadata address, AF_ALG) with their log events, a benign command,
# pass-through without a policy, fail-closed without the agent, agent death
# (SIGKILL) and re-adoption, the live mode switch, a broken policy reload,
# N container starts denied before the first instruction (each start
# classified: denied, attack not denied, container did not run); exec
# processes confined like the first one (args and --process forms, caps,
# Landlock, a container that replaced plastron-init); selection by the node
# (forged plastron.io/confined, "none", --annotation-namespaces); Landlock
# paths that exist only in the container; a relative --bundle. The start
# overhead is a benchmark: bench/runtime/run.sh. Everything runs in a private pin dir / socket /
# netns / runc root and is removed at the end, even on failure.
# Usage: runc.sh PROBE POLICY LANDLOCK_POLICY
#        (env PLASTRON, PLASTROND, PLASTRON_RUNTIME_SHIM)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy_src=$2 landlock_src=$3
SHIM=$PLASTRON_RUNTIME_SHIM

((EUID == 0)) || bail "runtime tests run as root"
command -v runc >/dev/null || bail "runc is installed"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rt 0 || bail "temp dir"
state=$tmp/runc
netns=plastron-rt-$$
ids=()
cleanup() {
	local c
	for c in "${ids[@]}"; do runc --root "$state" delete -f "$c" >/dev/null 2>&1; done
	agent_remove
	[[ -n ${apid:-} ]] && kill "$apid" 2>/dev/null
	[[ -n ${cg:-} ]] && rmdir "$cg" 2>/dev/null
	ip netns del "$netns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# rt-team: the Landlock policy again, as a VarmorPolicy of namespace team-a
# (whose pods may request a policy by annotation: agent_args).
mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" &&
	cp "$landlock_src" "$tmp/pol/rt-landlock.yaml" &&
	sed -e 's/rt-landlock/rt-team/' -e 's/namespace: default/namespace: team-a/' \
		"$landlock_src" >"$tmp/pol/rt-team.yaml" || bail "policy dir"
agent_args=(--annotation-namespaces team-a)
make_rootfs "$tmp/rootfs" "$probe" && mkdir "$tmp/rootfs/plastron-ll-only" ||
	bail "busybox root filesystem"
# /plastron-ll-only: a tmpfs in the container, a path the host does not have.
ll_mount='.mounts += [{destination: "/plastron-ll-only", type: "tmpfs", source: "tmpfs",
	options: ["nosuid", "nodev", "mode=1777"]}]'
[[ ! -e /plastron-ll-only ]] || bail "the host has no /plastron-ll-only"
ip netns add "$netns" && ip -n "$netns" link set lo up &&
	ip -n "$netns" addr add 169.254.169.254/32 dev lo ||
	bail "network namespace with 169.254.169.254 on its loopback"
template=$tmp/template.json
make_template "$template" "$tmp/rootfs" "/var/run/netns/$netns" || bail "bundle template"

# run_shim ID OUT POLICY ARGS...: one container through plastron-runtime.
run_shim() {
	local id=$1 out=$2 pol=$3
	shift 3
	ids+=("$id")
	bundle "$tmp/b-$id" "$pol" "$@" || return 1
	timeout 60 "$SHIM" --plastron-socket "$sock" --root "$state" run --bundle "$tmp/b-$id" "$id" \
		>"$out" 2>"$out.err" </dev/null
}
run_plain() {
	local id=$1 out=$2
	shift 2
	ids+=("$id")
	bundle "$tmp/b-$id" "" "$@" || return 1
	timeout 60 runc --root "$state" run --bundle "$tmp/b-$id" "$id" >"$out" 2>"$out.err" </dev/null
}
cid() { echo "rt$$-$1"; }

# ---- agent and doctor ------------------------------------------------------
if agent_start; then ok "plastrond starts (private pin dir, socket, policy dir, log)"; else
	not_ok "plastrond starts"
	diag "$tmp/agent.log"
	tap_done
fi
"$PLASTRON" doctor --socket "$sock" >"$tmp/doctor.out" 2>&1
if grep -q '^active enforcers:.*cgroup-bpf' "$tmp/doctor.out" &&
	grep -q "answers on $sock" "$tmp/doctor.out" &&
	grep -q 'cannot switch mode live' "$tmp/doctor.out"; then
	ok "plastron doctor: cgroup-bpf active, agent answers, non-inet families note"
else
	not_ok "plastron doctor: cgroup-bpf active, agent answers, non-inet families note"
	diag "$tmp/doctor.out"
fi
# BPF-LSM: claimed active only when an lsm program really loads.
if grep -q '^active enforcers:.*bpf-lsm' "$tmp/doctor.out"; then
	if bpftool feature probe kernel 2>/dev/null | grep -q "program_type lsm is available"; then
		ok "doctor claims bpf-lsm and the kernel agrees"
	else
		not_ok "doctor claims bpf-lsm but bpftool says lsm programs are not available"
	fi
else
	if grep -q 'bpf-lsm .*not active' "$tmp/doctor.out"; then
		ok "doctor says BPF-LSM is not active, with the reason"
	else
		not_ok "doctor says BPF-LSM is not active, with the reason"
		diag "$tmp/doctor.out"
	fi
fi
"$PLASTRON" status --socket "$sock" --json >"$tmp/status.json" 2>&1
check "status lists policy rt-demo as-written" \
	jq_true '.policies[] | select(.name == "rt-demo" and .mode == "as-written")' "$tmp/status.json"

# ---- baseline and confined -------------------------------------------------
acts=(getpid icmp-raw core-pattern metadata metadata-raw alg unix)
if run_plain "$(cid base)" "$tmp/base.out" /probe "${acts[@]}"; then
	ok "plain runc runs the probe (privileged, test netns)"
else
	not_ok "plain runc runs the probe (privileged, test netns)"
	diag "$tmp/base.out.err"
fi
expect "baseline" "$tmp/base.out" icmp-raw ok
expect "baseline" "$tmp/base.out" core-pattern ok
expect "baseline" "$tmp/base.out" metadata ECONNREFUSED
expect "baseline" "$tmp/base.out" metadata-raw ok
expect "baseline" "$tmp/base.out" alg EAFNOSUPPORT

id=$(cid conf)
# A container of a pod of Deployment rt-demo (CRI annotations: they select
# rt-demo); its pod, namespace, image and pod uid go in the events.
if bundle_jq='.annotations += {"io.kubernetes.cri.container-type": "container",
	"io.kubernetes.cri.container-name": "app",
	"io.kubernetes.cri.sandbox-name": "rt-demo-5d8f7b9c4-x2x7q",
	"io.kubernetes.cri.sandbox-namespace": "default",
	"io.kubernetes.cri.image-name": "docker.io/library/busybox:1.36",
	"io.kubernetes.cri.sandbox-uid": "0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77"}' \
	run_shim "$id" "$tmp/conf.out" rt-demo /probe "${acts[@]}"; then
	ok "plastron-runtime runs the probe under rt-demo"
else
	not_ok "plastron-runtime runs the probe under rt-demo"
	diag "$tmp/conf.out.err"
fi
# The createRuntime hook is the freestanding plastron-hook (x86_64 builds).
if [[ -x $(dirname "$SHIM")/plastron-hook ]]; then
	check "the spec's createRuntime hook is plastron-hook" jq_true \
		'.hooks.createRuntime[0].args[0] == "plastron-hook"' "$tmp/b-$id/config.json"
fi
expect "confined" "$tmp/conf.out" getpid ok
expect "confined" "$tmp/conf.out" unix ok
expect "confined" "$tmp/conf.out" icmp-raw EPERM
expect "confined" "$tmp/conf.out" core-pattern EPERM
expect "confined" "$tmp/conf.out" metadata EPERM
expect "confined (raw socket, cgroup_skb egress)" "$tmp/conf.out" metadata-raw EPERM
expect "confined" "$tmp/conf.out" alg EPERM
for pair in "disable-icmp:seccomp" "disallow-write-core-pattern:cgroup-bpf" \
	"block-access-to-metadata-service:cgroup-bpf" "copy-fail-mitigation:seccomp"; do
	rule=${pair%%:*} enf=${pair#*:}
	if log_has ".container_id == \"$id\" and .action == \"DENIED\" and .enforcer == \"$enf\"
		and (.rule | split(\"|\") | index(\"$rule\")) != null and .policy == \"rt-demo\""; then
		ok "log: DENIED $rule ($enf) for container $id"
	else
		not_ok "log: DENIED $rule ($enf) for container $id"
		diag "$log"
	fi
done
check "log: the container's pod, image and pod uid, the policy's kind and namespace" \
	log_has ".container_id == \"$id\" and .image == \"docker.io/library/busybox:1.36\"
		and .pod == \"rt-demo-5d8f7b9c4-x2x7q\" and .namespace == \"default\" and .container == \"app\"
		and .pod_uid == \"0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77\"
		and .policy_kind == \"VarmorPolicy\" and .policy_namespace == \"default\""
# The raw send is seen by cgroup_skb/egress (hook raw_send4): the event names
# the send and the destination like a connect's.
check "log: DENIED raw send to 169.254.169.254:80 (syscall send, address) for container $id" \
	log_has ".container_id == \"$id\" and .action == \"DENIED\" and .enforcer == \"cgroup-bpf\"
		and .syscall == \"send\" and .address == \"169.254.169.254:80\"
		and .rule == \"block-access-to-metadata-service\""
if curl -s --max-time 5 "http://127.0.0.1:$metrics_port/metrics" >"$tmp/metrics" &&
	grep -q 'plastron_events_total{rule="block-access-to-metadata-service",action="DENIED",enforcer="cgroup-bpf"} [1-9]' "$tmp/metrics" &&
	grep -q '^plastron_ringbuf_drops_total 0' "$tmp/metrics"; then
	ok "metrics: events by rule and action, ring-buffer drops"
else
	not_ok "metrics: events by rule and action, ring-buffer drops"
	diag "$tmp/metrics"
fi

# ---- no policy: untouched --------------------------------------------------
id=$(cid pass)
bundle "$tmp/b-$id" "" /probe metadata && cp "$tmp/b-$id/config.json" "$tmp/pass.orig"
ids+=("$id")
timeout 60 "$SHIM" --plastron-socket "$sock" --root "$state" run --bundle "$tmp/b-$id" "$id" \
	>"$tmp/pass.out" 2>"$tmp/pass.out.err" </dev/null
if cmp -s "$tmp/pass.orig" "$tmp/b-$id/config.json" &&
	[[ $(result "$tmp/pass.out" metadata) == ECONNREFUSED ]]; then
	ok "no policy selected: config.json untouched, nothing denied"
else
	not_ok "no policy selected: config.json untouched, nothing denied"
	diag "$tmp/pass.out.err"
fi

# ---- selection by CRI annotations (rewrite only: the real runtime is true) -
# selected ANNOTATIONS_JSON [SHIM OPTIONS]: the policy the shim confined the
# bundle with (the bundle it placed names it), or "".
selected() {
	local dir=$tmp/b-sel
	rm -rf "$dir"
	mkdir -p "$dir" && jq --argjson a "$1" '.annotations = $a | .process.args = ["/probe"]' \
		<"$template" >"$dir/config.json" || return 1
	shift
	PLASTRON_RUNTIME=/bin/true "$SHIM" --plastron-socket "$sock" "$@" create --bundle "$dir" sel \
		>/dev/null 2>&1 || { echo "FAILED"; return 0; }
	local p
	p=$(head -n 1 "$dir/plastron-init.json" | jq -r '.policy // empty' 2>/dev/null)
	[[ -n $p ]] || p=$(jq -r '.annotations["plastron.io/confined"] // ""' "$dir/config.json")
	echo "$p"
}
cri='"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "app"'
got=$(selected "{$cri, \"io.kubernetes.cri.sandbox-name\": \"rt-demo-5d8f7b9c4-x2x7q\", \"io.kubernetes.cri.sandbox-namespace\": \"default\"}")
[[ $got == rt-demo ]] && ok "CRI annotations: a pod of Deployment rt-demo gets policy rt-demo" ||
	not_ok "CRI annotations: a pod of Deployment rt-demo gets policy rt-demo (got '$got')"
got=$(selected "{$cri, \"io.kubernetes.cri.sandbox-name\": \"rt-demo-5d8f7b9c4-x2x7q\", \"io.kubernetes.cri.sandbox-namespace\": \"other\"}")
[[ $got == "" ]] && ok "CRI annotations: the same pod name in another namespace is not confined" ||
	not_ok "CRI annotations: the same pod name in another namespace is not confined (got '$got')"
got=$(selected '{"io.kubernetes.pod.name": "rt-landlock", "io.kubernetes.pod.namespace": "default", "io.kubernetes.container.name": "c"}')
[[ $got == rt-landlock ]] && ok "CRI-O annotations: Pod rt-landlock gets policy rt-landlock" ||
	not_ok "CRI-O annotations: Pod rt-landlock gets policy rt-landlock (got '$got')"
got=$(selected '{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-name": "rt-landlock", "io.kubernetes.cri.sandbox-namespace": "default"}')
[[ $got == "" ]] && ok "CRI sandbox (pause) containers pass through" ||
	not_ok "CRI sandbox (pause) containers pass through (got '$got')"
got=$(selected '{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-name": "rt-landlock", "io.kubernetes.cri.sandbox-namespace": "default"}' --plastron-policy rt-demo)
[[ $got == "rt-demo" ]] && ok "a sandbox annotation does not opt out of the default policy" ||
	not_ok "a sandbox annotation does not opt out of the default policy (got '$got')"
got=$(selected '{"plastron.io/policy": "no-such-policy"}')
[[ $got == FAILED ]] && ok "an annotation naming an unknown policy fails the create" ||
	not_ok "an annotation naming an unknown policy fails the create (got '$got')"
# Changed on purpose (issue 8 item 1): "none" used to opt out; a pod author
# must not be able to, so the pod keeps the policy that targets it.
got=$(selected '{"plastron.io/policy": "none", "io.kubernetes.pod.name": "rt-landlock", "io.kubernetes.pod.namespace": "default"}')
[[ $got == rt-landlock ]] && ok "plastron.io/policy: none does not opt a targeted pod out" ||
	not_ok "plastron.io/policy: none does not opt a targeted pod out (got '$got')"
got=$(selected '{"plastron.io/policy": "none"}' --plastron-policy rt-demo)
[[ $got == rt-demo ]] && ok "plastron.io/policy: none does not opt out of the runtime's default" ||
	not_ok "plastron.io/policy: none does not opt out of the runtime's default (got '$got')"
got=$(selected '{"plastron.io/confined": "x"}' --plastron-policy rt-demo)
[[ $got == rt-demo ]] && ok "a forged plastron.io/confined annotation does not skip confinement" ||
	not_ok "a forged plastron.io/confined annotation does not skip confinement (got '$got')"
got=$(selected '{"plastron.io/confined": "x", "plastron.io/policy": "rt-demo"}')
[[ $got == rt-demo ]] && ok "a forged plastron.io/confined annotation: the requested policy applies" ||
	not_ok "a forged plastron.io/confined annotation: the requested policy applies (got '$got')"
pod='"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "app", "io.kubernetes.cri.sandbox-name": "web-1"'
got=$(selected "{$pod, \"io.kubernetes.cri.sandbox-namespace\": \"default\", \"plastron.io/policy\": \"rt-demo\"}")
[[ $got == "" ]] && ok "a pod of a namespace not in --annotation-namespaces cannot request a policy" ||
	not_ok "a pod of a namespace not in --annotation-namespaces cannot request a policy (got '$got')"
got=$(selected "{$pod, \"io.kubernetes.cri.sandbox-namespace\": \"team-a\", \"plastron.io/policy\": \"rt-team\"}")
[[ $got == rt-team ]] && ok "a pod of namespace team-a (--annotation-namespaces) requests its namespace's policy" ||
	not_ok "a pod of namespace team-a (--annotation-namespaces) requests its namespace's policy (got '$got')"
got=$(selected "{$pod, \"io.kubernetes.cri.sandbox-namespace\": \"team-a\", \"plastron.io/policy\": \"rt-demo\"}")
[[ $got == FAILED ]] && ok "a pod cannot request another namespace's policy" ||
	not_ok "a pod cannot request another namespace's policy (got '$got')"
got=$(selected "{$pod, \"io.kubernetes.cri.sandbox-namespace\": \"team-a\", \"plastron.io/policy\": \"none\"}" --plastron-policy rt-demo)
[[ $got == rt-demo ]] && ok "a pod of an allowed namespace cannot opt out of the default either" ||
	not_ok "a pod of an allowed namespace cannot opt out of the default either (got '$got')"

# A forged marker, for real: the container is confined all the same.
id=$(cid forged)
bundle_jq='.annotations["plastron.io/confined"] = "x"' run_shim "$id" "$tmp/forged.out" rt-demo \
	/probe seccomp icmp-raw
expect "annotation plastron.io/confined=x forged in the spec" "$tmp/forged.out" seccomp mode2
expect "annotation plastron.io/confined=x forged in the spec" "$tmp/forged.out" icmp-raw EPERM
if jq_true '.annotations["plastron.io/bundle-hash"] | startswith("sha256:")' "$tmp/b-$id/config.json" &&
	[[ $(jq -r '.annotations["plastron.io/bundle-hash"]' "$tmp/b-$id/config.json") == \
	$(head -n 1 "$tmp/b-$id/plastron-init.json" | jq -r .hash) ]] &&
	grep -q "policy rt-demo: confinement bundle version $(head -n 1 "$tmp/b-$id/plastron-init.json" | jq -r .version)" "$tmp/agent.log"; then
	ok "the placed bundle names its version and hash, as the agent logged them"
else
	not_ok "the placed bundle names its version and hash, as the agent logged them"
	diag "$tmp/agent.log"
fi

# A relative --bundle (resolved against the working directory, like runc).
id=$(cid rel)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /probe icmp-raw
(cd "$tmp" && timeout 60 "$SHIM" --plastron-socket "$sock" --root "$state" run --bundle "b-$id" "$id") \
	>"$tmp/rel.out" 2>"$tmp/rel.out.err" </dev/null
expect "plastron-runtime run --bundle RELATIVE" "$tmp/rel.out" icmp-raw EPERM

# ---- Landlock and capabilities ----------------------------------------------
run_plain "$(cid llbase)" "$tmp/llbase.out" /probe write-shm cap-sys-module
expect "baseline" "$tmp/llbase.out" write-shm ok
expect "baseline" "$tmp/llbase.out" cap-sys-module ok
id=$(cid ll)
if bundle_jq=$ll_mount run_shim "$id" "$tmp/ll.out" rt-landlock /probe getpid write-shm \
	cap-sys-module write-ll-only; then
	ok "plastron-runtime runs the probe under rt-landlock (plastron-init applies Landlock)"
else
	not_ok "plastron-runtime runs the probe under rt-landlock (plastron-init applies Landlock)"
	diag "$tmp/ll.out.err"
fi
expect "rt-landlock" "$tmp/ll.out" getpid ok
expect "rt-landlock" "$tmp/ll.out" write-shm EACCES
expect "rt-landlock (caps dropped from config.json)" "$tmp/ll.out" cap-sys-module absent
expect "rt-landlock (a path only the container has)" "$tmp/ll.out" write-ll-only ok
check "log: DENIED landlock for container $id" log_has \
	".container_id == \"$id\" and .enforcer == \"landlock\" and .action == \"DENIED\" and .policy == \"rt-landlock\""

# ---- live mode switch, docker-exec coverage, broken reload, agent death ----
id=$(cid loop)
ids+=("$id")
bundle "$tmp/b-$id" rt-demo /probe --loop 0 metadata core-pattern
"$SHIM" --plastron-socket "$sock" --root "$state" run -d --bundle "$tmp/b-$id" "$id" \
	>"$tmp/loop.out" 2>"$tmp/loop.err" </dev/null
if wait_result "$tmp/loop.out" metadata EPERM 0 >/dev/null &&
	[[ $(result "$tmp/loop.out" metadata) == EPERM ]]; then
	ok "looping container: metadata denied"
else
	not_ok "looping container: metadata denied"
	diag "$tmp/loop.err"
fi
# A process that joins later (runc exec = docker exec) is in the same cgroup.
runc --root "$state" exec "$id" /probe metadata >"$tmp/exec.out" 2>&1
expect "runc exec into the confined container" "$tmp/exec.out" metadata EPERM

# ---- exec: every process of a confined container is confined ----------------
shim_exec() { timeout 60 "$SHIM" --plastron-socket "$sock" --root "$state" exec "$@" </dev/null; }
# proc_json ARGS...: a --process file (the template's process: every capability).
proc_json() { jq -c --argjson a "$(printf '%s\n' "$@" | jq -R . | jq -s -c .)" \
	'.process | .args = $a' "$template"; }
# (icmp-raw and alg are denied by the cgroup-BPF socket hook as well, which
# covers every process of the cgroup; Seccomp, Landlock and caps tell.)
runc --root "$state" exec "$id" /probe seccomp >"$tmp/exec-plain.out" 2>&1
expect "runc exec without the shim (for comparison)" "$tmp/exec-plain.out" seccomp mode0
shim_exec "$id" /probe seccomp icmp-raw alg >"$tmp/exec-shim.out" 2>"$tmp/exec-shim.out.err"
expect "plastron-runtime exec ID CMD" "$tmp/exec-shim.out" seccomp mode2
expect "plastron-runtime exec ID CMD" "$tmp/exec-shim.out" icmp-raw EPERM
expect "plastron-runtime exec ID CMD" "$tmp/exec-shim.out" alg EPERM
proc_json /probe seccomp icmp-raw >"$tmp/proc.json"
shim_exec --process "$tmp/proc.json" "$id" >"$tmp/exec-proc.out" 2>"$tmp/exec-proc.out.err"
expect "plastron-runtime exec --process FILE" "$tmp/exec-proc.out" seccomp mode2
expect "plastron-runtime exec --process FILE" "$tmp/exec-proc.out" icmp-raw EPERM
"$SHIM" --plastron-socket "$sock" --root "$tmp/no-such-root" exec "$id" /probe getpid \
	>"$tmp/exec-unknown.out" 2>&1 </dev/null
if (($? != 0)) && grep -q 'fails closed' "$tmp/exec-unknown.out" &&
	[[ $(result "$tmp/exec-unknown.out" getpid) == "" ]]; then
	ok "exec refused when the container's state cannot be read (fails closed)"
else
	not_ok "exec refused when the container's state cannot be read (fails closed)"
	diag "$tmp/exec-unknown.out"
fi
# Capabilities and Landlock for exec: rt-landlock drops CAP_SYS_MODULE.
llid=$(cid llexec)
ids+=("$llid")
bundle_jq=$ll_mount bundle "$tmp/b-$llid" rt-landlock /bin/sleep 600
"$SHIM" --plastron-socket "$sock" --root "$state" run -d --bundle "$tmp/b-$llid" "$llid" \
	>/dev/null 2>"$tmp/llexec.err" </dev/null || diag "$tmp/llexec.err"
proc_json /probe seccomp cap-sys-module cap-eff-sys-module write-shm write-ll-only >"$tmp/proc-ll.json"
shim_exec --process "$tmp/proc-ll.json" "$llid" >"$tmp/exec-ll.out" 2>"$tmp/exec-ll.out.err"
expect "exec --process (every capability asked) under rt-landlock" "$tmp/exec-ll.out" seccomp mode2
expect "exec --process (every capability asked) under rt-landlock" "$tmp/exec-ll.out" cap-sys-module absent
expect "exec --process (every capability asked) under rt-landlock" "$tmp/exec-ll.out" cap-eff-sys-module absent
expect "exec --process under rt-landlock" "$tmp/exec-ll.out" write-shm EACCES
expect "exec --process under rt-landlock" "$tmp/exec-ll.out" write-ll-only ok
shim_exec --cap CAP_SYS_MODULE "$llid" /probe cap-sys-module cap-eff-sys-module \
	>"$tmp/exec-cap.out" 2>"$tmp/exec-cap.out.err"
expect "exec --cap CAP_SYS_MODULE under rt-landlock" "$tmp/exec-cap.out" cap-sys-module absent
expect "exec --cap CAP_SYS_MODULE under rt-landlock" "$tmp/exec-cap.out" cap-eff-sys-module absent
# A container (root with every capability) that unmounts the bundle plastron
# mounted, to have its exec processes run unconfined: refused.
tid=$(cid tamper)
ids+=("$tid")
bundle "$tmp/b-$tid" rt-demo /bin/sleep 600
"$SHIM" --plastron-socket "$sock" --root "$state" run -d --bundle "$tmp/b-$tid" "$tid" \
	>/dev/null 2>&1 </dev/null
# exec_refused LABEL ID TAG: an exec into container ID is refused because
# its mounted bundle or init was replaced (the container's own doing is in
# $tmp/TAG.out), and the probe never ran.
exec_refused() {
	local label=$1 id=$2 tag=$3
	shim_exec "$id" /probe seccomp icmp-raw >"$tmp/exec-$tag.out" 2>&1
	if grep -q 'no longer the file plastron mounted' "$tmp/exec-$tag.out" &&
		[[ $(result "$tmp/exec-$tag.out" icmp-raw) == "" ]]; then
		ok "$label"
	else
		not_ok "$label"
		diag "$tmp/$tag.out"
		diag "$tmp/exec-$tag.out"
	fi
}
runc --root "$state" exec "$tid" /bin/busybox umount /.plastron-init.json >"$tmp/tamper.out" 2>&1
exec_refused "exec refused into a container that unmounted its bundle" "$tid" tamper
runc --root "$state" delete -f "$tid" >/dev/null 2>&1
runc --root "$state" delete -f "$llid" >/dev/null 2>&1
# The same with a symlink in place of the mounted bundle, pointing at the
# bundle's host path: stat from the shim (host root) would follow it to the
# real file and pass. A private writable copy of the root filesystem.
sid=$(cid symlink)
ids+=("$sid")
cp -a "$tmp/rootfs" "$tmp/rootfs-$sid" || bail "rootfs copy"
bundle "$tmp/b-$sid" rt-demo /bin/sleep 600
jq --arg r "$tmp/rootfs-$sid" '.root = {path: $r, readonly: false}' "$tmp/b-$sid/config.json" \
	>"$tmp/b-$sid/config.json.new" && mv "$tmp/b-$sid/config.json.new" "$tmp/b-$sid/config.json"
"$SHIM" --plastron-socket "$sock" --root "$state" run -d --bundle "$tmp/b-$sid" "$sid" \
	>/dev/null 2>&1 </dev/null
runc --root "$state" exec "$sid" /bin/busybox sh -c \
	"umount /.plastron-init.json && rm -f /.plastron-init.json &&
	 ln -s $tmp/b-$sid/plastron-init.json /.plastron-init.json" >"$tmp/symlink.out" 2>&1
check "the container put a symlink in place of its bundle" test -L "$tmp/rootfs-$sid/.plastron-init.json"
exec_refused "exec refused into a container that put a symlink in place of its bundle" "$sid" symlink
runc --root "$state" delete -f "$sid" >/dev/null 2>&1
rm -rf "$tmp/rootfs-$sid"

# The placed bundle altered between create and start (plastron-bundle/2:
# one bit of the raw seccomp program after the JSON head; the file is
# changed in place, so the container's read-only mount shows it):
# plastron-init refuses it (bpf_sha256), the entrypoint never runs.
aid=$(cid altered)
ids+=("$aid")
bundle "$tmp/b-$aid" rt-demo /probe getpid
if "$SHIM" --plastron-socket "$sock" --root "$state" create --bundle "$tmp/b-$aid" "$aid" \
	>"$tmp/altered.create" 2>&1 </dev/null; then
	python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); i = b.index(b"\n") + 1
b[i + (len(b) - i) // 2] ^= 1; f = open(p, "r+b"); f.write(b); f.close()' \
		"$tmp/b-$aid/plastron-init.json"
	runc --root "$state" start "$aid" >"$tmp/altered.out" 2>&1
	for _ in $(seq 50); do
		[[ $(runc --root "$state" state "$aid" 2>/dev/null | jq -r .status) == stopped ]] && break
		sleep 0.1
	done
fi
# (the container's stdio is that of `create`: plastron-init's reason is there)
if [[ $(runc --root "$state" state "$aid" 2>/dev/null | jq -r .status) == stopped ]] &&
	grep -q 'plastron-init: .*does not match seccomp.bpf_sha256' "$tmp/altered.create" &&
	! grep -q '^getpid: ok' "$tmp/altered.create"; then
	ok "a placed bundle whose seccomp program was altered: the container does not start"
else
	not_ok "a placed bundle whose seccomp program was altered: the container does not start"
	diag "$tmp/altered.create"
	diag "$tmp/altered.out"
fi
runc --root "$state" delete -f "$aid" >/dev/null 2>&1

lines=$(wc -l <"$tmp/loop.out")
"$PLASTRON" mode --socket "$sock" rt-demo observe >"$tmp/mode.out" 2>&1
if wait_result "$tmp/loop.out" metadata ECONNREFUSED "$lines" >/dev/null; then
	ok "plastron mode observe: allowed live, without restarting the container"
else
	not_ok "plastron mode observe: allowed live, without restarting the container"
	diag "$tmp/mode.out"
fi
check "observe mode logs AUDIT events" log_has \
	".container_id == \"$id\" and .action == \"AUDIT\" and .rule == \"block-access-to-metadata-service\""
"$PLASTRON" status --socket "$sock" --json >"$tmp/status-observe.json" 2>&1
check "status shows mode observe" jq_true \
	'.policies[] | select(.name == "rt-demo" and .mode == "observe")' "$tmp/status-observe.json"
hash=$(head -n 1 "$tmp/b-$id/plastron-init.json" | jq -r .hash)
check "status names the bundle version and hash of rt-demo, and the container's" jq_true \
	"(.policies[] | select(.name == \"rt-demo\") | .hash == \"$hash\" and .version == \"${hash:7:16}\")
	and (.containers[] | select(.id == \"$id\") | .policy_hash == \"$hash\")" "$tmp/status-observe.json"
check "events name the bundle hash the container runs" log_has \
	".container_id == \"$id\" and .policy_hash == \"$hash\""
lines=$(wc -l <"$tmp/loop.out")
"$PLASTRON" mode --socket "$sock" rt-demo enforce >"$tmp/mode.out" 2>&1
if wait_result "$tmp/loop.out" metadata EPERM "$lines" >/dev/null; then
	ok "plastron mode enforce: denied again live"
else
	not_ok "plastron mode enforce: denied again live"
fi

# Broken policy: refused, the previous version keeps enforcing.
cp "$tmp/pol/rt-demo.yaml" "$tmp/good.yaml"
sed 's/disallow-write-core-pattern/disallow-write-core-patern/' "$tmp/good.yaml" >"$tmp/pol/rt-demo.yaml.tmp" &&
	mv "$tmp/pol/rt-demo.yaml.tmp" "$tmp/pol/rt-demo.yaml"
refused=0
for i in $(seq 50); do
	if "$PLASTRON" status --socket "$sock" --json 2>/dev/null |
		jq_true '.refused[] | select(.error | test("core-patern"))'; then
		refused=1
		break
	fi
	sleep 0.1
done
if ((refused)) && grep -q 'refused: the previous version keeps enforcing' "$tmp/agent.log"; then
	ok "broken policy reload refused with its error logged"
else
	not_ok "broken policy reload refused with its error logged"
	diag "$tmp/agent.log"
fi
lines=$(wc -l <"$tmp/loop.out")
if wait_result "$tmp/loop.out" core-pattern EPERM "$lines" >/dev/null &&
	! tail -n +"$((lines + 1))" "$tmp/loop.out" | grep -q '^core-pattern: ok'; then
	ok "after the broken reload the previous version keeps enforcing"
else
	not_ok "after the broken reload the previous version keeps enforcing"
fi
cp "$tmp/good.yaml" "$tmp/pol/rt-demo.yaml"

# Agent death: SIGKILL while the container loops the attack.
before=$("$PLASTRON" status --socket "$sock" --json | jq '.counters.denied')
agent_stop KILL
lines=$(wc -l <"$tmp/loop.out")
sleep 1
wait_result "$tmp/loop.out" metadata EPERM "$lines" >/dev/null
after_kill=$(tail -n +"$((lines + 1))" "$tmp/loop.out")
if grep -q '^metadata: EPERM' <<<"$after_kill" && ! grep -q '^metadata: ECONN' <<<"$after_kill" &&
	! grep -q '^core-pattern: ok' <<<"$after_kill"; then
	ok "plastrond SIGKILLed: the looping attack stays denied"
else
	not_ok "plastrond SIGKILLed: the looping attack stays denied"
fi
# A new exec while the agent is dead is still covered (same cgroup).
runc --root "$state" exec "$id" /probe metadata >"$tmp/exec2.out" 2>&1
expect "runc exec while plastrond is dead" "$tmp/exec2.out" metadata EPERM
if agent_start; then ok "plastrond restarts"; else not_ok "plastrond restarts"; fi
"$PLASTRON" status --socket "$sock" --json >"$tmp/status2.json" 2>&1
check "restarted agent re-adopted the pinned enforcer" jq_true '.readopted == true and .links == .links_expected' "$tmp/status2.json"
check "restarted agent kept the container registered (cgroup id, policy)" \
	jq_true ".containers[] | select(.id == \"$id\" and .policy == \"rt-demo\" and .cgroup_id > 0)" "$tmp/status2.json"
# It wrote its policies again: the rule sets it replaced were released (one
# of the policy's two table slots holds trie nodes, not both).
slot_nodes() {
	bpftool -j map lookup pinned "$pin/maps/tables" key $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) 0 | jq '.formatted.value.node_count'
}
pid_rt=$(jq '.policies[] | select(.name == "rt-demo") | .id' "$tmp/status2.json")
n0=$(slot_nodes $((2 * pid_rt))) n1=$(slot_nodes $((2 * pid_rt + 1)))
if [[ -n $pid_rt && -n $n0 && -n $n1 ]] && (((n0 > 0) != (n1 > 0))); then
	ok "after the restart's reload, policy rt-demo holds one rule set ($n0 and $n1 nodes)"
else
	not_ok "after the restart's reload, policy rt-demo holds one rule set (${n0:-?} and ${n1:-?} nodes)"
fi
after=$(jq '.counters.denied' "$tmp/status2.json")
if [[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] && ((after > before)); then
	ok "enforcer counters continue across the restart ($before -> $after denied)"
else
	not_ok "enforcer counters continue across the restart ($before -> $after denied)"
fi
check "restarted agent logs the container's new denials" log_has \
	".container_id == \"$id\" and .action == \"DENIED\" and (.time > \"$(date -u +%Y-%m-%dT%H:%M:%S)\")"
runc --root "$state" delete -f "$id" >/dev/null 2>&1
gone=0
for i in $(seq 60); do
	if ! "$PLASTRON" status --socket "$sock" --json | jq -e ".containers[] | select(.id == \"$id\")" >/dev/null 2>&1; then
		gone=1
		break
	fi
	sleep 0.1
done
if ((gone)); then ok "a deleted container is unregistered"; else not_ok "a deleted container is unregistered"; fi

# ---- plastron attach: a running process's cgroup ----------------------------
cgmnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
cg=$cgmnt/plastron-rt-$$
if [[ -n $cgmnt ]] && mkdir "$cg"; then
	ip netns exec "$netns" "$probe" --loop 0 metadata >"$tmp/attach.out" 2>&1 &
	apid=$!
	echo "$apid" >"$cg/cgroup.procs"
	wait_result "$tmp/attach.out" metadata ECONNREFUSED 0 >/dev/null
	before_attach=$(result "$tmp/attach.out" metadata)
	"$PLASTRON" attach --socket "$sock" --cgroup "$cg" --policy "$tmp/pol/rt-demo.yaml" \
		>"$tmp/attach.log" 2>&1
	lines=$(wc -l <"$tmp/attach.out")
	if [[ $before_attach == ECONNREFUSED ]] &&
		wait_result "$tmp/attach.out" metadata EPERM "$lines" >/dev/null; then
		ok "plastron attach --cgroup: a running process is denied from then on"
	else
		not_ok "plastron attach --cgroup: a running process is denied from then on"
		diag "$tmp/attach.log"
	fi
	"$PLASTRON" attach --socket "$sock" --detach --pid "$apid" >"$tmp/attach.log" 2>&1
	lines=$(wc -l <"$tmp/attach.out")
	if wait_result "$tmp/attach.out" metadata ECONNREFUSED "$lines" >/dev/null; then
		ok "plastron attach --detach --pid: allowed again"
	else
		not_ok "plastron attach --detach --pid: allowed again"
		diag "$tmp/attach.log"
	fi
	kill "$apid" 2>/dev/null
	wait "$apid" 2>/dev/null
	rmdir "$cg" 2>/dev/null
else
	not_ok "create a test cgroup under the cgroup2 mount"
fi

# ---- fail closed -----------------------------------------------------------
agent_stop TERM
id=$(cid closed)
if run_shim "$id" "$tmp/closed.out" rt-demo /probe getpid; then
	not_ok "plastrond stopped: a container under an enforcing policy does not start"
else
	if [[ $(result "$tmp/closed.out" getpid) == "" ]] && grep -q 'fails closed' "$tmp/closed.out.err"; then
		ok "plastrond stopped: a container under an enforcing policy does not start"
	else
		not_ok "plastrond stopped: a container under an enforcing policy does not start"
		diag "$tmp/closed.out.err"
	fi
fi
# The agent down and a forged marker in the spec: still no start.
id=$(cid closedforged)
if bundle_jq='.annotations["plastron.io/confined"] = "x"' run_shim "$id" "$tmp/closedf.out" \
	rt-demo /probe getpid; then
	not_ok "plastrond stopped: a forged plastron.io/confined does not let a container start"
else
	if [[ $(result "$tmp/closedf.out" getpid) == "" ]] && grep -q 'fails closed' "$tmp/closedf.out.err"; then
		ok "plastrond stopped: a forged plastron.io/confined does not let a container start"
	else
		not_ok "plastrond stopped: a forged plastron.io/confined does not let a container start"
		diag "$tmp/closedf.out.err"
	fi
fi
echo '{"ociVersion":"1.0.2","id":"x","pid":1,"status":"creating"}' |
	"$SHIM" hook --socket "$sock" --policy rt-demo >/dev/null 2>"$tmp/hook.err"
if (($? != 0)) && grep -q 'fails closed' "$tmp/hook.err"; then
	ok "the createRuntime hook fails when the agent cannot acknowledge"
else
	not_ok "the createRuntime hook fails when the agent cannot acknowledge"
	diag "$tmp/hook.err"
fi
HOOK=$(dirname "$SHIM")/plastron-hook
if [[ -x $HOOK ]]; then
	echo '{"ociVersion":"1.0.2","id":"x","pid":1,"status":"creating"}' |
		"$HOOK" --socket "$sock" --policy rt-demo >/dev/null 2>"$tmp/hook2.err"
	if (($? != 0)) && grep -q 'fails closed' "$tmp/hook2.err"; then
		ok "plastron-hook fails when the agent cannot acknowledge"
	else
		not_ok "plastron-hook fails when the agent cannot acknowledge"
		diag "$tmp/hook2.err"
	fi
fi
# ---- the agent's log in vArmor's schema (issue 9, item 7) -------------------
# The agent restarted with --log-format varmor writing a log of its own: a
# container's seccomp, cgroup-BPF and Landlock denials, field by field.
log_plastron=$log
log=$tmp/varmor.log
agent_args_plastron=("${agent_args[@]}")
agent_args+=(--log-format varmor)
agent_start || bail "plastrond restarts with --log-format varmor"
id_v=$(cid vconf)
bundle_jq='.annotations += {"io.kubernetes.cri.container-type": "container",
	"io.kubernetes.cri.container-name": "app",
	"io.kubernetes.cri.sandbox-name": "rt-demo-5d8f7b9c4-x2x7q",
	"io.kubernetes.cri.sandbox-namespace": "default",
	"io.kubernetes.cri.image-name": "docker.io/library/busybox:1.36",
	"io.kubernetes.cri.sandbox-uid": "0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77"}' \
	run_shim "$id_v" "$tmp/vconf.out" rt-demo /probe icmp-raw metadata
expect "varmor agent" "$tmp/vconf.out" icmp-raw EPERM
expect "varmor agent" "$tmp/vconf.out" metadata EPERM
id_vl=$(cid vll)
bundle_jq=$ll_mount run_shim "$id_vl" "$tmp/vll.out" rt-landlock /probe write-shm
expect "varmor agent, rt-landlock" "$tmp/vll.out" write-shm EACCES
VKEYS='["level","time","metadata","nodeName","podUID","podName","podNamespace","containerID","containerName","image","pid","mntNsID","eventTimestamp","enforcer","action","profileName","policyKind","policyName","policyNamespace","event","message"]'
vpod=".podName == \"rt-demo-5d8f7b9c4-x2x7q\" and .podNamespace == \"default\" and
	.podUID == \"0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77\" and .containerName == \"app\" and
	.image == \"docker.io/library/busybox:1.36\""
vid=".nodeName == \"$(hostname)\" and .mntNsID > 0 and .eventTimestamp > 0 and
	.policyKind == \"VarmorPolicy\" and .policyNamespace == \"default\" and .action == \"DENIED\""
check "varmor log: the seccomp denial, vArmor's keys in order, the container's pod and image" \
	log_has "(keys_unsorted == $VKEYS) and .containerID == \"$id_v\" and .enforcer == \"Seccomp\"
		and $vpod and $vid and .profileName == \"varmor-default-rt-demo\"
		and .pid > 0 and .policyName == \"rt-demo\" and .event.syscall == \"socket\"
		and .event.comm == \"probe\" and .event.exe == \"/probe\""
check "varmor log: the cgroup-BPF connect denial, vArmor's Network event to 169.254.169.254:80" \
	log_has "(keys_unsorted == $VKEYS) and .containerID == \"$id_v\" and .enforcer == \"BPF\"
		and $vpod and $vid and .pid > 0 and .event.operation == \"Network\" and .event.type == \"connect\"
		and .event.address.ip == \"169.254.169.254\" and .event.address.port == 80"
check "varmor log: the Landlock denial, a File event on the path with its permissions" \
	log_has "(keys_unsorted == $VKEYS) and .containerID == \"$id_vl\" and .enforcer == \"Landlock\"
		and $vid and .profileName == \"varmor-default-rt-landlock\" and .policyName == \"rt-landlock\"
		and .podName == \"\" and .image == \"\"
		and .event.operation == \"File\" and .event.path == \"/dev/shm\"
		and .event.permissions == [\"create\"]"
if ! log_has ".containerID == \"$id_vl\""; then diag "$log"; fi
agent_stop TERM
log=$log_plastron
agent_args=("${agent_args_plastron[@]}")
agent_start || bail "plastrond restarts"

# ---- before the first instruction: N starts --------------------------------
# Each start is one of: denied (the probe printed "metadata: EPERM"), attack not
# denied (the probe ran and printed any other result: a security failure), or the
# container did not run (no result: the shim, the hook or runc failed, or the
# 60 s timeout hit). The last two fail separately, with the first output.
budget=${PLASTRON_FIRST_BUDGET_MS:-100000}
n=0 denied=0 succeeded=0 infra=0 t_end=$(($(now_ms) + budget))
while ((n < 200 && $(now_ms) < t_end)); do
	id=$(cid "first$n")
	run_shim "$id" "$tmp/first.out" rt-demo /probe metadata
	rc=$?
	got=$(result "$tmp/first.out" metadata)
	case $got in
	EPERM) denied=$((denied + 1)) ;;
	"")
		infra=$((infra + 1))
		if ((infra == 1)); then
			{
				echo "start $n ($id): exit status $rc$( ((rc == 124)) && echo ' (timeout)'), no result"
				cat "$tmp/first.out" "$tmp/first.out.err"
			} >"$tmp/first-infra.txt" 2>&1
		fi
		;;
	*)
		succeeded=$((succeeded + 1))
		if ((succeeded == 1)); then
			{
				echo "start $n ($id): exit status $rc, metadata: $got"
				cat "$tmp/first.out" "$tmp/first.out.err"
			} >"$tmp/first-attack.txt" 2>&1
		fi
		;;
	esac
	runc --root "$state" delete -f "$id" >/dev/null 2>&1
	n=$((n + 1))
done
if ((n > 0 && denied == n)); then
	ok "the entrypoint's first action is denied in $denied of $n container starts"
else
	not_ok "the entrypoint's first action is denied in $denied of $n container starts" \
		"($succeeded attack not denied, $infra did not run)"
fi
if ((succeeded == 0)); then
	ok "no container start let the attack through (0 of $n)"
else
	not_ok "ATTACK SUCCEEDED: the metadata connect was not denied in $succeeded of $n starts"
	diag "$tmp/first-attack.txt"
fi
if ((n > 0 && infra == 0)); then
	ok "every container ran its entrypoint ($n of $n)"
else
	not_ok "infrastructure: $infra of $n containers did not run (no result from the probe)"
	diag "$tmp/first-infra.txt"
fi
tap_done
