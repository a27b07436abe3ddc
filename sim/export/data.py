"""The data files of a result: ``metrics.csv``, ``weights.npz`` and ``config.json``.

``metrics.csv`` has the columns ``run,init,seed,epoch,layer,metric,value``: ``run`` is the
index of the run (0-based, the order of the history's first axis), ``init`` the
initialization's label (``Result.labels``, from :attr:`sim.config.InitSpec.label`), ``layer``
the layer number from 1 over the conv layers first, then the dense hidden layers (without
conv layers: the hidden layer number; with C conv layers, dense hidden layer 1 is layer C+1;
for ``grad_norm`` the weight layer, numbered the same way, where the last one is the output
layer), empty for whole-network metrics. Metrics: ``train_loss``, ``test_loss``,
``train_accuracy``, ``test_accuracy`` (classification only), ``grad_norm`` and, at the
snapshot epochs, ``dead_units``, ``distinct_neurons``, ``rank``, ``effective_rank`` and
``symmetry_gap``; a conv layer's rows have the same names, counting filters (distinct
filters, dead filters, the rank of the feature-map matrix). Values after a run diverged are
omitted.

``weights.npz`` holds ``snapshot_epochs`` (S,), then for a network with conv layers
``conv_W1 .. conv_WC`` of shape (R, S, F, C_in, K, K) (PyTorch's filter layout:
:mod:`sim.conv`) and ``conv_b1 .. conv_bC`` of shape (R, S, F), then the dense layers
``W1 .. WL`` of shape (R, S, n_l, n_{l-1}) (rows are units, columns inputs; ``W1``'s inputs
are the flattened output of the last conv layer, if any) and ``b1 .. bL`` of shape
(R, S, n_l), then ``run_init`` (R,), ``run_seed`` (R,), ``init_labels`` and
``diverged_at`` (R,). ``W1`` is always the first dense layer, as in
:attr:`sim.train.History.weights`; in ``metrics.csv`` its ``grad_norm`` is layer C+1.

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

#: ``weights.npz`` is a standard ``.npz`` whose arrays are stored, not deflated: compression
#: does not pay for itself on trained weights, whose float64 mantissas are noise. For the
#: standard comparison of ``bench/bench_engine.py`` (53 MB of snapshots; measured by
#: ``python bench/bench_files.py``) ``np.savez`` takes 0.06 s, deflate at level 1 0.74 s for
#: 26 MB (0.65 s of it on the randomly initialized runs, which shrink by 4 %): worth it only
#: on a disk slower than 40 MB/s. The ZIP of :mod:`sim.export.bundle` deflates the npz inside
#: it when it is not compressed already, so changing this one flag changes both.
NPZ_COMPRESSED = False


def metrics_rows(result: Result) -> Iterator[tuple]:
    """Rows ``(run, init, seed, epoch, layer, metric, value)`` of every recorded number."""
    # Whole arrays are converted with ``tolist()`` (Python ints and floats, the numbers
    # ``float(x)`` gives) rather than one numpy scalar at a time: 5 times faster, and the
    # CSV of the standard comparison is written in 0.08 s instead of 0.12 s.
    h = result.history
    curves = {"train_loss": h.train_loss, "test_loss": h.test_loss,
              "train_accuracy": h.train_accuracy, "test_accuracy": h.test_accuracy}
    n_test = result.data.n_test
    snaps = h.snapshot_epochs.tolist()
    for r, (i, seed) in enumerate(result.runs):
        label = result.labels[i]
        for name, arr in curves.items():
            if arr is None or (name.startswith("test") and n_test == 0):
                continue
            epochs = np.flatnonzero(np.isfinite(arr[r]))
            for e, v in zip(epochs.tolist(), arr[r, epochs].tolist(), strict=True):
                yield (r, label, seed, e, "", name, v)
        g = h.grad_norm[r] if h.conv_grad_norm is None else \
            np.concatenate([h.conv_grad_norm[r], h.grad_norm[r]], axis=-1)
        es, layers = np.nonzero(np.isfinite(g))
        for e, layer, v in zip((es + 1).tolist(), (layers + 1).tolist(), g[es, layers].tolist(),
                               strict=True):
            yield (r, label, seed, e, layer, "grad_norm", v)
        # (snapshot, metric, layer) in that order, as the loops over them would give.
        # Conv layers first, then the dense hidden layers: one layer axis numbered from 1.
        m = np.stack([_layer_metric(h, name, r) for name in METRIC_NAMES], axis=1)
        ks, ns, layers = np.nonzero(np.isfinite(m))
        for k, n, layer, v in zip(ks.tolist(), ns.tolist(), (layers + 1).tolist(),
                                  m[ks, ns, layers].tolist(), strict=True):
            yield (r, label, seed, snaps[k], layer, METRIC_NAMES[n], int(v) if v.is_integer()
                   else v)


def _layer_metric(h, name: str, r: int) -> np.ndarray:
    """Metric ``name`` of run ``r`` as (snapshots, layers): conv layers, then dense."""
    if h.conv_metrics is None:
        return h.metrics[name][r]
    return np.concatenate([h.conv_metrics[name][r], h.metrics[name][r]], axis=-1)


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
    for l, (w, b) in enumerate(zip(h.conv_weights, h.conv_biases, strict=True), start=1):
        arrays[f"conv_W{l}"] = w
        arrays[f"conv_b{l}"] = b
    for l, (w, b) in enumerate(zip(h.weights, h.biases, strict=True), start=1):
        arrays[f"W{l}"] = w
        arrays[f"b{l}"] = b
    arrays["run_init"] = np.array([i for i, _ in result.runs])
    arrays["run_seed"] = np.array([s for _, s in result.runs])
    arrays["init_labels"] = np.array(result.labels)
    arrays["diverged_at"] = h.diverged_at
    return arrays


def weights_npz(result: Result) -> bytes:
    """The weight and bias snapshots as a ``.npz`` file's bytes (stored as they are unless
    :data:`NPZ_COMPRESSED` is True)."""
    buf = io.BytesIO()
    _save_npz(buf, result)
    return buf.getvalue()


def _save_npz(file: str | Path | io.BytesIO, result: Result) -> None:
    save = np.savez_compressed if NPZ_COMPRESSED else np.savez
    save(file, **weight_arrays(result))


def write_run_files(result: Result, out_dir: str | Path) -> list[Path]:
    """Write ``config.json``, ``metrics.csv`` and ``weights.npz`` into ``out_dir``.

    The files are written in place; ``python -m sim run --out`` writes them into a temporary
    folder and swaps them in complete (:mod:`sim.export.folder`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "config.json", out / "metrics.csv", out / "weights.npz"]
    paths[0].write_text(result.config.to_json() + "\n")
    paths[1].write_text(metrics_csv(result))
    _save_npz(paths[2], result)  # straight into the file: no 53 MB copy in memory
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
