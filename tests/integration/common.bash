# tests/integration/common.bash - sourced by the integration scripts, not run
# by run-suite.sh (which takes only *.sh): the build to test, a scratch
# directory removed on exit, and the pass/fail counters with their checks.
#
#	. "$(dirname "$0")/common.bash" NAME
#
# Sets B (the build, $PTO_BUILD or build) and T (the scratch directory).  The
# script ends with test_result, which prints the PTO_TEST_RESULT line that
# run-suite.sh counts and fails when any check failed.
set -u
B=${PTO_BUILD:-build}
T=$(mktemp -d "/tmp/pto-$1-test.XXXXXX") || { echo "PTO_TEST_RESULT 0 1 0"; exit 1; }
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 skip=0

ok() { echo "ok:   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
skipped() { echo "SKIP: $1"; skip=$((skip + 1)); }
check() { # name expected-rc cmd... ; output in $T/out, stderr in $T/err
	local name=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else
		bad "$name: exit $rc, want $want"; sed 's/^/      | /' "$T/err" "$T/out" | tail -15; fi
}
has() { # name pattern file
	if grep -Eq -- "$2" "$3"; then ok "$1"; else bad "$1: no /$2/ in:"; sed 's/^/      | /' "$3" | head -40; fi
}
hasnt() { # name pattern file
	if grep -Eq -- "$2" "$3"; then bad "$1: /$2/ in:"; sed 's/^/      | /' "$3" | head -40; else ok "$1"; fi
}
one_line() { # name file: exactly one non-empty line
	if [ "$(wc -l <"$2")" -eq 1 ] && [ -s "$2" ]; then ok "$1: one line"; else
		bad "$1: $(wc -l <"$2") lines, want 1"; sed 's/^/      | /' "$2" | head -5; fi
}
test_result() {
	echo "PTO_TEST_RESULT $pass $fail $skip"
	[ "$fail" -eq 0 ]
}
