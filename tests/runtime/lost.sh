#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every lost event counted (issue 8, item 10), on the audit path that carries
# seccomp and Landlock records:
# - a reader stall: the agent is stopped (SIGSTOP) while N audit records are
#   written; what it then reads plus what status counts as lost
#   (lost."seccomp|landlock".audit_socket_overflow, the socket's exact drop
#   count, and audit_kernel) accounts for all N;
# - downtime: the agent is killed (SIGKILL), N records are written, the agent
#   is restarted; status counts at least N under agent_down (audit serials
#   never read), and the earlier losses are still counted (kept across the
#   restart in <state>.audit);
# - the metrics endpoint shows the same counts.
# The records come from a seccomp filter that logs getppid() (agent-stress
# auditlog): any process's records reach the agent's audit socket.
# Usage: lost.sh POLICY   (env PLASTRON, PLASTROND, AGENT_STRESS)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
policy_src=$1
N=60000 DOWN=5000

((EUID == 0)) || bail "agent tests run as root"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"
grep -qw log /proc/sys/kernel/seccomp/actions_logged ||
	bail "seccomp logs RET_LOG (kernel.seccomp.actions_logged has 'log')"

agent_env rtlost 23 || bail "temp dir"
cleanup() {
	[[ -n ${agent_pid:-} ]] && kill -CONT "$agent_pid" 2>/dev/null
	agent_remove
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"
agent_up
status() { "$AGENT_STRESS" request "$sock" '{"op":"status"}'; }
# field FILTER: one number from status
field() { status | jq -r "$1"; }
status >"$tmp/s0.json"
if jq -e '.lost."seccomp|landlock" and .audit_records != null' "$tmp/s0.json" >/dev/null; then
	ok "status has lost counts by enforcer and the records read"
else
	not_ok "status has lost counts by enforcer and the records read"
	diag "$tmp/s0.json"
fi

# ---- reader stall --------------------------------------------------------
kill -STOP "$agent_pid"
"$AGENT_STRESS" auditlog "$N" || not_ok "agent-stress auditlog $N"
sleep 1 # kauditd hands the last records over
kill -CONT "$agent_pid"
for i in $(seq 100); do
	status >"$tmp/s1.json" && break
	sleep 0.05
done
sleep 1 # the agent drains its queue
status >"$tmp/s1.json"
read -r r0 sock0 kern0 < <(jq -r '[.audit_records, .lost."seccomp|landlock".audit_socket_overflow, .lost."seccomp|landlock".audit_kernel] | @tsv' "$tmp/s0.json")
read -r r1 sock1 kern1 total1 < <(jq -r '[.audit_records, .lost."seccomp|landlock".audit_socket_overflow, .lost."seccomp|landlock".audit_kernel, .counters.audit_lost] | @tsv' "$tmp/s1.json")
read_n=$((r1 - r0)) lost_n=$((sock1 - sock0 + kern1 - kern0))
note "stall: $N records written, $read_n read, $((sock1 - sock0)) dropped at the socket, $((kern1 - kern0)) lost in the kernel"
if ((sock1 > sock0)); then ok "records dropped at the stalled socket are counted ($((sock1 - sock0)))"; else
	not_ok "records dropped at the stalled socket are counted (got $sock0 -> $sock1)"
fi
if ((read_n + lost_n >= N)); then
	ok "read + counted lost covers all $N records ($read_n + $lost_n)"
else
	not_ok "read + counted lost covers all $N records ($read_n + $lost_n: $((N - read_n - lost_n)) lost uncounted)"
fi
check "counters.audit_lost is the audit-path total" test "${total1:-0}" -ge "$lost_n"
curl -s --max-time 5 "http://127.0.0.1:$metrics_port/metrics" >"$tmp/metrics.txt"
got=$(sed -n 's/^plastron_events_lost_total{enforcer="seccomp|landlock",cause="audit_socket_overflow"} //p' "$tmp/metrics.txt")
check "metrics: plastron_events_lost_total{enforcer=\"seccomp|landlock\",cause=\"audit_socket_overflow\"} >= $sock1" \
	test "${got:-0}" -ge "$sock1"
check "metrics: the cgroup-bpf ring-buffer losses are listed too" \
	grep -q '^plastron_events_lost_total{enforcer="cgroup-bpf",cause="ringbuf_full"} [0-9]' "$tmp/metrics.txt"

# ---- downtime -------------------------------------------------------------
down0=$(jq -r '.lost."seccomp|landlock".agent_down // 0' "$tmp/s1.json")
agent_stop KILL
"$AGENT_STRESS" auditlog "$DOWN" || not_ok "agent-stress auditlog $DOWN"
agent_start || bail "plastrond restarts"
"$AGENT_STRESS" auditlog 1 # a record after the restart shows the serials skipped
for i in $(seq 100); do
	status >"$tmp/s2.json"
	(($(jq -r '.lost."seccomp|landlock".agent_down // 0' "$tmp/s2.json") - down0 >= DOWN)) && break
	sleep 0.05
done
down1=$(jq -r '.lost."seccomp|landlock".agent_down // 0' "$tmp/s2.json")
note "downtime: $DOWN records written while the agent was down; agent_down $down0 -> $down1"
if ((down1 - down0 >= DOWN)); then ok "records written while the agent was down are counted ($((down1 - down0)) >= $DOWN)"; else
	not_ok "records written while the agent was down are counted ($((down1 - down0)) < $DOWN)"
fi
if ((down1 - down0 < DOWN + (sock1 - sock0) / 2)); then
	ok "the stalled socket's drops are not counted again as downtime"
else
	not_ok "the stalled socket's drops are not counted again as downtime ($((down1 - down0)))"
fi
sock2=$(jq -r '.lost."seccomp|landlock".audit_socket_overflow' "$tmp/s2.json")
check "losses counted before the restart are kept ($sock2 >= $sock1)" test "$sock2" -ge "$sock1"
tap_done
