/* libFuzzer target: the CSV reader behind --data files and --A
 * (gd_data_csv_read). The first byte chooses the header convention (names,
 * none, counts: byte % 3) and gzip (bit 3); the rest is the file. The file
 * is read three times, with targets as values, as classes when whole and
 * as classes required (data.h). Properties:
 *   - a rejection is GD_EINVAL with out NULL and a message that starts
 *     with the path and names a line;
 *   - a data set has n, d >= 1, n * (d + 1) within the bound, finite
 *     features and targets, classes whole numbers in [0, k);
 *   - the three readings agree: the same status (except classes required
 *     refusing a target, "class '...'"), the same numbers; k = 0 as
 *     values; classes required succeed exactly when classes-if-whole
 *     finds classes (k >= 1), with the same k;
 *   - the file is left as it was. */
#include "fuzz.h"

#include <math.h>
#include <zlib.h>

#include "data/data_internal.h"


static gd_status load(const char *path, int h, int classify, gd_dataset **ds, char *err) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    *ds = (gd_dataset *)&ctx;
    gd_status st = gd_data_csv_read(&ctx, path, NULL, (gd_data_csv_header)h, classify, ds);
    memcpy(err, ctx.err, sizeof ctx.err);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL && *ds == NULL, "a rejection is GD_EINVAL with out NULL");
        FUZZ_CHECK(strncmp(ctx.err, path, strlen(path)) == 0, "a rejection starts with the path");
        FUZZ_CHECK(strstr(ctx.err, "line ") != NULL, "a rejection names the line");
        return st;
    }
    gd_dataset *d = *ds;
    FUZZ_CHECK(d && d->n >= 1 && d->d >= 1 && d->x && d->y && d->name, "a data set has n, d >= 1");
    FUZZ_CHECK(d->n <= GD_DATA_MAX_VALUES / (d->d + 1), "n * (d + 1) within the bound");
    for (size_t i = 0; i < d->n * d->d; i++) FUZZ_CHECK(isfinite(d->x[i]), "features are finite");
    for (size_t i = 0; i < d->n; i++) {
        FUZZ_CHECK(isfinite(d->y[i]), "targets are finite");
        if (d->k) FUZZ_CHECK(d->y[i] >= 0 && d->y[i] < (double)d->k && d->y[i] == floor(d->y[i]), "classes in [0, k)");
    }
    FUZZ_CHECK(!d->k || classify != GD_DATA_VALUES, "classes only when classifying");
    FUZZ_CHECK(d->k || classify != GD_DATA_CLASSES, "classes required give classes");
    return st;
}

static int same_numbers(const gd_dataset *a, const gd_dataset *b) {
    if (a->n != b->n || a->d != b->d) return 0;
    for (size_t i = 0; i < a->n * a->d; i++)
        if (a->x[i] != b->x[i]) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->y[i] != b->y[i]) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const int h = data[0] % 3, gz = (data[0] >> 3) & 1;
    const char *path = fuzz_file("a", data + 1, size - 1);
    if (gz) {
        gzFile g = gzopen(path, "wb1");
        if (!g || (size > 1 && gzwrite(g, data + 1, (unsigned)(size - 1)) != (int)(size - 1)) || gzclose(g) != Z_OK) abort();
    }
    size_t before_n, after_n;
    uint8_t *before = fuzz_slurp(path, &before_n);
    static char ev[sizeof ((gd_ctx *)0)->err], ew[sizeof ev], ec[sizeof ev];
    gd_dataset *v, *w, *c;
    gd_status sv = load(path, h, GD_DATA_VALUES, &v, ev);
    gd_status sw = load(path, h, GD_DATA_CLASSES_IF_WHOLE, &w, ew);
    gd_status sc = load(path, h, GD_DATA_CLASSES, &c, ec);
    FUZZ_CHECK(sv == sw, "values and classes-if-whole: the same status");
    if (sv != GD_OK) FUZZ_CHECK(!strcmp(ev, ew), "values and classes-if-whole: the same message");
    if (sv == GD_OK) {
        FUZZ_CHECK(v->k == 0 && same_numbers(v, w), "values and classes-if-whole: the same numbers");
        FUZZ_CHECK((sc == GD_OK) == (w->k >= 1), "classes required succeed exactly when classes are found");
        if (sc == GD_OK) FUZZ_CHECK(c->k == w->k && same_numbers(c, w), "classes required: the same classes");
        else FUZZ_CHECK(strstr(ec, ": class '") != NULL, "classes required refuse a target naming it");
    } else {
        FUZZ_CHECK(sc != GD_OK, "classes required refuse what the others refuse");
    }
    gd_data_free(v), gd_data_free(w), gd_data_free(c);
    uint8_t *after = fuzz_slurp(path, &after_n);
    FUZZ_CHECK(before_n == after_n && !memcmp(before, after, before_n), "the file is left as it was");
    free(before), free(after);
    return 0;
}
