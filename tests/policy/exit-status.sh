#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# One exit-status mapping for every verb (man/plastron.1, EXIT STATUS):
# 0 ok, 1 policy invalid or refused, 2 usage, 3 system; `plastron run` passes
# the command's status through (127: not confined / not found). Each case
# names the verb, the situation and the status wanted, and prints what it got.
set -u
src="${PLASTRON_SOURCE_ROOT:?}"
. "$src/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
good=$src/examples/always-allow.yaml
bad=$src/tests/policy/bad/06-bad-mode.yaml
nosock=$tmp/no-agent.sock

# st WANT DESCRIPTION COMMAND...: the command's exit status must be WANT.
st() {
	local want=$1 desc=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$want" ]; then
		ok "$desc: exit $want"
	else
		not_ok "$desc: got exit $got, want $want"
		diag "$tmp/err"
	fi
}

printf '{"defaultAction":"SCMP_ACT_NOPE"}' >"$tmp/bad-oci.json"

st 0 "check a valid policy" "$PLASTRON" check "$good"
st 1 "check an invalid policy" "$PLASTRON" check "$bad"
st 3 "check a missing file" "$PLASTRON" check "$tmp/missing.yaml"
st 2 "check without a file" "$PLASTRON" check
st 2 "check with an unknown option" "$PLASTRON" check --bogus "$good"
st 0 "explain a valid policy" "$PLASTRON" explain "$good"
st 1 "explain an invalid policy" "$PLASTRON" explain "$bad"
st 3 "explain a missing file" "$PLASTRON" explain "$tmp/missing.yaml"
st 1 "explain --name of no policy" "$PLASTRON" explain --name nope "$good"
st 0 "lint a clean manifest" "$PLASTRON" lint "$src/tests/lint/pass/50-clean-default.yaml"
st 1 "lint a manifest with findings" "$PLASTRON" lint "$src/tests/lint/fail/03-privileged.yaml"
st 1 "lint a file that is not YAML" "$PLASTRON" lint "$src/tests/policy/bad/47-yaml-syntax.yaml"
st 3 "lint a missing file" "$PLASTRON" lint "$tmp/missing.yaml"
st 2 "lint without a file" "$PLASTRON" lint
st 2 "lint --pss of an unknown level" "$PLASTRON" lint --pss privileged "$good"
st 0 "compile a valid policy" "$PLASTRON" compile "$good" --enforcer seccomp
st 1 "compile an invalid policy" "$PLASTRON" compile "$bad" --enforcer seccomp
st 3 "compile a missing file" "$PLASTRON" compile "$tmp/missing.yaml" --enforcer seccomp
st 2 "compile an unknown enforcer" "$PLASTRON" compile "$good" --enforcer nope
st 3 "compile into a missing directory" \
	"$PLASTRON" compile "$good" --enforcer seccomp -o "$tmp/no/such/dir/p.json"
st 1 "compile --import an invalid profile" "$PLASTRON" compile --import "$tmp/bad-oci.json"
st 3 "compile --import a missing file" "$PLASTRON" compile --import "$tmp/missing.json"
st 0 "rules" "$PLASTRON" rules
st 2 "rules with an unknown option" "$PLASTRON" rules --bogus
st 1 "run under an invalid policy (nothing runs)" \
	"$PLASTRON" run -q --policy "$bad" -- /bin/true
st 3 "run under a missing policy file" "$PLASTRON" run -q --policy "$tmp/missing.yaml" -- /bin/true
st 2 "run without a command" "$PLASTRON" run -q --policy "$good"
st 7 "run passes the command's status through" \
	"$PLASTRON" run -q --policy "$good" -- /bin/sh -c 'exit 7'
st 127 "run of a command that does not exist" \
	"$PLASTRON" run -q --policy "$good" -- "$tmp/no-such-command"
st 3 "status without an agent" "$PLASTRON" status --socket "$nosock"
st 2 "status with an operand" "$PLASTRON" status extra
st 3 "mode without an agent" "$PLASTRON" mode --socket "$nosock" p enforce
st 2 "mode without its operands" "$PLASTRON" mode --socket "$nosock"
st 3 "attach without an agent" "$PLASTRON" attach --socket "$nosock" --cgroup /x --policy p
st 2 "attach without a target" "$PLASTRON" attach --socket "$nosock" --policy p
st 2 "an unknown verb" "$PLASTRON" nope
tap_done
