#!/usr/bin/env python3
"""Object scores of study.py's checkpoints, by the definition of @gqn/train's object-scores.ts:
object pixels are those more than 0.15 from the empty room in some channel; PSNR over the mask's
object pixels and over the background; IoU of predicted and target object pixels, pooled over the
test queries (view --query, seen from the first --context other views). Scores the mean of
--samples prior renders per query, and the context average.

    python3 objscore.py --data ROOT --masks test-masks.bin runs/base-2k runs/sigma-paper-2k ...

ROOT is the dataset root study.py trained from (it caches the test split there as .npz); the masks
file is what dump-masks.mjs writes. Prints one line per run and saved step."""
import argparse, glob, json, math, os, re, sys
import numpy as np, torch
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("GQN_REFERENCE_DIR") or os.path.join(HERE, "..", "..", "..", "..", "shared", "reference-impl"))
import torch_gqn

ap = argparse.ArgumentParser()
ap.add_argument("runs", nargs="+"); ap.add_argument("--data", required=True); ap.add_argument("--masks", required=True)
ap.add_argument("--dataset", default="rooms_ring_camera"); ap.add_argument("--size", type=int, default=32)
ap.add_argument("--context", type=int, default=5); ap.add_argument("--samples", type=int, default=8)
ap.add_argument("--query", type=int, default=5, help="the view the masks are of (dump-masks.mjs's K)")
a = ap.parse_args()
S, K, Q = a.size, a.context, a.query
z = np.load(os.path.join(a.data, f".{a.dataset}-test-{S}.npz")); f, p = z["f"], z["p"]
N, V = f.shape[:2]
if not (0 <= Q < V and 1 <= K < V):
    sys.exit(f"--query {Q} and --context {K}: the test scenes have {V} views (query 0-{V - 1}, context 1-{V - 1})")
# The context: the first K views other than the query, so that every K is scored on the same query.
C = [v for v in range(V) if v != Q][:K]
raw = np.fromfile(a.masks, dtype=np.uint8)
if raw.size != N * S * S * 4:
    sys.exit(f"{a.masks}: {raw.size} bytes, but {N} test scenes at {S} px need {N * S * S * 4} (ids, then RGB behind them)")
ids = raw[: N * S * S].reshape(N, S, S); behind = raw[N * S * S:].reshape(N, S, S, 3).astype(np.float32) / 255
qx = f[:, Q]; on = ids > 0
empty = np.where(on[..., None], behind, qx)  # the query view with its objects removed
cx = torch.from_numpy(f[:, C]).permute(0, 1, 4, 2, 3).contiguous(); cv = torch.from_numpy(p[:, C]); qv = torch.from_numpy(p[:, Q])

def object_pixels(img): return np.abs(np.clip(img, 0, 1) - empty).max(-1) > 0.15
target_objects = object_pixels(qx)

def scores(img):
    img = np.clip(img, 0, 1); se = ((img - qx) ** 2).sum(-1)
    psnr = lambda m: 10 * math.log10(1 / (se[m].sum() / (m.sum() * 3)))
    predicted = object_pixels(img)
    iou = (predicted & target_objects).sum() / (predicted | target_objects).sum()
    return {"psnr": round(psnr(np.ones_like(on)), 2), "obj": round(psnr(on), 2), "bg": round(psnr(~on), 2), "iou": round(float(iou), 3)}

def model_scores(run, step):
    cfg = torch_gqn.make_config(json.loads(open(os.path.join(run, "log.jsonl")).readline())["args"]["config"])
    model = torch_gqn.GQN(cfg); model.load_state_dict(torch.load(os.path.join(run, f"ckpt-{step}.pt"))); model.eval()
    torch.manual_seed(12345)
    with torch.no_grad():
        renders = [torch.cat([model.generate(cx[i:i + 50], cv[i:i + 50], qv[i:i + 50]).clamp(0, 1) for i in range(0, N, 50)])
                   .permute(0, 2, 3, 1).numpy() for _ in range(a.samples)]
    return scores(sum(renders) / a.samples)

print("context average", json.dumps(scores(f[:, C].mean(1))), flush=True)
for run in a.runs:
    steps = sorted(int(re.search(r"ckpt-(\d+)\.pt$", x).group(1)) for x in glob.glob(os.path.join(run, "ckpt-*.pt")))
    for step in steps[1:]:
        print(os.path.basename(run.rstrip("/")), step, json.dumps(model_scores(run, step)), flush=True)
