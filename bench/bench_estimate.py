"""Time-estimate benchmark: estimated against measured training time over a grid of shapes.

Run from the project root::

    python bench/bench_estimate.py             # the whole grid (about 3 minutes)
    python bench/bench_estimate.py --quick     # a dozen points, shorter trainings (20 s)
    python bench/bench_estimate.py --repeat 3  # keep the fastest of 3 trainings per point
    python bench/bench_estimate.py --only 2048 # the points whose summary contains "2048"
    python bench/bench_estimate.py --parts     # and the estimate's parts, in seconds
    python bench/bench_estimate.py --smoke     # seconds: every part at the smallest size,
                                               # as the test suite runs it

Each point trains ``sim.train.train_comparison(cfg)`` (data, initialization, epochs,
snapshots and metrics: what ``sim.config.estimate_cost`` estimates) and prints the estimate,
the measured wall time and their ratio, which should lie in 0.5-2 (about 1-1.5: the estimate
is slightly pessimistic). The grid covers narrow and 2048-wide layers, 1 to 64 layers, 1 to
100,000 epochs, 4 to 100,000 samples, float32 and float64, several runs, mini-batches,
dropout, the optimizers and the activations. Points the configuration refuses are trained
anyway (limits lifted) and marked. The machine's other work slows the measurements: the
load average is printed with each row; compare ratios within one run. It asserts nothing.

``--smoke`` takes every point (with ``--quick``, the quick ones; ``--only`` matches the full
size) down to :func:`smallest`'s sizes and prints the parts as ``--parts`` does. A point the
limits refuse is read with them lifted, as in a full run, then trained small like the others
(marked ``refused at full size``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import config as sim_config  # noqa: E402
from sim import cost as sim_cost  # noqa: E402
from sim.config import Config, ConfigError, estimate_cost  # noqa: E402
from sim.fields import layers_text  # noqa: E402
from sim.train import train_comparison  # noqa: E402

#: The standard comparison of bench/bench_engine.py.
STANDARD = {"dataset": "moons", "n_samples": 512, "test_fraction": 0.0, "hidden": [64, 64],
            "activation": "tanh", "loss": "bce",
            "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}], "seeds": 5,
            "optimizer": "sgd", "lr": 0.5, "epochs": 1000, "dtype": "float64"}
EIGHT_INITS = [{"scheme": s} for s in ("zeros", "xavier_uniform", "xavier_normal", "he_normal",
                                       "he_uniform", "lecun_normal", "uniform", "normal")]

#: ``(settings, quick epochs)``: the grid; a quick epoch count puts the point in ``--quick``.
GRID: list[tuple[dict, int | None]] = [
    # narrow, tiny and deep
    ({}, 500),
    ({"hidden": [8], "epochs": 100_000}, 10_000),
    ({"hidden": [8, 8], "n_samples": 4, "epochs": 20_000}, None),
    ({"hidden": [8, 8], "epochs": 1}, None),
    ({"hidden": [8] * 64, "epochs": 1000}, 200),
    ({"hidden": [32] * 30, "n_samples": 128, "activation": "relu", "lr": 0.01,
      "inits": [{"scheme": "xavier_normal"}, {"scheme": "he_normal"}], "epochs": 150}, None),
    ({"hidden": [64] * 10, "n_samples": 128, "epochs": 200}, None),
    (STANDARD, 300),
    ({"hidden": [8, 8], "n_samples": 100_000, "epochs": 50}, None),
    ({"hidden": [332], "n_samples": 100_000, "epochs": 3}, 1),
    ({"hidden": [64] * 4, "n_samples": 20_000, "epochs": 30}, None),
    ({"hidden": [256] * 8, "n_samples": 2000, "epochs": 20}, None),
    # wide
    ({"hidden": [2048], "epochs": 300}, None),
    ({"hidden": [2048] * 5, "epochs": 8}, 2),
    ({"hidden": [2048] * 5, "epochs": 15, "dtype": "float32"}, None),
    ({"hidden": [2048] * 5, "n_samples": 16, "epochs": 60}, None),
    ({"hidden": [2048, 2048], "n_samples": 4096, "epochs": 1}, None),
    ({"hidden": [515] * 64, "epochs": 1}, None),
    ({"hidden": [1024] * 8, "n_samples": 512, "epochs": 15, "dtype": "float32"}, None),
    ({"hidden": [2048] * 3, "inits": [{"scheme": "orthogonal"}, {"scheme": "truncated_normal"}],
      "epochs": 3}, None),
    ({"hidden": [512, 512], "n_samples": 1024, "epochs": 100, "snapshots": 101}, 20),
    # runs
    ({"hidden": [64, 64], "seeds": 20, "epochs": 300}, None),
    ({"hidden": [8], "inits": EIGHT_INITS, "seeds": 8, "epochs": 5000}, 1000),
    ({"hidden": [128, 128], "n_samples": 1024, "epochs": 200,
      "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}, {"scheme": "he_normal"}]},
     None),
    # mini-batches and dropout
    ({"hidden": [64, 64], "n_samples": 1024, "batch_size": 32, "epochs": 50}, 10),
    ({"hidden": [8], "batch_size": 1, "epochs": 100}, None),
    ({"hidden": [512, 512], "n_samples": 4096, "batch_size": 64, "epochs": 5}, None),
    ({"hidden": [256] * 3, "n_samples": 128, "batch_size": 1, "epochs": 20}, None),
    ({"hidden": [16], "activation": "sigmoid", "dropout": 0.2, "optimizer": "adam",
      "lr": 0.05, "epochs": 1000}, None),
    ({"hidden": [256, 256], "n_samples": 1024, "dropout": 0.5, "epochs": 100}, 20),
    ({"hidden": [64, 64], "n_samples": 1024, "dropout": 0.2, "batch_size": 64, "seeds": 4,
      "epochs": 30}, None),
    # convolution layers (image data)
    ({"dataset": "bars", "n_samples": 512, "conv": "8x3", "pool": 2, "hidden": [16],
      "inits": [{"scheme": "zeros"}, {"scheme": "he_normal"}], "epochs": 300}, 50),
    ({"dataset": "bars", "conv": "8x3,4x5", "epochs": 50}, None),
    ({"dataset": "bars", "n_samples": 512, "conv": "8x3,16x3", "pool": 2, "hidden": [16],
      "activation": "relu", "epochs": 100}, None),
    ({"dataset": "bars", "n_samples": 512, "conv": "8x3", "hidden": [16], "batch_size": 64,
      "epochs": 100}, None),
    ({"dataset": "shapes", "n_samples": 1024, "image_size": 16, "conv": "16x5", "pool": 2,
      "hidden": [32], "activation": "relu", "epochs": 60}, None),
    # optimizers, activations, datasets, float32
    ({"hidden": [512, 512], "n_samples": 1024, "optimizer": "adam", "epochs": 50}, None),
    ({"hidden": [256] * 4, "n_samples": 4096, "activation": "gelu", "epochs": 20}, 5),
    ({"hidden": [256] * 4, "n_samples": 4096, "activation": "elu", "epochs": 20}, None),
    ({"hidden": [128, 128], "n_samples": 4096, "dataset": "blobs", "n_classes": 10,
      "epochs": 50}, None),
    ({"hidden": [1024, 1024], "n_samples": 4096, "dataset": "sine", "lr": 0.05, "epochs": 5},
     None),
    ({"hidden": [8, 8], "epochs": 50_000, "dtype": "float32"}, None),
    ({"hidden": [100], "n_samples": 512, "activation": "sigmoid", "dtype": "float32",
      "inits": [{"scheme": "zeros"}, {"scheme": "constant", "params": {"value": 0.05}}],
      "epochs": 1000}, None),
]


def lifted_config(settings: dict) -> tuple[Config, bool]:
    """The validated config (limits lifted) and whether the limits would refuse it."""
    try:
        return Config.from_dict(settings), False
    except ConfigError:
        pass
    saved = sim_config.MAX_BYTES, sim_config.MAX_SECONDS
    sim_config.MAX_BYTES = sim_config.MAX_SECONDS = math.inf
    try:
        return Config.from_dict(settings), True
    finally:
        sim_config.MAX_BYTES, sim_config.MAX_SECONDS = saved


def summary(cfg: Config) -> str:
    schemes = {s.scheme for s in cfg.inits} - {"zeros", "xavier_uniform"}
    parts = [layers_text(cfg.layer_sizes), f"n={cfg.n_samples}", f"E={cfg.epochs}",
             f"R={cfg.n_runs}" if cfg.n_runs != 2 else "",
             "f32" if cfg.dtype == "float32" else "",
             f"bs={cfg.batch_size}" if cfg.batch_size else "",
             f"drop={cfg.dropout:g}" if cfg.dropout else "",
             cfg.activation if cfg.activation != "tanh" else "",
             cfg.optimizer if cfg.optimizer != "sgd" else "",
             cfg.dataset if cfg.dataset != "moons" else "",
             f"S={cfg.snapshots}" if cfg.snapshots != Config().snapshots else "",
             "orthogonal" if "orthogonal" in schemes else ""]
    return " ".join(p for p in parts if p)


def smallest(cfg: Config) -> Config:
    """``cfg`` at the smallest sizes, for ``--smoke``: at most 32 samples, 8 units a layer,
    2 seeds and 2 epochs, batches of at most 8 (the same layers, runs' schemes and options)."""
    return cfg.replace(n_samples=min(cfg.n_samples, 32), hidden=[min(w, 8) for w in cfg.hidden],
                       seeds=min(cfg.seeds, 2), epochs=min(cfg.epochs, 2),
                       batch_size=min(cfg.batch_size, 8))


def measure(cfg: Config, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        train_comparison(cfg)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a dozen points, fewer epochs")
    ap.add_argument("--repeat", type=int, default=1, help="trainings per point (fastest kept)")
    ap.add_argument("--only", default="", help="only points whose summary contains this")
    ap.add_argument("--parts", action="store_true",
                    help="also print the estimate's parts (setup, arithmetic, python, snapshots)")
    ap.add_argument("--smoke", action="store_true",
                    help="every point at the smallest size, with its parts (as the test suite "
                         "runs it)")
    args = ap.parse_args()
    parts = args.parts or args.smoke
    train_comparison(Config.from_dict({"epochs": 10}))  # warm up imports and caches
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores; lower is better)")
    print(f"{'configuration':58s} {'est s':>7s} {'meas s':>7s} {'est/meas':>8s} {'load':>5s}")
    ratios = []
    t_start = time.perf_counter()
    for settings, quick_epochs in GRID:
        if args.quick:
            if quick_epochs is None:
                continue
            settings = {**settings, "epochs": quick_epochs}
        cfg, refused = lifted_config(settings)
        if args.only not in summary(cfg):
            continue
        if args.smoke:
            cfg = smallest(cfg)
        text = summary(cfg)
        est = estimate_cost(cfg)[0]
        meas = measure(cfg, args.repeat)
        ratios.append(est / meas)
        note = ""
        if refused:
            note = "  (refused at full size)" if args.smoke else "  (refused: over a limit)"
        print(f"{text[:58]:58s} {est:7.2f} {meas:7.2f} {est / meas:8.2f} "
              f"{os.getloadavg()[0]:5.2f}{note}", flush=True)
        if parts:
            print("    " + ", ".join(f"{k} {v:.3g}" for k, v in
                                     sim_cost._seconds_parts(cfg).items()))
    if ratios:
        print(f"\n{len(ratios)} points in {time.perf_counter() - t_start:.0f} s; est/meas "
              f"min {min(ratios):.2f}, median {sorted(ratios)[len(ratios) // 2]:.2f}, "
              f"max {max(ratios):.2f}; load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
