/* Plot sink: draws one gd_plot as PNG and SVG with PLplot's cairo drivers.
 *
 * The data are gathered first (columns looked up, logarithms taken, points
 * that cannot be drawn dropped), the axis ranges computed from what is left,
 * and the same picture is then drawn once per device, each on a private
 * PLplot stream made for it and ended with plend1, so the caller's own
 * current stream (if any) is left alone. Each file is drawn under a
 * temporary name beside its target and renamed into place.
 *
 * PLplot calls exit() when it cannot open its output file and prompts on
 * stdin when a device is unknown, so both are ruled out before plinit: the
 * device is looked up in plgDevs and the temporary file is created first.
 * PLplot's recoverable errors (plabort) go to a per-stream buffer (plsError)
 * instead of stderr and turn into GD_EIO. */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/io.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_internal.h"

/* Page size in device units (pixels for pngcairo, points for svgcairo). */
#define PAGE_W 1000
#define PAGE_H 700

/* cmap0 layout: 0 background, 1 axes and text, 2 grid, 3.. line palette,
 * then the reference-line colour. */
enum { COL_BG = 0, COL_FG = 1, COL_GRID = 2, COL_LINE0 = 3, NPALETTE = 10,
       COL_REF = COL_LINE0 + NPALETTE, NCOLORS = COL_REF + 1 };

/* Line colours: the "tab10" palette of matplotlib (Vega category10),
 * chosen because its ten hues stay distinct for common colour blindness
 * better than saturated primaries, and because readers know it. */
static const unsigned char palette[NPALETTE][3] = {
    {0x1f, 0x77, 0xb4}, /* blue */
    {0xff, 0x7f, 0x0e}, /* orange */
    {0x2c, 0xa0, 0x2c}, /* green */
    {0xd6, 0x27, 0x28}, /* red */
    {0x94, 0x67, 0xbd}, /* purple */
    {0x8c, 0x56, 0x4b}, /* brown */
    {0xe3, 0x77, 0xc2}, /* pink */
    {0x7f, 0x7f, 0x7f}, /* grey */
    {0xbc, 0xbd, 0x22}, /* olive */
    {0x17, 0xbe, 0xcf}, /* cyan */
};

/* Marker for point series: U+25CF BLACK CIRCLE (DejaVu has it). */
static const char marker[] = "\xe2\x97\x8f";
#define MARKER_SCALE 0.55 /* marker size relative to the text */
#define DOT_SCALE 0.18    /* points == 2: small dots, for dense scatter (orbit diagrams) */
#define LINE_WIDTH 2.5    /* data lines; reference lines are 1.5 */

/* One line's drawable points, already in axis coordinates (log10 taken on
 * log axes). A run of points is broken where a point was dropped (brk[i] =
 * 1 means a gap precedes point i), so missing data show as gaps. */
typedef struct line_pts {
    PLFLT *x, *y;     /* (n) */
    PLFLT *elo, *ehi; /* (n) error-bar ends, or NULL without yerr */
    PLFLT *z;         /* (n) cell values of a heat map, or NULL */
    char *brk;        /* (n) */
    size_t n;
} line_pts;

typedef struct plot_data {
    const gd_plot *p;
    line_pts line[GD_PLOT_MAX_LINES];
    size_t npoints;   /* over all lines */
    double xmin, xmax, ymin, ymax; /* window, axis coordinates */
} plot_data;

/* PLplot text treats '#' as an escape character: double it. Returns a new
 * string (gd_malloc), or NULL on ENOMEM. */
static char *pl_escape(const char *s) {
    if (!s) s = "";
    size_t n = 0;
    for (const char *q = s; *q; q++) n += (*q == '#') ? 2 : 1;
    char *d = gd_malloc(n + 1), *o = d;
    if (!d) return NULL;
    for (const char *q = s; *q; q++) {
        *o++ = *q;
        if (*q == '#') *o++ = '#';
    }
    *o = '\0';
    return d;
}

/* Axis coordinate of a data value: log10 on log axes; NAN if undrawable. */
static double axis_coord(double v, int log) {
    if (!isfinite(v)) return NAN;
    if (log) return v > 0 ? log10(v) : (double)NAN;
    return v;
}

static void data_free(plot_data *d) {
    for (size_t i = 0; i < GD_PLOT_MAX_LINES; i++) {
        gd_free(d->line[i].x);
        gd_free(d->line[i].y);
        gd_free(d->line[i].elo);
        gd_free(d->line[i].ehi);
        gd_free(d->line[i].z);
        gd_free(d->line[i].brk);
    }
}

/* Fills d->line[k] from its series. */
static gd_status gather_line(gd_ctx *ctx, const gd_result *r, const gd_plot *p,
                             size_t k, line_pts *lp) {
    const gd_plot_line *l = &p->line[k];
    const gd_series *s = gd_result_series_find(r, l->series);
    if (!s)
        return gd_error(ctx, GD_EINVAL, "plot %s: no series \"%s\"", p->name,
                        l->series);
    long cx = gd_series_col(s, l->x), cy = gd_series_col(s, l->y);
    long ce = l->yerr ? gd_series_col(s, l->yerr) : -1;
    const char *zc = k == 0 ? p->heat : NULL;
    long cz = zc ? gd_series_col(s, zc) : -1;
    const char *missing = cx < 0 ? l->x : cy < 0 ? l->y
                          : (l->yerr && ce < 0) ? l->yerr : (zc && cz < 0) ? zc : NULL;
    if (missing)
        return gd_error(ctx, GD_EINVAL, "plot %s: series \"%s\" has no column \"%s\"",
                        p->name, l->series, missing);
    size_t m = s->nrows;
    lp->x = gd_malloc(m * sizeof *lp->x);
    lp->y = gd_malloc(m * sizeof *lp->y);
    lp->brk = gd_malloc(m);
    if (ce >= 0) {
        lp->elo = gd_malloc(m * sizeof *lp->elo);
        lp->ehi = gd_malloc(m * sizeof *lp->ehi);
    }
    if (cz >= 0) lp->z = gd_malloc(m * sizeof *lp->z);
    if (!lp->x || !lp->y || !lp->brk || (ce >= 0 && (!lp->elo || !lp->ehi)) || (cz >= 0 && !lp->z))
        return gd_error(ctx, GD_ENOMEM, "plot %s: out of memory", p->name);
    int gap = 0;
    for (size_t i = 0; i < m; i++) {
        const double *row = s->data + i * s->ncols;
        double x = axis_coord(row[cx], p->logx), y = axis_coord(row[cy], p->logy);
        if (isnan(x) || isnan(y)) {
            gap = 1;
            continue;
        }
        size_t j = lp->n++;
        lp->x[j] = x;
        lp->y[j] = y;
        lp->brk[j] = (char)gap;
        gap = 0;
        if (cz >= 0) lp->z[j] = row[cz];
        if (ce >= 0) {
            /* Ends of the bar y -+ e; NAN where the bar cannot be drawn,
             * -INFINITY where its lower end is below zero on a log axis
             * (clipped to the frame when drawn). */
            double e = fabs(row[ce]);
            double lo = row[cy] - e, hi = row[cy] + e;
            if (!isfinite(e)) {
                lp->elo[j] = lp->ehi[j] = NAN;
            } else {
                lp->elo[j] = (p->logy && lo <= 0) ? -(double)INFINITY : axis_coord(lo, p->logy);
                lp->ehi[j] = axis_coord(hi, p->logy);
            }
        }
    }
    return GD_OK;
}

static void extend(double v, double *lo, double *hi) {
    if (!isfinite(v)) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

/* Pads [lo, hi] for display: an empty range becomes a default one, a
 * single value is widened, and otherwise a 4% margin is added on each side.
 * On a log axis the window is widened to include at least two whole
 * decades, because PLplot labels log axes only at powers of ten. */
static void pad_range(double *lo, double *hi, int log) {
    if (*lo > *hi) { /* no data */
        *lo = 0;
        *hi = 1;
        return;
    }
    double span = *hi - *lo;
    if (!(span > 0)) {
        double w = log ? 0.5 : (*lo != 0 ? 0.1 * fabs(*lo) : 1.0);
        *lo -= w;
        *hi += w;
    } else if (isfinite(span)) {
        double m = 0.04 * span;
        if (isfinite(*lo - m) && isfinite(*hi + m)) {
            *lo -= m;
            *hi += m;
        }
    }
    if (log && floor(*hi) - ceil(*lo) < 1) {
        *lo = floor(*lo);
        *hi = ceil(*hi);
        if (*hi - *lo < 1) *hi = *lo + 1;
    }
}

static gd_status gather(gd_ctx *ctx, const gd_result *r, const gd_plot *p,
                        plot_data *d) {
    memset(d, 0, sizeof *d);
    d->p = p;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t k = 0; k < p->nlines; k++) {
        gd_status st = gather_line(ctx, r, p, k, &d->line[k]);
        if (st != GD_OK) return st;
        const line_pts *lp = &d->line[k];
        const double c = lp->z ? 0.5 : 0; /* half a heat-map cell */
        for (size_t i = 0; i < lp->n; i++) {
            extend(lp->x[i] - c, &xlo, &xhi);
            extend(lp->x[i] + c, &xlo, &xhi);
            extend(lp->y[i] - c, &ylo, &yhi);
            extend(lp->y[i] + c, &ylo, &yhi);
            if (lp->elo) {
                extend(lp->elo[i], &ylo, &yhi);
                extend(lp->ehi[i], &ylo, &yhi);
            }
        }
        d->npoints += lp->n;
    }
    for (size_t h = 0; h < p->nhlines; h++)
        extend(axis_coord(p->hline[h], p->logy), &ylo, &yhi);
    pad_range(&xlo, &xhi, p->logx);
    pad_range(&ylo, &yhi, p->logy);
    d->xmin = xlo;
    d->xmax = xhi;
    d->ymin = ylo;
    d->ymax = yhi;
    return GD_OK;
}

/* The corner of the frame where the legend covers the fewest points:
 * a PL_POSITION_* pair. The legend box is taken as wide as its longest
 * text (about 1.45% of the frame a character, with the sample line; at
 * least 25%) and about 7% of the height per entry. */
static PLINT legend_corner(const plot_data *d, size_t nentries, size_t maxchars) {
    static const PLINT corners[4] = {
        PL_POSITION_TOP | PL_POSITION_RIGHT, PL_POSITION_TOP | PL_POSITION_LEFT,
        PL_POSITION_BOTTOM | PL_POSITION_RIGHT, PL_POSITION_BOTTOM | PL_POSITION_LEFT};
    double bw = fmin(fmax(0.08 + 0.0145 * (double)maxchars, 0.25), 0.9), bh = 0.05 + 0.07 * (double)nentries;
    size_t best = 0, best_count = (size_t)-1;
    for (size_t c = 0; c < 4; c++) {
        int right = (corners[c] & PL_POSITION_RIGHT) != 0;
        int top = (corners[c] & PL_POSITION_TOP) != 0;
        size_t count = 0;
        for (size_t k = 0; k < d->p->nlines; k++) {
            const line_pts *lp = &d->line[k];
            for (size_t i = 0; i < lp->n; i++) {
                double u = (lp->x[i] - d->xmin) / (d->xmax - d->xmin);
                double v = (lp->y[i] - d->ymin) / (d->ymax - d->ymin);
                int inx = right ? u > 1 - bw : u < bw;
                int iny = top ? v > 1 - bh : v < bh;
                count += (size_t)(inx && iny);
            }
        }
        for (size_t h = 0; h < d->p->nhlines; h++) {
            double v = (axis_coord(d->p->hline[h], d->p->logy) - d->ymin)
                       / (d->ymax - d->ymin);
            /* A reference line crosses the whole width: weigh it as many
             * points so the legend avoids sitting on it. */
            if (top ? v > 1 - bh : v < bh) count += 50;
        }
        if (count < best_count) {
            best_count = count;
            best = c;
        }
    }
    return corners[best];
}

/* Draws the runs of a line (split at gaps); an isolated point of a line
 * gets a marker so that it is not invisible. */
static void draw_runs(const line_pts *lp, int points) {
    PLFLT def, ht;
    plgchr(&def, &ht);
    plschr(0.0, (points == 2 ? DOT_SCALE : MARKER_SCALE) * ht / def);
    if (points) {
        if (lp->n) plstring((PLINT)lp->n, lp->x, lp->y, marker);
        plschr(0.0, ht / def);
        return;
    }
    size_t a = 0;
    while (a < lp->n) {
        size_t b = a + 1;
        while (b < lp->n && !lp->brk[b]) b++;
        if (b - a >= 2) plline((PLINT)(b - a), lp->x + a, lp->y + a);
        else plstring(1, lp->x + a, lp->y + a, marker);
        a = b;
    }
    plschr(0.0, ht / def);
}

static void draw_errbars(const line_pts *lp, double ymin) {
    for (size_t i = 0; i < lp->n; i++) {
        double lo = lp->elo[i], hi = lp->ehi[i];
        if (isnan(lo) || isnan(hi)) continue;
        if (isinf(lo)) lo = ymin;
        PLFLT x = lp->x[i], y0 = lo, y1 = hi;
        plerry(1, &x, &y0, &y1);
    }
}

/* Legend texts and styles: one entry per line with a non-empty label (a
 * NULL label becomes the y column's name), then one per reference line. */
typedef struct legend {
    PLINT n;
    PLINT opt[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    char *text[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    PLINT color[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    PLINT style[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    PLFLT width[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    PLFLT sscale[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    PLINT snum[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
    const char *sym[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
} legend;

static PLINT line_color(size_t k) { return COL_LINE0 + (PLINT)(k % NPALETTE); }
/* Lines beyond the palette repeat its colours dashed. */
static PLINT line_style(size_t k) { return k < NPALETTE ? 1 : 3; }
/* Reference lines: dashed, each with its own dash pattern. */
static PLINT ref_style(size_t h) { return (PLINT)(2 + h % 7); }

static void legend_free(legend *lg) {
    for (PLINT i = 0; i < lg->n; i++) gd_free(lg->text[i]);
    lg->n = 0;
}

/* Characters (UTF-8 code points) of the longest legend text. */
static size_t legend_chars(const legend *lg) {
    size_t best = 0;
    for (PLINT i = 0; i < lg->n; i++) {
        size_t c = 0;
        for (const char *t = lg->text[i]; *t; t++) c += ((unsigned char)*t & 0xC0) != 0x80;
        if (c > best) best = c;
    }
    return best;
}

static int legend_build(legend *lg, const gd_plot *p) {
    memset(lg, 0, sizeof *lg);
    for (size_t k = 0; k < p->nlines; k++) {
        const char *t = p->line[k].label ? p->line[k].label : p->line[k].y;
        if (t[0] == '\0' || (k == 0 && p->heat)) continue;
        PLINT i = lg->n;
        if (!(lg->text[i] = pl_escape(t))) return 0;
        lg->n++;
        lg->opt[i] = p->line[k].points ? PL_LEGEND_SYMBOL : PL_LEGEND_LINE;
        lg->color[i] = line_color(k);
        lg->style[i] = line_style(k);
        lg->width[i] = LINE_WIDTH;
        lg->sscale[i] = MARKER_SCALE;
        lg->snum[i] = 1;
        lg->sym[i] = marker;
    }
    for (size_t h = 0; h < p->nhlines; h++) {
        if (isnan(axis_coord(p->hline[h], p->logy))) continue; /* not drawn */
        char num[64];
        const char *t = p->hlabel[h];
        if (!t) {
            snprintf(num, sizeof num, "%.4g", p->hline[h]);
            t = num;
        }
        PLINT i = lg->n;
        if (!(lg->text[i] = pl_escape(t))) return 0;
        lg->n++;
        lg->opt[i] = PL_LEGEND_LINE;
        lg->color[i] = COL_REF;
        lg->style[i] = ref_style(h);
        lg->width[i] = 1.5;
        lg->sscale[i] = MARKER_SCALE;
        lg->snum[i] = 1;
        lg->sym[i] = marker;
    }
    return 1;
}

/* How one axis is drawn. PLplot labels a log axis ("l") at every decade,
 * which is unreadable over many decades, so beyond MAX_DECADES the axis is
 * drawn as a linear axis in log10 units, ticks every `tick` decades and
 * custom labels 10^k (log_label). */
#define MAX_DECADES 12
typedef struct axis_style {
    const char *opt; /* "", "l" or "o" */
    PLFLT tick;      /* 0: PLplot's choice */
} axis_style;

static axis_style axis_style_for(double lo, double hi, int log) {
    axis_style a = {log ? "l" : "", 0.0};
    if (log && hi - lo > MAX_DECADES) {
        /* A 1-2-5 step giving about six labelled decades. */
        double s = (hi - lo) / 6, mag = pow(10.0, floor(log10(s))), f = s / mag;
        double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
        a.opt = "o";
        a.tick = step < 1 ? 1 : round(step);
    }
    return a;
}

static void log_label(PLINT axis, PLFLT value, char *label, PLINT length,
                      PLPointer data) {
    (void)axis;
    (void)data;
    snprintf(label, (size_t)length, "10#u%.0f#d", value);
}

/* Draws the picture on the current stream, which plinit has opened. */
static void draw(const plot_data *d, const char *title, const char *xlabel,
                 const char *ylabel, const legend *lg) {
    const gd_plot *p = d->p;
    pladv(0);
    plschr(0.0, 1.15);
    plssym(0.0, 1.1);
    plvpor(0.13, 0.965, 0.125, 0.915);
    plwind(d->xmin, d->xmax, d->ymin, d->ymax);

    axis_style ax = axis_style_for(d->xmin, d->xmax, p->logx);
    axis_style ay = axis_style_for(d->ymin, d->ymax, p->logy);
    plslabelfunc(log_label, NULL);
    /* At most 5 digits in a numeric label, beyond that a common factor. */
    plsxax(5, 0);
    plsyax(5, 0);

    /* Grid first, in light grey, so that data and axes draw over it. */
    char xopt[16], yopt[16];
    plcol0(COL_GRID);
    plwidth(1.0);
    pllsty(1);
    snprintf(xopt, sizeof xopt, "g%s", ax.opt);
    snprintf(yopt, sizeof yopt, "g%s", ay.opt);
    plbox(xopt, ax.tick, 0, yopt, ay.tick, 0);

    for (size_t k = 0; k < p->nlines; k++) {
        const line_pts *lp = &d->line[k];
        if (lp->z) {
            /* Heat map: one filled unit cell per point, colour map 1. */
            for (size_t i = 0; i < lp->n; i++) {
                const double v = isfinite(lp->z[i]) ? fmin(fmax(lp->z[i], 0), 1) : 0;
                PLFLT cx[4] = {lp->x[i] - 0.5, lp->x[i] + 0.5, lp->x[i] + 0.5, lp->x[i] - 0.5};
                PLFLT cy[4] = {lp->y[i] - 0.5, lp->y[i] - 0.5, lp->y[i] + 0.5, lp->y[i] + 0.5};
                plcol1(v);
                plfill(4, cx, cy);
            }
            continue;
        }
        plcol0(line_color(k));
        pllsty(line_style(k));
        plwidth(LINE_WIDTH);
        if (lp->elo) {
            plwidth(1.2);
            draw_errbars(lp, d->ymin);
            plwidth(LINE_WIDTH);
        }
        draw_runs(lp, p->line[k].points);
    }
    for (size_t h = 0; h < p->nhlines; h++) {
        double y = axis_coord(p->hline[h], p->logy);
        if (isnan(y)) continue;
        PLFLT xs[2] = {d->xmin, d->xmax}, ys[2] = {y, y};
        plcol0(COL_REF);
        pllsty(ref_style(h));
        plwidth(1.5);
        plline(2, xs, ys);
    }
    pllsty(1);
    plwidth(1.0);

    plcol0(COL_FG);
    snprintf(xopt, sizeof xopt, "bcnst%s", ax.opt);
    snprintf(yopt, sizeof yopt, "bcnstv%s", ay.opt);
    plbox(xopt, ax.tick, 0, yopt, ay.tick, 0);
    plmtex("b", 3.0, 0.5, 0.5, xlabel);
    plmtex("l", 5.6, 0.5, 0.5, ylabel);
    plschr(0.0, 1.35);
    plmtex("t", 1.2, 0.5, 0.5, title);
    plschr(0.0, 1.15);

    if (d->npoints == 0)
        plptex(0.5 * (d->xmin + d->xmax), 0.5 * (d->ymin + d->ymax), 1.0, 0.0,
               0.5, "no finite data to plot");

    if (lg->n > 0) {
        PLFLT lw, lh;
        PLINT tcol[GD_PLOT_MAX_LINES + GD_PLOT_MAX_HLINES];
        for (PLINT i = 0; i < lg->n; i++) tcol[i] = COL_FG;
        pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                 legend_corner(d, (size_t)lg->n, legend_chars(lg)) | PL_POSITION_INSIDE
                     | PL_POSITION_VIEWPORT,
                 0.02, 0.03, 0.07, COL_BG, COL_GRID, 1, 0, 0, lg->n, lg->opt,
                 0.6, 0.9, 2.0, 0.0, tcol, (const char *const *)lg->text,
                 NULL, NULL, NULL, NULL, lg->color, lg->style, lg->width,
                 lg->color, lg->sscale, lg->snum, lg->sym);
    }
}

/* 1 if PLplot knows device dev. */
static int have_device(const char *dev) {
    const char *menu[128], *names[128];
    const char **pm = menu, **pn = names;
    int n = 128;
    plgDevs(&pm, &pn, &n);
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], dev) == 0) return 1;
    return 0;
}

/* Whether the file cairo wrote ends as a whole one does: a PNG with its
 * IEND chunk, an SVG with </svg>. */
static int file_is_whole(const char *file, const char *dev) {
    int fd = open(file, O_RDONLY);
    if (fd < 0) return 0;
    char tail[16];
    const off_t size = lseek(fd, 0, SEEK_END);
    const off_t from = size > (off_t)sizeof tail ? size - (off_t)sizeof tail : 0;
    ssize_t n = from >= 0 && lseek(fd, from, SEEK_SET) == from ? read(fd, tail, sizeof tail) : -1;
    close(fd);
    if (n < 8) return 0;
    if (strstr(dev, "png")) return memcmp(tail + n - 8, "IEND", 4) == 0;
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == ' ' || tail[n - 1] == '\r')) n--;
    return n >= 6 && memcmp(tail + n - 6, "</svg>", 6) == 0;
}

/* fsync of file (a full disk may surface only here); 0 or errno. */
static int sync_file(const char *file) {
    int fd = open(file, O_WRONLY);
    if (fd < 0) return errno;
    int e = fsync(fd) != 0 ? errno : 0;
    if (close(fd) != 0 && !e) e = errno;
    return e;
}

/* The errno of writing (and syncing) up to 64 KiB of zeros at the end of
 * file, which failed to render whole; 0 when those writes succeed (the
 * failure was not the disk's). The caller removes file. */
static int write_probe(const char *file) {
    int fd = open(file, O_WRONLY | O_APPEND);
    if (fd < 0) return errno;
    static const char zeros[4096];
    int e = 0;
    for (int i = 0; i < 16 && !e; i++) {
        errno = 0;
        if (write(fd, zeros, sizeof zeros) != (ssize_t)sizeof zeros) e = errno ? errno : ENOSPC;
    }
    if (!e && fsync(fd) != 0) e = errno;
    close(fd);
    return e;
}

/* Draws d into file with device dev on a private stream. */
static gd_status render(gd_ctx *ctx, const plot_data *d, const legend *lg,
                        const char *title, const char *xlabel,
                        const char *ylabel, const char *dev, const char *file,
                        const char *target) {
    if (!have_device(dev))
        return gd_error(ctx, GD_EIO, "cannot write %s: PLplot has no %s driver",
                        target, dev);
    /* PLplot would exit() if it could not open the file: make sure it can. */
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return gd_error(ctx, GD_EIO, "cannot write %s: %s", target, strerror(errno));
    close(fd);

    PLINT old, strm, errcode = 0;
    char errmsg[2048] = "";
    plgstrm(&old);
    plmkstrm(&strm);
    plsError(&errcode, errmsg);
    plsdev(dev);
    plsfnam(file);
    plspage(0.0, 0.0, PAGE_W, PAGE_H, 0, 0);
    plscolbg(255, 255, 255);
    plscmap0n(NCOLORS);
    plscol0(COL_BG, 255, 255, 255);
    plscol0(COL_FG, 0, 0, 0);
    plscol0(COL_GRID, 0xd9, 0xd9, 0xd9);
    for (int i = 0; i < NPALETTE; i++)
        plscol0(COL_LINE0 + i, palette[i][0], palette[i][1], palette[i][2]);
    plscol0(COL_REF, 0x33, 0x33, 0x33);
    /* Colour map 1 (heat maps): white to dark blue, linear in RGB. */
    PLFLT pos[2] = {0, 1}, cr[2] = {1, 0.03}, cg[2] = {1, 0.19}, cb[2] = {1, 0.42};
    plscmap1l(1, 2, pos, cr, cg, cb, NULL);
    plinit();
    if (!errcode) draw(d, title, xlabel, ylabel, lg);
    plend1();
    plsstrm(old);

    struct stat st;
    int e = 0;
    if (errcode || stat(file, &st) != 0 || st.st_size == 0 || !file_is_whole(file, dev) ||
        (e = sync_file(file)) != 0) {
        /* cairo does not say why a write failed (a full disk leaves an
         * empty or truncated file): a write beside it gets the errno. */
        if (!e) e = write_probe(file);
        if (e) return gd_error(ctx, GD_EIO, "cannot write %s: %s", target, strerror(e));
        size_t n = strlen(errmsg);
        while (n && (errmsg[n - 1] == '\n')) errmsg[--n] = '\0';
        return gd_error(ctx, GD_EIO, "cannot write %s: PLplot %s failed%s%s",
                        target, dev, n ? ": " : "",
                        errmsg[0] == '\n' ? errmsg + 1 : errmsg);
    }
    return GD_OK;
}

/* Renders one format: to "<dir>/<name><ext>.tmp.<pid>", then renamed. */
static gd_status write_format(gd_ctx *ctx, const plot_data *d, const legend *lg,
                              const char *const txt[3], const char *dir,
                              const char *dev, const char *ext) {
    char suffix[48];
    snprintf(suffix, sizeof suffix, "%s.tmp.%ld", ext, (long)getpid());
    char *target = gd_io_path_join3(dir, d->p->name, ext);
    char *tmp = gd_io_path_join3(dir, d->p->name, suffix);
    gd_status st = GD_OK;
    if (!target || !tmp) {
        st = gd_error(ctx, GD_ENOMEM, "plot %s: out of memory", d->p->name);
    } else {
        const int slot = gd_io_temp_register(tmp); /* removed on SIGTERM, SIGINT */
        st = render(ctx, d, lg, txt[0], txt[1], txt[2], dev, tmp, target);
        if (st == GD_OK && rename(tmp, target) != 0)
            st = gd_error(ctx, GD_EIO, "cannot write %s (rename): %s", target,
                          strerror(errno));
        if (st != GD_OK) unlink(tmp);
        gd_io_temp_unregister(slot);
    }
    gd_free(target);
    gd_free(tmp);
    return st;
}

gd_status gd_io_write_plot(gd_ctx *ctx, const gd_result *r, const gd_plot *p,
                           const char *dir) {
    GD_ASSERT(r != NULL && p != NULL && p->name != NULL && dir != NULL);
    GD_ASSERT(p->nlines <= GD_PLOT_MAX_LINES && p->nhlines <= GD_PLOT_MAX_HLINES);
    plot_data d;
    legend lg;
    memset(&lg, 0, sizeof lg);
    char *txt[3] = {NULL, NULL, NULL};
    gd_status st = gather(ctx, r, p, &d);
    if (st == GD_OK) {
        txt[0] = pl_escape(p->title ? p->title : p->name);
        txt[1] = pl_escape(p->xlabel);
        txt[2] = pl_escape(p->ylabel);
        if (!txt[0] || !txt[1] || !txt[2] || !legend_build(&lg, p))
            st = gd_error(ctx, GD_ENOMEM, "plot %s: out of memory", p->name);
    }
    const char *const ctxt[3] = {txt[0], txt[1], txt[2]};
    if (st == GD_OK) st = write_format(ctx, &d, &lg, ctxt, dir, "pngcairo", ".png");
    if (st == GD_OK) st = write_format(ctx, &d, &lg, ctxt, dir, "svgcairo", ".svg");
    for (int i = 0; i < 3; i++) gd_free(txt[i]);
    legend_free(&lg);
    data_free(&d);
    return st;
}
