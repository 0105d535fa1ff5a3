# mk/bench.mk - peer benchmark harnesses (tests/peers) for `pto-bench --peers`.
#
# build/bin/peer-omp needs an OpenMP compiler (libgomp); build/bin/peer-starpu
# needs libstarpu-dev (pkg-config starpu-1.3).  Each is built only when its
# library is present; otherwise every build says loudly that it is skipped
# (tools/install-deps.sh --bench installs them).  Sanitizer builds skip the
# peers: they are benchmarks, not tests.

PEER_COMMON := tests/peers/peer_main.c tools/cli/cli.c
PEER_HDRS := tests/peers/peer.h tests/peers/shapes.h tools/parse_num.h tools/cli/cli.h
# recursive: CFLAGS_cli (the version) comes from mk/tools.mk, read after this file
PEER_CFLAGS = $(CFLAGS_BASE) -O2 $(CFLAGS_cli)
PEER_BINS :=
PEER_SKIPPED :=

ifeq ($(SAN),)
HASH := \#
PEER_OMP_OK := $(shell printf '$(HASH)include <omp.h>\nint main(void) { return omp_get_max_threads() < 0; }\n' | \
	$(CC) -fopenmp -x c - -o /dev/null >/dev/null 2>&1 && echo yes)
STARPU_PC := $(shell for p in starpu-1.4 starpu-1.3; do pkg-config --exists $$p && { echo $$p; break; }; done)

ifeq ($(PEER_OMP_OK),yes)
PEER_BINS += $(BUILD)/bin/peer-omp
else
PEER_SKIPPED += "peer-omp: the compiler has no OpenMP (-fopenmp / libgomp)"
endif
ifneq ($(STARPU_PC),)
PEER_BINS += $(BUILD)/bin/peer-starpu
else
PEER_SKIPPED += "peer-starpu: libstarpu-dev not installed (pkg-config starpu-1.3 failed)"
endif
else
PEER_SKIPPED += "peers: not built in sanitizer builds ($(SAN))"
endif

.PHONY: peers peers-skipped
tools: peers
peers: $(PEER_BINS) peers-skipped

peers-skipped:
	@for m in $(PEER_SKIPPED); do \
		echo "*** bench: SKIPPED $$m; pto-bench --peers will report it missing" >&2; \
	done

$(BUILD)/bin/peer-omp: tests/peers/peer_omp.c $(PEER_COMMON) $(PEER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(PEER_CFLAGS) -fopenmp -o $@ tests/peers/peer_omp.c $(PEER_COMMON) -fopenmp

$(BUILD)/bin/peer-starpu: tests/peers/peer_starpu.c $(PEER_COMMON) $(PEER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(PEER_CFLAGS) $(shell pkg-config --cflags $(STARPU_PC)) -o $@ \
		tests/peers/peer_starpu.c $(PEER_COMMON) $(shell pkg-config --libs $(STARPU_PC))
