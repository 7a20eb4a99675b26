/* gd_data_load: the named data sets and where their files are found.
 *
 *   digits         data/digits.csv.gz: scikit-learn's copy of the UCI
 *                  optical digits test set, no header line
 *   breast_cancer  data/breast_cancer.csv or .csv.gz: scikit-learn's copy,
 *                  first line "569,30,malignant,benign"
 *   fashion-mnist  the training half of Fashion-MNIST in IDX, from the
 *                  Debian package dataset-fashion-mnist
 *
 * data/ is looked up in $GDLAB_DATA, then the source tree's data/
 * (GDLAB_SOURCE_DATA_DIR) and the installed copy (GDLAB_INSTALL_DATA_DIR),
 * both set by the build; the first directory holding the file wins. Any
 * other name is a CSV path.
 *
 * `classify` applies to the named sets too: with 0 the labels become
 * regression values (k = 0), as for any CSV file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data_internal.h"

#ifndef GDLAB_SOURCE_DATA_DIR
#define GDLAB_SOURCE_DATA_DIR ""
#endif
#ifndef GDLAB_INSTALL_DATA_DIR
#define GDLAB_INSTALL_DATA_DIR ""
#endif

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define FASHION_PACKAGE "dataset-fashion-mnist"

/* A CSV set shipped in data/: its name, other spellings, the file names
 * to try in each directory, and the file's header convention. */
typedef struct named_csv {
    const char *name;
    const char *alias;
    const char *files[2];
    gd_data_csv_header header;
} named_csv;

static const named_csv csv_sets[] = {
    {"digits", NULL, {"digits.csv.gz", "digits.csv"}, GD_DATA_CSV_HEADER_NONE},
    {"breast_cancer", "breast-cancer", {"breast_cancer.csv", "breast_cancer.csv.gz"},
     GD_DATA_CSV_HEADER_COUNTS},
};

/* "dir/file" in a new gd_malloc'd string, or NULL on ENOMEM. */
static char *join(const char *dir, const char *file) {
    size_t a = strlen(dir), b = strlen(file);
    char *p = gd_malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, file, b + 1);
    return p;
}

/* The first directory (as in the header comment) holding one of files[0,
 * nf): that path in *path (gd_malloc'd); GD_EIO naming files[0] and the
 * directories when none does. */
static gd_status find_any(gd_ctx *ctx, const char *const *files, size_t nf, char **path) {
    const char *env = getenv("GDLAB_DATA");
    const char *dirs[3] = {env && *env ? env : NULL, GDLAB_SOURCE_DATA_DIR, GDLAB_INSTALL_DATA_DIR};
    *path = NULL;
    for (size_t i = 0; i < 3; i++) {
        if (!dirs[i] || !*dirs[i]) continue;
        for (size_t j = 0; j < nf; j++) {
            char *p = join(dirs[i], files[j]);
            if (!p) return gd_error(ctx, GD_ENOMEM, "%s: out of memory", files[j]);
            if (access(p, F_OK) == 0) {
                *path = p;
                return GD_OK;
            }
            gd_free(p);
        }
    }
    return gd_error(ctx, GD_EIO, "%s not found in $GDLAB_DATA (%s), %s or %s", files[0],
                    env && *env ? env : "unset", *GDLAB_SOURCE_DATA_DIR ? GDLAB_SOURCE_DATA_DIR : "(no source tree)",
                    *GDLAB_INSTALL_DATA_DIR ? GDLAB_INSTALL_DATA_DIR : "(not installed)");
}

gd_status gd_data_find(gd_ctx *ctx, const char *file, char **path) { return find_any(ctx, &file, 1, path); }

static gd_status load_named_csv(gd_ctx *ctx, const named_csv *set, int classify,
                                gd_dataset **out) {
    char *path;
    gd_status st = find_any(ctx, set->files, 2, &path);
    if (st == GD_EIO) return gd_error_prefix(ctx, "%s", set->name), GD_EIO;
    if (st != GD_OK) return st;
    st = gd_data_csv_read(ctx, path, set->name, set->header, classify, out);
    gd_free(path);
    return st;
}

static gd_status load_fashion(gd_ctx *ctx, int classify, gd_dataset **out) {
    static const char images[] = FASHION_DIR "/train-images-idx3-ubyte.gz";
    static const char labels[] = FASHION_DIR "/train-labels-idx1-ubyte.gz";
    const char *missing = access(images, F_OK) ? images : access(labels, F_OK) ? labels : NULL;
    if (missing)
        return gd_error(ctx, GD_EIO,
                        "fashion-mnist: %s not found; install the Debian package %s",
                        missing, FASHION_PACKAGE);
    gd_status st = gd_data_idx_read(ctx, images, labels, "fashion-mnist", out);
    if (st == GD_OK && !classify) (*out)->k = 0;
    return st;
}

gd_status gd_data_load(gd_ctx *ctx, const char *name, int classify, gd_dataset **out) {
    GD_ASSERT(name != NULL && out != NULL);
    *out = NULL;
    for (size_t i = 0; i < sizeof csv_sets / sizeof *csv_sets; i++)
        if (strcmp(name, csv_sets[i].name) == 0 ||
            (csv_sets[i].alias && strcmp(name, csv_sets[i].alias) == 0))
            return load_named_csv(ctx, &csv_sets[i], classify, out);
    if (strcmp(name, "fashion-mnist") == 0 || strcmp(name, "fashion_mnist") == 0)
        return load_fashion(ctx, classify, out);
    return gd_data_load_csv(ctx, name, classify, out);
}
