# mk/kmod.mk - the kernel module, libpto's kernel backend, pto2-load and the
# qemu stage of `make check`.
#
#   make kmod          kmod/pto2.ko against linux-headers-amd64 (W=1; C=1 for sparse)
#   make kmod-clean    remove the module's build products
#   make check-kmod    build module + guest tests, boot the Debian kernel under
#                      qemu (TCG), load pto2.ko, run tests/kmod, write results/kmod

# Never `uname -r`: in a container it names the host kernel.  The newest
# installed Debian kernel is the one the headers and the qemu guest match.
KVER ?= $(shell ls /lib/modules 2>/dev/null | grep -- '-amd64$$' | sort -V | tail -1)
KDIR ?= /lib/modules/$(KVER)/build

.PHONY: kmod kmod-clean kmod-tests

kmod:
	@test -d "$(KDIR)" || { echo "kmod: no kernel headers at '$(KDIR)' (install linux-headers-amd64)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 $(if $(C),C=$(C)) modules

kmod-clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null; fi
	rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd kmod/modules.order \
		modules.order Module.symvers .modules.order.cmd .Module.symvers.cmd

LDLIBS_pto2-load := -lkmod

# libpto's kernel backend issues its ioctls through libdrm's drmIoctl()
# (restarts on EINTR/EAGAIN; the module never returns EAGAIN for "busy").
CFLAGS_dev_kmod := $(shell pkg-config --cflags libdrm 2>/dev/null)
LDLIBS += $(shell pkg-config --libs libdrm 2>/dev/null || echo -ldrm)

# --- guest tests (tests/kmod) ----------------------------------------------------

KMOD_TEST_SRCS := $(sort $(wildcard tests/kmod/test_kmod_*.c))
KMOD_TEST_HELPER_SRCS := $(filter-out $(KMOD_TEST_SRCS),$(wildcard tests/kmod/*.c))
KMOD_TESTS := $(patsubst tests/kmod/%.c,$(BUILD)/kmod-tests/%,$(KMOD_TEST_SRCS))

kmod-tests: $(KMOD_TESTS)

# the module's version (kmod/Kbuild) for test_kmod_life's modinfo check
CFLAGS_test_kmod_life := -DPTO2_VERSION='"$(shell cat VERSION)"'
$(BUILD)/obj/tests/kmod/test_kmod_life.o: VERSION

$(BUILD)/kmod-tests/%: $(BUILD)/obj/tests/kmod/%.o $(call obj,$(KMOD_TEST_HELPER_SRCS)) $(STATIC_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(call obj,$(KMOD_TEST_HELPER_SRCS)) $(STATIC_LIBS) \
		-lcmocka -lkmod $(LDLIBS)

# One qemu boot runs every guest test; see tests/kmod/run-qemu.sh.
check-kmod:
	@tests/kmod/run-qemu.sh $(RESULTS) $(BUILD) "$(KVER)"
