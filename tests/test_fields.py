"""The table of fields drives the config, the URL, the command line and the README.

Each test takes every row of :data:`sim.fields.FIELDS` (or a throwaway registry entry) and
checks that it reaches an interface without being declared there again.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.activations import ACTIVATIONS
from sim.cli import _build_parser, config_from_args
from sim.config import Config, ConfigError
from sim.fields import FIELDS, GROUPS, INITS_AFTER, url_table_markdown
from sim.share import config_to_params, params_to_config

ROOT = Path(__file__).resolve().parents[1]

#: A valid value different from the default, per field (as the engine reads it).
OTHER = {
    "dataset": "circles", "n_samples": 300, "noise": 0.3, "test_fraction": 0.5,
    "data_seed": 7, "n_classes": 4, "hidden": (3, 5), "activation": "relu", "loss": "mse",
    "seeds": 2, "optimizer": "adam", "lr": 0.05, "momentum": 0.5, "epochs": 20,
    "batch_size": 16, "l2": 0.001, "dropout": 0.2, "dtype": "float32", "snapshots": 10,
    "image_size": 16, "conv": ((8, 3), (4, 5)), "pool": 2,
}

#: The other settings a field's value needs to be valid (conv layers need an image dataset,
#: pooling needs conv layers); every other field is valid on its own.
CONTEXT = {
    "image_size": {"dataset": "bars"},
    "conv": {"dataset": "bars"},
    "pool": {"dataset": "bars", "conv": ((8, 3),)},
}


def with_context(name: str, value) -> dict:
    """``{name: value}`` and the settings it needs (:data:`CONTEXT`), as a config dict."""
    return {**CONTEXT.get(name, {}), name: value}


def context_args(name: str) -> list[str]:
    """:data:`CONTEXT` of ``name`` as command-line flags."""
    return [t for k, v in CONTEXT.get(name, {}).items()
            for t in (FIELDS[k].flag, FIELDS[k].to_text(v))]


def context_params(name: str) -> dict[str, str]:
    """:data:`CONTEXT` of ``name`` as URL parameters."""
    return {FIELDS[k].url: FIELDS[k].to_text(v) for k, v in CONTEXT.get(name, {}).items()}

#: A value each numeric field refuses (out of its range).
OUT_OF_RANGE = {
    "n_samples": 3, "noise": 11, "test_fraction": 0.95, "data_seed": -1, "n_classes": 11,
    "seeds": 21, "lr": 0, "momentum": 1, "epochs": 0, "batch_size": -1, "l2": -0.5,
    "dropout": 1, "snapshots": 1, "image_size": 5, "pool": 5,
}


def test_every_field_has_a_test_value():
    """The values below cover the table (a new row needs one here, and a numeric row an
    out-of-range value too)."""
    assert set(OTHER) == set(FIELDS)
    numeric = {n for n, f in FIELDS.items() if f.kind in ("int", "float", "noise")}
    assert set(OUT_OF_RANGE) == numeric


def test_rows_are_well_formed():
    """Each row's URL parameter and flag are unique and look like one, its group is a
    sidebar section, its widget a known kind, its default passes its own check: a row
    whose positional arguments were swapped fails here."""
    rows = list(FIELDS.values())
    assert len({f.url for f in rows}) == len({f.flag for f in rows}) == len(rows)
    for f in rows:
        assert f.flag.startswith("--") and f.flag[2:].replace("-", "").isalnum(), f.name
        assert f.url.replace("_", "").isalnum() and "." not in f.url, f.name
        assert f.group in GROUPS, f.name
        assert f.widget in (None, "number", "slider", "select", "radio", "text"), f.name
        assert f.kind in ("int", "float", "choice", "hidden", "conv", "noise", "loss"), \
            f.name
        assert f.check(f.default) == f.default, f.name
        assert f.help.endswith(".") and f.label[:1].isupper(), f.name


@pytest.mark.parametrize("dataset", list(sim.DATASETS))
def test_each_reset_value_passes_its_fields_check(dataset):
    """What a switch of a row sets in the rows it ``resets`` (a dataset's own learning
    rate, the automatic loss) is a value the field accepts, for every dataset."""
    settings = {**{n: f.default for n, f in FIELDS.items()}, "dataset": dataset}
    for row in FIELDS.values():
        for dep in row.resets:
            value = FIELDS[dep].reset_value(settings)
            assert FIELDS[dep].check(value) == value, (row.name, dep)


def test_config_fields_are_the_table_rows_in_order():
    """Config's dataclass fields are FIELDS, in order, with inits after loss."""
    names = [f.name for f in dataclasses.fields(Config)]
    expected = []
    for name in FIELDS:
        expected.append(name)
        if name == INITS_AFTER:
            expected.append("inits")
    assert names == expected
    assert all(getattr(Config(), n) == FIELDS[n].default for n in FIELDS)


@pytest.mark.parametrize("name", list(FIELDS))
def test_each_field_round_trips_through_the_url(name):
    """A non-default value of every field survives config -> URL -> config."""
    cfg = Config.from_dict(with_context(name, OTHER[name]))
    assert getattr(cfg, name) == OTHER[name] != FIELDS[name].default
    params = config_to_params(cfg)
    assert FIELDS[name].url in params
    assert params_to_config(params) == cfg


@pytest.mark.parametrize("name", list(FIELDS))
def test_each_field_has_a_flag(name):
    """The command line's flag of every field sets it."""
    row = FIELDS[name]
    text = row.to_text(OTHER[name])
    args = _build_parser().parse_args(["run", *context_args(name), row.flag, text])
    expected = getattr(Config.from_dict(with_context(name, OTHER[name])), name)
    assert getattr(config_from_args(args), name) == expected


@pytest.mark.parametrize("name", list(OUT_OF_RANGE))
def test_a_refusal_names_its_field(name):
    """ConfigError.field is the field; the URL message names the URL parameter."""
    with pytest.raises(ConfigError) as info:
        Config.from_dict(with_context(name, OUT_OF_RANGE[name]))
    assert info.value.field == name
    assert str(info.value).startswith(FIELDS[name].who)
    with pytest.raises(ConfigError) as info:
        params_to_config({**context_params(name), FIELDS[name].url: str(OUT_OF_RANGE[name])})
    assert f"URL parameter {FIELDS[name].url!r}" in str(info.value)
    assert info.value.field == name


def test_a_refused_init_parameter_names_its_path():
    """A bad scheme parameter is named down to the parameter, in config and URL terms."""
    with pytest.raises(ConfigError) as info:
        Config.from_dict({"inits": [{"scheme": "zeros"},
                                    {"scheme": "normal", "params": {"std": -1}}]})
    assert info.value.field == "inits[1].params.std"
    with pytest.raises(ConfigError) as info:
        params_to_config({"left": "zeros", "right": "zeros", "right.bias": "normal",
                          "right.bias.std": "-1"})
    assert info.value.field == "inits[1].bias_params.std"
    assert "URL parameter 'right.bias.std'" in str(info.value)


def test_readme_url_table_is_the_generated_one():
    """README's URL-parameter table is python -m sim.fields's output, row for row."""
    assert url_table_markdown() in (ROOT / "README.md").read_text()


def test_a_new_activation_reaches_the_menus_the_flags_and_the_url(monkeypatch):
    """A throwaway activation added to the registry is offered everywhere, with no other
    declaration: the field's options, the CLI's choices and the URL's check."""
    monkeypatch.setitem(ACTIVATIONS, "tanh_copy", ACTIVATIONS["tanh"])
    assert "tanh_copy" in FIELDS["activation"].options()
    args = _build_parser().parse_args(["run", "--activation", "tanh_copy"])
    assert config_from_args(args).activation == "tanh_copy"
    assert params_to_config({"act": "tanh_copy"}).activation == "tanh_copy"


def test_import_sim_loads_neither_plotly_nor_streamlit():
    """The engine stays free of the presentation libraries."""
    code = ("import sys, sim, sim.fields, sim.share, sim.cli, sim.explain.why; "
            "print(sorted(m for m in ('plotly', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"
    assert sim.Config is Config


def test_readme_scheme_table_is_the_registry():
    """README's table of initializers is made from INITIALIZERS (every scheme, its formula,
    parameters and aliases)."""
    from sim.initializers import scheme_table_markdown

    assert scheme_table_markdown() in (ROOT / "README.md").read_text()
