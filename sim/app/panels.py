"""Pieces the tabs share: a chart with its export name, charts side by side, the view
controls, every section of a tab from the chart registry, the side headers, the metrics row."""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from sim import METRIC_DEFINITIONS, Result, charts
from sim.app.guard import guarded
from sim.app.links import page_params, sync_url
from sim.app.state import (
    EPOCH_TABS_KEY,
    METRIC_CHOICES,
    METRIC_TITLES,
    SIDE_TITLES,
    SIDES,
    WEIGHT_SCALES,
    View,
    current_view,
    shown_epochs,
)
from sim.app.training import service
from sim.charts import motion, prebuilt


def show_chart(fig, result: Result, name: str, init_index: int | None = None) -> None:
    """``st.plotly_chart`` with the camera button exporting a 2x PNG named like every other
    export of that chart (:func:`sim.charts.export_filename`)."""
    if fig is None:
        return
    # A stable key keeps the element when its figure changes, so the browser updates the
    # chart in place (Plotly.react) instead of drawing a new one with all its frames.
    st.plotly_chart(
        fig, theme=None, key=f"chart_{charts.chart_key(result, name, init_index)}",
        config={"toImageButtonOptions": {
                    "format": "png", "scale": 2,
                    "filename": charts.export_filename(result, name, init_index)},
                "displaylogo": False})


def side_header(result: Result, i: int, inline: bool = False) -> str:
    """"Left: zeros" in the side's colour, as a block (or ``inline``, before a headline)."""
    color = charts.init_color(i)
    side = SIDE_TITLES[SIDES[i]] if i < len(SIDES) else f"Init {i + 1}"
    label = f"<span style='color:{color}'>{html.escape(charts.init_label(result, i))}</span>"
    if inline:
        return (f"<span style='border-left:6px solid {color};padding-left:0.5rem;"
                f"font-size:1.1rem;font-weight:600'>{side}: {label}</span>")
    return (f"<div style='font-size:1.2rem;font-weight:600;border-left:6px solid {color};"
            f"padding-left:0.5rem;margin:0.2rem 0 0.4rem 0'>{side}: {label}</div>")


def _final(result: Result, i: int, arr: np.ndarray | None) -> float:
    if arr is None:
        return math.nan
    v = arr[result.run_indices(i), -1]
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def fmt_loss(x: float) -> str:
    """A loss short enough for a metric tile: 3 significant digits, scientific when tiny."""
    if not math.isfinite(x):
        return "–"
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.2e}".replace("e-0", "e-").replace("e+0", "e+")


def _neurons_text(result: Result, i: int) -> tuple[str, str, float]:
    """Distinct neurons at the end, summarised to fit a metric tile: "8/8" for one layer,
    "1/8 · 1/8" for two, the weakest layer's "17/32" beyond; the full list (for the tooltip);
    and the share of distinct units over all layers (for the difference between sides)."""
    widths = result.config.hidden
    v = result.history.metrics["distinct_neurons"][result.run_indices(i), -1, :]
    if not np.isfinite(v).any():
        return "–", "", math.nan
    counts = np.round(np.nanmean(v, axis=0)).astype(int)
    pairs = [f"{c}/{w}" for c, w in zip(counts, widths, strict=True)]
    full = " · ".join(pairs)
    if len(widths) <= 2:
        text = full
    else:
        fractions = counts / np.array(widths)
        low = int(np.argmin(fractions))
        text = pairs[low]
    return text, full, float(np.sum(counts) / np.sum(widths))


def _filters_text(result: Result, i: int) -> tuple[str, float] | None:
    """Distinct filters at the end for a metric tile ("1/8", "1/8 · 4/16" for two conv
    layers) and their share over all conv layers; None without conv layers."""
    m = result.history.conv_metrics
    if not result.config.conv or m is None:
        return None
    widths = [f for f, _ in result.config.conv]
    v = m["distinct_neurons"][result.run_indices(i), -1, :]
    if not np.isfinite(v).any():
        return "–", math.nan
    counts = np.round(np.nanmean(v, axis=0)).astype(int)
    text = " · ".join(f"{c}/{w}" for c, w in zip(counts, widths, strict=True))
    return text, float(np.sum(counts) / np.sum(widths))


def metrics_row(result: Result) -> None:
    """Final losses, accuracy and distinct neurons per side (and distinct filters for a
    convnet); the right side shows the difference to the left (no arrow when there is
    none)."""
    h = result.history
    cols = st.columns(2, gap="large")
    base = None
    for i, col in enumerate(cols):
        train_loss = _final(result, i, h.train_loss)
        test_loss = _final(result, i, h.test_loss) if result.data.n_test else math.nan
        acc_arr = h.test_accuracy if result.data.n_test else h.train_accuracy
        acc = _final(result, i, acc_arr)
        neurons, full, share = _neurons_text(result, i)
        widths = result.config.hidden
        values = (train_loss, test_loss, acc, share)
        filters = _filters_text(result, i)
        if filters is not None:  # a convnet: distinct filters, a fifth tile
            values += (filters[1],)
        with col:
            st.markdown(side_header(result, i), unsafe_allow_html=True)
            # Four in a row, with the page's smaller metric font (PAGE_CSS) and deltas
            # without words: at 1280 px with the sidebar open each tile is about 95 px, so
            # a convnet's Filters tile starts a second row rather than squeezing a fifth.
            tiles = st.columns(4, gap="small")
            if len(values) > 4:
                tiles += st.columns(4, gap="small")[:len(values) - 4]
            labels = ("Train loss", "Test loss", "Accuracy", "Neurons", "Filters")
            shown = (fmt_loss(train_loss), fmt_loss(test_loss),
                     f"{acc:.1%}" if math.isfinite(acc) else "–", neurons,
                     filters[0] if filters else "")
            vs = " The arrow is the difference to the left side." if i else ""
            helps = ("Loss on the training set after the last epoch (mean over seeds)." + vs,
                     "Loss on the held-out test set after the last epoch." + vs,
                     "Share of " + ("test" if result.data.n_test else "training")
                     + " points classified correctly after the last epoch." + vs,
                     "Distinct neurons / width, per hidden layer"
                     + (f"; the weakest of the {len(widths)} layers (all: {full})"
                        if full != neurons else "") + ": "
                     + METRIC_DEFINITIONS["distinct_neurons"]
                     + " The difference to the left side is in the share of distinct "
                     "units over all layers.",
                     "Distinct filters / filters, per conv layer, at the end (mean over "
                     "seeds): filters with the same kernel and bias compute the same "
                     "feature map. The difference to the left side is in the share of "
                     "distinct filters.")
            for k in range(len(values)):
                delta, color = None, "off"
                if base is not None and math.isfinite(values[k]) and math.isfinite(base[k]):
                    d = values[k] - base[k]
                    delta = (f"{d:+.1%}" if k == 2 else f"{d * 100:+.0f} pts"
                             if k >= 3 else fmt_loss(d) if d < 0 else "+" + fmt_loss(d))
                    if (k >= 3 and round(d * 100) == 0) or d == 0:
                        delta = None  # an arrow for "+0" would claim a difference
                    else:
                        color = "inverse" if k < 2 else "normal"
                tiles[k].metric(labels[k], shown[k], delta=delta, help=helps[k],
                                delta_color=color)
        base = values


class PrebuiltFigure(go.Figure):
    """A figure already in its final form, a plotly figure dict, handed to
    ``st.plotly_chart`` as it is: Streamlit serializes a figure's ``to_dict()``, which
    here returns the dict, without plotly.py validating its 50 frames again."""

    def __init__(self, figure: dict) -> None:
        super().__init__()
        self._prebuilt = figure

    def to_dict(self) -> dict:
        # The dict is shared by every session (the charts cache): hand out copies of its
        # top level and traces, which plotly.io.to_json edits in place (it drops "uid").
        d = self._prebuilt
        return {**d, "data": [dict(trace) for trace in d.get("data", ())]}

    def to_plotly_json(self) -> dict:
        return self.to_dict()


def chart_figure(spec: charts.ChartSpec, result: Result, init_index: int | None, view: View
                 ) -> go.Figure | None:
    """The chart on screen: :func:`sim.charts.draw`, built once per configuration, chart,
    side and options for every session of the server (the charts cache of
    :func:`sim.app.training.service`, bounded by bytes, least recently used dropped; a
    worker process may have built it with the training: :mod:`sim.charts.prebuilt`). An
    animated chart (option ``frames``) is cached without its epoch and moved to the shown
    epoch's frame: the result is what the chart's own slider shows at that epoch (a test
    compares the two)."""
    cache = service().charts
    key = prebuilt.figure_key(spec, result.config.to_json(indent=None), init_index, view)
    figure = cache.get(key)
    if figure is None:
        figure = prebuilt.figure_entry(spec, result, init_index, view)
        if figure is None:  # drawn at the shown epoch only: not cached
            return charts.draw(spec, result, init_index, view)
        cache.put(key, figure)
    if isinstance(figure, str):  # prebuilt.ABSENT: the chart does not apply
        return None
    if not prebuilt.animated(spec, view):
        return PrebuiltFigure(figure)
    epoch = int(result.history.snapshot_epochs[view.snapshot])
    try:
        return PrebuiltFigure(motion.seek(figure, epoch))
    except KeyError:  # an epoch without a frame (not offered by the slider): build it
        return charts.draw(spec, result, init_index, view)


def chart_caption(spec: charts.ChartSpec, result: Result, init_index: int, view: View) -> str:
    """``spec.caption(result, init_index, view)``, computed once per configuration and view
    for every session (the charts cache)."""
    cache = service().charts
    key = prebuilt.caption_key(spec, result.config.to_json(indent=None), init_index, view)
    text = cache.get(key)
    if text is None:
        text = spec.caption(result, init_index, view)
        cache.put(key, text)
    return text


def _with_font(fig: go.Figure, font: int) -> go.Figure:
    """The figure with plotly's base font size ``font`` (the presenter view's)."""
    if isinstance(fig, PrebuiltFigure):
        d = fig.to_dict()
        layout = dict(d["layout"], font={**d["layout"].get("font", {}), "size": font})
        return PrebuiltFigure({**d, "layout": layout})
    return fig.update_layout(font_size=font)


def paired(result: Result, spec: charts.ChartSpec, view: View, font: int | None = None
           ) -> None:
    """One row: the chart of each initialization side by side, its caption under each
    (``font``: plotly's base font size, larger in the presenter view)."""
    cols = st.columns(2, gap="large")
    for i, col in enumerate(cols[:len(result.config.inits)]):
        with col:
            fig = chart_figure(spec, result, i, view)
            if fig is None:
                st.info(spec.absent)
                continue
            if font is not None:
                fig = _with_font(fig, font)
            show_chart(fig, result, spec.name, i)
            if spec.caption is not None:
                st.caption(chart_caption(spec, result, i, view))


def side_by_side(result: Result, specs: list[charts.ChartSpec], view: View) -> None:
    """Whole-comparison charts in one row (two to a row)."""
    for start in range(0, len(specs), 2):
        cols = st.columns(2, gap="large")
        for spec, col in zip(specs[start:start + 2], cols, strict=False):
            with col:
                fig = chart_figure(spec, result, None, view)
                if fig is None:
                    st.info(spec.absent)
                else:
                    show_chart(fig, result, spec.name)


# ------------------------------------------------------------------------------------------
# View controls: each sets one option of the View the charts are drawn with
# ------------------------------------------------------------------------------------------


def log_axis_control(result: Result) -> None:
    st.toggle("Logarithmic loss axis", key="log_y", persist_state="page",
              help="A log scale shows small losses and slow progress better.")


def epoch_control(result: Result) -> None:
    if result.config.conv:
        kinds = "weights, trajectories, network, filters and feature maps"
    elif result.data.image_shape is not None:
        kinds = "weights, trajectories and network"
    else:
        kinds = "weights, trajectories, network and decision boundary"
    st.select_slider(
        f"Epoch shown ({kinds})",
        options=shown_epochs(result), key="snapshot_epoch",
        persist_state="page",
        help="Move through the training: every chart below shows the same epoch on both "
             "sides. The ▶ button under a chart plays its epochs in the browser.")


def weight_scale_control(result: Result) -> None:
    st.segmented_control(
        "Colour range of the weights", list(WEIGHT_SCALES), key="weight_scale",
        required=True, persist_state="page", format_func=lambda m: WEIGHT_SCALES[m],
        help="Shared: both sides use the larger range at the shown epoch, so their colours "
             "compare. Each side its own: small weights (the zeros side) get the whole "
             "scale. Fixed over all epochs: the largest weight of every stored epoch, so "
             "colours also compare along the epoch slider and while playing.")


#: At most this many heatmap layers at once (each is a panel of its own).
MAX_PICKED_LAYERS = 6


def weight_layers_control(result: Result) -> None:
    """Which layers the heatmaps show, for a network with more than the default three."""
    n = len(result.config.hidden) + 1
    if n <= 3:
        return
    names = {k: "output" if k == n else f"layer {k}" for k in range(1, n + 1)}
    ss = st.session_state
    if ss.get("weight_layers_of") != n:  # a network of another depth: its own default
        ss["weight_layers"] = [k + 1 for k in charts.shown_layers(n, 3)]
        ss["weight_layers_of"] = n
    st.multiselect("Layers in the heatmaps", list(names), key="weight_layers",
                   format_func=names.get,
                   max_selections=MAX_PICKED_LAYERS, persist_state="page",
                   help=f"Each layer is a panel of its own; up to {MAX_PICKED_LAYERS} at once. "
                        "Empty: the first hidden, a middle and the output layer.")


def layer_control(result: Result) -> None:
    n = len(result.config.hidden)
    if n < 2:
        return
    st.select_slider("Hidden layer of the unit trajectories", options=list(range(1, n + 1)),
                     key="traj_layer", persist_state="page",
                     help="Whose units' incoming weights the trajectories follow.")


def metric_control(result: Result) -> None:
    metric = st.radio("Count", METRIC_CHOICES, key="metric", horizontal=True,
                      persist_state="page", format_func=lambda m: METRIC_TITLES[m],
                      help="How to count the neurons that really work; the definition of the "
                           "chosen count is shown below.")
    st.caption(f"**{METRIC_TITLES[metric]}**: {METRIC_DEFINITIONS[metric]}")


#: The control of each View option, drawn above the first section whose charts take it
#: (:attr:`sim.charts.ChartSpec.options`).
VIEW_CONTROLS: dict[str, Callable[[Result], None]] = {
    "log_y": log_axis_control,
    "snapshot": epoch_control,
    "metric": metric_control,
    "weight_scale": weight_scale_control,
    "layer": layer_control,
    "layers": weight_layers_control,
}


def _draw_sections(result: Result, sections: list[tuple[str, list[charts.ChartSpec]]],
                   drawn: set[str]) -> None:
    """Sections in order: heading, introductions, the controls their charts need (each
    once on the page: ``drawn`` holds those already shown), then the charts."""
    for heading, specs in sections:
        st.subheader(heading)
        for spec in specs:
            if spec.intro is not None:
                st.caption(spec.intro(result))
        for option in dict.fromkeys(o for spec in specs for o in spec.options):
            if option in VIEW_CONTROLS and option not in drawn:
                VIEW_CONTROLS[option](result)
                drawn.add(option)
        view = current_view(result)
        for spec in specs:
            if spec.per_init:
                paired(result, spec, view)
        side_by_side(result, [s for s in specs if not s.per_init], view)


@st.fragment
def epoch_sections(result: Result, sections: list[tuple[str, list[charts.ChartSpec]]],
                   drawn: frozenset[str]) -> None:
    """The charts the epoch slider drives, as one Streamlit fragment: the slider, then one
    tab per kind of chart (heatmaps, unit trajectories, the network drawn, the decision
    boundary), each with both sides and the controls of its own. Only the open tab is
    drawn (lazy tabs), so a slider step redraws two charts, not eight, and moving the
    slider (or a tab's control) reruns only this fragment. The address follows it."""
    guarded("Drawing the charts of the shown epoch", result.config, _draw_epoch_tabs, result,
            sections, set(drawn))
    if st.session_state.get("synced_config") == result.config:
        sync_url(page_params(result))


def _draw_epoch_tabs(result: Result, sections: list[tuple[str, list[charts.ChartSpec]]],
                     drawn: set[str]) -> None:
    specs = [spec for _, group in sections for spec in group]
    for heading, group in sections:
        st.subheader(heading)
        for spec in group:
            if spec.intro is not None:
                st.caption(spec.intro(result))
    if "snapshot" not in drawn:
        VIEW_CONTROLS["snapshot"](result)
        drawn.add("snapshot")
    tabs = st.tabs([spec.title for spec in specs], key=EPOCH_TABS_KEY, on_change="rerun")
    for tab, spec in zip(tabs, specs, strict=True):
        if tab.open is False:  # lazy: only the open tab's charts are built and sent
            continue
        with tab:
            for option in spec.options:
                if option in VIEW_CONTROLS and option not in drawn:
                    VIEW_CONTROLS[option](result)
            view = current_view(result)
            if spec.per_init:
                paired(result, spec, view)
            else:
                side_by_side(result, [spec], view)


def chart_sections(result: Result, tab: str) -> None:
    """Every section of a tab from the chart registry (:func:`sim.charts.sections`): its
    heading, introductions, the controls its charts need, then the per-initialization
    charts side by side and the whole-comparison charts in a row. Consecutive sections
    whose charts show one epoch (option ``snapshot``) form one fragment
    (:func:`epoch_sections`)."""
    groups: list[tuple[bool, list]] = []
    # Only the charts that apply to this result: a dense network's page has no filters
    # and no empty epoch tab for them.
    for heading, specs in charts.sections(tab, result):
        by_epoch = any("snapshot" in spec.options for spec in specs)
        if groups and groups[-1][0] == by_epoch:
            groups[-1][1].append((heading, specs))
        else:
            groups.append((by_epoch, [(heading, specs)]))
    drawn: set[str] = set()
    for by_epoch, group in groups:
        if by_epoch:
            epoch_sections(result, group, frozenset(drawn))
            drawn |= {o for _, specs in group for spec in specs for o in spec.options}
        else:
            _draw_sections(result, group, drawn)
