/* The HTML report of `gdlab reproduce`: dir/index.html, self-contained
 * (styles inline, every plot's SVG inlined, no script from outside): the
 * verdict table, the machine and version, then one section per experiment
 * with its parameters, notes, scalars, claims with their evidence, and
 * plots. Cairo names the glyphs and clip paths of every SVG alike
 * ("glyph0-1", "clip1"), so each inlined SVG gets its ids prefixed. A
 * small inline script checks, once the page has loaded, that every plot
 * has a non-empty box and puts the count in the title (the headless
 * browser test reads it). */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/io.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "io_internal.h"

static void esc(gd_io_buf *b, const char *s) {
    for (s = s ? s : ""; *s; s++) switch (*s) {
        case '<': gd_io_buf_puts(b, "&lt;"); break;
        case '>': gd_io_buf_puts(b, "&gt;"); break;
        case '&': gd_io_buf_puts(b, "&amp;"); break;
        case '"': gd_io_buf_puts(b, "&quot;"); break;
        default: gd_io_buf_putc(b, *s);
        }
}

/* A whole file into a new NUL-terminated string, or NULL. */
/* Largest plot the report embeds: gdlab's SVGs are under 2 MB. */
#define SLURP_MAX ((size_t)64 << 20)

static char *slurp(const char *path) {
    /* a regular file only (never a FIFO or a device in its place) */
    const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) return NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > SLURP_MAX) {
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *s = gd_malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n - 1, f);
        if (n < cap - 1 || cap > SLURP_MAX) break;
        char *t = gd_realloc(s, 2 * cap);
        if (!t) gd_free(s);
        s = t, cap *= 2;
    }
    fclose(f);
    if (s) s[n] = '\0';
    return s;
}

/* The SVG without its XML declaration, ids and references prefixed by
 * "pK-". */
static void put_svg(gd_io_buf *b, const char *svg, int k) {
    const char *p = strstr(svg, "<svg");
    if (!p) return;
    char pre[16];
    snprintf(pre, sizeof pre, "p%d-", k);
    static const char *const pat[] = {"id=\"", "href=\"#", "url(#"};
    while (*p) {
        const char *next = NULL;
        int which = -1;
        for (int i = 0; i < 3; i++) {
            const char *q = strstr(p, pat[i]);
            if (q && (!next || q < next)) next = q, which = i;
        }
        if (!next) {
            gd_io_buf_puts(b, p);
            break;
        }
        const size_t len = strlen(pat[which]);
        gd_io_buf_put(b, p, (size_t)(next - p) + len);
        gd_io_buf_puts(b, pre);
        p = next + len;
    }
}

static const char CSS[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:.8em 0;"
    "font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}"
    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.confirmed{color:#126b1e;"
    "font-weight:600}.refuted{color:#b00020;font-weight:600}.inconclusive{color:#8a6d00;font-weight:600}"
    ".plot{margin:1em 0}.plot svg{width:100%;max-width:820px;height:auto;border:1px solid #eee}.claim{margin:.8em 0 .8em 1em}"
    ".claim p{margin:.2em 0}.meta{color:#555}code{font-size:12px}";

static void put_num(gd_io_buf *b, double v) {
    if (isnan(v)) gd_io_buf_puts(b, "<td class=n>&mdash;</td>");
    else gd_io_buf_printf(b, "<td class=n>%.6g</td>", v);
}

gd_status gd_io_write_report_html(gd_ctx *ctx, const gd_result *const *results, size_t n, const char *dir) {
    gd_io_buf b;
    gd_io_buf_init(&b);
    size_t count[3] = {0, 0, 0}, nclaims = 0, nplots = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < results[k]->nclaims; i++) {
            const unsigned v = (unsigned)results[k]->claims[i].verdict;
            if (v < 3) count[v]++;
            nclaims++;
        }
        nplots += results[k]->nplots;
    }
    struct utsname u;
    const int have_u = uname(&u) == 0;
    char when[64] = "";
    const time_t t = time(NULL);
    struct tm tmv;
    if (gmtime_r(&t, &tmv)) strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tmv);
    gd_io_buf_printf(&b, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>gdlab report</title>"
                         "<meta name=viewport content=\"width=device-width\"><style>%s</style></head><body>\n", CSS);
    gd_io_buf_printf(&b, "<h1>gdlab report</h1>\n<p class=meta>gdlab %s, %s; ", GD_VERSION, when);
    if (have_u) {
        esc(&b, u.sysname), gd_io_buf_putc(&b, ' '), esc(&b, u.release), gd_io_buf_putc(&b, ' '), esc(&b, u.machine);
        gd_io_buf_puts(&b, ", host ");
        esc(&b, u.nodename);
    }
    gd_io_buf_printf(&b, ", %ld cores.</p>\n<p>%zu experiments, %zu claims: <span class=confirmed>%zu confirmed</span>, "
                         "<span class=refuted>%zu refuted</span>, <span class=inconclusive>%zu inconclusive</span>; "
                         "%zu plots.</p>\n",
                     sysconf(_SC_NPROCESSORS_ONLN), n, nclaims, count[GD_VERDICT_CONFIRMED], count[GD_VERDICT_REFUTED],
                     count[GD_VERDICT_INCONCLUSIVE], nplots);
    gd_io_buf_puts(&b, "<h2 id=verdicts>Verdicts</h2>\n<table><tr><th>experiment</th><th>claim</th><th>verdict</th>"
                       "<th>predicted</th><th>measured</th><th>source</th></tr>\n");
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < results[k]->nclaims; i++) {
            const gd_claim *c = &results[k]->claims[i];
            const char *v = gd_verdict_name(c->verdict);
            gd_io_buf_puts(&b, "<tr><td><a href=\"#");
            esc(&b, results[k]->experiment);
            gd_io_buf_puts(&b, "\">");
            esc(&b, results[k]->experiment);
            gd_io_buf_puts(&b, "</a></td><td>");
            esc(&b, c->id);
            gd_io_buf_printf(&b, "</td><td class=%s>%s</td><td>", v, v);
            esc(&b, c->predicted);
            gd_io_buf_puts(&b, "</td><td>");
            esc(&b, c->measured);
            gd_io_buf_puts(&b, "</td><td>");
            esc(&b, c->source);
            gd_io_buf_puts(&b, "</td></tr>\n");
        }
    gd_io_buf_puts(&b, "</table>\n");
    gd_status st = GD_OK;
    int plot_no = 0;
    for (size_t k = 0; k < n && st == GD_OK; k++) {
        const gd_result *r = results[k];
        gd_io_buf_puts(&b, "<h2 id=\"");
        esc(&b, r->experiment);
        gd_io_buf_puts(&b, "\">");
        esc(&b, r->experiment);
        gd_io_buf_printf(&b, "</h2>\n<p class=meta>status <b>%s</b>", gd_run_status_name(r->status));
        if (r->status_detail) gd_io_buf_puts(&b, " &mdash; "), esc(&b, r->status_detail);
        gd_io_buf_printf(&b, "; seed %llu; %.3g s</p>\n", (unsigned long long)r->seed, r->elapsed_s);
        for (size_t i = 0; i < r->nnotes; i++) gd_io_buf_puts(&b, "<p class=meta>Note: "), esc(&b, r->notes[i]), gd_io_buf_puts(&b, "</p>\n");
        if (r->nparams) {
            gd_io_buf_puts(&b, "<p class=meta>Parameters: ");
            for (size_t i = 0; i < r->nparams; i++) {
                gd_io_buf_puts(&b, i ? ", <code>" : "<code>");
                esc(&b, r->params[i].name), gd_io_buf_putc(&b, '='), esc(&b, r->params[i].text);
                gd_io_buf_puts(&b, "</code>");
            }
            gd_io_buf_puts(&b, "</p>\n");
        }
        if (r->nscalars) {
            gd_io_buf_puts(&b, "<table><tr><th>scalar</th><th>value</th><th>standard error</th></tr>\n");
            for (size_t i = 0; i < r->nscalars; i++) {
                gd_io_buf_puts(&b, "<tr><td>");
                esc(&b, r->scalars[i].name);
                gd_io_buf_puts(&b, "</td>");
                put_num(&b, r->scalars[i].value), put_num(&b, r->scalars[i].se);
                gd_io_buf_puts(&b, "</tr>\n");
            }
            gd_io_buf_puts(&b, "</table>\n");
        }
        for (size_t i = 0; i < r->nclaims; i++) {
            const gd_claim *c = &r->claims[i];
            const char *v = gd_verdict_name(c->verdict);
            gd_io_buf_puts(&b, "<div class=claim><p><b>");
            esc(&b, c->id);
            gd_io_buf_printf(&b, "</b> <span class=%s>%s</span>: ", v, v);
            esc(&b, c->statement);
            const char *lab[4] = {"Source", "Predicted", "Measured", "Evidence"};
            const char *txt[4] = {c->source, c->predicted, c->measured, c->evidence};
            for (int j = 0; j < 4; j++) gd_io_buf_printf(&b, "</p><p><i>%s:</i> ", lab[j]), esc(&b, txt[j]);
            gd_io_buf_puts(&b, "</p></div>\n");
        }
        for (size_t i = 0; i < r->nplots && st == GD_OK; i++) {
            char rel[1024];
            snprintf(rel, sizeof rel, "%s/%s.svg", r->experiment, r->plots[i].name);
            char *path = gd_io_path_join(dir, rel);
            char *svg = path ? slurp(path) : NULL;
            if (!svg)
                st = gd_error(ctx, GD_EIO, "%s: cannot read the plot for the HTML report", path ? path : rel);
            else {
                gd_io_buf_puts(&b, "<div class=plot>");
                put_svg(&b, svg, plot_no++);
                gd_io_buf_puts(&b, "</div>\n");
            }
            gd_free(svg), gd_free(path);
        }
    }
    gd_io_buf_printf(&b, "<script>addEventListener('load',function(){var s=document.querySelectorAll('.plot svg'),k=0;"
                         "for(var i=0;i<s.length;i++){var r=s[i].getBoundingClientRect();if(r.width>0&&r.height>0)k++;}"
                         "document.title='gdlab report: '+k+' of %zu plots drawn';});</script>\n</body></html>\n", nplots);
    if (st == GD_OK && (st = gd_io_mkdir_p(ctx, dir)) == GD_OK) {
        char *path = gd_io_path_join(dir, "index.html");
        st = path ? gd_io_buf_write(ctx, &b, path) : gd_error(ctx, GD_ENOMEM, "%s/index.html: out of memory", dir);
        gd_free(path);
    }
    gd_io_buf_free(&b);
    return st;
}
