"""Reading a trained comparison: the numbers the charts draw and the captions state.

Pure functions of a :class:`~sim.train.Result` (numpy only, no plotly, no Streamlit), shared
by :mod:`sim.charts` and :mod:`sim.explain.captions` so that a chart and its caption always
look at the same runs, snapshot and layers.
"""

from __future__ import annotations

import numpy as np

from sim.activations import get_activation
from sim.metrics import DISTINCT_RTOL, count_distinct, dead_units
from sim.network import matmul
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


def unit_groups(P: np.ndarray) -> np.ndarray:
    """Which rows (units) of ``[W | b]`` are the same unit: a group label per row.

    Rows are equal within the tolerance of :func:`distinct_rows` (the engine's
    :func:`sim.metrics.count_distinct`: every parameter within ``1e-6`` times the largest
    magnitude, groups = connected components), so the number of labels is always
    ``distinct_rows(P)``. Labels count from 0 in the order of each group's first row, so
    row 0 is in group 0.

    Parameters
    ----------
    P : ndarray of shape (n_units, n_params)

    Returns
    -------
    ndarray of int, shape (n_units,)
    """
    P = np.asarray(P, dtype=np.float64)
    n = P.shape[0]
    if n <= 1 or not np.isfinite(P).all():
        return np.arange(n)
    if not np.any(P):
        return np.zeros(n, dtype=int)
    if count_distinct(P) == n:  # the usual case after a random start: one fast test
        return np.arange(n)
    tol = DISTINCT_RTOL * float(np.abs(P).max())
    # n x n "equal" relation, one row at a time (n_units x n_params per step, never cubed)
    close = np.stack([np.abs(P - P[i]).max(axis=1) <= tol for i in range(n)])
    labels = np.full(n, -1)
    group = 0
    for i in range(n):
        if labels[i] >= 0:
            continue
        labels[i] = group
        todo = [i]
        while todo:  # connected component of row i
            j = todo.pop()
            new = np.flatnonzero(close[j] & (labels < 0))
            labels[new] = group
            todo.extend(new.tolist())
        group += 1
    return labels


def dead_unit_masks(result: Result, run: int, snapshots: list[int]) -> list[np.ndarray]:
    """Dead units of every hidden layer of one run at several snapshots.

    A unit is dead as in the engine's metric (:func:`sim.metrics.dead_units`): its output is
    exactly 0 on every training input, evaluated without dropout. The history keeps only
    the count per layer, so the outputs are computed again from the stored parameters, for
    all ``snapshots`` in one batched pass (the snapshots play the part of stacked runs);
    the counts equal ``history.metrics["dead_units"]``.

    Parameters
    ----------
    result : Result
    run : int
        Index of the run (a row of the history).
    snapshots : list of int
        Snapshot indices.

    Returns
    -------
    list of ndarray of bool, one per hidden layer, each of shape (len(snapshots), n_units)
        Empty for a network without hidden layer. A diverged snapshot (NaN parameters)
        has no dead unit.
    """
    h, cfg = result.history, result.config
    L = len(h.weights)
    if L < 2:
        return []
    dtype = h.weights[0].dtype
    act = get_activation(cfg.activation)
    exact = dtype == np.float64
    ks = list(snapshots)
    X = result.data.X_train.astype(dtype)
    A = np.broadcast_to(X, (len(ks), *X.shape))
    out = []
    with np.errstate(all="ignore"):
        for l in range(L - 1):
            W = h.weights[l][run, ks]  # (S, units, inputs)
            Z = np.empty((len(ks), X.shape[0], W.shape[1]), dtype)
            matmul(A, W.transpose(0, 2, 1), Z, exact)  # the engine's product
            Z += h.biases[l][run, ks][:, None, :]
            A = act.forward(Z, np.empty_like(Z))
            out.append(dead_units(A))
    return out
