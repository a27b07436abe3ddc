"""Links with conv layers: ?dataset=bars&conv=8x3&pool=2&size=12 round-trips, a bad conv
gets the links' one message for a bad value, and links without the new parameters (and the
links of dense networks written now) read as they always did."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pytest

from sim.app.links import _link_notice, link_config
from sim.config import Config, ConfigError
from sim.share import config_to_params, params_to_config

#: The parameters a link of the default config had before conv layers, in order.
OLD_KEYS = ["dataset", "samples", "noise", "test", "data_seed", "classes", "hidden", "act",
            "loss", "left", "left.scale", "left.bias", "right", "right.gain", "right.scale",
            "right.bias", "seeds", "opt", "lr", "momentum", "epochs", "batch", "l2", "dropout",
            "dtype", "snapshots"]


def test_the_issue_link_round_trips():
    cfg = params_to_config({"dataset": "bars", "conv": "8x3", "pool": "2", "size": "12"})
    assert (cfg.dataset, cfg.conv, cfg.pool, cfg.image_size) == ("bars", ((8, 3),), 2, 12)
    params = config_to_params(cfg)
    assert params["conv"] == "8x3" and params["pool"] == "2"
    assert "size" not in params  # 12 is the default: left out, as in every earlier link
    assert params_to_config(params) == cfg
    text = urlencode(params)
    assert "conv=8x3" in text and "pool=2" in text
    assert params_to_config(parse_qs(text)) == cfg


@pytest.mark.parametrize("settings", [
    dict(dataset="bars", conv="8x3,16x3", pool=2, image_size=16),
    dict(dataset="shapes", conv="4x5", image_size=20, hidden=[6]),
    dict(dataset="bars", image_size=7),
])
def test_conv_configs_round_trip_through_the_url(settings):
    cfg = Config.from_dict(settings)
    assert params_to_config(parse_qs(urlencode(config_to_params(cfg)))) == cfg


def test_a_dense_link_has_the_parameters_it_always_had():
    assert list(config_to_params(Config())) == OLD_KEYS
    cfg = Config.from_dict(dict(dataset="blobs", hidden=[4], epochs=7))
    assert not {"conv", "pool", "size"} & set(config_to_params(cfg))


def test_old_links_keep_working():
    """A full link written before conv layers, and one with the empty conv parameters."""
    old = config_to_params(Config.from_dict(dict(dataset="circles", activation="relu")))
    assert list(old) == OLD_KEYS
    cfg = params_to_config(old)
    assert cfg.activation == "relu" and cfg.conv == () and cfg.pool == 0
    assert params_to_config({**old, "conv": "", "pool": "0", "size": "12"}) == cfg
    assert link_config({k: [v] for k, v in old.items()}) == (cfg, [], None)


@pytest.mark.parametrize("value", ["8x", "0x3", "8x3x3", "ax3", "8x99"])
def test_a_bad_conv_in_a_url_names_the_parameter(value):
    with pytest.raises(ConfigError) as info:
        params_to_config({"dataset": "bars", "conv": value})
    assert str(info.value).startswith("URL parameter 'conv': conv layer 1")
    assert info.value.field == "conv"


def test_a_bad_conv_in_a_link_is_left_out_with_the_links_one_message():
    """The dashboard's link reader drops conv and says so in its usual notice; the rest of the
    link (bars, 16 pixels) is used."""
    cfg, dropped, refused = link_config({"dataset": ["bars"], "conv": ["8x"], "size": ["16"]})
    assert refused is None and (cfg.dataset, cfg.conv, cfg.image_size) == ("bars", (), 16)
    assert [keys for keys, _ in dropped] == [["conv"]]
    kind, text = _link_notice(dropped, refused)
    assert kind == "warning"
    assert text.startswith("**The link's parameter 'conv' was not used:** conv layer 1 must be")
    assert text.endswith("The other settings were loaded.")


def test_conv_on_point_data_in_a_link_is_left_out():
    cfg, dropped, refused = link_config({"dataset": ["moons"], "conv": ["8x3"]})
    assert refused is None and cfg.dataset == "moons" and cfg.conv == ()
    assert [keys for keys, _ in dropped] == [["conv"]]
    assert "conv layers need an image dataset" in dropped[0][1]
