#!/usr/bin/env bash
# installed.sh - what a new user gets from `make install`: the layout, a
# libpto.pc that is enough to build the standalone example (C) and a C++
# program out of tree, shared and static, and both running on the mock device.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash installed
. tests/install/lib.bash

# install builds the library, the tools and the man pages, never the tests
if make -n --no-print-directory BUILD="$T/fresh" "${make_vars[@]}" install 2>&1 | grep -q "$T/fresh/tests/"; then
	bad "make install would build test programs"
else
	ok "make install builds no test programs"
fi

install_tree
inc=$ROOT$PREFIX/include lib=$ROOT$LIBDIR
for f in "$inc/pto/pto.h" "$inc/pto2/pto2_abi.h" "$inc/pto2/pto2_ioctl.h" "$lib/libpto.a" \
	"$lib/libpto.so.1" "$lib/pkgconfig/libpto.pc" "$ROOT$PREFIX/bin/pto-run"; do
	if [ -e "$f" ]; then ok "installed ${f#"$ROOT"}"; else bad "missing ${f#"$ROOT"}"; fi
done
# the device group: udev's rule and systemd-sysusers' group, where those look
rule=$ROOT/lib/udev/rules.d/60-pto2.rules
if [ -f "$rule" ] && [ -f "$ROOT/usr/lib/sysusers.d/pto2.conf" ]; then
	ok "installed /lib/udev/rules.d/60-pto2.rules and /usr/lib/sysusers.d/pto2.conf"
else
	bad "missing the udev rule or the sysusers file under $ROOT"
fi
has "sysusers: the group pto2" '^g pto2 -' "$ROOT/usr/lib/sysusers.d/pto2.conf"
# every KERNEL== glob of the rule (udev matches them as fnmatch, like [[ == ]])
# against the module's names (docs/kmod.md, "Several devices")
mapfile -t pats < <(sed -n 's/.*KERNEL=="\([^"]*\)".*GROUP="pto2", MODE="0660".*/\1/p' "$rule")
matches() { local p; for p in "${pats[@]}"; do [[ $1 == $p ]] && return 0; done; return 1; }
[ "${#pats[@]}" -gt 0 ] && ok "rule: ${#pats[@]} GROUP=pto2 MODE=0660 lines" || bad "rule: no GROUP=pto2 MODE=0660 line"
for n in pto2 pto2-1 pto2-15 pto2-255; do
	matches "$n" && ok "rule matches $n" || bad "rule does not match $n"
done
for n in pto2x pto2- pto2fs pto22; do
	matches "$n" && bad "rule matches $n, not a pto2 node" || ok "rule leaves $n alone"
done
grep -q 'SUBSYSTEM=="misc"' "$rule" && ok "rule: misc subsystem only" || bad "rule: no SUBSYSTEM==misc"

loose=$(find "$inc" -maxdepth 1 -type f | wc -l)
if [ "$loose" -eq 0 ]; then ok "no header at the top of include/"; else
	bad "$loose headers at the top of include/: $(find "$inc" -maxdepth 1 -type f)"; fi

check "pkg-config finds libpto" 0 pc --exists --print-errors libpto
check "pkg-config --modversion" 0 pc --modversion libpto
check "pkg-config --cflags --libs" 0 pc --cflags --libs libpto
has "cflags: the installed include dir" "-I$inc( |\$)" "$T/out"
has "libs: -lpto from the installed LIBDIR" "-L$lib -lpto" "$T/out"
check "pkg-config --static --libs" 0 pc --static --libs libpto
has "static: threads, libm, librt, libdrm" '-pthread.*-lm.*-lrt.*-ldrm|-ldrm.*-pthread.*-lm.*-lrt' "$T/out"

# the standalone example, copied out of the installed docs and built with its Makefile
src=$ROOT$PREFIX/share/doc/pto2/examples/standalone
cp -r "$src" "$T/vadd" || bad "no standalone example installed"
export PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_PATH=$lib/pkgconfig
check "standalone: make (shared)" 0 make -C "$T/vadd" CFLAGS="-O2 -Wall -Wextra -Werror"
check "standalone: make static" 0 make -C "$T/vadd" static CFLAGS="-O2 -Wall -Wextra -Werror"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

cxx_flags=(-std=c++17 -O2 -Wall -Wextra -Werror)
# shellcheck disable=SC2046
check "C++: g++ shared" 0 g++ "${cxx_flags[@]}" -o "$T/app" tests/install/app.cpp $(pc --cflags --libs libpto)
# shellcheck disable=SC2046
check "C++: g++ static" 0 g++ "${cxx_flags[@]}" -o "$T/app-static" tests/install/app.cpp \
	$(pc --cflags libpto) $(pc --static --libs libpto | sed 's/-lpto\b/-l:libpto.a/')

for p in vadd/vadd app; do
	readelf -d "$T/$p" >"$T/dyn" 2>&1
	has "$p: needs libpto.so.1" 'NEEDED.*\[libpto\.so\.1\]' "$T/dyn"
	check "$p: runs from the installed libpto.so" 0 env LD_LIBRARY_PATH="$lib" "$T/$p"
	has "$p: PASS" '^PASS ' "$T/out"
	hasnt "$p: silent library" '^pto: ' "$T/err"
	LD_LIBRARY_PATH=$lib ldd "$T/$p" >"$T/ldd" 2>&1
	has "$p: resolves libpto from the install" "libpto\.so\.1 => $lib/libpto\.so\.1" "$T/ldd"
done
for p in vadd/vadd-static app-static; do
	readelf -d "$T/$p" >"$T/dyn" 2>&1
	hasnt "$p: libpto linked in" 'NEEDED.*libpto' "$T/dyn"
	check "$p: runs" 0 "$T/$p"
	has "$p: PASS" '^PASS ' "$T/out"
done

test_result
