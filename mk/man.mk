# mk/man.mk - manual pages, generated, never written as troff by hand.
#
#   make man   $(BUILD)/man/man1 (pto-run, pto-bench, pto-trace, pto2-info,
#              pto-multi, pto2-top; pto-mpi-run from mk/mpi.mk), man8
#              (pto2-load), man3 (libpto and the API by group)
#
# Tools: help2man(1) from each tool's --help, plus man/<tool>.h2m (NAME,
# DESCRIPTION, SEE ALSO).  --version-string gives the version string (every
# tool also answers --version itself, tests/integration/cli.sh).  Library:
# man/gen-man3.py turns the kernel-doc comments of the installed headers
# into scdoc(5) pages and renders them with scdoc(1): the header comments
# stay the one source of truth, and a function without one fails the build.
# Both generators are small Debian packages (tools/install-deps.sh).

MAN_DIR := $(BUILD)/man
MAN1_TOOLS := pto-run pto-bench pto-trace pto2-info pto-multi pto2-top
MAN8_TOOLS := pto2-load
MAN1_PAGES := $(MAN1_TOOLS:%=$(MAN_DIR)/man1/%.1)
MAN8_PAGES := $(MAN8_TOOLS:%=$(MAN_DIR)/man8/%.8)
MAN3_STAMP := $(MAN_DIR)/man3/.stamp
# libpto-mpi's header too: its pages (pto_mpi(3), pto_mpi_*(3)) are made with
# the rest and installed with that library (mk/mpi.mk)
MAN3_HEADERS := $(PUBLIC_HEADERS) libpto-mpi/include/pto/pto_mpi.h
MAN3_INPUTS := man/gen-man3.py man/libpto.3.scd.in docs/env.md $(MAN3_HEADERS)
# the page names, from the headers (lazy: only install/uninstall evaluate it)
MAN3_NAMES = $(shell python3 man/gen-man3.py --list $(MAN3_HEADERS))
MAN3_MPI_NAMES = $(filter pto_mpi.3 pto_mpi_%.3,$(MAN3_NAMES))

HELP2MAN = help2man --no-info --no-discard-stderr --version-string=$(PTO_VERSION) \
	--source="pto2 $(PTO_VERSION)"

.PHONY: man man-install man-uninstall

man: $(MAN1_PAGES) $(MAN8_PAGES) $(MAN3_STAMP)

$(MAN_DIR)/man1/%.1: $(BUILD)/bin/% man/%.h2m mk/man.mk
	@mkdir -p $(dir $@)
	$(HELP2MAN) --section=1 --include=man/$*.h2m --output=$@.tmp $(BUILD)/bin/$* && mv $@.tmp $@

$(MAN_DIR)/man8/%.8: $(BUILD)/bin/% man/%.h2m mk/man.mk
	@mkdir -p $(dir $@)
	$(HELP2MAN) --section=8 --include=man/$*.h2m --output=$@.tmp $(BUILD)/bin/$* && mv $@.tmp $@

$(MAN3_STAMP): $(MAN3_INPUTS) mk/man.mk
	@rm -rf $(MAN_DIR)/man3 && mkdir -p $(MAN_DIR)/man3
	python3 man/gen-man3.py --out $(MAN_DIR)/man3 --version $(PTO_VERSION) --env docs/env.md \
		--template man/libpto.3.scd.in $(MAN3_HEADERS)
	@touch $@

man-install: man
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN1_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN8_PAGES) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(addprefix $(MAN_DIR)/man3/,$(filter-out $(MAN3_MPI_NAMES),$(MAN3_NAMES))) \
		$(DESTDIR)$(MANDIR)/man3/

man-uninstall:
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(MAN1_TOOLS:=.1)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(MAN8_TOOLS:=.8)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man3/,$(MAN3_NAMES))
