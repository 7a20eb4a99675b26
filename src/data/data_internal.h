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

/* Bounds on what one data file may make a reader do (csv.c, idx.c):
 *
 * GD_DATA_MAX_LINE: bytes in one CSV line, its '\n' left out. 1 MiB: the
 *   widest file gdlab ships has lines of 224 bytes (breast_cancer.csv), a
 *   784-pixel image as CSV (Fashion-MNIST, MNIST) takes about 3 kB, and
 *   40000 fields of 25 characters still fit; without a bound a file with
 *   no newline (/dev/zero once was read as data) grows the buffer until
 *   memory runs out.
 * GD_DATA_MAX_BYTES: bytes of data read from one file after decompression.
 *   1 GiB: Fashion-MNIST's 60000 images as CSV are about 165 MB, its IDX
 *   47 MB; gzip expands up to ~1000x, so a 1 MB file could otherwise make
 *   the reader inflate a gigabyte, and a small file hold terabytes.
 * GD_DATA_MAX_VALUES: numbers in one data set (n * (d + 1) for a CSV, n *
 *   rows * cols for IDX images, rows * k for named columns). 2^27, i.e.
 *   1 GiB as doubles: Fashion-MNIST is 60000 x 785 = 47.1 million (35%).
 *   The byte bound alone would let 1 GiB of "0,0\n" become 4 GiB of
 *   doubles. */
#define GD_DATA_MAX_LINE ((size_t)1 << 20)
#define GD_DATA_MAX_BYTES ((size_t)1 << 30)
#define GD_DATA_MAX_VALUES ((size_t)1 << 27)

/* Opens path for reading (plain or gzip, as a gzFile in *gz; *size, when
 * size is not NULL, the file's length in bytes): GD_EINVAL "PATH: not a
 * regular file" for a directory, device, FIFO or socket (checked before
 * the file is opened, and the open never blocks), GD_EIO naming the path
 * and the system's reason when it cannot be opened. */
gd_status gd_data_open(gd_ctx *ctx, const char *path, void **gz, unsigned long long *size);

#endif
