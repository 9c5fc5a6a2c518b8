#!/usr/bin/env python3
"""Recipe-study driver around the PyTorch reference (../shared/reference-impl beside the checkout, or
$GQN_REFERENCE_DIR): a step budget (independent of machine load, unlike train_on_records.py's
minutes), linear schedules with optional warm-up, evaluation every N steps (one sample, mean of S
samples, context average, mean image), weights saved at every evaluation for objscore.py."""
import argparse, json, math, os, random, sys, time
import numpy as np, torch
REFERENCE = os.environ.get("GQN_REFERENCE_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "reference-impl")
sys.path.insert(0, REFERENCE)
from gqn_records import load_split, batch
import torch_gqn

def cached(root, ds, split, S):
    path = os.path.join(root, f".{ds}-{split}-{S}.npz")
    if os.path.exists(path):
        z = np.load(path); return list(zip(z["f"], z["p"]))
    sc = load_split(root, ds, split, S)
    np.savez(path, f=np.stack([f for f, _ in sc]), p=np.stack([p for _, p in sc])); return sc

def sched(spec, frac, warm):
    parts = [float(x) for x in spec.split(":")]
    a, b = parts[0], parts[-1]
    v = a + (b - a) * min(max(frac, 0.0), 1.0)
    return v * warm

ap = argparse.ArgumentParser()
ap.add_argument("root"); ap.add_argument("--dataset", default="rooms_ring_camera")
ap.add_argument("--config", required=True); ap.add_argument("--steps", type=int, required=True)
ap.add_argument("--anneal", type=int, default=0, help="schedule length in steps (0: the budget)")
ap.add_argument("--sigma", default="0.4:0.3"); ap.add_argument("--lr", default="1e-3:1e-4")
ap.add_argument("--warmup", type=int, default=0); ap.add_argument("--train-scenes", type=int, default=0)
ap.add_argument("--eval-every", type=int, default=1000); ap.add_argument("--samples", type=int, default=8)
ap.add_argument("--seed", type=int, default=1); ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--out", required=True)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
log = open(os.path.join(a.out, "log.jsonl"), "a")
def emit(rec):
    rec["t"] = round(time.time(), 1); log.write(json.dumps(rec) + "\n"); log.flush(); print(json.dumps(rec), flush=True)
torch.set_num_threads(a.threads); torch.manual_seed(a.seed); rng = random.Random(a.seed)
cfg = torch_gqn.make_config(a.config)
S, B, K = cfg["image_size"], cfg["batch_size"], cfg["context_size"]
train = cached(a.root, a.dataset, "train", S); test = cached(a.root, a.dataset, "test", S)
if a.train_scenes: train = train[: a.train_scenes]
emit({"kind": "start", "args": vars(a), "train_scenes": len(train), "test_scenes": len(test)})
model = torch_gqn.GQN(cfg)
opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
mean_img = torch.from_numpy(np.mean([f.mean(0) for f, _ in train], 0)).permute(2, 0, 1)
# Test queries: view 5 (the one dump-masks.mjs writes masks of) from the first K other views, so
# that runs with different K are scored on the same queries.
Q = 5; C = [v for v in range(len(test[0][0])) if v != Q][:K]
cx = torch.from_numpy(np.stack([f[C] for f, _ in test])).permute(0, 1, 4, 2, 3).contiguous()
cv = torch.from_numpy(np.stack([p[C] for _, p in test]))
qx = torch.from_numpy(np.stack([f[Q] for f, _ in test])).permute(0, 3, 1, 2).contiguous()
qv = torch.from_numpy(np.stack([p[Q] for _, p in test]))
def evaluate(step):
    model.eval(); g = torch.get_rng_state(); torch.manual_seed(12345)
    with torch.no_grad():
        outs = [torch.cat([model.generate(cx[i:i+50], cv[i:i+50], qv[i:i+50]).clamp(0, 1) for i in range(0, len(qx), 50)]) for _ in range(a.samples)]
    torch.set_rng_state(g); model.train()
    mean = sum(outs) / len(outs)
    p = lambda pred: round(10 * math.log10(1.0 / float(((pred - qx) ** 2).mean())), 3)
    torch.save(model.state_dict(), os.path.join(a.out, f"ckpt-{step}.pt"))
    emit({"kind": "eval", "step": step, "one": p(outs[0]), "mean": p(mean), "ctx_avg": p(cx.mean(1)), "mean_img": p(mean_img.expand_as(qx))})
anneal = a.anneal or a.steps
t0 = time.time(); acc = {"elbo": 0.0, "kl": 0.0, "n": 0}
for step in range(a.steps + 1):
    if step % a.eval_every == 0 or step == a.steps: evaluate(step)
    if step == a.steps: break
    f = step / anneal; warm = min(1.0, (step + 1) / a.warmup) if a.warmup else 1.0
    sigma = sched(a.sigma, f, 1.0)
    for gr in opt.param_groups: gr["lr"] = sched(a.lr, f, warm)
    bx, bv, bqv, bqx = batch(train, B, K, rng)
    loss, parts = model.loss(bx, bv, bqv, bqx, sigma_target=sigma)
    opt.zero_grad(); loss.backward(); opt.step()
    acc["elbo"] += float(loss); acc["kl"] += float(parts["kl"]); acc["n"] += 1
    if (step + 1) % 200 == 0:
        emit({"kind": "train", "step": step + 1, "elbo": round(acc["elbo"] / acc["n"], 2), "kl": round(acc["kl"] / acc["n"], 3), "sigma": round(sigma, 3), "lr": opt.param_groups[0]["lr"], "sec": round(time.time() - t0, 1)})
        acc = {"elbo": 0.0, "kl": 0.0, "n": 0}
