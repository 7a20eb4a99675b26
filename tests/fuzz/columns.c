/* libFuzzer target: named CSV columns (gd_data_load_columns, as read by
 * gdlab fit). The first byte chooses how many of the names N, C, L, D are
 * asked for (1 to 4); the rest is the file. Properties: a rejection is
 * GD_EINVAL with both outputs NULL and a message that starts with the path;
 * a success gives n >= 1 rows of finite numbers and strictly increasing
 * 1-based lines. */
#include "fuzz.h"

#include <math.h>

#include "gdlab/core.h"
#include "gdlab/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[] = {"N", "C", "L", "D"};
    if (size == 0) return 0;
    const size_t k = 1 + data[0] % 4;
    const char *path = fuzz_file("a", data + 1, size - 1);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    double *out = (double *)&ctx;
    size_t *lines = (size_t *)&ctx, n = 0;
    gd_status st = gd_data_load_columns(&ctx, path, k, names, &out, &lines, &n);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL, "a rejection is GD_EINVAL");
        FUZZ_CHECK(out == NULL && lines == NULL, "a rejection returns nothing");
        FUZZ_CHECK(strncmp(ctx.err, path, strlen(path)) == 0, "a rejection starts with the path");
        return 0;
    }
    FUZZ_CHECK(n >= 1 && out && lines, "at least one row");
    for (size_t i = 0; i < n * k; i++) FUZZ_CHECK(isfinite(out[i]), "numbers are finite");
    for (size_t i = 0; i < n; i++) FUZZ_CHECK(lines[i] >= 2 && (i == 0 || lines[i] > lines[i - 1]), "lines increase");
    gd_free(out);
    gd_free(lines);
    return 0;
}
