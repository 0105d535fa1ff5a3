#!/usr/bin/env bash
# tests/aarch64/run.sh RESULTS_DIR BUILD_DIR - the aarch64 stage of `make check`.
#
# Cross-builds libpto, the tools, the examples and the cmocka tests with
# Debian's aarch64 cross compiler into BUILD_DIR (build/aarch64), then runs
# the unit and integration suites (tests/run-suite.sh, stage "aarch64")
# under qemu-user.  The integration scripts run $PTO_BUILD/bin/<tool>
# directly, and binfmt_misc is not there in CI's container, so the suite is
# pointed at BUILD_DIR/run: the same layout, whose bin/ and tests/ entries
# are wrappers that exec qemu-aarch64 on the real binaries (lib/ is the
# real one, for symbols.sh).
#
# The guest libc is Debian's multiarch libc6:arm64 (QEMU_LD_PREFIX=/), not
# the cross toolchain's /usr/aarch64-linux-gnu copy: with that one, guest
# pthread_create() hung under Debian 12's qemu-user 7.2 here (a spin in
# the guest before clone(); seen with a 10-line test program).
#
# No tool missing is ever a skip: the stage then writes "0 1 0" (one
# failure) and says which package is missing.
set -u
results=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cc=${AARCH64_CC:-aarch64-linux-gnu-gcc}
qemu=${QEMU_AARCH64:-qemu-aarch64}
mkdir -p "$results"

fail_stage() {
	echo "*** stage aarch64: FAILED: $*" >&2
	echo "0 1 0" >"$results/aarch64"
	exit 1
}

echo "== stage aarch64 (cross-built, run under $qemu) =="
command -v "$cc" >/dev/null || fail_stage "$cc not found (install crossbuild-essential-arm64: tools/install-deps.sh)"
qemu=$(command -v "$qemu") || fail_stage "${QEMU_AARCH64:-qemu-aarch64} not found (install qemu-user: tools/install-deps.sh)"
[ -e /lib/ld-linux-aarch64.so.1 ] || fail_stage "no /lib/ld-linux-aarch64.so.1 (install libc6:arm64 after dpkg --add-architecture arm64)"
for l in cmocka drm kmod; do
	[ -e "/usr/lib/aarch64-linux-gnu/lib$l.so" ] ||
		fail_stage "no arm64 lib$l (install lib$l-dev:arm64: tools/install-deps.sh)"
done

# Bench peers are host benchmarks, and libpto-mpi has its own stage; host
# pkg-config would hand the cross compiler amd64 StarPU and Open MPI flags.
t0=$SECONDS
if ! make -C "$top" --no-print-directory -j2 BUILD="$build" CC="$cc" SAN= \
	PEER_OMP_OK=no STARPU_PC= MPI=no all >"$top/$build.build.log" 2>&1; then
	tail -30 "$top/$build.build.log" >&2
	fail_stage "cross build failed (log: $build.build.log)"
fi
echo "  cross build: $((SECONDS - t0))s (log: $build.build.log)"

# Left out, loudly, and counted as skipped: tests whose bound is the CPU
# time the runtime uses, which under qemu-user includes the translation
# cost of every spin (test_idle's 20 x 10 ms chain measured 10.4% of a CPU
# against its 10% bound here).  Native runs keep them.
left_out=(test_idle)

# The wrapper tree.
run=$build/run
rm -rf "${top:?}/$run"
mkdir -p "$top/$run/bin" "$top/$run/tests"
ln -s ../lib "$top/$run/lib"
# tools/bench-report.sh runs `make BUILD=$PTO_BUILD all` first: with the
# objects linked in and the wrappers newer than them it finds nothing to
# do, and MAKEFLAGS (below) keeps it on the cross compiler if it did.
ln -s ../obj "$top/$run/obj"
wrap() { # real wrapper
	printf '#!/bin/sh\nQEMU_LD_PREFIX=/ exec %s "%s" "$@"\n' "$qemu" "$1" >"$2"
	chmod +x "$2"
}
for f in "$top/$build"/bin/* "$top/$build"/tests/test_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	case $f in */bin/*) d=bin ;; *) d=tests ;; esac
	case " ${left_out[*]} " in *" $(basename "$f") "*) continue ;; esac
	wrap "$f" "$top/$run/$d/$(basename "$f")"
done
# a wrapped binary must really run as aarch64 (not a host binary by mistake)
file -L "$top/$build/bin/pto-run" | grep -q 'ARM aarch64' ||
	fail_stage "$build/bin/pto-run is not an aarch64 binary"
"$top/$run/bin/pto-run" --list >/dev/null 2>&1 ||
	fail_stage "$run/bin/pto-run --list does not run under $qemu"

cd "$top" || exit 1
export MAKEFLAGS="CC=$cc SAN= PEER_OMP_OK=no STARPU_PC= MPI=no"
# pto2-top.sh: the mock records its owner's start time from /proc/self/stat,
# which qemu-user fakes, so pto2-top (reading the real /proc/PID/stat) takes
# every emulated owner for a reused pid; the native stages run it
PTO_SUITE_LEAVE_OUT="pto2-top" "$top/tests/run-suite.sh" aarch64 "$results" "$run"
rc=$?
for t in "${left_out[@]}"; do
	echo "*** stage aarch64: LEFT OUT $t: it bounds CPU time, and qemu-user's translation" \
		"cost counts as CPU (runs in the native stages); counted as skipped" >&2
done
echo "*** stage aarch64: LEFT OUT pto2-top.sh: qemu-user fakes /proc/self/stat, so the" \
	"mock's recorded start time never matches (runs in the native stages); counted as skipped" >&2
read -r p f s <"$results/aarch64" && echo "$p $f $((s + ${#left_out[@]}))" >"$results/aarch64"
exit $rc
