/* Core: status names, the run context, error messages, the allocation
 * wrapper (with failure injection for tests), assertions and the clock. */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/core.h"

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
