#!/usr/bin/env bash
# pto2-info.sh - the pto2-info tool: cores by type for a given spec, the
# defaults, and exit status 2 with one line for bad arguments and specs.
set -u
bin=${PTO_BUILD:-build}/bin/pto2-info
passed=0 failed=0

check() { # name condition-status
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL: $1"; fi
}

out=$("$bin" --device mock:clusters=4); rc=$?
check "clusters=4 exits 0" "$rc"
echo "$out" | grep -q '^cores: *12: 4 AIC (ids 0-3), 8 AIV (ids 4-11)$'; check "clusters=4: 4 AIC + 8 AIV" $?
echo "$out" | grep -q '^platform: *mock'; check "platform mock" $?
echo "$out" | grep -q '^abi version: *1$'; check "abi version" $?

out=$(env -u PTO_DEVICE "$bin"); rc=$?
check "default exits 0" "$rc"
echo "$out" | grep -q '24 AIC (ids 0-23), 48 AIV (ids 24-71)'; check "default 24 clusters" $?
echo "$out" | grep -q '^memory: *1073741824 bytes'; check "default 1 GiB" $?

out=$(PTO_DEVICE=mock:clusters=2,mem=8M,workers=1 "$bin"); rc=$?
check "PTO_DEVICE exits 0" "$rc"
echo "$out" | grep -q '2 AIC (ids 0-1), 4 AIV (ids 2-5)'; check "PTO_DEVICE clusters" $?
echo "$out" | grep -q '^memory: *8388608 bytes'; check "PTO_DEVICE mem" $?
echo "$out" | grep -q '^workers: *1 threads'; check "PTO_DEVICE workers" $?

out=$("$bin" --device=mock:clusters=2); rc=$?
check "--device=SPEC exits 0" "$rc"
echo "$out" | grep -q '2 AIC (ids 0-1), 4 AIV (ids 2-5)'; check "--device=SPEC clusters" $?

"$bin" --help | grep -q '^usage: pto2-info'; check "--help" $?

for args in "--device mock:clusters=0" "--device mock:bogus=1" "--device" "--frobnicate" \
	"--device mock:mem=1T" "--device=" "--device /nonexistent/pto2"; do
	# shellcheck disable=SC2086
	err=$("$bin" $args 2>&1 >/dev/null); rc=$?
	[ "$rc" -eq 2 ]; check "'$args' exits 2 (got $rc)" $?
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ -n "$err" ]
	check "'$args' prints one line" $?
done
err=$("$bin" --device mock:clusters=99 2>&1); echo "$err" | grep -q "clusters='99'"
check "error names the bad value" $?
err=$("$bin" --device /nonexistent/pto2 2>&1); echo "$err" | grep -q '^pto2-info: /nonexistent/pto2: No such file or directory$'
check "an absent device node is named" $?

echo "PTO_TEST_RESULT $passed $failed 0"
[ "$failed" -eq 0 ]
