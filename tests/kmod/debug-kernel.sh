#!/usr/bin/env bash
# debug-kernel.sh - build (once) and print the directory of the debug kernel
# `make check-kmod-debug` boots: Debian's linux-source-6.1 with KASAN,
# KFENCE, UBSAN, kmemleak, lockdep (PROVE_LOCKING) and DEBUG_ATOMIC_SLEEP on,
# over tinyconfig plus tests/kmod/debug-kernel.config.
#
# The build is cached under $PTO2_KCACHE (default /var/cache/pto2 as root,
# else ~/.cache/pto2) in kernel-<key>/, where the key hashes the source
# package version, the config fragment and the compiler, so a changed
# fragment builds a new kernel and an unchanged one costs nothing.  On
# success the last line of stdout is that directory, holding bzImage, obj/
# (the O= tree modules build against) and build-seconds.  Progress and
# errors go to stderr; the full log is kernel-<key>/build.log.
#
#   --check   print the directory if the kernel is cached, else exit 1
set -eu
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
if [ -n "${PTO2_KCACHE:-}" ]; then cache=$PTO2_KCACHE
elif [ "$(id -u)" -eq 0 ]; then cache=/var/cache/pto2
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/pto2
fi

die() { echo "debug-kernel: $*" >&2; exit 1; }
[ -r "$tarball" ] || die "no $tarball (tools/install-deps.sh --kmod-debug installs linux-source-6.1)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) || die "linux-source-6.1 is not installed"
key=$( { echo "$srcver"; cat "$frag"; gcc --version | head -1; } | sha256sum | cut -c1-16)
dir=$cache/kernel-$key
if [ -f "$dir/done" ]; then echo "$dir"; exit 0; fi
[ "${1:-}" = --check ] && exit 1
for t in bc bison flex gcc make; do
	command -v $t >/dev/null || die "$t missing (tools/install-deps.sh --kmod-debug)"
done
[ -r /usr/include/libelf.h ] || die "libelf-dev missing (objtool needs it; tools/install-deps.sh --kmod-debug)"

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9		# one build at a time; a second caller waits and then finds it cached
if [ -f "$dir/done" ]; then echo "$dir"; exit 0; fi

src=$cache/src-$srcver
if [ ! -f "$src/Makefile" ]; then
	echo "debug-kernel: unpacking $tarball" >&2
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp"
	mv "$src.tmp/linux-source-6.1" "$src" && rmdir "$src.tmp"
fi

rm -rf "$dir" && mkdir -p "$dir/obj"
log=$dir/build.log
# an earlier build of the same source seeds this one: Kbuild then rebuilds
# only what the changed options touch (it tracks each file's CONFIG_s)
# (a loop, not a pipeline: under set -e a pipeline whose last test failed
# would end the script without a word, as it did on a fresh machine)
prev=
for d in $(ls -td "$cache"/kernel-*/ 2>/dev/null); do
	d=${d%/}
	if [ "$d" != "$dir" ] && [ -f "$d/done" ] && [ "$(cat "$d/srcver" 2>/dev/null)" = "$srcver" ]; then
		prev=$d
		break
	fi
done
if [ -n "$prev" ]; then
	echo "debug-kernel: seeding from $prev" >&2
	cp -a "$prev/obj/." "$dir/obj/"
fi
echo "$srcver" >"$dir/srcver"
kmake() { make -C "$src" O="$dir/obj" ARCH=x86_64 LOCALVERSION=-pto2debug "$@" >>"$log" 2>&1; }
t0=$SECONDS
echo "debug-kernel: configuring (tinyconfig + $(basename "$frag")) in $dir" >&2
kmake tinyconfig || die "tinyconfig failed (see $log)"
"$src/scripts/kconfig/merge_config.sh" -m -O "$dir/obj" "$dir/obj/.config" "$frag" >>"$log" 2>&1 ||
	die "merge_config failed (see $log)"
kmake olddefconfig || die "olddefconfig failed (see $log)"
# every option of the fragment must have survived Kconfig's dependencies
bad=0
while IFS= read -r l; do
	case "$l" in
	CONFIG_*=*) grep -qxF "$l" "$dir/obj/.config" || { echo "debug-kernel: lost '$l'" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		o=${l#\# }; o=${o%% *}
		! grep -q "^$o=" "$dir/obj/.config" || { echo "debug-kernel: '$o' is still set" >&2; bad=1; } ;;
	esac
done <"$frag"
[ $bad -eq 0 ] || die "the config lost options of $frag (see $dir/obj/.config)"
jobs=${PTO2_KJOBS:-$(nproc)}
echo "debug-kernel: building with -j$jobs (log: $log); this takes a while" >&2
kmake -j"$jobs" all || { tail -20 "$log" >&2; die "kernel build failed (see $log)"; }
cp "$dir/obj/arch/x86/boot/bzImage" "$dir/bzImage"
echo $((SECONDS - t0)) >"$dir/build-seconds"
touch "$dir/done"
echo "debug-kernel: built in $((SECONDS - t0))s" >&2
# one kernel per source version is enough: drop the ones this replaced
for d in "$cache"/kernel-*/; do
	d=${d%/}
	[ "$d" != "$dir" ] && [ "$(cat "$d/srcver" 2>/dev/null)" = "$srcver" ] && rm -rf "$d"
done
echo "$dir"
