#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Docker runs sctest from an imported busybox image, once with
# --security-opt seccomp=unconfined and once with the profile
# `plastron compile --enforcer seccomp` made from policy.yaml.
# The test starts its own containerd and dockerd (private sockets, state
# and data directories under a temp dir; no bridge, no iptables) so it
# neither needs nor disturbs a daemon that may already run, and stops them
# by pid at the end.
# Usage: docker.sh SCTEST POLICY   (env PLASTRON = the plastron binary)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sctest=$1 policy=$2
docker=/usr/bin/docker # not /usr/local/bin/docker: another client, another version

for b in "$docker" /usr/sbin/dockerd /usr/bin/containerd; do
	[[ -x $b ]] || bail "$b is installed (apt-get install docker.io containerd)"
done
((EUID == 0)) || bail "Docker tests run as root"

tmp=$(mktemp -d /tmp/plastron-docker.XXXXXX)
sock=$tmp/docker.sock
image=plastron-consumer/sctest:$$
cgparent=plastron-consumer-$$
pids=()
cleanup() {
	local p
	# dockerd first (it stops its containers), then containerd.
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || continue
		for _ in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# The daemons are gone; their mounts (if any) go with the directory.
	grep -o " $tmp/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -depth -type d -name "$cgparent" \
		-exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 143" TERM INT # meson's timeout: still clean up

make_rootfs "$tmp/rootfs" "$sctest" || bail "build the busybox root filesystem"
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" . || bail "tar the root filesystem"
compile_profile "$policy" "$tmp/profile.json" || tap_done

# containerd with private root, state and socket; the CRI plugin is off.
cat >"$tmp/containerd.toml" <<TOML
version = 2
root = "$tmp/containerd/root"
state = "$tmp/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/containerd.sock"
TOML
/usr/bin/containerd --config "$tmp/containerd.toml" >"$tmp/containerd.log" 2>&1 &
pids=($! "${pids[@]}")

echo '{}' >"$tmp/daemon.json"
/usr/sbin/dockerd --config-file "$tmp/daemon.json" \
	--containerd "$tmp/containerd.sock" \
	--data-root "$tmp/data" --exec-root "$tmp/exec" --pidfile "$tmp/dockerd.pid" \
	-H "unix://$sock" --iptables=false --ip-masq=false --bridge=none \
	--storage-driver=vfs --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$cgparent" \
	>"$tmp/dockerd.log" 2>&1 &
pids=($! "${pids[@]}")

up=0
for _ in $(seq 300); do
	if "$docker" -H "unix://$sock" version >/dev/null 2>&1; then
		up=1
		break
	fi
	kill -0 "${pids[0]}" 2>/dev/null || break
	sleep 0.1
done
if ((up)); then
	ok "dockerd starts (private data root, no bridge, no iptables)"
else
	not_ok "dockerd starts (private data root, no bridge, no iptables)"
	diag "$tmp/containerd.log"
	diag "$tmp/dockerd.log"
	tap_done
fi

d() { timeout 120 "$docker" -H "unix://$sock" "$@"; }

if d import "$tmp/rootfs.tar" "$image" >"$tmp/import.log" 2>&1; then
	ok "docker import the busybox + sctest root filesystem"
else
	not_ok "docker import the busybox + sctest root filesystem"
	diag "$tmp/import.log"
	tap_done
fi

# run LABEL SECCOMP OUT
run() {
	d run --rm --network none --security-opt "seccomp=$2" "$image" \
		/sctest "${sctest_actions[@]}" >"$3" 2>"$3.err" </dev/null
}

if run base unconfined "$tmp/base.out"; then
	ok "docker runs sctest with seccomp=unconfined"
else
	not_ok "docker runs sctest with seccomp=unconfined"
	diag "$tmp/base.out.err"
fi
check_baseline "docker" "$tmp/base.out"

if run conf "$tmp/profile.json" "$tmp/conf.out"; then
	ok "docker runs sctest under plastron's profile"
else
	not_ok "docker runs sctest under plastron's profile"
	diag "$tmp/conf.out.err"
fi
check_confined "docker + plastron profile" "$tmp/conf.out"
tap_done
