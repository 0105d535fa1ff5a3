#!/usr/bin/env bash
# summary.sh RESULTS_DIR [STAGE...] - add up the stages into the one closing
# line.  Each STAGE named must have written RESULTS_DIR/STAGE ("passed failed
# skipped"); a stage that wrote none (its build failed before any test ran)
# or wrote something else counts as one failure, so the line never reads
# "0 failed" over a stage that did not run.  Without STAGEs, every file in
# RESULTS_DIR is taken.
set -u
dir=$1
shift
p=0 f=0 s=0
stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then
	for r in "$dir"/*; do
		[ -f "$r" ] && stages+=("$(basename "$r")")
	done
fi
echo "== summary =="
for st in "${stages[@]}"; do
	a= b= c=
	[ -f "$dir/$st" ] && read -r a b c _ <"$dir/$st"
	if ! [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ && "$c" =~ ^[0-9]+$ ]]; then
		if [ -f "$dir/$st" ]; then why="malformed $dir/$st"; else why="no $dir/$st"; fi
		printf '  %-8s %s: counted as 1 failed\n' "$st" "$why"
		a=0 b=1 c=0
	else
		printf '  %-8s %5d passed %4d failed %4d skipped\n' "$st" "$a" "$b" "$c"
	fi
	p=$((p + a)); f=$((f + b)); s=$((s + c))
done
if [ "$s" -gt 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
