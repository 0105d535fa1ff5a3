#!/usr/bin/env bash
# examples.sh - every example's small cases against their goldens through
# pto-run (wiring inline and on the wiring thread), PA_SEQ_LEN, rounds and
# tracing, and the bad inputs that must exit 2 with one line of error.
#
# PTO_BUILD selects the build (build, build/asan, build/tsan).  The small
# cases are a few hundred tasks at most: all of them take ~3 s here, ~11 s
# under TSan on a 2-vCPU machine.
# Prints "PTO_TEST_RESULT <passed> <failed> <skipped>"; exits 1 on failure.
. "$(dirname "$0")/common.bash" examples
run=$B/bin/pto-run

if [ ! -x "$run" ]; then
	bad "$run is missing (build first)"
	test_result
	exit 1
fi

# expect_pass NAME ARGS... : exit 0 and a PASS line
expect_pass() {
	local name=$1; shift
	timeout --kill-after=5 120 "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc -eq 0 ] && grep -q '^PASS ' "$T/out"; then
		ok "$name: $(grep '^PASS ' "$T/out" | cut -c1-110)"
	else
		bad "$name: exit $rc"
		sed 's/^/      | /' "$T/out" "$T/err" | tail -15
	fi
}

# expect_bad NAME ARGS... : exit 2 with exactly one line on stderr
expect_bad() {
	local name=$1; shift
	timeout --kill-after=5 60 "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	local lines
	lines=$(wc -l <"$T/err")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ]; then
		ok "$name: exit 2: $(cat "$T/err")"
	else
		bad "$name: exit $rc (want 2), $lines lines on stderr (want 1)"
		sed 's/^/      | /' "$T/err" | head -5
	fi
}

# Every small case of every example (from pto-run --list).
"$run" --list >"$T/list" || { bad "pto-run --list"; }
examples=$(awk '/^[a-z_]+ - /{print $1}' "$T/list")
[ -n "$examples" ] && ok "pto-run --list names $(echo $examples | wc -w) examples" ||
	bad "pto-run --list names no example"
for ex in $examples; do
	cases=$(awk -v e="$ex" '/^[a-z_]+ - /{cur=$1; next} cur==e && $2=="small"{print $1}' \
		"$T/list")
	for c in $cases; do
		expect_pass "$ex/$c" "$run" "$ex" --case "$c"
		# the same golden with the wiring thread linking tasks and retiring slots
		PTO_WIRING=1 expect_pass "$ex/$c, wiring thread" "$run" "$ex" --case "$c"
	done
done

# Variable per-sequence lengths, none a multiple of the block size but 64 and 128.
for ex in paged_attention paged_attention_unroll paged_attention_two_pass paged_attention_manual \
	batch_paged_attention; do
	PA_SEQ_LEN=33,64,17,128 expect_pass "PA_SEQ_LEN=33,64,17,128 $ex" \
		"$run" "$ex" --case CaseSmall1
done
expect_pass "unroll=2 over PA_SEQ_LEN" env PA_SEQ_LEN=5,100,47 \
	"$run" paged_attention_unroll --case CaseSmall1 --set unroll=2

# Batched paged attention: its kernels iterate over a chunk's sequences, so the task
# count follows the longest sequence, not the batch (2 and 16 sequences: the same 32
# tasks); more sequences than a chunk take more chunks; lengths vary per sequence.
for c in CaseBatch2 CaseBatch16; do
	expect_pass "batch_paged_attention/$c task count" "$run" batch_paged_attention --case "$c"
	grep -oE 'tasks [0-9]+ ' "$T/out" | head -1 >"$T/tasks-$c"
done
if [ -s "$T/tasks-CaseBatch2" ] && cmp -s "$T/tasks-CaseBatch2" "$T/tasks-CaseBatch16"; then
	ok "batch 2 and batch 16: the same task count ($(cat "$T/tasks-CaseBatch2"))"
else
	bad "batch 2 and batch 16 task counts differ: $(cat "$T/tasks-CaseBatch2") vs $(cat "$T/tasks-CaseBatch16")"
fi
expect_pass "batch_paged_attention in_core_batch=1 over PA_SEQ_LEN" env PA_SEQ_LEN=5,100,47,16,1 \
	"$run" batch_paged_attention --case CaseVarSeq4 --set in_core_batch=1
expect_bad "batch_paged_attention in_core_batch=0" "$run" batch_paged_attention --set in_core_batch=0
expect_bad "batch_paged_attention takes no unroll" "$run" batch_paged_attention --set unroll=2
expect_pass "window 64, batch_paged_attention" env PTO2_RING_TASK_WINDOW=64 \
	"$run" batch_paged_attention --case CaseBatch256

# A one-cluster device (1 AIC + 2 AIV) and a 16-slot task window (back-pressure).
expect_pass "one cluster, paged_attention" "$run" paged_attention --case CaseVarSeq4 \
	--device mock:clusters=1
expect_pass "one cluster, one worker, bgemm" "$run" bgemm --case SmallK4 \
	--device mock:clusters=1,workers=1
expect_pass "window 16, paged_attention_unroll" env PTO2_RING_TASK_WINDOW=16 \
	"$run" paged_attention_unroll --case UnrollSmall
expect_pass "window 16, bgemm" env PTO2_RING_TASK_WINDOW=16 "$run" bgemm --case Small

# A run that fails (a 32-task scope in a 16-slot window can never fit): exit 1, reason named.
PTO2_RING_TASK_WINDOW=16 timeout --kill-after=5 60 "$run" paged_attention --case CaseSmall2 \
	>"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'never fit' "$T/err" && ! grep -q '^PASS' "$T/out"; then
	ok "failed run exits 1: $(head -1 "$T/err" | cut -c1-100)"
else
	bad "failed run: exit $rc (want 1 and the scope deadlock named)"
	sed 's/^/      | /' "$T/out" "$T/err" | tail -5
fi

# Explicit-only dependencies: the manual examples declare every edge themselves.
expect_pass "vector_example_manual --deps explicit" "$run" vector_example_manual --deps explicit
expect_pass "bgemm_manual --deps explicit" "$run" bgemm_manual --case Small --deps explicit
expect_pass "bgemm_manual --deps auto" "$run" bgemm_manual --case Small --deps auto
expect_pass "vector_example --deps explicit" "$run" vector_example --deps explicit
expect_pass "paged_attention_manual --deps explicit" "$run" paged_attention_manual \
	--case CaseQTile --deps explicit
PA_SEQ_LEN=33,64,17,128 expect_pass "paged_attention_manual --deps explicit, PA_SEQ_LEN" \
	"$run" paged_attention_manual --case CaseSmall1 --deps explicit

# Rounds: the outputs are reset between rounds, so every round must be right.
expect_pass "bgemm --rounds 3" "$run" bgemm --case Small --rounds 3
ms='[0-9]+\.[0-9]{3} ms'
if grep -Eq "^median +: elapsed +$ms +orch +$ms +sched +$ms\$" "$T/out" &&
   grep -Eq "^trimmed +: elapsed +$ms +orch +$ms +sched +$ms  \(mean of all rounds: fewer than 10\)\$" "$T/out" &&
   [ "$(grep -c '^round ' "$T/out")" -eq 3 ]; then
	ok "--rounds 3 prints 3 rounds, median, and a trimmed mean that says it is the mean"
else
	bad "--rounds 3 output"
	sed 's/^/      | /' "$T/out"
fi

expect_pass "vector_example --rounds 10" "$run" vector_example --rounds 10
has_line() { grep -Eq "$1" "$T/out" && ok "$2" || { bad "$2"; sed 's/^/      | /' "$T/out"; }; }
has_line "^trimmed +: elapsed +$ms +orch +$ms +sched +$ms  \(mean without the lowest and highest 1\)\$" \
	"--rounds 10: the trimmed mean drops one round each side"

# Progress: with stdout in a file and stderr on a terminal, a round counter
# rewritten in place (stdout's rows are the progress otherwise).
if command -v script >/dev/null; then
	script -qec "$run vector_example --rounds 3 >$T/rounds.out" /dev/null >"$T/tty" 2>&1
	if grep -qF $'\rpto-run: round 1/3\033[K\rpto-run: round 2/3\033[K\rpto-run: round 3/3\033[K' "$T/tty" &&
	   grep -q '^PASS ' "$T/rounds.out" && ! grep -q 'pto-run: round' "$T/rounds.out"; then
		ok "terminal progress of --rounds: round 1/3 .. 3/3 on one line"
	else
		bad "terminal progress of --rounds:"; cat -v "$T/tty" | sed 's/^/      | /' | head -5
	fi
	script -qec "$run vector_example --rounds 3" /dev/null >"$T/tty" 2>&1
	if ! grep -q 'pto-run: round' "$T/tty" && [ "$(grep -c '^round ' "$T/tty")" -eq 3 ]; then
		ok "stdout on the terminal: its rows are the progress, no counter"
	else
		bad "stdout on the terminal:"; cat -v "$T/tty" | sed 's/^/      | /' | head -5
	fi
else
	skipped "script(1) not installed: terminal progress of pto-run not tested"
fi

# SPMD: blocks=4 makes every task four dispatches.
expect_pass "bgemm SPMD" "$run" bgemm --case SmallSpmd
if grep -q 'tasks 32 .*dispatches 128' "$T/out"; then
	ok "blocks=4: 32 tasks, 128 dispatches"
else
	bad "blocks=4: want 32 tasks and 128 dispatches"
	grep '^round' "$T/out" | sed 's/^/      | /'
fi

# Trace: a JSON file comes out and pto-trace summarizes it.
timeout --kill-after=5 120 "$run" vector_example --trace "$T/trace.json" >"$T/out" 2>"$T/err"
rc=$?
# every task the run reports is in the trace (pto-trace also exits 0 on an empty one)
n=$(sed -n 's/^round *1:.* tasks \([0-9]*\) .*/\1/p' "$T/out")
if [ $rc -eq 0 ] && [ -n "$n" ] && [ -s "$T/trace.json" ] &&
   "$B/bin/pto-trace" "$T/trace.json" >"$T/sum" 2>&1 &&
   grep -q "^  $n tasks, $n task events, " "$T/sum"; then
	ok "--trace wrote JSON ($(wc -c <"$T/trace.json") bytes) with all $n tasks"
else
	bad "--trace: exit $rc, or pto-trace did not find the run's ${n:-?} tasks in the trace"
	sed 's/^/      | /' "$T/out" "$T/err" "$T/sum" 2>/dev/null | tail -5
fi

# A trace path that cannot be created is bad input, found before the run:
# exit 2, one line naming the file and why, no round run.
timeout --kill-after=5 60 "$run" vector_example --trace "$T/no/such/dir/t.json" \
	>"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
   grep -qx "pto-run: --trace $T/no/such/dir/t.json: No such file or directory" "$T/err" &&
   ! grep -q '^round' "$T/out" && [ ! -e "$T/no" ]; then
	ok "unwritable --trace refused before the run, exit 2: $(cat "$T/err")"
else
	bad "unwritable --trace: exit $rc (want 2, one line naming the file, no round run)"
	sed 's/^/      | /' "$T/out" "$T/err" | tail -5
fi
expect_bad "--trace into a directory" "$run" vector_example --trace "$T"
grep -qx "pto-run: --trace $T: Is a directory" "$T/err" && ok "--trace DIR named" ||
	bad "--trace DIR: $(cat "$T/err")"
# the check leaves no file behind
timeout --kill-after=5 60 "$run" no_such_example --trace "$T/left.json" >/dev/null 2>&1
[ ! -e "$T/left.json" ] && ok "the --trace check leaves no file behind" ||
	bad "the --trace check left $T/left.json"
# A write that fails late (disk full) still reports the verdict, then exits 1.
if [ -w /dev/full ]; then
	timeout --kill-after=5 60 "$run" vector_example --trace /dev/full >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q '^PASS vector_example' "$T/out" &&
	   [ "$(wc -l <"$T/err")" -eq 1 ] &&
	   grep -q '^pto-run: --trace /dev/full: .*No space left on device$' "$T/err"; then
		ok "late trace failure: PASS reported, exit 1: $(cat "$T/err")"
	else
		bad "late trace failure: exit $rc (want 1 after the PASS line, one error line)"
		sed 's/^/      | /' "$T/out" "$T/err" | tail -5
	fi
else
	skipped "/dev/full not writable: late --trace failure not tested"
fi

# --opt=value is the same as --opt value.
expect_pass "--case=Small --rounds=2" "$run" bgemm --case=Small --rounds=2
[ "$(grep -c '^round ' "$T/out")" -eq 2 ] && ok "--rounds=2 ran 2 rounds" || bad "--rounds=2"

# Bad input: one line, exit 2.
expect_bad "no example" "$run"
expect_bad "unknown example" "$run" no_such_example
expect_bad "unknown case" "$run" bgemm --case NoSuchCase
expect_bad "unknown option" "$run" bgemm --frobnicate
expect_bad "extra argument" "$run" bgemm extra
expect_bad "--case without value" "$run" bgemm --case
expect_bad "--rounds 0" "$run" vector_example --rounds 0
expect_bad "--rounds -2" "$run" vector_example --rounds -2
expect_bad "--rounds abc" "$run" vector_example --rounds abc
expect_bad "--rounds +2" "$run" vector_example --rounds +2
expect_bad "--rounds 100001" "$run" vector_example --rounds 100001
expect_bad "--deps bogus" "$run" bgemm_manual --deps bogus
expect_bad "--deps without value" "$run" bgemm_manual --deps
# an example not written for explicit-only mode is refused, not run into a FAIL
expect_bad "paged_attention --deps explicit" "$run" paged_attention --deps explicit
expect_bad "bgemm --deps explicit" "$run" bgemm --case Small --deps explicit
expect_bad "zero size" "$run" vector_example --set rows=0
expect_bad "negative size" "$run" bgemm --set tile=-16
expect_bad "non-numeric size" "$run" paged_attention --set head_dim=sixteen
expect_bad "unknown parameter" "$run" bgemm --set colour=blue
# a float parameter must be finite as the float the kernels get, not only as a double
for v in 1e40 -1e39 inf nan; do
	expect_bad "vector_example a=$v" "$run" vector_example --set a=$v
	grep -qx "pto-run: vector_example/default: parameter a=$v: expected a finite float, -3.40282e+38..3.40282e+38" "$T/err" &&
		ok "a=$v: value and range named" || bad "a=$v: $(cat "$T/err")"
done
expect_bad "paged_attention scale=1e-50 (0 as a float)" "$run" paged_attention --case CaseSmall1 --set scale=1e-50
expect_bad "n not a multiple of grid_k" "$run" bgemm --set n=7
expect_bad "seq list vs batch" "$run" paged_attention --case CaseSmall1 --set seq=3,4
expect_bad "bad device spec" "$run" vector_example --device bogus
# a device node that does not exist, or is not a pto2 device, is bad input too
expect_bad "absent device node" "$run" vector_example --device /dev/nope
grep -qx 'pto-run: device /dev/nope: /dev/nope: No such file or directory' "$T/err" &&
	ok "absent device node named" || bad "absent device node: $(cat "$T/err")"
expect_bad "not a pto2 device" "$run" vector_example --device /dev/null
expect_bad "--set without =" "$run" vector_example --set rows
seventeen=()
for i in $(seq 17); do seventeen+=(--set rows=8); done
expect_bad "17 --set options" "$run" vector_example "${seventeen[@]}"
# the runtime configuration: refused when read (config_init) and when used (create)
expect_bad "PTO2_RING_TASK_WINDOW=abc" env PTO2_RING_TASK_WINDOW=abc "$run" vector_example
expect_bad "PTO2_RING_TASK_WINDOW=1000" env PTO2_RING_TASK_WINDOW=1000 "$run" vector_example
for v in abc -1 1000000001; do
	expect_bad "PTO_SCHED_SPIN_NS=$v" env PTO_SCHED_SPIN_NS=$v "$run" vector_example
	grep -qxF "pto-run: PTO_SCHED_SPIN_NS='$v': expected an integer 0..1000000000" "$T/err" &&
		ok "PTO_SCHED_SPIN_NS=$v named with its range" || bad "PTO_SCHED_SPIN_NS=$v: $(cat "$T/err")"
done
expect_pass "PTO_SCHED_SPIN_NS=0" env PTO_SCHED_SPIN_NS=0 "$run" vector_example
# empty is unset (docs/env.md): the case's own seq, no override shown
PA_SEQ_LEN= expect_pass "PA_SEQ_LEN= (empty: the case's seq)" "$run" paged_attention --case CaseSmall1
hasnt "PA_SEQ_LEN=: no override shown" 'PA_SEQ_LEN=' "$T/out"
expect_pass "PTO2_RING_TASK_WINDOW= (empty: the default)" env PTO2_RING_TASK_WINDOW= "$run" vector_example
for v in "33,,17" "0" "-4,8" "12x" "33;64" ","; do
	PA_SEQ_LEN=$v expect_bad "PA_SEQ_LEN=\"$v\"" "$run" paged_attention --case CaseSmall1
done

test_result
