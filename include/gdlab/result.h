/* gdlab result model: what an experiment produces and every sink reads.
 *
 * A result holds named series (tables of double columns), named scalars
 * (value and, where it is an estimate, a standard error), claims with
 * verdicts, and plot specifications that refer to series by name. Sinks
 * (summary.json, CSV, PNG/SVG plots, the terminal) never know which
 * experiment made a result. All strings given to the result are copied. */
#ifndef GDLAB_RESULT_H
#define GDLAB_RESULT_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Persisted by name ("confirmed", ...): only grows at its end. */
typedef enum gd_verdict {
    GD_VERDICT_CONFIRMED = 0,
    GD_VERDICT_REFUTED,
    GD_VERDICT_INCONCLUSIVE
} gd_verdict;

/* Outcome of a run. Persisted by name ("ok", "diverged", "failed"). */
typedef enum gd_run_status {
    GD_RUN_OK = 0,
    GD_RUN_DIVERGED,
    GD_RUN_FAILED
} gd_run_status;

const char *gd_verdict_name(gd_verdict v);
const char *gd_run_status_name(gd_run_status s);

typedef struct gd_series {
    char *name;     /* file stem: the CSV is <name>.csv */
    size_t ncols;
    char **cols;    /* (ncols) column names */
    size_t nrows, cap;
    double *data;   /* (nrows, ncols) row-major */
} gd_series;

typedef struct gd_scalar {
    char *name;
    double value;   /* NAN is written as null */
    double se;      /* standard error; NAN when not an estimate (null) */
} gd_scalar;

typedef struct gd_claim {
    char *id;        /* short stable identifier, e.g. "001-g" */
    char *source;    /* seed file or paper the claim comes from */
    char *statement; /* the claim in words */
    char *predicted; /* what the claim predicts */
    char *measured;  /* what gdlab computed */
    char *evidence;  /* why the verdict: parameter point, gap, tolerance */
    gd_verdict verdict;
} gd_claim;

/* A plot is drawn from series columns; up to GD_PLOT_MAX_LINES lines. */
#define GD_PLOT_MAX_LINES 12
#define GD_PLOT_MAX_HLINES 4
typedef struct gd_plot_line {
    const char *series; /* series name */
    const char *x, *y;  /* column names */
    const char *yerr;   /* column of +- error bars, or NULL */
    const char *label;  /* legend text */
    int points;         /* 1: markers only, 2: small dots only, 0: a line */
} gd_plot_line;

typedef struct gd_plot {
    const char *name;   /* file stem: <name>.png and <name>.svg */
    const char *title, *xlabel, *ylabel;
    int logx, logy;     /* 1: logarithmic axis (non-positive values skipped) */
    size_t nlines;
    gd_plot_line line[GD_PLOT_MAX_LINES];
    size_t nhlines;     /* horizontal reference lines */
    double hline[GD_PLOT_MAX_HLINES];
    const char *hlabel[GD_PLOT_MAX_HLINES];
    const char *heat;   /* NULL, or a column of line[0]'s series holding values
                           in [0, 1]: line[0] is then drawn as a heat map of
                           unit cells centred on (x, y), white (0) to dark
                           blue (1), and left out of the legend */
} gd_plot;

/* One parameter as it was used, for the summary: a number or a string. */
typedef struct gd_result_param {
    char *name;
    char *text;     /* as given or defaulted, e.g. "0.1", "inf", "opt" */
    double value;   /* numeric value, NAN for strings and "opt" */
    int is_number;
} gd_result_param;

typedef struct gd_result {
    char *experiment;
    uint64_t seed;
    gd_run_status status;
    char *status_detail; /* e.g. "loss non-finite at step 812"; may be NULL */
    double elapsed_s;
    size_t nparams;  gd_result_param *params;
    size_t nseries;  gd_series **series; /* each allocated apart: pointers stay valid */
    size_t nscalars; gd_scalar *scalars;
    size_t nclaims;  gd_claim *claims;
    size_t nplots;   gd_plot *plots; /* deep copies */
    size_t nnotes;   char **notes;   /* what the run chose for the user, e.g. a
                                        default clipped to the data */
} gd_result;

/* A new, empty result for `experiment`; NULL on allocation failure. */
gd_result *gd_result_new(const char *experiment, uint64_t seed);
/* Frees r and everything it owns; NULL does nothing. */
void gd_result_free(gd_result *r);

/* Records a parameter. value is ignored when is_number is 0. */
gd_status gd_result_param_add(gd_result *r, const char *name, const char *text,
                              double value, int is_number);
/* Records a whole-number parameter at the value that ran (a default that
 * the experiment clipped or chose replaces the one recorded). */
gd_status gd_result_param_count(gd_result *r, const char *name, size_t value);

/* Adds a series with ncols named columns; returns it, or NULL on ENOMEM.
 * The pointer stays valid until gd_result_free. */
gd_series *gd_result_series_new(gd_result *r, const char *name, size_t ncols,
                                const char *const *cols);
/* Finds a series by name, or NULL. */
gd_series *gd_result_series_find(const gd_result *r, const char *name);
/* Appends one row of ncols values. */
gd_status gd_series_append(gd_series *s, const double *row);
/* Column index by name, or -1. */
long gd_series_col(const gd_series *s, const char *col);

/* Adds (or replaces) a scalar. se = NAN when it is exact. */
gd_status gd_result_scalar(gd_result *r, const char *name, double value,
                           double se);
/* Finds a scalar, or NULL. */
const gd_scalar *gd_result_scalar_find(const gd_result *r, const char *name);

/* Adds a claim; the evidence is printf-formatted. */
gd_status gd_result_claim(gd_result *r, const char *id, const char *source,
                          gd_verdict verdict, const char *statement,
                          const char *predicted, const char *measured,
                          const char *evidence_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 8, 9)))
#endif
    ;

/* Adds a plot (deep copy of p and its strings). */
gd_status gd_result_plot(gd_result *r, const gd_plot *p);

/* Adds a note (printf-formatted): a choice the run made that the user
 * should read, such as a default adapted to a small problem. */
gd_status gd_result_note(gd_result *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Read accessors, for bindings that do not mirror the structs above (the
 * Python package reads results through them). Indices must be in range
 * (asserted); the strings and the data are owned by the result and stay
 * valid until gd_result_free. */
/* Number of series of r, and series i (0 <= i < count) in the order added. */
size_t gd_result_series_count(const gd_result *r);
const gd_series *gd_result_series_at(const gd_result *r, size_t i);
/* A series' name, number of columns, name of column j, number of rows, and
 * its values: (nrows, ncols) row-major, NULL when there are no rows. */
const char *gd_series_name(const gd_series *s);
size_t gd_series_ncols(const gd_series *s);
const char *gd_series_col_name(const gd_series *s, size_t j);
size_t gd_series_nrows(const gd_series *s);
const double *gd_series_data(const gd_series *s);
/* Number of scalars of r, and scalar i's name, value and standard error
 * (NAN when exact), as computed: infinities and NaN stay what they are
 * (summary.json writes them as null). */
size_t gd_result_scalar_count(const gd_result *r);
const char *gd_result_scalar_name(const gd_result *r, size_t i);
double gd_result_scalar_value(const gd_result *r, size_t i);
double gd_result_scalar_se(const gd_result *r, size_t i);

/* Sets status and a printf-formatted detail. */
void gd_result_set_status(gd_result *r, gd_run_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
