#!/bin/busybox sh
# guest-init.sh - /init of the qemu guest built by run-qemu.sh.
#
# Loads pto2.ko through pto2-load, runs every /tests/test_* cmocka binary
# and every /tests/*.sh script against /dev/pto2, unloads the module, checks
# dmesg (after every test and at the end: a kernel report or a new taint
# fails the test that caused it; kmemleak too where the kernel has it), prints one "PTO_KMOD_TEST <name> <passed> <failed> <skipped>" line
# per test and "PTO_KMOD_RESULT <passed> <failed> <skipped>" on the serial
# console, and exits qemu through isa-debug-exit (status 0 = all passed)
# where there is one (x86: /dev/port); arm64's virt machine has none, so
# there the result line alone carries the verdict and poweroff ends qemu.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp
mount -t tmpfs tmp /tmp
. /etc/pto2-test.env
# busybox modinfo wants a modules.dep even for a module given by path
mkdir -p "/lib/modules/$(uname -r)" && : >"/lib/modules/$(uname -r)/modules.dep"
export PTO2_KO PTO2_PARAMS PTO_DEVICE=/dev/pto2 HOME=/tmp
[ -n "${PTO2_FUZZ_SEED:-}" ] && export PTO2_FUZZ_SEED
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"

passed=0 failed=0 skipped=0
report() { # name passed failed skipped
	echo "PTO_KMOD_TEST $1 $2 $3 $4"
	passed=$((passed + $2)); failed=$((failed + $3)); skipped=$((skipped + $4))
}
# What the kernel says when something went wrong (lockdep, KASAN, KFENCE,
# UBSAN and DEBUG_ATOMIC_SLEEP report as BUG:/WARNING:/UBSAN:/KASAN:).
KPAT='WARNING:|BUG[: ]|Oops|general protection|Call Trace|refcount_t|list_(add|del) corruption|blocked for more than|UBSAN|KASAN|KFENCE|Busy inodes|possible recursive locking|circular locking|suspicious RCU|INFO: task|soft lockup|Kernel panic'
# O (out-of-tree) and E (unsigned) are the module's own taint, expected
TAINT_OK=$(( (1 << 12) | (1 << 13) ))
kmark() { # name: mark dmesg and remember the taint before test <name>
	echo "pto2-test: begin $1" >/dev/kmsg
	taint0=$(cat /proc/sys/kernel/tainted)
}
kcheck() { # name: 0 if the kernel stayed quiet and untainted since kmark <name>
	kbad=0
	if dmesg | sed -n "/pto2-test: begin $1\$/,\$p" | grep -E "$KPAT" >/tmp/kern.log; then
		echo "!!! $1: the kernel reported:"; cat /tmp/kern.log; kbad=1
	fi
	t=$(cat /proc/sys/kernel/tainted)
	if [ $(( t & ~taint0 & ~TAINT_OK )) -ne 0 ]; then
		echo "!!! $1: the kernel got tainted: $taint0 -> $t"; kbad=1
	fi
	return $kbad
}
check() { # name command... : one test that passes when the command succeeds
	name=$1; shift
	if "$@" >/tmp/check.log 2>&1; then report "$name" 1 0 0
	else cat /tmp/check.log; report "$name" 0 1 0; fi
}

echo "PTO_KMOD_BOOTED $(cut -d' ' -f1 /proc/uptime)s"
echo "pto2-test-start" >/dev/kmsg
# boot-time kmemleak reports are the kernel's, not ours
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w $KMEMLEAK ] && echo clear >$KMEMLEAK
check load pto2-load insert "$PTO2_KO" $PTO2_PARAMS
pto2-load status pto2
check dev_node_mode sh -c '[ "$(stat -c %a /dev/pto2)" = 660 ]'
if [ -x /bin/pto2-info ]; then
	# the module's parameters, as libpto sees them through /dev/pto2
	pto2-info --device /dev/pto2 >/tmp/info.log 2>&1
	cat /tmp/info.log
	check pto2_info grep -q '^platform: *soft' /tmp/info.log
	nc=$(echo "$PTO2_PARAMS" | sed -n 's/.*clusters=\([0-9]*\).*/\1/p')
	mb=$(echo "$PTO2_PARAMS" | sed -n 's/.*mem_mb=\([0-9]*\).*/\1/p')
	cpus=$(echo "$PTO2_PARAMS" | sed -n 's/.*cpus=\([0-9,-]*\).*/\1/p')
	check pto2_info_params sh -c "grep -q '^cores: *$((3 * nc)): $nc AIC' /tmp/info.log &&
		grep -q '^memory: *$((mb * 1048576)) bytes' /tmp/info.log &&
		grep -q '^cpus: *$cpus ' /tmp/info.log"
else
	echo "!!! SKIP pto2_info: pto2-info is not built yet (tools/pto2-info.c missing)"
	report pto2_info 0 0 1
fi

for t in /tests/test_* /tests/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	# PTO_KMOD_ONLY (a list of names) runs only those: for debugging, never in check
	if [ -n "$PTO_KMOD_ONLY" ] && ! echo " $PTO_KMOD_ONLY " | grep -q " $name "; then
		echo "!!! SKIP $name: not in PTO_KMOD_ONLY"; report "$name" 0 0 1; continue
	fi
	echo "== $name"
	start=$(cut -d' ' -f1 /proc/uptime)
	kmark "$name"
	case "$t" in
	*.sh) sh "$t" >/tmp/t.log 2>&1 ;;
	*) "$t" >/tmp/t.log 2>&1 ;;
	esac
	rc=$?
	cat /tmp/t.log
	if grep -q '^\[==========\] .* test(s) run\.' /tmp/t.log; then
		set -- $(awk -f /etc/cmocka_count.awk /tmp/t.log)
		ok=$1 fail=$2 skip=$3
	elif grep -q '^PTO_TEST_RESULT ' /tmp/t.log; then
		set -- $(grep '^PTO_TEST_RESULT ' /tmp/t.log | tail -1)
		ok=$2 fail=$3 skip=$4
	else
		ok=0 fail=0 skip=0
		[ "$rc" -eq 0 ] && ok=1
	fi
	[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
	kcheck "$name" || fail=$((fail + 1))
	echo "   ($name: rc $rc, $start -> $(cut -d' ' -f1 /proc/uptime)s)"
	report "$name" "$ok" "$fail" "$skip"
done

check unload pto2-load remove pto2
check no_dev_node_after_unload sh -c '! [ -e /dev/pto2 ]'
# a pass that leaves a kernel warning is a failure (liburing's rule)
if dmesg | sed -n '/pto2-test-start/,$p' | grep -E "$KPAT"; then
	report dmesg_clean 0 1 0
else
	report dmesg_clean 1 0 0
fi
if [ -w $KMEMLEAK ]; then
	# objects younger than 5 s are never reported; two scans, as kmemleak advises
	sleep 6
	echo scan >$KMEMLEAK; echo scan >$KMEMLEAK
	if [ -s $KMEMLEAK ]; then
		head -60 $KMEMLEAK; report kmemleak 0 1 0
	else
		report kmemleak 1 0 0
	fi
else
	echo "(kmemleak: not in this kernel; make check-kmod-debug runs it)"
fi
dmesg | grep -i pto2 | tail -5

echo "PTO_KMOD_RESULT $passed $failed $skipped"
rc=0
[ "$failed" -eq 0 ] || rc=1
[ -e /dev/port ] && printf "\\$(printf '%03o' $rc)" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
