/* gdlab data: data sets in memory, loaders (CSV, IDX), the named sets that
 * ship in data/ (digits, breast_cancer) or come from Debian packages
 * (fashion-mnist from dataset-fashion-mnist), standardisation, subsets.
 *
 * Errors name the file, the line (CSV) or the byte offset (IDX) and what
 * was expected; malformed, truncated or empty input is GD_EINVAL, a file
 * that cannot be read GD_EIO. Nothing crashes or hangs on bad input.
 *
 * Every reader takes regular files only (a directory, device, FIFO or
 * socket is GD_EINVAL "PATH: not a regular file", refused before it is
 * opened) and bounds what one file can make it do: CSV lines of at most
 * 1 MiB ("PATH: line L: line longer than 1048576 bytes"), no NUL byte
 * ("PATH: line L: a NUL byte at column C: not a text file", met as the
 * data are read), at most 1 GiB of data after decompression, at most 2^27
 * numbers in one data set (1 GiB as doubles). */
#ifndef GDLAB_DATA_H
#define GDLAB_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

typedef struct gd_dataset {
    char *name;      /* e.g. "digits", or the CSV path */
    size_t n;        /* examples */
    size_t d;        /* features */
    size_t k;        /* classes; 0 for a regression target */
    double *x;       /* (n, d) row-major features */
    double *y;       /* (n) targets: the class index as a double (0..k-1)
                        for classification, the value for regression */
} gd_dataset;

/* What the loaders make of the target (their `classify` argument):
 *   GD_DATA_VALUES            regression values, k = 0;
 *   GD_DATA_CLASSES_IF_WHOLE  classes when every target is a whole number
 *                             in [0, 1000), else regression values: the
 *                             caller takes either and looks at k;
 *   GD_DATA_CLASSES           classes, required: the first target that is
 *                             not a whole number in [0, 1000) is GD_EINVAL
 *                             "FILE: line L, field F: class '1.5': expected
 *                             a whole number 0..999" (for callers whose
 *                             results assume classes: accuracy, one-hot
 *                             targets, parity).
 * With classes, k = the largest class + 1 (a CSV) or the number of
 * classes, all present (IDX, see gd_data_load_idx). */
enum { GD_DATA_VALUES = 0, GD_DATA_CLASSES_IF_WHOLE = 1, GD_DATA_CLASSES = 2 };

/* Loads a named data set or a CSV file:
 *   "digits"        8x8 handwritten digits, 1797 x 64, 10 classes (data/)
 *   "breast_cancer" Wisconsin diagnostic, 569 x 30, 2 classes (data/)
 *   "fashion-mnist" the 60000 training images, 784 features scaled to
 *                   [0, 1], 10 classes (Debian dataset-fashion-mnist, IDX)
 *   anything else   a CSV path: a header line, numeric columns (decimal
 *                   numbers, blanks around them allowed), the last column
 *                   the target, read as `classify` says (above).
 * Named sets are looked up in $GDLAB_DATA, then in the data/ directory of
 * the source tree and of the install prefix. */
gd_status gd_data_load(gd_ctx *ctx, const char *name, int classify,
                       gd_dataset **out);

/* The path (gd_malloc'd, the caller's) of a file shipped in data/, looked
 * up as the named sets are; GD_EIO naming the directories when absent. */
gd_status gd_data_find(gd_ctx *ctx, const char *file, char **path);

/* CSV reader (the rules above). Gzip-compressed files (.gz) are read too. */
gd_status gd_data_load_csv(gd_ctx *ctx, const char *path, int classify,
                           gd_dataset **out);

/* IDX reader (the MNIST format, optionally .gz): an images file of type
 * unsigned byte with dimensions (n, rows, cols) scaled to [0, 1], and a
 * labels file (n). Checks magic numbers, sizes against the file length,
 * that n agrees, and that the labels are classes counted from 0 with none
 * left out: k is the smallest label value absent, and a label >= k is
 * refused ("FILE: label 200 at index 17: expected a class 0..9"). */
gd_status gd_data_load_idx(gd_ctx *ctx, const char *images, const char *labels,
                           gd_dataset **out);

/* The named columns of a CSV file whose first line names them (plain or
 * gzip; other columns may hold anything, names and fields are trimmed of
 * blanks and one pair of double quotes): out receives (n, k) numbers row
 * by row, lines (n) the 1-based line of each row; both the caller's to
 * gd_free. GD_EINVAL names the file, the line and the column: a missing
 * column (with the header), a field that is not a finite number, a row too
 * short, no rows. Blank lines are skipped. 1 <= k <= 16. */
gd_status gd_data_load_columns(gd_ctx *ctx, const char *path, size_t k, const char *const *names, double **out,
                               size_t **lines, size_t *n);

/* Standardises every feature to mean 0 and variance 1 (constant features
 * become 0). */
void gd_data_standardize(gd_dataset *ds);

/* The first n examples (balanced = 0) or n examples taken class by class in
 * turn, in order of appearance (balanced = 1, classification only). */
gd_status gd_data_subset(gd_ctx *ctx, const gd_dataset *ds, size_t n,
                         int balanced, gd_dataset **out);

/* Targets for a network with n_out outputs: one-hot rows (n, k) for
 * classification, the value (n, 1) for regression. out (n, n_out). */
void gd_data_targets(const gd_dataset *ds, double *out);

/* Frees ds; NULL does nothing. */
void gd_data_free(gd_dataset *ds);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
