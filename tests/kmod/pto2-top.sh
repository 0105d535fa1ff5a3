#!/bin/sh
# pto2-top.sh - (qemu guest) the monitor on /dev/pto2: --json names the
# module's device with its sysfs facts, sees a process that holds the node
# open, and says why busy share and rings are unavailable; the plain form
# prints the device.  Prints "PTO_TEST_RESULT passed failed skipped".
passed=0 failed=0
t() { # name cmd...
	name=$1
	shift
	if "$@"; then echo "ok:   $name"; passed=$((passed + 1)); else
		echo "FAIL: $name"; failed=$((failed + 1)); fi
}
if ! [ -x /bin/pto2-top ]; then
	echo "!!! SKIP pto2-top: not built in this tree"
	echo "PTO_TEST_RESULT 0 0 1"
	exit 0
fi
pto-run paged_attention --device /dev/pto2 --rounds 100000 >/tmp/top-run.log 2>&1 &
pid=$!
# the node is open once pto-run got past pto_device_open()
for _ in $(seq 100); do ls -l /proc/$pid/fd 2>/dev/null | grep -q /dev/pto2 && break; sleep 0.1; done
pto2-top --json -d 0.3 >/tmp/top.json 2>/tmp/top.err
rc=$?
cat /tmp/top.json /tmp/top.err
t "json: exit 0" [ "$rc" -eq 0 ]
t "json: the module's device" grep -q '"name":"pto2","kind":"kmod","path":"/dev/pto2"' /tmp/top.json
t "json: platform soft" grep -q '"platform":"soft"' /tmp/top.json
t "json: the process holding it" grep -q "\"processes\":\\[[^]]*{\"pid\":$pid,\"comm\":\"pto-run\"}" /tmp/top.json
t "json: module counters" grep -q '"module":{"opens":[1-9]' /tmp/top.json
t "json: memory used" grep -q '"memory":{"total":[1-9][0-9]*,"used":[1-9]' /tmp/top.json
t "json: busy unavailable, with the reason" grep -q '"busy":{"available":false,"reason":"the module publishes no per-core busy time' /tmp/top.json
t "json: rings unavailable, with the reason" grep -q '"rings":{"available":false,"reason":"' /tmp/top.json
pto2-top -n 1 -d 0.2 >/tmp/top.txt 2>&1
t "plain: the device" grep -q '^pto2  pto2  /dev/pto2  soft' /tmp/top.txt
t "plain: its process" grep -q "^  processes: .*$pid pto-run" /tmp/top.txt
kill $pid
wait $pid 2>/dev/null
echo "PTO_TEST_RESULT $passed $failed 0"
[ "$failed" -eq 0 ]
