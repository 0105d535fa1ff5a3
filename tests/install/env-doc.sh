#!/usr/bin/env bash
# env-doc.sh - one list of environment variables: the names libpto knows
# (libpto/util/env.c, which its unknown-variable warning uses) are exactly
# the PTO_/PTO2_ rows of docs/env.md, every getenv() in the sources reads a
# variable of that table, and libpto(3) documents each of them.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash env-doc

sed -n '/^static const char \*const known_vars\[\] = {/,/^};/p' libpto/util/env.c |
	grep -oE '"[A-Z0-9_]+"' | tr -d '"' | sort -u >"$T/code"
grep -oE '^\| `[A-Z0-9_]+`' docs/env.md | grep -oE '[A-Z0-9_]+' | sort -u >"$T/doc"
grep -E '^PTO2?_' "$T/doc" >"$T/doc.pto"
[ "$(wc -l <"$T/code")" -ge 10 ] && ok "env.c lists $(wc -l <"$T/code") variables" ||
	bad "env.c: known_vars not found or short"
if diff "$T/code" "$T/doc.pto" >"$T/diff"; then ok "env.c and docs/env.md list the same PTO_/PTO2_ names"
else bad "env.c (<) and docs/env.md (>) differ:"; sed 's/^/      | /' "$T/diff"; fi

grep -rhoE 'getenv\("[A-Za-z0-9_]+"\)' libpto sim runtime tools examples tests |
	grep -oE '"[^"]+"' | tr -d '"' | sort -u >"$T/read"
comm -23 "$T/read" "$T/doc" >"$T/undoc"
if [ -s "$T/undoc" ]; then bad "read with getenv() but not in docs/env.md: $(tr '\n' ' ' <"$T/undoc")"
else ok "every getenv() variable ($(wc -l <"$T/read")) is in docs/env.md"; fi

page=${PTO_BUILD:-build}/man/man3/libpto.3
if [ -f "$page" ]; then
	missing=
	while read -r v; do grep -Fqx "\\fB$v\\fR" "$page" || missing+=" $v"; done <"$T/doc"
	[ -z "$missing" ] && ok "libpto(3) ENVIRONMENT has every variable" || bad "libpto(3) lacks:$missing"
else
	bad "$page not built (make man)"
fi

test_result
