/* libFuzzer target: the IDX reader (gd_data_idx_read, MNIST's format).
 * The first two bytes give the length of the image file (big-endian,
 * clipped to the input); the rest is the label file. Properties: a
 * rejection is GD_EINVAL with out NULL and a message that starts with one
 * of the two paths; a data set has n, d >= 1, features in [0, 1] (bytes
 * scaled) or at least finite, and labels whole numbers in [0, k). */
#include "fuzz.h"

#include <math.h>

#include "data/data_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t ni = ((size_t)data[0] << 8 | data[1]);
    if (ni > size - 2) ni = size - 2;
    const char *im = fuzz_file("a", data + 2, ni), *lb = fuzz_file("b", data + 2 + ni, size - 2 - ni);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = (gd_dataset *)&ctx;
    gd_status st = gd_data_idx_read(&ctx, im, lb, NULL, &ds);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL && ds == NULL, "a rejection is GD_EINVAL with out NULL");
        FUZZ_CHECK(strncmp(ctx.err, im, strlen(im)) == 0 || strncmp(ctx.err, lb, strlen(lb)) == 0,
                   "a rejection starts with a path");
        return 0;
    }
    FUZZ_CHECK(ds && ds->n >= 1 && ds->d >= 1 && ds->x && ds->y, "a data set has n, d >= 1");
    for (size_t i = 0; i < ds->n * ds->d; i++) FUZZ_CHECK(isfinite(ds->x[i]), "features are finite");
    for (size_t i = 0; i < ds->n; i++)
        FUZZ_CHECK(ds->k && ds->y[i] >= 0 && ds->y[i] < (double)ds->k && ds->y[i] == floor(ds->y[i]), "labels in [0, k)");
    gd_data_free(ds);
    return 0;
}
