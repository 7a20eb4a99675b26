/* modadd internals: the gd_modadd object. Never installed.
 *
 * The passes run in the type chosen at gd_modadd_new (float or double);
 * pass.h is written once and included twice by model.c. In that type:
 *   U, V  (p, q)  s_in W_a^T and s_in W_b^T: row a of U is the hidden input of e_a
 *   C     (p, q)  s_out W_c
 *   part  (GD_MODADD_PARTS, 3, p, q)  each part's gradient of U, V, C
 * and per thread a workspace for blocks of B pairs:
 *   H, S, D, G (B, q): pre-activations, activations, act'(H), dloss/dH;
 *   O (B, p): outputs, overwritten by dloss/do;
 *   Zd, Fd, Dd (B, q) doubles: the activation table's arguments and
 *   values in float32 mode with an activation other than x^2. */
#ifndef GDLAB_MODADD_INT_H
#define GDLAB_MODADD_INT_H

#include "gdlab/modadd.h"
#include "nn/nn_int.h"

/* The number of parts a batch is cut into (the most threads that help). */
#define GD_MODADD_PARTS 8

typedef struct gd_modadd_ws {
    void *H, *S, *D, *O, *G;
    double *Zd, *Fd, *Dd;
} gd_modadd_ws;

struct gd_modadd {
    size_t p, q, B, P;
    int threads;
    gd_act act;
    gd_modadd_loss loss;
    int f32;
    double s_in, s_out;
    const gd_act_type *at;
    void *U, *V, *C, *part;
    gd_modadd_ws *ws; /* (threads) */
    void *work;       /* the one allocation behind all the views */
};

#endif
