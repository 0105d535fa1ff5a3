#!/usr/bin/env bash
# multidev.sh - several devices of one host: pto2-info --list, and the
# multi-device example (pto-multi: bgemm split by output tiles over mock
# devices) against the golden, its per-device trace, a failing device and
# bad input.
. "$(dirname "$0")/common.bash" multidev
info=$B/bin/pto2-info
multi=$B/bin/pto-multi

check "--list" 0 "$info" --list
has "--list ends with the mock" '^[0-9]+  mock +mock +mock \(user space\)' "$T/out"
last=$(tail -1 "$T/out")
case "$last" in *" mock "*) ok "--list: the mock is last" ;; *) bad "--list: last line '$last'" ;; esac
check "--list with --device" 2 "$info" --list --device mock
one_line "--list with --device" "$T/err"
check "named mock" 0 "$info" --device mock:name=left,clusters=1
has "named mock: name line" '^name: *left$' "$T/out"
check "mock index" 0 "$info" --device mock:index=3,clusters=1
has "mock index: name mock3" '^name: *mock3$' "$T/out"
check "name and index" 2 "$info" --device mock:name=a,index=1
has "name and index: message" 'give name= or index=, not both' "$T/err"

check "2 devices" 0 "$multi" --devices 2 --trace "$T/t.json"
has "2 devices: golden" '^PASS multi_bgemm/Small on 2 devices' "$T/out"
has "2 devices: copies counted" '^programs 2, uploads 4 ' "$T/out"
for d in dev0 dev1; do
	has "trace: host process of $d" "\"pto host \\($d\\)\"" "$T/t.json"
	has "trace: device process of $d" "\"pto device \\($d\\)\"" "$T/t.json"
done
check "trace parses" 0 python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
assert d['otherData']['devices'] == 2; \
pids={e['pid'] for e in d['traceEvents'] if e.get('ph') == 'X' and e.get('cat') == 'task'}; \
assert pids == {2, 4}, pids" "$T/t.json"
check "3 devices, Bgemm64" 0 "$multi" --devices 3 --case Bgemm64
has "3 devices: golden" '^PASS multi_bgemm/Bgemm64 on 3 devices' "$T/out"
check "1 device" 0 "$multi" --devices 1
has "1 device: golden" '^PASS multi_bgemm/Small on 1 devices' "$T/out"

# kernel 4 is the matmul: every device fails it, the first failure is named
check "failing device" 1 "$multi" --device mock:clusters=2,workers=1,fault=fail@kernel4
has "failing device: named" 'kernel failed: device [01] \(dev[01]\) program [01]:' "$T/err"
# the measurement runs (one round: no claim is checked, only that it reports)
check "--bench" 0 "$multi" --bench --rounds 1
has "--bench: scaling ratio" '^bench Small: 1 device .* 2 devices .* speed-up x[0-9.]+' "$T/out"
has "--bench: copy cost" '^bench staged copy .* per message .* per byte ' "$T/out"
# one --device per device: each its own spec, the count is theirs
check "a spec each" 0 "$multi" --device mock:clusters=2,name=left --device mock:clusters=3,name=right \
	--trace "$T/lr.json"
has "a spec each: golden on 2" '^PASS multi_bgemm/Small on 2 devices' "$T/out"
for d in left right; do
	has "a spec each: device $d in the trace" "\"pto device \\($d\\)\"" "$T/lr.json"
done
check "specs against --devices" 2 "$multi" --devices 3 --device mock:name=a --device mock:name=b
has "specs against --devices: named" '^pto-multi: --devices 3 with 2 --device specs ' "$T/err"
specs17=(); for i in $(seq 17); do specs17+=(--device "mock:name=d$i"); done
check "17 specs" 2 "$multi" "${specs17[@]}"
has "17 specs: named" '^pto-multi: --device: at most 16 devices ' "$T/err"
check "one bad spec of two" 2 "$multi" --device mock:name=a --device /dev/nope
has "one bad spec of two: named" '/dev/nope: No such file or directory$' "$T/err"
check "bad spec" 2 "$multi" --device mock:bogus=1
one_line "bad spec" "$T/err"
check "bad --devices" 2 "$multi" --devices 17
check "bad --case" 2 "$multi" --case Nope
test_result
