#!/usr/bin/env bash
# run.sh RESULTS_DIR BUILD_DIR - the install stage of `make check`: every
# tests/install/*.sh (each installs BUILD_DIR into a scratch DESTDIR and
# checks what a user of the installed tree gets), counted like
# tests/run-suite.sh counts the integration scripts: a script that exits
# non-zero or prints no PTO_TEST_RESULT line is a failure.  Writes
# "passed failed skipped" to RESULTS_DIR/install.
set -u
results=$1 build=$2
mkdir -p "$results" "$build/logs"
export PTO_BUILD=$build
passed=0 failed=0 skipped=0
echo "== stage install =="
shopt -s nullglob
scripts=(tests/install/*.sh)
for s in "${scripts[@]}"; do
	[ "$(basename "$s")" = run.sh ] && continue
	name=$(basename "$s" .sh) log=$build/logs/install-$name.log t0=$SECONDS
	timeout --kill-after=10 "${PTO_TEST_TIMEOUT:-600}" bash "$s" >"$log" 2>&1
	rc=$?
	ok=0 fail=0 skip=0
	if grep -q '^PTO_TEST_RESULT ' "$log"; then
		read -r _ ok fail skip < <(grep '^PTO_TEST_RESULT ' "$log" | tail -1)
	fi
	if [ "$fail" -eq 0 ] && { [ "$rc" -ne 0 ] || [ $((ok + fail + skip)) -eq 0 ]; }; then
		fail=1
		echo "run.sh: exit status $rc, $ok passed: counted as a failure" >>"$log"
	fi
	passed=$((passed + ok)) failed=$((failed + fail)) skipped=$((skipped + skip))
	status=ok
	[ "$fail" -gt 0 ] && status=FAIL
	printf '  %-40s %4d passed %3d failed %3d skipped  %3ds  %s\n' "$name" "$ok" "$fail" "$skip" \
		$((SECONDS - t0)) "$status"
	[ "$fail" -gt 0 ] && grep -E '^(FAIL|SKIP|run\.sh):' "$log" | head -20 | sed 's/^/      | /'
	[ "$skip" -gt 0 ] && grep -E '^SKIP:' "$log" | sed 's/^/      | /'
done
[ $((passed + failed + skipped)) -eq 0 ] && { echo "  no tests in tests/install: FAIL"; failed=1; }
echo "$passed $failed $skipped" >"$results/install"
echo "stage install: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
