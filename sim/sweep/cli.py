"""``python -m sim sweep``: a grid over settings, on top of every ``run`` flag.

The base configuration comes from the ``run`` flags (a preset, ``--config FILE``, flags); a
sweep preset (``--preset edge_of_chaos``) or a sweep file (``--sweep FILE.json``, the format
of ``DIR/sweep.json``) also brings its grid and target, which ``--grid`` and ``--target``
replace. Every cell is checked like a single configuration before anything trains; the
whole sweep's estimate is printed first, and a sweep estimated over :data:`CONFIRM_SECONDS`
asks for ``--yes``. Ctrl-C keeps every finished cell; the same command goes on from there.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sim.sweep.execute import EXECUTORS, SweepFolder, default_workers, estimate, run_sweep
from sim.sweep.grid import Sweep, SweepError, Target, parse_axis
from sim.sweep.presets import SWEEP_PRESETS

#: A sweep estimated to take longer than this (seconds) runs only with ``--yes``.
CONFIRM_SECONDS = 15 * 60.0

GRID_HELP = """\
grid (--grid FIELD=VALUES, repeatable; one cell per combination):
  FIELD: a config field (lr, epochs, activation, n_samples, ...), depth and width
    (hidden = [width] x depth), init.scale, init.PARAM, init.bias, init.bias.PARAM (set on
    every --init), sigma_w2 (Var(W) = sigma_w2/fan_in for lecun_*/he_* inits) and sigma_b2
    (bias ~ N(0, sigma_b2)).
  VALUES: a list (2,5,10; use ; between values that hold commas: hidden=8,8;16,16),
    lin:START:STOP:N or geom:START:STOP:N.
examples:
  python -m sim sweep --dataset moons --activation tanh --init lecun_normal \\
      --grid init.scale=lin:0.5:2.5:9 --grid depth=2,5,10,20,40 --width 32 --seeds 3 \\
      --epochs 300 --out DIR
  python -m sim sweep --preset edge_of_chaos --out DIR --open
executors: local (default: one process per core), serial, dask (--scheduler tcp://HOST:8786
  for a running cluster, else a LocalCluster on this machine).
"""


def add_sweep_parser(sub) -> None:
    """The ``sweep`` subcommand: every ``run`` flag, plus the grid and where it runs."""
    from sim.cli import _add_config_flags
    from sim.presets import PRESETS

    sw = sub.add_parser(
        "sweep", help="train a grid of configurations and write results.csv",
        description="Train one comparison per cell of a grid over settings; write "
                    "DIR/sweep.json and DIR/results.csv (one row per cell, init and seed, "
                    "appended as cells finish; rerun to resume).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=GRID_HELP)
    _add_config_flags(sw, presets=[*SWEEP_PRESETS, *PRESETS])
    g = sw.add_argument_group("sweep")
    g.add_argument("--grid", action="append", metavar="FIELD=VALUES",
                   help="an axis of the grid (repeatable; see below)")
    g.add_argument("--width", metavar="N",
                   help="units of every hidden layer (hidden = [width] x depth)")
    g.add_argument("--depth", metavar="N", help="number of hidden layers (with --width)")
    g.add_argument("--sweep", metavar="FILE.json",
                   help="start from a sweep file (the format of DIR/sweep.json)")
    g.add_argument("--target", metavar="LOSS",
                   help="training loss for epochs_to_target: 1%% of the initial loss "
                        "(default) or an absolute loss such as 0.05")
    g.add_argument("--out", metavar="DIR", required=True,
                   help="folder for sweep.json and results.csv (resumed if it holds them)")
    g.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="where the cells run (default: %(default)s)")
    g.add_argument("--workers", metavar="N", type=int,
                   help="processes for local and a dask LocalCluster (default: one per core)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler, such as tcp://HOST:8786 (implies dask)")
    g.add_argument("--yes", "-y", action="store_true",
                   help=f"start a sweep estimated over {CONFIRM_SECONDS / 60:g} minutes")
    g.add_argument("--open", action="store_true",
                   help="open the results in the dashboard's Map tab when done")
    g.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar or other notes on stderr (errors still are)")


def sweep_from_args(args: argparse.Namespace) -> Sweep:
    """The sweep the flags describe (validated, cells not yet)."""
    from sim.cli import UsageError, config_from_args
    from sim.fields import FIELDS
    from sim.jsonio import load_json

    start: Sweep | None = None
    if args.sweep:
        start = Sweep.from_dict(load_json(args.sweep, what=f"--sweep {args.sweep}"),
                                where=f"--sweep {args.sweep}")
    elif args.preset in SWEEP_PRESETS:
        start = SWEEP_PRESETS[args.preset].sweep()
    base = start.base.to_dict() if start is not None else None
    if args.width is not None or args.depth is not None:
        hidden = list(start.base.hidden if start else FIELDS["hidden"].default)
        try:
            width = int(args.width) if args.width is not None else hidden[0]
            depth = int(args.depth) if args.depth is not None else len(hidden)
        except ValueError:
            raise UsageError("--width and --depth must be whole numbers.") from None
        if args.hidden is None:
            args.hidden = ",".join([str(width)] * depth)
    cfg = config_from_args(args, base=base)
    axes = tuple(parse_axis(t) for t in args.grid) if args.grid else (
        start.axes if start else ())
    target = Target.parse(args.target) if args.target is not None else (
        start.target if start else Target())
    return Sweep(cfg, axes, target, start.preset if start is not None else None)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def sweep_main(args: argparse.Namespace, status) -> int:
    """Run the sweep the flags describe; the exit code (0 done, 2 bad input, 130 Ctrl-C)."""
    from sim.cli import UsageError, _ignore_signals

    prog = "python -m sim sweep"
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1.")
    sweep = sweep_from_args(args)
    cells = sweep.cells()  # every cell checked before anything trains
    folder = SweepFolder(args.out, sweep)
    executor = "dask" if args.scheduler else args.executor
    # serial: the training's own threads (as `run`); otherwise processes of one thread each
    workers = args.workers if executor == "serial" else (args.workers or default_workers())
    try:
        done = {row["cell"] for row in folder.peek()}
    except OSError as exc:
        raise UsageError(f"--out {args.out}: {exc.strerror or exc}") from None
    seconds, n_todo, n_batches = estimate(sweep, done, 1 if executor == "serial" else workers)
    where = (f"on the Dask cluster at {args.scheduler}" if args.scheduler else
             "in this process" if executor == "serial" else
             f"in {workers} {executor} process{'es' if workers > 1 else ''}")
    if not args.quiet:
        resumed = f" ({len(done)} already in {args.out})" if done else ""
        print(f"{prog}: {len(cells)} cells{resumed}; {n_todo} to train in {n_batches} "
              f"batches {where}, about {_duration(seconds)} estimated", file=sys.stderr)
    if seconds > CONFIRM_SECONDS and not args.yes and n_todo:
        raise UsageError(f"this sweep would take about {_duration(seconds)}: add --yes to "
                         "start it, or use fewer cells, seeds or epochs (or a cluster: "
                         "--scheduler).")
    bar = _bar(args.quiet, len(cells), len(done))
    t0 = time.perf_counter()
    status.phase = "training"

    def progress(n_done: int, total: int) -> None:
        status.epoch = n_done
        if bar is not None:
            bar.update(n_done - bar.n)

    try:
        rows = run_sweep(sweep, out=args.out, executor=executor, workers=workers,
                         scheduler=args.scheduler, progress=progress)
    except KeyboardInterrupt as exc:
        if bar is not None:
            bar.close()
        with contextlib.suppress(Exception):
            _ignore_signals()
        kept = len({r["cell"] for r in folder.peek()})
        print(f"{prog}: interrupted; {Path(args.out) / 'results.csv'} holds {kept} of "
              f"{len(cells)} cells; run the same command again to go on", file=sys.stderr)
        return 128 + getattr(exc, "signum", signal.SIGINT)
    finally:
        if bar is not None:
            bar.close()
    n_cells = len({r["cell"] for r in rows})
    print(f"wrote {Path(args.out) / 'results.csv'} ({len(rows)} rows, {n_cells} cells) and "
          f"{Path(args.out) / 'sweep.json'} in {time.perf_counter() - t0:.1f} s")
    table = text_map(rows, sweep)
    if table:
        print("\n" + table)
    if args.open:
        return open_dashboard(args.out)
    return 0


def _bar(quiet: bool, total: int, initial: int):
    from sim.cli import show_progress

    if not show_progress(quiet, sys.stderr, float("inf")):
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="sweep", unit="cell", file=sys.stderr,
                dynamic_ncols=True, leave=False)


def text_map(rows: list[dict[str, Any]], sweep: Sweep) -> str:
    """The sweep's first two axes as a text table of the default metric (mean over seeds and
    initializations): the preset's, else test accuracy for classification, else the final
    training loss."""
    if not rows:
        return ""
    preset = SWEEP_PRESETS.get(sweep.preset or "")
    metric = preset.metric if preset is not None else (
        "test_accuracy" if rows[0].get("test_accuracy") is not None else "train_loss")
    fields = sweep.fields
    xf, yf = fields[0], (fields[1] if len(fields) > 1 else None)
    xs = list(sweep.axes[0].values)
    ys = list(sweep.axes[1].values) if yf else [None]
    acc: dict[tuple, list[float]] = {}
    for r in rows:
        key = (r[xf], r[yf] if yf else None)
        value = (r["diverged_at"] is not None) if metric == "diverged" else r.get(metric)
        if value is not None:
            acc.setdefault(key, []).append(float(value))
    from sim.sweep.results import METRICS

    name = {m: f"mean {label}" for m, label in METRICS.items()}
    head = [f"{name[metric]} ({yf or ''} down, {xf} across)" if yf else
            f"{name[metric]} by {xf}"]
    width = max(7, *(len(f"{x:g}" if isinstance(x, float) else str(x)) for x in xs))
    label = max(len(str(y)) for y in ys) if yf else 0
    percent = metric in ("test_accuracy", "train_accuracy", "diverged", "constant_at_init")
    fmt = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.3g}")
    lines = [" " * label + "  " + "  ".join(
        (f"{x:g}" if isinstance(x, float) else str(x)).rjust(width) for x in xs)]
    for y in ys:
        cells = []
        for x in xs:
            vals = acc.get((x, y))
            cells.append((fmt(sum(vals) / len(vals)) if vals else "-").rjust(width))
        lines.append((str(y) if yf else "").rjust(label) + "  " + "  ".join(cells))
    return "\n".join(head + lines)


def dashboard_command(out: str | os.PathLike) -> list[str]:
    """The command that opens the dashboard's Map tab on ``out``'s results."""
    script = Path(__file__).resolve().parents[2] / "dashboard.py"
    return [sys.executable, "-m", "streamlit", "run", str(script), "--", "--sweep",
            str(Path(out).resolve())]


def open_dashboard(out: str | os.PathLike) -> int:
    """Start the dashboard on ``out``'s results (until Ctrl-C)."""
    cmd = dashboard_command(out)
    print("opening the Map tab: " + " ".join(cmd), file=sys.stderr)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


__all__ = ["CONFIRM_SECONDS", "add_sweep_parser", "sweep_from_args", "sweep_main", "text_map",
           "SweepError"]
