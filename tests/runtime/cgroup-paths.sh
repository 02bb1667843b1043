#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Canonical cgroup paths (issue 8, item 7): every spelling of the cgroup v2
# root ("//", "/./", "/x/..", "///", "", the mount with a trailing slash,
# "..") is refused by attach and detach, so no request can put the whole host
# under a policy; spellings of a real cgroup are registered under its one
# canonical path. An attack that got through is undone at once (detach by
# cgroup id), so a failing run does not leave the host confined.
# Usage: cgroup-paths.sh POLICY   (env PLASTRON, PLASTROND, AGENT_STRESS)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
policy_src=$1

((EUID == 0)) || bail "agent tests run as root"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rtcg 17 || bail "temp dir"
cgmnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
name=plastron-rtcg-$$
cg=$cgmnt/$name
cleanup() {
	agent_remove
	rmdir "$cg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"
mkdir "$cg" || bail "create a test cgroup under $cgmnt"
agent_up

req() { "$AGENT_STRESS" request "$sock" "$1"; }
root_id=$(stat -c %i "$cgmnt")

# attach_refused SPELLING: the attach is answered ok:false and nothing is
# registered; an accepted attack is detached again by its cgroup id.
attach_refused() {
	local spelling=$1 ans id
	ans=$(req "$(jq -cn --arg c "$spelling" '{op: "attach", cgroup: $c, policy: "rt-demo"}')")
	id=$(jq -r '.cgroup_id // empty' <<<"$ans")
	if [[ -n $id ]]; then
		req "{\"op\":\"detach\",\"cgroup_id\":$id}" >/dev/null
		not_ok "attach cgroup '$spelling' is refused (REGISTERED cgroup id $id; root is $root_id)"
		return
	fi
	if jq -e '.ok == false and (.error | length > 0)' <<<"$ans" >/dev/null; then
		ok "attach cgroup '$spelling' is refused: $(jq -r .error <<<"$ans")"
	else
		not_ok "attach cgroup '$spelling' is refused (answer: $ans)"
	fi
}

for s in "//" "/./" "///" "" "/$name/.." "//$name/../" "/./$name/../." "$cgmnt/" "$cgmnt//" \
	"$cgmnt/$name/.." "$cgmnt/." ".." "../.." "/.." "$cgmnt/.." "/proc/self" "/sys/fs/bpf"; do
	attach_refused "$s"
done
check "status lists no container after the refused spellings" \
	jq_true '.containers | length == 0' <(req '{"op":"status"}')

# detach takes the same paths: the root cannot be named there either
ans=$(req '{"op":"detach","cgroup":"//"}')
check "detach cgroup '//' is refused with the root-cgroup reason" \
	jq_true '.ok == false and (.error | test("root cgroup"))' <(echo "$ans")

# a real cgroup, spelled oddly, is registered once under its canonical path
ans=$(req "$(jq -cn --arg c "//$name/./" '{op: "attach", cgroup: $c, policy: "rt-demo"}')")
export CGNAME=/$name CGID
CGID=$(stat -c %i "$cg")
check "attach '//$name/./' registers /$name with its id" \
	jq_true '.ok and .cgroup == env.CGNAME and .cgroup_id == (env.CGID | tonumber)' <(echo "$ans")
check "status shows the canonical path" \
	jq_true '[.containers[].cgroup] == [env.CGNAME]' <(req '{"op":"status"}')
ans=$(req "$(jq -cn --arg c "$cgmnt//$name//" '{op: "detach", cgroup: $c}')")
check "detach '$cgmnt//$name//' finds it" jq_true '.ok' <(echo "$ans")
check "nothing is registered at the end" \
	jq_true '.containers | length == 0' <(req '{"op":"status"}')
tap_done
