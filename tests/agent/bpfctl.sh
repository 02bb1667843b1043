#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# plastron-bpfctl end to end, as root: install on a test cgroup, load a YAML
# policy (real catalog rules), register a child cgroup, check a sysctl write
# is refused inside and not outside, events carry the rule id, the live mode
# switch, counters, detach and uninstall. Prints TAP.
#   bpfctl.sh PLASTRON-BPFCTL POLICY.yaml
set -u
BPFCTL=$1
POLICY=$2
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { # check NAME CMD...: passes when CMD succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
finish() { echo "1..$n"; exit $failed; }

if [ "$(id -u)" != 0 ]; then
	n=1
	echo "ok 1 - plastron-bpfctl # SKIP needs root (cgroup-BPF, cgroup v2, bpffs)"
	finish
fi
CG2=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
if [ -z "$CG2" ]; then
	n=1
	echo "ok 1 - plastron-bpfctl # SKIP no cgroup v2 mount"
	finish
fi
PIN=/sys/fs/bpf/plastron-bpfctl-test-$$
CG=$CG2/plastron-bpfctl-test-$$
OUT=$(mktemp -d /tmp/plastron-bpfctl-XXXXXX)
cleanup() {
	"$BPFCTL" --pin-dir "$PIN" uninstall >/dev/null 2>&1
	rmdir "$CG/in" "$CG/out" "$CG" 2>/dev/null
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
mkdir -p "$CG/in" "$CG/out" || { nok "create test cgroups"; finish; }

# Write core_pattern's current value back from inside cgroup $1 (with cat:
# its error names the errno, the shell's says only "I/O error").
write_core() {
	sh -c 'echo 0 > "$1/cgroup.procs" && v=$(cat /proc/sys/kernel/core_pattern) &&
	       printf "%s\n" "$v" | cat > /proc/sys/kernel/core_pattern' sh "$1" 2>"$OUT/err"
}
# The write from inside cgroup $1 is refused with EPERM (not failing otherwise).
core_refused() {
	! write_core "$1" && grep -q 'Operation not permitted' "$OUT/err"
}

check "install" sh -c '"$1" --pin-dir "$2" install --ringbuf 4096 >"$3/install"' \
	sh "$BPFCTL" "$PIN" "$OUT"
check "install pins the maps" grep -q "installed: maps pinned under $PIN" "$OUT/install"
check "second install refused" sh -c '! "$1" --pin-dir "$2" install 2>/dev/null' \
	sh "$BPFCTL" "$PIN"
"$BPFCTL" dump "$POLICY" >"$OUT/dump" 2>"$OUT/dump.err"
check "dump: metadata service deny+log" grep -q "169.254.169.254/32 -> all:deny+log" "$OUT/dump"
check "dump: raw port range" grep -q "10.30.0.0/16 -> 8000-8100:deny+log" "$OUT/dump"
check "dump: sysctl rule" grep -q "kernel/core_pattern -> deny+log" "$OUT/dump"
check "dump: unix family carried by seccomp (stderr note)" \
	grep -q "sockets\[0\]: socket families unix: .*carried by seccomp" "$OUT/dump.err"
check "attach-cgroup" sh -c '"$1" --pin-dir "$2" attach-cgroup "$3" "$4" --id 3 >"$5/attach" 2>&1' \
	sh "$BPFCTL" "$PIN" "$CG/in" "$POLICY" "$OUT"
check "attach-cgroup reports the cgroup id" grep -q "(id [0-9]*) -> policy 3" "$OUT/attach"
"$BPFCTL" --pin-dir "$PIN" status >"$OUT/status"
check "status: 7 links for the one registered cgroup + the device link at the root" \
	grep -q "^links: 8 of 8$" "$OUT/status"
check "outside: core_pattern write (same value) works" write_core "$CG/out"
check "inside: core_pattern write refused" core_refused "$CG/in"
"$BPFCTL" --pin-dir "$PIN" events --timeout 1000 --count 1 >"$OUT/events"
check "event names the rule" \
	grep -q "DENIED sysctl rule=disallow-write-core-pattern policy=3 .*write kernel/core_pattern" \
	"$OUT/events"
check "mode audit" "$BPFCTL" --pin-dir "$PIN" mode 3 audit
check "audit mode: write works inside" write_core "$CG/in"
"$BPFCTL" --pin-dir "$PIN" events --timeout 1000 --count 1 >"$OUT/events"
check "audit mode: AUDIT event" grep -q "AUDIT sysctl rule=disallow-write-core-pattern" \
	"$OUT/events"
check "mode as-written" "$BPFCTL" --pin-dir "$PIN" mode 3 as-written
check "as written again: refused" core_refused "$CG/in"
check "unknown mode is a usage error" sh -c '"$1" --pin-dir "$2" mode 3 bogus 2>/dev/null; [ $? = 2 ]' \
	sh "$BPFCTL" "$PIN"
"$BPFCTL" --pin-dir "$PIN" counters >"$OUT/counters"
check "counters: matched and denied" grep -Eq "matched=[1-9][0-9]* denied=[1-9]" "$OUT/counters"
check "detach-cgroup" "$BPFCTL" --pin-dir "$PIN" detach-cgroup "$CG/in"
check "detached: write works" write_core "$CG/in"
check "uninstall" "$BPFCTL" --pin-dir "$PIN" uninstall
check "pins removed" test ! -e "$PIN"
check "status after uninstall fails" sh -c '! "$1" --pin-dir "$2" status 2>/dev/null' sh \
	"$BPFCTL" "$PIN"
finish
