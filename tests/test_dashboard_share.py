"""Tests of the dashboard's sharing and export: the configuration in the page address, config
uploads and the "Export & share" tab (headless, with Streamlit's AppTest).

A link is fed through ``at.query_params`` before the first run, as a browser's address would
be; what the page writes back is read from ``at.query_params`` after a run. The download
buttons build their files only when clicked (Streamlit calls a function then), which AppTest
cannot do: the functions that build the files are tested directly, and the real downloads in
``tests/test_browser.py``.
"""

from __future__ import annotations

import json
import logging
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest
from test_motion import as_float32

from sim import PRESETS, Config, charts, export
from sim.app import export_tab, links
from sim.app import state as app_state
from sim.presets import DEFAULT_PRESET
from sim.share import MAX_UPLOAD_BYTES, config_to_params, params_to_config

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")
DEFAULT = PRESETS[DEFAULT_PRESET].config()

#: A configuration that differs from the default page in every control.
CUSTOM = Config.from_dict({
    "dataset": "xor", "n_samples": 128, "noise": 0.3, "test_fraction": 0.5, "data_seed": 3,
    "hidden": [4, 4], "activation": "relu", "loss": "bce",
    "inits": [{"scheme": "he_normal", "params": {"mode": "fan_out"}, "scale": 0.5,
               "bias": "normal", "bias_params": {"std": 0.5}},
              {"scheme": "normal", "params": {"std": 0.1}}],
    "seeds": 2, "optimizer": "momentum", "lr": 0.1, "momentum": 0.8, "epochs": 40,
    "batch_size": 16, "l2": 0.001, "dropout": 0.1, "dtype": "float32", "snapshots": 21,
})


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_caught_failures(caplog):
    """Any unexpected exception the page's last line of defence caught (and logged under
    ``sim.app``) fails the test: the defence hides no bug from the tests. Tests of the
    defence clear the records they expect."""
    yield
    caught = [r for r in caplog.get_records("call")
              if r.name.startswith("sim.app") and r.levelno >= logging.ERROR]
    assert not caught, "\n".join(logging.Formatter().format(r) for r in caught)


def _assert_one_logged_error(caplog, exc_type: type) -> None:
    """The project's log holds one ERROR record of ``sim.app.links``, with the exception's
    details, and nothing else of the project's; then the records are cleared. Only the
    project's own records count: the capture also holds other libraries' (pytest 9.2 hands
    it Streamlit's "missing ScriptRunContext" warnings), which are not the tests' business."""
    ours = [r for r in caplog.get_records("call") if r.name.split(".")[0] == "sim"]
    assert [(r.name, r.levelname) for r in ours] == [("sim.app.links", "ERROR")]
    assert ours[0].exc_info is not None and ours[0].exc_info[0] is exc_type  # the details
    caplog.clear()


def open_page(params: dict[str, str | list[str]] | None = None) -> AppTest:
    """A new session opened at the dashboard's address with ``params`` in the query."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    return at


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    """The default page (no query), run once, for the tests that only read it."""
    return open_page()


@pytest.fixture(scope="module")
def custom_page() -> AppTest:
    """The page opened with a full link to :data:`CUSTOM`, run once."""
    return open_page(config_to_params(CUSTOM))


@pytest.fixture
def export_page() -> AppTest:
    """The default page with the "Export & share" tab open."""
    at = open_page({"tab": "export"})
    assert not at.exception
    return at


def shown_config(at: AppTest) -> Config:
    """The configuration the page trained."""
    return at.session_state["last_result"].config


def url_config(at: AppTest) -> Config:
    """The configuration the page wrote into its address."""
    return params_to_config(dict(at.query_params), ignore=app_state.VIEW_PARAMS)


def widget_values(at: AppTest) -> dict:
    """Key -> value of every control on the page."""
    return {w.key: w.value for kind in ("text_input", "number_input", "selectbox", "slider",
                                        "radio", "toggle", "select_slider")
            for w in getattr(at, kind)}


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def notices(at: AppTest) -> list[str]:
    """Every error, warning and exception on the page, without markdown escapes."""
    return [e.value.replace("\\", "") for kind in ("error", "warning", "exception")
            for e in getattr(at, kind)]


def export_labels(at: AppTest) -> tuple[str, ...]:
    """The Export tab's download buttons, in page order; the charts ZIP counts the charts
    of the page's result (:func:`sim.charts.all_figures`, which the registry drives)."""
    n = len(charts.all_figures(at.session_state["last_result"]))
    return ("This chart (PNG)", f"All {n} charts (PNG, ZIP)", "All charts (interactive HTML)",
            "Metrics (CSV)", "Weight snapshots (NPZ)", "Everything (ZIP)", "Config (JSON)")


# ------------------------------------------------------------------------------------------
# Link -> controls
# ------------------------------------------------------------------------------------------


def test_full_link_sets_every_control(custom_page: AppTest) -> None:
    """A link with every parameter sets each sidebar control to its value."""
    assert not custom_page.exception and not custom_page.error
    expected = app_state.widget_values(CUSTOM)
    on_page = widget_values(custom_page)
    shown = expected.keys() & on_page.keys()  # n_classes is hidden for xor, snapshots has none
    assert {k: on_page[k] for k in shown} == {k: expected[k] for k in shown}
    assert len(shown) >= 25


def test_full_link_trains_exactly_its_config(custom_page: AppTest) -> None:
    """The page trains the link's configuration, bit for bit (so the hash and file names are
    those the command line gives for the same config)."""
    assert shown_config(custom_page) == CUSTOM
    assert charts.config_hash(custom_page.session_state["last_result"]) == \
        export.config_hash(CUSTOM)


def test_short_link_changes_only_what_it_names() -> None:
    """``?act=relu&hidden=4,4&left=he_normal`` changes three controls; every other setting is
    the default page's."""
    at = open_page({"act": "relu", "hidden": "4,4", "left": "he_normal"})
    assert not at.exception and not at.error
    assert at.selectbox(key="activation").value == "relu"
    assert at.text_input(key="hidden").value == "4, 4"
    assert at.selectbox(key="left_scheme").value == "he_normal"
    expected = DEFAULT.replace(activation="relu", hidden=[4, 4],
                               inits=[{"scheme": "he_normal"}, DEFAULT.inits[1].to_dict()])
    assert shown_config(at) == expected


def test_link_to_a_preset_selects_the_preset() -> None:
    """A link whose settings are a preset's shows that preset in the menu and its story."""
    at = open_page(config_to_params(PRESETS["dead_zeros"].config()))
    assert at.selectbox(key="preset").value == "dead_zeros"
    assert PRESETS["dead_zeros"].label in at.info[0].value


def test_link_restores_the_view_options() -> None:
    """``loss_axis``, ``neurons`` and ``shown_epoch`` set the loss-axis toggle, the neuron
    count and the epoch slider (a stored epoch nearest to the one asked for)."""
    at = open_page({"loss_axis": "linear", "neurons": "rank", "shown_epoch": "97"})
    assert not at.exception and not at.error
    assert at.toggle(key="log_y").value is False
    assert at.radio(key="metric").value == "rank"
    stored = at.session_state["last_result"].history.snapshot_epochs
    nearest = int(stored[np.argmin(np.abs(stored - 97))])
    assert at.select_slider(key="snapshot_epoch").value == nearest


def test_link_opens_its_tab() -> None:
    """``tab=why`` opens the Why? tab."""
    at = open_page({"tab": "why"})
    assert not at.exception
    assert any("Why identical weights stay identical" in s.value for s in at.subheader)


# ------------------------------------------------------------------------------------------
# Controls -> link
# ------------------------------------------------------------------------------------------


def test_default_page_writes_its_config_into_the_address(default_page: AppTest) -> None:
    """With no query the page writes the whole default configuration and its view; the
    newer view parameters (colour range, presenter view) only when not at their default,
    so the default page's address is what it was."""
    assert url_config(default_page) == DEFAULT
    view = {k: default_page.query_params[k] for k in app_state.VIEW_PARAMS
            if k in default_page.query_params}
    assert view == {"tab": "compare", "loss_axis": "log", "neurons": "distinct_neurons",
                    "shown_epoch": str(DEFAULT.epochs)}


def test_presenter_view_and_colour_range_round_trip_through_the_address() -> None:
    """``present=1&slide=3&colour_range=fixed`` opens the third slide with the fixed
    colour range, the address keeps them, and Next moves the slide in the address."""
    at = open_page({"present": "1", "slide": "3", "colour_range": "fixed"})
    assert at.session_state["present"] is True and at.session_state["weight_scale"] == "fixed"
    assert at.query_params["present"] == "1" and at.query_params["slide"] == "3"
    assert at.query_params["colour_range"] == "fixed"
    assert any("3 / " in m.value for m in at.markdown)
    at.button(key="slide_next").click().run()
    assert at.query_params["slide"] == "4"
    at.toggle(key="present").set_value(False).run()
    assert "present" not in at.query_params
    assert set(app_state.TABS) <= {t.label for t in at.tabs}


def test_a_link_opens_the_tab_of_one_epoch_chart() -> None:
    """``epoch_chart=network`` opens the network drawing's tab of the epoch section, the
    address keeps it, and the default tab (the heatmaps) leaves it out."""
    at = open_page({"epoch_chart": "network"})
    assert at.session_state[app_state.EPOCH_TABS_KEY] == "The network drawn"
    assert at.query_params["epoch_chart"] == "network"
    assert any(json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("<b>Network")
               for c in at.get("plotly_chart"))
    at.session_state[app_state.EPOCH_TABS_KEY] = "Weight heatmaps"
    at.run()
    assert "epoch_chart" not in at.query_params
    bad = open_page({"epoch_chart": "bogus"})
    assert "epoch_chart" not in bad.query_params and any(
        "epoch\\_chart" in w.value for w in bad.warning)  # markdown-escaped


def test_changing_a_control_updates_the_address() -> None:
    """After a control changes, the address holds the new configuration."""
    at = open_page()
    at.selectbox(key="activation").select("tanh").run()
    at.number_input(key="right_xavier_uniform_gain").set_value(2.0).run()
    assert at.query_params["act"] == "tanh"
    assert at.query_params["right.gain"] == "2"
    assert url_config(at) == shown_config(at)


def test_changing_the_view_updates_the_address() -> None:
    """The loss-axis toggle, the neuron count and the tab are written as view parameters."""
    at = open_page()
    at.toggle(key="log_y").set_value(False).run()
    at.radio(key="metric").set_value("effective_rank").run()
    assert at.query_params["loss_axis"] == "linear"
    assert at.query_params["neurons"] == "effective_rank"
    at.session_state["tab"] = "Why?"
    at.run()
    assert at.query_params["tab"] == "why"
    assert at.query_params["loss_axis"] == "linear"  # kept while its toggle is hidden


def test_invalid_setting_keeps_the_last_valid_address() -> None:
    """While a control holds an invalid value, the address keeps the last valid experiment."""
    at = open_page()
    before = dict(at.query_params)
    at.text_input(key="hidden").input("8,,x").run()
    assert errors(at)
    assert dict(at.query_params) == before


def test_address_written_by_the_page_reproduces_it(custom_page: AppTest) -> None:
    """Opening the address a page wrote gives the same configuration and view."""
    again = open_page(dict(custom_page.query_params))
    assert shown_config(again) == shown_config(custom_page)
    assert dict(again.query_params) == dict(custom_page.query_params)


# ------------------------------------------------------------------------------------------
# Bad links
# ------------------------------------------------------------------------------------------

BAD_LINKS = [  # (the bad part of a link, the parameter named, what the message says)
    ({"speed": "9"}, "speed", "Unknown URL parameter 'speed'"),
    ({"epochs": "many"}, "epochs", "epochs must be an integer"),
    ({"lr": "-1"}, "lr", "lr (learning rate) must be a number > 0 and <= 100. Got '-1'."),
    ({"left": "magic"}, "left", "Unknown initializer 'magic'"),
    ({"hidden": ["4", "8"]}, "hidden", "'hidden' must be given once"),
    ({"noise": "5"}, "noise", "noise must be at most 2 in the dashboard (the Noise slider"),
    ({"init3": "zeros"}, "init3", "the dashboard shows two"),
    ({"tab": "bogus"}, "tab", "tab must be one of compare, why, more, map, export. Got 'bogus'."),
    ({"shown_epoch": "9999"}, "shown_epoch", "shown_epoch must be an epoch from 0 to 500"),
    ({"shown_epoch": "²"}, "shown_epoch", "Got '²'"),
    ({"left.gain": "2"}, "left.gain", "'zeros': unknown parameter 'gain'"),
]


@pytest.mark.parametrize("bad,name,expected", BAD_LINKS,
                         ids=["unknown", "type", "range", "scheme", "twice", "noise-slider",
                              "three-inits", "tab", "epoch", "epoch-digit", "scheme-param"])
def test_a_bad_parameter_is_named_and_the_rest_of_the_link_is_loaded(bad, name,
                                                                     expected) -> None:
    """A link with one bad parameter and a good one (``act=relu``) loads the good one, and
    one notice names the bad one and why; the address then holds what is shown."""
    at = open_page({**bad, "act": "relu"})
    assert not at.exception
    shown = notices(at)
    assert len(shown) == 1, shown
    assert shown[0].startswith(f"**The link's parameter '{name}' was not used:** ")
    assert expected in shown[0] and shown[0].endswith("The other settings were loaded.")
    assert shown_config(at) == DEFAULT.replace(activation="relu")
    assert url_config(at) == DEFAULT.replace(activation="relu")


def test_a_bad_tab_keeps_the_shared_settings() -> None:
    """``?tab=bogus&act=relu`` (a typo in the view) still shows relu, on the first tab."""
    at = open_page({"tab": "bogus", "act": "relu"})
    assert shown_config(at).activation == "relu"
    assert at.session_state["tab"] == app_state.TABS[0]
    assert "'tab'" in notices(at)[0]


def test_a_bad_learning_rate_keeps_the_shared_settings() -> None:
    """``?lr=-1&act=relu``: relu is shown with the default page's learning rate, and the
    notice names 'lr'."""
    at = open_page({"lr": "-1", "act": "relu"})
    assert (shown_config(at).activation, shown_config(at).lr) == ("relu", DEFAULT.lr)
    assert "The link's parameter 'lr' was not used" in notices(at)[0]


def test_several_bad_parameters_are_listed_in_one_notice() -> None:
    """Each bad parameter (of the config and of the view) is left out on its own and listed
    in the one notice; the valid ones are all loaded."""
    at = open_page({"lr": "-1", "neurons": "many", "act": "relu", "loss_axis": "linear",
                    "left": "he_normal", "left.std": "0.1"})
    shown = notices(at)
    assert len(shown) == 1 and shown[0].startswith("**3 of the link's parameters were not")
    for name in ("lr", "left.std", "neurons"):
        assert f"- '{name}': " in shown[0]
    cfg = shown_config(at)
    assert (cfg.activation, cfg.inits[0].scheme, cfg.lr) == ("relu", "he_normal", DEFAULT.lr)
    assert at.toggle(key="log_y").value is False


def test_a_whole_link_problem_gives_the_default_experiment() -> None:
    """Settings over the cost limits are no one parameter's fault: the default experiment,
    one error saying why; the valid view parameters are still used."""
    at = open_page({"samples": "100000", "hidden": "2048,2048,2048", "epochs": "100000",
                    "tab": "why"})
    shown = notices(at)
    assert len(shown) == 1 and shown[0].startswith("**The settings in this link were not")
    assert "do not fit together" in shown[0]
    assert shown[0].endswith("Showing the default experiment instead.")
    assert shown_config(at) == DEFAULT and url_config(at) == DEFAULT
    assert at.session_state["tab"] == "Why?"


def test_a_batch_larger_than_the_data_drops_the_batch() -> None:
    """A batch larger than the link's training set names the batch; the samples are kept."""
    at = open_page({"batch": "300", "samples": "100", "act": "relu"})
    (shown,) = notices(at)
    assert "'batch'" in shown and "batch_size must be at most" in shown
    cfg = shown_config(at)
    assert (cfg.n_samples, cfg.activation, cfg.batch_size) == (100, "relu", DEFAULT.batch_size)


HUGE = "9" * 100_000 + "x"  # bad for every parameter, like "9x"


@pytest.mark.parametrize("params", [{"act": HUGE}, {"lr": HUGE}, {"tab": HUGE},
                                    {"left": HUGE}, {"hidden": HUGE}, {"shown_epoch": HUGE},
                                    {"left.scale": HUGE}, {"loss": HUGE},
                                    {"epochs": [HUGE, "3"]}],
                         ids=["act", "lr", "tab", "left", "hidden", "shown_epoch",
                              "left.scale", "loss", "twice"])
def test_a_100_kb_value_gives_a_short_message(params) -> None:
    """A value of 100 KB is quoted short (at most ~80 characters of it): the notice is
    hardly longer than for a short bad value, a few lines, and names the parameter."""
    at = open_page(params)
    assert not at.exception
    (shown,) = notices(at)
    short = {k: ["9x", *v[1:]] if isinstance(v, list) else "9x" for k, v in params.items()}
    (short_shown,) = notices(open_page(short))
    assert len(shown) <= len(short_shown) + 90, (shown, short_shown)
    assert len(shown) < 500, len(shown)  # the longest lists every scheme's name
    assert f"parameter '{next(iter(params))}' was not used" in shown


def test_a_100_kb_parameter_name_gives_a_short_message() -> None:
    """An unknown parameter named by 100 KB of text: quoted short too (the notice lists the
    valid parameters, so it is a little longer)."""
    at = open_page({"x" * 100_000: "1", "act": "relu"})
    (shown,) = notices(at)
    assert len(shown) < 700 and "Unknown URL parameter 'xxx" in shown
    assert shown_config(at).activation == "relu"


def test_an_unreadable_link_gives_the_default_experiment(monkeypatch, caplog) -> None:
    """The last line of defence: an unexpected exception while reading a link (a bug) is one
    short error and the default experiment, never a traceback; the log has the details."""
    def broken(params):
        raise KeyError("bug")

    monkeypatch.setattr(links, "url_config", broken)
    at = open_page({"act": "relu"})
    assert not at.exception
    assert notices(at) == ["**This link could not be read.** Showing the default experiment "
                           "instead."]
    assert shown_config(at) == DEFAULT
    _assert_one_logged_error(caplog, KeyError)


def test_bad_link_notice_goes_away_after_a_change() -> None:
    """The link's notice stays until the user changes a setting."""
    at = open_page({"lr": "-1"})
    at.session_state["tab"] = "More charts"
    at.run()
    assert len(notices(at)) == 1
    at.selectbox(key="activation").select("tanh").run()
    assert not notices(at)


def test_link_text_is_shown_never_rendered() -> None:
    """Markdown or LaTeX in a link (an image, a formula) is escaped in the error message."""
    at = open_page({"act": "![x](https://example.com/x.png) $x$"})
    message = at.warning[0].value
    assert "![x](" not in message and "\\!\\[x\\]" in message
    assert "$x$" not in message and "\\$x\\$" in message


# ------------------------------------------------------------------------------------------
# The Export & share tab
# ------------------------------------------------------------------------------------------


def test_export_tab_offers_every_download(export_page: AppTest) -> None:
    """The tab shows the chart, data and ZIP downloads, the config upload, and no error."""
    assert not export_page.error
    labels = [b.label for b in export_page.get("download_button")]
    assert labels == list(export_labels(export_page))
    assert export_page.file_uploader[0].label == "Restore a config JSON"


def test_export_tab_builds_no_file_until_a_click(monkeypatch) -> None:
    """Opening the tab renders nothing and zips nothing: every download is built on click."""
    calls = []
    for name in ("figure_bytes", "export_zip", "figures_html", "metrics_csv", "weights_npz"):
        monkeypatch.setattr(export, name, lambda *a, name=name, **k: calls.append(name))
    at = open_page({"tab": "export"})
    assert not at.exception
    assert calls == []
    assert all(b.proto.deferred_file_id for b in at.get("download_button"))


def test_export_tab_names_files_like_the_command_line(export_page: AppTest) -> None:
    """The chart download's name is sim.export.figure_filename of the chosen chart."""
    at = export_page
    at.selectbox(key="export_chart").select("loss_init2-xavier_uniform").run()
    at.radio(key="export_format").set_value("svg").run()
    button = at.get("download_button")[0]
    name = export.figure_filename("loss_init2-xavier_uniform", DEFAULT, "svg")
    assert button.label == "This chart (SVG)" and name in button.help
    assert name == charts.export_filename(at.session_state["last_result"], "loss", 1, "svg")


def test_exported_charts_are_the_charts_on_screen() -> None:
    """With the view changed (linear axis, rank, an early epoch), the figures the Export tab
    saves equal the figures on the Compare tab, chart by chart: exactly, except that an
    animated chart on screen holds the float32 numbers of its frames (the epoch slider
    moves it to one, :func:`sim.charts.motion.seek`)."""
    at = open_page()
    epochs = at.session_state["last_result"].history.snapshot_epochs
    shown = app_state.shown_epochs(at.session_state["last_result"])[3]
    k = [int(e) for e in epochs].index(shown)
    at.toggle(key="log_y").set_value(False).run()
    at.radio(key="metric").set_value("rank").run()
    at.select_slider(key="snapshot_epoch").set_value(shown).run()
    result = at.session_state["last_result"]
    view = app_state.View(log_y=False, metric="rank", snapshot=k)
    saved = {export.figure_filename(key, result.config, "png")[:-4]: fig
             for key, fig in export_tab.export_figures(result, view).items()}
    on_screen = at.get("plotly_chart")
    assert len(on_screen) >= 8
    for element in on_screen:
        name = json.loads(element.proto.config)["toImageButtonOptions"]["filename"]
        assert as_float32(json.loads(element.proto.spec)) == as_float32(
            json.loads(pio.to_json(saved[name]))), name
    at.session_state["tab"] = "Export & share"
    at.run()
    assert any(f"at epoch {shown}" in c.value and "rank" in c.value for c in at.caption)



def test_export_makers_build_the_data_files(default_page: AppTest) -> None:
    """The data downloads hold the config, the metrics CSV, the weights and the HTML page."""
    result = default_page.session_state["last_result"]
    view = app_state.View(log_y=True, metric="distinct_neurons", snapshot=-1)
    makers = export_tab.export_makers(result, export_tab.export_figures(result, view), view)
    assert Config.from_json(makers["json"]()) == result.config
    assert makers["csv"]() == export.metrics_csv(result)
    with np.load(BytesIO(makers["npz"]())) as npz:
        np.testing.assert_array_equal(npz["W1"], result.history.weights[0])
    page = makers["html"]()
    assert page.count('<section id="section-') == len(charts.all_figures(result))


def test_everything_zip_lists_every_file_without_images_when_unavailable(
        default_page: AppTest, monkeypatch) -> None:
    """Without Chromium the ZIP still holds config, metrics, weights, HTML and a README that
    says why the images are missing (the images are tested in test_export and the
    browser test)."""
    # Patched where figure_bytes looks it up (sim.export.render); the package's name is the
    # one the dashboard's tab asks, which this test does not open.
    monkeypatch.setattr(export.render, "static_export_available",
                        lambda refresh=False: (False, export.NO_CHROMIUM))
    result = default_page.session_state["last_result"]
    view = app_state.View(log_y=True, metric="distinct_neurons", snapshot=-1)
    makers = export_tab.export_makers(result, export_tab.export_figures(result, view),
                                     view, cache=False)
    with zipfile.ZipFile(BytesIO(makers["zip"]())) as z:
        names = set(z.namelist())
        readme = z.read("README.txt").decode()
    assert names == {"README.txt", "config.json", "metrics.csv", "weights.npz", "charts.html"}
    assert export.INSTALL_CHROMIUM in readme


def test_export_tab_without_chromium_says_what_to_install(monkeypatch) -> None:
    """Without Chromium the tab says in one line what to install, disables only the image
    buttons and keeps the others."""
    monkeypatch.setattr(export, "static_export_available",
                        lambda refresh=False: (False, export.NO_CHROMIUM))
    at = open_page({"tab": "export"})
    assert not at.exception
    assert any(export.INSTALL_CHROMIUM in w.value for w in at.warning)
    disabled = {b.label: b.disabled for b in at.get("download_button")}
    labels = export_labels(at)
    assert disabled["This chart (PNG)"] and disabled[labels[1]]
    assert not any(disabled[k] for k in labels[2:])


# ------------------------------------------------------------------------------------------
# Uploading a config
# ------------------------------------------------------------------------------------------


def test_uploaded_config_restores_every_control(export_page: AppTest) -> None:
    """Uploading a config JSON sets every control and trains exactly that config."""
    at = export_page
    at.file_uploader[0].upload("my config.json", CUSTOM.to_json().encode(), "application/json")
    at.run()
    assert not at.exception and not at.error
    assert shown_config(at) == CUSTOM
    assert at.selectbox(key="left_scheme").value == "he_normal"
    assert "Restored the experiment from my config" in at.success[0].value
    assert url_config(at) == CUSTOM


def test_bad_upload_in_the_page_changes_nothing(export_page: AppTest) -> None:
    """A file that is not JSON gives one error in the tab; the experiment stays."""
    at = export_page
    at.file_uploader[0].upload("notes.json", b"hello, not JSON", "application/json")
    at.run()
    assert not at.exception
    assert len(errors(at)) == 1 and "not valid JSON" in errors(at)[0]
    assert shown_config(at) == DEFAULT


def test_a_refused_upload_after_another_shows_only_the_new_notice(export_page) -> None:
    """Each upload attempt replaces the last one's notice: after a file that is not JSON,
    a 2 MB file gives its own message only."""
    at = export_page
    at.file_uploader[0].upload("notes.json", b"hello, not JSON", "application/json")
    at.run()
    at.file_uploader[0].upload("big.json", b" " * 2_000_000, "application/json")
    at.run()
    assert not at.exception
    shown = notices(at)
    assert len(shown) == 1 and shown[0].startswith("**big.json was not loaded.** The file "
                                                   "is 2 MB; a configuration file may be at "
                                                   "most 1 MB"), shown
    assert shown_config(at) == DEFAULT


def test_an_unreadable_upload_is_one_short_message(monkeypatch, caplog) -> None:
    """The last line of defence: an unexpected exception while reading a file (a bug) is a
    short message that the file could not be read, never a traceback; the state stays and
    the log has the details."""
    def broken(data, max_bytes):
        raise RecursionError("deep inside")

    monkeypatch.setattr(links, "config_from_upload", broken)
    state = _state()
    before = dict(state)
    kind, message = links.restore_from_upload(CUSTOM.to_json().encode(), state)
    assert (kind, state) == ("error", before)
    assert message.replace("\\", "") == ("**the file could not be read.** Upload a "
                                          "config.json saved by Init Lab or by the command "
                                          "line. The experiment is unchanged.")
    _assert_one_logged_error(caplog, RecursionError)


def _state() -> dict:
    state = {"preset": DEFAULT_PRESET, "origin": None}
    state.update(app_state.widget_values(DEFAULT))
    return state


BAD_FILES = [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    (b"{'lr': 0.1}", "not valid JSON"),
    (b'{"lr": 0.1, "speed": 9}', "Unknown configuration key 'speed'"),
    (b'{"epochs": "many"}', "epochs must be an integer"),
    (b'{"lr": -1}', "lr (learning rate) must be a number"),
    (b'{"lr": NaN}', "NaN"),
    (b'[1, 2, 3]', "must be a JSON object"),
    (b'{"noise": 5}', "'noise' must be at most 2 in the dashboard"),
    (json.dumps({"inits": ["zeros"] * 3}).encode(), "the dashboard shows two"),
    (b" " * (MAX_UPLOAD_BYTES + 1), "at most 1 MB"),
    (b"", "empty"),
]


@pytest.mark.parametrize("data,expected", BAD_FILES,
                         ids=["binary", "not-json", "unknown-key", "type", "range", "nan",
                              "not-object", "noise-slider", "three-inits", "too-large",
                              "empty"])
def test_bad_upload_gives_one_message_and_keeps_the_state(data, expected) -> None:
    """Each kind of bad file is refused with one message naming the problem; no control
    changes."""
    state = _state()
    before = dict(state)
    kind, message = links.restore_from_upload(data, state)
    assert kind == "error"
    assert expected.replace("'", "") in message.replace("\\", "").replace("'", "")
    assert state == before


def test_upload_of_one_initialization_fills_the_right_panel() -> None:
    """A command-line config with one initialization is restored; the right-hand panel takes
    the default one and the message says so."""
    state = _state()
    kind, message = links.restore_from_upload(
        b'{"inits": [{"scheme": "he_normal"}], "activation": "relu"}', state)
    assert kind == "success"
    assert "right-hand panel shows the default" in message.replace("\\", "")
    assert state["left_scheme"] == "he_normal"
    assert state["right_scheme"] == DEFAULT.inits[1].scheme
    assert state["activation"] == "relu"


def test_upload_file_name_is_shown_never_rendered() -> None:
    """A file name with markdown is shown with safe characters only."""
    class Named(BytesIO):
        name = "![x](https://example.com/x.png).json"

    kind, message = links.restore_from_upload(Named(b"nope"), _state())
    assert kind == "error" and "](" not in message and "![" not in message
