"""What the network predicts: decision regions on 2-D data, the fitted curve of a 1-D
regression, with the training points."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.charts.names import init_label
from sim.charts.style import CLASS_COLORS, HEIGHT, _init_title, _mix, _note, _style, init_color
from sim.explain.reading import snapshot_index
from sim.losses import LOSSES
from sim.network import forward
from sim.train import Result

MULTICLASS_RESOLUTION = 200  # grid points per axis of a multi-class decision map


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * (hi - lo) + 1e-9
    return (np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
            np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))


def _predict(result: Result, run: int, k: int, X: np.ndarray) -> np.ndarray | None:
    """Class probabilities (n, n_classes) or regression output (n, 1); None after divergence."""
    W, b = result.parameters_at(run, k)
    if not all(np.isfinite(w).all() for w in W):
        return None
    with np.errstate(all="ignore"):
        z = forward(W, b, X, result.config.activation)[-1].astype(np.float64)
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


def decision_boundary(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                      resolution: int = 80) -> go.Figure | None:
    """Decision regions of one run on a 2-D dataset (or the fitted curve of a 1-D
    regression), with the training points; ``None`` for other datasets."""
    data = result.data
    n_features = data.X_train.shape[1]
    h = result.history
    k = snapshot_index(result, snapshot)
    epoch = int(h.snapshot_epochs[k])
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    label = init_label(result, init_index)
    if n_features == 1 and data.task == "regression":
        return _fit_curve(result, run, k, epoch, label, init_index)
    if n_features != 2 or data.task == "regression":
        return None
    n_classes = max(data.n_classes, 2)
    if n_classes > 2:
        # Class regions are drawn cell by cell: a finer grid keeps their edges smooth (one
        # forward pass over 40,000 points takes milliseconds).
        resolution = max(resolution, MULTICLASS_RESOLUTION)
    gx, gy = _grid(np.vstack([data.X_train, data.X_test]), resolution)
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
    for c in range(n_classes):
        m = data.y_train == c
        fig.add_trace(go.Scatter(
            x=data.X_train[m, 0], y=data.X_train[m, 1], mode="markers", name=f"class {c}",
            marker={"color": CLASS_COLORS[c % len(CLASS_COLORS)], "size": 6,
                    "line": {"color": "white", "width": 0.8}},
            hovertemplate=f"class {c}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    if P is None:
        _note(fig, "the run diverged: no prediction")
    fig.update_layout(xaxis={"title": "x₁ (feature 1)", "range": [gx[0], gx[-1]],
                             "constrain": "domain", "showgrid": False},
                      yaxis={"title": "x₂ (feature 2)", "range": [gy[0], gy[-1]],
                             "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
                             "showgrid": False})
    seed_text = f", seed {seed}" if result.config.seeds > 1 else ""
    drawn = ("colour: predicted P(class 1) · line: P = 0.5" if n_classes == 2
             else "colour: predicted class (the most probable one)")
    return _style(fig, _init_title(result, f"Decision boundary after {epoch} epochs", init_index),
                  subtitle=f"{drawn} · dots: training data{seed_text}", height=HEIGHT + 40)


def _fit_curve(result: Result, run: int, k: int, epoch: int, label: str,
               init_index: int) -> go.Figure:
    data = result.data
    x = np.linspace(data.X_train.min(), data.X_train.max(), 300)[:, None]
    pred = _predict(result, run, k, x)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=data.X_train[:, 0], y=data.y_train[:, 0], mode="markers",
                             name="training data", marker={"color": "#777", "size": 5}))
    if pred is not None:
        fig.add_trace(go.Scatter(x=x[:, 0], y=pred[:, 0], mode="lines", name="network output",
                                 line={"color": init_color(init_index), "width": 3}))
    fig.update_layout(xaxis={"title": "input x"}, yaxis={"title": "target y / output ŷ"})
    return _style(fig, _init_title(result, f"Fit after {epoch} epochs", init_index))
