"""Reading a trained comparison: the numbers the charts draw and the captions state.

Pure functions of a :class:`~sim.train.Result` (numpy only, no plotly, no Streamlit), shared
by :mod:`sim.charts` and :mod:`sim.explain.captions` so that a chart and its caption always
look at the same runs, snapshot and layers.

A convnet's first dense layer reads the flattened, pooled conv output, not the pixels: every
forward pass here goes through :func:`network_outputs` (the conv filters first, from
:meth:`~sim.train.Result.network_at`, and the config's pooling). Its filters are read with
:func:`filter_params`, :func:`dead_filter_masks` and :func:`filters_summary`.
"""

from __future__ import annotations

import numpy as np

from sim.activations import get_activation
from sim.metrics import DISTINCT_RTOL, count_distinct, dead_units, row_components
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


def row_groups(W: np.ndarray, rtol: float = DISTINCT_RTOL) -> list[list[int]]:
    """The rows (units) of a weight matrix grouped by equality, each group one neuron.

    Rows are equal within ``rtol * max|W|`` (max-norm), joined transitively: the same test
    and the same connected components as :func:`distinct_rows` (so ``len(row_groups(W)) ==
    distinct_rows(W)``), but naming *which* rows are one neuron, for the heatmaps' titles.
    Like :func:`distinct_rows`, a matrix with a non-finite entry (a diverged run) has every
    row on its own, and an all-zero matrix is one group.

    Parameters
    ----------
    W : ndarray of shape (n_units, n_params)
        One row per unit, e.g. ``[W | b]`` from :func:`unit_params`.
    rtol : float
        Relative tolerance, :data:`sim.metrics.DISTINCT_RTOL` as in the engine's metric.

    Returns
    -------
    list of list of int
        0-based row indices, each group in increasing order, groups ordered by their first
        row.
    """
    W = np.asarray(W, dtype=np.float64)
    n = W.shape[0]
    if n <= 1 or not np.isfinite(W).all():
        return [[i] for i in range(n)]
    if not np.any(W):
        return [list(range(n))]
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(row_components(W, rtol)):
        groups.setdefault(int(label), []).append(row)
    return sorted(groups.values(), key=lambda g: g[0])


# --------------------------------------------------------------------------------------------
# What the decision-boundary chart draws, and what a run achieved (added for the captions)
# --------------------------------------------------------------------------------------------

#: Grid points per axis of the binary decision map, and of a multi-class one (the chart's).
BOUNDARY_RESOLUTION, MULTICLASS_RESOLUTION = 80, 200
#: An accuracy credits a boundary only when it beats the largest class's share by this much.
ACCURACY_MARGIN = 0.05


def boundary_grid(result: Result, resolution: int = BOUNDARY_RESOLUTION
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The axes ``(gx, gy)`` of the decision-boundary chart's grid: the training and test
    points' range padded by 8 %, ``resolution`` points per axis (at least
    :data:`MULTICLASS_RESOLUTION` with more than two classes), as
    :func:`sim.charts.decision_boundary` draws it."""
    X = np.vstack([result.data.X_train, result.data.X_test])
    if max(result.data.n_classes, 2) > 2:
        resolution = max(resolution, MULTICLASS_RESOLUTION)
    return grid_axes(X, resolution)


def grid_axes(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """``resolution`` points per axis over the range of the 2-D points ``X``, padded by 8 %."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * (hi - lo) + 1e-9
    return (np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
            np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))


def predict(result: Result, run: int, k: int, X: np.ndarray) -> np.ndarray | None:
    """What one run predicts at snapshot ``k`` for inputs ``X`` (shape (n, n_features), images
    flattened; conv layers and pooling included, see :func:`network_outputs`):
    class probabilities of shape (n, n_classes) (a squared-error score on 0/1 labels is
    clipped to [0, 1]), or the regression output (n, 1); None after divergence."""
    W, _ = result.network_at(run, k)
    if not all(np.isfinite(w).all() for w in W):
        return None
    return outputs(result, network_outputs(result, run, k, X)[-1].astype(np.float64))


def network_outputs(result: Result, run: int, k: int, X: np.ndarray) -> list[np.ndarray]:
    """Every layer's output of one run at snapshot ``k`` on inputs ``X`` (rows, images
    flattened as in the dataset): :func:`sim.network.forward` with the conv filters first
    (:meth:`~sim.train.Result.network_at`) and the config's pooling, so the first dense layer
    reads the conv output, not the pixels.

    Returns
    -------
    list of ndarray
        The conv feature maps (n, F, H, W) after the activation, before pooling (one per conv
        layer, none without conv), the dense hidden outputs (n, units), then the logits.
    """
    from sim.network import forward  # noqa: PLC0415

    cfg = result.config
    W, b = result.network_at(run, k)
    with np.errstate(all="ignore"):
        return forward(W, b, X, cfg.activation, pool=cfg.pool, image_shape=cfg.image_shape)


def hidden_outputs(result: Result, run: int, k: int, X: np.ndarray) -> list[np.ndarray]:
    """The dense hidden layers' outputs (n, units) of :func:`network_outputs`, one per hidden
    layer (the conv maps and the logits left out)."""
    return network_outputs(result, run, k, X)[len(result.config.conv):-1]


def filter_params(result: Result, layer: int, run: int, k: int) -> np.ndarray:
    """``[w | b]`` of conv layer ``layer``'s filters at one snapshot, shape
    (F, C*K*K + 1): one row per filter, its kernel flattened, then its bias."""
    h = result.history
    w = h.conv_weights[layer][run, k]
    return np.concatenate([w.reshape(w.shape[0], -1), h.conv_biases[layer][run, k][:, None]],
                          axis=1).astype(np.float64)


def dead_filter_masks(result: Result, run: int, k: int) -> list[np.ndarray]:
    """Dead filters of every conv layer of one run at snapshot ``k``: a filter is dead when
    its feature map is exactly 0 at every position of every training image, as in the
    engine's metric (``history.conv_metrics["dead_units"]``). One bool array (F,) per conv
    layer; empty without conv."""
    if not result.config.conv:
        return []
    maps = network_outputs(result, run, k, result.data.X_train)[:len(result.config.conv)]
    # every position of every image is a row of the feature-map matrix, as in the engine
    return [dead_units(m.transpose(0, 2, 3, 1).reshape(-1, m.shape[1])) for m in maps]


def filters_summary(result: Result, run: int, k: int, layer: int = 0) -> tuple[int, int, int]:
    """``(filters, distinct live filters, dead filters)`` of conv layer ``layer`` of one run
    at snapshot ``k``: a dead filter (map 0 everywhere) is no filter at all, whatever its
    weights, so the distinct ones are counted among the live ones (as the headline and the
    metrics row count them)."""
    P = filter_params(result, layer, run, k)
    dead = dead_filter_masks(result, run, k)[layer]
    live = ~dead
    return P.shape[0], (distinct_rows(P[live]) if live.any() else 0), int(dead.sum())


def outputs(result: Result, z: np.ndarray) -> np.ndarray:
    """What the network predicts from its output pre-activations ``z`` (n, n_outputs):
    class probabilities (a squared-error score on 0/1 labels clipped to [0, 1]) or the
    regression output."""
    from sim.losses import LOSSES  # noqa: PLC0415 - only the predictions need the losses

    loss = result.config.loss_name
    if loss == "bce":
        p = LOSSES["bce"].predict(z)
        return np.hstack([1 - p, p])
    if loss == "ce":
        return LOSSES["ce"].predict(z)
    if result.data.task == "binary":  # squared error on 0/1 labels: the output is a score
        p = np.clip(z, 0.0, 1.0)
        return np.hstack([1 - p, p])
    return z


def grid_prediction(result: Result, run: int, k: int) -> np.ndarray | None:
    """:func:`predict` on every point of :func:`boundary_grid` (row-major, y outer), shape
    (resolution**2, n_classes); None after divergence or for data that is not 2-D
    classification."""
    data = result.data
    if data.X_train.shape[1] != 2 or data.task == "regression":
        return None
    gx, gy = boundary_grid(result)
    XX, YY = np.meshgrid(gx, gy)
    return predict(result, run, k, np.column_stack([XX.ravel(), YY.ravel()]))


def majority_rate(labels: np.ndarray) -> float:
    """Share of the most frequent class in ``labels`` (integer classes): the accuracy of
    always answering that class (0 for no labels)."""
    labels = np.asarray(labels).astype(np.int64).ravel()
    return float(np.bincount(labels).max() / labels.size) if labels.size else 0.0


def constant_loss(result: Result) -> float:
    """Training loss of the best constant prediction: the class shares (cross-entropy) or
    the targets' mean (squared error), the loss a network reaches when it learns only its
    output bias."""
    from sim.losses import LOSSES  # noqa: PLC0415
    from sim.network import targets_for  # noqa: PLC0415

    cfg, data = result.config, result.data
    T = targets_for(cfg.loss_name, data.y_train, cfg.layer_sizes[-1])
    mean = T.mean(axis=0)
    with np.errstate(divide="ignore"):
        if cfg.loss_name == "bce":
            z = np.log(mean) - np.log1p(-mean)  # the logit of the share of class 1
        elif cfg.loss_name == "ce":
            z = np.log(mean)
        else:
            z = mean
    Z = np.broadcast_to(np.clip(z, -1e3, 1e3), T.shape)
    return float(LOSSES[cfg.loss_name].value(Z[None], T[None])[0])


def unit_groups(P: np.ndarray) -> np.ndarray:
    """Which rows (units) of ``[W | b]`` are the same unit: a group label per row, from
    :func:`row_groups` (labels count from 0 in the order of each group's first row, so
    there are ``distinct_rows(P)`` of them)."""
    labels = np.empty(np.shape(P)[0], dtype=int)
    for label, rows in enumerate(row_groups(P)):
        labels[rows] = label
    return labels


def _conv_dead_unit_masks(result: Result, run: int, ks: list[int]) -> list[np.ndarray]:
    """:func:`dead_unit_masks` of a convnet. Where the engine counted no dead unit (or only
    dead units) in every hidden layer, the masks follow from its counts; elsewhere one
    forward pass through the conv layers and pooling (:func:`hidden_outputs`) names them
    (a pass costs about 0.1 s on the filters preset, and the animated charts ask for every
    snapshot)."""
    h = result.history
    counts = h.metrics["dead_units"][run]  # (S, hidden layers)
    widths = np.array([w.shape[2] for w in h.weights[:-1]])
    out = [np.zeros((len(ks), int(w)), bool) for w in widths]
    for j, k in enumerate(ks):
        c = counts[k]
        if np.all((c == 0) | (c == widths)):
            for l in range(widths.size):
                out[l][j] = c[l] == widths[l]
            continue
        hs = hidden_outputs(result, run, k, result.data.X_train)
        for l in range(widths.size):
            out[l][j] = dead_units(hs[l])
    return out


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
    if cfg.conv:  # the first dense layer reads the conv output
        return _conv_dead_unit_masks(result, run, list(snapshots))
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
