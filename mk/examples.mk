# examples.mk - link rules of pto-run.
#
# pto-run references pto_trace_write weakly, so it links against a libpto
# without the trace exporter and says so for --trace.  A weak reference does
# not pull an archive member in, though: once some libpto source defines the
# exporter, force the linker to fetch it.
# (the pattern sits in a variable: an unbalanced paren inside $(shell) ends it)
PTO_RUN_TRACE_RE := ^(PTO_API )?int pto_trace_write[(]
PTO_RUN_HAS_TRACE := $(shell grep -rlsE '$(PTO_RUN_TRACE_RE)' libpto --include='*.c')
ifneq ($(PTO_RUN_HAS_TRACE),)
LDLIBS_pto-run += -Wl,-u,pto_trace_write
endif
