# SPDX-License-Identifier: Apache-2.0
# Shared by the consumer and runtime tests (sourced; bash): a busybox root
# filesystem, stopping daemons by pid, and a private containerd + dockerd.

# make_rootfs DIR BINARY: a minimal root filesystem: busybox-static with a
# few applet links, BINARY at /<its name>, root in passwd and group.
make_rootfs() {
	local dir=$1 bin=$2 name a
	name=$(basename "$bin")
	mkdir -p "$dir"/{bin,dev,etc,proc,sys,tmp} && cp /bin/busybox "$dir/bin/busybox" &&
		cp "$bin" "$dir/$name" && chmod 0755 "$dir/$name" || return 1
	for a in sh ls cat chmod id sleep true; do
		ln -sf busybox "$dir/bin/$a" || return 1
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$dir/etc/passwd"
	echo 'root:x:0:' >"$dir/etc/group"
}

# stop_pids PID...: SIGTERM each, wait up to 10 s for it, then SIGKILL.
stop_pids() {
	local p i
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null || continue
		for i in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

# docker_start TMP SOCK CGPARENT [DOCKERD-ARGS...]: containerd and dockerd
# with state, data and sockets under TMP (CRI plugin off, no bridge, no
# iptables, vfs, cgroupfs driver below /CGPARENT), their pids put first in
# the caller's `pids` array (dockerd first: stop_pids "${pids[@]}" stops it
# before containerd). Waits up to 30 s for dockerd to answer on SOCK;
# returns 1 if it does not (logs in TMP/containerd.log, TMP/dockerd.log).
docker_start() {
	local tmp=$1 sock=$2 cgparent=$3 i
	shift 3
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
	/usr/sbin/dockerd --config-file "$tmp/daemon.json" --containerd "$tmp/containerd.sock" \
		--data-root "$tmp/data" --exec-root "$tmp/exec" --pidfile "$tmp/dockerd.pid" \
		-H "unix://$sock" --iptables=false --ip-masq=false --bridge=none \
		--storage-driver=vfs --exec-opt native.cgroupdriver=cgroupfs \
		--cgroup-parent "/$cgparent" "$@" >"$tmp/dockerd.log" 2>&1 &
	pids=($! "${pids[@]}")
	for i in $(seq 300); do
		/usr/bin/docker -H "unix://$sock" version >/dev/null 2>&1 && return 0
		kill -0 "${pids[0]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# docker_leftovers TMP CGPARENT: after the daemons stopped, unmount what
# they left below TMP and remove their cgroups.
docker_leftovers() {
	grep -o " $1/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -depth -type d -name "$2" \
		-exec rmdir {} + 2>/dev/null
}
