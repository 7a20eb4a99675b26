/* gdlab: the umbrella header. */
#ifndef GDLAB_H
#define GDLAB_H
#include "core.h"
#include "rng.h"
#include "expr.h"
#include "result.h"
#include "experiment.h"
#include "io.h"
#include "linsgd.h"
#include "data.h"
#include "nn.h"
#include "optim.h"
#include "spectra.h"
#include "stab.h"
#include "dyn.h"
#include "flow.h"
#include "orbit.h"
#include "stats.h"
#include "modadd.h"
#endif
