"""Weight heatmaps: each layer's ``[W | b]`` at a snapshot, rows = units, columns = inputs.

The axes follow the engine's convention (see :mod:`sim.network`): ``W`` has shape
``(units, inputs)``, so identical rows are identical neurons. Rows are grouped as equal with
:func:`sim.explain.reading.row_groups`, the same test the captions' counts use.

Three choices make the chart readable for any network:

* **One panel per shown layer, stacked vertically**, each the full width of the chart with
  its own axes, title and a band of pixels reserved for its title and its x axis; the
  figure grows with the panels. Side by side, three layers of a 400 px chart had ~110 px
  each: their titles and axis titles ran into each other. Stacked, a panel's text only
  has to fit the chart's width (:data:`REF_WIDTH`, the narrowest chart the dashboard
  draws), which a title of at most :data:`TITLE_CHARS` characters does.
* **A half-linear, half-logarithmic colour mapping** (:func:`colour_position`): a weight
  ``w`` is coloured at ``(w / zmax + signed_log(w)) / 2``, where :func:`signed_log` is
  ``sign(w) * log10(1 + |w| / t) / log10(1 + zmax / t)`` with ``t = zmax * 10**-7``
  (:data:`LOG_DECADES`). With a linear mapping the eight equal rows of the zeros side
  (about 0.006 against a range of ±9.76 set by the random side) were drawn white, exactly
  like "all zero"; with the log half alone the random side's weights (0.05 to 9.76) were
  all dark. The mapping lives in the colour scale (:func:`colorscale`), not in the
  data: ``z`` stays the real weights, so hover, export and tests read true values, and an
  exact 0 stays exactly white. Because plotly's colour bar is linear in ``z``, the chart
  draws its own colour key (shapes and labels above the panels), labelled with real
  weights (±zmax, ±zmax/1000, 0).
* **The colour range** (``weight_scale``, :data:`sim.charts.view.WEIGHT_SCALES`) is shared
  by both sides at the shown epoch, the side's own, or fixed over every stored epoch so
  that colours compare along the epoch slider.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from sim.charts import motion
from sim.charts.style import _init_title, _style
from sim.charts.view import WEIGHT_SCALES
from sim.explain.reading import row_groups, shown_layers, snapshot_index, unit_params
from sim.train import Result

MAX_ASPECT = 3.0  # a heatmap is at most this many times taller than wide, or wider than tall
BIAS_GAP = 0.5  # gap between a layer's weights and its bias column, in bias-column widths
#: The bias column is at least this share of the weight columns' width (one column of
#: 2,048 would be a hairline).
BIAS_SHARE = 1 / 24
#: Layers shown when ``layers`` is not given: first hidden, a middle one, the output.
DEFAULT_LAYERS = 3
#: Decades of |w| below the range's end that the colours resolve: one more than the
#: engine's tolerance for equal rows (:data:`sim.metrics.DISTINCT_RTOL`, 10**-6), so rows
#: that are counted as different are never both drawn white.
LOG_DECADES = 7
#: Share of the colour position that is linear in w / zmax: it keeps the large weights of a
#: random side apart (0.1 and 2 would both be dark with the log share alone).
LINEAR_SHARE = 0.5

# Geometry, in pixels. The texts are sized for the narrowest chart (REF_WIDTH of plot area,
# one of two columns at 1280 px) at ~7.5 px per character of 13 px text.
REF_WIDTH = 300
CHAR_PX = 7.5
TITLE_CHARS = int(REF_WIDTH // CHAR_PX)  # characters per line of a panel title
TITLE_LINES = 2  # the layer and its shape; its groups of equal rows
LINE_PX = 17
TITLE_PX = TITLE_LINES * LINE_PX + 8  # above each heatmap
AXIS_PX = 50  # below each heatmap: tick labels and the x-axis title
GAP_PX = 14  # between one panel's x-axis title and the next panel's title
PANEL_PX = (100, 300)  # smallest and largest heatmap height
#: The colour key, a horizontal strip at the top of the plot area with its labels under it
#: (in the right margin it took 86 px of a 400 px chart's width).
KEY_PX = 44  # its band: the strip, its labels and a gap
KEY_STRIP_PX = 10
KEY_X = (0.1, 0.9)  # its ends, as fractions of the plot width (room for the end labels)
KEY_BANDS = 40

# ColorBrewer RdBu (plotly's RdBu_r) by |u|, without its two palest stops and with a white
# centre: values a few decades below the range's end are then visibly tinted, and 0 is white.
_BLUE = ((0.0, (255, 255, 255)), (0.25, (146, 197, 222)), (0.5, (67, 147, 195)),
         (0.75, (33, 102, 172)), (1.0, (5, 48, 97)))
_RED = ((0.0, (255, 255, 255)), (0.25, (244, 165, 130)), (0.5, (214, 96, 77)),
        (0.75, (178, 24, 43)), (1.0, (103, 0, 31)))


# ------------------------------------------------------------------------------------------
# Colour range and colour mapping
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


def _abs_max(arrays: list[np.ndarray]) -> np.ndarray:
    """Largest finite |value| of the given history arrays (weights, biases or filters of
    shape (runs, snapshots, ...)), per run and snapshot: an array of shape (runs,
    snapshots), computed once for every epoch a figure's frames need."""
    out = np.zeros(arrays[0].shape[:2])
    for arr in arrays:
        a = np.abs(arr.reshape(*arr.shape[:2], -1))
        a = np.where(np.isfinite(a), a, 0.0)
        if a.shape[-1]:
            out = np.maximum(out, a.max(axis=-1))
    return out


def colour_ranges(result: Result, init_index: int, layers: list[int], weight_scale: str
                  ) -> np.ndarray:
    """Half-width ``zmax`` of the colour range at every stored snapshot.

    ``"shared"``: the largest |w| of both sides at that snapshot (:func:`weight_range`);
    ``"side"``: of this initialization's runs only, so a side whose weights are all small
    gets a range of its own; ``"fixed"``: of both sides over every stored snapshot, the same
    at every epoch. A range of 0 (every weight 0) is taken as 1.

    Returns
    -------
    ndarray of shape (n_snapshots,)
    """
    h = result.history
    arrays = [arr for l in layers for arr in (h.weights[l], h.biases[l])]
    return ranges_of(arrays, result, init_index, weight_scale)


def ranges_of(arrays: list[np.ndarray], result: Result, init_index: int, weight_scale: str
              ) -> np.ndarray:
    """:func:`colour_ranges` of any history arrays of shape (runs, snapshots, ...): the dense
    layers' weights and biases, or the conv filters' (:mod:`sim.charts.filters`)."""
    if weight_scale not in WEIGHT_SCALES:
        raise ValueError(f"Unknown weight_scale {weight_scale!r}. Valid names: "
                         f"{', '.join(WEIGHT_SCALES)}.")
    m = _abs_max(arrays)
    if weight_scale == "side":
        m = m[result.run_indices(init_index)]
    per_snapshot = m.max(axis=0)
    if weight_scale == "fixed":
        per_snapshot = np.full_like(per_snapshot, per_snapshot.max())
    return np.where(per_snapshot > 0, per_snapshot, 1.0)


def signed_log(w: np.ndarray, zmax: float) -> np.ndarray:
    """Where a weight falls on the colour scale, in [-1, 1]:
    ``sign(w) * log10(1 + |w| / t) / log10(1 + zmax / t)`` with ``t = zmax * 10**-LOG_DECADES``.

    Linear near 0 (below ``t``) and logarithmic above, so each decade of |w| gets about the
    same share of the colours; 0 maps to 0 and ``±zmax`` to ±1.
    """
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.log10(1 + np.abs(w) / zmax * 10.0**LOG_DECADES) / math.log10(
        1 + 10.0**LOG_DECADES)


def _colour(u: float) -> str:
    """The colour at position ``u`` in [-1, 1] of the diverging scale (blue < 0 < red)."""
    stops = _RED if u > 0 else _BLUE
    a = abs(u)
    for (p0, c0), (p1, c1) in zip(stops, stops[1:], strict=False):
        if a <= p1:
            t = (a - p0) / (p1 - p0)
            return "rgb({},{},{})".format(*(round(x + (y - x) * t) for x, y in
                                           zip(c0, c1, strict=True)))
    return "rgb({},{},{})".format(*stops[-1][1])


def colour_position(w: np.ndarray, zmax: float) -> np.ndarray:
    """Where a weight is drawn on the diverging colour scale, in [-1, 1] (0 is white):
    ``LINEAR_SHARE * w / zmax + (1 - LINEAR_SHARE) * signed_log(w, zmax)``.

    Monotonic, odd, 0 at 0 and ±1 at ±zmax. The linear share spreads the large weights
    (a random side: 0.1 and 2 of ±9.76 at 0.36 and 0.55), the log share lifts the small
    ones off white (the zeros side's 0.0007 and 0.006 at 0.2 and 0.27).
    """
    w = np.asarray(w, dtype=float)
    return LINEAR_SHARE * w / zmax + (1 - LINEAR_SHARE) * signed_log(w, zmax)


def colorscale(steps_per_decade: int = 3) -> list[list]:
    """A plotly colour scale for ``z`` = the real weights in ``[-zmax, zmax]`` that draws
    them at :func:`colour_position`.

    Plotly interpolates linearly between stops, so the stops sit at |w| / zmax = 10**(-j /
    steps_per_decade) for j up to :data:`LOG_DECADES` decades and every 0.05 above 0.1, each
    with the colour of its position; between two stops the linear interpolation is close to
    the curve. The scale does not depend on ``zmax`` (the mapping is a function of w /
    zmax), so frames only change ``zmin`` and ``zmax``.
    """
    logs = 10.0 ** (-np.arange(LOG_DECADES * steps_per_decade + 1) / steps_per_decade)
    r = np.unique(np.concatenate([logs, np.arange(2, 21) / 20]))[::-1]  # 1 .. 1e-7
    u = colour_position(r, 1.0)
    pos = [*((1 - r) / 2), 0.5, *((1 + r[::-1]) / 2)]
    cols = [*(_colour(-x) for x in u), _colour(0.0), *(_colour(x) for x in u[::-1])]
    pos[0], pos[-1] = 0.0, 1.0
    return [[float(p), c] for p, c in zip(pos, cols, strict=True)]


_COLORSCALE = colorscale()


def _number(x: float) -> str:
    return "0" if x == 0 else f"{x:.2g}".replace("-", "−")


#: The key's labelled values as fractions of zmax, 1 to -1: at 300 px, five labels such as
#: "−0.0098" are as many as fit without touching.
_KEY_W = (1.0, 1e-3, 0.0, -1e-3, -1.0)


def _key_x(f: float) -> float:
    """Where the key draws the weight ``f * zmax``, as a fraction of the plot width."""
    return KEY_X[0] + (KEY_X[1] - KEY_X[0]) * (1 + float(colour_position(f, 1.0))) / 2


def _key_shapes(top: float, px: float) -> list[dict]:
    """The colour key's strip, ``top`` its upper edge in paper units and ``px`` the plot
    area's height in pixels (the same for every range: only its labels change)."""
    y0, y1 = top - KEY_STRIP_PX / px, top
    step = (KEY_X[1] - KEY_X[0]) / KEY_BANDS
    common = {"type": "rect", "xref": "paper", "yref": "paper", "y0": y0, "y1": y1,
              "layer": "above"}
    shapes = [{**common, "x0": KEY_X[0] + i * step, "x1": KEY_X[0] + (i + 1) * step,
               "line": {"width": 0}, "fillcolor": _colour(2 * (i + 0.5) / KEY_BANDS - 1)}
              for i in range(KEY_BANDS)]
    shapes.append({**common, "x0": KEY_X[0], "x1": KEY_X[1],
                   "line": {"width": 1, "color": "#888"}})
    return shapes


def _key_labels(zmax: float, y: float) -> list[dict]:
    """The real weights of the key's colours (±zmax, ±zmax/1000 and 0), each under its
    colour; ``y`` is the strip's lower edge in paper units."""
    return [{"text": _number(f * zmax), "name": "key", "x": _key_x(f), "y": y,
             "xref": "paper", "yref": "paper", "xanchor": "center", "yanchor": "top",
             "yshift": -2, "showarrow": False, "font": {"size": 11, "color": "#444"}}
            for f in _KEY_W]


# ------------------------------------------------------------------------------------------
# Panel titles: the layer and its groups of equal rows
# ------------------------------------------------------------------------------------------


def _rows_text(group: list[int], most: int) -> str:
    """1-based rows of a group, runs collapsed (``1–8``, ``2, 5, 7``), at most ``most``
    characters (then ``1, 3, 5, … (16)``)."""
    runs, start = [], group[0]
    for a, b in zip(group, [*group[1:], None], strict=True):
        if b != a + 1:
            runs.append(f"{start + 1}" if a == start else
                        f"{start + 1}, {a + 1}" if a == start + 1 else f"{start + 1}–{a + 1}")
            start = b
    text = ", ".join(runs)
    if len(text) <= most:
        return text
    cut = text[:max(most - 8 - len(str(len(group))), 1)].rsplit(",", 1)[0]
    return f"{cut}, … ({len(group)})"


def groups_text(P: np.ndarray, width: int = TITLE_CHARS) -> str:
    """One line (at most ``width`` characters) naming the groups of equal rows of ``P``.

    ``rows 1–8 equal: 1 neuron``, ``rows 2, 5, 7 equal: 6 neurons``, ``all rows differ: 8
    neurons``, ``all 0``; with several groups, ``equal rows 1–3 · 5, 7 · …: 4 neurons``.
    Rows are grouped by :func:`sim.explain.reading.row_groups`, so the numbers are those of
    the captions.
    """
    n = P.shape[0]
    if not np.isfinite(P).all():
        return "not finite: the run diverged"
    if not np.any(P):
        return "all 0" if n > 1 else "one unit, all 0"
    if n == 1:
        return "one unit"
    groups = row_groups(P)
    d = len(groups)
    neurons = f"{d} neuron{'s' if d > 1 else ''}"
    same = [g for g in groups if len(g) > 1]
    if not same:
        return f"all rows differ: {neurons}"
    tail = f": {neurons}"
    if len(same) == 1:
        tail = f" equal{tail}"
        return f"rows {_rows_text(same[0], width - 5 - len(tail))}{tail}"
    head, parts = "equal rows ", []
    for i, g in enumerate(same):
        room = width - len(head) - len(tail) - len(" · ".join(parts)) - 3 * bool(parts)
        if i < len(same) - 1:
            room -= 4  # keep room for " · …"
        part = _rows_text(g, room)
        if len(part) > room:
            parts.append("…")
            break
        parts.append(part)
    return head + " · ".join(parts) + tail


def _layer_name(l: int, L: int) -> str:
    return "output layer" if l == L - 1 else f"layer {l + 1}"


# ------------------------------------------------------------------------------------------
# Geometry of one panel
# ------------------------------------------------------------------------------------------


def _ticks(n: int, most: int) -> list[int]:
    """At most ``most`` tick positions in 1..n: every one when there are few, else 1 and
    the multiples of a round step (1, 500, 1000, ... rather than 1, 129, 257, ...); step 2
    keeps the odd rows (1, 3, 5), whose gaps are all equal. ``n`` itself is not forced:
    its label would run into the bias column's."""
    if n <= most:
        return list(range(1, n + 1))
    step = next(s for s in (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500)
                if n / s < most - 1 or s == 2500)
    if step == 2:
        return list(range(1, n + 1, 2))
    return [1, *range(step, n + 1, step)]


def _panel(units: int, inputs: int) -> dict:
    """Where one layer's cells go: the bias column, the cells' aspect (``scaleratio``), the
    heatmap's height and the ticks, for the narrowest chart (:data:`REF_WIDTH`).

    The heatmap keeps its cells' aspect (``scaleanchor``): very tall or very wide layers
    (100×2, 1×2,048) are stretched to at most :data:`MAX_ASPECT` times taller than wide or
    wider than tall, so that none becomes a hairline. Its height is that aspect times the
    reference width, within :data:`PANEL_PX`; what it draws at the reference width sets how
    many tick labels fit.
    """
    bw = max(1.0, inputs * BIAS_SHARE)
    b0 = inputs + 0.5 + BIAS_GAP * bw
    cols = b0 + bw - 0.5
    # scaleratio r: one row is r times as tall as a column is wide; keep the plot's
    # height/width = units * r / cols within [1/MAX_ASPECT, MAX_ASPECT].
    r = float(np.clip(1.0, cols / (MAX_ASPECT * units), MAX_ASPECT * cols / units))
    aspect = units * r / cols
    height = round(float(np.clip(aspect * REF_WIDTH, *PANEL_PX)))
    w_px = min(REF_WIDTH, height / aspect)  # drawn at the reference width
    h_px = w_px * aspect
    px_x = w_px / cols  # pixels per input column
    label = CHAR_PX * len(str(inputs)) + 10
    xt = [t for t in _ticks(inputs, max(2, int(w_px // label) - 1))
          if (b0 + bw / 2 - t) * px_x >= label / 2 + 10]  # clear of the "b" label
    yt = _ticks(units, max(2, int(h_px // 18)))
    return {"bias": [b0, b0 + bw], "bias_x": b0 + bw / 2, "range": [0.5, b0 + bw],
            "ratio": r, "height": height, "xticks": xt, "yticks": yt,
            "xgap": 1 if px_x >= 5 else 0, "ygap": 1 if h_px / units >= 5 else 0}


# ------------------------------------------------------------------------------------------
# The chart
# ------------------------------------------------------------------------------------------


def _layers(L: int, layers: list[int] | None, max_layers: int) -> list[int]:
    """The layers to draw, 0-based (negative counts from the output layer)."""
    if layers is None:
        return shown_layers(L, max_layers)
    bad = [l for l in layers if not -L <= int(l) < L]
    if bad or not layers:
        raise ValueError(f"layers must be a non-empty list of layer indices from 0 to {L - 1} "
                         f"(the output layer is {L - 1}); got {list(layers)}.")
    return [int(l) % L for l in layers]


def weight_heatmaps(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                    zmax: float | None = None, max_layers: int = DEFAULT_LAYERS,
                    layers: list[int] | None = None, weight_scale: str = "shared",
                    frames: bool = False) -> go.Figure:
    """Weight matrices of one run at one stored snapshot: one panel per shown layer, the
    biases as an extra last column ("b").

    Rows are units of the layer, columns its inputs (units of the previous layer) and then
    its bias, so a row is everything one neuron computes with and identical rows are
    identical neurons; each panel's title names its groups of equal rows
    (:func:`groups_text`). Panels are stacked, each the chart's full width, so no text of
    one panel meets another's whatever the number of layers and their widths.

    Colours are diverging, white at exactly 0, half linear and half logarithmic
    (:func:`colour_position`): weights six decades apart are both visibly coloured, where a
    linear scale drew the zeros side's small equal rows as white as zeros. ``z`` holds the
    real weights; a key above the panels gives the real weights of its colours.

    Parameters
    ----------
    result : Result
    init_index : int
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative counts from the end).
    seed : int
        Which seed's run to show.
    zmax : float, optional
        Half-width of the colour range; overrides ``weight_scale``.
    max_layers : int
        Without ``layers``: deep networks show the first, last and evenly spaced layers
        between, this many in all.
    layers : list of int, optional
        The layers to show, 0-based (the output layer is the last; negative counts from
        it). Default: the first hidden layer, a middle one and the output layer.
    weight_scale : {"shared", "side", "fixed"}
        The colour range (:data:`sim.charts.view.WEIGHT_SCALES`): both sides at this
        snapshot, this side only at this snapshot, or both sides over every stored
        snapshot (colours then compare along the epoch slider).
    frames : bool
        Carry the snapshots of :func:`sim.charts.motion.frame_indices` as plotly frames,
        with an epoch slider and play / pause (:func:`sim.charts.motion.animate`). Each
        frame is computed from its snapshot directly (weights, range, panel titles), not by
        drawing the figure again; its weights are float32, which halves the JSON and is
        far finer than a colour or a 6-digit hover.
    """
    h = result.history
    k0 = snapshot_index(result, snapshot)
    seed = min(seed, result.config.seeds - 1)
    run = result.run_indices(init_index)[seed]
    L = len(h.weights)
    shown = _layers(L, layers, max_layers)
    ranges = (np.full(h.snapshot_epochs.size, float(zmax)) if zmax is not None
              else colour_ranges(result, init_index, shown, weight_scale))
    shapes = [(h.weights[l].shape[2], h.weights[l].shape[3]) for l in shown]
    panels = [_panel(u, i) for u, i in shapes]

    # Vertical stack, in pixels from the plot area's top: title band, heatmap, x axis.
    plot_px = KEY_PX + sum(TITLE_PX + p["height"] + AXIS_PX for p in panels) + GAP_PX * (
        len(panels) - 1)
    domains, y = [], plot_px - KEY_PX
    for p in panels:
        top = y - TITLE_PX
        domains.append([round((top - p["height"]) / plot_px, 6), round(top / plot_px, 6)])
        y = top - p["height"] - AXIS_PX - GAP_PX

    def traces(k: int, dtype: type = np.float64) -> list[dict]:
        zm = float(ranges[k])
        out = []
        for l in shown:
            W = h.weights[l][run, k].astype(dtype)
            b = h.biases[l][run, k].astype(dtype)[:, None]
            out += [{"type": "heatmap", "z": W, "zmin": -zm, "zmax": zm},
                    {"type": "heatmap", "z": b, "zmin": -zm, "zmax": zm}]
        return out

    def annotations(k: int) -> list[dict]:
        out = []
        for l, (units, inputs), d in zip(shown, shapes, domains, strict=True):
            note = groups_text(unit_params(result, l, run, k))
            out.append({"text": f"{_layer_name(l, L)}: {units}×{inputs} + b<br>{note}",
                        "name": "panel title", "x": 0.5, "y": d[1], "xref": "paper",
                        "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                        "yshift": 4, "showarrow": False, "font": {"size": 13}})
        return out + _key_labels(float(ranges[k]), 1 - KEY_STRIP_PX / plot_px)

    seed_text = f", seed {seed}" if result.config.seeds > 1 else ""
    how = "given" if zmax is not None else WEIGHT_SCALES[weight_scale]

    def texts(k: int) -> tuple[str, str]:
        epoch = int(h.snapshot_epochs[k])
        title = _init_title(result, f"Weights after {epoch} epochs", init_index)
        subtitle = (f"rows = units; columns = inputs, then bias b{seed_text}<br>"
                    f"colours {how}: ±{float(ranges[k]):.3g}, log-linear")
        return title, subtitle

    # The figure's traces: the snapshot's real weights (float64, as the engine stores them),
    # one weight heatmap and one bias column per panel, on the panel's own axes.
    data = []
    now = traces(k0)
    for c, (l, p) in enumerate(zip(shown, panels, strict=True), start=1):
        sx = "" if c == 1 else str(c)
        common = {"xaxis": f"x{sx}", "yaxis": f"y{sx}", "colorscale": _COLORSCALE,
                  "showscale": False, "ygap": p["ygap"], "y0": 1, "dy": 1}
        w, b = now[2 * c - 2], now[2 * c - 1]
        data.append(go.Heatmap(
            **w, x0=1, dx=1, xgap=p["xgap"], **common,
            hovertemplate=(f"{_layer_name(l, L)}<br>unit %{{y}}, input %{{x}}<br>"
                           "w = %{z:.6g}<extra></extra>")))
        data.append(go.Heatmap(
            **b, x=p["bias"], xgap=0, **common,
            hovertemplate=(f"{_layer_name(l, L)}<br>unit %{{y}}, bias<br>"
                           "b = %{z:.6g}<extra></extra>")))
    layout: dict = {"shapes": _key_shapes(1.0, plot_px), "annotations": annotations(k0),
                    "plot_bgcolor": "#cfcfcf"}
    for c, (l, p, d) in enumerate(zip(shown, panels, domains, strict=True), start=1):
        sx = "" if c == 1 else str(c)
        units, inputs = shapes[c - 1]
        xtitle = f"unit of layer {l}" if l else (
            "conv feature" if result.config.conv else "input feature")
        layout[f"xaxis{sx}"] = {"domain": [0, 1], "anchor": f"y{sx}",
                                "title": f"{xtitle}, b = bias", "showgrid": False,
                                "tickmode": "array", "tickvals": [*p["xticks"], p["bias_x"]],
                                "ticktext": [*map(str, p["xticks"]), "b"], "tickangle": 0,
                                "range": p["range"], "constrain": "domain"}
        layout[f"yaxis{sx}"] = {"domain": d, "anchor": f"x{sx}", "title": "unit",
                                "showgrid": False, "range": [units + 0.5, 0.5],
                                "tickmode": "array", "tickvals": p["yticks"],
                                "ticktext": [str(t) for t in p["yticks"]],
                                "scaleanchor": f"x{sx}", "scaleratio": p["ratio"],
                                "constrain": "domain", "constraintoward": "top"}
    fig = go.Figure(data=data, layout=layout)
    title, subtitle = texts(k0)
    # _style's plot area is its height minus 130 px and the subtitle's second line: ask for
    # the height that leaves the panels exactly plot_px.
    _style(fig, title, subtitle=subtitle, legend=False, height=plot_px + 130 + 18,
           extra_top=18)
    if frames:
        def frame(k: int) -> tuple[list, dict]:
            t, s = texts(k)
            # Only what changes: plotly.js merges a frame's layout containers
            # (annotations) into the figure's by index (Plots.extendLayout), so each
            # annotation needs only its text; this keeps frames small and fast to build.
            return traces(k, np.float32), {"annotations": [{"text": a["text"]}
                                                           for a in annotations(k)],
                                           "title": {"text": f"<b>{t}</b>",
                                                     "subtitle": {"text": s}}}
        motion.animate(fig, motion.frame_indices(h.snapshot_epochs.size, k0), k0,
                       h.snapshot_epochs, frame)
    return fig
