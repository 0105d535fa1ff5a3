#!/usr/bin/env bash
# uninstall.sh - `make uninstall` with the variables of the install removes
# every file and link the install created, and pto2's own directories.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash uninstall
. tests/install/lib.bash

install_tree
n=$(find "$ROOT" ! -type d | wc -l)
[ "$n" -gt 20 ] && ok "install created $n files" || bad "install created only $n files"
check "make uninstall" 0 make --no-print-directory "${make_vars[@]}" uninstall
find "$ROOT" ! -type d >"$T/left"
if [ -s "$T/left" ]; then bad "uninstall left $(wc -l <"$T/left") files:"; sed 's/^/      | /' "$T/left" | head -20
else ok "uninstall removed every file"; fi
for d in include/pto include/pto2 libexec/pto2 share/doc/pto2; do
	if [ -d "$ROOT$PREFIX/$d" ]; then bad "uninstall left $PREFIX/$d"; else ok "removed $PREFIX/$d"; fi
done
check "uninstall again (nothing there)" 0 make --no-print-directory "${make_vars[@]}" uninstall

test_result
