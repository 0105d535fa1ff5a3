#!/usr/bin/env bash
# bench-report.sh [--quick] - measure and (re)write docs/benchmarks.md.
#
# Runs pto-bench with the peers (interleaved, median of repetitions), then
# the end-to-end metrics for each scheduler / wiring configuration, and
# writes the results with the machine, the thread layout and the exact
# commands.  Builds the tree first; for the peers and the plot it needs
# `tools/install-deps.sh --bench`.  --quick: a smoke run that writes to
# build/benchmarks-quick.md instead (tests/integration/bench.sh runs it).
# Any other argument exits 2.
set -eu
cd "$(dirname "$0")/.."
B=${PTO_BUILD:-build}
quick=0
# Anything else is refused: an unknown argument must not start the full run,
# which takes many minutes and rewrites docs/benchmarks.md.
case "$#:${1:-}" in
0:) ;;
1:--quick) quick=1 ;;
*) echo "bench-report: unexpected argument '$*' (usage: bench-report.sh [--quick])" >&2
   exit 2 ;;
esac

bench=$B/bin/pto-bench
# Build first: a report must never measure binaries older than the git id it names.
make --no-print-directory BUILD="$B" all >/dev/null || { echo "bench-report: build failed" >&2; exit 1; }
if [ $quick -eq 1 ]; then
	doc=$B/benchmarks-quick.md svg=$B/benchmarks-quick-metg.svg
	main_args=(--quick --peers)
	cfg_args=(--quick --sections e2e --shapes independent,chain --modes auto)
else
	doc=docs/benchmarks.md svg=docs/benchmarks-metg.svg
	main_args=(--peers --reps 3)
	cfg_args=(--sections e2e --shapes independent,chain --modes auto --reps 3)
fi
peers_note=""
for p in omp starpu; do
	[ -x "$B/bin/peer-$p" ] || peers_note="$peers_note peer-$p is not built (tools/install-deps.sh --bench, then make);"
done
# Without gnuplot, no --plot at all (removing it by substitution left two
# empty arguments, which pto-bench refuses).
if command -v gnuplot >/dev/null; then main_args+=(--plot "$svg"); else svg=""; fi

tmp=$(mktemp -d /tmp/bench-report.XXXXXX)
busy=""
# (the competing busy loop below, if the report dies while it runs)
trap 'rm -rf "$tmp"; [ -z "$busy" ] || kill "$busy" 2>/dev/null || true' EXIT

t0=$SECONDS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-report: $bench ${main_args[*]}" >&2
rc=0
"$bench" "${main_args[@]}" >"$tmp/main" 2>"$tmp/main.err" || rc=$?
[ $rc -eq 0 ] || echo "bench-report: pto-bench exited $rc (the report says so)" >&2

cfgs=()
for s in 1 2 3; do
	for w in 0 1; do
		cfgs+=("--schedulers $s --wiring $w")
	done
done
for c in "${cfgs[@]}"; do
	# shellcheck disable=SC2086
	echo "bench-report: $bench ${cfg_args[*]} $c" >&2
	# shellcheck disable=SC2086
	"$bench" "${cfg_args[@]}" $c >"$tmp/cfg" 2>&1 || true
	key=$(echo "$c" | tr ' ' '_')
	cp "$tmp/cfg" "$tmp/cfg$key"
done
# alternated TAG VAR "VALUES" ARGS...: pto-bench ARGS with VAR set to each
# of VALUES in turn, twice round, so a slow phase of the machine hits all;
# outputs in $tmp/TAG<value>.<round>.
alternated() {
	local tag=$1 var=$2 vals=$3 round v
	shift 3
	for round in 1 2; do
		for v in $vals; do
			echo "bench-report: $var=$v $bench $* (round $round)" >&2
			env "$var=$v" "$bench" "$@" >"$tmp/$tag$v.$round" 2>&1 || true
		done
	done
}
# show_alternated TAG VAR "VALUES" DROP ARGS...: those runs for the report,
# each under its command line, without blank lines and lines matching DROP.
show_alternated() {
	local tag=$1 var=$2 vals=$3 drop=$4 round v
	shift 4
	for round in 1 2; do
		for v in $vals; do
			echo
			echo '```'
			echo "\$ $var=$v $bench $*   # round $round"
			grep -vE '^\s*$' "$tmp/$tag$v.$round" | grep -vE "$drop" || true
			echo '```'
		done
	done
}
# Before and after the inline emulation of the cores (docs/runtime.md,
# "Emulating the cores"): the same graphs with every core on the sim
# workers (PTO_INLINE_CORES=0) and by default, alternated twice so a slow
# phase of the machine hits both.
if [ $quick -eq 1 ]; then
	emu_args=(--quick --sections e2e --shapes chain,stencil --modes auto)
else
	emu_args=(--sections e2e,metg --shapes chain,stencil,tree --modes auto --reps 3)
fi
alternated emu PTO_INLINE_CORES "0 1" "${emu_args[@]}"
# What each hazard mode costs (docs/runtime.md, "Hazards"): the AUTO shapes
# under PTO_HAZARDS=raw, track and check, alternated twice.
if [ $quick -eq 1 ]; then
	haz_args=(--quick --sections e2e --shapes chain,stencil --modes auto)
else
	haz_args=(--sections e2e --shapes independent,chain,stencil,tree --modes auto --reps 3
		  --tasks 20000)
fi
alternated haz PTO_HAZARDS "raw track check" "${haz_args[@]}"
# METG beside one competing CPU-bound process (a busy shell loop, as a
# user's other job would be) and without it, alternated twice, every
# system: how much each one's METG degrades when it does not have the
# machine to itself.
if [ $quick -eq 1 ]; then
	comp_args=(--quick --peers --sections metg)
else
	comp_args=(--peers --sections metg --reps 1)
fi
comp_rounds="1 2 3"
for round in $comp_rounds; do
	for c in 0 1; do
		echo "bench-report: $bench ${comp_args[*]} (competing process: $c, round $round)" >&2
		if [ $c -eq 1 ]; then
			( while :; do :; done ) &
			busy=$!
		fi
		"$bench" "${comp_args[@]}" >"$tmp/comp$c.$round" 2>&1 || true
		if [ -n "$busy" ]; then
			kill "$busy" 2>/dev/null || true
			wait "$busy" 2>/dev/null || true
			busy=""
		fi
	done
done
# Head / tail overhead from traces of single runs.
if [ $quick -eq 1 ]; then trace_n=500; else trace_n=20000; fi
for s in independent chain; do
	echo "bench-report: $bench --trace $tmp/$s.json --shape $s --tasks $trace_n" >&2
	{ "$bench" --trace "$tmp/$s.json" --shape $s --tasks $trace_n 2>&1 | grep -v '^pto: ' &&
	  "$B/bin/pto-trace" "$tmp/$s.json"; } >"$tmp/trace-$s" 2>&1 || true
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
minutes=$(( (SECONDS - t0 + 59) / 60 ))

cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
{
	echo "# Benchmarks"
	echo
	echo "Generated by \`tools/bench-report.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "(git $(git rev-parse --short HEAD 2>/dev/null || echo unknown); about $minutes min)."
	echo "Every number below was measured in that run; regenerate with the same"
	echo "command. Metrics are defined in DESIGN.md §7 and \`pto-bench --help\`;"
	echo "each is the median of repetitions interleaved with every other"
	echo "configuration in the same run, so slow phases of this shared machine hit all"
	echo "systems alike. Compare ratios, not absolute times."
	echo
	echo "## Summary"
	echo
	echo "Extracted from the main run below (ns per task, medians):"
	echo
	echo "| shape | mode | submit | e2e | orch CPU | sched CPU | pto/omp | pto/starpu |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk '$2 ~ /^(auto|manual|explicit|example)$/ && $3 ~ /^[0-9]+$/ && $5 ~ /^[0-9.]+$/ {
		r1 = "-"; r2 = "-"
		if ($8 == "|") { r1 = $10; r2 = $13 }
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $4, $5, $6, $7, r1, r2 }' "$tmp/main"
	echo
	grep -A1 '^  runtime CPU per task' "$tmp/main" | sed 's/^ *//' | paste -sd' ' |
		sed 's/^/* /' || true
	# The main run puts a peer process between pto's repetitions; the
	# configuration runs below have none: a second sample of the same cost.
	grep -A1 '^  runtime CPU per task' "$tmp/cfg--schedulers_1_--wiring_0" 2>/dev/null |
		sed 's/^ *//' | paste -sd' ' |
		sed 's/^runtime CPU per task, /* the same, repetitions back to back (no peer between them: the "--schedulers 1 --wiring 0" run below), /' || true
	echo
	grep -E '^  throughput ratio|^  PA ' "$tmp/main" | sed 's/^  /* /' || true
	echo
	echo "METG(50%) per stencil width (Task Bench method, \"How to read it\" below):"
	echo
	echo "| stencil | pto | omp | starpu | pto/omp | pto/starpu |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	awk 'function d(x) { return x == "" ? "-" : x }
	/^  METG\(50%\) width [0-9]+ / {
		w = $3; s = $4; sub(/:$/, "", s); val = $0; sub(/^[^:]*: /, "", val)
		v[w, s] = val; if (!(w in seen)) { seen[w] = 1; order[n++] = w } }
	/^  METG width [0-9]+ pto\/[a-z]+: / {
		split($4, a, "/"); s = a[2]; sub(/:$/, "", s); r[$3, s] = $5 }
	END { for (i = 0; i < n; i++) { w = order[i]
		printf "| width %s | %s | %s | %s | %s | %s |\n", w, d(v[w, "pto"]), d(v[w, "omp"]),
		       d(v[w, "starpu"]), d(r[w, "omp"]), d(r[w, "starpu"]) } }' "$tmp/main"
	echo
	echo "## Machine"
	echo
	echo "* CPUs: $(nproc) online ($cpu), kernel $(uname -r)"
	echo "* Load average (1/5/15 min) before the run: $load_before; after: $load_after."
	echo "  The machine is shared: a load above the CPU count means other processes"
	echo "  competed for the CPUs during the measurement."
	echo "* Device: the mock device (\`sim/\`): a core is emulated by the scheduler"
	echo "  that dispatched to it or a waiting orchestrator (kernels seen to take"
	echo "  under 1 ms), else by a sim worker thread, all on the same CPUs."
	echo "* Peers: OpenMP tasks with \`depend\` (GCC $(gcc -dumpversion) libgomp),"
	echo "  StarPU $(pkg-config --modversion starpu-1.3 2>/dev/null || echo '(not installed)')"
	echo "  with \`starpu_task_insert\` and R/W/RW access modes, $(nproc) worker threads each."
	[ -n "$peers_note" ] && echo "* **Missing peers:**$peers_note"
	echo
	echo "## Thread layout"
	echo
	echo "As printed by the runtime for the main run (schedulers and wiring at their"
	echo "defaults; the per-configuration runs below print their own):"
	echo
	echo '```'
	grep -hE '^pto: ' "$tmp/main" "$tmp/main.err" | sort -u | head -12 || true
	echo '```'
	echo
	echo "## Main run"
	echo
	echo '```'
	echo "\$ $bench ${main_args[*]}"
	cat "$tmp/main"
	[ $rc -eq 0 ] || echo "(pto-bench exited with status $rc)"
	echo '```'
	if [ -n "$svg" ] && [ -s "$svg" ]; then
		echo
		echo "![efficiency vs granularity]($(basename "$svg"))"
	fi
	echo
	echo "## METG beside a competing process"
	echo
	echo "The METG section with the peers, alone on the machine (quiet) and beside"
	echo "one CPU-bound process (a busy shell loop), alternated: quiet, competing,"
	echo "quiet, competing, three times.  Each cell is the median of the three"
	echo "rounds (a competing process makes single runs swing widely); **ratio** is"
	echo "competing / quiet (1 = no degradation; lower is better).  \"<=\" values"
	echo "count as their bound."
	echo
	echo "| stencil | system | quiet | competing | ratio |"
	echo "| --- | --- | ---: | ---: | ---: |"
	awk '/^  METG\(50%\) width [0-9]+ / {
		c = FILENAME; sub(/.*comp/, "", c); c = substr(c, 1, 1)
		w = $3; sys = $4; sub(/:$/, "", sys)
		if (!((w, sys) in seen)) { seen[w, sys] = 1; order[n++] = w SUBSEP sys }
		if ($0 ~ /not determined/) next
		v = $0; sub(/^[^:]*: (<= )?/, "", v); sub(/ us$/, "", v)
		val[w, sys, c, ++cnt[w, sys, c]] = v + 0 }
	# the median of the rounds that determined a METG (NaN-free: -1 if none)
	function med(k, c,    m, i, j, t, x) {
		m = cnt[k, c]
		if (!m) return -1
		for (i = 1; i <= m; i++) x[i] = val[k, c, i]
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
		return m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2 }
	function cell(v) { return v < 0 ? "not determined" : sprintf("%.1f us", v) }
	END { for (i = 0; i < n; i++) { k = order[i]; split(k, a, SUBSEP)
		q = med(k, 0); b = med(k, 1); r = "-"
		if (q > 0 && b >= 0)
			r = sprintf("%.2f", b / q)
		printf "| width %s | %s | %s | %s | %s |\n", a[1], a[2], cell(q), cell(b), r } }' \
		"$tmp"/comp0.* "$tmp"/comp1.*
	for round in $comp_rounds; do
		for c in 0 1; do
			echo
			echo '```'
			echo "\$ $bench ${comp_args[*]}   # round $round, $([ $c -eq 1 ] && echo "beside a busy loop" || echo quiet)"
			grep -E '^  (METG|width|  *grain|  *[0-9.]+  *[0-9]+ \|)' "$tmp/comp$c.$round" || true
			echo '```'
		done
	done
	echo
	echo "## Scheduler and wiring configurations"
	echo
	echo "End-to-end metrics only (independent and chain, AUTO), one run per"
	echo "configuration.  On 2 CPUs every extra thread runs unpinned beside the"
	echo "threads that emulate the cores, so more threads cost more than they give; the"
	echo "wiring thread (docs/runtime.md) trades a little orchestrator time per"
	echo "submit for no ring-advance contention between schedulers:"
	for c in "${cfgs[@]}"; do
		key=$(echo "$c" | tr ' ' '_')
		echo
		echo '```'
		echo "\$ $bench ${cfg_args[*]} $c"
		grep -vE '^\s*$' "$tmp/cfg$key" | grep -vE '^pto-bench: (device|repetition)' || true
		echo '```'
	done
	echo
	echo "## Emulating the cores: before and after"
	echo
	echo "The same runs with every emulated core on the sim workers, woken per"
	echo "dispatch (\`PTO_INLINE_CORES=0\`, the model before), and with the"
	echo "default, where the scheduler runs the cores it dispatches to and a"
	echo "waiting orchestrator helps (docs/runtime.md, \"Emulating the cores\")."
	echo "Alternated: 0, 1, 0, 1; both rounds shown."
	# the thread layout is part of the comparison (workers or not)
	show_alternated emu PTO_INLINE_CORES "0 1" '^pto-bench: (device|repetition)' "${emu_args[@]}"
	echo
	echo "## Hazard modes"
	echo
	echo "The AUTO shapes under each \`PTO_HAZARDS\` mode (docs/runtime.md,"
	echo "\"Hazards\"): raw (the default: read-after-write only, plus the reader"
	echo "entries \`pto_tensor_write\` waits for), track (write-after-read and"
	echo "write-after-write become edges) and check (raw, plus a search for a"
	echo "write ordered after an unfinished overlapping read).  Alternated: raw,"
	echo "track, check, twice; both rounds shown.  Compare the submit and orch cpu"
	echo "columns: end to end is bound by the emulated cores in every mode."
	show_alternated haz PTO_HAZARDS "raw track check" '^(pto-bench: (device|repetition)|pto: )' \
		"${haz_args[@]}"
	echo
	echo "## Overheads from traces"
	echo
	echo "One traced run each (\`pto-bench --trace\`, empty kernels), summarised by"
	echo "\`pto-trace\`: head = core start - dispatch, tail = completion observed -"
	echo "core end (docs/tracing.md)."
	for s in independent chain; do
		echo
		echo '```'
		echo "\$ $bench --trace $s.json --shape $s --tasks $trace_n && $B/bin/pto-trace $s.json"
		sed "s#$tmp/##g" "$tmp/trace-$s"
		echo '```'
	done
	echo
	echo "## How to read it"
	echo
	echo "* **submit** is the orchestrator's time per task outside back-pressure"
	echo "  waits (\`(orch_ns - orch_blocked_ns) / tasks\` of \`pto_run_stats\`): the"
	echo "  cost of \`pto_submit()\` with one input and one output tensor. On 2 CPUs"
	echo "  the orchestrator shares its CPU with schedulers and core workers, so"
	echo "  this includes time it was preempted."
	echo "* **orch CPU** and **sched CPU** are the runtime's own cost per task,"
	echo "  from thread CPU clocks (\`orch_cpu_ns\`, \`sched_cpu_ns\` of"
	echo "  \`pto_run_stats\`): the orchestrator thread inside the orchestration"
	echo "  function with its waits excluded, and the scheduler and wiring threads"
	echo "  minus the time they spent running emulated cores, so the numbers carry"
	echo "  over to hardware. The issue's target (independent, AUTO: 1 input, 1"
	echo "  output, empty kernel) is orchestrator <= 100 ns and schedulers <= 150 ns,"
	echo "  printed next to the measured values."
	echo "* **e2e** is \`pto_run()\` wall time per task with empty kernels;"
	echo "  **pto/peer** is our e2e divided by the peer's on the same graph"
	echo "  (< 1 = pto faster)."
	echo "* **paged_attn** rows run paged attention with its real kernels on one"
	echo "  case (checked against the golden): **auto** is \`paged_attention_unroll\`"
	echo "  (AUTO scopes), **manual** is \`paged_attention_unroll_manual\` (a manual"
	echo "  scope per query tile, explicit edges inside), **explicit** is that same"
	echo "  orchestration on an explicit-only runtime. The case is \`Bench1K\` (1,952"
	echo "  one-block tasks; \`--pa-case\` picks another), run over at least 5"
	echo "  interleaved repetitions whatever \`--reps\` says, and each mode's median,"
	echo "  min and max e2e per task are printed. **PA manual/explicit e2e** (target"
	echo "  <= 1.05) and **PA submit manual/auto, explicit/auto** are ratios of those"
	echo "  rows' medians from the same interleaved run; the headline ratio also shows"
	echo "  its min and max over the repetitions (manual and explicit ran next to each"
	echo "  other in each)."
	echo "* **METG(50%)** follows Task Bench (SC'20): the stencil's busy-wait grain"
	echo "  is swept down by powers of two; **efficiency** is the work rate"
	echo "  (tasks x grain / wall) divided by the best work rate *any* system reached"
	echo "  at that width in the same run (not the system's own best point), and"
	echo "  METG(50%) is the smallest task granularity (wall x workers / tasks)"
	echo "  still at >= 50% efficiency (\"<=\": still at 50% at the smallest grain,"
	echo "  so the true value is lower). It is reported for stencil widths 2 and 16"
	echo "  (3 dependencies per task; 2 at width 2, which has only two cells per"
	echo "  row), each with pto/peer ratios; lower is better."
	echo "* **throughput ratio 1024/16384** below 1 is the cost of back-pressure with"
	echo "  a small task window."
	echo "* Every system shares the same 2 CPUs with its own threads: pto runs an"
	echo "  orchestrator, scheduler(s) and the mock device's worker threads; libgomp"
	echo "  spin-waits before sleeping (default OMP_WAIT_POLICY), which makes its"
	echo "  stencil and tree numbers swing between runs on a shared machine. Treat"
	echo "  single ratios as indicative; the same command on a quiet machine gives"
	echo "  steadier numbers."
} >"$doc"
echo "bench-report: wrote $doc${svg:+ and $svg}" >&2
