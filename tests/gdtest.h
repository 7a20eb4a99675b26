/* Minimal test harness: one PASS or FAIL line per check, and a closing
 * line "N passed, N failed" that CTest and CI read; the exit code is the
 * verdict (GSL's gsl_test / gsl_test_summary). */
#ifndef GDTEST_H
#define GDTEST_H
#include <math.h>
#include <stdio.h>

/* Records one check: ok nonzero means PASS. Returns ok. */
int gdt_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* |got - want| <= tol_rel * |want| + tol_abs, both printed. */
int gdt_close(double got, double want, double tol_rel, double tol_abs,
              const char *what);
/* |got - want| <= k * se: a statistical check, k stated in the line. */
int gdt_within_se(double got, double want, double se, double k,
                  const char *what);
/* Prints "N passed, N failed" and returns the exit code (0 iff none failed). */
int gdt_summary(void);
#endif
