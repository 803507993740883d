"""PyTorch proxy of the notebook's model and fast recipe, for a quick recipe sweep on a GPU.

Same network (4 conv, 2 dense, dropout 0.5, glorot-uniform init, zero bias), Adam (eps 1e-7), warm-up then
cosine to zero per step, label smoothing, one random affine per image (bilinear, black fill), stratified split
by seed as in the notebook (sklearn train_test_split). Writes one JSON line per run to OUT/sweep.jsonl and the
ensemble figures (common 10% holdout, seed 100) to OUT/ensemble.json.

    python -c "import numpy as np, pandas as pd; f = pd.read_csv('train.csv'); np.savez_compressed(
        'benchmarks/recipe_sweep/train.npz', x=f.iloc[:, 1:].to_numpy(np.uint8), y=f['label'].to_numpy(np.uint8))"
    python benchmarks/recipe_sweep/sweep_torch.py OUT 8 400           # round 1: 8 processes, stop after 400 s
    ROUND=2 python benchmarks/recipe_sweep/sweep_torch.py OUT 12 265  # round 2
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

HOLD = "/tmp/hold"
BASE = dict(epochs=6, batch=64, lr=1e-3, warmup=0.1, ls=0.1, rot=5, zoom=0.05, shift=0.05, ema=0.0,
            clean_last=0, opt="adam", wd=0.0)


def build(device):
    m = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.Conv2d(32, 32, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.5),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.5), nn.Flatten(),
        nn.Linear(3136, 8192), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(8192, 2048), nn.ReLU(), nn.Dropout(0.5), nn.Linear(2048, 10))
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)
    return m.to(device)


def affine(x, rot, zoom, shift):
    """x: (n,1,28,28). Same mapping as the notebook's random_affine (output pixel -> input pixel)."""
    n = x.shape[0]
    dev = x.device
    angle = (torch.rand(n, device=dev) * 2 - 1) * rot * math.pi / 180
    scale = 1 + (torch.rand(n, device=dev) * 2 - 1) * zoom
    sh = (torch.rand(n, 2, device=dev) * 2 - 1) * shift * 28
    cos, sin, c = torch.cos(angle) / scale, torch.sin(angle) / scale, 13.5
    ys, xs = torch.meshgrid(torch.arange(28., device=dev), torch.arange(28., device=dev), indexing="ij")
    xs, ys = xs.reshape(1, -1), ys.reshape(1, -1)
    cos, sin = cos[:, None], sin[:, None]
    xin = cos * xs - sin * ys + (c - cos * c + sin * c - sh[:, :1])
    yin = sin * xs + cos * ys + (c - sin * c - cos * c - sh[:, 1:])
    grid = torch.stack([xin / 13.5 - 1, yin / 13.5 - 1], dim=-1).reshape(n, 28, 28, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def shift_views(x, k):
    """TTA: identity plus shifts by one pixel (up to 8 neighbours)."""
    offs = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)][:k]
    return [torch.roll(x, shifts=o, dims=(2, 3)) if o != (0, 0) else x for o in offs]


@torch.no_grad()
def predict(m, x, tta=1):
    m.eval()
    out = 0
    for v in shift_views(x, tta):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = out + torch.cat([F.softmax(m(v[i:i + 4096]).float(), 1) for i in range(0, len(v), 4096)])
    m.train()
    return out / tta


def run(cfg, seed, xall, yall, device, holdout_seed=None):
    """Train one model. With holdout_seed, a common 10% holdout is removed first and the member splits the rest."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    idx = np.arange(len(yall))
    hold = None
    if holdout_seed is not None:
        idx, hold = train_test_split(idx, test_size=0.1, stratify=yall, random_state=holdout_seed)
    tr, va = train_test_split(idx, test_size=0.1, stratify=yall[idx], random_state=seed)
    x = torch.tensor(xall, device=device).float().div(255).reshape(-1, 1, 28, 28)
    y = torch.tensor(yall, device=device).long()
    m = build(device)
    if cfg["opt"] == "adamw":
        opt = torch.optim.AdamW(m.parameters(), lr=cfg["lr"], eps=1e-7, weight_decay=cfg["wd"], fused=True)
    else:
        opt = torch.optim.Adam(m.parameters(), lr=cfg["lr"], eps=1e-7, fused=True)
    spe = math.ceil(len(tr) / cfg["batch"])
    total = spe * cfg["epochs"]
    warm = int(cfg["warmup"] * total)

    def lr_at(step):  # keras CosineDecay(0, total-warm, warmup_target, warm)
        if step < warm:
            return step / warm
        return 0.5 * (1 + math.cos(math.pi * min(step - warm, total - warm) / (total - warm)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    ema = None
    if cfg["ema"]:
        ema = build(device)
        ema.load_state_dict(m.state_dict())
    tr_t, va_t = torch.tensor(tr, device=device), torch.tensor(va, device=device)
    accs, t0, best, best_state = [], time.time(), -1, None
    for ep in range(cfg["epochs"]):
        perm = tr_t[torch.randperm(len(tr_t), device=device)]
        aug = not (cfg["clean_last"] and ep >= cfg["epochs"] - cfg["clean_last"])
        for i in range(spe):
            b = perm[i * cfg["batch"]:(i + 1) * cfg["batch"]]
            xb = x[b]
            if aug:
                xb = affine(xb, cfg["rot"], cfg["zoom"], cfg["shift"])
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(m(xb).float(), y[b], label_smoothing=cfg["ls"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                with torch.no_grad():
                    torch._foreach_lerp_(list(ema.parameters()), list(m.parameters()), 1 - cfg["ema"])
        em = ema if ema is not None else m
        acc = (predict(em, x[va_t]).argmax(1) == y[va_t]).float().mean().item()
        accs.append(round(acc, 5))
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in em.state_dict().items()}
    res = dict(cfg=cfg, seed=seed, val=accs, best=max(accs), last=accs[-1], secs=round(time.time() - t0, 1))
    if hold is not None:
        em = ema if ema is not None else m
        em.load_state_dict(best_state)
        h = torch.tensor(hold, device=device)
        res["hold_probs"] = {tta: predict(em, x[h], tta).cpu().numpy() for tta in (1, 5, 9)}
        res["hold_y"] = yall[hold]
    return res


def worker(jobs, counter, out_path, lock_dir):
    device = "cuda"
    torch.backends.cudnn.benchmark = True
    d = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.npz"))
    xall, yall = d["x"], d["y"].astype(np.int64)
    if os.environ.get("SMOKE"):
        device, xall, yall = "cpu", xall[:2000], yall[:2000]
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= len(jobs):
            return
        name, cfg, seed, hold = jobs[index]
        r = run(cfg, seed, xall, yall, device, hold)
        if hold is not None:
            np.savez(os.path.join(lock_dir, f"{name}_s{seed}.npz"), y=r.pop("hold_y"),
                     **{f"tta{k}": v for k, v in r.pop("hold_probs").items()})
        r["name"] = name
        with open(out_path, "a") as f:
            f.write(json.dumps(r) + "\n")
        print(name, seed, r["best"], r["last"], r["secs"], flush=True)


def main():
    out = sys.argv[1]
    nproc = int(sys.argv[2])
    seeds = [0, 1, 2, 3]
    variants = {
        "base": {}, "lr2e-3": dict(lr=2e-3), "b32": dict(batch=32), "ls0": dict(ls=0.0),
        "strongaug": dict(rot=10, zoom=0.1, shift=0.1), "noaug": dict(rot=0, zoom=0, shift=0),
        "ema999": dict(ema=0.999), "cleanlast": dict(clean_last=1), "lr5e-4": dict(lr=5e-4),
        "b128lr2e-3": dict(batch=128, lr=2e-3), "rot10": dict(rot=10), "lr3e-3": dict(lr=3e-3),
    }

    def sweep(ss, vs):
        return [(n, dict(BASE, **variants[n]), s, None) for s in ss for n in vs]

    variants["rot10lr2e-3"] = dict(rot=10, lr=2e-3)
    if os.environ.get("ROUND") == "2":
        jobs = [("ens20", dict(BASE, epochs=20), s, 100) for s in range(20, 25)]
        jobs += sweep(range(4, 12), ["base", "rot10", "rot10lr2e-3"])
    else:
        jobs = sweep(seeds[:2], variants) + [("ens6", dict(BASE), s, 100) for s in range(10, 15)] + sweep(seeds[2:], variants)
        jobs += [("ens20", dict(BASE, epochs=20), s, 100) for s in range(20, 25)]
        jobs += [("e20", dict(BASE, epochs=20), s, None) for s in seeds[:2]]
    os.makedirs(HOLD, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    if len(sys.argv) > 4:  # smoke test: tiny runs
        jobs = [(n, dict(c, epochs=1), s, h) for n, c, s, h in jobs][:3]
    mp.set_start_method("spawn")
    counter = mp.Value("i", 0)
    procs = [mp.Process(target=worker, args=(jobs, counter, os.path.join(out, "sweep.jsonl"), HOLD))
             for i in range(nproc)]
    for p in procs:
        p.start()
    deadline = time.time() + float(sys.argv[3])
    for p in procs:
        p.join(max(1, deadline - time.time()))
    for p in procs:
        if p.is_alive():
            p.terminate()
    summarize(out)


def summarize(out):
    """Ensemble accuracy on the common holdout for k = 1..5 members, with and without TTA."""
    import glob
    res = {}
    for group in ("ens6", "ens20"):
        files = sorted(glob.glob(os.path.join(HOLD, f"{group}_s*.npz")))
        if not files:
            continue
        data = [np.load(f) for f in files]
        y = data[0]["y"]
        res[group] = {}
        for tta in (1, 5, 9):
            probs = [d[f"tta{tta}"] for d in data]
            res[group][f"tta{tta}"] = dict(
                members=[round(float((p.argmax(1) == y).mean()), 5) for p in probs],
                ensemble=[round(float((sum(probs[:k]).argmax(1) == y).mean()), 5) for k in range(1, len(probs) + 1)])
    with open(os.path.join(out, "ensemble.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
