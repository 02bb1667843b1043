#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Style: every C source and header under src/ include/ tests/ bench/ must
# be formatted as .clang-format says. One TAP case per file.
# Generated files (vmlinux.h, *.skel.h) and build directories are skipped.
# Fix a file with: clang-format -i FILE
# Usage: style.sh [SOURCE_ROOT]
set -uo pipefail
root=${1:-${PLASTRON_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}}
cd "$root" || exit 1

if ! command -v clang-format >/dev/null; then
	echo "not ok 1 - clang-format is installed (apt-get install clang-format)"
	echo "1..1"
	exit 1
fi

n=0 failed=0
while IFS= read -r -d '' f; do
	f=${f#./}
	n=$((n + 1))
	if out=$(clang-format --dry-run --Werror "$f" 2>&1); then
		echo "ok $n - clang-format $f"
	else
		failed=$((failed + 1))
		echo "not ok $n - clang-format $f"
		printf '%s\n' "$out" | head -n 12 | sed 's/^/# /'
	fi
done < <(find src include tests bench \
	-type d -name 'build*' -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) \
	! -name vmlinux.h ! -name '*.skel.h' -print0 2>/dev/null | sort -z)

if ((n == 0)); then
	echo "not ok 1 - found C files to check under src/ include/ tests/ bench/"
	n=1 failed=1
fi
echo "1..$n"
exit $((failed > 0))
