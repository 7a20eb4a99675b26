/* The IDX loader (the format of MNIST and Fashion-MNIST, LeCun et al.):
 * a big-endian header, magic 0x00 0x00 <type> <ndims> then ndims 32-bit
 * sizes, then the data row-major. gdlab reads unsigned-byte images
 * (0x00000803: n, rows, cols) and labels (0x00000801: n), plain or gzip
 * (zlib's gzread reads both).
 *
 * The data length is checked against the dimensions in both directions:
 * a file cut short and a file with bytes left over are errors that give
 * the expected and the actual number of bytes. The dimensions' product is
 * bounded by GD_DATA_MAX_VALUES (data_internal.h) before anything is
 * allocated; a plain file's length is compared with it from the file's
 * size, before any data are read; a gzip file's data are read into a
 * buffer that grows as they arrive, so that a corrupt header fails on the
 * data actually there, not on a large allocation, and bytes left over are
 * counted up to GD_DATA_MAX_BYTES only.
 *
 * Labels are classes counted from 0 with none left out: K, the number of
 * classes, is the smallest label value absent from the file, and a label
 * >= K is refused at its index ("label 200 at index 17: expected a class
 * 0..9"). Unsigned bytes make K <= 256. Without the rule one stray 200 in
 * a ten-class file made 201 classes, 191 of them empty. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "data/data_internal.h"

#define IDX_UBYTE 0x08

/* One IDX file's contents. */
typedef struct idx_file {
    const char *path;
    size_t dims[3];      /* sizes from the header */
    unsigned char *data; /* (dims[0] * ... ) bytes */
    size_t len;
} idx_file;

/* Reads up to `want` bytes into buf; *got is how many (fewer only at the
 * end of the data). `at` is the offset of buf in the uncompressed data,
 * for messages. */
static gd_status read_bytes(gd_ctx *ctx, gzFile gz, const char *path, size_t at,
                            unsigned char *buf, size_t want, size_t *got) {
    *got = 0;
    while (*got < want) {
        size_t chunk = want - *got;
        if (chunk > INT_MAX / 2) chunk = INT_MAX / 2;
        errno = 0;
        int n = gzread(gz, buf + *got, (unsigned)chunk);
        int errnum = Z_OK;
        const char *msg = gzerror(gz, &errnum);
        if (n < 0 || (n == 0 && errnum != Z_OK)) {
            size_t off = at + *got;
            if (errnum == Z_ERRNO)
                return gd_error(ctx, GD_EIO, "%s: byte %zu: read failed: %s", path, off,
                                strerror(errno));
            if (errnum == Z_MEM_ERROR)
                return gd_error(ctx, GD_ENOMEM, "%s: out of memory (zlib)", path);
            size_t plen = strlen(path);
            if (strncmp(msg, path, plen) == 0 && msg[plen] == ':' && msg[plen + 1] == ' ')
                msg += plen + 2;
            return gd_error(ctx, GD_EINVAL, "%s: byte %zu: corrupt or truncated gzip data (%s)",
                            path, off, msg);
        }
        if (n == 0) break;
        *got += (size_t)n;
    }
    return GD_OK;
}

/* Reads and checks an IDX file of unsigned bytes with `ndims` dimensions
 * (1 or 3) into f. */
/* "n x rows x cols" (images) or "n" (labels), for messages. */
static void shape_text(const idx_file *f, unsigned ndims, char *buf, size_t n) {
    if (ndims == 3) snprintf(buf, n, "%zu x %zu x %zu", f->dims[0], f->dims[1], f->dims[2]);
    else snprintf(buf, n, "%zu", f->dims[0]);
}

static gd_status read_idx(gd_ctx *ctx, idx_file *f, unsigned ndims) {
    unsigned char head[16];
    size_t hlen = 4 + 4 * (size_t)ndims, got, i, extra = 0;
    f->data = NULL;
    f->len = 0;
    void *g = NULL;
    unsigned long long fsize = 0;
    gd_status st = gd_data_open(ctx, f->path, &g, &fsize);
    if (st != GD_OK) return st;
    gzFile gz = g;
    /* The magic number first, so that a wrong kind of file is named as
     * such even when it is shorter than the header expected. */
    st = read_bytes(ctx, gz, f->path, 0, head, 4, &got);
    if (st == GD_OK && got == 4) {
        st = read_bytes(ctx, gz, f->path, 4, head + 4, hlen - 4, &got);
        got += 4;
    }
    if (st != GD_OK) goto done;
    if (got < 4) goto short_header;
    unsigned long magic = (unsigned long)head[0] << 24 | (unsigned long)head[1] << 16 |
                          (unsigned long)head[2] << 8 | head[3];
    unsigned long want_magic = (unsigned long)IDX_UBYTE << 8 | ndims;
    if (magic != want_magic) {
        st = gd_error(ctx, GD_EINVAL,
                      "%s: byte 0: magic number 0x%08lx, expected 0x%08lx "
                      "(IDX %s of unsigned bytes)", f->path, magic, want_magic,
                      ndims == 3 ? "images" : "labels");
        goto done;
    }
    if (got < hlen) goto short_header;
    size_t total = 1;
    for (i = 0; i < ndims; i++) {
        const unsigned char *b = head + 4 + 4 * i;
        f->dims[i] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
        if (f->dims[i] == 0) {
            st = gd_error(ctx, GD_EINVAL, "%s: byte %zu: dimension %zu is 0", f->path,
                          4 + 4 * i, i + 1);
            goto done;
        }
        if (total > (size_t)-1 / f->dims[i]) {
            st = gd_error(ctx, GD_EINVAL, "%s: the dimensions overflow", f->path);
            goto done;
        }
        total *= f->dims[i];
    }
    if (total > GD_DATA_MAX_VALUES) {
        char shape[80];
        shape_text(f, ndims, shape, sizeof shape);
        st = gd_error(ctx, GD_EINVAL,
                      "%s: byte 4: the header's dimensions (%s) make %zu values, more than the %zu "
                      "gdlab reads from one file", f->path, shape, total, GD_DATA_MAX_VALUES);
        goto done;
    }
    /* A plain file: its size says now whether the data are all there. */
    if (gzdirect(gz) && fsize != (unsigned long long)hlen + total) {
        f->len = fsize > hlen ? (size_t)(fsize - hlen) : 0;
        goto bad_length;
    }
    /* The data, in a buffer that doubles as it fills, up to total bytes. */
    size_t cap = total < ((size_t)1 << 20) ? total : (size_t)1 << 20;
    f->data = gd_malloc(cap);
    if (!f->data) {
        st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", f->path);
        goto done;
    }
    for (;;) {
        st = read_bytes(ctx, gz, f->path, hlen + f->len, f->data + f->len, cap - f->len, &got);
        if (st != GD_OK) goto done;
        f->len += got;
        if (f->len < cap || cap == total) break;
        size_t cap2 = cap > total / 2 ? total : 2 * cap;
        unsigned char *nb = gd_realloc(f->data, cap2);
        if (!nb) {
            st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", f->path);
            goto done;
        }
        f->data = nb;
        cap = cap2;
    }
    /* Count what is left over, if anything. */
    if (f->len == total) {
        unsigned char scratch[4096];
        do {
            st = read_bytes(ctx, gz, f->path, hlen + f->len + extra, scratch, sizeof scratch, &got);
            if (st != GD_OK) goto done;
            extra += got;
        } while (got == sizeof scratch && extra <= GD_DATA_MAX_BYTES);
    }
    if (f->len != total || extra != 0) {
    bad_length:;
        char shape[80];
        shape_text(f, ndims, shape, sizeof shape);
        st = gd_error(ctx, GD_EINVAL,
                      "%s: %s: the header's dimensions (%s) need %zu data bytes after "
                      "the %zu-byte header, the file has %s%zu", f->path,
                      extra || f->len > total ? "bytes left over" : "truncated", shape, total, hlen,
                      extra > GD_DATA_MAX_BYTES ? "more than " : "", f->len + extra);
        goto done;
    }
    goto done;
short_header:
    st = gd_error(ctx, GD_EINVAL, "%s: truncated header: expected %zu bytes, the file has %zu",
                  f->path, hlen, got);
done:;
    int zc = gzclose_r(gz);
    if (st == GD_OK && zc != Z_OK)
        st = gd_error(ctx, zc == Z_ERRNO ? GD_EIO : GD_EINVAL,
                      "%s: corrupt or truncated gzip data", f->path);
    if (st != GD_OK) {
        gd_free(f->data);
        f->data = NULL;
    }
    return st;
}

/* The rule of the header comment: labels 0..K-1 with K the smallest value
 * absent; the first label >= K is named with its index. */
static gd_status check_labels(gd_ctx *ctx, const idx_file *lb) {
    unsigned char seen[256] = {0};
    unsigned k = 0;
    for (size_t i = 0; i < lb->len; i++) seen[lb->data[i]] = 1;
    while (k < 256 && seen[k]) k++;
    for (size_t i = 0; i < lb->len; i++) {
        if (lb->data[i] < k) continue;
        if (k == 0)
            return gd_error(ctx, GD_EINVAL, "%s: label %u at index %zu: no label is 0 (classes are "
                            "counted from 0, none left out)", lb->path, lb->data[i], i);
        return gd_error(ctx, GD_EINVAL, "%s: label %u at index %zu: expected a class 0..%u (no label "
                        "is %u; classes are counted from 0, none left out)", lb->path, lb->data[i], i,
                        k - 1, k);
    }
    return GD_OK;
}

gd_status gd_data_idx_read(gd_ctx *ctx, const char *images, const char *labels,
                           const char *name, gd_dataset **out) {
    GD_ASSERT(images != NULL && labels != NULL && out != NULL);
    *out = NULL;
    idx_file im = {images, {0, 0, 0}, NULL, 0}, lb = {labels, {0, 0, 0}, NULL, 0};
    gd_status st = read_idx(ctx, &im, 3);
    if (st == GD_OK) st = read_idx(ctx, &lb, 1);
    if (st == GD_OK && lb.dims[0] != im.dims[0])
        st = gd_error(ctx, GD_EINVAL, "%s: byte 4: %zu labels, but %s has %zu images",
                      labels, lb.dims[0], images, im.dims[0]);
    gd_dataset *ds = NULL;
    if (st == GD_OK) st = check_labels(ctx, &lb);
    if (st == GD_OK) {
        ds = gd_data_alloc(name ? name : images, im.dims[0], im.dims[1] * im.dims[2]);
        if (!ds) st = gd_error(ctx, GD_ENOMEM, "%s: out of memory", images);
    }
    if (st == GD_OK) {
        /* Pixels 0..255 scaled to [0, 1]; classes 0..max label. */
        unsigned top = 0;
        for (size_t i = 0; i < im.len; i++) ds->x[i] = (double)im.data[i] / 255.0;
        for (size_t i = 0; i < lb.len; i++) {
            ds->y[i] = (double)lb.data[i];
            if (lb.data[i] > top) top = lb.data[i];
        }
        ds->k = (size_t)top + 1;
        *out = ds;
    }
    gd_free(im.data);
    gd_free(lb.data);
    return st;
}

gd_status gd_data_load_idx(gd_ctx *ctx, const char *images, const char *labels,
                           gd_dataset **out) {
    return gd_data_idx_read(ctx, images, labels, NULL, out);
}
