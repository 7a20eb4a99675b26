/* CSV sink: one series as a header line of column names, then one line per
 * row with every value as %.17g, which reads back (strtod) to the same
 * double. Non-finite values print as C's "nan", "inf" and "-inf", which
 * strtod also reads back. Column names that contain a comma, a quote or a
 * line break are quoted as RFC 4180 says. */
#include "gdlab/io.h"

#include <math.h>
#include <string.h>

#include "io_internal.h"

static void put_field(gd_io_buf *b, const char *s) {
    if (strpbrk(s, ",\"\r\n") == NULL) {
        gd_io_buf_puts(b, s);
        return;
    }
    gd_io_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"') gd_io_buf_putc(b, '"');
        gd_io_buf_putc(b, *s);
    }
    gd_io_buf_putc(b, '"');
}

gd_status gd_io_write_csv(gd_ctx *ctx, const gd_series *s, const char *path) {
    GD_ASSERT(s != NULL && path != NULL);
    gd_io_buf b;
    gd_io_buf_init(&b);
    for (size_t j = 0; j < s->ncols; j++) {
        if (j) gd_io_buf_putc(&b, ',');
        put_field(&b, s->cols[j]);
    }
    gd_io_buf_putc(&b, '\n');
    for (size_t i = 0; i < s->nrows && !b.failed; i++) {
        const double *row = s->data + i * s->ncols;
        for (size_t j = 0; j < s->ncols; j++)
            if (isnan(row[j])) gd_io_buf_printf(&b, j ? ",nan" : "nan"); /* never "-nan" */
            else gd_io_buf_printf(&b, j ? ",%.17g" : "%.17g", row[j]);
        gd_io_buf_putc(&b, '\n');
    }
    gd_status st = gd_io_buf_write(ctx, &b, path);
    gd_io_buf_free(&b);
    return st;
}
