/* Core: status names, the run context, error messages, the allocation
 * wrapper (with failure injection for tests), assertions and the clock. */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/core.h"
#include <errno.h>
#include <math.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *gd_status_name(gd_status s) {
    switch (s) {
    case GD_OK: return "ok";
    case GD_EINVAL: return "invalid input";
    case GD_EIO: return "input/output error";
    case GD_ENOMEM: return "out of memory";
    case GD_ENUMERIC: return "numerical failure";
    case GD_EINTERNAL: return "internal error";
    }
    return "unknown status";
}

void gd_ctx_init(gd_ctx *ctx) {
    GD_ASSERT(ctx != NULL);
    ctx->seed = 1;
    ctx->threads = 1;
    ctx->err[0] = '\0';
    ctx->status = GD_OK;
    ctx->progress = NULL;
    ctx->progress_data = NULL;
}

void gd_progress(gd_ctx *ctx, const char *stage, double fraction) {
    if (ctx && ctx->progress) ctx->progress(ctx->progress_data, stage, fraction);
}

gd_status gd_error(gd_ctx *ctx, gd_status s, const char *fmt, ...) {
    if (ctx) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
        va_end(ap);
        ctx->status = s;
    }
    return s;
}

gd_status gd_error_prefix(gd_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return GD_EINTERNAL;
    char old[sizeof ctx->err];
    snprintf(old, sizeof old, "%s", ctx->err);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    /* ": " and the old message, truncated to what is left. */
    size_t n = strlen(ctx->err), k = strlen(old);
    if (n + 3 <= sizeof ctx->err) {
        if (k > sizeof ctx->err - n - 3) k = sizeof ctx->err - n - 3;
        memcpy(ctx->err + n, ": ", 2);
        memcpy(ctx->err + n + 2, old, k);
        ctx->err[n + 2 + k] = '\0';
    }
    return gd_ctx_failed(ctx);
}

gd_status gd_ctx_failed(const gd_ctx *ctx) {
    return ctx && ctx->status != GD_OK ? ctx->status : GD_EINTERNAL;
}

/* Failure injection. These two counters are the only process-wide state in
 * the library; they exist for tests (STYLE.md: Lua's ltests.h) and are
 * inert (fail_at < 0) unless a test sets them. Not thread-safe by design:
 * tests that inject failures run single-threaded. */
static long alloc_count;
static long fail_at = -1;

long gd_alloc_fail_after(long n) {
    long c = alloc_count;
    alloc_count = 0;
    fail_at = n;
    return c;
}

static int alloc_should_fail(void) {
    if (fail_at < 0) return 0;
    return alloc_count++ >= fail_at;
}

void *gd_malloc(size_t n) {
    if (alloc_should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *gd_calloc(size_t count, size_t size) {
    if (alloc_should_fail()) return NULL;
    if (count == 0 || size == 0) count = size = 1;
    return calloc(count, size);
}

void *gd_realloc(void *p, size_t n) {
    if (alloc_should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void gd_free(void *p) { free(p); }

char *gd_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = gd_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void gd_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "gdlab: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}

double gd_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- decimal numbers ------------------------------------------------------ */

static int dec_digits(const char *s, size_t *i, int *nonzero) {
    size_t j = *i;
    while (s[j] >= '0' && s[j] <= '9') *nonzero |= s[j++] != '0';
    const int any = j > *i;
    *i = j;
    return any;
}

int gd_parse_decimal(const char *s, const char **end, double *x) {
    size_t i = 0;
    int nonzero = 0, ignore = 0;
    if (end) *end = s;
    *x = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    int any = dec_digits(s, &i, &nonzero);
    if (s[i] == '.') {
        i++;
        any |= dec_digits(s, &i, &nonzero);
    }
    if (!any) return GD_NUM_NONE;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-') j++;
        if (dec_digits(s, &j, &ignore)) i = j; /* "2e" is 2 followed by e */
    }
    /* strtod on a copy of exactly the span read, so that it cannot read
     * further (hex, nan(...)) than the syntax above allows. */
    char buf[128];
    if (i >= sizeof buf) return GD_NUM_NONE;
    memcpy(buf, s, i);
    buf[i] = '\0';
    errno = 0;
    const double v = strtod(buf, NULL);
    if (end) *end = s + i;
    if (!isfinite(v)) return GD_NUM_OVERFLOW;
    if (v == 0 && nonzero) return GD_NUM_UNDERFLOW;
    *x = v;
    return GD_NUM_OK;
}

int gd_parse_number(const char *s, double *x) {
    const char *end;
    const int rc = gd_parse_decimal(s, &end, x);
    return rc == GD_NUM_OK && *end ? GD_NUM_NONE : rc;
}

const char *gd_parse_number_why(int code) {
    switch (code) {
    case GD_NUM_OK: return "";
    case GD_NUM_OVERFLOW: return "too large";
    case GD_NUM_UNDERFLOW: return "too small: rounds to 0";
    default: return "not a decimal number";
    }
}
