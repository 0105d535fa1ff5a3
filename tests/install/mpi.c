// SPDX-License-Identifier: MIT
/*
 * mpi.c - a program of one's own on the installed libpto-mpi
 * (tests/install/mpi.sh): every rank opens a mock, creates its runtime and
 * distributed context, runs an empty workload to its agreed end, and rank
 * 0 says how many ranks took part.
 */
#include <stdio.h>

#include <mpi.h>
#include <pto/pto.h>
#include <pto/pto_mpi.h>

int main(int argc, char **argv)
{
	struct pto_runtime_config cfg;
	struct pto_device *dev = NULL;
	struct pto_runtime *rt = NULL;
	struct pto_mpi *m = NULL;
	int rank, n, rc;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &n);
	rc = pto_device_open("mock:clusters=1,workers=1", &dev);
	if (!rc)
		rc = pto_runtime_config_init(&cfg);
	if (!rc) {
		cfg.flags |= PTO_RT_QUIET;
		cfg.num_schedulers = 1;
		rc = pto_runtime_create(dev, &cfg, &rt);
	}
	if (!rc)
		rc = pto_mpi_create(MPI_COMM_WORLD, rt, dev, &m);
	if (!rc)
		rc = pto_mpi_wait_all(m);
	if (rc)
		fprintf(stderr, "rank %d: %s\n", rank, pto_last_error());
	else if (rank == 0)
		printf("libpto-mpi: %d ranks agreed\n", n);
	pto_mpi_destroy(m);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
	MPI_Finalize();
	return rc ? 1 : 0;
}
