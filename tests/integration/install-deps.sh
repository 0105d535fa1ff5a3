#!/usr/bin/env bash
# install-deps.sh - the installer's argument refusals, which exit before it
# looks at a package (installing itself is what every CI run does first),
# and what each target gets (--list): make run only the build packages.
. "$(dirname "$0")/common.bash" install-deps
inst=$(dirname "$0")/../../tools/install-deps.sh

for args in "--bnech" "--bench extra" "-h" "--check --chek"; do
	# shellcheck disable=SC2086
	check "refuses '$args'" 2 "$inst" $args
	has "'$args': usage named" '^install-deps: usage: install-deps\.sh \[--check\] \[--bench\] \[--kmod-debug\] \[--list\] \(got: ' "$T/err"
	one_line "'$args'" "$T/err"
	hasnt "'$args': nothing installed or printed" '.' "$T/out"
done

check "--list" 0 "$inst" --list
cp "$T/out" "$T/build"
for p in build-essential libcmocka-dev libdrm-dev help2man scdoc; do
	has "build needs $p" "^$p\$" "$T/build"
done
for p in qemu-system-x86 linux-image-amd64 busybox-static cpio sparse dkms libstarpu-dev; do
	hasnt "make run does not need $p" "^$p\$" "$T/build"
done
check "--check --list" 0 "$inst" --check --list
for p in build-essential qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static \
	sparse dkms clang libgomp1 libstarpu-dev; do
	has "make check needs $p" "^$p\$" "$T/out"
done
check "--check --bench --list" 0 "$inst" --list --check --bench
has "bench adds gnuplot" '^gnuplot-nox$' "$T/out"
if [ "$(sort "$T/out" | uniq -d | wc -l)" -eq 0 ]; then ok "no package listed twice"; else
	bad "listed twice: $(sort "$T/out" | uniq -d | tr '\n' ' ')"; fi

test_result
