/* gdlab: the umbrella header. */
#ifndef GDLAB_H
#define GDLAB_H
#include "core.h"
#include "rng.h"
#include "expr.h"
#include "result.h"
#include "experiment.h"
#include "io.h"
#endif
