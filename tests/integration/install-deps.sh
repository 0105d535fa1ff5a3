#!/usr/bin/env bash
# install-deps.sh - the installer's argument refusals, which exit before it
# looks at a package (installing itself is what every CI run does first).
. "$(dirname "$0")/common.bash" install-deps
inst=$(dirname "$0")/../../tools/install-deps.sh

for args in "--bnech" "--bench extra" "-h"; do
	# shellcheck disable=SC2086
	check "refuses '$args'" 2 "$inst" $args
	has "'$args': usage named" '^install-deps: usage: install-deps\.sh \[--bench\] \(got: ' "$T/err"
	one_line "'$args'" "$T/err"
	hasnt "'$args': nothing installed or printed" '.' "$T/out"
done

test_result
