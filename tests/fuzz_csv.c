/* Fuzz harness for the data loaders (src/data/csv.c, src/data/idx.c): runs
 * argv[1] (default 20000) inputs under a fixed seed, each written to a
 * temporary file (plain, gzip, or gzip cut short) and read back. Inputs
 * are random bytes, random strings over the CSV alphabet, generated CSV
 * files (with the three header conventions of the reader, CRLF, blanks,
 * trailing blank lines) mutated up to three times, and generated IDX image
 * and label files with mutated, truncated or extended bytes.
 * Beyond not crashing it checks: an unmutated generated file loads and
 * gives back exactly the numbers written (%.17g round trips); a loaded
 * data set has n, d >= 1, finite values and classes in [0, k); a rejection
 * is GD_EINVAL with out NULL and a message that names the file (and, for
 * CSV, a line). One input in 16 also runs with an allocation failing, and
 * must then fail with GD_ENOMEM or succeed. Ends with "1 passed, 0 failed"
 * (or "0 passed, 1 failed"). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/data_internal.h"
#include "gdlab/data.h"

#define MAXLEN 6000

#include "fuzz_rng.h"

static const char alphabet[] = "0123456789012345,,,,..--+eE \t\r\n\n\nnaifxNIA\"#;";
static const char *const pieces[] = {
    "nan", "inf", "-inf", "1e999", "0x1p-3", "1e-320", ",,", "\r\n", "\n\n", "\xEF\xBB\xBF",
    "  ", "abc", "\"1\"", "-0", "1.5", "999", "1000", "\0", "3,2,a,b\n",
    "1,12345678901234,a\n",
};

static int failures;
static char *file_a, *file_b; /* the two temporary files */

static void fail(const char *what, const char *detail) {
    if (failures++ < 10) fprintf(stderr, "fuzz_csv: %s: %s\n", what, detail);
}

/* Writes buf to path: plain, gzip, or gzip cut short. */
static void write_input(const char *path, const unsigned char *buf, size_t len, int how) {
    /* A new file each time: ext4 flushes a file truncated and rewritten in
     * place on close (auto_da_alloc), which makes the harness I/O bound. */
    unlink(path);
    if (how == 0) {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "fuzz_csv: cannot write %s: %s\n", path, strerror(errno));
            exit(2);
        }
        return;
    }
    gzFile g = gzopen(path, "wb6");
    if (!g || (len && gzwrite(g, buf, (unsigned)len) != (int)len) || gzclose(g) != Z_OK) {
        fprintf(stderr, "fuzz_csv: cannot write %s\n", path);
        exit(2);
    }
    if (how == 2) {
        FILE *f = fopen(path, "rb");
        long size = 0;
        if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
        if (f) fclose(f);
        if (size > 1 && truncate(path, (off_t)below((size_t)size)) != 0) exit(2);
    }
}

/* Up to three mutations of buf[0, *len): delete a run, replace a byte,
 * insert a byte or a piece, duplicate a run, cut the end. */
static void mutate(unsigned char *buf, size_t *len, size_t cap, int text) {
    for (size_t m = below(4); m > 0; m--) {
        size_t at = below(*len + 1), pl;
        const char *p;
        switch (below(6)) {
        case 0:
            pl = below(5);
            if (at + pl > *len) pl = *len - at;
            memmove(buf + at, buf + at + pl, *len - at - pl);
            *len -= pl;
            break;
        case 1:
            if (at < *len)
                buf[at] = text ? (unsigned char)alphabet[below(sizeof alphabet - 1)]
                               : (unsigned char)rnd();
            break;
        case 2:
        case 3: {
            unsigned char one;
            if (text && below(2)) {
                size_t i = below(sizeof pieces / sizeof *pieces);
                p = pieces[i];
                pl = i == 17 ? 1 : strlen(p); /* "\0" is one NUL byte */
            } else {
                one = text ? (unsigned char)alphabet[below(sizeof alphabet - 1)] : (unsigned char)rnd();
                p = (const char *)&one;
                pl = 1;
            }
            if (*len + pl > cap) break;
            memmove(buf + at + pl, buf + at, *len - at);
            memcpy(buf + at, p, pl);
            *len += pl;
            break;
        }
        case 4:
            pl = below(40);
            if (at + pl > *len) pl = *len - at;
            if (*len + pl > cap) break;
            memmove(buf + at + pl, buf + at, *len - at);
            *len += pl;
            break;
        default:
            *len = at;
        }
    }
}

/* A generated CSV: returns its header convention; vals (rows, cols) holds
 * the numbers written. */
static gd_data_csv_header gen_csv(unsigned char *buf, size_t *len, size_t *rows, size_t *cols,
                                  double *vals, int *ints) {
    gd_data_csv_header h = (gd_data_csv_header)below(3);
    const char *eol = below(3) == 0 ? "\r\n" : "\n";
    size_t n = 0;
    *rows = 1 + below(12);
    *cols = 2 + below(6);
    *ints = below(2) == 0;
    if (h == GD_DATA_CSV_HEADER_NAMES) {
        for (size_t j = 0; j < *cols; j++)
            n += (size_t)snprintf((char *)buf + n, MAXLEN - n, "%scol %zu", j ? "," : "", j);
        n += (size_t)snprintf((char *)buf + n, MAXLEN - n, "%s", eol);
    } else if (h == GD_DATA_CSV_HEADER_COUNTS) {
        n += (size_t)snprintf((char *)buf + n, MAXLEN - n, "%zu,%zu,no,yes%s", *rows, *cols - 1, eol);
    }
    for (size_t i = 0; i < *rows; i++) {
        for (size_t j = 0; j < *cols; j++) {
            double v = *ints ? (double)below(7) : uniform(-1e3, 1e3) * pow(10.0, (double)below(9) - 4.0);
            vals[i * *cols + j] = v;
            const char *pad = below(8) == 0 ? " " : "";
            n += (size_t)snprintf((char *)buf + n, MAXLEN - n, "%s%s%.17g%s", j ? "," : "", pad, v, pad);
        }
        if (i + 1 < *rows || below(4)) n += (size_t)snprintf((char *)buf + n, MAXLEN - n, "%s", eol);
    }
    if (below(4) == 0) n += (size_t)snprintf((char *)buf + n, MAXLEN - n, "%s  %s", eol, eol);
    *len = n;
    return h;
}

/* Checks of any data set the loaders return. */
static void check_dataset(const gd_dataset *ds, const char *what) {
    int ok = ds && ds->n >= 1 && ds->d >= 1 && ds->name && ds->x && ds->y;
    for (size_t i = 0; ok && i < ds->n * ds->d; i++) ok = isfinite(ds->x[i]);
    for (size_t i = 0; ok && i < ds->n; i++)
        ok = isfinite(ds->y[i]) && (ds->k == 0 || (ds->y[i] >= 0.0 && ds->y[i] < (double)ds->k &&
                                                   ds->y[i] == floor(ds->y[i])));
    if (!ok) fail("inconsistent data set", what);
}

static void check_rejection(gd_status st, const gd_dataset *ds, const gd_ctx *ctx,
                            const char *path, int csv, const char *what) {
    if (st != GD_EINVAL || ds != NULL || strncmp(ctx->err, path, strlen(path)) != 0 ||
        (csv && !strstr(ctx->err, "line ")))
        fail("bad rejection", ctx->err[0] ? ctx->err : what);
}

static long n_loaded, n_rejected, n_enomem;

static void fuzz_csv_once(gd_ctx *ctx, unsigned char *buf, double *vals) {
    size_t len = 0, rows = 0, cols = 0;
    int ints = 0, exact = 0;
    gd_data_csv_header h = GD_DATA_CSV_HEADER_NAMES;
    switch (below(6)) {
    case 0: /* random bytes */
        for (size_t k = below(200); len < k; len++) buf[len] = (unsigned char)rnd();
        break;
    case 1: /* random characters of the format */
        for (size_t k = below(300); len < k; len++) buf[len] = (unsigned char)alphabet[below(sizeof alphabet - 1)];
        h = (gd_data_csv_header)below(3);
        break;
    default: /* a generated file, mutated or not */
        h = gen_csv(buf, &len, &rows, &cols, vals, &ints);
        exact = below(3) == 0;
        if (!exact) mutate(buf, &len, MAXLEN, 1);
    }
    int how = below(4) == 0 ? 1 + (int)below(2) : 0;
    if (exact && how == 2) how = 1;
    write_input(file_a, buf, len, how);
    int classify = (int)below(2);
    int inject = below(16) == 0;
    gd_dataset *ds = (gd_dataset *)ctx;
    ctx->err[0] = '\0';
    if (inject) gd_alloc_fail_after((long)below(12));
    gd_status st = gd_data_csv_read(ctx, file_a, NULL, h, classify, &ds);
    if (inject) gd_alloc_fail_after(-1);
    if (inject && st == GD_ENOMEM) {
        if (ds != NULL) fail("ENOMEM with a data set", ctx->err);
        n_enomem++;
        return;
    }
    if (st != GD_OK) {
        if (exact) fail("valid CSV rejected", ctx->err);
        check_rejection(st, ds, ctx, file_a, 1, "CSV");
        n_rejected++;
        return;
    }
    n_loaded++;
    check_dataset(ds, "CSV");
    if (exact) {
        int same = ds->n == rows && ds->d == cols - 1;
        for (size_t i = 0; same && i < rows; i++) {
            for (size_t j = 0; same && j + 1 < cols; j++) same = ds->x[i * ds->d + j] == vals[i * cols + j];
            same = same && ds->y[i] == vals[i * cols + cols - 1];
        }
        if (!same) fail("values differ from those written", file_a);
        if (classify && ints && ds->k == 0) fail("whole-number targets not classified", file_a);
    }
    gd_data_free(ds);
}

/* An IDX header then data: magic, dims (big-endian), bytes. */
static size_t gen_idx(unsigned char *buf, unsigned magic, const size_t *dims, int nd, size_t nbytes) {
    size_t n = 0;
    for (int s = 24; s >= 0; s -= 8) buf[n++] = (unsigned char)(magic >> s);
    for (int i = 0; i < nd; i++)
        for (int s = 24; s >= 0; s -= 8) buf[n++] = (unsigned char)(dims[i] >> s);
    for (size_t i = 0; i < nbytes; i++) buf[n++] = (unsigned char)rnd();
    return n;
}

static void fuzz_idx_once(gd_ctx *ctx, unsigned char *im, unsigned char *lb) {
    size_t dims[3] = {1 + below(6), 1 + below(9), 1 + below(9)};
    size_t li, ll;
    li = gen_idx(im, 0x803, dims, 3, dims[0] * dims[1] * dims[2]);
    ll = gen_idx(lb, 0x801, dims, 1, dims[0]);
    /* Labels are classes counted from 0 with none left out (idx.c): k
     * classes, each present once at least, the rest drawn from 0..k-1. */
    const size_t k = 1 + below(dims[0] < 10 ? dims[0] : 10), off = below(dims[0]);
    for (size_t i = 0; i < dims[0]; i++) {
        unsigned char *l = lb + 8 + (i + off) % dims[0];
        *l = (unsigned char)(i < k ? i : *l % k);
    }
    int exact = below(3) == 0;
    if (!exact) {
        if (below(2)) mutate(im, &li, MAXLEN, 0);
        else mutate(lb, &ll, MAXLEN, 0);
        if (below(8) == 0) /* an in-range header byte change */
            im[4 + below(12)] = (unsigned char)below(3);
    }
    int how_i = below(4) == 0 ? 1 + (int)below(2) : 0, how_l = below(4) == 0 ? 1 + (int)below(2) : 0;
    if (exact) { /* whole gzip files only */
        how_i = how_i ? 1 : 0;
        how_l = how_l ? 1 : 0;
    }
    write_input(file_a, im, li, how_i);
    write_input(file_b, lb, ll, how_l);
    int inject = below(16) == 0;
    gd_dataset *ds = (gd_dataset *)ctx;
    ctx->err[0] = '\0';
    if (inject) gd_alloc_fail_after((long)below(4));
    gd_status st = gd_data_load_idx(ctx, file_a, file_b, &ds);
    if (inject) gd_alloc_fail_after(-1);
    if (inject && st == GD_ENOMEM) {
        if (ds != NULL) fail("ENOMEM with a data set", ctx->err);
        n_enomem++;
        return;
    }
    if (st != GD_OK) {
        if (exact) fail("valid IDX rejected", ctx->err);
        if (st != GD_EINVAL || ds != NULL ||
            (strncmp(ctx->err, file_a, strlen(file_a)) != 0 &&
             strncmp(ctx->err, file_b, strlen(file_b)) != 0))
            fail("bad IDX rejection", ctx->err);
        n_rejected++;
        return;
    }
    n_loaded++;
    check_dataset(ds, "IDX");
    for (size_t i = 0; i < ds->n * ds->d; i++)
        if (!(ds->x[i] >= 0.0 && ds->x[i] <= 1.0)) {
            fail("pixel outside [0, 1]", file_a);
            break;
        }
    if (exact) {
        int same = ds->n == dims[0] && ds->d == dims[1] * dims[2];
        for (size_t i = 0; same && i < ds->n * ds->d; i++) same = ds->x[i] == (double)im[16 + i] / 255.0;
        for (size_t i = 0; same && i < ds->n; i++) same = ds->y[i] == (double)lb[8 + i];
        if (!same) fail("IDX values differ from those written", file_a);
    }
    gd_data_free(ds);
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    static unsigned char buf[MAXLEN + 64], buf2[MAXLEN + 64];
    static double vals[12 * 8];
    char dir[] = "/tmp/gdlab-fuzz-csv-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fuzz_csv: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    size_t dl = strlen(dir) + 16;
    file_a = malloc(dl);
    file_b = malloc(dl);
    if (!file_a || !file_b) return 2;
    snprintf(file_a, dl, "%s/a", dir);
    snprintf(file_b, dl, "%s/b", dir);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    for (long it = 0; it < iters; it++) {
        if (below(4) == 0) fuzz_idx_once(&ctx, buf, buf2);
        else fuzz_csv_once(&ctx, buf, vals);
    }
    unlink(file_a);
    unlink(file_b);
    rmdir(dir);
    free(file_a);
    free(file_b);
    printf("fuzz_csv: %ld inputs, %ld loaded, %ld rejected, %ld out of memory (injected)\n",
           iters, n_loaded, n_rejected, n_enomem);
    printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
