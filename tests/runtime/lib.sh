# SPDX-License-Identifier: Apache-2.0
# Shared by the runtime tests (sourced; bash): bundles and a private
# plastrond (own pin dir, socket, policy dir, log) that is stopped and
# uninstalled by cleanup. TAP helpers come from tests/lib/tap.sh, the
# busybox root filesystem and daemon helpers from tests/lib/containers.sh.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/containers.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The template: a privileged container (every capability this host has,
# /proc/sys writable) in the test's network namespace.
make_template() {
	local out=$1 rootfs=$2 netns=$3 caps
	local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
		LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
		SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
		MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
		CHECKPOINT_RESTORE)
	local bnd i list=()
	bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
	for i in "${!names[@]}"; do
		((bnd >> i & 1)) && list+=("CAP_${names[$i]}")
	done
	caps=$(printf '%s\n' "${list[@]}" | jq -R . | jq -s -c .)
	(cd "$(dirname "$out")" && runc spec && mv config.json "$out") || return 1
	jq --argjson c "$caps" --arg root "$rootfs" --arg ns "$netns" '
		.root = {path: $root, readonly: true}
		| .process.terminal = false | .hostname = "plastron-rt"
		| .process.capabilities = {bounding: $c, effective: $c, permitted: $c}
		| del(.linux.readonlyPaths) | del(.linux.maskedPaths)
		| .linux.namespaces |= (map(select(.type != "network"))
			+ [{type: "network", path: $ns}])' "$out" >"$out.new" && mv "$out.new" "$out"
}

# bundle DIR POLICY|"" ARGS...: a bundle from the template (then the jq
# filter in $bundle_jq, when set).
bundle() {
	local dir=$1 pol=$2
	shift 2
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .) || return 1
	mkdir -p "$dir" && jq --arg p "$pol" --argjson a "$args" '
		.process.args = $a
		| if $p != "" then .annotations = {"plastron.io/policy": $p} else . end
		| '"${bundle_jq:-.}" <"$template" >"$dir/config.json"
}

# agent_env TAG OFFSET: the private agent's places, set in the caller: tmp (a
# new temp dir /tmp/plastron-TAG.*), pin, sock, log, and metrics_port
# (OFFSET keeps the tests' ports apart).
agent_env() {
	tmp=$(mktemp -d "/tmp/plastron-$1.XXXXXX") || return 1
	pin=/sys/fs/bpf/plastron-$1-$$
	sock=$tmp/plastrond.sock
	log=$tmp/violations.log
	metrics_port=$((20000 + ($$ + $2) % 20000))
	agent_pid=
}

# runc_env TAG OFFSET: agent_env, and what the runc tests share: runc's
# state dir ($state), a network namespace ($netns, lo up), the policy dir
# holding $policy_src as rt-demo.yaml, the busybox root filesystem with
# $probe and the bundle template ($template). On exit (trap), the caller's
# cleanup_extra when it defines one, then every container, the agent, the
# namespace and $tmp go.
runc_env() {
	agent_env "$1" "$2" || bail "temp dir"
	state=$tmp/runc
	netns=plastron-$1-$$
	trap runc_cleanup EXIT
	mkdir -p "$tmp/pol" && cp "$policy_src" "$tmp/pol/rt-demo.yaml" || bail "policy dir"
	make_rootfs "$tmp/rootfs" "$probe" || bail "busybox root filesystem"
	ip netns add "$netns" && ip -n "$netns" link set lo up || bail "network namespace"
	template=$tmp/template.json
	make_template "$template" "$tmp/rootfs" "/var/run/netns/$netns" || bail "bundle template"
}

runc_cleanup() {
	local p
	! declare -F cleanup_extra >/dev/null || cleanup_extra
	for p in $(runc --root "$state" list -q 2>/dev/null); do
		runc --root "$state" delete -f "$p" >/dev/null 2>&1
	done
	agent_remove
	ip netns del "$netns" 2>/dev/null
	rm -rf "$tmp"
}

# shim_start ID: the container of bundle $tmp/b-ID (/probe getpid) run
# through $SHIM and runc ($state), then deleted; prints its ms, or what
# failed (and fails). Output in $tmp/ID.out and $tmp/ID.err.
shim_start() {
	local id=$1 t0 ms
	t0=$(now_ms)
	timeout 60 "$SHIM" --plastron-socket "$sock" --root "$state" run --bundle "$tmp/b-$id" \
		"$id" >"$tmp/$id.out" 2>"$tmp/$id.err" </dev/null || {
		echo "FAILED after $(($(now_ms) - t0)) ms"
		return 1
	}
	ms=$(($(now_ms) - t0))
	runc --root "$state" delete -f "$id" >/dev/null 2>&1
	grep -q '^getpid: ok' "$tmp/$id.out" || {
		echo "RAN WITHOUT OUTPUT after $ms ms"
		return 1
	}
	echo "$ms"
}

# agent_up: start the private agent, or bail with its log.
agent_up() {
	agent_start || {
		diag "$tmp/agent.log"
		bail "plastrond starts"
	}
	ok "plastrond starts"
}

# agent_remove: stop the agent, uninstall its enforcer and remove its pins.
agent_remove() {
	agent_stop TERM
	"$PLASTROND" --uninstall --pin-dir "$pin" --socket "$sock" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
}

# agent_start: the private agent (extra options in the array agent_args).
agent_start() {
	"$PLASTROND" --foreground --pin-dir "$pin" --policy-dir "$tmp/pol" --socket "$sock" \
		--log "$log" --metrics "127.0.0.1:$metrics_port" ${agent_args[@]+"${agent_args[@]}"} \
		>>"$tmp/agent.log" 2>&1 &
	agent_pid=$!
	local i
	for i in $(seq 100); do
		"$PLASTRON" status --socket "$sock" >/dev/null 2>&1 && return 0
		kill -0 "$agent_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

agent_stop() {
	local sig=${1:-TERM}
	[[ -n ${agent_pid:-} ]] || return 0
	kill -"$sig" "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=
}

# log_has JQ_FILTER: some event in the violation log matches.
log_has() {
	local i
	for i in $(seq 200); do
		jq -e -s "map(select($1)) | length > 0" "$log" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# wait_result FILE ACTION WANT FROM_LINE: ms until a line after FROM_LINE says WANT.
wait_result() {
	local file=$1 action=$2 want=$3 from=$4 t0 i
	t0=$(now_ms)
	for i in $(seq 1000); do
		if tail -n +"$((from + 1))" "$file" | grep -q "^$action: $want"; then
			echo $(($(now_ms) - t0))
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# crun_cgroups_ready: crun 1.8 refuses hybrid cgroups ("cgroups in hybrid mode
# not supported, drop all controllers from cgroupv2") while the v2 hierarchy
# holds a controller. On this machine that is hugetlb, the only controller
# no v1 hierarchy has. Each such controller gets its own v1 mount at
# /sys/fs/cgroup/<name>, which moves it off v2. This changes the machine for
# the rest of the run, on purpose: it is done only when crun needs it, runc
# and Docker work the same either way, and moving a controller back is not
# reliable (the v1 hierarchy lingers until all its cgroups are gone).
# Prints what it did. Fails when a controller cannot be moved.
crun_cgroups_ready() {
	local v2 c
	v2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
	[[ -n $v2 && $v2 != /sys/fs/cgroup ]] || return 0 # pure v2 or pure v1
	for c in $(cat "$v2/cgroup.controllers" 2>/dev/null); do
		mkdir -p "/sys/fs/cgroup/$c" &&
			mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || return 1
		echo "moved the $c controller from cgroup v2 to a v1 mount at /sys/fs/cgroup/$c"
	done
	[[ -z $(cat "$v2/cgroup.controllers" 2>/dev/null) ]]
}

# jq_true FILTER [FILE]: FILTER, on one JSON document, yields at least one
# value and no false/null. Unlike `jq -e`, empty input (a command that
# failed) is false.
jq_true() {
	local f=$1
	shift
	jq -e -s "length > 0 and ([.[0] | $f] | length > 0 and all(. != false and . != null))" "$@" \
		>/dev/null 2>&1
}
