"""Reading a trained comparison: the numbers the charts draw and the captions state.

Pure functions of a :class:`~sim.train.Result` (numpy only, no plotly, no Streamlit), shared
by :mod:`sim.charts` and :mod:`sim.explain.captions` so that a chart and its caption always
look at the same runs, snapshot and layers.
"""

from __future__ import annotations

import numpy as np

from sim.metrics import count_distinct
from sim.train import Result

#: At most this many layers in one chart or caption (first, last and evenly spaced between).
MAX_LAYERS = 5


def shown_layers(n_layers: int, limit: int = MAX_LAYERS) -> list[int]:
    """Indices (0-based) of the layers a chart shows: all, or first, last and evenly between."""
    if n_layers <= limit:
        return list(range(n_layers))
    return sorted({int(round(x)) for x in np.linspace(0, n_layers - 1, limit)})


def snapshot_index(result: Result, snapshot: int) -> int:
    """A stored snapshot's index from ``snapshot`` (negative counts from the end; beyond the
    last means the last)."""
    S = result.history.snapshot_epochs.size
    return snapshot % S if snapshot < 0 else min(snapshot, S - 1)


def final_metric(result: Result, init_index: int, name: str) -> np.ndarray:
    """Mean over seeds of a metric at the last snapshot, per hidden layer (NaN when every
    seed diverged)."""
    v = result.history.metrics[name][result.run_indices(init_index), -1, :]
    with np.errstate(all="ignore"):
        return np.nanmean(v, axis=0) if np.isfinite(v).any() else np.full(v.shape[1], np.nan)


def unit_params(result: Result, layer: int, run: int, k: int) -> np.ndarray:
    """``[W | b]`` of one layer at one snapshot, shape (units, inputs + 1): one row per
    unit, everything that makes it compute what it computes."""
    h = result.history
    return np.concatenate([h.weights[layer][run, k], h.biases[layer][run, k][:, None]],
                          axis=1).astype(np.float64)


def distinct_rows(W: np.ndarray) -> int:
    """Number of different rows (units) of a weight matrix, equal within the engine's
    tolerance (see :func:`sim.metrics.count_distinct`)."""
    W = np.asarray(W, dtype=np.float64)
    if not np.isfinite(W).all():
        return W.shape[0]
    if not np.any(W):
        return 1
    return count_distinct(W)
