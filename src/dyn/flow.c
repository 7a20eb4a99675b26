/* Gradient flow and the modified flows of GD (include/gdlab/flow.h):
 * their vector fields, the third-derivative contraction T[g,g], the
 * integration with gsl_odeiv2 (rk8pd), and the Hessian spectrum (dsyev). */
#include "gdlab/flow.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

gd_flow_params gd_flow_default_params(void) {
    gd_flow_params p = {1e-13, 1e-18, 1e-4, 10000000};
    return p;
}

/* y = H v, H (n, n) row-major. */
static void matvec(size_t n, const double *H, const double *v, double *y) {
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += H[i * n + j] * v[j];
        y[i] = s;
    }
}

/* D(h) = (H(x + h g) g - H(x - h g) g) / (2h) into d (n); work: 2n + n n. */
static void central(gd_obj *o, const double *x, const double *g, double h, double *d, double *work) {
    size_t n = gd_obj_dim(o);
    double *xs = work, *hv = work + n, *H = work + 2 * n;
    for (size_t i = 0; i < n; i++) xs[i] = x[i] + h * g[i];
    gd_obj_eval(o, xs, NULL, H);
    matvec(n, H, g, d);
    for (size_t i = 0; i < n; i++) xs[i] = x[i] - h * g[i];
    gd_obj_eval(o, xs, NULL, H);
    matvec(n, H, g, hv);
    for (size_t i = 0; i < n; i++) d[i] = (d[i] - hv[i]) / (2 * h);
}

void gd_flow_third(gd_obj *o, const double *x, const double *g, double *out, double *work) {
    size_t n = gd_obj_dim(o);
    if (gd_obj_kind_of(o) == GD_OBJ_QUADRATIC) {
        for (size_t i = 0; i < n; i++) out[i] = 0;
        return;
    }
    double gn = 0;
    for (size_t i = 0; i < n; i++) gn += g[i] * g[i];
    gn = sqrt(gn);
    const double h = 1e-2 / (gn > 1 ? gn : 1);
    /* work: central()'s scratch (2n + n^2), then D(h), D(h/2), D(h/4). */
    double *d1 = work + 2 * n + n * n, *d2 = d1 + n, *d4 = d2 + n;
    central(o, x, g, h, d1, work);
    central(o, x, g, h / 2, d2, work);
    central(o, x, g, h / 4, d4, work);
    /* D(h) = T + c2 h^2 + c4 h^4 + O(h^6): two Richardson levels. */
    for (size_t i = 0; i < n; i++) {
        double r1 = (4 * d2[i] - d1[i]) / 3, r2 = (4 * d4[i] - d2[i]) / 3;
        out[i] = (16 * r2 - r1) / 15;
    }
}

size_t gd_flow_work_size(size_t n) { return 9 * n + 2 * n * n; }

void gd_flow_field(gd_obj *o, gd_flow_kind kind, double eta, const double *x, double *dx,
                   double *work) {
    size_t n = gd_obj_dim(o);
    double *g = work, *hg = g + n, *hhg = hg + n, *t = hhg + n, *H = t + n, *tw = H + n * n;
    gd_obj_eval(o, x, g, kind == GD_FLOW_GRADIENT ? NULL : H);
    if (kind == GD_FLOW_GRADIENT) {
        for (size_t i = 0; i < n; i++) dx[i] = -g[i];
        return;
    }
    matvec(n, H, g, hg);
    if (kind == GD_FLOW_MOD1) {
        for (size_t i = 0; i < n; i++) dx[i] = -(g[i] + 0.5 * eta * hg[i]);
        return;
    }
    matvec(n, H, hg, hhg);
    gd_flow_third(o, x, g, t, tw);
    for (size_t i = 0; i < n; i++)
        dx[i] = -(g[i] + 0.5 * eta * hg[i] + eta * eta * (hhg[i] / 3 + t[i] / 12));
}

typedef struct flow_sys {
    gd_obj *o;
    gd_flow_kind kind;
    double eta;
    double *work;
} flow_sys;

static int rhs(double t, const double y[], double dydt[], void *params) {
    (void)t;
    flow_sys *s = params;
    gd_flow_field(s->o, s->kind, s->eta, y, dydt, s->work);
    size_t n = gd_obj_dim(s->o);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(dydt[i])) return GSL_EBADFUNC;
    return GSL_SUCCESS;
}

gd_status gd_flow_integrate(gd_ctx *ctx, gd_obj *o, gd_flow_kind kind, double eta, double T,
                            const gd_flow_params *prm, double *x) {
    gd_flow_params p = prm ? *prm : gd_flow_default_params();
    if (!(T >= 0) || !isfinite(T))
        return gd_error(ctx, GD_EINVAL, "flow: time T must be finite and >= 0, got %g", T);
    if (!(eta >= 0) || !isfinite(eta))
        return gd_error(ctx, GD_EINVAL, "flow: eta must be finite and >= 0, got %g", eta);
    if (T == 0) return GD_OK;
    size_t n = gd_obj_dim(o);
    flow_sys s = {o, kind, eta, gd_malloc(gd_flow_work_size(n) * sizeof(double))};
    if (!s.work) return gd_error(ctx, GD_ENOMEM, "out of memory");
    gsl_odeiv2_system sys = {rhs, NULL, n, &s};
    gsl_odeiv2_driver *d = gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, p.h0, p.atol, p.rtol);
    if (!d) {
        gd_free(s.work);
        return gd_error(ctx, GD_ENOMEM, "out of memory (gsl_odeiv2_driver)");
    }
    gsl_odeiv2_driver_set_nmax(d, (unsigned long)p.max_steps);
    double t = 0;
    int rc = gsl_odeiv2_driver_apply(d, &t, T, x);
    gsl_odeiv2_driver_free(d);
    gd_free(s.work);
    if (rc != GSL_SUCCESS)
        return gd_error(ctx, GD_ENUMERIC,
                        "flow: gsl_odeiv2 rk8pd stopped at t = %.6g of T = %g (%s; eta = %g, "
                        "order %d): the flow blew up or needed more than %zu steps",
                        t, T, gsl_strerror(rc), eta, (int)kind, p.max_steps);
    return GD_OK;
}

gd_status gd_flow_hess_eig(gd_ctx *ctx, gd_obj *o, const double *x, double *evals, double *evecs) {
    size_t n = gd_obj_dim(o);
    if (n > (size_t)INT_MAX / n)
        return gd_error(ctx, GD_EINVAL, "flow: %zu variables is too many for LAPACK", n);
    double *H = gd_malloc(n * n * sizeof *H);
    if (!H) return gd_error(ctx, GD_ENOMEM, "out of memory for the %zu x %zu Hessian", n, n);
    gd_obj_eval(o, x, NULL, H);
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(H[i])) {
            gd_free(H);
            return gd_error(ctx, GD_ENUMERIC, "flow: the Hessian is not finite at this point");
        }
    lapack_int N = (lapack_int)n;
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, evecs ? 'V' : 'N', 'U', N, H, N, evals);
    if (info == 0 && evecs)
        for (size_t i = 0; i < n; i++)     /* columns of H are the eigenvectors */
            for (size_t j = 0; j < n; j++) evecs[i * n + j] = H[j * n + i];
    gd_free(H);
    if (info != 0)
        return gd_error(ctx, GD_ENUMERIC, "flow: LAPACKE_dsyev failed (info %d) on the %zu x %zu Hessian",
                        (int)info, n, n);
    return GD_OK;
}
