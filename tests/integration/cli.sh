#!/usr/bin/env bash
# cli.sh - what every tool shares (tools/cli/): --help on stdout with exit 0,
# --version as "NAME (pto2) VERSION", --opt=value spelled like --opt value,
# and the exit-status convention: 2 for bad usage (one line on stderr,
# nothing on stdout), with the same messages everywhere.
. "$(dirname "$0")/common.bash" cli
version=$(cat "$(dirname "$0")/../../VERSION")
tools="pto-run pto-bench pto-trace pto2-info pto2-load pto2-top pto-multi"

[ -n "$version" ] && ok "VERSION names a version ($version)" || bad "VERSION is empty"
for t in $tools; do
	bin=$B/bin/$t
	check "$t --help" 0 "$bin" --help
	has "$t --help: usage on stdout" '^Usage: ' "$T/out"
	has "$t --help: states the exit statuses" '^exit status: 0' "$T/out"
	hasnt "$t --help: nothing on stderr" '.' "$T/err"
	check "$t --version" 0 "$bin" --version
	has "$t --version: NAME (pto2) VERSION" "^$t \\(pto2\\) ${version//./\\.}\$" "$T/out"
	one_line "$t --version" "$T/out"
	check "$t --frobnicate" 2 "$bin" --frobnicate
	has "$t --frobnicate: named" "^$t: unknown option '--frobnicate' \\(see $t --help\\)\$" "$T/err"
	one_line "$t --frobnicate" "$T/err"
	hasnt "$t --frobnicate: nothing on stdout" '.' "$T/out"
	check "$t --help=x" 2 "$bin" --help=x
	has "$t --help=x: named" "^$t: --help takes no value \\(see $t --help\\)\$" "$T/err"
done

# An option missing its value: the same words in every tool that has options with values.
missing() { # tool option
	check "$1 $2 without a value" 2 "$B/bin/$1" "$2"
	has "$1 $2 without a value: named" "^$1: $2 needs a value \\(see $1 --help\\)\$" "$T/err"
	one_line "$1 $2 without a value" "$T/err"
}
missing pto-run --case
missing pto-bench --tasks
missing pto-trace --samples
missing pto2-info --device

# A stray operand is refused before any work, after --list too (it used to
# list and exit 0): exit 2, one line naming it, nothing on stdout.
stray() { # message tool args...
	local msg=$1 t=$2; shift 2
	check "$t $* (stray operand)" 2 "$B/bin/$t" "$@"
	has "$t $*: named" "^$t: $msg \\(see $t --help\\)\$" "$T/err"
	one_line "$t $*" "$T/err"
	hasnt "$t $*: nothing on stdout" '.' "$T/out"
}
stray "unexpected argument 'extra'" pto-run --list extra
stray "unexpected argument 'extra'" pto-run extra --list
stray "unexpected argument 'extra'" pto-run vector_example extra
stray "unexpected argument 'extra'" pto-bench --quick extra
stray "more than one FILE given \\('extra'\\)" pto-trace trace.json extra
stray "unexpected argument 'extra'" pto2-info extra
stray "unexpected argument 'extra'" pto2-info --list extra
stray "unexpected argument 'extra'" pto2-top -n 1 extra
stray "unexpected argument 'extra'" pto-multi extra
stray "status takes at most one module name, got 'extra' too" pto2-load status pto2 extra

# --opt=value everywhere it was not before.
check "pto2-info --device=SPEC" 0 "$B/bin/pto2-info" --device=mock:clusters=3
has "pto2-info --device=SPEC used" '^clusters: +3 ' "$T/out"
check "pto2-info --device SPEC" 0 "$B/bin/pto2-info" --device mock:clusters=3
has "pto2-info --device SPEC used" '^clusters: +3 ' "$T/out"
check "pto-bench --reps=0" 2 "$B/bin/pto-bench" --reps=0
has "pto-bench --reps=0: the value checked" "^pto-bench: --reps: '0' is not a number in 1\\.\\.101 " "$T/err"
check "pto-bench --trace=FILE --tasks=32 --width=4" 0 "$B/bin/pto-bench" --trace="$T/b.json" \
	--shape=chain --tasks=32 --width=4
has "pto-bench --opt=value run" '^trace of chain/auto, 32 tasks' "$T/out"
check "pto-trace --samples=2 --top=1" 0 "$B/bin/pto-trace" --samples=2 --top=1 "$T/b.json"
check "pto-trace --samples=0" 2 "$B/bin/pto-trace" --samples=0 "$T/b.json"

# Bad input found before any work: a device that cannot be opened, an output
# path that cannot be created (exit 2, one line; the same for every tool).
for t in pto-run pto-bench pto2-info; do
	args=(--device /dev/nope)
	[ "$t" = pto-run ] && args=(vector_example --device /dev/nope)
	check "$t --device /dev/nope" 2 "$B/bin/$t" "${args[@]}"
	has "$t --device /dev/nope: named" '/dev/nope: No such file or directory$' "$T/err"
	one_line "$t --device /dev/nope" "$T/err"
done
check "pto-bench --trace into a missing directory" 2 "$B/bin/pto-bench" --trace "$T/no/t.json"
has "pto-bench --trace path named" "^pto-bench: --trace $T/no/t\\.json: No such file or directory\$" "$T/err"
check "pto-bench --plot into a missing directory" 2 "$B/bin/pto-bench" --plot "$T/no/p.svg"
has "pto-bench --plot path named" "^pto-bench: --plot $T/no/p\\.svg: No such file or directory\$" "$T/err"

test_result
