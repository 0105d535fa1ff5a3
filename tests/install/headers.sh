#!/usr/bin/env bash
# headers.sh - every installed header compiles on its own, as C11 and as
# C++17, with gcc, g++, clang and clang++, -Wall -Wextra -Werror, found only
# through `pkg-config --cflags libpto` of the installed tree (pto/pto_mpi.h,
# installed when MPI is built, also with Open MPI's, which libpto-mpi.pc
# requires: it includes <mpi.h>).
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash headers
. tests/install/lib.bash

install_tree
inc=$ROOT$PREFIX/include
read -ra cflags <<<"$(pc --cflags libpto)"
read -ra mpi_cflags <<<"$(pkg-config --cflags ompi-c 2>/dev/null)"
headers=()
for h in "$inc"/pto/*.h "$inc"/pto2/*.h; do headers+=("${h#"$inc"/}"); done
[ ${#headers[@]} -ge 8 ] && ok "${#headers[@]} installed headers" || bad "only ${#headers[@]} headers: ${headers[*]}"

compilers=("gcc -std=c11 -x c" "g++ -std=c++17 -x c++" "clang -std=c11 -x c" "clang++ -std=c++17 -x c++")
for c in "${compilers[@]}"; do
	read -ra cc <<<"$c"
	if ! command -v "${cc[0]}" >/dev/null; then
		bad "${cc[0]} not installed (tools/install-deps.sh --check installs it)"
		continue
	fi
	for h in "${headers[@]}"; do
		extra=()
		[ "$h" = pto/pto_mpi.h ] && extra=("${mpi_cflags[@]}")
		printf '#include <%s>\nint pto_header_test;\n' "$h" >"$T/t.src"
		check "${cc[*]}: <$h> alone" 0 "${cc[@]}" -Wall -Wextra -Werror "${cflags[@]}" \
			"${extra[@]}" -fsyntax-only "$T/t.src"
	done
done

test_result
