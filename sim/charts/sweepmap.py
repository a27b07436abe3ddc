"""The Map tab's chart: one metric of a sweep as a heatmap over two swept fields, with the
mean-field theory's lines over it.

:func:`sweep_map` draws a :class:`sim.sweep.maps.MapGrid`. Numeric axes are real
coordinates (a cell spans the midpoints to its neighbours, geometric midpoints on a log axis)
so that the theory's lines sit at their true x: the critical line ``χ₁ = 1`` (the edge of
chaos, Poole et al. 2016) and the trainable depth ``6 ξ_c`` (Schoenholz et al. 2017), from
:mod:`sim.theory` through a :class:`sim.sweep.maps.MapTheory`. Non-numeric values (activation
names) make a categorical axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from sim.charts.style import _note, _style
from sim.sweep.maps import (
    MAP_METRICS,
    MapGrid,
    MapTheory,
    field_short,
    field_title,
    format_value,
    is_numeric,
)

#: The map's height in pixels (a square-ish plot beside its colour bar on a 1280 px screen).
MAP_HEIGHT = 470
#: Points of the 6 ξ_c curve across the x range.
CURVE_POINTS = 400
CRITICAL_NAME = "χ₁ = 1"
DEPTH_NAME = "6 ξ_c"
CRITICAL_COLOR = "#D55E00"  # Okabe-Ito vermilion: stands out on every viridis colour
DEPTH_COLOR = "#000000"
CASING = "rgba(255,255,255,0.85)"  # a white edge under each line, readable on dark cells


def is_geometric(values: Sequence) -> bool:
    """Whether numeric values are better drawn on a log axis: at least 3 positive values
    spanning a factor 4 or more, whose steps are more even in log than in linear scale
    (``geom:`` grids, depths 2, 5, 10, 20, 40)."""
    if len(values) < 3 or not is_numeric(values):
        return False
    v = np.asarray(sorted(values), dtype=float)
    if v[0] <= 0 or v[-1] / v[0] < 4:
        return False

    def unevenness(d: np.ndarray) -> float:
        return float(np.std(d) / np.mean(d))

    return unevenness(np.diff(np.log(v))) < unevenness(np.diff(v))


def cell_edges(values: Sequence[float], log: bool) -> np.ndarray:
    """The edges of the cells centred on sorted ``values``: midpoints between neighbours
    (geometric midpoints when ``log``), the outer cells as wide as their neighbour's half.

    Returns
    -------
    ndarray of shape (len(values) + 1,)
    """
    v = np.asarray(values, dtype=float)
    if log:
        return np.exp(cell_edges(np.log(v), log=False))
    if v.size == 1:
        half = 0.5 * max(abs(v[0]), 1.0)
        return np.array([v[0] - half, v[0] + half])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _axis(name: str, values: list) -> tuple[dict, list | np.ndarray, tuple[float, float] | None]:
    """The layout of one axis, the heatmap's coordinates on it, and its range in data units
    (None for a categorical axis)."""
    title = field_title(name)
    if not is_numeric(values):
        return ({"title": title, "type": "category", "showgrid": False},
                [str(v) for v in values], None)
    log = is_geometric(values)
    edges = cell_edges(values, log)
    lo, hi = float(edges[0]), float(edges[-1])
    axis = {"title": title, "type": "log" if log else "linear", "showgrid": False,
            "range": [math.log10(lo), math.log10(hi)] if log else [lo, hi]}
    if len(values) <= 12:  # a tick at every cell's centre, labelled with its value
        axis.update(tickvals=list(values), ticktext=[format_value(v) for v in values])
    return axis, edges, (lo, hi)


def _subtitle(grid: MapGrid) -> str:
    parts = [f"init {grid.init}"] if grid.init else []
    parts += [f"{field_short(k)} = {format_value(v)}" for k, v in grid.fixed.items()]
    m = MAP_METRICS[grid.metric]
    seeds = sorted({int(k) for k in grid.n.ravel() if k > 0})
    n_text = (f"{seeds[0]} seed{'s' if seeds[0] != 1 else ''}" if len(seeds) == 1
              else f"{seeds[0]}–{seeds[-1]} seeds")
    per = "fraction of" if m.kind == "fraction" else "mean over"
    if seeds:
        parts.append(f"{per} {n_text} per cell")
    return "; ".join(parts)


def _dilate(mask: np.ndarray) -> np.ndarray:
    """``mask`` and its neighbours: a curve keeps the first point beyond the plot's edge on
    each side, so that its segment reaches the edge (plotly clips it there)."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def _line(fig: go.Figure, x: np.ndarray, y: np.ndarray, name: str, color: str, dash: str,
          hover: str) -> None:
    """A theory line over the heatmap: a white casing, then the line (in the legend)."""
    common = {"x": x, "y": y, "mode": "lines", "connectgaps": False}
    fig.add_trace(go.Scatter(**common, line={"color": CASING, "width": 6}, hoverinfo="skip",
                             showlegend=False, name=f"{name} casing"))
    fig.add_trace(go.Scatter(**common, line={"color": color, "width": 3, "dash": dash},
                             name=name, hovertemplate=hover + "<extra></extra>"))


def theory_lines(fig: go.Figure, grid: MapGrid, theory: MapTheory,
                 x_range: tuple[float, float], y_range: tuple[float, float]) -> list[str]:
    """Draw the critical line and the 6 ξ_c curve inside the plotted ranges; return the
    names of the lines drawn (a line outside the plotted x range is not drawn)."""
    from sim import theory as mf

    drawn = []
    crit = float(mf.critical_sigma_w2(theory.sigma_b2, theory.activation))
    x_crit = theory.x_of(crit)
    x_lo, x_hi = x_range
    y_lo, y_hi = y_range
    at = f"σ_b² = {format_value(theory.sigma_b2)}, {theory.activation}"
    if x_lo <= x_crit <= x_hi:
        where = (f"σ_w² = {crit:.3g}" if theory.spec is None
                 else f"scale = {x_crit:.3g} (σ_w² = {crit:.3g})")
        _line(fig, np.array([x_crit, x_crit]), np.array([y_lo, y_hi]), CRITICAL_NAME,
              CRITICAL_COLOR, "dash", f"edge of chaos χ₁ = 1: {where}<br>{at}")
        drawn.append(CRITICAL_NAME)
    log_x = fig.layout.xaxis.type == "log"
    xs = (np.geomspace(x_lo, x_hi, CURVE_POINTS) if log_x
          else np.linspace(x_lo, x_hi, CURVE_POINTS))
    if x_lo <= x_crit <= x_hi:  # the curve's peak (infinite depth) is at the critical x
        xs = np.unique(np.append(xs, x_crit))
    sw = np.array([theory.sigma_w2(v) for v in xs])
    with np.errstate(all="ignore"):
        depth = np.asarray(mf.trainable_depth(sw, theory.sigma_b2, theory.activation), float)
    inside = np.isfinite(depth) & (depth >= y_lo) & (depth <= y_hi)
    if inside.any():
        keep = _dilate(inside) & ~np.isnan(depth)
        # Beyond the plot the curve only has to leave it: a point at twice the top is
        # drawn to the edge and clipped there, like the infinite depth at the critical x.
        shown = np.where(keep, np.clip(depth, y_lo / 2 if y_lo > 0 else y_lo - 1,
                                       2 * y_hi), np.nan)
        _line(fig, xs, shown, DEPTH_NAME, DEPTH_COLOR, "solid",
              f"6 ξ_c: depth %{{y:.3g}} at {field_short(grid.x)} = %{{x:.3g}}<br>{at}")
        drawn.append(DEPTH_NAME)
    return drawn


def sweep_map(grid: MapGrid, theory: MapTheory | None = None) -> go.Figure:
    """A sweep's metric over two swept fields, as a heatmap, with the theory's lines.

    Parameters
    ----------
    grid : MapGrid
        From :func:`sim.sweep.maps.map_grid`; ``grid.z`` of shape (len(ys), len(xs)) is the
        heatmap's ``z`` as it is (NaN cells are left blank).
    theory : MapTheory, optional
        From :func:`sim.sweep.maps.map_theory` (None when the axes are not σ_w² (or a
        fan-in-normal scale) and depth, or the activation has no theory): draws the critical
        line ``χ₁ = 1`` and the curve ``6 ξ_c`` where they fall inside the plotted ranges.

    Returns
    -------
    plotly.graph_objects.Figure
        The heatmap first; each theory line as a white casing then the named line
        (``"χ₁ = 1"``, ``"6 ξ_c"``). ``layout.meta["theory"]`` lists the lines drawn.
    """
    m = MAP_METRICS[grid.metric]
    xaxis, xc, x_range = _axis(grid.x, grid.xs)
    yaxis, yc, y_range = _axis(grid.y, grid.ys)
    zrange = {"zmin": 0.0, "zmax": 1.0} if m.kind == "fraction" else {}
    fig = go.Figure(go.Heatmap(
        x=xc, y=yc, z=grid.z, text=grid.hover, hovertemplate="%{text}<extra></extra>",
        colorscale="Viridis", reversescale=m.better == "low", hoverongaps=False,
        colorbar={"title": {"text": m.label.replace(" (", "<br>("), "side": "right",
                            "font": {"size": 13}},
                  "thickness": 14, "len": 0.9, "tickfont": {"size": 12}},
        name=m.label, showlegend=False, **zrange))
    fig.update_layout(xaxis=xaxis, yaxis=yaxis)
    drawn: list[str] = []
    if theory is not None and x_range is not None and y_range is not None:
        drawn = theory_lines(fig, grid, theory, x_range, y_range)
    title = f"{m.label[0].upper()}{m.label[1:]} over {field_short(grid.x)} and " \
            f"{field_short(grid.y)}"
    if np.isnan(grid.z).any():
        _note(fig, "blank cells: no value (no rows, or no seed reached the target)"
              if m.kind == "reached" else "blank cells: no value")
    _style(fig, title, height=MAP_HEIGHT, legend=bool(drawn), subtitle=_subtitle(grid))
    fig.update_layout(meta={"theory": drawn, "metric": grid.metric},
                      margin={"r": 24})
    return fig
