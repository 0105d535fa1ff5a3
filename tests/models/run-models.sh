#!/usr/bin/env bash
# tests/models/run-models.sh RESULTS_DIR BUILD_DIR - the models stage.
#
# Each tests/models/*.pml is checked with spin twice: safety (assertions and
# invalid end states, the never claim compiled out) and liveness (its LTL
# property, acceptance cycles under weak fairness: pan -a -f).  Both must
# report "errors: 0" over a complete search (a search cut short by the
# depth limit or memory fails).  Then each mutant the model names in its
# header ("-DMUTANT_..."), a copy with one guard removed, must FAIL one of
# the two checks: a model that cannot catch its own guard's removal proves
# nothing.  One line per check; writes "passed failed 0" to RESULTS_DIR/models.
set -u
results=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$build/models
mkdir -p "$results" "$work"
passed=0 failed=0
echo "== stage models =="

if ! command -v spin >/dev/null; then
	echo "*** stage models: FAILED: spin not found (install the Debian package spin: tools/install-deps.sh)" >&2
	echo "0 1 0" >"$results/models"
	exit 1
fi

# check NAME MODEL DEFINE -> prints "safety=<ok|err|bad> live=<...>"
# ok: complete search, no error; err: a violation found; bad: spin/pan broke.
# A mutant (@4 = mutant) stops after the safety run if that caught it.
verify() {
	local model=$1 def=$2 dir=$3 mutant=${4:-} r s l
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$model" "$dir/m.pml"
	if ! (cd "$dir" && spin -a $def m.pml >spin.log 2>&1); then
		echo "bad bad"; return
	fi
	for r in safety live; do
		local args=(-m200000) ccargs=(-DNOCLAIM -DSAFETY)
		[ $r = live ] && args+=(-a -f) ccargs=()
		if [ -n "$mutant" ] && [ $r = live ] && [ "$s" = err ]; then
			printf 'skip '
			continue
		fi
		if ! (cd "$dir" && cc -O1 -w "${ccargs[@]}" -o "pan_$r" pan.c 2>>cc.log); then
			printf 'bad '
			continue
		fi
		(cd "$dir" && timeout 120 "./pan_$r" "${args[@]}" >"$r.log" 2>&1)
		if grep -q 'errors: 0' "$dir/$r.log"; then
			if grep -q 'max search depth too small\|out of memory' "$dir/$r.log"; then
				s=bad
			else
				s=ok
			fi
		elif grep -q 'errors: [1-9]' "$dir/$r.log"; then
			s=err
		else
			s=bad
		fi
		printf '%s ' "$s"
	done
	echo
}

line() { # status text
	printf '  %-4s %s\n' "$1" "$2"
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

shopt -s nullglob
models=("$here"/*.pml)
[ ${#models[@]} -eq 0 ] && line FAIL "no models in $here"
for m in "${models[@]}"; do
	name=$(basename "$m" .pml)
	t0=$SECONDS
	read -r s l < <(verify "$m" "" "$work/$name")
	if [ "$s" = ok ] && [ "$l" = ok ]; then
		line ok "$name: safety and liveness hold ($((SECONDS - t0))s)"
	else
		line FAIL "$name: safety=$s liveness=$l (logs: $work/$name/{safety,live}.log)"
		grep -h 'violated\|invalid end\|acceptance cycle\|depth too small' \
			"$work/$name/safety.log" "$work/$name/live.log" 2>/dev/null | head -4 | sed 's/^/      | /'
	fi
	mutants=$(grep -o -- '-DMUTANT_[A-Z_]*' "$m" | sort -u)
	[ -n "$mutants" ] || line FAIL "$name: names no mutant"
	for d in $mutants; do
		read -r s l < <(verify "$m" "$d" "$work/$name$d" mutant)
		if [ "$s" = bad ] || [ "$l" = bad ]; then
			line FAIL "$name $d: the check did not complete (logs: $work/$name$d)"
		elif [ "$s" = err ] || [ "$l" = err ]; then
			why=$(grep -h -m1 'violated\|invalid end\|acceptance cycle' "$work/$name$d/safety.log" \
				"$work/$name$d/live.log" 2>/dev/null | head -1 | sed 's/^pan:1: //')
			line ok "$name $d: caught as expected ($why)"
		else
			line FAIL "$name $d: the mutant PASSED, so the model does not test that guard"
		fi
	done
done
echo "$passed $failed 0" >"$results/models"
echo "stage models: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
