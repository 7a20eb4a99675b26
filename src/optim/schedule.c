/* Learning-rate schedules: the rate at step t (0-based) as a closed form,
 * and the parser of the command-line spellings. With lr the base rate:
 *   constant  lr
 *   step      lr gamma^floor(t / every)
 *   cosine    lr_min + (lr - lr_min) (1 + cos(pi t / total)) / 2, and
 *             lr_min from t = total on
 *   warmup    lr (t + 1) / warmup for t < warmup, then lr: the first step
 *             takes lr / warmup, step warmup - 1 the full rate
 *   wsd       warm-up as above, then lr (stable), then over the last
 *             D = round(decay_frac total) steps a linear decay
 *             lr_min + (lr - lr_min) (total - t) / D, which is lr at
 *             t = total - D and reaches lr_min at t = total (the last
 *             step, t = total - 1, takes lr_min + (lr - lr_min) / D, as in
 *             the warmup-stable-decay schedules of Hu et al. 2024 and
 *             modded-nanogpt); lr_min from t = total on
 *   invsqrt   lr / sqrt(1 + t / every) */
#include "gdlab/optim.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Decay steps of wsd: decay_frac total rounded to the nearest whole. */
static long wsd_decay_steps(const gd_schedule *s) {
    return (long)floor(s->decay_frac * (double)s->total + 0.5);
}

double gd_schedule_lr(const gd_schedule *s, long t) {
    GD_ASSERT(s != NULL && t >= 0);
    switch (s->kind) {
    case GD_SCHED_CONSTANT:
        return s->lr;
    case GD_SCHED_STEP:
        GD_ASSERT(s->every >= 1);
        return s->lr * pow(s->gamma, (double)(t / s->every));
    case GD_SCHED_COSINE: {
        GD_ASSERT(s->total >= 1);
        long tt = t < s->total ? t : s->total;
        const double pi = 3.14159265358979323846;
        return s->lr_min + (s->lr - s->lr_min) * 0.5 *
                               (1.0 + cos(pi * (double)tt / (double)s->total));
    }
    case GD_SCHED_WARMUP:
        if (t < s->warmup) return s->lr * (double)(t + 1) / (double)s->warmup;
        return s->lr;
    case GD_SCHED_WSD: {
        long D = wsd_decay_steps(s);
        if (t < s->warmup) return s->lr * (double)(t + 1) / (double)s->warmup;
        if (t >= s->total) return s->lr_min;
        if (t >= s->total - D)
            return s->lr_min + (s->lr - s->lr_min) * (double)(s->total - t) / (double)D;
        return s->lr;
    }
    case GD_SCHED_INVSQRT:
        GD_ASSERT(s->every >= 1);
        return s->lr / sqrt(1.0 + (double)t / (double)s->every);
    }
    GD_ASSERT(0 && "unknown schedule kind");
    return GD_NAN;
}

/* A whole number >= min spelled by the n characters at p (digits only, no
 * sign or blanks). 1 on success. */
static int parse_whole(const char *p, size_t n, long min, long *out) {
    if (n == 0) return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        int d = p[i] - '0';
        if (v > (LONG_MAX - d) / 10) return 0;
        v = 10 * v + d;
    }
    if (v < min) return 0;
    *out = v;
    return 1;
}

/* A finite real spelled by the n characters at p (gd_parse_number: a
 * decimal number, no blanks, no hex, nothing after; an overflow or an
 * underflow to 0 refused). 1 on success. */
static int parse_real(const char *p, size_t n, double *out) {
    char buf[64];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    double v;
    if (gd_parse_number(buf, &v) != GD_NUM_OK) return 0;
    *out = v;
    return 1;
}

#define SCHED_FORMS "constant, step:EVERY:GAMMA, cosine, warmup:STEPS, " \
                    "wsd:WARMUP:DECAY_FRAC or invsqrt:EVERY"

gd_status gd_schedule_parse(gd_ctx *ctx, const char *spec, double lr,
                            long total, gd_schedule *s) {
    GD_ASSERT(spec != NULL && s != NULL);
    gd_schedule r = {GD_SCHED_CONSTANT, lr, 0.0, total, 0, 1, 0.1, 0.2};
    if (!(isfinite(lr) && lr >= 0))
        return gd_error(ctx, GD_EINVAL, "schedule '%s': expected a finite learning rate >= 0, "
                        "got %g", spec, lr);
    /* Split at ':' into the name and at most 3 fields (one more than any
     * form takes, so that extra fields are caught). */
    const char *f[4];
    size_t len[4], nf = 0;
    const char *p = spec;
    for (;;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (nf < 4) f[nf] = p, len[nf] = n;
        nf++;
        if (!c) break;
        p = c + 1;
    }
    nf--; /* fields after the name */
#define IS(name) (len[0] == strlen(name) && strncmp(f[0], name, len[0]) == 0)
    if (IS("constant")) {
        if (nf != 0) return gd_error(ctx, GD_EINVAL, "schedule '%s': expected constant "
                                     "(no arguments)", spec);
        r.kind = GD_SCHED_CONSTANT;
    } else if (IS("step")) {
        /* Fields are checked in order, so the message names the first
         * bad one; a missing or extra field gets the bare form. */
        if (nf >= 1 && !parse_whole(f[1], len[1], 1, &r.every))
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected step:EVERY:GAMMA with "
                            "EVERY a whole number >= 1", spec);
        if (nf != 2) return gd_error(ctx, GD_EINVAL, "schedule '%s': expected "
                                     "step:EVERY:GAMMA", spec);
        if (!parse_real(f[2], len[2], &r.gamma) || !(r.gamma > 0))
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected step:EVERY:GAMMA with "
                            "GAMMA a number > 0", spec);
        r.kind = GD_SCHED_STEP;
    } else if (IS("cosine")) {
        if (nf != 0) return gd_error(ctx, GD_EINVAL, "schedule '%s': expected cosine "
                                     "(no arguments)", spec);
        if (total < 1)
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected a total of steps >= 1, "
                            "got %ld", spec, total);
        r.kind = GD_SCHED_COSINE;
    } else if (IS("warmup")) {
        if (nf != 1 || !parse_whole(f[1], len[1], 1, &r.warmup))
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected warmup:STEPS with STEPS "
                            "a whole number >= 1", spec);
        r.kind = GD_SCHED_WARMUP;
    } else if (IS("wsd")) {
        if (nf >= 1 && !parse_whole(f[1], len[1], 0, &r.warmup))
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected wsd:WARMUP:DECAY_FRAC "
                            "with WARMUP a whole number >= 0", spec);
        if (nf != 2) return gd_error(ctx, GD_EINVAL, "schedule '%s': expected "
                                     "wsd:WARMUP:DECAY_FRAC", spec);
        if (!parse_real(f[2], len[2], &r.decay_frac) || !(r.decay_frac >= 0 && r.decay_frac <= 1))
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected wsd:WARMUP:DECAY_FRAC "
                            "with DECAY_FRAC a number in [0, 1]", spec);
        if (total < 1)
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected a total of steps >= 1, "
                            "got %ld", spec, total);
        long D = wsd_decay_steps(&r);
        if (r.warmup > total - D)
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected warm-up (%ld steps) and "
                            "decay (%ld steps) to fit in the total of %ld steps",
                            spec, r.warmup, D, total);
        r.kind = GD_SCHED_WSD;
    } else if (IS("invsqrt")) {
        if (nf != 1 || !parse_whole(f[1], len[1], 1, &r.every))
            return gd_error(ctx, GD_EINVAL, "schedule '%s': expected invsqrt:EVERY with EVERY "
                            "a whole number >= 1", spec);
        r.kind = GD_SCHED_INVSQRT;
    } else {
        return gd_error(ctx, GD_EINVAL, "schedule '%s': expected " SCHED_FORMS, spec);
    }
#undef IS
    *s = r;
    return GD_OK;
}
