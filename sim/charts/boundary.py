"""What the network predicts: decision regions on 2-D data, the fitted curve of a 1-D
regression, with the training points.

Animated (``frames=True``), the chart carries one plotly frame per animated snapshot
(:func:`sim.charts.motion.frame_indices`). A frame is the grid of predictions, so its size
decides the figure's: the grid is sent as one byte per cell (the probability in whole
percent, or the class index), 80 × 80 cells for two classes and
:data:`FRAME_MULTICLASS_RESOLUTION` per axis for more, which keeps the lesson's animated
figure near 0.5 MB of JSON (float64 cells made it 4.9 MB). The predictions of every frame
come from one batched forward pass in float32 (the snapshots stacked like runs), on a grid
made coarser for big networks so that the pass stays within :data:`FRAME_MACS`
multiply-adds.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim import blas
from sim.activations import get_activation
from sim.charts import motion
from sim.charts.names import init_label
from sim.charts.style import CLASS_COLORS, HEIGHT, _init_title, _mix, _note, _style, init_color
from sim.explain.reading import (
    MULTICLASS_RESOLUTION,
    grid_axes,
    outputs,
    predict,
    snapshot_index,
)
from sim.train import Result

#: Grid points per axis of an animated multi-class map (one byte per cell and frame).
FRAME_MULTICLASS_RESOLUTION = 100
#: Budget of multiply-adds of the animated chart's forward pass over every frame; a big
#: network gets a coarser grid (deep_relu, 30 layers of 32: 50 × 50).
FRAME_MACS = 4e9
#: The coarsest grid an animated chart uses, whatever the network.
MIN_FRAME_RESOLUTION = 24


def _predict(result: Result, run: int, k: int, X: np.ndarray) -> np.ndarray | None:
    """:func:`sim.explain.reading.predict` (what the captions read) on one BLAS thread."""
    blas.single_thread()  # set once for the process (sim.blas): never changed back
    return predict(result, run, k, X)


def _predict_frames(result: Result, run: int, ks: list[int], X: np.ndarray
                    ) -> list[np.ndarray | None]:
    """:func:`_predict` at every snapshot of ``ks`` in one batched float32 forward pass
    (the snapshots stacked like runs): one product per layer instead of one per layer and
    snapshot."""
    h = result.history
    act = get_activation(result.config.activation)
    L = len(h.weights)
    ok = np.ones(len(ks), bool)
    for arr in h.weights:
        ok &= np.isfinite(arr[run, ks]).all(axis=(1, 2))
    A = X.astype(np.float32)[None]
    blas.single_thread()  # one thread: two on these small batched products are 10x slower
    with np.errstate(all="ignore"):
        for l in range(L):
            W = np.nan_to_num(h.weights[l][run, ks]).astype(np.float32)
            Z = np.matmul(A, W.transpose(0, 2, 1))
            Z += np.nan_to_num(h.biases[l][run, ks]).astype(np.float32)[:, None, :]
            A = act.forward(Z, Z) if l < L - 1 else Z
    return [outputs(result, A[j].astype(np.float64)) if ok[j] else None
            for j in range(len(ks))]


def _frame_resolution(result: Result, n_frames: int, most: int) -> int:
    """Grid points per axis of an animated map: ``most``, or fewer when the forward pass
    over every frame would exceed :data:`FRAME_MACS` multiply-adds."""
    sizes = result.config.layer_sizes
    per_point = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    fit = int(np.sqrt(FRAME_MACS / (n_frames * per_point)))
    return int(np.clip(fit, MIN_FRAME_RESOLUTION, most))


def decision_boundary(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                      resolution: int = 80, frames: bool = False) -> go.Figure | None:
    """Decision regions of one run on a 2-D dataset (or the fitted curve of a 1-D
    regression), with the training points; ``None`` for other datasets.

    Parameters
    ----------
    result : Result
    init_index : int
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative counts from the end).
    seed : int
        Which seed's run to show.
    resolution : int
        Grid points per axis of a two-class map (a multi-class map has at least
        :data:`MULTICLASS_RESOLUTION`).
    frames : bool
        Carry the other snapshots as plotly frames with an epoch slider and play / pause.
        The map then holds whole percents of P(class 1) (or class indices) in one byte per
        cell, on a grid of at most ``resolution`` (two classes) or
        :data:`FRAME_MULTICLASS_RESOLUTION` (more) points per axis, coarser for big
        networks (see the module docstring): the still figure keeps its float grid.
    """
    data = result.data
    n_features = data.X_train.shape[1]
    h = result.history
    k = snapshot_index(result, snapshot)
    epoch = int(h.snapshot_epochs[k])
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    label = init_label(result, init_index)
    if n_features == 1 and data.task == "regression":
        return _fit_curve(result, run, k, epoch, label, init_index, frames)
    if n_features != 2 or data.task == "regression":
        return None
    n_classes = max(data.n_classes, 2)
    if frames:
        return _animated_map(result, init_index, run, k, resolution, n_classes, seed)
    if n_classes > 2:
        # Class regions are drawn cell by cell: a finer grid keeps their edges smooth (one
        # forward pass over 40,000 points takes milliseconds).
        resolution = max(resolution, MULTICLASS_RESOLUTION)
    gx, gy = grid_axes(np.vstack([data.X_train, data.X_test]), resolution)
    XX, YY = np.meshgrid(gx, gy)
    P = _predict(result, run, k, np.column_stack([XX.ravel(), YY.ravel()]))
    fig = go.Figure()
    if P is not None and n_classes == 2:
        Z = P[:, 1].reshape(XX.shape)
        # One trace draws the probability as a heatmap and the decision line P = 0.5.
        line = bool(Z.min() < 0.5 < Z.max())
        fig.add_trace(go.Contour(
            x=gx, y=gy, z=Z, zmin=0, zmax=1, opacity=0.8, name="P = 0.5", showlegend=False,
            colorscale=[[0, _mix(CLASS_COLORS[0], "#ffffff", 0.25)], [0.5, "#f7f7f7"],
                        [1, _mix(CLASS_COLORS[1], "#ffffff", 0.25)]],
            contours={"coloring": "heatmap", "start": 0.5, "end": 0.5, "size": 1,
                      "showlines": line},
            line={"color": "#222", "width": 2 if line else 0},
            colorbar={"title": {"text": "P(class 1)", "side": "right"}, "thickness": 14,
                      "len": 0.9, "tickmode": "array", "tickvals": [0, 0.25, 0.5, 0.75, 1]},
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>P(class 1) = %{z:.3f}<extra></extra>"))
    elif P is not None:
        C = P.argmax(axis=1).reshape(XX.shape)
        scale = []
        for c in range(n_classes):
            col = _mix(CLASS_COLORS[c % len(CLASS_COLORS)], "#ffffff", 0.55)
            scale += [[c / n_classes, col], [(c + 1) / n_classes, col]]
        fig.add_trace(go.Heatmap(x=gx, y=gy, z=C, zmin=-0.5, zmax=n_classes - 0.5,
                                 colorscale=scale, showscale=False, opacity=0.8,
                                 hovertemplate="predicted class %{z}<extra></extra>"))
    if P is None:
        _note(fig, "the run diverged: no prediction")
    return _finish_map(fig, result, init_index, k, n_classes, gx, gy, seed)


def _finish_map(fig: go.Figure, result: Result, init_index: int, k: int, n_classes: int,
                gx: np.ndarray, gy: np.ndarray, seed: int) -> go.Figure:
    """The training points, axes, title and subtitle of a decision map."""
    data = result.data
    for c in range(n_classes):
        m = data.y_train == c
        fig.add_trace(go.Scatter(
            x=data.X_train[m, 0], y=data.X_train[m, 1], mode="markers", name=f"class {c}",
            marker={"color": CLASS_COLORS[c % len(CLASS_COLORS)], "size": 6,
                    "line": {"color": "white", "width": 0.8}},
            hovertemplate=f"class {c}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    fig.update_layout(xaxis={"title": "x₁ (feature 1)", "range": [gx[0], gx[-1]],
                             "constrain": "domain", "showgrid": False},
                      yaxis={"title": "x₂ (feature 2)", "range": [gy[0], gy[-1]],
                             "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
                             "showgrid": False})
    seed_text = f", seed {seed}" if result.config.seeds > 1 else ""
    drawn = ("colour: predicted P(class 1) · line: P = 0.5" if n_classes == 2
             else "colour: predicted class (the most probable one)")
    epoch = int(result.history.snapshot_epochs[k])
    return _style(fig, _init_title(result, f"Decision boundary after {epoch} epochs", init_index),
                  subtitle=f"{drawn} · dots: training data{seed_text}", height=HEIGHT + 40)


def _binary_scale() -> list:
    return [[0, _mix(CLASS_COLORS[0], "#ffffff", 0.25)], [0.5, "#f7f7f7"],
            [1, _mix(CLASS_COLORS[1], "#ffffff", 0.25)]]


def _animated_map(result: Result, init_index: int, run: int, k: int, resolution: int,
                  n_classes: int, seed: int) -> go.Figure:
    """The decision map with one frame per animated snapshot: one byte per cell (whole
    percents of P(class 1), or the class index), every frame from one batched pass."""
    h, data = result.history, result.data
    ks = motion.frame_indices(h.snapshot_epochs.size, k)
    most = resolution if n_classes == 2 else FRAME_MULTICLASS_RESOLUTION
    res = _frame_resolution(result, len(ks), most)
    gx, gy = grid_axes(np.vstack([data.X_train, data.X_test]), res)
    XX, YY = np.meshgrid(gx, gy)
    preds = _predict_frames(result, run, ks, np.column_stack([XX.ravel(), YY.ravel()]))
    cells = {}
    for kk, P in zip(ks, preds, strict=True):
        if P is None:  # diverged: an empty (transparent) map
            cells[kk] = {"z": np.zeros(XX.shape, np.uint8), "opacity": 0.0}
        elif n_classes == 2:
            Z = np.rint(np.clip(P[:, 1], 0, 1) * 100).astype(np.uint8).reshape(XX.shape)
            line = bool(Z.min() < 50 < Z.max())
            cells[kk] = {"z": Z, "opacity": 0.8, "contours": {"showlines": line},
                         "line": {"width": 2 if line else 0}}
        else:
            cells[kk] = {"z": P.argmax(axis=1).astype(np.uint8).reshape(XX.shape),
                         "opacity": 0.8}
    fig = go.Figure()
    if n_classes == 2:
        base = cells[k]
        fig.add_trace(go.Contour(
            x=gx, y=gy, z=base["z"], zmin=0, zmax=100, opacity=base["opacity"],
            name="P = 0.5", showlegend=False, colorscale=_binary_scale(),
            contours={"coloring": "heatmap", "start": 50, "end": 50, "size": 1,
                      "showlines": base.get("contours", {}).get("showlines", False)},
            line={"color": "#222", "width": base.get("line", {}).get("width", 0)},
            colorbar={"title": {"text": "P(class 1)", "side": "right"}, "thickness": 14,
                      "len": 0.9, "tickmode": "array", "tickvals": [0, 25, 50, 75, 100],
                      "ticktext": ["0", "0.25", "0.5", "0.75", "1"]},
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>P(class 1) ≈ %{z}%<extra></extra>"))
        kind = "contour"
    else:
        scale = []
        for c in range(n_classes):
            col = _mix(CLASS_COLORS[c % len(CLASS_COLORS)], "#ffffff", 0.55)
            scale += [[c / n_classes, col], [(c + 1) / n_classes, col]]
        fig.add_trace(go.Heatmap(x=gx, y=gy, z=cells[k]["z"], zmin=-0.5, zmax=n_classes - 0.5,
                                 colorscale=scale, showscale=False, opacity=cells[k]["opacity"],
                                 hovertemplate="predicted class %{z}<extra></extra>"))
        kind = "heatmap"
    if preds[ks.index(k)] is None:
        _note(fig, "the run diverged: no prediction")
    fig = _finish_map(fig, result, init_index, k, n_classes, gx, gy, seed)
    base_title = fig.layout.title.to_plotly_json()
    points = [{"type": "scatter"} for _ in range(n_classes)]

    def frame(kk: int) -> tuple[list, dict]:
        epoch = int(h.snapshot_epochs[kk])
        title = _init_title(result, f"Decision boundary after {epoch} epochs", init_index)
        if preds[ks.index(kk)] is None:
            title += " (diverged)"
        return ([{"type": kind, **cells[kk]}, *points],
                {"title": {**base_title, "text": f"<b>{title}</b>"}})

    return motion.animate(fig, ks, k, h.snapshot_epochs, frame)


def _fit_curve(result: Result, run: int, k: int, epoch: int, label: str,
               init_index: int, frames: bool = False) -> go.Figure:
    data = result.data
    x = np.linspace(data.X_train.min(), data.X_train.max(), 300)[:, None]
    h = result.history
    ks = motion.frame_indices(h.snapshot_epochs.size, k) if frames else [k]
    preds = (dict(zip(ks, _predict_frames(result, run, ks, x), strict=True)) if frames
             else {k: _predict(result, run, k, x)})
    pred = preds[k]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=data.X_train[:, 0], y=data.y_train[:, 0], mode="markers",
                             name="training data", marker={"color": "#777", "size": 5}))
    if pred is not None or frames:  # animated: the line is there, empty where diverged
        y = pred[:, 0] if pred is not None else np.full(x.shape[0], np.nan)
        fig.add_trace(go.Scatter(x=x[:, 0], y=y, mode="lines", name="network output",
                                 line={"color": init_color(init_index), "width": 3}))
    fig.update_layout(xaxis={"title": "input x"}, yaxis={"title": "target y / output ŷ"})
    fig = _style(fig, _init_title(result, f"Fit after {epoch} epochs", init_index))
    if frames:
        base_title = fig.layout.title.to_plotly_json()

        def frame(kk: int) -> tuple[list, dict]:
            p = preds[kk]
            y = (p[:, 0] if p is not None else np.full(x.shape[0], np.nan)).astype(np.float32)
            title = _init_title(result, f"Fit after {int(h.snapshot_epochs[kk])} epochs",
                                init_index)
            return ([{"type": "scatter"}, {"type": "scatter", "y": y}],
                    {"title": {**base_title, "text": f"<b>{title}</b>"}})

        motion.animate(fig, ks, k, h.snapshot_epochs, frame)
    return fig
