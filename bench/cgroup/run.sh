#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cgroup-BPF enforcer benchmarks (root; cgroup v2, bpffs; built with -Dbpf).
# Each prints a table: ns/op and ratios to a baseline measured in the same
# run, best of N batches, pinned CPUs. Never run as tests.
#   bench/cgroup/run.sh [BUILD_DIR]      (default: build)
set -eu
B=${1:-build}/bench/cgroup
for x in bench-connect bench-events bench-mode-switch; do
	[ -x "$B/$x" ] || { echo "$B/$x missing: configure with -Dbpf=enabled" >&2; exit 1; }
done
echo "== connect() / send() cost by configuration"
"$B/bench-connect" --rounds 101 --batch 2000 --cpu 1
echo "== ring buffer -> JSON-lines log, events per second"
"$B/bench-events" --events 1000000 --rounds 3 --producer-cpu 0 --consumer-cpu 1
echo "== live mode switch -> first changed result"
"$B/bench-mode-switch" --switches 200 --cpu 0 --child-cpu 1
