#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `plastron run` end to end on this kernel: real policies (written here),
# real attacks (tests/probe/probe.c), the JSON events. TAP output.
set -u

P=${PLASTRON:?PLASTRON not set}
PROBE=${PROBE:?PROBE not set}
SRC=${PLASTRON_SOURCE_ROOT:?}
T=$(mktemp -d /tmp/plastron-live-XXXXXX)
chmod 755 "$T"
n=0
failed=0
listeners=()

cleanup() {
	for pid in "${listeners[@]}"; do kill "$pid" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=1
	[[ -f $T/err ]] && sed 's/^/#   stderr: /' "$T/err" | head -20
	[[ -f $T/out ]] && sed 's/^/#   stdout: /' "$T/out" | head -10
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # name, then a command that must succeed
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# run [plastron run args...] -- cmd...: stdout → $T/out, stderr → $T/err, rc → $rc
run() {
	"$P" run "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# policy FILE MODE [lines under spec.policy] [lines under spec]
policy() {
	local name
	name=$(basename "$1" .yaml)
	{
		echo "apiVersion: crd.varmor.org/v1beta1"
		echo "kind: VarmorPolicy"
		echo "metadata: {name: $name, namespace: live}"
		echo "spec:"
		echo "  target: {kind: Pod, name: live}"
		echo "  policy:"
		echo "    enforcer: ${ENFORCER:-BPFSeccomp}"
		echo "    mode: $2"
		[[ -n ${3:-} ]] && printf '%s\n' "$3"
		[[ -n ${4:-} ]] && printf '%s\n' "$4"
	} >"$1"
}

# ep FILE "rule, rule" [privileged] → EnhanceProtect, auditViolations
ep() {
	policy "$1" EnhanceProtect "    enhanceProtect:
      auditViolations: true
      privileged: ${3:-false}
      hardeningRules: [$2]"
}

# event FILE JQ-FILTER: some event satisfies the filter
event() { jq -e -s "any(.[]; $2)" "$1" >/dev/null 2>&1; }

# said FILE OP RESULT: the probe's line for OP in FILE gives RESULT
# ("OP: ok", "OP: EPERM (call: message)"; tests/probe/probe.c)
said() { grep -qE "^$2: $3( |\$)" "$1"; }

if ((EUID != 0)); then
	echo "1..0 # SKIP plastron run live tests need root (CI runs as root)"
	exit 0
fi

# ---- the built-in policy ------------------------------------------------
"$P" run --show-builtin-policy >"$T/builtin.yaml" 2>"$T/err"
check "built-in policy is examples/quickstart.yaml byte for byte" \
	cmp -s "$T/builtin.yaml" "$SRC/examples/quickstart.yaml"

# ---- exit status ----------------------------------------------------------
run -q -- sh -c 'exit 3'
check "exit status 3 passes through (got $rc)" test "$rc" -eq 3
run -q -- sh -c 'kill -TERM $$'
check "killed by SIGTERM → 143 (got $rc)" test "$rc" -eq 143
run -q -- /nonexistent/command
check "command not found → 127 (got $rc)" test "$rc" -eq 127

# ---- benign commands under every run mode --------------------------------
benign='ls / >/dev/null && cat /etc/hostname >/dev/null && echo hello >"$0/benign" && cat "$0/benign"'
for mode in as-written enforce audit observe; do
	run -q --mode "$mode" -- sh -c "$benign" "$T"
	check "built-in policy, --mode $mode: ls, cat, echo, write in /tmp work (rc $rc)" \
		eval '[[ $rc -eq 0 && $(cat "$T/out") == hello ]]'
done

# ---- benign commands under every policy mode ------------------------------
policy "$T/always.yaml" AlwaysAllow
policy "$T/rtdefault.yaml" RuntimeDefault
ep "$T/enhance.yaml" "disallow-create-user-ns, disallow-mount"
# DefenseInDepth denies by default: its custom profile is the runtime-default
# allow-list (compiled by plastron itself) without uname.
"$P" compile "$T/rtdefault.yaml" --enforcer seccomp 2>"$T/err" |
	jq -c '.syscalls |= map(.names -= ["uname"] | select(.names | length > 0))' >"$T/custom.json"
ENFORCER=Seccomp policy "$T/dind.yaml" DefenseInDepth "    defenseInDepth:
      seccomp:
        profileType: Custom
        customProfile: '$(cat "$T/custom.json")'"
for f in always rtdefault enhance dind; do
	run -q --policy "$T/$f.yaml" -- sh -c "$benign" "$T"
	check "policy mode $f: benign commands work (rc $rc)" \
		eval '[[ $rc -eq 0 && $(cat "$T/out") == hello ]]'
done
run --policy "$T/dind.yaml" -- uname
check "DefenseInDepth custom profile is applied: uname fails (rc $rc)" \
	eval '[[ $rc -ne 0 ]] && ! grep -q "error:" "$T/err"'
run -q -- uname
check "…while uname works under the built-in policy (rc $rc)" test "$rc" -eq 0

# ---- capability rules, each proven by its attack -------------------------
# privileged: true puts the rules on an AlwaysAllow base, so only the
# capability drop stands between the attack and success.
cap_case() { # rule, expected errno name, probe operation [its argument]
	# shellcheck disable=SC2034 # want and op are used inside eval
	local rule=$1 want=$2 op=$3
	shift 2
	ep "$T/cap.yaml" "$rule" true
	"$PROBE" --fail "$@" >"$T/base" 2>&1
	local base=$?
	run -q --policy "$T/cap.yaml" -- "$PROBE" --fail "$@"
	if ((base != 0)); then
		skip "$rule: $*" "the attack fails here even without the policy: $(cat "$T/base")"
		return
	fi
	check "$rule: '$*' works without the policy, fails under it ($(head -1 "$T/out"))" \
		eval '[[ $rc -eq 1 ]] && said "$T/out" "$op" "$want"'
}
touch "$T/owned"
cap_case disable-cap-net-raw EPERM icmp-raw
cap_case disable-cap-chown EPERM chown "$T/owned"
cap_case disable-cap-sys-admin EPERM uts
cap_case disallow-abuse-user-ns EPERM uts
cap_case disable-cap-all EPERM icmp-raw
cap_case disable-cap-all EPERM chown "$T/owned"
cap_case disallow-load-bpf-prog EPERM bpf

# disallow-insmod: no module support on this kernel, so compare errnos
ep "$T/insmod.yaml" "disallow-insmod" true
for sc in init-module finit-module; do
	"$PROBE" --fail "$sc" >"$T/base" 2>&1
	run -q --policy "$T/insmod.yaml" -- "$PROBE" --fail "$sc"
	check "disallow-insmod: $sc gives EPERM under the policy ($(cat "$T/out")), not '$(cat "$T/base")' " \
		eval 'said "$T/out" "$sc" EPERM && ! said "$T/base" "$sc" EPERM'
done

# ---- seccomp rules: denied and reported with rule id and syscall ---------
run -q --events "$T/ev.jsonl" -- unshare -U true
check "built-in policy: unshare -U fails (rc $rc)" test "$rc" -ne 0
check "event: DENIED, rule disallow-create-user-ns, syscall unshare, our pid" \
	event "$T/ev.jsonl" '.action == "DENIED" and .rule == "disallow-create-user-ns" and .syscall == "unshare" and .enforcer == "seccomp" and .pid > 0 and .comm == "unshare"'
run -q --events "$T/ev.jsonl" -- "$PROBE" --fail uring
check "built-in policy: io_uring_setup fails (rc $rc)" eval '[[ $rc -eq 1 ]]'
check "event: io_uring_setup DENIED by the runtime-default base" \
	event "$T/ev.jsonl" '.action == "DENIED" and .syscall == "io_uring_setup" and .rule != ""'
touch "$T/x"
run --events "$T/ev.jsonl" -- chmod +x "$T/x"
check "built-in policy: chmod +x fails" eval '[[ $rc -ne 0 && ! -x $T/x ]]'
check "event: disable-chmod-x-bit" event "$T/ev.jsonl" '.rule == "disable-chmod-x-bit"'
# (not anchored: chmod writes its message to the same stderr in pieces,
# and the summary can land between them)
check "human summary of each event on stderr with --events FILE" \
	grep -q "plastron: DENIED seccomp: fchmodat() by chmod\[[0-9]*\] (rule disable-chmod-x-bit)" "$T/err"
run -q --events - -- unshare -U true
check "--events - writes JSON lines to stdout" \
	eval 'jq -e -s "any(.[]; .rule == \"disallow-create-user-ns\")" "$T/out" >/dev/null'
# The command writes to the same stderr: its "unshare: unshare failed" and
# ": Operation not permitted" are two writes, and the event can land
# between them, so the JSON object is looked for anywhere in a line. Its
# keys are sorted (one schema with the agent's log), so it opens with
# "action" (before 2026-12-02 run wrote "time" first).
run -q -- unshare -U true
check "default: events as JSON lines on stderr" \
	eval 'grep -o "{\"action\".*}" "$T/err" | jq -e -s "any(.[]; .rule == \"disallow-create-user-ns\")" >/dev/null'
check "the command's own message is on the same stderr" grep -q "Operation not permitted" "$T/err"
# In a pid namespace the barrier's record carries another pid than fork
# returned: barriers are matched by their comm, so they still come back.
unshare -p -f --mount-proc "$P" run --events "$T/ev.jsonl" -- unshare -U true >"$T/out" 2>"$T/err"
check "in a pid namespace: the denial is reported, and the audit barriers came back" \
	eval 'event "$T/ev.jsonl" ".rule == \"disallow-create-user-ns\"" && ! grep -q "barrier records did not come back" "$T/err"'
# events of other processes are not ours
# (a concurrent run's denials are real records on the same audit stream)
(sleep 0.3; "$P" run -q --events "$T/ev-other.jsonl" -- unshare -U true 2>/dev/null) &
run -q --events "$T/ev.jsonl" -- sleep 1.5
wait
check "events of processes outside the run are not reported" \
	eval 'event "$T/ev-other.jsonl" ".syscall == \"unshare\"" && ! event "$T/ev.jsonl" ".syscall == \"unshare\""'
# a grandchild's event is ours
run -q --events "$T/ev.jsonl" -- sh -c 'sh -c "unshare -U true" ; true'
check "a grandchild's denial is reported" \
	event "$T/ev.jsonl" '.rule == "disallow-create-user-ns"'

# ---- audit mode -----------------------------------------------------------
run -q --mode audit --events "$T/ev.jsonl" -- unshare -U true
check "--mode audit: unshare -U succeeds (rc $rc)" test "$rc" -eq 0
check "--mode audit: reported as AUDIT with rule and syscall" \
	event "$T/ev.jsonl" '.action == "AUDIT" and .rule == "disallow-create-user-ns" and .syscall == "unshare"'
policy "$T/allowv.yaml" EnhanceProtect "    enhanceProtect:
      allowViolations: true
      hardeningRules: [disallow-create-user-ns]"
run -q --policy "$T/allowv.yaml" --events "$T/ev.jsonl" -- unshare -U true
check "allowViolations: unshare -U succeeds and is reported AUDIT" \
	eval '[[ $rc -eq 0 ]] && event "$T/ev.jsonl" ".action == \"AUDIT\" and .rule == \"disallow-create-user-ns\""'
# observe records allowed syscalls where the base allows by default
# (privileged: true → AlwaysAllow base, whose default becomes LOG)
ep "$T/obs.yaml" "disallow-create-user-ns" true
run -q --policy "$T/obs.yaml" --mode observe --events "$T/ev.jsonl" -- sh -c 'unshare -U true; cat /etc/hostname >/dev/null'
check "--mode observe: the attack succeeds and is reported AUDIT" \
	eval '[[ $rc -eq 0 ]] && event "$T/ev.jsonl" ".action == \"AUDIT\" and .rule == \"disallow-create-user-ns\""'
check "--mode observe: allowed syscalls are recorded once each (ALLOWED)" \
	eval 'event "$T/ev.jsonl" ".action == \"ALLOWED\" and .syscall == \"fadvise64\" and .comm == \"cat\"" &&
	      [[ $(jq -s "[.[] | select(.comm == \"cat\" and .syscall == \"openat\")] | length" "$T/ev.jsonl") -eq 1 ]]'
check "--mode observe: read/write/close/futex are let through without a record" \
	eval '! event "$T/ev.jsonl" ".comm == \"cat\" and (.syscall == \"read\" or .syscall == \"write\" or .syscall == \"close\")"'
# …and on the RuntimeDefault base (privileged: false), whose default denies:
# the allow-list itself is recorded (LOG), the rule's attack is reported
# AUDIT, the base's own denials stay (io_uring_setup), and the documented
# high-frequency calls (read, write, close, futex, …) are not recorded.
ep "$T/obs-rd.yaml" "disallow-create-user-ns"
run -q --policy "$T/obs-rd.yaml" --mode observe --events "$T/ev.jsonl" -- \
	sh -c 'unshare -U true; cat /etc/hostname >/dev/null; "$0" --fail uring; echo "rc=$?"' "$PROBE"
check "--mode observe, RuntimeDefault base: the attack succeeds and is reported AUDIT" \
	eval 'event "$T/ev.jsonl" ".action == \"AUDIT\" and .rule == \"disallow-create-user-ns\""'
check "--mode observe, RuntimeDefault base: allow-listed syscalls are recorded (ALLOWED)" \
	eval 'event "$T/ev.jsonl" ".action == \"ALLOWED\" and .syscall == \"fadvise64\" and .comm == \"cat\"" &&
	      event "$T/ev.jsonl" ".action == \"ALLOWED\" and .syscall == \"openat\" and .comm == \"cat\""'
check "--mode observe, RuntimeDefault base: read/write/close are not recorded" \
	eval '! event "$T/ev.jsonl" ".comm == \"cat\" and (.syscall == \"read\" or .syscall == \"write\" or .syscall == \"close\")"'
check "--mode observe, RuntimeDefault base: the base still denies io_uring_setup" \
	eval 'grep -q "rc=[1-9]" "$T/out" && event "$T/ev.jsonl" ".action == \"DENIED\" and .syscall == \"io_uring_setup\""'

# ---- Landlock allow-lists ---------------------------------------------------
mkdir -p "$T/ro" "$T/rw"
echo secret >"$T/secret"
echo data >"$T/ro/file"
"$PROBE" listen "$T/port-ok" &
listeners+=($!)
"$PROBE" listen "$T/port-bad" &
listeners+=($!)
for _ in $(seq 50); do [[ -s $T/port-ok && -s $T/port-bad ]] && break; sleep 0.1; done
okp=$(cat "$T/port-ok")
badp=$(cat "$T/port-bad")
probedir=$(dirname "$PROBE")
policy "$T/ll.yaml" RuntimeDefault "" "  plastron:
    landlock:
      filesystem:
      - {path: /usr, access: [read, exec]}
      - {path: /lib, access: [read, exec]}
      - {path: /lib64, access: [read, exec]}
      - {path: /bin, access: [read, exec]}
      - {path: /etc, access: [read]}
      - {path: /dev/null, access: [read_file, write_file]}
      - {path: $probedir, access: [read, exec]}
      - {path: $T/ro, access: [read]}
      - {path: $T/rw, access: [read, write]}
      network:
        connectTCP: [$okp]"
run -q --policy "$T/ll.yaml" --events "$T/ev.jsonl" -- cat "$T/secret"
check "Landlock: read outside the allowed paths fails with EACCES" \
	eval '[[ $rc -ne 0 ]] && grep -q "Permission denied" "$T/err"'
check "Landlock event: DENIED fs.read_file on the path" \
	event "$T/ev.jsonl" ".enforcer == \"landlock\" and .action == \"DENIED\" and (.blockers | contains(\"fs.read_file\")) and .path == \"$T/secret\""
run -q --policy "$T/ll.yaml" -- cat "$T/ro/file"
check "Landlock: read inside an allowed path works" eval '[[ $rc -eq 0 && $(cat "$T/out") == data ]]'
run -q --policy "$T/ll.yaml" -- sh -c 'echo x >"$0/ro/file"' "$T"
check "Landlock: write into a read-only allowed path fails with EACCES" \
	eval '[[ $rc -ne 0 ]] && grep -q "Permission denied" "$T/err" && [[ $(cat "$T/ro/file") == data ]]'
run -q --policy "$T/ll.yaml" -- sh -c 'echo x >"$0/rw/new" && cat "$0/rw/new"' "$T"
check "Landlock: write into a read-write allowed path works" eval '[[ $rc -eq 0 && $(cat "$T/out") == x ]]'
if (($(cat /sys/kernel/security/landlock/abi_version 2>/dev/null || echo 7) >= 4)); then
	run -q --policy "$T/ll.yaml" -- "$PROBE" --fail connect "$okp"
	check "Landlock: connect to the listed port $okp works" test "$rc" -eq 0
	run -q --policy "$T/ll.yaml" --events "$T/ev.jsonl" -- "$PROBE" --fail connect "$badp"
	check "Landlock: connect to unlisted port $badp fails with EACCES" \
		eval '[[ $rc -eq 1 ]] && said "$T/out" connect EACCES'
	check "Landlock event: DENIED net.connect_tcp" \
		event "$T/ev.jsonl" '.enforcer == "landlock" and .blockers == "net.connect_tcp"'
else
	skip "Landlock connect allowed" "Landlock ABI < 4"
	skip "Landlock connect denied" "Landlock ABI < 4"
	skip "Landlock net event" "Landlock ABI < 4"
fi
run -q --policy "$T/ll.yaml" --mode audit -- cat "$T/secret"
check "--mode audit: Landlock allow-lists are not applied (and said so)" \
	eval '[[ $rc -eq 0 ]]'
run --policy "$T/ll.yaml" --mode audit -- true
check "…with a note on stderr" grep -q "Landlock cannot report without denying" "$T/err"

# ---- the vArmor event format (--event-format varmor) ------------------------
# vArmor's violation-event lines (docs/agent.md "The vArmor format"): its
# top-level keys in zerolog's order, the policy's identity, and the event
# body of each enforcer.
VKEYS='["level","time","metadata","nodeName","podUID","podName","podNamespace","containerID","containerName","image","pid","mntNsID","eventTimestamp","enforcer","action","profileName","policyKind","policyName","policyNamespace","event","message"]'
mntns=$(readlink /proc/self/ns/mnt | tr -dc 0-9)
ep "$T/vuser.yaml" "disallow-create-user-ns"
run -q --policy "$T/vuser.yaml" --events "$T/ev.jsonl" --event-format varmor -- unshare -U true
check "--event-format varmor, seccomp denial: vArmor's keys in order, Seccomp DENIED, the policy's identity" \
	event "$T/ev.jsonl" "(keys_unsorted == $VKEYS) and .level == \"warn\" and .message == \"violation event\" and
		.enforcer == \"Seccomp\" and .action == \"DENIED\" and .pid > 0 and .mntNsID == $mntns and
		.nodeName == \"$(hostname)\" and .containerID == \"\" and .podUID == \"\" and .image == \"\" and
		.profileName == \"varmor-live-vuser\" and .policyKind == \"VarmorPolicy\" and
		.policyName == \"vuser\" and .policyNamespace == \"live\" and
		(.eventTimestamp | type) == \"number\" and (now - .eventTimestamp | fabs) < 120"
check "--event-format varmor, seccomp denial: event is vArmor's SeccompEvent" \
	event "$T/ev.jsonl" '(.event | keys_unsorted) == ["auditID","epoch","subj","pid","comm","exe","syscall"] and
		.event.syscall == "unshare" and .event.comm == "unshare" and .event.pid == .pid and
		.event.epoch == .eventTimestamp and (.event.auditID | test("^[0-9]+\\.[0-9]{3}:[0-9]+$"))'
run -q --policy "$T/ll.yaml" --events "$T/ev.jsonl" --event-format varmor -- cat "$T/secret"
check "--event-format varmor, Landlock denial: File event, permissions [read], the path" \
	event "$T/ev.jsonl" "(keys_unsorted == $VKEYS) and .enforcer == \"Landlock\" and .action == \"DENIED\" and
		.pid == 0 and .profileName == \"varmor-live-ll\" and .event.operation == \"File\" and
		.event.permissions == [\"read\"] and .event.path == \"$T/secret\""
if (($(cat /sys/kernel/security/landlock/abi_version 2>/dev/null || echo 7) >= 4)); then
	run -q --policy "$T/ll.yaml" --events "$T/ev.jsonl" --event-format varmor -- "$PROBE" --fail connect "$badp"
	check "--event-format varmor, Landlock connect denial: Network connect to 127.0.0.1:$badp" \
		event "$T/ev.jsonl" "(keys_unsorted == $VKEYS) and .enforcer == \"Landlock\" and .action == \"DENIED\" and
			.event.operation == \"Network\" and .event.type == \"connect\" and
			.event.address.ip == \"127.0.0.1\" and .event.address.port == $badp and
			.event.socket == {\"operation\":\"\",\"domain\":\"\",\"type\":\"\",\"protocol\":\"\"}"
else
	skip "--event-format varmor, Landlock connect denial" "Landlock ABI < 4"
fi
run -q --policy "$T/vuser.yaml" --events "$T/ev.jsonl" -- unshare -U true
check "plastron format: the policy's kind and namespace" \
	event "$T/ev.jsonl" '.policy == "vuser" and .policy_kind == "VarmorPolicy" and .policy_namespace == "live" and (has("image") | not)'
run -q --event-format json -- true
check "--event-format json: a usage error (rc $rc)" eval '[[ $rc -eq 2 ]] && grep -q "unknown event format" "$T/err"'

# ---- never half-applied ----------------------------------------------------
# An outer run whose filter refuses landlock_restrict_self (the runtime-default
# allow-list without it): the inner run
# prepares its ruleset, its child cannot apply it and must not exec.
jq -c '.syscalls |= map(.names -= ["landlock_restrict_self"] | select(.names | length > 0))' \
	"$T/custom.json" >"$T/nolandlock.json"
ENFORCER=Seccomp policy "$T/nolandlock.yaml" DefenseInDepth "    defenseInDepth:
      seccomp:
        profileType: Custom
        customProfile: '$(cat "$T/nolandlock.json")'"
rm -f "$T/rw/marker"
run -q --policy "$T/nolandlock.yaml" -- "$P" run -q --policy "$T/ll.yaml" -- touch "$T/rw/marker"
check "a layer that fails to apply: exit 127, the command never runs (rc $rc)" \
	eval '[[ $rc -eq 127 && ! -e $T/rw/marker ]] && grep -q "cannot confine the command" "$T/err"'

# ---- refusing what cannot be enforced -------------------------------------
policy "$T/unenf.yaml" EnhanceProtect "    enhanceProtect:
      hardeningRules: [disallow-create-user-ns]
      attackProtectionRules:
      - rules: [disable-write-etc]"
rm -f "$T/marker"
run --policy "$T/unenf.yaml" -- touch "$T/marker"
check "unenforceable rule: run refuses with exit 1 (rc $rc), nothing runs" \
	eval '[[ $rc -eq 1 && ! -e $T/marker ]]'
check "…naming the rule and what could carry it" \
	eval 'grep -q "disable-write-etc" "$T/err" && grep -q "AppArmor" "$T/err" && grep -q "refusing to run" "$T/err"'
run --policy "$T/unenf.yaml" --allow-unenforced -- touch "$T/marker"
check "--allow-unenforced: runs (rc $rc)" eval '[[ $rc -eq 0 && -e $T/marker ]]'
check "…and lists the skipped rule, one line" \
	eval '[[ $(grep -c "disable-write-etc" "$T/err") -eq 1 ]]'
# NetworkProxy sections are validated, never enforced: refused like the rest
policy "$T/np.yaml" AlwaysAllow "    networkProxyConfig:
      proxyPort: 15001"
rm -f "$T/marker"
run --policy "$T/np.yaml" -- touch "$T/marker"
check "networkProxyConfig: run refuses with exit 1 (rc $rc), nothing runs" \
	eval '[[ $rc -eq 1 && ! -e $T/marker ]] && grep -q "networkProxyConfig is not enforced" "$T/err"'
run --policy "$T/np.yaml" --allow-unenforced -- touch "$T/marker"
check "…runs with --allow-unenforced (rc $rc)" eval '[[ $rc -eq 0 && -e $T/marker ]]'

# ---- invalid policies run nothing ---------------------------------------
rm -f "$T/marker"
ep "$T/bad.yaml" "disallow-mount-procf"
run --policy "$T/bad.yaml" -- touch "$T/marker"
check "invalid policy: exit 1, nothing runs (rc $rc)" eval '[[ $rc -eq 1 && ! -e $T/marker ]]'
check "…with file:line:col" grep -q "bad.yaml:[0-9]*:[0-9]*: error" "$T/err"
run --policy "$T/does-not-exist.yaml" -- touch "$T/marker"
# one exit-status mapping for every verb: a file that cannot be opened is a
# system error (3), as for `plastron check` (was 1 here before issue 7)
check "missing policy file: exit 3, nothing runs (rc $rc)" eval '[[ $rc -eq 3 && ! -e $T/marker ]]'
run --mode bogus -- true
check "unknown --mode: usage error 2" test "$rc" -eq 2

echo "1..$n"
exit $failed
