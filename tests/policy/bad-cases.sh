#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Data-driven error suite: for every bad/NN-name.{yaml,json}, `plastron check`
# must exit 1, print nothing on stdout, and its whole stderr must equal
# bad/NN-name.expect (file:line:col, field path, message, hint: every error,
# none missing, none extra).
set -u
dir="${PLASTRON_SOURCE_ROOT:?}/tests/policy/bad"
cd "$dir" || exit 1
n=0
failed=0
for f in *.yaml *.json; do
	[ -e "$f" ] || continue
	base=${f%.*}
	exp="$base.expect"
	n=$((n + 1))
	if [ ! -f "$exp" ]; then
		echo "not ok $n - $base: no $exp"
		failed=$((failed + 1))
		continue
	fi
	errf=$(mktemp)
	outf=$(mktemp)
	"$PLASTRON" check "$f" >"$outf" 2>"$errf"
	rc=$?
	lines=$(wc -l <"$exp")
	if [ "$rc" -eq 1 ] && cmp -s "$errf" "$exp" && [ ! -s "$outf" ] && [ "$lines" -gt 0 ]; then
		echo "ok $n - $base"
	else
		echo "not ok $n - $base (exit $rc, want 1; stderr must equal $exp)"
		echo "# expected:"
		sed 's/^/#   /' "$exp"
		echo "# got:"
		sed 's/^/#   /' "$errf"
		sed 's/^/#   stdout: /' "$outf"
		failed=$((failed + 1))
	fi
	rm -f "$errf" "$outf"
done
echo "1..$n"
[ "$failed" -eq 0 ]
