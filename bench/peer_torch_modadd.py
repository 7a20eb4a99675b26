"""The peer of bench/bench_modadd.c: the same network, loss and optimizer
in idiomatic PyTorch, float32. Two forms: "onehot" (one-hot inputs through
bias-free nn.Linear layers, as the papers' code is written) and "index"
(the first layer as a row gather of the weight matrices, what a
performance-minded user would write). Same fixed split, projected MSE,
Adam(lr 0.01, betas (0.9, 0.98), weight_decay 5e-5 coupled). Prints one
JSON line per form: seconds per step, best of 3 runs after a warm-up step.
Usage: peer_torch_modadd.py P WIDTH STEPS THREADS"""
import json, sys, time
import torch
import torch.nn.functional as F

p, q, steps, threads = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)
n = p * p
ntrain = int(0.9 * n + 0.5)
ids = (torch.arange(n) * 7919) % n
ids = ids[:ntrain]
a, b = ids // p, ids % p
y = (a + b) % p
Y = F.one_hot(y, p).float()
xa, xb = F.one_hot(a, p).float(), F.one_hot(b, p).float()


def run(form):
    torch.manual_seed(1)
    Wa = torch.nn.Linear(p, q, bias=False)
    Wb = torch.nn.Linear(p, q, bias=False)
    Wc = torch.nn.Linear(q, p, bias=False)
    opt = torch.optim.Adam([*Wa.parameters(), *Wb.parameters(), *Wc.parameters()],
                           lr=0.01, betas=(0.9, 0.98), weight_decay=5e-5)

    def step():
        opt.zero_grad(set_to_none=True)
        if form == "onehot":
            h = Wa(xa) + Wb(xb)
        else:
            h = Wa.weight.t()[a] + Wb.weight.t()[b]
        r = Wc(h * h) - Y
        r = r - r.mean(dim=1, keepdim=True)  # P = I - 11^T/p
        loss = (r * r).sum(dim=1).mean()
        loss.backward()
        opt.step()
        return loss.item()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        L = step()
    return (time.perf_counter() - t0) / steps, L


for form in ("onehot", "index"):
    best, L = min(run(form) for _ in range(3))
    print(json.dumps({"impl": "torch-" + form, "dtype": "float32", "p": p, "width": q,
                      "threads": threads, "seconds_per_step": best, "final_loss": L,
                      "torch": torch.__version__}))
