/* The CSV loader: numeric comma-separated files, plain or gzip-compressed
 * (zlib's gzread reads both), a header line, the target in the last
 * column. The reader keeps a growing buffer and splits lines itself
 * (rather than with gzgets, whose fixed buffer cannot tell a NUL byte in
 * the data from the end of a line). What one file can make it do is
 * bounded (data_internal.h): lines of at most GD_DATA_MAX_LINE bytes, at
 * most GD_DATA_MAX_BYTES decompressed, GD_DATA_MAX_VALUES numbers; a NUL
 * byte stops the reading where it is met (a binary file, or a gzip bomb of
 * zeros, is refused at its first block).
 *
 * Every error names the file and the 1-based line, and the field where
 * one is at fault: "digits.csv: line 17, field 65: expected a number, got
 * 'abc'". */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/data_internal.h"

/* ---- line reader ------------------------------------------------------- */

/* Lines of a (possibly gzip) file. buf[start, end) holds data read but not
 * yet returned, buf[start, scan) of it already searched for a newline;
 * end < cap always, so that a last line without a newline can be
 * NUL-terminated in place. */
typedef struct line_reader {
    gzFile gz;
    const char *path;
    char *buf;
    size_t cap, start, scan, end;
    size_t nul;    /* offset in buf of the first NUL byte read, or SIZE_MAX */
    size_t total;  /* bytes read (decompressed) so far */
    int eof;
    int zerr;      /* zlib error met at the end of the data, or Z_OK */
    char zmsg[96]; /* its message */
    size_t line;   /* 1-based number of the line last returned */
} line_reader;

/* zlib's message without the "path: " that gzerror puts in front. */
static const char *zlib_message(const char *msg, const char *path) {
    size_t n = strlen(path);
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') return msg + n + 2;
    return msg;
}

/* The message of a failed read: GD_EIO when the system failed, GD_EINVAL
 * when the data are not valid gzip (corrupt, or cut short). */
static gd_status read_error(gd_ctx *ctx, const line_reader *r, int errnum,
                            const char *msg) {
    if (errnum == Z_ERRNO)
        return gd_error(ctx, GD_EIO, "%s: line %zu: read failed: %s", r->path,
                        r->line + 1, msg);
    if (errnum == Z_MEM_ERROR)
        return gd_error(ctx, GD_ENOMEM, "%s: out of memory (zlib)", r->path);
    return gd_error(ctx, GD_EINVAL, "%s: line %zu: corrupt or truncated gzip data (%s)",
                    r->path, r->line + 1, msg);
}

/* The NUL byte at buf[r->nul], on the line beginning at buf[r->start]. */
static gd_status nul_error(gd_ctx *ctx, const line_reader *r) {
    return gd_error(ctx, GD_EINVAL, "%s: line %zu: a NUL byte at column %zu: not a text file",
                    r->path, r->line + 1, r->nul - r->start + 1);
}

static gd_status long_line(gd_ctx *ctx, const line_reader *r) {
    return gd_error(ctx, GD_EINVAL, "%s: line %zu: line longer than %zu bytes", r->path,
                    r->line + 1, GD_DATA_MAX_LINE);
}

/* Returns the next line in *line (NUL-terminated in place, without its
 * '\n', of length *len <= GD_DATA_MAX_LINE), or *line = NULL at the end of
 * the file. The line stays valid until the next call. A NUL byte is an
 * error at its line (no more data are read once one is seen), as is a
 * line longer than the bound (no more of it is read than the bound). */
static gd_status next_line(gd_ctx *ctx, line_reader *r, char **line, size_t *len) {
    *line = NULL;
    *len = 0;
    for (;;) {
        char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        const size_t stop = nl ? (size_t)(nl - r->buf) : r->end;
        if (r->nul < stop || (!nl && r->nul != SIZE_MAX)) return nul_error(ctx, r);
        if (stop - r->start > GD_DATA_MAX_LINE) return long_line(ctx, r);
        if (nl) {
            *nl = '\0';
            *line = r->buf + r->start;
            *len = (size_t)(nl - *line);
            r->start = r->scan = (size_t)(nl - r->buf) + 1;
            r->line++;
            return GD_OK;
        }
        r->scan = r->end;
        if (r->eof) {
            /* A read error is reported at the line it cut short, once the
             * complete lines before it have been returned. */
            if (r->zerr != Z_OK) return read_error(ctx, r, r->zerr, r->zmsg);
            if (r->start == r->end) return GD_OK;
            r->buf[r->end] = '\0';
            *line = r->buf + r->start;
            *len = r->end - r->start;
            r->start = r->scan = r->end;
            r->line++;
            return GD_OK;
        }
        if (r->total > GD_DATA_MAX_BYTES)
            return gd_error(ctx, GD_EINVAL,
                            "%s: line %zu: more than %zu MiB of data (decompressed): refused "
                            "(gdlab reads at most that much from one file)",
                            r->path, r->line + 1, GD_DATA_MAX_BYTES >> 20);
        /* Move the partial line to the front, grow if it fills the buffer,
         * and read more. The buffer never needs more than the longest line
         * allowed, its newline, the terminating NUL and a read's room. */
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->scan -= r->start;
            r->start = 0;
        }
        if (r->cap - r->end < 4096) {
            char *nb = gd_realloc(r->buf, 2 * r->cap);
            if (!nb) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", r->path);
            r->buf = nb;
            r->cap *= 2;
        }
        size_t want = r->cap - r->end - 1;
        if (want > GD_DATA_MAX_LINE + 2 - r->end) want = GD_DATA_MAX_LINE + 2 - r->end;
        if (want > GD_DATA_MAX_BYTES - r->total) want = GD_DATA_MAX_BYTES - r->total + 1;
        errno = 0;
        int got = gzread(r->gz, r->buf + r->end, (unsigned)want);
        int errnum = Z_OK;
        const char *msg = gzerror(r->gz, &errnum);
        /* zlib flags a truncated stream as soon as its input runs out,
         * while decompressed data are still to come: an error counts only
         * once a read returns nothing. */
        if (got <= 0) {
            r->eof = 1;
            if (got < 0 || errnum != Z_OK) {
                r->zerr = errnum != Z_OK ? errnum : Z_ERRNO;
                snprintf(r->zmsg, sizeof r->zmsg, "%s",
                         errnum == Z_ERRNO ? strerror(errno) : zlib_message(msg, r->path));
            }
        } else {
            const char *z = memchr(r->buf + r->end, '\0', (size_t)got);
            if (z) r->nul = (size_t)(z - r->buf);
            r->end += (size_t)got;
            r->total += (size_t)got;
        }
    }
}

/* ---- fields ------------------------------------------------------------ */

/* s[0, len) quoted for a message: at most 40 characters, bytes outside
 * printable ASCII shown as '?'. */
static void quote(char *dst, size_t cap, const char *s, size_t len) {
    size_t n = len > 40 ? 40 : len, i;
    GD_ASSERT(cap >= 44);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n < len) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

static int is_blank(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

static size_t count_fields(const char *s, size_t len) {
    size_t n = 1;
    for (const char *p = s; (p = memchr(p, ',', len - (size_t)(p - s))) != NULL; p++) n++;
    return n;
}

/* The largest class + 1 allowed: classes are whole numbers in [0, 1000). */
#define CSV_MAX_CLASSES 1000

static int is_class(double c) { return c >= 0.0 && c < CSV_MAX_CLASSES && c == floor(c); }

/* Parses the numeric fields of line[0, len) (NUL-terminated, commas
 * replaced by NULs as it goes) into out[0, nf). The caller has checked
 * that there are nf fields. With classes required (GD_DATA_CLASSES), the
 * last field must be a class. */
static gd_status parse_fields(gd_ctx *ctx, const line_reader *r, char *line,
                              size_t len, size_t nf, int classify, double *out) {
    char *p = line, *stop = line + len;
    for (size_t f = 0; f < nf; f++) {
        char *q = memchr(p, ',', (size_t)(stop - p));
        if (!q) q = stop;
        *q = '\0';
        /* A decimal number (gd_parse_decimal: no hex, inf or nan, no
         * overflow, no underflow to 0), blanks around it allowed. */
        const char *b = p, *e;
        while (*b == ' ' || *b == '\t') b++;
        double v;
        int why = gd_parse_decimal(b, &e, &v);
        while (*e == ' ' || *e == '\t') e++;
        char text[48];
        if (why == GD_NUM_OK && e != q) why = GD_NUM_NONE;
        if (why != GD_NUM_OK) {
            quote(text, sizeof text, p, (size_t)(q - p));
            return gd_error(ctx, GD_EINVAL, "%s: line %zu, field %zu: expected a number, got '%s'%s%s",
                            r->path, r->line, f + 1, text, why == GD_NUM_NONE ? "" : ": ",
                            why == GD_NUM_NONE ? "" : gd_parse_number_why(why));
        }
        if (f == nf - 1 && classify == GD_DATA_CLASSES && !is_class(v)) {
            const char *c = p;
            size_t cl = (size_t)(q - p);
            while (cl && (*c == ' ' || *c == '\t')) c++, cl--;
            while (cl && (c[cl - 1] == ' ' || c[cl - 1] == '\t')) cl--;
            quote(text, sizeof text, c, cl);
            return gd_error(ctx, GD_EINVAL,
                            "%s: line %zu, field %zu: class '%s': expected a whole number 0..%d",
                            r->path, r->line, f + 1, text, CSV_MAX_CLASSES - 1);
        }
        out[f] = v;
        p = q + 1;
    }
    return GD_OK;
}

/* A whole number >= 0 of the "n_samples,n_features" header, or -1. */
static double header_count(char *s) {
    const char *e;
    double v;
    while (*s == ' ' || *s == '\t') s++;
    if (gd_parse_decimal(s, &e, &v) != GD_NUM_OK) return -1.0;
    while (*e == ' ' || *e == '\t') e++;
    if (*e != '\0' || !(v >= 0.0 && v < 1e15) || v != floor(v)) return -1.0;
    return v;
}

/* ---- the loader -------------------------------------------------------- */

/* Reads the first line per `header`: sets *nf (fields per row) and, for
 * the counts header, *want_rows; for no header, *first is the line to
 * parse as data. */
static gd_status read_header(gd_ctx *ctx, line_reader *r, gd_data_csv_header header,
                             size_t *nf, size_t *want_rows, char **first, size_t *flen) {
    char *line;
    size_t len;
    gd_status st = next_line(ctx, r, &line, &len);
    if (st != GD_OK) return st;
    if (!line)
        return gd_error(ctx, GD_EINVAL, "%s: line 1: no data rows (the file is empty)", r->path);
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 byte order mark */
        line += 3;
        len -= 3;
    }
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    if (is_blank(line, len))
        return gd_error(ctx, GD_EINVAL, "%s: line 1: empty %s", r->path,
                        header == GD_DATA_CSV_HEADER_NONE ? "first line" : "header line");
    *nf = count_fields(line, len);
    *first = NULL;
    *want_rows = 0;
    if (header == GD_DATA_CSV_HEADER_NONE) {
        *first = line;
        *flen = len;
    } else if (header == GD_DATA_CSV_HEADER_COUNTS) {
        char *comma = memchr(line, ',', len), *comma2;
        double rows = -1.0, feats = -1.0;
        if (comma) {
            *comma = '\0';
            comma2 = memchr(comma + 1, ',', len - (size_t)(comma + 1 - line));
            if (comma2) *comma2 = '\0';
            rows = header_count(line);
            feats = header_count(comma + 1);
        }
        if (rows < 1.0 || feats < 1.0)
            return gd_error(ctx, GD_EINVAL,
                            "%s: line 1: expected 'n_samples,n_features,...' with "
                            "whole numbers >= 1", r->path);
        *want_rows = (size_t)rows;
        *nf = (size_t)feats + 1;
    }
    if (*nf < 2)
        return gd_error(ctx, GD_EINVAL,
                        "%s: line 1: 1 column; need at least 2 (the features, then "
                        "the target)", r->path);
    return GD_OK;
}

/* Grows ds->x (rows, d) and ds->y (rows) to room for cap2 rows. */
static int grow_rows(gd_dataset *ds, size_t cap2) {
    size_t d = ds->d;
    if (cap2 > (size_t)-1 / sizeof(double) / d) return -1;
    double *x = gd_realloc(ds->x, cap2 * d * sizeof *x);
    if (!x) return -1;
    ds->x = x;
    double *y = gd_realloc(ds->y, cap2 * sizeof *y);
    if (!y) return -1;
    ds->y = y;
    return 0;
}

/* The classification rule of data.h: classes when asked for and every
 * target is a whole number in [0, 1000); k = largest + 1. (With classes
 * required, parse_fields has refused any other target.) */
static void classify_targets(gd_dataset *ds, int classify) {
    ds->k = 0;
    if (classify == GD_DATA_VALUES) return;
    double top = 0.0;
    for (size_t i = 0; i < ds->n; i++) {
        double c = ds->y[i];
        if (!is_class(c)) return;
        if (c > top) top = c;
    }
    for (size_t i = 0; i < ds->n; i++) ds->y[i] += 0.0; /* -0 becomes +0 */
    ds->k = (size_t)top + 1;
}

static gd_status read_rows(gd_ctx *ctx, line_reader *r, gd_data_csv_header header,
                           int classify, gd_dataset *ds) {
    size_t nf = 0, want_rows = 0, cap = 0, blank_at = 0, flen = 0, len = 0;
    char *line = NULL;
    gd_status st = read_header(ctx, r, header, &nf, &want_rows, &line, &flen);
    if (st != GD_OK) return st;
    ds->d = nf - 1;
    /* The row buffer is allocated once a line has shown nf fields, so that
     * a counts header promising 10^14 features fails on the data rather
     * than on a huge allocation. */
    double *row = NULL;
    len = flen;
    if (!line) st = next_line(ctx, r, &line, &len);
    for (; st == GD_OK && line; st = next_line(ctx, r, &line, &len)) {
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (is_blank(line, len)) {
            if (!blank_at) blank_at = r->line;
            continue;
        }
        if (blank_at) {
            st = gd_error(ctx, GD_EINVAL,
                          "%s: line %zu: empty line (only trailing blank lines are allowed)",
                          r->path, blank_at);
            break;
        }
        size_t got = count_fields(line, len);
        if (got != nf) {
            st = gd_error(ctx, GD_EINVAL, "%s: line %zu: %zu fields, expected %zu (%s)",
                          r->path, r->line, got, nf,
                          header == GD_DATA_CSV_HEADER_NONE ? "as on line 1"
                                                           : "as in the header");
            break;
        }
        if (!row && !(row = gd_malloc(nf * sizeof *row))) {
            st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", r->path);
            break;
        }
        st = parse_fields(ctx, r, line, len, nf, classify, row);
        if (st != GD_OK) break;
        if (ds->n + 1 > GD_DATA_MAX_VALUES / nf) {
            st = gd_error(ctx, GD_EINVAL, "%s: line %zu: more than %zu numbers: refused (gdlab holds at "
                          "most that many in one data set)", r->path, r->line, GD_DATA_MAX_VALUES);
            break;
        }
        if (ds->n == cap) {
            size_t cap2 = cap ? 2 * cap : 16;
            if (cap2 > GD_DATA_MAX_VALUES / nf) cap2 = GD_DATA_MAX_VALUES / nf;
            if (cap2 < cap || grow_rows(ds, cap2)) {
                st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", r->path);
                break;
            }
            cap = cap2;
        }
        memcpy(ds->x + ds->n * ds->d, row, ds->d * sizeof *row);
        ds->y[ds->n++] = row[nf - 1];
    }
    gd_free(row);
    if (st != GD_OK) return st;
    if (ds->n == 0)
        return gd_error(ctx, GD_EINVAL, "%s: line %zu: no data rows (only %s)", r->path,
                        blank_at ? blank_at : r->line + 1,
                        header == GD_DATA_CSV_HEADER_NONE ? "blank lines" : "a header line");
    if (header == GD_DATA_CSV_HEADER_COUNTS && ds->n != want_rows)
        return gd_error(ctx, GD_EINVAL, "%s: line %zu: %zu data rows, but line 1 says %zu",
                        r->path, r->line, ds->n, want_rows);
    /* Give back the unused capacity (keeping it if that fails). */
    double *x = gd_realloc(ds->x, ds->n * ds->d * sizeof *x);
    if (x) ds->x = x;
    double *y = gd_realloc(ds->y, ds->n * sizeof *y);
    if (y) ds->y = y;
    classify_targets(ds, classify);
    return GD_OK;
}

/* Opens path (plain or gzip), runs body on its lines, closes it; a gzip
 * error met at the close fails a body that succeeded. */
typedef gd_status (*reader_body)(gd_ctx *ctx, line_reader *r, void *arg);

static gd_status with_reader(gd_ctx *ctx, const char *path, reader_body body, void *arg) {
    line_reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.cap = 1 << 16;
    r.buf = gd_malloc(r.cap);
    if (!r.buf) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
    r.nul = SIZE_MAX;
    void *gz = NULL;
    gd_status st = gd_data_open(ctx, path, &gz, NULL);
    r.gz = gz;
    if (st == GD_OK) {
        st = body(ctx, &r, arg);
        int zc = gzclose_r(r.gz);
        if (st == GD_OK && zc != Z_OK)
            st = gd_error(ctx, zc == Z_ERRNO ? GD_EIO : GD_EINVAL,
                          "%s: line %zu: corrupt or truncated gzip data", path, r.line);
    }
    gd_free(r.buf);
    return st;
}

typedef struct rows_arg {
    gd_data_csv_header header;
    int classify;
    gd_dataset *ds;
} rows_arg;

static gd_status rows_body(gd_ctx *ctx, line_reader *r, void *arg) {
    rows_arg *a = arg;
    return read_rows(ctx, r, a->header, a->classify, a->ds);
}

gd_status gd_data_csv_read(gd_ctx *ctx, const char *path, const char *name,
                           gd_data_csv_header header, int classify, gd_dataset **out) {
    GD_ASSERT(path != NULL && out != NULL);
    *out = NULL;
    gd_dataset *ds = gd_calloc(1, sizeof *ds);
    if (ds) ds->name = gd_strdup(name ? name : path);
    if (!ds || !ds->name) {
        gd_data_free(ds);
        return gd_error(ctx, GD_ENOMEM, "%s: out of memory", path);
    }
    rows_arg a = {header, classify, ds};
    const gd_status st = with_reader(ctx, path, rows_body, &a);
    if (st != GD_OK) {
        gd_data_free(ds);
        return st;
    }
    *out = ds;
    return GD_OK;
}

gd_status gd_data_load_csv(gd_ctx *ctx, const char *path, int classify,
                           gd_dataset **out) {
    return gd_data_csv_read(ctx, path, NULL, GD_DATA_CSV_HEADER_NAMES, classify, out);
}

/* ---- named columns ----------------------------------------------------- */

/* Field f of line[0, len) (commas not yet replaced): its start and length. */
static int field_at(const char *line, size_t len, size_t f, const char **s, size_t *flen) {
    const char *p = line, *stop = line + len;
    for (size_t i = 0; i < f; i++) {
        const char *q = memchr(p, ',', (size_t)(stop - p));
        if (!q) return 0;
        p = q + 1;
    }
    const char *q = memchr(p, ',', (size_t)(stop - p));
    *s = p, *flen = (size_t)((q ? q : stop) - p);
    return 1;
}

/* s[0, len) without surrounding blanks and one pair of double quotes. */
static void trim(const char **s, size_t *len) {
    while (*len && (**s == ' ' || **s == '\t')) (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r')) (*len)--;
    if (*len >= 2 && **s == '"' && (*s)[*len - 1] == '"') (*s)++, *len -= 2;
}

static gd_status columns_read(gd_ctx *ctx, line_reader *r, size_t k, const char *const *names, double **out,
                              size_t **lines, size_t *n) {
    char *line;
    size_t len;
    gd_status st = next_line(ctx, r, &line, &len);
    if (st != GD_OK) return st;
    if (!line || is_blank(line, len)) return gd_error(ctx, GD_EINVAL, "%s: line 1: no header line of column names", r->path);
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) line += 3, len -= 3;
    const size_t nf = count_fields(line, len);
    size_t idx[16];
    GD_ASSERT(k <= 16);
    for (size_t j = 0; j < k; j++) {
        idx[j] = (size_t)-1;
        for (size_t f = 0; f < nf && idx[j] == (size_t)-1; f++) {
            const char *s;
            size_t fl;
            field_at(line, len, f, &s, &fl);
            trim(&s, &fl);
            if (fl == strlen(names[j]) && !memcmp(s, names[j], fl)) idx[j] = f;
        }
        if (idx[j] == (size_t)-1) {
            char hdr[200];
            quote(hdr, sizeof hdr, line, len);
            return gd_error(ctx, GD_EINVAL, "%s: line 1: no column '%s' (the header is '%s')", r->path, names[j], hdr);
        }
    }
    size_t cap = 256, rows = 0;
    double *v = gd_malloc(cap * k * sizeof *v);
    size_t *ln = gd_malloc(cap * sizeof *ln);
    if (!v || !ln) st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", r->path);
    while (st == GD_OK) {
        if ((st = next_line(ctx, r, &line, &len)) != GD_OK || !line) break;
        if (is_blank(line, len) || (len == 1 && line[0] == '\r')) continue;
        if (rows + 1 > GD_DATA_MAX_VALUES / k) {
            st = gd_error(ctx, GD_EINVAL, "%s: line %zu: more than %zu rows: refused (gdlab reads at most "
                          "%zu numbers from one file)", r->path, r->line, GD_DATA_MAX_VALUES / k,
                          GD_DATA_MAX_VALUES);
            break;
        }
        if (rows == cap) {
            const size_t cap2 = 2 * cap < GD_DATA_MAX_VALUES / k ? 2 * cap : GD_DATA_MAX_VALUES / k;
            double *v2 = gd_realloc(v, cap2 * k * sizeof *v);
            size_t *l2 = v2 ? gd_realloc(ln, cap2 * sizeof *ln) : NULL;
            if (v2) v = v2;
            if (l2) ln = l2;
            if (!v2 || !l2) { st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", r->path); break; }
            cap = cap2;
        }
        for (size_t j = 0; j < k && st == GD_OK; j++) {
            const char *s;
            size_t fl;
            if (!field_at(line, len, idx[j], &s, &fl)) {
                st = gd_error(ctx, GD_EINVAL, "%s: line %zu: %zu fields, no column '%s' (field %zu)", r->path, r->line,
                              count_fields(line, len), names[j], idx[j] + 1);
                break;
            }
            trim(&s, &fl);
            char buf[64], text[48];
            quote(text, sizeof text, s, fl);
            double x = GD_NAN;
            int why = GD_NUM_NONE;
            if (fl > 0 && fl < sizeof buf) {
                memcpy(buf, s, fl), buf[fl] = '\0';
                why = gd_parse_number(buf, &x); /* decimal: no hex, inf, nan, overflow or underflow */
            }
            if (why != GD_NUM_OK)
                st = gd_error(ctx, GD_EINVAL, "%s: line %zu, column '%s': expected a finite number, got '%s'%s%s",
                              r->path, r->line, names[j], text, why == GD_NUM_NONE ? "" : ": ",
                              why == GD_NUM_NONE ? "" : gd_parse_number_why(why));
            v[rows * k + j] = x;
        }
        ln[rows++] = r->line;
    }
    if (st == GD_OK && rows == 0) st = gd_error(ctx, GD_EINVAL, "%s: no data rows after the header", r->path);
    if (st != GD_OK) {
        gd_free(v), gd_free(ln);
        return st;
    }
    *out = v, *lines = ln, *n = rows;
    return GD_OK;
}

typedef struct columns_arg {
    size_t k;
    const char *const *names;
    double **out;
    size_t **lines, *n;
} columns_arg;

static gd_status columns_body(gd_ctx *ctx, line_reader *r, void *arg) {
    columns_arg *a = arg;
    return columns_read(ctx, r, a->k, a->names, a->out, a->lines, a->n);
}

gd_status gd_data_load_columns(gd_ctx *ctx, const char *path, size_t k, const char *const *names, double **out,
                               size_t **lines, size_t *n) {
    GD_ASSERT(path && names && out && lines && n && k >= 1 && k <= 16);
    *out = NULL, *lines = NULL, *n = 0;
    columns_arg a = {k, names, out, lines, n};
    const gd_status st = with_reader(ctx, path, columns_body, &a);
    if (st != GD_OK) gd_free(*out), gd_free(*lines), *out = NULL, *lines = NULL, *n = 0;
    return st;
}
