"""Tests of the dashboard (headless, with Streamlit's AppTest) and of its charts.

The dashboard tests run ``dashboard.py`` as a script, read the charts' figure JSON and compare
it with what :func:`sim.train_comparison` computes for the same configuration, so a chart that
shows the wrong run, the wrong epoch or stale numbers fails.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import sim
import sim.serve.service as service_module
from sim import BIAS_INITIALIZERS, INITIALIZERS, PRESETS, Config, charts, export, train_comparison
from sim.app import export_tab, panels, state
from sim.explain import why
from sim.explain.step import step_numbers
from sim.presets import DEFAULT_PRESET

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")
WIDGET_TYPES = ("text_input", "number_input", "selectbox", "slider", "radio", "toggle",
                "select_slider")


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_caught_failures(caplog):
    """The page's last line of defence turns an unexpected exception into one short message
    and a log record (loggers ``sim.app.*``); any such record fails the test, so the
    defence hides no bug from the tests. Tests of the defence clear the records they
    expect."""
    yield
    caught = [r for r in caplog.get_records("call")
              if r.name.startswith("sim.app") and r.levelno >= logging.ERROR]
    assert not caught, "\n".join(logging.Formatter().format(r) for r in caught)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    """The default page, run once, for the tests that only read it."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


@pytest.fixture
def app() -> AppTest:
    """The dashboard after its first run (a new session; the training cache is kept, as in a
    server process, so most tests do not retrain the default config)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def fresh_app() -> AppTest:
    """The dashboard after its first run with empty caches (for tests that count training)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def lesson() -> sim.Result:
    """The default lesson trained directly by the engine."""
    return train_comparison(PRESETS[DEFAULT_PRESET].config())


def decode(value) -> np.ndarray:
    """A plotly JSON array: a plain list or ``{"dtype", "bdata", "shape"}``."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            shape = [int(s) for s in shape.split(",")] if isinstance(shape, str) else shape
            arr = arr.reshape(shape)
        return arr
    return np.asarray(value, dtype=float)


def figures(at: AppTest) -> list[dict]:
    """The figure JSON of every plotly chart on the page, in page order."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def title(fig: dict) -> str:
    """The figure's title without its bold markup."""
    t = fig["layout"].get("title", {})
    text = t.get("text", "") if isinstance(t, dict) else str(t)
    return text.replace("<b>", "").replace("</b>", "").replace("<br>", " ")


def figure(at: AppTest, starts_with: str) -> dict:
    """The first figure whose title (without markup) starts with ``starts_with``."""
    for fig in figures(at):
        if title(fig).startswith(starts_with):
            return fig
    raise AssertionError(f"no chart titled {starts_with!r}; got {[title(f) for f in figures(at)]}")


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def loss_traces(at: AppTest) -> list[np.ndarray]:
    """The y values of every curve of the two per-initialization loss charts."""
    out = []
    for fig in figures(at):
        if title(fig).startswith("Loss: "):
            out += [decode(t["y"]) for t in fig["data"] if t.get("mode") == "lines"]
    return out


def result(at: AppTest) -> sim.Result:
    return at.session_state["last_result"]


def plain(text: str) -> str:
    """A message's text without the markdown escapes (``\\-1`` -> ``-1``)."""
    return text.replace("\\", "")


def messages(at: AppTest) -> list[str]:
    """Every error, warning and exception on the page (main area and sidebar)."""
    return [plain(e.value) for kind in ("error", "warning", "exception")
            for e in getattr(at, kind)]


# ------------------------------------------------------------------------------------------
# The default page
# ------------------------------------------------------------------------------------------


def test_default_page_runs_without_exception_or_error(default_page: AppTest) -> None:
    """The first screen renders with no exception and no error message."""
    assert not default_page.exception
    assert not default_page.error
    assert default_page.title[0].value.startswith("Init Lab")


def test_default_page_is_the_lesson_preset(default_page: AppTest) -> None:
    """With no input the default_page trains the default preset and says so."""
    assert result(default_page).config == PRESETS[DEFAULT_PRESET].config()
    assert PRESETS[DEFAULT_PRESET].label in default_page.info[0].value


def test_default_page_shows_the_main_charts(default_page: AppTest) -> None:
    """Loss curves, overlay, accuracy, effective neurons and the first chart of one epoch,
    the weights, are drawn for both initializations."""
    titles = [title(f) for f in figures(default_page)]
    for start in ("Loss: zeros", "Loss: xavier_uniform", "Loss of both",
                  "Accuracy of both", "Weights after 500 epochs: zeros",
                  "Weights after 500 epochs: xavier", "Distinct neurons per hidden layer"):
        assert any(t.startswith(start) for t in titles), (start, titles)


def show_epoch_chart(at: AppTest, spec: charts.ChartSpec) -> None:
    """Open the tab of one chart of the epoch section."""
    at.session_state[panels.EPOCH_TABS_KEY] = spec.title
    at.run()


def test_each_tab_of_the_epoch_section_draws_only_its_chart(app: AppTest) -> None:
    """The epoch section shows one kind of chart at a time (lazy tabs): each tab draws its
    chart for both sides, and no other chart of the section."""
    result = app.session_state["last_result"]
    specs = [s for heading, group in charts.sections("compare", result) for s in group
             if heading == charts.EPOCH_SECTION]
    starts = {"weights": "Weights after 500", "trajectories": "Units of layer 1",
              "network": "Network after 500", "boundary": "Decision boundary after 500"}
    assert [s.name for s in specs] == list(starts)
    for spec in specs:
        show_epoch_chart(app, spec)
        titles = [title(f) for f in figures(app)]
        for name, start in starts.items():
            drawn = [t for t in titles if t.startswith(start)]
            assert len(drawn) == (2 if name == spec.name else 0), (spec.name, name, titles)


def test_loss_curves_hold_the_engine_numbers(default_page: AppTest, lesson: sim.Result) -> None:
    """Each side's train and test curves equal train_comparison's history for the config."""
    h = lesson.history
    for i in range(len(lesson.labels)):
        label = charts.init_label(lesson, i)
        fig = figure(default_page, f"Loss: {label}")
        np.testing.assert_array_equal(decode(trace(fig, "train")["y"]), h.train_loss[i])
        np.testing.assert_array_equal(decode(trace(fig, "test")["y"]), h.test_loss[i])
        np.testing.assert_array_equal(decode(trace(fig, "train")["x"]),
                                      np.arange(h.train_loss.shape[1]))


def test_weight_heatmaps_hold_the_engine_weights(default_page: AppTest, lesson: sim.Result) -> None:
    """The heatmaps show the last snapshot's matrices (units x inputs) of each side, each
    followed by its bias column, in float32 (the precision of the animation's frames, which
    the epoch slider moves the chart to; the hover shows 6 significant digits)."""
    for i in range(len(lesson.labels)):
        label = charts.init_label(lesson, i)
        fig = figure(default_page, f"Weights after 500 epochs: {label}")
        heatmaps = [t for t in fig["data"] if t["type"] == "heatmap"]
        assert len(heatmaps) == 2 * len(lesson.history.weights)
        for layer in range(len(lesson.history.weights)):
            w, b = heatmaps[2 * layer], heatmaps[2 * layer + 1]
            np.testing.assert_array_equal(
                decode(w["z"]), lesson.history.weights[layer][i, -1].astype(np.float32))
            np.testing.assert_array_equal(
                decode(b["z"]).ravel(), lesson.history.biases[layer][i, -1].astype(np.float32))


def test_weight_heatmaps_share_one_colour_range_centred_on_zero(default_page: AppTest) -> None:
    """Left and right heatmaps use the same symmetric colour range."""
    ranges = {(t["zmin"], t["zmax"]) for f in figures(default_page)
              if title(f).startswith("Weights") for t in f["data"]}
    assert len(ranges) == 1
    zmin, zmax = ranges.pop()
    assert zmin == -zmax > -np.inf


def test_effective_neuron_chart_holds_the_engine_metric(default_page: AppTest,
                                                        lesson: sim.Result) -> None:
    """The distinct-neuron curves are the engine's metric: 1 for zeros, 8 for Xavier."""
    for i in range(len(lesson.labels)):
        label = charts.init_label(lesson, i)
        fig = figure(default_page, f"Distinct neurons per hidden layer: {label}")
        y = decode(trace(fig, "layer 1")["y"])
        np.testing.assert_array_equal(y, lesson.history.metrics["distinct_neurons"][i, :, 0])
    assert lesson.history.metrics["distinct_neurons"][0, -1, 0] == 1


def test_captions_state_the_lesson_in_one_sentence(default_page: AppTest) -> None:
    """Under the zeros panel a caption says the hidden units are identical."""
    captions = [c.value for c in default_page.caption]
    assert any("All 8 hidden units are identical: the layer acts as one neuron" in c
               for c in captions), captions


def test_metrics_row_shows_final_numbers_and_difference(default_page: AppTest,
                                                        lesson: sim.Result) -> None:
    """The metrics row shows the final train loss of each side and right minus left."""
    by_label: dict[str, list] = {}
    for m in default_page.metric:
        by_label.setdefault(m.label, []).append(m)
    left, right = by_label["Train loss"]
    assert left.value == panels.fmt_loss(lesson.history.train_loss[0, -1])
    assert right.value == panels.fmt_loss(lesson.history.train_loss[1, -1])
    diff = lesson.history.train_loss[1, -1] - lesson.history.train_loss[0, -1]
    assert right.delta.startswith(f"{diff:+.3g}")
    assert [m.value for m in by_label["Neurons"]] == ["1/8", "8/8"]


@pytest.mark.parametrize("x,text", [(0.0031234, "0.00312"), (1.0, "1"), (0.69314, "0.693"),
                                    (3.2e-7, "3.20e-7"), (0.0, "0")])
def test_losses_in_the_metrics_row_are_short(x: float, text: str) -> None:
    """Losses fit a metric tile: 3 significant digits, scientific notation when tiny."""
    assert panels.fmt_loss(x) == text


def test_distinct_neurons_of_many_layers_are_summarised(app: AppTest) -> None:
    """With 30 layers the tile shows the weakest layer (its help all 30); the difference
    between sides is a share of units, not a sum of counts, with no arrow when equal."""
    app.selectbox(key="preset").select("deep_relu").run()
    tiles = [m for m in app.metric if m.label == "Neurons"]
    assert all(t.value.endswith("/32") and "weakest of the 30 layers" in t.help
               for t in tiles)
    right = tiles[1]
    assert right.delta is None or right.delta.endswith(" pts")


def test_every_chart_exports_a_named_png(default_page: AppTest) -> None:
    """Every chart's camera button downloads a 2x PNG named like the same chart's file from
    the Export tab and the command line: chart, initialization, config hash."""
    res = result(default_page)
    digest = charts.config_hash(res)
    assert digest == export.config_hash(res.config)
    same_as_export = {export.figure_filename(key, res.config, "png")[:-len(".png")]
                      for key in charts.all_figures(res)}
    configs = [json.loads(el.proto.config) for el in default_page.get("plotly_chart")]
    assert configs
    for cfg in configs:
        opts = cfg["toImageButtonOptions"]
        assert opts["format"] == "png" and opts["scale"] >= 2
        assert opts["filename"] in same_as_export and "newplot" not in opts["filename"]
        assert cfg["displaylogo"] is False
    names = [c["toImageButtonOptions"]["filename"] for c in configs]
    assert f"loss_init1-zeros-{digest}" in names
    assert f"loss_overlay-zeros-vs-xavier_uniform-{digest}" in names


def test_every_widget_has_a_key_and_a_help_tooltip(default_page: AppTest) -> None:
    """Sidebar and main-area widgets all carry a key and a help text."""
    widgets = [w for kind in WIDGET_TYPES for w in getattr(default_page, kind)]
    assert len(widgets) > 20
    for w in widgets:
        assert w.key, w.label
        assert w.help, w.key


# ------------------------------------------------------------------------------------------
# Presets and controls
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_runs_and_sets_every_control(app: AppTest, name: str) -> None:
    """Picking a preset trains exactly the preset's configuration, with no exception."""
    app.selectbox(key="preset").select(name).run()
    assert not app.exception
    assert not app.error
    assert result(app).config == PRESETS[name].config()
    assert PRESETS[name].label in app.info[0].value
    assert len(figures(app)) >= 7  # a regression has no accuracy or boundary chart


def test_controls_stay_editable_after_a_preset(app: AppTest) -> None:
    """After a preset the user can change a control; the rest of the preset stays."""
    app.selectbox(key="preset").select("dead_zeros").run()
    app.selectbox(key="activation").select("sigmoid").run()
    cfg = result(app).config
    assert cfg.activation == "sigmoid"
    assert cfg.hidden == PRESETS["dead_zeros"].config().hidden
    assert "Custom settings" in app.caption[0].value or any(
        "Custom settings" in c.value for c in app.caption)


def test_picking_the_shown_preset_again_reapplies_it(app: AppTest) -> None:
    """After a control changes, the menu shows "Custom settings"; picking the preset again
    (the one it started from) sets every control back to the preset."""
    app.selectbox(key="preset").select("dead_zeros").run()
    app.selectbox(key="activation").select("sigmoid").run()
    assert app.selectbox(key="preset").value == "custom"
    app.selectbox(key="preset").select("dead_zeros").run()
    assert not app.exception
    assert app.selectbox(key="activation").value == "tanh"
    assert result(app).config == PRESETS["dead_zeros"].config()


CONTROL_CHANGES = [
    ("selectbox", "activation", "tanh", lambda c: c.activation == "tanh"),
    ("text_input", "hidden", "16", lambda c: c.hidden == (16,)),
    ("selectbox", "loss", "mse", lambda c: c.loss == "mse"),
    ("selectbox", "left_scheme", "normal", lambda c: c.inits[0].scheme == "normal"),
    ("selectbox", "right_scheme", "he_normal", lambda c: c.inits[1].scheme == "he_normal"),
    ("number_input", "right_xavier_uniform_gain", 2.0,
     lambda c: c.inits[1].params["gain"] == 2.0),
    ("number_input", "right_scale", 0.5, lambda c: c.inits[1].scale == 0.5),
    ("selectbox", "left_bias", "normal", lambda c: c.inits[0].bias == "normal"),
    ("selectbox", "dataset", "xor", lambda c: c.dataset == "xor"),
    ("number_input", "n_samples", 128, lambda c: c.n_samples == 128),
    ("slider", "noise", 0.3, lambda c: c.noise == 0.3),
    ("slider", "test_fraction", 0.5, lambda c: c.test_fraction == 0.5),
    ("number_input", "data_seed", 3, lambda c: c.data_seed == 3),
    ("selectbox", "optimizer", "adam", lambda c: c.optimizer == "adam"),
    ("number_input", "lr", 0.5, lambda c: c.lr == 0.5),
    ("number_input", "epochs", 200, lambda c: c.epochs == 200),
    ("number_input", "batch_size", 32, lambda c: c.batch_size == 32),
    ("number_input", "l2", 0.01, lambda c: c.l2 == 0.01),
    ("slider", "dropout", 0.2, lambda c: c.dropout == 0.2),
    ("number_input", "seeds", 2, lambda c: c.seeds == 2),
    ("radio", "dtype", "float32", lambda c: c.dtype == "float32"),
]


def _set(at: AppTest, kind: str, key: str, value) -> None:
    widget = getattr(at, kind)(key=key)
    if kind == "selectbox":
        widget.select(value)
    elif kind == "text_input":
        widget.input(value)
    else:
        widget.set_value(value)
    at.run()


@pytest.mark.parametrize("kind,key,value,check", CONTROL_CHANGES,
                         ids=[c[1] for c in CONTROL_CHANGES])
def test_changing_a_control_changes_the_result(app: AppTest, kind, key, value, check) -> None:
    """Each main control reaches the config and changes the curves on the page."""
    before = loss_traces(app)
    _set(app, kind, key, value)
    assert not app.exception
    assert not app.error
    assert check(result(app).config)
    after = loss_traces(app)
    changed = len(before) != len(after) or any(
        a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
        for a, b in zip(before, after, strict=True))
    assert changed


def test_parameter_widgets_follow_the_chosen_scheme(app: AppTest) -> None:
    """A scheme's parameters appear when it is chosen, and only then."""
    keys = {w.key for w in app.number_input}
    assert "right_xavier_uniform_gain" in keys and "left_normal_std" not in keys
    app.selectbox(key="left_scheme").select("normal").run()
    app.selectbox(key="right_scheme").select("he_normal").run()
    keys = {w.key for kind in WIDGET_TYPES for w in getattr(app, kind)}
    assert {"left_normal_mean", "left_normal_std", "right_he_normal_mode",
            "right_he_normal_nonlinearity"} <= keys
    assert "right_xavier_uniform_gain" not in keys


def test_returning_to_a_seen_config_does_not_retrain(fresh_app: AppTest, monkeypatch) -> None:
    """Training is cached by config: going back to a config seen before trains nothing."""
    calls = []
    original = sim.train_comparison

    def counting(cfg, *args, **kwargs):
        calls.append(cfg)
        return original(cfg, *args, **kwargs)

    monkeypatch.setattr(sim, "train_comparison", counting)
    fresh_app.selectbox(key="activation").select("tanh").run()
    assert len(calls) == 1
    fresh_app.selectbox(key="activation").select("sigmoid").run()
    fresh_app.selectbox(key="activation").select("tanh").run()
    assert len(calls) == 1
    assert not fresh_app.exception


def test_long_runs_report_progress(fresh_app: AppTest, monkeypatch) -> None:
    """A run estimated above a second trains with a progress callback; a short one without."""
    seen = []
    original = sim.train_comparison

    def spy(cfg, progress=None, **kwargs):
        seen.append((cfg.epochs, progress is not None))
        return original(cfg, progress=progress, **kwargs)

    monkeypatch.setattr(sim, "train_comparison", spy)
    fresh_app.number_input(key="epochs").set_value(100).run()
    monkeypatch.setattr(service_module, "estimate_cost", lambda cfg: (5.0, 0))  # "a long run"
    fresh_app.number_input(key="epochs").set_value(120).run()
    assert not fresh_app.exception
    assert seen == [(100, False), (120, True)]


# ------------------------------------------------------------------------------------------
# Bad values
# ------------------------------------------------------------------------------------------

BAD_VALUES = [
    ("text_input", "hidden", "", "hidden"),
    ("text_input", "hidden", "8,,x", "hidden"),
    ("text_input", "hidden", "8, 0", "hidden layer 2"),
    ("text_input", "hidden", "0", "hidden layer 1"),
    ("number_input", "lr", 0.0, "lr (learning rate)"),
    ("number_input", "batch_size", 500, "batch_size must be at most"),
]


@pytest.mark.parametrize("kind,key,value,field", BAD_VALUES,
                         ids=["empty", "8,,x", "zero-units", "zero-only", "lr-0", "batch"])
def test_bad_value_shows_an_error_and_keeps_the_last_good_charts(app: AppTest, kind, key,
                                                                 value, field) -> None:
    """A bad value gives one st.error naming the field (under its widget; in the page for
    settings that do not fit together), no exception, and the page keeps showing the last
    valid result's charts."""
    before = loss_traces(app)
    n_before = len(figures(app))
    _set(app, kind, key, value)
    assert not app.exception
    shown = messages(app)
    assert len(shown) == 1 and field in shown[0], shown
    assert len(figures(app)) == n_before
    after = loss_traces(app)
    assert len(after) == len(before)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_a_typed_negative_learning_rate_is_named_under_its_input(app: AppTest) -> None:
    """The Learning rate input does not clamp -1 to its own minimum: the validator's message
    (naming the learning rate and the -1) is the page's only message, right under the
    input, and the page says the charts are the last valid ones."""
    app.number_input(key="lr").set_value(-1.0).run()
    assert not app.exception
    assert app.number_input(key="lr").value == -1.0
    sidebar = [plain(e.value) for e in app.sidebar.error]
    assert sidebar == ["lr (learning rate) must be a number > 0 and <= 100. Got -1.0."]
    assert messages(app) == sidebar
    assert any("marked in the sidebar (Learning rate)" in c.value for c in app.caption)


def test_fixing_the_learning_rate_removes_its_message(app: AppTest) -> None:
    """After -1, a valid learning rate trains and no message is left on the page."""
    app.number_input(key="lr").set_value(-1.0).run()
    app.number_input(key="lr").set_value(0.1).run()
    assert not messages(app)
    assert result(app).config.lr == 0.1


def _right_side(app: AppTest, scheme: str, bias: str = "zeros") -> None:
    app.selectbox(key="right_scheme").select(scheme).run()
    app.selectbox(key="right_bias").select(bias).run()
    assert not app.exception


BAD_INIT_VALUES = [  # (scheme, bias, widget key, value, what the message names)
    ("normal", "zeros", "right_normal_std", -1.0, "parameter 'std' must be a number >= 0"),
    ("xavier_uniform", "zeros", "right_xavier_uniform_gain", -1.0,
     "parameter 'gain' must be a number >= 0"),
    ("xavier_uniform", "normal", "right_bias_normal_std", -1.0,
     "parameter 'std' must be a number >= 0"),
    ("xavier_uniform", "zeros", "right_scale", -1.0, "right scale must be a number >= 0"),
    ("uniform", "zeros", "right_uniform_a", 1.0, "'a' must be less than parameter 'b'"),
]


@pytest.mark.parametrize("scheme,bias,key,value,expected", BAD_INIT_VALUES,
                         ids=["std", "gain", "bias-std", "scale", "a-above-b"])
def test_a_bad_initializer_value_is_named_under_its_input(app: AppTest, scheme, bias, key,
                                                          value, expected) -> None:
    """Scheme and bias parameters and the scale factor take what is typed; the validator's
    message is the page's only one, in the sidebar (a and b together: under b)."""
    _right_side(app, scheme, bias)
    app.number_input(key=key).set_value(value).run()
    assert not app.exception
    assert app.number_input(key=key).value == value
    shown = messages(app)
    assert len(shown) == 1 and expected in shown[0], shown
    assert [plain(e.value) for e in app.sidebar.error] == shown


#: Every float parameter whose lowest value is 0 (gain, std...), on the right, and the scale.
ZERO_LOW_PARAMS = [(scheme, "zeros", state.param_key("right", scheme, p.name), p.name)
                   for scheme, info in INITIALIZERS.items() for p in info.params
                   if p.kind == "float" and p.low == 0.0] + [
    ("xavier_uniform", scheme, state.param_key("right", scheme, p.name, True), p.name)
    for scheme, info in BIAS_INITIALIZERS.items() for p in info.params
    if p.kind == "float" and p.low == 0.0] + [
    ("xavier_uniform", "zeros", "right_scale", "scale")]


@pytest.mark.parametrize("scheme,bias,key,name", ZERO_LOW_PARAMS,
                         ids=[k for _, _, k, _ in ZERO_LOW_PARAMS])
def test_minus_zero_gives_a_result_or_one_message_naming_the_parameter(
        app: AppTest, scheme, bias, key, name) -> None:
    """``-0`` typed as a gain, a standard deviation or the scale is the validator's to answer
    (it reached numpy once: ``ValueError: high - low < 0``): a trained result, or one
    message naming the parameter; never an exception."""
    _right_side(app, scheme, bias)
    app.number_input(key=key).set_value(-0.0).run()
    assert not app.exception
    shown = messages(app)
    if shown:
        assert len(shown) == 1 and name in shown[0], shown
        return
    spec = result(app).config.inits[1]  # trained with the -0 (equal to 0)
    given = {"right_scale": {"scale": spec.scale}}.get(
        key, spec.bias_params if key.startswith("right_bias_") else spec.params)
    assert (spec.scheme, spec.bias, given[name]) == (scheme, bias, 0.0)


def test_bad_hidden_sizes_give_one_message(app: AppTest) -> None:
    """``8,x`` is explained once, under the hidden sizes, without the layers caption."""
    _set(app, "text_input", "hidden", "8,x")
    assert messages(app) == ["hidden layer 2 must be an integer between 1 and 2048. Got 'x'."]
    assert app.sidebar.error
    assert not any(c.value.startswith("Layers:") for c in app.sidebar.caption)


def _caught(caplog) -> list[logging.LogRecord]:
    """The records of the page's last line of defence, cleared (they are expected here)."""
    records = [r for r in caplog.get_records("call") if r.name.startswith("sim.app")]
    caplog.clear()
    return records


def test_a_failing_tab_gives_one_short_message_and_a_logged_traceback(
        app: AppTest, monkeypatch, caplog) -> None:
    """An unexpected exception while drawing a tab (a bug) is one short error naming the
    tab, not a traceback; the server's log gets the traceback and the configuration."""
    def broken(result):
        raise RuntimeError("chart exploded " + "x" * 10_000)

    monkeypatch.setattr("sim.app.compare.compare_tab", broken)
    app.run()
    assert not app.exception
    shown = messages(app)
    assert len(shown) == 1 and shown[0].startswith("**Drawing the Compare tab failed** "
                                                   "(RuntimeError: chart exploded x")
    assert len(shown[0]) < 400
    (record,) = _caught(caplog)
    assert record.exc_info[0] is RuntimeError
    assert PRESETS[DEFAULT_PRESET].config().to_json(indent=None) in record.getMessage()


def test_a_failing_training_keeps_the_last_result(app: AppTest, monkeypatch, caplog) -> None:
    """An unexpected exception while training is one short error naming the training; the
    charts of the last result stay, and the address keeps it."""
    def broken(cfg, *args, **kwargs):
        raise ValueError("high - low < 0")

    before, address = loss_traces(app), dict(app.query_params)
    monkeypatch.setattr(sim, "train_comparison", broken)
    app.number_input(key="epochs").set_value(123).run()  # not in the cache
    assert not app.exception
    assert messages(app) == ["**Training this configuration failed** (ValueError: high - low "
                             "< 0). This is a bug in Init Lab, not in your settings; the "
                             "details are in the server's log."]
    assert result(app).config.epochs == 500
    assert all(np.array_equal(a, b) for a, b in zip(before, loss_traces(app), strict=True))
    assert dict(app.query_params) == address
    assert len(_caught(caplog)) == 1


def test_fixing_a_bad_value_trains_again(app: AppTest) -> None:
    """Once the value is valid again the error disappears and the new config is trained."""
    _set(app, "text_input", "hidden", "8,,x")
    _set(app, "text_input", "hidden", "4, 4")
    assert not app.error
    assert result(app).config.hidden == (4, 4)


# ------------------------------------------------------------------------------------------
# The other tabs
# ------------------------------------------------------------------------------------------


def test_why_tab_derives_the_symmetry_with_the_run_numbers(app: AppTest,
                                                            lesson: sim.Result) -> None:
    """The Why? tab shows the weight matrices of the run with equal rows highlighted."""
    app.session_state["tab"] = "Why?"
    app.run()
    assert not app.exception
    latex = [el.value for el in app.latex]
    assert len(latex) >= 4
    epochs = [e for e in latex if r"\text{epoch }500" in e]
    assert epochs and r"\textcolor" in epochs[0]
    # Shown compactly (3 digits, a common power of ten) so it fits the page column; it used
    # to be 4 digits in one row of four matrices that ran off the right edge.
    last_w = lesson.history.weights[0][0, -1]
    assert why.latex_matrix(last_w) in epochs[0]
    text = " ".join(m.value for m in app.markdown)
    assert "All 8 hidden values are **equal**" in text


def test_why_tab_shows_dead_units_for_tanh(app: AppTest) -> None:
    """With tanh and zeros the Why? tab reports that no hidden gradient ever flowed."""
    app.selectbox(key="preset").select("dead_zeros").run()
    app.session_state["tab"] = "Why?"
    app.run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "largest gradient norm of any hidden layer" in text
    assert "is $0$" in text


def _why_text(app: AppTest, preset: str) -> str:
    """Every markdown, info and caption text of the Why? tab after picking ``preset``."""
    app.selectbox(key="preset").select(preset).run()
    app.session_state["tab"] = "Why?"
    app.run()
    assert not app.exception
    return " ".join(el.value for kind in ("markdown", "info", "caption")
                    for el in getattr(app, kind))


def test_why_tab_with_tanh_zeros_says_the_first_layer_gradient_stays_zero(app: AppTest) -> None:
    """tanh with zeros: hidden outputs are 0 and the first-layer gradient never leaves 0; no
    claim that it becomes non-zero or that the layer acts as one neuron."""
    text = _why_text(app, "dead_zeros")
    assert "hidden values are **0**" in text
    assert "stays exactly 0 at every step" in text
    assert "only the output bias learns" in text
    assert "non-zero but still equal" not in text
    assert "single neuron would" not in text


def test_why_tab_with_dropout_says_the_symmetry_does_not_hold(app: AppTest) -> None:
    """Dropout breaks the symmetry of zero sigmoid units: no induction claim, the reason."""
    text = _why_text(app, "dropout")
    assert "does **not** hold" in text and "dropout" in text
    assert "by induction" not in text


def test_why_tab_with_random_biases_describes_zero_weights_and_different_biases(
        app: AppTest) -> None:
    """Zero weights with random biases: the tab says the biases break the symmetry and does
    not ask the user to pick zeros."""
    text = _why_text(app, "random_bias")
    assert "zero weights but different biases" in text
    assert "Neither initialization" not in text
    assert "choose zeros on one side" not in text
    assert "by induction" not in text


def test_why_tab_states_the_induction_only_when_the_run_kept_the_symmetry(app: AppTest) -> None:
    """Sigmoid with zeros in float64: the gap stayed 0, so the induction sentence is there."""
    text = _why_text(app, "lesson")
    assert "by induction" in text and "symmetry gap is exactly 0" in text


def test_why_tab_with_both_sides_random_claims_no_equal_rows() -> None:
    """?left=xavier_uniform&right=he_normal: the tab says it writes the argument as an *if*
    with this run's numbers, and no sentence claims equal rows (it used to say "every row of
    the gradient is the same" above rows that differ)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["tab"] = "why"
    at.query_params["left"] = "xavier_uniform"
    at.query_params["right"] = "he_normal"
    at.run()
    assert not at.exception
    text = " ".join(el.value for kind in ("markdown", "info", "caption")
                    for el in getattr(at, kind))
    assert "Neither initialization" in text and "written below in symbols" in text
    assert "every row of the gradient is the same" not in text
    assert re.search(r"(?<!\*if\* the )rows of \$[^$]*\$ are equal", text) is None


def test_why_tab_formulas_fit_the_page_column(app: AppTest) -> None:
    """Every formula of the Why? tab (derivation and the step by hand) fits the ~850 px page
    column by the width estimate of sim.explain.why."""
    app.session_state["tab"] = "Why?"
    app.run()
    assert not app.exception
    for el in app.latex:
        tex = el.value.strip().removeprefix("$$").removesuffix("$$").strip()  # st.latex adds $$
        assert why.latex_width(tex) <= why.LATEX_WIDTH_EM, tex


def test_why_tab_steps_through_one_sgd_update(app: AppTest) -> None:
    """"One step, by hand": the stages are radio options; the backward stage says the zeros
    side's gradient rows are equal and the update stage shows W - lr * grad, with the numbers
    of sim.explain.step at the epoch on screen (the last by default)."""
    app.session_state["tab"] = "Why?"
    app.run()
    stage = app.radio(key="why_step")
    assert stage.options == ["0 · The run", "1 · Forward pass", "2 · Backward pass",
                             "3 · Update"]
    assert app.radio(key="why_step_side").value == 0
    stage.set_value("2 · Backward pass").run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "all 8 rows of $[\\nabla_{W^{(1)}}L \\mid \\nabla_{b^{(1)}}L]$ are equal" in text
    app.radio(key="why_step").set_value("3 · Update").run()
    s = step_numbers(result(app), 0, -1)
    latex = [el.value for el in app.latex]
    assert any(why.latex_matrix(s.new_weights[0]) in e for e in latex)
    assert "the update keeps the units identical" in " ".join(m.value for m in app.markdown)


def test_more_charts_tab_draws_gradients_activations_and_symmetry_gap(app: AppTest) -> None:
    """The third tab has the gradient norms, activations and symmetry gap of both sides."""
    app.session_state["tab"] = "More charts"
    app.run()
    assert not app.exception
    titles = [title(f) for f in figures(app)]
    for start in ("Gradient norm per layer: zeros", "Activations per hidden layer",
                  "Symmetry gap per hidden layer: zeros"):
        assert any(t.startswith(start) for t in titles), titles
    gap = figure(app, "Symmetry gap per hidden layer: zeros")
    y = decode(trace(gap, "layer 1")["y"])
    assert np.all(y == charts.ZERO_FLOOR)  # exactly symmetric, drawn at the floor


# ------------------------------------------------------------------------------------------
# sim.charts on its own
# ------------------------------------------------------------------------------------------


def test_all_figures_builds_every_applicable_chart(lesson: sim.Result) -> None:
    """One figure per chart and initialization, keyed for file names."""
    figs = charts.all_figures(lesson)
    assert set(figs) == {"loss_overlay", "accuracy"} | {
        f"{c}_{charts.init_slug(lesson, i)}" for c in
        ("loss", "weights", "trajectories", "network", "neurons", "boundary", "grad_norm",
         "activations", "symmetry_gap")
        for i in range(2)}


@pytest.mark.parametrize("per_init", [True, False], ids=["per-init", "whole-comparison"])
def test_a_registered_chart_is_drawn_and_offered_for_export(
        lesson: sim.Result, monkeypatch, per_init: bool) -> None:
    """One ChartSpec entry is all a new chart needs: all_figures draws it (after the
    existing charts, keyed like them) and the Export tab's menu offers it."""
    def build(result, *init_index, band="minmax"):
        return go.Figure(layout={"title": {"text": f"Extra ({band})"}})

    spec = charts.ChartSpec("extra", "Extra chart", per_init, build, ("band",))
    monkeypatch.setitem(charts.CHARTS, "extra", spec)
    keys = [charts.chart_key(lesson, "extra", i) for i in (range(2) if per_init else [None])]
    figs = charts.all_figures(lesson, band="std")
    assert list(figs)[-len(keys):] == keys
    assert all(figs[k].layout.title.text == "Extra (std)" for k in keys)
    choices = export_tab.chart_choices(lesson, figs)
    assert [k for k in choices if k.startswith("extra")] == keys
    assert all(choices[k].startswith("Extra chart") for k in keys)
    assert ("Extra chart", [spec]) in charts.sections("more")


@pytest.mark.parametrize("tab", charts.CHART_TABS)
def test_registry_sections_are_the_page_sections(app: AppTest, tab: str) -> None:
    """charts.sections(tab, result) lists the headings the tab shows, in page order."""
    app.session_state["tab"] = state.TAB_PARAMS[tab]
    app.run()
    result = app.session_state["last_result"]
    assert [s.value for s in app.subheader] == [h for h, _ in charts.sections(tab, result)]


@pytest.mark.parametrize("tab", charts.CHART_TABS)
def test_registry_captions_are_the_captions_on_the_page(app: AppTest, tab: str) -> None:
    """Each chart's registered caption, for each side, is the caption shown under it."""
    app.session_state["tab"] = state.TAB_PARAMS[tab]
    app.run()
    result = app.session_state["last_result"]
    view = charts.View(log_y=True, metric="distinct_neurons", snapshot=-1)  # the default view
    shown = [c.value for c in app.caption]
    for heading, specs in charts.sections(tab, result):
        if heading == charts.EPOCH_SECTION:  # one tab at a time
            for spec in specs:
                show_epoch_chart(app, spec)
                shown += [c.value for c in app.caption]
    expected = [spec.caption(result, i, view) for _, specs in charts.sections(tab, result)
                for spec in specs if spec.caption for i in range(2)]
    assert expected and all(text in shown for text in expected), (expected, shown)


def test_chart_file_names_are_the_export_names(lesson: sim.Result) -> None:
    """One naming scheme: charts.export_filename (the camera button) is sim.export's
    figure_filename (the Export tab, the ZIP and ``python -m sim export``) of the chart's
    all_figures key."""
    cfg = lesson.config
    assert charts.config_hash(lesson) == export.config_hash(cfg)
    assert charts.export_filename(lesson, "loss", 0) == \
        export.figure_filename("loss_init1-zeros", cfg, "png")[:-len(".png")]
    assert charts.export_filename(lesson, "loss_overlay", fmt="svg") == \
        export.figure_filename("loss_overlay", cfg, "svg") == \
        f"loss_overlay-zeros-vs-xavier_uniform-{export.config_hash(cfg)}.svg"
    keys = set(charts.all_figures(lesson))
    for spec in charts.CHARTS.values():
        for i in (range(2) if spec.per_init else [None]):
            key = charts.chart_key(lesson, spec.name, i)
            if key in keys:
                assert charts.export_filename(lesson, spec.name, i, "pdf") == \
                    export.figure_filename(key, cfg, "pdf")


def test_every_figure_has_titles_axis_titles_and_a_legend_when_needed(
        lesson: sim.Result) -> None:
    """Slides need a title, labelled axes (the network drawing hides its axes: positions
    there mean nothing) and a legend wherever several traces are named."""
    for name, fig in charts.all_figures(lesson).items():
        layout = fig.layout
        assert layout.title.text, name
        for axis in [a for a in dir(layout) if a.startswith(("xaxis", "yaxis"))]:
            ax = getattr(layout, axis)
            if ax is not None and ax.anchor != "free" and ax.visible is not False:
                assert ax.title.text or axis.startswith("yaxis") and axis != "yaxis", \
                    (name, axis)
        named = {t.name for t in fig.data if t.showlegend is not False and t.name}
        if len(named) > 1:
            assert layout.showlegend is not False, name


def test_regression_has_no_accuracy_chart_and_3d_data_no_boundary() -> None:
    """Charts that do not apply are left out instead of drawn empty."""
    res = train_comparison(Config.from_dict({"dataset": "toy", "hidden": [2], "epochs": 5,
                                             "activation": "sigmoid"}))
    figs = charts.all_figures(res)
    assert "accuracy" not in figs
    assert not any(k.startswith("boundary") for k in figs)
    assert charts.accuracy_curves(res) is None


def test_loss_curves_show_mean_and_band_across_seeds() -> None:
    """With several seeds the curve is the mean and a band spans min to max."""
    res = train_comparison(Config.from_dict({"dataset": "xor", "hidden": [4], "epochs": 20,
                                             "seeds": 3}))
    fig = charts.loss_curves(res, 1, log_y=False)
    mean = next(t for t in fig.data if t.name == "train")
    band = next(t for t in fig.data if t.name == "train band")
    runs = res.run_indices(1)
    np.testing.assert_allclose(mean.y, res.history.train_loss[runs].mean(axis=0))
    E = res.history.train_loss.shape[1]
    np.testing.assert_allclose(np.asarray(band.y)[:E], res.history.train_loss[runs].max(axis=0))


def test_symmetry_gap_draws_exact_zeros_at_the_floor_with_a_note(lesson: sim.Result) -> None:
    """A perfectly symmetric layer (gap exactly 0) is drawn at 1e-18 and labelled as such."""
    fig = charts.symmetry_gap(lesson, 0)
    assert np.all(np.asarray(fig.data[0].y) == charts.ZERO_FLOOR)
    assert fig.layout.yaxis.type == "log"
    assert any("exactly 0" in a.text for a in fig.layout.annotations)


def test_each_initialization_keeps_its_colour_in_every_chart(lesson: sim.Result) -> None:
    """The overlay and the per-init charts use the same colour for an initialization."""
    overlay = charts.loss_overlay(lesson)
    for i in range(len(lesson.labels)):
        label = charts.init_label(lesson, i)
        assert next(t for t in overlay.data if t.name == label).line.color == \
            charts.init_color(i)
        single = charts.loss_curves(lesson, i)
        assert single.data[0].line.color == charts.init_color(i)


def test_caption_names_dead_units() -> None:
    """With tanh and zeros the caption says every unit is dead and only the bias learns."""
    res = train_comparison(PRESETS["dead_zeros"].config().replace(epochs=20))
    text = charts.caption_neurons(res, 0)
    assert "dead" in text and "only the output bias learns" in text


def test_weight_heatmaps_show_the_bias_as_a_last_column_labelled_b() -> None:
    """Zero weights with random biases: the bias column shows the biases and the title counts
    rows of [W | b], so the units that differ only in bias are counted as different."""
    res = train_comparison(PRESETS["random_bias"].config().replace(epochs=5))
    fig = charts.weight_heatmaps(res, 0, snapshot=0)
    bias = fig.data[1]
    np.testing.assert_array_equal(np.asarray(bias.z).ravel(), res.history.biases[0][0, 0])
    assert fig.layout.xaxis.ticktext[-1] == "b"
    first_title = fig.layout.annotations[0].text
    assert "all 0" not in first_title and "all rows differ" in first_title


def test_weight_heatmaps_keep_tall_and_wide_layers_readable() -> None:
    """A 100x2 layer and a 1x100 output layer get at most a 3:1 aspect, not hairlines, and
    two input columns are labelled 1 and 2."""
    cfg = PRESETS["float32"].config().replace(epochs=2)
    res = train_comparison(cfg)
    fig = charts.weight_heatmaps(res, 0)
    for sx in ("", "2"):
        x, y = fig.layout[f"xaxis{sx}"], fig.layout[f"yaxis{sx}"]
        cols = x.range[1] - x.range[0]
        rows = abs(y.range[0] - y.range[1])
        aspect = rows * y.scaleratio / cols
        assert 1 / 3 - 1e-9 <= aspect <= 3 + 1e-9
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "b"]


def test_multiclass_boundary_names_the_class_regions() -> None:
    """Blobs with 4 classes: the subtitle speaks of predicted classes, not P(class 1), and
    the caption does not claim one straight boundary."""
    cfg = Config.from_dict({**PRESETS["lesson"].config().to_dict(), "dataset": "blobs",
                            "n_classes": 4, "epochs": 5, "loss": "auto"})
    res = train_comparison(cfg)
    fig = charts.decision_boundary(res, 0)
    subtitle = fig.layout.title.subtitle.text
    assert "predicted class" in subtitle and "P(class 1)" not in subtitle
    assert "P = 0.5" not in subtitle
    assert len(fig.data[0].x) >= charts.MULTICLASS_RESOLUTION
    assert "one straight boundary" not in charts.caption_boundary(res, 0)


def test_notes_sit_below_the_plot_area(lesson: sim.Result) -> None:
    """The symmetry gap's note is under the x axis (outside the plot), with room kept for
    it in the bottom margin."""
    fig = charts.symmetry_gap(lesson, 0)
    note = next(a for a in fig.layout.annotations if a.name == "note")
    assert note.yref == "paper" and note.y == 0 and note.yanchor == "top" and note.yshift < 0
    assert fig.layout.margin.b >= -note.yshift + 12


# ------------------------------------------------------------------------------------------
# The charts of one epoch: slider, colour range, layer picker
# ------------------------------------------------------------------------------------------


def test_the_epoch_slider_offers_the_frames_of_the_animated_charts(app: AppTest) -> None:
    """The slider's epochs are the animated charts' frames, so every step moves each of
    them to a frame; moving it retitles the heatmaps and moves their own slider."""
    result = app.session_state["last_result"]
    offered = state.shown_epochs(result)
    assert app.select_slider(key="snapshot_epoch").options == [str(e) for e in offered]
    app.select_slider(key="snapshot_epoch").set_value(offered[4]).run()
    fig = figure(app, f"Weights after {offered[4]} epochs")
    assert fig["layout"]["sliders"][0]["active"] == 4
    assert len(fig["frames"]) == len(offered)


def test_the_colour_range_control_switches_the_heatmaps_scale(app: AppTest) -> None:
    """Each side its own: the zeros side's heatmaps get a range of their own, far below the
    random side's."""
    app.segmented_control(key="weight_scale").set_value("side").run()
    ranges = [max(t["zmax"] for t in figure(app, f"Weights after 500 epochs: {label}")["data"]
                  if "zmax" in t) for label in ("zeros", "xavier_uniform")]
    assert ranges[0] < ranges[1] / 100
    assert app.query_params["colour_range"] == "side"


def test_a_deep_network_picks_the_layers_of_its_heatmaps(app: AppTest) -> None:
    """30 layers: the picker starts at the first, a middle and the output layer; choosing
    others redraws the panels (one title each)."""
    app.selectbox(key="preset").select("deep_relu").run()
    assert app.multiselect(key="weight_layers").value == [1, 16, 31]
    app.multiselect(key="weight_layers").set_value([2, 30]).run()
    fig = figure(app, "Weights after 150 epochs: xavier_normal")
    panels = [a["text"] for a in fig["layout"]["annotations"] if a.get("name") == "panel title"]
    assert [p.split(":")[0] for p in panels] == ["layer 2", "layer 30"]
    app.selectbox(key="preset").select("lesson").run()
    assert not app.multiselect  # three layers or fewer: no picker


def test_why_tab_of_the_filters_preset_explains_the_filters(app: AppTest) -> None:
    """A convnet's Why? tab: the filters' derivation with this run's "In this run:" sentences
    (the zeros side's 8 filters stay equal) and, instead of the dense step by hand, the note
    that it covers dense networks."""
    text = _why_text(app, "filters")
    assert "Why identical filters stay identical" in [s.value for s in app.subheader]
    assert "the 8 filters start equal and are still all equal after 300 epochs" in text
    assert "end as 8 distinct live filters" in text
    assert "worked out for dense networks only" in text
    assert any(r"\star" in el.value for el in app.latex)
