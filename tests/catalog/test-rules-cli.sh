#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `plastron rules`: the JSON parses with jq and lists every rule of the
# catalog; the table and --category work; bad options are usage errors.
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
t() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

: "${PLASTRON:?PLASTRON is not set}"
EXPECTED=${1:?usage: test-rules-cli.sh EXPECTED_RULE_COUNT}
if ! command -v jq >/dev/null 2>&1; then
	echo "ok 1 - plastron rules --json # SKIP jq not installed"
	echo "1..1"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

t "rules --json exits 0" '"$PLASTRON" rules --json >"$tmp/all.json"'
t "JSON parses with jq" 'jq -e "type == \"array\"" "$tmp/all.json" >/dev/null'
count=$(jq length "$tmp/all.json")
t "JSON lists $EXPECTED rules (got $count)" '[ "$count" = "$EXPECTED" ]'
t "every rule has id, category, help and a translation" \
	'jq -e "all(.[]; (.id|type==\"string\") and (.help|length>0) and (.translations|length>0))" "$tmp/all.json" >/dev/null'
t "every non-exact translation has a note" \
	'jq -e "all(.[].translations[]; .fidelity == \"exact\" or (.note|type==\"string\"))" "$tmp/all.json" >/dev/null'
t "aliases are listed" \
	'[ "$(jq -r ".[] | select(.id==\"disallow-load-bpf-prog\") | .aliases[0]" "$tmp/all.json")" = disallow-load-ebpf ]'
t "seccomp details are present" \
	'jq -e ".[] | select(.id==\"disallow-load-all-bpf-prog\") | .translations[] | select(.mechanism==\"seccomp\") | .syscalls[0].name == \"bpf\"" "$tmp/all.json" >/dev/null'
t "egress details are present" \
	'jq -e ".[] | select(.id==\"block-access-to-oci-metadata-service\") | .translations[0].egress[0].cidr == \"192.0.0.192/32\"" "$tmp/all.json" >/dev/null'
t "the text table lists every rule" '[ "$("$PLASTRON" rules | tail -n +2 | wc -l)" = "$count" ]'
"$PLASTRON" rules --category vul-mitigation --json >"$tmp/vm.json"
t "--category filters" '[ "$(jq length "$tmp/vm.json")" = "$(jq "[.[] | select(.category==\"vul-mitigation\")] | length" "$tmp/all.json")" ] && [ "$(jq length "$tmp/vm.json")" -gt 0 ]'
t "--help exits 0 and shows examples" '"$PLASTRON" rules --help | grep -q "Examples:"'
"$PLASTRON" rules --category nope >/dev/null 2>&1
rc=$?
t "unknown category is a usage error (2)" '[ "$rc" = 2 ]'
"$PLASTRON" rules --bogus >/dev/null 2>&1
rc=$?
t "unknown option is a usage error (2)" '[ "$rc" = 2 ]'
t "a rule named by alias in any spelling is shown in detail" \
	'"$PLASTRON" rules DISALLOW_LOAD_EBPF | head -1 | grep -q "^disallow-load-bpf-prog (hardening)"'
t "detail JSON of one rule" \
	'[ "$("$PLASTRON" rules --json disable_tcp | jq -r ".[0].id")" = disable-tcp ]'
"$PLASTRON" rules disalow-mount >/dev/null 2>"$tmp/err"
rc=$?
t "an unknown rule is a usage error with a suggestion" '[ "$rc" = 2 ] && grep -q "did you mean .disallow-mount." "$tmp/err"'
echo "1..$n"
exit $fail
