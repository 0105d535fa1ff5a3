#!/usr/bin/env bash
# pto2-load.sh - the pto2-load tool's refusals, none of which touch the
# kernel: usage errors (exit 1, usage on stderr), a module that is not
# loaded (status and remove: ENOENT, exit 2) and a module file that does not
# exist (exit 2, named).  Inserting and removing the real module is the kmod
# stage's (tests/kmod/guest-init.sh).
. "$(dirname "$0")/common.bash" pto2-load
bin=$B/bin/pto2-load
absent=pto2_no_such_module

check "--help" 0 "$bin" --help
has "--help prints the usage" '^usage: pto2-load insert PATH\.ko' "$T/out"
# exit 1, not 2: the status of a failed operation is its errno (ENOENT is 2)
for args in "" "frobnicate" "insert" "status a b" "remove a b"; do
	# shellcheck disable=SC2086
	check "usage error '$args'" 1 "$bin" $args
	has "usage error '$args': usage on stderr" '^usage: pto2-load ' "$T/err"
	hasnt "usage error '$args': nothing on stdout" '.' "$T/out"
done
check "status of a module not loaded" 2 "$bin" status "$absent"
has "not loaded named" "^$absent: not loaded\$" "$T/out"
check "remove of a module not loaded" 2 "$bin" remove "$absent"
has "remove refusal named" "^pto2-load: cannot remove $absent: module is not loaded\$" "$T/err"
one_line "remove refusal" "$T/err"
check "insert of a missing file" 2 "$bin" insert "$T/none.ko"
has "missing file named" "^pto2-load: $T/none\\.ko: No such file or directory\$" "$T/err"
one_line "missing file" "$T/err"

test_result
