/* MPI for gdlab sweep: each rank runs the jobs j with j % size == rank
 * into the same store (SQLite serialises the writers), so the store is
 * the one a single process would write. Built only when CMake finds MPI
 * (GDLAB_MPI); otherwise a sweep under mpirun says that MPI is absent. */
#include "cli.h"

#include <stdio.h>

#ifdef GDLAB_MPI
#include <mpi.h>

static int started;

int gd_cli_mpi_ranks(int *rank, int *nranks) {
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "gdlab: sweep: MPI_Init failed\n");
        return CLI_EXIT_RUNTIME;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, nranks);
    return 0;
}

void gd_cli_mpi_finalize(void) {
    if (!started) return;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    started = 0;
}
#else
int gd_cli_mpi_ranks(int *rank, int *nranks) {
    *rank = 0, *nranks = 1;
    fprintf(stderr, "gdlab: sweep: this gdlab was built without MPI, so it cannot share a sweep between the ranks "
            "of mpirun; rebuild with Open MPI (apt install libopenmpi-dev openmpi-bin, then scripts/bootstrap), or "
            "run one gdlab sweep with --workers N\n");
    return CLI_EXIT_USAGE;
}

void gd_cli_mpi_finalize(void) {}
#endif
