#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Layout: the tree is what docs/design.md ("## Layout") says it is.
#   - every C file under src/ and include/ is named in that section;
#   - no C file under src/ include/ tests/ bench/ is over MAX_LINES lines
#     (static data tables may be listed in DATA_TABLES);
#   - every C file opens with a comment saying what it owns (after the SPDX
#     line);
#   - no meson.build reaches into another directory with '../'.
# One TAP case per check and file. Usage: layout.sh [SOURCE_ROOT]
set -uo pipefail
root=${1:-${PLASTRON_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}}
cd "$root" || exit 1
MAX_LINES=800
DATA_TABLES=() # none is over the limit today

n=0 failed=0
ok() { # ok COND-STATUS NAME [DETAIL]
	n=$((n + 1))
	if (($1 == 0)); then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[[ -n ${3:-} ]] && printf '# %s\n' "$3"
	fi
}

layout=$(awk '/^## Layout$/ {on = 1; next} on && /^## / {exit} on' docs/design.md)
[[ -n $layout ]]
ok $? "docs/design.md has a '## Layout' section"

mapfile -d '' files < <(find src include tests bench -type d -name 'build*' -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) ! -name vmlinux.h ! -name '*.skel.h' \
	-print0 2>/dev/null | sort -z)
for f in "${files[@]}"; do
	f=${f#./}
	case $f in
	src/* | include/*)
		grep -qwF -- "$(basename "$f")" <<<"$layout"
		ok $? "$f is named in design.md's layout" "add it to docs/design.md, '## Layout'"
		;;
	esac
	lines=$(wc -l <"$f")
	is_table=1
	for t in "${DATA_TABLES[@]}"; do [[ $f == "$t" ]] && is_table=0; done
	((lines <= MAX_LINES || is_table == 0))
	ok $? "$f: $lines lines (at most $MAX_LINES)" "split it along its responsibilities"
	# line 1 is the SPDX comment; the next line opens the file's own comment
	first=$(sed -n 1p "$f")
	second=$(sed -n 2p "$f")
	[[ $first == *SPDX* && $second == '/*'* ]]
	ok $? "$f opens with a comment saying what it owns" "line 2 should open a /* comment */"
done

while IFS= read -r -d '' m; do
	m=${m#./}
	! grep -nE "['\"]\.\./" "$m" >/dev/null
	ok $? "$m has no '../' path" "$(grep -nE "['\"]\.\./" "$m" | head -n 3 | tr '\n' ' ')"
done < <(find . -type d \( -name 'build*' -o -name .git \) -prune -o -name meson.build -print0 | sort -z)

echo "1..$n"
exit $((failed > 0))
