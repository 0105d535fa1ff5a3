#!/usr/bin/env bash
# dkms.sh - the module builds with DKMS from what `make dkms-install` puts in
# /usr/src: dkms add + build against the installed Debian kernel headers, in
# scratch source and dkms trees, so the test leaves the system as it was.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/common.bash dkms
ver=$(cat VERSION)
kver=$(ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -1)

if ! command -v dkms >/dev/null; then
	bad "dkms not installed (tools/install-deps.sh --check installs it)"; test_result; exit 1
fi
if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
	bad "no kernel headers in /lib/modules/*-amd64/build (linux-headers-amd64)"; test_result; exit 1
fi
[ -n "$ver" ] && ok "version $ver" || bad "no version in the file VERSION"

check "make dkms-install DESTDIR=" 0 make --no-print-directory DESTDIR="$T/root" dkms-install
src=$T/root/usr/src
for f in dkms.conf Kbuild kmod/Kbuild kmod/pto2_main.c uapi/pto2_abi.h uapi/pto2_ioctl.h; do
	[ -f "$src/pto2-$ver/$f" ] && ok "source tree has $f" || bad "source tree lacks $f"
done
has "dkms.conf: version filled in" "^PACKAGE_VERSION=\"$ver\"\$" "$src/pto2-$ver/dkms.conf"
[ -f "$T/root/lib/udev/rules.d/60-pto2.rules" ] && ok "dkms-install: the udev rule" ||
	bad "dkms-install did not install lib/udev/rules.d/60-pto2.rules"

mkdir -p "$T/dkms"
tree=(--sourcetree "$src" --dkmstree "$T/dkms")
# dkms signs what it builds; a scratch key keeps it from creating /var/lib/dkms/mok.*
export mok_signing_key=$T/mok.key mok_certificate=$T/mok.pub
check "dkms add" 0 dkms add -m pto2 -v "$ver" "${tree[@]}"
check "dkms build -k $kver" 0 dkms build -m pto2 -v "$ver" -k "$kver" "${tree[@]}" \
	--kernelsourcedir "/lib/modules/$kver/build"
ko=$(find "$T/dkms/pto2/$ver/$kver" -name 'pto2.ko*' 2>/dev/null | head -1)
if [ -n "$ko" ]; then
	ok "built $(basename "$ko")"
	modinfo "$ko" >"$T/modinfo" 2>&1
	has "built for $kver" "^vermagic: +$kver " "$T/modinfo"
else
	bad "no pto2.ko in $T/dkms:"; find "$T/dkms" -name make.log -exec tail -20 {} \; | sed 's/^/      | /'
fi
check "dkms status" 0 dkms status -m pto2 "${tree[@]}"
has "dkms status: built" "pto2/$ver, $kver, .*: built" "$T/out"
[ ! -e /var/lib/dkms/mok.key ] || [ /var/lib/dkms/mok.key -ot "$T" ] && ok "no key created in /var/lib/dkms" ||
	bad "dkms created /var/lib/dkms/mok.key"
check "make dkms-uninstall DESTDIR=" 0 make --no-print-directory DESTDIR="$T/root" dkms-uninstall
[ ! -e "$src/pto2-$ver" ] && ok "dkms-uninstall removed the sources" || bad "sources left in $src"
[ ! -e "$T/root/lib/udev/rules.d/60-pto2.rules" ] && ok "dkms-uninstall removed the udev rule" ||
	bad "dkms-uninstall left the udev rule"

test_result
