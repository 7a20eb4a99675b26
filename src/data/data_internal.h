/* Internals of the data module (never installed): the data set
 * constructor shared by the loaders, and the CSV reader with the header
 * conventions of the files that ship in data/ (which differ from the
 * documented one of gd_data_load_csv). Hidden visibility: nothing here is
 * exported. */
#ifndef GDLAB_DATA_INTERNAL_H
#define GDLAB_DATA_INTERNAL_H

#include <stddef.h>

#include "gdlab/data.h"

/* A new data set named `name` (copied) with room for n examples of d
 * features: x (n, d) and y (n) allocated, not initialised, k = 0. NULL on
 * ENOMEM or when n * d overflows. n, d >= 1. */
gd_dataset *gd_data_alloc(const char *name, size_t n, size_t d);

/* How the first line of a CSV file is read. */
typedef enum gd_data_csv_header {
    /* Column names (gd_data_load_csv): the number of names is the number
     * of fields of every row. */
    GD_DATA_CSV_HEADER_NAMES = 0,
    /* No header: the first line is a data row and sets the field count
     * (data/digits.csv.gz, scikit-learn's copy). */
    GD_DATA_CSV_HEADER_NONE,
    /* scikit-learn's "n_samples,n_features,class names..." line
     * (data/breast_cancer.csv): rows have n_features + 1 fields, and there
     * must be n_samples of them. */
    GD_DATA_CSV_HEADER_COUNTS
} gd_data_csv_header;

/* The CSV reader behind gd_data_load_csv and the named sets: reads path
 * (plain or gzip) with the header convention `header`, names the data set
 * `name` (the path when NULL) and applies the classification rule of
 * data.h. Errors as gd_data_load_csv. */
gd_status gd_data_csv_read(gd_ctx *ctx, const char *path, const char *name,
                            gd_data_csv_header header, int classify,
                            gd_dataset **out);

/* The IDX reader behind gd_data_load_idx, naming the data set `name` (the
 * images path when NULL). Errors as gd_data_load_idx. */
gd_status gd_data_idx_read(gd_ctx *ctx, const char *images, const char *labels,
                           const char *name, gd_dataset **out);

#endif
