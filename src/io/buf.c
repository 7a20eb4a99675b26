/* The io module's text buffer (io_internal.h) and path joining. */
#include "io_internal.h"

#include <stdio.h>
#include <string.h>

#include "gdlab/io.h"

void gd_io_buf_init(gd_io_buf *b) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void gd_io_buf_free(gd_io_buf *b) {
    gd_free(b->data);
    gd_io_buf_init(b);
}

/* Ensures room for n more bytes plus the terminating NUL. */
static int reserve(gd_io_buf *b, size_t n) {
    if (b->failed) return 0;
    if (n > (size_t)-1 / 2 - b->len - 1) {
        b->failed = 1;
        return 0;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *d = gd_realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return 0;
    }
    b->data = d;
    b->cap = cap;
    return 1;
}

void gd_io_buf_put(gd_io_buf *b, const char *s, size_t n) {
    if (!reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gd_io_buf_puts(gd_io_buf *b, const char *s) {
    gd_io_buf_put(b, s, strlen(s));
}

void gd_io_buf_putc(gd_io_buf *b, char c) { gd_io_buf_put(b, &c, 1); }

void gd_io_buf_printf(gd_io_buf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n > 0 && reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

gd_status gd_io_buf_write(gd_ctx *ctx, const gd_io_buf *b, const char *path) {
    if (b->failed)
        return gd_error(ctx, GD_ENOMEM, "%s: out of memory building the file",
                        path);
    return gd_io_write_atomic(ctx, path, b->data ? b->data : "", b->len);
}

char *gd_io_path_join3(const char *dir, const char *name, const char *suffix) {
    size_t nd = dir ? strlen(dir) : 0, nn = strlen(name), ns = strlen(suffix);
    int slash = nd > 0 && dir[nd - 1] != '/';
    char *p = gd_malloc(nd + (size_t)slash + nn + ns + 1);
    if (!p) return NULL;
    if (nd) memcpy(p, dir, nd);
    if (slash) p[nd] = '/';
    memcpy(p + nd + (size_t)slash, name, nn);
    memcpy(p + nd + (size_t)slash + nn, suffix, ns + 1);
    return p;
}

char *gd_io_path_join(const char *dir, const char *name) {
    return gd_io_path_join3(dir, name, "");
}
