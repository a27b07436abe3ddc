"""Memory benchmark: peak resident memory of ``python -m sim run --out`` against the estimate.

Run from the project root::

    python bench/bench_memory.py           # every case (about 5 minutes)
    python bench/bench_memory.py --quick   # the two reported cases and two at the limit (1 min)
    python bench/bench_memory.py --smoke   # seconds: every part at the smallest size,
                                           # as the test suite runs it

Each case runs the whole command line in a subprocess (training, summary, ``metrics.csv`` and
``weights.npz`` written into a temporary folder) and reads its peak resident set size from
``os.wait4`` (the child's own ``ru_maxrss``): the interpreter, numpy and the imports count,
as they do for a user. The estimate is ``sim.config.estimate_cost(cfg)[1]``; it is meant to
be an upper bound of the measured peak (``est/meas`` at least 1), and a configuration just
under ``MAX_BYTES`` must measure under it.

Cases marked ``at limit`` are the largest of their family the configuration still accepts
(found by bisection on the estimate); cases the configuration refuses run with the limits
lifted (marked ``refused``) so that the estimate can be checked beyond the limit too. It
prints numbers; it asserts nothing.

``--smoke`` runs ``--quick``'s cases (found as above: the bisection, refused or not, the
limits lifted for a refused one) at :func:`smallest`'s sizes, each a subprocess as above. It
leaves out the other families: each would be one more subprocess of the same code.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import config as sim_config  # noqa: E402
from sim.config import MAX_BYTES, Config, ConfigError, estimate_cost  # noqa: E402
from sim.fields import layers_text  # noqa: E402

GiB = 1024**3

#: Runs the command line with the limits lifted (for cases the configuration refuses).
LIFTED = ("import sys, math; import sim.config as c; c.MAX_BYTES = c.MAX_SECONDS = math.inf; "
          "from sim.cli import main; sys.exit(main(sys.argv[1:]))")

SIXTY_FOUR_RUNS = [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}, {"scheme": "he_normal"},
                   {"scheme": "xavier_normal"}, {"scheme": "he_uniform"},
                   {"scheme": "normal", "params": {"std": 0.1}}, {"scheme": "uniform"},
                   {"scheme": "orthogonal"}]


def fixed(settings: dict) -> Callable[[int], dict]:
    return lambda _: settings


#: Families of configurations ``(name, make(k) -> settings, k range)``: the bench measures
#: the largest ``k`` the configuration accepts; a family with no range is one configuration.
FAMILIES: list[tuple[str, Callable[[int], dict], tuple[int, int] | None, bool]] = [
    ("reported: 64 layers of 515", fixed({"hidden": [515] * 64, "epochs": 1}), None, True),
    ("reported: 100,000 samples, 332 units",
     fixed({"hidden": [332], "n_samples": 100_000, "epochs": 1}), None, True),
    ("deep: 64 layers of k", lambda k: {"hidden": [k] * 64, "epochs": 1}, (8, 2048), True),
    ("samples: 100,000 x [k]", lambda k: {"hidden": [k], "n_samples": 100_000, "epochs": 1},
     (8, 2048), True),
    ("wide: k layers of 2048", lambda k: {"hidden": [2048] * k, "epochs": 1}, (1, 64), False),
    ("wide float32: k layers of 2048",
     lambda k: {"hidden": [2048] * k, "epochs": 1, "dtype": "float32"}, (1, 64), False),
    ("samples float32: 100,000 x [k]",
     lambda k: {"hidden": [k], "n_samples": 100_000, "epochs": 1, "dtype": "float32"},
     (8, 2048), False),
    ("deep samples: k samples x [256] x 8",
     lambda k: {"hidden": [256] * 8, "n_samples": k, "epochs": 1}, (256, 100_000), False),
    ("snapshots: [k, k] x 200 snapshots",
     lambda k: {"hidden": [k, k], "epochs": 199, "snapshots": 200, "n_samples": 64},
     (8, 2048), False),
    ("runs: 64 runs of [k, k], 4096 samples",
     lambda k: {"hidden": [k, k], "inits": SIXTY_FOUR_RUNS, "seeds": 8, "n_samples": 4096,
                "epochs": 1}, (8, 2048), False),
    ("history: 64 runs of [8], k epochs (CSV)",
     lambda k: {"hidden": [8], "inits": SIXTY_FOUR_RUNS, "seeds": 8, "epochs": k,
                "snapshots": 2}, (1, 100_000), False),
    ("mini-batch + dropout: 100,000 x [k] x 3, batch 1000",
     lambda k: {"hidden": [k] * 3, "n_samples": 100_000, "batch_size": 1000, "dropout": 0.2,
                "optimizer": "adam", "epochs": 1}, (8, 2048), False),
    ("sine (1 input): 100,000 x [k, 64]",
     lambda k: {"dataset": "sine", "hidden": [k, 64], "n_samples": 100_000, "epochs": 1},
     (8, 2048), False),
    ("blobs, 10 classes: 100,000 x [k]",
     lambda k: {"dataset": "blobs", "n_classes": 10, "hidden": [k], "n_samples": 100_000,
                "epochs": 1}, (8, 2048), False),
]


def lifted_config(settings: dict) -> Config:
    """The validated config with the limits lifted (so refused cases can be estimated)."""
    saved = sim_config.MAX_BYTES, sim_config.MAX_SECONDS
    sim_config.MAX_BYTES = sim_config.MAX_SECONDS = math.inf
    try:
        return Config.from_dict(settings)
    finally:
        sim_config.MAX_BYTES, sim_config.MAX_SECONDS = saved


def accepted(settings: dict) -> bool:
    try:
        Config.from_dict(settings)
    except ConfigError:
        return False
    return True


def largest_accepted(make: Callable[[int], dict], lo: int, hi: int) -> int | None:
    """The largest k in [lo, hi] whose configuration is accepted (acceptance falls with k)."""
    if not accepted(make(lo)):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if accepted(make(mid)):
            lo = mid
        else:
            hi = mid - 1
    return lo


def smallest(settings: dict) -> dict:
    """``settings`` at the smallest sizes, for ``--smoke``: at most 64 samples, 8 units a
    layer, 2 epochs and batches of at most 16 (the same layers, runs and options)."""
    cfg = lifted_config(settings)
    return {**settings, "hidden": [min(w, 8) for w in cfg.hidden],
            "n_samples": min(cfg.n_samples, 64), "epochs": min(cfg.epochs, 2),
            "batch_size": min(cfg.batch_size, 16)}


def peak_rss(settings: dict, lifted: bool) -> tuple[float, float, int]:
    """Peak RSS (bytes), wall time and exit code of ``python -m sim run --config --out``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(settings))
        args = ["run", "--config", str(path), "--out", str(Path(tmp) / "out")]
        cmd = ([sys.executable, "-c", LIFTED, *args] if lifted
               else [sys.executable, "-m", "sim", *args])
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode:
            print(f"    exit {proc.returncode}: {err.strip()[:200]}")
        return usage.ru_maxrss * 1024, time.perf_counter() - t0, proc.returncode


def summary(cfg: Config) -> str:
    runs = f"{cfg.n_runs} runs" if cfg.n_runs != 2 else ""
    parts = [cfg.dataset, layers_text(cfg.layer_sizes), f"{cfg.n_samples} samples",
             f"{cfg.epochs} ep", runs, cfg.dtype if cfg.dtype != "float64" else "",
             f"batch {cfg.batch_size}" if cfg.batch_size else "",
             f"dropout {cfg.dropout:g}" if cfg.dropout else "",
             f"{cfg.snapshots} snaps" if cfg.snapshots != Config().snapshots else ""]
    return ", ".join(p for p in parts if p)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="only the reported cases and the first two families at the limit")
    ap.add_argument("--smoke", action="store_true",
                    help="--quick's cases at the smallest size (as the test suite runs it)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; MAX_BYTES = {MAX_BYTES / GiB:g} GiB")
    base, _, _ = peak_rss({"hidden": [1], "n_samples": 4, "epochs": 1}, lifted=False)
    print(f"baseline (interpreter, numpy, imports, a 1-unit net): {base / 2**20:.0f} MiB\n")
    print(f"{'case':52s} {'config':58s} {'est GiB':>8s} {'meas GiB':>8s} {'est/meas':>8s}"
          f" {'s':>5s}  note")
    ratios = []
    for name, make, span, quick in FAMILIES:
        if (args.quick or args.smoke) and not quick:
            continue
        if span is None:
            settings, note = make(0), ""
        else:
            k = largest_accepted(make, *span)
            if k is None:
                print(f"{name:52s} nothing accepted")
                continue
            settings, note = make(k), f"at limit (k = {k})"
        refused = not accepted(settings)
        if refused:
            note = (note + " refused, run with limits lifted").strip()
        if args.smoke:  # the case as found, trained small (lifted still if it was refused)
            settings, note = smallest(settings), f"{note}, smoke size" if note else "smoke size"
        cfg = lifted_config(settings)
        est = estimate_cost(cfg)[1]
        rss, wall, code = peak_rss(settings, lifted=refused)
        ratios.append(est / rss)
        under = "" if refused or rss < MAX_BYTES else " OVER THE LIMIT"
        print(f"{name:52s} {summary(cfg)[:58]:58s} {est / GiB:8.2f} {rss / GiB:8.2f} "
              f"{est / rss:8.2f} {wall:5.0f}  {note}{under}", flush=True)
    if ratios:
        print(f"\nest/meas: min {min(ratios):.2f}, max {max(ratios):.2f}; "
              f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
