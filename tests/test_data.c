/* Tests of the data module (src/data/): the shipped sets (digits,
 * breast_cancer) and Fashion-MNIST against values read from the files
 * with other tools (zcat, awk, Python's gzip), standardisation, subsets,
 * targets, the CSV and IDX loaders on small files written here, every
 * malformed-input error with its line number or byte count, the $GDLAB_DATA
 * lookup, and allocation failure injection.
 * Set GDLAB_TEST_KEEP=1 to keep the temporary directory. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gdlab/data.h"
#include "gdlab/expr.h"
#include "gdtest.h"

static const char *root;

/* ---- helpers ------------------------------------------------------------ */

/* root/name in a malloc'd string. */
static char *tpath(const char *name) {
    size_t n = strlen(root) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) abort();
    snprintf(p, n, "%s/%s", root, name);
    return p;
}

/* Writes len bytes to root/name (gzip-compressed when gz) and returns the
 * path. */
static char *write_file(const char *name, const void *data, size_t len, int gz) {
    char *p = tpath(name);
    if (gz) {
        gzFile f = gzopen(p, "wb9");
        if (!f || (len && gzwrite(f, data, (unsigned)len) != (int)len) || gzclose(f) != Z_OK)
            abort();
    } else {
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) abort();
    }
    return p;
}

static char *write_text(const char *name, const char *text) {
    return write_file(name, text, strlen(text), 0);
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            size_t n = strlen(dir) + strlen(e->d_name) + 2;
            char *p = malloc(n);
            if (!p) abort();
            snprintf(p, n, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
            else unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Class counts of ds into counts[0, k); 0 if some target is not a class. */
static int class_counts(const gd_dataset *ds, size_t *counts) {
    memset(counts, 0, ds->k * sizeof *counts);
    for (size_t i = 0; i < ds->n; i++) {
        double c = ds->y[i];
        if (!(c >= 0.0 && c < (double)ds->k) || c != floor(c)) return 0;
        counts[(size_t)c]++;
    }
    return 1;
}

/* Loads a CSV that must fail with status want and a message holding each
 * of the (up to three) substrings. */
static void expect_csv_error(const char *path, gd_status want, const char *what,
                             const char *s1, const char *s2, const char *s3) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = (gd_dataset *)&ctx; /* must be reset to NULL */
    gd_status st = gd_data_load_csv(&ctx, path, 1, &ds);
    int ok = st == want && ds == NULL && strstr(ctx.err, path) &&
             (!s1 || strstr(ctx.err, s1)) && (!s2 || strstr(ctx.err, s2)) &&
             (!s3 || strstr(ctx.err, s3));
    gdt_check(ok, "CSV %s: %s (\"%s\")", what, gd_status_name(st), ctx.err);
    if (st == GD_OK) gd_data_free(ds);
}

static void expect_idx_error(const char *images, const char *labels, gd_status want,
                             const char *what, const char *s1, const char *s2,
                             const char *s3) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = (gd_dataset *)&ctx;
    gd_status st = gd_data_load_idx(&ctx, images, labels, &ds);
    int ok = st == want && ds == NULL && (!s1 || strstr(ctx.err, s1)) &&
             (!s2 || strstr(ctx.err, s2)) && (!s3 || strstr(ctx.err, s3));
    gdt_check(ok, "IDX %s: %s (\"%s\")", what, gd_status_name(st), ctx.err);
    if (st == GD_OK) gd_data_free(ds);
}

/* ---- the shipped sets --------------------------------------------------- */

static void test_digits(void) {
    /* First line of digits.csv.gz (zcat | head -1), the label last. */
    static const double row0[64] = {
        0, 0, 5,  13, 9, 1,  0,  0, 0, 0,  13, 15, 10, 15, 5, 0, 0,  3, 15, 2, 0, 11,
        8, 0, 0,  4,  12, 0, 0,  8, 8, 0,  0,  5,  8,  0,  0, 9, 8,  0, 0,  4, 11, 0,
        1, 12, 7, 0,  0, 2,  14, 5, 10, 12, 0,  0,  0,  0,  6, 13, 10, 0, 0,  0};
    /* awk -F, '{c[$65]++}' */
    static const size_t counts_want[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL;
    gd_status st = gd_data_load(&ctx, "digits", 1, &ds);
    if (!gdt_check(st == GD_OK && ds, "load digits: %s %s", gd_status_name(st), ctx.err)) return;
    gdt_check(ds->n == 1797 && ds->d == 64 && ds->k == 10, "digits is 1797 x 64, 10 classes (%zu x %zu, %zu)",
              ds->n, ds->d, ds->k);
    gdt_check(strcmp(ds->name, "digits") == 0, "digits is named 'digits' ('%s')", ds->name);
    gdt_check(memcmp(ds->x, row0, sizeof row0) == 0 && ds->y[0] == 0.0,
              "digits: first row and label as in the file");
    /* Last line: ...,12,1,0,8 */
    gdt_check(ds->x[1796 * 64 + 61] == 12.0 && ds->x[1796 * 64 + 62] == 1.0 &&
                  ds->y[1796] == 8.0, "digits: last row ends 12, 1, 0 with label 8");
    size_t counts[10];
    int ok = class_counts(ds, counts) && memcmp(counts, counts_want, sizeof counts) == 0;
    gdt_check(ok, "digits class counts 178 182 177 183 181 182 181 179 174 180");
    gd_data_free(ds);

    /* classify = 0: the labels as regression values. */
    st = gd_data_load(&ctx, "digits", 0, &ds);
    gdt_check(st == GD_OK && ds->k == 0 && ds->y[1796] == 8.0,
              "digits with classify = 0: k = 0, y the label value");
    gd_data_free(ds);
}

static void test_breast_cancer(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL, *ds2 = NULL;
    gd_status st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    if (!gdt_check(st == GD_OK && ds, "load breast_cancer: %s %s", gd_status_name(st), ctx.err))
        return;
    gdt_check(ds->n == 569 && ds->d == 30 && ds->k == 2,
              "breast_cancer is 569 x 30, 2 classes (%zu x %zu, %zu)", ds->n, ds->d, ds->k);
    gdt_check(ds->x[0] == 17.99 && ds->x[3] == 1001.0 && ds->x[29] == 0.1189 &&
                  ds->y[0] == 0.0, "breast_cancer: first row 17.99 .. 1001 .. 0.1189, class 0");
    gdt_check(ds->x[568 * 30 + 4] == 0.05263 && ds->x[568 * 30 + 29] == 0.07039 &&
                  ds->y[568] == 1.0, "breast_cancer: last row 0.05263 .. 0.07039, class 1");
    size_t counts[2];
    gdt_check(class_counts(ds, counts) && counts[0] == 212 && counts[1] == 357,
              "breast_cancer: 212 malignant (0), 357 benign (1)");
    st = gd_data_load(&ctx, "breast-cancer", 1, &ds2);
    gdt_check(st == GD_OK && ds2->n == ds->n &&
                  memcmp(ds2->x, ds->x, ds->n * ds->d * sizeof *ds->x) == 0 &&
                  strcmp(ds2->name, "breast_cancer") == 0,
              "'breast-cancer' is the same set");
    gd_data_free(ds2);

    /* Standardisation: against a Python fsum reference, then per column. */
    gd_data_standardize(ds);
    gdt_close(ds->x[3], 0.9843749048031144, 1e-13, 1e-13,
              "standardised area (mean) of row 0 (Python fsum reference)");
    gdt_close(ds->x[568 * 30 + 29], -0.7512066928221928, 1e-13, 1e-13,
              "standardised fractal dimension (worst) of row 568");
    double worst_m = 0.0, worst_v = 0.0;
    for (size_t j = 0; j < ds->d; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < ds->n; i++) m += ds->x[i * ds->d + j];
        m /= (double)ds->n;
        for (size_t i = 0; i < ds->n; i++) v += pow(ds->x[i * ds->d + j] - m, 2);
        v /= (double)ds->n;
        worst_m = fmax(worst_m, fabs(m));
        worst_v = fmax(worst_v, fabs(v - 1.0));
    }
    gdt_check(worst_m < 1e-12 && worst_v < 1e-12,
              "breast_cancer standardised: max |mean| %.2g, max |var - 1| %.2g (< 1e-12)",
              worst_m, worst_v);
    gd_data_free(ds);
}

static void test_fashion(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL;
    gd_status st = gd_data_load(&ctx, "fashion-mnist", 1, &ds);
    if (!gdt_check(st == GD_OK && ds, "load fashion-mnist: %s %s", gd_status_name(st), ctx.err))
        return;
    gdt_check(ds->n == 60000 && ds->d == 784 && ds->k == 10,
              "fashion-mnist is 60000 x 784, 10 classes (%zu x %zu, %zu)", ds->n, ds->d, ds->k);
    /* Python: gzip labels[8:] starts 09 00 00 03 00 02; image 0 byte 100 is
     * 73 and its bytes sum to 76247. */
    gdt_check(ds->y[0] == 9.0 && ds->y[1] == 0.0 && ds->y[3] == 3.0 && ds->y[5] == 2.0 &&
                  ds->y[59999] == 5.0, "fashion-mnist labels 9 0 0 3 0 2 ... 5");
    gdt_check(ds->x[100] == 73.0 / 255.0 && ds->x[99] == 13.0 / 255.0,
              "fashion-mnist image 0 pixels 99, 100 are 13/255, 73/255");
    double sum = 0.0, lo = 1.0, hi = 0.0;
    for (size_t j = 0; j < 784; j++) sum += ds->x[j];
    for (size_t i = 0; i < ds->n * ds->d; i++) {
        lo = fmin(lo, ds->x[i]);
        hi = fmax(hi, ds->x[i]);
    }
    gdt_close(sum, 76247.0 / 255.0, 1e-12, 0.0, "fashion-mnist image 0 pixel sum");
    gdt_check(lo == 0.0 && hi == 1.0, "fashion-mnist pixels span [0, 1] (%g, %g)", lo, hi);
    size_t counts[10];
    int ok = class_counts(ds, counts);
    for (int c = 0; c < 10; c++) ok &= counts[c] == 6000;
    gdt_check(ok, "fashion-mnist: 6000 of each class");
    gd_data_free(ds);
}

/* ---- standardisation, subsets, targets ---------------------------------- */

static void test_transforms(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL, *s = NULL;
    if (gd_data_load(&ctx, "digits", 1, &ds) != GD_OK) {
        gdt_check(0, "load digits: %s", ctx.err);
        return;
    }
    /* First n. */
    gd_status st = gd_data_subset(&ctx, ds, 37, 0, &s);
    gdt_check(st == GD_OK && s->n == 37 && s->d == 64 && s->k == 10 &&
                  memcmp(s->x, ds->x, 37 * 64 * sizeof *s->x) == 0 &&
                  memcmp(s->y, ds->y, 37 * sizeof *s->y) == 0,
              "subset: the first 37 examples");
    gd_data_free(s);

    /* Balanced: 105 = 10 rounds of 10 classes, then classes 0..4 once more. */
    st = gd_data_subset(&ctx, ds, 105, 1, &s);
    size_t counts[10];
    int ok = st == GD_OK && s->n == 105 && class_counts(s, counts);
    for (int c = 0; c < 10 && ok; c++) ok = counts[c] == (c < 5 ? 11u : 10u);
    gdt_check(ok, "balanced subset of 105: 11 each of classes 0-4, 10 of 5-9");
    ok = st == GD_OK;
    for (size_t i = 0; i < 20 && ok; i++) ok = s->y[i] == (double)(i % 10);
    gdt_check(ok, "balanced subset in round-robin order 0 1 .. 9 0 1 ..");
    /* The first example of class 3 in the subset is the first 3 in digits,
     * the second its second. */
    size_t first3 = 0, second3;
    while (ds->y[first3] != 3.0) first3++;
    for (second3 = first3 + 1; ds->y[second3] != 3.0; second3++) {}
    gdt_check(ok && memcmp(s->x + 3 * 64, ds->x + first3 * 64, 64 * sizeof *s->x) == 0 &&
                  memcmp(s->x + 13 * 64, ds->x + second3 * 64, 64 * sizeof *s->x) == 0,
              "balanced subset takes each class in order of appearance (rows %zu, %zu)",
              first3, second3);
    gd_data_free(s);
    s = NULL;

    /* A whole balanced subset is a permutation with the same class counts. */
    st = gd_data_subset(&ctx, ds, ds->n, 1, &s);
    size_t c_all[10], c_sub[10];
    gdt_check(st == GD_OK && class_counts(ds, c_all) && class_counts(s, c_sub) &&
                  memcmp(c_all, c_sub, sizeof c_all) == 0,
              "balanced subset of all 1797 keeps every example");
    gd_data_free(s);
    s = (gd_dataset *)&ctx;

    st = gd_data_subset(&ctx, ds, 1798, 0, &s);
    gdt_check(st == GD_EINVAL && s == NULL && strstr(ctx.err, "1798") && strstr(ctx.err, "1797"),
              "subset of 1798 > 1797: invalid (\"%s\")", ctx.err);
    st = gd_data_subset(&ctx, ds, 1798, 1, &s);
    gdt_check(st == GD_EINVAL && s == NULL, "balanced subset of 1798: invalid");
    st = gd_data_subset(&ctx, ds, 0, 0, &s);
    gdt_check(st == GD_EINVAL && s == NULL, "subset of 0: invalid (\"%s\")", ctx.err);

    /* Targets: one-hot rows. */
    st = gd_data_subset(&ctx, ds, 12, 0, &s);
    double t[12 * 10];
    gd_data_targets(s, t);
    ok = st == GD_OK;
    for (size_t i = 0; i < 12 && ok; i++)
        for (size_t c = 0; c < 10; c++) ok &= t[i * 10 + c] == (c == (size_t)s->y[i] ? 1.0 : 0.0);
    gdt_check(ok, "targets: one-hot rows (12, 10) for digits");
    gd_data_free(s);

    /* Standardisation with constant columns (digits' pixel 0 is always 0). */
    gd_data_standardize(ds);
    double worst_m = 0.0, worst_v = 0.0;
    size_t nconst = 0;
    for (size_t j = 0; j < ds->d; j++) {
        double m = 0.0, v = 0.0;
        int zero = 1;
        for (size_t i = 0; i < ds->n; i++) {
            m += ds->x[i * ds->d + j];
            zero &= ds->x[i * ds->d + j] == 0.0;
        }
        if (zero) {
            nconst++;
            continue;
        }
        m /= (double)ds->n;
        for (size_t i = 0; i < ds->n; i++) v += pow(ds->x[i * ds->d + j] - m, 2);
        v /= (double)ds->n;
        worst_m = fmax(worst_m, fabs(m));
        worst_v = fmax(worst_v, fabs(v - 1.0));
    }
    gdt_check(worst_m < 1e-12 && worst_v < 1e-12,
              "digits standardised: max |mean| %.2g, max |var - 1| %.2g (< 1e-12)", worst_m,
              worst_v);
    /* Columns 0, 32 and 39 are constant 0 in digits (sklearn: std == 0). */
    gdt_check(nconst == 3 && ds->x[0] == 0.0 && ds->x[32] == 0.0 && ds->x[39] == 0.0,
              "digits: the 3 constant columns become 0 (%zu found)", nconst);
    gd_data_free(ds);
}

/* ---- CSV ---------------------------------------------------------------- */

static void test_csv(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL;
    /* Regression: CRLF, blanks around numbers, exponents, trailing blank
     * lines, no newline at the very end. */
    const char *text = "a, b ,target\r\n2.385, -1e-3 ,0.5\r\n\t.625e-1,7,  -2\r\n1,2,3\r\n\r\n  ";
    char *p = write_text("reg.csv", text);
    gd_status st = gd_data_load_csv(&ctx, p, 1, &ds);
    gdt_check(st == GD_OK && ds->n == 3 && ds->d == 2 && ds->k == 0 && ds->x[0] == 2.385 &&
                  ds->x[1] == -1e-3 && ds->x[2] == 0.0625 && ds->y[1] == -2.0 &&
                  ds->y[2] == 3.0 && strcmp(ds->name, p) == 0,
              "CSV with CRLF and blanks: 3 x 2, regression (%s)", ctx.err);
    if (st == GD_OK) {
        double t[3];
        gd_data_targets(ds, t);
        gdt_check(t[0] == 0.5 && t[1] == -2.0 && t[2] == 3.0, "targets: the values (n, 1)");
        gd_dataset *s = (gd_dataset *)&ctx;
        st = gd_data_subset(&ctx, ds, 2, 1, &s);
        gdt_check(st == GD_EINVAL && s == NULL && strstr(ctx.err, "regression"),
                  "balanced subset of a regression set: invalid (\"%s\")", ctx.err);
        st = gd_data_subset(&ctx, ds, 2, 0, &s);
        gdt_check(st == GD_OK && s->n == 2 && s->k == 0 && s->y[1] == -2.0 && s->x[3] == 7.0,
                  "first-2 subset of a regression set");
        gd_data_free(s);
    }
    gd_data_free(ds);
    free(p);

    /* The same text gzip-compressed, through gd_data_load's CSV path. */
    p = write_file("reg.csv.gz", text, strlen(text), 1);
    st = gd_data_load(&ctx, p, 1, &ds);
    gdt_check(st == GD_OK && ds->n == 3 && ds->x[0] == 2.385 && ds->y[2] == 3.0,
              "gzip CSV through gd_data_load");
    gd_data_free(ds);
    free(p);

    /* The classification rule. */
    static const struct {
        const char *text;
        int classify;
        size_t k;
    } rule[] = {
        {"x,y\n1,0\n2,2\n3,1\n", 1, 3},  {"x,y\n1,0\n2,2\n3,1\n", 0, 0},
        {"x,y\n1,0\n2,1.5\n", 1, 0},     {"x,y\n1,999\n", 1, 1000},
        {"x,y\n1,1000\n2,0\n", 1, 0},    {"x,y\n1,-1\n2,0\n", 1, 0},
        {"x,y\n1,-0\n2,0\n", 1, 1},      {"x,y\n1,4e0\n2,0.3e1\n", 1, 5},
    };
    for (size_t i = 0; i < sizeof rule / sizeof *rule; i++) {
        p = write_text("rule.csv", rule[i].text);
        st = gd_data_load_csv(&ctx, p, rule[i].classify, &ds);
        gdt_check(st == GD_OK && ds->k == rule[i].k, "classification rule %zu: k = %zu (%zu)", i,
                  rule[i].k, st == GD_OK ? ds->k : 0);
        gd_data_free(ds);
        free(p);
    }

    /* Classes required (GD_DATA_CLASSES): a target that is not a whole
     * number in [0, 1000) is an error naming the file, line and field, not
     * a silent switch to regression. */
    static const struct {
        const char *text, *where, *cell;
    } need[] = {
        {"x,y\n1,0\n2,1.5\n3,1\n", "line 3, field 2: ", "class '1.5': expected a whole number 0..999"},
        {"x,y\n1,0\n2,1\n3, -1\n", "line 4, field 2: ", "class '-1': expected a whole number 0..999"},
        {"x,y\n1,1000\n", "line 2, field 2: ", "class '1000'"},
        {"a,b,y\n1,2,0.5\n", "line 2, field 3: ", "class '0.5'"},
    };
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        p = write_text("need.csv", need[i].text);
        gd_ctx c2;
        gd_ctx_init(&c2);
        ds = (gd_dataset *)&c2;
        st = gd_data_load_csv(&c2, p, GD_DATA_CLASSES, &ds);
        gdt_check(st == GD_EINVAL && ds == NULL && strstr(c2.err, p) && strstr(c2.err, need[i].where) &&
                      strstr(c2.err, need[i].cell),
                  "classes required, case %zu: refused at the cell (\"%s\")", i, c2.err);
        if (st == GD_OK) gd_data_free(ds);
        /* The same file for a caller that takes either. */
        st = gd_data_load_csv(&ctx, p, GD_DATA_CLASSES_IF_WHOLE, &ds);
        gdt_check(st == GD_OK && ds->k == 0, "classes if whole, case %zu: regression (k = %zu)", i,
                  st == GD_OK ? ds->k : 99);
        gd_data_free(ds);
        free(p);
    }
    p = write_text("need.csv", "x,y\n1,0\n2,2\n3,-0\n");
    st = gd_data_load_csv(&ctx, p, GD_DATA_CLASSES, &ds);
    gdt_check(st == GD_OK && ds->k == 3 && ds->y[2] == 0.0 && !signbit(ds->y[2]),
              "classes required: 0, 2, -0 make k = 3 (%s)", ctx.err);
    gd_data_free(ds);
    free(p);
    st = gd_data_load(&ctx, "digits", GD_DATA_CLASSES, &ds);
    gdt_check(st == GD_OK && ds->k == 10, "digits with classes required: k = 10 (%s)", ctx.err);
    gd_data_free(ds);

    /* No line-length limit: 30000 columns, rows of ~ 150 kB. */
    {
        size_t cols = 30000, cap = cols * 12 * 4 + 64, len = 0;
        char *big = malloc(cap);
        if (!big) abort();
        for (size_t j = 0; j < cols; j++) len += (size_t)sprintf(big + len, "%sc%zu", j ? "," : "", j);
        for (int r = 0; r < 3; r++) {
            big[len++] = '\n';
            for (size_t j = 0; j < cols; j++)
                len += (size_t)sprintf(big + len, "%s%.3f", j ? "," : "", (double)(r * 7 + (int)j) * 0.125);
        }
        p = write_file("wide.csv", big, len, 0);
        st = gd_data_load_csv(&ctx, p, 0, &ds);
        gdt_check(st == GD_OK && ds->n == 3 && ds->d == cols - 1 &&
                      ds->x[2 * (cols - 1) + 12345] == (14.0 + 12345.0) * 0.125 &&
                      ds->y[2] == (14.0 + 29999.0) * 0.125,
                  "CSV with 150 kB lines: 3 x 29999 (%s)", ctx.err);
        gd_data_free(ds);
        free(p);
        free(big);
    }

    /* Malformed input: each error names the file and the line. */
    static const struct {
        const char *name, *text, *s1, *s2, *s3;
    } bad[] = {
        {"non-number", "a,b,c\n1,2,3\n4,5,6\n7,abc,9\n", "line 4, field 2", "expected a number",
         "'abc'"},
        {"trailing junk", "a,b,c\n1,2,3\n4,5,6x\n", "line 3, field 3", "'6x'", NULL},
        {"empty field", "a,b,c\n1,,3\n", "line 2, field 2", "got ''", NULL},
        {"too few fields", "a,b,c\n1,2,3\n4,5\n", "line 3", "2 fields, expected 3", NULL},
        {"too many fields", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n", "line 4", "4 fields, expected 3",
         NULL},
        {"empty file", "", "line 1: no data rows", NULL, NULL},
        {"header only", "a,b,c\n", "line 2: no data rows", NULL, NULL},
        {"header and blank lines", "a,b,c\r\n\r\n\n", "line 2: no data rows", NULL, NULL},
        {"header without newline", "a,b,c", "line 2: no data rows", NULL, NULL},
        {"NaN", "a,b,c\n1,2,3\n4,NaN,6\n", "line 3, field 2", "expected a number, got 'NaN'", NULL},
        {"inf", "a,b,c\n1,2,3\n4,5,-inf\n", "line 3, field 3", "expected a number, got '-inf'", NULL},
        {"overflow", "a,b,c\n1,2,3\n1e999,5,6\n", "line 3, field 1", "'1e999': too large", NULL},
        {"underflow", "a,b,c\n1,2,3\n4,1e-400,6\n", "line 3, field 2", "'1e-400': too small: rounds to 0", NULL},
        {"hex", "a,b,c\n1,2,3\n0x10,5,6\n", "line 3, field 1", "expected a number, got '0x10'", NULL},
        {"hex float", "a,b,c\n1, 0x1p-4 ,3\n", "line 2, field 2", "got ' 0x1p-4 '", NULL},
        {"hex class", "a,b,c\n1,2,0x1\n", "line 2, field 3", "got '0x1'", NULL},
        {"blank inside", "a,b,c\n1,2 5,3\n", "line 2, field 2", "got '2 5'", NULL},
        {"blank line in the middle", "a,b,c\n1,2,3\n\n4,5,6\n", "line 3", "empty line", NULL},
        {"one column", "y\n1\n2\n", "line 1", "need at least 2", NULL},
        {"empty header", "\n1,2\n", "line 1", "empty header", NULL},
        {"quoted number", "a,b\n\"1\",2\n", "line 2, field 1", "'\"1\"'", NULL},
        {"semicolons", "a;b\n1;2\n", "line 1", "need at least 2", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        p = write_text("bad.csv", bad[i].text);
        expect_csv_error(p, GD_EINVAL, bad[i].name, bad[i].s1, bad[i].s2, bad[i].s3);
        free(p);
    }
    /* A NUL byte. */
    p = write_file("nul.csv", "a,b\n1,2\n3,\0\n", 12, 0);
    expect_csv_error(p, GD_EINVAL, "NUL byte", "line 3", "NUL", NULL);
    free(p);
    /* A long bad field is cut in the message. */
    {
        char t[400] = "a,b\n1,";
        memset(t + 6, 'z', 300);
        strcpy(t + 306, "\n");
        p = write_text("longfield.csv", t);
        expect_csv_error(p, GD_EINVAL, "long bad field quoted short", "line 2, field 2",
                         "zzz...'", NULL);
        free(p);
    }

    /* Missing file and a directory: I/O errors naming the path. */
    p = tpath("no-such-file.csv");
    expect_csv_error(p, GD_EIO, "missing file", "No such file", NULL, NULL);
    free(p);
    st = gd_data_load(&ctx, "no-such-data-set", 1, &ds);
    gdt_check(st == GD_EIO && ds == NULL && strstr(ctx.err, "no-such-data-set"),
              "unknown name is a missing CSV path (\"%s\")", ctx.err);

    /* Truncated gzip: the error is at the line the data stop in. The
     * reference line is found by decompressing the truncated file with
     * gzread until it fails, and counting newlines. */
    {
        size_t len = 0, cap = 1 << 20;
        char *t = malloc(cap);
        if (!t) abort();
        len += (size_t)sprintf(t, "u,v,w\n");
        for (int r = 0; r < 20000; r++)
            len += (size_t)sprintf(t + len, "%d,%.6f,%d\n", r, sin(r * 1.0), r % 3);
        char *full = write_file("trunc.csv.gz", t, len, 1);
        struct stat sb;
        if (stat(full, &sb) != 0 || truncate(full, sb.st_size / 2) != 0) abort();
        gzFile g = gzopen(full, "rb");
        size_t got = 0, lines = 1;
        int n, errnum = Z_OK;
        while ((n = gzread(g, t, (unsigned)cap)) > 0) {
            for (int i = 0; i < n; i++) lines += t[i] == '\n';
            got += (size_t)n;
        }
        gzerror(g, &errnum);
        gzclose(g);
        char want[32];
        snprintf(want, sizeof want, "line %zu:", lines);
        gdt_check(errnum != Z_OK && got > 1000, "reference: the truncated gzip fails after %zu bytes, on line %zu",
                  got, lines);
        expect_csv_error(full, GD_EINVAL, "truncated gzip", want, "truncated gzip", NULL);
        free(full);
        free(t);
    }
}

static size_t idx_header(unsigned char *b, unsigned long magic, const unsigned long *dims, int nd);

/* ---- bounds on what the readers read ------------------------------------ */

/* Loads named columns that must fail with status want and a message holding
 * the path and each of the (up to two) substrings. */
static void expect_columns_error(const char *path, gd_status want, const char *what,
                                 const char *s1, const char *s2) {
    static const char *const names[] = {"a"};
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    double *v = (double *)&ctx;
    size_t *ln = (size_t *)&ctx, n = 7;
    gd_status st = gd_data_load_columns(&ctx, path, 1, names, &v, &ln, &n);
    int ok = st == want && v == NULL && ln == NULL && n == 0 && strstr(ctx.err, path) &&
             (!s1 || strstr(ctx.err, s1)) && (!s2 || strstr(ctx.err, s2));
    gdt_check(ok, "columns %s: %s (\"%s\")", what, gd_status_name(st), ctx.err);
    if (st == GD_OK) gd_free(v), gd_free(ln);
}

/* Appends `copies` gzip members, each the compression of `unit` repeated
 * to `len` bytes, to root/name (zlib reads concatenated members as one
 * stream): a small file that decompresses to copies * len bytes. */
static char *write_bomb(const char *name, const char *head, const char *unit, size_t len,
                        size_t copies) {
    char *raw = malloc(len), *p = tpath(name);
    size_t ul = strlen(unit);
    if (!raw) abort();
    for (size_t i = 0; i < len; i++) raw[i] = ul ? unit[i % ul] : '\0';
    uLongf clen = compressBound(len) + 64;
    unsigned char *z = malloc(clen);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!z || deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    zs.next_in = (Bytef *)raw, zs.avail_in = (uInt)len;
    zs.next_out = z, zs.avail_out = (uInt)clen;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
    size_t zl = clen - zs.avail_out;
    deflateEnd(&zs);
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (head) {
        gzFile g = gzdopen(dup(fileno(f)), "wb");
        if (!g || gzwrite(g, head, (unsigned)strlen(head)) != (int)strlen(head) || gzclose(g) != Z_OK) abort();
        fseek(f, 0, SEEK_END);
    }
    for (size_t c = 0; c < copies; c++)
        if (fwrite(z, 1, zl, f) != zl) abort();
    if (fclose(f) != 0) abort();
    free(raw), free(z);
    return p;
}

static void test_bounds(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    alarm(60); /* a reader that blocks (a FIFO) or never ends fails the test */

    /* A 2 MiB line without a newline: refused at its line, without reading
     * further than the cap. */
    {
        size_t len = (size_t)2 << 20;
        char *t = malloc(len + 4);
        if (!t) abort();
        memcpy(t, "a,b\n", 4);
        memset(t + 4, '1', len);
        char *p = write_file("long.csv", t, len + 4, 0);
        expect_csv_error(p, GD_EINVAL, "a 2 MiB line", "line 2: line longer than 1048576 bytes", NULL, NULL);
        expect_columns_error(p, GD_EINVAL, "a 2 MiB line", "line 2: line longer than 1048576 bytes", NULL);
        free(p);
        p = write_file("long.csv.gz", t, len + 4, 1);
        expect_csv_error(p, GD_EINVAL, "a 2 MiB line (gzip)", "line 2: line longer than 1048576 bytes", NULL,
                         NULL);
        free(p);
        /* The header line is bounded too. */
        p = write_file("longhead.csv", t + 4, len, 0);
        expect_csv_error(p, GD_EINVAL, "a 2 MiB header", "line 1: line longer than", NULL, NULL);
        expect_columns_error(p, GD_EINVAL, "a 2 MiB header", "line 1: line longer than", NULL);
        free(p);
        free(t);
    }
    /* A NUL byte: named with its line and column as the data are read. */
    {
        char *p = write_file("nul2.csv", "a,b\n1,2\n3,\0\n", 12, 0);
        expect_csv_error(p, GD_EINVAL, "a NUL byte", "line 3: a NUL byte at column 3: not a text file", NULL,
                         NULL);
        expect_columns_error(p, GD_EINVAL, "a NUL byte", "line 3: a NUL byte at column 3", NULL);
        free(p);
        p = write_file("nul1.csv", "a,\0b\n1,2\n", 9, 0);
        expect_csv_error(p, GD_EINVAL, "a NUL byte in the header", "line 1: a NUL byte at column 3", NULL, NULL);
        expect_columns_error(p, GD_EINVAL, "a NUL byte in the header", "line 1: a NUL byte at column 3", NULL);
        free(p);
    }
    /* Not regular files: a FIFO (nobody writes to it: the open must not
     * block), a directory, a character device. */
    {
        char *fifo = tpath("fifo.csv");
        if (mkfifo(fifo, 0600) != 0) abort();
        double t0 = gd_now();
        expect_csv_error(fifo, GD_EINVAL, "a FIFO", ": not a regular file", NULL, NULL);
        expect_columns_error(fifo, GD_EINVAL, "a FIFO", ": not a regular file", NULL);
        gdt_check(gd_now() - t0 < 5.0, "a FIFO is refused promptly (%.1f s)", gd_now() - t0);
        expect_csv_error(root, GD_EINVAL, "a directory", ": not a regular file", NULL, NULL);
        expect_columns_error(root, GD_EINVAL, "a directory", ": not a regular file", NULL);
        expect_csv_error("/dev/zero", GD_EINVAL, "/dev/zero", "/dev/zero: not a regular file", NULL, NULL);
        expect_columns_error("/dev/zero", GD_EINVAL, "/dev/zero", "/dev/zero: not a regular file", NULL);
        gd_dataset *ds = (gd_dataset *)&ctx;
        gd_status st = gd_data_load(&ctx, "/dev/zero", 1, &ds);
        gdt_check(st == GD_EINVAL && ds == NULL && strstr(ctx.err, "/dev/zero: not a regular file"),
                  "gd_data_load(/dev/zero): refused (\"%s\")", ctx.err);
        const unsigned long d1[1] = {1};
        unsigned char lb[16];
        size_t hl = idx_header(lb, 0x801, d1, 1);
        lb[hl] = 0;
        char *lp = write_file("one-label.idx", lb, hl + 1, 0);
        expect_idx_error(fifo, lp, GD_EINVAL, "IDX images a FIFO", fifo, ": not a regular file", NULL);
        expect_idx_error("/dev/zero", lp, GD_EINVAL, "IDX images /dev/zero", "/dev/zero: not a regular file",
                         NULL, NULL);
        expect_idx_error(root, lp, GD_EINVAL, "IDX images a directory", ": not a regular file", NULL, NULL);
        free(lp);
        free(fifo);
    }
    /* Gzip bombs: 1 GiB of zeros in 1 MB is a binary file (its first NUL
     * byte stops the reading); 1.06 GiB of blank lines is refused once the
     * reader has decompressed 1 GiB. */
    {
        char *p = write_bomb("zeros.csv.gz", NULL, "", (size_t)1 << 20, 1024);
        double t0 = gd_now();
        expect_csv_error(p, GD_EINVAL, "a gzip bomb of zeros", "line 1: a NUL byte at column 1", NULL, NULL);
        gdt_check(gd_now() - t0 < 1.0, "the bomb of zeros is refused at once (%.2f s)", gd_now() - t0);
        free(p);
        p = write_bomb("blanks.csv.gz", "a,b\n", "                                                   \n",
                       (size_t)1 << 20, 1088);
        t0 = gd_now();
        expect_csv_error(p, GD_EINVAL, "a gzip bomb of blank lines", "more than 1024 MiB", "decompress", NULL);
        expect_columns_error(p, GD_EINVAL, "a gzip bomb of blank lines", "more than 1024 MiB", NULL);
        gdt_check(1, "the bomb of blank lines took %.2f s", gd_now() - t0);
        free(p);
    }
    /* Numbers in named columns are decimal: no hex, no underflow to 0. */
    {
        char *p = write_text("hex-cols.csv", "a,b\n1,x\n 0x10 ,y\n");
        expect_columns_error(p, GD_EINVAL, "hex", "line 3, column 'a'", "got '0x10'");
        free(p);
        p = write_text("under-cols.csv", "a\n1\n1e-400\n");
        expect_columns_error(p, GD_EINVAL, "underflow", "line 3, column 'a'", "too small: rounds to 0");
        free(p);
        p = write_text("inf-cols.csv", "a\n1\ninf\n");
        expect_columns_error(p, GD_EINVAL, "inf", "line 3, column 'a'", "got 'inf'");
        free(p);
        static const char *const names[] = {"a"};
        double *v = NULL;
        size_t *ln = NULL, n = 0;
        p = write_text("ok-cols.csv", "\"a\" ,z\n \"-2.5e-3\" ,q\n4.,r\n");
        gd_status st = gd_data_load_columns(&ctx, p, 1, names, &v, &ln, &n);
        gdt_check(st == GD_OK && n == 2 && v[0] == -2.5e-3 && v[1] == 4.0 && ln[1] == 3,
                  "columns: quoted and blank-padded decimals still read (%s)", ctx.err);
        gd_free(v), gd_free(ln);
        free(p);
    }
    alarm(0);
}

/* The expression parser is a reader of user input too (--f, --formula):
 * its length is bounded and its numbers are gdlab's decimal syntax. (Here
 * rather than in test_expr.c, which this change does not own.) */
static void test_expr_bounds(void) {
    static const struct {
        const char *src, *s1, *s2;
    } bad[] = {
        {"0x10", "column 1", "'0x10'"},
        {"x + 0X1p4", "column 5", "'0X1p4'"},
        {"1e-400 * x", "column 1", "too small: rounds to 0"},
        {"x + 1e999", "column 5", "too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_expr *e = (gd_expr *)&ctx;
        gd_status st = gd_expr_parse(&ctx, bad[i].src, NULL, 0, &e);
        gdt_check(st == GD_EINVAL && e == NULL && strstr(ctx.err, bad[i].s1) && strstr(ctx.err, bad[i].s2),
                  "expression '%s' refused (\"%s\")", bad[i].src, ctx.err);
        if (st == GD_OK) gd_expr_free(e);
    }
    static const struct {
        const char *src;
        double x, want;
    } good[] = {
        {"2.5e1 + .5 * x", 1.0, 25.5}, {"x + inf", 1.0, INFINITY}, {"1E+2 - x", 1.0, 99.0},
        {"min(x, 4.e-1)", 1.0, 0.4},   {"4.9e-324 * 0 + x", 3.0, 3.0},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_expr *e = NULL;
        gd_status st = gd_expr_parse(&ctx, good[i].src, NULL, 0, &e);
        double v = st == GD_OK ? gd_expr_eval(e, &good[i].x) : (double)NAN;
        gdt_check(st == GD_OK && v == good[i].want, "expression '%s' = %g (%g; %s)", good[i].src, good[i].want, v,
                  ctx.err);
        gd_expr_free(e);
    }
    {
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_expr *e = NULL;
        gd_status st = gd_expr_parse(&ctx, "nan", NULL, 0, &e);
        gdt_check(st == GD_OK && isnan(gd_expr_eval(e, NULL)), "expression 'nan' is still NaN (%s)", ctx.err);
        gd_expr_free(e);
    }
    /* 4096 characters are read, 4097 refused before parsing. */
    {
        char *src = malloc(8192);
        if (!src) abort();
        size_t n = 0;
        src[n++] = 'x';
        while (n + 2 <= 4096) src[n++] = '+', src[n++] = '1';
        src[n] = '\0';
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_expr *e = NULL;
        double x = 1.0;
        gd_status st = gd_expr_parse(&ctx, src, NULL, 0, &e);
        gdt_check(st == GD_OK && strlen(src) == 4095 && gd_expr_eval(e, &x) == 2048.0,
                  "an expression of %zu characters is read (%s)", strlen(src), ctx.err);
        gd_expr_free(e);
        e = (gd_expr *)&ctx;
        memset(src, ' ', 4200);
        strcpy(src + 4200, "x");
        st = gd_expr_parse(&ctx, src, NULL, 0, &e);
        gdt_check(st == GD_EINVAL && e == NULL && strstr(ctx.err, "longer than 4096 characters"),
                  "an expression of 4201 characters is refused (\"%s\")", ctx.err);
        free(src);
    }
}

/* ---- named sets through $GDLAB_DATA -------------------------------------- */

static void test_lookup(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL;
    char *dir = tpath("datadir");
    mkdir(dir, 0755);
    /* A fake digits (no header line) and a breast_cancer whose first line
     * promises more rows than there are. */
    char *p = write_file("datadir/digits.csv.gz", "1,2,3\n4,5,6\n", 12, 1);
    free(p);
    p = write_text("datadir/breast_cancer.csv", "3,2,no,yes\n1,2,0\n3,4,1\n");
    free(p);
    setenv("GDLAB_DATA", dir, 1);
    gd_status st = gd_data_load(&ctx, "digits", 1, &ds);
    gdt_check(st == GD_OK && ds->n == 2 && ds->d == 2 && ds->k == 7 && ds->x[2] == 4.0 &&
                  strcmp(ds->name, "digits") == 0,
              "$GDLAB_DATA comes first: the fake digits is 2 x 2 (%s)", ctx.err);
    gd_data_free(ds);
    st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    gdt_check(st == GD_EINVAL && ds == NULL && strstr(ctx.err, "2 data rows, but line 1 says 3"),
              "breast_cancer's row count is checked (\"%s\")", ctx.err);
    p = write_text("datadir/breast_cancer.csv", "2,3,no,yes\n1,2,0\n3,4,1\n");
    free(p);
    st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "line 2") && strstr(ctx.err, "expected 4"),
              "breast_cancer's feature count is checked (\"%s\")", ctx.err);
    p = write_text("datadir/breast_cancer.csv", "2,99999999999999,no,yes\n1,2,0\n");
    free(p);
    st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "line 2") && strstr(ctx.err, "expected 100000000000000"),
              "a count line promising 10^14 features fails on the data (\"%s\")", ctx.err);
    p = write_text("datadir/breast_cancer.csv", "many,3\n1,2,0\n");
    free(p);
    st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "line 1"),
              "breast_cancer's count line is checked (\"%s\")", ctx.err);
    p = write_text("datadir/breast_cancer.csv", "0x2,2,no,yes\n1,2,0\n3,4,1\n");
    free(p);
    st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "line 1"),
              "breast_cancer's count line is decimal: 0x2 refused (\"%s\")", ctx.err);
    if (st == GD_OK) gd_data_free(ds);
    /* breast_cancer.csv.gz when there is no breast_cancer.csv. */
    p = tpath("datadir/breast_cancer.csv");
    unlink(p);
    free(p);
    p = write_file("datadir/breast_cancer.csv.gz", "2,2,no,yes\n1,2,0\n3,4,1\n", 23, 1);
    free(p);
    st = gd_data_load(&ctx, "breast_cancer", 1, &ds);
    gdt_check(st == GD_OK && ds->n == 2 && ds->d == 2 && ds->k == 2 && ds->x[3] == 4.0,
              "breast_cancer.csv.gz is found too (%s)", ctx.err);
    gd_data_free(ds);
    setenv("GDLAB_DATA", "", 1);
    st = gd_data_load(&ctx, "digits", 1, &ds);
    gdt_check(st == GD_OK && ds->n == 1797, "empty $GDLAB_DATA is ignored");
    gd_data_free(ds);
    unsetenv("GDLAB_DATA");
    free(dir);
}

/* ---- IDX ---------------------------------------------------------------- */

/* An IDX header: magic then dims, big-endian. */
static size_t idx_header(unsigned char *b, unsigned long magic, const unsigned long *dims,
                         int nd) {
    size_t n = 0;
    for (int s = 24; s >= 0; s -= 8) b[n++] = (unsigned char)(magic >> s);
    for (int i = 0; i < nd; i++)
        for (int s = 24; s >= 0; s -= 8) b[n++] = (unsigned char)(dims[i] >> s);
    return n;
}

static void test_idx(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL;
    unsigned char im[64], lb[16];
    const unsigned long dim3[3] = {3, 2, 2}, dim1[1] = {3};
    size_t hi = idx_header(im, 0x803, dim3, 3), hl = idx_header(lb, 0x801, dim1, 1);
    for (int i = 0; i < 12; i++) im[hi + (size_t)i] = (unsigned char)(i * 23);
    lb[hl] = 2;
    lb[hl + 1] = 0;
    lb[hl + 2] = 1;
    char *ip = write_file("im.idx", im, hi + 12, 0), *lp = write_file("lb.idx.gz", lb, hl + 3, 1);
    gd_status st = gd_data_load_idx(&ctx, ip, lp, &ds);
    gdt_check(st == GD_OK && ds->n == 3 && ds->d == 4 && ds->k == 3 &&
                  ds->x[5] == 115.0 / 255.0 && ds->x[11] == 253.0 / 255.0 && ds->y[0] == 2.0 &&
                  ds->y[2] == 1.0 && strcmp(ds->name, ip) == 0,
              "IDX 3 x 2 x 2 (plain) with labels (gzip): pixels / 255, k = 3 (%s)", ctx.err);
    gd_data_free(ds);

    /* Wrong magic: labels as images, and images of type 0x09. */
    expect_idx_error(lp, lp, GD_EINVAL, "labels given as images", lp, "magic number 0x00000801",
                     "expected 0x00000803");
    im[2] = 0x09;
    char *bp = write_file("bad-magic.idx", im, hi + 12, 0);
    expect_idx_error(bp, lp, GD_EINVAL, "signed-byte images", bp, "0x00000903", NULL);
    free(bp);
    im[2] = 0x08;
    /* Truncated images: 12 bytes promised, 10 there; extra bytes. */
    bp = write_file("trunc.idx", im, hi + 10, 0);
    expect_idx_error(bp, lp, GD_EINVAL, "truncated images", bp, "need 12 data bytes",
                     "has 10");
    free(bp);
    {
        unsigned char more[64];
        memcpy(more, im, hi + 12);
        memset(more + hi + 12, 7, 5);
        bp = write_file("long.idx.gz", more, hi + 17, 1);
        expect_idx_error(bp, lp, GD_EINVAL, "bytes left over", bp, "left over", "has 17");
        free(bp);
    }
    bp = write_file("short-header.idx", im, 9, 0);
    expect_idx_error(bp, lp, GD_EINVAL, "truncated header", bp, "expected 16 bytes", "has 9");
    free(bp);
    /* A header claiming 2^32 - 1 images of 255 x 255 pixels: more than a
     * data set may hold, refused from the header. */
    {
        const unsigned long huge[3] = {0xffffffffUL, 255, 255};
        unsigned char h[32];
        size_t n = idx_header(h, 0x803, huge, 3);
        memset(h + n, 1, 16);
        bp = write_file("huge.idx", h, n + 16, 0);
        expect_idx_error(bp, lp, GD_EINVAL, "huge header", bp, "4294967295 x 255 x 255",
                         "more than the 134217728");
        free(bp);
        bp = write_file("huge.idx.gz", h, n + 16, 1);
        expect_idx_error(bp, lp, GD_EINVAL, "huge header (gzip)", bp, "more than the 134217728", NULL);
        free(bp);
        /* 2^27 + 1 labels: over the bound too. */
        const unsigned long many[1] = {(1UL << 27) + 1};
        n = idx_header(h, 0x801, many, 1);
        bp = write_file("many.idx", h, n + 4, 0);
        expect_idx_error(ip, bp, GD_EINVAL, "2^27 + 1 labels", bp, "more than the 134217728", NULL);
        free(bp);
    }
    /* A plain file shorter than its header says is refused from its size,
     * before any data are read: 60000 images of 28 x 28 (47 MB) in a file
     * of 16 + 16 bytes, under failure injection after the header's
     * allocation would be the only one. */
    {
        const unsigned long fm[3] = {60000, 28, 28};
        unsigned char h[32];
        size_t n = idx_header(h, 0x803, fm, 3);
        memset(h + n, 1, 16);
        bp = write_file("short.idx", h, n + 16, 0);
        gd_alloc_fail_after(0);
        expect_idx_error(bp, lp, GD_EINVAL, "60000 x 28 x 28 promised, 16 bytes there (no allocation)", bp,
                         "truncated", "has 16");
        gd_alloc_fail_after(-1);
        free(bp);
    }
    /* Labels are classes counted from 0 with none left out: a 200 among
     * labels 0..9 is refused at its index. */
    {
        const unsigned long d20[1] = {20}, d20i[3] = {20, 1, 1};
        unsigned char l20[32], i20[64];
        size_t m = idx_header(l20, 0x801, d20, 1), mi = idx_header(i20, 0x803, d20i, 3);
        for (int i = 0; i < 20; i++) l20[m + (size_t)i] = (unsigned char)(i % 10), i20[mi + (size_t)i] = 7;
        l20[m + 17] = 200;
        char *l20p = write_file("l200.idx.gz", l20, m + 20, 1), *i20p = write_file("i20.idx", i20, mi + 20, 0);
        expect_idx_error(i20p, l20p, GD_EINVAL, "label 200 among 0..9", l20p, ": label 200 at index 17:",
                         "expected a class 0..9");
        l20[m + 17] = 7;
        for (int i = 0; i < 20; i++) l20[m + (size_t)i] = (unsigned char)(1 + i % 3);
        free(l20p);
        l20p = write_file("l1.idx", l20, m + 20, 0);
        expect_idx_error(i20p, l20p, GD_EINVAL, "no label 0", ": label 1 at index 0:", "no label is 0", NULL);
        free(l20p);
        free(i20p);
    }
    /* Count mismatch: 4 labels for 3 images. */
    {
        const unsigned long four[1] = {4};
        unsigned char l4[16];
        size_t n = idx_header(l4, 0x801, four, 1);
        memset(l4 + n, 1, 4);
        bp = write_file("l4.idx", l4, n + 4, 0);
        expect_idx_error(ip, bp, GD_EINVAL, "4 labels for 3 images", "4 labels", "3 images", NULL);
        free(bp);
    }
    /* A zero dimension. */
    {
        const unsigned long zero[3] = {3, 0, 2};
        unsigned char z[16];
        size_t n = idx_header(z, 0x803, zero, 3);
        bp = write_file("zero.idx", z, n, 0);
        expect_idx_error(bp, lp, GD_EINVAL, "zero dimension", "dimension 2 is 0", NULL, NULL);
        free(bp);
    }
    /* Truncated gzip. */
    {
        unsigned char big[16 + 4000];
        const unsigned long d[3] = {10, 20, 20};
        size_t n = idx_header(big, 0x803, d, 3);
        for (size_t i = 0; i < 4000; i++) big[n + i] = (unsigned char)((i * i) % 251);
        bp = write_file("tgz.idx.gz", big, n + 4000, 1);
        struct stat sb;
        if (stat(bp, &sb) != 0 || truncate(bp, sb.st_size - 12) != 0) abort();
        const unsigned long d10[1] = {10};
        unsigned char l10[32];
        size_t m = idx_header(l10, 0x801, d10, 1);
        memset(l10 + m, 0, 10);
        char *l10p = write_file("l10.idx", l10, m + 10, 0);
        expect_idx_error(bp, l10p, GD_EINVAL, "truncated gzip", bp, "gzip", NULL);
        free(l10p);
        free(bp);
    }
    /* Missing files. */
    bp = tpath("missing-images.idx");
    expect_idx_error(bp, lp, GD_EIO, "missing images", bp, "No such file", NULL);
    expect_idx_error(ip, bp, GD_EIO, "missing labels", bp, "No such file", NULL);
    free(bp);
    free(ip);
    free(lp);
}

/* ---- failure injection --------------------------------------------------- */

typedef gd_status (*load_fn)(gd_ctx *ctx, const void *arg, gd_dataset **out);

static gd_status load_csv_fn(gd_ctx *ctx, const void *arg, gd_dataset **out) {
    return gd_data_load_csv(ctx, arg, 1, out);
}
static gd_status load_named_fn(gd_ctx *ctx, const void *arg, gd_dataset **out) {
    return gd_data_load(ctx, arg, 1, out);
}
static gd_status load_idx_fn(gd_ctx *ctx, const void *arg, gd_dataset **out) {
    const char *const *p = arg;
    return gd_data_load_idx(ctx, p[0], p[1], out);
}
static gd_status subset_fn(gd_ctx *ctx, const void *arg, gd_dataset **out) {
    return gd_data_subset(ctx, arg, 50, 1, out);
}

/* Runs f with allocation k failing, k = 0, 1, ... until it succeeds:
 * every failure must be GD_ENOMEM with out NULL (leaks show under ASan). */
static void inject(const char *what, load_fn f, const void *arg) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    int enomem = 0, bad = 0, ok = 0;
    for (long k = 0; k < 10000 && !ok; k++) {
        gd_dataset *ds = (gd_dataset *)&ctx;
        gd_alloc_fail_after(k);
        gd_status st = f(&ctx, arg, &ds);
        gd_alloc_fail_after(-1);
        if (st == GD_OK) ok = ds != NULL;
        else if (st == GD_ENOMEM && ds == NULL) enomem++;
        else bad++;
        if (st == GD_OK) gd_data_free(ds);
    }
    gdt_check(ok && enomem > 0 && bad == 0,
              "%s under failure injection: %d ENOMEM, then OK (%d other failures)", what, enomem, bad);
}

static void test_alloc_failures(void) {
    char *p = write_text("inject.csv", "a,b,c\n1,2,0\n3,4,1\n5,6,2\n");
    inject("CSV load", load_csv_fn, p);
    free(p);
    inject("digits load", load_named_fn, "digits");
    inject("breast_cancer load", load_named_fn, "breast_cancer");
    unsigned char im[32], lb[16];
    const unsigned long d3[3] = {2, 2, 2}, d1[1] = {2};
    size_t hi = idx_header(im, 0x803, d3, 3), hl = idx_header(lb, 0x801, d1, 1);
    memset(im + hi, 9, 8);
    lb[hl] = 1, lb[hl + 1] = 0;
    char *ip = write_file("inj-im.idx", im, hi + 8, 0), *lp = write_file("inj-lb.idx", lb, hl + 2, 0);
    const char *paths[2] = {ip, lp};
    inject("IDX load", load_idx_fn, paths);
    free(ip);
    free(lp);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_dataset *ds = NULL;
    if (gd_data_load(&ctx, "digits", 1, &ds) == GD_OK) inject("balanced subset", subset_fn, ds);
    gd_data_free(ds);
    gd_data_free(NULL); /* does nothing */
}

int main(void) {
    char dir[] = "/tmp/gdlab-test-data-XXXXXX";
    if (!mkdtemp(dir)) {
        gdt_check(0, "mkdtemp: %s", strerror(errno));
        return gdt_summary();
    }
    root = dir;
    unsetenv("GDLAB_DATA");
    test_digits();
    test_breast_cancer();
    test_fashion();
    test_transforms();
    test_csv();
    test_lookup();
    test_idx();
    test_bounds();
    test_expr_bounds();
    test_alloc_failures();
    if (getenv("GDLAB_TEST_KEEP")) printf("output kept in %s\n", root);
    else remove_tree(root);
    return gdt_summary();
}
