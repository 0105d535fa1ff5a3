# mk/kmod-debug.mk - the qemu stage on a debug kernel.
#
#   make check-kmod-debug   build (once; cached under /var/cache/pto2, see
#                           tests/kmod/debug-kernel.sh) a small kernel from
#                           Debian's linux-source-6.1 with KASAN, KFENCE, UBSAN,
#                           kmemleak, lockdep and DEBUG_ATOMIC_SLEEP, build
#                           pto2.ko against it, boot it under qemu (TCG) and
#                           run every guest test; any kernel report fails.
#                           Writes results/kmod-debug.

.PHONY: check-kmod-debug

check-kmod-debug:
	@tools/install-deps.sh --kmod-debug
	@tests/kmod/run-qemu.sh --debug-kernel $(RESULTS) $(BUILD)
