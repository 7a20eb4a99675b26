/* summary.json: the machine-readable record of one run, built with cJSON.
 *
 * The contract (io.h) is
 *   {"experiment": str, "version": GD_VERSION, "seed": integer,
 *    "params": {NAME: number | str}, "status": "ok"|"diverged"|"failed",
 *    "status_detail": str | null, "notes": [str] (choices the run made, e.g. a
 *    default clipped to the data),
 *    "scalars": {NAME: {"value": number|null, "se": number|null}},
 *    "claims": [{"id","source","statement","predicted","measured",
 *                "verdict","evidence"}],
 *    "series": {NAME: "NAME.csv"}, "plots": ["NAME.png", ...],
 *    "elapsed_s": number|null}
 * JSON has no infinity or NaN, so non-finite numbers are null, except a
 * numeric parameter that is infinite (a "no limit" setting such as a step
 * budget), which is the string "inf" (or "-inf") so that its meaning
 * survives. Finite numbers round-trip exactly (see num_or_null). The seed is a
 * 64-bit integer, beyond a double's 53 bits, so it is written as raw integer
 * text rather than through a double. */
#include "gdlab/io.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A finite number as the shortest of %.15g, %.16g and %.17g that reads
 * back (strtod) to the same double, emitted as raw JSON text; null when
 * non-finite. cJSON's own printer is not used for numbers because 1.7.15
 * accepts a 15-digit form that is only approximately equal (0.3 - 0.1
 * prints as 0.2, DBL_MAX as a number that overflows to infinity). */
static cJSON *num_or_null(double x) {
    if (!isfinite(x)) return cJSON_CreateNull();
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        /* JSON needs a decimal point whatever the locale; under a
         * decimal-comma locale the check below then fails and the
         * 17-digit form, exact by construction, is kept. */
        for (char *c = buf; *c; c++)
            if (*c == ',') *c = '.';
        if (strtod(buf, NULL) == x) break;
    }
    return cJSON_CreateRaw(buf);
}

static cJSON *str_or_null(const char *s) {
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* A parameter: finite numbers as numbers, +-inf as "inf"/"-inf", NaN as
 * null, strings as given. */
static cJSON *param_json(const gd_result_param *p) {
    if (!p->is_number) return cJSON_CreateString(p->text ? p->text : "");
    if (isinf(p->value)) return cJSON_CreateString(p->value > 0 ? "inf" : "-inf");
    return num_or_null(p->value);
}

static cJSON *claim_json(const gd_claim *c) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = add(o, "id", cJSON_CreateString(c->id))
             && add(o, "source", str_or_null(c->source))
             && add(o, "statement", str_or_null(c->statement))
             && add(o, "predicted", str_or_null(c->predicted))
             && add(o, "measured", str_or_null(c->measured))
             && add(o, "verdict", cJSON_CreateString(gd_verdict_name(c->verdict)))
             && add(o, "evidence", str_or_null(c->evidence));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* A cJSON string holding name + suffix. */
static cJSON *file_name_json(const char *name, const char *suffix) {
    size_t n = strlen(name), m = strlen(suffix);
    char *s = gd_malloc(n + m + 1);
    if (!s) return NULL;
    memcpy(s, name, n);
    memcpy(s + n, suffix, m + 1);
    cJSON *j = cJSON_CreateString(s);
    gd_free(s);
    return j;
}

static cJSON *summary_tree(const gd_result *r) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
    int ok = add(root, "experiment", cJSON_CreateString(r->experiment))
             && add(root, "version", cJSON_CreateString(GD_VERSION))
             && add(root, "seed", cJSON_CreateRaw(seed));

    cJSON *params = ok ? cJSON_CreateObject() : NULL;
    ok = ok && add(root, "params", params);
    for (size_t i = 0; ok && i < r->nparams; i++)
        ok = add(params, r->params[i].name, param_json(&r->params[i]));

    ok = ok && add(root, "status", cJSON_CreateString(gd_run_status_name(r->status)))
         && add(root, "status_detail", str_or_null(r->status_detail));
    cJSON *notes = ok ? cJSON_CreateArray() : NULL;
    ok = ok && add(root, "notes", notes);
    for (size_t i = 0; ok && i < r->nnotes; i++) ok = push(notes, cJSON_CreateString(r->notes[i]));

    cJSON *scalars = ok ? cJSON_CreateObject() : NULL;
    ok = ok && add(root, "scalars", scalars);
    for (size_t i = 0; ok && i < r->nscalars; i++) {
        cJSON *s = cJSON_CreateObject();
        ok = add(scalars, r->scalars[i].name, s)
             && add(s, "value", num_or_null(r->scalars[i].value))
             && add(s, "se", num_or_null(r->scalars[i].se));
    }

    cJSON *claims = ok ? cJSON_CreateArray() : NULL;
    ok = ok && add(root, "claims", claims);
    for (size_t i = 0; ok && i < r->nclaims; i++)
        ok = push(claims, claim_json(&r->claims[i]));

    cJSON *series = ok ? cJSON_CreateObject() : NULL;
    ok = ok && add(root, "series", series);
    for (size_t i = 0; ok && i < r->nseries; i++)
        ok = add(series, r->series[i]->name, file_name_json(r->series[i]->name, ".csv"));

    cJSON *plots = ok ? cJSON_CreateArray() : NULL;
    ok = ok && add(root, "plots", plots);
    for (size_t i = 0; ok && i < r->nplots; i++)
        ok = push(plots, file_name_json(r->plots[i].name, ".png"));

    ok = ok && add(root, "elapsed_s", num_or_null(r->elapsed_s));
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

char *gd_io_summary_json(const gd_result *r) {
    GD_ASSERT(r != NULL);
    cJSON *root = summary_tree(r);
    if (!root) return NULL;
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return NULL;
    /* Hand back gd_malloc'd memory (the caller frees with gd_free), with a
     * final newline so that the file is a proper text file. */
    size_t n = strlen(text);
    char *out = gd_malloc(n + 2);
    if (out) {
        memcpy(out, text, n);
        out[n] = '\n';
        out[n + 1] = '\0';
    }
    cJSON_free(text);
    return out;
}
