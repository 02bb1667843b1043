#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Data-driven lint suite (TAP). The first line of each manifest may be
# "# lint: ARGS" (options for plastron lint, e.g. --pss baseline); for JSON,
# NAME.args holds them.
#   pass/NAME.yaml   plastron lint exits 0 and prints nothing at all;
#   fail/NAME.yaml   plastron lint exits 1 (or the status in NAME.status),
#                    its stdout equals NAME.expect exactly, and its stderr
#                    equals NAME.stderr (empty when there is no such file).
set -u
dir="${PLASTRON_SOURCE_ROOT:?}/tests/lint"
cd "$dir" || exit 1
n=0
failed=0
outf=$(mktemp)
errf=$(mktemp)
trap 'rm -f "$outf" "$errf"' EXIT
args_of() { # a JSON manifest has no comments: NAME.args holds them
	if [ -f "${1%.*}.args" ]; then
		cat "${1%.*}.args"
	else
		sed -n '1s/^# lint: //p' "$1"
	fi
}
for f in pass/*.yaml pass/*.json; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	# shellcheck disable=SC2046 # the options are words
	"$PLASTRON" lint $(args_of "$f") "$f" >"$outf" 2>"$errf"
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$outf" ] && [ ! -s "$errf" ]; then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f (exit $rc, want 0 and no output)"
		sed 's/^/#   /' "$outf" "$errf"
		failed=$((failed + 1))
	fi
done
for f in fail/*.yaml fail/*.json; do
	[ -e "$f" ] || continue
	base=${f%.*}
	n=$((n + 1))
	if [ ! -s "$base.expect" ]; then
		echo "not ok $n - $f: no $base.expect"
		failed=$((failed + 1))
		continue
	fi
	want=1
	[ -f "$base.status" ] && want=$(cat "$base.status")
	# shellcheck disable=SC2046
	"$PLASTRON" lint $(args_of "$f") "$f" >"$outf" 2>"$errf"
	rc=$?
	experr=/dev/null
	[ -f "$base.stderr" ] && experr="$base.stderr"
	if [ "$rc" -eq "$want" ] && cmp -s "$outf" "$base.expect" && cmp -s "$errf" "$experr"; then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f (exit $rc, want $want; stdout must equal $base.expect)"
		diff -u "$base.expect" "$outf" | sed 's/^/#   /'
		diff -u "$experr" "$errf" | sed 's/^/#   stderr: /'
		failed=$((failed + 1))
	fi
done
# --suggest-policy: each suggest/NAME.yaml's suggestion equals NAME.suggest
# and passes plastron check
for f in suggest/*.yaml; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	"$PLASTRON" lint --suggest-policy "$outf.suggest" "$f" >/dev/null 2>"$errf"
	if cmp -s "$outf.suggest" "${f%.yaml}.suggest" &&
		"$PLASTRON" check --quiet "$outf.suggest" 2>>"$errf"; then
		echo "ok $n - --suggest-policy $f: as expected, and plastron check passes"
	else
		echo "not ok $n - --suggest-policy $f"
		diff -u "${f%.yaml}.suggest" "$outf.suggest" | sed 's/^/#   /'
		sed 's/^/#   /' "$errf"
		failed=$((failed + 1))
	fi
	rm -f "$outf.suggest"
done
# exit statuses: 2 for usage mistakes, 3 for a file that cannot be read,
# 1 for a file that is not YAML
status_case() { # WANT NAME ARGS...
	want=$1 name=$2
	shift 2
	n=$((n + 1))
	"$PLASTRON" lint "$@" >/dev/null 2>"$errf"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		echo "ok $n - exit $want: $name"
	else
		echo "not ok $n - exit $rc, want $want: $name"
		sed 's/^/#   /' "$errf"
		failed=$((failed + 1))
	fi
}
status_case 2 "no FILE" --pss baseline
status_case 2 "unknown --pss level" --pss privileged pass/03-privileged.yaml
status_case 2 "unknown --fail-on level" --fail-on high pass/03-privileged.yaml
status_case 2 "unknown --only check" --only pss-privilegd pass/03-privileged.yaml
status_case 2 "--only with --pss" --only pss-privileged --pss baseline pass/03-privileged.yaml
status_case 3 "missing file" does-not-exist.yaml
printf 'a: [\n' >"$outf"
status_case 1 "not YAML" "$outf"
status_case 0 "--fail-on none" --fail-on none fail/03-privileged.yaml
status_case 0 "--list" --list
status_case 2 "--json with --sarif" --json --sarif pass/03-privileged.yaml
n=$((n + 1))
if "$PLASTRON" lint --pss baseline - <fail/03-privileged.yaml | grep -q '^<stdin>:11:21: error: pss-privileged: '; then
	echo "ok $n - '-' reads stdin, named <stdin>"
else
	echo "not ok $n - '-' reads stdin, named <stdin>"
	failed=$((failed + 1))
fi
n=$((n + 1))
if "$PLASTRON" lint --help | grep -q 'Examples:'; then
	echo "ok $n - --help has examples"
else
	echo "not ok $n - --help has examples"
	failed=$((failed + 1))
fi
# docs/lint.md names every check, and some fail/*.expect reports each one
for id in $("$PLASTRON" lint --list | awk '{print $1}'); do
	n=$((n + 1))
	if grep -q "^| \`$id\` |" "$dir/../../docs/lint.md"; then
		echo "ok $n - docs/lint.md lists $id"
	else
		echo "not ok $n - docs/lint.md has no table row for $id"
		failed=$((failed + 1))
	fi
	n=$((n + 1))
	# (the SARIF case lists every check as a rule: it does not count)
	if cat $(ls fail/*.expect | grep -v sarif) | grep -q -e ": $id: " -e "\"id\": \"$id\""; then
		echo "ok $n - a fail case reports $id"
	else
		echo "not ok $n - no fail/*.expect reports $id"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
