/* libFuzzer target: opening a results store (gd_store_open on a file of
 * the input's bytes), then looking a run up and exporting every run.
 * Properties: a file that is not a gdlab store is refused with GD_EINVAL or
 * GD_EIO and a message that names the file, never a crash; a store that
 * opens answers gd_store_has with 0, 1 or -1 and exports (or refuses with a
 * message naming the file). */
#include "fuzz.h"

#include "gdlab/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("a", data, size);
    char side[300];
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_store *s = NULL;
    gd_status st = gd_store_open(&ctx, path, &s);
    if (st != GD_OK) {
        FUZZ_CHECK((st == GD_EINVAL || st == GD_EIO) && s == NULL, "a refusal is GD_EINVAL or GD_EIO, out NULL");
        FUZZ_CHECK(strstr(ctx.err, path) != NULL, "a refusal names the file");
    } else {
        const int has = gd_store_has(s, "sgd-1d", "eta=0.1", 0);
        FUZZ_CHECK(has >= -1 && has <= 1, "gd_store_has answers 0, 1 or -1");
        FILE *null = fopen("/dev/null", "w");
        if (!null) abort();
        st = gd_store_export_csv(&ctx, s, null);
        FUZZ_CHECK(st == GD_OK || ctx.err[0], "a failed export says why");
        fclose(null);
        gd_store_close(s);
    }
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
