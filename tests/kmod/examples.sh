#!/bin/sh
# examples.sh - (qemu guest) every example through pto-run on /dev/pto2, so
# the examples run through the real module with the sim engine attached.
# The example names come from /etc/pto2-examples (written by run-qemu.sh
# from examples/*/).  Prints "PTO_TEST_RESULT passed failed skipped".
passed=0 failed=0 skipped=0
if ! [ -x /bin/pto-run ]; then
	echo "!!! SKIP examples: pto-run is not built in this tree"
	echo "PTO_TEST_RESULT 0 0 1"
	exit 0
fi
names=$(cat /etc/pto2-examples 2>/dev/null)
if [ -z "$names" ]; then
	echo "!!! SKIP examples: no examples in this tree"
	echo "PTO_TEST_RESULT 0 0 1"
	exit 0
fi
# run_example NAME WIRING: one example on /dev/pto2, wiring inline (0) or threaded (1)
run_example() {
	if PTO_WIRING=$2 pto-run "$1" --device /dev/pto2 >/tmp/ex.log 2>&1; then
		echo "example $1 (wiring $2): ok: $(grep '^PASS' /tmp/ex.log | tail -1)"
		passed=$((passed + 1))
	else
		echo "example $1 (wiring $2): FAIL"
		sed 's/^/    | /' /tmp/ex.log | tail -20
		failed=$((failed + 1))
	fi
}
for n in $names; do
	run_example "$n" 0
done
# the wiring thread over the real module too (one example keeps the stage short)
run_example vector_example 1
echo "PTO_TEST_RESULT $passed $failed $skipped"
[ "$failed" -eq 0 ]
