#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The qemu tier: this kernel cannot load AppArmor or BPF-LSM programs, so
# what plastron generates for them is enforced in a guest. Debian's
# linux-image-amd64 boots under qemu TCG (never KVM) with
# lsm=...,apparmor,bpf from an initramfs built here: busybox-static,
# apparmor_parser with its libraries and includes, the AppArmor profiles
# compiled on this host, the static BPF-LSM test (lsm-open.c) when the BPF
# programs are built, and guest-init.sh as /init. The guest prints TAP
# between markers; its cases are passed through, numbered after the
# host's own.
# Usage: run.sh POLICY.yaml GUEST-INIT.sh [LSM-OPEN]
set -uo pipefail
source "$(dirname "$0")/../lib/tap.sh"
policy=$1 init=$2 lsm_open=${3:-}
: "${PLASTRON:?}"

kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
qemu=$(command -v qemu-system-x86_64 || true)
parser=$(command -v apparmor_parser || true)
busybox=/bin/busybox
if [[ -z $qemu || -z $kernel || -z $parser ]] || ldd "$busybox" >/dev/null 2>&1; then
	skip "qemu tier (AppArmor and BPF-LSM in a guest)" \
		"needs qemu-system-x86_64, /boot/vmlinuz-*-amd64 (linux-image-amd64), apparmor_parser and busybox-static (scripts/deps installs them)"
	tap_done
fi

tmp=$(mktemp -d /tmp/plastron-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

for m in enforce audit; do
	if "$PLASTRON" compile "$policy" --enforcer apparmor --mode "$m" >"$tmp/$m.aa" 2>"$tmp/$m.err"; then
		ok "plastron compile --enforcer apparmor --mode $m"
	else
		not_ok "plastron compile --enforcer apparmor --mode $m"
		diag "$tmp/$m.err"
		tap_done
	fi
done

# the initramfs
mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc/apparmor,profiles,root}
cp "$busybox" "$root/bin/busybox"
# /bin/sh is a file of its own, not a symlink: AppArmor matches the
# resolved path, and the profile's rule is /**/sh
cp "$busybox" "$root/bin/sh"
for a in mount umount cat cp echo grep sed test dmesg poweroff mkdir chmod ls; do
	ln -s busybox "$root/bin/$a"
done
cp "$parser" "$root/bin/apparmor_parser"
ldd "$parser" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
[[ -f /etc/apparmor/parser.conf ]] && cp /etc/apparmor/parser.conf "$root/etc/apparmor/"
# parser.conf pins the feature ABI to Debian's file
if [[ -f /usr/share/apparmor-features/features ]]; then
	mkdir -p "$root/usr/share/apparmor-features"
	cp /usr/share/apparmor-features/features "$root/usr/share/apparmor-features/"
fi
mkdir -p "$root/etc/apparmor.d"
cp -r /etc/apparmor.d/abi /etc/apparmor.d/tunables /etc/apparmor.d/abstractions "$root/etc/apparmor.d/"
cp "$tmp/enforce.aa" "$tmp/audit.aa" "$root/profiles/"
cp "$init" "$root/init"
if [[ -n $lsm_open ]]; then
	cp "$lsm_open" "$root/bin/lsm-open"
else
	note "no BPF-LSM test: the BPF programs are not built (-Dbpf)"
fi
chmod +x "$root/init"
if (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.gz"; then
	ok "initramfs built ($(du -k "$tmp/initrd.gz" | cut -f1) KiB)"
else
	bail "initramfs built"
fi

start=$(date +%s)
timeout 240 "$qemu" -accel tcg -cpu max -m 1G -smp 2 -kernel "$kernel" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 quiet lsm=landlock,lockdown,yama,apparmor,bpf panic=-1" \
	-nographic -no-reboot -monitor none </dev/null >"$tmp/console" 2>&1
rc=$?
note "guest ran $(($(date +%s) - start)) s (qemu exit $rc), kernel $(basename "$kernel")"
tr -d '\r' <"$tmp/console" >"$tmp/console.txt"
if ! grep -q '^QEMU-TAP-END' "$tmp/console.txt"; then
	not_ok "the guest ran its tests to the end"
	diag "$tmp/console.txt"
	tap_done
fi
ok "the guest ran its tests to the end"
# the guest's cases, renumbered
want=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tmp/console.txt" | tail -n 1)
seen=0
while IFS= read -r line; do
	case $line in
	"ok "*) seen=$((seen + 1)); ok "guest: ${line#* - }" ;;
	"not ok "*) seen=$((seen + 1)); not_ok "guest: ${line#* - }" ;;
	"#"*) echo "$line" ;;
	esac
done < <(sed -n '/QEMU-TAP-BEGIN/,/^QEMU-TAP-END/p' "$tmp/console.txt")
if [[ -n $want && $seen == "$want" ]]; then
	ok "the guest reported all its $want cases"
else
	not_ok "the guest reported all its cases ($seen of ${want:-?})"
	diag "$tmp/console.txt"
fi
tap_done
