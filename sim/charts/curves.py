"""Curves over the epochs: loss, accuracy and gradient norms, mean and band across seeds.

:func:`_add_curve` draws one mean curve with its band (min-max or standard deviation across
seeds, diverged runs ignored); :mod:`sim.charts.neurons` draws its metric curves with it too.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.charts.names import init_label
from sim.charts.style import (
    ZERO_FLOOR,
    _init_title,
    _join,
    _lin_range,
    _log_axis,
    _log_range,
    _n_seeds_text,
    _note,
    _rgba,
    _style,
    _train_test_text,
    init_color,
    layer_shades,
)
from sim.explain.reading import shown_layers
from sim.train import Result

#: At most this many points per curve (long trainings are thinned evenly, last epoch kept).
MAX_POINTS = 2000

LOSS_NAMES = {"mse": "squared error ½(ŷ−y)²", "bce": "binary cross-entropy",
              "ce": "cross-entropy"}

# ------------------------------------------------------------------------------------------
# Mean curve and band across seeds
# ------------------------------------------------------------------------------------------


def _epoch_index(n_points: int) -> np.ndarray:
    if n_points <= MAX_POINTS:
        return np.arange(n_points)
    return np.unique(np.linspace(0, n_points - 1, MAX_POINTS).round().astype(int))


def _stats(Y: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and band (lower, upper) over the first axis, ignoring NaN (diverged runs)."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(Y)
        count = finite.sum(axis=0)
        Yz = np.where(finite, Y, 0.0)
        mean = np.where(count > 0, Yz.sum(axis=0) / np.maximum(count, 1), np.nan)
        if band == "std":
            var = np.where(finite, (Y - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
            sd = np.sqrt(var)
            return mean, mean - sd, mean + sd
        lo = np.where(count > 0, np.where(finite, Y, np.inf).min(axis=0), np.nan)
        hi = np.where(count > 0, np.where(finite, Y, -np.inf).max(axis=0), np.nan)
        return mean, lo, hi


def _add_curve(fig: go.Figure, x: np.ndarray, Y: np.ndarray, *, name: str, color: str,
               band: str = "minmax", dash: str = "solid", width: float = 2.5,
               floor: float | None = None, row: int | None = None, col: int | None = None,
               legendgroup: str | None = None, showlegend: bool = True,
               hover_unit: str = "") -> None:
    """Mean curve of the runs ``Y`` (runs, points) with a band across runs when there are
    several; values <= 0 are drawn at ``floor`` when given (log axes)."""
    mean, lo, hi = _stats(Y, band)
    if floor is not None:
        mean, lo, hi = (np.where(v <= 0, floor, v) for v in (mean, lo, hi))
    where = {} if row is None else {"row": row, "col": col}
    group = legendgroup or name
    if Y.shape[0] > 1:
        fig.add_trace(go.Scatter(
            x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
            fillcolor=_rgba(color, 0.18), line={"width": 0}, hoverinfo="skip",
            showlegend=False, legendgroup=group, name=f"{name} band"), **where)
    fig.add_trace(go.Scatter(
        x=x, y=mean, mode="lines", name=name, legendgroup=group, showlegend=showlegend,
        line={"color": color, "dash": dash, "width": width},
        hovertemplate=f"{name}<br>epoch %{{x}}: %{{y:.4g}}{hover_unit}<extra></extra>"),
        **where)


# ------------------------------------------------------------------------------------------
# Loss and accuracy
# ------------------------------------------------------------------------------------------


def loss_axis_title(result: Result, log_y: bool = False) -> str:
    """Y-axis title of the loss charts, e.g. ``loss: binary cross-entropy (log)``; with an L2
    penalty, ``loss: binary cross-entropy, without L2``: the curves leave the penalty out."""
    name = LOSS_NAMES.get(result.config.loss_name, result.config.loss_name)
    if result.config.l2 > 0:
        name += ", without L2"
    return f"loss: {name}" + (" (log)" if log_y else "")


def _loss_axes(fig: go.Figure, result: Result, idx: np.ndarray, log_y: bool) -> None:
    """Epoch x-axis and a loss y-axis ranged over every run (so left and right match)."""
    h = result.history
    curves = [h.train_loss] + ([h.test_loss] if result.data.n_test > 0 else [])
    if log_y:
        yaxis = _log_axis(loss_axis_title(result, log_y), _log_range(curves))
    else:
        yaxis = {"title": loss_axis_title(result, log_y), "range": _lin_range(curves, zero=True)}
    fig.update_layout(xaxis={"title": "epoch", "range": [0, int(idx[-1])]}, yaxis=yaxis)


def loss_curves(result: Result, init_index: int, *, log_y: bool = True, band: str = "minmax"
                ) -> go.Figure:
    """Train and test loss per epoch of one initialization (mean and band across seeds).

    The y range covers every initialization of the result, so the charts of two
    initializations share their scale.

    Parameters
    ----------
    result : Result
    init_index : int
        Which initialization (index into ``result.config.inits``).
    log_y : bool
        Logarithmic loss axis.
    band : {"minmax", "std"}
        Spread across seeds drawn around the mean.
    """
    h = result.history
    idx = _epoch_index(h.train_loss.shape[1])
    runs = result.run_indices(init_index)
    color = init_color(init_index)
    fig = go.Figure()
    _add_curve(fig, idx, h.train_loss[runs][:, idx], name="train", color=color, band=band)
    has_test = result.data.n_test > 0
    if has_test:
        _add_curve(fig, idx, h.test_loss[runs][:, idx], name="test", color=color, band=band,
                   dash="dot")
    _loss_axes(fig, result, idx, log_y)
    diverged = h.diverged_at[runs]
    if (diverged >= 0).any():
        _note(fig, f"{int((diverged >= 0).sum())} run(s) diverged (non-finite numbers) "
                   f"at epoch {int(diverged[diverged >= 0].min())}")
    return _style(fig, _init_title(result, "Loss", init_index), subtitle=_n_seeds_text(result))


def _train_test_curves(fig: go.Figure, result: Result, idx: np.ndarray, train: np.ndarray,
                       test: np.ndarray | None, band: str, hover_unit: str = "") -> None:
    """Every initialization's train curve (solid, in the legend) and test curve (dotted,
    in the same legend group), both of shape (runs, epochs) before ``idx`` picks points."""
    has_test = result.data.n_test > 0 and test is not None
    for i in range(len(result.config.inits)):
        label = init_label(result, i)
        runs = result.run_indices(i)
        _add_curve(fig, idx, train[runs][:, idx], name=label, color=init_color(i),
                   band=band, hover_unit=hover_unit, legendgroup=f"init{i}")
        if has_test:
            _add_curve(fig, idx, test[runs][:, idx], name=f"{label} (test)",
                       color=init_color(i), band=band, dash="dot", width=2,
                       hover_unit=hover_unit, legendgroup=f"init{i}", showlegend=False)


def loss_overlay(result: Result, *, log_y: bool = True, band: str = "minmax") -> go.Figure:
    """Train (solid) and test (dotted) loss of every initialization in one chart."""
    h = result.history
    idx = _epoch_index(h.train_loss.shape[1])
    fig = go.Figure()
    _train_test_curves(fig, result, idx, h.train_loss, h.test_loss, band)
    _loss_axes(fig, result, idx, log_y)
    return _style(fig, "Loss of both initializations",
                  subtitle=_join(_train_test_text(result), _n_seeds_text(result)))


def accuracy_curves(result: Result, *, band: str = "minmax") -> go.Figure | None:
    """Train (solid) and test (dotted) accuracy of every initialization; None for regression."""
    h = result.history
    if h.train_accuracy is None:
        return None
    idx = _epoch_index(h.train_accuracy.shape[1])
    fig = go.Figure()
    _train_test_curves(fig, result, idx, 100 * h.train_accuracy,
                       None if h.test_accuracy is None else 100 * h.test_accuracy, band,
                       hover_unit=" %")
    chance = 100.0 / max(result.data.n_classes, 2)
    x_end = int(idx[-1])
    fig.add_trace(go.Scatter(x=[0, x_end], y=[chance, chance], mode="lines",
                             name=f"chance ({chance:.0f} %)", hoverinfo="skip",
                             line={"color": "#999", "dash": "dash", "width": 1.5}))
    fig.update_layout(xaxis={"title": "epoch", "range": [0, int(idx[-1])]},
                      yaxis={"title": "accuracy (%)", "range": [0, 102]})
    return _style(fig, "Accuracy of both initializations",
                  subtitle=_join(_train_test_text(result), _n_seeds_text(result)))


# ------------------------------------------------------------------------------------------
# Gradient norms
# ------------------------------------------------------------------------------------------


def gradient_norms(result: Result, init_index: int, *, band: str = "minmax") -> go.Figure:
    """Gradient norm per weight layer over the epochs, log scale (exact zeros at the floor)."""
    h = result.history
    G = h.grad_norm  # (R, E, L)
    E, L = G.shape[1], G.shape[2]
    idx = _epoch_index(E)
    x = idx + 1
    runs = result.run_indices(init_index)
    layers = shown_layers(L)
    shades = layer_shades(init_index, len(layers))
    fig = go.Figure()
    for c, l in zip(shades, layers, strict=True):
        name = "output layer" if l == L - 1 else f"layer {l + 1}"
        _add_curve(fig, x, G[runs][:, idx, l], name=name, color=c, band=band,
                   floor=ZERO_FLOOR)
    fig.update_layout(xaxis={"title": "epoch", "range": [1, int(x[-1])]},
                      yaxis=_log_axis("gradient norm ‖∇W‖ (log)",
                                      _log_range([G[:, :, layers]], floor=ZERO_FLOOR)))
    mine = G[runs][:, :, layers]
    if np.any(mine[np.isfinite(mine)] == 0):
        _note(fig, "at 10<sup>−18</sup>: exactly 0, no gradient reaches the layer")
    # Short enough for a 400 px chart (plotly neither wraps nor clips a subtitle to it).
    sub = "‖∇W‖ and ‖∇b‖ together, mean per epoch"
    if len(layers) < L:
        sub += f"; {len(layers)} of {L} layers"
    return _style(fig, _init_title(result, "Gradient norm per layer", init_index), subtitle=sub)
