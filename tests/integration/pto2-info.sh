#!/usr/bin/env bash
# pto2-info.sh - the pto2-info tool: cores by type for a given spec, the
# defaults, and exit status 2 with one line for bad arguments and specs.
. "$(dirname "$0")/common.bash" pto2-info
bin=$B/bin/pto2-info

check "clusters=4" 0 "$bin" --device mock:clusters=4
has "clusters=4: 4 AIC + 8 AIV" '^cores: *12: 4 AIC \(ids 0-3\), 8 AIV \(ids 4-11\)$' "$T/out"
has "platform mock" '^platform: *mock' "$T/out"
has "abi version" '^abi version: *2$' "$T/out"

check "default" 0 env -u PTO_DEVICE "$bin"
has "default 24 clusters" '24 AIC \(ids 0-23\), 48 AIV \(ids 24-71\)' "$T/out"
has "default 1 GiB" '^memory: *1073741824 bytes' "$T/out"

check "PTO_DEVICE" 0 env PTO_DEVICE=mock:clusters=2,mem=8M,workers=1 "$bin"
has "PTO_DEVICE clusters" '2 AIC \(ids 0-1\), 4 AIV \(ids 2-5\)' "$T/out"
has "PTO_DEVICE mem" '^memory: *8388608 bytes' "$T/out"
has "PTO_DEVICE workers" '^workers: *1 threads' "$T/out"

check "--device=SPEC" 0 "$bin" --device=mock:clusters=2
has "--device=SPEC clusters" '2 AIC \(ids 0-1\), 4 AIV \(ids 2-5\)' "$T/out"

check "--help" 0 "$bin" --help
has "--help prints the usage" '^Usage: pto2-info' "$T/out"

for args in "--device mock:clusters=0" "--device mock:bogus=1" "--device" "--frobnicate" \
	"--device mock:mem=1T" "--device=" "--device /nonexistent/pto2"; do
	# shellcheck disable=SC2086
	check "'$args'" 2 "$bin" $args
	one_line "'$args'" "$T/err"
done
check "clusters=99" 2 "$bin" --device mock:clusters=99
has "error names the bad value" "clusters='99'" "$T/err"
check "absent device node" 2 "$bin" --device /nonexistent/pto2
has "an absent device node is named" '^pto2-info: /nonexistent/pto2: No such file or directory$' "$T/err"

test_result
