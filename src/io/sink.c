/* Whole-result sinks: the output directory of a run (CSVs, plots, then
 * summary.json) and the human summary printed to a terminal. */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/io.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_internal.h"

/* Writes the files of r into dir, summary.json last. */
static gd_status write_files(gd_ctx *ctx, const gd_result *r, const char *dir, int plots) {
    gd_status st = GD_OK;
    for (size_t i = 0; st == GD_OK && i < r->nseries; i++) {
        char *path = gd_io_path_join3(dir, r->series[i]->name, ".csv");
        if (!path) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", dir);
        st = gd_io_write_csv(ctx, r->series[i], path);
        gd_free(path);
    }
    for (size_t i = 0; plots && st == GD_OK && i < r->nplots; i++)
        st = gd_io_write_plot(ctx, r, &r->plots[i], dir);
    if (st != GD_OK) return st;
    char *json = gd_io_summary_json(r);
    char *path = gd_io_path_join(dir, "summary.json");
    if (!json || !path) {
        st = gd_error(ctx, GD_ENOMEM, "%s/summary.json: out of memory", dir);
    } else {
        st = gd_io_write_atomic(ctx, path, json, strlen(json));
    }
    gd_free(json);
    gd_free(path);
    return st;
}

/* The run directory is written whole or not at all, and holds exactly one
 * run: its files go into the sibling DIR.tmp.PID, which then replaces DIR
 * whole (gd_io_publish_dir), provided DIR is absent, empty or a run
 * directory (checked before anything is written: a user's directory is
 * refused and left alone). A failure (a full disk, an allocation) removes
 * the temporary and leaves DIR as it was; so does SIGTERM or SIGINT where
 * the command installed gd_io_cleanup_on_signals (the temporary is
 * registered), and temporaries of dead processes are removed first. */
static gd_status write_result(gd_ctx *ctx, const gd_result *r, const char *dir, int plots) {
    GD_ASSERT(r != NULL && dir != NULL);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--; /* "out/" is "out" */
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    char *base = gd_malloc(n + 1), *tmp = NULL;
    if (base) {
        memcpy(base, dir, n);
        base[n] = '\0';
        tmp = gd_io_path_join3(NULL, base, suffix);
    }
    gd_status st = tmp ? GD_OK : gd_error(ctx, GD_ENOMEM, "%s: out of memory", dir);
    if (st == GD_OK) st = gd_io_check_run_dir(ctx, base);
    int slot = -1;
    if (st == GD_OK) {
        char *slash = strrchr(base, '/');
        if (slash && slash != base) { /* the parents, as mkdir -p */
            *slash = '\0';
            st = gd_io_mkdir_p(ctx, base);
            *slash = '/';
        }
        if (st == GD_OK) {
            gd_io_remove_stale(base);
            slot = gd_io_temp_register(tmp);
        }
        if (st == GD_OK && mkdir(tmp, 0755) != 0)
            st = gd_error(ctx, GD_EIO, "cannot create directory %s: %s", base, strerror(errno));
    }
    if (st == GD_OK) st = write_files(ctx, r, tmp, plots);
    if (st == GD_OK) st = gd_io_publish_dir(ctx, tmp, base);
    else if (tmp) gd_io_remove_tree(tmp);
    gd_io_temp_unregister(slot);
    gd_free(tmp);
    gd_free(base);
    return st;
}

gd_status gd_io_write_result(gd_ctx *ctx, const gd_result *r, const char *dir) {
    return write_result(ctx, r, dir, 1);
}

gd_status gd_io_write_result_data(gd_ctx *ctx, const gd_result *r, const char *dir) {
    return write_result(ctx, r, dir, 0);
}

/* ---- terminal summary --------------------------------------------------- */

#define WIDTH 100

/* Display columns of a UTF-8 string: one per code point. */
static size_t ncols(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Prints text word-wrapped to WIDTH, assuming the cursor is at column col;
 * continuation lines are indented by indent. Ends with a newline. */
static void wrap(FILE *f, const char *text, size_t col, size_t indent) {
    const char *s = text ? text : "";
    int first = 1;
    while (*s) {
        while (*s == ' ' || *s == '\n') s++;
        if (!*s) break;
        size_t wlen = strcspn(s, " \n");
        size_t w = ncols(s, wlen);
        if (!first && col + 1 + w > WIDTH && col > indent) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
            first = 1;
        }
        if (!first) {
            fputc(' ', f);
            col++;
        }
        fwrite(s, 1, wlen, f);
        col += w;
        s += wlen;
        first = 0;
    }
    fputc('\n', f);
}

/* "1.2345 ± 0.0012", "1.2345", "inf", or "null" for NaN (as in JSON). */
static void put_value(FILE *f, double v, double se) {
    if (isnan(v)) fputs("null", f);
    else fprintf(f, "%.6g", v);
    if (isfinite(se)) fprintf(f, " \xc2\xb1 %.2g", se);
}

void gd_io_print_summary(FILE *f, const gd_result *r) {
    GD_ASSERT(f != NULL && r != NULL);
    fprintf(f, "%s  (gdlab %s, seed %llu, %.3g s)\n", r->experiment, GD_VERSION,
            (unsigned long long)r->seed, r->elapsed_s);
    fprintf(f, "status: %s", gd_run_status_name(r->status));
    if (r->status_detail) {
        fputs(" \xe2\x80\x94 ", f);
        wrap(f, r->status_detail, 8 + strlen(gd_run_status_name(r->status)) + 3, 8);
    } else {
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->nnotes; i++) {
        fputs("note: ", f);
        wrap(f, r->notes[i], 6, 6);
    }

    if (r->nparams) {
        /* Parameters as one wrapped line of name=value pairs. */
        gd_io_buf b;
        gd_io_buf_init(&b);
        for (size_t i = 0; i < r->nparams; i++)
            gd_io_buf_printf(&b, "%s%s=%s", i ? " " : "", r->params[i].name,
                             r->params[i].text);
        fputs("params: ", f);
        wrap(f, b.failed ? "(out of memory)" : b.data, 8, 8);
        gd_io_buf_free(&b);
    }

    if (r->nscalars) {
        size_t w = 0;
        for (size_t i = 0; i < r->nscalars; i++) {
            size_t n = ncols(r->scalars[i].name, strlen(r->scalars[i].name));
            if (n > w) w = n;
        }
        if (w > 40) w = 40;
        fputs("scalars:\n", f);
        for (size_t i = 0; i < r->nscalars; i++) {
            const gd_scalar *s = &r->scalars[i];
            size_t n = ncols(s->name, strlen(s->name));
            fprintf(f, "  %s%*s = ", s->name, (int)(n < w ? w - n : 0), "");
            put_value(f, s->value, s->se);
            fputc('\n', f);
        }
    }

    if (r->nclaims) {
        size_t count[3] = {0, 0, 0};
        for (size_t i = 0; i < r->nclaims; i++)
            if ((unsigned)r->claims[i].verdict < 3) count[r->claims[i].verdict]++;
        fprintf(f, "claims: %zu confirmed, %zu refuted, %zu inconclusive\n",
                count[GD_VERDICT_CONFIRMED], count[GD_VERDICT_REFUTED],
                count[GD_VERDICT_INCONCLUSIVE]);
        /* "  [inconclusive] id: statement", details indented under it. */
        for (size_t i = 0; i < r->nclaims; i++) {
            const gd_claim *c = &r->claims[i];
            char head[64];
            snprintf(head, sizeof head, "  [%s]", gd_verdict_name(c->verdict));
            fprintf(f, "%-17s %s:", head, c->id);
            size_t col = 18 + ncols(c->id, strlen(c->id)) + 1;
            fputc(' ', f);
            wrap(f, c->statement, col + 1, 18);
            if (c->predicted[0] || c->measured[0]) {
                gd_io_buf b;
                gd_io_buf_init(&b);
                gd_io_buf_printf(&b, "\xe2\x80\x94 predicted %s, measured %s",
                                 c->predicted[0] ? c->predicted : "-",
                                 c->measured[0] ? c->measured : "-");
                fprintf(f, "%18s", "");
                wrap(f, b.failed ? "" : b.data, 18, 20);
                gd_io_buf_free(&b);
            }
        }
    }
}
