"""Sharing: the config in the URL and in uploaded JSON files; exact round trips, clear refusals."""

from __future__ import annotations

import io
import json
import math
import time
from urllib.parse import parse_qs, urlencode

import pytest

from sim.config import Config, ConfigError
from sim.initializers import BIAS_INITIALIZERS, INITIALIZERS
from sim.presets import PRESETS
from sim.share import (
    INIT_PREFIXES,
    config_from_upload,
    config_to_params,
    format_number,
    params_to_config,
)

CONFIGS = {
    "default": Config(),
    **{f"preset {name}": preset.config() for name, preset in PRESETS.items()},
    "awkward floats": Config.from_dict({
        "lr": 0.1, "l2": 1e-5, "momentum": 0.1 + 0.2, "noise": 0.123456789012345,
        "test_fraction": 1 / 3, "dropout": 0.1, "optimizer": "momentum",
        "inits": [{"scheme": "normal", "params": {"mean": -0.0, "std": 1e-3}, "scale": 2.5e-3},
                  {"scheme": "uniform", "params": {"a": -1 / 7, "b": 1 / 7}}]}),
    "four inits with bias schemes": Config.from_dict({
        "dataset": "spirals", "hidden": [16, 16, 16], "activation": "relu", "seeds": 3,
        "inits": [
            {"scheme": "zeros", "bias": "normal", "bias_params": {"mean": 0.5, "std": 1.0}},
            {"scheme": "he_normal", "params": {"mode": "fan_out", "nonlinearity": "tanh"}},
            {"scheme": "truncated_normal", "params": {"std": 0.2, "a": -1.5, "b": 2.0},
             "scale": 0.5, "bias": "uniform", "bias_params": {"a": -0.25, "b": 0.75}},
            {"scheme": "sparse", "params": {"sparsity": 0.3}, "bias": "torch_default"},
        ]}),
    "eight inits": Config.from_dict({
        "inits": [{"scheme": s} for s in ("zeros", "ones", "constant", "orthogonal",
                                          "identity", "lecun_normal", "torch_default",
                                          "xavier_normal")]}),
    "one unit, regression": Config.from_dict({
        "dataset": "sine", "hidden": [1], "loss": "mse", "n_samples": 100, "batch_size": 10,
        "data_seed": 2**32 - 1, "dtype": "float32", "snapshots": 2, "epochs": 3}),
    "blobs, cross-entropy, adam": Config.from_dict({
        "dataset": "blobs", "n_classes": 5, "loss": "ce", "optimizer": "adam", "lr": 3e-4,
        "inits": [{"scheme": "xavier_uniform", "params": {"gain": 5 / 3}}]}),
}


def _same(a: Config, b: Config) -> bool:
    """Equal values *and* equal types and bits: the JSON texts match too."""
    return a == b and a.to_json() == b.to_json()


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_config_params_config_is_exact(cfg):
    """config -> URL params -> config gives back the same config, bit for bit."""
    assert _same(params_to_config(config_to_params(cfg)), cfg)


@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_config_json_config_is_exact(cfg):
    """config -> JSON -> config gives back the same config, bit for bit."""
    assert _same(Config.from_json(cfg.to_json()), cfg)


@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_config_upload_config_is_exact(cfg):
    """A config saved as JSON and uploaded again is the same config."""
    assert _same(config_from_upload(cfg.to_json().encode()), cfg)


@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_params_survive_a_real_query_string(cfg):
    """Encoded into a query string and parsed back (values as lists), the config is the same."""
    query = urlencode(config_to_params(cfg))
    assert _same(params_to_config(parse_qs(query, keep_blank_values=True)), cfg)


@pytest.mark.parametrize("x", [0.1, 1e-5, 1 / 3, 0.1 + 0.2, 2.0, 1e20, 5e-324, -0.0,
                               123456789.123, 1.7976931348623157e308, -2.5e-7])
def test_number_text_reads_back_exactly(x):
    """Numbers are written so that float(text) is the same float, and without a '+'."""
    text = format_number(x)
    assert float(text) == x and math.copysign(1, float(text)) == math.copysign(1, x)
    assert "+" not in text


# ------------------------------------------------------------------------- the scheme


def test_params_are_flat_short_and_readable():
    """The default config gives flat text parameters one can read in the address bar."""
    p = config_to_params(Config())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in p.items())
    assert {k: p[k] for k in ("dataset", "hidden", "act", "left", "left.bias", "right",
                              "right.gain", "right.scale", "lr", "epochs", "noise")} == {
        "dataset": "moons", "hidden": "8,8", "act": "tanh", "left": "zeros",
        "left.bias": "zeros", "right": "xavier_uniform", "right.gain": "1",
        "right.scale": "1", "lr": "0.5", "epochs": "500", "noise": "default"}
    assert len(urlencode(p)) < 400


def test_inits_are_left_right_then_numbered():
    """The first two initializations are left and right, further ones init3, init4, ..."""
    p = config_to_params(CONFIGS["four inits with bias schemes"])
    assert [p[k] for k in ("left", "right", "init3", "init4")] == [
        "zeros", "he_normal", "truncated_normal", "sparse"]
    assert p["left.bias.std"] == "1" and p["init3.bias.a"] == "-0.25"
    assert p["right.mode"] == "fan_out" and p["init3.scale"] == "0.5"
    assert INIT_PREFIXES[:4] == ("left", "right", "init3", "init4")


def test_missing_params_take_the_defaults():
    """A hand-written short link sets what it names; everything else is the default."""
    cfg = params_to_config({"dataset": "circles", "act": "sigmoid", "hidden": "4"})
    assert _same(cfg, Config.from_dict({"dataset": "circles", "activation": "sigmoid",
                                        "hidden": [4]}))


def test_one_init_alone_is_a_one_init_config():
    """Only ``left`` given: a config with one initialization."""
    cfg = params_to_config({"left": "he_uniform", "left.scale": "0.5"})
    assert [(s.scheme, s.scale) for s in cfg.inits] == [("he_uniform", 0.5)]


def test_ignored_keys_are_skipped():
    """The dashboard's own view state can share the URL when its keys are ignored."""
    cfg = params_to_config({"lr": "0.25", "tab": "weights", "snapshot": "3"},
                           ignore={"tab", "snapshot"})
    assert cfg.lr == 0.25


def test_init_subkeys_do_not_clash_with_scheme_parameters():
    """No scheme has a parameter called scale or bias, so ``P.scale``/``P.bias`` are unambiguous."""
    names = {p.name for reg in (INITIALIZERS, BIAS_INITIALIZERS) for s in reg.values()
             for p in s.params}
    assert not names & {"scale", "bias"}


# ------------------------------------------------------------------------- bad URL input


@pytest.mark.parametrize("params,expected", [
    ({"learning_rate": "0.1"}, ["Unknown URL parameter 'learning_rate'", "Valid parameters:",
                                "lr"]),
    ({"epochs": "many"}, ["URL parameter 'epochs'", "must be an integer", "'many'"]),
    ({"epochs": "2.5"}, ["URL parameter 'epochs'", "must be an integer"]),
    ({"lr": "fast"}, ["URL parameter 'lr'", "must be a number"]),
    ({"lr": "-1"}, ["URL parameter 'lr'", "> 0"]),
    ({"lr": "nan"}, ["URL parameter 'lr'", "must be a number"]),
    ({"epochs": "0"}, ["URL parameter 'epochs'", "between 1 and"]),
    ({"samples": "3"}, ["URL parameter 'samples'", "between 4 and"]),
    ({"dropout": "0.95"}, ["URL parameter 'dropout'", "<= 0.9"]),
    ({"act": "swish"}, ["URL parameter 'act'", "must be one of", "tanh", "'swish'"]),
    ({"hidden": "8,,8"}, ["URL parameter 'hidden'", "layer 2 is empty"]),
    ({"lr": ["0.1", "0.2"]}, ["URL parameter 'lr' must be given once", "2 times"]),
    ({"lr": 0.5}, ["URL parameter 'lr' must be text"]),
    ({"left": "zeroes"}, ["URL parameter 'left'", "Unknown initializer 'zeroes'"]),
    ({"left": "normal", "left.std": "-1"}, ["URL parameter 'left.std'", "'std'", ">= 0"]),
    ({"left": "normal", "left.gain": "1"}, ["URL parameter 'left.gain'",
                                            "unknown parameter 'gain'"]),
    ({"left": "zeros", "left.scale": "big"}, ["URL parameter 'left.scale'", "must be a number"]),
    ({"left": "zeros", "left.bias": "normal", "left.bias.std": "-2"},
     ["URL parameter 'left.bias.std'", "'std'", ">= 0"]),
    ({"left": "zeros", "left.bias.std": "1"}, ["URL parameter 'left.bias.std'",
                                               "unknown parameter 'std'"]),
    ({"left": "zeros", "init3": "ones"}, ["URL parameter 'init3' needs 'right'"]),
    ({"right": "zeros"}, ["URL parameter 'right' needs 'left'"]),
    ({"left.gain": "1"}, ["URL parameter 'left.gain' needs 'left'"]),
])
def test_bad_url_parameter_is_named(params, expected):
    """Each kind of bad URL input gives one ConfigError that names the parameter."""
    with pytest.raises(ConfigError) as info:
        params_to_config(params)
    message = str(info.value)
    assert "\n" not in message
    for part in expected:
        assert part in message


def test_settings_that_do_not_fit_together_are_explained():
    """A batch that fits only a larger data set names the batch; a configuration over the
    cost limits (no single culprit) is refused as a combination, in URL names."""
    with pytest.raises(ConfigError, match="URL parameter 'batch': batch_size must be at most "
                                          r"the number of training samples \(75\)") as info:
        params_to_config({"samples": "100", "batch": "300"})
    assert info.value.field == "batch_size"
    with pytest.raises(ConfigError, match="do not fit together: This configuration needs") as info:
        params_to_config({"samples": "100000", "hidden": "2048,2048,2048", "epochs": "100000"})
    assert info.value.field is None


def test_combination_made_valid_by_another_parameter_is_accepted():
    """Each parameter is judged with the others given, not against the defaults."""
    assert params_to_config({"samples": "1000", "batch": "300"}).batch_size == 300


# ------------------------------------------------------------------------- uploads


def test_upload_of_50_mb_is_refused_without_parsing():
    """A 50 MB file is refused at once, by its size; its JSON is never parsed."""
    data = b'{"epochs": 20' + b" " * 50_000_000 + b"}"  # valid JSON, if anyone parsed it
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"The file is 50 MB; .* at most 1 MB"):
        config_from_upload(data)
    assert time.perf_counter() - start < 0.5


def test_upload_from_a_file_reads_no_more_than_the_limit():
    """From a file object, at most max_bytes + 1 bytes are read before refusing."""

    class CountingFile(io.BytesIO):
        taken = 0

        def read(self, n=-1):
            out = super().read(n)
            CountingFile.taken += len(out)
            return out

    f = CountingFile(b" " * 5_000_000 + b"{}")
    with pytest.raises(ConfigError, match="larger than 1 MB"):
        config_from_upload(f)
    assert CountingFile.taken == 1_000_001


def test_upload_accepts_a_byte_order_mark():
    """A UTF-8 byte-order mark (some editors write one) is not an error."""
    assert config_from_upload(b'\xef\xbb\xbf{"epochs": 7}').epochs == 7


@pytest.mark.parametrize("data,expected", [
    (b"", "The file is empty"),
    (b"\xff\xfe{\x00}\x00", "not UTF-8 text (byte 0xff at position 0)"),
    (b"epochs: 20\n", "not valid JSON: Expecting value at line 1, column 1"),
    (b'{"epochs": 20,}', "not valid JSON"),
    (b"[1, 2]", "must be a JSON object. Got list"),
    (b'"epochs"', "must be a JSON object. Got str"),
    (b'{"epoch": 20}', "Unknown configuration key 'epoch'"),
    (b'{"epochs": true}', "epochs must be an integer"),
    (b'{"hidden": 8}', "hidden must be a list of layer sizes"),
    (b'{"lr": "fast"}', "lr (learning rate) must be a number"),
    (b'{"lr": 1000}', "lr (learning rate) must be a number > 0 and <= 100"),
    (b'{"inits": [{"scheme": "normal", "params": {"std": -1}}]}',
     "init 1: Initializer 'normal': parameter 'std' must be a number >= 0"),
    (b'{"lr": NaN}', "NaN is not a JSON number"),
    (b'{"lr": Infinity}', "Infinity is not a JSON number"),
    (b'{"lr": 0.1, "lr": 0.2}', "gives the key 'lr' twice"),
    (b"[" * 100_000, "nested 100000 levels deep"),
])
def test_bad_upload_gives_one_clear_message(data, expected):
    """Each kind of bad file gives one ConfigError naming the problem."""
    with pytest.raises(ConfigError) as info:
        config_from_upload(data)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_upload_executes_nothing():
    """Strings that look like code are just unknown names, refused by the validation."""
    data = json.dumps({"activation": "__import__('os').system('false')"}).encode()
    with pytest.raises(ConfigError, match="activation must be one of"):
        config_from_upload(data)
