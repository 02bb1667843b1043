#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Docker runs the probe from an imported busybox image, once with
# --security-opt seccomp=unconfined and once with the profile
# `plastron compile --enforcer seccomp` made from policy.yaml.
# The test starts its own containerd and dockerd (private sockets, state
# and data directories under a temp dir; no bridge, no iptables) so it
# neither needs nor disturbs a daemon that may already run, and stops them
# by pid at the end.
# Usage: docker.sh PROBE POLICY   (env PLASTRON = the plastron binary)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy=$2
docker=/usr/bin/docker # not /usr/local/bin/docker: another client, another version

for b in "$docker" /usr/sbin/dockerd /usr/bin/containerd; do
	[[ -x $b ]] || bail "$b is installed (apt-get install docker.io containerd)"
done
((EUID == 0)) || bail "Docker tests run as root"

tmp=$(mktemp -d /tmp/plastron-docker.XXXXXX)
sock=$tmp/docker.sock
image=plastron-consumer/probe:$$
cgparent=plastron-consumer-$$
pids=()
cleanup() {
	# dockerd first (it stops its containers), then containerd.
	stop_pids "${pids[@]}"
	docker_leftovers "$tmp" "$cgparent"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 143" TERM INT # meson's timeout: still clean up

make_rootfs "$tmp/rootfs" "$probe" || bail "build the busybox root filesystem"
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" . || bail "tar the root filesystem"
compile_profile "$policy" "$tmp/profile.json" || tap_done

# containerd and dockerd with private roots, state and sockets.
if docker_start "$tmp" "$sock" "$cgparent"; then
	ok "dockerd starts (private data root, no bridge, no iptables)"
else
	not_ok "dockerd starts (private data root, no bridge, no iptables)"
	diag "$tmp/containerd.log"
	diag "$tmp/dockerd.log"
	tap_done
fi

d() { timeout 120 "$docker" -H "unix://$sock" "$@"; }

if d import "$tmp/rootfs.tar" "$image" >"$tmp/import.log" 2>&1; then
	ok "docker import the busybox + probe root filesystem"
else
	not_ok "docker import the busybox + probe root filesystem"
	diag "$tmp/import.log"
	tap_done
fi

# run LABEL SECCOMP OUT
run() {
	d run --rm --network none --security-opt "seccomp=$2" "$image" \
		/probe "${probe_ops[@]}" >"$3" 2>"$3.err" </dev/null
}

if run base unconfined "$tmp/base.out"; then
	ok "docker runs the probe with seccomp=unconfined"
else
	not_ok "docker runs the probe with seccomp=unconfined"
	diag "$tmp/base.out.err"
fi
check_baseline "docker" "$tmp/base.out"

if run conf "$tmp/profile.json" "$tmp/conf.out"; then
	ok "docker runs the probe under plastron's profile"
else
	not_ok "docker runs the probe under plastron's profile"
	diag "$tmp/conf.out.err"
fi
check_confined "docker + plastron profile" "$tmp/conf.out"
tap_done
