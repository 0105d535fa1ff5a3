#!/usr/bin/env bash
# run-qemu.sh RESULTS_DIR BUILD_DIR [KVER] - the kmod stage of `make check`.
# run-qemu.sh --debug-kernel RESULTS_DIR BUILD_DIR - `make check-kmod-debug`:
#   the same guest on the KASAN/lockdep/kmemleak/KFENCE/UBSAN kernel that
#   tests/kmod/debug-kernel.sh builds (once, cached), with the module built
#   against it in BUILD_DIR/kmod-qemu-debug/src; writes RESULTS_DIR/kmod-debug.
#
# Builds pto2.ko and the guest tests, packs a busybox initramfs with their
# shared-library closure, boots the installed Debian kernel under
# qemu-system-x86_64 (TCG: KVM hangs on the project machines) with
# slub_debug, and lets tests/kmod/guest-init.sh load the module through
# pto2-load and run the tests.  Writes "passed failed skipped" to
# RESULTS_DIR/kmod.  Where qemu, a kernel image or its headers are missing
# the stage is skipped, loudly, and counted as one skipped test.
set -u
debug=0
[ "${1:-}" = --debug-kernel ] && { debug=1; shift; }
results=$1 build=$2
kver=${3:-$(ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -1)}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $debug -eq 1 ]; then
	stage=kmod-debug work=$build/kmod-qemu-debug mem=2048M
	# KASAN, lockdep and kmemleak make the guest several times slower
	timeout_s=${PTO_KMOD_TIMEOUT:-2400}
	append="kfence.sample_interval=10"
	deps="tools/install-deps.sh --kmod-debug"
else
	stage=kmod work=$build/kmod-qemu mem=1536M
	timeout_s=${PTO_KMOD_TIMEOUT:-360}
	# preempt=full: the debug kernel's CONFIG_PREEMPT, so races show as they would there
	append="slub_debug=FZPU init_on_free=1 preempt=full"
	deps="tools/install-deps.sh"
fi
mkdir -p "$results" "$work"
work=$(cd "$work" && pwd)	# Kbuild's M= needs an absolute path

echo "== stage $stage =="
skip() {
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo "!!! SKIPPED: $stage stage (qemu tests of /dev/pto2): $*"
	echo "!!! install them with $deps"
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo "0 0 1" >"$results/$stage"
	echo "stage $stage: 0 passed, 0 failed, 1 skipped"
	exit 0
}
fail() {
	echo "$stage: $*" >&2
	echo "0 1 0" >"$results/$stage"
	echo "stage $stage: 0 passed, 1 failed, 0 skipped"
	exit 1
}

if [ $debug -eq 1 ]; then
	[ -r /usr/src/linux-source-6.1.tar.xz ] || skip "no /usr/src/linux-source-6.1.tar.xz (linux-source-6.1)"
else
	[ -n "$kver" ] || skip "no Debian kernel under /lib/modules (linux-image-amd64)"
	kernel=/boot/vmlinuz-$kver
	[ -r "$kernel" ] || skip "no readable kernel image $kernel"
	[ -d "/lib/modules/$kver/build" ] || skip "no kernel headers for $kver (linux-headers-amd64)"
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
command -v cpio >/dev/null || skip "cpio not installed"
busybox=
for b in /bin/busybox "$(command -v busybox)"; do
	# the initramfs has no libraries for busybox itself: it must be static
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then busybox=$b; break; fi
done
[ -n "$busybox" ] || skip "no static busybox (busybox-static)"

t0=$SECONDS
if [ $debug -eq 1 ]; then
	# built once and cached (see debug-kernel.sh); its progress goes to stderr
	kdir=$("$here/debug-kernel.sh" | tail -1) && [ -f "$kdir/bzImage" ] ||
		fail "the debug kernel did not build"
	kernel=$kdir/bzImage
	echo "  debug kernel: $kdir (built in $(cat "$kdir/build-seconds")s, cached)"
	# a copy of the module's sources, so kmod/pto2.ko stays the Debian kernel's
	rm -rf "$work/src" && mkdir -p "$work/src/kmod"
	cp -r "$root/Kbuild" "$root/VERSION" "$root/uapi" "$work/src/"
	cp "$root"/kmod/Kbuild "$root"/kmod/*.[ch] "$work/src/kmod/"
	make -C "$kdir/obj" M="$work/src" W=1 modules >"$work/build.log" 2>&1 ||
		{ tail -30 "$work/build.log"; fail "module build against the debug kernel failed"; }
	ko=$work/src/kmod/pto2.ko
	make -C "$root" --no-print-directory -j2 BUILD="$build" tools kmod-tests \
		>>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build failed ($work/build.log)"; }
else
	ko=$root/kmod/pto2.ko
	make -C "$root" --no-print-directory -j2 BUILD="$build" KVER="$kver" kmod tools kmod-tests \
		>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build failed ($work/build.log)"; }
fi
# the backend's wake-up protocol under TSan, with real ioctls, in the same boot
# (shares check-tsan's objects when BUILD=build)
tsan_build=$build/tsan
make -C "$root" --no-print-directory -j2 BUILD="$tsan_build" SAN=tsan \
	"$tsan_build/kmod-tests/test_kmod_libpto" >>"$work/build.log" 2>&1 ||
	{ tail -30 "$work/build.log"; fail "TSan build failed ($work/build.log)"; }

# --- initramfs ---------------------------------------------------------------
ir=$work/initramfs
rm -rf "$ir" && mkdir -p "$ir"/{bin,sbin,dev,proc,sys,tmp,etc,tests,lib/modules}
cp "$busybox" "$ir/bin/busybox"
cp "$ko" "$ir/lib/modules/"
cp "$here/guest-init.sh" "$ir/init"
cp "$here/../cmocka_count.awk" "$ir/etc/"
bins=()
for b in "$build"/bin/*; do [ -x "$b" ] && cp "$b" "$ir/bin/" && bins+=("$b"); done
for t in "$build"/kmod-tests/test_*; do [ -x "$t" ] && cp "$t" "$ir/tests/" && bins+=("$t"); done
cp "$tsan_build/kmod-tests/test_kmod_libpto" "$ir/tests/test_kmod_libpto_tsan"
bins+=("$tsan_build/kmod-tests/test_kmod_libpto")
for s in "$here"/*.sh; do
	case "$(basename "$s")" in run-qemu.sh|guest-init.sh|debug-kernel.sh) ;; *) cp "$s" "$ir/tests/" ;; esac
done
# Debian ships no static cmocka/libkmod: copy the shared-library closure
for l in $(ldd "${bins[@]}" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]+\// { print $1 }' | sort -u); do
	mkdir -p "$ir$(dirname "$l")"
	cp -L "$l" "$ir$l"
done
# every example pto-run knows (its --list names them at the start of a line);
# not examples/standalone or multi_bgemm, programs of their own
"$build/bin/pto-run" --list | sed -n 's/^\([a-z_0-9]*\) - .*/\1/p' >"$ir/etc/pto2-examples"
[ -s "$ir/etc/pto2-examples" ] || { echo "run-qemu: pto-run --list named no example" >&2; exit 1; }
# 384 MiB: the runtime's rings need ~260 MiB of device memory per run
cat >"$ir/etc/pto2-test.env" <<ENV
PTO2_KO=/lib/modules/pto2.ko
PTO2_PARAMS="clusters=4 mem_mb=384 cpus=0-1"
PTO2_FUZZ_SEED=${PTO2_FUZZ_SEED:-}
PTO_KMOD_ONLY="${PTO_KMOD_ONLY:-}"
ENV
(cd "$ir" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"

# --- boot ----------------------------------------------------------------------
serial=$work/serial.log
echo "  booting $kernel under qemu (TCG), log: $serial"
t1=$SECONDS
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 -accel tcg -m "$mem" -smp 2 -nographic \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 oops=panic quiet $append" \
	</dev/null >"$serial" 2>&1
qrc=$?
tr -d '\r' <"$serial" >"$serial.txt"

passed=0 failed=0 skipped=0
while read -r _ name p f s; do
	printf '  %-40s %4d passed %3d failed %3d skipped  %s\n' "$name" "$p" "$f" "$s" \
		"$([ "$f" -gt 0 ] && echo FAIL || echo ok)"
done < <(grep '^PTO_KMOD_TEST ' "$serial.txt")
res=$(grep '^PTO_KMOD_RESULT ' "$serial.txt" | tail -1)
if [ -z "$res" ]; then
	tail -40 "$serial.txt"
	[ "$qrc" -eq 124 ] && echo "$stage: qemu timed out after ${timeout_s}s"
	fail "the guest never reported a result (qemu exit $qrc)"
fi
read -r _ passed failed skipped <<<"$res"
# isa-debug-exit: qemu exits (guest code << 1) | 1, so 1 = guest said "all passed"
if [ "$qrc" -ne 1 ] && [ "$failed" -eq 0 ]; then
	echo "$stage: qemu exit $qrc although the guest reported no failure"
	failed=1
fi
if [ "$failed" -gt 0 ]; then
	grep -E '^\[  (FAILED|ERROR)|Assert|error:|FAIL|WARNING|BUG|Oops' "$serial.txt" | head -30 | sed 's/^/      | /'
fi
echo "$passed $failed $skipped" >"$results/$stage"
echo "stage $stage: $passed passed, $failed failed, $skipped skipped" \
	"($((SECONDS - t0))s incl. build, guest $((SECONDS - t1))s)"
[ "$failed" -eq 0 ]
