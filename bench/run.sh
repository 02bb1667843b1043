#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Seccomp overhead of the generated profiles and `plastron compile`
# throughput. Usage: bench/run.sh [BUILD_DIR] [bench-seccomp options]
#   bench/run.sh build -n 2000000 -r 7
# Run on an idle machine; audit should be off (see docs/benchmarks.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
ninja -C "$build" bench/bench-seccomp >/dev/null
echo "# $(uname -r), $(nproc) CPUs, libseccomp $(pkg-config --modversion libseccomp)"
exec "$build/bench/bench-seccomp" "$@"
