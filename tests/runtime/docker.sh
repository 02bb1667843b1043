#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Docker with plastron-runtime registered by --add-runtime: dockerd and
# containerd started by hand (private sockets, data/exec roots under a temp
# dir, no bridge, no iptables, cgroupfs), a private plastrond; one container
# run with --runtime plastron must have its metadata-service connection
# denied, logged with Docker's container id, while the same image under
# runc is not denied; docker exec into a confined container is confined;
# then ctr (same containerd) with --runc-binary and an OCI annotation, ctr
# task exec, and a forged plastron.io/confined annotation that must not
# skip the default policy. Everything is stopped by pid and removed at the end.
# Usage: docker.sh PROBE POLICY   (env PLASTRON, PLASTROND, PLASTRON_RUNTIME_SHIM)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
probe=$1 policy_src=$2
docker=/usr/bin/docker # not /usr/local/bin/docker
SHIM=$PLASTRON_RUNTIME_SHIM

for b in "$docker" /usr/sbin/dockerd /usr/bin/containerd; do
	[[ -x $b ]] || bail "$b is installed (apt-get install docker.io containerd)"
done
((EUID == 0)) || bail "Docker tests run as root"
[[ -x $PLASTROND ]] || bail "plastrond was built (-Dbpf)"

agent_env rtd 7 || bail "temp dir"
dsock=$tmp/docker.sock
image=plastron-rt/probe:$$
cgparent=plastron-rt-$$
pids=()
cleanup() {
	stop_pids "${pids[@]}"
	agent_remove
	docker_leftovers "$tmp" "$cgparent"
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"
make_rootfs "$tmp/rootfs" "$probe" || bail "busybox root filesystem"
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" . || bail "tar the root filesystem"
agent_up

# The runtime Docker calls: the shim with this test's socket and a default
# policy (Docker 20.10 passes no annotations of its own).
cat >"$tmp/plastron-runtime" <<SH
#!/bin/sh
exec "$SHIM" --plastron-socket "$sock" --plastron-policy rt-demo "\$@"
SH
chmod +x "$tmp/plastron-runtime"

if docker_start "$tmp" "$dsock" "$cgparent" --add-runtime "plastron=$tmp/plastron-runtime"; then
	ok "dockerd starts with --add-runtime plastron=..."
else
	not_ok "dockerd starts with --add-runtime plastron=..."
	diag "$tmp/dockerd.log"
	tap_done
fi
d() { timeout 120 "$docker" -H "unix://$dsock" "$@"; }
d import "$tmp/rootfs.tar" "$image" >"$tmp/import.log" 2>&1 || {
	diag "$tmp/import.log"
	bail "docker import"
}

d run --rm --network none "$image" /probe metadata getpid >"$tmp/base.out" 2>"$tmp/base.out.err"
expect "docker (runc)" "$tmp/base.out" metadata ENETUNREACH
if d run --name "plastron-rt-$$" --runtime plastron --network none "$image" /probe metadata getpid \
	>"$tmp/conf.out" 2>"$tmp/conf.out.err"; then
	ok "docker run --runtime plastron"
else
	not_ok "docker run --runtime plastron"
	diag "$tmp/conf.out.err"
fi
expect "docker --runtime plastron" "$tmp/conf.out" metadata EPERM
expect "docker --runtime plastron" "$tmp/conf.out" getpid ok
full=$(d inspect --format '{{.Id}}' "plastron-rt-$$" 2>/dev/null)
if [[ -n $full ]] && log_has ".container_id == \"$full\" and .rule == \"block-access-to-metadata-service\" and .action == \"DENIED\""; then
	ok "log: DENIED block-access-to-metadata-service with Docker's container id"
else
	not_ok "log: DENIED block-access-to-metadata-service with Docker's container id"
	diag "$log"
fi
d rm -f "plastron-rt-$$" >/dev/null 2>&1

# docker exec (containerd's shim runs `runtime exec --process FILE`): the new
# process gets plastron's filter on top of Docker's default one (two
# filters; a plain docker exec has one), and the policy's denials.
d run -d --name "plastron-rtx-$$" --network none "$image" /bin/sleep 600 >/dev/null 2>&1
d exec "plastron-rtx-$$" /probe seccomp >"$tmp/execbase.out" 2>&1
expect "docker exec (runc, for comparison)" "$tmp/execbase.out" seccomp-filters n1
d rm -f "plastron-rtx-$$" >/dev/null 2>&1
if d run -d --name "plastron-rtx-$$" --runtime plastron --network none "$image" /bin/sleep 600 \
	>/dev/null 2>"$tmp/execrun.err"; then
	d exec "plastron-rtx-$$" /probe seccomp icmp-raw metadata >"$tmp/exec.out" 2>&1
	expect "docker exec (--runtime plastron)" "$tmp/exec.out" seccomp mode2
	expect "docker exec (--runtime plastron)" "$tmp/exec.out" seccomp-filters n2
	expect "docker exec (--runtime plastron)" "$tmp/exec.out" icmp-raw EPERM
	expect "docker exec (--runtime plastron)" "$tmp/exec.out" metadata EPERM
else
	not_ok "docker run -d --runtime plastron for docker exec"
	diag "$tmp/execrun.err"
fi
d rm -f "plastron-rtx-$$" >/dev/null 2>&1

# containerd's ctr on the same containerd: --runc-binary + an OCI annotation.
if [[ -x /usr/bin/ctr ]]; then
	cat >"$tmp/plastron-runc" <<SH
#!/bin/sh
exec "$SHIM" --plastron-socket "$sock" "\$@"
SH
	chmod +x "$tmp/plastron-runc"
	c() { timeout 120 /usr/bin/ctr -a "$tmp/containerd.sock" -n "$cgparent" "$@"; }
	c run --rm --runc-binary "$tmp/plastron-runc" --rootfs "$tmp/rootfs" "ctr-base-$$" \
		/probe metadata >"$tmp/ctr-base.out" 2>"$tmp/ctr-base.out.err"
	expect "ctr (no annotation: untouched)" "$tmp/ctr-base.out" metadata ENETUNREACH
	c run --rm --runc-binary "$tmp/plastron-runc" --annotation plastron.io/policy=rt-demo \
		--rootfs "$tmp/rootfs" "ctr-conf-$$" /probe metadata getpid \
		>"$tmp/ctr.out" 2>"$tmp/ctr.out.err"
	expect "ctr --annotation plastron.io/policy=rt-demo" "$tmp/ctr.out" metadata EPERM
	expect "ctr --annotation plastron.io/policy=rt-demo" "$tmp/ctr.out" getpid ok
	check "log: DENIED for the ctr container" log_has \
		".container_id == \"ctr-conf-$$\" and .rule == \"block-access-to-metadata-service\""
	# ctr exec into a running confined container.
	if c run -d --runc-binary "$tmp/plastron-runc" --annotation plastron.io/policy=rt-demo \
		--rootfs "$tmp/rootfs" "ctr-x-$$" /bin/sleep 600 >/dev/null 2>"$tmp/ctrx.err"; then
		c task exec --exec-id "e$$" "ctr-x-$$" /probe seccomp icmp-raw >"$tmp/ctrx.out" 2>&1
		expect "ctr task exec" "$tmp/ctrx.out" seccomp mode2
		expect "ctr task exec" "$tmp/ctrx.out" icmp-raw EPERM
	else
		not_ok "ctr run -d under rt-demo for ctr task exec"
		diag "$tmp/ctrx.err"
	fi
	c task kill -s KILL "ctr-x-$$" >/dev/null 2>&1
	for i in $(seq 50); do c task rm "ctr-x-$$" >/dev/null 2>&1 && break; sleep 0.1; done
	c container rm "ctr-x-$$" >/dev/null 2>&1
	# A forged plastron.io/confined annotation (the runtime's default policy
	# applies all the same).
	cat >"$tmp/plastron-runc-default" <<SH
#!/bin/sh
exec "$SHIM" --plastron-socket "$sock" --plastron-policy rt-demo "\$@"
SH
	chmod +x "$tmp/plastron-runc-default"
	c run --rm --runc-binary "$tmp/plastron-runc-default" --annotation plastron.io/confined=x \
		--rootfs "$tmp/rootfs" "ctr-forged-$$" /probe seccomp metadata \
		>"$tmp/ctrf.out" 2>"$tmp/ctrf.out.err"
	expect "ctr --annotation plastron.io/confined=x (default policy rt-demo)" "$tmp/ctrf.out" seccomp mode2
	expect "ctr --annotation plastron.io/confined=x (default policy rt-demo)" "$tmp/ctrf.out" metadata EPERM
else
	skip "ctr --runc-binary plastron-runtime" "/usr/bin/ctr is not installed"
fi
tap_done
