#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent's policy lifecycle (docs/agent.md, "Policy lifecycle"), checked
# in the kernel maps (the active table slot's rule names per policy id) and
# in `plastron status --json`:
#   - reloads are transactions: a failure forced at each step k of a
#     multi-policy file, and of a two-file batch, leaves exactly the previous
#     versions in force (plastrond-fault: $PLD_FAULT_FILE holds k);
#   - a deleted file (or a version that drops a policy) keeps the policies
#     its containers use, orphaned, until they go; the delete-then-copy
#     window stays confined;
#   - a duplicate name is refused live and after a restart alike;
#   - a file written in place that shrank is refused, a rename confirms it;
#   - the directory removed and recreated keeps live reload;
#   - the state file is 0600, events_logged survives a restart;
#   - a container only the kernel knows of keeps its orphaned policy.
# Usage: lifecycle.sh   (env PLASTRON, PLASTROND_FAULT)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

((EUID == 0)) || bail "lifecycle tests run as root"
[[ -x ${PLASTROND_FAULT:-} ]] || bail "plastrond-fault was built (-Dbpf)"
command -v bpftool >/dev/null || bail "bpftool reads the pinned maps"
PLASTROND=$PLASTROND_FAULT # same agent, with the fault hook compiled in

agent_env rtl 17 || bail "temp dir"
pol=$tmp/pol
export PLD_FAULT_FILE=$tmp/fault
echo 0 >"$PLD_FAULT_FILE"
cgmnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
cg=$cgmnt/plastron-rtl-$$
cleanup() {
	agent_remove
	rmdir "$cg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$pol" "$cg" || bail "policy dir, test cgroup"

# doc NAME RULE...: one policy (RULE: core, icmp, meta; shadow: a file rule
# no mechanism here carries; +allow: spec.plastron.allowUnenforced).
doc() {
	local name=$1 r hard=() att=() allow= proxy=
	shift
	for r in "$@"; do
		case $r in
		+proxy) proxy=1 ;;
		core) hard+=(disallow-write-core-pattern) ;;
		icmp) att+=(disable-icmp) ;;
		meta) att+=(block-access-to-metadata-service) ;;
		shadow) att+=(disable-access-shadow) ;;
		+allow) allow=1 ;;
		esac
	done
	printf -- '---\napiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\n'
	printf 'metadata: {name: %s, namespace: default}\n' "$name"
	printf 'spec:\n  target: {kind: Deployment, name: %s}\n' "$name"
	[[ -n $allow ]] && printf '  plastron: {allowUnenforced: true}\n'
	printf '  policy:\n'
	[[ -n $proxy ]] && printf '    networkProxyConfig: {proxyPort: 15001, proxyAdminPort: 15000}\n'
	printf '    enforcer: BPFSeccomp\n    mode: EnhanceProtect\n    enhanceProtect:\n'
	printf '      auditViolations: true\n'
	printf '      hardeningRules: [%s]\n' "$(IFS=,; echo "${hard[*]}")"
	printf '      attackProtectionRules: [{rules: [%s]}]\n' "$(IFS=,; echo "${att[*]}")"
}
# put FILE < content: atomic replace (write aside, rename in)
put() { cat >"$pol/.$1.tmp" && mv "$pol/.$1.tmp" "$pol/$1"; }
reloads() { grep -c "reload done" "$tmp/agent.log"; }
fails() { grep -c "fault injection: step .*(fails)" "$tmp/agent.log"; }
# wait_reloads N: until the agent has finished N reload batches
wait_reloads() {
	local i
	for i in $(seq 200); do
		(($(reloads) >= $1)) && return 0
		sleep 0.05
	done
	return 1
}
# settle: until no reload batch finished for 0.3 s (after changes that may
# take several batches)
settle() {
	local a b i
	for i in $(seq 50); do
		a=$(reloads)
		sleep 0.3
		b=$(reloads)
		((a == b)) && return 0
	done
}
status() { "$PLASTRON" status --socket "$sock" --json 2>/dev/null; }
# krules ID: rule names of the policy's active table slot, "absent" if none
krules() {
	local id=$1 v
	v=$(bpftool -j map lookup pinned "$pin/maps/policies" key $((id & 255)) $(((id >> 8) & 255)) 0 0 |
		jq -r '.formatted.value | "\(.present) \(.table)"') || return 1
	[[ ${v% *} == 1 ]] || {
		echo absent
		return 0
	}
	bpftool -j map dump pinned "$pin/maps/rule_names" | jq -r --argjson t "${v#* }" \
		'[.[] | select(.formatted.key.table == $t) | .formatted.value.name
		  | sub("disallow-write-core-pattern"; "core") | sub("disable-icmp"; "icmp")
		  | sub("block-access-to-metadata-service"; "meta")] | sort | join("+")'
}
# ids: name=id for every policy in status (also orphans)
declare -A ID
ids() {
	ID=()
	local n i
	while read -r n i; do ID[$n]=$i; done < <(status | jq -r '.policies[] | "\(.name) \(.id)"')
}
# kernel_is "pa=core pb=icmp+meta pc=absent": the maps hold exactly that
kernel_is() {
	local want got=() kv
	for kv in $1; do got+=("${kv%%=*}=$(krules "${ID[${kv%%=*}]:-0}")"); done
	want=$1
	[[ "${got[*]}" == "$want" ]] || {
		echo "# kernel: ${got[*]} (wanted $want)"
		return 1
	}
}
# status_is "pa=1 pb=2": cgroup_bpf_entries per policy (0: not listed)
status_is() {
	local s kv got=()
	s=$(status) || return 1
	for kv in $1; do
		got+=("${kv%%=*}=$(jq -r --arg n "${kv%%=*}" \
			'[.policies[] | select(.name == $n) | .cgroup_bpf_entries][0] // 0' <<<"$s")")
	done
	[[ "${got[*]}" == "$1" ]] || {
		echo "# status: ${got[*]} (wanted $1)"
		return 1
	}
}
# core_denied: a write of core_pattern from inside the test cgroup fails EPERM
core_denied() {
	sh -c "echo \$\$ >'$cg/cgroup.procs' || exit 99
		cat /proc/sys/kernel/core_pattern >/proc/sys/kernel/core_pattern" 2>"$tmp/cp.err" && return 1
	grep -q 'Operation not permitted' "$tmp/cp.err"
}

{ doc pa core; doc pb icmp; doc pc meta; } >"$pol/multi.yaml"
doc pd core >"$pol/other.yaml"
# A state file left world-readable (an older plastrond) becomes 0600.
echo '{}' >"$tmp/plastrond.state.json" && chmod 644 "$tmp/plastrond.state.json"
agent_up
check "the state file is mode 0600 (it was 0644)" test "$(stat -c %a "$tmp/plastrond.state.json")" = 600
ids
check "v1 in force (kernel)" kernel_is "pa=core pb=icmp pc=meta pd=core"
check "plastron attach a cgroup to pa" "$PLASTRON" attach --socket "$sock" --cgroup "$cg" --policy pa

# ---- 1. a multi-policy file, a failure forced at each step -------------------
v2() { doc pa core icmp; doc pb icmp meta; doc pc meta core; }
k=0 steps=0 bad=()
while ((k < 30)); do
	k=$((k + 1))
	echo "$k" >"$PLD_FAULT_FILE"
	n=$(reloads) f=$(fails)
	v2 | put multi.yaml
	wait_reloads $((n + 1)) || bail "the agent reloads multi.yaml"
	if (($(fails) == f)); then
		break # k is past the last step: v2 went in
	fi
	steps=$k
	kernel_is "pa=core pb=icmp pc=meta" || bad+=("k=$k kernel")
	status_is "pa=1 pb=2 pc=3" || bad+=("k=$k status")
	status | jq -e '.refused[] | select(.file | endswith("multi.yaml"))' >/dev/null ||
		bad+=("k=$k not refused")
done
echo 0 >"$PLD_FAULT_FILE"
note "multi.yaml: $steps steps (prepare, stage and switch each policy)"
if ((steps >= 7)) && ((${#bad[@]} == 0)); then
	ok "a failure at each of the $steps steps of a 3-policy file keeps v1 (kernel, status, refused)"
else
	not_ok "a failure at each step of a 3-policy file keeps v1 ($steps steps; ${bad[*]})"
fi
check "past the last step, v2 is in force everywhere (kernel)" kernel_is "pa=core+icmp pb=icmp+meta pc=core+meta"
check "past the last step, v2 is in status, nothing refused" \
	bash -c "$(declare -f status_is status); PLASTRON='$PLASTRON' sock='$sock' status_is 'pa=3 pb=5 pc=4' &&
		[[ \$('$PLASTRON' status --socket '$sock' --json | jq '.refused | length') == 0 ]]"

# ---- 2. a batch of two files (one inotify read), a failure at each step -----
k=0 steps=0 bad=()
while ((k < 30)); do
	k=$((k + 1))
	echo "$k" >"$PLD_FAULT_FILE"
	n=$(reloads) f=$(fails)
	kill -STOP "$agent_pid"
	{ doc pa meta; doc pb core; doc pc icmp; } | put multi.yaml
	doc pd icmp | put other.yaml
	kill -CONT "$agent_pid"
	wait_reloads $((n + 1)) || bail "the agent reloads the batch"
	sleep 0.2 # (both files are in one batch: checked below)
	if (($(fails) == f)); then
		break
	fi
	steps=$k
	kernel_is "pa=core+icmp pb=icmp+meta pc=core+meta pd=core" || bad+=("k=$k kernel")
	status_is "pa=3 pb=5 pc=4 pd=1" || bad+=("k=$k status")
done
echo 0 >"$PLD_FAULT_FILE"
note "two-file batch: $steps steps"
if ((steps >= 10)) && ((${#bad[@]} == 0)); then
	ok "a failure at each of the $steps steps of a two-file batch keeps both previous versions"
else
	not_ok "a failure at each step of a two-file batch keeps both previous versions ($steps steps; ${bad[*]})"
fi
check "then both files moved together (kernel)" kernel_is "pa=meta pb=core pc=icmp pd=icmp"
n=$(reloads)
{ doc pa core; doc pb icmp; doc pc meta; } | put multi.yaml
wait_reloads $((n + 1))

# ---- 3. delete, then copy: the container stays confined ----------------------
check "baseline: pa confines the cgroup (core_pattern write denied)" core_denied
n=$(reloads)
rm "$pol/multi.yaml"
wait_reloads $((n + 1))
check "multi.yaml deleted: pa (used by a container) stays in force (kernel)" kernel_is "pa=core pb=absent pc=absent"
check "... and still denies in the window" core_denied
check "status marks pa orphaned with 1 container; pb, pc gone" jq_true \
	'([.policies[] | select(.name == "pa" and .orphaned == true and .containers == 1)] | length == 1)
	 and ([.policies[] | select(.name == "pb" or .name == "pc")] | length == 0)' <(status)
n=$(reloads)
{ doc pa core icmp; doc pb icmp; } >"$pol/multi.yaml" # the copy (written in place)
wait_reloads $((n + 1))
check "the copy takes pa over at its new version (kernel)" kernel_is "pa=core+icmp pb=icmp"
check "pa is no longer orphaned" jq_true '[.policies[] | select(.name == "pa" and .orphaned != true)] | length == 1' <(status)
n=$(reloads)
doc pb icmp | put multi.yaml
wait_reloads $((n + 1))
check "a version without pa: pa orphaned, still in force" kernel_is "pa=core+icmp pb=icmp"
"$PLASTRON" attach --socket "$sock" --detach --cgroup "$cg" >/dev/null 2>&1
for i in $(seq 100); do
	status | jq -e '[.policies[] | select(.name == "pa")] | length == 0' >/dev/null && break
	sleep 0.05
done
check "once its container is gone the orphan is dropped (status, kernel)" kernel_is "pa=absent pb=icmp"

# ---- 4. duplicates: the file that holds a name keeps it, also after a restart
n=$(reloads)
{ doc pa core; doc pb icmp; doc pc meta; } | put multi.yaml
wait_reloads $((n + 1)) # reloads compile off the control path: pa is there once it is done
check "plastron attach the cgroup to pa again" "$PLASTRON" attach --socket "$sock" --cgroup "$cg" --policy pa
n=$(reloads)
doc pb meta | put a-dup.yaml # sorts before multi.yaml
wait_reloads $((n + 1))
ids
check "live: a-dup.yaml (defines pb again) is refused, naming multi.yaml" jq_true \
	'[.refused[] | select((.file | endswith("a-dup.yaml")) and (.error | test("multi.yaml")))] | length == 1' <(status)
check "live: pb from multi.yaml in force (kernel)" kernel_is "pb=icmp"
grep -q "a-dup.yaml refused" "$tmp/agent.log" && ok "live: the refusal is in the agent log" ||
	not_ok "live: the refusal is in the agent log"
agent_stop TERM
agent_start || bail "plastrond restarts"
ids
check "after a restart: pb still from multi.yaml (status)" jq_true \
	'[.policies[] | select(.name == "pb" and (.file | endswith("multi.yaml")))] | length == 1' <(status)
check "after a restart: a-dup.yaml refused again" jq_true \
	'[.refused[] | select(.file | endswith("a-dup.yaml"))] | length == 1' <(status)
check "after a restart: pb from multi.yaml in force (kernel)" kernel_is "pb=icmp"
rm -f "$pol/a-dup.yaml"
settle

# ---- 5. written in place and shrank: refused until renamed in ----------------
n=$(reloads)
{ doc pa core; doc pb icmp; } >"$pol/multi.yaml" # pc cut off
wait_reloads $((n + 1))
check "an in-place write that drops pc is refused (pc in force)" kernel_is "pa=core pb=icmp pc=meta"
check "... status says why" jq_true \
	'[.refused[] | select(.error | test("written in place"))] | length == 1' <(status)
n=$(reloads)
{ doc pa; doc pb icmp; doc pc meta; } >"$pol/multi.yaml" # pa lost its rule
wait_reloads $((n + 1))
check "an in-place write with fewer rules in pa is refused" kernel_is "pa=core pb=icmp pc=meta"
n=$(reloads)
{ doc pa core; doc pb icmp; } | put multi.yaml
wait_reloads $((n + 1))
check "the same content renamed in is taken (pc dropped, pa kept)" kernel_is "pa=core pb=icmp pc=absent"
n=$(reloads)
{ doc pa core icmp; doc pb icmp; } >"$pol/multi.yaml"
wait_reloads $((n + 1))
check "an in-place write that grows is taken" kernel_is "pa=core+icmp pb=icmp"

# a file renamed within the directory (one batch: removal and arrival):
# its policies move to the new name, in force throughout, same ids
ids
ida=${ID[pa]} idb=${ID[pb]}
n=$(reloads)
kill -STOP "$agent_pid"
mv "$pol/multi.yaml" "$pol/zmoved.yaml"
kill -CONT "$agent_pid"
wait_reloads $((n + 1))
ids
check "a file renamed in the directory: its policies move to it, same ids, in force" \
	bash -c "[[ '${ID[pa]}' == '$ida' && '${ID[pb]}' == '$idb' ]] && $(declare -f status) &&
		PLASTRON='$PLASTRON' sock='$sock' status | jq -e '[.policies[] | select((.name == \"pa\" or .name == \"pb\")
		 and (.file | endswith(\"zmoved.yaml\")))] | length == 2'"
check "... kernel unchanged" kernel_is "pa=core+icmp pb=icmp"
mv "$pol/zmoved.yaml" "$pol/multi.yaml"
settle

# ---- 6. the directory removed and recreated ---------------------------------
n=$(reloads)
mv "$pol" "$tmp/pol.old"
wait_reloads $((n + 1))
mkdir "$pol"
n=$(reloads)
doc pe meta | put e.yaml
for i in $(seq 100); do
	status | jq -e '[.policies[] | select(.name == "pe")] | length == 1' >/dev/null && break
	sleep 0.05
done
check "after the directory was moved away and recreated, a new file is loaded" jq_true \
	'[.policies[] | select(.name == "pe")] | length == 1' <(status)
check "pa (container) kept across it" kernel_is "pa=core+icmp"
settle
n=$(reloads)
doc pe core | put e.yaml
wait_reloads $((n + 1))
ids
check "live reload works in the recreated directory" kernel_is "pe=core"

# ---- 7. rules no mechanism here carries: refused loudly, or listed ----------
n=$(reloads)
doc pf core shadow | put f.yaml
wait_reloads $((n + 1))
msg="rule 'disable-access-shadow' is not enforced by seccomp, capabilities, Landlock or cgroup-BPF (needs AppArmor, BPF-LSM)"
check "a policy with a rule no active mechanism carries is refused (status names the rule)" jq_true \
	'([.refused[] | select((.file | endswith("f.yaml")) and (.error | contains($m)))] | length == 1)
	 and ([.policies[] | select(.name == "pf")] | length == 0)' --arg m "$msg" <(status)
grep -qF "$msg" "$tmp/agent.log" && ok "... and the log says so" || not_ok "... and the log says so"
ids
check "... nothing of it is in the kernel" kernel_is "pf=absent"
doc pf core shadow >"$tmp/f-run.yaml"
"$PLASTRON" run --policy "$tmp/f-run.yaml" -- true >/dev/null 2>"$tmp/run.err"
grep -qF "rule 'disable-access-shadow' is not enforced by seccomp, capabilities or Landlock (needs AppArmor, BPF-LSM)" "$tmp/run.err" &&
	ok "plastron run refuses the same rule in the same words" ||
	{ not_ok "plastron run refuses the same rule in the same words"; diag "$tmp/run.err"; }
n=$(reloads)
doc pf core shadow +allow | put f.yaml
wait_reloads $((n + 1))
check "with spec.plastron.allowUnenforced it loads and status lists the unenforced rule" jq_true \
	'[.policies[] | select(.name == "pf" and .unenforced == ["rule '"'disable-access-shadow'"'"])] | length == 1' <(status)
ids
check "... its enforceable rules are in the kernel" kernel_is "pf=core"

# networkProxyConfig (validated, enforced by no plastron mechanism): refused
# like every other unenforceable feature, with its file:line; accepted with
# allowUnenforced and listed
n=$(reloads)
doc pg core +proxy | put g.yaml
wait_reloads $((n + 1))
msg="networkProxyConfig is not enforced"
check "a policy with networkProxyConfig is refused by the agent (status names it)" jq_true \
	'([.refused[] | select((.file | endswith("g.yaml")) and (.error | contains($m)))] | length == 1)
	 and ([.policies[] | select(.name == "pg")] | length == 0)' --arg m "$msg" <(status)
grep -qE "g\.yaml:[0-9]+:[0-9]+: .*networkProxyConfig is not enforced" "$tmp/agent.log" &&
	ok "... and the log names its file:line" ||
	{ not_ok "... and the log names its file:line"; grep -i proxy "$tmp/agent.log" | sed 's/^/# /'; }
ids
check "... nothing of it is in the kernel" kernel_is "pg=absent"
n=$(reloads)
doc pg core +proxy +allow | put g.yaml
wait_reloads $((n + 1))
check "with allowUnenforced it loads and status lists networkProxyConfig" jq_true \
	'[.policies[] | select(.name == "pg" and (.unenforced | index("networkProxyConfig")))] | length == 1' <(status)
ids
check "... its enforceable rules are in the kernel" kernel_is "pg=core"

# ---- 8. events_logged survives a restart ------------------------------------
core_denied
for i in $(seq 100); do
	e1=$(status | jq '.counters.events_logged')
	((e1 > 0)) && break
	sleep 0.05
done
agent_stop TERM
agent_start || bail "plastrond restarts"
e2=$(status | jq '.counters.events_logged')
if ((e1 > 0 && e2 >= e1)); then ok "events_logged survives a restart ($e1 -> $e2)"; else
	not_ok "events_logged survives a restart ($e1 -> $e2)"
fi
check "the state file is still 0600" test "$(stat -c %a "$tmp/plastrond.state.json")" = 600
# pa's file went with the old directory: after a restart it is still kept
check "after a restart, the orphan pa is still listed (1 container)" jq_true \
	'[.policies[] | select(.name == "pa" and .orphaned == true and .containers == 1)] | length == 1' <(status)
check "... and still in force" kernel_is "pa=core+icmp"
check "... and still denies" core_denied
"$PLASTRON" attach --socket "$sock" --detach --cgroup "$cg" >/dev/null 2>&1
for i in $(seq 100); do
	status | jq -e '[.policies[] | select(.name == "pa")] | length == 0' >/dev/null && break
	sleep 0.05
done
check "... and dropped once its container is gone" kernel_is "pa=absent"

# ---- 9. a container the state file missed (registered just before a crash:
# the state is saved after the answer) keeps its rules when its policy's
# file went while the agent was down: the kernel's own map counts too
doc pz core | put z.yaml
settle
check "plastron attach the cgroup to pz" "$PLASTRON" attach --socket "$sock" --cgroup "$cg" --policy pz
ids
check "pz in force for the cgroup (kernel)" kernel_is "pz=core"
agent_stop KILL
jq 'del(.containers[] | select(.policy == "pz"))' "$tmp/plastrond.state.json" >"$tmp/st.json" &&
	cat "$tmp/st.json" >"$tmp/plastrond.state.json"
rm "$pol/z.yaml"
agent_start || bail "plastrond restarts"
check "pz (file gone, container only in the kernel) stays in force (kernel)" kernel_is "pz=core"
check "... and still denies" core_denied
check "... listed as an orphan" jq_true \
	'[.policies[] | select(.name == "pz" and .orphaned == true)] | length == 1' <(status)
tap_done
