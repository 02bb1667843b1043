#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every example policy and every tests/policy/good/* file must pass
# `plastron check` (exit 0, "FILE: ok (N ...)"), and `plastron explain` must
# dump it; a good/NAME.expect holds the exact stderr (notes and warnings). Also checks stdin, --quiet, --help and the usage errors.
set -u
src="${PLASTRON_SOURCE_ROOT:?}"
n=0
failed=0
t() { # t NAME COMMAND...: one TAP case from a shell condition
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=$((failed + 1))
	fi
}
check_ok() {
	out=$(cd "$(dirname "$1")" && "$PLASTRON" check "$(basename "$1")" 2>/tmp/plastron-good.$$)
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/#   /' /tmp/plastron-good.$$
		rm -f /tmp/plastron-good.$$
		return 1
	fi
	rm -f /tmp/plastron-good.$$
	case "$out" in
	"$(basename "$1"): ok ("*) return 0 ;;
	*) echo "# unexpected output: $out"; return 1 ;;
	esac
}
explain_ok() {
	out=$("$PLASTRON" explain "$1" 2>/dev/null) || return 1
	case "$out" in
	Varmor*) return 0 ;;
	*) return 1 ;;
	esac
}
for f in "$src"/examples/*.yaml "$src"/tests/policy/good/*.yaml "$src"/tests/policy/good/*.json; do
	[ -e "$f" ] || continue
	rel=${f#"$src"/}
	t "check $rel" check_ok "$f"
	t "explain $rel" explain_ok "$f"
done

# where good/NAME.expect exists, check's whole stderr (notes, warnings) must
# equal it: nothing skipped without a note, no note missing or extra
stderr_is() { # stderr_is FILE EXPECT
	(cd "$(dirname "$1")" && "$PLASTRON" check "$(basename "$1")" 2>&1 >/dev/null) |
		cmp -s - "$2" || {
		echo "# expected:"
		sed 's/^/#   /' "$2"
		echo "# got:"
		(cd "$(dirname "$1")" && "$PLASTRON" check "$(basename "$1")" 2>&1 >/dev/null) | sed 's/^/#   /'
		return 1
	}
}
for e in "$src"/tests/policy/good/*.expect; do
	[ -e "$e" ] || continue
	f=${e%.expect}.yaml
	[ -e "$f" ] || f=${e%.expect}.json
	t "stderr of ${f#"$src"/}" stderr_is "$f" "$e"
done

# multi-document file: the count is right
multi="$src/tests/policy/good/multi-document.yaml"
t "multi-document count" sh -c "'$PLASTRON' check '$multi' 2>/dev/null | grep -q ': ok (3 policies)\$'"
# stdin
t "stdin" sh -c "'$PLASTRON' check - <'$src/examples/seed000.yaml' 2>/dev/null | grep -q '^<stdin>: ok (1 policy)\$'"
# --quiet prints nothing for a valid file (warnings included)
t "--quiet is quiet" sh -c "[ -z \"\$('$PLASTRON' check --quiet '$src/examples/seed000.yaml' 2>&1)\" ]"
# seed000's ipBlock with host bits is a warning, not an error
t "host bits warn" sh -c "'$PLASTRON' check '$src/examples/seed000.yaml' 2>&1 >/dev/null | grep -q 'warning: .*ipBlock.*has host bits set; using 192.168.1.0/24'"
# several files: one bad file makes the exit status 1 and the good one still reports ok
t "mixed files exit 1" sh -c "'$PLASTRON' check '$src/examples/always-allow.yaml' '$src/tests/policy/bad/06-bad-mode.yaml' >/dev/null 2>&1; [ \$? -eq 1 ]"
t "missing file exit 3" sh -c "'$PLASTRON' check /nonexistent/policy.yaml >/dev/null 2>&1; [ \$? -eq 3 ]"
t "no file is a usage error" sh -c "'$PLASTRON' check >/dev/null 2>&1; [ \$? -eq 2 ]"
t "check --help" sh -c "'$PLASTRON' check --help | grep -q 'Examples:'"
t "explain --help" sh -c "'$PLASTRON' explain --help | grep -q 'Examples:'"
t "explain --name picks one" sh -c "[ \$('$PLASTRON' explain --name two '$multi' 2>/dev/null | grep -c '^Varmor') -eq 1 ]"
t "explain --name unknown" sh -c "'$PLASTRON' explain --name twoo '$multi' 2>&1 >/dev/null | grep -q \"did you mean 'two'\""
t "explain shows actions" sh -c "'$PLASTRON' explain '$src/examples/enhance-protect.yaml' | grep -q 'disallow-umount \\[hardening\\] deny+log'"
t "explain is deterministic" sh -c "[ \"\$('$PLASTRON' explain '$src/examples/enhance-protect.yaml')\" = \"\$('$PLASTRON' explain '$src/examples/enhance-protect.yaml')\" ]"
# the JSON form of the EnhanceProtect example compiles to the same model
model() { "$PLASTRON" explain "$1" 2>/dev/null | sed -E 's/  \(line [0-9]+\)//; s/  \[[^]]*\]$//'; }
same_model() {
	a=$(model "$1") && b=$(model "$2") && [ -n "$a" ] && [ "$a" = "$b" ]
}
t "JSON and YAML give the same model" same_model "$src/examples/enhance-protect.yaml" \
	"$src/tests/policy/good/enhance-protect.json"
t "JSON and YAML give the same model (seed000)" same_model "$src/examples/seed000.yaml" \
	"$src/tests/policy/good/seed000.json"
t "different policies differ" sh -c "! [ \"\$('$PLASTRON' explain '$src/examples/seed000.yaml' 2>/dev/null)\" = \"\$('$PLASTRON' explain '$src/examples/landlock.yaml' 2>/dev/null)\" ]"
echo "1..$n"
[ "$failed" -eq 0 ]
