#include "gdtest.h"
#include <stdarg.h>

static int n_pass, n_fail;

int gdt_check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok) n_pass++; else n_fail++;
    fflush(stdout);
    return ok;
}

int gdt_close(double got, double want, double tol_rel, double tol_abs,
              const char *what) {
    double err = fabs(got - want);
    int ok = err <= tol_rel * fabs(want) + tol_abs && !isnan(got);
    return gdt_check(ok, "%s: got %.15g want %.15g (|err| %.3g, tol rel %.1g abs %.1g)",
                     what, got, want, err, tol_rel, tol_abs);
}

int gdt_within_se(double got, double want, double se, double k,
                  const char *what) {
    double z = (got - want) / se;
    int ok = fabs(z) <= k;
    return gdt_check(ok, "%s: %.10g vs %.10g, se %.3g, z = %.2f (|z| <= %g)",
                     what, got, want, se, z, k);
}

int gdt_summary(void) {
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
