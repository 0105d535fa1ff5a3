#!/usr/bin/env bash
# run-suite.sh STAGE RESULTS_DIR BUILD_DIR
#
# Runs every cmocka binary in BUILD_DIR/tests and every integration script in
# tests/integration (with BUILD_DIR exported as PTO_BUILD), counts test cases,
# prints a per-stage line and writes "passed failed skipped" to
# RESULTS_DIR/STAGE.  A binary that dies without a cmocka summary, or a
# script that exits without a PTO_TEST_RESULT line, counts as one failure, so
# a crash or an early exit can never look like a pass.
set -u
stage=$1 results=$2 build=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$results" "$build/logs"
export PTO_BUILD=$build
passed=0 failed=0 skipped=0
failures=()

per_test_timeout=${PTO_TEST_TIMEOUT:-600}

run_one() { # name cmd...
	local name=$1; shift
	local log="$build/logs/$stage-$name.log"
	local t0=$SECONDS
	timeout --kill-after=10 "$per_test_timeout" "$@" >"$log" 2>&1
	local rc=$?
	local ok fail skip
	read -r ok fail skip < <(awk -f "$here/cmocka_count.awk" "$log")
	if ! grep -q '^\[==========\] .* test(s) run\.' "$log"; then
		# not a cmocka binary (integration script) or it died mid-run
		if grep -q '^PTO_TEST_RESULT ' "$log"; then
			read -r _ ok fail skip < <(grep '^PTO_TEST_RESULT ' "$log" | tail -1)
		fi
	fi
	# Exit status alone never passes a test: a run that exits non-zero, or
	# reports nothing (no cmocka summary, no PTO_TEST_RESULT line, or all
	# zeros: e.g. a script that stopped early with exit 0), is a failure.
	if [ "$fail" -eq 0 ] && { [ "$rc" -ne 0 ] || [ $((ok + fail + skip)) -eq 0 ]; }; then
		fail=1
		echo "run-suite: exit status $rc, $ok passed, $skip skipped: counted as a failure" >>"$log"
	fi
	passed=$((passed + ok)); failed=$((failed + fail)); skipped=$((skipped + skip))
	local status=ok
	[ "$fail" -gt 0 ] && { status=FAIL; failures+=("$name ($log)"); }
	printf '  %-40s %4d passed %3d failed %3d skipped  %3ds  %s\n' "$name" "$ok" "$fail" "$skip" \
		$((SECONDS - t0)) "$status"
	if [ "$fail" -gt 0 ]; then
		grep -E '^run-suite:|^\[  (FAILED|ERROR)|error|ERROR|Assert|FAIL|SUMMARY|WARNING: ThreadSanitizer' "$log" \
			| head -20 | sed 's/^/      | /'
	fi
}

echo "== stage $stage =="
shopt -s nullglob
bins=("$build"/tests/test_*)
scripts=(tests/integration/*.sh)
# An empty stage is a broken build or checkout, not a pass.
if [ ${#bins[@]} -eq 0 ] || [ ${#scripts[@]} -eq 0 ]; then
	echo "  no test binaries in $build/tests or no tests/integration/*.sh: FAIL"
	failed=$((failed + 1)); failures+=("stage $stage found no tests")
fi
for t in "${bins[@]}"; do
	run_one "$(basename "$t")" "$t"	# not executable: fails (rc 126), never skipped
done
# PTO_SUITE_LEAVE_OUT: scripts a stage cannot run (its caller says why), each
# named here and counted as skipped, never silently dropped
for s in "${scripts[@]}"; do
	case " ${PTO_SUITE_LEAVE_OUT:-} " in
	*" $(basename "$s" .sh) "*)
		printf '  %-40s LEFT OUT by this stage: counted as skipped\n' "$(basename "$s" .sh)"
		skipped=$((skipped + 1))
		continue ;;
	esac
	run_one "$(basename "$s" .sh)" bash "$s"
done
echo "$passed $failed $skipped" >"$results/$stage"
echo "stage $stage: $passed passed, $failed failed, $skipped skipped"
for f in "${failures[@]}"; do echo "  failed: $f"; done
[ "$failed" -eq 0 ]
