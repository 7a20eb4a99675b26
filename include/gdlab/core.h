/* gdlab core: status codes, the run context (seed, threads, last error),
 * and the one allocation wrapper every module goes through.
 *
 * Errors follow three kinds (STYLE.md): a broken precondition is an
 * assertion (GD_ASSERT); bad input, I/O or a failing library call returns a
 * gd_status and leaves its message in the owning context; an outcome such as
 * divergence is a result (gd_result status), not an error. */
#ifndef GDLAB_CORE_H
#define GDLAB_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define GD_VERSION "0.1.0"

/* A double quiet NaN with the sign bit clear (C's NAN is a float, which
 * -Wdouble-promotion flags; 0.0 / 0.0 gives -nan on x86). */
#define GD_NAN __builtin_nan("")

/* Status codes. Persisted in summaries by name: only grows at its end. */
typedef enum gd_status {
    GD_OK = 0,
    GD_EINVAL,   /* bad input: a parameter, a file, an expression */
    GD_EIO,      /* reading or writing a file failed */
    GD_ENOMEM,   /* an allocation failed */
    GD_ENUMERIC, /* a library routine failed (GSL, LAPACK) */
    GD_EINTERNAL /* should not happen: a bug */
} gd_status;

/* Name of a status ("ok", "invalid input", ...): a static string. */
const char *gd_status_name(gd_status s);

/* A run context: what an experiment needs from the outside world.
 * It owns the last error message (never a global). */
typedef struct gd_ctx {
    uint64_t seed;   /* master seed of every random stream; default 1 */
    int threads;     /* OpenMP threads, >= 1 */
    char err[1024];  /* last error message, "" when none */
    gd_status status; /* the status gd_error last recorded with err */
    /* Progress of a long computation, or NULL: called by gd_progress from
     * the thread that runs the experiment (the CLI draws it on a TTY). */
    void (*progress)(void *data, const char *stage, double fraction);
    void *progress_data;
} gd_ctx;

/* Fills a context with defaults: seed 1, threads 1, no error, no progress. */
void gd_ctx_init(gd_ctx *ctx);

/* Reports that `stage` of the running computation is `fraction` (0..1)
 * done; nothing when ctx->progress is NULL. */
void gd_progress(gd_ctx *ctx, const char *stage, double fraction);

/* The status gd_error last recorded in ctx, for the caller of a
 * constructor that returned NULL (GD_ENOMEM, GD_EINVAL, ...); never GD_OK:
 * GD_EINTERNAL when nothing was recorded. */
gd_status gd_ctx_failed(const gd_ctx *ctx);

/* Puts a printf-style prefix and ": " before the message in ctx->err (a
 * caller saying where a failure happened: "--f: ..."), keeping its
 * status; returns that status (gd_ctx_failed). */
gd_status gd_error_prefix(gd_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Records a printf-style message in ctx->err and returns status s, so that
 * callers can write `return gd_error(ctx, GD_EINVAL, "...", ...)`.
 * ctx may be NULL (the message is then dropped). */
gd_status gd_error(gd_ctx *ctx, gd_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The one allocation wrapper. gd_malloc(0) returns a unique pointer.
 * A test build can make the n-th allocation fail (gd_alloc_fail_after). */
void *gd_malloc(size_t n);
void *gd_calloc(size_t count, size_t size);
void *gd_realloc(void *p, size_t n);
void gd_free(void *p);
char *gd_strdup(const char *s);
/* Makes allocation number n (counting from the call, 0 = the next one) and
 * every later one fail; n < 0 switches failure injection off. Returns the
 * number of allocations made since the previous call. */
long gd_alloc_fail_after(long n);

/* Assertion for programmer errors: file, line and expression, then abort. */
void gd_assert_fail(const char *expr, const char *file, int line);
#define GD_ASSERT(x) ((x) ? (void)0 : gd_assert_fail(#x, __FILE__, __LINE__))

/* Reads a decimal number at the start of s, the one syntax gdlab accepts
 * for numbers anywhere (parameters, grids, files, expressions):
 * [+-] digits [. digits] [(e|E) [+-] digits], or with the digits before
 * the point left out (".5"). No white space, no hex ("0x10"), no "inf" or
 * "nan" (callers that take those spell them out). *end (if end is not
 * NULL) is set past the number. Returns GD_NUM_OK, GD_NUM_NONE (no number
 * at s; *end = s), GD_NUM_OVERFLOW (beyond +-DBL_MAX) or GD_NUM_UNDERFLOW
 * (non-zero digits that round to zero, as 1e-400): both refused, so that
 * 1e-400 is not silently 0 while 1e400 is an error. Subnormals are
 * numbers. */
enum { GD_NUM_OK = 0, GD_NUM_NONE, GD_NUM_OVERFLOW, GD_NUM_UNDERFLOW };
int gd_parse_decimal(const char *s, const char **end, double *x);

/* gd_parse_decimal over the whole of s (nothing may follow): GD_NUM_OK,
 * or the reason it is not a number. */
int gd_parse_number(const char *s, double *x);

/* Why gd_parse_decimal refused: "" for GD_NUM_OK, "not a decimal number",
 * "too large", "too small: rounds to 0". A static string. */
const char *gd_parse_number_why(int code);

/* Wall-clock seconds since an arbitrary origin (monotonic). */
double gd_now(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
