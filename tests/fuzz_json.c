/* Fuzz harness of the summary.json writer: random results (strings of
 * arbitrary bytes, doubles from random bit patterns, so NaN, infinities and
 * subnormals included) are written with gd_io_summary_json, read back with
 * cJSON and compared field by field: every string byte-exact, every finite
 * number bit-exact (up to the sign of zero), every non-finite number null
 * (an infinite numeric parameter "inf"/"-inf"). The terminal summary is
 * printed to a memory stream to catch crashes. Under gd_alloc_fail_after
 * the writer must return NULL or a whole summary.
 *
 * Usage: fuzz_json [iterations [seed]]; exit code 0 iff every case passed. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdlab/io.h"
#include "gdlab/result.h"

/* splitmix64: the fuzzer's own generator, state passed explicitly. */
static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rand_double(uint64_t *s) {
    uint64_t u = next(s);
    switch (u % 6) {
    case 0: { /* any bit pattern */
        double d;
        uint64_t b = next(s);
        memcpy(&d, &b, sizeof d);
        return d;
    }
    case 1: return (double)(int64_t)(next(s) % 2001) - 1000.0;
    case 2: return ((double)(next(s) >> 11) / 9007199254740992.0 - 0.5)
                   * pow(10.0, (double)(int)(next(s) % 40) - 20.0);
    case 3: return (u >> 8) % 2 ? INFINITY : -INFINITY;
    case 4: return NAN;
    default: return (double)(next(s) >> 11) * 0x1p-1074; /* subnormal-ish */
    }
}

/* A random string of 0..maxlen bytes in 1..255 (no NUL), skewed to ASCII
 * with quotes, backslashes, control characters and UTF-8 sprinkled in. */
static char *rand_string(uint64_t *s, size_t maxlen, char *buf, int no_slash) {
    size_t n = (size_t)(next(s) % (maxlen + 1));
    static const char special[] = "\"\\\n\r\t\b\f/|#%\x01\x1f\x7f\xc3\xa9\xe2\x80\x94\xff";
    for (size_t i = 0; i < n; i++) {
        uint64_t u = next(s);
        char c;
        if (u % 4 == 0) c = special[(u >> 8) % (sizeof special - 1)];
        else if (u % 4 == 1) c = (char)(1 + (u >> 8) % 255);
        else c = (char)('a' + (u >> 8) % 26);
        if (no_slash && c == '/') c = '_';
        buf[i] = c;
    }
    buf[n] = '\0';
    return buf;
}

static int same_number(const cJSON *j, double want) {
    if (!isfinite(want)) return cJSON_IsNull(j);
    return cJSON_IsNumber(j) && j->valuedouble == want;
}

static int same_string(const cJSON *j, const char *want) {
    if (!want) return cJSON_IsNull(j);
    return cJSON_IsString(j) && strcmp(j->valuestring, want) == 0;
}

/* Checks text against r; returns the number of mismatches. */
static int check(const char *text, const gd_result *r) {
    int bad = 0;
    cJSON *j = cJSON_Parse(text);
    if (!j) return 1;
    bad += !same_string(cJSON_GetObjectItemCaseSensitive(j, "experiment"), r->experiment);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    char want[32];
    snprintf(want, sizeof want, "\t%llu,", (unsigned long long)r->seed);
    bad += !cJSON_IsNumber(seed) || strstr(text, want) == NULL;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "params");
    bad += cJSON_GetArraySize(p) != (int)r->nparams;
    for (size_t i = 0; i < r->nparams; i++) {
        const gd_result_param *rp = &r->params[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, rp->name);
        if (!rp->is_number) bad += !same_string(v, rp->text);
        else if (isinf(rp->value)) bad += !same_string(v, rp->value > 0 ? "inf" : "-inf");
        else bad += !same_number(v, rp->value);
    }
    bad += !same_string(cJSON_GetObjectItemCaseSensitive(j, "status"),
                        gd_run_status_name(r->status));
    bad += !same_string(cJSON_GetObjectItemCaseSensitive(j, "status_detail"),
                        r->status_detail);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scalars");
    bad += cJSON_GetArraySize(sc) != (int)r->nscalars;
    for (size_t i = 0; i < r->nscalars; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(sc, r->scalars[i].name);
        bad += !same_number(cJSON_GetObjectItemCaseSensitive(o, "value"), r->scalars[i].value);
        bad += !same_number(cJSON_GetObjectItemCaseSensitive(o, "se"), r->scalars[i].se);
    }
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(j, "claims");
    bad += cJSON_GetArraySize(cl) != (int)r->nclaims;
    for (size_t i = 0; i < r->nclaims && (int)i < cJSON_GetArraySize(cl); i++) {
        const cJSON *c = cJSON_GetArrayItem(cl, (int)i);
        const gd_claim *rc = &r->claims[i];
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "id"), rc->id);
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "source"), rc->source);
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "statement"), rc->statement);
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "predicted"), rc->predicted);
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "measured"), rc->measured);
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "evidence"), rc->evidence);
        bad += !same_string(cJSON_GetObjectItemCaseSensitive(c, "verdict"),
                            gd_verdict_name(rc->verdict));
    }
    const cJSON *se = cJSON_GetObjectItemCaseSensitive(j, "series");
    bad += cJSON_GetArraySize(se) != (int)r->nseries;
    bad += !same_number(cJSON_GetObjectItemCaseSensitive(j, "elapsed_s"), r->elapsed_s);
    cJSON_Delete(j);
    return bad;
}

static gd_result *rand_result(uint64_t *s) {
    char a[64], b[64], c[64], d[64], e[64], f[64];
    gd_result *r = gd_result_new(rand_string(s, 20, a, 0), next(s));
    if (!r) return NULL;
    size_t np = next(s) % 5, ns = next(s) % 6, nc = next(s) % 4, nser = next(s) % 3;
    for (size_t i = 0; i < np; i++) {
        int num = (int)(next(s) % 2);
        if (gd_result_param_add(r, rand_string(s, 8, a, 0), rand_string(s, 12, b, 0),
                                rand_double(s), num))
            goto fail;
    }
    for (size_t i = 0; i < ns; i++)
        if (gd_result_scalar(r, rand_string(s, 8, a, 0), rand_double(s), rand_double(s)))
            goto fail;
    for (size_t i = 0; i < nc; i++)
        if (gd_result_claim(r, rand_string(s, 6, a, 0), rand_string(s, 20, b, 0),
                            (gd_verdict)(next(s) % 3), rand_string(s, 40, c, 0),
                            rand_string(s, 20, d, 0), rand_string(s, 20, e, 0),
                            "%s %.17g", rand_string(s, 30, f, 0), rand_double(s)))
            goto fail;
    for (size_t i = 0; i < nser; i++) {
        char nm[80];
        snprintf(nm, sizeof nm, "s%zu%s", i, rand_string(s, 10, a, 1));
        const char *cols[2] = {"x", rand_string(s, 6, b, 0)};
        if (!gd_result_series_new(r, nm, 2, cols)) goto fail;
    }
    if (next(s) % 2)
        gd_result_set_status(r, (gd_run_status)(next(s) % 3), "%s", rand_string(s, 30, f, 0));
    r->elapsed_s = rand_double(s);
    return r;
fail:
    gd_result_free(r);
    return NULL;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 20241123;
    long failures = 0;
    for (long it = 0; it < iters; it++) {
        uint64_t s = seed + (uint64_t)it * 0x632BE59BD9B4E019ULL;
        gd_result *r = rand_result(&s);
        if (!r) {
            fprintf(stderr, "case %ld: building the result failed\n", it);
            failures++;
            continue;
        }
        char *text = gd_io_summary_json(r);
        int bad = text ? check(text, r) : 1;
        if (bad) {
            fprintf(stderr, "case %ld: %d mismatches\n%s\n", it, bad, text ? text : "(null)");
            failures++;
        }
        gd_free(text);

        char *out = NULL;
        size_t outlen = 0;
        FILE *f = open_memstream(&out, &outlen);
        if (f) {
            gd_io_print_summary(f, r);
            fclose(f);
        }
        free(out);

        /* Every tenth case again under an allocation failure. */
        if (it % 10 == 0) {
            gd_alloc_fail_after((long)(next(&s) % 4));
            text = gd_io_summary_json(r);
            gd_alloc_fail_after(-1);
            if (text && check(text, r)) {
                fprintf(stderr, "case %ld: partial summary under ENOMEM\n", it);
                failures++;
            }
            gd_free(text);
        }
        gd_result_free(r);
    }
    printf("fuzz_json: %ld cases, %ld failed\n", iters, failures);
    return failures != 0;
}
