# tests/mpi/mpirun.bash - sourced by the scripts that run ranks under Open
# MPI's mpirun (tests/mpi/run.sh, tests/install/mpi.sh): `mpi CMD...` runs
# CMD as 2 ranks ($np for another count) on this machine.
#
# Root needs Open MPI's consent; --oversubscribe: 2 ranks on any machine.
# mpi_yield_when_idle: where Open MPI itself blocks (init, finalize) it
# yields instead of spinning: the other rank's emulated cores need the CPU.
# libpto-mpi's own waits never block in MPI (they test and sleep).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# A wait that passes never takes seconds: a shorter backstop than the default
# 60 s makes a lost message fail as a named timeout well inside the test's own.
export PTO_MPI_TIMEOUT_MS=10000
# extra -x exports for the ranks (tests/install/mpi.sh: LD_LIBRARY_PATH)
mpi_exports=()
mpi() {
	timeout --kill-after=5 120 mpirun --oversubscribe -np "${np:-2}" --mca mpi_yield_when_idle 1 \
		--mca btl self,vader -x PTO_MPI_TIMEOUT_MS "${mpi_exports[@]}" "$@"
}
