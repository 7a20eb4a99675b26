/* Tests of the core module: Philox known answers (Random123's kat_vectors),
 * stream keying, uniform and normal variates (moments within k = 4
 * standard errors, fixed seed), parameter parsing and its error messages,
 * the allocation wrapper's failure injection. */
#include "gdlab/gdlab.h"
#include "gdtest.h"
#include "exp/common.h"

#include <string.h>

static void test_philox_kat(void) {
    /* Random123 kat_vectors, philox4x64 with 10 rounds. */
    static const uint64_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x16554d9eca36314cull, 0xdb20fe9d672d0fdcull,
         0xd7e772cee186176bull, 0x7e68b68aec7ba23bull},
        {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, 0x87b092c3013fe90bull,
         0x438c3c67be8d0224ull, 0x9cc7d7c69cd777b6ull, 0xa09caebf594f0ba0ull},
        {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull,
         0x082efa98ec4e6c89ull, 0x452821e638d01377ull, 0xbe5466cf34e90c6cull,
         0xa528f45403e61d95ull, 0x38c72dbd566e9788ull, 0xa5a1610e72fd18b5ull,
         0x57bd43b5e52b7fe6ull}};
    for (int c = 0; c < 3; c++) {
        uint64_t out[4];
        gd_rng_philox4x64(cases[c], cases[c] + 4, out);
        gdt_check(memcmp(out, cases[c] + 6, sizeof out) == 0,
                  "philox4x64-10 known answer %d", c);
    }
}

static void test_streams(void) {
    gd_rng a, b;
    gd_rng_stream_init(&a, 7, "exp", 3, 11);
    gd_rng_stream_init(&b, 7, "exp", 3, 11);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= gd_rng_u64(&a) == gd_rng_u64(&b);
    gdt_check(same, "same key gives the same stream");
    uint64_t first[5];
    const char *exps[] = {"exp", "exp", "exp", "other", "exp"};
    uint64_t seeds[] = {7, 8, 7, 7, 7}, points[] = {3, 3, 4, 3, 3}, reps[] = {11, 11, 11, 11, 12};
    for (int i = 0; i < 5; i++) {
        gd_rng_stream_init(&a, seeds[i], exps[i], points[i], reps[i]);
        first[i] = gd_rng_u64(&a);
    }
    int distinct = 1;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) distinct &= first[i] != first[j];
    gdt_check(distinct, "seed, experiment, point and replica each change the stream");
    /* The stream is the Philox sequence itself. */
    gd_rng_stream_init(&a, 5, "x", 2, 9);
    uint64_t ctr[4] = {1, 9, 2, 0}, key[2] = {5, gd_rng_hash("x")}, blk[4];
    gd_rng_philox4x64(ctr, key, blk);
    for (int i = 0; i < 4; i++) gd_rng_u64(&a);
    gdt_check(gd_rng_u64(&a) == blk[0], "word 4 of a stream is word 0 of Philox block 1");
}

static void test_variates(void) {
    gd_rng r;
    gd_rng_stream_init(&r, 2024, "test", 0, 0);
    const int n = 1000000;
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, umin = 1, umax = 0, us = 0, us2 = 0;
    for (int i = 0; i < n; i++) {
        double u = gd_rng_uniform(&r);
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
        us += u, us2 += u * u;
        double z = gd_rng_normal(&r);
        s1 += z, s2 += z * z, s3 += z * z * z, s4 += z * z * z * z;
    }
    gdt_check(umin > 0 && umax < 1, "uniform in (0, 1): min %.3g max %.17g", umin, umax);
    gdt_within_se(us / n, 0.5, sqrt(1.0 / 12 / n), 4, "uniform mean");
    gdt_within_se(us2 / n, 1.0 / 3, sqrt((1.0 / 5 - 1.0 / 9) / n), 4, "uniform E u^2");
    gdt_within_se(s1 / n, 0, sqrt(1.0 / n), 4, "normal mean");
    gdt_within_se(s2 / n, 1, sqrt(2.0 / n), 4, "normal E z^2");
    gdt_within_se(s3 / n, 0, sqrt(15.0 / n), 4, "normal E z^3");
    gdt_within_se(s4 / n, 3, sqrt(96.0 / n), 4, "normal E z^4");
}

static void test_normals_batch(void) {
    gd_rng a, b;
    gd_rng_stream_init(&a, 9, "batch", 1, 2);
    gd_rng_stream_init(&b, 9, "batch", 1, 2);
    double z[1001];
    int same = 1;
    gd_rng_normals(&a, z, 1001);
    for (int i = 0; i < 1001; i++) same &= z[i] == gd_rng_normal(&b);
    gdt_check(same && gd_rng_u64(&a) == gd_rng_u64(&b),
              "gd_rng_normals gives the numbers of successive gd_rng_normal calls");
}

static const gd_param_spec spec[] = {
    {"eta", GD_PARAM_REAL, "0.1", 0, 1, GD_PARAM_OPEN_MIN | GD_PARAM_OPT, "lr"},
    {"steps", GD_PARAM_INT, "10", 0, 1e12, GD_PARAM_INF, "T"},
    {"f", GD_PARAM_STRING, "x^2", 0, 0, 0, "expr"},
    {NULL, 0, NULL, 0, 0, 0, NULL}};

static void test_params(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_params p;
    gdt_check(gd_params_init(&p, spec, &ctx) == GD_OK, "defaults parse");
    gdt_close(gd_params_real(&p, "eta"), 0.1, 0, 0, "default eta");
    gdt_check(gd_params_set(&p, "eta", "opt", &ctx) == GD_OK && gd_params_is_opt(&p, "eta"),
              "eta accepts opt");
    gdt_check(gd_params_set(&p, "steps", "inf", &ctx) == GD_OK &&
                  isinf(gd_params_real(&p, "steps")), "steps accepts inf");
    gdt_check(gd_params_set(&p, "steps", "1e12", &ctx) == GD_OK &&
                  gd_params_real(&p, "steps") == 1e12, "steps accepts 1e12");
    struct { const char *name, *val, *needle; } bad[] = {
        {"eta", "0", "(0, 1]"},          {"eta", "abc", "got 'abc'"},
        {"eta", "1.5", "out of range"},  {"steps", "2.5", "whole number"},
        {"steps", "-3", "out of range"}, {"eta", "inf", "expected"},
        {"steps", "opt", "expected"},    {"nope", "1", "unknown parameter --nope"},
        {"eta", "", "expected"},         {"eta", "0.5x", "got '0.5x'"},
        {"steps", "0x10", "got '0x10'"}, {"eta", "1e-400", "rounds to 0"},
        {"steps", "1e400", "too large"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ctx.err[0] = 0;
        gd_status st = gd_params_set(&p, bad[i].name, bad[i].val, &ctx);
        gdt_check(st == GD_EINVAL && strstr(ctx.err, bad[i].needle) != NULL,
                  "--%s %s rejected: \"%s\"", bad[i].name, bad[i].val, ctx.err);
    }
    gdt_check(gd_params_real(&p, "steps") == 1e12, "a rejected value leaves the old one");
    gd_params_free(&p);
}

static void test_decimal(void) {
    struct { const char *s; int rc; double x; } v[] = {
        {"1", GD_NUM_OK, 1},          {"-2.5e3", GD_NUM_OK, -2500}, {".5", GD_NUM_OK, 0.5},
        {"5.", GD_NUM_OK, 5},         {"+1E-2", GD_NUM_OK, 0.01},  {"0e-999", GD_NUM_OK, 0},
        {"0.000", GD_NUM_OK, 0},      {"4.9e-324", GD_NUM_OK, 4.9e-324},
        {"0x10", GD_NUM_NONE, 0},     {"inf", GD_NUM_NONE, 0},     {"nan", GD_NUM_NONE, 0},
        {" 1", GD_NUM_NONE, 0},       {"1 ", GD_NUM_NONE, 0},      {"", GD_NUM_NONE, 0},
        {".", GD_NUM_NONE, 0},        {"-", GD_NUM_NONE, 0},       {"1e", GD_NUM_NONE, 0},
        {"1e400", GD_NUM_OVERFLOW, 0}, {"-1e400", GD_NUM_OVERFLOW, 0},
        {"1e-400", GD_NUM_UNDERFLOW, 0}, {"-0.0001e-330", GD_NUM_UNDERFLOW, 0}};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        double x = -7;
        const int rc = gd_parse_number(v[i].s, &x);
        gdt_check(rc == v[i].rc && (rc != GD_NUM_OK || x == v[i].x), "gd_parse_number('%s') = %d (%s), %g",
                  v[i].s, rc, gd_parse_number_why(rc), x);
    }
    const char *end;
    double x;
    gdt_check(gd_parse_decimal("0x10", &end, &x) == GD_NUM_OK && x == 0 && *end == 'x',
              "gd_parse_decimal reads 0 of 0x10 and stops at x");
    gdt_check(gd_parse_decimal("2e+", &end, &x) == GD_NUM_OK && x == 2 && *end == 'e',
              "gd_parse_decimal reads 2 of 2e+ (an exponent needs digits)");
}

static void test_alloc(void) {
    gd_alloc_fail_after(2);
    void *a = gd_malloc(8), *b = gd_malloc(8), *c = gd_malloc(8);
    gdt_check(a && b && !c, "failure injection fails the third allocation");
    gd_alloc_fail_after(-1);
    void *d = gd_malloc(8);
    gdt_check(d != NULL, "failure injection switched off");
    gd_free(a), gd_free(b), gd_free(d);
    gd_free(NULL);
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gdt_check(gd_error(&ctx, GD_EIO, "file %s line %d", "x.csv", 3) == GD_EIO &&
                  strcmp(ctx.err, "file x.csv line 3") == 0, "gd_error formats into ctx");
    gdt_check(strcmp(gd_status_name(GD_EINVAL), "invalid input") == 0, "status names");
    gdt_check(gd_error_prefix(&ctx, "--%s", "data") == GD_EIO && ctx.status == GD_EIO &&
                  strcmp(ctx.err, "--data: file x.csv line 3") == 0,
              "gd_error_prefix keeps the status and puts the prefix first (%s)", ctx.err);
    char longp[2000];
    memset(longp, 'p', sizeof longp - 1), longp[sizeof longp - 1] = '\0';
    gd_error_prefix(&ctx, "%s", longp);
    gdt_check(strlen(ctx.err) == sizeof ctx.err - 1, "a prefix longer than the buffer is truncated");
    gd_ctx_init(&ctx);
    gdt_check(gd_ctx_failed(&ctx) == GD_EINTERNAL, "gd_ctx_failed with nothing recorded: internal error");
}

/* Every list, range, point and schedule spec reads its numbers with
 * gd_parse_decimal: no hex, 1e-400 refused like 1e400 (strtod took 0x10
 * as 16 and 1e-400 as 0). */
static void test_numbers(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    size_t sz[4];
    double re[4], fe[4];
    size_t fb[4];
    gdt_check(gd_exp_parse_sizes("16,4", sz, 4) == 2 && sz[0] == 16, "sizes 16,4");
    gdt_check(gd_exp_parse_sizes("0x10", sz, 4) == -1, "sizes: 0x10 refused");
    gdt_check(gd_exp_parse_sizes(" 8", sz, 4) == -1, "sizes: a leading blank refused");
    gdt_check(gd_exp_parse_reals("0.5,2", re, 4) == 2 && re[1] == 2, "reals 0.5,2");
    gdt_check(gd_exp_parse_reals("0x1p-1", re, 4) == -1, "reals: 0x1p-1 refused");
    gdt_check(gd_exp_parse_reals("1e-400", re, 4) == -1 && gd_exp_parse_reals("1e400", re, 4) == -1,
              "reals: 1e-400 and 1e400 refused");
    gdt_check(gd_exp_parse_flat_runs("0.5:4", 10, fe, fb, 4) == 1 && fb[0] == 4, "flat runs 0.5:4");
    gdt_check(gd_exp_parse_flat_runs("0.5:0x4", 10, fe, fb, 4) == -1, "flat runs: batch 0x4 refused");
    gdt_check(gd_exp_parse_flat_runs("0x1:4", 10, fe, fb, 4) == -1, "flat runs: eta 0x1 refused");
    double lo, hi;
    size_t cnt;
    gdt_check(gd_exp_parse_range(&ctx, "0.5:2:4", "--eta", 10, &lo, &hi, &cnt) == GD_OK && cnt == 4, "range 0.5:2:4");
    struct { const char *s, *needle; } rg[] = {{"1e-400:1:3", "rounds to 0"}, {"0x1", "--eta: expected"},
                                               {"0:0x2:3", "--eta: expected"}, {"1e-400", "rounds to 0"},
                                               {"0:1e400:3", "too large"}, {"0:1:0x3", "--eta: expected"}};
    for (size_t i = 0; i < sizeof rg / sizeof *rg; i++) {
        ctx.err[0] = 0;
        gdt_check(gd_exp_parse_range(&ctx, rg[i].s, "--eta", 10, &lo, &hi, &cnt) == GD_EINVAL &&
                      strstr(ctx.err, rg[i].needle) && strstr(ctx.err, "--eta"),
                  "range '%s' refused: %s", rg[i].s, ctx.err);
    }
    gd_mlp_params ar[4];
    char bad[512] = "";
    gdt_check(gd_exp_parse_archs("2-3-1", ar, 4, bad, sizeof bad) == 1 && !bad[0], "archs 2-3-1");
    gdt_check(gd_exp_parse_archs("2-0x3-1, 2-3", ar, 4, bad, sizeof bad) == 0 && strstr(bad, "--archs") &&
                  strstr(bad, "2-0x3-1") && strstr(bad, " 2-3"),
              "archs: 0x3 and a blank refused: %s", bad);
    gd_schedule sc;
    gdt_check(gd_schedule_parse(&ctx, "step:100:0.5", 0.1, 1000, &sc) == GD_OK, "schedule step:100:0.5");
    const char *scb[] = {"step:100:0x1p-1", "step:100:1e-400", "wsd:10:0x0.2", "step:100: 0.5"};
    for (size_t i = 0; i < sizeof scb / sizeof *scb; i++) {
        ctx.err[0] = 0;
        gdt_check(gd_schedule_parse(&ctx, scb[i], 0.1, 1000, &sc) == GD_EINVAL && strstr(ctx.err, scb[i]),
                  "schedule '%s' refused: %s", scb[i], ctx.err);
    }
    gd_obj *o = gd_obj_mf_scalar(&ctx, 1.0);
    double x[2];
    if (o) {
        gdt_check(gd_obj_parse_point(&ctx, o, "0.5,1", "--x0", x) == GD_OK && x[1] == 1, "point 0.5,1");
        const char *pb[] = {"0x1,1", "1e-400,1", "x=1,y=0x2", "1, 2"};
        for (size_t i = 0; i < sizeof pb / sizeof *pb; i++) {
            ctx.err[0] = 0;
            gdt_check(gd_obj_parse_point(&ctx, o, pb[i], "--x0", x) == GD_EINVAL && strstr(ctx.err, "--x0"),
                      "point '%s' refused: %s", pb[i], ctx.err);
        }
        gd_obj_free(o);
    }
}

/* The binding's entry: a name given twice (Python's eta_max= and
 * **{"eta-max": ...} both name --eta-max) is refused, as on the command
 * line, instead of taking the last value. */
static void test_api_twice(void) {
    gd_ctx *ctx = gd_api_ctx_new();
    if (!ctx) return;
    const char *names[] = {"replicas", "eta", "eta"}, *values[] = {"0", "0.1", "0.2"};
    gd_result *r = NULL;
    gd_status st = gd_api_run(ctx, "sgd-1d", 3, names, values, &r);
    gdt_check(st == GD_EINVAL && !r && strstr(gd_api_ctx_error(ctx), "--eta: given twice (0.1, then 0.2)"),
              "gd_api_run with --eta twice: %s", gd_api_ctx_error(ctx));
    gd_result_free(r);
    r = NULL;
    st = gd_api_run(ctx, "sgd-1d", 2, names, values, &r);
    gdt_check(st == GD_OK && r, "gd_api_run with each name once runs (%s)", gd_api_ctx_error(ctx));
    gd_result_free(r);
    gd_api_ctx_free(ctx);
}

int main(void) {
    test_philox_kat();
    test_streams();
    test_variates();
    test_normals_batch();
    test_params();
    test_decimal();
    test_alloc();
    test_api_twice();
    test_numbers();
    return gdt_summary();
}
