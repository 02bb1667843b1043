#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# runc runs the probe in a busybox bundle, once without a seccomp profile and
# once with the profile `plastron compile --enforcer seccomp` made from
# policy.yaml: the policy's denials must show up as EPERM inside the
# container, and benign calls must still work.
# Usage: runc.sh PROBE POLICY   (env PLASTRON = the plastron binary)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy=$2

command -v runc >/dev/null || bail "runc is installed (apt-get install runc)"
((EUID == 0)) || bail "runc tests run as root"

tmp=$(mktemp -d /tmp/plastron-runc.XXXXXX)
id=plastron-consumer-$$
state=$tmp/state
cleanup() {
	local c
	for c in "$id-base" "$id-conf"; do
		runc --root "$state" delete -f "$c" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 143" TERM INT # meson's timeout: still clean up

bundle=$tmp/bundle
make_rootfs "$bundle/rootfs" "$probe" || bail "build the busybox root filesystem"
(cd "$bundle" && runc spec) || bail "runc spec"
compile_profile "$policy" "$tmp/profile.json" || tap_done

# run NAME SECCOMP_JSON_FILE|"" OUT: one container run of the probe.
run() {
	local name=$1 profile=$2 out=$3 filter
	if [[ -n $profile ]]; then
		filter='.linux.seccomp = $p[0]'
	else
		filter='del(.linux.seccomp)'
	fi
	jq --slurpfile p "${profile:-/dev/null}" \
		--args '.process.args = ["/probe"] + $ARGS.positional
			| .process.terminal = false | .hostname = "plastron"
			| '"$filter" \
		"${probe_ops[@]}" <"$bundle/config.json" >"$bundle/config.new" &&
		mv "$bundle/config.new" "$bundle/config.json" || return 1
	timeout 60 runc --root "$state" run --bundle "$bundle" "$id-$name" \
		>"$out" 2>"$out.err" </dev/null
}

if run base "" "$tmp/base.out"; then
	ok "runc runs the probe without a seccomp profile"
else
	not_ok "runc runs the probe without a seccomp profile"
	diag "$tmp/base.out.err"
fi
check_baseline "runc" "$tmp/base.out"

if run conf "$tmp/profile.json" "$tmp/conf.out"; then
	ok "runc runs the probe under plastron's profile"
else
	not_ok "runc runs the probe under plastron's profile"
	diag "$tmp/conf.out.err"
fi
check_confined "runc + plastron profile" "$tmp/conf.out"
tap_done
