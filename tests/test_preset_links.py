"""Tests of links to presets by name: ``?preset=NAME`` opens a preset (one link per slide),
``&present=1`` in the presenter view; a bad name is one notice that lists the presets.

The page is opened with Streamlit's AppTest and the helpers of ``test_dashboard_share``
(the query string is set before the first run, as a browser's address would be).
"""

from __future__ import annotations

import pytest
from test_dashboard_share import (  # noqa: F401 (no_caught_failures: an autouse fixture)
    CUSTOM,
    DEFAULT,
    no_caught_failures,
    notices,
    open_page,
    shown_config,
)

from sim import PRESETS
from sim.app import links
from sim.share import config_to_params


def as_link(params: dict[str, str]) -> dict[str, list[str]]:
    """``params`` as the dashboard reads a query string: each value a list."""
    return {k: [v] for k, v in params.items()}


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_link_opens_the_preset(name: str) -> None:
    """``?preset=NAME`` trains the preset's configuration, shows it in the preset menu and
    its story, and the address becomes the page's usual full one (without ``preset``)."""
    at = open_page({"preset": name})
    assert not at.exception and not notices(at)
    cfg = PRESETS[name].config()
    assert shown_config(at) == cfg
    assert at.selectbox(key="preset").value == name
    assert PRESETS[name].label in at.info[0].value
    address = dict(at.query_params)
    assert "preset" not in address
    assert config_to_params(cfg).items() <= address.items()


def test_preset_link_opens_the_presenter_view() -> None:
    """``?preset=deep_relu&present=1&slide=2`` opens that preset on the second slide of the
    presenter view, and the address keeps the presenter view and the slide."""
    at = open_page({"preset": "deep_relu", "present": "1", "slide": "2"})
    assert not at.exception and not notices(at)
    assert shown_config(at) == PRESETS["deep_relu"].config()
    assert at.session_state["present"] is True
    assert any("2 / " in m.value for m in at.markdown)
    assert (at.query_params["present"], at.query_params["slide"]) == ("1", "2")
    assert "preset" not in at.query_params


def test_unknown_preset_is_named_with_the_valid_names() -> None:
    """``?preset=bogus&act=relu``: one notice names the parameter and lists every preset;
    the rest of the link is loaded over the default page."""
    at = open_page({"preset": "bogus", "act": "relu"})
    assert not at.exception
    (shown,) = notices(at)
    assert shown.startswith("**The link's parameter 'preset' was not used:** preset must be "
                            f"one of {', '.join(PRESETS)}. Got 'bogus'.")
    assert shown_config(at) == DEFAULT.replace(activation="relu")
    assert "preset" not in at.query_params


def test_preset_link_with_a_change_starts_from_the_preset() -> None:
    """``?preset=deep_relu&lr=0.003`` is the preset with that learning rate: the menu says
    "Custom settings" and the page says which preset the link started from."""
    at = open_page({"preset": "deep_relu", "lr": "0.003"})
    assert not at.exception and not notices(at)
    assert shown_config(at) == PRESETS["deep_relu"].config().replace(lr=0.003)
    assert at.selectbox(key="preset").value == "custom"
    assert any(f"started from a link to the preset “{PRESETS['deep_relu'].label}”" in c.value
               for c in at.caption)


def test_full_link_with_a_preset_keeps_its_settings() -> None:
    """A full link (every setting, as the page writes it) means what it did before
    ``preset`` existed: its own configuration, whatever preset it names."""
    at = open_page({**config_to_params(CUSTOM), "preset": "deep_relu"})
    assert not at.exception and not notices(at)
    assert shown_config(at) == CUSTOM


def test_full_dense_link_with_a_convnet_preset_stays_dense() -> None:
    """The page leaves ``conv``, ``pool`` and ``size`` out of its address at their defaults;
    the ``filters`` preset (a convnet) does not fill them into a full link."""
    assert PRESETS["filters"].config().conv
    assert links.link_config(as_link({**config_to_params(DEFAULT), "preset": "filters"})) \
        == (DEFAULT, [], None)


def test_export_tab_offers_the_short_preset_link(monkeypatch) -> None:
    """The Export & share tab shows a preset's short link (AppTest has no page address: a
    fixed one stands in), and none for custom settings."""
    monkeypatch.setattr(links, "share_link",
                        lambda params: "http://host:8501/?" + "&".join(
                            f"{k}={v}" for k, v in params.items()))
    at = open_page({"preset": "deep_relu", "tab": "export"})
    assert "http://host:8501/?preset=deep_relu" in [c.value for c in at.code]
    custom = open_page({**config_to_params(CUSTOM), "tab": "export"})
    assert not any("preset=" in c.value for c in custom.code)
