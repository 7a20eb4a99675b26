/* Expression language: parser, tape compiler and evaluator (gd_expr).
 *
 * A recursive-descent parser (grammar in include/gdlab/expr.h) emits a flat
 * tape in postfix order: slot k holds one operation whose operands are
 * earlier slots, so evaluation is a single forward loop and the result is
 * the last slot. Constant subtrees are folded as they are emitted. That
 * keeps one invariant the rest of the file relies on: a constant operand is
 * always a single OP_CONST slot, and every other slot depends on at least
 * one variable. In particular `u ^ c` with a constant exponent becomes
 * OP_POWC, whose derivatives c u^(c-1) also hold for a negative base.
 *
 * Derivatives use second-order forward mode. Besides its value v, every
 * slot carries its gradient g (n) and the upper triangle of its Hessian H,
 * packed row by row (n(n+1)/2 entries). A variable x_i seeds g = e_i and
 * H = 0 (set once when the workspace is made); each operation applies the
 * first and second order chain rules written beside it. The workspace is
 * allocated at parse and clone time; evaluation never allocates. */
#include "gdlab/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest nesting of unary minus, '^', '(' and calls: every recursive cycle
 * of the parser goes through parse_unary, which counts it, so the C stack
 * stays small whatever the input. */
#define EXPR_MAX_DEPTH 200

/* Longest expression read, in characters: the longest in gdlab's own
 * experiments and tests is a few hundred; the bound keeps a parameter
 * pasted by mistake (a file's contents) from being parsed at all. */
#define EXPR_MAX_LEN 4096
#define EXPR_PI 3.14159265358979323846

enum {
    OP_CONST, OP_VAR, OP_NEG, OP_ADD, OP_SUB, OP_MUL, OP_DIV,
    OP_POW,  /* u ^ w, w depends on a variable */
    OP_POWC, /* u ^ c, c constant */
    OP_EXP, OP_LOG, OP_SQRT, OP_SIN, OP_COS, OP_TAN, OP_TANH, OP_ABS,
    OP_MIN, OP_MAX
};

typedef struct expr_node {
    int op;
    int lin;     /* affine in the variables: the Hessian is identically 0 */
    size_t a, b; /* operand slots (b = a for unary); variable index for VAR */
    double c;    /* the value of CONST, the exponent of POWC */
} expr_node;

struct gd_expr {
    size_t n;         /* number of variables */
    size_t np;        /* n(n+1)/2, length of a packed Hessian */
    char **names;     /* (n) variable names, owned */
    size_t ncap;      /* capacity of names while parsing */
    expr_node *tape;  /* (len) postfix program */
    size_t len, cap;
    double *ws;       /* one block holding v, g and h below */
    double *v;        /* (len) slot values */
    double *g;        /* (len, n) slot gradients */
    double *h;        /* (len, np) slot Hessians, packed upper triangle */
};

static const struct { const char *name; int op, nargs; } funcs[] = {
    {"exp", OP_EXP, 1},  {"log", OP_LOG, 1},   {"sqrt", OP_SQRT, 1},
    {"sin", OP_SIN, 1},  {"cos", OP_COS, 1},   {"tan", OP_TAN, 1},
    {"tanh", OP_TANH, 1}, {"abs", OP_ABS, 1},  {"pow", OP_POW, 2},
    {"min", OP_MIN, 2},  {"max", OP_MAX, 2},
};
#define FUNC_LIST "exp log sqrt sin cos tan tanh abs pow min max"

static int is_binary(int op) {
    return op == OP_ADD || op == OP_SUB || op == OP_MUL || op == OP_DIV ||
           op == OP_POW || op == OP_MIN || op == OP_MAX;
}

/* min and max select one operand; ties go to the first, and a NaN operand
 * is always selected so that NaN propagates (unlike C's fmin). */
static int min_takes_a(double u, double w) { return u <= w || isnan(u); }
static int max_takes_a(double u, double w) { return u >= w || isnan(u); }

/* The value of one operation: shared by folding and both evaluators, so a
 * folded constant equals what evaluation would have computed. */
static double apply(int op, double u, double w, double c) {
    switch (op) {
    case OP_NEG: return -u;
    case OP_ADD: return u + w;
    case OP_SUB: return u - w;
    case OP_MUL: return u * w;
    case OP_DIV: return u / w;
    case OP_POW: return pow(u, w);
    case OP_POWC: return pow(u, c);
    case OP_EXP: return exp(u);
    case OP_LOG: return log(u);
    case OP_SQRT: return sqrt(u);
    case OP_SIN: return sin(u);
    case OP_COS: return cos(u);
    case OP_TAN: return tan(u);
    case OP_TANH: return tanh(u);
    case OP_ABS: return fabs(u);
    case OP_MIN: return min_takes_a(u, w) ? u : w;
    case OP_MAX: return max_takes_a(u, w) ? u : w;
    }
    return NAN;
}

/* ---- Parser ------------------------------------------------------------ */

typedef struct parser {
    gd_ctx *ctx;
    const char *src;
    size_t pos;    /* byte offset of the next character; column = pos + 1 */
    int depth;
    int fixed;     /* variables given by the caller: no new names */
    gd_status st;  /* status of the first error */
    gd_expr *e;    /* the expression being built (tape and names) */
} parser;

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void skip_ws(parser *P) {
    while (is_space((unsigned char)P->src[P->pos])) P->pos++;
}

/* A short description of the input at pos for error messages. */
static const char *describe(const parser *P, size_t pos, char *buf, size_t size) {
    const unsigned char *s = (const unsigned char *)P->src + pos;
    size_t k = 0;
    if (!*s) return "end of input";
    while (k < 24 && (is_alpha(s[k]) || is_digit(s[k]) || s[k] == '.')) k++;
    if (k > 0)
        snprintf(buf, size, "'%.*s%s'", (int)k, (const char *)s,
                 is_alpha(s[k]) || is_digit(s[k]) ? "..." : "");
    else if (*s >= 32 && *s < 127)
        snprintf(buf, size, "'%c'", *s);
    else
        snprintf(buf, size, "byte 0x%02x", *s);
    return buf;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static long fail(parser *P, size_t pos, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    P->st = gd_error(P->ctx, GD_EINVAL, "column %zu: %s", pos + 1, msg);
    return -1;
}

static long nomem(parser *P) {
    P->st = gd_error(P->ctx, GD_ENOMEM, "out of memory parsing expression");
    return -1;
}

/* Appends a slot. Its lin flag says the slot is affine in the variables,
 * so evaluation can skip its Hessian as an operand: 0 times an infinite
 * coefficient would otherwise turn an exact zero into NaN. */
static long push(parser *P, int op, size_t a, size_t b, double c) {
    gd_expr *e = P->e;
    int lin = 0;
    if (op == OP_CONST || op == OP_VAR) {
        lin = 1;
    } else {
        const expr_node *ta = &e->tape[a], *tb = &e->tape[b];
        int ca = ta->op == OP_CONST, cb = tb->op == OP_CONST;
        if (op == OP_NEG) lin = ta->lin;
        if (op == OP_ADD || op == OP_SUB || op == OP_MIN || op == OP_MAX)
            lin = ta->lin && tb->lin;
        if (op == OP_MUL) lin = (ca && tb->lin) || (cb && ta->lin);
        if (op == OP_DIV) lin = cb && ta->lin;
    }
    if (e->len == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        expr_node *t = gd_realloc(e->tape, cap * sizeof *t);
        if (!t) return nomem(P);
        e->tape = t;
        e->cap = cap;
    }
    e->tape[e->len] = (expr_node){op, lin, a, b, c};
    return (long)e->len++;
}

/* Emits op on operand slots a, b (b ignored by unary ops), folding it when
 * every operand is constant. Postfix order puts an operand's slot last in
 * its subtree, and folding leaves a constant subtree one slot long, so
 * constant operands are exactly the top one or two slots, popped here. */
static long emit(parser *P, int op, size_t a, size_t b) {
    expr_node *t = P->e->tape;
    size_t top = P->e->len - 1;
    if (!is_binary(op)) {
        if (t[a].op == OP_CONST) {
            double c = apply(op, t[a].c, 0.0, 0.0);
            GD_ASSERT(a == top);
            P->e->len = a;
            return push(P, OP_CONST, 0, 0, c);
        }
        return push(P, op, a, a, 0.0);
    }
    if (t[b].op == OP_CONST && t[a].op == OP_CONST) {
        double c = apply(op, t[a].c, t[b].c, 0.0);
        GD_ASSERT(b == top && a == top - 1);
        P->e->len = a;
        return push(P, OP_CONST, 0, 0, c);
    }
    if (op == OP_POW && t[b].op == OP_CONST) {
        double c = t[b].c;
        GD_ASSERT(b == top);
        P->e->len = b;
        return push(P, OP_POWC, a, a, c);
    }
    return push(P, op, a, b, 0.0);
}

/* A variable reference: the caller's name list, or a new name. */
static long emit_var(parser *P, size_t start, size_t len) {
    gd_expr *e = P->e;
    const char *name = P->src + start;
    size_t i;
    for (i = 0; i < e->n; i++)
        if (strlen(e->names[i]) == len && memcmp(e->names[i], name, len) == 0)
            return push(P, OP_VAR, i, i, 0.0);
    if (P->fixed) {
        char list[600];
        size_t used = 0;
        list[0] = '\0';
        for (i = 0; i < e->n; i++) { /* whole names only, then ", ..." */
            size_t l = strlen(e->names[i]);
            if (used + l + 8 >= sizeof list) break;
            if (i) {
                memcpy(list + used, ", ", 2);
                used += 2;
            }
            memcpy(list + used, e->names[i], l + 1);
            used += l;
        }
        if (i < e->n) strcpy(list + used, used ? ", ..." : "...");
        if (e->n == 0)
            return fail(P, start, "unknown variable '%.*s' (no variables allowed)",
                        (int)(len > 64 ? 64 : len), name);
        return fail(P, start, "unknown variable '%.*s' (expected one of: %s)",
                    (int)(len > 64 ? 64 : len), name, list);
    }
    if (e->n == e->ncap) {
        size_t cap = e->ncap ? 2 * e->ncap : 4;
        char **nn = gd_realloc(e->names, cap * sizeof *nn);
        if (!nn) return nomem(P);
        e->names = nn;
        e->ncap = cap;
    }
    e->names[e->n] = gd_malloc(len + 1);
    if (!e->names[e->n]) return nomem(P);
    memcpy(e->names[e->n], name, len);
    e->names[e->n][len] = '\0';
    e->n++;
    return push(P, OP_VAR, e->n - 1, e->n - 1, 0.0);
}

static long parse_expr(parser *P);
static long parse_unary(parser *P);

/* name '(' expr (',' expr)* ')' with P->pos at '('. */
static long parse_call(parser *P, size_t f, size_t start) {
    size_t open = P->pos;
    long args[2] = {0, 0};
    int nargs = 0;
    char buf[40];
    P->pos++;
    skip_ws(P);
    if (P->src[P->pos] == ')') {
        P->pos++;
    } else {
        for (;;) {
            long r = parse_expr(P);
            if (r < 0) return -1;
            if (nargs < 2) args[nargs] = r;
            nargs++;
            skip_ws(P);
            if (P->src[P->pos] == ',') { P->pos++; continue; }
            if (P->src[P->pos] == ')') { P->pos++; break; }
            return fail(P, P->pos, "expected ',' or ')' in call to '%s' (opened at "
                        "column %zu), got %s", funcs[f].name, open + 1,
                        describe(P, P->pos, buf, sizeof buf));
        }
    }
    if (nargs != funcs[f].nargs)
        return fail(P, start, "function '%s' takes %d argument%s, got %d",
                    funcs[f].name, funcs[f].nargs,
                    funcs[f].nargs == 1 ? "" : "s", nargs);
    return emit(P, funcs[f].op, (size_t)args[0], (size_t)args[nargs - 1]);
}

/* Case-insensitive match of src[0..len) against a lowercase word. */
static int word_is(const char *s, size_t len, const char *w) {
    size_t i;
    if (strlen(w) != len) return 0;
    for (i = 0; i < len; i++)
        if ((s[i] | 0x20) != w[i]) return 0;
    return 1;
}

/* atom := number | name | name '(' expr (',' expr)* ')' | '(' expr ')' */
static long parse_atom(parser *P) {
    const char *s;
    size_t start, len, f;
    char buf[40];
    skip_ws(P);
    start = P->pos;
    s = P->src + start;
    if (*s == '(') {
        long r;
        P->pos++;
        r = parse_expr(P);
        if (r < 0) return -1;
        skip_ws(P);
        if (P->src[P->pos] != ')')
            return fail(P, P->pos, "expected ')' to close '(' at column %zu, got %s",
                        start + 1, describe(P, P->pos, buf, sizeof buf));
        P->pos++;
        return r;
    }
    if (is_digit((unsigned char)*s) || (*s == '.' && is_digit((unsigned char)s[1]))) {
        /* gdlab's decimal syntax (gd_parse_decimal): no hex, no overflow to
         * inf, no underflow to 0. A hex literal ("0x10", "0x1p-4") is named
         * whole rather than read as 0 followed by a name. */
        const char *end;
        double d;
        int why = gd_parse_decimal(s, &end, &d);
        size_t n = (size_t)(end - s);
        if (why == GD_NUM_OK && n == 1 && (*end | 0x20) == 'x') {
            while (is_alpha((unsigned char)s[n]) || is_digit((unsigned char)s[n]) || s[n] == '.' ||
                   ((s[n] == '+' || s[n] == '-') && (s[n - 1] | 0x20) == 'p'))
                n++;
            why = GD_NUM_NONE;
        }
        if (why != GD_NUM_OK)
            return fail(P, start, "expected a decimal number, got '%.*s'%s%s", (int)(n > 40 ? 40 : n), s,
                        why == GD_NUM_NONE ? "" : ": ", why == GD_NUM_NONE ? "" : gd_parse_number_why(why));
        P->pos += n;
        return push(P, OP_CONST, 0, 0, d);
    }
    if (!is_alpha((unsigned char)*s))
        return fail(P, start, "expected a number, name or '(', got %s",
                    describe(P, start, buf, sizeof buf));
    for (len = 1; is_alpha((unsigned char)s[len]) || is_digit((unsigned char)s[len]); len++) {}
    if (word_is(s, len, "inf") || word_is(s, len, "infinity") || word_is(s, len, "nan")) {
        char *end; /* strtod also takes nan(chars) */
        double d = strtod(s, &end);
        P->pos += (size_t)(end - s);
        return push(P, OP_CONST, 0, 0, d);
    }
    P->pos += len;
    for (f = 0; f < sizeof funcs / sizeof funcs[0]; f++)
        if (strlen(funcs[f].name) == len && memcmp(funcs[f].name, s, len) == 0) break;
    skip_ws(P);
    if (P->src[P->pos] == '(') {
        if (f == sizeof funcs / sizeof funcs[0])
            return fail(P, start, "unknown function '%.*s' (functions: " FUNC_LIST ")",
                        (int)(len > 64 ? 64 : len), s);
        return parse_call(P, f, start);
    }
    if (f < sizeof funcs / sizeof funcs[0])
        return fail(P, P->pos, "expected '(' after function '%s', got %s",
                    funcs[f].name, describe(P, P->pos, buf, sizeof buf));
    if (len == 2 && memcmp(s, "pi", 2) == 0) return push(P, OP_CONST, 0, 0, EXPR_PI);
    return emit_var(P, start, len);
}

/* power := atom ('^' unary)?  (right associative through unary) */
static long parse_power(parser *P) {
    long a = parse_atom(P), b;
    if (a < 0) return -1;
    skip_ws(P);
    if (P->src[P->pos] != '^') return a;
    P->pos++;
    b = parse_unary(P);
    if (b < 0) return -1;
    return emit(P, OP_POW, (size_t)a, (size_t)b);
}

/* unary := ('-'|'+') unary | power */
static long parse_unary(parser *P) {
    long r;
    skip_ws(P);
    if (++P->depth > EXPR_MAX_DEPTH)
        return fail(P, P->pos, "expression nested too deeply (more than %d levels)",
                    EXPR_MAX_DEPTH);
    if (P->src[P->pos] == '-' || P->src[P->pos] == '+') {
        int neg = P->src[P->pos] == '-';
        P->pos++;
        r = parse_unary(P);
        if (r >= 0 && neg) r = emit(P, OP_NEG, (size_t)r, (size_t)r);
    } else {
        r = parse_power(P);
    }
    P->depth--;
    return r;
}

/* term := unary (('*'|'/') unary)* */
static long parse_term(parser *P) {
    long a = parse_unary(P);
    while (a >= 0) {
        char c;
        long b;
        skip_ws(P);
        c = P->src[P->pos];
        if (c != '*' && c != '/') break;
        P->pos++;
        if ((b = parse_unary(P)) < 0) return -1;
        a = emit(P, c == '*' ? OP_MUL : OP_DIV, (size_t)a, (size_t)b);
    }
    return a;
}

/* expr := term (('+'|'-') term)* */
static long parse_expr(parser *P) {
    long a = parse_term(P);
    while (a >= 0) {
        char c;
        long b;
        skip_ws(P);
        c = P->src[P->pos];
        if (c != '+' && c != '-') break;
        P->pos++;
        if ((b = parse_term(P)) < 0) return -1;
        a = emit(P, c == '+' ? OP_ADD : OP_SUB, (size_t)a, (size_t)b);
    }
    return a;
}

/* ---- Workspace, construction ------------------------------------------- */

/* Largest derivative workspace of one expression, in doubles (64 MiB):
 * each tape slot keeps its value, gradient and packed Hessian, 1 + n +
 * n (n + 1) / 2 doubles for n variables, so a 4096-character sum of 1000
 * variables would ask for 8 GB. An objective of 100 variables and 1000
 * operations needs 41 MB. */
#define EXPR_MAX_WS ((size_t)1 << 23)

/* Doubles of workspace for len tape slots and n variables, or SIZE_MAX
 * beyond EXPR_MAX_WS. */
static size_t ws_size(size_t len, size_t n) {
    if (n > ((size_t)1 << 12)) return SIZE_MAX;
    const size_t per = 1 + n + n * (n + 1) / 2;
    return len > EXPR_MAX_WS / per ? SIZE_MAX : len * per;
}

/* Allocates v, g, h for the current tape and seeds the constant parts:
 * a variable slot's gradient e_i, and zero everywhere else. */
static int alloc_ws(gd_expr *e) {
    size_t k;
    if (ws_size(e->len, e->n) == SIZE_MAX) return -1;
    e->np = e->n * (e->n + 1) / 2;
    const size_t per = 1 + e->n + e->np;
    e->ws = gd_calloc(e->len * per, sizeof(double));
    if (!e->ws) return -1;
    e->v = e->ws;
    e->g = e->v + e->len;
    e->h = e->g + e->len * e->n;
    for (k = 0; k < e->len; k++)
        if (e->tape[k].op == OP_VAR) e->g[k * e->n + e->tape[k].a] = 1.0;
    return 0;
}

void gd_expr_free(gd_expr *e) {
    size_t i;
    if (!e) return;
    for (i = 0; i < e->n; i++) gd_free(e->names[i]);
    gd_free(e->names);
    gd_free(e->tape);
    gd_free(e->ws);
    gd_free(e);
}

gd_status gd_expr_parse(gd_ctx *ctx, const char *src, const char *const *vars,
                        size_t nvars, gd_expr **out) {
    parser P;
    gd_expr *e;
    long r;
    char buf[40];
    GD_ASSERT(src != NULL && out != NULL);
    *out = NULL;
    size_t srclen = 0;
    while (srclen <= EXPR_MAX_LEN && src[srclen]) srclen++;
    if (srclen > EXPR_MAX_LEN)
        return gd_error(ctx, GD_EINVAL, "expression longer than %d characters (%zu)", EXPR_MAX_LEN, strlen(src));
    e = gd_calloc(1, sizeof *e);
    if (!e) return gd_error(ctx, GD_ENOMEM, "out of memory parsing expression");
    memset(&P, 0, sizeof P);
    P.ctx = ctx;
    P.src = src;
    P.e = e;
    P.fixed = vars != NULL;
    if (vars) { /* copy the caller's names; e->n counts the copies made */
        if ((e->names = gd_calloc(nvars, sizeof *e->names)) != NULL) {
            e->ncap = nvars;
            for (e->n = 0; e->n < nvars; e->n++) {
                GD_ASSERT(vars[e->n] != NULL);
                if (!(e->names[e->n] = gd_strdup(vars[e->n]))) break;
            }
        }
        if (!e->names || e->n < nvars) {
            gd_expr_free(e);
            return gd_error(ctx, GD_ENOMEM, "out of memory parsing expression");
        }
    }
    r = parse_expr(&P);
    if (r >= 0) {
        skip_ws(&P);
        if (src[P.pos] == ')')
            r = fail(&P, P.pos, "unmatched ')'");
        else if (src[P.pos])
            r = fail(&P, P.pos, "expected an operator or end of input, got %s",
                     describe(&P, P.pos, buf, sizeof buf));
    }
    if (r < 0) {
        gd_expr_free(e);
        return P.st;
    }
    if (ws_size(e->len, e->n) == SIZE_MAX) {
        const size_t n = e->n, len = e->len;
        gd_expr_free(e);
        return gd_error(ctx, GD_EINVAL, "%zu variables and %zu operations need %.3g MB for the exact gradient and "
                        "Hessian, more than %zu MB: use fewer variables", n, len,
                        (double)len * (1 + (double)n + (double)n * ((double)n + 1) / 2) * 8 / 1e6,
                        EXPR_MAX_WS * 8 >> 20);
    }
    if (alloc_ws(e) != 0) {
        gd_expr_free(e);
        return gd_error(ctx, GD_ENOMEM, "out of memory: expression workspace");
    }
    *out = e;
    return GD_OK;
}

gd_expr *gd_expr_clone(const gd_expr *e) {
    gd_expr *c;
    GD_ASSERT(e != NULL);
    if (!(c = gd_calloc(1, sizeof *c))) return NULL;
    c->len = c->cap = e->len;
    if (!(c->tape = gd_malloc(e->len * sizeof *c->tape))) goto fail;
    memcpy(c->tape, e->tape, e->len * sizeof *c->tape);
    if (!(c->names = gd_calloc(e->n, sizeof *c->names))) goto fail;
    c->ncap = e->n;
    for (c->n = 0; c->n < e->n; c->n++)
        if (!(c->names[c->n] = gd_strdup(e->names[c->n]))) goto fail;
    if (alloc_ws(c) != 0) goto fail;
    return c;
fail:
    gd_expr_free(c);
    return NULL;
}

size_t gd_expr_nvars(const gd_expr *e) { GD_ASSERT(e != NULL); return e->n; }

const char *gd_expr_var_name(const gd_expr *e, size_t i) {
    GD_ASSERT(e != NULL && i < e->n);
    return e->names[i];
}

long gd_expr_var_index(const gd_expr *e, const char *name) {
    size_t i;
    GD_ASSERT(e != NULL && name != NULL);
    for (i = 0; i < e->n; i++)
        if (strcmp(e->names[i], name) == 0) return (long)i;
    return -1;
}

/* ---- Evaluation -------------------------------------------------------- */

/* out = a x + b y over m entries; a NULL x or y stands for an exact zero
 * (a constant's gradient, an affine slot's Hessian) and is skipped. */
static void comb(double *out, size_t m, double a, const double *x, double b,
                 const double *y) {
    size_t i;
    if (x && y) for (i = 0; i < m; i++) out[i] = a * x[i] + b * y[i];
    else if (x) for (i = 0; i < m; i++) out[i] = a * x[i];
    else if (y) for (i = 0; i < m; i++) out[i] = b * y[i];
    else memset(out, 0, m * sizeof *out);
}

/* Packed upper H += s (x y^T + y x^T). */
static void add_sym(double *h, size_t n, double s, const double *x, const double *y) {
    size_t i, j;
    for (i = 0; i < n; i++)
        for (j = i; j < n; j++) *h++ += s * (x[i] * y[j] + y[i] * x[j]);
}

/* Packed upper H += s x x^T. */
static void add_outer(double *h, size_t n, double s, const double *x) {
    size_t i, j;
    for (i = 0; i < n; i++)
        for (j = i; j < n; j++) *h++ += s * x[i] * x[j];
}

/* Runs the tape; order 0 computes values only, 1 adds gradients, 2 adds
 * Hessians. Returns the value of the last slot. */
static double run(gd_expr *e, const double *x, int order) {
    const size_t n = e->n, np = e->np;
    double *v = e->v;
    size_t k;
    for (k = 0; k < e->len; k++) {
        const expr_node *t = &e->tape[k];
        double u, w, f1 = 0.0, f2 = 0.0;
        double *g, *h;
        const double *gu, *gw, *hu, *hw;
        if (t->op == OP_CONST) { v[k] = t->c; continue; }
        if (t->op == OP_VAR) { v[k] = x[t->a]; continue; }
        u = v[t->a];
        w = v[t->b];
        v[k] = apply(t->op, u, w, t->c);
        if (order == 0) continue;
        /* Operand gradients and Hessians; NULL where they are exactly 0. */
        g = e->g + k * n, h = e->h + k * np;
        gu = e->tape[t->a].op == OP_CONST ? NULL : e->g + t->a * n;
        gw = e->tape[t->b].op == OP_CONST ? NULL : e->g + t->b * n;
        hu = e->tape[t->a].lin ? NULL : e->h + t->a * np;
        hw = e->tape[t->b].lin ? NULL : e->h + t->b * np;
        switch (t->op) {
        case OP_NEG:
            comb(g, n, -1.0, gu, 0.0, NULL);
            if (order > 1) comb(h, np, -1.0, hu, 0.0, NULL);
            continue;
        case OP_ADD:
        case OP_SUB: {
            double s = t->op == OP_ADD ? 1.0 : -1.0;
            comb(g, n, 1.0, gu, s, gw);
            if (order > 1) comb(h, np, 1.0, hu, s, hw);
            continue;
        }
        case OP_MUL: /* g = w gu + u gw, H = w Hu + u Hw + gu gw' + gw gu' */
            comb(g, n, w, gu, u, gw);
            if (order > 1) {
                comb(h, np, w, hu, u, hw);
                if (gu && gw) add_sym(h, n, 1.0, gu, gw);
            }
            continue;
        case OP_DIV: {
            /* q = u/w: differentiating u = q w once and twice gives
             * gq = (gu - q gw)/w and Hq = (Hu - q Hw - gq gw' - gw gq')/w. */
            double r = 1.0 / w, q = v[k];
            comb(g, n, r, gu, -q * r, gw);
            if (order > 1) {
                comb(h, np, r, hu, -q * r, hw);
                if (gw) add_sym(h, n, -r, g, gw);
            }
            continue;
        }
        case OP_POW: {
            /* u^w = exp(s) with s = w log u: gs = log(u) gw + (w/u) gu,
             * Hs = log(u) Hw + (w/u) Hu + (gu gw' + gw gu')/u - w gu gu'/u^2,
             * then g = v gs and H = v (Hs + gs gs'). With a constant base
             * (gu = 0) only the log(u) terms remain. The exponent is never
             * constant here (that is OP_POWC). Needs u > 0, as real u^w
             * does. */
            double L = log(u), val = v[k];
            comb(g, n, L, gw, w / u, gu);
            if (order > 1) {
                comb(h, np, L, hw, w / u, hu);
                if (gu) {
                    add_sym(h, n, 1.0 / u, gu, gw);
                    add_outer(h, n, -w / (u * u), gu);
                }
                add_outer(h, n, 1.0, g);
                comb(h, np, val, h, 0.0, NULL);
            }
            comb(g, n, val, g, 0.0, NULL);
            continue;
        }
        case OP_MIN:
        case OP_MAX: {
            /* The derivatives of the selected branch (one-sided at a tie). */
            int ta = t->op == OP_MIN ? min_takes_a(u, w) : max_takes_a(u, w);
            comb(g, n, 1.0, ta ? gu : gw, 0.0, NULL);
            if (order > 1) comb(h, np, 1.0, ta ? hu : hw, 0.0, NULL);
            continue;
        }
        /* Unary f(u): g = f'(u) gu, H = f'(u) Hu + f''(u) gu gu'. */
        case OP_POWC: {
            /* c u^(c-1) and c(c-1) u^(c-2): right for u < 0 and integer c.
             * The zero factors are exact so that 0^(-1) is never met. */
            double c = t->c;
            f1 = c == 0.0 ? 0.0 : c * pow(u, c - 1.0);
            f2 = (c == 0.0 || c == 1.0) ? 0.0 : c * (c - 1.0) * pow(u, c - 2.0);
            break;
        }
        case OP_EXP: f1 = v[k]; f2 = v[k]; break;
        case OP_LOG: f1 = 1.0 / u; f2 = -f1 * f1; break;
        case OP_SQRT: f1 = 0.5 / v[k]; f2 = -0.25 / (u * v[k]); break;
        case OP_SIN: f1 = cos(u); f2 = -v[k]; break;
        case OP_COS: f1 = -sin(u); f2 = -v[k]; break;
        case OP_TAN: f1 = 1.0 + v[k] * v[k]; f2 = 2.0 * v[k] * f1; break;
        case OP_TANH: f1 = 1.0 - v[k] * v[k]; f2 = -2.0 * v[k] * f1; break;
        case OP_ABS: /* sign(u), 0 at 0, NaN at NaN; |u|'' = 0 */
            f1 = u > 0.0 ? 1.0 : u < 0.0 ? -1.0 : u == 0.0 ? 0.0 : u;
            f2 = 0.0;
            break;
        default: GD_ASSERT(!"unknown expression op");
        }
        comb(g, n, f1, gu, 0.0, NULL);
        if (order > 1) {
            comb(h, np, f1, hu, 0.0, NULL);
            if (f2 != 0.0) add_outer(h, n, f2, gu);
        }
    }
    return v[e->len - 1];
}

double gd_expr_eval(gd_expr *e, const double *x) {
    GD_ASSERT(e != NULL && (x != NULL || e->n == 0));
    return run(e, x, 0);
}

double gd_expr_eval_hess(gd_expr *e, const double *x, double *grad, double *hess) {
    size_t n, i, j;
    const double *g, *hp;
    double val;
    GD_ASSERT(e != NULL && (x != NULL || e->n == 0));
    val = run(e, x, hess ? 2 : grad ? 1 : 0);
    n = e->n;
    g = e->g + (e->len - 1) * n;
    hp = e->h + (e->len - 1) * e->np;
    if (grad) memcpy(grad, g, n * sizeof *grad);
    if (hess)
        for (i = 0; i < n; i++)
            for (j = i; j < n; j++) hess[i * n + j] = hess[j * n + i] = *hp++;
    return val;
}
