#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Golden tests: each numbered case directory NN-name/ holds policy.yaml and
# the expected outputs of plastron for it:
#   model.txt     plastron explain policy.yaml
#   seccomp.json  plastron compile policy.yaml --enforcer seccomp
#   seccomp.txt   plastron compile policy.yaml --enforcer seccomp --format text
#   apparmor.txt  plastron compile policy.yaml --enforcer apparmor
#   landlock.txt  plastron compile policy.yaml --enforcer landlock --landlock-abi 7
#   cgroup-bpf.txt  plastron-bpfctl dump policy.yaml (the cgroup-BPF tables)
# Prints TAP, one case per expected file. With --update, (re)writes the
# expected files instead: model.txt and seccomp.* always, apparmor.txt when
# the policy's enforcer names AppArmor, landlock.txt when it has
# spec.plastron.landlock, cgroup-bpf.txt when it has bpfRawRules. Review every changed file by eye before committing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
plastron=${PLASTRON:-$here/../../build/src/cli/plastron}
case $plastron in /*) ;; *) plastron=$PWD/$plastron ;; esac
bpfctl=${PLASTRON_BPFCTL:-$here/../../build/src/loader/plastron-bpfctl}
case $bpfctl in /*) ;; *) bpfctl=$PWD/$bpfctl ;; esac
update=0
[ "${1:-}" = "--update" ] && update=1

produce() { # kind -> stdout; status of plastron
	case $1 in
	model.txt) "$plastron" explain policy.yaml ;;
	seccomp.json) "$plastron" compile policy.yaml --enforcer seccomp ;;
	seccomp.txt) "$plastron" compile policy.yaml --enforcer seccomp --format text ;;
	apparmor.txt) "$plastron" compile policy.yaml --enforcer apparmor ;;
	landlock.txt) "$plastron" compile policy.yaml --enforcer landlock --landlock-abi 7 ;;
	cgroup-bpf.txt) "$bpfctl" dump policy.yaml ;;
	esac
}

n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "$here"/[0-9][0-9]-*/; do
	case=$(basename "$dir")
	cd "$dir" || exit 2
	if [ ! -f policy.yaml ]; then
		n=$((n + 1))
		echo "not ok $n - $case: no policy.yaml"
		fail=1
		continue
	fi
	if [ $update = 1 ]; then
		kinds="model.txt seccomp.json seccomp.txt"
		grep -qi 'enforcer:.*apparmor' policy.yaml && kinds="$kinds apparmor.txt"
		grep -q '^ *landlock:' policy.yaml && kinds="$kinds landlock.txt"
		grep -q '^ *bpfRawRules:' policy.yaml && kinds="$kinds cgroup-bpf.txt"
		for k in $kinds; do
			n=$((n + 1))
			if produce "$k" > "$tmp/out" 2> "$tmp/err"; then
				if cmp -s "$tmp/out" "$k"; then
					echo "ok $n - $case/$k unchanged"
				else
					cp "$tmp/out" "$k"
					echo "ok $n - $case/$k written"
				fi
			else
				echo "not ok $n - $case/$k: plastron failed"
				sed 's/^/# /' "$tmp/err"
				fail=1
			fi
		done
		continue
	fi
	for k in model.txt seccomp.json seccomp.txt apparmor.txt landlock.txt cgroup-bpf.txt; do
		[ -f "$k" ] || continue
		n=$((n + 1))
		if [ "$k" = cgroup-bpf.txt ] && [ ! -x "$bpfctl" ]; then
			echo "ok $n - $case/$k # SKIP plastron-bpfctl not built (no BPF toolchain)"
			continue
		fi
		if ! produce "$k" > "$tmp/out" 2> "$tmp/err"; then
			echo "not ok $n - $case/$k: plastron failed"
			sed 's/^/# /' "$tmp/err"
			fail=1
		elif cmp -s "$tmp/out" "$k"; then
			echo "ok $n - $case/$k"
		else
			echo "not ok $n - $case/$k differs from the expected output"
			diff -u "$k" "$tmp/out" | head -40 | sed 's/^/# /'
			fail=1
		fi
	done
done
echo "1..$n"
exit $fail
