"""Charts of a trained comparison: pure functions from a :class:`~sim.train.Result` to figures.

Every function here takes a result (plus options) and returns a ``plotly.graph_objects.Figure``;
nothing imports Streamlit, so the dashboard, the command line and the export all draw the same
charts. :data:`CHARTS` lists them by the name used in file names, and :func:`all_figures`
builds every chart of a result at once.

Conventions shared by every chart
---------------------------------
* One colour per initialization (:func:`init_color`), the same in every chart; the layers of
  one initialization are shades of its colour (light = first layer, dark = last).
* Charts drawn once per initialization (``init_index=i``) take their axis ranges from *all*
  initializations of the result, so the left and right panels of the dashboard share their
  scales and can be compared at a glance.
* With several seeds a curve is the mean over the seeds and a band shows their spread
  (``band="minmax"`` or ``"std"``).
* Log-scale charts cannot show 0; exact zeros (a perfectly symmetric layer, a gradient that
  never reaches a dead layer) are drawn at :data:`ZERO_FLOOR` and the chart says so.
* Weight heatmaps follow the engine's convention (see :mod:`sim.network`): ``W`` has shape
  ``(units, inputs)``, so the y axis is the unit of the layer and the x axis its input (a unit
  of the previous layer); identical rows are identical neurons.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from sim import export as _export_names
from sim.explain.captions import caption_boundary, caption_loss, caption_neurons, caption_weights
from sim.explain.reading import distinct_rows, shown_layers, snapshot_index, unit_params
from sim.losses import LOSSES
from sim.metrics import METRIC_DEFINITIONS
from sim.network import forward
from sim.train import Result

__all__ = [
    "CHARTS",
    "ChartSpec",
    "INIT_COLORS",
    "METRIC_LABELS",
    "ZERO_FLOOR",
    "accuracy_curves",
    "activation_distribution",
    "all_figures",
    "caption_boundary",
    "caption_loss",
    "caption_neurons",
    "caption_weights",
    "chart_key",
    "config_hash",
    "decision_boundary",
    "distinct_rows",
    "effective_neurons",
    "export_filename",
    "gradient_norms",
    "init_color",
    "init_label",
    "init_slug",
    "loss_axis_title",
    "loss_curves",
    "loss_overlay",
    "shown_layers",
    "symmetry_gap",
    "weight_heatmaps",
    "weight_range",
]

#: Okabe-Ito colours (readable by colour-blind viewers), one per initialization.
INIT_COLORS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
               "#F0E442")
#: Where a log-scale chart draws a value that is exactly 0.
ZERO_FLOOR = 1e-18
FONT = {"family": "Inter, Source Sans Pro, Arial, sans-serif", "size": 14, "color": "#222"}
_AXIS = {"gridcolor": "#E6EAF0", "linecolor": "#888", "showline": True, "ticks": "outside",
         "tickcolor": "#888", "ticklen": 4, "zeroline": False, "automargin": True,
         "title": {"standoff": 8, "font": {"size": 14}}, "tickfont": {"size": 12}}
#: A small slide-friendly template in the spirit of "plotly_white". Figures carry it
#: explicitly (Streamlit changes plotly's global default template when it is imported, and
#: the full "plotly_white" costs ~10 ms per figure to apply).
TEMPLATE = go.layout.Template(layout={
    "font": FONT, "paper_bgcolor": "white", "plot_bgcolor": "white",
    "colorway": list(INIT_COLORS), "xaxis": _AXIS, "yaxis": _AXIS,
    "hoverlabel": {"font": {"size": 13}}, "hovermode": "closest",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0,
               "font": {"size": 13}, "bgcolor": "rgba(255,255,255,0)"},
    "title": {"x": 0.01, "xanchor": "left", "y": 0.985, "yanchor": "top", "yref": "container",
              "font": {"size": 17}},
})
HEIGHT = 380
#: Titles longer than this many characters are split after their colon.
TITLE_CHARS = 54
#: At most this many points per curve (long trainings are thinned evenly, last epoch kept).
MAX_POINTS = 2000
MULTICLASS_RESOLUTION = 200  # grid points per axis of a multi-class decision map

LOSS_NAMES = {"mse": "squared error ½(ŷ−y)²", "bce": "binary cross-entropy",
              "ce": "cross-entropy"}
METRIC_LABELS = {
    "distinct_neurons": "distinct neurons (count)",
    "rank": "rank of the layer's output",
    "effective_rank": "effective rank",
    "dead_units": "dead units (count)",
    "symmetry_gap": "symmetry gap max|θᵢ − θⱼ| (log)",
}
CLASS_COLORS = ("#5E3C99", "#E66101", "#1B9E77", "#E7298A", "#66A61E", "#A6761D", "#666666",
                "#1F78B4", "#B2DF8A", "#FB9A99")


# ------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------


def init_color(init_index: int) -> str:
    """Colour of initialization ``init_index`` in every chart."""
    return INIT_COLORS[init_index % len(INIT_COLORS)]


def _mix(color: str, other: str, t: float) -> str:
    a = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def layer_shades(init_index: int, n: int) -> list[str]:
    """``n`` shades of the initialization's colour, light (first layer) to dark (last)."""
    base = init_color(init_index)
    if n == 1:
        return [base]
    out = []
    for k in range(n):
        t = k / (n - 1)  # 0 .. 1
        out.append(_mix(base, "#ffffff", 0.55 * (1 - 2 * t)) if t < 0.5
                   else _mix(base, "#000000", 0.45 * (2 * t - 1)))
    return out


def _column_domains(widths: list[float], spacing: float, right: float = 1.0,
                    min_share: float = 0.08) -> list[list[float]]:
    """Horizontal domains of side-by-side subplots, proportional to ``widths``."""
    n = len(widths)
    free = right - spacing * (n - 1)
    shares = np.maximum(np.asarray(widths, float) / sum(widths), min_share)
    shares = shares / shares.sum() * free
    out, x = [], 0.0
    for sh in shares:
        out.append([round(x, 6), min(round(x + sh, 6), 1.0)])
        x += sh + spacing
    return out


def init_label(result: Result, init_index: int) -> str:
    """The label of an initialization (:attr:`sim.config.InitSpec.label`, the one labeller),
    e.g. ``normal(std=0.01)``, ``he_normal``, ``zeros, bias normal(std=1)``."""
    return result.config.inits[init_index].label


def config_hash(result: Result) -> str:
    """Short hash of the configuration (8 hex digits), for file names: the same as
    :func:`sim.export.config_hash` of ``result.config`` (one implementation)."""
    return _export_names.config_hash(result.config)


def init_slug(result: Result, init_index: int) -> str:
    """File-name part naming an initialization, e.g. ``init1-zeros``."""
    return f"init{init_index + 1}-{result.config.inits[init_index].scheme}"


def chart_key(result: Result, chart: str, init_index: int | None = None) -> str:
    """The name of one chart of a result, as a key of :func:`all_figures`: ``loss_overlay``
    for a whole-comparison chart, ``loss_init1-zeros`` for a per-initialization one."""
    return chart if init_index is None else f"{chart}_{init_slug(result, init_index)}"


def export_filename(result: Result, chart: str, init_index: int | None = None,
                    fmt: str | None = None) -> str:
    """The file name of a chart wherever it is saved (the chart's camera button, the
    dashboard's Export tab, ``python -m sim export``): :func:`sim.export.figure_filename`
    of :func:`chart_key`, e.g. ``loss_init1-zeros-1c2d3e4f`` or
    ``loss_overlay-zeros-vs-xavier_uniform-1c2d3e4f``.

    Without ``fmt`` the extension is left out (plotly's camera button adds ``.png``).
    """
    name = _export_names.figure_filename(chart_key(result, chart, init_index), result.config,
                                         fmt or "png")
    return name if fmt else name.rsplit(".", 1)[0]


def loss_axis_title(result: Result, log_y: bool = False) -> str:
    """Y-axis title of the loss charts, e.g. ``loss: binary cross-entropy (log)``."""
    name = LOSS_NAMES.get(result.config.loss_name, result.config.loss_name)
    return f"loss: {name}" + (" (log)" if log_y else "")


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


def _style(fig: go.Figure, title: str, *, height: int = HEIGHT, legend: bool = True,
           subtitle: str = "", extra_top: int = 0) -> go.Figure:
    """Apply the look every chart shares: title (and subtitle) at the top left, the legend
    in one row between the title and the plot, margins that leave room for axis titles."""
    rows = _legend_rows(fig) if legend else 0
    lines = title.count("<br>") + 1
    top = 22 + 22 * lines + (22 if subtitle else 0) + 26 * rows + (6 if rows else 0) + extra_top
    total = height + 22 * (lines - 1) + NOTE_LINE * _notes(fig)
    fig.update_layout(
        template=TEMPLATE, height=total, showlegend=legend,
        # plotly anchors a multi-line title by its first line: move it down by the extra lines
        title={"text": f"<b>{title}</b>", "y": 1 - (6 + 22 * (lines - 1)) / total,
               "subtitle": {"text": subtitle, "font": {"size": 13, "color": "#555"}}},
        margin={"l": 78, "r": 24, "t": top, "b": 64 + NOTE_LINE * _notes(fig)})
    return fig


def _legend_rows(fig: go.Figure, width: int = 480) -> int:
    """Rows a horizontal legend needs at about ``width`` pixels (a guess from text length:
    plotly does not move the title out of the way of a legend that wraps)."""
    names = [t.name or "" for t in fig.data if t.showlegend is not False and t.name]
    if not names:
        return 0
    rows, used = 1, 0.0
    for n in names:
        w = 48 + 7.5 * len(n)
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _log_ticks(rng: list[float] | None) -> dict:
    """Tick values 1, 2, 5 x 10^k inside a log10 range, labelled plainly (0.02, not 2e-2)
    when the range is short, as powers of ten when it spans many decades."""
    if rng is None:
        return {}
    lo, hi = rng
    if hi - lo > 4:
        return {"exponentformat": "power", "dtick": max(1, int(round((hi - lo) / 6)))}
    vals = [m * 10.0**e for e in range(math.floor(lo) - 1, math.ceil(hi) + 1)
            for m in ((1, 2, 5) if hi - lo > 1.2 else (1, 1.5, 2, 3, 5, 7))]
    vals = [v for v in vals if lo <= math.log10(v) <= hi]
    if len(vals) < 3:  # a very short range: let plotly choose
        return {"tickformat": ".3g"}
    return {"tickvals": vals, "ticktext": [f"{v:.3g}" for v in vals]}


def _log_axis(title: str, rng: list[float] | None) -> dict:
    return {"title": title, "type": "log", "range": rng, **_log_ticks(rng)}


def _log_range(values: list[np.ndarray], floor: float | None = None, pad: float = 0.08
               ) -> list[float] | None:
    """``[log10 min, log10 max]`` of the positive finite values (zeros mapped to ``floor``)."""
    parts = []
    for v in values:
        v = np.asarray(v, dtype=float).ravel()
        v = v[np.isfinite(v)]
        if floor is not None:
            v = np.where(v <= 0, floor, v)
        parts.append(v[v > 0])
    allv = np.concatenate(parts) if parts else np.array([])
    if allv.size == 0:
        return None
    lo, hi = math.log10(allv.min()), math.log10(allv.max())
    span = max(hi - lo, 0.5)
    return [lo - pad * span, hi + pad * span]


def _lin_range(values: list[np.ndarray], pad: float = 0.05, zero: bool = False
               ) -> list[float] | None:
    allv = np.concatenate([np.asarray(v, float).ravel() for v in values])
    allv = allv[np.isfinite(allv)]
    if allv.size == 0:
        return None
    lo, hi = float(allv.min()), float(allv.max())
    if zero:
        lo = min(lo, 0.0)
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return [lo - pad * span, hi + pad * span]


NOTE_LINE = 18  # pixels per note line under the x-axis title


def _notes(fig: go.Figure) -> int:
    return sum(1 for a in fig.layout.annotations if a.name == "note")


def _note(fig: go.Figure, text: str) -> None:
    """A small grey note under the x-axis title, outside the plot area so that it covers no
    data (:func:`_style` makes room for it in the bottom margin)."""
    fig.add_annotation(text=text, name="note", xref="paper", yref="paper", x=1, y=0,
                       xanchor="right", yanchor="top", yshift=-48 - NOTE_LINE * _notes(fig),
                       showarrow=False, font={"size": 12, "color": "#555"})


def _runs(result: Result, init_index: int) -> list[int]:
    return result.run_indices(init_index)


def _n_seeds_text(result: Result) -> str:
    s = result.config.seeds
    return "" if s == 1 else f"mean of {s} seeds, band = min–max"


def _init_title(result: Result, prefix: str, init_index: int) -> str:
    """``prefix: label`` of one initialization, on two lines when the longest label of the
    result would make it too long (plotly does not wrap titles); deciding on the longest
    label keeps the left and right charts the same height."""
    longest = max(len(init_label(result, i)) for i in range(len(result.config.inits)))
    sep = ":</b><br><b>" if len(prefix) + 2 + longest > TITLE_CHARS else ": "
    return f"{prefix}{sep}{init_label(result, init_index)}"


def _train_test_text(result: Result) -> str:
    return "solid = train, dotted = test" if result.data.n_test > 0 else "train set"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# ------------------------------------------------------------------------------------------
# Loss and accuracy
# ------------------------------------------------------------------------------------------


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
    runs = _runs(result, init_index)
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


def loss_overlay(result: Result, *, log_y: bool = True, band: str = "minmax") -> go.Figure:
    """Train (solid) and test (dotted) loss of every initialization in one chart."""
    h = result.history
    idx = _epoch_index(h.train_loss.shape[1])
    fig = go.Figure()
    has_test = result.data.n_test > 0
    for i in range(len(result.config.inits)):
        label = init_label(result, i)
        runs = _runs(result, i)
        _add_curve(fig, idx, h.train_loss[runs][:, idx], name=label, color=init_color(i),
                   band=band, legendgroup=f"init{i}")
        if has_test:
            _add_curve(fig, idx, h.test_loss[runs][:, idx], name=f"{label} (test)",
                       color=init_color(i), band=band, dash="dot", width=2,
                       legendgroup=f"init{i}", showlegend=False)
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
    has_test = result.data.n_test > 0
    for i in range(len(result.config.inits)):
        label = init_label(result, i)
        runs = _runs(result, i)
        _add_curve(fig, idx, 100 * h.train_accuracy[runs][:, idx], name=label,
                   color=init_color(i), band=band, hover_unit=" %", legendgroup=f"init{i}")
        if has_test:
            _add_curve(fig, idx, 100 * h.test_accuracy[runs][:, idx], name=f"{label} (test)",
                       color=init_color(i), band=band, dash="dot", width=2, hover_unit=" %",
                       legendgroup=f"init{i}", showlegend=False)
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
# Weights
# ------------------------------------------------------------------------------------------


def weight_range(result: Result, snapshot: int = -1, layers: list[int] | None = None) -> float:
    """Largest |weight| or |bias| over every run at one snapshot: the shared colour range of
    the heatmaps (the same for every initialization)."""
    k = snapshot_index(result, snapshot)
    layers = shown_layers(len(result.history.weights)) if layers is None else layers
    m = 0.0
    for l in layers:
        for arr in (result.history.weights[l], result.history.biases[l]):
            w = arr[:, k]
            w = np.abs(w[np.isfinite(w)])
            if w.size:
                m = max(m, float(w.max()))
    return m if m > 0 else 1.0


MAX_ASPECT = 3.0  # a heatmap is at most this many times taller than wide, or wider than tall
BIAS_GAP = 0.5  # cells between a layer's weights and its bias column


def _ticks(n: int, most: int) -> list[int]:
    """Tick positions 1..n: every one when there are few, else about ``most`` of them
    from 1 in even steps (not forcing n, whose label would run into the bias column's)."""
    if n <= most:
        return list(range(1, n + 1))
    return list(range(1, n + 1, math.ceil(n / most)))


def weight_heatmaps(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                    zmax: float | None = None, max_layers: int = 3) -> go.Figure:
    """Weight matrices of one run at one stored snapshot: one heatmap per layer, the
    biases as an extra last column ("b").

    Rows are units of the layer, columns its inputs (units of the previous layer) and then
    its bias, so a row is everything one neuron computes with and identical rows are
    identical neurons. The colour scale is diverging and centred on 0; its range
    ``[-zmax, zmax]`` defaults to :func:`weight_range` over every initialization, so two
    charts of the same result share it. Very tall or very wide layers (100×2, 1×100) are
    drawn with stretched cells, at most :data:`MAX_ASPECT` times taller than wide or wider
    than tall, so that none becomes a hairline.

    Parameters
    ----------
    result : Result
    init_index : int
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative counts from the end).
    seed : int
        Which seed's run to show.
    zmax : float, optional
        Half-width of the colour range.
    max_layers : int
        Deep networks show the first, last and evenly spaced layers between.
    """
    h = result.history
    k = snapshot_index(result, snapshot)
    run = _runs(result, init_index)[min(seed, result.config.seeds - 1)]
    L = len(h.weights)
    layers = shown_layers(L, max_layers)
    zmax = weight_range(result, k, layers) if zmax is None else zmax
    titles, ratios, aspects = [], [], []
    for l in layers:
        P = unit_params(result, l, run, k)
        units, inputs = P.shape[0], P.shape[1] - 1
        d = distinct_rows(P)
        kind = "output layer" if l == L - 1 else f"layer {l + 1}"
        if units == 1:
            note = ""
        elif not np.any(P):
            note = "all 0"
        elif d == 1:
            note = "all rows equal"
        else:
            note = f"{d} rows differ" if d < units else "all rows differ"
        titles.append(f"{kind}: {units}×{inputs} + b" + (f"<br>{note}" if note else ""))
        cols = inputs + 1 + BIAS_GAP
        # scaleratio r: one row is r times as tall as a column is wide; keep the plot's
        # height/width = units * r / cols within [1/MAX_ASPECT, MAX_ASPECT].
        r = float(np.clip(1.0, cols / (MAX_ASPECT * units), MAX_ASPECT * cols / units))
        ratios.append(r)
        aspects.append(units * r / cols)
    widths = [1.0 / a for a in aspects]
    domains = _column_domains(widths, spacing=0.1 if len(layers) > 1 else 0.0, min_share=0.22)
    traces, layout = [], {}
    for c, l in enumerate(layers, start=1):
        P = unit_params(result, l, run, k)
        units, inputs = P.shape[0], P.shape[1] - 1
        sx = "" if c == 1 else str(c)
        common = {"xaxis": f"x{sx}", "yaxis": f"y{sx}", "zmin": -zmax, "zmax": zmax,
                  "zmid": 0.0, "colorscale": "RdBu_r", "ygap": 1 if units <= 40 else 0}
        traces.append(go.Heatmap(
            z=P[:, :-1], x=np.arange(1, inputs + 1), y=np.arange(1, units + 1),
            xgap=1 if inputs <= 40 else 0, showscale=c == len(layers),
            colorbar={"title": {"text": "weight / bias", "side": "right"}, "thickness": 14,
                      "len": 0.9},
            hovertemplate=(f"layer {l + 1}<br>unit %{{y}}, input %{{x}}<br>"
                           "w = %{z:.6g}<extra></extra>"), **common))
        bias_x = inputs + 1 + BIAS_GAP
        traces.append(go.Heatmap(
            z=P[:, -1:], x=[bias_x], y=np.arange(1, units + 1), xgap=1, showscale=False,
            hovertemplate=f"layer {l + 1}<br>unit %{{y}}, bias<br>b = %{{z:.6g}}<extra></extra>",
            **common))
        xt = _ticks(inputs, max(2, 8 // len(layers)))
        xtitle = "input feature" if l == 0 else f"unit of layer {l}"
        layout[f"xaxis{sx}"] = {"domain": domains[c - 1], "anchor": f"y{sx}",
                                "title": f"{xtitle}, b = bias", "showgrid": False,
                                "tickmode": "array", "tickvals": [*xt, bias_x],
                                "ticktext": [*map(str, xt), "b"], "tickangle": 0,
                                "range": [0.5, bias_x + 0.5], "constrain": "domain"}
        yt = _ticks(units, 10)
        layout[f"yaxis{sx}"] = {"domain": [0, 1], "anchor": f"x{sx}",
                                "title": "unit" if c == 1 else None, "showgrid": False,
                                "range": [units + 0.5, 0.5], "tickmode": "array",
                                "tickvals": yt, "ticktext": [str(t) for t in yt],
                                "scaleanchor": f"x{sx}", "scaleratio": ratios[c - 1],
                                "constrain": "domain"}
    layout["annotations"] = [
        {"text": t, "x": sum(d) / 2, "y": 1.0, "xref": "paper", "yref": "paper",
         "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}}
        for t, d in zip(titles, domains, strict=True)]
    fig = go.Figure(data=traces, layout=layout)
    epoch = int(h.snapshot_epochs[k])
    fig.update_layout(plot_bgcolor="#cfcfcf")
    seed_text = f", seed {seed}" if result.config.seeds > 1 else ""
    return _style(fig, _init_title(result, f"Weights after {epoch} epochs", init_index),
                  subtitle=f"rows = units; columns = inputs, then the bias b{seed_text}; "
                           f"colour range ±{zmax:.3g}",
                  legend=False, height=HEIGHT + 20, extra_top=42)


# ------------------------------------------------------------------------------------------
# Effective neurons, symmetry gap, gradient norms
# ------------------------------------------------------------------------------------------


def effective_neurons(result: Result, init_index: int, *, metric: str = "distinct_neurons",
                      band: str = "minmax") -> go.Figure:
    """One effective-neuron metric per hidden layer over the snapshot epochs.

    Each hidden layer's width is drawn as a dashed reference line: a layer whose count stays
    far below its width has fewer working neurons than it seems.

    Parameters
    ----------
    metric : str
        ``distinct_neurons``, ``rank``, ``effective_rank`` or ``dead_units`` (see
        :data:`sim.metrics.METRIC_DEFINITIONS`).
    """
    if metric not in METRIC_DEFINITIONS or metric == "symmetry_gap":
        valid = ", ".join(m for m in METRIC_DEFINITIONS if m != "symmetry_gap")
        raise ValueError(f"Unknown metric {metric!r}. Valid names: {valid}.")
    h = result.history
    hidden = result.config.hidden
    fig = go.Figure()
    if not hidden:
        fig.add_annotation(text="no hidden layer", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font={"size": 16})
        return _style(fig, METRIC_LABELS[metric], legend=False)
    x = h.snapshot_epochs
    runs = _runs(result, init_index)
    layers = shown_layers(len(hidden))
    shades = layer_shades(init_index, len(layers))
    for c, l in zip(shades, layers, strict=True):
        _add_curve(fig, x, h.metrics[metric][runs][:, :, l], name=f"layer {l + 1}", color=c,
                   band=band)
    widths = sorted({hidden[l] for l in layers})
    for w in widths:
        fig.add_hline(y=w, line={"color": "#666", "dash": "dash", "width": 1.5},
                      annotation_text=f"layer width {w}", annotation_position="top left",
                      annotation_font={"size": 12, "color": "#444"})
    top = max(hidden) * 1.12 + 0.5
    yaxis = {"title": METRIC_LABELS[metric], "range": [-0.3, top]}
    if metric != "effective_rank":  # counts: whole numbers only on the axis
        yaxis |= {"tick0": 0, "dtick": max(1, math.ceil(top / 8))}
    fig.update_layout(xaxis={"title": "epoch", "range": [0, int(x[-1])]}, yaxis=yaxis)
    sub = _n_seeds_text(result)
    if len(layers) < len(hidden):
        sub = (sub + "; " if sub else "") + f"{len(layers)} of {len(hidden)} layers shown"
    name = METRIC_LABELS[metric].split(" (")[0]
    return _style(fig, _init_title(result, f"{name[0].upper() + name[1:]} per hidden layer",
                                   init_index), subtitle=sub)


def symmetry_gap(result: Result, init_index: int, *, band: str = "minmax") -> go.Figure:
    """Symmetry gap per hidden layer over the snapshot epochs, log scale.

    The gap is the largest difference between two units' incoming parameters. Exactly 0 (a
    perfectly symmetric layer) cannot sit on a log axis, so it is drawn at
    :data:`ZERO_FLOOR` and the chart says so; float32 rounding shows up as a gap that
    grows slowly from ~1e-8.
    """
    h = result.history
    hidden = result.config.hidden
    fig = go.Figure()
    if not hidden:
        return _style(fig, "Symmetry gap: no hidden layer", legend=False)
    x = h.snapshot_epochs
    runs = _runs(result, init_index)
    layers = shown_layers(len(hidden))
    shades = layer_shades(init_index, len(layers))
    for c, l in zip(shades, layers, strict=True):
        _add_curve(fig, x, h.metrics["symmetry_gap"][runs][:, :, l], name=f"layer {l + 1}",
                   color=c, band=band, floor=ZERO_FLOOR)
    gap_all = h.metrics["symmetry_gap"]
    rng = _log_range([gap_all], floor=ZERO_FLOOR)
    fig.update_layout(xaxis={"title": "epoch", "range": [0, int(x[-1])]},
                      yaxis=_log_axis(METRIC_LABELS["symmetry_gap"], rng))
    mine = gap_all[runs][:, :, layers]
    if np.any(mine[np.isfinite(mine)] == 0):
        _note(fig, "at 10<sup>−18</sup>: exactly 0 = perfectly symmetric")
    return _style(fig, _init_title(result, "Symmetry gap per hidden layer", init_index),
                  subtitle="largest difference between two units' incoming weights and bias")


def gradient_norms(result: Result, init_index: int, *, band: str = "minmax") -> go.Figure:
    """Gradient norm per weight layer over the epochs, log scale (exact zeros at the floor)."""
    h = result.history
    G = h.grad_norm  # (R, E, L)
    E, L = G.shape[1], G.shape[2]
    idx = _epoch_index(E)
    x = idx + 1
    runs = _runs(result, init_index)
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
    sub = "‖∇W‖ and ‖∇b‖ together, mean over each epoch's steps"
    if len(layers) < L:
        sub += f"; {len(layers)} of {L} layers shown"
    return _style(fig, _init_title(result, "Gradient norm per layer", init_index), subtitle=sub)


# ------------------------------------------------------------------------------------------
# Activations and decision boundary
# ------------------------------------------------------------------------------------------


def _hidden_outputs(result: Result, run: int, k: int, X: np.ndarray) -> list[np.ndarray]:
    W, b = result.parameters_at(run, k)
    if not all(np.isfinite(w).all() for w in W):
        return []
    with np.errstate(all="ignore"):
        return forward(W, b, X, result.config.activation)


def activation_distribution(result: Result, init_index: int, *, seed: int = 0,
                            max_layers: int = 4) -> go.Figure:
    """Histogram of each hidden layer's outputs on the training inputs, at the first and the
    last snapshot (one run)."""
    h = result.history
    hidden = result.config.hidden
    if not hidden:
        return _style(go.Figure(), "Activations: no hidden layer", legend=False)
    X = result.data.X_train
    k_last = h.snapshot_epochs.size - 1
    layers = shown_layers(len(hidden), max_layers)
    # The x range of each layer covers every initialization, so both sides share it.
    outputs = {}
    for i in range(len(result.config.inits)):
        r = _runs(result, i)[min(seed, result.config.seeds - 1)]
        outputs[i] = (_hidden_outputs(result, r, 0, X), _hidden_outputs(result, r, k_last, X))
    first, last = outputs[init_index]
    color = init_color(init_index)
    light = _mix(color, "#ffffff", 0.55)
    epochs = (int(h.snapshot_epochs[0]), int(h.snapshot_epochs[k_last]))
    domains = _column_domains([1] * len(layers), spacing=0.07)
    traces, layout, notes = [], {}, []
    for c, l in enumerate(layers, start=1):
        sx = "" if c == 1 else str(c)
        arrays = [a[l].ravel() for pair in outputs.values() for a in pair if a]
        everything = np.concatenate(arrays) if arrays else np.zeros(1)
        everything = everything[np.isfinite(everything)]
        lo, hi = ((float(everything.min()), float(everything.max())) if everything.size
                  else (0.0, 1.0))
        mine = [a[l].ravel() for a in (first, last) if a]
        allv = np.concatenate(mine) if mine else np.zeros(1)
        allv = allv[np.isfinite(allv)]
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5, hi + 0.5
        size = (hi - lo) / 40
        lo, hi = lo - size / 2, hi + size / 2
        for a, col, ep in ((first, light, epochs[0]), (last, color, epochs[1])):
            if not a:
                continue
            traces.append(go.Histogram(
                x=a[l].ravel(), name=f"epoch {ep}", legendgroup=str(ep), showlegend=c == 1,
                marker={"color": col, "line": {"width": 0}}, opacity=0.75,
                histnorm="percent", xbins={"start": lo, "end": hi, "size": size},
                xaxis=f"x{sx}", yaxis=f"y{sx}",
                hovertemplate=f"epoch {ep}<br>h in %{{x}}: %{{y:.1f}} %<extra></extra>"))
        vals = np.unique(allv) if allv.size else allv
        if vals.size == 1:
            notes.append({"text": f"every value = {vals[0]:.3g}", "showarrow": False,
                          "xref": f"x{sx} domain", "yref": f"y{sx} domain", "x": 0.5,
                          "y": 0.9, "font": {"size": 12, "color": "#333"}})
        layout[f"xaxis{sx}"] = {"domain": domains[c - 1], "anchor": f"y{sx}",
                                "title": f"h, layer {l + 1} ({hidden[l]} units)",
                                "range": [lo, hi]}
        layout[f"yaxis{sx}"] = {"anchor": f"x{sx}",
                                "title": "share of values (%)" if c == 1 else None}
    layout.update(barmode="overlay", bargap=0.02, annotations=notes)
    fig = go.Figure(data=traces, layout=layout)
    sub = "hidden outputs on the training inputs"
    if len(layers) < len(hidden):
        sub += f"; {len(layers)} of {len(hidden)} layers shown"
    return _style(fig, _init_title(result, "Activations per hidden layer", init_index),
                  subtitle=sub)


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
    run = _runs(result, init_index)[min(seed, result.config.seeds - 1)]
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


# ------------------------------------------------------------------------------------------
# Registry and export helper
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """A chart in :data:`CHARTS`.

    Attributes
    ----------
    name : str
        Used in file names.
    title : str
        Human label.
    per_init : bool
        Whether the chart is drawn once per initialization (``build(result, i, **opts)``) or
        once for the whole comparison (``build(result, **opts)``).
    build : callable
        Returns a figure, or None when the chart does not apply (e.g. accuracy for a
        regression, a decision boundary for 3-D data).
    options : tuple of str
        Keyword options of :func:`all_figures` the chart takes.
    """

    name: str
    title: str
    per_init: bool
    build: Callable[..., go.Figure | None]
    options: tuple[str, ...] = ()


CHARTS: dict[str, ChartSpec] = {c.name: c for c in [
    ChartSpec("loss_overlay", "Loss of all initializations", False, loss_overlay,
              ("log_y", "band")),
    ChartSpec("accuracy", "Accuracy of all initializations", False, accuracy_curves,
              ("band",)),
    ChartSpec("loss", "Loss curves", True, loss_curves, ("log_y", "band")),
    ChartSpec("weights", "Weight heatmaps", True, weight_heatmaps, ("snapshot", "seed")),
    ChartSpec("neurons", "Effective neurons", True, effective_neurons, ("metric", "band")),
    ChartSpec("boundary", "Decision boundary", True, decision_boundary, ("snapshot", "seed")),
    ChartSpec("grad_norm", "Gradient norm per layer", True, gradient_norms, ("band",)),
    ChartSpec("activations", "Activation distribution", True, activation_distribution,
              ("seed",)),
    ChartSpec("symmetry_gap", "Symmetry gap", True, symmetry_gap, ("band",)),
]}


def all_figures(result: Result, *, log_y: bool = True, band: str = "minmax",
                metric: str = "distinct_neurons", snapshot: int = -1, seed: int = 0
                ) -> dict[str, go.Figure]:
    """Every chart of a result, keyed by a file-name stem such as ``loss_init1-zeros``.

    Charts that do not apply to the result (accuracy of a regression, a decision boundary
    of 3-D data) are left out.
    """
    opts = {"log_y": log_y, "band": band, "metric": metric, "snapshot": snapshot,
            "seed": seed}
    out: dict[str, go.Figure] = {}
    for spec in CHARTS.values():
        kw = {k: opts[k] for k in spec.options}
        if spec.per_init:
            for i in range(len(result.config.inits)):
                fig = spec.build(result, i, **kw)
                if fig is not None:
                    out[chart_key(result, spec.name, i)] = fig
        else:
            fig = spec.build(result, **kw)
            if fig is not None:
                out[spec.name] = fig
    return out
