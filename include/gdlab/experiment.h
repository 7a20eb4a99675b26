/* gdlab experiments: the registry and the parameter schema.
 *
 * Every capability is an experiment: a name, a one-line summary, the seed
 * it comes from, a parameter schema and run(params, ctx, result). The CLI,
 * `gdlab reproduce` and the sinks know only this interface. Adding an
 * experiment is adding a file in src/exp/ and a line in the registry. */
#ifndef GDLAB_EXPERIMENT_H
#define GDLAB_EXPERIMENT_H

#include <stddef.h>
#include "core.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef enum gd_param_kind {
    GD_PARAM_REAL = 0, /* a double */
    GD_PARAM_INT,      /* a whole number (written 100, 1e6, ...) */
    GD_PARAM_STRING    /* free text, e.g. an expression */
} gd_param_kind;

/* Flags of a parameter spec. */
#define GD_PARAM_INF      1u /* accepts "inf" (value INFINITY) */
#define GD_PARAM_OPT      2u /* accepts "opt" (optimise it) */
#define GD_PARAM_OPEN_MIN 4u /* min is exclusive */

typedef struct gd_param_spec {
    const char *name;  /* as on the command line, without "--" */
    gd_param_kind kind;
    const char *def;   /* default as text; NULL or "" for an empty string */
    double min, max;   /* allowed range for numbers (inclusive unless flag) */
    unsigned flags;
    const char *help;  /* one line: meaning and unit */
} gd_param_spec;

typedef struct gd_param_value {
    double x;   /* number (INFINITY for "inf"); NAN for "opt" and strings */
    char *s;    /* the text as given */
    int is_opt; /* "opt" was given */
    int is_set; /* given by the caller (gd_params_set after init), not defaulted */
} gd_param_value;

typedef struct gd_params {
    const gd_param_spec *spec; /* (n) */
    size_t n;
    gd_param_value *v;         /* (n) */
} gd_params;

/* Fills p with the defaults of spec (terminated by an entry with name NULL).
 * Returns GD_EINVAL if a default does not parse (a bug in the table). */
gd_status gd_params_init(gd_params *p, const gd_param_spec *spec, gd_ctx *ctx);
/* Sets parameter `name` from text, checking type and range. Errors name the
 * parameter and what was expected: "--eta: expected a number in (0, 1],
 * got 'abc'". */
gd_status gd_params_set(gd_params *p, const char *name, const char *text,
                        gd_ctx *ctx);
/* Accessors; the name must exist in the schema (asserted). */
double gd_params_real(const gd_params *p, const char *name);
const char *gd_params_str(const gd_params *p, const char *name);
int gd_params_is_opt(const gd_params *p, const char *name);
/* Whether the caller set the parameter (as opposed to its default): what
 * lets an experiment refuse a parameter that does not apply to the chosen
 * mode instead of dropping it. */
int gd_params_is_set(const gd_params *p, const char *name);
/* Frees what p owns; p itself is the caller's. */
void gd_params_free(gd_params *p);

typedef struct gd_experiment {
    const char *name;
    const char *summary;   /* one line */
    const char *source;    /* seed file(s) or paper */
    const gd_param_spec *params; /* terminated by {NULL} */
    /* Overrides used by `gdlab reproduce` ("name", "value", ..., NULL), or
     * NULL if the experiment is not part of reproduce. */
    const char *const *reproduce;
    /* Runs the experiment. Returns GD_OK if the result is meaningful (also
     * when it diverged: that is recorded in r->status); any other status is
     * an error whose message is in ctx. */
    gd_status (*run)(const gd_params *p, gd_ctx *ctx, gd_result *r);
} gd_experiment;

/* The registry: all experiments in a fixed order. */
const gd_experiment *const *gd_experiment_list(size_t *n);
/* An experiment by name, or NULL. */
const gd_experiment *gd_experiment_find(const char *name);

/* Runs e with p: times it, records params, seed and elapsed time in r.
 * A failure leaves a message in ctx->err that agrees with the returned
 * status (an allocation failure says "out of memory"). */
gd_status gd_experiment_run(const gd_experiment *e, const gd_params *p,
                            gd_ctx *ctx, gd_result *r);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
