"""How many neurons really work: effective-neuron metrics, symmetry gap, activations.

Per hidden layer: the counts of :data:`sim.metrics.METRIC_DEFINITIONS` over the snapshots
(with the layer width as a reference line), the symmetry gap on a log axis (exact zeros at
:data:`~sim.charts.style.ZERO_FLOOR`), and histograms of the hidden outputs at the first and
last snapshot.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from sim.charts.curves import _add_curve
from sim.charts.style import (
    HEIGHT,
    ZERO_FLOOR,
    _column_domains,
    _init_title,
    _log_axis,
    _log_range,
    _mix,
    _n_seeds_text,
    _note,
    _style,
    init_color,
    layer_shades,
)
from sim.explain.reading import hidden_outputs, shown_layers
from sim.metrics import METRIC_DEFINITIONS
from sim.train import Result

METRIC_LABELS = {
    "distinct_neurons": "distinct neurons (count)",
    "rank": "rank of the layer's output",
    "effective_rank": "effective rank",
    "dead_units": "dead units (count)",
    "symmetry_gap": "symmetry gap max|θᵢ − θⱼ| (log)",
}


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
    runs = result.run_indices(init_index)
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
    runs = result.run_indices(init_index)
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


def _hidden_outputs(result: Result, run: int, k: int, X: np.ndarray) -> list[np.ndarray]:
    """The dense hidden layers' outputs of one run at snapshot ``k`` on ``X`` (a convnet's
    conv layers and pooling included: its first dense layer reads the conv output); [] after
    divergence."""
    W, _ = result.network_at(run, k)
    if not all(np.isfinite(w).all() for w in W):
        return []
    return hidden_outputs(result, run, k, X)


#: Pixels between two rows of activation panels: the upper row's tick labels and x-axis
#: title.
PANEL_ROW_GAP = 56
#: Plot height of one more row of activation panels.
PANEL_HEIGHT = 120
#: Histogram bins per panel.
BINS = 40
#: A panel's x-axis title longer than this drops the word "units" (at 12 px, ~135 px wide:
#: half of a 300 px plot area).
PANEL_TITLE_CHARS = 19


def _panel_grid(n: int) -> tuple[int, int]:
    """``(rows, columns)`` of ``n`` activation panels: two columns, so that at 300 px each
    panel keeps ~135 px for its x-axis title and tick labels (four side by side had 60 px
    and their titles piled up)."""
    cols = 1 if n == 1 else 2
    return math.ceil(n / cols), cols


def _row_domains(rows: int, plot_height: float) -> list[list[float]]:
    """Vertical domains (top row first) of ``rows`` panel rows in a plot area of
    ``plot_height`` pixels, :data:`PANEL_ROW_GAP` apart."""
    gap = PANEL_ROW_GAP / plot_height
    height = (1 - gap * (rows - 1)) / rows
    out = []
    for r in range(rows):
        hi = 1 - r * (height + gap)
        out.append([round(max(hi - height, 0.0), 6), round(hi, 6)])
    return out


def _panel_title(layer: int, units: int) -> str:
    text = f"layer {layer} ({units} units)"
    return text if len(text) <= PANEL_TITLE_CHARS else f"layer {layer} ({units})"


def activation_distribution(result: Result, init_index: int, *, seed: int = 0,
                            max_layers: int = 4) -> go.Figure:
    """Histogram of each hidden layer's outputs on the training inputs, at the first and the
    last snapshot (one run): one panel per layer, two panels a row.

    The last snapshot is drawn as bars and the first as a step line on top of them, so that
    neither hides the other where they share bins (a spike at 0 at both epochs shows as the
    outlined bar).
    """
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
        r = result.run_indices(i)[min(seed, result.config.seeds - 1)]
        outputs[i] = (_hidden_outputs(result, r, 0, X), _hidden_outputs(result, r, k_last, X))
    first, last = outputs[init_index]
    color = init_color(init_index)
    dark = _mix(color, "#000000", 0.45)
    epochs = (int(h.snapshot_epochs[0]), int(h.snapshot_epochs[k_last]))
    n_rows, n_cols = _panel_grid(len(layers))
    columns = _column_domains([1] * n_cols, spacing=0.1)
    height = HEIGHT + (PANEL_HEIGHT + PANEL_ROW_GAP) * (n_rows - 1)
    traces, layout, notes = [], {}, []
    for c, l in enumerate(layers, start=1):
        sx = "" if c == 1 else str(c)
        where = {"xaxis": f"x{sx}", "yaxis": f"y{sx}"}
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
        size = (hi - lo) / BINS
        lo, hi = lo - size / 2, hi + size / 2
        edges = np.linspace(lo, hi, BINS + 2)
        centres = (edges[:-1] + edges[1:]) / 2
        shares = {}
        for a, ep in ((first, epochs[0]), (last, epochs[1])):
            v = a[l].ravel() if a else np.zeros(0)
            v = v[np.isfinite(v)]
            counts = np.histogram(v, bins=edges)[0]
            shares[ep] = 100.0 * counts / max(v.size, 1) if a else None
        hover = "h in [%{customdata[0]:.3g}, %{customdata[1]:.3g}): %{y:.1f} %<extra></extra>"
        bins = np.column_stack([edges[:-1], edges[1:]])
        if shares[epochs[1]] is not None:  # the last epoch: bars, drawn first (underneath)
            traces.append(go.Bar(
                x=centres, y=shares[epochs[1]], width=size, customdata=bins,
                name=f"epoch {epochs[1]}", legendgroup="last", showlegend=c == 1, legendrank=2,
                marker={"color": color, "line": {"width": 0}}, opacity=0.55,
                hovertemplate=f"epoch {epochs[1]}<br>{hover}", **where))
        if shares[epochs[0]] is not None:  # the first: a step line on top of the bars
            p = shares[epochs[0]]
            traces.append(go.Scatter(
                x=np.concatenate([[edges[0]], edges, [edges[-1]]]),
                y=np.concatenate([[0.0], p, [p[-1], 0.0]]), mode="lines",
                line={"color": dark, "width": 2, "shape": "hv"},
                name=f"epoch {epochs[0]}", legendgroup="first", showlegend=c == 1,
                legendrank=1, hoverinfo="skip", **where))
            traces.append(go.Scatter(  # the line's hover, one point per bin
                x=centres, y=p, mode="markers", marker={"size": 6, "opacity": 0},
                customdata=bins, showlegend=False, legendgroup="first",
                name=f"epoch {epochs[0]}", hovertemplate=f"epoch {epochs[0]}<br>{hover}",
                **where))
        vals = np.unique(allv) if allv.size else allv
        if vals.size == 1:
            notes.append({"text": f"every value = {vals[0]:.3g}", "showarrow": False,
                          "xref": f"x{sx} domain", "yref": f"y{sx} domain", "x": 0.5,
                          "y": 0.9, "font": {"size": 12, "color": "#333"}})
        layout[f"xaxis{sx}"] = {"domain": columns[(c - 1) % n_cols], "anchor": f"y{sx}",
                                "range": [lo, hi],
                                "title": {"text": _panel_title(l + 1, hidden[l]),
                                          "font": {"size": 12}}}
        layout[f"yaxis{sx}"] = {"anchor": f"x{sx}", "rangemode": "tozero",
                                "title": "share (%)" if (c - 1) % n_cols == 0 else None}
    layout.update(barmode="overlay", bargap=0.02, annotations=notes)
    fig = go.Figure(data=traces, layout=layout)
    sub = "hidden outputs h on the training inputs"
    if len(layers) < len(hidden):
        sub += f"; {len(layers)} of {len(hidden)} layers"
    fig = _style(fig, _init_title(result, "Activations per hidden layer", init_index),
                 subtitle=sub, height=height)
    m = fig.layout.margin
    rows = _row_domains(n_rows, fig.layout.height - m.t - m.b)
    for c in range(1, len(layers) + 1):
        fig.layout[f"yaxis{'' if c == 1 else c}"].domain = rows[(c - 1) // n_cols]
    return fig
