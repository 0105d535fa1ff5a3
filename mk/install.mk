# mk/install.mk - `make install`, `make uninstall`, libpto.pc and the installed-tree
# stage of `make check`.
#
#   make install   PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib   library, headers,
#                  tools, peers, pkg-config file, man pages, the standalone example
#   make uninstall the same variables: removes exactly what install put there
#   make check-install  install into a scratch DESTDIR and build against it (tests/install)
#
# Layout (DESTDIR prefixes every path):
#   $(BINDIR)/pto-run ...           the tools
#   $(LIBDIR)/libpto.so.$(PTO_VERSION), .so.1, .so, libpto.a, pkgconfig/libpto.pc
#   $(INCLUDEDIR)/pto/*.h           the API (#include <pto/pto.h>)
#   $(INCLUDEDIR)/pto2/*.h          the device and ioctl ABI (uapi/), included as <pto2/...>
#   $(PEERDIR)/peer-*               pto-bench --peers helpers, found relative to pto-bench
#   $(MANDIR)/man{1,3,8}            see mk/man.mk
#   $(DOCDIR)/examples/standalone   the program to copy (examples/standalone)
#   libpto-mpi.*, libpto-mpi.pc, pto/pto_mpi.h, pto-mpi-run(1)  when MPI is built (mk/mpi.mk)
#   $(UDEVRULESDIR)/60-pto2.rules    group pto2, mode 0660 on /dev/pto2 and /dev/pto2-N
#   $(SYSUSERSDIR)/pto2.conf         the group pto2 (systemd-sysusers)
# The last two are where udev and systemd-sysusers look, whatever PREFIX says (udev
# reads no /usr/local); without DESTDIR, install also creates the group and has udev
# reload its rules, so the next load of the module gets them.
# LIBDIR may be a multiarch directory (PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu);
# the other directories follow PREFIX.  Installing builds only the library, the tools
# and the man pages, never the test programs.

# one version for the library, the tools (mk/tools.mk) and the module: the file VERSION
PTO_VERSION := $(shell cat VERSION)
PTO_SOVERSION := 1

LIBDIR ?= $(PREFIX)/lib
BINDIR := $(PREFIX)/bin
INCLUDEDIR := $(PREFIX)/include
# pto-bench looks for its peers in ../libexec/pto2 from its own directory
PEERDIR := $(PREFIX)/libexec/pto2
DATADIR := $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR := $(DATADIR)/doc/pto2
PKGCONFIGDIR := $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= /lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d

PUBLIC_HEADERS := $(sort $(wildcard libpto/include/pto/*.h runtime/include/pto/*.h))
UAPI_HEADERS := $(sort $(wildcard uapi/*.h))
STANDALONE_FILES := $(sort $(wildcard examples/standalone/*))
INSTALL_TOOLS := $(TOOLS)
LIBPTO_PC := $(BUILD)/lib/libpto.pc

# write_pc: the pkg-config file $@ from the prefix lines and the lines in
# the variable named $(1); written on every make (it is tiny), replaced only
# when PREFIX or LIBDIR changed it.  mk/mpi.mk's libpto-mpi.pc uses it too.
define write_pc
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' 'libdir=$(LIBDIR)' '' \
		$($(1)) >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@ && echo "  GEN     $@"; fi
endef

# The static archive needs what the shared library links: the threads, libm,
# librt (Libs.private) and libdrm (the /dev/pto2 backend's ioctls, mk/kmod.mk).
LIBPTO_PC_LINES = 'Name: libpto' \
	'Description: pto2 task runtime: orchestration, scheduling and device access for AIC/AIV cores' \
	'Version: $(PTO_VERSION)' 'Requires.private: libdrm' 'Cflags: -I$${includedir}' \
	'Libs: -L$${libdir} -lpto' 'Libs.private: -pthread -lm -lrt'

$(LIBPTO_PC): FORCE
	$(call write_pc,LIBPTO_PC_LINES)

.PHONY: FORCE
FORCE:

.PHONY: install uninstall check-install udev-install udev-uninstall

# the device group: the rule, the group itself, and (on the live system) udev told
# (a user's install into a home PREFIX cannot write there: it says so and goes on)
udev-install:
	@if [ -z "$(DESTDIR)" ] && ! { mkdir -p $(UDEVRULESDIR) && [ -w $(UDEVRULESDIR) ]; } 2>/dev/null; then \
		echo "!!! not installing udev/60-pto2.rules: $(UDEVRULESDIR) is not writable" \
		     "(as root, or UDEVRULESDIR=...); /dev/pto2* stay root-only"; \
	else \
		set -e; \
		install -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR); \
		install -m 0644 udev/60-pto2.rules $(DESTDIR)$(UDEVRULESDIR)/60-pto2.rules; \
		install -m 0644 udev/pto2.sysusers $(DESTDIR)$(SYSUSERSDIR)/pto2.conf; \
		echo "  udev rule $(DESTDIR)$(UDEVRULESDIR)/60-pto2.rules, group file $(DESTDIR)$(SYSUSERSDIR)/pto2.conf"; \
		if [ -z "$(DESTDIR)" ]; then \
			getent group pto2 >/dev/null || groupadd --system pto2; \
			udevadm control --reload 2>/dev/null || echo "  (udev is not running: the rule applies from its next start)"; \
		fi; \
	fi

udev-uninstall:
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-pto2.rules $(DESTDIR)$(SYSUSERSDIR)/pto2.conf

install: lib $(INSTALL_TOOLS) peers $(LIBPTO_PC) man-install udev-install
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/pto $(DESTDIR)$(INCLUDEDIR)/pto2 \
		$(DESTDIR)$(DOCDIR)/examples/standalone
	install -m 0644 $(LIBPTO_A) $(DESTDIR)$(LIBDIR)/libpto.a
	install -m 0755 $(LIBPTO_SO) $(DESTDIR)$(LIBDIR)/libpto.so.$(PTO_VERSION)
	ln -sf libpto.so.$(PTO_VERSION) $(DESTDIR)$(LIBDIR)/libpto.so.$(PTO_SOVERSION)
	ln -sf libpto.so.$(PTO_SOVERSION) $(DESTDIR)$(LIBDIR)/libpto.so
	install -m 0644 $(LIBPTO_PC) $(DESTDIR)$(PKGCONFIGDIR)/libpto.pc
	install -m 0755 $(INSTALL_TOOLS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/pto/
	install -m 0644 $(UAPI_HEADERS) $(DESTDIR)$(INCLUDEDIR)/pto2/
	install -m 0644 $(STANDALONE_FILES) $(DESTDIR)$(DOCDIR)/examples/standalone/
	$(if $(PEER_BINS),install -d $(DESTDIR)$(PEERDIR) && install -m 0755 $(PEER_BINS) $(DESTDIR)$(PEERDIR)/)

# Removes every file install may have put there (also peers it skipped), then the
# directories that are pto2's own, when empty; shared ones (bin, lib, ...) stay.
uninstall: man-uninstall udev-uninstall
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libpto.a libpto.so libpto.so.$(PTO_SOVERSION) \
		libpto.so.$(PTO_VERSION)) $(DESTDIR)$(PKGCONFIGDIR)/libpto.pc
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(INSTALL_TOOLS)))
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/pto/,$(notdir $(PUBLIC_HEADERS)))
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/pto2/,$(notdir $(UAPI_HEADERS)))
	rm -f $(addprefix $(DESTDIR)$(PEERDIR)/,peer-omp peer-starpu)
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/standalone/,$(notdir $(STANDALONE_FILES)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/pto $(DESTDIR)$(INCLUDEDIR)/pto2 $(DESTDIR)$(PEERDIR) \
		$(DESTDIR)$(DOCDIR)/examples/standalone $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) 2>/dev/null

# Its own stage: it installs $(BUILD) (a sanitizer build cannot be linked by a
# plain out-of-tree program), so it runs once, on the plain build.
check-install: lib tools man
	@tests/install/run.sh $(RESULTS) $(BUILD)

# --- DKMS --------------------------------------------------------------------------
#
#   make dkms-install     the module's sources to $(DKMS_SRC) (kmod/dkms.conf at the
#                         top), then dkms add, build, install (only when DESTDIR is
#                         empty: a package runs dkms from its postinst instead); the
#                         udev rule and the group as `make install` (udev-install)
#   make dkms-uninstall   dkms remove --all, and the sources
# DKMS always looks in /usr/src, whatever PREFIX says.  It builds for KVER (mk/kmod.mk:
# the newest installed Debian kernel, as `make kmod`; KVER=$$(uname -r) for the running
# one), and for every kernel installed later (AUTOINSTALL).

DKMS ?= dkms
DKMS_SRC := /usr/src/pto2-$(PTO_VERSION)
KMOD_SRCS := $(sort $(wildcard kmod/*.c kmod/*.h)) kmod/Kbuild

.PHONY: dkms-install dkms-uninstall

dkms-install: udev-install
	install -d $(DESTDIR)$(DKMS_SRC)/kmod $(DESTDIR)$(DKMS_SRC)/uapi
	install -m 0644 Kbuild VERSION $(DESTDIR)$(DKMS_SRC)/
	install -m 0644 $(KMOD_SRCS) $(DESTDIR)$(DKMS_SRC)/kmod/
	install -m 0644 $(UAPI_HEADERS) $(DESTDIR)$(DKMS_SRC)/uapi/
	sed 's/@PTO_VERSION@/$(PTO_VERSION)/' kmod/dkms.conf >$(DESTDIR)$(DKMS_SRC)/dkms.conf
	$(if $(DESTDIR),,$(DKMS) add pto2/$(PTO_VERSION) && \
		$(DKMS) build pto2/$(PTO_VERSION) -k $(KVER) && $(DKMS) install pto2/$(PTO_VERSION) -k $(KVER))

dkms-uninstall: udev-uninstall
	$(if $(DESTDIR),,-$(DKMS) remove pto2/$(PTO_VERSION) --all)
	rm -rf $(DESTDIR)$(DKMS_SRC)
