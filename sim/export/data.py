"""The data files of a result: ``metrics.csv``, ``weights.npz`` and ``config.json``.

``metrics.csv`` has the columns ``run,init,seed,epoch,layer,metric,value``: ``run`` is the
index of the run (0-based, the order of the history's first axis), ``init`` the
initialization's label (``Result.labels``, from :attr:`sim.config.InitSpec.label`), ``layer``
the hidden layer number from 1 (for ``grad_norm`` the weight layer, where the last one is the
output layer), empty for whole-network metrics. Metrics: ``train_loss``, ``test_loss``,
``train_accuracy``, ``test_accuracy`` (classification only), ``grad_norm`` and, at the
snapshot epochs, ``dead_units``, ``distinct_neurons``, ``rank``, ``effective_rank`` and
``symmetry_gap``. Values after a run diverged are omitted.

``weights.npz`` holds ``snapshot_epochs`` (S,), ``W1 .. WL`` of shape (R, S, n_l, n_{l-1})
(rows are units, columns inputs), ``b1 .. bL`` of shape (R, S, n_l), ``run_init`` (R,),
``run_seed`` (R,), ``init_labels`` and ``diverged_at`` (R,).

numpy only: no plotly, no browser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.metrics import METRIC_NAMES
from sim.train import Result

CSV_COLUMNS = ("run", "init", "seed", "epoch", "layer", "metric", "value")

#: ``weights.npz`` is written with ``np.savez_compressed``. For the standard comparison of
#: ``bench/bench_engine.py`` (53 MB of snapshots) that takes about 0.8 s for 25 MB, where
#: ``np.savez`` takes 0.05 s for 53 MB. The ZIP stores an npz as it is when it is compressed
#: already (see :mod:`sim.export.bundle`), so changing this one flag changes both.
NPZ_COMPRESSED = True


def metrics_rows(result: Result) -> Iterator[tuple]:
    """Rows ``(run, init, seed, epoch, layer, metric, value)`` of every recorded number."""
    h = result.history
    curves = {"train_loss": h.train_loss, "test_loss": h.test_loss,
              "train_accuracy": h.train_accuracy, "test_accuracy": h.test_accuracy}
    n_test = result.data.n_test
    for r, (i, seed) in enumerate(result.runs):
        label = result.labels[i]
        for name, arr in curves.items():
            if arr is None or (name.startswith("test") and n_test == 0):
                continue
            for e in np.flatnonzero(np.isfinite(arr[r])):
                yield (r, label, seed, int(e), "", name, float(arr[r, e]))
        g = h.grad_norm[r]
        for e, layer in zip(*np.nonzero(np.isfinite(g)), strict=True):
            yield (r, label, seed, int(e) + 1, int(layer) + 1, "grad_norm", float(g[e, layer]))
        for k, e in enumerate(h.snapshot_epochs):
            for name in METRIC_NAMES:
                vals = h.metrics[name][r, k]
                for layer in np.flatnonzero(np.isfinite(vals)):
                    yield (r, label, seed, int(e), int(layer) + 1, name, _num(vals[layer]))


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def metrics_csv(result: Result) -> str:
    """The long-form metrics table as CSV text (see the module docstring)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(metrics_rows(result))
    return buf.getvalue()


def weight_arrays(result: Result) -> dict[str, np.ndarray]:
    """The arrays of ``weights.npz`` by name, in file order (see the module docstring)."""
    h = result.history
    arrays = {"snapshot_epochs": h.snapshot_epochs}
    for l, (w, b) in enumerate(zip(h.weights, h.biases, strict=True), start=1):
        arrays[f"W{l}"] = w
        arrays[f"b{l}"] = b
    arrays["run_init"] = np.array([i for i, _ in result.runs])
    arrays["run_seed"] = np.array([s for _, s in result.runs])
    arrays["init_labels"] = np.array(result.labels)
    arrays["diverged_at"] = h.diverged_at
    return arrays


def weights_npz(result: Result) -> bytes:
    """The weight and bias snapshots as a ``.npz`` file's bytes (compressed unless
    :data:`NPZ_COMPRESSED` is False)."""
    buf = io.BytesIO()
    save = np.savez_compressed if NPZ_COMPRESSED else np.savez
    save(buf, **weight_arrays(result))
    return buf.getvalue()


def write_run_files(result: Result, out_dir: str | Path) -> list[Path]:
    """Write ``config.json``, ``metrics.csv`` and ``weights.npz`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "config.json", out / "metrics.csv", out / "weights.npz"]
    paths[0].write_text(result.config.to_json() + "\n")
    paths[1].write_text(metrics_csv(result))
    paths[2].write_bytes(weights_npz(result))
    return paths


__all__ = [
    "CSV_COLUMNS",
    "NPZ_COMPRESSED",
    "metrics_csv",
    "metrics_rows",
    "weight_arrays",
    "weights_npz",
    "write_run_files",
]
