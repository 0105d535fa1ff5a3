#!/usr/bin/env bash
# man.sh - the installed manual: a page for every tool (pto2-load in section
# 8) and every exported function of libpto.so, each page clean under
# `groff -ww` and readable by lexgrog (whatis/apropos), and every exported
# symbol described on its group page, not only named.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash man
. tests/install/lib.bash

install_tree
man=$ROOT$PREFIX/share/man
cd "$man" || { bad "no $man"; test_result; exit 1; }

for t in "$ROOT$PREFIX"/bin/*; do
	t=$(basename "$t")
	sec=1
	[ "$t" = pto2-load ] && sec=8
	if [ -f "man$sec/$t.$sec" ]; then ok "$t has man$sec/$t.$sec"; else bad "$t: no man$sec/$t.$sec"; fi
	# help2man makes a SYNOPSIS only of a "Usage: " line: every form listed there
	if sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "man$sec/$t.$sec" | grep -qx "\\.B $t"; then
		ok "$t(${sec}): a SYNOPSIS naming $t"
	else
		bad "$t(${sec}): no SYNOPSIS (does --help start with 'Usage: $t'?)"
	fi
done

nerr=0 npages=0
for p in man1/*.1 man8/*.8 man3/*.3; do
	npages=$((npages + 1))
	# run from the man root, where the .so requests of the alias pages resolve
	groff -t -z -ww -man "$p" >"$T/groff" 2>&1
	if [ -s "$T/groff" ]; then bad "groff -ww $p:"; sed 's/^/      | /' "$T/groff" | head -5; nerr=$((nerr + 1)); fi
	if ! lexgrog "$p" >"$T/lex" 2>&1; then bad "lexgrog $p: $(cat "$T/lex")"; nerr=$((nerr + 1)); fi
done
[ "$nerr" -eq 0 ] && ok "$npages pages clean under groff -ww and lexgrog"

# every exported symbol: its own page, pointing at a page that describes it
nm -D --defined-only "$ROOT$LIBDIR/libpto.so.1" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$T/syms"
nsym=$(wc -l <"$T/syms")
[ "$nsym" -gt 30 ] && ok "$nsym exported functions" || bad "only $nsym exported functions"
undoc=0
while read -r s; do
	page=man3/$s.3
	if [ ! -f "$page" ]; then bad "$s: no man3/$s.3"; undoc=$((undoc + 1)); continue; fi
	target=$page
	so=$(sed -n 's/^\.so //p' "$page")
	[ -n "$so" ] && target=$so
	esc=${s//_/\\\\_}
	# the heading, then at least one line of text before the next heading
	if ! awk -v h=".SS $esc()" '
		$0 == h { on = 1; next }
		on && /^\.S[SH]/ { exit }
		on && !/^\./ && NF { found = 1; exit }
		END { exit !found }' "$target"; then
		bad "$s: not described in $target"; undoc=$((undoc + 1))
	fi
done <"$T/syms"
[ "$undoc" -eq 0 ] && ok "every exported symbol is described in a section-3 page"

check "man -l libpto(3) renders" 0 env MANWIDTH=80 man -l man3/libpto.3
has "libpto(3): names every group page" 'pto_tasks\(3\).*' "$T/out"
has "libpto(3): documents the environment" 'PTO_KMOD_WORKERS' "$T/out"

test_result
