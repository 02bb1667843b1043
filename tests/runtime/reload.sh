#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Large reloads are done off the control path (docs/agent.md, "Large
# reloads"): while the agent loads a file of $RELOAD_POLICIES policies (300;
# each new to the kernel, so its programs are loaded too), containers start
# through plastron-runtime and runc, and `status` and `profile` requests are
# sent, one after the other until the reload is done. Every answer must come
# within $REQUEST_BOUND_MS (3 s; 6 s in the ASan tree) and every start
# within $START_BOUND_MS (3 s; 6 s), and afterwards every policy is in force
# (status, and the kernel's policies map). Then a SIGHUP of the same
# directory under the same requests, triggers coalesced (three SIGHUPs and a
# rename during one compile: one follow-up batch), and a new version of
# every policy renamed in: in force in the kernel's rule names. Last, the
# file deleted: status answers within the bound meanwhile, listing all of
# its policies or none, the main thread held at most $DELETE_BOUND_MS (500
# ms; 1.5 s in the ASan tree) at once, and no rule of them is left in the
# kernel's maps.
# Usage: reload.sh PROBE POLICY_YAML   (env PLASTROND, PLASTRON_RUNTIME_SHIM,
#        AGENT_STRESS, START_BOUND_MS, REQUEST_BOUND_MS, DELETE_BOUND_MS,
#        RELOAD_POLICIES)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy_src=$2
SHIM=$PLASTRON_RUNTIME_SHIM
START_BOUND_MS=${START_BOUND_MS:-3000}
REQUEST_BOUND_MS=${REQUEST_BOUND_MS:-3000}
DELETE_BOUND_MS=${DELETE_BOUND_MS:-500}
N=${RELOAD_POLICIES:-300}

((EUID == 0)) || bail "runtime tests run as root"
command -v runc >/dev/null || bail "runc is installed"
command -v bpftool >/dev/null || bail "bpftool reads the pinned maps"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

runc_env rtreload 31
agent_up

# longest_within BOUND WHAT: the last reload's longest main-thread step
# (its "reload done" line) is at most BOUND ms
longest_within() {
	local longest
	longest=$(grep "reload done" "$tmp/agent.log" | tail -n 1 |
		sed -n 's/.*longest step \([0-9]*\) ms.*/\1/p')
	if [[ -n $longest ]] && ((longest <= $1)); then
		ok "$2 ($longest ms)"
	else
		not_ok "$2 (${longest:-?} ms)"
	fi
}

# many V: $N policies in one file (V: 1 or 2, the second version swaps a rule)
many() {
	local i r
	for ((i = 0; i < N; i++)); do
		r=disable-icmp
		(((i + $1) % 2)) && r=block-access-to-metadata-service
		printf -- '---\napiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\n'
		printf 'metadata: {name: big%04d, namespace: default}\n' "$i"
		printf 'spec:\n  target: {kind: Deployment, name: big%04d}\n' "$i"
		printf '  policy:\n    enforcer: BPFSeccomp\n    mode: EnhanceProtect\n'
		printf '    enhanceProtect:\n      auditViolations: true\n'
		printf '      hardeningRules: [disallow-write-core-pattern]\n'
		printf '      attackProtectionRules: [{rules: [%s]}]\n' "$r"
	done
}
put() { cat >"$tmp/pol/.$1.tmp" && mv "$tmp/pol/.$1.tmp" "$tmp/pol/$1"; }
reloads() { grep -c "reload done" "$tmp/agent.log"; }
status() { "$AGENT_STRESS" request "$sock" '{"op":"status"}'; }

# one request: its time in ms, or "FAILED"
request_ms() {
	local t0
	t0=$(now_ms)
	timeout 30 "$AGENT_STRESS" request "$sock" "$1" >"$tmp/req.out" 2>&1 &&
		jq -e '.ok == true' "$tmp/req.out" >/dev/null || {
		echo FAILED
		return 1
	}
	echo $(($(now_ms) - t0))
}
# start_ms ID: a new bundle, one start (shim_start), its files removed
start_ms() {
	bundle "$tmp/b-$1" rt-demo /probe getpid || return 1
	shim_start "$1" || return 1
	rm -rf "$tmp/b-$1" "$tmp/$1.out" "$tmp/$1.err"
}

# under_load TAG WANT: starts, status and profile requests one after the
# other until the agent logged WANT reload batches (at most 20 minutes).
# Sets req_max, start_max, n_req, n_start, bad (a list of failures).
under_load() {
	local tag=$1 want=$2 i=0 ms deadline
	req_max=0 start_max=0 n_req=0 n_start=0 bad=()
	deadline=$(($(now_ms) + 1200000))
	while (($(reloads) < want)) && (($(now_ms) < deadline)); do
		i=$((i + 1))
		if ms=$(start_ms "rl$$-$tag-$i"); then
			((ms > start_max)) && start_max=$ms
			((ms > START_BOUND_MS)) && bad+=("start $i: $ms ms")
		else
			bad+=("start $i: $ms")
		fi
		n_start=$((n_start + 1))
		for q in '{"op":"status"}' \
			'{"op":"profile","annotations":{"plastron.io/policy":"rt-demo"},"default":""}'; do
			if ms=$(request_ms "$q"); then
				((ms > req_max)) && req_max=$ms
				((ms > REQUEST_BOUND_MS)) && bad+=("request $i: $ms ms")
			else
				bad+=("request $i: failed")
			fi
			n_req=$((n_req + 1))
		done
	done
	(($(reloads) >= want)) || bad+=("the reload did not finish in 20 minutes")
}
# report DESCRIPTION [MIN_STARTS]: the result of under_load
report() {
	note "$1: $n_start starts (max $start_max ms), $n_req requests (max $req_max ms)"
	note "$(grep "reload done" "$tmp/agent.log" | tail -n 1 | sed 's/.*reload done/reload done/')"
	if ((${#bad[@]} == 0 && n_start >= ${2:-1})); then
		ok "$1: every answer within $REQUEST_BOUND_MS ms, every start within $START_BOUND_MS ms ($n_start starts, $n_req requests during the reload)"
	else
		not_ok "$1: every answer within $REQUEST_BOUND_MS ms, every start within $START_BOUND_MS ms ($n_start starts, $n_req requests; ${bad[*]:0:8})"
	fi
}
# in_force: every policy of the status is present in the kernel's map, with its id
in_force() {
	local want=$1 ids present
	status >"$tmp/status.json" || return 1
	jq -e --argjson n "$want" '.ok and (.policies | length) == $n and (.refused | length) == 0' \
		"$tmp/status.json" >/dev/null || {
		echo "# status: $(jq -c '{n: (.policies | length), refused}' "$tmp/status.json")"
		return 1
	}
	ids=$(jq -r '[.policies[].id] | sort | join(",")' "$tmp/status.json")
	present=$(bpftool -j map dump pinned "$pin/maps/policies" |
		jq -r '[.[] | select(.formatted.value.present == 1) | .formatted.key] | sort | join(",")')
	[[ $ids == "$present" ]] || {
		echo "# kernel: ${present:0:200} (status: ${ids:0:200})"
		return 1
	}
}
# rules_of NAME: the rule names of the policy's active table slot
rules_of() {
	local id v
	id=$(jq -r --arg n "$1" '.policies[] | select(.name == $n) | .id' "$tmp/status.json")
	v=$(bpftool -j map lookup pinned "$pin/maps/policies" key $((id & 255)) $(((id >> 8) & 255)) 0 0 |
		jq -r '.formatted.value.table') || return 1
	bpftool -j map dump pinned "$pin/maps/rule_names" |
		jq -r --argjson t "$v" '[.[] | select(.formatted.key.table == $t) | .formatted.value.name] | sort | join("+")'
}

# ---- 1. a file of $N new policies renamed in -----------------------------
many 1 >"$tmp/big.v1" || bail "the policy file"
n=$(reloads)
t0=$(now_ms)
put big.yaml <"$tmp/big.v1"
under_load "new" $((n + 1))
note "$N new policies: reload done after $(($(now_ms) - t0)) ms"
report "$N new policies renamed in" 2 # (a reload of minutes: many starts)
if out=$(in_force $((N + 1))); then ok "all $((N + 1)) policies in force (status, kernel map)"; else
	not_ok "all $((N + 1)) policies in force (status, kernel map) $out"
fi
longest_within "$REQUEST_BOUND_MS" "the main thread was never held longer than $REQUEST_BOUND_MS ms at once"

# ---- 2. SIGHUP; triggers during a compile coalesce -------------------------
n=$(reloads)
kill -HUP "$agent_pid"
under_load "sighup" $((n + 1))
report "SIGHUP reload of $((N + 1)) policies"
many 2 >"$tmp/big.v2" || bail "the second version"
n=$(reloads)
kill -HUP "$agent_pid"
sleep 0.05
kill -HUP "$agent_pid"
kill -HUP "$agent_pid"
put big.yaml <"$tmp/big.v2"
under_load "coalesced" $((n + 2))
sleep 1 # a third batch would have been queued by now
note "$(grep -c "queued behind the reload in progress" "$tmp/agent.log") trigger(s) queued"
check "three SIGHUPs and a rename during one reload: one follow-up batch" test "$(reloads)" = $((n + 2))
report "coalesced reloads"
if out=$(in_force $((N + 1))); then ok "after the new version: all in force (status, kernel map)"; else
	not_ok "after the new version: all in force (status, kernel map) $out"
fi
check "the new version's rules are the kernel's (big0000, big0001)" \
	test "$(rules_of big0000)/$(rules_of big0001)" = \
	"disable-icmp+disallow-write-core-pattern/block-access-to-metadata-service+disallow-write-core-pattern"
released=$(sed -n 's/.*replaced rule sets released in \([0-9]*\) ms.*/\1/p' "$tmp/agent.log" | sort -n | tail -n 1)
if [[ -n $released ]] && ((released <= REQUEST_BOUND_MS)); then
	ok "releasing the replaced rule sets held the main thread at most $released ms"
else
	not_ok "releasing the replaced rule sets held the main thread within $REQUEST_BOUND_MS ms (${released:-?} ms)"
fi
# ---- 3. the file deleted: its policies removed, no container uses them ----
# One transaction, its kernel side done at once (one grace period and one
# read of the rule maps for all of them): status shows every policy or none
# of them, and answers within the bound meanwhile; then the kernel's maps
# hold only rt-demo's rules.
n=$(reloads)
demo=$(jq -r '.policies[] | select(.name == "rt-demo") | .id' "$tmp/status.json")
t0=$(now_ms)
rm "$tmp/pol/big.yaml"
del_max=0 del_n=0 bad=()
while (($(reloads) < n + 1)) && (($(now_ms) < t0 + 600000)); do
	t1=$(now_ms)
	if timeout 30 "$AGENT_STRESS" request "$sock" '{"op":"status"}' >"$tmp/del.json" 2>&1 &&
		k=$(jq -e '.policies | length' "$tmp/del.json"); then
		ms=$(($(now_ms) - t1))
		((ms > del_max)) && del_max=$ms
		((ms > REQUEST_BOUND_MS)) && bad+=("status $del_n: $ms ms")
		((k == N + 1 || k == 1)) || bad+=("status $del_n: $k policies")
	else
		bad+=("status $del_n: failed")
	fi
	del_n=$((del_n + 1))
done
note "$N policies deleted: reload done after $(($(now_ms) - t0)) ms, $del_n status answers (max $del_max ms)"
note "$(grep "reload done" "$tmp/agent.log" | tail -n 1 | sed 's/.*reload done/reload done/')"
if ((${#bad[@]} == 0 && $(reloads) == n + 1)); then
	ok "deleting $N policies: every status within $REQUEST_BOUND_MS ms, all or none of them listed ($del_n answers)"
else
	not_ok "deleting $N policies: every status within $REQUEST_BOUND_MS ms, all or none of them listed ($del_n answers; ${bad[*]:0:8})"
fi
longest_within "$DELETE_BOUND_MS" "deleting $N policies held the main thread at most $DELETE_BOUND_MS ms at once"
if out=$(in_force 1); then ok "after the deletion: rt-demo alone in force (status, kernel map)"; else
	not_ok "after the deletion: rt-demo alone in force (status, kernel map) $out"
fi
left=$(for m in rule_names sock_rules sysctl_rules dev_rules; do
	bpftool -j map dump pinned "$pin/maps/$m" |
		jq -r --argjson d "$demo" '.[] | select((.formatted.key.table / 2 | floor) != $d) | .formatted.key.table'
done | sort -u | head -n 5 | tr '\n' ' ')
check "no rule of a deleted policy is left in the kernel's rule maps (${left:-none})" test -z "$left"

check "nothing refused, no error in the agent's log" \
	bash -c "! grep -E ' refused: |not applied|compiling its' '$tmp/agent.log'"
tap_done
