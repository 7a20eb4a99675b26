/* libFuzzer target: the CSV reader behind --data files and --A
 * (gd_data_csv_read). The first byte chooses the header convention (names,
 * none, counts), whether targets are classified, and gzip; the rest is the
 * file. Properties: a rejection is GD_EINVAL with out NULL and a message
 * that starts with the path and names a line; a data set has n, d >= 1,
 * finite features, finite targets, and classes that are whole numbers in
 * [0, k). */
#include "fuzz.h"

#include <math.h>
#include <zlib.h>

#include "data/data_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const int h = data[0] % 3, classify = (data[0] >> 2) & 1, gz = (data[0] >> 3) & 1;
    const char *path = fuzz_file("a", data + 1, size - 1);
    if (gz) {
        gzFile g = gzopen(path, "wb1");
        if (!g || (size > 1 && gzwrite(g, data + 1, (unsigned)(size - 1)) != (int)(size - 1)) || gzclose(g) != Z_OK) abort();
    }
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = (gd_dataset *)&ctx;
    gd_status st = gd_data_csv_read(&ctx, path, NULL, (gd_data_csv_header)h, classify, &ds);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL && ds == NULL, "a rejection is GD_EINVAL with out NULL");
        FUZZ_CHECK(strncmp(ctx.err, path, strlen(path)) == 0, "a rejection starts with the path");
        FUZZ_CHECK(strstr(ctx.err, "line ") != NULL, "a rejection names the line");
        return 0;
    }
    FUZZ_CHECK(ds && ds->n >= 1 && ds->d >= 1 && ds->x && ds->y && ds->name, "a data set has n, d >= 1");
    for (size_t i = 0; i < ds->n * ds->d; i++) FUZZ_CHECK(isfinite(ds->x[i]), "features are finite");
    for (size_t i = 0; i < ds->n; i++) {
        FUZZ_CHECK(isfinite(ds->y[i]), "targets are finite");
        if (ds->k) FUZZ_CHECK(ds->y[i] >= 0 && ds->y[i] < (double)ds->k && ds->y[i] == floor(ds->y[i]), "classes in [0, k)");
    }
    FUZZ_CHECK(!ds->k || classify, "classes only when classifying");
    gd_data_free(ds);
    return 0;
}
