#!/usr/bin/env python3
"""PyTorch peer of bench_stab.c: per-example gradients of a scalar
64-H-H-1 tanh MLP on the first M digits (standardised), by
torch.func.vmap(torch.func.grad(...)) over examples, flattened into J
(M, P), and the Gram matrix J @ J.T; float64, best of 3. The parameters
differ from gdlab's (each library's own seeded initialisation), so the
Gram traces differ; the timing is of the same computation.
Usage: peer_torch_pergrad.py DIGITS_CSV_GZ M H [THREADS]"""
import gzip, json, sys, time

import numpy as np
import torch
from torch.func import functional_call, grad, vmap

path, M, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if len(sys.argv) > 4:
    torch.set_num_threads(int(sys.argv[4]))
with gzip.open(path, "rt") as f:
    a = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
x = a[:M, :-1]
full = a[:, :-1]
sd = full.std(0)
x = (x - full.mean(0)) / np.where(sd > 0, sd, 1)
x[:, sd == 0] = 0
torch.manual_seed(1)
net = torch.nn.Sequential(torch.nn.Linear(64, H), torch.nn.Tanh(), torch.nn.Linear(H, H), torch.nn.Tanh(),
                          torch.nn.Linear(H, 1)).double()
params = {k: v.detach() for k, v in net.named_parameters()}
X = torch.tensor(x, dtype=torch.float64)


def f(p, xi):
    return functional_call(net, p, (xi.unsqueeze(0),)).squeeze()


pergrad = vmap(grad(f), in_dims=(None, 0))
best = 1e300
for _ in range(3):
    t0 = time.perf_counter()
    g = pergrad(params, X)
    J = torch.cat([g[k].reshape(M, -1) for k in params], dim=1)
    t1 = time.perf_counter()
    G = J @ J.T
    t2 = time.perf_counter()
    if t2 - t0 < best:
        best, bj, tr = t2 - t0, t1 - t0, float(torch.trace(G))
print(json.dumps({"peer": "torch", "M": M, "P": J.shape[1], "seconds": best, "jacobian_s": bj, "gram_trace": tr}))
