"""Weight heatmaps: each layer's ``[W | b]`` at a snapshot, rows = units, columns = inputs.

The axes follow the engine's convention (see :mod:`sim.network`): ``W`` has shape
``(units, inputs)``, so identical rows are identical neurons. Rows are counted as equal with
:func:`sim.explain.reading.distinct_rows`, the same test the captions use.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from sim.charts.style import HEIGHT, _column_domains, _init_title, _style
from sim.explain.reading import distinct_rows, shown_layers, snapshot_index, unit_params
from sim.train import Result

MAX_ASPECT = 3.0  # a heatmap is at most this many times taller than wide, or wider than tall
BIAS_GAP = 0.5  # cells between a layer's weights and its bias column


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
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
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
