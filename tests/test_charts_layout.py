"""Chart text does not overlap at 1280 px, where a chart is ~400 px wide (a 300 px plot area).

Plotly neither wraps titles nor moves them out of a legend's way, so these tests place every
text from the figure's layout the way plotly.js 4 does, with text ~7.5 px per character at
13 px (proportionally at other sizes; wider than Arial, Inter or DejaVu Sans measure):

* the legend grows upwards from the plot, 30 px a row (measured in Chromium), wrapping at the
  plot's width; it must stay below the title block :func:`sim.charts.style._style` reserves
  (a 22 px top band, 22 px per title line, 22 px for the subtitle);
* the texts of different panels (axis titles, tick labels, annotations) do not overlap;
* every legend entry's trace can be seen: not drawn under an identical-bin opaque bar trace.

The charts are those of :mod:`sim.charts.curves` and :mod:`sim.charts.neurons` for the presets
whose charts overlapped: ``deep_relu``, ``scale`` and ``dead_zeros``.
"""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np
import plotly.graph_objects as go
import pytest

from sim import PRESETS, train_comparison
from sim.charts.curves import accuracy_curves, gradient_norms, loss_curves, loss_overlay
from sim.charts.neurons import activation_distribution, effective_neurons, symmetry_gap

PLOT_WIDTH = 300
CHAR_PX = 7.5  # per character at 13 px
LEGEND_ROW_PX = 30
LEGEND_ENTRY_PX = 48  # symbol, gaps
TICK_LABELS_PX = 20  # tick length and one line of 12 px tick labels under an x axis
LINE = 1.3  # line height / font size
PRESET_NAMES = ("deep_relu", "scale", "dead_zeros")

PER_INIT = {"loss_curves": loss_curves, "gradient_norms": gradient_norms,
            "effective_neurons": effective_neurons, "symmetry_gap": symmetry_gap,
            "activation_distribution": activation_distribution}
WHOLE = {"loss_overlay": loss_overlay, "accuracy_curves": accuracy_curves}


@pytest.fixture(scope="module")
def results() -> dict:
    """The presets' results, trained once (deep_relu takes a couple of seconds)."""
    return {name: train_comparison(PRESETS[name].config()) for name in PRESET_NAMES}


def _figures(results: dict, chart: str) -> list[tuple[str, go.Figure]]:
    out = []
    for preset, res in results.items():
        if chart in PER_INIT:
            out += [(f"{preset}/{i}", PER_INIT[chart](res, i)) for i in (0, 1)]
        else:
            fig = WHOLE[chart](res)
            if fig is not None:
                out.append((preset, fig))
    return out


CHARTS = [*PER_INIT, *WHOLE]


# ------------------------------------------------------------------------------------------
# Text boxes
# ------------------------------------------------------------------------------------------


def _text_width(text: str, size: float) -> float:
    plain = re.sub(r"<[^>]+>", "", text or "")
    return CHAR_PX * size / 13 * len(plain)


def _legend_names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data if t.showlegend is not False and t.name
            and t.visible is not False]


def _legend_rows(fig: go.Figure) -> int:
    """Rows plotly needs for the horizontal legend at :data:`PLOT_WIDTH`."""
    names = _legend_names(fig)
    if not names or fig.layout.showlegend is False:
        return 0
    size = (fig.layout.legend.font.size if fig.layout.legend.font.size else 13)
    rows, used = 1, 0.0
    for n in names:
        w = LEGEND_ENTRY_PX + _text_width(n, size)
        if used and used + w > PLOT_WIDTH:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _title_block_bottom(fig: go.Figure) -> float:
    title = fig.layout.title
    lines = (title.text or "").count("<br>") + 1
    return 22 + 22 * lines + (22 if title.subtitle.text else 0)


class Box:
    """A text's rectangle in pixels (x right, y down from the figure's top) and its panel."""

    def __init__(self, x0, y0, x1, y1, owner, what):
        self.x0, self.y0, self.x1, self.y1, self.owner, self.what = x0, y0, x1, y1, owner, what

    def overlaps(self, other: Box) -> bool:
        return (self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1
                and other.y0 < self.y1)

    def __repr__(self) -> str:
        return f"{self.what} [{self.x0:.0f}, {self.y0:.0f}, {self.x1:.0f}, {self.y1:.0f}]"


def _axes(fig: go.Figure, letter: str) -> dict[str, object]:
    """``{"x": xaxis, "x2": xaxis2, ...}`` of the figure's layout."""
    out = {}
    for key in fig.layout:
        if re.fullmatch(f"{letter}axis\\d*", key) and fig.layout[key] is not None:
            out[letter + key[5:]] = fig.layout[key]
    return out


def _text_boxes(fig: go.Figure) -> list[Box]:
    """Axis titles, x tick label bands and annotations, in pixels."""
    m = fig.layout.margin
    plot_h = fig.layout.height - m.t - m.b

    def px(fx):
        return m.l + fx * PLOT_WIDTH

    def py(fy):
        return m.t + (1 - fy) * plot_h

    xs, ys = _axes(fig, "x"), _axes(fig, "y")
    boxes = []
    for name, ax in xs.items():
        d = ax.domain or (0, 1)
        y_name = ax.anchor if ax.anchor and ax.anchor != "free" else "y"
        yd = ys[y_name].domain if y_name in ys and ys[y_name].domain else (0, 1)
        bottom = py(yd[0])
        boxes.append(Box(px(d[0]), bottom, px(d[1]), bottom + TICK_LABELS_PX, name,
                         f"{name} tick labels"))
        if ax.title.text:
            size = ax.title.font.size or 14
            w = _text_width(ax.title.text, size)
            centre = px((d[0] + d[1]) / 2)
            top = bottom + TICK_LABELS_PX + 4
            boxes.append(Box(centre - w / 2, top, centre + w / 2, top + LINE * size, name,
                             f"{name} title {ax.title.text!r}"))
    for name, ax in ys.items():
        if not ax.title.text:
            continue
        d = ax.domain or (0, 1)
        x_name = ax.anchor if ax.anchor and ax.anchor != "free" else "x"
        xd = xs[x_name].domain if x_name in xs and xs[x_name].domain else (0, 1)
        size = ax.title.font.size or 14
        h = _text_width(ax.title.text, size)  # rotated: its length is its height
        centre = (py(d[0]) + py(d[1])) / 2
        left = px(xd[0]) - 30 - LINE * size  # right of it: tick labels and ticks
        boxes.append(Box(left, centre - h / 2, left + LINE * size, centre + h / 2,
                         x_name, f"y{name[1:]} title {ax.title.text!r}"))
    for a in fig.layout.annotations:
        if a.name == "note":  # under the plot, stacked by _note: checked elsewhere
            continue
        size = a.font.size or 14
        w, h = _text_width(a.text, size), LINE * size * ((a.text or "").count("<br>") + 1)
        owner = "paper"
        x, y = a.x, a.y
        if a.xref and a.xref.endswith(" domain"):
            owner = a.xref.split()[0]
            d = xs[owner].domain or (0, 1)
            x = d[0] + x * (d[1] - d[0])
        if a.yref and a.yref.endswith(" domain"):
            d = ys[a.yref.split()[0]].domain or (0, 1)
            y = d[0] + y * (d[1] - d[0])
        if (a.xref or "paper") not in ("paper",) and not a.xref.endswith(" domain"):
            continue  # in data coordinates (reference lines' labels): inside its own plot
        cx, cy = px(x), py(y) - (a.yshift or 0)
        x0 = {"left": cx, "right": cx - w}.get(a.xanchor, cx - w / 2)
        y0 = {"top": cy, "bottom": cy - h}.get(a.yanchor, cy - h / 2)
        boxes.append(Box(x0, y0, x0 + w, y0 + h, owner, f"annotation {a.text!r}"))
    return boxes


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chart", CHARTS)
def test_legend_rows_stay_under_the_subtitle(results, chart):
    """The legend's rows fit between the plot and the title block at a 300 px plot width:
    a legend that wraps into more rows than the top margin holds covers the subtitle."""
    for where, fig in _figures(results, chart):
        rows = _legend_rows(fig)
        legend_top = fig.layout.margin.t - LEGEND_ROW_PX * rows
        assert legend_top >= _title_block_bottom(fig), (where, rows, fig.layout.margin.t)


@pytest.mark.parametrize("chart", CHARTS)
def test_texts_of_different_panels_do_not_overlap(results, chart):
    """Axis titles, tick labels and annotations of one panel stay clear of every other
    panel's (four histograms side by side at 300 px piled their axis titles up)."""
    for where, fig in _figures(results, chart):
        boxes = _text_boxes(fig)
        clashes = [(a, b) for a, b in combinations(boxes, 2)
                   if a.owner != b.owner and a.overlaps(b)]
        assert not clashes, (where, clashes)


def _bins(trace) -> tuple | None:
    if trace.type == "bar":
        return tuple(np.asarray(trace.x, float).round(9))
    if trace.type == "histogram":
        b = trace.xbins
        return (b.start, b.end, b.size)
    return None


def _visible(trace) -> bool:
    if trace.visible is False or (trace.opacity is not None and trace.opacity == 0):
        return False
    if trace.type == "scatter":
        mode = trace.mode or "lines"
        lines = "lines" in mode and (trace.line.width is None or trace.line.width > 0)
        markers = "markers" in mode and trace.marker.opacity != 0
        return bool(lines or markers or trace.fill not in (None, "none"))
    return True


@pytest.mark.parametrize("chart", CHARTS)
def test_every_legend_entry_can_be_seen(results, chart):
    """Each trace with a legend entry is drawn visibly, and no bar trace with one lies under
    a later (drawn on top) mostly opaque bar trace with the same bins on the same axes: the
    epoch-0 histogram hid under the last epoch's and its legend entry showed nothing."""
    for where, fig in _figures(results, chart):
        data = list(fig.data)
        for k, t in enumerate(data):
            if t.showlegend is False or not t.name:
                continue
            assert _visible(t), (where, t.name)
            if _bins(t) is None:
                continue
            for later in data[k + 1:]:
                covers = (_bins(later) == _bins(t) and later.xaxis == t.xaxis
                          and later.yaxis == t.yaxis and (later.opacity or 1.0) >= 0.7)
                assert not covers, (where, t.name, "under", later.name)


def test_activation_panels_are_two_per_row(results):
    """Four layers' histograms take two rows of two panels (each ~135 px at 300 px), the
    chart growing so that every panel keeps its height; both sides are the same height."""
    res = results["deep_relu"]
    left, right = activation_distribution(res, 0), activation_distribution(res, 1)
    domains = {tuple(ax.domain) for ax in _axes(left, "x").values()}
    assert len(domains) == 2
    assert all((d[1] - d[0]) * PLOT_WIDTH >= 130 for d in domains)
    assert left.layout.height == right.layout.height > 380
