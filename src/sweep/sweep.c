/* Sweeps (sweep.h): grids of parameter points and seeds, run by OpenMP
 * workers (and MPI ranks, each given its share by the caller) into the
 * store, skipping what is stored already. */
#include "gdlab/sweep.h"
#include "gdlab/io.h"
#include "gdlab/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 100000
/* At most a million runs (points x seeds) a sweep: its list of jobs is 8
 * bytes a run and each run is looked up in the store before anything
 * runs; a million runs is already about a gigabyte of store and, at a
 * millisecond a run, a quarter of an hour of one core. Two axes of 10^5
 * values asked for 80 GB at once. A larger study is several sweeps into
 * one store (each adds its runs). */
#define MAX_RUNS 1000000
#define KEY_MAX 4096

void gd_sweep_axis_free(gd_sweep_axis *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) gd_free(a->values[i]);
    gd_free(a->values), gd_free(a->name);
    memset(a, 0, sizeof *a);
}

static int add_value(gd_sweep_axis *a, const char *text, size_t len) {
    if (a->n == MAX_VALUES) return -1;
    /* The capacity doubles at 4, 8, 16, ...: growing by one was quadratic
     * (found by fuzzing: range(0,99999) took 40 s under ASan). */
    if (a->n == 0 || (a->n >= 4 && (a->n & (a->n - 1)) == 0)) {
        char **v = gd_realloc(a->values, (a->n ? 2 * a->n : 4) * sizeof *v);
        if (!v) return -1;
        a->values = v;
    }
    char *t = gd_malloc(len + 1);
    if (!t) return -1;
    memcpy(t, text, len), t[len] = '\0';
    a->values[a->n++] = t;
    return 0;
}

static int add_number(gd_sweep_axis *a, double x) {
    if (!isfinite(x)) return -1;
    char b[40];
    snprintf(b, sizeof b, "%.17g", x);
    /* the shortest text that reads back to x (our own text: strtod is
     * exact on it) */
    for (int p = 1; p <= 17; p++) {
        char c[40];
        snprintf(c, sizeof c, "%.*g", p, x);
        if (strtod(c, NULL) == x) {
            memcpy(b, c, sizeof c);
            break;
        }
    }
    return add_value(a, b, strlen(b));
}

/* "f(a,b[,c])": the numbers (decimal only, as gd_parse_decimal: no hex,
 * no overflow, no underflow to zero); how many, or -1. */
static int call_args(const char *s, const char *f, double *v, int max) {
    const size_t n = strlen(f);
    if (strncmp(s, f, n) || s[n] != '(') return -1;
    const char *p = s + n + 1;
    int k = 0;
    for (;;) {
        const char *e;
        if (k == max) return -1;
        while (*p == ' ') p++;
        if (gd_parse_decimal(p, &e, &v[k++]) != GD_NUM_OK || !isfinite(v[k - 1])) return -1;
        while (*e == ' ') e++;
        if (*e == ')') return e[1] ? -1 : k;
        if (*e != ',') return -1;
        p = e + 1;
    }
}

typedef struct value_key {
    double x;
    int number;
    size_t i;
    const char *text;
} value_key;

static int cmp_value(const void *a, const void *b) {
    const value_key *u = a, *v = b;
    if (u->number != v->number) return u->number - v->number;
    if (u->number && u->x != v->x) return u->x < v->x ? -1 : 1;
    if (!u->number) {
        const int c = strcmp(u->text, v->text);
        if (c) return c;
    }
    return u->i < v->i ? -1 : u->i > v->i;
}

/* A value given twice on an axis (as text, or as numbers equal after
 * parsing: 0.1 and 1e-1) would run the same runs twice under two keys:
 * the index of the later one, or -1 (-2: out of memory). */
static long duplicate(const gd_sweep_axis *a, size_t *first) {
    value_key *k = gd_malloc((a->n ? a->n : 1) * sizeof *k);
    if (!k) return -2;
    for (size_t i = 0; i < a->n; i++) {
        k[i].i = i, k[i].text = a->values[i];
        k[i].number = gd_parse_number(a->values[i], &k[i].x) == GD_NUM_OK;
    }
    qsort(k, a->n, sizeof *k, cmp_value);
    long dup = -1;
    for (size_t i = 1; i < a->n && dup < 0; i++)
        if (k[i].number == k[i - 1].number &&
            (k[i].number ? k[i].x == k[i - 1].x : !strcmp(k[i].text, k[i - 1].text)))
            dup = (long)k[i].i, *first = k[i - 1].i;
    gd_free(k);
    return dup;
}

gd_status gd_sweep_parse_axis(gd_ctx *ctx, const char *spec, gd_sweep_axis *out) {
    memset(out, 0, sizeof *out);
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return gd_error(ctx, GD_EINVAL, "--grid '%s': expected NAME=SPEC, SPEC a list v1,v2,..., linspace(lo,hi,n), "
                        "logspace(lo,hi,n) or range(lo,hi[,step])", spec);
    const char *sp = eq + 1;
    out->name = gd_malloc((size_t)(eq - spec) + 1);
    if (!out->name) return gd_error(ctx, GD_ENOMEM, "out of memory");
    memcpy(out->name, spec, (size_t)(eq - spec)), out->name[eq - spec] = '\0';
    double v[3];
    int k, bad = 0;
    if ((k = call_args(sp, "linspace", v, 3)) >= 0 || (k = call_args(sp, "logspace", v, 3)) >= 0) {
        const int lg = sp[1] == 'o';
        if (k != 3 || v[2] < 1 || v[2] != floor(v[2]) || v[2] > MAX_VALUES || (lg && !(v[0] > 0 && v[1] > 0)))
            bad = 1;
        for (long i = 0; !bad && i < (long)v[2]; i++) {
            const double t = v[2] > 1 ? (double)i / (v[2] - 1) : 0;
            const double x = lg ? v[0] * pow(v[1] / v[0], t) : v[0] + (v[1] - v[0]) * t;
            bad = add_number(out, i == (long)v[2] - 1 && v[2] > 1 ? v[1] : x) != 0;
        }
    } else if ((k = call_args(sp, "range", v, 3)) >= 0) {
        const double step = k == 3 ? v[2] : 1;
        if (k < 2 || !(step > 0) || (v[1] - v[0]) / step > MAX_VALUES) bad = 1;
        for (long i = 0; !bad && v[0] + (double)i * step < v[1] - 1e-12 * fabs(step); i++)
            bad = add_number(out, v[0] + (double)i * step) != 0;
    } else if (strchr(sp, '(')) {
        bad = 1;
    } else {
        for (const char *p = sp; !bad;) {
            const size_t len = strcspn(p, ",");
            bad = len == 0 || add_value(out, p, len) != 0;
            if (!p[len]) break;
            p += len + 1;
        }
    }
    if (bad || out->n == 0) {
        const gd_status st = gd_error(ctx, GD_EINVAL, "--grid %s: expected a list v1,v2,..., linspace(lo,hi,n), "
                                      "logspace(lo,hi,n) with lo, hi > 0, or range(lo,hi[,step]) with step > 0 "
                                      "(decimal numbers, finite values, at most %d values), got '%s'",
                                      out->name, MAX_VALUES, sp);
        gd_sweep_axis_free(out);
        return st;
    }
    size_t first = 0;
    const long dup = duplicate(out, &first);
    if (dup != -1) {
        const gd_status st =
            dup == -2 ? gd_error(ctx, GD_ENOMEM, "--grid %s: out of memory", out->name)
            : strcmp(out->values[dup], out->values[first])
                ? gd_error(ctx, GD_EINVAL, "--grid %s: the value %s is given twice (it equals %s; each point runs once)",
                           out->name, out->values[dup], out->values[first])
                : gd_error(ctx, GD_EINVAL, "--grid %s: the value %s is given twice (each point runs once)", out->name,
                           out->values[dup]);
        gd_sweep_axis_free(out);
        return st;
    }
    return GD_OK;
}

/* The number of points as a double (exact up to 2^53, then large). */
static double npoints(const gd_sweep_spec *s) {
    double n = 1;
    for (size_t a = 0; a < s->naxes; a++) n *= (double)s->axes[a].n;
    return n;
}

size_t gd_sweep_npoints(const gd_sweep_spec *s) {
    const double n = npoints(s);
    return n >= (double)SIZE_MAX ? SIZE_MAX : (size_t)n;
}

/* The value index of each axis at point p (the last axis fastest). */
static void point_index(const gd_sweep_spec *s, size_t p, size_t *idx) {
    for (size_t a = s->naxes; a-- > 0;) idx[a] = p % s->axes[a].n, p /= s->axes[a].n;
}

static int cmp_axis(const void *x, const void *y) {
    return strcmp((*(const gd_sweep_axis *const *)x)->name, (*(const gd_sweep_axis *const *)y)->name);
}

void gd_sweep_point_key(const gd_sweep_spec *s, size_t p, char *buf, size_t len) {
    size_t idx[64];
    const gd_sweep_axis *ord[64];
    point_index(s, p, idx);
    for (size_t a = 0; a < s->naxes; a++) ord[a] = &s->axes[a];
    qsort(ord, s->naxes, sizeof *ord, cmp_axis);
    buf[0] = '\0';
    size_t used = 0;
    for (size_t a = 0; a < s->naxes; a++) {
        const size_t i = idx[ord[a] - s->axes];
        const int w = snprintf(buf + used, len - used, "%s%s=%s", a ? ";" : "", ord[a]->name, ord[a]->values[i]);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

uint64_t gd_sweep_run_seed(const gd_sweep_spec *s, const char *key, long replica) {
    char b[4200];
    snprintf(b, sizeof b, "%llu|%s|%s|%ld", (unsigned long long)s->seed, s->e->name, key, replica);
    uint64_t z = gd_rng_hash(b) + 0x9e3779b97f4a7c15ull; /* splitmix64's finaliser: FNV-1a leaves */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;          /* neighbouring keys close */
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) & ((1ull << 53) - 1); /* a seed any double-valued parser reads back */
}

/* Parameters of point p: the schema's defaults, the fixed pairs, the axes. */
static gd_status point_params(gd_ctx *ctx, const gd_sweep_spec *s, size_t p, gd_params *pa) {
    gd_status st = gd_params_init(pa, s->e->params, ctx);
    if (st != GD_OK) return st;
    for (const char *const *kv = s->fixed; kv && kv[0] && st == GD_OK; kv += 2) st = gd_params_set(pa, kv[0], kv[1], ctx);
    size_t idx[64];
    point_index(s, p, idx);
    for (size_t a = 0; a < s->naxes && st == GD_OK; a++)
        st = gd_params_set(pa, s->axes[a].name, s->axes[a].values[idx[a]], ctx);
    if (st != GD_OK) gd_params_free(pa);
    return st;
}

gd_status gd_sweep_check(gd_ctx *ctx, const gd_sweep_spec *s) {
    if (s->naxes > 64) return gd_error(ctx, GD_EINVAL, "--grid: at most 64 axes");
    /* the size first: nothing is allocated or created for a grid too large */
    const double P = npoints(s);
    if (s->seeds >= 1 && P * (double)s->seeds > MAX_RUNS) {
        if (P > 1e18) return gd_error(ctx, GD_EINVAL, "the grid has more than 10^18 points x %ld seeds; at most %d runs",
                                      s->seeds, MAX_RUNS);
        return gd_error(ctx, GD_EINVAL, "the grid has %.0f points x %ld seeds; at most %d runs", P, s->seeds, MAX_RUNS);
    }
    /* a point's text must fit its key (a longer one was cut: two points
     * could share a key, and one of them would never run) */
    size_t keylen = 0;
    for (size_t a = 0; a < s->naxes; a++) {
        size_t w = 0;
        for (size_t i = 0; i < s->axes[a].n; i++)
            if (strlen(s->axes[a].values[i]) > w) w = strlen(s->axes[a].values[i]);
        keylen += strlen(s->axes[a].name) + w + 2;
    }
    if (keylen >= KEY_MAX)
        return gd_error(ctx, GD_EINVAL, "--grid: a point's text (its names and values) can be %zu characters; at most %d",
                        keylen, KEY_MAX - 1);
    char bad[2048] = "";
    for (size_t a = 0; a < s->naxes; a++) {
        for (size_t b = 0; b < a; b++)
            if (!strcmp(s->axes[a].name, s->axes[b].name) && !strstr(bad, s->axes[a].name))
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "; --grid %s: given twice", s->axes[a].name);
        for (const char *const *kv = s->fixed; kv && kv[0]; kv += 2)
            if (!strcmp(kv[0], s->axes[a].name))
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "; --%s: both fixed and swept", kv[0]);
    }
    /* every value of every axis, on the defaults and the fixed pairs */
    gd_params pa;
    gd_status st = gd_params_init(&pa, s->e->params, ctx);
    if (st != GD_OK) return st;
    for (const char *const *kv = s->fixed; kv && kv[0]; kv += 2)
        if (gd_params_set(&pa, kv[0], kv[1], ctx) != GD_OK)
            snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "; %s", ctx->err);
    for (size_t a = 0; a < s->naxes; a++)
        for (size_t i = 0; i < s->axes[a].n; i++)
            if (gd_params_set(&pa, s->axes[a].name, s->axes[a].values[i], ctx) != GD_OK) {
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "; --grid %s: %s", s->axes[a].name, ctx->err);
                break;
            }
    gd_params_free(&pa);
    if (s->seeds < 1) snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "; --seeds: expected at least 1");
    return bad[0] ? gd_error(ctx, GD_EINVAL, "%s", bad + 2) : GD_OK;
}

gd_status gd_sweep_run(gd_ctx *ctx, const gd_sweep_spec *s, gd_sweep_stats *stats,
                       void (*progress)(const gd_sweep_stats *, void *), void *data) {
    memset(stats, 0, sizeof *stats);
    gd_status st = gd_sweep_check(ctx, s);
    if (st != GD_OK) return st;
    const double t0 = gd_now();
    const size_t P = gd_sweep_npoints(s), J = P * (size_t)s->seeds;
    /* this rank's jobs not in the store */
    gd_store *db;
    if ((st = gd_store_open(ctx, s->db, &db)) != GD_OK) return st;
    size_t *todo = gd_malloc((J ? J : 1) * sizeof *todo), nt = 0;
    if (!todo) {
        gd_store_close(db);
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    }
    char key[4096];
    for (size_t j = 0; j < J; j++) {
        if ((long)(j % (size_t)s->nranks) != s->rank) continue;
        stats->total++;
        gd_sweep_point_key(s, j / (size_t)s->seeds, key, sizeof key);
        const int has = gd_store_has(db, s->e->name, key, (long)(j % (size_t)s->seeds));
        if (has < 0) {
            st = gd_store_error(ctx, db, "cannot read the store");
            break;
        }
        if (has) stats->stored++;
        else todo[nt++] = j;
    }
    gd_store_close(db);
    if (st != GD_OK) {
        gd_free(todo);
        return st;
    }
    if (progress) progress(stats, data);
    volatile int stop = 0;
    char first_err[sizeof ctx->err] = "";
    gd_status first_st = GD_OK;
#pragma omp parallel num_threads(s->workers)
    {
        gd_ctx lc;
        gd_ctx_init(&lc);
        lc.threads = 1;
        gd_store *my = NULL;
        gd_status ost = gd_store_open(&lc, s->db, &my);
#pragma omp for schedule(dynamic)
        for (size_t t = 0; t < nt; t++) {
            if (stop || ost != GD_OK) continue;
            const size_t j = todo[t], p = j / (size_t)s->seeds;
            const long rep = (long)(j % (size_t)s->seeds);
            char k[4096], dir[4096] = "";
            gd_sweep_point_key(s, p, k, sizeof k);
            lc.seed = gd_sweep_run_seed(s, k, rep);
            gd_params pa;
            gd_result *r = NULL;
            gd_status rs = point_params(&lc, s, p, &pa);
            if (rs == GD_OK) {
                r = gd_result_new(s->e->name, lc.seed);
                rs = r ? gd_experiment_run(s->e, &pa, &lc, r) : gd_error(&lc, GD_ENOMEM, "out of memory");
                gd_params_free(&pa);
            }
            gd_status ws = GD_OK;
            if (rs == GD_OK && s->outdir) {
                snprintf(dir, sizeof dir, "%s/%s/%016llx-r%ld", s->outdir, s->e->name,
                         (unsigned long long)gd_rng_hash(k), rep);
                /* The sweep's own output failing (a full disk) is not the
                 * run's failure: the sweep stops (exit 3), the run is not
                 * stored, and the next sweep runs it. */
                ws = gd_io_write_result_data(&lc, r, dir);
            }
            if (ws == GD_OK)
                ws = rs == GD_OK ? gd_store_put(&lc, my, r, k, rep, s->outdir ? dir : NULL)
                                 : gd_store_put_failed(&lc, my, s->e->name, k, rep, lc.seed, lc.err);
            gd_result_free(r);
#pragma omp critical
            {
                if (ws != GD_OK && !stop) stop = 1, first_st = ws, snprintf(first_err, sizeof first_err, "%s", lc.err);
                if (ws == GD_OK && rs == GD_OK) stats->done++;
                else if (ws == GD_OK && !stats->failed++)
                    snprintf(stats->failure, sizeof stats->failure, "%.150s: %.300s", k, lc.err);
                stats->seconds = gd_now() - t0;
                if (progress) progress(stats, data);
            }
        }
        if (ost != GD_OK) {
#pragma omp critical
            if (!stop) stop = 1, first_st = ost, snprintf(first_err, sizeof first_err, "%s", lc.err);
        }
        gd_store_close(my);
    }
    gd_free(todo);
    stats->seconds = gd_now() - t0;
    if (first_st != GD_OK) return gd_error(ctx, first_st, "%s", first_err);
    return GD_OK;
}
