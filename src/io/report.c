/* The report of `gdlab reproduce`: dir/report.md, a Markdown file with a
 * verdict table over the claims of every result, the counts per verdict,
 * and one section per experiment (status, scalars, claims with their
 * evidence, plots). Each result's files live in dir/<experiment>/, so the
 * plots are embedded by paths relative to dir. */
#include "gdlab/io.h"

#include <math.h>
#include <string.h>

#include "io_internal.h"

static const char *nz(const char *s) { return s ? s : ""; }

/* A table cell: '|' escaped, line breaks turned into spaces, and an empty
 * cell shown as a dash. */
static void put_cell(gd_io_buf *b, const char *s) {
    s = nz(s);
    if (!*s) {
        gd_io_buf_puts(b, " \xe2\x80\x94 |");
        return;
    }
    gd_io_buf_putc(b, ' ');
    for (; *s; s++) {
        if (*s == '|') gd_io_buf_puts(b, "\\|");
        else if (*s == '\n' || *s == '\r') gd_io_buf_putc(b, ' ');
        else gd_io_buf_putc(b, *s);
    }
    gd_io_buf_puts(b, " |");
}

/* Running text: line breaks become spaces so a list item stays one item;
 * an empty text is shown as a dash. */
static void put_text(gd_io_buf *b, const char *s) {
    s = nz(s);
    if (!*s) gd_io_buf_puts(b, "\xe2\x80\x94");
    for (; *s; s++) gd_io_buf_putc(b, (*s == '\n' || *s == '\r') ? ' ' : *s);
}

static void put_number_cell(gd_io_buf *b, double v) {
    if (isnan(v)) gd_io_buf_puts(b, " \xe2\x80\x94 |");
    else gd_io_buf_printf(b, " %.6g |", v);
}

/* A link destination: wrapped in <> when it holds characters that would
 * end a bare destination. */
static void put_dest(gd_io_buf *b, const char *experiment, const char *plot) {
    int angle = strpbrk(experiment, " ()<>") || strpbrk(plot, " ()<>");
    if (angle) gd_io_buf_putc(b, '<');
    gd_io_buf_printf(b, "%s/%s.png", experiment, plot);
    if (angle) gd_io_buf_putc(b, '>');
}

static void put_experiment(gd_io_buf *b, const gd_result *r) {
    gd_io_buf_printf(b, "\n## %s\n\n", r->experiment);
    gd_io_buf_printf(b, "Status: **%s**", gd_run_status_name(r->status));
    if (r->status_detail) {
        gd_io_buf_puts(b, " \xe2\x80\x94 ");
        put_text(b, r->status_detail);
    }
    gd_io_buf_printf(b, ". Seed %llu, %.3g s.\n", (unsigned long long)r->seed,
                     r->elapsed_s);
    for (size_t i = 0; i < r->nnotes; i++) {
        gd_io_buf_puts(b, "\nNote: ");
        put_text(b, r->notes[i]);
        gd_io_buf_puts(b, "\n");
    }
    if (r->nparams) {
        gd_io_buf_puts(b, "\nParameters:");
        for (size_t i = 0; i < r->nparams; i++)
            gd_io_buf_printf(b, "%s `%s=%s`", i ? "," : "", r->params[i].name,
                             nz(r->params[i].text));
        gd_io_buf_puts(b, ".\n");
    }

    if (r->nscalars) {
        gd_io_buf_puts(b, "\n| scalar | value | standard error |\n| --- | ---: | ---: |\n");
        for (size_t i = 0; i < r->nscalars; i++) {
            gd_io_buf_putc(b, '|');
            put_cell(b, r->scalars[i].name);
            put_number_cell(b, r->scalars[i].value);
            put_number_cell(b, r->scalars[i].se);
            gd_io_buf_putc(b, '\n');
        }
    }

    if (r->nclaims) gd_io_buf_puts(b, "\n### Claims\n");
    for (size_t i = 0; i < r->nclaims; i++) {
        const gd_claim *c = &r->claims[i];
        gd_io_buf_printf(b, "\n**%s** \xe2\x80\x94 %s. ", c->id, gd_verdict_name(c->verdict));
        put_text(b, c->statement);
        gd_io_buf_puts(b, "\n\n- Source: ");
        put_text(b, c->source);
        gd_io_buf_puts(b, "\n- Predicted: ");
        put_text(b, c->predicted);
        gd_io_buf_puts(b, "\n- Measured: ");
        put_text(b, c->measured);
        gd_io_buf_puts(b, "\n- Evidence: ");
        put_text(b, c->evidence);
        gd_io_buf_putc(b, '\n');
    }

    if (r->nplots) gd_io_buf_puts(b, "\n### Plots\n");
    for (size_t i = 0; i < r->nplots; i++) {
        const gd_plot *p = &r->plots[i];
        gd_io_buf_puts(b, "\n![");
        /* Alt text: brackets would end it early. */
        for (const char *s = p->title ? p->title : p->name; *s; s++)
            if (*s != '[' && *s != ']' && *s != '\n') gd_io_buf_putc(b, *s);
        gd_io_buf_puts(b, "](");
        put_dest(b, r->experiment, p->name);
        gd_io_buf_puts(b, ")\n");
    }
}

gd_status gd_io_write_report(gd_ctx *ctx, const gd_result *const *results,
                             size_t n, const char *dir) {
    GD_ASSERT(dir != NULL && (results != NULL || n == 0));
    gd_io_buf b;
    gd_io_buf_init(&b);
    size_t count[3] = {0, 0, 0}, nclaims = 0;
    for (size_t k = 0; k < n; k++) {
        GD_ASSERT(results[k] != NULL);
        for (size_t i = 0; i < results[k]->nclaims; i++) {
            unsigned v = (unsigned)results[k]->claims[i].verdict;
            if (v < 3) count[v]++;
            nclaims++;
        }
    }

    gd_io_buf_puts(&b, "# gdlab report\n\n");
    gd_io_buf_printf(&b,
                     "gdlab %s: %zu experiment%s, %zu claim%s: %zu confirmed, "
                     "%zu refuted, %zu inconclusive.\n",
                     GD_VERSION, n, n == 1 ? "" : "s", nclaims,
                     nclaims == 1 ? "" : "s", count[GD_VERDICT_CONFIRMED],
                     count[GD_VERDICT_REFUTED], count[GD_VERDICT_INCONCLUSIVE]);

    gd_io_buf_puts(&b, "\n## Verdicts\n\n");
    if (nclaims == 0) {
        gd_io_buf_puts(&b, "No claims.\n");
    } else {
        gd_io_buf_puts(&b, "| experiment | claim | verdict | predicted | measured | source |\n"
                           "| --- | --- | --- | --- | --- | --- |\n");
        for (size_t k = 0; k < n; k++) {
            const gd_result *r = results[k];
            for (size_t i = 0; i < r->nclaims; i++) {
                const gd_claim *c = &r->claims[i];
                gd_io_buf_putc(&b, '|');
                put_cell(&b, r->experiment);
                put_cell(&b, c->id);
                put_cell(&b, gd_verdict_name(c->verdict));
                put_cell(&b, c->predicted);
                put_cell(&b, c->measured);
                put_cell(&b, c->source);
                gd_io_buf_putc(&b, '\n');
            }
        }
        gd_io_buf_printf(&b,
                         "\n| verdict | claims |\n| --- | ---: |\n"
                         "| confirmed | %zu |\n| refuted | %zu |\n"
                         "| inconclusive | %zu |\n| total | %zu |\n",
                         count[GD_VERDICT_CONFIRMED], count[GD_VERDICT_REFUTED],
                         count[GD_VERDICT_INCONCLUSIVE], nclaims);
    }

    for (size_t k = 0; k < n; k++) put_experiment(&b, results[k]);

    gd_status st = gd_io_mkdir_p(ctx, dir);
    if (st == GD_OK) {
        char *path = gd_io_path_join(dir, "report.md");
        if (!path) st = gd_error(ctx, GD_ENOMEM, "%s/report.md: out of memory", dir);
        else st = gd_io_buf_write(ctx, &b, path);
        gd_free(path);
    }
    gd_io_buf_free(&b);
    return st;
}
