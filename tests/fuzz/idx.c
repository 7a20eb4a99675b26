/* libFuzzer target: the IDX reader (gd_data_idx_read, MNIST's format).
 * The first two bytes give the length of the image file (big-endian,
 * clipped to the input), bit 7 of the first byte gzips both files (and is
 * left out of the length); the rest is the label file. Properties:
 *   - a rejection is GD_EINVAL with out NULL and a message that starts
 *     with one of the two paths;
 *   - a data set has n, d >= 1, n * d within the bound, features that are
 *     bytes / 255 (in [0, 1], times 255 whole), labels whole numbers in
 *     [0, k) with every class 0..k-1 present (classes counted from 0, none
 *     left out), and n and d as the image header says;
 *   - the files are left as they were. */
#include "fuzz.h"

#include <math.h>
#include <zlib.h>

#include "data/data_internal.h"

static void gzip_file(const char *path, const uint8_t *data, size_t n) {
    gzFile g = gzopen(path, "wb1");
    if (!g || (n && gzwrite(g, data, (unsigned)n) != (int)n) || gzclose(g) != Z_OK) abort();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const int gz = data[0] >> 7;
    size_t ni = ((size_t)(data[0] & 0x7f) << 8 | data[1]);
    if (ni > size - 2) ni = size - 2;
    const uint8_t *imd = data + 2, *lbd = data + 2 + ni;
    const size_t nl = size - 2 - ni;
    const char *im = fuzz_file("a", imd, ni), *lb = fuzz_file("b", lbd, nl);
    if (gz) gzip_file(im, imd, ni), gzip_file(lb, lbd, nl);
    size_t bi, bl, ai, al;
    uint8_t *before_i = fuzz_slurp(im, &bi), *before_l = fuzz_slurp(lb, &bl);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = (gd_dataset *)&ctx;
    gd_status st = gd_data_idx_read(&ctx, im, lb, NULL, &ds);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL && ds == NULL, "a rejection is GD_EINVAL with out NULL");
        FUZZ_CHECK(strncmp(ctx.err, im, strlen(im)) == 0 || strncmp(ctx.err, lb, strlen(lb)) == 0,
                   "a rejection starts with a path");
    } else {
        FUZZ_CHECK(ds && ds->n >= 1 && ds->d >= 1 && ds->x && ds->y, "a data set has n, d >= 1");
        FUZZ_CHECK(ds->n <= GD_DATA_MAX_VALUES / ds->d, "n * d within the bound");
        if (!gz && !(ni >= 2 && imd[0] == 0x1f && imd[1] == 0x8b)) { /* a plain image file */
            FUZZ_CHECK(ni >= 16, "a data set has a header");
            const size_t n = (size_t)imd[4] << 24 | (size_t)imd[5] << 16 | (size_t)imd[6] << 8 | imd[7];
            const size_t r = (size_t)imd[8] << 24 | (size_t)imd[9] << 16 | (size_t)imd[10] << 8 | imd[11];
            const size_t c = (size_t)imd[12] << 24 | (size_t)imd[13] << 16 | (size_t)imd[14] << 8 | imd[15];
            FUZZ_CHECK(ds->n == n && ds->d == r * c && ni == 16 + n * r * c, "n and d as the header says");
            for (size_t i = 0; i < n * r * c; i++) FUZZ_CHECK(ds->x[i] == imd[16 + i] / 255.0, "pixels are the bytes / 255");
        }
        for (size_t i = 0; i < ds->n * ds->d; i++)
            FUZZ_CHECK(ds->x[i] >= 0 && ds->x[i] <= 1 && ds->x[i] * 255 == floor(ds->x[i] * 255 + 0.5), "features are bytes / 255");
        FUZZ_CHECK(ds->k >= 1 && ds->k <= 256, "1 <= k <= 256");
        unsigned char seen[256] = {0};
        for (size_t i = 0; i < ds->n; i++) {
            FUZZ_CHECK(ds->y[i] >= 0 && ds->y[i] < (double)ds->k && ds->y[i] == floor(ds->y[i]), "labels in [0, k)");
            seen[(size_t)ds->y[i]] = 1;
        }
        for (size_t c = 0; c < ds->k; c++) FUZZ_CHECK(seen[c], "every class 0..k-1 has a label");
        gd_data_free(ds);
    }
    uint8_t *after_i = fuzz_slurp(im, &ai), *after_l = fuzz_slurp(lb, &al);
    FUZZ_CHECK(ai == bi && al == bl && !memcmp(after_i, before_i, bi) && !memcmp(after_l, before_l, bl),
               "the files are left as they were");
    free(before_i), free(before_l), free(after_i), free(after_l);
    return 0;
}
