# SPDX-License-Identifier: Apache-2.0
# TAP helpers for the shell tests (sourced; bash): one "ok N - ..." /
# "not ok N - ..." line per check, then "1..N" from tap_done.

tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}

# skip DESCRIPTION REASON
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: one case, passing when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

# diag FILE: the last 40 lines of a file as TAP comments (for failures).
diag() { sed 's/^/# /' "$1" 2>/dev/null | tail -n 40 || true; }
note() { echo "# $*"; }

tap_done() {
	echo "1..$tap_n"
	exit $((tap_failed > 0))
}

# bail REASON: a setup step failed; the test fails with that reason.
bail() {
	not_ok "$*"
	tap_done
}

# result FILE ACTION: what tests/probe/probe printed for ACTION (the first
# word after "ACTION: ": "ok", "EPERM", "absent", "mode2", ...); the last
# line for it.
result() { sed -n "s/^$2: \\([A-Za-z0-9_]*\\).*/\\1/p" "$1" 2>/dev/null | tail -n 1; }

# expect LABEL FILE ACTION WANT: one case comparing that result.
expect() {
	local label=$1 file=$2 action=$3 want=$4 got
	got=$(result "$file" "$action")
	if [[ $got == "$want" ]]; then
		ok "$label: $action gives $want"
	else
		not_ok "$label: $action gives $want (got '${got:-nothing}')"
		diag "$file"
		[[ -f $file.err ]] && diag "$file.err"
	fi
}
