/* gdlab sweep: an experiment over a grid of parameter points and seeds,
 * into a store (store.h).
 *
 * A grid is the product of axes "NAME=SPEC", SPEC one of
 *   v1,v2,...              the values as written
 *   linspace(lo,hi,n)      n values lo + (hi - lo) i / (n - 1)
 *   logspace(lo,hi,n)      n values lo (hi / lo)^(i / (n - 1)), lo, hi > 0
 *   range(lo,hi[,step])    lo, lo + step, ... below hi (step 1 by default)
 * Points are enumerated in the order the axes are given, the last one
 * fastest; each point runs `seeds` replicas. Replica r of point P (its
 * canonical text, names sorted) runs with the master seed
 * gd_rng_hash("SEED|EXPERIMENT|P|r"), with one thread: its result does
 * not depend on which worker ran it, in which order, or how many workers
 * there are. */
#ifndef GDLAB_SWEEP_H
#define GDLAB_SWEEP_H

#include "core.h"
#include "experiment.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef struct gd_sweep_axis {
    char *name;
    size_t n;
    char **values; /* as text, e.g. "0.001", "%.17g" for generated ones */
} gd_sweep_axis;

/* Parses "NAME=SPEC" (GD_EINVAL naming the axis and what was expected;
 * at most 100000 values, numbers decimal as gd_parse_decimal, generated
 * values finite; a value given twice, as text or as an equal number (0.1
 * and 1e-1), is refused naming it). */
gd_status gd_sweep_parse_axis(gd_ctx *ctx, const char *spec, gd_sweep_axis *out);
void gd_sweep_axis_free(gd_sweep_axis *a);

typedef struct gd_sweep_spec {
    const gd_experiment *e;
    const char *const *fixed;    /* "name", "value" pairs set on every run, NULL-terminated */
    const gd_sweep_axis *axes;
    size_t naxes;
    long seeds;                  /* replicas per point, >= 1 */
    uint64_t seed;               /* master seed */
    const char *db;              /* the store's path */
    const char *outdir;          /* series CSVs go to outdir/<experiment>/<key>/ (NULL: none) */
    int workers;                 /* OpenMP threads, >= 1 */
    int rank, nranks;            /* this process's share: jobs j with j % nranks == rank */
} gd_sweep_spec;

typedef struct gd_sweep_stats {
    long total;   /* jobs (points x seeds) of this rank */
    long stored;  /* already in the store when the sweep began */
    long done;    /* run now, ok or diverged */
    long failed;  /* run now, failed (stored as failed, retried next time) */
    double seconds;
    char failure[512]; /* the first failed run's point and message ("" if none) */
} gd_sweep_stats;

/* Checks, before anything is created or runs: the size (at most 10^6
 * runs, points x seeds: GD_EINVAL saying the count), each point's text
 * fits a key (4095 characters), no axis given twice or also fixed, and
 * every parameter (fixed and every axis value) against the experiment's
 * schema: GD_EINVAL naming them. */
gd_status gd_sweep_check(gd_ctx *ctx, const gd_sweep_spec *s);

/* The point's canonical text ("a=1;b=2", names sorted) into buf. */
void gd_sweep_point_key(const gd_sweep_spec *s, size_t point, char *buf, size_t len);
size_t gd_sweep_npoints(const gd_sweep_spec *s);
uint64_t gd_sweep_run_seed(const gd_sweep_spec *s, const char *key, long replica);

/* Runs every job of this rank not yet in the store. progress, if not
 * NULL, is called (from one thread at a time) after each job. A run that
 * fails is stored as failed and counted (st->failed, st->failure); the
 * sweep goes on. A failure to store a run or write its series (a full
 * disk: GD_EIO) stops the sweep. */
gd_status gd_sweep_run(gd_ctx *ctx, const gd_sweep_spec *s, gd_sweep_stats *st,
                       void (*progress)(const gd_sweep_stats *, void *), void *data);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
