# mk/mpi.mk - libpto-mpi, the distributed layer over Open MPI (a separate
# library: libpto itself never links MPI), its tool pto-mpi-run and its
# check stage, which runs it under mpirun with 2 ranks on mock devices.
#
#   build/lib/libpto-mpi.a, build/lib/libpto-mpi.so   (pto/pto_mpi.h)
#   build/bin/pto-mpi-run                              (modes: golden dag bad bench)
#   make check-mpi                                     (tests/mpi/run.sh)
#
# Flags come from pkg-config's ompi-c (libopenmpi-dev, tools/install-deps.sh).
# Without it the library is not built and check-mpi fails loudly: a stage
# that cannot run is never a pass.

# MPI=no leaves it out of `all`: the aarch64 cross build (tests/aarch64/run.sh),
# where pkg-config's ompi-c is the build machine's, not the target's.
MPI ?= yes
ifeq ($(MPI),yes)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS := $(shell pkg-config --libs ompi-c 2>/dev/null)
endif
MPI_SRCS := $(sort $(wildcard libpto-mpi/*.c))
MPI_OBJS := $(call obj,$(MPI_SRCS))
MPI_TOOL_OBJ := $(call obj,libpto-mpi/tools/pto-mpi-run.c)
LIBPTO_MPI_A := $(BUILD)/lib/libpto-mpi.a
LIBPTO_MPI_SO := $(BUILD)/lib/libpto-mpi.so
PTO_MPI_RUN := $(BUILD)/bin/pto-mpi-run

$(MPI_OBJS) $(MPI_TOOL_OBJ): CFLAGS += -Ilibpto-mpi/include $(MPI_CFLAGS)

$(LIBPTO_MPI_A): $(MPI_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBPTO_MPI_SO): $(MPI_OBJS) $(LIBPTO_SO)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libpto-mpi.so.$(PTO_SOVERSION) $(LDFLAGS) -o $@ $(MPI_OBJS) \
		-L$(BUILD)/lib -lpto $(MPI_LIBS)

# tools/cli (its objects a prerequisite in mk/tools.mk): the option parser,
# --help/--version and exit codes of every tool
$(PTO_MPI_RUN): $(MPI_TOOL_OBJ) $(LIBPTO_MPI_A) $(STATIC_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(CLI_OBJS) $(LIBPTO_MPI_A) $(STATIC_LIBS) $(MPI_LIBS) $(LDLIBS)

.PHONY: mpi check-mpi
ifneq ($(MPI_LIBS),)
mpi: $(LIBPTO_MPI_A) $(LIBPTO_MPI_SO) $(PTO_MPI_RUN)
all: mpi
else ifeq ($(MPI),no)
mpi:
	@echo "mpi: not built (MPI=no)" >&2
	@false
else
mpi:
	@echo "mpi: pkg-config finds no ompi-c (install libopenmpi-dev: tools/install-deps.sh)" >&2
	@false
endif

check-mpi: all mpi
	@tests/mpi/run.sh $(RESULTS) $(BUILD)

# a stage of make check, after the Makefile's own
CHECK_STAGES_EXTRA += check-mpi

# Installed by `make install` when it is built (uninstalled by `make
# uninstall` either way): the library beside libpto's, its header, its
# pkg-config file (Requires ompi-c: pto/pto_mpi.h includes <mpi.h>), the
# tool and its man page, and the header's man3 pages (made in mk/man.mk).
# Without MPI, install says it leaves them out.
LIBPTO_MPI_PC := $(BUILD)/lib/libpto-mpi.pc
MPI_MAN1 := $(MAN_DIR)/man1/pto-mpi-run.1

LIBPTO_MPI_PC_LINES = 'Name: libpto-mpi' \
	'Description: pto2 over many ranks: buffers with owner ranks, owner computes, MPI transfers' \
	'Version: $(PTO_VERSION)' 'Requires: libpto ompi-c' 'Cflags: -I$${includedir}' \
	'Libs: -L$${libdir} -lpto-mpi'

$(LIBPTO_MPI_PC): FORCE
	$(call write_pc,LIBPTO_MPI_PC_LINES)

.PHONY: install-mpi uninstall-mpi
ifneq ($(MPI_LIBS),)
man: $(MPI_MAN1)
install: install-mpi
install-mpi: mpi $(LIBPTO_MPI_PC) $(MPI_MAN1) $(MAN3_STAMP)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/pto $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 $(LIBPTO_MPI_A) $(DESTDIR)$(LIBDIR)/libpto-mpi.a
	install -m 0755 $(LIBPTO_MPI_SO) $(DESTDIR)$(LIBDIR)/libpto-mpi.so.$(PTO_VERSION)
	ln -sf libpto-mpi.so.$(PTO_VERSION) $(DESTDIR)$(LIBDIR)/libpto-mpi.so.$(PTO_SOVERSION)
	ln -sf libpto-mpi.so.$(PTO_SOVERSION) $(DESTDIR)$(LIBDIR)/libpto-mpi.so
	install -m 0644 $(LIBPTO_MPI_PC) $(DESTDIR)$(PKGCONFIGDIR)/libpto-mpi.pc
	install -m 0644 libpto-mpi/include/pto/pto_mpi.h $(DESTDIR)$(INCLUDEDIR)/pto/
	install -m 0755 $(PTO_MPI_RUN) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MPI_MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(addprefix $(MAN_DIR)/man3/,$(MAN3_MPI_NAMES)) $(DESTDIR)$(MANDIR)/man3/
else
install: install-mpi
install-mpi:
	@echo "!!! not installing libpto-mpi and pto-mpi-run: they are not built" \
	     "($(if $(filter no,$(MPI)),MPI=no,pkg-config finds no ompi-c: install libopenmpi-dev))"
endif

# before uninstall's rmdir of include/pto
uninstall: uninstall-mpi
uninstall-mpi:
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libpto-mpi.a libpto-mpi.so \
		libpto-mpi.so.$(PTO_SOVERSION) libpto-mpi.so.$(PTO_VERSION)) \
		$(DESTDIR)$(PKGCONFIGDIR)/libpto-mpi.pc $(DESTDIR)$(INCLUDEDIR)/pto/pto_mpi.h \
		$(DESTDIR)$(BINDIR)/pto-mpi-run $(DESTDIR)$(MANDIR)/man1/pto-mpi-run.1 \
		$(addprefix $(DESTDIR)$(MANDIR)/man3/,$(MAN3_MPI_NAMES))
