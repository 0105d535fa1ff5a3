# tests/install/lib.bash - sourced by the install-stage scripts (after
# tests/integration/common.bash): installs the build into a scratch root the
# way a distribution package would (PREFIX=/usr, a multiarch LIBDIR).
ROOT=$T/root
PREFIX=/usr
LIBDIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
make_vars=(BUILD="$B" PREFIX="$PREFIX" LIBDIR="$LIBDIR" DESTDIR="$ROOT")

# install_tree: make install into $ROOT; fails the script when it fails
install_tree() {
	if make --no-print-directory "${make_vars[@]}" install >"$T/install.log" 2>&1; then
		ok "make install DESTDIR=\$T/root PREFIX=$PREFIX LIBDIR=$LIBDIR"
	else
		bad "make install failed:"; tail -20 "$T/install.log" | sed 's/^/      | /'
		test_result; exit 1
	fi
}

# pkg-config that sees only the installed tree (plus the system's .pc files
# for libpto's Requires.private), with paths relocated into $ROOT
pc() {
	PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_PATH=$ROOT$LIBDIR/pkgconfig pkg-config "$@"
}
