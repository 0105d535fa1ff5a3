#!/usr/bin/env bash
# quiet.sh - the tools print no runtime chatter by default, the layout with
# --verbose or PTO_VERBOSE=1, and one warning per misspelled PTO_* variable.
. "$(dirname "$0")/common.bash" quiet
run=$B/bin/pto-run

check "default run" 0 "$run" vector_example
hasnt "default run: library prints nothing" '^pto: ' "$T/err"
has "default run: PASS" '^PASS vector_example' "$T/out"

check "--verbose" 0 "$run" vector_example --verbose
has "--verbose: thread layout" '^pto: orchestrator cpu ' "$T/err"

check "PTO_VERBOSE=1" 0 env PTO_VERBOSE=1 "$run" vector_example
has "PTO_VERBOSE=1: thread layout" '^pto: orchestrator cpu ' "$T/err"

check "PTO_VERBOSE=2 refused" 2 env PTO_VERBOSE=2 "$run" vector_example
has "PTO_VERBOSE=2: named" "PTO_VERBOSE='2': expected 0 or 1" "$T/err"

check "misspelled variable" 0 env PTO_SCHEDULRES=1 "$run" vector_example
has "misspelled: warned with the right name" \
	'^pto: warning: unknown environment variable PTO_SCHEDULRES \(did you mean PTO_SCHEDULERS\?\)' "$T/err"
one_line "misspelled: one warning" "$T/err"

# pto-bench creates many runtimes: still one warning
check "pto-bench: one warning for many runtimes" 0 env PTO_WIRNG=1 "$B/bin/pto-bench" --quick \
	--sections window --shapes independent --modes auto
n=$(grep -c 'unknown environment variable PTO_WIRNG' "$T/err")
if [ "$n" -eq 1 ]; then ok "pto-bench: warned once"; else bad "pto-bench: warned $n times"; fi

test_result
