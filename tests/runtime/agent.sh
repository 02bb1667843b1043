#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# plastrond on its own: the control socket (mode 0600, uid 0 only), the
# metrics endpoint (127.0.0.1 only), log rotation with N backups, a cgroup
# attached with `plastron attach` whose sysctl writes are denied and logged,
# --log-format varmor (a connect() denial in vArmor's schema),
# and --uninstall removing every pin.
# Usage: agent.sh POLICY   (env PLASTRON, PLASTROND)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
policy_src=$1

((EUID == 0)) || bail "agent tests run as root"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rta 13 || bail "temp dir"
cgmnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
cg=$cgmnt/plastron-rta-$$
spid=
cleanup() {
	[[ -n $spid ]] && kill "$spid" 2>/dev/null
	agent_remove
	rmdir "$cg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"

if "$PLASTROND" --foreground --pin-dir "$pin" --policy-dir "$tmp/pol" --socket "$sock" \
	--metrics 0.0.0.0:"$metrics_port" --log "$log" >"$tmp/bad.log" 2>&1; then
	not_ok "--metrics on a non-loopback address is refused"
else
	grep -q '127.0.0.1' "$tmp/bad.log" && ok "--metrics on a non-loopback address is refused" ||
		not_ok "--metrics on a non-loopback address is refused"
fi
"$PLASTROND" --uninstall --pin-dir "$pin" --socket "$sock" >/dev/null 2>&1

# A small log limit so that rotation happens.
"$PLASTROND" --foreground --pin-dir "$pin" --policy-dir "$tmp/pol" --socket "$sock" \
	--log "$log" --log-max-bytes 3000 --log-backups 2 >>"$tmp/agent.log" 2>&1 &
agent_pid=$!
up=0
for i in $(seq 100); do
	"$PLASTRON" status --socket "$sock" >/dev/null 2>&1 && up=1 && break
	sleep 0.05
done
((up)) && ok "plastrond starts" || {
	diag "$tmp/agent.log"
	bail "plastrond starts"
}
check "control socket is mode 0600" test "$(stat -c %a "$sock")" = 600
if command -v setpriv >/dev/null; then
	if setpriv --reuid=65534 --regid=65534 --clear-groups "$PLASTRON" status --socket "$sock" \
		>/dev/null 2>&1; then
		not_ok "a non-root client cannot open the 0600 socket"
	else
		ok "a non-root client cannot open the 0600 socket"
	fi
	# The daemon's own SO_PEERCRED check, reached: a hard link to the socket
	# in a directory uid 65534 may enter, the socket open to everyone for
	# the time of the check. The refusal must come from plastrond itself.
	nr=$(mktemp -d /tmp/plastron-nonroot.XXXXXX) && chmod 0711 "$nr" &&
		ln "$sock" "$nr/plastrond.sock" && chmod 0666 "$sock"
	nr_out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PLASTRON" status --socket "$nr/plastrond.sock" 2>&1)
	nr_rc=$?
	chmod 0600 "$sock"
	rm -rf "$nr"
	if ((nr_rc == 1)) && [[ $nr_out == *"only uid 0 may talk to plastrond"* ]]; then
		ok "a non-root client that can open the socket is refused by plastrond (SO_PEERCRED)"
	else
		not_ok "a non-root client that can open the socket is refused by plastrond" \
			"(exit $nr_rc, want 1: $nr_out)"
	fi
	check "control socket is mode 0600 again" test "$(stat -c %a "$sock")" = 600
else
	skip "a non-root client cannot open the 0600 socket" "setpriv (util-linux) is not installed"
	skip "a non-root client is refused by plastrond" "setpriv (util-linux) is not installed"
fi

mkdir "$cg" || bail "create a test cgroup under $cgmnt"
sh -c "echo \$\$ >'$cg/cgroup.procs'; exec sleep 1000" &
spid=$!
# attach --pid takes the process's cgroup at that moment: wait until it moved
for i in $(seq 200); do
	grep -q "^0::/${cg#"$cgmnt"/}\$" "/proc/$spid/cgroup" 2>/dev/null && break
	sleep 0.05
done
check "plastron attach --pid (the process's cgroup)" \
	"$PLASTRON" attach --socket "$sock" --pid "$spid" --policy rt-demo
check "plastron attach refuses the root cgroup" bash -c \
	"! '$PLASTRON' attach --socket '$sock' --cgroup '$cgmnt' --policy rt-demo"
if cat /proc/sys/kernel/core_pattern >/proc/sys/kernel/core_pattern 2>/dev/null; then
	ok "baseline: writing core_pattern's current value works outside the cgroup"
else
	not_ok "baseline: writing core_pattern's current value works outside the cgroup"
fi
# Each write is denied (fails with EPERM), went through (a security
# failure), or failed otherwise (joining the cgroup, another errno).
denied=0 wrote=0 other=0
for i in $(seq 40); do
	# a write of the current value, from inside the attached cgroup
	if sh -c "echo \$\$ >'$cg/cgroup.procs' || exit 99
		cat /proc/sys/kernel/core_pattern >/proc/sys/kernel/core_pattern" 2>"$tmp/cp.err"; then
		wrote=$((wrote + 1))
	elif (($? != 99)) && grep -q 'Operation not permitted' "$tmp/cp.err"; then
		denied=$((denied + 1))
	else
		other=$((other + 1))
		((other == 1)) && cp "$tmp/cp.err" "$tmp/cp-other.err"
	fi
done
if ((denied == 40)); then ok "core_pattern writes from the attached cgroup are denied (40/40)"; else
	not_ok "core_pattern writes from the attached cgroup are denied ($denied/40;" \
		"$wrote WENT THROUGH, $other failed otherwise)"
	[[ -f $tmp/cp-other.err ]] && diag "$tmp/cp-other.err"
fi
for i in $(seq 200); do
	[[ -f $log.2 ]] && break
	sleep 0.05
done
sleep 0.2
n=$(cat "$log" "$log".* 2>/dev/null | wc -l)
if [[ -f $log.1 && -f $log.2 && ! -f $log.3 ]] && (($(stat -c %s "$log") <= 3000)); then
	ok "the log rotated at 3000 bytes keeping 2 backups ($n lines kept)"
else
	not_ok "the log rotated at 3000 bytes keeping 2 backups"
	ls -la "$tmp" | sed 's/^/# /'
fi
check "rotated events are JSON with the sysctl rule" bash -c \
	"jq -e -s 'map(select(.rule == \"disallow-write-core-pattern\" and .path == \"/proc/sys/kernel/core_pattern\")) | length > 0' '$log.1'"
# ---- --log-format varmor: vArmor's violation-event lines -------------------
# The agent restarted with --log-format varmor (the cgroup stays registered);
# a connect() to the metadata service from the attached cgroup, inside a
# network namespace of this test where 169.254.169.254 is on lo, is denied
# by cgroup-BPF and logged in vArmor's schema (an attached cgroup has no
# container id, pod or image: "", as vArmor writes what it does not know).
agent_stop TERM
vlog=$tmp/varmor.log
"$PLASTROND" --foreground --pin-dir "$pin" --policy-dir "$tmp/pol" --socket "$sock" \
	--log "$vlog" --log-format varmor >>"$tmp/agent.log" 2>&1 &
agent_pid=$!
up=0
for i in $(seq 100); do
	"$PLASTRON" status --socket "$sock" >/dev/null 2>&1 && up=1 && break
	sleep 0.05
done
((up)) && ok "plastrond --log-format varmor starts" || not_ok "plastrond --log-format varmor starts"
"$PLASTROND" --log-format json --help >/dev/null 2>&1
check "--log-format json is refused (status 2)" test $? -eq 2
vns=plastron-rta-$$
ip netns add "$vns" && ip -n "$vns" link set lo up && ip -n "$vns" addr add 169.254.169.254/32 dev lo
"$PLASTRON" attach --socket "$sock" --pid "$spid" --policy rt-demo >/dev/null 2>&1
sh -c "echo \$\$ >'$cg/cgroup.procs' && exec ip netns exec '$vns' bash -c 'echo >/dev/tcp/169.254.169.254/80'" \
	2>"$tmp/md.err"
check "connect() to the metadata service from the attached cgroup is denied" \
	grep -q "Operation not permitted" "$tmp/md.err"
VKEYS='["level","time","metadata","nodeName","podUID","podName","podNamespace","containerID","containerName","image","pid","mntNsID","eventTimestamp","enforcer","action","profileName","policyKind","policyName","policyNamespace","event","message"]'
vhas() {
	for i in $(seq 100); do
		jq -e -s "any(.[]; $1)" "$vlog" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
check "varmor log: the connect denial with vArmor's keys in order, BPF DENIED, the policy's identity" \
	vhas "(keys_unsorted == $VKEYS) and .enforcer == \"BPF\" and .action == \"DENIED\" and
		.nodeName == \"$(hostname)\" and .containerID == \"\" and .pid > 0 and .mntNsID > 0 and
		.profileName == \"varmor-default-rt-demo\" and .policyKind == \"VarmorPolicy\" and
		.policyName == \"rt-demo\" and .policyNamespace == \"default\" and .level == \"warn\""
check "varmor log: event is vArmor's Network connect to 169.254.169.254:80" \
	vhas '.event.operation == "Network" and .event.type == "connect" and
		.event.address.ip == "169.254.169.254" and .event.address.port == 80 and
		(.event | keys_unsorted) == ["operation","type","socket","address"]'
grep -q "169.254.169.254" "$vlog" 2>/dev/null || tail -n 3 "$vlog" 2>/dev/null | sed "s/^/# /"
ip netns del "$vns" 2>/dev/null
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=
agent_stop TERM
if "$PLASTROND" --uninstall --pin-dir "$pin" --socket "$sock" >/dev/null 2>&1 && [[ ! -e $pin ]]; then
	ok "plastrond --uninstall removes every pin"
else
	not_ok "plastrond --uninstall removes every pin"
fi
tap_done
