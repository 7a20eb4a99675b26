/* One forward and backward pass of the modadd network, written once for
 * the pass type REAL (float or double) and included twice by model.c,
 * which defines REAL, GEMM (cblas_sgemm or cblas_dgemm), and the names
 * PASS, BLOCK and ACT. See modadd_int.h for the workspace.
 *
 * With the pair (a, b) of row i of a block and y = (a + b) mod p, and
 * U, V, C the weights times their scales (modadd_int.h):
 *   H_i = U_a + V_b,  S = act(H),  O = S C^T            (b, p)
 *   dO  = d loss / dO (loss head, scaled by 1/n)
 *   gC += dO^T S,  G = (dO C) .* act'(H),  gU_a += G_i, gV_b += G_i.
 *
 * Threads. The n pairs are cut into GD_MODADD_PARTS contiguous parts, a
 * number that does not depend on the thread count; each part accumulates
 * its own loss and gradient, block by block in order, and the parts are
 * summed in order at the end. A thread works on whole parts with its own
 * workspace and calls the BLAS from inside the parallel region, where
 * OpenMP-threaded OpenBLAS runs single-threaded. So the numbers are the
 * same for any thread count, bit for bit. */

/* S = act(H) and, if deriv, D = act'(H), for b rows of workspace ws,
 * through the activation table (double). */
static void ACT(const gd_modadd *m, gd_modadd_ws *ws, size_t b, int deriv) {
    const size_t n = b * m->q;
    REAL *H = ws->H, *S = ws->S, *D = ws->D;
    if (sizeof(REAL) == sizeof(double)) {
        m->at->eval(n, (const double *)(void *)H, (double *)(void *)S,
                    deriv ? (double *)(void *)D : NULL, NULL);
        return;
    }
    for (size_t i = 0; i < n; i++) ws->Zd[i] = (double)H[i];
    m->at->eval(n, ws->Zd, ws->Fd, deriv ? ws->Dd : NULL, NULL);
    for (size_t i = 0; i < n; i++) S[i] = (REAL)ws->Fd[i];
    if (deriv)
        for (size_t i = 0; i < n; i++) D[i] = (REAL)ws->Dd[i];
}

/* Pairs pr (b) through workspace ws: adds their loss to *loss, their
 * count of correct predictions to *correct and, if gU is non-NULL, their
 * gradient (scaled by `scale`) to gU, gV, gC (p, q) each. */
static void BLOCK(const gd_modadd *m, gd_modadd_ws *ws, const uint32_t *pr, size_t b,
                  double scale, REAL *gU, REAL *gV, REAL *gC, double *loss, size_t *correct) {
    const size_t p = m->p, q = m->q;
    const REAL *U = m->U, *V = m->V, *C = m->C;
    REAL *H = ws->H, *S = ws->S, *D = ws->D, *O = ws->O, *G = ws->G;
    const int square = m->act == GD_ACT_SQUARE, grad = gU != NULL;
    /* Gather and activation; for x^2 fused, without storing H. */
    for (size_t i = 0; i < b; i++) {
        const REAL *restrict ua = U + (pr[i] / p) * q, *restrict vb = V + (pr[i] % p) * q;
        REAL *restrict s = S + i * q, *restrict h = H + i * q;
        if (square)
            for (size_t j = 0; j < q; j++) s[j] = (ua[j] + vb[j]) * (ua[j] + vb[j]);
        else
            for (size_t j = 0; j < q; j++) h[j] = ua[j] + vb[j];
    }
    if (!square) ACT(m, ws, b, grad);
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)p, (int)q, 1, S, (int)q, C, (int)q,
         0, O, (int)p);
    /* Loss head, row by row in double: loss, accuracy, O <- dloss/dO. */
    double total = 0;
    for (size_t i = 0; i < b; i++) {
        REAL *o = O + i * p;
        const size_t y = (pr[i] / p + pr[i] % p) % p;
        size_t arg = 0;
        for (size_t c = 1; c < p; c++)
            if (o[c] > o[arg]) arg = c;
        *correct += arg == y;
        double li = 0;
        if (m->loss == GD_MODADD_LOSS_CE) {
            const double mx = (double)o[arg];
            double se = 0;
            for (size_t c = 0; c < p; c++) se += exp((double)o[c] - mx);
            const double lse = mx + log(se);
            li = lse - (double)o[y];
            if (grad)
                for (size_t c = 0; c < p; c++)
                    o[c] = (REAL)(scale * (exp((double)o[c] - lse) - (double)(c == y)));
        } else {
            /* ||P r||^2 with P = I - 1 1^T / p is ||r - mean(r)||^2. */
            double mean = 0;
            if (m->loss == GD_MODADD_LOSS_PROJECTED_MSE) {
                for (size_t c = 0; c < p; c++) mean += (double)o[c];
                mean = (mean - 1) / (double)p;
            }
            for (size_t c = 0; c < p; c++) {
                const double r = (double)o[c] - (double)(c == y) - mean;
                li += r * r;
                if (grad) o[c] = (REAL)(2 * scale * r);
            }
        }
        total += li;
    }
    *loss += total;
    if (!grad) return;
    GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)p, (int)q, (int)b, 1, O, (int)p, S, (int)q,
         1, gC, (int)q);
    GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)q, (int)p, 1, O, (int)p, C, (int)q,
         0, G, (int)q);
    /* G .* act'(H) (for x^2, 2 H recomputed from U and V), then the
     * scatter-add into rows of gU and gV, rows in order. */
    for (size_t i = 0; i < b; i++) {
        const size_t a = pr[i] / p, bb = pr[i] % p;
        const REAL *restrict g = G + i * q, *restrict ua = U + a * q, *restrict vb = V + bb * q,
                   *restrict d = D + i * q;
        REAL *restrict ga = gU + a * q, *restrict gb = gV + bb * q;
        if (square)
            for (size_t j = 0; j < q; j++) {
                const REAL gj = 2 * g[j] * (ua[j] + vb[j]);
                ga[j] += gj;
                gb[j] += gj;
            }
        else
            for (size_t j = 0; j < q; j++) {
                const REAL gj = g[j] * d[j];
                ga[j] += gj;
                gb[j] += gj;
            }
    }
}

static double PASS(gd_modadd *m, const double *w, const uint32_t *pairs, size_t n, double *grad,
                   double *acc) {
    const size_t p = m->p, q = m->q, pq = p * q, B = m->B;
    REAL *U = m->U, *V = m->V, *C = m->C, *part = m->part;
    const double scale = 1.0 / (double)n, si = m->s_in, so = m->s_out;
    double loss[GD_MODADD_PARTS] = {0};
    size_t correct[GD_MODADD_PARTS] = {0};
    const int nth = m->threads;
#pragma omp parallel num_threads(nth)
    {
#pragma omp for schedule(static)
        for (size_t a = 0; a < p; a++)
            for (size_t j = 0; j < q; j++) {
                U[a * q + j] = (REAL)(si * w[j * p + a]);
                V[a * q + j] = (REAL)(si * w[pq + j * p + a]);
                C[a * q + j] = (REAL)(so * w[2 * pq + a * q + j]);
            }
#pragma omp for schedule(dynamic, 1)
        for (size_t k = 0; k < GD_MODADD_PARTS; k++) {
            gd_modadd_ws *ws = &m->ws[omp_get_thread_num()];
            const size_t i0 = n * k / GD_MODADD_PARTS, i1 = n * (k + 1) / GD_MODADD_PARTS;
            REAL *g = part + k * 3 * pq;
            if (grad) memset(g, 0, 3 * pq * sizeof(REAL));
            for (size_t i = i0; i < i1; i += B)
                BLOCK(m, ws, pairs + i, i1 - i < B ? i1 - i : B, scale, grad ? g : NULL,
                      g + pq, g + 2 * pq, &loss[k], &correct[k]);
        }
        /* The parts summed in order, into the nn.Linear layout. */
        if (grad) {
#pragma omp for schedule(static)
            for (size_t a = 0; a < p; a++)
                for (size_t j = 0; j < q; j++) {
                    double su = 0, sv = 0, sc = 0;
                    for (size_t k = 0; k < GD_MODADD_PARTS; k++) {
                        const REAL *g = part + k * 3 * pq;
                        su += (double)g[a * q + j];
                        sv += (double)g[pq + a * q + j];
                        sc += (double)g[2 * pq + a * q + j];
                    }
                    grad[j * p + a] = si * su;
                    grad[pq + j * p + a] = si * sv;
                    grad[2 * pq + a * q + j] = so * sc;
                }
        }
    }
    double total = 0;
    size_t nc = 0;
    for (size_t k = 0; k < GD_MODADD_PARTS; k++) total += loss[k], nc += correct[k];
    if (acc) *acc = (double)nc * scale;
    return total * scale;
}
