#!/usr/bin/env bash
# summary.sh RESULTS_DIR - add up the stages into the one closing line.
set -u
dir=$1
p=0 f=0 s=0
echo "== summary =="
for r in "$dir"/*; do
	[ -f "$r" ] || continue
	read -r a b c <"$r"
	printf '  %-8s %5d passed %4d failed %4d skipped\n' "$(basename "$r")" "$a" "$b" "$c"
	p=$((p + a)); f=$((f + b)); s=$((s + c))
done
if [ "$s" -gt 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
