#!/usr/bin/env bash
# tests/compilers/check.sh RESULTS_DIR - the tree under the other compilers
# and optimisation levels a user may pick (README, "Building").
#
# Each configuration builds everything with the tree's -Wall -Wextra -Werror:
# a warning one compiler gives and gcc -O2 does not (a loop clang's
# -Wfor-loop-analysis flags, an uninitialised-use that only -O3's inlining
# sees) breaks that user's build, so it fails here first.  The clang build
# then runs every example against its golden, so its code is exercised, not
# only compiled.  A missing compiler is a failure, never a skip.  Writes
# "passed failed 0" to RESULTS_DIR/compilers.
set -u
results=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
mkdir -p "$results"
passed=0 failed=0

echo "== stage compilers =="
pass() { echo "  PASS: $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $1"; failed=$((failed + 1)); }

# name, make variables; each its own build directory
configs=("clang:CC=clang" "gcc-O3:OPT=-O3" "clang-O3:CC=clang OPT=-O3")
for c in "${configs[@]}"; do
	name=${c%%:*} vars=${c#*:}
	cc=$(echo "$vars" | sed -n 's/.*CC=\([^ ]*\).*/\1/p')
	if ! command -v "${cc:-cc}" >/dev/null; then
		fail "$name: ${cc:-cc} not found (tools/install-deps.sh --check installs it)"
		continue
	fi
	log=build/$name/build.log
	mkdir -p "build/$name"
	# shellcheck disable=SC2086 # vars is a list of make assignments
	if make --no-print-directory -j2 BUILD="build/$name" $vars all >"$log" 2>&1; then
		pass "$name: make all, -Werror"
	else
		fail "$name: make all ($log):"
		grep -E 'error|warning' "$log" | head -20 | sed 's/^/    /'
	fi
done

# The clang build's examples, each one's first case against its golden.
run=build/clang/bin/pto-run
if [ -x "$run" ]; then
	mapfile -t examples < <("$run" --list | awk '/^[a-z_0-9]+ - /{ print $1 }')
	[ ${#examples[@]} -gt 0 ] || fail "clang: pto-run --list named no example"
	for e in "${examples[@]}"; do
		if out=$(timeout 120 "$run" "$e" 2>&1); then
			pass "clang: pto-run $e"
		else
			fail "clang: pto-run $e:"
			echo "$out" | tail -5 | sed 's/^/    /'
		fi
	done
else
	fail "clang: no $run to run the examples with"
fi

echo "$passed $failed 0" >"$results/compilers"
echo "stage compilers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
