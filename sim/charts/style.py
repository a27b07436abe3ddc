"""The look every chart shares: template, colours, titles, legends, axes and notes.

Every figure of :mod:`sim.charts` goes through :func:`_style` (title, subtitle, legend row,
margins), takes its colours from :func:`init_color` and :func:`layer_shades`, its log axes
from :func:`_log_axis` and :func:`_log_range`, and its notes under the x axis from
:func:`_note`.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from sim.charts.names import init_label
from sim.train import Result

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
TITLE_CHARS = 40  # a bold 16 px title across a 400 px chart (two columns at 1280 px)
CLASS_COLORS = ("#5E3C99", "#E66101", "#1B9E77", "#E7298A", "#66A61E", "#A6761D", "#666666",
                "#1F78B4", "#B2DF8A", "#FB9A99")
NOTE_LINE = 18  # pixels per note line under the x-axis title
#: Pixels plotly.js draws per row of a horizontal legend at 13 px (measured in Chromium):
#: a legend of several rows grows upwards from the plot, so reserving less lets its first
#: row climb over the subtitle.
LEGEND_ROW = 30


# ------------------------------------------------------------------------------------------
# Colours
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


# ------------------------------------------------------------------------------------------
# Layout: title, legend, subplots
# ------------------------------------------------------------------------------------------


def _style(fig: go.Figure, title: str, *, height: int = HEIGHT, legend: bool = True,
           subtitle: str = "", extra_top: int = 0) -> go.Figure:
    """Apply the look every chart shares: title (and subtitle) at the top left, the legend
    in one row between the title and the plot, margins that leave room for axis titles."""
    rows = _legend_rows(fig) if legend else 0
    lines = title.count("<br>") + 1
    top = (22 + 22 * lines + (22 if subtitle else 0) + LEGEND_ROW * rows + (6 if rows else 0)
           + extra_top)
    total = height + 22 * (lines - 1) + NOTE_LINE * _notes(fig)
    fig.update_layout(
        template=TEMPLATE, height=total, showlegend=legend,
        # plotly anchors a multi-line title by its first line: move it down by the extra lines
        title={"text": f"<b>{title}</b>", "y": 1 - (6 + 22 * (lines - 1)) / total,
               "subtitle": {"text": subtitle, "font": {"size": 13, "color": "#555"}}},
        margin={"l": 78, "r": 24, "t": top, "b": 64 + NOTE_LINE * _notes(fig)})
    return fig


def _legend_rows(fig: go.Figure, width: int = 300) -> int:
    """Rows a horizontal legend needs at about ``width`` pixels (a guess from text length:
    plotly does not move the title out of the way of a legend that wraps). 300 px is the
    plot area of a chart in one of two columns on a 1280 px projector: at 480 px the
    accuracy chart's three entries were counted as one row, wrapped to two and covered its
    subtitle."""
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


# ------------------------------------------------------------------------------------------
# Titles and subtitles
# ------------------------------------------------------------------------------------------


def _init_title(result: Result, prefix: str, init_index: int) -> str:
    """``prefix: label`` of one initialization, on two lines when the longest label of the
    result would make it too long (plotly does not wrap titles); deciding on the longest
    label keeps the left and right charts the same height."""
    longest = max(len(init_label(result, i)) for i in range(len(result.config.inits)))
    sep = ":</b><br><b>" if len(prefix) + 2 + longest > TITLE_CHARS else ": "
    return f"{prefix}{sep}{init_label(result, init_index)}"


def _n_seeds_text(result: Result) -> str:
    s = result.config.seeds
    return "" if s == 1 else f"mean of {s} seeds, band = min–max"


def _train_test_text(result: Result) -> str:
    return "solid = train, dotted = test" if result.data.n_test > 0 else "train set"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# ------------------------------------------------------------------------------------------
# Axes
# ------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------
# Notes under the plot
# ------------------------------------------------------------------------------------------


def _notes(fig: go.Figure) -> int:
    return sum(1 for a in fig.layout.annotations if a.name == "note")


def _note(fig: go.Figure, text: str) -> None:
    """A small grey note under the x-axis title, outside the plot area so that it covers no
    data (:func:`_style` makes room for it in the bottom margin)."""
    fig.add_annotation(text=text, name="note", xref="paper", yref="paper", x=1, y=0,
                       xanchor="right", yanchor="top", yshift=-48 - NOTE_LINE * _notes(fig),
                       showarrow=False, font={"size": 12, "color": "#555"})
