# pto2 - top-level build.
#
#   make              userspace: build/lib (libpto.so, libpto.a), build/bin (tools)
#   make run          the main job (paged attention) on the mock device
#   make check        every test stage, ending in "N passed, N failed"
#   make check-asan   unit + integration tests under ASan/UBSan
#   make check-tsan   unit + integration tests under TSan
#   make kmod         the kernel module (kmod/pto2.ko) via Kbuild
#   make install      PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib (mk/install.mk)
#   make uninstall    the same variables
#   make man          man pages into build/man (mk/man.mk)
#   make dkms-install the module under DKMS (mk/install.mk)
#   make check-install  install into a scratch DESTDIR and build against it
#
# Sources are found by folder, so adding a file needs no edit here:
#   libpto/**.c sim/*.c runtime/*.c  -> libpto
#   runtime/kernels/*.c              -> libpto_kernels.a (reference kernels)
#   examples/*/*.c                   -> libpto_examples.a (used by pto-run, tests)
#   tools/*.c                        -> build/bin/<name>
#   tests/unit/test_*.c              -> build/tests/<name> (cmocka)
# Per-area additions (extra libraries of a tool, extra stages) live in mk/*.mk.

BUILD ?= build
SAN ?=
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
CFLAGS_BASE := -std=gnu11 -g -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
	-fvisibility=hidden -fPIC -pthread -D_GNU_SOURCE \
	-Iuapi -Ilibpto/include -Iruntime/include -I.
OPT ?= -O2
ifeq ($(SAN),asan)
# float-cast-overflow: not part of -fsanitize=undefined in gcc, and a cast of an
# out-of-range double (a trace's 1e300) is as undefined as the rest
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow \
	-fno-omit-frame-pointer
OPT := -O1
else ifeq ($(SAN),tsan)
SANFLAGS := -fsanitize=thread
OPT := -O1
endif
CFLAGS := $(CFLAGS_BASE) $(OPT) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := -pthread $(SANFLAGS) $(EXTRA_LDFLAGS)
LDLIBS := -lm -lrt

LIB_SRCS := $(sort $(wildcard libpto/*.c libpto/*/*.c sim/*.c runtime/*.c))
KERNEL_SRCS := $(sort $(wildcard runtime/kernels/*.c))
# examples/standalone is a program of its own, built against the installed tree
EXAMPLE_SRCS := $(sort $(filter-out examples/standalone/%,$(wildcard examples/*.c examples/*/*.c)))
TOOL_SRCS := $(sort $(wildcard tools/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TEST_HELPER_SRCS := $(sort $(filter-out $(TEST_SRCS),$(wildcard tests/unit/*.c)))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJS := $(call obj,$(LIB_SRCS))
KERNEL_OBJS := $(call obj,$(KERNEL_SRCS))
EXAMPLE_OBJS := $(call obj,$(EXAMPLE_SRCS))
TEST_HELPER_OBJS := $(call obj,$(TEST_HELPER_SRCS))

LIBPTO_A := $(BUILD)/lib/libpto.a
LIBPTO_SO := $(BUILD)/lib/libpto.so
KERNELS_A := $(BUILD)/lib/libpto_kernels.a
EXAMPLES_A := $(BUILD)/lib/libpto_examples.a
STATIC_LIBS := $(EXAMPLES_A) $(KERNELS_A) $(LIBPTO_A)

TOOLS := $(patsubst tools/%.c,$(BUILD)/bin/%,$(TOOL_SRCS))
TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

.PHONY: all lib tools tests deps deps-check check check-unit check-asan check-tsan check-kmod kmod run \
	clean bench
.DEFAULT_GOAL := all
# Objects are intermediates of the link rules; keep them so a rebuild relinks nothing needlessly.
.SECONDARY:

all: lib tools tests

# Extra per-area rules and variables (e.g. LDLIBS_<tool>, CHECK_STAGES).
-include $(sort $(wildcard mk/*.mk))

lib: $(LIBPTO_A) $(LIBPTO_SO) $(KERNELS_A) $(EXAMPLES_A)
tools: $(TOOLS)
tests: $(TESTS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CFLAGS_$(notdir $*)) -MMD -MP -c $< -o $@

$(LIBPTO_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBPTO_SO): $(LIB_OBJS) libpto/libpto.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,--version-script=libpto/libpto.map -Wl,-soname,libpto.so.1 \
		$(LDFLAGS) -o $@ $(LIB_OBJS) $(LDLIBS)

$(KERNELS_A): $(KERNEL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(EXAMPLES_A): $(EXAMPLE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(STATIC_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(STATIC_LIBS) $(LDLIBS_$*) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_HELPER_OBJS) $(STATIC_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_HELPER_OBJS) $(STATIC_LIBS) $(LDLIBS_$*) -lcmocka $(LDLIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- set-up ------------------------------------------------------------------

# Each target installs what it needs (tools/install-deps.sh lists them by target).
deps:
	@tools/install-deps.sh

deps-check:
	@tools/install-deps.sh --check

# --- running -----------------------------------------------------------------

run: deps
	@$(MAKE) --no-print-directory lib tools
	@mkdir -p $(BUILD)/trace
	$(BUILD)/bin/pto-run paged_attention --device mock --trace $(BUILD)/trace/paged_attention.json

bench: deps
	@tools/install-deps.sh --bench
	@$(MAKE) --no-print-directory all
	$(BUILD)/bin/pto-bench

# --- tests -------------------------------------------------------------------
#
# Each stage writes "passed failed skipped" to $(BUILD)/results/<stage>; the
# last step of `make check` adds them up into the one summary line (a stage of
# CHECK_STAGES that wrote no result, e.g. its build failed, counts as a failure).

RESULTS := build/results

check-unit: all
	@tests/run-suite.sh unit $(RESULTS) $(BUILD)

check-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=asan all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-suite.sh asan $(RESULTS) build/asan

check-tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan SAN=tsan all
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		tests/run-suite.sh tsan $(RESULTS) build/tsan

# check-kmod and its kmod/qemu rules come from mk/kmod.mk; check-install from
# mk/install.mk; check-aarch64, check-abi32 and check-models from mk/cross.mk.
# An mk/*.mk file adds a stage of its own to CHECK_STAGES_EXTRA.
CHECK_STAGES ?= check-unit check-install check-kmod check-asan check-tsan check-aarch64 \
	check-abi32 check-models $(CHECK_STAGES_EXTRA)

check: deps-check
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@rc=0; for s in $(CHECK_STAGES); do \
		$(MAKE) --no-print-directory $$s || rc=1; \
	done; tests/summary.sh $(RESULTS) $(CHECK_STAGES:check-%=%) || rc=1; exit $$rc

# install, uninstall and check-install come from mk/install.mk; man pages from mk/man.mk.

clean:
	rm -rf build
	-@$(MAKE) --no-print-directory kmod-clean 2>/dev/null || true
