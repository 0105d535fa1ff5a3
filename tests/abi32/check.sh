#!/usr/bin/env bash
# tests/abi32/check.sh RESULTS_DIR BUILD_DIR - the uapi layout check.
#
# Every struct in uapi/*.h and every one of its fields is found by parsing
# the headers (a member line the parser does not understand fails the
# check, so no struct or field goes uncovered).  A dump program built for
# the host (x86_64) prints each struct's size and each field's offset and
# size; from that, a file of _Static_asserts is generated and compiled with
# each 32-bit (and the aarch64) cross compiler, so nothing has to run on
# the target: any difference is a compile error naming struct and field.
# Static asserts inside the headers cannot do this: each compile sees one ABI.
#
# Targets: i386 (i686-linux-gnu-gcc), armhf (arm-linux-gnueabihf-gcc),
# aarch64 (aarch64-linux-gnu-gcc).  A missing compiler is a failure, never
# a skip.  Writes "passed failed 0" to RESULTS_DIR/abi32.
set -u
results=$1 build=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/$build/abi32
mkdir -p "$results" "$out"
passed=0 failed=0

echo "== stage abi32 =="
finish() {
	echo "$passed $failed 0" >"$results/abi32"
	echo "stage abi32: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# struct NAME / member NAME lines, in header order.
awk '
/^struct [a-z0-9_]+ \{/ { s = $2; inside = 1; print "struct " s; next }
inside && /^\};/ { inside = 0; next }
inside {
	line = $0
	sub(/\/\*.*\*\//, "", line)
	if (line ~ /^[ \t]*$/) next
	if (match(line, /^[ \t]*[A-Za-z_][A-Za-z0-9_ ]*[ \t*]+[A-Za-z_][A-Za-z0-9_]*[ \t]*(\[[^]]*\])?[ \t]*;[ \t]*$/)) {
		sub(/[ \t]*(\[[^]]*\])?[ \t]*;[ \t]*$/, "", line)
		n = split(line, w, /[ \t*]+/)
		print "member " w[n]
	} else {
		print "unparsed " FILENAME ": " $0
	}
}' "$top"/uapi/*.h >"$out/fields"

if grep -q '^unparsed' "$out/fields"; then
	echo "  FAIL: member lines the layout parser does not understand (extend tests/abi32/check.sh):"
	grep '^unparsed' "$out/fields" | sed 's/^unparsed /    /'
	failed=$((failed + 1))
	finish
fi
ns=$(grep -c '^struct' "$out/fields")
nf=$(grep -c '^member' "$out/fields")
if [ "$ns" -eq 0 ] || [ "$nf" -eq 0 ]; then
	echo "  FAIL: found no structs in uapi/*.h"
	failed=$((failed + 1))
	finish
fi

# The host dump program.
{
	echo '#include <stdio.h>'
	echo '#include <stddef.h>'
	for h in "$top"/uapi/*.h; do echo "#include \"$h\""; done
	echo 'int main(void) {'
	awk '
	/^struct/ { s = $2; printf "\tprintf(\"%s size %%zu\\n\", sizeof(struct %s));\n", s, s; next }
	/^member/ { printf "\tprintf(\"%s.%s offset %%zu size %%zu\\n\", offsetof(struct %s, %s), sizeof(((struct %s *)0)->%s));\n", s, $2, s, $2, s, $2 }
	' "$out/fields"
	echo '	return 0;'
	echo '}'
} >"$out/dump.c"
if ! cc -std=gnu11 -Wall -Werror -I"$top/uapi" -o "$out/dump" "$out/dump.c" 2>"$out/dump.err" ||
   ! "$out/dump" >"$out/layout.x86_64"; then
	cat "$out/dump.err"
	echo "  FAIL: the x86_64 layout dump did not build or run"
	failed=$((failed + 1))
	finish
fi
echo "  x86_64 reference: $ns structs, $nf fields ($build/abi32/layout.x86_64)"

# The same layout, asserted on another ABI.
{
	echo '#include <stddef.h>'
	for h in "$top"/uapi/*.h; do echo "#include \"$h\""; done
	awk '
	$2 == "size" { printf "_Static_assert(sizeof(struct %s) == %s, \"struct %s: size is not %s as on x86_64\");\n", $1, $3, $1, $3 }
	$2 == "offset" { split($1, a, "."); printf "_Static_assert(offsetof(struct %s, %s) == %s, \"struct %s field %s: offset is not %s as on x86_64\");\n", a[1], a[2], $3, a[1], a[2], $3
		printf "_Static_assert(sizeof(((struct %s *)0)->%s) == %s, \"struct %s field %s: size is not %s as on x86_64\");\n", a[1], a[2], $5, a[1], a[2], $5 }
	' "$out/layout.x86_64"
} >"$out/same.c"

for t in i386:i686-linux-gnu-gcc armhf:arm-linux-gnueabihf-gcc aarch64:aarch64-linux-gnu-gcc; do
	abi=${t%%:*} cc=${t#*:}
	if ! command -v "$cc" >/dev/null; then
		echo "  FAIL $abi: $cc not found (tools/install-deps.sh installs it)"
		failed=$((failed + 1))
		continue
	fi
	if "$cc" -std=gnu11 -fsyntax-only -I"$top/uapi" "$out/same.c" 2>"$out/$abi.err"; then
		echo "  ok   $abi: every struct size and field offset/size matches x86_64"
		passed=$((passed + 1))
	else
		echo "  FAIL $abi: layout differs from x86_64:"
		grep -o 'struct [a-z0-9_]*[^"]*as on x86_64' "$out/$abi.err" | sort -u | sed 's/^/    /'
		grep -q 'as on x86_64' "$out/$abi.err" || sed 's/^/    | /' "$out/$abi.err" | head -10
		failed=$((failed + 1))
	fi
done
finish
