"""The torch side of gemm-ceiling.mjs: milliseconds per torch.mm of each product, and per conv2d
forward / filter gradient / input gradient (oneDNN) of each convolution. Prints one JSON object."""
import json, sys, time
import torch

spec = json.loads(sys.argv[1])
torch.set_num_threads(spec.get("threads", 2))
reps = spec["reps"]

def best_ms(f):
    for _ in range(3): f()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps): f()
        best = min(best, (time.perf_counter() - t) / reps * 1000)
    return best

mm, conv = [], []
for c in spec["convs"]:
    n, h, w, ci = c["x"]; k, co = c["k"], c["co"]; rows = n * h * w
    shapes = [(rows, k * k * ci, co, False), (k * k * ci, rows, co, True), (k * k * ci, rows * 8, co, True), (rows, k * k * co, ci, False)]
    row = []
    for m, kk, nn, trans_a in shapes:
        a = torch.full((kk, m) if trans_a else (m, kk), 0.5); b = torch.full((kk, nn), 0.25)
        row.append(best_ms((lambda: a.t().mm(b)) if trans_a else (lambda: a.mm(b))))
    mm.append(row)
    x = torch.randn(n, ci, h, w, requires_grad=True); wt = torch.randn(co, ci, k, k, requires_grad=True)
    y = torch.nn.functional.conv2d(x, wt, padding=k // 2); dy = torch.randn_like(y)
    gw = lambda: torch.ops.aten.convolution_backward(dy, x, wt, None, [1, 1], [k // 2] * 2, [1, 1], False, [0, 0], 1, [False, False, True])
    gx = lambda: torch.ops.aten.convolution_backward(dy, x, wt, None, [1, 1], [k // 2] * 2, [1, 1], False, [0, 0], 1, [True, False, False])
    with torch.no_grad():
        conv.append([best_ms(lambda: torch.nn.functional.conv2d(x, wt, padding=k // 2)), best_ms(gw), None, best_ms(gx)])
print(json.dumps({"mm": mm, "conv": conv, "threads": torch.get_num_threads()}))
