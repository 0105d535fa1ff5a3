# mk/compilers.mk - the compilers stage of `make check`.
#
#   make check-compilers   the tree built with clang, gcc -O3 and clang -O3
#                          (each -Werror, into build/<config>), the clang
#                          build's examples run against their goldens
#                          (tests/compilers/check.sh), results/compilers

.PHONY: check-compilers
check-compilers:
	@tests/compilers/check.sh $(RESULTS)

CHECK_STAGES_EXTRA += check-compilers
