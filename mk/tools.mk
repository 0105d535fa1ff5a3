# mk/tools.mk - what the command-line tools (tools/*.c) share: tools/cli/
# (option parsing, --help/--version, exit statuses, progress lines), linked
# into every tool, and the project version from the file VERSION.

PTO2_VERSION := $(shell cat VERSION)
CLI_SRCS := $(sort $(wildcard tools/cli/*.c))
CLI_OBJS := $(call obj,$(CLI_SRCS))

CFLAGS_cli := -DPTO2_VERSION='"$(PTO2_VERSION)"'
$(BUILD)/obj/tools/cli/cli.o: VERSION

# The tool link rule (Makefile) links $< and the libraries: the shared
# objects come in through each tool's LDLIBS_<tool> (libc only, so their
# place after libpto does not matter).
$(TOOLS): $(CLI_OBJS)
# pto-mpi-run (mk/mpi.mk) links them in its own rule
$(PTO_MPI_RUN): $(CLI_OBJS)
$(foreach t,$(TOOLS:$(BUILD)/bin/%=%),$(eval LDLIBS_$(t) += $(CLI_OBJS)))

# pto-trace's JSON reader and per-task analysis (tools/pto-trace/), kept out
# of tools/*.c, which the Makefile makes one binary each.  The reader is not
# part of libpto (the library only writes traces); the trace tests that read
# back what libpto wrote link it too.
PTO_TRACE_OBJS := $(call obj,$(sort $(wildcard tools/pto-trace/*.c)))
$(BUILD)/bin/pto-trace: $(PTO_TRACE_OBJS)
LDLIBS_pto-trace += $(PTO_TRACE_OBJS)

# pto-bench's concerns (tools/pto-bench/; tools/pto-bench.c is its main).
# They call libpto and the examples, so the libraries follow them once more:
# the tool link rule puts LDLIBS_<tool> after the libraries.
PTO_BENCH_OBJS := $(call obj,$(sort $(wildcard tools/pto-bench/*.c)))
$(BUILD)/bin/pto-bench: $(PTO_BENCH_OBJS)
LDLIBS_pto-bench += $(PTO_BENCH_OBJS) $(STATIC_LIBS)

# pto2-top's probe and rendering (tools/pto2-top/; tools/pto2-top.c is its main).
PTO2_TOP_OBJS := $(call obj,$(sort $(wildcard tools/pto2-top/*.c)))
$(BUILD)/bin/pto2-top: $(PTO2_TOP_OBJS)
LDLIBS_pto2-top += $(PTO2_TOP_OBJS)

# test_trace reads back what libpto wrote with pto-trace's JSON reader.
PTO_TRACE_JSON_OBJ := $(call obj,tools/pto-trace/json.c)
$(BUILD)/tests/test_trace: $(PTO_TRACE_JSON_OBJ)
LDLIBS_test_trace += $(PTO_TRACE_JSON_OBJ)
