#!/usr/bin/env bash
# run-qemu.sh RESULTS_DIR BUILD_DIR [KVER] [ARCH] - the kmod stage of `make check`.
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
#
# ARCH arm64 (stage "kmod-arm64", `make check-kmod-arm64`, opt-in): Debian's
# arm64 kernel under qemu-system-aarch64 -M virt; tests/aarch64/kmod-kernel.sh
# downloads and unpacks that kernel and its headers (no install), pto2.ko
# is built against those headers with the host's kbuild helpers, the guest
# tests are cross-built into BUILD_DIR (build/aarch64) and BUILD_DIR-tsan.
# A missing piece is a failure there, not a skip (docs/porting.md).
set -u
debug=0
[ "${1:-}" = --debug-kernel ] && { debug=1; shift; }
results=$1 build=$2
arch=${4:-amd64}
amd=$(ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -1)
case $arch in
amd64) kver=${3:-$amd} ;;
# the arm64 kernel of the same Debian ABI as the amd64 one whose
# linux-kbuild-6.1 (the host helpers) is installed
arm64) kver=${3:-${amd%-amd64}-arm64} ;;
*) echo "run-qemu.sh: unknown ARCH '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac
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
	[ "$arch" = arm64 ] && stage=kmod-arm64
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

# the opt-in arm64 stage was asked for: nothing missing is a skip there
[ "$arch" = arm64 ] && skip() { fail "$@"; }

if [ "$arch" = arm64 ]; then
	command -v qemu-aarch64 >/dev/null || fail "qemu-aarch64 not installed (qemu-user: tools/install-deps.sh)"
	if ! command -v qemu-system-aarch64 >/dev/null; then
		# opt-in stage, not in tools/install-deps.sh: it installs its emulator
		echo "  kmod-arm64: installing qemu-system-arm (qemu-system-aarch64)"
		apt-get install -y -q qemu-system-arm >"$work/apt.log" 2>&1 ||
			fail "qemu-system-aarch64 missing and 'apt-get install qemu-system-arm' failed ($work/apt.log)"
	fi
elif [ $debug -eq 1 ]; then
	[ -r /usr/src/linux-source-6.1.tar.xz ] || skip "no /usr/src/linux-source-6.1.tar.xz (linux-source-6.1)"
else
	[ -n "$kver" ] || skip "no Debian kernel under /lib/modules (linux-image-amd64)"
	kernel=/boot/vmlinuz-$kver
	[ -r "$kernel" ] || skip "no readable kernel image $kernel"
	[ -d "/lib/modules/$kver/build" ] || skip "no kernel headers for $kver (linux-headers-amd64)"
fi
[ "$arch" = arm64 ] || command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
command -v cpio >/dev/null || skip "cpio not installed"
busybox=
for b in /bin/busybox "$(command -v busybox)"; do
	# the initramfs has no libraries for busybox itself: it must be static
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then busybox=$b; break; fi
done
[ -n "$busybox" ] || skip "no static busybox (busybox-static)"

t0=$SECONDS
tsan_build=$build/tsan
if [ "$arch" = arm64 ]; then
	# downloads + unpacks Debian's arm64 kernel, headers and busybox once;
	# prints the unpacked root
	kroot=$("$root/tests/aarch64/kmod-kernel.sh" "$kver") || fail "no arm64 kernel tree for $kver"
	kernel=$kroot/boot/vmlinuz-$kver
	busybox=$kroot/bin/busybox
	kdir=$kroot/usr/src/linux-headers-$kver
	# a copy of the module's sources (kmod/ keeps its amd64 objects)
	rm -rf "$work/src" && mkdir -p "$work/src/kmod"
	cp -r "$root/Kbuild" "$root/VERSION" "$root/uapi" "$work/src/"
	cp "$root"/kmod/Kbuild "$root"/kmod/*.[ch] "$work/src/kmod/"
	make -C "$kdir" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- M="$work/src" W=1 modules \
		>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "module build failed ($work/build.log)"; }
	ko=$work/src/kmod/pto2.ko
	modinfo -F vermagic "$ko" | grep -q "^$kver SMP .*modversions aarch64" ||
		fail "$ko: vermagic '$(modinfo -F vermagic "$ko")' does not match $kver"
	make -C "$root" --no-print-directory -j2 BUILD="$build" CC=aarch64-linux-gnu-gcc SAN= MPI=no \
		PEER_OMP_OK=no STARPU_PC= tools kmod-tests >>"$work/build.log" 2>&1 ||
		{ tail -30 "$work/build.log"; fail "cross build failed ($work/build.log)"; }
	# the TSan variant as on amd64 (the cross toolchain ships libtsan for
	# aarch64; Debian's arm64 kernel has the 48-bit VA TSan supports)
	tsan_build=$build-tsan
	make -C "$root" --no-print-directory -j2 BUILD="$tsan_build" CC=aarch64-linux-gnu-gcc SAN=tsan MPI=no \
		PEER_OMP_OK=no STARPU_PC= "$tsan_build/kmod-tests/test_kmod_libpto" >>"$work/build.log" 2>&1 ||
		{ tail -30 "$work/build.log"; fail "TSan cross build failed ($work/build.log)"; }
	echo "  built $ko and the guest tests in $((SECONDS - t0))s"
elif [ $debug -eq 1 ]; then
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
	# C=2: sparse checks every module file, built or not; W=1 and sparse
	# stay clean, so any warning in kmod/ fails the stage
	make -C "$root" --no-print-directory -j2 BUILD="$build" KVER="$kver" C=2 kmod tools kmod-tests \
		>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build failed ($work/build.log)"; }
	if grep -E 'kmod/[^:]*:[0-9]+:[0-9]+: (warning|error):' "$work/build.log"; then
		fail "W=1 or sparse warnings in kmod/ ($work/build.log)"
	fi
	echo "  pto2.ko: W=1 and sparse (C=2) clean"
fi
# the backend's wake-up protocol under TSan, with real ioctls, in the same boot
# (shares check-tsan's objects when BUILD=build)
[ "$arch" = arm64 ] || make -C "$root" --no-print-directory -j2 BUILD="$tsan_build" SAN=tsan \
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
if [ "$arch" = amd64 ]; then
	libs=$(ldd "${bins[@]}" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]+\// { print $1 }' | sort -u)
else
	# ldd cannot run arm64 binaries: follow DT_NEEDED in the multiarch dirs
	libs=/lib/ld-linux-aarch64.so.1 todo=("${bins[@]}")
	while [ ${#todo[@]} -gt 0 ]; do
		next=()
		for n in $(objdump -p "${todo[@]}" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }' | sort -u); do
			l=
			# libtsan.so.2 only comes with the cross toolchain
			for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib; do
				[ -e "$d/$n" ] && { l=$d/$n; break; }
			done
			[ -n "$l" ] || fail "arm64 library $n not found (install its :arm64 package)"
			case " $libs " in *" $l "*) ;; *) libs="$libs $l" next+=("$l") ;; esac
		done
		todo=("${next[@]}")
	done
fi
for l in $libs; do
	# the guest's loader looks in the multiarch dirs, not the cross toolchain's
	g=${l/#\/usr\/aarch64-linux-gnu\/lib\//\/lib\/aarch64-linux-gnu\/}
	mkdir -p "$ir$(dirname "$g")"
	cp -L "$l" "$ir$g"
done
# every example pto-run knows (its --list names them at the start of a line);
# not examples/standalone or multi_bgemm, programs of their own.  The arm64
# pto-run lists them under qemu-user (the aarch64 stage's qemu-aarch64).
list_run=()
[ "$arch" = arm64 ] && list_run=(env QEMU_LD_PREFIX=/ qemu-aarch64)
"${list_run[@]}" "$build/bin/pto-run" --list | sed -n 's/^\([a-z_0-9]*\) - .*/\1/p' >"$ir/etc/pto2-examples"
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
if [ "$arch" = amd64 ]; then
	timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 -accel tcg -m "$mem" -smp 2 -nographic \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 oops=panic quiet $append" \
		</dev/null >"$serial" 2>&1
else
	# virt has no isa-debug-exit: the guest powers off through PSCI (exit 0)
	timeout --kill-after=10 "$timeout_s" qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg \
		-m "$mem" -smp 2 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
		-append "console=ttyAMA0 panic=-1 oops=panic quiet $append" \
		</dev/null >"$serial" 2>&1
fi
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
# isa-debug-exit: qemu exits (guest code << 1) | 1, so 1 = guest said "all
# passed"; arm64: 0 = the guest powered off (a panic reboots: -no-reboot exits 0
# too, but then there is no result line)
ok_rc=1
[ "$arch" = arm64 ] && ok_rc=0
if [ "$qrc" -ne "$ok_rc" ] && [ "$failed" -eq 0 ]; then
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
