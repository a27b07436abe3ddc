"""Running a sweep: batches of cells on an executor, rows written as each batch finishes.

Executors
---------
``serial``
    In this process, one batch after the other (the dashboard's small maps).
``local`` (the command line's default)
    Worker processes on this machine (:class:`concurrent.futures.ProcessPoolExecutor`), one per
    core by default, each training with one BLAS thread.
``dask``
    A Dask distributed cluster: the one at ``scheduler`` (``tcp://HOST:8786``, started with
    ``dask scheduler`` and ``dask worker``), or a :class:`distributed.LocalCluster` of
    ``workers`` single-threaded processes started on this machine. The code of :mod:`sim` is
    uploaded to a remote cluster's workers, so they run this version of it.

Every run's randomness comes from its own seed, and a batch gives each cell the numbers it
would get alone, so the rows are the same whichever executor (and however many workers) ran
them: bit for bit, except the ``seconds`` column.

Results that survive
--------------------
``DIR/sweep.json`` is written first; each batch's rows are appended to ``DIR/results.csv``
and flushed to disk as soon as the batch finishes, so an interrupted sweep keeps every finished
cell. Run again with the same sweep, it skips the finished cells (a cell's rows are written
together; a line cut off by a crash is dropped) and, once every cell is done, rewrites the
file in cell order, so that the finished file does not depend on the order the batches
finished in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import Config, ConfigError
from sim.sweep.grid import Batch, Cell, Sweep, SweepError, Target, batches, load_sweep
from sim.sweep.results import RUN_COLUMNS, Row, in_grid_order, read_results, to_csv

EXECUTORS = ("serial", "local", "dask")

ProgressFn = Callable[[int, int], None]


# ---------------------------------------------------------------------- one batch
def batch_task(batch: Batch, sweep: Sweep) -> dict:
    """What a worker needs to train one batch: plain data (JSON-able), so that any executor
    can ship it."""
    return {"config": batch.config.to_dict(), "target": sweep.target.text,
            "cells": [{"cell": c.index, "values": c.values, "inits": [s.label for s in
                                                                     c.config.inits]}
                      for c in batch.cells]}


def train_batch(task: dict, workers: int | None = 1) -> list[Row]:
    """Train one batch (see :func:`batch_task`) and return its rows, in cell order, each cell's
    runs in the comparison's order (init, then seed)."""
    from sim.train import train_comparison

    cfg = Config.from_dict(task["config"])
    result = train_comparison(cfg, workers=workers)
    return rows_of(result, task["cells"], Target(task["target"]))


def rows_of(result, cells: Sequence[dict], target: Target) -> list[Row]:
    """The rows of a batch's :class:`~sim.train.Result` (see :mod:`sim.sweep.results`)."""
    from sim.explain.reading import network_outputs

    h = result.history
    owner: list[tuple[dict, str]] = [(c, label) for c in cells for label in c["inits"]]
    widths = result.config.hidden
    share = result.seconds / max(1, len(result.runs))
    X = result.data.X_train
    rows = []
    for r, (i, seed) in enumerate(result.runs):
        cell, label = owner[i]
        diverged = int(h.diverged_at[r])
        initial = _number(h.train_loss[r, 0])
        row: Row = {"cell": cell["cell"], **cell["values"], "init": label, "seed": seed,
                    "initial_loss": initial}
        finals = {"train_loss": h.train_loss, "test_loss": h.test_loss,
                  "train_accuracy": h.train_accuracy, "test_accuracy": h.test_accuracy}
        for name, curve in finals.items():
            row[name] = None if curve is None or diverged >= 0 else _number(curve[r, -1])
        if result.data.n_test == 0:
            row["test_loss"] = row["test_accuracy"] = None
        m = h.metrics
        row["distinct_first"] = _int(m["distinct_neurons"][r, -1, 0])
        row["distinct_last"] = _int(m["distinct_neurons"][r, -1, -1])
        row["width_first"], row["width_last"] = int(widths[0]), int(widths[-1])
        row["rank_first"] = _number(m["effective_rank"][r, -1, 0])
        row["rank_last"] = _number(m["effective_rank"][r, -1, -1])
        row["diverged_at"] = None if diverged < 0 else diverged
        reached = None
        if initial is not None:
            hits = np.flatnonzero(h.train_loss[r] <= target.threshold(initial))
            reached = int(hits[0]) if hits.size else None
        row["epochs_to_target"] = reached
        out = network_outputs(result, r, 0, X)[-1]
        row["constant_at_init"] = int(bool(np.all(np.ptp(out, axis=0) == 0)))
        row["seconds"] = share
        rows.append(row)
    return rows


def _number(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _int(x: Any) -> int | None:
    return None if np.isnan(x) else int(x)


# ---------------------------------------------------------------------- executors
def _ignore_sigint() -> None:
    """In the workers: Ctrl-C is the parent's to handle.

    A worker starts with SIGINT blocked (see :func:`_spawning`), so a Ctrl-C that reaches it
    while Python is still starting stays pending instead of printing a KeyboardInterrupt
    traceback from ``spawn_main``; ignoring the signal discards it, then it is unblocked.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _spawning(submit: Callable) -> Callable:
    """``submit`` with SIGINT blocked in this thread while it runs: the pool starts its worker
    processes inside ``submit``, and they inherit the blocked mask. The parent still gets its
    own Ctrl-C: another of its threads takes it then, or this one once the mask is restored."""
    def guarded(task):
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return submit(task)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return guarded


@contextlib.contextmanager
def _executor(kind: str, workers: int, scheduler: str | None) -> Iterator[Callable]:
    """A ``submit(task) -> future-like`` for the executor, and its shutdown afterwards."""
    if kind == "local":
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_ignore_sigint)
        try:
            yield _spawning(lambda task: pool.submit(train_batch, task))
        except BaseException:
            for p in list(getattr(pool, "_processes", {}).values()):
                p.terminate()  # a Ctrl-C must not wait for the running batches
            # wait=True: the pool's manager thread ends here, with the workers gone, rather
            # than at interpreter exit, where it wrote "OSError: Bad file descriptor" after
            # the one-line message
            with contextlib.suppress(Exception):
                pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    elif kind == "dask":
        client, cluster = _dask_client(workers, scheduler)
        try:
            yield lambda task: client.submit(train_batch, task, pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        raise SweepError(f"Unknown executor {kind!r}: use one of {', '.join(EXECUTORS)}.")


def _dask_client(workers: int, scheduler: str | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - distributed is in requirements.txt
        raise SweepError("--executor dask needs Dask distributed: pip install "
                         "'dask[distributed]'.") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                             f"({exc}). Start one with `dask scheduler` and workers with "
                             f"`dask worker {scheduler}`.") from None
        _upload_code(client)
        return client, None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def _upload_code(client) -> None:
    """Ship this :mod:`sim` to a remote cluster's workers (as a zip on their path)."""
    import tempfile
    import zipfile

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "initlab_sim.zip"
        with zipfile.ZipFile(path, "w") as z:
            for f in sorted(root.rglob("*.py")):
                z.write(f, f.relative_to(root.parent).as_posix())
        client.upload_file(str(path))


# ---------------------------------------------------------------------- the sweep
def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class SweepFolder:
    """``DIR/sweep.json`` and ``DIR/results.csv`` of one sweep: checks that DIR holds this
    sweep (or nothing), reads the finished cells and appends new rows durably."""

    def __init__(self, path: str | os.PathLike, sweep: Sweep) -> None:
        self.path = Path(path)
        self.sweep = sweep
        self.json_path = self.path / "sweep.json"
        self.csv_path = self.path / "results.csv"

    def peek(self) -> list[Row]:
        """The finished cells' rows DIR holds (none for a new folder), without writing;
        :class:`SweepError` if DIR holds another sweep or a file that is not its results. A
        cell whose rows are not all there (one per run of its configuration) is not
        finished."""
        if self.json_path.exists():
            try:
                same = load_sweep(self.json_path).to_json() == self.sweep.to_json()
            except ConfigError:  # SweepError included: unreadable is not this sweep
                same = False
            if not same:
                raise SweepError(f"{self.path} holds another sweep (its sweep.json differs): "
                                 "use another --out folder, or remove that folder's sweep.json "
                                 "and results.csv to start again.")
        elif self.csv_path.exists():
            raise SweepError(f"{self.path} holds a results.csv without its sweep.json: use "
                             "another --out folder.")
        if not self.csv_path.exists():
            return []
        try:
            rows = read_results(self.csv_path, partial_last_line=True)
        except ValueError as exc:
            raise SweepError(f"{self.csv_path}: {exc}") from None
        if rows and [f for f in rows[0] if f not in RUN_COLUMNS and f != "cell"] \
                != self.sweep.fields:
            raise SweepError(f"{self.csv_path} has other columns than this sweep's.")
        n_rows = {c.index: len(c.config.runs()) for c in self.sweep.cells()}
        counts: dict[int, int] = {}
        for row in rows:
            counts[row["cell"]] = counts.get(row["cell"], 0) + 1
        return [row for row in rows if n_rows.get(row["cell"]) == counts[row["cell"]]]

    def open(self) -> list[Row]:
        """Create DIR if needed, write sweep.json, keep only the finished cells' rows in
        results.csv (see :meth:`peek`) and return them."""
        rows = self.peek()
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.json_path.exists():
            _write_atomic(self.json_path, self.sweep.to_json())
        _write_atomic(self.csv_path, to_csv(rows, self.sweep.fields))
        return rows

    def append(self, rows: Sequence[Row]) -> None:
        with open(self.csv_path, "a", encoding="utf-8", newline="") as f:
            f.write(to_csv(rows, self.sweep.fields, header=False))
            f.flush()
            os.fsync(f.fileno())

    def finish(self, rows: Sequence[Row]) -> None:
        """Rewrite results.csv in cell order (every cell done)."""
        _write_atomic(self.csv_path, to_csv(in_grid_order(rows), self.sweep.fields))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def plan(sweep: Sweep, done: set[int] | None = None, stack: bool = True
         ) -> tuple[list[Cell], list[Batch]]:
    """Every cell (validated) and the batches of those not in ``done``."""
    cells = sweep.cells()
    todo = [c for c in cells if c.index not in (done or set())]
    return cells, batches(todo, stack)


def run_sweep(sweep: Sweep, out: str | os.PathLike | None = None, executor: str = "serial",
              workers: int | None = None, scheduler: str | None = None,
              progress: ProgressFn | None = None, stack: bool = True) -> list[Row]:
    """Run every cell of ``sweep`` and return the rows (see :mod:`sim.sweep.results`).

    Parameters
    ----------
    sweep : Sweep
    out : path, optional
        Folder for ``sweep.json`` and ``results.csv``; the finished cells already there are
        skipped. None: nothing is written.
    executor : {"serial", "local", "dask"}
        Where the batches run (see the module's docstring). ``scheduler`` implies dask.
    workers : int, optional
        Processes for ``local`` and a dask LocalCluster (default: one per core); for
        ``serial``, the training's threads (default: :func:`sim.train.train_comparison`'s).
    scheduler : str, optional
        Address of a running Dask scheduler, ``tcp://HOST:8786``.
    progress : callable, optional
        ``progress(cells_done, cells_total)``, called once at the start and after each batch.
    stack : bool, default True
        Train cells that differ only in their initializations in one batch.

    Returns
    -------
    list of dict
        Every cell's rows, in cell order.
    """
    if scheduler:
        executor = "dask"
    if executor not in EXECUTORS:
        raise SweepError(f"Unknown executor {executor!r}: use one of {', '.join(EXECUTORS)}.")
    cells = sweep.cells()
    folder = SweepFolder(out, sweep) if out is not None else None
    rows = folder.open() if folder is not None else []
    done = {row["cell"] for row in rows}
    todo = batches([c for c in cells if c.index not in done], stack)
    n_done = len(done)
    if progress is not None:
        progress(n_done, len(cells))

    def finished(batch_rows: list[Row], n_cells: int) -> None:
        nonlocal n_done
        if folder is not None:
            folder.append(batch_rows)
        rows.extend(batch_rows)
        n_done += n_cells
        if progress is not None:
            progress(n_done, len(cells))

    tasks = [batch_task(b, sweep) for b in todo]
    if executor == "serial" or not tasks:
        for task in tasks:
            finished(train_batch(task, workers=workers), len(task["cells"]))
    else:
        workers = workers or default_workers()
        with _executor(executor, workers, scheduler) as submit:
            pending = {submit(t): len(t["cells"]) for t in tasks}
            while pending:  # polling: Ctrl-C reaches this thread at once
                ready = [f for f in pending if f.done()]
                if not ready:
                    time.sleep(0.05)
                for f in ready:
                    finished(f.result(), pending.pop(f))
    rows = in_grid_order(rows)
    if folder is not None:
        folder.finish(rows)
    return rows


def estimate(sweep: Sweep, done: set[int] | None = None, workers: int = 1,
             stack: bool = True) -> tuple[float, int, int]:
    """``(seconds, cells, batches)`` still to run: the batches' estimated training times
    (:func:`sim.config.estimate_cost`) spread over ``workers``."""
    _, todo = plan(sweep, done, stack)
    seconds = [b.seconds for b in todo]
    spread = max(sum(seconds) / max(1, workers), max(seconds, default=0.0))
    return spread, sum(len(b.cells) for b in todo), len(todo)


__all__ = ["EXECUTORS", "SweepFolder", "estimate", "plan", "rows_of", "run_sweep",
           "train_batch"]
