"""Unit trajectories: one line per hidden unit of a layer, its incoming weight over the epochs.

The lesson in one picture: after a zero (or constant) start every unit of a layer gets the
same gradient at every step, so the units' lines lie on top of each other for ever ("8
units on one line"); after a random start each unit has a line of its own.

What is drawn for a unit is its weight from the layer's first input (the first input
feature ``x₁`` for the first hidden layer, unit 1 of the previous layer deeper in): the
projection of the unit's incoming weight vector on the first axis, a direction that is the
same for every unit and both initializations, and the one number a learner can find in the
weight heatmap (column 1). Whether lines are drawn as one is decided on everything the unit
computes with, its whole row of ``[W | b]`` at every stored epoch (the tolerance of
:func:`sim.explain.reading.distinct_rows`), never on the one plotted number alone.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.charts import motion
from sim.charts.network import MAX_NODES, representatives
from sim.charts.style import _init_title, _lin_range, _mix, _note, _style, init_color
from sim.explain.reading import snapshot_index, unit_groups
from sim.train import Result

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
#: At most this many lines (a group of coinciding units is one line).
MAX_LINES = MAX_NODES


def _trajectory_groups(result: Result, layer: int, run: int) -> np.ndarray:
    """Group label per unit: units whose ``[W | b]`` rows are equal at every stored epoch
    (the finite ones; a diverged run's NaN epochs carry no information)."""
    h = result.history
    W = h.weights[layer][run].astype(np.float64)  # (S, units, inputs)
    b = h.biases[layer][run].astype(np.float64)[:, :, None]
    P = np.concatenate([W, b], axis=2)
    finite = np.isfinite(P).all(axis=(1, 2))
    if not finite.any():
        return np.arange(P.shape[1])
    return unit_groups(P[finite].transpose(1, 0, 2).reshape(P.shape[1], -1))


def unit_trajectories(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                      layer: int = 0, frames: bool = False) -> go.Figure | None:
    """Each unit of hidden layer ``layer`` over the epochs: its weight from the layer's first
    input, one line per unit, and a vertical marker at the shown snapshot.

    Units that are the same unit at every stored epoch (equal rows of ``[W | b]``) are one
    line, named "8 units on one line" in the legend: the zeros side's units are one line,
    the random side's spread apart. At most :data:`MAX_LINES` lines: the lines of several
    units first, then single units evenly spaced over the layer; a note says how many units
    are not drawn. The y range is shared by every initialization of the result, so the left
    and right charts compare.

    Parameters
    ----------
    result : Result
    init_index : int
    snapshot : int
        Index into ``result.history.snapshot_epochs`` of the marker (negative counts from
        the end).
    seed : int
        Which seed's run to show.
    layer : int
        Hidden layer, 0 = the first (beyond the last hidden layer: the last).
    frames : bool
        Carry the other snapshots as plotly frames (only the marker and the points on the
        lines move), with an epoch slider and play / pause.

    Returns
    -------
    Figure or None
        None for a network without hidden layer. The traces: one per line (the single
        units share the first, as separate pieces), then the marker, then the points at
        the shown epoch.
    """
    h = result.history
    n_hidden = len(h.weights) - 1
    if n_hidden < 1:
        return None
    layer = int(np.clip(layer, 0, n_hidden - 1))
    k = snapshot_index(result, snapshot)
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    epochs = h.snapshot_epochs.astype(float)
    Y = h.weights[layer][run, :, :, 0].astype(np.float64)  # (S, units): weight from input 1
    units = Y.shape[1]
    labels = _trajectory_groups(result, layer, run)
    members, _, left_out = representatives(labels, np.zeros(units, bool))
    color = init_color(init_index)
    rng = _lin_range([h.weights[layer][:, :, :, 0]]) or [-1.0, 1.0]

    fig = go.Figure()
    singles = [m for m in members if m.size == 1]
    groups = [m for m in members if m.size > 1]
    if singles:
        nan = np.full((len(singles), 1), np.nan)
        xs = np.hstack([np.tile(epochs, (len(singles), 1)), nan]).ravel()
        ys = np.hstack([Y[:, [int(m[0]) for m in singles]].T, nan]).ravel()
        ids = np.repeat([int(m[0]) + 1 for m in singles], epochs.size + 1)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, customdata=ids, mode="lines", name="1 line per unit",
            line={"color": _mix(color, "#ffffff", 0.15), "width": 1.6},
            hovertemplate="unit %{customdata}<br>epoch %{x}<br>w = %{y:.4g}<extra></extra>"))
    for i, m in enumerate(sorted(groups, key=lambda m: -m.size)):
        fig.add_trace(go.Scatter(
            x=epochs, y=Y[:, int(m[0])], mode="lines", name=f"{m.size} units on one line",
            showlegend=i < 2, line={"color": _mix(color, "#000000", 0.25), "width": 4},
            hovertemplate=(f"{m.size} units on one line (units {_unit_list(m)})<br>"
                           "epoch %{x}<br>w = %{y:.4g}<extra></extra>")))
    n_static = len(fig.data)
    drawn = sorted(members, key=lambda m: int(m[0]))
    first = np.array([int(m[0]) for m in drawn])
    sizes = np.array([m.size for m in drawn])

    def moving(kk: int) -> list[dict]:
        e = float(epochs[kk])
        return [{"type": "scatter", "x": np.array([e, e])},
                {"type": "scatter", "x": np.full(first.size, e), "y": Y[kk, first]}]

    marker, points = moving(k)
    fig.add_trace(go.Scatter(**marker, y=rng, mode="lines", name="shown epoch",
                             showlegend=False, hoverinfo="skip",
                             line={"color": "#666", "width": 1.2, "dash": "dash"}))
    fig.add_trace(go.Scatter(
        **points, mode="markers", name="at the shown epoch", showlegend=False,
        customdata=np.column_stack([first + 1, sizes]),
        marker={"color": color, "size": 8, "line": {"color": "white", "width": 1}},
        hovertemplate=("unit %{customdata[0]} (%{customdata[1]} on this line)<br>"
                       "epoch %{x}<br>w = %{y:.4g}<extra></extra>")))
    if left_out:
        _note(fig, f"{units - left_out} of {units} units drawn (+{left_out} more units "
                   "not drawn)")
    source = f"unit 1 of layer {layer}" if layer else (
        "conv feature 1" if result.config.conv else "x" + "1".translate(_SUB))
    fig.update_layout(
        xaxis={"title": "epoch", "range": [0, float(epochs[-1])]},
        yaxis={"title": f"weight from {source}<br>into each unit", "range": rng})
    n_lines = len(members)
    if n_lines == 1 and units > 1:
        headline = f"{units} units on one line: they never differ"
    elif n_lines == units:
        headline = f"{units} units, {units} different lines"
    else:
        headline = f"{units} units on {len(set(labels.tolist()))} lines"
    fig = _style(fig, _init_title(result, f"Units of layer {layer + 1} over the epochs",
                                  init_index), subtitle=headline)
    if frames:
        empty = [{"type": "scatter"} for _ in range(n_static)]
        motion.animate(fig, motion.frame_indices(epochs.size, k), k, h.snapshot_epochs,
                       lambda kk: (empty + moving(kk), {}))
    return fig


def _unit_list(m: np.ndarray) -> str:
    u = [int(v) + 1 for v in m]
    if u == list(range(u[0], u[-1] + 1)):
        return f"{u[0]}–{u[-1]}"
    return ", ".join(map(str, u[:6])) + (", …" if len(u) > 6 else "")
