"""Weight heatmaps (sim.charts.weights): layout without overlaps, colour scales, equal rows,
frames.

The layout checks estimate text from the figure's own layout, the way a browser would lay
it out at the narrowest chart the dashboard draws: 300 px of plot width, ~7.5 px per
character of 13 px text, ~17 px per line. The colour checks interpolate the figure's own
colour scale at each cell's normalised z, as plotly.js does, independently of the code
that built the scale.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from sim import PRESETS, train_comparison
from sim.charts import motion
from sim.charts.weights import colour_ranges, groups_text, weight_heatmaps, weight_range
from sim.explain.reading import distinct_rows, row_groups, unit_params

PLOT_WIDTH = 300  # px: a chart in one of two columns at 1280 px
CHAR_PX = 7.5  # per character of 13 px text
LINE_PX = 17  # per line of 13 px text
AXIS_BAND_PX = 46  # under a heatmap: tick (4) + 12 px labels (17) + standoff (8) + title (17)

_cache: dict[str, object] = {}


def result(name: str):
    """A trained preset (or one of the extreme shapes below), trained once per session."""
    if name not in _cache:
        base = PRESETS["lesson"].config()
        extra = {"wide": base.replace(hidden=(2048, 4), epochs=3, snapshots=3),
                 "deep64": base.replace(hidden=(3,) * 64, epochs=3, snapshots=3)}
        cfg = extra[name] if name in extra else PRESETS[name].config()
        _cache[name] = train_comparison(cfg)
    return _cache[name]


ALL = [*PRESETS, "wide", "deep64"]


def titles(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.name == "panel title"]


def heatmaps(fig: go.Figure) -> list[go.Heatmap]:
    return [t for t in fig.data if t.type == "heatmap"]


# ------------------------------------------------------------------------------------------
# Layers shown
# ------------------------------------------------------------------------------------------


def test_default_layers_are_first_hidden_middle_and_output() -> None:
    """deep_relu (31 layers): at most three panels, the first hidden, a middle one, the
    output layer."""
    fig = weight_heatmaps(result("deep_relu"), 0)
    assert [t.split(":")[0] for t in titles(fig)] == ["layer 1", "layer 16", "output layer"]
    assert len(heatmaps(fig)) == 2 * 3


def test_layers_picker_shows_the_chosen_layers_with_their_weights() -> None:
    """layers=[1, -1] on dead_zeros: the second hidden layer and the output layer, each
    panel holding that layer's weights and biases."""
    r = result("dead_zeros")
    fig = weight_heatmaps(r, 1, layers=[1, -1])
    assert [t.split(":")[0] for t in titles(fig)] == ["layer 2", "output layer"]
    w, b = heatmaps(fig)[0], heatmaps(fig)[1]
    np.testing.assert_array_equal(w.z, r.history.weights[1][1, -1])
    np.testing.assert_array_equal(np.asarray(b.z).ravel(), r.history.biases[1][1, -1])
    np.testing.assert_array_equal(heatmaps(fig)[2].z, r.history.weights[2][1, -1])


@pytest.mark.parametrize("layers", [[3], [-4], []])
def test_layers_picker_rejects_layers_the_network_does_not_have(layers) -> None:
    with pytest.raises(ValueError, match="layers must be"):
        weight_heatmaps(result("dead_zeros"), 0, layers=layers)


def test_unknown_weight_scale_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="shared, side, fixed"):
        weight_heatmaps(result("lesson"), 0, weight_scale="linear")


# ------------------------------------------------------------------------------------------
# Colour scales
# ------------------------------------------------------------------------------------------


def zranges(fig: go.Figure) -> set[tuple[float, float]]:
    return {(t.zmin, t.zmax) for t in heatmaps(fig)}


def test_shared_scale_is_both_sides_at_the_epoch_and_centred_on_zero() -> None:
    r = result("lesson")
    for snapshot in (10, -1):
        figs = [weight_heatmaps(r, i, snapshot=snapshot) for i in range(2)]
        ranges = zranges(figs[0]) | zranges(figs[1])
        assert ranges == {(-weight_range(r, snapshot, [0, 1]), weight_range(r, snapshot, [0, 1]))}


def test_fixed_scale_is_the_same_at_every_epoch_and_covers_them_all() -> None:
    r = result("lesson")
    ranges = {weight_heatmaps(r, 0, snapshot=s, weight_scale="fixed").data[0].zmax
              for s in (0, 1, 50, -1)}
    assert len(ranges) == 1
    every = max(weight_range(r, s, [0, 1]) for s in range(r.history.snapshot_epochs.size))
    assert ranges.pop() == every


def test_side_scale_gives_the_zeros_side_its_own_small_range() -> None:
    """Lesson, last epoch: the zeros side's own range is its largest |w| (~0.018), not the
    random side's 9.76; the random side's own range is the shared one."""
    r = result("lesson")
    zeros = weight_heatmaps(r, 0, weight_scale="side").data[0].zmax
    own = max(np.abs(unit_params(r, l, 0, -1)).max() for l in (0, 1))
    assert zeros == own < 0.1
    assert (weight_heatmaps(r, 1, weight_scale="side").data[0].zmax
            == weight_heatmaps(r, 1).data[0].zmax == weight_range(r, -1, [0, 1]))


def test_explicit_zmax_overrides_the_scale() -> None:
    fig = weight_heatmaps(result("lesson"), 0, zmax=2.5, weight_scale="side")
    assert zranges(fig) == {(-2.5, 2.5)}
    assert "given: ±2.5" in fig.layout.title.subtitle.text


@pytest.mark.parametrize("scale, words", [("shared", "shared by both sides"),
                                          ("side", "each side its own"),
                                          ("fixed", "fixed over all epochs")])
def test_subtitle_names_the_scale_and_its_range(scale, words) -> None:
    fig = weight_heatmaps(result("lesson"), 0, weight_scale=scale)
    zmax = fig.data[0].zmax
    assert f"{words}: ±{zmax:.3g}" in fig.layout.title.subtitle.text


def test_all_zero_side_alone_gets_a_range_of_one() -> None:
    """dead_zeros at epoch 0: every weight of the zeros side is 0; "side" falls back to ±1
    instead of dividing by 0."""
    assert colour_ranges(result("dead_zeros"), 0, [0, 1], "side")[0] == 1.0


def _rgb(c: str) -> np.ndarray:
    return np.array([float(x) for x in re.findall(r"[\d.]+", c)[:3]])


def drawn_colours(trace: go.Heatmap) -> np.ndarray:
    """The RGB colour plotly.js draws for each cell: the trace's colour scale interpolated
    linearly at (z - zmin) / (zmax - zmin)."""
    pos = np.array([p for p, _ in trace.colorscale])
    cols = np.array([_rgb(c) for _, c in trace.colorscale])
    z = np.asarray(trace.z, float)
    t = np.clip((z - trace.zmin) / (trace.zmax - trace.zmin), 0, 1)
    return np.stack([np.interp(t, pos, cols[:, c]) for c in range(3)], axis=-1)


def test_zeros_side_equal_rows_are_visibly_coloured_on_the_default_page() -> None:
    """Lesson, zeros side, last epoch, shared range ±9.76: every cell (weights ~0.0007 and
    0.006, biases ~0.00006, output weights ~0.011) is drawn at least 40 below white in some
    channel; with the linear scale they were all within 1 of white."""
    fig = weight_heatmaps(result("lesson"), 0)
    assert fig.data[0].zmax > 9
    for trace in heatmaps(fig):
        darkest = drawn_colours(trace).min(axis=-1)
        assert (darkest <= 255 - 40).all(), (trace.hovertemplate, darkest)


def test_random_side_still_spans_the_full_colour_range() -> None:
    """The random side's largest |w| sets the shared range: it is drawn with the colour
    scale's end colour, and its weights cover most of the scale's other half too."""
    fig = weight_heatmaps(result("lesson"), 1)
    trace = fig.data[0]
    z = np.asarray(trace.z)
    ends = {tuple(_rgb(trace.colorscale[0][1])), tuple(_rgb(trace.colorscale[-1][1]))}
    all_cells = np.concatenate([drawn_colours(t).reshape(-1, 3) for t in heatmaps(fig)])
    zs = np.concatenate([np.ravel(t.z) for t in heatmaps(fig)])
    biggest = all_cells[np.argmax(np.abs(zs))]
    assert tuple(biggest) in ends
    assert np.abs(zs).max() == trace.zmax and np.abs(z).min() < 0.1 * trace.zmax
    # light and dark cells both: the random side is not one flat colour
    lightness = all_cells.mean(axis=-1)
    assert lightness.max() - lightness.min() > 100


def test_exact_zero_is_exactly_white() -> None:
    """dead_zeros: the zeros side's hidden weights are exactly 0 and drawn pure white."""
    fig = weight_heatmaps(result("dead_zeros"), 0)
    trace = fig.data[0]
    assert not np.any(trace.z)
    np.testing.assert_array_equal(drawn_colours(trace), 255.0)


def test_the_key_labels_the_colours_with_real_weights() -> None:
    """The colour key's labels are ±zmax, ±zmax/1000 and 0, left to right from negative."""
    fig = weight_heatmaps(result("lesson"), 0)
    key = [a for a in fig.layout.annotations if a.name == "key"]
    xs = [a.x for a in key]
    texts = sorted(zip(xs, [a.text for a in key], strict=True))
    assert [t for _, t in texts] == ["−9.8", "−0.0098", "0", "0.0098", "9.8"]


# ------------------------------------------------------------------------------------------
# Groups of equal rows
# ------------------------------------------------------------------------------------------


def test_lesson_zeros_side_has_one_group_of_eight_rows() -> None:
    r = result("lesson")
    assert row_groups(unit_params(r, 0, 0, -1)) == [list(range(8))]
    assert titles(weight_heatmaps(r, 0))[0].endswith("<br>rows 1–8 equal: 1 neuron")


def test_lesson_random_side_rows_all_differ() -> None:
    r = result("lesson")
    assert row_groups(unit_params(r, 0, 1, -1)) == [[i] for i in range(8)]
    assert titles(weight_heatmaps(r, 1))[0].endswith("<br>all rows differ: 8 neurons")


def test_dead_zeros_hidden_layers_are_all_zero() -> None:
    first, second, out = titles(weight_heatmaps(result("dead_zeros"), 0))
    assert first.endswith("<br>all 0") and second.endswith("<br>all 0")
    assert out.endswith("<br>one unit")


def test_deep_relu_hidden_rows_all_differ() -> None:
    first, middle, out = titles(weight_heatmaps(result("deep_relu"), 1))
    assert first.endswith("all rows differ: 32 neurons")
    assert middle.endswith("all rows differ: 32 neurons")


def test_groups_name_the_rows_that_are_equal() -> None:
    """Rows 2, 5, 7 equal (within the engine's tolerance 1e-6 of the largest), the others
    apart; two groups are both listed."""
    P = np.arange(24, dtype=float).reshape(8, 3)
    P[[1, 4, 6]] = 5.0
    P[6, 0] += 1e-7 * np.abs(P).max()  # inside the tolerance: still equal
    assert row_groups(P) == [[0], [1, 4, 6], [2], [3], [5], [7]]
    assert groups_text(P) == "rows 2, 5, 7 equal: 6 neurons"
    P[[0, 2]] = 9.0
    assert groups_text(P) == "equal rows 1, 3 · 2, 5, 7: 5 neurons"


@pytest.mark.parametrize("name", PRESETS)
def test_row_groups_agree_with_distinct_rows(name) -> None:
    """Same tolerance, same components: as many groups as distinct_rows counts, at every
    layer of every run at a few snapshots."""
    r = result(name)
    runs = r.history.weights[0].shape[0]
    for run in range(runs):
        for k in (0, 1, 20, -1):
            for l in range(len(r.history.weights)):
                P = unit_params(r, l, run, k)
                groups = row_groups(P)
                assert len(groups) == distinct_rows(P)
                assert sorted(i for g in groups for i in g) == list(range(P.shape[0]))


# ------------------------------------------------------------------------------------------
# Frames
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lesson", "deep_relu"])
def test_frames_hold_the_weights_of_their_snapshots(name) -> None:
    """One frame per motion.frame_indices snapshot, named by its epoch; each frame's
    heatmaps are that snapshot's weights and biases (float32) with that snapshot's range."""
    r = result(name)
    h = r.history
    k0 = h.snapshot_epochs.size - 1
    fig = weight_heatmaps(r, 1, frames=True)
    picks = motion.frame_indices(h.snapshot_epochs.size, k0)
    assert [f.name for f in fig.frames] == [str(int(h.snapshot_epochs[k])) for k in picks]
    layers = [0, len(h.weights) // 2, len(h.weights) - 1] if name == "deep_relu" else [0, 1]
    ranges = colour_ranges(r, 1, layers, "shared")
    for k, frame in zip(picks, fig.frames, strict=True):
        assert len(frame.data) == len(fig.data)
        for j, l in enumerate(layers):
            w, b = frame.data[2 * j], frame.data[2 * j + 1]
            np.testing.assert_array_equal(w.z, h.weights[l][1, k].astype(np.float32))
            np.testing.assert_array_equal(np.ravel(b.z), h.biases[l][1, k].astype(np.float32))
            assert w.zmax == ranges[k] == -w.zmin
        assert len(frame.layout.annotations) == len(fig.layout.annotations)
        assert f"after {int(h.snapshot_epochs[k])} epochs" in frame.layout.title.text


def test_frames_titles_follow_the_groups() -> None:
    """Lesson zeros side: all 0 at epoch 0, one group of 8 at the end."""
    fig = weight_heatmaps(result("lesson"), 0, frames=True)
    assert fig.frames[0].layout.annotations[0].text.endswith("<br>all 0")
    assert fig.frames[-1].layout.annotations[0].text.endswith("rows 1–8 equal: 1 neuron")


def test_no_frames_unless_asked() -> None:
    fig = weight_heatmaps(result("lesson"), 0)
    assert not fig.frames and not fig.layout.sliders


# ------------------------------------------------------------------------------------------
# What existing callers rely on
# ------------------------------------------------------------------------------------------


def test_heatmaps_hold_the_engine_weights_exactly() -> None:
    """The figure's z are the engine's float64 weights and biases (hover and exports read
    real values; the signed-log mapping is in the colour scale only)."""
    r = result("lesson")
    for i in range(2):
        hm = heatmaps(weight_heatmaps(r, i))
        for l in range(2):
            np.testing.assert_array_equal(hm[2 * l].z, r.history.weights[l][i, -1])
            np.testing.assert_array_equal(np.ravel(hm[2 * l + 1].z), r.history.biases[l][i, -1])


def test_tall_and_wide_layers_keep_an_aspect_of_at_most_three() -> None:
    for name in ("float32", "wide"):
        fig = weight_heatmaps(result(name), 0)
        for c in range(1, len(titles(fig)) + 1):
            sx = "" if c == 1 else str(c)
            x, y = fig.layout[f"xaxis{sx}"], fig.layout[f"yaxis{sx}"]
            aspect = abs(y.range[0] - y.range[1]) * y.scaleratio / (x.range[1] - x.range[0])
            assert 1 / 3 - 1e-9 <= aspect <= 3 + 1e-9
    assert list(weight_heatmaps(result("float32"), 0).layout.xaxis.ticktext) == ["1", "2", "b"]


def test_wide_layers_are_drawn_without_gaps_and_few_ticks() -> None:
    fig = weight_heatmaps(result("wide"), 0)
    assert fig.data[0].ygap == 0 and fig.data[2].xgap == 0
    assert len(fig.layout.yaxis.tickvals) <= 17 and len(fig.layout.xaxis2.tickvals) <= 8


# ------------------------------------------------------------------------------------------
# No overlaps
# ------------------------------------------------------------------------------------------


def bands(fig: go.Figure) -> list[tuple[str, float, float, float, float]]:
    """Boxes (kind, x0, x1, y0, y1) in pixels of the plot area, y up from its bottom, at a
    plot width of PLOT_WIDTH: each panel's heatmap domain with its x-axis band under it,
    each annotation's text."""
    lay = fig.layout
    H = lay.height - lay.margin.t - lay.margin.b
    out = []
    for c in range(1, len(titles(fig)) + 1):
        sx = "" if c == 1 else str(c)
        y0, y1 = (v * H for v in lay[f"yaxis{sx}"].domain)
        x0, x1 = (v * PLOT_WIDTH for v in lay[f"xaxis{sx}"].domain)
        out.append(("panel", x0, x1, y0 - AXIS_BAND_PX, y1))
        xtitle = lay[f"xaxis{sx}"].title.text
        assert len(xtitle) * CHAR_PX * 14 / 13 <= PLOT_WIDTH, xtitle
    for a in lay.annotations:
        lines = a.text.split("<br>")
        size = a.font.size or 13
        w = max(map(len, lines)) * CHAR_PX * size / 13
        h = len(lines) * LINE_PX * size / 13
        xc = a.x * PLOT_WIDTH
        x0 = {"left": xc, "center": xc - w / 2, "right": xc - w}[a.xanchor]
        y = a.y * H + (a.yshift or 0)
        y0 = {"bottom": y, "middle": y - h / 2, "top": y - h}[a.yanchor]
        out.append((a.name, x0, x0 + w, y0, y0 + h))
    return out


def assert_no_overlap(fig: go.Figure) -> None:
    boxes = bands(fig)
    for kind, x0, x1, y0, y1 in boxes:
        if kind != "panel":
            assert 0 <= x0 and x1 <= PLOT_WIDTH, (kind, x0, x1)  # fits the panel's width
        assert y1 <= fig.layout.height - fig.layout.margin.t - fig.layout.margin.b + 1e-6
        assert y0 >= -AXIS_BAND_PX - 1e-6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart_y = a[4] <= b[3] + 1e-6 or b[4] <= a[3] + 1e-6
            apart_x = a[2] <= b[1] + 1e-6 or b[2] <= a[1] + 1e-6
            assert apart_y or apart_x, (a, b)


@pytest.mark.parametrize("name", ALL)
def test_panels_titles_and_labels_never_overlap(name) -> None:
    """Every preset and the extremes (2,048 units, 64 hidden layers), both sides, default
    layers and every layer of a few: no two texts, panels or axis bands meet at 300 px."""
    r = result(name)
    L = len(r.history.weights)
    for i in range(len(r.config.inits)):
        assert_no_overlap(weight_heatmaps(r, i))
    assert_no_overlap(weight_heatmaps(r, 0, layers=list(range(min(L, 8)))))


def test_sixty_four_layers_all_shown_do_not_overlap() -> None:
    r = result("deep64")
    fig = weight_heatmaps(r, 1, layers=list(range(65)))
    assert len(titles(fig)) == 65
    assert_no_overlap(fig)


def test_tick_labels_have_room_at_the_narrowest_chart() -> None:
    """At 300 px, x tick labels of each panel do not touch and y ticks are >= 14 px apart."""
    for name in ("deep_relu", "wide", "float32", "lesson"):
        fig = weight_heatmaps(result(name), 0)
        lay = fig.layout
        H = lay.height - lay.margin.t - lay.margin.b
        for c in range(1, len(titles(fig)) + 1):
            sx = "" if c == 1 else str(c)
            x, y = lay[f"xaxis{sx}"], lay[f"yaxis{sx}"]
            cols = x.range[1] - x.range[0]
            rows = abs(y.range[0] - y.range[1])
            dom_h = (y.domain[1] - y.domain[0]) * H
            px = min(PLOT_WIDTH / cols, dom_h / (rows * y.scaleratio))  # per x unit
            centres = np.array(x.tickvals) * px
            widths = np.array([len(t) * 7.0 + 4 for t in x.ticktext])  # 12 px labels
            gaps = np.diff(centres) - (widths[1:] + widths[:-1]) / 2
            assert (gaps > 0).all(), (name, c, list(x.ticktext))
            assert (np.diff(y.tickvals) * px * y.scaleratio >= 14).all(), (name, c)


def test_the_overlap_check_rejects_side_by_side_titles() -> None:
    """The check fails on what the teacher saw: two panels side by side at 300 px with
    their titles on one line ("layer 1: 8×2 + blayer 2…")."""
    fig = go.Figure(layout={
        "height": 400, "margin": {"t": 50, "b": 50},
        "xaxis": {"domain": [0, 0.45], "title": "input feature, b = bias"},
        "yaxis": {"domain": [0, 0.9]},
        "xaxis2": {"domain": [0.55, 1], "title": "unit of layer 1, b = bias"},
        "yaxis2": {"domain": [0, 0.9]},
        "annotations": [
            {"name": "panel title", "text": "layer 1: 8×2 + b<br>all rows differ", "x": x,
             "y": 0.9, "xanchor": "center", "yanchor": "bottom", "xref": "paper",
             "yref": "paper", "showarrow": False} for x in (0.225, 0.775)]})
    with pytest.raises(AssertionError):
        assert_no_overlap(fig)


def test_a_still_copy_has_the_chart_height_without_frames() -> None:
    """motion.still (PNG, SVG, PDF export) gives back the figure drawn without frames."""
    r = result("lesson")
    still = motion.still(weight_heatmaps(r, 0, frames=True))
    plain = weight_heatmaps(r, 0)
    assert not still.frames
    assert (still.layout.height, still.layout.margin.b) == (plain.layout.height,
                                                            plain.layout.margin.b)


def test_the_figure_grows_with_its_panels() -> None:
    """The plot area is the key's band plus each panel's title band, heatmap and x axis:
    65 panels make a figure over 10,000 px tall rather than 65 squeezed ones."""
    r = result("deep64")
    one = weight_heatmaps(r, 0, layers=[0])
    every = weight_heatmaps(r, 0, layers=list(range(65)))
    assert every.layout.height > 10_000 > one.layout.height
