/* The convenience entry point (api.h): a context with the command's
 * defaults, an experiment run by name from text parameters, and the
 * registry as JSON, for bindings that should not mirror the structs.
 *
 * gd_api_run does what `gdlab run NAME --param value ...` does in
 * src/cli/main.c (cmd_run, run_one) up to the point where the command
 * prints or writes: the schema's defaults, each parameter parsed and
 * checked by gd_params_set, OpenBLAS's threads set to the context's, then
 * gd_experiment_run. */
#include "gdlab/api.h"
#include "gdlab/experiment.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS's thread count (declared in its cblas.h, whose location
 * varies); the command sets it from --threads in the same way. */
void openblas_set_num_threads(int n);

gd_ctx *gd_api_ctx_new(void) {
    gsl_set_error_handler_off();
    gd_ctx *ctx = gd_malloc(sizeof *ctx);
    if (!ctx) return NULL;
    gd_ctx_init(ctx);
    ctx->threads = omp_get_num_procs();
    if (ctx->threads < 1) ctx->threads = 1;
    return ctx;
}

void gd_api_ctx_free(gd_ctx *ctx) { gd_free(ctx); }

void gd_api_ctx_set_seed(gd_ctx *ctx, uint64_t seed) {
    GD_ASSERT(ctx != NULL);
    ctx->seed = seed;
}

gd_status gd_api_ctx_set_threads(gd_ctx *ctx, int threads) {
    GD_ASSERT(ctx != NULL);
    if (threads < 1 || threads > 1024)
        return gd_error(ctx, GD_EINVAL, "--threads: expected a whole number in [1, 1024], got %d",
                        threads);
    ctx->threads = threads;
    return GD_OK;
}

const char *gd_api_ctx_error(const gd_ctx *ctx) {
    GD_ASSERT(ctx != NULL);
    return ctx->err;
}

gd_status gd_api_run(gd_ctx *ctx, const char *name, size_t n, const char *const *names,
                     const char *const *values, gd_result **out) {
    GD_ASSERT(ctx != NULL && name != NULL && out != NULL);
    GD_ASSERT(n == 0 || (names != NULL && values != NULL));
    *out = NULL;
    ctx->err[0] = '\0';
    const gd_experiment *e = gd_experiment_find(name);
    if (!e) return gd_error(ctx, GD_EINVAL, "unknown experiment '%s'", name);
    gd_params p;
    gd_status st = gd_params_init(&p, e->params, ctx);
    if (st != GD_OK) return st;
    for (size_t i = 0; i < n && st == GD_OK; i++) {
        GD_ASSERT(names[i] != NULL && values[i] != NULL);
        /* A name given twice is refused, as on the command line (Python's
         * eta_max= and **{"eta-max": ...} both name --eta-max). */
        for (size_t j = 0; j < i && st == GD_OK; j++)
            if (strcmp(names[j], names[i]) == 0)
                st = gd_error(ctx, GD_EINVAL, "--%s: given twice (%s, then %s)", names[i], values[j], values[i]);
        if (st == GD_OK) st = gd_params_set(&p, names[i], values[i], ctx);
    }
    gd_result *r = NULL;
    if (st == GD_OK) {
        r = gd_result_new(e->name, ctx->seed);
        if (!r) st = gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    if (st == GD_OK) {
        openblas_set_num_threads(ctx->threads);
        st = gd_experiment_run(e, &p, ctx, r);
    }
    gd_params_free(&p);
    if (st != GD_OK) {
        gd_result_free(r);
        return st;
    }
    *out = r;
    return GD_OK;
}

/* ---- the registry as JSON ----------------------------------------------- */

/* Adds item under key, taking ownership; 0 (and item freed) on failure. */
static int add(cJSON *obj, const char *key, cJSON *item) {
    if (!item) return 0;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

static int push(cJSON *arr, cJSON *item) {
    if (!item) return 0;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

/* A range bound: the shortest of %.15g, %.16g, %.17g that reads back to
 * the same double (as summary.json writes numbers), "inf"/"-inf" when
 * infinite. */
static cJSON *bound_json(double x) {
    if (isinf(x)) return cJSON_CreateString(x > 0 ? "inf" : "-inf");
    if (isnan(x)) return cJSON_CreateNull();
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        for (char *c = buf; *c; c++)
            if (*c == ',') *c = '.'; /* a decimal-comma locale */
        if (strtod(buf, NULL) == x) break;
    }
    return cJSON_CreateRaw(buf);
}

static cJSON *spec_json(const gd_param_spec *s) {
    static const char *const kinds[] = {"real", "int", "string"};
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    const int num = s->kind != GD_PARAM_STRING;
    int ok = add(o, "name", cJSON_CreateString(s->name))
             && add(o, "kind", cJSON_CreateString(kinds[s->kind]))
             && add(o, "default", cJSON_CreateString(s->def ? s->def : ""))
             && add(o, "min", num ? bound_json(s->min) : cJSON_CreateNull())
             && add(o, "max", num ? bound_json(s->max) : cJSON_CreateNull())
             && add(o, "min_open", cJSON_CreateBool(num && (s->flags & GD_PARAM_OPEN_MIN)))
             && add(o, "inf", cJSON_CreateBool(num && (s->flags & GD_PARAM_INF)))
             && add(o, "opt", cJSON_CreateBool(num && (s->flags & GD_PARAM_OPT)))
             && add(o, "help", cJSON_CreateString(s->help ? s->help : ""));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *experiment_json(const gd_experiment *e) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = add(o, "name", cJSON_CreateString(e->name))
             && add(o, "summary", cJSON_CreateString(e->summary ? e->summary : ""))
             && add(o, "source", cJSON_CreateString(e->source ? e->source : ""));
    cJSON *rep = ok ? (e->reproduce ? cJSON_CreateObject() : cJSON_CreateNull()) : NULL;
    ok = ok && add(o, "reproduce", rep);
    for (const char *const *kv = e->reproduce; ok && kv && kv[0]; kv += 2)
        ok = add(rep, kv[0], cJSON_CreateString(kv[1]));
    cJSON *params = ok ? cJSON_CreateArray() : NULL;
    ok = ok && add(o, "params", params);
    for (const gd_param_spec *s = e->params; ok && s && s->name; s++) ok = push(params, spec_json(s));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *gd_api_registry_json(void) {
    size_t n;
    const gd_experiment *const *list = gd_experiment_list(&n);
    cJSON *root = cJSON_CreateArray();
    int ok = root != NULL;
    for (size_t i = 0; ok && i < n; i++) ok = push(root, experiment_json(list[i]));
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) return NULL;
    /* Hand back gd_malloc'd memory: the caller frees with gd_free. */
    char *out = gd_strdup(text);
    cJSON_free(text);
    return out;
}
