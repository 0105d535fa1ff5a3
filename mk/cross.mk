# mk/cross.mk - the chip-readiness stages of `make check` (docs/porting.md).
#
#   make check-aarch64   cross-build everything for aarch64 into build/aarch64
#                        and run the unit + integration suites under qemu-user
#                        (tests/aarch64/run.sh), results/aarch64
#   make check-abi32     every uapi struct's size and field offsets on i386,
#                        armhf and aarch64 against x86_64 (tests/abi32/check.sh),
#                        results/abi32
#   make check-models    the Promela models of the protocols and their mutants
#                        under spin (tests/models/run-models.sh), results/models
#   make check-kmod-arm64  opt-in, not in CHECK_STAGES: pto2.ko on Debian's
#                        arm64 kernel under qemu-system-aarch64, results/kmod-arm64
#                        (KVER_ARM64=6.1.0-N-arm64 picks the kernel)
#
# Each stage fails loudly (and counts a failure) when its tools are missing;
# tools/install-deps.sh installs them.

AARCH64_BUILD ?= build/aarch64

.PHONY: check-aarch64 check-abi32 check-models

check-aarch64:
	@tests/aarch64/run.sh $(RESULTS) $(AARCH64_BUILD)

check-abi32:
	@tests/abi32/check.sh $(RESULTS) $(BUILD)

check-models:
	@tests/models/run-models.sh $(RESULTS) $(BUILD)

# Opt-in, not a check stage: the arm64 kernel module, compiled against
# kbuild helpers built from linux-source-6.1 (docs/porting.md, "Kernel
# module on arm64").
.PHONY: kmod-arm64
kmod-arm64:
	@tests/aarch64/kmod-build.sh $(BUILD)

# Opt-in stage (docs/porting.md, "Kernel module on arm64"): Debian's arm64
# kernel booted under qemu-system-aarch64 (TCG), pto2.ko built against its
# downloaded headers, the kmod guest tests cross-built into build/aarch64;
# results/kmod-arm64.  Run it as `make CHECK_STAGES=check-kmod-arm64 check`
# to have it summed, or add it to CHECK_STAGES.
.PHONY: check-kmod-arm64
check-kmod-arm64:
	@tests/kmod/run-qemu.sh $(RESULTS) $(AARCH64_BUILD) "$(KVER_ARM64)" arm64
