/* gdlab sinks: write a result as summary.json, one CSV per series, and
 * plots (PNG and SVG through PLplot's cairo drivers); and the report of
 * `gdlab reproduce`. Every file is written to a temporary name in its
 * directory and renamed into place, so a killed run never leaves a
 * half-written file that looks whole. */
#ifndef GDLAB_IO_H
#define GDLAB_IO_H

#include <stdio.h>
#include "core.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Writes `len` bytes to `path` atomically (path.tmp.PID, fsync, rename). */
gd_status gd_io_write_atomic(gd_ctx *ctx, const char *path, const char *data,
                             size_t len);

/* Creates directory `dir` and its parents (mkdir -p). */
gd_status gd_io_mkdir_p(gd_ctx *ctx, const char *dir);

/* The summary object as JSON text (malloc'd, caller frees with gd_free).
 * Contract: {"experiment","version","seed","params","status",
 * "status_detail","scalars":{NAME:{"value","se"}},"claims":[...],
 * "series":{NAME:"NAME.csv"},"plots":["NAME.png",...],"elapsed_s"}.
 * Non-finite numbers are written as null. NULL on allocation failure. */
char *gd_io_summary_json(const gd_result *r);

/* Writes one series as CSV (header line, then %.17g values) to path. */
gd_status gd_io_write_csv(gd_ctx *ctx, const gd_series *s, const char *path);

/* Draws plot p of result r into dir/<p->name>.png and .svg. */
gd_status gd_io_write_plot(gd_ctx *ctx, const gd_result *r, const gd_plot *p,
                           const char *dir);

/* Writes everything of r into dir (created if needed): the CSVs, the plots,
 * then summary.json last, so a summary.json present means a whole run. The
 * files are written into DIR.tmp.PID first and published when all are
 * whole: a failure leaves dir as it was. */
gd_status gd_io_write_result(gd_ctx *ctx, const gd_result *r, const char *dir);
/* The same without the plots (CSVs and summary.json): PLplot keeps global
 * state, so this is the one to call from several threads. */
gd_status gd_io_write_result_data(gd_ctx *ctx, const gd_result *r, const char *dir);

/* Whether dir can receive a run (a run directory holds exactly one run):
 * GD_OK if it does not exist, is empty, or is a gdlab run directory (a
 * summary.json gdlab wrote and nothing but regular files gdlab writes:
 * *.csv, *.png, *.svg), which gd_io_write_result then replaces whole;
 * otherwise GD_EINVAL, "DIR: exists and is not a gdlab run directory (it
 * holds notes.txt); choose another directory" (or "is not a directory",
 * "is a symbolic link"). A caller checks before its computation starts;
 * gd_io_write_result checks again before it writes. */
gd_status gd_io_check_run_dir(gd_ctx *ctx, const char *dir);
/* What a command checks before a run that will write to --out dir:
 * gd_io_check_run_dir, and that a directory can be made in dir's nearest
 * existing ancestor (tried: --out /sys/x is refused before the run, not
 * after it). GD_EINVAL with the reason. */
gd_status gd_io_check_out(gd_ctx *ctx, const char *dir);

/* Temporaries being written (DIR.tmp.PID of a run directory, FILE.tmp.PID
 * of gd_io_write_atomic) are registered in a fixed table of slots (atomic,
 * lock-free), so that a signal handler can remove them. Register before
 * creating the temporary; unregister once it is renamed or removed.
 * gd_io_temp_register returns a slot, or -1 when the table is full or the
 * path too long (the temporary is then not removed on a signal; the next
 * run into the same place removes it, see below). */
int gd_io_temp_register(const char *path);
void gd_io_temp_unregister(int slot);
/* Removes every registered temporary (trees with openat, getdents64,
 * unlinkat): async-signal-safe, for a signal handler. */
void gd_io_temp_remove_all(void);
/* Installs handlers of SIGTERM and SIGINT (not of a signal ignored at the
 * time) that call gd_io_temp_remove_all, restore the default action and
 * re-raise the signal, so that the process still dies of it. The library
 * never installs them itself (a host such as Python owns its signals): the
 * command line calls this at start; 0, or -1 (errno) if sigaction failed.
 * Independently, a run into DIR (and an atomic write of FILE) removes the
 * siblings DIR.tmp.N (FILE.tmp.N) left by processes N that no longer
 * exist, e.g. killed by SIGKILL; a live process's are left alone. */
int gd_io_cleanup_on_signals(void);

/* Prints a human summary of r (status, scalars, claims) to f. */
void gd_io_print_summary(FILE *f, const gd_result *r);

/* Writes dir/report.md: a verdict table over all results and, per
 * experiment, its scalars and plots (paths relative to dir, where each
 * result lives in dir/<experiment>/). */
gd_status gd_io_write_report(gd_ctx *ctx, const gd_result *const *results,
                             size_t n, const char *dir);

/* Writes dir/index.html: the same report as one self-contained page (the
 * SVG of every plot inlined from dir/<experiment>/<plot>.svg, which must
 * exist: write the results first), with the machine and the version. */
gd_status gd_io_write_report_html(gd_ctx *ctx, const gd_result *const *results, size_t n, const char *dir);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
