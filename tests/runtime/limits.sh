#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One size limit (issue 8, item 9): a policy file just under the largest
# size the agent accepts (PLD_POLICY_MAX, 4 MiB) is loaded and served whole
# to the shim through op "profile" (read with pld_request, the shim's own
# reader); a file just over it is refused, with the reason in status.
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

# padded NAME SIZE FILE: the test policy renamed NAME, padded with comment
# lines (JSON-escaped in the answer: quotes and backslashes double) to
# exactly SIZE bytes.
padded() {
	local name=$1 size=$2 out=$3 have line
	sed "s/^  name: rt-demo\$/  name: $name/" "$policy_src" >"$out" || return 1
	line="# \"padding\" \\\\ $(printf 'x%.0s' $(seq 100))"
	have=$(stat -c %s "$out")
	# whole lines, then one last line to the exact size
	local n=$(((size - have) / (${#line} + 1) - 1))
	yes "$line" | head -n "$n" >>"$out"
	have=$(stat -c %s "$out")
	printf '#%*s\n' $((size - have - 2)) '' | tr ' ' 'y' >>"$out"
	[[ $(stat -c %s "$out") == "$size" ]]
}
padded rt-big $((max - 64)) "$tmp/pol/rt-big.yaml" || bail "a policy of $((max - 64)) bytes"
padded rt-over $((max + 1)) "$tmp/pol/rt-over.yaml" || bail "a policy of $((max + 1)) bytes"
agent_up

"$AGENT_STRESS" request "$sock" '{"op":"status"}' >"$tmp/status.json"
check "the policy of $((max - 64)) bytes is loaded" \
	jq_true '.policies | map(.name) | index("rt-big") != null' "$tmp/status.json"
check "the policy of $((max + 1)) bytes is refused as too large" \
	jq_true '.refused | map(select((.file | endswith("rt-over.yaml")) and (.error | test("larger than")))) | length == 1' \
	"$tmp/status.json"

t0=$(now_ms)
"$AGENT_STRESS" request "$sock" '{"op":"profile","annotations":{"plastron.io/policy":"rt-big"}}' \
	>"$tmp/profile.json" 2>"$tmp/profile.err"
ms=$(($(now_ms) - t0))
if jq_true .ok "$tmp/profile.json"; then
	ok "op profile for the largest policy is answered ok ($(stat -c %s "$tmp/profile.json") bytes, $ms ms)"
else
	not_ok "op profile for the largest policy is answered ok: $(cat "$tmp/profile.err" "$tmp/profile.json" | cut -c1-300)"
fi
export BIG_SIZE=$((max - 64))
check "the answer carries the whole source" \
	jq_true '.ok and .policy == "rt-big" and (.source | utf8bytelength) == (env.BIG_SIZE | tonumber)' \
	"$tmp/profile.json"
check "the served source is byte for byte the file" \
	cmp <(jq -j .source "$tmp/profile.json") "$tmp/pol/rt-big.yaml"
tap_done
