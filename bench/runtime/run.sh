#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container start overhead of plastron-runtime: N starts of the same
# container (busybox root filesystem, probe getpid) with plain runc and
# through plastron-runtime under the rt-demo policy (seccomp rewrite, the
# createRuntime hook, plastrond registering the cgroup), interleaved, in one
# run. Prints the median and mean per start of each and their ratio.
# Needs root, runc, and a build with -Dbpf (plastrond, plastron-runtime).
# Usage: bench/runtime/run.sh [BUILD_DIR] [N]
#   bench/runtime/run.sh build 50
# BENCH_CPU=1: CPU time of the runtime's process tree per start (perf stat
# -e task-clock; plastrond not counted, its utime+stime printed apart)
# instead of wall clock: steadier on a loaded machine.
# BENCH_B=DIR: also DIR/plastron-runtime (a copy of another build's
# plastron-runtime, plastron-init and plastron-hook, side by side),
# interleaved with the two others: an A/B comparison in one run.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 1
n=${2:-30}
source "$root/tests/runtime/lib.sh"
die() {
	echo "bench/runtime: $*" >&2
	exit 1
}
((EUID == 0)) || die "needs root"
command -v runc >/dev/null || die "needs runc"
ninja -C "$build" src/cli/plastron src/daemon/plastrond src/runtime/plastron-runtime \
	src/runtime/plastron-init tests/probe/probe >/dev/null || die "build failed"
# plastron-hook exists on x86_64 only (the shim is its own hook elsewhere)
ninja -C "$build" src/runtime/plastron-hook >/dev/null 2>&1 || true
PLASTRON=$build/src/cli/plastron
PLASTROND=$build/src/daemon/plastrond
SHIM=$build/src/runtime/plastron-runtime
[[ -x $PLASTROND && -x $SHIM ]] || die "plastrond/plastron-runtime not built (-Dbpf)"

agent_env bench-rt 29 || die "temp dir"
state=$tmp/runc
netns=plastron-bench-rt-$$
trap runc_cleanup EXIT

mkdir -p "$tmp/pol" && cp "$root/tests/runtime/policy.yaml" "$tmp/pol/rt-demo.yaml" ||
	die "policy dir"
make_rootfs "$tmp/rootfs" "$build/tests/probe/probe" || die "root filesystem"
ip netns add "$netns" && ip -n "$netns" link set lo up || die "network namespace"
template=$tmp/template.json
make_template "$template" "$tmp/rootfs" "/var/run/netns/$netns" || die "bundle template"
agent_start || die "plastrond does not start: $(tail -n 5 "$tmp/agent.log")"
bundle "$tmp/b-plain" "" /probe getpid || die "bundle"
bundle "$tmp/b-shim" rt-demo /probe getpid || die "bundle"

# one_start KIND I: ms for one container start to exit (and its deletion).
one_start() {
	local kind=$1 i=$2 id=bench$$-$1-$2 t0 out
	out=$tmp/out
	cp "$tmp/b-$kind/config.json.orig" "$tmp/b-$kind/config.json"
	local pre=()
	[[ -n ${BENCH_CPU:-} ]] && pre=(perf stat -x, -e task-clock -o "$tmp/cpu")
	t0=$(date +%s%N)
	if [[ $kind == plain ]]; then
		"${pre[@]}" runc --root "$state" run --bundle "$tmp/b-$kind" "$id" >"$out" 2>&1 </dev/null
	elif [[ $kind == b ]]; then
		"${pre[@]}" "$BENCH_B/plastron-runtime" --plastron-socket "$sock" --root "$state" run \
			--bundle "$tmp/b-$kind" "$id" >"$out" 2>&1 </dev/null
	else
		"${pre[@]}" "$SHIM" --plastron-socket "$sock" --root "$state" run \
			--bundle "$tmp/b-$kind" "$id" >"$out" 2>&1 </dev/null
	fi
	local rc=$?
	if [[ -n ${BENCH_CPU:-} ]]; then
		awk -F, '/task-clock/ {printf "%d\n", $1 * 1000}' "$tmp/cpu"
	else
		echo $((($(date +%s%N) - t0) / 1000))
	fi
	runc --root "$state" delete -f "$id" >/dev/null 2>&1
	[[ $rc == 0 ]] && grep -q '^getpid: ok' "$out" ||
		die "$kind start $i failed: $(head -n 5 "$out")"
}
cp "$tmp/b-plain/config.json" "$tmp/b-plain/config.json.orig"
cp "$tmp/b-shim/config.json" "$tmp/b-shim/config.json.orig"
if [[ -n ${BENCH_B:-} ]]; then
	[[ -x $BENCH_B/plastron-runtime ]] || die "BENCH_B: no $BENCH_B/plastron-runtime"
	mkdir -p "$tmp/b-b" && cp "$tmp/b-shim/config.json.orig" "$tmp/b-b/config.json.orig"
fi

one_start plain warm >/dev/null
one_start shim warm >/dev/null
[[ -n ${BENCH_B:-} ]] && one_start b warm >/dev/null
plain=() shim=() other=()
agent_cpu() { awk '{print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"'}' "/proc/$agent_pid/stat"; }
a0=$(agent_cpu)
for ((i = 0; i < n; i++)); do
	plain+=("$(one_start plain "$i")") || exit 1
	shim+=("$(one_start shim "$i")") || exit 1
	if [[ -n ${BENCH_B:-} ]]; then other+=("$(one_start b "$i")") || exit 1; fi
done
stats() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1; s += $1}
	END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	     printf "%.1f %.1f\n", m / 1000, s / NR / 1000}'; }
read -r pm pa <<<"$(stats "${plain[@]}")"
read -r sm sa <<<"$(stats "${shim[@]}")"
echo "# $(uname -r), $(nproc) CPUs, $(runc --version | head -n 1), $n starts each, interleaved${BENCH_CPU:+, CPU time}"
echo "# plastrond CPU: $((($(agent_cpu) - a0) / n)) ms per start (utime+stime, clock ticks)"
printf '%-28s %10s %10s\n' "" "median ms" "mean ms"
printf '%-28s %10s %10s\n' "runc" "$pm" "$pa"
printf '%-28s %10s %10s\n' "plastron-runtime + rt-demo" "$sm" "$sa"
awk -v a="$pm" -v b="$sm" -v c="$pa" -v d="$sa" \
	'BEGIN {printf "ratio (plastron-runtime / runc): median %.2f, mean %.2f\n", b / a, d / c}'
if [[ -n ${BENCH_B:-} ]]; then
	read -r om oa <<<"$(stats "${other[@]}")"
	printf '%-28s %10s %10s\n' "BENCH_B plastron-runtime" "$om" "$oa"
	awk -v a="$pm" -v b="$om" -v c="$pa" -v d="$oa" \
		'BEGIN {printf "ratio (BENCH_B / runc): median %.2f, mean %.2f\n", b / a, d / c}'
fi
