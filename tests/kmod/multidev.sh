#!/bin/sh
# multidev.sh - (qemu guest) several devices in one module: two soft
# devices of different sizes (soft_count=2 clusters=2,4 mem_mb=32,48
# cpus="0;1"), their nodes /dev/pto2 and /dev/pto2-1, their own sysfs and
# debugfs, pto2-info --list and pto2-top, both open at once, rmmod refused
# while one is open, one unplugged while the other serves, an example through libpto on each AT THE SAME TIME,
# and bad parameter lists refused at insmod with dmesg naming the entry.
# Reloads the module with $PTO2_PARAMS at the end.  Prints
# "PTO_TEST_RESULT passed failed skipped".
passed=0 failed=0 skipped=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
# expect NAME COMMAND...: one check that passes when the command succeeds
expect() {
	n=$1; shift
	if "$@" >/tmp/md.log 2>&1; then ok "$n"; else bad "$n"; sed 's/^/    | /' /tmp/md.log | tail -20; fi
}
attr() { cat "/sys/class/misc/$1/$2"; }
# small rings: two runtimes fit in 32 and 48 MiB of device memory
export PTO2_RING_HEAP=4M PTO2_RING_TASK_WINDOW=1024 PTO2_RING_DEP_POOL=1024
DBG=/sys/kernel/debug/pto2

# --- the single-device load of guest-init ($PTO2_PARAMS) is one device --------
expect "default load: exactly one node, /dev/pto2" \
	sh -c '[ "$(ls /dev | grep "^pto2")" = pto2 ] && [ -c /dev/pto2 ]'

pto2-load remove pto2 || bad "remove the module of guest-init"

# --- bad lists: refused at load, dmesg names the parameter and the entry ------
# refused PARAMS MESSAGE: insmod fails with exit 2 and dmesg says MESSAGE
refused() {
	echo "pto2-test: multidev refused $1" >/dev/kmsg
	# shellcheck disable=SC2086 # the parameters are words
	pto2-load insert "$PTO2_KO" $1 >/tmp/md.log 2>&1
	rc=$?
	if [ $rc -eq 2 ] && ! [ -e /dev/pto2 ] &&
	   dmesg | sed -n "/pto2-test: multidev refused $1\$/,\$p" | grep -qF "$2"; then
		ok "'$1' refused: $2"
	else
		bad "'$1': exit $rc (want 2), or dmesg lacks '$2'"
		cat /tmp/md.log; dmesg | tail -3
		pto2-load remove pto2 >/dev/null 2>&1
	fi
}
refused "soft_count=2 clusters=4,0" "clusters entry 1 is 0: must be 1..64"
refused "soft_count=1 mem_mb=32,64" "mem_mb: 2 entries for 1 soft device (set soft_count)"
refused "soft_count=17" "soft_count=17: must be 0..16"
refused "soft=0 soft_count=2" "soft_count=2 with soft=0"
refused "soft_count=2 cpus=0;banana" 'cpus entry 1 ("banana") is not a CPU list'
refused "soft_count=2 cpus=0;1;0" 'cpus="0;1;0": 3 entries for 2 soft devices'

# --- two soft devices of different sizes ---------------------------------------
expect "load soft_count=2 clusters=2,4 mem_mb=32,48 cpus=0;1" \
	pto2-load insert "$PTO2_KO" soft_count=2 clusters=2,4 mem_mb=32,48 "cpus=0;1"
expect "nodes /dev/pto2 and /dev/pto2-1 (mode 660), nothing else" sh -c '
	[ -c /dev/pto2 ] && [ -c /dev/pto2-1 ] &&
	[ "$(stat -c %a /dev/pto2)" = 660 ] && [ "$(stat -c %a /dev/pto2-1)" = 660 ] &&
	[ "$(ls /dev | grep "^pto2" | tr "\n" " ")" = "pto2 pto2-1 " ]'
expect "sysfs of pto2: 2 clusters, 6 cores, 32 MiB, cpus 0" sh -c "
	[ $(attr pto2 num_clusters) = 2 ] && [ $(attr pto2 num_cores) = 6 ] &&
	[ $(attr pto2 mem_size) = $((32 << 20)) ] && [ $(attr pto2 cpus) = 0 ] &&
	[ $(attr pto2 platform) = soft ]"
expect "sysfs of pto2-1: 4 clusters, 12 cores, 48 MiB, cpus 1" sh -c "
	[ $(attr pto2-1 num_clusters) = 4 ] && [ $(attr pto2-1 num_cores) = 12 ] &&
	[ $(attr pto2-1 mem_size) = $((48 << 20)) ] && [ $(attr pto2-1 cpus) = 1 ]"
expect "debugfs: a state per device, the top-level one is /dev/pto2's" sh -c "
	grep -q '^device: soft, 4 clusters, 12 cores, mem_size $((48 << 20))' $DBG/pto2-1/state &&
	grep -q '^device: soft, 2 clusters, 6 cores, mem_size $((32 << 20))' $DBG/pto2/state &&
	cmp -s $DBG/pto2/state $DBG/state && [ -w $DBG/soft0_unplug ] && [ -w $DBG/soft1_unplug ]"
pto2-info --list >/tmp/list.log 2>&1
cat /tmp/list.log
expect "pto2-info --list opens both (and the mock)" sh -c '
	grep -q "^0  pto2 .*/dev/pto2 .*soft .*, 2 clusters, 32 MiB" /tmp/list.log &&
	grep -q "^1  pto2-1 .*/dev/pto2-1 .*soft .*, 4 clusters, 48 MiB" /tmp/list.log &&
	grep -q "^2  mock " /tmp/list.log'

# one object per line ("name":"pto2",...): a device's fields up to its first nested object
expect "pto2-top --json shows both devices with their sizes" sh -c '
	pto2-top --json -d 0.1 | tr "{" "\n" >/tmp/top.json &&
	grep "^\"name\":\"pto2\"," /tmp/top.json | grep -q "\"clusters\":2," &&
	grep "^\"name\":\"pto2-1\"," /tmp/top.json | grep -q "\"clusters\":4,"'

# --- both open at once; rmmod refused while one of them is ----------------------
exec 3<>/dev/pto2 4<>/dev/pto2-1
expect "both open at once: opens 1 and 1" sh -c "[ $(attr pto2 opens) = 1 ] && [ $(attr pto2-1 opens) = 1 ]"
exec 3>&-
expect "/dev/pto2-1 open: rmmod refused, module is busy" sh -c '
	pto2-load remove pto2 2>/tmp/rm.log; rc=$?; cat /tmp/rm.log
	[ $rc -eq 1 ] && grep -q "module is busy" /tmp/rm.log && [ -c /dev/pto2 ]'
exec 4>&-

# --- an example through libpto on each device at the same time ------------------
pto-run vector_example --device /dev/pto2 --rounds 5 >/tmp/ex0.log 2>&1 &
p0=$!
pto-run bgemm --case Small --device /dev/pto2-1 --rounds 3 >/tmp/ex1.log 2>&1 &
p1=$!
# "at the same time", seen: both devices had their process's emulator
# attached at one sample
both=0
while kill -0 $p0 2>/dev/null || kill -0 $p1 2>/dev/null; do
	[ "$(attr pto2 attached)" = 1 ] && [ "$(attr pto2-1 attached)" = 1 ] && both=1
	sleep 0.02
done
wait $p0; r0=$?
wait $p1; r1=$?
expect "both runs were attached to their device at the same instant" [ $both = 1 ]
sed 's/^/    0| /' /tmp/ex0.log | tail -4
sed 's/^/    1| /' /tmp/ex1.log | tail -4
expect "vector_example on /dev/pto2 while bgemm runs on /dev/pto2-1" sh -c "
	[ $r0 -eq 0 ] && grep -q '^PASS vector_example' /tmp/ex0.log && grep -q 'on /dev/pto2 (2 clusters)' /tmp/ex0.log"
expect "bgemm on /dev/pto2-1 while vector_example runs on /dev/pto2" sh -c "
	[ $r1 -eq 0 ] && grep -q '^PASS bgemm' /tmp/ex1.log && grep -q 'on /dev/pto2-1 (4 clusters)' /tmp/ex1.log"

# --- one workload over both: pto-multi's bgemm split by tiles, a spec each -------
expect "pto-multi: bgemm split over /dev/pto2 and /dev/pto2-1, golden" sh -c '
	pto-multi --device /dev/pto2 --device /dev/pto2-1 >/tmp/pm.log 2>&1; rc=$?; cat /tmp/pm.log
	[ $rc -eq 0 ] && grep -q "^PASS multi_bgemm/Small on 2 devices" /tmp/pm.log'

# --- unplug one while the other keeps serving -----------------------------------
exec 4<>/dev/pto2-1
pto-run vector_example --device /dev/pto2 --rounds 3 >/tmp/ex0.log 2>&1 &
p0=$!
expect "unplug soft device 1 (its fd still open)" sh -c "echo 1 >$DBG/soft1_unplug"
wait $p0; r0=$?
expect "pto2-1 gone (node, sysfs, debugfs), pto2 still there" sh -c "
	! [ -e /dev/pto2-1 ] && ! [ -e /sys/class/misc/pto2-1 ] && ! [ -e $DBG/pto2-1 ] &&
	[ -c /dev/pto2 ] && [ $(attr pto2 num_clusters) = 2 ]"
expect "the run on /dev/pto2 across the unplug of pto2-1 passed" sh -c "
	[ $r0 -eq 0 ] && grep -q '^PASS vector_example' /tmp/ex0.log"
expect "the old device's file still pins the module" sh -c '! pto2-load remove pto2 2>/dev/null'
exec 4>&-
expect "plug soft device 1 back: /dev/pto2-1, 4 clusters again" sh -c "
	echo 0 >$DBG/soft1_unplug && [ -c /dev/pto2-1 ] &&
	[ \$(cat /sys/class/misc/pto2-1/num_clusters) = 4 ]"
expect "soft device 1 plugged twice: EBUSY" sh -c "! echo 0 >$DBG/soft1_unplug"
expect "unplug soft device 0: /dev/pto2 gone, /dev/pto2-1 serves" sh -c "
	echo 1 >$DBG/soft_unplug && ! [ -e /dev/pto2 ] && grep -q '^device: none' $DBG/state &&
	pto-run vector_example --device /dev/pto2-1 >/tmp/ex1.log 2>&1 &&
	grep -q '^PASS' /tmp/ex1.log"
expect "plug soft device 0 back: the lowest free index, /dev/pto2 again" sh -c "
	echo 0 >$DBG/soft0_unplug && [ -c /dev/pto2 ] &&
	[ \$(cat /sys/class/misc/pto2/num_clusters) = 2 ]"

# --- back to guest-init's module --------------------------------------------------
expect "unload: both nodes go" sh -c 'pto2-load remove pto2 && ! [ -e /dev/pto2 ] && ! [ -e /dev/pto2-1 ]'
# shellcheck disable=SC2086
expect "reload with \$PTO2_PARAMS" pto2-load insert "$PTO2_KO" $PTO2_PARAMS
echo "PTO_TEST_RESULT $passed $failed $skipped"
[ "$failed" -eq 0 ]
