"""Charts of convolutional networks (sim.charts.filters): the filters, the feature maps of
one image, the effective filters and the sample images; their registry entries apply only to
the results they are for, and a dense result's charts are those it had before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

import sim
from sim import charts
from sim.app import panels
from sim.charts import View, all_figures, draw
from sim.charts.filters import (
    conv_filters,
    effective_filters,
    feature_maps,
    mosaic,
    sample_images,
)
from sim.charts.motion import frame_indices, seek, still
from sim.charts.weights import _colour, colour_position
from sim.config import Config
from sim.explain.filters import (
    caption_effective_filters,
    caption_feature_maps,
    caption_filters,
    filter_groups_text,
    first_feature_maps,
)
from sim.network import forward
from sim.train import train_comparison

#: The charts of a dense result before the conv charts existed, in all_figures' order.
DENSE_CHARTS = ("loss_overlay", "accuracy", "loss", "neurons", "weights", "trajectories",
                "network", "boundary", "grad_norm", "activations", "symmetry_gap")
CONV_CHARTS = ("samples", "effective_filters", "filters", "feature_maps")
WHITE = (255, 255, 255)


def _conv_config(conv: str = "4x3", **kw) -> Config:
    return Config.from_dict({**dict(dataset="bars", n_samples=96, conv=conv, pool=2,
                                    hidden=[8], activation="sigmoid", epochs=40, lr=2.0,
                                    inits=[{"scheme": "zeros"}, {"scheme": "he_normal"}]),
                             **kw})


@pytest.fixture(scope="module")
def conv() -> sim.Result:
    return train_comparison(_conv_config())


@pytest.fixture(scope="module")
def dense() -> sim.Result:
    return train_comparison(Config.from_dict(dict(
        dataset="xor", n_samples=64, hidden=[4], epochs=20,
        inits=[{"scheme": "zeros"}, {"scheme": "he_normal"}])))


def _rgb(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text[4:-1].split(","))


def _filter_z(fig) -> np.ndarray:
    return np.asarray(fig.data[0].z, dtype=float)


def test_every_conv_chart_builds_and_none_applies_to_a_dense_result(
        conv: sim.Result, dense: sim.Result) -> None:
    for i in (0, 1):
        assert conv_filters(conv, i) is not None
        assert feature_maps(conv, i) is not None
        assert effective_filters(conv, i) is not None
        assert conv_filters(dense, i) is None
        assert feature_maps(dense, i) is None
        assert effective_filters(dense, i) is None
    assert sample_images(conv) is not None
    assert sample_images(dense) is None


def test_a_dense_result_has_the_same_figures_as_before(dense: sim.Result) -> None:
    """No conv chart, not even as an empty one, and the same keys in the same order."""
    figs = all_figures(dense)
    want = [charts.chart_key(dense, name, i) for name in DENSE_CHARTS
            for i in ([0, 1] if charts.CHARTS[name].per_init else [None])]
    assert list(figs) == want


def test_a_conv_result_has_the_conv_figures(conv: sim.Result) -> None:
    figs = all_figures(conv, frames=False)
    for name in CONV_CHARTS:
        keys = ([charts.chart_key(conv, name, i) for i in (0, 1)]
                if charts.CHARTS[name].per_init else [name])
        assert all(k in figs for k in keys), (name, list(figs))


@pytest.mark.parametrize("chart", ["network", "activations"])
def test_the_dense_charts_that_run_the_network_take_conv_layers(chart: str) -> None:
    r = train_comparison(_conv_config("8x3", epochs=3))  # 8 x 6 x 6 = 288 != 144 inputs
    assert charts.CHARTS[chart].build(r, 0) is not None


def test_all_figures_of_a_conv_result_whose_dense_inputs_are_not_the_pixels() -> None:
    """8 filters pooled to 6 x 6 give the dense layer 288 inputs, not the image's 144 (with
    4 filters both are 144, which would hide a chart that skips the conv layers): every
    chart that applies builds, the conv charts and the dense ones that run the network."""
    r = train_comparison(_conv_config("8x3", epochs=3))
    names = [s.name for s in charts.CHARTS.values() if s.applies(r.config)]
    assert "network" in names and "activations" in names
    want = [charts.chart_key(r, name, i) for name in names if name != "boundary"
            for i in ([0, 1] if charts.CHARTS[name].per_init else [None])]
    assert list(all_figures(r)) == want
    # drawn by name (the presenter view's slides), a chart that does not apply is None
    assert draw("boundary", r, 0, View(True, "distinct_neurons", -1)) is None


def test_sections_leave_out_what_does_not_apply(conv: sim.Result, dense: sim.Result) -> None:
    """A dense page has neither the conv charts nor the images' section; a conv page has
    the filters and feature maps as tabs of the epoch section; without a result, every
    chart is listed (for the page addresses)."""
    def names(result):
        return [s.name for _, specs in charts.sections("compare", result) for s in specs]

    def headings(result):
        return [h for h, _ in charts.sections("compare", result)]

    assert not set(CONV_CHARTS) & set(names(dense))
    assert "The images" not in headings(dense)
    assert set(CONV_CHARTS) <= set(names(conv)) and "The images" in headings(conv)
    epoch = dict(charts.sections("compare", conv))[charts.EPOCH_SECTION]
    assert [s.name for s in epoch][-2:] == ["filters", "feature_maps"]
    assert set(CONV_CHARTS) <= set(names(None))


def test_filter_titles_name_the_groups_of_equal_filters(conv: sim.Result) -> None:
    """Zeros: all 0 at epoch 0, then 4 equal filters (1 filter); he_normal: 4 distinct."""
    def title(fig):
        return next(a.text for a in fig.layout.annotations if a.name == "panel title")

    assert title(conv_filters(conv, 0, snapshot=0)).endswith("4 filters, all 0")
    assert title(conv_filters(conv, 0)).endswith("4 filters, all equal: 1 filter")
    assert title(conv_filters(conv, 1)).endswith("4 distinct filters")


@pytest.mark.parametrize(("P", "text"), [
    (np.zeros((8, 10)), "8 filters, all 0"),
    (np.ones((8, 10)) * 1e-6, "8 filters, all equal: 1 filter"),
    (np.arange(80.0).reshape(8, 10), "8 distinct filters"),
    (np.vstack([np.ones((2, 3)), np.arange(9.0).reshape(3, 3) + 5]),
     "filters 1, 2 equal: 4 filters"),
    (np.vstack([np.ones((2, 3)), 2 * np.ones((2, 3)), [[7.0, 8, 9]]]),
     "5 filters, 2 groups of equal ones: 3 filters"),
])
def test_filter_groups_text(P: np.ndarray, text: str) -> None:
    assert filter_groups_text(P) == text


def test_the_zeros_sides_small_equal_filters_are_coloured_and_zero_is_white(
        conv: sim.Result) -> None:
    """The zeros side's filters (~1e-4 against a range set by he_normal's ~1) get a colour
    visibly off white; at epoch 0 (exactly 0) every cell is white."""
    fig = conv_filters(conv, 0)
    z = _filter_z(fig)
    zmax = fig.data[0].zmax
    w = z[np.isfinite(z)]
    assert np.all(w != 0) and np.abs(w).max() < 1e-2 * zmax  # tiny, and none exactly 0
    for x in w:
        rgb = _rgb(_colour(float(colour_position(x, zmax))))
        assert max(abs(a - b) for a, b in zip(rgb, WHITE, strict=True)) >= 40, (x, rgb)
    z0 = _filter_z(conv_filters(conv, 0, snapshot=0))
    assert np.all(z0[np.isfinite(z0)] == 0)
    assert _colour(float(colour_position(0.0, zmax))) == "rgb(255,255,255)"


def test_the_colour_range_is_shared_by_both_sides(conv: sim.Result) -> None:
    h = conv.history
    for k in (0, 10, -1):
        a, b = conv_filters(conv, 0, snapshot=k), conv_filters(conv, 1, snapshot=k)
        want = max(np.abs(h.conv_weights[0][:, k]).max(), np.abs(h.conv_biases[0][:, k]).max())
        want = want if want > 0 else 1.0
        assert a.data[0].zmax == b.data[0].zmax == pytest.approx(want)
        assert a.data[0].zmin == -a.data[0].zmax
    side = conv_filters(conv, 0, weight_scale="side")
    assert side.data[0].zmax < conv_filters(conv, 0).data[0].zmax


def test_the_filter_tiles_are_the_kernels(conv: sim.Result) -> None:
    """Tile f of the mosaic holds filter f's kernel (one input channel), as stored."""
    fig = conv_filters(conv, 1, snapshot=7)
    W = conv.history.conv_weights[0][conv.run_indices(1)[0], 7]
    z = _filter_z(fig)
    rows = np.flatnonzero(np.isfinite(z).any(axis=1))
    block = z[rows]
    tiles = [block[:, c * 4:c * 4 + 3] for c in range(4)]
    for f in range(4):
        np.testing.assert_array_equal(tiles[f], W[f, 0])


@pytest.mark.parametrize("build", [conv_filters, feature_maps])
def test_frames_and_seek_behave_like_the_other_animated_charts(conv: sim.Result, build
                                                               ) -> None:
    """One frame per stored snapshot (41 <= 51), the slider on the shown one; moving a built
    figure to a frame gives the figure built at that epoch; the still copy drops the
    controls."""
    name = {conv_filters: "filters", feature_maps: "feature_maps"}[build]
    epochs = conv.history.snapshot_epochs
    ks = frame_indices(epochs.size)
    fig = draw(name, conv, 0, View(True, "distinct_neurons", ks[-1]))
    assert len(fig.frames) == len(ks) == epochs.size
    assert fig.layout.sliders[0].active == len(ks) - 1
    built = fig.to_dict()
    from tests.test_motion import as_float32
    for k in (ks[0], ks[5], ks[len(ks) // 2]):
        want = json.loads(pio.to_json(draw(name, conv, 0, View(True, "distinct_neurons", k))))
        got = json.loads(pio.to_json(seek(built, int(epochs[k]))))
        assert as_float32(got["data"]) == as_float32(want["data"]), k
        assert as_float32(got["layout"]) == as_float32(want["layout"]), k
    plain = draw(name, conv, 0, View(True, "distinct_neurons", ks[-1], frames=False))
    copy = still(fig)
    assert not copy.frames and copy.layout.height == plain.layout.height


def test_feature_maps_are_the_networks_first_layer_output(conv: sim.Result) -> None:
    """The maps drawn are sim.network.forward's first output for the image; on the zeros
    side all 4 are equal, on the he_normal side all differ."""
    cfg = conv.config
    run = conv.run_indices(1)[0]
    W, b = conv.network_at(run, 20)
    X = conv.data.X_train[3:4]
    want = forward(W, b, X, cfg.activation, pool=cfg.pool, image_shape=cfg.image_shape)[0][0]
    np.testing.assert_array_equal(first_feature_maps(conv, run, 20, image=3), want)
    title = {i: next(a.text for a in feature_maps(conv, i).layout.annotations
                     if a.name == "panel title") for i in (0, 1)}
    assert title[0].endswith("4 maps, all equal: 1 map")
    assert title[1].endswith("4 distinct maps")


def test_effective_filters_draw_the_conv_metric_and_the_width(conv: sim.Result) -> None:
    fig = effective_filters(conv, 0)
    np.testing.assert_array_equal(fig.data[0].y, conv.history.conv_metrics[
        "distinct_neurons"][conv.run_indices(0)[0], :, 0])
    assert [s.y0 for s in fig.layout.shapes] == [4]
    assert fig.layout.yaxis.title.text == "distinct filters (count)"
    with pytest.raises(ValueError, match="Valid names"):
        effective_filters(conv, 0, metric="symmetry_gap")


def test_sample_images_show_each_class_under_its_name(conv: sim.Result) -> None:
    fig = sample_images(conv)
    assert [a.text for a in fig.layout.annotations] == ["0° bar", "45° bar", "90° bar",
                                                        "135° bar"]
    z = np.asarray(fig.data[0].z, dtype=float)
    y = conv.data.y_train
    first = conv.data.X_train[np.flatnonzero(y == 1)[0]].reshape(12, 12)
    rows = np.flatnonzero(np.isfinite(z).any(axis=1))
    np.testing.assert_array_equal(z[rows[:12], 14:26], first)  # column 2, row 1


def test_captions_state_what_the_filters_show(conv: sim.Result) -> None:
    assert caption_filters(conv, 0) == (
        "All 4 filters are equal at epoch 40: they compute the same feature map, get the "
        "same gradient and the same update.")
    assert caption_filters(conv, 1) == (
        "4 distinct filters at epoch 40: each can detect a feature of its own.")
    assert caption_filters(conv, 0, snapshot=0).startswith(
        "All 4 filters are exactly 0 at epoch 0")
    assert caption_feature_maps(conv, 0).startswith(
        "At epoch 40 all 4 feature maps of this image are the same")
    assert caption_feature_maps(conv, 1).startswith(
        "At epoch 40 the 4 feature maps of this image all differ")
    assert caption_effective_filters(conv, 0) == "After 40 epochs: 1 distinct filter of 4."
    assert caption_effective_filters(conv, 1) == "After 40 epochs: 4 distinct filters of 4."


def test_a_layer_over_many_channels_shows_their_mean_and_says_so() -> None:
    r = train_comparison(_conv_config("4x3,6x3", epochs=5))
    fig = conv_filters(r, 1)
    assert "layer 2: mean over the 4 input channels" in fig.layout.title.subtitle.text
    assert len(fig.data) == 2
    W = r.history.conv_weights[1][r.run_indices(1)[0], -1]
    z = np.asarray(fig.data[1].z, dtype=float)
    rows = np.flatnonzero(np.isfinite(z).any(axis=1))[:3]  # the first row of tiles
    np.testing.assert_allclose(z[rows][:, 0:3], W[0].mean(axis=0))


def test_mosaic_lays_tiles_out_in_rows_with_gaps() -> None:
    t = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    m = mosaic(t, 3, gap=1, label_rows=1)
    assert m.shape == (2 * 3 + 1, 3 * 3 + 2)
    np.testing.assert_array_equal(m[1:3, 4:7], t[1])
    np.testing.assert_array_equal(m[5:7, 0:3], t[3])
    assert np.isnan(m[0]).all() and np.isnan(m[:, 3]).all() and np.isnan(m[5:7, 8:]).all()


# ------------------------------------------------------------------------------------------
# On the page
# ------------------------------------------------------------------------------------------

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")


def _page(**settings) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for key, value in settings.items():
        at.session_state[key] = value
    if settings:
        at.run()
    assert not at.exception
    return at


def _epoch_tabs(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def _titles(at: AppTest) -> list[str]:
    return [json.loads(el.proto.spec)["layout"]["title"]["text"]
            for el in at.get("plotly_chart")]


def test_a_dense_page_has_no_conv_chart_and_no_tab_for_one() -> None:
    at = _page()
    assert "Filters" not in _epoch_tabs(at) and "Feature maps" not in _epoch_tabs(at)
    assert "The images" not in [s.value for s in at.subheader]
    assert not [t for t in _titles(at) if "filter" in t.lower() or "Sample" in t]
    assert not [i.value for i in at.info if "does not apply" in i.value]


def test_a_conv_page_shows_the_images_the_filters_and_the_feature_maps() -> None:
    at = _page(dataset="bars", conv="4x3", pool=2, hidden="8", activation="sigmoid",
               epochs=40, lr=2.0, n_samples=96)
    assert "The images" in [s.value for s in at.subheader]
    assert {"Filters", "Feature maps"} <= set(_epoch_tabs(at))
    titles = _titles(at)
    assert any(t.startswith("<b>Sample images: bars") for t in titles)
    assert sum("Distinct filters per conv layer" in t for t in titles) == 2
    for tab, start in (("Filters", "<b>Filters after 40 epochs"),
                       ("Feature maps", "<b>Feature maps after 40 epochs")):
        at.session_state[panels.EPOCH_TABS_KEY] = tab
        at.run()
        assert not at.exception
        assert sum(t.startswith(start) for t in _titles(at)) == 2, (tab, _titles(at))
    captions = [c.value for c in at.caption]
    assert any(c.startswith("At epoch 40 all 4 feature maps of this image are the same")
               for c in captions)


def test_dead_filters_are_said_dead_not_able_to_detect_features() -> None:
    """ReLU from zeros: every filter stays exactly 0 and dead (the engine's dead_units),
    and the caption says so rather than crediting them with features."""
    r = train_comparison(_conv_config(activation="relu", epochs=10))
    assert np.all(r.history.conv_metrics["dead_units"][r.run_indices(0), -1] == 4)
    text = caption_filters(r, 0)
    assert text.startswith("All 4 filters are exactly 0 at epoch 10")
    assert text.endswith("All 4 are dead: their feature maps are 0 on every training image.")
