/* Tests of the optim module.
 *
 * Optimizers: three steps on a 3-parameter problem with given gradients
 * against values computed independently (a separate scalar reference,
 * coordinate 0 of gd also by hand in a comment); coupled against decoupled
 * weight decay; Adam's bias correction at step 1; Nesterov against heavy
 * ball. Muon: the Newton-Schulz output against U p^5(S) V^T from LAPACK's
 * SVD of the momentum (the iteration acts on each singular value through
 * the scalar quintic p), its singular values in the band of the quintic,
 * the sqrt(rows/cols) scale, the tall and wide paths transposes of each
 * other, biases on heavy ball. Sphere: the norm stays 1 to 1e-14 and a
 * linear objective decreases. Schedules at chosen steps against their
 * formulas, and the parser's error messages. Samplers: epochs are
 * permutations, frequencies within 4 standard errors of uniform under a
 * fixed seed, streams reproducible. Allocation failure injected at every
 * allocation of every constructor. */
#include "gdlab/gdlab.h"
#include "gdtest.h"

#include <lapacke.h>
#include <string.h>

/* The tiny problem: w0 and the gradients of steps 1, 2, 3 (given, not
 * computed from w, so that the expected values are plain arithmetic). */
static const double W0[3] = {0.37, -1.2, 2.5};
static const double GR[3][3] = {{0.8, -0.45, 1.3}, {-0.25, 0.6, 0.9}, {0.15, -1.1, -0.35}};
static const double LR = 0.1;

static int has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* Steps optimizer `name` from W0 through the gradients GR with rate LR,
 * and stores the iterate after step k + 1 in out[k]. */
static void run3(const char *name, const gd_optim_params *p, double out[3][3]) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_optim *o = gd_optim_new(&ctx, gd_optim_find(name), 3, p);
    double w[3];
    memcpy(w, W0, sizeof w);
    for (int k = 0; k < 3; k++) {
        if (o) gd_optim_step(o, w, GR[k], LR);
        memcpy(out[k], w, sizeof w);
    }
    gdt_check(o && gd_optim_nsteps(o) == 3, "%s: made, 3 steps counted", name);
    gd_optim_free(o);
}

static void check3(const char *what, double got[3][3], const double want[3][3], double tol) {
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 3; i++) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s: step %d, w[%d]", what, k + 1, i);
            gdt_close(got[k][i], want[k][i], tol, 1e-16, buf);
        }
}

static void test_table(void) {
    size_t n;
    const gd_optim_type *const *t = gd_optim_types(&n);
    static const char *names[] = {"gd", "sgd", "momentum", "nesterov", "adam", "adamw", "muon", "sphere"};
    static const size_t nstate[] = {0, 0, 1, 1, 2, 2, 1, 0};
    gdt_check(n == 8, "table has 8 optimizers (got %zu)", n);
    for (size_t i = 0; i < 8 && i < n; i++) {
        gdt_check(strcmp(t[i]->name, names[i]) == 0 && gd_optim_find(names[i]) == t[i] &&
                      t[i]->nstate == nstate[i] && t[i]->summary && t[i]->summary[0] && t[i]->step,
                  "table entry %zu is %s, found by name, %zu state vectors", i, names[i], nstate[i]);
    }
    gdt_check(gd_optim_find("rmsprop") == NULL && gd_optim_find(NULL) == NULL &&
                  gd_optim_find("") == NULL, "unknown names give NULL");
    gdt_check(gd_optim_find("gd")->step == gd_optim_find("sgd")->step, "gd and sgd share one rule");
}

static void test_params(void) {
    gd_optim_params d = gd_optim_default_params();
    gdt_check(d.momentum == 0.9 && d.beta1 == 0.9 && d.beta2 == 0.999 && d.eps == 1e-8 &&
                  d.weight_decay == 0 && d.ns_steps == 5, "default parameters as documented");
    struct { const char *field; gd_optim_params p; } bad[6];
    for (int i = 0; i < 6; i++) bad[i].p = d;
    bad[0].field = "momentum", bad[0].p.momentum = 1.0;
    bad[1].field = "beta1", bad[1].p.beta1 = -0.1;
    bad[2].field = "beta2", bad[2].p.beta2 = GD_NAN;
    bad[3].field = "eps", bad[3].p.eps = -1e-8;
    bad[4].field = "weight decay", bad[4].p.weight_decay = -0.01;
    bad[5].field = "ns_steps", bad[5].p.ns_steps = -1;
    for (int i = 0; i < 6; i++) {
        gd_ctx ctx;
        gd_ctx_init(&ctx);
        gd_optim *o = gd_optim_new(&ctx, gd_optim_find("adam"), 3, &bad[i].p);
        gdt_check(o == NULL && has(ctx.err, bad[i].field) && has(ctx.err, "expected"),
                  "bad %s refused: '%s'", bad[i].field, ctx.err);
        gd_optim_free(o);
    }
    gd_optim_free(NULL);
    gd_optim *o = gd_optim_new(NULL, gd_optim_find("momentum"), 0, NULL);
    gdt_check(o != NULL && gd_optim_nsteps(o) == 0, "NULL params mean the defaults; P = 0 allowed");
    if (o) gd_optim_step(o, NULL, NULL, 0.1);
    gd_optim_free(o);
}

static void test_gd(void) {
    gd_optim_params p = gd_optim_default_params();
    p.weight_decay = 0.05;
    /* By hand, coordinate 0: w1 = 0.37 - 0.1 (0.8 + 0.05 0.37) = 0.28815;
     * w2 = 0.28815 - 0.1 (-0.25 + 0.05 0.28815) = 0.31170925;
     * w3 = 0.31170925 - 0.1 (0.15 + 0.05 0.31170925) = 0.29515070375. */
    static const double want[3][3] = {{0.28815, -1.149, 2.3575},
                                      {0.31170925, -1.203255, 2.2557125},
                                      {0.29515070375, -1.087238725, 2.2794339375}};
    double a[3][3], b[3][3];
    run3("gd", &p, a);
    check3("gd, wd 0.05", a, want, 1e-15);
    run3("sgd", &p, b);
    gdt_check(memcmp(a, b, sizeof a) == 0, "sgd is gd bit for bit");
}

static void test_momentum(void) {
    gd_optim_params p = gd_optim_default_params();
    p.weight_decay = 0.05;
    /* Heavy ball, coordinate 0: v1 = 0.8185, w1 = 0.28815;
     * v2 = 0.9 0.8185 + (-0.25 + 0.05 0.28815) = 0.5011575, w2 = 0.23804425.
     * Nesterov: w1 = 0.37 - 0.1 (0.8185 + 0.9 0.8185) = 0.214485. */
    static const double hb[3][3] = {{0.28815, -1.149, 2.3575},
                                    {0.23804425, -1.157355, 2.1274625},
                                    {0.17675885375, -1.049087725, 1.9447914375}};
    static const double ne[3][3] = {{0.214485, -1.1031, 2.22925},
                                    {0.1936488925, -1.16531055, 1.921647125},
                                    {0.12302191377125, -0.952193544775, 1.7840805148125}};
    double a[3][3], b[3][3];
    run3("momentum", &p, a);
    check3("heavy ball, beta 0.9, wd 0.05", a, hb, 1e-14);
    run3("nesterov", &p, b);
    check3("nesterov, beta 0.9, wd 0.05", b, ne, 1e-14);
    /* Without decay: the first Nesterov step is (1 + beta) times the
     * heavy-ball step (v1 = g1 in both; Nesterov adds beta v1). */
    p.weight_decay = 0;
    run3("momentum", &p, a);
    run3("nesterov", &p, b);
    for (int i = 0; i < 3; i++)
        gdt_close(W0[i] - b[0][i], 1.9 * (W0[i] - a[0][i]), 1e-14, 0,
                  "nesterov step 1 = (1 + beta) heavy-ball step 1");
    static const double hb0[3][3] = {{0.29, -1.155, 2.37}, {0.243, -1.1745, 2.163},
                                     {0.1857, -1.08205, 2.0117}};
    static const double ne0[3][3] = {{0.218, -1.1145, 2.253}, {0.2007, -1.19205, 1.9767},
                                     {0.13413, -0.998845, 1.87553}};
    check3("heavy ball, wd 0", a, hb0, 1e-14);
    check3("nesterov, wd 0", b, ne0, 1e-14);
    gdt_check(fabs(a[2][0] - b[2][0]) > 0.05, "nesterov and heavy ball differ after 3 steps");
    /* beta = 0: both are gd exactly. */
    p.momentum = 0;
    p.weight_decay = 0.05;
    double c[3][3];
    run3("gd", &p, c);
    run3("momentum", &p, a);
    run3("nesterov", &p, b);
    gdt_check(memcmp(a, c, sizeof a) == 0 && memcmp(b, c, sizeof b) == 0,
              "momentum 0: heavy ball and nesterov are gd bit for bit");
}

static void test_adam(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    /* Step 1: m_hat = g and s_hat = g^2, so w moves by lr g / (|g| + eps):
     * about lr for |g| >> eps whatever the scale, less when |g| ~ eps. */
    const double g[5] = {0.8, -0.45, 3e-9, -2.4e-9, 1234.5};
    double w[5] = {0, 0, 0, 0, 0};
    gd_optim *o = gd_optim_new(&ctx, gd_optim_find("adam"), 5, NULL);
    double pinv[5];
    gdt_check(o && gd_optim_precond(o, pinv) == GD_EINVAL && has(ctx.err, "no step"),
              "precond before the first step: EINVAL '%s'", ctx.err);
    if (o) gd_optim_step(o, w, g, 0.01);
    const double want[5] = {-0.01 * 0.8 / (0.8 + 1e-8), 0.01 * 0.45 / (0.45 + 1e-8),
                            -0.01 * 3.0 / 13.0, 0.01 * 2.4 / 12.4, -0.01 * 1234.5 / (1234.5 + 1e-8)};
    for (int i = 0; i < 5; i++) gdt_close(w[i], want[i], 1e-14, 0, "adam step 1 = -lr g / (|g| + eps)");
    gdt_check(o && gd_optim_precond(o, pinv) == GD_OK, "precond after one step");
    for (int i = 0; i < 5; i++) gdt_close(pinv[i], 1.0 / (fabs(g[i]) + 1e-8), 1e-14, 0, "precond step 1 = 1 / (|g| + eps)");
    gd_optim_free(o);

    gd_optim_params p = gd_optim_default_params();
    double a[3][3], b[3][3], c[3][3];
    static const double adam0[3][3] = {
        {0.27000000124999995, -1.100000002222222, 2.400000000769231},
        {0.22825298887138704, -1.1193510427710103, 2.3025459323113107},
        {0.18522391087204232, -1.0749818368908546, 2.242814572184347}};
    run3("adam", &p, a);
    check3("adam, wd 0", a, adam0, 1e-14);
    run3("adamw", &p, b);
    gdt_check(memcmp(a, b, sizeof a) == 0, "adamw with wd 0 is adam bit for bit");
    p.weight_decay = 0.05;
    static const double adam5[3][3] = {
        {0.27000000122174705, -1.1000000019607843, 2.4000000007017546},
        {0.22629583898688702, -1.1085758349829753, 2.3021965032898386},
        {0.18120803613516917, -1.0585007641688877, 2.2357588003797453}};
    /* AdamW step 1, coordinate 0: 0.37 (1 - 0.1 0.05) = 0.36815, minus
     * 0.1 0.8 / (0.8 + 1e-8) = 0.08 - 1e-9. */
    static const double adamw5[3][3] = {
        {0.26815000124999994, -1.094000002222222, 2.3875000007692306},
        {0.22506223886513702, -1.107881042759899, 2.2781084323074645},
        {0.18090784967146661, -1.0579724316659438, 2.2069865300189635}};
    run3("adam", &p, a);
    check3("adam, coupled wd 0.05", a, adam5, 1e-14);
    run3("adamw", &p, c);
    check3("adamw, decoupled wd 0.05", c, adamw5, 1e-14);
    gdt_check(fabs(a[2][2] - c[2][2]) > 1e-2, "coupled and decoupled decay differ: %.6f vs %.6f",
              a[2][2], c[2][2]);

    /* The preconditioner after three steps (adam wd 0.05, adamw wd 0.05). */
    static const double pin_adam[3] = {1.9983316263404904, 1.2588109235457934, 0.9799178822642403};
    static const double pin_adamw[3] = {2.0350576156758136, 1.3006008429986153, 1.0698743287777341};
    for (int k = 0; k < 2; k++) {
        o = gd_optim_new(&ctx, gd_optim_find(k ? "adamw" : "adam"), 3, &p);
        double ww[3] = {W0[0], W0[1], W0[2]}, pv[3];
        for (int s = 0; s < 3 && o; s++) gd_optim_step(o, ww, GR[s], LR);
        gdt_check(o && gd_optim_precond(o, pv) == GD_OK, "%s precond after 3 steps", k ? "adamw" : "adam");
        for (int i = 0; i < 3; i++)
            gdt_close(pv[i], (k ? pin_adamw : pin_adam)[i], 1e-14, 0, "precond 1 / (sqrt(s_hat) + eps)");
        gd_optim_free(o);
    }
    const char *others[] = {"gd", "momentum", "muon", "sphere"};
    for (int k = 0; k < 4; k++) {
        o = gd_optim_new(&ctx, gd_optim_find(others[k]), 3, NULL);
        double ww[3] = {W0[0], W0[1], W0[2]}, pv[3];
        if (o) gd_optim_step(o, ww, GR[0], LR);
        ctx.err[0] = '\0';
        gdt_check(o && gd_optim_precond(o, pv) == GD_EINVAL && has(ctx.err, others[k]) &&
                      has(ctx.err, "expected adam or adamw"),
                  "precond of %s: EINVAL '%s'", others[k], ctx.err);
        gd_optim_free(o);
    }
}

/* ---- Muon ---- */

/* The quintic of Newton-Schulz iterated n times on a singular value. */
static double ns_scalar(double s, int n) {
    for (int k = 0; k < n; k++) s = 3.4445 * s - 4.7750 * s * s * s + 2.0315 * s * s * s * s * s;
    return s;
}

/* Reference orthogonalisation of the (5, 3) matrix v by its SVD:
 * U diag(p^n(sigma / (||v||_F + 1e-7))) V^T. */
static void ns_reference(const double *v, int n, double *out, double *sv) {
    double a[15], s[3], u[15], vt[9], superb[2], f2 = 0;
    memcpy(a, v, sizeof a);
    for (int i = 0; i < 15; i++) f2 += v[i] * v[i];
    int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', 5, 3, a, 3, s, u, 3, vt, 3, superb);
    gdt_check(info == 0, "dgesvd of the reference (info %d)", info);
    for (int j = 0; j < 3; j++) sv[j] = ns_scalar(s[j] / (sqrt(f2) + 1e-7), n);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 3; k++) {
            double x = 0;
            for (int j = 0; j < 3; j++) x += u[i * 3 + j] * sv[j] * vt[j * 3 + k];
            out[i * 3 + k] = x;
        }
}

static void singular_values_53(const double *m, double *s) {
    double a[15], u[15], vt[9], superb[2];
    memcpy(a, m, sizeof a);
    int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', 5, 3, a, 3, s, u, 3, vt, 3, superb);
    gdt_check(info == 0, "dgesvd of the Muon output (info %d)", info);
}

static void test_muon(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_rng r;
    gd_rng_stream_init(&r, 2024, "test-muon", 0, 0);
    /* Layout (P = 33): bias w[0]; block (5, 3) at 1; biases w[16], w[17];
     * block (3, 5) at 18, whose gradient is the transpose of the first. */
    enum { P = 33 };
    double G1[15], G2[15], g[2][P], w[P] = {0};
    for (int i = 0; i < 15; i++) G1[i] = gd_rng_normal(&r), G2[i] = gd_rng_normal(&r);
    const double bias_g[2][3] = {{0.8, -0.45, 1.3}, {-0.25, 0.6, 0.9}};
    for (int s = 0; s < 2; s++) {
        const double *G = s ? G2 : G1;
        g[s][0] = bias_g[s][0], g[s][16] = bias_g[s][1], g[s][17] = bias_g[s][2];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 3; j++) g[s][1 + i * 3 + j] = G[i * 3 + j], g[s][18 + j * 5 + i] = G[i * 3 + j];
    }
    gd_optim_params p = gd_optim_default_params();
    p.momentum = 0.9;
    gd_optim *o = gd_optim_new(&ctx, gd_optim_find("muon"), P, &p);
    const size_t off[2] = {18, 1}, rows[2] = {3, 5}, cols[2] = {5, 3}; /* unsorted on purpose */
    gdt_check(o && gd_optim_set_blocks(&ctx, o, 2, off, rows, cols) == GD_OK, "muon: blocks set");
    if (!o) return;
    const double lr = 0.02, scale = sqrt(5.0 / 3.0);
    gd_optim_step(o, w, g[0], lr);
    double O[15], ref[15], sv[3], s[3];
    for (int i = 0; i < 15; i++) O[i] = -w[1 + i] / (lr * scale);
    ns_reference(G1, 5, ref, sv);
    double err = 0;
    for (int i = 0; i < 15; i++) err = fmax(err, fabs(O[i] - ref[i]));
    gdt_check(err < 1e-12, "muon step 1: Newton-Schulz = U p^5(S) V^T of the SVD (max err %.2g)", err);
    singular_values_53(O, s);
    gdt_check(s[0] <= 1.25 && s[2] >= 0.6, "Newton-Schulz singular values %.4f %.4f %.4f in [0.6, 1.25]",
              s[0], s[1], s[2]);
    /* p^5 is not monotone: compare both sets sorted decreasing. */
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (sv[j] > sv[i]) {
                double tmp = sv[i];
                sv[i] = sv[j], sv[j] = tmp;
            }
    for (int j = 0; j < 3; j++) gdt_close(s[j], sv[j], 1e-12, 0, "singular value = quintic^5 of the input's");
    /* Scale: ||dW||_F = lr sqrt(5/3) ||O||_F, ||O||_F about sqrt(3). */
    double n2 = 0;
    for (int i = 0; i < 15; i++) n2 += w[1 + i] * w[1 + i];
    gdt_close(sqrt(n2), lr * scale * sqrt(sv[0] * sv[0] + sv[1] * sv[1] + sv[2] * sv[2]), 1e-12, 0,
              "update norm lr sqrt(rows/cols) ||O||_F");
    gdt_check(fabs(sqrt(n2) / (lr * scale * sqrt(3.0)) - 1) < 0.25,
              "update norm within 25%% of lr sqrt(5/3) sqrt(3) (ratio %.3f)", sqrt(n2) / (lr * scale * sqrt(3.0)));
    /* Wide block (3, 5), scale 1: the transpose of the tall one. */
    err = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++) err = fmax(err, fabs(-w[18 + j * 5 + i] / lr - O[i * 3 + j]));
    gdt_check(err < 1e-13, "wide block = transpose of the tall block (max err %.2g)", err);
    /* Biases: heavy ball. */
    gdt_close(w[0], -lr * 0.8, 1e-15, 0, "muon bias w[0] step 1 = -lr g");
    gdt_close(w[17], -lr * 1.3, 1e-15, 0, "muon bias w[17] step 1 = -lr g");
    /* Step 2: v = 0.9 G1 + G2 orthogonalised. */
    double w1[P], v2[15];
    memcpy(w1, w, sizeof w1);
    gd_optim_step(o, w, g[1], lr);
    for (int i = 0; i < 15; i++) v2[i] = 0.9 * G1[i] + G2[i];
    ns_reference(v2, 5, ref, sv);
    err = 0;
    for (int i = 0; i < 15; i++) err = fmax(err, fabs((w1[1 + i] - w[1 + i]) / (lr * scale) - ref[i]));
    gdt_check(err < 1e-12, "muon step 2: orthogonalised momentum 0.9 G1 + G2 (max err %.2g)", err);
    gdt_close(w[0], -lr * 0.8 - lr * (0.9 * 0.8 - 0.25), 1e-14, 0, "muon bias w[0] step 2 heavy ball");
    gdt_close(w[16], lr * 0.45 - lr * (0.9 * -0.45 + 0.6), 1e-14, 0, "muon bias w[16] step 2 heavy ball");
    gd_optim_free(o);

    /* ns_steps = 0: the normalised momentum itself; coupled decay enters v. */
    p.ns_steps = 0;
    p.weight_decay = 0.1;
    o = gd_optim_new(&ctx, gd_optim_find("muon"), 15, &p);
    const size_t o0 = 0, r5 = 5, c3 = 3;
    gdt_check(o && gd_optim_set_blocks(&ctx, o, 1, &o0, &r5, &c3) == GD_OK, "muon (5, 3) alone");
    double ww[15], vv[15];
    for (int i = 0; i < 15; i++) ww[i] = 0.3 * G2[i], vv[i] = G1[i] + 0.1 * ww[i];
    if (o) gd_optim_step(o, ww, G1, lr);
    ns_reference(vv, 0, ref, sv);
    err = 0;
    for (int i = 0; i < 15; i++) err = fmax(err, fabs((0.3 * G2[i] - ww[i]) / (lr * scale) - ref[i]));
    gdt_check(err < 1e-14, "muon ns_steps 0, wd 0.1: v = g + wd w normalised (max err %.2g)", err);
    gd_optim_free(o);

    /* No blocks: heavy ball everywhere, bit for bit. */
    double a[3][3], b[3][3];
    run3("muon", NULL, a);
    run3("momentum", NULL, b);
    gdt_check(memcmp(a, b, sizeof a) == 0, "muon without blocks is heavy ball bit for bit");

    /* Bad blocks. */
    o = gd_optim_new(&ctx, gd_optim_find("muon"), 20, NULL);
    struct { size_t off[2], rows[2], cols[2]; const char *msg; } bad[] = {
        {{0, 10}, {5, 2}, {3, 2}, "overlap"},
        {{0, 16}, {5, 2}, {3, 3}, "runs past"},
        {{0, 16}, {0, 2}, {3, 2}, "expected rows and cols >= 1"},
        {{0, 16}, {5, 2}, {3, 0}, "expected rows and cols >= 1"},
        {{(size_t)-1, 16}, {5, 2}, {3, 2}, "runs past"},
        {{0, 16}, {(size_t)1 << 40, 2}, {(size_t)1 << 40, 2}, "too large"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0] && o; k++) {
        ctx.err[0] = '\0';
        gd_status st = gd_optim_set_blocks(&ctx, o, 2, bad[k].off, bad[k].rows, bad[k].cols);
        gdt_check(st == GD_EINVAL && has(ctx.err, bad[k].msg), "bad muon blocks %zu refused: '%s'", k, ctx.err);
    }
    gdt_check(o && gd_optim_set_blocks(&ctx, o, 0, NULL, NULL, NULL) == GD_OK, "no blocks is valid");
    gd_optim_free(o);
    o = gd_optim_new(&ctx, gd_optim_find("adam"), 3, NULL);
    gdt_check(o && gd_optim_set_blocks(&ctx, o, 1, &o0, &r5, &c3) == GD_OK,
              "adam ignores blocks (even ones past its parameters)");
    gd_optim_free(o);
}

/* ---- Sphere ---- */

static void test_sphere(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const double nw = sqrt(W0[0] * W0[0] + W0[1] * W0[1] + W0[2] * W0[2]);
    double w[3] = {W0[0] / nw, W0[1] / nw, W0[2] / nw}, c[3] = {0.8, -0.45, 1.3};
    gd_optim *o = gd_optim_new(&ctx, gd_optim_find("sphere"), 3, NULL);
    if (!o) {
        gdt_check(0, "sphere made");
        return;
    }
    double cw0 = c[0] * w[0] + c[1] * w[1] + c[2] * w[2];
    gd_optim_step(o, w, c, 0.3);
    static const double want[3] = {-0.04892786213844954, -0.4734320945439264, 0.879470361161939};
    for (int i = 0; i < 3; i++) gdt_close(w[i], want[i], 1e-14, 1e-16, "sphere step 1");
    double cw = c[0] * w[0] + c[1] * w[1] + c[2] * w[2];
    gdt_check(cw < cw0, "sphere step decreases c.w: %.6f -> %.6f", cw0, cw);
    /* 300 more steps: on the sphere to 1e-14, c.w never increases, and the
     * limit is the minimiser -c / ||c||. */
    double maxdev = 0;
    int mono = 1;
    for (int k = 0; k < 300; k++) {
        gd_optim_step(o, w, c, 0.3);
        double n = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
        double cn = c[0] * w[0] + c[1] * w[1] + c[2] * w[2];
        maxdev = fmax(maxdev, fabs(n - 1));
        mono &= cn <= cw + 4e-16; /* rounding once converged */
        cw = cn;
    }
    gdt_check(maxdev <= 1e-14, "sphere: | ||w|| - 1 | <= 1e-14 over 300 steps (max %.2g)", maxdev);
    gdt_check(mono, "sphere: c.w non-increasing (to rounding) over 300 steps");
    const double nc = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    gdt_close(cw, -nc, 1e-12, 0, "sphere converges to min c.w = -||c||");
    gd_optim_free(o);
    /* Many coordinates, rough gradients: the norm still holds. */
    enum { N = 257 };
    double x[N], gg[N], y[N];
    gd_rng r;
    gd_rng_stream_init(&r, 7, "test-sphere", 0, 0);
    double n2 = 0;
    for (int i = 0; i < N; i++) x[i] = gd_rng_normal(&r), n2 += x[i] * x[i];
    for (int i = 0; i < N; i++) x[i] /= sqrt(n2), y[i] = x[i];
    gd_optim_params p = gd_optim_default_params();
    p.weight_decay = 0.3;
    o = gd_optim_new(&ctx, gd_optim_find("sphere"), N, NULL);
    gd_optim *o2 = gd_optim_new(&ctx, gd_optim_find("sphere"), N, &p);
    maxdev = 0;
    for (int k = 0; k < 50 && o && o2; k++) {
        for (int i = 0; i < N; i++) gg[i] = 10 * gd_rng_normal(&r);
        gd_optim_step(o, x, gg, 0.7);
        gd_optim_step(o2, y, gg, 0.7);
        double nn = 0;
        for (int i = 0; i < N; i++) nn += x[i] * x[i];
        maxdev = fmax(maxdev, fabs(sqrt(nn) - 1));
    }
    gdt_check(o && o2 && maxdev <= 1e-14, "sphere, 257 coordinates, 50 noisy steps: norm 1 to 1e-14 (max %.2g)", maxdev);
    gdt_check(memcmp(x, y, sizeof x) == 0, "sphere ignores weight decay (radial, projected out)");
    gd_optim_free(o);
    gd_optim_free(o2);
}

/* ---- Schedules ---- */

static void sched_at(const gd_schedule *s, long t, double want, const char *what) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s at t = %ld", what, t);
    gdt_close(gd_schedule_lr(s, t), want, 1e-15, 1e-17, buf);
}

static void test_schedules(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    gd_schedule s;
    gdt_check(gd_schedule_parse(&ctx, "constant", 0.37, 100, &s) == GD_OK && s.kind == GD_SCHED_CONSTANT &&
                  s.lr == 0.37 && s.lr_min == 0 && s.total == 100 && s.gamma == 0.1 && s.decay_frac == 0.2,
              "parse constant, defaults filled");
    sched_at(&s, 0, 0.37, "constant");
    sched_at(&s, 12345, 0.37, "constant");

    gdt_check(gd_schedule_parse(&ctx, "step:10:0.5", 0.3, 100, &s) == GD_OK && s.kind == GD_SCHED_STEP &&
                  s.every == 10 && s.gamma == 0.5, "parse step:10:0.5");
    const long st[] = {0, 9, 10, 19, 20, 35};
    const double sw[] = {0.3, 0.3, 0.15, 0.15, 0.075, 0.0375};
    for (int i = 0; i < 6; i++) sched_at(&s, st[i], sw[i], "step:10:0.5");

    gdt_check(gd_schedule_parse(&ctx, "cosine", 0.3, 100, &s) == GD_OK && s.kind == GD_SCHED_COSINE,
              "parse cosine");
    sched_at(&s, 0, 0.3, "cosine");
    sched_at(&s, 50, 0.15, "cosine");
    sched_at(&s, 100, 0.0, "cosine");
    s.lr_min = 0.01;
    sched_at(&s, 0, 0.3, "cosine, lr_min 0.01");
    sched_at(&s, 25, 0.01 + 0.29 * (1 + sqrt(0.5)) / 2, "cosine, lr_min 0.01");
    sched_at(&s, 50, 0.155, "cosine, lr_min 0.01");
    sched_at(&s, 75, 0.01 + 0.29 * (1 - sqrt(0.5)) / 2, "cosine, lr_min 0.01");
    sched_at(&s, 100, 0.01, "cosine, lr_min 0.01");
    sched_at(&s, 150, 0.01, "cosine, lr_min 0.01 (after total)");

    gdt_check(gd_schedule_parse(&ctx, "warmup:4", 0.2, 100, &s) == GD_OK && s.kind == GD_SCHED_WARMUP &&
                  s.warmup == 4, "parse warmup:4");
    const long wt[] = {0, 1, 3, 4, 100};
    const double wv[] = {0.05, 0.1, 0.2, 0.2, 0.2};
    for (int i = 0; i < 5; i++) sched_at(&s, wt[i], wv[i], "warmup:4");

    gdt_check(gd_schedule_parse(&ctx, "wsd:5:0.2", 0.4, 100, &s) == GD_OK && s.kind == GD_SCHED_WSD &&
                  s.warmup == 5 && s.decay_frac == 0.2, "parse wsd:5:0.2");
    /* Warm-up 0..4, stable 5..79, decay over the last 20: lr (100 - t) / 20. */
    const long dt[] = {0, 4, 5, 50, 79, 80, 90, 99, 100, 200};
    const double dv[] = {0.08, 0.4, 0.4, 0.4, 0.4, 0.4, 0.2, 0.02, 0.0, 0.0};
    for (int i = 0; i < 10; i++) sched_at(&s, dt[i], dv[i], "wsd:5:0.2");
    s.lr_min = 0.04;
    sched_at(&s, 90, 0.22, "wsd:5:0.2, lr_min 0.04");
    sched_at(&s, 100, 0.04, "wsd:5:0.2, lr_min 0.04");
    sched_at(&s, 50, 0.4, "wsd:5:0.2, lr_min 0.04");

    gdt_check(gd_schedule_parse(&ctx, "invsqrt:10", 0.3, 100, &s) == GD_OK && s.kind == GD_SCHED_INVSQRT &&
                  s.every == 10, "parse invsqrt:10");
    sched_at(&s, 0, 0.3, "invsqrt:10");
    sched_at(&s, 5, 0.3 / sqrt(1.5), "invsqrt:10");
    sched_at(&s, 10, 0.3 / sqrt(2.0), "invsqrt:10");
    sched_at(&s, 30, 0.15, "invsqrt:10");

    struct { const char *spec; long total; const char *msg; } bad[] = {
        {"step:abc", 100, "schedule 'step:abc': expected step:EVERY:GAMMA with EVERY a whole number >= 1"},
        {"step:0:0.5", 100, "EVERY a whole number >= 1"},
        {"step:-3:0.5", 100, "EVERY a whole number >= 1"},
        {"step: 10:0.5", 100, "EVERY a whole number >= 1"},
        {"step:99999999999999999999:0.5", 100, "EVERY a whole number >= 1"},
        {"step:10", 100, "expected step:EVERY:GAMMA"},
        {"step", 100, "expected step:EVERY:GAMMA"},
        {"wsd:x", 100, "WARMUP a whole number >= 0"},
        {"step:10:0.5:3", 100, "expected step:EVERY:GAMMA"},
        {"step:10:-1", 100, "GAMMA a number > 0"},
        {"step:10:x", 100, "GAMMA a number > 0"},
        {"step:10:nan", 100, "GAMMA a number > 0"},
        {"step:10:", 100, "GAMMA a number > 0"},
        {"cosine", 0, "expected a total of steps >= 1"},
        {"cosine:3", 100, "expected cosine"},
        {"constant:1", 100, "expected constant"},
        {"warmup", 100, "expected warmup:STEPS with STEPS a whole number >= 1"},
        {"warmup:0", 100, "STEPS a whole number >= 1"},
        {"warmup:2.5", 100, "STEPS a whole number >= 1"},
        {"wsd:5", 100, "expected wsd:WARMUP:DECAY_FRAC"},
        {"wsd:x:0.2", 100, "WARMUP a whole number >= 0"},
        {"wsd:5:1.5", 100, "DECAY_FRAC a number in [0, 1]"},
        {"wsd:90:0.2", 100, "to fit in the total of 100 steps"},
        {"wsd:5:0.2", 0, "expected a total of steps >= 1"},
        {"invsqrt:0", 100, "expected invsqrt:EVERY with EVERY a whole number >= 1"},
        {"invsqrt", 100, "expected invsqrt:EVERY"},
        {"linear", 100, "expected constant, step:EVERY:GAMMA, cosine, warmup:STEPS, wsd:WARMUP:DECAY_FRAC or invsqrt:EVERY"},
        {"", 100, "schedule '': expected constant"},
        {"Cosine", 100, "expected constant, step"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ctx.err[0] = '\0';
        s.kind = GD_SCHED_INVSQRT, s.every = 77;
        gd_status stt = gd_schedule_parse(&ctx, bad[k].spec, 0.1, bad[k].total, &s);
        gdt_check(stt == GD_EINVAL && has(ctx.err, bad[k].msg) && s.every == 77,
                  "schedule '%s' refused, s untouched: '%s'", bad[k].spec, ctx.err);
    }
    gdt_check(gd_schedule_parse(&ctx, "constant", GD_NAN, 100, &s) == GD_EINVAL &&
                  has(ctx.err, "learning rate"), "NaN learning rate refused: '%s'", ctx.err);
    gdt_check(gd_schedule_parse(&ctx, "wsd:0:0", 0.1, 10, &s) == GD_OK &&
                  gd_schedule_lr(&s, 0) == 0.1 && gd_schedule_lr(&s, 9) == 0.1,
              "wsd:0:0 is constant before the end");
    gdt_check(gd_schedule_parse(&ctx, "step:3:1e-1", 1.0, 10, &s) == GD_OK && s.gamma == 0.1 &&
                  s.every == 3, "step:3:1e-1 parses");
}

/* ---- Samplers ---- */

static int is_perm(const size_t *x, size_t n) {
    int seen[64] = {0};
    for (size_t i = 0; i < n; i++) {
        if (x[i] >= n || seen[x[i]]) return 0;
        seen[x[i]] = 1;
    }
    return 1;
}

/* Draws nb batches of b into out (nb b). */
static void draw(gd_sampler *s, size_t nb, size_t b, size_t *out) {
    for (size_t k = 0; k < nb; k++) memcpy(out + k * b, gd_sampler_next(s), b * sizeof *out);
}

static void test_samplers(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    /* Without replacement, n = 10, b = 3: 40 batches are 12 whole epochs. */
    size_t x[120];
    gd_sampler *s = gd_sampler_new(&ctx, 10, 3, 0, 42, "test-sampler");
    if (!s) {
        gdt_check(0, "sampler made: %s", ctx.err);
        return;
    }
    draw(s, 40, 3, x);
    int allp = 1;
    for (int e = 0; e < 12; e++) allp &= is_perm(x + 10 * e, 10);
    gdt_check(allp, "without replacement: each of 12 epochs (n 10, b 3) covers every index once");
    gdt_check(memcmp(x, x + 10, 10 * sizeof *x) != 0, "a new permutation each epoch");
    gd_sampler_free(s);
    /* b > n: a batch spans several epochs. */
    s = gd_sampler_new(&ctx, 3, 7, 0, 42, "test-sampler");
    size_t z[21];
    if (s) draw(s, 3, 7, z);
    allp = s != NULL;
    for (int e = 0; e < 7 && s; e++) allp &= is_perm(z + 3 * e, 3);
    gdt_check(allp, "without replacement, b 7 > n 3: 7 epochs in 3 batches");
    gd_sampler_free(s);

    /* Reproducibility. */
    for (int rep = 0; rep < 2; rep++) {
        gd_sampler *a = gd_sampler_new(&ctx, 10, 3, rep, 42, "test-sampler");
        gd_sampler *b = gd_sampler_new(&ctx, 10, 3, rep, 42, "test-sampler");
        gd_sampler *c = gd_sampler_new(&ctx, 10, 3, rep, 43, "test-sampler");
        gd_sampler *d = gd_sampler_new(&ctx, 10, 3, rep, 42, "other");
        size_t xa[120], xb[120], xc[120], xd[120];
        if (a && b && c && d) {
            draw(a, 40, 3, xa), draw(b, 40, 3, xb), draw(c, 40, 3, xc), draw(d, 40, 3, xd);
            gdt_check(memcmp(xa, xb, sizeof xa) == 0, "%s: same seed, same sequence", rep ? "with" : "without");
            gdt_check(memcmp(xa, xc, sizeof xa) != 0, "%s: another seed, another sequence", rep ? "with" : "without");
            gdt_check(memcmp(xa, xd, sizeof xa) != 0, "%s: another experiment, another sequence", rep ? "with" : "without");
        } else {
            gdt_check(0, "samplers made");
        }
        gd_sampler_free(a), gd_sampler_free(b), gd_sampler_free(c), gd_sampler_free(d);
    }

    /* With replacement: n 7, b 5, 100000 draws; per-cell z and chi-square. */
    s = gd_sampler_new(&ctx, 7, 5, 1, 2718, "test-sampler");
    long cnt[7] = {0};
    const long N = 100000;
    for (long k = 0; k < N / 5 && s; k++) {
        const size_t *bt = gd_sampler_next(s);
        for (int i = 0; i < 5; i++) {
            GD_ASSERT(bt[i] < 7);
            cnt[bt[i]]++;
        }
    }
    gd_sampler_free(s);
    double chi2 = 0, e = (double)N / 7;
    for (int i = 0; i < 7; i++) {
        char what[64];
        snprintf(what, sizeof what, "with replacement: count of index %d", i);
        gdt_within_se((double)cnt[i], e, sqrt(e * (6.0 / 7)), 4, what);
        chi2 += ((double)cnt[i] - e) * ((double)cnt[i] - e) / e;
    }
    gdt_within_se(chi2, 6, sqrt(12.0), 4, "with replacement: chi-square, 6 degrees of freedom");

    /* Without replacement, n = b = 4: 24000 epochs, each of the 24
     * permutations about 1000 times (Fisher-Yates is uniform). */
    s = gd_sampler_new(&ctx, 4, 4, 0, 31415, "test-sampler");
    long pc[24] = {0};
    const long E = 24000;
    for (long k = 0; k < E && s; k++) {
        const size_t *bt = gd_sampler_next(s);
        /* Lehmer code of the permutation. */
        int code = 0;
        for (int i = 0; i < 4; i++) {
            int less = 0;
            for (int j = i + 1; j < 4; j++) less += bt[j] < bt[i];
            code = code * (4 - i) + less;
        }
        pc[code]++;
    }
    gd_sampler_free(s);
    chi2 = 0, e = (double)E / 24;
    double zmax = 0;
    for (int i = 0; i < 24; i++) {
        double zi = ((double)pc[i] - e) / sqrt(e * (23.0 / 24));
        zmax = fmax(zmax, fabs(zi));
        chi2 += ((double)pc[i] - e) * ((double)pc[i] - e) / e;
    }
    gdt_check(zmax <= 4, "without replacement: all 24 permutations of 4 within 4 se of 1000 (max |z| %.2f)", zmax);
    gdt_within_se(chi2, 23, sqrt(46.0), 4, "without replacement: chi-square over permutations, 23 dof");

    gd_sampler *bad = gd_sampler_new(&ctx, 0, 3, 0, 1, "x");
    gdt_check(bad == NULL && has(ctx.err, "n >= 1"), "sampler n = 0 refused: '%s'", ctx.err);
    bad = gd_sampler_new(&ctx, 5, 0, 1, 1, NULL);
    gdt_check(bad == NULL && has(ctx.err, "b >= 1"), "sampler b = 0 refused: '%s'", ctx.err);
    gd_sampler_free(NULL);
}

/* ---- Allocation failure ---- */

static void test_alloc_failure(void) {
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const size_t off[2] = {1, 18}, rows[2] = {5, 3}, cols[2] = {3, 5};
    size_t n;
    const gd_optim_type *const *t = gd_optim_types(&n);
    double g[33];
    for (int i = 0; i < 33; i++) g[i] = 0.01 * (i - 16);
    for (size_t k = 0; k < n; k++) {
        int ok = 1, done = 0;
        long fail;
        for (fail = 0; fail < 50 && !done; fail++) {
            ctx.err[0] = '\0';
            gd_alloc_fail_after(fail);
            gd_optim *o = gd_optim_new(&ctx, t[k], 33, NULL);
            gd_status st = o ? gd_optim_set_blocks(&ctx, o, 2, off, rows, cols) : GD_ENOMEM;
            gd_alloc_fail_after(-1);
            if (!o) ok &= has(ctx.err, "out of memory");
            else if (st != GD_OK) ok &= st == GD_ENOMEM && has(ctx.err, "out of memory");
            else done = 1;
            if (o) {
                double w[33] = {0};
                gd_optim_step(o, w, g, 0.1); /* usable even without its blocks */
                ok &= isfinite(w[5]);
            }
            gd_optim_free(o);
        }
        gdt_check(ok && done, "%s: failure at each of %ld allocations handled", t[k]->name, fail - 1);
    }
    /* A failed second set_blocks keeps the first layout. */
    gd_optim *a = gd_optim_new(&ctx, gd_optim_find("muon"), 33, NULL);
    gd_optim *b = gd_optim_new(&ctx, gd_optim_find("muon"), 33, NULL);
    if (a && b && gd_optim_set_blocks(&ctx, a, 2, off, rows, cols) == GD_OK &&
        gd_optim_set_blocks(&ctx, b, 2, off, rows, cols) == GD_OK) {
        const size_t o2 = 0, r2 = 4, c2 = 8;
        gd_alloc_fail_after(1);
        gd_status st = gd_optim_set_blocks(&ctx, b, 1, &o2, &r2, &c2);
        gd_alloc_fail_after(-1);
        double wa[33] = {0}, wb[33] = {0};
        gd_optim_step(a, wa, g, 0.1);
        gd_optim_step(b, wb, g, 0.1);
        gdt_check(st == GD_ENOMEM && memcmp(wa, wb, sizeof wa) == 0,
                  "failed set_blocks keeps the previous blocks");
    } else {
        gdt_check(0, "muon made for the set_blocks failure test");
    }
    gd_optim_free(a);
    gd_optim_free(b);
    for (int rep = 0; rep < 2; rep++) {
        int ok = 1, done = 0;
        long fail;
        for (fail = 0; fail < 20 && !done; fail++) {
            ctx.err[0] = '\0';
            gd_alloc_fail_after(fail);
            gd_sampler *s = gd_sampler_new(&ctx, 10, 3, rep, 5, "x");
            gd_alloc_fail_after(-1);
            if (!s) ok &= has(ctx.err, "out of memory");
            else {
                done = 1;
                const size_t *bt = gd_sampler_next(s);
                ok &= bt[0] < 10 && bt[1] < 10 && bt[2] < 10;
            }
            gd_sampler_free(s);
        }
        gdt_check(ok && done, "sampler %s replacement: failure at each of %ld allocations handled",
                  rep ? "with" : "without", fail - 1);
    }
    /* Steps allocate nothing. */
    gd_optim *o = gd_optim_new(&ctx, gd_optim_find("muon"), 33, NULL);
    gd_sampler *s = gd_sampler_new(&ctx, 10, 3, 0, 5, "x");
    if (o && s && gd_optim_set_blocks(&ctx, o, 2, off, rows, cols) == GD_OK) {
        double w[33] = {0};
        gd_alloc_fail_after(0);
        for (int k = 0; k < 5; k++) gd_optim_step(o, w, g, 0.1), gd_sampler_next(s);
        long made = gd_alloc_fail_after(-1);
        gdt_check(made == 0 && isfinite(w[3]), "muon steps and sampler batches allocate nothing (%ld)", made);
    } else {
        gdt_check(0, "muon and sampler made");
    }
    gd_optim_free(o);
    gd_sampler_free(s);
}

int main(void) {
    test_table();
    test_params();
    test_gd();
    test_momentum();
    test_adam();
    test_muon();
    test_sphere();
    test_schedules();
    test_samplers();
    test_alloc_failure();
    return gdt_summary();
}
