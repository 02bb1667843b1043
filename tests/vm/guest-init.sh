#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the qemu tier's guest (busybox sh, PID 1, unconfined): loads the
# profiles the host compiled with apparmor_parser, runs each check in a
# child that enters the profile on its next exec (/proc/self/attr/apparmor/
# exec), prints TAP between markers on the serial console, powers off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# kernel messages (the audit lines) stay off the console: dmesg reads them
echo 1 >/proc/sys/kernel/printk
# every audit line kept (the checks read them back), none rate-limited away
echo 0 >/proc/sys/kernel/printk_ratelimit
echo "hostname-file" >/etc/hostname
echo "root:x:0:0::/root:/bin/sh" >/etc/shadow
chmod 600 /etc/shadow

n=0
echo
echo "QEMU-TAP-BEGIN"
t() { # t NAME COMMAND...: one TAP case
	name=$1
	shift
	n=$((n + 1))
	if "$@" >/tmp/out 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/#   /' /tmp/out
	fi
}
# confined PROFILE CMD...: CMD in a child that execs into PROFILE; 99 when
# the profile could not be entered
confined() {
	p=$1
	shift
	(echo "exec $p" >/proc/self/attr/apparmor/exec || exit 99; exec "$@")
}
# denied PROFILE CMD...: CMD under PROFILE fails with EACCES (entering the
# profile worked: a failure to enter it is not a denial)
denied() {
	confined "$@"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 99 ] && grep -q "Permission denied" /tmp/out && return 0
	echo "exit status $rc"
	return 1
}
logged() { dmesg | grep "apparmor=\"$1\"" | grep -q "$2"; }

P=varmor-tier-qemu
t "AppArmor is an active LSM" grep -q apparmor /sys/kernel/security/lsm
t "apparmor_parser loads the enforce-mode profile" \
	apparmor_parser -r -K /profiles/enforce.aa
t "the profile is loaded" grep -q "^$P " /sys/kernel/security/apparmor/profiles
# unconfined, everything below works (else the confined results prove nothing)
t "unconfined: /bin/sh -c true runs" /bin/sh -c true
t "unconfined: cp /bin/sh /tmp/y works" /bin/busybox cp /bin/sh /tmp/y
t "unconfined: cat /etc/shadow works" /bin/busybox cat /etc/shadow
# enforce mode
t "confined: cat /etc/hostname works (the profile is not deny-all)" \
	confined $P /bin/busybox cat /etc/hostname
t "confined: the process runs under the profile" \
	confined $P /bin/busybox grep -q "^$P" /proc/self/attr/current
# The exec that enters the profile is checked against the old (unconfined)
# label, as the container's entrypoint is under runc: the rules bind the
# execs of the confined process
t "confined: exec /bin/sh from a confined process is denied (env)" \
	denied $P /bin/busybox env /bin/sh -c true
t "confined: exec /bin/sh from a confined shell is denied" \
	denied $P /bin/busybox ash -c '/bin/sh -c true'
t "confined: copying /bin/sh to /tmp/x fails (rx: reading the binary is denied)" \
	denied $P /bin/busybox cp /bin/sh /tmp/x
t "confined: ... and /tmp/x holds no copy" sh -c '! test -s /tmp/x'
t "confined: cat /etc/shadow is denied" denied $P /bin/busybox cat /etc/shadow
t "the kernel log has DENIED for /bin/sh (audit deny)" logged DENIED 'name="/bin/sh"'
t "the kernel log has DENIED for /etc/shadow" logged DENIED 'name="/etc/shadow"'
# mode switch: the same profile in audit mode, replaced live
t "apparmor_parser replaces it with the audit-mode profile" \
	apparmor_parser -r -K /profiles/audit.aa
t "audit mode: exec /bin/sh from a confined process runs" confined $P /bin/busybox env /bin/sh -c true
t "audit mode: copying /bin/sh works" confined $P /bin/busybox cp /bin/sh /tmp/x
t "audit mode: cat /etc/shadow works" confined $P /bin/busybox cat /etc/shadow
t "the kernel log has AUDIT for /bin/sh" logged AUDIT 'name="/bin/sh"'
t "the kernel log has AUDIT for /etc/shadow" logged AUDIT 'name="/etc/shadow"'

# BPF-LSM: lsm/file_open over the path automaton (tests/vm/lsm-open.c)
if [ -x /bin/lsm-open ]; then
	t "BPF-LSM is an active LSM" grep -q bpf /sys/kernel/security/lsm
	/bin/lsm-open >/tmp/lsm.out 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); echo "ok $n - bpf-lsm: ${line#* - }" ;;
		"not ok "*) n=$((n + 1)); echo "not ok $n - bpf-lsm: ${line#* - }" ;;
		"#"*) echo "$line" ;;
		"1.."*) lsm_cases=${line#1..} ;;
		*) echo "# lsm-open: $line" ;;
		esac
	done </tmp/lsm.out
	t "lsm-open ran to its end and passed (exit status $rc, ${lsm_cases:-no} cases)" \
		test "$rc" = 0 -a -n "${lsm_cases:-}"
fi
echo "1..$n"
echo "QEMU-TAP-END"
poweroff -f
