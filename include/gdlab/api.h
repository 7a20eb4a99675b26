/* gdlab api: one call from an experiment's name and its parameters as
 * text to a result, set up as the gdlab command sets up a run, and the
 * registry with its parameter schemas as JSON. These are the entry points
 * a binding needs without mirroring the library's structs (the Python
 * package in python/gdlab calls them through ctypes); a C program can use
 * them too. */
#ifndef GDLAB_API_H
#define GDLAB_API_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* A new run context with the gdlab command's defaults: seed 1, threads the
 * number of processors OpenMP may use (omp_get_num_procs), no progress
 * callback, no error. It also switches GSL's error handler off, for the
 * whole process: its default aborts, and the library checks every GSL
 * status itself (the command does the same in main). NULL on ENOMEM.
 * Free with gd_api_ctx_free. */
gd_ctx *gd_api_ctx_new(void);
/* Frees a context from gd_api_ctx_new; NULL does nothing. */
void gd_api_ctx_free(gd_ctx *ctx);
/* Sets the master seed of every random stream (any 64-bit value). */
void gd_api_ctx_set_seed(gd_ctx *ctx, uint64_t seed);
/* Sets the number of threads, 1 to 1024 as the command's --threads; other
 * values return GD_EINVAL with a message in ctx and leave ctx as it was.
 * The numbers of a run do not depend on it. */
gd_status gd_api_ctx_set_threads(gd_ctx *ctx, int threads);
/* The last error message of ctx ("" when none); owned by ctx. */
const char *gd_api_ctx_error(const gd_ctx *ctx);

/* Runs experiment `name` with n parameters names[i] = values[i] (names as
 * on the command line without "--", values as text: "0.1", "inf", "opt",
 * "1,2,4"), the others at their defaults, as `gdlab run NAME --names[i]
 * values[i] ...` does, with ctx's seed and threads (it also sets OpenBLAS's
 * thread count, a process-wide setting, to ctx's). On GD_OK *out receives
 * the result, which the caller frees with gd_result_free; a diverged run is
 * GD_OK with its status in the result. Otherwise *out is NULL and the
 * status is the error, its message in ctx: GD_EINVAL for an unknown
 * experiment or parameter, a value out of its range or type, or input the
 * experiment refuses (each message names it); GD_EIO for a file it could
 * not read; GD_ENOMEM, GD_ENUMERIC, GD_EINTERNAL for a failed run. Nothing
 * is written anywhere (gd_io_write_result does that). */
gd_status gd_api_run(gd_ctx *ctx, const char *name, size_t n, const char *const *names,
                     const char *const *values, gd_result **out);

/* The registry as JSON text (caller frees with gd_free; NULL on ENOMEM):
 * [{"name", "summary", "source", "reproduce": {NAME: TEXT} | null,
 *   "params": [{"name", "kind": "real" | "int" | "string", "default": TEXT,
 *               "min": number | null, "max": number | null, "min_open": bool,
 *               "inf": bool, "opt": bool, "help"}]}]
 * in the order of gdlab list. min and max are null for strings; finite
 * numbers read back to the same double, infinite ones are "inf"/"-inf". */
char *gd_api_registry_json(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
