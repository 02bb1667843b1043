#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One size limit (issue 8, item 9): a policy file just under the largest
# size the agent accepts (PLD_POLICY_MAX, 4 MiB) is loaded and its
# confinement bundle served whole to the shim through op "profile" (read
# with pld_request_data, the shim's own reader: the bundle is attached to
# the answer's line); a file just over it is refused, with the reason in
# status. The big policy is the worst case for the answer's size: Landlock
# paths made of '"' and '\', escaped in the bundle's JSON head.
# Usage: limits.sh POLICY   (env PLASTRON, PLASTROND, AGENT_STRESS)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
policy_src=$1
max=$((4 << 20))

((EUID == 0)) || bail "agent tests run as root"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rtlim 19 || bail "temp dir"
cleanup() {
	agent_remove
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/pol" || bail "policy dir"

# padded NAME SIZE FILE: a policy named NAME of exactly SIZE bytes whose
# Landlock allow-list is N paths of '"' and '\' (plain YAML scalars, taken
# literally), the last one cut to reach the size; N is printed.
padded() {
	local name=$1 size=$2 out=$3 have seg line n last
	cat >"$out" <<EOT || return 1
apiVersion: crd.varmor.org/v1beta1
kind: VarmorPolicy
metadata:
  name: $name
  namespace: default
spec:
  target:
    kind: Pod
    name: $name
  policy:
    enforcer: Seccomp
    mode: EnhanceProtect
    enhanceProtect:
      hardeningRules:
        - disable-cap-sys-module
  plastron:
    landlock:
      filesystem:
EOT
	seg=$(printf '"\\%.0s' $(seq 1000))
	line="      - {path: /p0000$seg, access: [read]}"
	have=$(stat -c %s "$out")
	n=$(((size - have) / (${#line} + 1) - 1))
	# the last path makes up the rest (at least a few bytes: keep n so)
	for ((i = 0; i < n; i++)); do printf '      - {path: /p%04d%s, access: [read]}\n' "$i" "$seg"; done >>"$out"
	have=$(stat -c %s "$out")
	last=$((size - have - ${#line} + ${#seg} + 3))
	printf '      - {path: /q%s, access: [read]}\n' "$(printf '"%.0s' $(seq "$last"))" >>"$out"
	[[ $(stat -c %s "$out") == "$size" ]] || return 1
	echo $((n + 1))
}
n_big=$(padded rt-big $((max - 64)) "$tmp/pol/rt-big.yaml") || bail "a policy of $((max - 64)) bytes"
padded rt-over $((max + 1)) "$tmp/pol/rt-over.yaml" >/dev/null || bail "a policy of $((max + 1)) bytes"
agent_up

"$AGENT_STRESS" request "$sock" '{"op":"status"}' >"$tmp/status.json"
check "the policy of $((max - 64)) bytes is loaded" \
	jq_true '.policies | map(.name) | index("rt-big") != null' "$tmp/status.json"
check "the policy of $((max + 1)) bytes is refused as too large" \
	jq_true '.refused | map(select((.file | endswith("rt-over.yaml")) and (.error | test("larger than")))) | length == 1' \
	"$tmp/status.json"

t0=$(now_ms)
"$AGENT_STRESS" request "$sock" '{"op":"profile","annotations":{"plastron.io/policy":"rt-big"}}' \
	"$tmp/bundle" >"$tmp/profile.json" 2>"$tmp/profile.err"
ms=$(($(now_ms) - t0))
if jq_true .ok "$tmp/profile.json"; then
	ok "op profile for the largest policy is answered ok ($(stat -c %s "$tmp/bundle") bytes attached, $ms ms)"
else
	not_ok "op profile for the largest policy is answered ok: $(cat "$tmp/profile.err" "$tmp/profile.json" | cut -c1-300)"
fi
# The bundle's head (its first line), parsed: every Landlock path is in it.
head -n 1 "$tmp/bundle" >"$tmp/bundle.json" 2>/dev/null
export N_BIG=$n_big
check "the answer carries the bundle with all $n_big Landlock paths" \
	jq_true '.landlock.rules | length == (env.N_BIG | tonumber)' "$tmp/bundle.json"
# Every '"' and '\' of the paths is escaped in the head: about twice the size.
check "the bundle is over 1.9 times the policy's size (the worst case is exercised)" \
	test "$(stat -c %s "$tmp/bundle")" -gt $((19 * max / 10))
tap_done
