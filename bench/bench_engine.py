"""Engine benchmarks: print wall time and peak memory of the standard and small comparisons.

Run from the project root::

    python bench/bench_engine.py            # standard + small comparison
    python bench/bench_engine.py --quick    # small comparison only
    python bench/bench_engine.py --no-torch # skip PyTorch (timed whenever torch is installed)

Standard comparison: two moons, 512 samples (all used for training: test_fraction 0), hidden
[64, 64], tanh, sigmoid + binary cross-entropy, zeros vs xavier_uniform x 5 seeds = 10 runs,
1000 full-batch SGD epochs, float64, default history settings.
Small comparison (what the dashboard runs first): the same with hidden [8, 8], 256 samples,
2 runs, 500 epochs (target: under 0.3 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from sim.config import Config  # noqa: E402
from sim.train import train_comparison  # noqa: E402

STANDARD = {
    "dataset": "moons", "n_samples": 512, "test_fraction": 0.0, "hidden": [64, 64],
    "activation": "tanh", "loss": "bce",
    "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}], "seeds": 5,
    "optimizer": "sgd", "lr": 0.5, "epochs": 1000, "dtype": "float64",
}
SMALL = {**STANDARD, "hidden": [8, 8], "n_samples": 256, "seeds": 1, "epochs": 500}


def timed(cfg: Config, repeat: int = 1, **kwargs) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = train_comparison(cfg, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_memory(cfg: Config) -> float:
    """Peak traced (numpy) allocation in MB of one training."""
    tracemalloc.start()
    train_comparison(cfg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def sequential(cfg: Config) -> float:
    """The same runs trained one after another (one init x one seed per call, one thread)."""
    t0 = time.perf_counter()
    for spec in cfg.inits:
        for _seed in range(cfg.seeds):
            # One run alone. It trains seed 0 each time: a run's cost does not depend on
            # its seed, and seeds 0..K-1 cannot be chosen one by one from a config.
            single = cfg.replace(inits=[spec.to_dict()], seeds=1)
            train_comparison(single, workers=1)
    return time.perf_counter() - t0


def torch_time(cfg_dict: dict) -> float | None:
    """The standard comparison's training written in PyTorch (CPU, float64, 2 threads)."""
    try:
        import torch
    except ImportError:
        return None
    from sim.datasets import make_dataset

    torch.set_num_threads(2)
    data = make_dataset(cfg_dict["dataset"], cfg_dict["n_samples"], None, 0.0, 0)
    X = torch.tensor(data.X_train, dtype=torch.float64)
    y = torch.tensor(data.y_train, dtype=torch.float64)[:, None]
    t0 = time.perf_counter()
    for init in ("zeros", "xavier_uniform"):
        for seed in range(cfg_dict["seeds"]):
            torch.manual_seed(seed)
            sizes = [2, *cfg_dict["hidden"], 1]
            layers = []
            for i in range(1, len(sizes)):
                lin = torch.nn.Linear(sizes[i - 1], sizes[i]).double()
                torch.nn.init.zeros_(lin.bias)
                if init == "zeros":
                    torch.nn.init.zeros_(lin.weight)
                else:
                    torch.nn.init.xavier_uniform_(lin.weight)
                layers.append(lin)
                if i < len(sizes) - 1:
                    layers.append(torch.nn.Tanh())
            net = torch.nn.Sequential(*layers)
            opt = torch.optim.SGD(net.parameters(), lr=cfg_dict["lr"])
            lossf = torch.nn.BCEWithLogitsLoss()
            for _ in range(cfg_dict["epochs"]):
                opt.zero_grad()
                loss = lossf(net(X), y)
                loss.backward()
                opt.step()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small comparison only")
    ap.add_argument("--no-torch", action="store_true",
                    help="skip the PyTorch comparison (by default it runs if torch is installed)")
    args = ap.parse_args()

    small = Config.from_dict(SMALL)
    train_comparison(small)  # warm up imports and caches
    t_small, _ = timed(small, repeat=5)
    print(f"small comparison   [8, 8] x 2 runs x 500 epochs:   {t_small:.3f} s "
          f"(target < 0.3 s)")
    if args.quick:
        return
    std = Config.from_dict(STANDARD)
    t_std, res = timed(std)
    print(f"standard comparison [64, 64] x 10 runs x 1000 epochs: {t_std:.2f} s "
          f"(stacked, 2 threads)")
    t_one, _ = timed(std, workers=1)
    print(f"  same, stacked, 1 thread:                          {t_one:.2f} s")
    t_seq = sequential(std)
    print(f"  same 10 runs one after another (1 thread each):    {t_seq:.2f} s")
    print(f"  peak memory (traced numpy allocations):            {peak_memory(std):.1f} MB")
    h = res.history
    zero, rand = res.run_indices(0), res.run_indices(1)
    print(f"  final train loss zeros {np.nanmean(h.train_loss[zero, -1]):.4f}, "
          f"xavier {np.nanmean(h.train_loss[rand, -1]):.4f}")
    if not args.no_torch:
        t_torch = torch_time(STANDARD)
        if t_torch is None:
            print("  PyTorch not installed: pip install torch to compare")
        else:
            print(f"  PyTorch (CPU, float64, 2 threads), same training:  {t_torch:.2f} s; "
                  f"ratio numpy / torch = {t_std / t_torch:.2f}")


if __name__ == "__main__":
    main()
