#!/usr/bin/env bash
# run.sh RESULTS_DIR BUILD_DIR - the check-mpi stage (mk/mpi.mk): the
# distributed layer for real, under Open MPI's mpirun with 2 ranks on mock
# devices: the multi-device example's golden across ranks, random DAGs of
# owner-computes with transfers against sequential execution, a rank whose
# kernel fails (every rank ends with a named error, no hang), and bad input.
# Writes "passed failed skipped" to RESULTS_DIR/mpi.
set -u
results=$1 build=$2
mkdir -p "$results" "$build/logs"
log=$build/logs/mpi.log
: >"$log"
pass=0 fail=0
run=$build/bin/pto-mpi-run

ok() { echo "ok:   $1" >>"$log"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1" >>"$log"; fail=$((fail + 1)); echo "  FAIL: $1"; }

echo "== stage mpi =="
if ! command -v mpirun >/dev/null || [ ! -x "$run" ]; then
	bad "no mpirun or no $run: install openmpi-bin and libopenmpi-dev (tools/install-deps.sh)"
	echo "0 $fail 0" >"$results/mpi"
	exit 1
fi
. "$(dirname "$0")/mpirun.bash"
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

check() { # name want-rc pattern-in-output args...
	local name=$1 want=$2 pat=$3; shift 3
	mpi "$run" "$@" >"$out" 2>"$err"
	local rc=$?
	{ echo "--- $name: exit $rc"; cat "$out" "$err"; } >>"$log"
	if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, want $want"; return; fi
	if ! grep -Eq -- "$pat" "$out" "$err"; then bad "$name: no /$pat/"; return; fi
	ok "$name"
}

# libpto itself stays free of MPI: only libpto-mpi links it
if ldd "$build/lib/libpto.so" | grep -q 'libmpi'; then bad "libpto.so links MPI"
else ok "libpto.so does not link MPI"; fi
if ldd "$build/lib/libpto-mpi.so" | grep -q 'libmpi'; then ok "libpto-mpi.so links MPI"
else bad "libpto-mpi.so does not link MPI"; fi
check "golden across 2 ranks" 0 '^PASS multi_bgemm/Small on 2 ranks' golden
check "golden Bgemm64" 0 '^PASS multi_bgemm/Bgemm64 on 2 ranks' golden --case Bgemm64
for seed in 1 2 3 4 5; do
	check "random DAG seed $seed" 0 "^PASS dag seed $seed: 40 programs" dag --seed "$seed"
done
# rank 1's kernels slowed: rank 0 waits for it, and the result is the same
check "slow rank" 0 '^PASS dag seed 1: 40 programs' dag --seed 1 --fault-rank 1 \
	--fault slow@kernel11:us=100000:count=5
check "bad input" 0 '^PASS bad input refused' bad
# kernel 4 (matmul) fails on rank 1: both ranks end, each with a named error
check "failing rank: rank 1's own error" 1 \
	'rank 1: kernel failed: rank 1 program 1: .*matmul' golden --fault-rank 1 --fault fail@kernel4
if grep -Eq 'rank 0: another device or rank of the workload failed: rank 1 failed: rank 1 program 1' "$err"; then
	ok "failing rank: rank 0 names rank 1"
else
	bad "failing rank: rank 0 does not name rank 1"; sed 's/^/      | /' "$err" | head
fi
# the 4th mix kernel on rank 0 fails mid-DAG: flagged transfers stop rank 1 too
check "failing rank mid-DAG" 1 'rank 1: another device or rank of the workload failed: rank 0 failed' \
	dag --seed 2 --fault-rank 0 --fault fail@kernel11:after=3
# rank 1 learnt it from the flagged transfers, not by timing out on a lost one
if grep -q 'waited' "$err"; then bad "failing rank mid-DAG: a rank timed out"; sed 's/^/      | /' "$err" | head
else ok "failing rank mid-DAG: no rank timed out"; fi
check "bench runs (no claim: 1 round)" 0 '^bench transfer rank 0 -> rank 1' bench --rounds 1
# the tools' conventions (tools/cli): --version, bad usage exit 2, said once
check "--version" 0 '^pto-mpi-run \(pto2\) [0-9]' --version
[ "$(grep -c '^pto-mpi-run (pto2)' "$out")" = 1 ] && ok "--version: rank 0 alone prints it" ||
	bad "--version: printed $(grep -c '^pto-mpi-run (pto2)' "$out") times"
check "--help: usage, every mode and option" 0 '^Usage: pto-mpi-run MODE \[options\]' --help
for w in golden dag bad bench --device --fault-rank --seed --case --rounds 'exit status'; do
	grep -q -- "$w" "$out" && ok "--help names $w" || bad "--help does not name $w"
done
check "bad usage: unknown mode" 2 "^pto-mpi-run: unknown mode 'nope' " nope
[ "$(grep -c '^pto-mpi-run: unknown mode' "$err")" = 1 ] && ok "bad usage: said once, by rank 0" ||
	bad "bad usage: said $(grep -c '^pto-mpi-run: unknown mode' "$err") times"
check "bad usage: unknown option" 2 "^pto-mpi-run: unknown option '--frobnicate' " golden --frobnicate
check "bad usage: --rounds 0" 2 "^pto-mpi-run: --rounds '0': expected an integer in 1\.\.1000 " golden --rounds 0
check "bad usage: --fault-rank past the ranks" 2 "^pto-mpi-run: --fault-rank '2': expected an integer in 0\.\.1 " \
	golden --fault-rank 2 --fault fail@kernel4
check "bad usage: --fault without --fault-rank" 2 '^pto-mpi-run: --fault and --fault-rank go together ' \
	golden --fault fail@kernel4
check "bad usage: no mode" 2 '^pto-mpi-run: no mode \(golden, dag, bad or bench\) '
check "bad usage: a second mode" 2 "^pto-mpi-run: unexpected argument 'dag' " golden dag
check "bad usage: --case" 2 "^pto-mpi-run: --case 'Huge': not Small or Bgemm64 " golden --case Huge
# bench compares 1 rank with 2: on one rank it is bad usage
np=1 check "bad usage: bench on 1 rank" 2 '^pto-mpi-run: bench needs at least 2 ranks ' bench

echo "$pass $fail 0" >"$results/mpi"
echo "stage mpi: $pass passed, $fail failed, 0 skipped ($log)"
[ "$fail" -eq 0 ]
