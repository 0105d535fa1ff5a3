#!/usr/bin/env bash
# symbols.sh - libpto.so exports exactly the functions its public headers declare.
#
# Declared: every pto_* function declared at file scope in the installed
# headers (libpto/include/pto/*.h and runtime/include/pto/*.h), found by
# preprocessing them and reading only their own lines, minus static (inline)
# functions, which are never exported.  Exported: the defined dynamic symbols
# of $PTO_BUILD/lib/libpto.so.  Any difference fails, listed by direction.
set -u
cd "$(dirname "$0")/../.."
build=${PTO_BUILD:-build}
lib=$build/lib/libpto.so
cc=${CC:-cc}

fail() {
	echo "symbols: $*"
	echo "PTO_TEST_RESULT 0 1 0"
	exit 1
}

[ -f "$lib" ] || fail "$lib not built"
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

headers=$(ls libpto/include/pto/*.h runtime/include/pto/*.h 2>/dev/null)
[ -n "$headers" ] || fail "no public headers found"
for h in $headers; do
	echo "#include \"$h\""
done >"$tmp/all.c"

# Keep only text that comes from the public headers (line markers name the file).
"$cc" -E -std=gnu11 -D_GNU_SOURCE -Iuapi -Ilibpto/include -Iruntime/include -I. \
	"$tmp/all.c" >"$tmp/pp.i" 2>"$tmp/pp.err" || { cat "$tmp/pp.err"; fail "preprocessing failed"; }
awk '
/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); keep = (f ~ /(^|\/)(libpto|runtime)\/include\/pto\/[^\/]+\.h$/); next }
/^#/ { next }
keep { print }
' "$tmp/pp.i" >"$tmp/pub.i"

# Split into file-scope statements (a ';' at brace depth 0, or a function
# body's closing brace); in each, the function name is the first pto_*
# identifier followed by a parameter list at parenthesis depth 0.
awk '
function handle(stmt,    s, prev) {
	if (stmt ~ /(^|[^A-Za-z0-9_])(static|typedef)([^A-Za-z0-9_]|$)/)
		return
	s = stmt
	# collapse every parenthesised group, innermost first, to "@"
	do {
		prev = s
		gsub(/\([^()]*\)/, "@", s)
	} while (s != prev)
	if (match(s, /(^|[^A-Za-z0-9_])pto_[A-Za-z0-9_]*[ \t]*@/)) {
		s = substr(s, RSTART, RLENGTH)
		sub(/^[^p]*/, "", s)
		sub(/[ \t]*@$/, "", s)
		print s
	}
}
{ text = text $0 " " }
END {
	n = length(text); depth = 0; stmt = ""; fnbody = 0
	for (i = 1; i <= n; i++) {
		c = substr(text, i, 1)
		if (c == "{") {
			if (depth == 0) {
				t = stmt
				sub(/[ \t]+$/, "", t)
				fnbody = (substr(t, length(t), 1) == ")")
			}
			depth++
			continue
		}
		if (c == "}") {
			if (depth > 0)
				depth--
			if (depth == 0 && fnbody) {
				handle(stmt)
				stmt = ""
				fnbody = 0
			}
			continue
		}
		if (depth > 0)
			continue
		if (c == ";") {
			handle(stmt)
			stmt = ""
			continue
		}
		stmt = stmt c
	}
}
' "$tmp/pub.i" | sort -u >"$tmp/declared"

# Defined dynamic symbols, without version suffixes and version-node entries.
nm -D --defined-only "$lib" >"$tmp/nm" 2>"$tmp/nm.err" || { cat "$tmp/nm.err"; fail "nm failed"; }
awk '$2 != "A" { s = $3; sub(/@.*/, "", s); print s }' "$tmp/nm" |
	grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u >"$tmp/exported"

[ -s "$tmp/declared" ] || fail "found no declared functions (header parsing broke?)"

comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/missing"
comm -13 "$tmp/declared" "$tmp/exported" >"$tmp/extra"
nd=$(wc -l <"$tmp/declared")
ne=$(wc -l <"$tmp/exported")
echo "symbols: $nd declared in public headers, $ne exported by $lib"
rc=0
if [ -s "$tmp/missing" ]; then
	echo "symbols: declared but not exported ($(wc -l <"$tmp/missing")):"
	sed 's/^/  - /' "$tmp/missing"
	rc=1
fi
if [ -s "$tmp/extra" ]; then
	echo "symbols: exported but not declared ($(wc -l <"$tmp/extra")):"
	sed 's/^/  + /' "$tmp/extra"
	rc=1
fi
if [ "$rc" -ne 0 ]; then
	echo "PTO_TEST_RESULT 0 1 0"
	exit 1
fi
echo "symbols: exports match the public headers"
echo "PTO_TEST_RESULT 1 0 0"
