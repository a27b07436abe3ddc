"""The sidebar is drawn from the table of fields and the registries (Streamlit AppTest).

A throwaway entry added to a registry, or any row of :data:`sim.fields.FIELDS`, must reach
the page with no other declaration.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.activations import ACTIVATIONS
from sim.cli import _build_parser, config_from_args
from sim.fields import FIELDS
from sim.initializers import INITIALIZERS
from sim.optimizers import OPTIMIZERS
from sim.share import params_to_config

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")


@pytest.fixture(autouse=True)
def no_caught_failures(caplog):
    """Any unexpected exception the page's last line of defence caught (and logged under
    ``sim.app``) fails the test: the defence hides no bug from the tests."""
    yield
    caught = [r for r in caplog.get_records("call")
              if r.name.startswith("sim.app") and r.levelno >= logging.ERROR]
    assert not caught, "\n".join(logging.Formatter().format(r) for r in caught)


def _page(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    if state:
        at.run()
    assert not at.exception
    return at


def _widget(at: AppTest, key: str):
    for kind in ("selectbox", "number_input", "slider", "radio", "text_input"):
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    return None


def test_every_field_with_a_widget_has_one_in_the_sidebar():
    """Each row that names a widget is in the sidebar (those shown only for some settings
    appear once the settings ask for them), with the row's label and help."""
    # No one page shows every widget: classes are for blobs, conv layers for image data.
    pages = [_page(dataset="blobs", optimizer="momentum"),
             _page(dataset="bars", conv="8x3", optimizer="momentum")]
    for name, row in FIELDS.items():
        widget = next((w for w in (_widget(at, name) for at in pages) if w is not None), None)
        if row.widget is None:
            assert widget is None, name
            continue
        assert widget is not None, name
        assert widget.label == row.label
        assert widget.help.startswith(row.help)


def test_conditional_widgets_follow_the_registries():
    """Classes only for a multi-class dataset, momentum only for an optimizer that reads it."""
    at = _page()
    assert _widget(at, "n_classes") is None and _widget(at, "momentum") is None


def test_a_new_activation_reaches_the_sidebar(monkeypatch):
    """A throwaway activation in the registry is offered by the menu and trains."""
    monkeypatch.setitem(ACTIVATIONS, "tanh_copy", ACTIVATIONS["tanh"])
    at = _page()
    assert "tanh_copy" in at.selectbox(key="activation").options
    at.selectbox(key="activation").select("tanh_copy").run()
    assert not at.exception and not at.error
    assert at.session_state["last_result"].config.activation == "tanh_copy"


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_new_initializer_reaches_the_menus_the_flags_and_the_url(monkeypatch, side):
    """A throwaway weight scheme is in both sides' menus, the CLI's --init and the URL."""
    monkeypatch.setitem(INITIALIZERS, "normal_copy", INITIALIZERS["normal"])
    at = _page()
    labels = at.selectbox(key=f"{side}_scheme").options
    assert INITIALIZERS["normal_copy"].label in labels
    args = _build_parser().parse_args(["run", "--init", "normal_copy:std=0.5"])
    assert config_from_args(args).inits[0].scheme == "normal_copy"
    assert params_to_config({"left": "normal_copy"}).inits[0].scheme == "normal_copy"


def test_a_new_optimizer_reaches_the_menu_and_its_fields(monkeypatch):
    """A throwaway optimizer that reads ``momentum`` is in the menu, brings the Momentum
    input with it (from its ``fields``), trains, and is accepted by the CLI and the URL."""
    monkeypatch.setitem(OPTIMIZERS, "heavy_ball",
                        dataclasses.replace(OPTIMIZERS["momentum"], name="heavy_ball",
                                            label="Heavy ball"))
    at = _page()
    menu = at.selectbox(key="optimizer")
    assert "heavy_ball" in menu.options or "Heavy ball" in menu.options
    menu.set_value("heavy_ball").run()
    assert not at.exception and not at.error
    assert _widget(at, "momentum") is not None
    assert at.session_state["last_result"].config.optimizer == "heavy_ball"
    args = _build_parser().parse_args(["run", "--optimizer", "heavy_ball"])
    assert config_from_args(args).optimizer == "heavy_ball"
    assert params_to_config({"opt": "heavy_ball"}).optimizer == "heavy_ball"


def test_a_bad_text_setting_is_explained_under_its_widget():
    """Free text that fails its row's check gets the row's message in the sidebar, and the
    page keeps the last good result."""
    at = _page()
    at.text_input(key="hidden").set_value("8, a").run()
    assert not at.exception
    assert any("hidden layer 2 must be an integer" in e.value for e in at.sidebar.error)
    assert at.session_state["last_result"].config.hidden == (8,)


def _beyond(row) -> float | int:
    """A value just outside the row's range: below its lowest value, or at an open end."""
    if row.low is not None:
        value = row.low if row.low_open else row.low - 1
    else:
        value = row.high if row.high_open else row.high + 1
    return int(value) if row.kind == "int" else float(value)


NUMBER_ROWS = [row for row in FIELDS.values() if row.widget == "number"]

#: The settings under which a row's widget is shown (every other one: blobs with momentum).
SHOWN_WITH = {"image_size": {"dataset": "bars"}, "pool": {"dataset": "bars", "conv": "8x3"}}


@pytest.mark.parametrize("row", NUMBER_ROWS, ids=[row.name for row in NUMBER_ROWS])
def test_a_number_input_takes_any_value_and_the_validator_names_it(row):
    """A number input has no bounds of its own (Streamlit would clamp or ignore what is
    typed): a value beyond the row's range stays in the widget and gets the row's message,
    once, in the sidebar."""
    at = _page(**SHOWN_WITH.get(row.name, {"dataset": "blobs", "optimizer": "momentum"}))
    value = _beyond(row)
    at.number_input(key=row.name).set_value(value).run()
    assert not at.exception
    assert at.number_input(key=row.name).value == value
    shown = [e.value.replace("\\", "") for e in at.error]
    assert len(shown) == 1 and shown[0].startswith(f"{row.who} must be"), shown
    assert [e.value for e in at.sidebar.error] == [e.value for e in at.error]
