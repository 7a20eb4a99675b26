/* libFuzzer target: named CSV columns (gd_data_load_columns, as read by
 * gdlab fit). The first byte chooses how many of the names N, C, L, D are
 * asked for (1 to 4); the rest is the file. Properties:
 *   - a rejection is GD_EINVAL with both outputs NULL and a message that
 *     starts with the path and names a line (or says there are no rows);
 *   - a success gives 1 <= n rows, n * k within the bound, finite numbers,
 *     strictly increasing 1-based lines that are lines of the file (for a
 *     plain file: at most its newlines + 1);
 *   - the file is left as it was. */
#include "fuzz.h"

#include <math.h>

#include "data/data_internal.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[] = {"N", "C", "L", "D"};
    if (size == 0) return 0;
    const size_t k = 1 + data[0] % 4;
    const char *path = fuzz_file("a", data + 1, size - 1);
    size_t bn, an;
    uint8_t *before = fuzz_slurp(path, &bn);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    double *out = (double *)&ctx;
    size_t *lines = (size_t *)&ctx, n = 0;
    gd_status st = gd_data_load_columns(&ctx, path, k, names, &out, &lines, &n);
    if (st != GD_OK) {
        FUZZ_CHECK(st == GD_EINVAL, "a rejection is GD_EINVAL");
        FUZZ_CHECK(out == NULL && lines == NULL, "a rejection returns nothing");
        FUZZ_CHECK(strncmp(ctx.err, path, strlen(path)) == 0, "a rejection starts with the path");
        FUZZ_CHECK(strstr(ctx.err, "line ") || strstr(ctx.err, "no data rows"), "a rejection names a line");
    } else {
        FUZZ_CHECK(n >= 1 && out && lines, "at least one row");
        FUZZ_CHECK(n <= GD_DATA_MAX_VALUES / k, "n * k within the bound");
        for (size_t i = 0; i < n * k; i++) FUZZ_CHECK(isfinite(out[i]), "numbers are finite");
        for (size_t i = 0; i < n; i++) FUZZ_CHECK(lines[i] >= 2 && (i == 0 || lines[i] > lines[i - 1]), "lines increase");
        if (!(size >= 3 && data[1] == 0x1f && data[2] == 0x8b)) { /* plain, not gzip */
            size_t nl = 0;
            for (size_t i = 1; i < size; i++) nl += data[i] == '\n';
            FUZZ_CHECK(lines[n - 1] <= nl + 1, "lines are lines of the file");
        }
        gd_free(out);
        gd_free(lines);
    }
    uint8_t *after = fuzz_slurp(path, &an);
    FUZZ_CHECK(an == bn && !memcmp(before, after, bn), "the file is left as it was");
    free(before), free(after);
    return 0;
}
