#!/usr/bin/env python3
"""PyTorch peer of gdlab's edge-of-stability run: full-batch GD on digits
(1797 x 64, each feature standardised) with a 64-100-100-10 tanh MLP,
PyTorch's default initialisation, MSE = mean over examples of
1/2 ||f - y||^2 on one-hot targets, and the sharpness (top two Hessian
eigenvalues) every `every` steps, computed as Cohen et al.'s code does:
scipy.sparse.linalg.eigsh (ARPACK, which='LA') on a LinearOperator whose
matvec is an exact Hessian-vector product (torch.func: jvp of grad,
forward-over-reverse). Prints one JSON line per dtype: seconds, final
loss, last sharpness, HVP count.

Usage: peer_torch_eos.py DIGITS_CSV_GZ STEPS EVERY ETA [THREADS]"""
import gzip, json, sys, time

import numpy as np
import scipy.sparse.linalg as sla
import torch
from torch.func import functional_call, grad, jvp


def load(path):
    with gzip.open(path, "rt") as f:
        rows = [line for line in f if line.strip()]
    a = np.array([[float(v) for v in r.split(",")] for r in rows if r[0].isdigit() or r[0] == "-"])
    x, y = a[:, :-1], a[:, -1].astype(int)
    sd = x.std(0)
    x = (x - x.mean(0)) / np.where(sd > 0, sd, 1)
    x[:, sd == 0] = 0
    return x, np.eye(10)[y]


def run(x, y, steps, every, eta, dtype):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.Tanh(), torch.nn.Linear(100, 100),
                              torch.nn.Tanh(), torch.nn.Linear(100, 10)).to(dtype)
    X, Y = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for p in net.parameters()]
    sizes = [p.numel() for p in net.parameters()]
    w = torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def loss_of(flat):
        ps = dict(zip(names, (t.reshape(s) for t, s in zip(torch.split(flat, sizes), shapes))))
        f = functional_call(net, ps, (X,))
        return 0.5 * ((f - Y) ** 2).sum(1).mean()

    g_fn = grad(loss_of)
    nhvp = 0

    def hvp(v):
        nonlocal nhvp
        nhvp += 1
        vt = torch.as_tensor(np.asarray(v).reshape(-1), dtype=dtype)
        return jvp(g_fn, (w,), (vt,))[1].detach().numpy().astype(np.float64)

    P = w.numel()
    t0 = time.perf_counter()
    sharp = None
    for t in range(steps + 1):
        if t % every == 0:
            op = sla.LinearOperator((P, P), matvec=hvp, dtype=np.float64)
            sharp = sla.eigsh(op, k=2, which="LA", tol=1e-4, return_eigenvectors=False)
        w = w.detach().requires_grad_(True)
        loss = loss_of(w)
        (gw,) = torch.autograd.grad(loss, w)
        if t < steps:
            w = (w - eta * gw).detach()
    secs = time.perf_counter() - t0
    return {"peer": "torch", "dtype": str(dtype).replace("torch.", ""), "seconds": secs,
            "final_loss": float(loss), "sharpness": float(max(sharp)), "hvps": nhvp}


def main():
    path, steps, every, eta = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    if len(sys.argv) > 5:
        torch.set_num_threads(int(sys.argv[5]))
    x, y = load(path)
    for dtype in (torch.float64, torch.float32):
        print(json.dumps(run(x, y, steps, every, eta, dtype)), flush=True)


if __name__ == "__main__":
    main()
