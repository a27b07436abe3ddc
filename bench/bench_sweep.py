"""Sweep benchmark: cells per second serially, in local worker processes and on a Dask
LocalCluster, on this machine, in one run.

Run from the project root::

    python bench/bench_sweep.py            # 24 cells, about 30 s serially on one core
    python bench/bench_sweep.py --quick    # 8 cells
    python bench/bench_sweep.py --smoke    # seconds: every part at the smallest size,
                                           # as the test suite runs it

The sweep: two moons, 256 samples, tanh, lecun_normal, hidden [32] x depth, 300 full-batch SGD
epochs, 2 seeds, over depth x learning rate (every cell its own batch, so that the executors
share out the same units of work). ``serial`` trains the cells one after the other in this
process with one thread (``workers=1``); ``local`` uses one worker process per core
(:class:`concurrent.futures.ProcessPoolExecutor`), ``dask`` a 2-worker
:class:`distributed.LocalCluster` of single-threaded processes; both include starting their
processes. Target (issue 11): 1.7x serial or better on 2 cores. The rows are checked equal
(every column but ``seconds``) across the three.

``--smoke`` runs 2 cells (depth 1, two learning rates) of 64 samples and 5 epochs through the
same three executors, the local workers and the Dask LocalCluster started as above.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sim.config import Config  # noqa: E402
from sim.sweep import Sweep, parse_axis, run_sweep  # noqa: E402

BASE = {"dataset": "moons", "n_samples": 256, "activation": "tanh",
        "inits": [{"scheme": "lecun_normal"}], "hidden": [32], "optimizer": "sgd",
        "epochs": 300, "seeds": 2, "snapshots": 2}
#: What ``--smoke`` changes in :data:`BASE`: a few samples and epochs.
SMOKE_SIZES = {"n_samples": 64, "epochs": 5}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="8 cells instead of 24")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--smoke", action="store_true",
                   help="2 small cells, every executor (as the test suite runs it)")
    args = p.parse_args()
    depths = "1,2,4,8" if not args.quick else "2,4"
    lrs = "0.05,0.1,0.2,0.3,0.4,0.5" if not args.quick else "0.1,0.2,0.3,0.4"
    base = BASE
    if args.smoke:
        depths, lrs, base = "1", "0.1,0.2", {**BASE, **SMOKE_SIZES}
    sweep = Sweep(Config.from_dict(base), (parse_axis(f"depth={depths}"),
                                          parse_axis(f"lr={lrs}")))
    n = sweep.n_cells
    print(f"{n} cells ({os.cpu_count()} cores), {args.workers} workers for local and dask")
    times, rows = {}, {}
    for executor in ("serial", "local", "dask"):
        t0 = time.perf_counter()
        out = run_sweep(sweep, executor=executor, workers=1 if executor == "serial"
                        else args.workers)
        times[executor] = time.perf_counter() - t0
        rows[executor] = [{k: v for k, v in r.items() if k != "seconds"} for r in out]
        speedup = times["serial"] / times[executor]
        print(f"  {executor:7s} {times[executor]:7.2f} s  {n / times[executor]:6.2f} cells/s"
              f"  {speedup:5.2f}x serial")
    same = rows["serial"] == rows["local"] == rows["dask"]
    print(f"rows identical across executors: {same}")
    worst = min(times["serial"] / times[e] for e in ("local", "dask"))
    print(f"target: local and dask at least 1.7x serial on 2 cores: "
          f"{'met' if worst >= 1.7 else 'missed'} ({worst:.2f}x)")


if __name__ == "__main__":
    main()
