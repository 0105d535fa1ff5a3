#!/usr/bin/env bash
# pto2-load.sh - the pto2-load tool's refusals, none of which touch the
# kernel: usage errors (exit 2, one line), a module that is not loaded
# (status and remove: the operation failed, exit 1) and a module file that
# does not exist (bad input: exit 2, named).  Inserting and removing the real module is the kmod
# stage's (tests/kmod/guest-init.sh).
. "$(dirname "$0")/common.bash" pto2-load
bin=$B/bin/pto2-load
absent=pto2_no_such_module

check "--help" 0 "$bin" --help
has "--help prints the usage" '^Usage: pto2-load insert PATH\.ko' "$T/out"
has "--help states the exit statuses" '^exit status: 0 done' "$T/out"
# usage errors: exit 2 (tools/cli/cli.h), one line naming what was wrong
usage_bad() { # args message
	# shellcheck disable=SC2086
	check "usage error '$1'" 2 "$bin" $1
	has "usage error '$1': named" "^pto2-load: $2 \(see pto2-load --help\)\$" "$T/err"
	one_line "usage error '$1'" "$T/err"
	hasnt "usage error '$1': nothing on stdout" '.' "$T/out"
}
usage_bad "" "no command given \(insert, remove or status\)"
usage_bad "frobnicate" "unknown command 'frobnicate' \(insert, remove or status\)"
usage_bad "insert" "insert needs the module file \(PATH\.ko\)"
usage_bad "status a b" "status takes at most one module name, got 'b' too"
usage_bad "remove a b" "remove takes at most one module name, got 'b' too"
usage_bad "--frobnicate" "unknown option '--frobnicate'"
# the operation failed: exit 1
check "status of a module not loaded" 1 "$bin" status "$absent"
has "not loaded named" "^$absent: not loaded\$" "$T/out"
check "remove of a module not loaded" 1 "$bin" remove "$absent"
has "remove refusal named" "^pto2-load: cannot remove $absent: module is not loaded\$" "$T/err"
one_line "remove refusal" "$T/err"
# bad input: exit 2
check "insert of a missing file" 2 "$bin" insert "$T/none.ko"
has "missing file named" "^pto2-load: $T/none\\.ko: No such file or directory\$" "$T/err"
one_line "missing file" "$T/err"

test_result
