#!/usr/bin/env bash
# mpi.sh - the distributed layer as `make install` leaves it: libpto-mpi
# (shared, static, its header and a libpto-mpi.pc that brings libpto and
# Open MPI along), pto-mpi-run and its man page; a program of one's own
# built with nothing but pkg-config and run under mpirun with 2 ranks,
# and the installed pto-mpi-run passing its golden there; without MPI,
# install says so and installs none of it.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash mpi
. tests/install/lib.bash

if [ -z "$(pkg-config --libs ompi-c 2>/dev/null)" ] || ! command -v mpirun >/dev/null; then
	bad "no Open MPI (pkg-config ompi-c, mpirun): install libopenmpi-dev and openmpi-bin (tools/install-deps.sh)"
	test_result; exit 1
fi
install_tree
inc=$ROOT$PREFIX/include lib=$ROOT$LIBDIR
ver=$(cat VERSION)
for f in "$inc/pto/pto_mpi.h" "$lib/libpto-mpi.a" "$lib/libpto-mpi.so.$ver" "$lib/pkgconfig/libpto-mpi.pc" \
	"$ROOT$PREFIX/bin/pto-mpi-run" "$ROOT$PREFIX/share/man/man1/pto-mpi-run.1"; do
	if [ -e "$f" ]; then ok "installed ${f#"$ROOT"}"; else bad "missing ${f#"$ROOT"}"; fi
done
for l in libpto-mpi.so.1 libpto-mpi.so; do
	if [ -L "$lib/$l" ] && [ -e "$lib/$l" ]; then ok "$l links to $(readlink "$lib/$l")"; else bad "$l: no link"; fi
done
# every exported function: a man3 page (tests/install/man.sh lints them all)
nm -D --defined-only "$lib/libpto-mpi.so.$ver" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$T/syms"
[ "$(wc -l <"$T/syms")" -ge 8 ] && ok "$(wc -l <"$T/syms") exported functions" || bad "only $(wc -l <"$T/syms") exported functions"
man3=$ROOT$PREFIX/share/man/man3 nopage=0
while read -r s; do
	[ -f "$man3/$s.3" ] || { bad "$s: no man3/$s.3"; nopage=$((nopage + 1)); }
done <"$T/syms"
[ "$nopage" -eq 0 ] && ok "a man3 page for each"
[ -f "$man3/pto_mpi.3" ] && ok "installed pto_mpi(3)" || bad "no pto_mpi(3)"
check "libpto-mpi.so's soname" 0 objdump -p "$lib/libpto-mpi.so.$ver"
has "soname libpto-mpi.so.1" 'SONAME +libpto-mpi\.so\.1$' "$T/out"

# the system's ompi-c unrelocated: only pto2's own files are under $ROOT
# (pkg-config prints even the system directories, then exactly those move)
mpc() {
	PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 PKG_CONFIG_PATH=$lib/pkgconfig \
		pkg-config "$@" | sed -E "s#-I$PREFIX/include( |\$)#-I$inc\1#g; s#-L$LIBDIR( |\$)#-L$lib\1#g"
}
check "pkg-config --modversion libpto-mpi" 0 pc --modversion libpto-mpi
has "version $ver" "^$ver\$" "$T/out"
check "pkg-config --cflags --libs libpto-mpi" 0 mpc --cflags --libs libpto-mpi
has "libs: -lpto-mpi, libpto and MPI" '-lpto-mpi.*-lpto( |$).*-lmpi|-lpto-mpi.*-lmpi.*-lpto( |$)' "$T/out"
has "cflags: MPI's headers (pto_mpi.h includes mpi.h)" "-I[^ ]*openmpi" "$T/out"
# shellcheck disable=SC2046
check "cc with pkg-config's flags only" 0 cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$T/app" \
	tests/install/mpi.c $(mpc --cflags --libs libpto-mpi)
check "ldd: libpto-mpi and libpto from the installed LIBDIR" 0 env LD_LIBRARY_PATH="$lib" ldd "$T/app"
has "libpto-mpi.so.1 => the installed one" "libpto-mpi\.so\.1 => $lib/" "$T/out"
has "libpto.so.1 => the installed one" "libpto\.so\.1 => $lib/" "$T/out"
. tests/mpi/mpirun.bash
mpi_exports=(-x LD_LIBRARY_PATH="$lib")
check "the program under mpirun -np 2" 0 mpi "$T/app"
has "both ranks agreed" '^libpto-mpi: 2 ranks agreed$' "$T/out"
check "installed pto-mpi-run golden under mpirun -np 2" 0 mpi "$ROOT$PREFIX/bin/pto-mpi-run" golden
has "golden PASS" '^PASS multi_bgemm/Small on 2 ranks' "$T/out"

# without MPI, install says so and leaves every MPI file out, the pages too
nompi=$T/root-nompi
check "make install MPI=no" 0 make --no-print-directory MPI=no BUILD="$B" PREFIX="$PREFIX" \
	LIBDIR="$LIBDIR" DESTDIR="$nompi" install
has "MPI=no: install says it leaves them out" '^!!! not installing libpto-mpi and pto-mpi-run: they are not built \(MPI=no\)' "$T/out"
left=$(find "$nompi" -name '*mpi*' | sed "s#^$nompi##" | paste -sd' ')
[ -z "$left" ] && ok "MPI=no: no MPI file installed" || bad "MPI=no installed: $left"
[ -f "$nompi$PREFIX/bin/pto-run" ] && ok "MPI=no: the rest installed" || bad "MPI=no: no pto-run"

test_result
