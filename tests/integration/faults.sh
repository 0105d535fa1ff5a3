#!/usr/bin/env bash
# faults.sh - faults a user injects through the device spec (--device
# mock:...,fault=KIND@TARGET[:KEY=N]...) reach the run through pto-run: a
# hung core ends in PTO_E_CORE_HANG within the configured --core-timeout, a
# failing kernel in PTO_E_KERNEL_FAILED naming it, a slow core still gives
# the right result; a failed run prints no PASS (nothing silently wrong);
# malformed faults exit 2 with one line naming the bad part.
# Prints "PTO_TEST_RESULT <passed> <failed> <skipped>"; exits 1 on failure.
. "$(dirname "$0")/common.bash" faults
run=$B/bin/pto-run

if [ ! -x "$run" ]; then
	bad "$run is missing (build first)"
	test_result
	exit 1
fi

# run_fault NAME WANT-RC ARGS... : pto-run under a kill backstop (a hang guard, not a timing check)
run_fault() {
	local name=$1 want=$2; shift 2
	check "$name" "$want" timeout --kill-after=5 120 "$run" "$@"
}

# hung core: both AIV cores of the one cluster hang on their first dispatch.
# The 300 ms bound is what ends it: the run must be over long before the
# 120 s kill (20 s leaves room for a loaded machine and the sanitizers).
t0=$SECONDS
run_fault "hang@core1,hang@core2" 1 vector_example --core-timeout 300 \
	--device mock:clusters=1,workers=2,fault=hang@core1,fault=hang@core2
[ $((SECONDS - t0)) -le 20 ] && ok "hang: over within the bound's reach ($((SECONDS - t0)) s)" ||
	bad "hang: took $((SECONDS - t0)) s with --core-timeout 300"
has "hang: named error" "round 1 failed: core did not finish its task: core [12] did not finish task [0-9]+ \(kernel 'add', block 0\) within 300 ms" "$T/err"
hasnt "hang: no PASS" "^PASS" "$T/out"

# failing kernel: the 4th matmul of bgemm fails with status -5 (EIO, the default)
run_fault "fail@kernel4:after=3" 1 bgemm --case Small \
	--device mock:clusters=2,workers=2,fault=fail@kernel4:after=3
has "fail: named error" "round 1 failed: kernel failed: task [0-9]+ failed: kernel 'matmul' \(id 4\) returned -5" "$T/err"
hasnt "fail: no PASS" "^PASS" "$T/out"

# status= sets what the kernel returns; the first add fails
run_fault "fail@kernel0:status=7" 1 vector_example \
	--device mock:clusters=1,workers=2,fault=fail@kernel0:status=7
has "fail status: named error" "kernel 'add' \(id 0\) returned -7" "$T/err"
hasnt "fail status: no PASS" "^PASS" "$T/out"

# slow cores: the AIC core of cluster 0 and an AIV core, every dispatch; right result
run_fault "slow@core0,slow@core2" 0 bgemm --case Small \
	--device mock:clusters=2,workers=2,fault=slow@core0:us=300,fault=slow@core2:us=2000
has "slow: golden matches" "^PASS bgemm/Small" "$T/out"

# a fault after the run's last matching dispatch never fires: the run passes
run_fault "fail@kernel0:after=1000000" 0 vector_example \
	--device mock:clusters=1,fault=fail@kernel0:after=1000000
has "late fault: golden matches" "^PASS vector_example" "$T/out"

# malformed faults: exit 2, one line naming the bad part
bad_fault() {
	local spec=$1 want=$2
	check "bad fault '$spec'" 2 "$run" vector_example --device "$spec"
	one_line "bad fault '$spec'" "$T/err"
	has "bad fault '$spec' names '$want'" "$want" "$T/err"
}
bad_fault "mock:fault=explode@core1" "fault kind 'explode' is not hang, fail or slow"
bad_fault "mock:fault=hang" "fault 'hang' has no target"
bad_fault "mock:fault=hang@cpu1" "fault target 'cpu1' is not coreN or kernelN"
bad_fault "mock:clusters=1,fault=hang@core3" "fault on core 3: the device has cores 0..2"
bad_fault "mock:fault=hang@kernel1024" "fault target 'kernel1024': kernel ids are 0..1023"
bad_fault "mock:fault=slow@core0" "fault 'slow@core0' needs us=MICROSECONDS"
bad_fault "mock:fault=slow@core0:us=0" "fault us='0' is not 1..10000000"
bad_fault "mock:fault=fail@core0:status=5000" "fault status='5000' is not 1..4095"
bad_fault "mock:fault=hang@core0:us=5" "unknown parameter 'us' for a hang fault"
bad_fault "mock:fault=fail@core0:after=1:after=2" "fault parameter 'after' given twice"
bad_fault "mock:fault=fail@core0:after" "fault parameter 'after' is not key=value"
bad_fault "mock:fault=fail@core0:after=-1" "fault after='-1' is not"
check "bad --core-timeout" 2 "$run" vector_example --core-timeout 0
one_line "bad --core-timeout" "$T/err"

# the help documents the grammar
check "pto-run --help" 0 "$run" --help
has "--help names fault=" "fault=KIND@TARGET" "$T/out"
has "--help names --core-timeout" "--core-timeout MS" "$T/out"

test_result
