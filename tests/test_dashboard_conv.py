"""The conv settings in the dashboard (Streamlit AppTest): the Conv layers text, Max pooling and
Image size appear only where they apply, and a hidden one is off (``Field.off_when_hidden``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test trains its own first page (the cache is shared across AppTests)."""
    st.cache_data.clear()
    yield


def _page(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    state = {"epochs": 20, **state}
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    return at


def _keys(at: AppTest, kind: str) -> set[str]:
    return {w.key for w in getattr(at, kind)}


def _config(at: AppTest):
    return at.session_state["last_result"].config


def test_conv_pool_and_size_are_shown_for_image_data_only():
    """On moons: no Conv layers, Max pooling or Image size; on bars: Conv layers and Image
    size, and Max pooling once conv layers are typed."""
    at = _page()
    assert "conv" not in _keys(at, "text_input")
    assert not {"pool", "image_size"} & _keys(at, "number_input")
    at.selectbox(key="dataset").select("bars").run()
    assert not at.exception and not at.error
    assert "conv" in _keys(at, "text_input")
    assert "image_size" in _keys(at, "number_input")
    assert "pool" not in _keys(at, "number_input")
    at.text_input(key="conv").set_value("8x3").run()
    assert not at.exception and not at.error
    assert "pool" in _keys(at, "number_input")
    assert _config(at).conv == ((8, 3),)


def test_a_typed_conv_trains_and_survives_a_switch_to_points_and_back():
    """bars with 8x3 and pool 2 trains those layers; moons then trains a dense network with
    no config error (the hidden conv and pool are off); back on bars the typed text and the
    pooling are there again and train again."""
    at = _page(dataset="bars", conv="8x3", pool=2)
    cfg = _config(at)
    assert (cfg.dataset, cfg.conv, cfg.pool) == ("bars", ((8, 3),), 2)
    at.selectbox(key="dataset").select("moons").run()
    assert not at.exception and not at.error
    cfg = _config(at)
    assert (cfg.dataset, cfg.conv, cfg.pool, cfg.image_size) == ("moons", (), 0, 12)
    at.selectbox(key="dataset").select("bars").run()
    assert not at.exception and not at.error
    assert at.text_input(key="conv").value == "8x3"
    assert at.number_input(key="pool").value == 2
    cfg = _config(at)
    assert (cfg.dataset, cfg.conv, cfg.pool) == ("bars", ((8, 3),), 2)


def test_a_bad_conv_text_is_explained_under_its_widget():
    """'8x' gets the conv row's one message in the sidebar; the page keeps the last good
    result."""
    at = _page(dataset="bars")
    at.text_input(key="conv").set_value("8x").run()
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.sidebar.error]
    assert len(shown) == 1 and shown[0].startswith("conv layer 1 must be filters x kernel"), shown
    assert _config(at).conv == ()


def test_pooling_that_leaves_no_pixels_is_explained_under_pool():
    """Two conv layers with 4x4 pooling on 6x6 images: the message is under Max pooling."""
    at = _page(dataset="bars", image_size=6, conv="8x3, 8x3")
    at.number_input(key="pool").set_value(4).run()
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.sidebar.error]
    assert len(shown) == 1 and "too small for 4x4 pooling" in shown[0], shown


def test_a_link_with_conv_sets_the_widgets():
    """?dataset=bars&conv=8x3&pool=2&size=12 opens with those values in the sidebar and the
    page address keeps them."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"dataset": "bars", "conv": "8x3", "pool": "2", "size": "12",
                       "epochs": "20"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error and not at.warning
    assert at.text_input(key="conv").value == "8x3"
    assert at.number_input(key="pool").value == 2
    cfg = _config(at)
    assert (cfg.dataset, cfg.conv, cfg.pool, cfg.image_size) == ("bars", ((8, 3),), 2, 12)
    assert at.query_params["conv"] == "8x3" and at.query_params["pool"] == "2"


def test_config_dict_gives_the_default_of_a_hidden_off_when_hidden_row():
    """config_dict on moons with conv text, pool and a size left in the widgets: conv (),
    pool 0, image size 12 (the rows' defaults); on bars the same widgets count."""
    from sim.app.state import SIDES, config_dict, widget_values
    from sim.config import Config

    state = widget_values(Config.from_dict(dict(dataset="bars", conv="8x3, 16x3", pool=2,
                                                image_size=16)))
    assert (config_dict(state)["conv"], config_dict(state)["pool"]) == ("8x3, 16x3", 2)
    assert Config.from_dict(config_dict(state), init_names=SIDES).conv == ((8, 3), (16, 3))
    state["dataset"] = "moons"
    d = config_dict(state)
    assert (d["conv"], d["pool"], d["image_size"]) == ((), 0, 12)
    assert state["conv"] == "8x3, 16x3"  # the widget keeps the text for later
    assert Config.from_dict(d, init_names=SIDES).conv == ()
    state.update(dataset="bars", conv="")  # no conv layers: pooling is hidden, so off
    assert config_dict(state)["pool"] == 0 and config_dict(state)["image_size"] == 16
