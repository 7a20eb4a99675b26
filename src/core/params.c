/* Parameters: parsing a value from text against its schema entry (type,
 * range, "inf", "opt"), with errors that name the parameter and what was
 * expected. */
#include "gdlab/experiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long find(const gd_params *p, const char *name) {
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->spec[i].name, name) == 0) return (long)i;
    return -1;
}

/* "in (0, 0.333333]" style description of a spec's allowed values. */
static void describe(const gd_param_spec *s, char *buf, size_t len) {
    const char *what = s->kind == GD_PARAM_INT ? "a whole number" : "a number";
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.6g", s->min);
    snprintf(hi, sizeof hi, "%.6g", s->max);
    snprintf(buf, len, "%s in %c%s, %s]%s%s", what,
             (s->flags & GD_PARAM_OPEN_MIN) ? '(' : '[', lo, hi,
             (s->flags & GD_PARAM_INF) ? " or 'inf'" : "",
             (s->flags & GD_PARAM_OPT) ? " or 'opt'" : "");
}

static gd_status parse_value(const gd_param_spec *s, const char *text,
                             gd_param_value *out, gd_ctx *ctx) {
    out->x = NAN;
    out->is_opt = 0;
    if (s->kind == GD_PARAM_STRING) return GD_OK;
    char want[160];
    describe(s, want, sizeof want);
    if ((s->flags & GD_PARAM_OPT) && strcmp(text, "opt") == 0) {
        out->is_opt = 1;
        return GD_OK;
    }
    if ((s->flags & GD_PARAM_INF) && strcmp(text, "inf") == 0) {
        out->x = INFINITY;
        return GD_OK;
    }
    double x;
    const int why = gd_parse_number(text, &x);
    if (why == GD_NUM_NONE)
        return gd_error(ctx, GD_EINVAL, "--%s: expected %s, got '%s'",
                        s->name, want, text);
    if (why != GD_NUM_OK)
        return gd_error(ctx, GD_EINVAL, "--%s: expected %s, got %s (%s)",
                        s->name, want, text, gd_parse_number_why(why));
    if (s->kind == GD_PARAM_INT && x != floor(x))
        return gd_error(ctx, GD_EINVAL,
                        "--%s: expected %s, got '%s' (not a whole number)",
                        s->name, want, text);
    int below = (s->flags & GD_PARAM_OPEN_MIN) ? !(x > s->min) : !(x >= s->min);
    if (below || !(x <= s->max))
        return gd_error(ctx, GD_EINVAL, "--%s: expected %s, got %s (out of range)",
                        s->name, want, text);
    out->x = x;
    return GD_OK;
}

gd_status gd_params_init(gd_params *p, const gd_param_spec *spec, gd_ctx *ctx) {
    size_t n = 0;
    while (spec[n].name) n++;
    p->spec = spec;
    p->n = n;
    p->v = gd_calloc(n, sizeof *p->v);
    if (!p->v) return gd_error(ctx, GD_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        gd_status st = gd_params_set(p, spec[i].name, spec[i].def ? spec[i].def : "", ctx);
        if (st != GD_OK) {
            gd_params_free(p);
            return st;
        }
        p->v[i].is_set = 0;
    }
    return GD_OK;
}

gd_status gd_params_set(gd_params *p, const char *name, const char *text,
                        gd_ctx *ctx) {
    long i = find(p, name);
    if (i < 0) {
        char list[800] = "";
        size_t used = 0;
        for (size_t j = 0; j < p->n && used + 40 < sizeof list; j++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s--%s",
                                     j ? ", " : "", p->spec[j].name);
        return gd_error(ctx, GD_EINVAL, "unknown parameter --%s (expected one of: %s)",
                        name, list);
    }
    gd_param_value v;
    gd_status st = parse_value(&p->spec[i], text, &v, ctx);
    if (st != GD_OK) return st;
    v.s = gd_strdup(text);
    if (!v.s) return gd_error(ctx, GD_ENOMEM, "out of memory");
    v.is_set = 1;
    gd_free(p->v[i].s);
    p->v[i] = v;
    return GD_OK;
}

static const gd_param_value *get(const gd_params *p, const char *name) {
    long i = find(p, name);
    GD_ASSERT(i >= 0);
    return &p->v[i];
}

double gd_params_real(const gd_params *p, const char *name) {
    return get(p, name)->x;
}

const char *gd_params_str(const gd_params *p, const char *name) {
    return get(p, name)->s;
}

int gd_params_is_opt(const gd_params *p, const char *name) {
    return get(p, name)->is_opt;
}

int gd_params_is_set(const gd_params *p, const char *name) {
    return get(p, name)->is_set;
}

void gd_params_free(gd_params *p) {
    if (!p || !p->v) return;
    for (size_t i = 0; i < p->n; i++) gd_free(p->v[i].s);
    gd_free(p->v);
    p->v = NULL;
}
