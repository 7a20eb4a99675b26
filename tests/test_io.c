/* Tests of the result model (src/core/result.c) and the io sinks: the
 * summary.json contract read back with cJSON, CSV round trips, PNG/SVG
 * files, atomic writes and their failures, allocation failure injection,
 * the terminal summary and report.md.
 * Set GDLAB_TEST_KEEP=1 to keep the temporary output directory. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "gdlab/io.h"
#include "gdlab/result.h"
#include "gdtest.h"
#include "io/io_internal.h"

/* ---- helpers ------------------------------------------------------------ */

static char *path2(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (!p) abort();
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Whole file in a malloc'd NUL-terminated buffer, or NULL. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of directory entries whose name contains ".tmp." (recursive). */
static int count_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strstr(e->d_name, ".tmp.")) n++;
        char *p = path2(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) n += count_tmp(p);
        free(p);
    }
    closedir(d);
    return n;
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *p = path2(dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
            else unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int same_double(double a, double b) {
    if (isnan(a) && isnan(b)) return 1;
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Values that stress %.17g: thirds, tiny and huge magnitudes, a subnormal,
 * negative zero is avoided (cJSON prints it as 0, which is fine for JSON but
 * not bit-exact), non-finite values for the CSV. */
static double test_value(size_t i, size_t j) {
    static const double specials[] = {2.385, 1.0 / 3.0, -0.1, 1e-300,
                                      4.9406564584124654e-324,
                                      1.7976931348623157e308,
                                      123456789.12345679, -7.25e-5};
    if (i % 97 == 13 && j == 1) return NAN;
    if (i % 89 == 7 && j == 2) return INFINITY;
    if (i < 8 && j == 1) return specials[i];
    return (double)i * 0.1 + (double)j / 7.0 + sin((double)(i * 3 + j));
}

#define NROWS 1000
#define SEED 12345678901ULL

/* Builds the reference result. Returns NULL on any failure (allocation
 * failure injection exercises every exit). */
static gd_result *build_result(void) {
    gd_result *r = gd_result_new("eos-quad", SEED);
    if (!r) return NULL;
    gd_status st = GD_OK;
    st = st ? st : gd_result_param_add(r, "lr", "0.1", 0.1, 1);
    st = st ? st : gd_result_param_add(r, "steps", "inf", INFINITY, 1);
    st = st ? st : gd_result_param_add(r, "opt", "sgd", 0.0, 0);
    st = st ? st : gd_result_param_add(r, "width", "opt", NAN, 1);
    st = st ? st : gd_result_param_add(r, "lr", "0.125", 0.125, 1); /* replaces */
    if (st) goto fail;

    const char *cols[3] = {"step", "loss", "loss_se"};
    gd_series *s = gd_result_series_new(r, "trace", 3, cols);
    if (!s) goto fail;
    for (size_t i = 0; i < NROWS; i++) {
        double row[3];
        for (size_t j = 0; j < 3; j++) row[j] = test_value(i, j);
        row[0] = (double)(i + 1);
        if (i >= 8) row[1] = 3.0 * exp(-0.004 * (double)i) + 0.05;
        if (i % 97 == 13) row[1] = NAN;
        row[2] = 0.02 * row[1];
        if (i % 89 == 7) row[2] = INFINITY;
        if (gd_series_append(s, row)) goto fail;
    }
    const char *cols2[2] = {"lr", "sharpness"};
    gd_series *s2 = gd_result_series_new(r, "sweep", 2, cols2);
    if (!s2) goto fail;
    for (int i = 0; i < 9; i++) {
        double lr = 0.01 * pow(2.0, i), row[2] = {lr, 2.0 / lr * (1.0 + 0.01 * i)};
        if (gd_series_append(s2, row)) goto fail;
    }

    st = st ? st : gd_result_scalar(r, "lambda_max", 2.385, NAN);
    st = st ? st : gd_result_scalar(r, "rate", INFINITY, 0.0125);
    st = st ? st : gd_result_scalar(r, "gap", 0.125, 0.003);
    st = st ? st : gd_result_scalar(r, "gap", 0.25, 0.004); /* replaces */
    if (st) goto fail;

    st = gd_result_claim(r, "001-g", "seeds/001.md", GD_VERDICT_CONFIRMED,
                         "The sharpness rises to 2/lr and hovers there",
                         "2/lr = 16", "15.97 \xc2\xb1 0.05",
                         "max |lambda - 2/lr| = %.3g at lr = %g, tol %g", 0.03,
                         0.125, 0.1);
    if (st) goto fail;
    st = gd_result_claim(r, "002-a|b", "paper \"X\" (2021)", GD_VERDICT_REFUTED,
                         "Loss | decreases monotonically", "monotone",
                         "rises at step 812", "%s", "loss(812) > loss(811)");
    if (st) goto fail;
    char big[5000];
    memset(big, 'e', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    st = gd_result_claim(r, "003", "", GD_VERDICT_INCONCLUSIVE, "long evidence",
                         "", "", "[%s]", big);
    if (st) goto fail;

    /* The plot's strings live in buffers that are scribbled over after the
     * call, to check that the result keeps its own copies. */
    char name[16] = "loss", title[32] = "Loss # and sharpness", ser[16] = "trace";
    gd_plot p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.title = title;
    p.xlabel = "step";
    p.ylabel = "loss";
    p.logy = 1;
    p.nlines = 2;
    p.line[0] = (gd_plot_line){ser, "step", "loss", NULL, "training loss", 0};
    p.line[1] = (gd_plot_line){ser, "step", "loss_se", NULL, "loss s.e. (points)", 1};
    p.nhlines = 1;
    p.hline[0] = 0.05;
    p.hlabel[0] = "floor 0.05";
    if (gd_result_plot(r, &p)) goto fail;
    memset(name, 'X', sizeof name - 1);
    memset(title, 'X', sizeof title - 1);
    memset(ser, 'X', sizeof ser - 1);

    gd_plot q;
    memset(&q, 0, sizeof q);
    q.name = "sweep";
    q.title = "Sharpness against learning rate";
    q.xlabel = "learning rate \xce\xb7";
    q.ylabel = "sharpness";
    q.logx = q.logy = 1;
    q.nlines = 1;
    q.line[0] = (gd_plot_line){"sweep", "lr", "sharpness", NULL, "measured", 1};
    q.nhlines = 2;
    q.hline[0] = 20.0;
    q.hline[1] = -1.0; /* not drawable on a log axis: skipped */
    q.hlabel[0] = "2/lr at lr = 0.1";
    if (gd_result_plot(r, &q)) goto fail;

    gd_result_set_status(r, GD_RUN_DIVERGED, "loss non-finite at step %d", 812);
    r->elapsed_s = 1.5;
    return r;
fail:
    gd_result_free(r);
    return NULL;
}

/* ---- result model ------------------------------------------------------- */

static void test_result(void) {
    gdt_check(!strcmp(gd_verdict_name(GD_VERDICT_CONFIRMED), "confirmed")
                  && !strcmp(gd_verdict_name(GD_VERDICT_REFUTED), "refuted")
                  && !strcmp(gd_verdict_name(GD_VERDICT_INCONCLUSIVE), "inconclusive"),
              "verdict names");
    gdt_check(!strcmp(gd_run_status_name(GD_RUN_OK), "ok")
                  && !strcmp(gd_run_status_name(GD_RUN_DIVERGED), "diverged")
                  && !strcmp(gd_run_status_name(GD_RUN_FAILED), "failed"),
              "run status names");
    gd_result_free(NULL);
    gdt_check(1, "gd_result_free(NULL) is a no-op");

    gd_result *r = build_result();
    if (!gdt_check(r != NULL, "build the reference result")) return;
    gdt_check(!strcmp(r->experiment, "eos-quad") && r->seed == SEED,
              "experiment and seed kept");
    gdt_check(r->nparams == 4 && !strcmp(r->params[0].text, "0.125")
                  && r->params[0].value == 0.125,
              "param added twice keeps the last value (%zu params)", r->nparams);
    gdt_check(isnan(r->params[2].value) && !r->params[2].is_number,
              "string param has NAN value");
    gd_series *s = gd_result_series_find(r, "trace");
    gdt_check(s && s->nrows == NROWS && s->ncols == 3, "series has %d rows", NROWS);
    gdt_check(s && gd_series_col(s, "loss_se") == 2 && gd_series_col(s, "nope") == -1,
              "column lookup");
    gdt_check(gd_result_series_find(r, "nope") == NULL, "missing series is NULL");
    gdt_check(s && same_double(s->data[3 * 5 + 1], test_value(5, 1)),
              "series value stored exactly");
    gdt_check(r->nscalars == 3, "scalar replaced, not added (%zu scalars)", r->nscalars);
    const gd_scalar *g = gd_result_scalar_find(r, "gap");
    gdt_check(g && g->value == 0.25 && g->se == 0.004, "replaced scalar value");
    gdt_check(gd_result_scalar_find(r, "nope") == NULL, "missing scalar is NULL");
    gdt_check(r->nclaims == 3
                  && !strcmp(r->claims[0].evidence,
                             "max |lambda - 2/lr| = 0.03 at lr = 0.125, tol 0.1"),
              "claim evidence formatted: %s", r->nclaims ? r->claims[0].evidence : "");
    gdt_check(r->nclaims == 3 && strlen(r->claims[2].evidence) == 5001
                  && r->claims[2].evidence[0] == '[' && r->claims[2].evidence[5000] == ']',
              "claim evidence of any length (5001 chars)");
    gdt_check(r->nplots == 2 && !strcmp(r->plots[0].name, "loss")
                  && !strcmp(r->plots[0].title, "Loss # and sharpness")
                  && !strcmp(r->plots[0].line[0].series, "trace")
                  && !strcmp(r->plots[0].line[1].label, "loss s.e. (points)")
                  && r->plots[0].line[1].points == 1 && r->plots[0].line[0].yerr == NULL
                  && !strcmp(r->plots[0].hlabel[0], "floor 0.05"),
              "plot deep-copied");
    gdt_check(r->status == GD_RUN_DIVERGED && r->status_detail
                  && !strcmp(r->status_detail, "loss non-finite at step 812"),
              "status and detail");
    gd_result_set_status(r, GD_RUN_OK, NULL);
    gdt_check(r->status == GD_RUN_OK && r->status_detail == NULL,
              "status detail cleared with NULL fmt");
    gd_result_free(r);

    /* Many series: pointers stay valid while later series are added, so
     * an experiment can make all its series first and fill them after. */
    r = gd_result_new("many", 1);
    int ok = r != NULL;
    gd_series *first[40];
    for (int i = 0; ok && i < 40; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "s%d", i);
        const char *c[1] = {"v"};
        ok = (first[i] = gd_result_series_new(r, nm, 1, c)) != NULL;
    }
    for (int i = 0; ok && i < 40; i++) {
        double v = i + 0.5;
        ok = gd_series_append(first[i], &v) == GD_OK;
    }
    gd_series *s17 = ok ? gd_result_series_find(r, "s17") : NULL;
    gdt_check(ok && r->nseries == 40 && s17 == first[17] && s17->data[0] == 17.5,
              "40 series made before any is filled: pointers valid, values intact");
    gd_result_free(r);
}

/* ---- summary.json contract ---------------------------------------------- */

static int json_is_num(const cJSON *j, double want) {
    return cJSON_IsNumber(j) && j->valuedouble == want;
}

static int json_is_str(const cJSON *j, const char *want) {
    return cJSON_IsString(j) && !strcmp(j->valuestring, want);
}

static void check_summary(const char *text, const gd_result *r) {
    cJSON *j = cJSON_Parse(text);
    if (!gdt_check(j != NULL && cJSON_IsObject(j), "summary.json parses")) {
        cJSON_Delete(j);
        return;
    }
    static const char *keys[] = {"experiment", "version", "seed", "params",
                                 "status", "status_detail", "scalars", "claims",
                                 "series", "plots", "elapsed_s", "notes"};
    int n = cJSON_GetArraySize(j), all = 1;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        all &= cJSON_HasObjectItem(j, keys[i]);
    gdt_check(all && n == 12, "exactly the 12 contract keys (%d)", n);

    gdt_check(json_is_str(cJSON_GetObjectItem(j, "experiment"), "eos-quad"), "experiment");
    gdt_check(json_is_str(cJSON_GetObjectItem(j, "version"), GD_VERSION), "version");
    gdt_check(json_is_num(cJSON_GetObjectItem(j, "seed"), (double)SEED)
                  && strstr(text, "\"seed\":\t12345678901,") != NULL,
              "seed is the integer 12345678901");

    const cJSON *p = cJSON_GetObjectItem(j, "params");
    gdt_check(cJSON_IsObject(p) && cJSON_GetArraySize(p) == 4, "params object of 4");
    gdt_check(json_is_num(cJSON_GetObjectItem(p, "lr"), 0.125), "param lr = 0.125");
    gdt_check(json_is_str(cJSON_GetObjectItem(p, "steps"), "inf"), "param steps = \"inf\"");
    gdt_check(json_is_str(cJSON_GetObjectItem(p, "opt"), "sgd"), "param opt = \"sgd\"");
    gdt_check(cJSON_IsNull(cJSON_GetObjectItem(p, "width")), "NaN param is null");

    gdt_check(json_is_str(cJSON_GetObjectItem(j, "status"), "diverged"), "status");
    gdt_check(json_is_str(cJSON_GetObjectItem(j, "status_detail"),
                          "loss non-finite at step 812"),
              "status_detail");

    const cJSON *sc = cJSON_GetObjectItem(j, "scalars");
    gdt_check(cJSON_IsObject(sc) && cJSON_GetArraySize(sc) == 3, "scalars object of 3");
    const cJSON *lam = cJSON_GetObjectItem(sc, "lambda_max");
    gdt_check(json_is_num(cJSON_GetObjectItem(lam, "value"), 2.385)
                  && cJSON_IsNull(cJSON_GetObjectItem(lam, "se")),
              "scalar lambda_max: value 2.385, se null");
    const cJSON *rate = cJSON_GetObjectItem(sc, "rate");
    gdt_check(cJSON_IsNull(cJSON_GetObjectItem(rate, "value"))
                  && json_is_num(cJSON_GetObjectItem(rate, "se"), 0.0125),
              "scalar rate: infinite value null, se 0.0125");
    const cJSON *gap = cJSON_GetObjectItem(sc, "gap");
    gdt_check(json_is_num(cJSON_GetObjectItem(gap, "value"), 0.25)
                  && json_is_num(cJSON_GetObjectItem(gap, "se"), 0.004),
              "scalar gap: 0.25 +- 0.004");

    const cJSON *cl = cJSON_GetObjectItem(j, "claims");
    gdt_check(cJSON_IsArray(cl) && cJSON_GetArraySize(cl) == (int)r->nclaims,
              "claims array of %zu", r->nclaims);
    for (int i = 0; i < cJSON_GetArraySize(cl) && i < (int)r->nclaims; i++) {
        const cJSON *c = cJSON_GetArrayItem(cl, i);
        const gd_claim *rc = &r->claims[i];
        gdt_check(cJSON_GetArraySize(c) == 7
                      && json_is_str(cJSON_GetObjectItem(c, "id"), rc->id)
                      && json_is_str(cJSON_GetObjectItem(c, "source"), rc->source)
                      && json_is_str(cJSON_GetObjectItem(c, "statement"), rc->statement)
                      && json_is_str(cJSON_GetObjectItem(c, "predicted"), rc->predicted)
                      && json_is_str(cJSON_GetObjectItem(c, "measured"), rc->measured)
                      && json_is_str(cJSON_GetObjectItem(c, "verdict"),
                                     gd_verdict_name(rc->verdict))
                      && json_is_str(cJSON_GetObjectItem(c, "evidence"), rc->evidence),
                  "claim %d (%s) round-trips all 7 fields", i, rc->id);
    }

    const cJSON *se = cJSON_GetObjectItem(j, "series");
    gdt_check(cJSON_IsObject(se) && cJSON_GetArraySize(se) == 2
                  && json_is_str(cJSON_GetObjectItem(se, "trace"), "trace.csv")
                  && json_is_str(cJSON_GetObjectItem(se, "sweep"), "sweep.csv"),
              "series map to NAME.csv");
    const cJSON *pl = cJSON_GetObjectItem(j, "plots");
    gdt_check(cJSON_IsArray(pl) && cJSON_GetArraySize(pl) == 2
                  && json_is_str(cJSON_GetArrayItem(pl, 0), "loss.png")
                  && json_is_str(cJSON_GetArrayItem(pl, 1), "sweep.png"),
              "plots list NAME.png");
    gdt_check(json_is_num(cJSON_GetObjectItem(j, "elapsed_s"), 1.5), "elapsed_s");
    cJSON_Delete(j);
}

static void test_json(void) {
    gd_result *r = build_result();
    if (!r) return;
    char *text = gd_io_summary_json(r);
    if (gdt_check(text != NULL, "gd_io_summary_json")) check_summary(text, r);
    gd_free(text);

    /* Round trip of awkward doubles, a NULL detail and a 64-bit seed. */
    gd_result *q = gd_result_new("rt", UINT64_MAX);
    const double vals[] = {0.1, 1.0 / 3.0, 2.385, 1e-300, 4.9406564584124654e-324,
                           1.7976931348623157e308, -123456789.12345679, 0.3 - 0.1};
    int ok = q != NULL;
    for (size_t i = 0; ok && i < sizeof vals / sizeof *vals; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "v%zu", i);
        ok = gd_result_scalar(q, nm, vals[i], -vals[i]) == GD_OK;
    }
    text = ok ? gd_io_summary_json(q) : NULL;
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *sc = cJSON_GetObjectItem(j, "scalars");
    int exact = sc != NULL;
    for (size_t i = 0; exact && i < sizeof vals / sizeof *vals; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "v%zu", i);
        const cJSON *s = cJSON_GetObjectItem(sc, nm);
        exact = json_is_num(cJSON_GetObjectItem(s, "value"), vals[i])
                && json_is_num(cJSON_GetObjectItem(s, "se"), -vals[i]);
    }
    gdt_check(exact, "doubles round-trip exactly through summary JSON");
    gdt_check(j && cJSON_IsNull(cJSON_GetObjectItem(j, "status_detail"))
                  && json_is_str(cJSON_GetObjectItem(j, "status"), "ok"),
              "no detail is null, status ok");
    gdt_check(text && strstr(text, "18446744073709551615") != NULL,
              "seed 2^64-1 written exactly");
    gdt_check(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "claims")) == 0
                  && cJSON_IsArray(cJSON_GetObjectItem(j, "plots"))
                  && cJSON_IsObject(cJSON_GetObjectItem(j, "params")),
              "empty claims/plots/params are [], [] and {}");
    cJSON_Delete(j);
    gd_free(text);
    gd_result_free(q);
    gd_result_free(r);
}

/* ---- files -------------------------------------------------------------- */

/* Splits one CSV line at commas into at most max fields (in place). */
static int split(char *line, char **f, int max) {
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save))
        f[n++] = t;
    return n;
}

static void check_csv(const char *dir, const gd_series *s) {
    char *nm = path2(dir, "trace.csv");
    char *text = slurp(nm, NULL);
    free(nm);
    if (!gdt_check(text != NULL, "trace.csv exists")) return;
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    gdt_check(line && !strcmp(line, "step,loss,loss_se"), "CSV header");
    size_t rows = 0, bad = 0, nonfinite = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[4];
        int n = split(line, f, 4);
        if (n != 3 || rows >= s->nrows) {
            bad++;
            rows++;
            continue;
        }
        for (int c = 0; c < 3; c++) {
            char *end;
            double v = strtod(f[c], &end);
            if (*end || !same_double(v, s->data[rows * 3 + (size_t)c])) bad++;
            if (!isfinite(v)) nonfinite++;
        }
        rows++;
    }
    gdt_check(rows == s->nrows, "CSV has %zu rows (want %zu)", rows, s->nrows);
    gdt_check(bad == 0, "every CSV value reads back bit-exactly (%zu bad)", bad);
    gdt_check(nonfinite > 0, "CSV holds non-finite values (%zu) that read back", nonfinite);
    free(text);
}

static int starts_with_file(const char *path, const char *prefix, size_t n) {
    char buf[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return got == n && memcmp(buf, prefix, n) == 0;
}

static void check_plot_files(const char *dir, const char *name) {
    char file[256];
    snprintf(file, sizeof file, "%s.png", name);
    char *png = path2(dir, file);
    snprintf(file, sizeof file, "%s.svg", name);
    char *svg = path2(dir, file);
    gdt_check(starts_with_file(png, "\x89PNG\r\n\x1a\n", 8), "%s.png has the PNG signature", name);
    gdt_check(starts_with_file(svg, "<?xml", 5) || starts_with_file(svg, "<svg", 4),
              "%s.svg starts as SVG", name);
    free(png);
    free(svg);
}

static void test_write_result(const char *root) {
    gd_result *r = build_result();
    if (!r) return;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    char *dir = path2(root, "run/eos-quad");
    gd_status st = gd_io_write_result(&ctx, r, dir);
    gdt_check(st == GD_OK, "gd_io_write_result: %s (%s)", gd_status_name(st), ctx.err);
    check_csv(dir, gd_result_series_find(r, "trace"));
    check_plot_files(dir, "loss");
    check_plot_files(dir, "sweep");
    char *sum = path2(dir, "summary.json");
    char *disk = slurp(sum, NULL), *mem = gd_io_summary_json(r);
    gdt_check(disk && mem && !strcmp(disk, mem), "summary.json on disk is the summary text");
    if (disk) check_summary(disk, r);
    free(disk);
    gd_free(mem);
    free(sum);
    gdt_check(count_tmp(root) == 0, "no *.tmp.* files left after writing");

    /* The terminal summary: key lines present, nothing wider than 100. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (f) {
        gd_io_print_summary(f, r);
        fclose(f);
    }
    int wide = 0;
    for (char *l = out; l && *l;) {
        size_t n = strcspn(l, "\n"), cols = 0;
        for (size_t i = 0; i < n; i++) cols += ((unsigned char)l[i] & 0xC0) != 0x80;
        if (cols > 100) wide++;
        l += n + (l[n] == '\n');
    }
    gdt_check(out && strstr(out, "eos-quad") && strstr(out, "status: diverged")
                  && strstr(out, "loss non-finite at step 812"),
              "summary shows experiment and status detail");
    gdt_check(out && strstr(out, "lambda_max = 2.385\n")
                  && strstr(out, "gap        = 0.25 \xc2\xb1 0.004")
                  && strstr(out, "rate       = inf \xc2\xb1 0.013"),
              "summary shows scalars as name = value \xc2\xb1 se");
    gdt_check(out && strstr(out, "[confirmed]") && strstr(out, "[refuted]")
                  && strstr(out, "001-g: The sharpness rises")
                  && strstr(out, "predicted 2/lr = 16, measured 15.97"),
              "summary lists claims with verdicts");
    gdt_check(wide == 0, "no summary line wider than 100 columns (%d)", wide);
    if (getenv("GDLAB_TEST_VERBOSE") && out) fputs(out, stdout);
    free(out);
    free(dir);
    gd_result_free(r);
}

/* Two processes publishing the same directories at once (concurrent
 * sweeps on one store): every write succeeds, and each directory ends
 * whole. */
static void race(const char *root, const gd_result *r, const char *under) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    enum { NDIR = 200 };
    pid_t child = fork();
    int fails = 0;
    for (int i = 0; i < NDIR && child >= 0; i++) {
        char d[64];
        snprintf(d, sizeof d, "%s/%d", under, i);
        char *p = path2(root, d);
        fails += gd_io_write_result_data(&ctx, r, p) != GD_OK;
        free(p);
    }
    if (child == 0) _exit(fails ? 1 : 0);
    int ws = 1, whole = 0;
    if (child > 0) waitpid(child, &ws, 0);
    for (int i = 0; i < NDIR; i++) {
        char d[64];
        snprintf(d, sizeof d, "%s/%d/summary.json", under, i);
        char *p = path2(root, d);
        whole += exists(p);
        free(p);
    }
    gdt_check(child > 0 && fails == 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && whole == NDIR &&
                  count_tmp(root) == 0,
              "two processes publishing the same %d directories at once (%s): all writes succeed (%d failed here: "
              "%s), %d whole, no temporary left", NDIR, under, fails, fails ? ctx.err : "", whole);
}

/* The run directory is published whole and holds exactly one run: over
 * an earlier run (or an empty directory) it replaces the whole tree, so
 * no file of the earlier run stays beside the new one; a directory with
 * anything else in it (a user's) is refused and left as it was; onto a
 * file it fails and leaves no temporary; "dir/" is "dir". */
static void test_publish(const char *root) {
    gd_result *r = build_result();
    if (!r) return;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    char *dir = path2(root, "again"), *slash = path2(root, "again/");
    char *sum = path2(dir, "summary.json"), *trace = path2(dir, "trace.csv"), *old = path2(dir, "g_check.csv");
    gd_status st = gd_io_write_result_data(&ctx, r, dir);
    FILE *f = fopen(trace, "w"), *g = fopen(old, "w");
    if (f) fputs("stale\n", f), fclose(f);
    if (g) fputs("an earlier run's\n", g), fclose(g);
    gdt_check(gd_io_check_run_dir(&ctx, dir) == GD_OK, "a run directory can be replaced (%s)", ctx.err);
    if (st == GD_OK) st = gd_io_write_result_data(&ctx, r, slash);
    char *t = slurp(trace, NULL);
    gdt_check(st == GD_OK && exists(sum) && t && strncmp(t, "stale", 5) && !exists(old),
              "a second run into a run directory replaces it whole: no file of the earlier run left (%s)", ctx.err);
    free(t);
    gdt_check(count_tmp(root) == 0, "no temporary left by the replacement");

    /* A user's directory: refused before anything is written, untouched. */
    char *user = path2(root, "user"), *mine = path2(user, "notes.txt"), *csv = path2(user, "data.csv");
    mkdir(user, 0755);
    g = fopen(mine, "w");
    if (g) fputs("the user's\n", g), fclose(g);
    f = fopen(csv, "w");
    if (f) fputs("x\n1\n", f), fclose(f);
    ctx.err[0] = '\0';
    st = gd_io_check_run_dir(&ctx, user);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "user: exists and is not a gdlab run directory (it holds notes.txt); "
                                              "choose another directory"),
              "check_run_dir of a user's directory: %s", ctx.err);
    ctx.err[0] = '\0';
    st = gd_io_write_result_data(&ctx, r, user);
    char *m = slurp(mine, NULL), *c = slurp(csv, NULL);
    char *usum = path2(user, "summary.json");
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "not a gdlab run directory") && m && !strcmp(m, "the user's\n") &&
                  c && !strcmp(c, "x\n1\n") && !exists(usum) && count_tmp(root) == 0,
              "a run into a user's directory is refused and leaves it as it was (%s)", ctx.err);
    free(m), free(c), free(usum);
    unlink(mine);
    ctx.err[0] = '\0';
    st = gd_io_check_run_dir(&ctx, user);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "(it holds no summary.json)"),
              "CSVs without summary.json are not a run directory: %s", ctx.err);
    unlink(csv);
    st = gd_io_write_result_data(&ctx, r, user);
    gdt_check(st == GD_OK && exists(trace), "a run into an empty directory (%s)", ctx.err);
    char *dot = path2(dir, ".");
    ctx.err[0] = '\0';
    gdt_check(gd_io_check_run_dir(&ctx, dot) == GD_EINVAL && strstr(ctx.err, "cannot be '.'"),
              "a run directory named '.' cannot be replaced: %s", ctx.err);
    free(dot);
    char *sub = path2(dir, "sub");
    mkdir(sub, 0755);
    ctx.err[0] = '\0';
    gdt_check(gd_io_check_run_dir(&ctx, dir) == GD_EINVAL && strstr(ctx.err, "(it holds sub)"),
              "a run directory with a subdirectory is not one: %s", ctx.err);
    rmdir(sub);
    free(sub), free(user), free(mine), free(csv);

    char *file = path2(root, "plain");
    f = fopen(file, "w");
    if (f) fclose(f);
    ctx.err[0] = '\0';
    st = gd_io_write_result_data(&ctx, r, file);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "plain: exists and is not a directory"),
              "a run directory onto a file: %s", ctx.err);
    gdt_check(count_tmp(root) == 0, "no temporary left by the failed publication");
    free(file), free(dir), free(slash), free(sum), free(trace), free(old);

    /* The same without RENAME_EXCHANGE (the fallback: rename aside, rename,
     * remove): an earlier run's file goes too. */
    gd_io_test_exchange(0);
    char *fdir = path2(root, "fallback"), *fold = path2(fdir, "g_check.csv"), *fsum = path2(fdir, "summary.json");
    st = gd_io_write_result_data(&ctx, r, fdir);
    f = fopen(fold, "w");
    if (f) fclose(f);
    if (st == GD_OK) st = gd_io_write_result_data(&ctx, r, fdir);
    gdt_check(st == GD_OK && exists(fsum) && !exists(fold) && count_tmp(root) == 0,
              "without exchange, a run still replaces a run directory whole (%s)", ctx.err);
    free(fdir), free(fold), free(fsum);
    race(root, r, "race-fallback");
    gd_io_test_exchange(1);
    race(root, r, "race");
    gd_result_free(r);
}

/* Temporaries: a process killed by SIGTERM while it writes removes the
 * temporaries it registered (the handler of gd_io_cleanup_on_signals) and
 * dies of the signal; the next run into the same place removes those of
 * dead processes (a kill -9 cannot be caught) and keeps a live one's. */
static void test_temps(const char *root) {
    char *tmpdir = path2(root, "killed.tmp.x"), *inner = path2(tmpdir, "a.csv");
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        gd_io_cleanup_on_signals();
        int slot = gd_io_temp_register(tmpdir);
        mkdir(tmpdir, 0755);
        char *deep = path2(tmpdir, "d");
        mkdir(deep, 0755);
        for (int i = 0; i < 300; i++) {
            char name[32];
            snprintf(name, sizeof name, "f%d.csv", i);
            char *q = path2(i % 2 ? tmpdir : deep, name);
            FILE *f = fopen(q, "w");
            if (f) fputs("1,2\n", f), fclose(f);
            free(q);
        }
        if (write(fds[1], slot >= 0 ? "r" : "n", 1) != 1) _exit(3);
        for (;;) pause();
    }
    close(fds[1]);
    char c = 0;
    int got = child > 0 && read(fds[0], &c, 1) == 1;
    close(fds[0]);
    int ws = 0;
    if (got) kill(child, SIGTERM);
    if (child > 0) waitpid(child, &ws, 0);
    gdt_check(got && c == 'r' && WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM && !exists(inner) && !exists(tmpdir),
              "SIGTERM while writing: the registered temporary (a tree) removed, the process killed by the signal "
              "(%s, signalled %d, signal %d)", exists(tmpdir) ? "left" : "gone", WIFSIGNALED(ws),
              WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    free(tmpdir), free(inner);

    /* Stale temporaries: of a dead process (a child already reaped), and
     * of a live one (our parent). */
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    if (dead > 0) waitpid(dead, NULL, 0);
    char name[96];
    snprintf(name, sizeof name, "stale.tmp.%ld", (long)dead);
    char *sdead = path2(root, name), *sdeadf = path2(sdead, "x.csv");
    snprintf(name, sizeof name, "stale.tmp.%ld", (long)getppid());
    char *slive = path2(root, name);
    snprintf(name, sizeof name, "atom.csv.tmp.%ld", (long)dead);
    char *adead = path2(root, name);
    snprintf(name, sizeof name, "atom.csv.tmp.%ld", (long)getppid());
    char *alive = path2(root, name);
    /* a user's file named like a temporary of a dead process, whose base is
     * not a name gdlab writes: kept */
    snprintf(name, sizeof name, "notes.txt.tmp.%ld", (long)dead);
    char *users = path2(root, name);
    mkdir(sdead, 0755), mkdir(slive, 0755);
    FILE *f = fopen(sdeadf, "w");
    if (f) fputs("half\n", f), fclose(f);
    f = fopen(adead, "w");
    if (f) fclose(f);
    f = fopen(alive, "w");
    if (f) fclose(f);
    f = fopen(users, "w");
    if (f) fclose(f);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_result *r = gd_result_new("stale", 1);
    char *dir = path2(root, "stale"), *atom = path2(root, "atom.csv"), *notes = path2(root, "notes.txt");
    gd_status st = r ? gd_io_write_result_data(&ctx, r, dir) : GD_ENOMEM;
    gdt_check(st == GD_OK && !exists(sdead) && exists(slive),
              "a run removes the temporary of a dead process (pid %ld) and keeps a live one's (%s)", (long)dead, ctx.err);
    st = gd_io_write_atomic(&ctx, atom, "x", 1);
    gdt_check(st == GD_OK && !exists(adead) && exists(alive),
              "an atomic write removes a dead process's FILE.tmp.PID and keeps a live one's (%s)", ctx.err);
    st = gd_io_write_atomic(&ctx, notes, "x", 1);
    gdt_check(st == GD_OK && exists(users), "a user's notes.txt.tmp.DEAD is kept (not a name gdlab writes)");
    unlink(users), unlink(notes);
    rmdir(slive), unlink(alive);
    gd_result_free(r);
    free(sdead), free(sdeadf), free(slive), free(adead), free(alive), free(dir), free(atom), free(users), free(notes);
}

/* Plots at the edges: nothing to draw, one point, constant data, log axes
 * over non-positive and non-finite values, error bars, twelve lines. */
static void test_plot_edges(const char *root) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    char *dir = path2(root, "edges");
    gd_result *r = gd_result_new("edges", 7);
    const char *cols[4] = {"x", "y", "e", "c"};
    gd_series *empty = r ? gd_result_series_new(r, "empty", 4, cols) : NULL;
    gd_series *s = r ? gd_result_series_new(r, "data", 4, cols) : NULL;
    gd_series *one = r ? gd_result_series_new(r, "one", 4, cols) : NULL;
    if (!gdt_check(empty && s && one, "edge result built")) {
        gd_result_free(r);
        free(dir);
        return;
    }
    s = gd_result_series_find(r, "data");
    for (int i = 0; i < 60; i++) {
        double x = i - 10.0;
        double row[4] = {x, x * x - 30.0, 3.0 + 0.1 * i, 2.385};
        if (i == 20) row[1] = NAN;
        if (i == 21) row[1] = INFINITY;
        gd_series_append(s, row);
    }
    double row1[4] = {3.0, 4.0, 0.5, 4.0};
    gd_series_append(gd_result_series_find(r, "one"), row1);
    mkdir(dir, 0755);

    struct {
        const char *name, *series, *y, *yerr;
        int logx, logy, points, nlines;
    } cases[] = {
        {"p_empty", "empty", "y", NULL, 0, 0, 0, 1},
        {"p_empty_log", "empty", "y", NULL, 1, 1, 0, 1},
        {"p_one", "one", "y", "e", 0, 0, 1, 1},
        {"p_one_log", "one", "y", NULL, 1, 1, 0, 1},
        {"p_const", "data", "c", NULL, 0, 0, 0, 1},
        {"p_const_log", "data", "c", NULL, 0, 1, 0, 1},
        {"p_loglog_negative", "data", "y", "e", 1, 1, 0, 1},
        {"p_errbars", "data", "y", "e", 0, 0, 1, 1},
        {"p_twelve", "data", "y", NULL, 0, 0, 0, 12},
        {"p_none", "data", "y", NULL, 0, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        gd_plot p;
        memset(&p, 0, sizeof p);
        p.name = cases[k].name;
        p.title = cases[k].name;
        p.xlabel = "x";
        p.ylabel = "y";
        p.logx = cases[k].logx;
        p.logy = cases[k].logy;
        p.nlines = (size_t)cases[k].nlines;
        for (int i = 0; i < cases[k].nlines; i++) {
            static char labels[12][24];
            snprintf(labels[i], sizeof labels[i], "line %d", i);
            p.line[i] = (gd_plot_line){cases[k].series, "x", i ? "c" : cases[k].y,
                                       cases[k].yerr, labels[i], cases[k].points};
        }
        if (k == 4 || k == 8) {
            p.nhlines = 1;
            p.hline[0] = 2.385;
            p.hlabel[0] = NULL; /* legend shows the value */
        }
        gd_status st = gd_io_write_plot(&ctx, r, &p, dir);
        gdt_check(st == GD_OK, "plot %s: %s %s", cases[k].name, gd_status_name(st), ctx.err);
        check_plot_files(dir, cases[k].name);
    }

    /* A plot naming a missing series or column is bad input: no files. */
    gd_plot bad;
    memset(&bad, 0, sizeof bad);
    bad.name = "p_bad";
    bad.nlines = 1;
    bad.line[0] = (gd_plot_line){"data", "x", "nope", NULL, NULL, 0};
    ctx.err[0] = '\0';
    gd_status st = gd_io_write_plot(&ctx, r, &bad, dir);
    char *png = path2(dir, "p_bad.png");
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "nope") && !exists(png),
              "plot of a missing column: EINVAL (%s), no file", ctx.err);
    free(png);
    bad.line[0].series = "nope-series";
    st = gd_io_write_plot(&ctx, r, &bad, dir);
    gdt_check(st == GD_EINVAL && strstr(ctx.err, "nope-series"),
              "plot of a missing series: EINVAL (%s)", ctx.err);

    /* Into a directory that does not exist: EIO naming the target. */
    st = gd_io_write_plot(&ctx, r, &bad, "/proc/gdlab-nope");
    bad.line[0] = (gd_plot_line){"data", "x", "y", NULL, NULL, 0};
    st = gd_io_write_plot(&ctx, r, &bad, "/proc/gdlab-nope");
    gdt_check(st == GD_EIO && strstr(ctx.err, "/proc/gdlab-nope/p_bad.png"),
              "plot into a missing directory: EIO (%s)", ctx.err);
    gdt_check(count_tmp(dir) == 0, "no temporary plot files left");
    gd_result_free(r);
    free(dir);
}

static void test_atomic(const char *root) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    char *file = path2(root, "atomic.txt");
    gd_status st = gd_io_write_atomic(&ctx, file, "first version\n", 14);
    st = st ? st : gd_io_write_atomic(&ctx, file, "second\n", 7);
    char *text = slurp(file, NULL);
    gdt_check(st == GD_OK && text && !strcmp(text, "second\n"),
              "atomic write replaces the file whole");
    free(text);
    st = gd_io_write_atomic(&ctx, file, "", 0);
    size_t len = 1;
    text = slurp(file, &len);
    gdt_check(st == GD_OK && text && len == 0, "atomic write of zero bytes");
    free(text);

    /* A path under /proc cannot be created. */
    const char *nope = "/proc/gdlab-nope/x";
    st = gd_io_write_atomic(&ctx, nope, "x", 1);
    gdt_check(st == GD_EIO && strstr(ctx.err, nope), "write under /proc: EIO, \"%s\"", ctx.err);
    ctx.err[0] = '\0';
    gd_result *r = gd_result_new("nope", 1);
    st = r ? gd_io_write_result(&ctx, r, nope) : GD_ENOMEM;
    gdt_check(st == GD_EIO && strstr(ctx.err, "cannot create directory /proc/gdlab-nope") && !exists("/proc/gdlab-nope"),
              "write_result under /proc: EIO, \"%s\", nothing created", ctx.err);
    gd_result_free(r);

    /* A parent that is a regular file (fails even for root). */
    char *under = path2(file, "x.json");
    st = gd_io_write_atomic(&ctx, under, "x", 1);
    gdt_check(st == GD_EIO && strstr(ctx.err, under) && strstr(ctx.err, strerror(ENOTDIR)),
              "write below a regular file: EIO, \"%s\"", ctx.err);
    st = gd_io_mkdir_p(&ctx, under);
    gdt_check(st == GD_EIO && strstr(ctx.err, under), "mkdir -p below a file: EIO, \"%s\"",
              ctx.err);
    free(under);

    /* rename fails when the target is a non-empty directory: the temporary
     * must be removed and the directory left as it was. */
    char *d = path2(root, "occupied");
    char *inner = path2(d, "keep");
    mkdir(d, 0755);
    gd_io_write_atomic(&ctx, inner, "k", 1);
    st = gd_io_write_atomic(&ctx, d, "data", 4);
    gdt_check(st == GD_EIO && strstr(ctx.err, d) && strstr(ctx.err, "rename"),
              "rename over a directory: EIO, \"%s\"", ctx.err);
    gdt_check(count_tmp(root) == 0 && exists(inner), "failed write left no temporary");
    free(inner);
    free(d);

    char *deep = path2(root, "a/b//c/");
    st = gd_io_mkdir_p(&ctx, deep);
    gdt_check(st == GD_OK && exists(deep), "mkdir -p a/b//c/");
    st = gd_io_mkdir_p(&ctx, deep);
    gdt_check(st == GD_OK, "mkdir -p of an existing directory");
    free(deep);
    free(file);
}

/* ---- failure injection -------------------------------------------------- */

static void test_alloc_failures(const char *root) {
    long k, failures = 0;
    int built = 0;
    for (k = 0; k < 100000 && !built; k++) {
        gd_alloc_fail_after(k);
        gd_result *r = build_result();
        gd_alloc_fail_after(-1);
        if (r) built = 1;
        else failures++;
        gd_result_free(r);
    }
    gdt_check(built && failures > 20,
              "build_result under failure injection: %ld failing runs, then success",
              failures);

    gd_result *r = build_result();
    if (!r) return;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    char *dir = path2(root, "inject");
    int bad_status = 0, ok_seen = 0, enomem_seen = 0;
    /* Each plot separately (rendering is slow, and happens only once the
     * allocations before it succeeded), then the whole result without
     * plots. */
    for (size_t i = 0; i < r->nplots; i++) {
        ok_seen = enomem_seen = 0;
        mkdir(dir, 0755);
        for (k = 0; k < 100000 && !ok_seen; k++) {
            gd_alloc_fail_after(k);
            gd_status st = gd_io_write_plot(&ctx, r, &r->plots[i], dir);
            gd_alloc_fail_after(-1);
            if (st == GD_OK) ok_seen = 1;
            else if (st == GD_ENOMEM) enomem_seen++;
            else bad_status++;
        }
        gdt_check(ok_seen && enomem_seen > 0 && bad_status == 0,
                  "write_plot %s under failure injection: %d ENOMEM, then OK",
                  r->plots[i].name, enomem_seen);
    }
    size_t nplots = r->nplots;
    r->nplots = 0;
    ok_seen = enomem_seen = 0;
    /* (not into dir, which holds plots without a summary.json: not a run
     * directory, so refused) */
    char *rundir = path2(root, "inject-run");
    for (k = 0; k < 100000 && !ok_seen; k++) {
        gd_alloc_fail_after(k);
        gd_status st = gd_io_write_result(&ctx, r, rundir);
        char *json = gd_io_summary_json(r);
        gd_alloc_fail_after(-1);
        gd_free(json);
        if (st == GD_OK) ok_seen = 1;
        else if (st == GD_ENOMEM) enomem_seen++;
        else bad_status++;
    }
    gdt_check(ok_seen && enomem_seen > 0 && bad_status == 0,
              "write_result under failure injection: %d ENOMEM, then OK", enomem_seen);
    r->nplots = nplots;
    gdt_check(count_tmp(dir) == 0 && count_tmp(rundir) == 0, "no temporaries after injected failures");
    free(rundir);

    const gd_result *rs[1] = {r};
    ok_seen = 0;
    enomem_seen = 0;
    for (k = 0; k < 100000 && !ok_seen; k++) {
        gd_alloc_fail_after(k);
        gd_status st = gd_io_write_report(&ctx, rs, 1, dir);
        gd_alloc_fail_after(-1);
        if (st == GD_OK) ok_seen = 1;
        else if (st == GD_ENOMEM) enomem_seen++;
    }
    gdt_check(ok_seen && enomem_seen > 0, "write_report under failure injection");
    free(dir);
    gd_result_free(r);
}

/* ---- report ------------------------------------------------------------- */

static void test_report(const char *root) {
    gd_result *a = build_result();
    gd_result *b = gd_result_new("scaling-law", 3);
    if (!a || !b) {
        gd_result_free(a);
        gd_result_free(b);
        return;
    }
    gd_result_claim(b, "L-1", "seeds/004.md", GD_VERDICT_CONFIRMED,
                    "exponent near 0.5", "0.5", "0.49 \xc2\xb1 0.02", "within 1 se");
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const gd_result *rs[2] = {a, b};
    gd_status st = gd_io_write_report(&ctx, rs, 2, root);
    char *p = path2(root, "report.md");
    char *md = slurp(p, NULL);
    free(p);
    gdt_check(st == GD_OK && md, "report.md written (%s)", ctx.err);
    if (!md) md = calloc(1, 1);
    gdt_check(strstr(md, "| experiment | claim | verdict | predicted | measured | source |\n"
                         "| --- | --- | --- | --- | --- | --- |\n") != NULL,
              "report has the verdict table header");
    gdt_check(strstr(md, "| eos-quad | 001-g | confirmed | 2/lr = 16 | 15.97 \xc2\xb1 0.05 "
                         "| seeds/001.md |\n") != NULL,
              "verdict row for 001-g");
    gdt_check(strstr(md, "| eos-quad | 002-a\\|b | refuted | monotone | rises at step 812 "
                         "| paper \"X\" (2021) |\n") != NULL,
              "verdict row for 002-a|b with '|' escaped");
    gdt_check(strstr(md, "| eos-quad | 003 | inconclusive | \xe2\x80\x94 | \xe2\x80\x94 "
                         "| \xe2\x80\x94 |\n") != NULL,
              "empty cells shown as dashes");
    gdt_check(strstr(md, "| scaling-law | L-1 | confirmed | 0.5 |") != NULL,
              "verdict row of the second experiment");
    gdt_check(strstr(md, "| confirmed | 2 |\n| refuted | 1 |\n| inconclusive | 1 |\n"
                         "| total | 4 |\n") != NULL,
              "counts per verdict");
    gdt_check(strstr(md, "## eos-quad") && strstr(md, "## scaling-law")
                  && strstr(md, "Status: **diverged** \xe2\x80\x94 loss non-finite at step 812"),
              "per-experiment sections with status");
    gdt_check(strstr(md, "| lambda_max | 2.385 | \xe2\x80\x94 |\n")
                  && strstr(md, "| gap | 0.25 | 0.004 |\n"),
              "scalars table");
    gdt_check(strstr(md, "- Evidence: max |lambda - 2/lr| = 0.03 at lr = 0.125, tol 0.1\n")
                  != NULL,
              "claims with evidence");
    gdt_check(strstr(md, "![Loss # and sharpness](eos-quad/loss.png)")
                  && strstr(md, "![Sharpness against learning rate](eos-quad/sweep.png)"),
              "plots embedded by relative path");
    if (getenv("GDLAB_TEST_VERBOSE")) fputs(md, stdout);
    free(md);
    gd_result_free(a);
    gd_result_free(b);
}

int main(void) {
    char root[] = "/tmp/gdlab-test-io-XXXXXX";
    if (!mkdtemp(root)) {
        gdt_check(0, "mkdtemp: %s", strerror(errno));
        return gdt_summary();
    }
    test_result();
    test_json();
    test_write_result(root);
    test_publish(root);
    test_temps(root);
    test_plot_edges(root);
    test_atomic(root);
    test_alloc_failures(root);
    test_report(root);
    if (getenv("GDLAB_TEST_KEEP")) printf("output kept in %s\n", root);
    else remove_tree(root);
    return gdt_summary();
}
