#!/usr/bin/env bash
# peers.sh - an installed pto-bench --peers finds the peer programs the
# install put in libexec/pto2 (not the build tree's), and runs them.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash peers
. tests/install/lib.bash

install_tree
peers=()
for p in omp starpu; do
	if [ -x "$B/bin/peer-$p" ]; then peers+=("$p")
	else bad "peer-$p not built in $B (tools/install-deps.sh --check installs libgomp and libstarpu-dev)"; fi
done
for p in "${peers[@]}"; do
	f=$ROOT$PREFIX/libexec/pto2/peer-$p
	if [ -x "$f" ]; then ok "installed libexec/pto2/peer-$p"; else bad "peer-$p not installed"; fi
done
# a copy of the tree elsewhere: pto-bench must look relative to itself, not in $B
cp -a "$ROOT" "$T/moved"
bench=$T/moved$PREFIX/bin/pto-bench
check "installed pto-bench --peers" 0 "$bench" --quick --peers --sections e2e --shapes chain --modes auto
hasnt "no peer reported missing" 'SKIPPED|not built' "$T/out"
for p in "${peers[@]}"; do
	case $p in omp) col='pto/omp' ;; starpu) col='pto/stpu' ;; esac
	has "peer $p measured" "$col" "$T/out"
done
has "chain row with peer ratios" '^  chain +auto +[0-9]+ .*\| +[0-9.]+ +[0-9.]+ \| +[0-9.]+ +[0-9.]+' "$T/out"

test_result
