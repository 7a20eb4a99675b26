/* The result model: growable arrays of parameters, series, scalars, claims
 * and plot specifications, each owning deep copies of the strings it was
 * given.
 *
 * The result's arrays carry no capacity field, so their capacity is implied
 * by their length: an array of n > 0 elements has room for the next power
 * of two >= n, and it grows (doubling) exactly when n is zero or a power of
 * two. An element is counted (n incremented) only once it is whole, so
 * gd_result_free never meets a half-built element, and a failed add leaves
 * the result as it was. */
#include "gdlab/result.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gd_verdict_name(gd_verdict v) {
    switch (v) {
    case GD_VERDICT_CONFIRMED: return "confirmed";
    case GD_VERDICT_REFUTED: return "refuted";
    case GD_VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "unknown";
}

const char *gd_run_status_name(gd_run_status s) {
    switch (s) {
    case GD_RUN_OK: return "ok";
    case GD_RUN_DIVERGED: return "diverged";
    case GD_RUN_FAILED: return "failed";
    }
    return "unknown";
}

/* Makes room in *arr (of n elements of size sz) for element n, following
 * the power-of-two capacity rule above. Returns 0, or -1 on ENOMEM with
 * *arr untouched. */
static int grow(void **arr, size_t n, size_t sz) {
    if (n != 0 && (n & (n - 1)) != 0) return 0; /* room left */
    size_t cap = n ? 2 * n : 1;
    if (cap > (size_t)-1 / sz) return -1;
    void *p = gd_realloc(*arr, cap * sz);
    if (!p) return -1;
    *arr = p;
    return 0;
}

/* gd_strdup that passes NULL through; *ok is cleared on ENOMEM. */
static char *dup_or_null(const char *s, int *ok) {
    if (!s) return NULL;
    char *d = gd_strdup(s);
    if (!d) *ok = 0;
    return d;
}

/* Formats fmt/ap into a new string of any length; NULL on ENOMEM. */
static char *vformat(const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) n = 0; /* encoding error: keep an empty string */
    char *s = gd_malloc((size_t)n + 1);
    if (!s) return NULL;
    if (n > 0) vsnprintf(s, (size_t)n + 1, fmt, ap);
    else s[0] = '\0';
    return s;
}

/* ---- freeing ------------------------------------------------------------ */

static void series_clear(gd_series *s) {
    if (s->cols)
        for (size_t j = 0; j < s->ncols; j++) gd_free(s->cols[j]);
    gd_free(s->cols);
    gd_free(s->name);
    gd_free(s->data);
}

static void claim_clear(gd_claim *c) {
    gd_free(c->id);
    gd_free(c->source);
    gd_free(c->statement);
    gd_free(c->predicted);
    gd_free(c->measured);
    gd_free(c->evidence);
}

/* The plot's strings are const in the public struct because callers fill
 * it from literals; the result's copies are its own, hence the casts. */
static void plot_clear(gd_plot *p) {
    gd_free((void *)p->name);
    gd_free((void *)p->title);
    gd_free((void *)p->xlabel);
    gd_free((void *)p->ylabel);
    gd_free((void *)p->heat);
    for (size_t i = 0; i < GD_PLOT_MAX_LINES; i++) {
        gd_free((void *)p->line[i].series);
        gd_free((void *)p->line[i].x);
        gd_free((void *)p->line[i].y);
        gd_free((void *)p->line[i].yerr);
        gd_free((void *)p->line[i].label);
    }
    for (size_t i = 0; i < GD_PLOT_MAX_HLINES; i++)
        gd_free((void *)p->hlabel[i]);
}

void gd_result_free(gd_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nparams; i++) {
        gd_free(r->params[i].name);
        gd_free(r->params[i].text);
    }
    for (size_t i = 0; i < r->nseries; i++) series_clear(r->series[i]), gd_free(r->series[i]);
    for (size_t i = 0; i < r->nscalars; i++) gd_free(r->scalars[i].name);
    for (size_t i = 0; i < r->nclaims; i++) claim_clear(&r->claims[i]);
    for (size_t i = 0; i < r->nplots; i++) plot_clear(&r->plots[i]);
    gd_free(r->params);
    gd_free(r->series);
    gd_free(r->scalars);
    gd_free(r->claims);
    gd_free(r->plots);
    for (size_t i = 0; i < r->nnotes; i++) gd_free(r->notes[i]);
    gd_free(r->notes);
    gd_free(r->experiment);
    gd_free(r->status_detail);
    gd_free(r);
}

/* ---- construction ------------------------------------------------------- */

gd_result *gd_result_new(const char *experiment, uint64_t seed) {
    GD_ASSERT(experiment != NULL);
    gd_result *r = gd_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->seed = seed;
    r->status = GD_RUN_OK;
    r->experiment = gd_strdup(experiment);
    if (!r->experiment) {
        gd_result_free(r);
        return NULL;
    }
    return r;
}

gd_status gd_result_param_add(gd_result *r, const char *name, const char *text,
                              double value, int is_number) {
    GD_ASSERT(r != NULL && name != NULL);
    /* A name recorded twice keeps its last value, as scalars do, so that
     * the summary's "params" object never holds a key twice. */
    gd_result_param *slot = NULL;
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0) slot = &r->params[i];
    char *t = gd_strdup(text ? text : "");
    if (!t) return GD_ENOMEM;
    if (!slot) {
        char *n = NULL;
        if (grow((void **)&r->params, r->nparams, sizeof *r->params)
            || (n = gd_strdup(name)) == NULL) {
            gd_free(t);
            return GD_ENOMEM;
        }
        slot = &r->params[r->nparams++];
        slot->name = n;
    } else {
        gd_free(slot->text);
    }
    slot->text = t;
    slot->is_number = is_number != 0;
    slot->value = slot->is_number ? value : (double)NAN;
    return GD_OK;
}

gd_status gd_result_param_count(gd_result *r, const char *name, size_t value) {
    char t[32];
    snprintf(t, sizeof t, "%zu", value);
    return gd_result_param_add(r, name, t, (double)value, 1);
}

/* A series name is a file stem: non-empty, no directory separator. */
static int valid_stem(const char *s) {
    return s && s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0
           && strcmp(s, "..") != 0;
}

gd_series *gd_result_series_new(gd_result *r, const char *name, size_t ncols,
                                const char *const *cols) {
    GD_ASSERT(r != NULL && valid_stem(name) && ncols > 0 && cols != NULL);
    GD_ASSERT(gd_result_series_find(r, name) == NULL);
    if (grow((void **)&r->series, r->nseries, sizeof *r->series)) return NULL;
    gd_series s = {0};
    int ok = 1;
    s.name = dup_or_null(name, &ok);
    s.cols = gd_calloc(ncols, sizeof *s.cols);
    if (!s.cols) ok = 0;
    s.ncols = ncols;
    for (size_t j = 0; ok && j < ncols; j++) {
        GD_ASSERT(cols[j] != NULL);
        s.cols[j] = dup_or_null(cols[j], &ok);
    }
    gd_series *p = ok ? gd_malloc(sizeof *p) : NULL;
    if (!p) {
        series_clear(&s);
        return NULL;
    }
    *p = s;
    return r->series[r->nseries++] = p;
}

gd_series *gd_result_series_find(const gd_result *r, const char *name) {
    GD_ASSERT(r != NULL && name != NULL);
    for (size_t i = 0; i < r->nseries; i++)
        if (strcmp(r->series[i]->name, name) == 0) return r->series[i];
    return NULL;
}

gd_status gd_series_append(gd_series *s, const double *row) {
    GD_ASSERT(s != NULL && row != NULL);
    if (s->nrows == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        if (cap > (size_t)-1 / sizeof(double) / s->ncols) return GD_ENOMEM;
        double *d = gd_realloc(s->data, cap * s->ncols * sizeof *d);
        if (!d) return GD_ENOMEM;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->nrows * s->ncols, row, s->ncols * sizeof *row);
    s->nrows++;
    return GD_OK;
}

long gd_series_col(const gd_series *s, const char *col) {
    GD_ASSERT(s != NULL);
    if (!col) return -1;
    for (size_t j = 0; j < s->ncols; j++)
        if (strcmp(s->cols[j], col) == 0) return (long)j;
    return -1;
}

gd_status gd_result_scalar(gd_result *r, const char *name, double value,
                           double se) {
    GD_ASSERT(r != NULL && name != NULL);
    for (size_t i = 0; i < r->nscalars; i++) {
        if (strcmp(r->scalars[i].name, name) == 0) {
            r->scalars[i].value = value;
            r->scalars[i].se = se;
            return GD_OK;
        }
    }
    if (grow((void **)&r->scalars, r->nscalars, sizeof *r->scalars))
        return GD_ENOMEM;
    char *n = gd_strdup(name);
    if (!n) return GD_ENOMEM;
    r->scalars[r->nscalars].name = n;
    r->scalars[r->nscalars].value = value;
    r->scalars[r->nscalars].se = se;
    r->nscalars++;
    return GD_OK;
}

const gd_scalar *gd_result_scalar_find(const gd_result *r, const char *name) {
    GD_ASSERT(r != NULL && name != NULL);
    for (size_t i = 0; i < r->nscalars; i++)
        if (strcmp(r->scalars[i].name, name) == 0) return &r->scalars[i];
    return NULL;
}

gd_status gd_result_claim(gd_result *r, const char *id, const char *source,
                          gd_verdict verdict, const char *statement,
                          const char *predicted, const char *measured,
                          const char *evidence_fmt, ...) {
    GD_ASSERT(r != NULL && id != NULL);
    if (grow((void **)&r->claims, r->nclaims, sizeof *r->claims))
        return GD_ENOMEM;
    gd_claim c = {0};
    int ok = 1;
    /* Every text field is a string (never NULL) so sinks need no checks. */
    c.id = dup_or_null(id, &ok);
    c.source = dup_or_null(source ? source : "", &ok);
    c.statement = dup_or_null(statement ? statement : "", &ok);
    c.predicted = dup_or_null(predicted ? predicted : "", &ok);
    c.measured = dup_or_null(measured ? measured : "", &ok);
    c.verdict = verdict;
    if (ok) {
        if (evidence_fmt) {
            va_list ap;
            va_start(ap, evidence_fmt);
            c.evidence = vformat(evidence_fmt, ap);
            va_end(ap);
        } else {
            c.evidence = gd_strdup("");
        }
        if (!c.evidence) ok = 0;
    }
    if (!ok) {
        claim_clear(&c);
        return GD_ENOMEM;
    }
    r->claims[r->nclaims++] = c;
    return GD_OK;
}

gd_status gd_result_plot(gd_result *r, const gd_plot *p) {
    GD_ASSERT(r != NULL && p != NULL && valid_stem(p->name));
    GD_ASSERT(p->nlines <= GD_PLOT_MAX_LINES);
    GD_ASSERT(p->nhlines <= GD_PLOT_MAX_HLINES);
    for (size_t i = 0; i < r->nplots; i++)
        GD_ASSERT(strcmp(r->plots[i].name, p->name) != 0);
    if (grow((void **)&r->plots, r->nplots, sizeof *r->plots))
        return GD_ENOMEM;
    gd_plot c;
    memset(&c, 0, sizeof c);
    int ok = 1;
    c.name = dup_or_null(p->name, &ok);
    c.title = dup_or_null(p->title, &ok);
    c.xlabel = dup_or_null(p->xlabel, &ok);
    c.ylabel = dup_or_null(p->ylabel, &ok);
    c.heat = dup_or_null(p->heat, &ok);
    c.logx = p->logx;
    c.logy = p->logy;
    c.nlines = p->nlines;
    for (size_t i = 0; i < p->nlines; i++) {
        const gd_plot_line *l = &p->line[i];
        GD_ASSERT(l->series != NULL && l->x != NULL && l->y != NULL);
        c.line[i].series = dup_or_null(l->series, &ok);
        c.line[i].x = dup_or_null(l->x, &ok);
        c.line[i].y = dup_or_null(l->y, &ok);
        c.line[i].yerr = dup_or_null(l->yerr, &ok);
        c.line[i].label = dup_or_null(l->label, &ok);
        c.line[i].points = l->points;
    }
    c.nhlines = p->nhlines;
    for (size_t i = 0; i < p->nhlines; i++) {
        c.hline[i] = p->hline[i];
        c.hlabel[i] = dup_or_null(p->hlabel[i], &ok);
    }
    if (!ok) {
        plot_clear(&c);
        return GD_ENOMEM;
    }
    r->plots[r->nplots++] = c;
    return GD_OK;
}

gd_status gd_result_note(gd_result *r, const char *fmt, ...) {
    GD_ASSERT(r != NULL && fmt != NULL);
    if (grow((void **)&r->notes, r->nnotes, sizeof *r->notes)) return GD_ENOMEM;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (!s) return GD_ENOMEM;
    r->notes[r->nnotes++] = s;
    return GD_OK;
}

void gd_result_set_status(gd_result *r, gd_run_status s, const char *fmt, ...) {
    GD_ASSERT(r != NULL);
    r->status = s;
    gd_free(r->status_detail);
    r->status_detail = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        r->status_detail = vformat(fmt, ap); /* NULL on ENOMEM: no detail */
        va_end(ap);
    }
}

/* ---- read accessors ----------------------------------------------------- */

size_t gd_result_series_count(const gd_result *r) {
    GD_ASSERT(r != NULL);
    return r->nseries;
}

const gd_series *gd_result_series_at(const gd_result *r, size_t i) {
    GD_ASSERT(r != NULL && i < r->nseries);
    return r->series[i];
}

const char *gd_series_name(const gd_series *s) {
    GD_ASSERT(s != NULL);
    return s->name;
}

size_t gd_series_ncols(const gd_series *s) {
    GD_ASSERT(s != NULL);
    return s->ncols;
}

const char *gd_series_col_name(const gd_series *s, size_t j) {
    GD_ASSERT(s != NULL && j < s->ncols);
    return s->cols[j];
}

size_t gd_series_nrows(const gd_series *s) {
    GD_ASSERT(s != NULL);
    return s->nrows;
}

const double *gd_series_data(const gd_series *s) {
    GD_ASSERT(s != NULL);
    return s->nrows ? s->data : NULL;
}

size_t gd_result_scalar_count(const gd_result *r) {
    GD_ASSERT(r != NULL);
    return r->nscalars;
}

const char *gd_result_scalar_name(const gd_result *r, size_t i) {
    GD_ASSERT(r != NULL && i < r->nscalars);
    return r->scalars[i].name;
}

double gd_result_scalar_value(const gd_result *r, size_t i) {
    GD_ASSERT(r != NULL && i < r->nscalars);
    return r->scalars[i].value;
}

double gd_result_scalar_se(const gd_result *r, size_t i) {
    GD_ASSERT(r != NULL && i < r->nscalars);
    return r->scalars[i].se;
}
