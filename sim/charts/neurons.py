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
from sim.explain.reading import shown_layers
from sim.metrics import METRIC_DEFINITIONS
from sim.network import forward
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
        r = result.run_indices(i)[min(seed, result.config.seeds - 1)]
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
