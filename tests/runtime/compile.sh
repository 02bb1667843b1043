#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent's seccomp compile (src/daemon/compile.c, docs/design.md decision
# 33): libseccomp runs in a child under a deadline, so a filter it loops on
# or crashes on refuses its policy, loudly, and the agent goes on.
#   - plastrond-fault with $PLD_FAULT_MODEL_OFF compiles as with a
#     libseccomp whose faults the builder does not model, so 2.5.4 gets a
#     rule order it loops forever on (chmod {a1>2, a2<=8} then {a1>2,
#     a3!=4}); with --compile-timeout 3 the policy is refused within the
#     deadline, status keeps answering, the other policies keep loading and
#     no compile process is left; the looping child holds only its memfd
#     and pipe and has oom_score_adj 1000;
#   - $PLD_FAULT_COMPILE_CRASH: a compile that dies refuses its policy and
#     the agent lives;
#   - the production agent refuses the same policy from its model of
#     libseccomp 2.5's faults, before compiling;
#   - the bundle is compiled with the version: status names its hash before
#     any container started.
# Usage: compile.sh   (env PLASTRON, PLASTROND, PLASTROND_FAULT)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

((EUID == 0)) || bail "the agent runs as root"
[[ -x ${PLASTROND_FAULT:-} ]] || bail "plastrond-fault was built (-Dbpf)"
PLASTROND_PROD=$PLASTROND

agent_env rtc 23 || bail "temp dir"
pol=$tmp/pol
cleanup() {
	agent_remove
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$pol" || bail "policy dir"

# doc NAME [hang]: a policy; "hang" adds the two chmod rules.
doc() {
	printf -- 'apiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\n'
	printf 'metadata: {name: %s, namespace: default}\n' "$1"
	printf 'spec:\n  target: {kind: Deployment, name: %s}\n' "$1"
	printf '  policy:\n    enforcer: BPFSeccomp\n    mode: EnhanceProtect\n'
	printf '    enhanceProtect:\n      hardeningRules: [disallow-write-core-pattern]\n'
	[[ ${2:-} == hang ]] || return 0
	printf '      syscallRawRules:\n'
	printf '      - names: [chmod]\n        action: SCMP_ACT_ERRNO\n        args:\n'
	printf '        - {index: 1, value: 2, op: SCMP_CMP_GT}\n'
	printf '        - {index: 2, value: 8, op: SCMP_CMP_LE}\n'
	printf '      - names: [chmod]\n        action: SCMP_ACT_ERRNO\n        args:\n'
	printf '        - {index: 1, value: 2, op: SCMP_CMP_GT}\n'
	printf '        - {index: 3, value: 4, op: SCMP_CMP_NE}\n'
}
put() { cat >"$pol/.$1.tmp" && mv "$pol/.$1.tmp" "$pol/$1"; }
status() { "$PLASTRON" status --socket "$sock" --json 2>/dev/null; }
# refused_with FILE TEXT: status lists FILE as refused, its error has TEXT
refused_with() {
	local i
	for i in $(seq 200); do
		status | jq -e --arg f "$pol/$1" --arg t "$2" \
			'.refused | map(select(.file == $f and (.error | contains($t)))) | length == 1' \
			>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
loaded() {
	local i
	for i in $(seq 200); do
		status | jq -e --arg n "$1" '.policies | map(select(.name == $n)) | length == 1' \
			>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# compile children of the agent still alive
children() { pgrep -P "$agent_pid" | wc -l; }
# same DESCRIPTION GOT WANT
same() { [[ $2 == "$3" ]] && ok "$1" || not_ok "$1 (got '$2', want '$3')"; }
has_hash() {
	status | jq -e --arg n "$1" '.policies[] | select(.name == $n)
		| (.hash | startswith("sha256:")) and (.version | length == 16)' >/dev/null
}
fail_diag() { diag "$tmp/agent.log"; }

# 1. A compile libseccomp never finishes.
PLASTROND=$PLASTROND_FAULT
agent_args=(--compile-timeout 3)
doc good | put good.yaml
export PLD_FAULT_MODEL_OFF=1
agent_up
check "a policy loads under the fault agent" loaded good
check "the bundle is compiled with the version: status names its hash before any start" \
	has_hash good
t0=$(now_ms)
doc hang hang | put hang.yaml
# status keeps answering while the compile loops
slow=0
for i in $(seq 10); do
	s0=$(now_ms)
	status >/dev/null || slow=$((slow + 1000))
	(($(now_ms) - s0 > 500)) && slow=$((slow + 1))
	sleep 0.05
done
same "status answers within 0.5 s while libseccomp loops" "$slow" 0
# the looping child: only its memfd and pipe besides stdio, first to go
kid=$(pgrep -P "$agent_pid" | head -n 1)
if [[ -n $kid ]]; then
	nfd=$(ls "/proc/$kid/fd" 2>/dev/null | wc -l)
	((nfd <= 5)) && ok "the compile child holds none of the agent's descriptors ($nfd open)" ||
		not_ok "the compile child holds none of the agent's descriptors ($nfd open: $(ls -l "/proc/$kid/fd" | tr '\n' ' '))"
	same "the compile child is the first to go under memory pressure" \
		"$(cat "/proc/$kid/oom_score_adj" 2>/dev/null)" 1000
else
	not_ok "a compile child runs while libseccomp loops"
fi
if refused_with hang.yaml "did not finish compiling its seccomp filter within 3000 ms"; then
	ok "the looping compile refuses its policy, naming the deadline"
else
	not_ok "the looping compile refuses its policy, naming the deadline"
	fail_diag
fi
dt=$(($(now_ms) - t0))
((dt < 9000)) && ok "refused within the deadline and a margin (${dt} ms)" ||
	not_ok "refused within the deadline and a margin (${dt} ms)"
check "the refusal is in the agent's log, with the file" \
	grep -q "hang.yaml.*did not finish compiling" "$tmp/agent.log"
same "no compile process is left" "$(children)" 0
check "the refused policy is not in force" \
	jq_true '.policies | map(select(.name == "hang")) | length == 0' <(status)
doc after | put after.yaml
check "the next file loads after the refusal" loaded after
agent_stop TERM
unset PLD_FAULT_MODEL_OFF

# 2. A compile that dies (the filter cache is per process: a restart compiles).
rm -f "$pol/hang.yaml" "$pol/after.yaml"
export PLD_FAULT_COMPILE_CRASH=1
agent_start || bail "the fault agent restarts"
if refused_with good.yaml "libseccomp crashed compiling its seccomp filter"; then
	ok "a compile that crashes refuses its policy"
else
	not_ok "a compile that crashes refuses its policy"
	fail_diag
fi
check "the agent lives on" status
same "no compile process is left after the crash" "$(children)" 0
agent_stop TERM
unset PLD_FAULT_COMPILE_CRASH
"$PLASTROND" --uninstall --pin-dir "$pin" --socket "$sock" >/dev/null 2>&1

# 3. The production agent's builder sees the same shape coming (decision 29)
# and refuses it before libseccomp is called.
PLASTROND=$PLASTROND_PROD
agent_args=()
doc hang hang | put hang.yaml
agent_start || bail "plastrond starts"
check "the production agent refuses the looping shape before compiling it" \
	refused_with hang.yaml "seccomp_rule_add would never return"
check "and loads the other policy" loaded good

tap_done
