/* The HTML report: written from real results (sgd-1d, claim-probability),
 * self-contained, every SVG inlined with its ids made unique, text
 * escaped; then loaded in headless Chromium (installed by
 * scripts/bootstrap), which must draw every plot (the page's own check,
 * read from its title), log no console error, and take a screenshot of
 * the size asked for. */
#define _POSIX_C_SOURCE 200809L
#include "gdlab/gdlab.h"
#include "gdtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    const long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) free(s), s = NULL;
    fclose(f);
    if (s) s[len] = '\0', *n = (size_t)len;
    return s;
}

static size_t count(const char *s, const char *pat) {
    size_t k = 0;
    for (const char *p = s; (p = strstr(p, pat)); p++) k++;
    return k;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
    char dir[] = "/tmp/gdlab-test-html-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    gd_ctx ctx;
    gd_ctx_init(&ctx);
    const char *names[2] = {"sgd-1d", "claim-probability"};
    gd_result *res[2] = {NULL, NULL};
    size_t nplots = 0;
    for (int i = 0; i < 2; i++) {
        const gd_experiment *e = gd_experiment_find(names[i]);
        gd_params p;
        gd_params_init(&p, e->params, &ctx);
        res[i] = gd_result_new(e->name, 1);
        char sub[256];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->name);
        const gd_status st = gd_experiment_run(e, &p, &ctx, res[i]);
        gdt_check(st == GD_OK && gd_io_write_result(&ctx, res[i], sub) == GD_OK, "%s ran and wrote its files", e->name);
        nplots += res[i]->nplots;
        gd_params_free(&p);
    }
    /* a note with markup in it must come out as text */
    gd_result_note(res[0], "a <b>note</b> & \"quotes\"");
    gdt_check(gd_io_write_report_html(&ctx, (const gd_result *const *)res, 2, dir) == GD_OK, "index.html written");
    char path[512];
    snprintf(path, sizeof path, "%s/index.html", dir);
    size_t n = 0;
    char *html = slurp(path, &n);
    gdt_check(html && count(html, "<svg") == nplots && nplots >= 3, "%zu inline SVGs for %zu plots", count(html, "<svg"),
              nplots);
    gdt_check(html && !strstr(html, "<?xml") && !strstr(html, "src=\"http") && !strstr(html, "href=\"http"),
              "self-contained: no XML declarations, nothing fetched from a network");
    gdt_check(html && strstr(html, "a &lt;b&gt;note&lt;/b&gt; &amp; &quot;quotes&quot;"), "text is escaped");
    /* every id attribute unique across the page */
    size_t nid = 0, dup = 0;
    char **ids = malloc(count(html, " id=\"") * sizeof *ids);
    for (const char *p = html; ids && (p = strstr(p, " id=\"")); p += 5) {
        const char *q = strchr(p + 5, '"');
        ids[nid] = strndup(p + 5, (size_t)(q - p - 5));
        nid++;
    }
    qsort(ids, nid, sizeof *ids, cmp_str);
    for (size_t i = 1; i < nid; i++) dup += !strcmp(ids[i], ids[i - 1]);
    gdt_check(nid > 100 && dup == 0, "%zu ids in the page, %zu repeated (Cairo's glyph ids are prefixed per plot)", nid,
              dup);
    /* the browser */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
             "--enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom file://%s > dom.html 2> log.txt && "
             "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "
             "--window-size=1200,2400 --screenshot=%s/shot.png file://%s > /dev/null 2>&1",
             dir, path, dir, path);
    const int rc = system(cmd);
    snprintf(path, sizeof path, "%s/dom.html", dir);
    char *dom = slurp(path, &n), want[96];
    snprintf(want, sizeof want, "<title>gdlab report: %zu of %zu plots drawn</title>", nplots, nplots);
    gdt_check(rc == 0 && dom && strstr(dom, want), "Chromium loaded the page and drew every plot ('%s')", want);
    snprintf(path, sizeof path, "%s/log.txt", dir);
    char *log = slurp(path, &n);
    const char *bad = log ? strstr(log, "Uncaught") : NULL;
    if (!bad && log) bad = strstr(log, ":CONSOLE");
    gdt_check(log && !bad, "no console message from the page%s%.200s", bad ? ": " : "", bad ? bad : "");
    snprintf(path, sizeof path, "%s/shot.png", dir);
    char *png = slurp(path, &n);
    unsigned w = 0, h = 0;
    if (png && n > 24 && !memcmp(png + 1, "PNG", 3)) {
        const unsigned char *u = (const unsigned char *)png + 16;
        w = (unsigned)u[0] << 24 | (unsigned)u[1] << 16 | (unsigned)u[2] << 8 | u[3];
        h = (unsigned)u[4] << 24 | (unsigned)u[5] << 16 | (unsigned)u[6] << 8 | u[7];
    }
    gdt_check(w == 1200 && h == 2400 && n > 50000, "screenshot %ux%u, %zu bytes (want 1200x2400, not blank)", w, h, n);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    for (size_t i = 0; i < nid; i++) free(ids[i]);
    free(ids), free(html), free(dom), free(log), free(png);
    gd_result_free(res[0]), gd_result_free(res[1]);
    return gdt_summary();
}
