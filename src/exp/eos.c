/* eos: the edge of stability (Cohen, Kaur, Li, Kolter and Talwalkar,
 * "Gradient descent on neural networks typically occurs at the edge of
 * stability", ICLR 2021; cited in seed 003). Full-batch training of an MLP
 * on a real data set; the sharpness (top Hessian eigenvalue, by Lanczos on
 * exact Hessian-vector products) every eig-every steps; the claims that it
 * rises while below the stability threshold (progressive sharpening), then
 * reaches the threshold and hovers there, while the loss keeps decreasing
 * over long windows but not monotonically.
 *
 * Thresholds by optimizer (the step's linear stability limit on a quadratic
 * of curvature S): GD 2/eta; heavy-ball momentum beta (2 + 2 beta)/eta;
 * Nesterov (2 + 2 beta)/((1 + 2 beta) eta); Adam and AdamW the
 * preconditioned sharpness, top eigenvalue of P^1/2 H P^1/2 with P the
 * diagonal preconditioner of the step, against (2 + 2 beta1)/((1 - beta1)
 * eta) (38/eta for beta1 = 0.9). Several learning rates run from the same
 * initialisation, as in Cohen et al.'s Figure 1. */
#include "common.h"
#include "gdlab/data.h"
#include "gdlab/nn.h"
#include "gdlab/optim.h"
#include "gdlab/spectra.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SRC[] = "Cohen et al., ICLR 2021 (edge of stability; cited in seed 003)";
static const char SRC_ADAM[] = "Cohen et al., 'Adaptive gradient methods at the edge of stability', 2022";

#define MAX_ETAS 6

/* The schema; the three registered forms differ in their defaults. */
#define EOS_PARAMS(OPT, ETAS) {                                                              \
    {"data", GD_PARAM_STRING, "digits", 0, 0, 0,                                                    \
     "digits, breast_cancer, fashion-mnist, or a CSV path (last column the class)"},                \
    {"subset", GD_PARAM_INT, "0", 0, 1e7, 0, "use the first N examples (0: all)"},                  \
    {"balanced", GD_PARAM_STRING, "no", 0, 0, 0, "yes: the subset takes classes in turn"},          \
    {"standardize", GD_PARAM_STRING, "yes", 0, 0, 0, "yes: every feature to mean 0, variance 1"},   \
    {"hidden", GD_PARAM_STRING, "100,100", 0, 0, 0, "hidden widths, comma-separated"},              \
    {"activation", GD_PARAM_STRING, "tanh", 0, 0, 0,                                                \
     "identity, relu, leaky_relu, tanh, gelu, softplus, swish, square"},                            \
    {"loss", GD_PARAM_STRING, "mse", 0, 0, 0, "mse (mean of 1/2 ||f - y||^2, one-hot y) or ce"},    \
    {"init", GD_PARAM_STRING, "torch", 0, 0, 0, "torch, xavier or he"},                             \
    {"init-scale", GD_PARAM_REAL, "1", 0, 100, GD_PARAM_OPEN_MIN, "multiplies the initial weights"},\
    {"optimizer", GD_PARAM_STRING, OPT, 0, 0, 0, "gd, momentum, nesterov, adam, adamw"},            \
    {"eta", GD_PARAM_STRING, ETAS, 0, 0, 0,                                                         \
     "learning rates, comma-separated (up to 6), each run from the same initialisation"},           \
    {"momentum", GD_PARAM_REAL, "0.9", 0, 0.999, 0, "beta of momentum and nesterov"},               \
    {"beta1", GD_PARAM_REAL, "0.9", 0, 0.999, 0, "Adam beta1"},                                     \
    {"beta2", GD_PARAM_REAL, "0.999", 0, 0.999999, 0, "Adam beta2"},                                \
    {"steps", GD_PARAM_INT, "1500", 1, 1e7, 0, "full-batch steps"},                                 \
    {"eig-every", GD_PARAM_INT, "20", 1, 1e6, 0, "sharpness every this many steps"},                \
    {"eig-tol", GD_PARAM_REAL, "1e-4", 1e-12, 0.1, 0, "relative Ritz residual for the sharpness"},  \
    {"loss-goal", GD_PARAM_REAL, "0", 0, 1e6, 0, "stop when the training loss is below this"},      \
    {"acc-goal", GD_PARAM_REAL, "1.01", 0, 1.01, 0, "stop when the training accuracy reaches this"},\
    {"flow-steps", GD_PARAM_INT, "0", 0, 1e6, 0,                                                    \
     "follow gradient flow (RK4, step 1/sharpness) alongside the first eta for this many steps"},\
    {"density-probes", GD_PARAM_INT, "0", 0, 64, 0,                                                \
     "Hessian spectral density at the end of the first eta's run by SLQ (probes; 0: off)"},         \
    {"band-after", GD_PARAM_INT, "200", 0, 1e7, 0,                                                  \
     "the band is measured from this many steps after the onset"},                                  \
    {NULL, 0, NULL, 0, 0, 0, NULL}}

/* The Hessian (or preconditioned Hessian) as a matvec for Lanczos. */
typedef struct hess_op {
    gd_mlp *m;
    const double *w, *x, *y;
    size_t n, P;
    const double *s; /* (P) sqrt of the diagonal preconditioner, or NULL */
    double *tmp;     /* (P) */
} hess_op;

static void hess_mv(void *data, const double *v, double *out) {
    hess_op *h = data;
    if (!h->s) {
        gd_mlp_hvp(h->m, h->w, h->x, h->y, h->n, v, out);
        return;
    }
    for (size_t i = 0; i < h->P; i++) h->tmp[i] = h->s[i] * v[i];
    gd_mlp_hvp(h->m, h->w, h->x, h->y, h->n, h->tmp, out);
    for (size_t i = 0; i < h->P; i++) out[i] *= h->s[i];
}

/* Gradient flow dw/dt = -grad L(w), for GSL's RK4 stepper. */
typedef struct flow_sys {
    gd_mlp *m;
    const double *x, *y;
    size_t n, P;
} flow_sys;

static int flow_rhs(double t, const double *w, double *dwdt, void *params) {
    (void)t;
    flow_sys *f = params;
    gd_mlp_loss_grad(f->m, w, f->x, f->y, f->n, dwdt, NULL);
    for (size_t i = 0; i < f->P; i++) dwdt[i] = -dwdt[i];
    return GSL_SUCCESS;
}

static int yes(const char *s) { return !strcmp(s, "yes") || !strcmp(s, "1") || !strcmp(s, "true"); }

/* Quantile q of v (n) by linear interpolation of the sorted values; sorts v. */
static double quantile(double *v, size_t n, double q) {
    qsort(v, n, sizeof *v, gd_exp_cmp_double);
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= n) return v[n - 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* What one learning rate's run measured. */
typedef struct eos_run {
    double eta, thr;
    double sharp0;      /* first measured sharpness */
    double sharp_pre;   /* largest sharpness measured before the onset */
    long onset;         /* first measured step with sharpness >= thr, or -1 */
    double p05, p95, mean; /* band of sharpness / thr after onset + band-after */
    size_t nband;
    long diverged_at;   /* -1 if not */
    long steps_done;
    double loss0, loss_end, acc_end;
    double frac_up;     /* fraction of post-onset steps whose loss increased */
    double win_first, win_last; /* mean loss over the first and last fifth after onset */
    double max_resid;   /* largest relative Ritz residual of the top eigenvalue */
} eos_run;

typedef struct eos_setup {
    gd_dataset *ds;
    double *yt;     /* (n, k) one-hot targets */
    gd_mlp *m;
    size_t P, nout;
    double *w0;     /* (P) initial parameters */
    gd_optim_params op;
    const gd_optim_type *ot;
} eos_setup;

static double threshold(const gd_params *p, double eta) {
    const char *o = gd_params_str(p, "optimizer");
    double b = gd_params_real(p, "momentum"), b1 = gd_params_real(p, "beta1");
    if (!strcmp(o, "momentum")) return (2 + 2 * b) / eta;
    if (!strcmp(o, "nesterov")) return (2 + 2 * b) / ((1 + 2 * b) * eta);
    if (!strcmp(o, "adam") || !strcmp(o, "adamw")) return (2 + 2 * b1) / ((1 - b1) * eta);
    return 2 / eta;
}

/* Runs one learning rate; appends to the series named train<sfx> and
 * sharpness<sfx> (created here) and, with flow, flow<sfx>. */
static gd_status run_eta(const gd_params *p, gd_ctx *ctx, gd_result *r, eos_setup *su,
                         double eta, const char *sfx, long flow_steps, eos_run *out) {
    const size_t P = su->P, n = su->ds->n;
    const long steps = (long)gd_params_real(p, "steps");
    const long every = (long)gd_params_real(p, "eig-every");
    const double loss_goal = gd_params_real(p, "loss-goal"), acc_goal = gd_params_real(p, "acc-goal");
    const int precond = !strcmp(su->ot->name, "adam") || !strcmp(su->ot->name, "adamw");
    char tn[32], sn[32], fn[32];
    snprintf(tn, sizeof tn, "train%s", sfx);
    snprintf(sn, sizeof sn, "sharpness%s", sfx);
    snprintf(fn, sizeof fn, "flow%s", sfx);
    static const char *const tc[] = {"step", "loss", "accuracy"};
    static const char *const sc[] = {"step", "sharpness", "lambda2", "residual", "hvps", "threshold"};
    static const char *const fc[] = {"step", "loss_gd", "loss_flow", "distance", "sharpness_flow"};
    if (!gd_result_series_new(r, tn, 3, tc) || !gd_result_series_new(r, sn, 6, sc) ||
        (flow_steps > 0 && !gd_result_series_new(r, fn, 5, fc)))
        return gd_error(ctx, GD_ENOMEM, "out of memory");
    gd_optim *opt = gd_optim_new(ctx, su->ot, P, &su->op);
    double *w = gd_malloc(P * sizeof *w), *g = gd_malloc(P * sizeof *g);
    double *vtop = gd_malloc(2 * P * sizeof *vtop), *tmp = gd_malloc(P * sizeof *tmp);
    double *sq = precond ? gd_malloc(P * sizeof *sq) : NULL;
    double *sh_vals = gd_malloc(((size_t)steps / (size_t)every + 2) * sizeof *sh_vals);
    double *losses = gd_malloc(((size_t)steps + 1) * sizeof *losses);
    long *sh_steps = gd_malloc(((size_t)steps / (size_t)every + 2) * sizeof *sh_steps);
    double *wf = NULL, *ferr = NULL, *fk1 = NULL, *fk2 = NULL, *vflow = NULL;
    int have_vf = 0;
    gsl_odeiv2_step *fstep = NULL;
    gd_status st = GD_OK;
    if (!opt || !w || !g || !vtop || !tmp || (precond && !sq) || !sh_vals || !losses || !sh_steps) {
        st = gd_error(ctx, GD_ENOMEM, "out of memory for a network of %zu parameters", P);
        goto done;
    }
    flow_sys fs = {su->m, su->ds->x, su->yt, n, P};
    gsl_odeiv2_system sys = {flow_rhs, NULL, P, &fs};
    if (flow_steps > 0) {
        wf = gd_malloc(P * sizeof *wf), ferr = gd_malloc(P * sizeof *ferr);
        fk1 = gd_malloc(P * sizeof *fk1), fk2 = gd_malloc(P * sizeof *fk2);
        vflow = gd_malloc(2 * P * sizeof *vflow);
        fstep = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rk4, P);
        if (!wf || !ferr || !fk1 || !fk2 || !vflow || !fstep) {
            st = gd_error(ctx, GD_ENOMEM, "out of memory for the gradient flow");
            goto done;
        }
        memcpy(wf, su->w0, P * sizeof *wf);
    }
    memcpy(w, su->w0, P * sizeof *w);
    hess_op hop = {su->m, w, su->ds->x, su->yt, n, P, NULL, tmp};
    gd_lanczos_params lp = gd_lanczos_default_params();
    lp.k = 2;
    lp.tol = gd_params_real(p, "eig-tol");
    lp.seed = ctx->seed;
    lp.max_iter = P < 200 ? P : 200;
    int have_v = 0;
    size_t nsh = 0;
    double flow_sharp = GD_NAN;
    *out = (eos_run){.eta = eta, .thr = threshold(p, eta), .onset = -1, .diverged_at = -1,
                     .p05 = GD_NAN, .p95 = GD_NAN, .mean = GD_NAN, .sharp0 = GD_NAN,
                     .sharp_pre = GD_NAN, .frac_up = GD_NAN, .win_first = GD_NAN,
                     .win_last = GD_NAN};
    long t;
    for (t = 0; t <= steps; t++) {
        if (t % 64 == 0) gd_progress(ctx, "training", (double)t / (double)steps);
        double acc, L = gd_mlp_loss_grad(su->m, w, su->ds->x, su->yt, n, g, &acc);
        losses[t] = L;
        if (t == 0) out->loss0 = L;
        out->loss_end = L, out->acc_end = acc;
        if (!isfinite(L) || L > 1e6 * (out->loss0 + 1)) {
            out->diverged_at = t;
            break;
        }
        double row[3] = {(double)t, L, acc};
        gd_series_append(gd_result_series_find(r, tn), row);
        /* Sharpness at this iterate (the preconditioner is that of the
         * previous step for Adam, so measure from step 1 on). */
        if (t % every == 0 && !(precond && t == 0)) {
            if (precond) {
                if ((st = gd_optim_precond(opt, sq)) != GD_OK) goto done;
                for (size_t i = 0; i < P; i++) sq[i] = sqrt(sq[i]);
                hop.s = sq;
            }
            gd_lanczos_result lr;
            if ((st = gd_lanczos_top(ctx, P, hess_mv, &hop, &lp, have_v ? vtop : NULL, vtop, &lr)) != GD_OK)
                goto done;
            have_v = 1;
            double srow[6] = {(double)t, lr.eval[0], lr.eval[1], lr.resid[0], (double)lr.nmatvec, out->thr};
            gd_series_append(gd_result_series_find(r, sn), srow);
            out->max_resid = fmax(out->max_resid, lr.resid[0] / fmax(fabs(lr.eval[0]), 1e-300));
            if (nsh == 0) out->sharp0 = lr.eval[0];
            if (out->onset < 0 && lr.eval[0] >= out->thr) out->onset = t;
            if (out->onset < 0) out->sharp_pre = nsh ? fmax(out->sharp_pre, lr.eval[0]) : lr.eval[0];
            sh_vals[nsh] = lr.eval[0] / out->thr, sh_steps[nsh++] = t;
            if (t < flow_steps) {
                /* The flow's own sharpness sets its RK4 step: along the flow
                 * it keeps rising past the threshold where GD's stops. */
                hess_op fop = hop;
                fop.w = wf, fop.s = NULL;
                gd_lanczos_result fr;
                if ((st = gd_lanczos_top(ctx, P, hess_mv, &fop, &lp, have_vf ? vflow : NULL, vflow, &fr)) != GD_OK)
                    goto done;
                have_vf = 1;
                flow_sharp = fr.eval[0];
            }
        }
        if (flow_steps > 0 && t <= flow_steps) {
            /* Compare GD at step t with the flow at time t eta, then advance
             * the flow to (t + 1) eta in RK4 steps of at most 1/sharpness
             * (RK4 is stable to 2.78/sharpness on a quadratic). */
            double Lf = gd_mlp_loss_grad(su->m, wf, su->ds->x, su->yt, n, fk1, NULL), d2 = 0;
            for (size_t i = 0; i < P; i++) d2 += (w[i] - wf[i]) * (w[i] - wf[i]);
            double frow[5] = {(double)t, L, Lf, sqrt(d2), t % every == 0 ? flow_sharp : GD_NAN};
            gd_series_append(gd_result_series_find(r, fn), frow);
            if (t < flow_steps) {
                double hmax = isfinite(flow_sharp) && flow_sharp > 0 ? 1.0 / flow_sharp : eta / 4;
                long sub = (long)ceil(eta / hmax);
                double h = eta / (double)sub, tt = (double)t * eta;
                for (long j = 0; j < sub; j++, tt += h) {
                    for (size_t i = 0; i < P; i++) fk1[i] = -fk1[i];
                    int gs = gsl_odeiv2_step_apply(fstep, tt, h, wf, ferr, fk1, fk2, &sys);
                    if (gs != GSL_SUCCESS) {
                        st = gd_error(ctx, GD_ENUMERIC, "gradient flow: RK4 step failed (%s)", gsl_strerror(gs));
                        goto done;
                    }
                    /* fk2 holds -grad at the new point: keep the gradient. */
                    for (size_t i = 0; i < P; i++) fk1[i] = -fk2[i];
                }
            }
        }
        if (L <= loss_goal || acc >= acc_goal || t == steps) break;
        gd_optim_step(opt, w, g, eta);
    }
    out->steps_done = t;
    /* The spectral density of the Hessian at the last iterate (first eta
     * only): stochastic Lanczos quadrature, 60 steps per probe, smoothed
     * by a Gaussian of 1% of the spectral range. */
    size_t nprobe = (size_t)gd_params_real(p, "density-probes");
    if (nprobe > 0 && !*sfx && out->diverged_at < 0) {
        enum { SLQ_M = 60, NGRID = 400 };
        double *nodes = gd_malloc(nprobe * SLQ_M * sizeof *nodes);
        double *wts = gd_malloc(nprobe * SLQ_M * sizeof *wts);
        double xg[NGRID], dens[NGRID];
        static const char *const dc[] = {"eigenvalue", "density"};
        gd_series *ds = gd_result_series_new(r, "density", 2, dc);
        if (!nodes || !wts || !ds) {
            gd_free(nodes), gd_free(wts);
            st = gd_error(ctx, GD_ENOMEM, "out of memory for the spectral density");
            goto done;
        }
        hop.s = NULL;
        /* First pass without smoothing to find the range of the nodes. */
        st = gd_slq_density(ctx, P, hess_mv, &hop, nprobe, SLQ_M, ctx->seed, nodes, wts, NULL, 0, 1.0, NULL);
        if (st == GD_OK) {
            double lo = nodes[0], hi = nodes[0];
            for (size_t i = 0; i < nprobe * SLQ_M; i++) lo = fmin(lo, nodes[i]), hi = fmax(hi, nodes[i]);
            double pad = 0.05 * (hi - lo) + 1e-12, sig = 0.01 * (hi - lo) + 1e-12;
            for (int i = 0; i < NGRID; i++) xg[i] = lo - pad + (hi - lo + 2 * pad) * i / (NGRID - 1);
            st = gd_slq_density(ctx, P, hess_mv, &hop, nprobe, SLQ_M, ctx->seed, nodes, wts, xg, NGRID, sig, dens);
            for (int i = 0; i < NGRID && st == GD_OK; i++) {
                double row[2] = {xg[i], dens[i]};
                st = gd_series_append(ds, row);
            }
        }
        gd_free(nodes), gd_free(wts);
        if (st != GD_OK) goto done;
    }
    /* Band of sharpness / threshold from band-after steps after the onset. */
    if (out->onset >= 0) {
        long from = out->onset + (long)gd_params_real(p, "band-after");
        size_t i0 = 0;
        while (i0 < nsh && sh_steps[i0] < from) i0++;
        out->nband = nsh - i0;
        if (out->nband >= 3) {
            double s = 0;
            for (size_t i = i0; i < nsh; i++) s += sh_vals[i];
            out->mean = s / (double)out->nband;
            out->p95 = quantile(sh_vals + i0, out->nband, 0.95);
            out->p05 = quantile(sh_vals + i0, out->nband, 0.05);
        }
        long last = out->diverged_at >= 0 ? out->diverged_at - 1 : t;
        long len = last - out->onset;
        if (len >= 10) {
            long up = 0, fifth = len / 5;
            for (long s = out->onset + 1; s <= last; s++) up += losses[s] > losses[s - 1];
            out->frac_up = (double)up / (double)len;
            double a = 0, b = 0;
            for (long s = 0; s < fifth; s++) a += losses[out->onset + s], b += losses[last - s];
            out->win_first = a / (double)fifth, out->win_last = b / (double)fifth;
        }
    }
done:
    gd_optim_free(opt);
    gd_free(w), gd_free(g), gd_free(vtop), gd_free(tmp), gd_free(sq);
    gd_free(sh_vals), gd_free(losses), gd_free(sh_steps);
    gd_free(wf), gd_free(ferr), gd_free(fk1), gd_free(fk2), gd_free(vflow);
    if (fstep) gsl_odeiv2_step_free(fstep);
    return st;
}

/* Loads the data, builds the network and the initial parameters. */
static gd_status setup(const gd_params *p, gd_ctx *ctx, eos_setup *su) {
    memset(su, 0, sizeof *su);
    size_t hid[GD_MLP_MAX_LAYERS];
    int nh = gd_exp_parse_sizes(gd_params_str(p, "hidden"), hid, GD_MLP_MAX_LAYERS - 1);
    if (nh < 0)
        return gd_error(ctx, GD_EINVAL, "--hidden: expected comma-separated whole widths >= 1 "
                        "(at most %d), got '%s'", GD_MLP_MAX_LAYERS - 1, gd_params_str(p, "hidden"));
    gd_mlp_params mp = gd_mlp_default_params();
    int act = gd_act_from_name(gd_params_str(p, "activation"));
    if (act < 0)
        return gd_error(ctx, GD_EINVAL, "--activation: expected identity, relu, leaky_relu, tanh, "
                        "gelu, softplus, swish or square, got '%s'", gd_params_str(p, "activation"));
    mp.act = (gd_act)act;
    const char *loss = gd_params_str(p, "loss"), *init = gd_params_str(p, "init");
    if (strcmp(loss, "mse") && strcmp(loss, "ce"))
        return gd_error(ctx, GD_EINVAL, "--loss: expected mse or ce, got '%s'", loss);
    mp.loss = strcmp(loss, "ce") ? GD_LOSS_MSE : GD_LOSS_CE;
    if (!strcmp(init, "torch")) mp.init = GD_INIT_TORCH;
    else if (!strcmp(init, "xavier")) mp.init = GD_INIT_XAVIER;
    else if (!strcmp(init, "he")) mp.init = GD_INIT_HE;
    else return gd_error(ctx, GD_EINVAL, "--init: expected torch, xavier or he, got '%s'", init);
    mp.init_scale = gd_params_real(p, "init-scale");
    su->ot = gd_optim_find(gd_params_str(p, "optimizer"));
    const char *on = gd_params_str(p, "optimizer");
    if (!su->ot || !(strcmp(on, "gd") == 0 || strcmp(on, "momentum") == 0 ||
                     strcmp(on, "nesterov") == 0 || strcmp(on, "adam") == 0 || strcmp(on, "adamw") == 0))
        return gd_error(ctx, GD_EINVAL, "--optimizer: expected gd, momentum, nesterov, adam or adamw "
                        "(full-batch runs with a known stability threshold), got '%s'", on);
    su->op = gd_optim_default_params();
    su->op.momentum = gd_params_real(p, "momentum");
    su->op.beta1 = gd_params_real(p, "beta1");
    su->op.beta2 = gd_params_real(p, "beta2");

    gd_dataset *all = NULL;
    gd_status st = gd_data_load(ctx, gd_params_str(p, "data"), GD_DATA_CLASSES, &all); /* the last column is the class */
    if (st != GD_OK) return st;
    if (yes(gd_params_str(p, "standardize"))) gd_data_standardize(all);
    size_t sub = (size_t)gd_params_real(p, "subset");
    if (sub > 0 && sub < all->n) {
        st = gd_data_subset(ctx, all, sub, yes(gd_params_str(p, "balanced")), &su->ds);
        gd_data_free(all);
        if (st != GD_OK) return st;
    } else {
        su->ds = all;
    }
    if (mp.loss == GD_LOSS_CE && su->ds->k < 2)
        return gd_error(ctx, GD_EINVAL, "--loss ce needs class labels; '%s' has a regression target",
                        gd_params_str(p, "data"));
    su->nout = su->ds->k >= 2 ? su->ds->k : 1;
    mp.n_layers = (size_t)nh + 1;
    mp.width[0] = su->ds->d;
    for (int i = 0; i < nh; i++) mp.width[i + 1] = hid[i];
    mp.width[nh + 1] = su->nout;
    su->m = gd_mlp_new(ctx, &mp, su->ds->n < 4096 ? su->ds->n : 4096);
    if (!su->m) return gd_ctx_failed(ctx);
    su->P = gd_mlp_nparams(su->m);
    su->yt = gd_malloc(su->ds->n * su->nout * sizeof *su->yt);
    su->w0 = gd_malloc(su->P * sizeof *su->w0);
    if (!su->yt || !su->w0) return gd_error(ctx, GD_ENOMEM, "out of memory");
    gd_data_targets(su->ds, su->yt);
    gd_mlp_init(su->m, su->w0, ctx->seed);
    return GD_OK;
}

static void teardown(eos_setup *su) {
    gd_data_free(su->ds);
    gd_mlp_free(su->m);
    gd_free(su->yt);
    gd_free(su->w0);
}

/* Combines per-run verdicts: refuted if any run refutes, confirmed if all
 * confirm, inconclusive otherwise. */
static gd_verdict combine(const gd_verdict *v, int n) {
    int conf = 0;
    for (int i = 0; i < n; i++) {
        if (v[i] == GD_VERDICT_REFUTED) return GD_VERDICT_REFUTED;
        conf += v[i] == GD_VERDICT_CONFIRMED;
    }
    return conf == n ? GD_VERDICT_CONFIRMED : GD_VERDICT_INCONCLUSIVE;
}


static const char *precond_name(const char *optimizer) {
    return !strcmp(optimizer, "adam") || !strcmp(optimizer, "adamw") ? "preconditioned sharpness"
                                                                     : "sharpness";
}

#define BAND_LO 0.8
#define BAND_HI 1.2

static void claims(const gd_params *p, gd_result *r, const eos_run *run, int ne) {
    const char *on = gd_params_str(p, "optimizer");
    char id[64], thr_txt[96], ev[2048], meas[512];
    const char *sfx = !strcmp(on, "gd") ? "" : on;
    if (!strcmp(on, "gd")) snprintf(thr_txt, sizeof thr_txt, "2/eta");
    else if (!strcmp(on, "momentum")) snprintf(thr_txt, sizeof thr_txt, "(2 + 2 beta)/eta");
    else if (!strcmp(on, "nesterov")) snprintf(thr_txt, sizeof thr_txt, "(2 + 2 beta)/((1 + 2 beta) eta)");
    else snprintf(thr_txt, sizeof thr_txt, "(2 + 2 beta1)/((1 - beta1) eta)");
    const char *what = precond_name(on);
    const char *SRCX = what[0] == 'p' ? SRC_ADAM : SRC;
    gd_verdict v[MAX_ETAS];

    /* 1. Progressive sharpening. */
    ev[0] = meas[0] = 0;
    for (int i = 0; i < ne; i++) {
        const eos_run *u = &run[i];
        double top = u->onset >= 0 ? u->thr : u->sharp_pre;
        double rise = top / u->sharp0;
        int trained = u->loss_end < 0.5 * u->loss0;
        if (!(u->sharp0 < u->thr)) v[i] = GD_VERDICT_INCONCLUSIVE;
        else if (rise >= 1.1) v[i] = GD_VERDICT_CONFIRMED;
        else v[i] = trained ? GD_VERDICT_REFUTED : GD_VERDICT_INCONCLUSIVE;
        gd_exp_addf(meas, sizeof meas, "%seta %g: x%.2f", i ? ", " : "", u->eta, rise);
        gd_exp_addf(ev, sizeof ev, "eta %g: %s %.4g at step 0, threshold %s = %.4g, %s, loss %.4g -> %.4g; ",
             u->eta, what, u->sharp0, thr_txt, u->thr,
             !(u->sharp0 < u->thr) ? "already above the threshold at the start"
             : u->onset >= 0 ? "reached the threshold" : "never reached the threshold",
             u->loss0, u->loss_end);
    }
    gd_exp_addf(ev, sizeof ev, "confirmed when the %s rises by at least 10%% while below the threshold; refuted "
         "when it does not although the loss fell below half its initial value; else inconclusive", what);
    snprintf(id, sizeof id, "eos-sharpening%s%s", *sfx ? "-" : "", sfx);
    gd_result_claim(r, id, SRCX, combine(v, ne),
                    "progressive sharpening: under full-batch training the sharpness rises while it is "
                    "below the stability threshold", "rise factor >= 1.1 before the threshold", meas, "%s", ev);

    /* 2. The sharpness reaches the threshold and hovers in a band. */
    ev[0] = meas[0] = 0;
    for (int i = 0; i < ne; i++) {
        const eos_run *u = &run[i];
        if (u->onset < 0 || u->nband < 3 || u->diverged_at >= 0) v[i] = GD_VERDICT_INCONCLUSIVE;
        else v[i] = u->p05 >= BAND_LO && u->p95 <= BAND_HI ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED;
        if (u->diverged_at >= 0)
            gd_exp_addf(meas, sizeof meas, "%seta %g: diverged at step %ld", i ? "; " : "", u->eta, u->diverged_at);
        else if (u->onset < 0)
            gd_exp_addf(meas, sizeof meas, "%seta %g: no onset in %ld steps", i ? "; " : "", u->eta, u->steps_done);
        else
            gd_exp_addf(meas, sizeof meas, "%seta %g: onset step %ld, band [%.3f, %.3f], mean %.3f", i ? "; " : "",
                 u->eta, u->onset, u->p05, u->p95, u->mean);
        gd_exp_addf(ev, sizeof ev, "eta %g: %zu measurements in the band window, largest relative Ritz residual %.2g; ",
             u->eta, u->nband, u->max_resid);
    }
    gd_exp_addf(ev, sizeof ev, "band = 5th and 95th percentiles of %s / threshold from %ld steps after the onset; "
         "confirmed when inside [%.2f, %.2f] (a tolerance fixed before the runs); inconclusive without an "
         "onset or with fewer than 3 measurements", what, (long)gd_params_real(p, "band-after"), BAND_LO, BAND_HI);
    snprintf(id, sizeof id, "eos-band%s%s", *sfx ? "-" : "", sfx);
    char stmt[256];
    snprintf(stmt, sizeof stmt, "the %s reaches %s and then stays in a band around it", what, thr_txt);
    gd_result_claim(r, id, SRCX, combine(v, ne), stmt, "band within [0.8, 1.2] x threshold", meas, "%s", ev);

    /* 3. The loss: non-monotone over short windows, decreasing over long. */
    ev[0] = meas[0] = 0;
    for (int i = 0; i < ne; i++) {
        const eos_run *u = &run[i];
        if (!isfinite(u->frac_up) || u->diverged_at >= 0) v[i] = GD_VERDICT_INCONCLUSIVE;
        else v[i] = u->frac_up > 0 && u->win_last < u->win_first ? GD_VERDICT_CONFIRMED : GD_VERDICT_REFUTED;
        if (u->diverged_at >= 0)
            gd_exp_addf(meas, sizeof meas, "%seta %g: diverged at step %ld (left the edge of stability)",
                 i ? "; " : "", u->eta, u->diverged_at);
        else if (isfinite(u->frac_up))
            gd_exp_addf(meas, sizeof meas, "%seta %g: loss rose on %.1f%% of steps; mean loss %.4g -> %.4g", i ? "; " : "",
                 u->eta, 100 * u->frac_up, u->win_first, u->win_last);
        else
            gd_exp_addf(meas, sizeof meas, "%seta %g: no edge-of-stability phase", i ? "; " : "", u->eta);
    }
    gd_exp_addf(ev, sizeof ev, "after the onset: the share of steps whose loss rose (> 0: not monotone), and the mean "
         "loss over the first and the last fifth of the steps (last < first: decreasing over long windows)");
    snprintf(id, sizeof id, "eos-loss%s%s", *sfx ? "-" : "", sfx);
    gd_result_claim(r, id, SRCX, combine(v, ne),
                    "at the edge of stability the loss keeps decreasing over long windows but not monotonically",
                    "non-monotone, and decreasing between the first and last fifth", meas, "%s", ev);
}

static gd_status run(const gd_params *p, gd_ctx *ctx, gd_result *r) {
    double etas[MAX_ETAS];
    int ne = gd_exp_parse_reals(gd_params_str(p, "eta"), etas, MAX_ETAS);
    if (ne <= 0)
        return gd_error(ctx, GD_EINVAL, "--eta: expected 1 to %d comma-separated learning rates > 0, got '%s'",
                        MAX_ETAS, gd_params_str(p, "eta"));
    const char *yn[] = {"standardize", "balanced"};
    for (int i = 0; i < 2; i++) {
        const char *v = gd_params_str(p, yn[i]);
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return gd_error(ctx, GD_EINVAL, "--%s: expected yes or no, got '%s'", yn[i], v);
    }
    /* parameters of another optimizer, or of a subset not asked for */
    const char *on = gd_params_str(p, "optimizer");
    const int heavy = !strcmp(on, "momentum") || !strcmp(on, "nesterov"), adam = !strncmp(on, "adam", 4);
    char bad[512] = "";
    if (gd_params_is_set(p, "momentum") && !heavy)
        gd_exp_addf(bad, sizeof bad, "; --momentum applies to --optimizer momentum or nesterov, not %s", on);
    for (const char *const *q = (const char *const[]){"beta1", "beta2", NULL}; *q; q++)
        if (gd_params_is_set(p, *q) && !adam)
            gd_exp_addf(bad, sizeof bad, "; --%s applies to --optimizer adam or adamw, not %s", *q, on);
    if (gd_params_is_set(p, "balanced") && gd_params_real(p, "subset") == 0)
        gd_exp_addf(bad, sizeof bad, "; --balanced applies to a --subset, and --subset is 0 (all examples)");
    if (bad[0]) return gd_error(ctx, GD_EINVAL, "%s", bad + 2);
    /* The same numbers for any thread count: the network engine cuts its
     * batches into a fixed number of parts (src/nn/nn_int.h), and the BLAS
     * calls outside it (Lanczos's and SLQ's dgemv on the Krylov basis) run
     * on this thread (gd_experiment_run). */
    eos_setup su;
    gd_status st = setup(p, ctx, &su);
    eos_run run[MAX_ETAS];
    for (int i = 0; i < ne && st == GD_OK; i++) {
        char sfx[16] = "";
        if (i) snprintf(sfx, sizeof sfx, "_%d", i + 1);
        st = run_eta(p, ctx, r, &su, etas[i], sfx, i == 0 ? (long)gd_params_real(p, "flow-steps") : 0, &run[i]);
    }
    if (st == GD_OK) {
        gd_result_scalar(r, "parameters", (double)su.P, GD_NAN);
        gd_result_scalar(r, "examples", (double)su.ds->n, GD_NAN);
    }
    teardown(&su);
    if (st != GD_OK) return st;

    for (int i = 0; i < ne; i++) {
        const eos_run *u = &run[i];
        char nm[48], sfx[16] = "";
        if (i) snprintf(sfx, sizeof sfx, "_%d", i + 1);
#define SCALAR(name, val) (snprintf(nm, sizeof nm, "%s%s", name, sfx), gd_result_scalar(r, nm, val, GD_NAN))
        SCALAR("eta", u->eta);
        SCALAR("threshold", u->thr);
        SCALAR("sharpness_initial", u->sharp0);
        SCALAR("onset_step", u->onset >= 0 ? (double)u->onset : GD_NAN);
        SCALAR("band_p05", u->p05);
        SCALAR("band_p95", u->p95);
        SCALAR("band_mean", u->mean);
        SCALAR("final_loss", u->loss_end);
        SCALAR("final_accuracy", u->acc_end);
        if (u->diverged_at >= 0) SCALAR("diverged_step", (double)u->diverged_at);
#undef SCALAR
    }
    for (int i = 0; i < ne; i++)
        if (run[i].diverged_at >= 0) {
            gd_result_set_status(r, GD_RUN_DIVERGED, "eta %g: the loss became non-finite or exploded at step %ld",
                                 run[i].eta, run[i].diverged_at);
            break;
        }
    claims(p, r, run, ne);

    /* Plots: loss and sharpness against step for every eta (Cohen et al.,
     * Figure 1), and the gradient-flow comparison. */
    const char *what = precond_name(gd_params_str(p, "optimizer"));
    gd_plot pl = {.name = "loss", .title = "Full-batch training loss", .xlabel = "step",
                  .ylabel = "train loss", .logy = 1};
    gd_plot ps = {.name = "sharpness", .xlabel = "step", .ylabel = what};
    char stitle[96];
    snprintf(stitle, sizeof stitle, "%s%s and its stability threshold", what[0] == 's' ? "S" : "Preconditioned s",
             what[0] == 's' ? "harpness" : "harpness");
    ps.title = stitle;
    char labels[MAX_ETAS][2][64], series[MAX_ETAS][2][32];
    for (int i = 0; i < ne; i++) {
        char sfx[16] = "";
        if (i) snprintf(sfx, sizeof sfx, "_%d", i + 1);
        snprintf(series[i][0], sizeof series[i][0], "train%s", sfx);
        snprintf(series[i][1], sizeof series[i][1], "sharpness%s", sfx);
        snprintf(labels[i][0], sizeof labels[i][0], "eta = %g", run[i].eta);
        snprintf(labels[i][1], sizeof labels[i][1], "threshold for eta = %g", run[i].eta);
        pl.line[pl.nlines++] = (gd_plot_line){series[i][0], "step", "loss", NULL, labels[i][0], 0};
        ps.line[ps.nlines++] = (gd_plot_line){series[i][1], "step", "sharpness", NULL, labels[i][0], 0};
        if (ps.nhlines < GD_PLOT_MAX_HLINES) {
            ps.hline[ps.nhlines] = run[i].thr;
            ps.hlabel[ps.nhlines++] = labels[i][1];
        }
    }
    if ((st = gd_result_plot(r, &pl)) != GD_OK || (st = gd_result_plot(r, &ps)) != GD_OK) return st;
    if (gd_result_series_find(r, "density")) {
        gd_plot pd = {.name = "density", .title = "Hessian spectral density at the last iterate (SLQ)",
                      .xlabel = "eigenvalue", .ylabel = "density", .logy = 1};
        pd.line[pd.nlines++] = (gd_plot_line){"density", "eigenvalue", "density", NULL, labels[0][0], 0};
        if ((st = gd_result_plot(r, &pd)) != GD_OK) return st;
    }
    if (gd_params_real(p, "flow-steps") > 0) {
        gd_plot pf = {.name = "flow", .title = "Gradient descent against gradient flow (first eta)",
                      .xlabel = "step (flow time / eta)", .ylabel = "train loss", .logy = 1};
        pf.line[pf.nlines++] = (gd_plot_line){"flow", "step", "loss_gd", NULL, "gradient descent", 0};
        pf.line[pf.nlines++] = (gd_plot_line){"flow", "step", "loss_flow", NULL, "gradient flow (RK4)", 0};
        gd_plot pd = {.name = "flow_distance", .title = "Distance between GD and gradient flow",
                      .xlabel = "step (flow time / eta)", .ylabel = "||w_GD - w_flow||", .logy = 1};
        pd.line[pd.nlines++] = (gd_plot_line){"flow", "step", "distance", NULL, "distance", 0};
        if ((st = gd_result_plot(r, &pf)) != GD_OK || (st = gd_result_plot(r, &pd)) != GD_OK) return st;
    }
    return GD_OK;
}

/* Three registered forms: plain GD (the default), heavy-ball momentum and
 * Adam, sharing the schema and differing in defaults. */
static const gd_param_spec params_gd[] = EOS_PARAMS("gd", "0.2,0.3");
static const gd_param_spec params_mom[] = EOS_PARAMS("momentum", "0.3,0.4");
static const gd_param_spec params_adam[] = EOS_PARAMS("adam", "0.001,0.002");

const gd_experiment gd_exp_eos = {
    "eos", "edge of stability: full-batch GD on an MLP, sharpness against 2/eta", SRC, params_gd,
    (const char *const[]){"flow-steps", "700", "density-probes", "4", NULL}, run};
const gd_experiment gd_exp_eos_momentum = {
    "eos-momentum", "edge of stability with heavy-ball momentum: sharpness against (2 + 2 beta)/eta",
    SRC, params_mom, (const char *const[]){NULL}, run};
const gd_experiment gd_exp_eos_adam = {
    "eos-adam", "edge of stability with Adam: preconditioned sharpness against 38/eta",
    SRC, params_adam, (const char *const[]){NULL}, run};
