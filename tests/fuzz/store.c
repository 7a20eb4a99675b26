/* libFuzzer target: a file of the input's bytes read as a results store
 * (gd_store_open_read: look a run up, export every run, a query, a
 * statement that writes), then opened to write as gdlab sweep does
 * (gd_store_open).
 * Properties: a file that is not a gdlab store is refused with GD_EINVAL,
 * GD_EIO or GD_ENOMEM (SQLite's answer to a damaged record that claims
 * gigabytes) and a message that names the file, never a crash; a store that
 * opens answers gd_store_has with 0, 1 or -1, exports and queries (or
 * refuses with a message naming the file) and refuses DELETE; reading
 * never changes the file (its bytes hashed before and after) nor leaves a
 * -wal or -shm beside it; a file refused by gd_store_open is unchanged. */
#include "fuzz.h"

#include <sys/stat.h>

#include "gdlab/store.h"

/* FNV-1a of the file's bytes and its size, or 0 when it cannot be read. */
static uint64_t file_hash(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ull;
    int c;
    size_t n = 0;
    while ((c = getc(f)) != EOF) h = (h ^ (uint64_t)c) * 1099511628211ull, n++;
    fclose(f);
    return h ^ n;
}

static int beside(const char *path, const char *suffix) {
    char b[300];
    struct stat sb;
    snprintf(b, sizeof b, "%s%s", path, suffix);
    return stat(b, &sb) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("a", data, size);
    char side[300];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    const uint64_t h0 = file_hash(path);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_store *s = NULL;
    gd_status st = gd_store_open_read(&ctx, path, &s);
    if (st != GD_OK) {
        FUZZ_CHECK((st == GD_EINVAL || st == GD_EIO || st == GD_ENOMEM) && s == NULL,
                   "a refusal is GD_EINVAL, GD_EIO or GD_ENOMEM, out NULL");
        FUZZ_CHECK(strstr(ctx.err, path) != NULL, "a refusal names the file");
    } else {
        const int has = gd_store_has(s, "sgd-1d", "eta=0.1", 0);
        FUZZ_CHECK(has >= -1 && has <= 1, "gd_store_has answers 0, 1 or -1");
        FILE *null = fopen("/dev/null", "w");
        if (!null) abort();
        st = gd_store_export_csv(&ctx, s, null);
        FUZZ_CHECK(st == GD_OK || ctx.err[0], "a failed export says why");
        gd_store_set_timeout(s, 5);
        st = gd_store_query(&ctx, s, "SELECT point, count(*) FROM runs JOIN scalars ON run = id GROUP BY point", null);
        FUZZ_CHECK(st == GD_OK || strstr(ctx.err, path) != NULL, "a failed query names the file");
        st = gd_store_query(&ctx, s, "DELETE FROM runs", null);
        FUZZ_CHECK(st == GD_EINVAL, "a statement that writes is refused");
        fclose(null);
        gd_store_close(s);
    }
    FUZZ_CHECK(file_hash(path) == h0, "reading leaves the file's bytes as they were");
    FUZZ_CHECK(!beside(path, "-wal") && !beside(path, "-shm"), "reading leaves no -wal or -shm beside the file");
    /* as gdlab sweep opens it */
    st = gd_store_open(&ctx, path, &s);
    if (st != GD_OK) {
        FUZZ_CHECK((st == GD_EINVAL || st == GD_EIO || st == GD_ENOMEM) && s == NULL,
                   "a refusal is GD_EINVAL, GD_EIO or GD_ENOMEM, out NULL");
        FUZZ_CHECK(strstr(ctx.err, path) != NULL, "a refusal names the file");
        FUZZ_CHECK(file_hash(path) == h0, "a file refused as a store is unchanged");
    } else {
        const int has = gd_store_has(s, "sgd-1d", "eta=0.1", 0);
        FUZZ_CHECK(has >= -1 && has <= 1, "gd_store_has answers 0, 1 or -1");
        gd_store_close(s);
    }
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
