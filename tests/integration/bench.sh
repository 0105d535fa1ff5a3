#!/usr/bin/env bash
# bench.sh - pto-bench runs and prints every metric (--quick; no timing
# assertions), and refuses bad input with one line and exit 2.
. "$(dirname "$0")/common.bash" bench
num='[0-9]+\.[0-9]'

# Sanitizer builds are several times slower: shrink the run.
extra=()
san=0
# (the paged-attention case too: its default has 1,952 tasks, run 5 times per mode)
pa_tasks='[0-9]{4,}'
case "$B" in *asan*|*tsan*) san=1; pa_tasks='[0-9]+'
	extra=(--tasks 300 --shapes independent,chain,stencil,pa --pa-case UnrollSmall) ;; esac

check "pto-bench --quick" 0 "$B/bin/pto-bench" --quick "${extra[@]}"
cp "$T/out" "$T/quick"
has "header names device and CPUs" '^pto-bench: device mock.* CPUs \(' "$T/quick"
has "independent auto: submit and e2e ns/task" "^  independent +auto +[0-9]+ +$num+ +$num+" "$T/quick"
has "chain auto: submit and e2e ns/task" "^  chain +auto +[0-9]+ +$num+ +$num+" "$T/quick"
# the runtime's own CPU per task, every shape and mode, and the issue's target next to it
# (a sanitizer build's shrunk run leaves the tree out, see above)
shapes="independent chain stencil tree"
[ $san = 1 ] && shapes="independent chain stencil"
for s in $shapes; do
	has "$s auto: orch and sched CPU ns/task" "^  $s +auto +[0-9]+ +$num+ +$num+ +$num+ +$num+\$" "$T/quick"
done
has "runtime CPU target" '^    orchestrator [0-9]+\.[0-9] ns \(target <= 100\), schedulers [0-9]+\.[0-9] ns \(target <= 150\)$' "$T/quick"
has "stencil auto row" "^  stencil +auto +[0-9]+ " "$T/quick"
# manual/explicit either measure or say clearly why not
for m in manual explicit; do
	has "chain $m: numbers or a stated reason" "^  chain +$m +[0-9]+ +($num+ +$num+|unsupported: .+|FAILED: .+)" "$T/quick"
done
# paged attention in each mode (examples/ is part of this tree, so numbers, golden-checked),
# and the ratios of the same interleaved run
for m in auto manual explicit; do
	has "paged_attn $m: submit, e2e, orch and sched CPU ns/task" "^  paged_attn +$m +[0-9]+ +$num+ +$num+ +$num+ +$num+\$" "$T/quick"
done
has "PA case named, >= 1,000 tasks" "^  PA case: [A-Za-z0-9]+ \\($pa_tasks tasks\\)\$" "$T/quick"
for m in auto manual explicit; do
	has "PA $m spread over >= 5 repetitions" "^  PA $m +e2e ns/task over [5-9] interleaved repetitions: median $num+, min $num+, max $num+\$" "$T/quick"
done
has "PA manual/explicit e2e ratio with its spread" '^  PA manual/explicit e2e: [0-9]+\.[0-9]{2} \(target <= 1\.05; per repetition min [0-9]+\.[0-9]{2}, max [0-9]+\.[0-9]{2}\)$' "$T/quick"
has "PA submit manual/auto ratio" '^  PA submit manual/auto: [0-9]+\.[0-9]{2}$' "$T/quick"
has "PA submit explicit/auto ratio" '^  PA submit explicit/auto: [0-9]+\.[0-9]{2}$' "$T/quick"
# METG: both widths by default, powers-of-two grains, one result per width
for w in 2 16; do
	has "METG width $w table" "^  width $w( |\$)" "$T/quick"
	has "METG width $w result" "^  METG\\(50%\\) width $w pto +: (<= )?$num+ us\$|^  METG\\(50%\\) width $w pto +: not determined: " "$T/quick"
done
has "METG sweep rows" "^ +131\.1 +[0-9]+ \| +$num+ +[0-9]+%" "$T/quick"
has "METG efficiency against every system" 'the best work rate any' "$T/quick"

# --width alone is the METG width too; --metg-widths wins over it.
check "pto-bench --width 8: METG at width 8 only" 0 "$B/bin/pto-bench" --quick --sections metg --width 8
has "--width 8: METG width 8" '^  width 8( |$)' "$T/out"
hasnt "--width 8: no default width 2" '^  width 2( |$)' "$T/out"
check "pto-bench --metg-widths 4,32 --width 8" 0 "$B/bin/pto-bench" --quick --sections metg \
	--metg-widths 4,32 --width 8
has "--metg-widths: width 4" '^  METG\(50%\) width 4 pto ' "$T/out"
has "--metg-widths: width 32" '^  METG\(50%\) width 32 pto ' "$T/out"
hasnt "--metg-widths wins over --width" '^  width 8( |$)' "$T/out"
has "window ratio" "^  throughput ratio 1024/16384: [0-9]+\.[0-9]+" "$T/quick"

# --modes filters paged attention too: only what was measured, no ratio without both sides.
check "pto-bench --shapes pa --modes manual" 0 "$B/bin/pto-bench" --quick --sections e2e --shapes pa --modes manual
has "paged_attn manual alone" "^  paged_attn +manual +[0-9]+ +$num+ +$num+ +$num+ +$num+\$" "$T/out"
hasnt "no other paged_attn mode" '^  paged_attn +(auto|explicit)' "$T/out"
hasnt "no PA ratio with one mode" '^  PA (manual/explicit|submit)' "$T/out"
has "the one mode's spread" '^  PA manual +e2e ns/task over 5 interleaved ' "$T/out"
check "pto-bench --shapes pa --modes explicit,manual --set unroll=1" 0 "$B/bin/pto-bench" --quick --sections e2e --shapes pa --modes explicit,manual --set unroll=1
has "manual/explicit ratio without auto" '^  PA manual/explicit e2e: [0-9]+\.[0-9]{2} ' "$T/out"
has "PA case names the --set override" '^  PA case: [A-Za-z0-9]+, unroll=1 \([0-9]+ tasks\)$' "$T/out"
check "pto-bench --pa-case CaseSmall1 --reps 6" 0 "$B/bin/pto-bench" --quick --sections e2e --shapes pa --modes auto --pa-case CaseSmall1 --reps 6
has "--pa-case names the case run" '^  PA case: CaseSmall1 \([0-9]+ tasks\)$' "$T/out"
has "--reps above the minimum counts for PA" '^  PA auto +e2e ns/task over 6 interleaved ' "$T/out"
hasnt "no submit ratio without auto" '^  PA submit' "$T/out"
check "pto-bench --trace --shape pa" 0 "$B/bin/pto-bench" --quick --trace "$T/pa.json" --shape pa --mode explicit
has "paged_attn trace written" "^trace of paged_attn/explicit, [0-9]+ tasks, the example's kernels: " "$T/out"

# Progress on stderr.  In a log: one plain line per section of each repetition.
check "progress in a log" 0 "$B/bin/pto-bench" --quick --sections e2e,window --shapes chain \
	--modes auto,manual --reps 2
grep '^pto-bench: repetition' "$T/err" >"$T/prog"
printf 'pto-bench: repetition %s\n' "1/2: e2e, 2 rows" "1/2: window, 2 rows" "2/2: e2e, 2 rows" \
	"2/2: window, 2 rows" >"$T/prog.want"
if cmp -s "$T/prog" "$T/prog.want"; then ok "progress in a log: a line per section and repetition"
else bad "progress in a log:"; diff "$T/prog.want" "$T/prog" | sed 's/^/      | /'; fi
hasnt "progress in a log: no terminal control" $'\r|\033' "$T/err"
hasnt "progress never on stdout" 'pto-bench: repetition' "$T/out"
# On a terminal (script(1) gives it one): a line rewritten per job.
if command -v script >/dev/null; then
	script -qec "$B/bin/pto-bench --quick --sections e2e,window --shapes chain --modes auto,manual --reps 2 >$T/tty.out" \
		/dev/null >"$T/tty" 2>&1
	for want in "repetition 1/2, e2e row 1/2: pto chain auto" "repetition 1/2, e2e row 2/2: pto chain manual" \
		"repetition 2/2, window row 2/2: pto independent auto, window 16384"; do
		if grep -qF $'\rpto-bench: '"$want"$'\033[K' "$T/tty"; then ok "terminal progress: $want"
		else bad "terminal progress: no '$want' line in:"; cat -v "$T/tty" | sed 's/^/      | /' | head -5; fi
	done
	hasnt "terminal progress: not in stdout" 'pto-bench: repetition' "$T/tty.out"
else
	skipped "script(1) not installed: terminal progress of pto-bench not tested"
fi

# Peers: only when built (they are not built in sanitizer builds).
if [ $san -eq 0 ] && [ -x "$B/bin/peer-omp" ] && [ -x "$B/bin/peer-starpu" ]; then
	check "pto-bench --quick --peers" 0 "$B/bin/pto-bench" --quick --peers --shapes chain,stencil --modes auto
	has "peer ratios" "^  chain +auto +[0-9]+ +$num+ +$num+ +$num+ +$num+ \| +$num+ +$num+ \| +$num+ +$num+" "$T/out"
	# Efficiency is against the best work rate of any system at that width, not each
	# system's own best: so not every system reaches 100% somewhere (with its own
	# best as the yardstick, each would).  Count the (width, system) columns without
	# a 100% cell: at least one (all three within 0.5% at both widths is not seen).
	below=$(awk -F'|' '/^  width [0-9]+/ { split($0, a, " "); w = a[2] }
		/^ +[0-9]+\.[0-9] +[0-9]+ \|/ { for (i = 2; i <= NF; i++) { col[w, i] = 1
			if ($i ~ / 100%/) hit[w, i] = 1 } }
		END { n = 0; for (k in col) if (!(k in hit)) n++; print n }' "$T/out")
	if [ "${below:-0}" -ge 1 ]; then ok "METG efficiency against the best of all systems ($below columns below 100%)"
	else bad "every system reaches 100% at every width: efficiency is not against the best of all"; fi
	for w in 2 16; do
		has "peer METG width $w" "^  METG\\(50%\\) width $w omp +: " "$T/out"
		has "peer METG width $w starpu" "^  METG\\(50%\\) width $w starpu: " "$T/out"
	done
	# the harness both peers share parses with the tools' cli (tests/peers/peer_main.c)
	see=" \\(see peer-omp --help\\)"
	check "peer-omp bad shape" 2 "$B/bin/peer-omp" --shape nope --tasks 10
	for v in 0 -1 +5 12x ""; do
		check "peer-omp --tasks '$v'" 2 "$B/bin/peer-omp" --shape tree --tasks "$v"
		has "peer-omp --tasks '$v' named" \
			"^peer-omp: --tasks '${v//+/\\+}': expected an integer in 1\\.\\.100000000$see\$" "$T/err"
	done
	peer_bad() { # peer name message args...
		local peer=$1 name=$2 msg=$3; shift 3
		check "peer-$peer $name" 2 "$B/bin/peer-$peer" "$@"
		has "peer-$peer $name: named" "^peer-$peer: $msg\$" "$T/err"
		one_line "peer-$peer $name" "$T/err"
	}
	peer_bad omp "unknown option" "unknown option '--frob'$see" --frob
	peer_bad omp "without --shape" "--shape and --tasks are required$see" --tasks 10
	peer_bad omp "without --tasks" "--shape and --tasks are required$see" --shape chain
	peer_bad omp "--tasks without value" "--tasks needs a value$see" --shape chain --tasks
	peer_bad omp "an operand" "unexpected argument 'x'$see" --shape chain --tasks 1 x
	peer_bad omp "stencil width 1" "stencil width must be 2\\.\\.4096" \
		--shape stencil --tasks 10 --width 1
	check "peer-starpu stencil width 2" 0 "$B/bin/peer-starpu" --shape stencil --tasks 20 --width 2
	has "peer-starpu width 2 result" '^peer=starpu shape=stencil tasks=20 ' "$T/out"
	peer_bad omp "tree width 12" "tree width \\(leaves\\) must be a power of two, 2\\.\\.4096" \
		--shape tree --tasks 10 --width 12
	peer_bad starpu "bad shape" "unknown --shape 'nope' \\(see peer-starpu --help\\)" \
		--shape nope --tasks 1
	check "peer-starpu --version" 0 "$B/bin/peer-starpu" --version
	has "peer-starpu --version line" "^peer-starpu \\(pto2\\) $(cat "$(dirname "$0")/../../VERSION")\$" "$T/out"
	check "peer-omp --opt=V" 0 "$B/bin/peer-omp" --shape=chain --tasks=50 --reps=2
	has "peer-omp --opt=V: two reps" '^peer=omp shape=chain tasks=50 .* rep=1 ' "$T/out"
	check "peer-omp runs" 0 "$B/bin/peer-omp" --shape tree --tasks 100 --width 4
	has "peer result line" '^peer=omp shape=tree tasks=100 grain_ns=0 threads=[0-9]+ rep=0 wall_ns=[0-9]+ ns_per_task=' "$T/out"
else
	skipped "peers not built in $B (sanitizer build, or libgomp/libstarpu-dev missing): peer checks skipped"
fi

# Bad input: exit 2 and exactly one line on stderr.
bad_input() { # name args...
	local name=$1; shift
	check "bad input: $name" 2 "$B/bin/pto-bench" "$@"
	if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^pto-bench: ' "$T/err"; then ok "one error line: $(cat "$T/err")"
	else bad "$name: stderr is not one 'pto-bench:' line"; sed 's/^/      | /' "$T/err"; fi
}
bad_input "unknown option" --frobnicate
bad_input "reps 0" --reps 0
bad_input "tasks not a number" --tasks 12x
bad_input "negative tasks" --tasks -5
bad_input "signed tasks" --tasks +5
bad_input "empty tasks" --tasks ""
bad_input "missing value" --tasks
bad_input "schedulers 4" --schedulers 4
bad_input "wiring 2" --wiring 2
bad_input "window not a power of two" --window 1000
bad_input "unknown shape" --shapes independent,zigzag
bad_input "unknown mode" --modes auto,magic
bad_input "tree width not a power of two" --shapes tree --width 12
bad_input "--set unknown key" --quick --shapes pa --set nope=1
bad_input "--set bad value" --quick --shapes pa --set unroll=0
bad_input "--set without =" --quick --shapes pa --set unroll
bad_input "--set scale=1e40 (inf as a float)" --quick --shapes pa --set scale=1e40
has "--set scale=1e40: value and range named" '^pto-bench: --set: parameter scale=1e40: expected a finite float, -3\.40282e\+38\.\.3\.40282e\+38 \(see pto-bench --help\)$' "$T/err"
bad_input "--set without the pa shape" --quick --shapes chain --set unroll=1
bad_input "--pa-case unknown" --quick --shapes pa --pa-case Nope
has "--pa-case unknown: named" "^pto-bench: --pa-case: paged_attention_unroll has no case Nope " "$T/err"
bad_input "--pa-case empty" --shapes pa --pa-case ""
bad_input "--pa-case without the pa shape" --quick --shapes chain --pa-case CaseSmall1
has "--pa-case without the pa shape: named" '^pto-bench: --pa-case names ' "$T/err"
bad_input "bad device spec" --quick --device "mock:clusters=0"
bad_input "unknown section" --sections e2e,fast
bad_input "grain not a number" --grain 1e3
bad_input "window too small" --window 32
bad_input "tasks fewer than the width" --tasks 8 --width 16
bad_input "width 1" --width 1
# --metg-widths: each refusal names the option
for v in 1 5000 x "" "2,,x" 2,2 2,4,8,16,32; do
	bad_input "--metg-widths '$v'" --metg-widths "$v"
	has "--metg-widths '$v' named" '^pto-bench: --metg-widths' "$T/err"
done
# an empty item of any list option is refused by position, not skipped
list_empty() { # option value item
	bad_input "$1 '$2'" "$1" "$2"
	has "$1 '$2': the empty item named" "^pto-bench: $1: item $3 of '$2' is empty \\(see pto-bench --help\\)\$" "$T/err"
}
list_empty --shapes ,chain 1
list_empty --shapes , 1
list_empty --modes auto,,manual 2
list_empty --sections e2e, 2
list_empty --metg-widths 2, 2
list_empty --metg-widths 2,,x 2
bad_input "--metg-widths without the metg section" --sections e2e --metg-widths 2
bad_input "unknown trace shape" --trace "$T/t.json" --shape zigzag
bad_input "unknown trace mode" --trace "$T/t.json" --mode magic
bad_input "--shape without a value" --trace "$T/t.json" --shape
has "--shape without a value named" '^pto-bench: --shape needs a value ' "$T/err"
bad_input "--mode without a value" --trace "$T/t.json" --mode
has "--mode without a value named" '^pto-bench: --mode needs a value ' "$T/err"
bad_input "--device without a value" --device
bad_input "--plot without a file" --plot
bad_input "--trace without a file" --trace
bad_input "--set without a value" --shapes pa --set
seventeen=()
for i in $(seq 17); do seventeen+=(--set unroll=1); done
bad_input "17 --set options" --quick --shapes pa "${seventeen[@]}"
bad_input "--plot without the metg section" --sections e2e --plot "$T/x.svg"
mkdir -p "$T/nobin"
if PATH="$T/nobin" "$B/bin/pto-bench" --quick --plot "$T/x.svg" >"$T/out" 2>"$T/err"; then
	bad "plot without gnuplot: exit 0"
else
	rc=$?
	[ $rc -eq 2 ] && grep -q 'gnuplot' "$T/err" && ok "plot without gnuplot: exit 2 naming gnuplot" ||
		bad "plot without gnuplot: exit $rc: $(cat "$T/err")"
fi

# bench-report.sh: a stray argument is refused before any build or run (it
# must not start the full run that rewrites docs/benchmarks.md), and its
# --quick smoke run writes a report from a run that succeeded.  Not on a
# sanitizer build: the script runs make, which knows BUILD but not SAN.
report=$(dirname "$0")/../../tools/bench-report.sh
for a in --frobnicate "--quick extra"; do
	# shellcheck disable=SC2086
	check "bench-report.sh $a" 2 "$report" $a
	has "bench-report.sh $a: refused by name" "^bench-report: unexpected argument '$a' " "$T/err"
	one_line "bench-report.sh $a" "$T/err"
done
if [ $san -eq 0 ]; then
	rm -f "$B/benchmarks-quick.md"
	check "bench-report.sh --quick" 0 env PTO_BUILD="$B" "$report" --quick
	has "quick report: summary rows" "^\| chain \| auto \| $num+ \| $num+ \| $num+ \| $num+ \| " "$B/benchmarks-quick.md"
	has "quick report: runtime CPU target" '^\* runtime CPU per task, independent auto .*orchestrator [0-9.]+ ns \(target <= 100\)' "$B/benchmarks-quick.md"
	has "quick report: runtime CPU without peers between repetitions" '^\* the same, repetitions back to back .*independent auto .*orchestrator [0-9.]+ ns \(target <= 100\)' "$B/benchmarks-quick.md"
	has "quick report: main run" '^## Main run$' "$B/benchmarks-quick.md"
	for h in raw track check; do
		has "quick report: hazards=$h run" "^\\\$ PTO_HAZARDS=$h .* # round 2\$" "$B/benchmarks-quick.md"
	done
	for w in 2 16; do
		has "quick report: METG width $w row" "^\\| width $w \\| ((<= )?$num+ us|not determined.*) \\| " "$B/benchmarks-quick.md"
	done
	for sys in pto omp starpu; do
		has "quick report: METG beside a competing process, $sys" "^\\| width 2 \\| $sys \\| ($num+ us|not determined) \\| ($num+ us|not determined) \\| ($num+|-) \\|\$" "$B/benchmarks-quick.md"
	done
	has "quick report: competing runs shown" '^\$ .* --sections metg   # round 2, beside a busy loop$' "$B/benchmarks-quick.md"
	# the competing busy loop is a subshell of the report: none may outlive it
	pgrep -af 'bench-report\.sh --quick' >"$T/left" || true
	hasnt "quick report: no busy loop left behind" . "$T/left"
	has "quick report: PA headline with spread" '^\* PA manual/explicit e2e: [0-9.]+ \(target <= 1\.05; per repetition ' "$B/benchmarks-quick.md"
	if command -v gnuplot >/dev/null; then
		has "quick report: the plot" '^!\[efficiency vs granularity\]\(benchmarks-quick-metg\.svg\)$' "$B/benchmarks-quick.md"
		has "quick report: the plot has both widths" "width 2" "$B/benchmarks-quick-metg.svg"
	else
		skipped "gnuplot not installed: bench-report's plot not tested"
	fi
	hasnt "quick report: pto-bench succeeded" '^\(pto-bench exited with status' "$B/benchmarks-quick.md"
else
	skipped "bench-report.sh --quick not run on a sanitizer build ($B)"
fi

test_result
