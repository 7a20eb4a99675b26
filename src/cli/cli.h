/* The command line's parts shared between its files. */
#ifndef GDLAB_CLI_H
#define GDLAB_CLI_H

#include "gdlab/core.h"

enum { CLI_EXIT_REFUTED = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_RUNTIME = 3 };

/* "gdlab: " fmt (with one string argument) and a pointer to --help on
 * stderr; returns CLI_EXIT_USAGE. */
int gd_cli_usage(const char *fmt, const char *arg);
/* A whole number in [lo, hi] from s into *out; 0, or CLI_EXIT_USAGE with a
 * message naming opt. */
int gd_cli_count(const char *opt, const char *s, double lo, double hi, double *out);

/* gdlab sweep, query, export, plot (store_cmds.c): argv as main's. */
int gd_cli_sweep(int argc, char **argv, gd_ctx *ctx);
int gd_cli_query(int argc, char **argv, gd_ctx *ctx);
int gd_cli_export(int argc, char **argv, gd_ctx *ctx);
int gd_cli_plot(int argc, char **argv, gd_ctx *ctx);

/* MPI (mpi.c): this process's rank and the number of ranks, initialising
 * MPI; without MPI in the build, a message and CLI_EXIT_USAGE. */
int gd_cli_mpi_ranks(int *rank, int *nranks);
/* Waits for every rank and finalises MPI if it was initialised. */
void gd_cli_mpi_finalize(void);

#endif
