"""Tests of the dashboard's Map tab (headless, with Streamlit's AppTest).

The results are a folder given to the dashboard as ``-- --sweep DIR`` (``sys.argv``, read by
the tab), written with the results' own writer; the default source computes the edge of
chaos preset's small sweep.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard import decode

from sim import theory
from sim.app.maptab import sweep_path_from_argv
from sim.sweep.presets import SWEEP_PRESETS
from sim.sweep.results import to_csv

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")


def rows() -> list[dict]:
    out = []
    for k, (sw, depth) in enumerate((s, d) for d in (2, 10) for s in (0.5, 1.0, 2.0)):
        for seed in (0, 1):
            out.append({"cell": k, "sigma_w2": sw, "depth": depth, "init": "lecun_normal",
                        "seed": seed, "initial_loss": 0.7, "train_loss": sw * depth + seed,
                        "test_accuracy": 0.9, "distinct_last": 8, "rank_last": 2.0,
                        "constant_at_init": 0, "seconds": 0.1})
    return out


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    sweep = SWEEP_PRESETS["edge_of_chaos"].small()
    (tmp_path / "sweep.json").write_text(sweep.to_json())
    (tmp_path / "results.csv").write_text(to_csv(rows(), ["sigma_w2", "depth"]))
    return tmp_path


def map_page(monkeypatch, argv: list[str]) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["dashboard.py", *argv])
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["tab"] = "Map"
    at.run()
    return at


def map_figure(at: AppTest) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (fig,) = [f for f in charts if f["data"] and f["data"][0]["type"] == "heatmap"]
    return fig


@pytest.mark.parametrize("argv, want", [([], None), (["--sweep", "out"], "out"),
                                        (["--sweep=a/b"], "a/b"), (["--sweep"], None)])
def test_sweep_path_from_argv(argv, want) -> None:
    assert sweep_path_from_argv(["dashboard.py", *argv]) == want


def test_results_given_with_sweep_are_mapped(monkeypatch, sweep_dir) -> None:
    """The folder's results are drawn: the heatmap holds the mean over seeds (train loss
    sigma_w2 * depth + 0.5), with the critical line of the sweep's σ_b² = 0.05."""
    at = map_page(monkeypatch, ["--sweep", str(sweep_dir)])
    assert not at.exception and not at.error
    at.selectbox(key="map_metric").set_value("train_loss").run()
    fig = map_figure(at)
    z = decode(fig["data"][0]["z"])
    np.testing.assert_array_equal(z, [[1.5, 2.5, 4.5], [5.5, 10.5, 20.5]])
    crit = [t for t in fig["data"] if t.get("name") == "χ₁ = 1"]
    assert crit and decode(crit[0]["x"])[0] == pytest.approx(theory.critical_sigma_w2(0.05, "tanh"))
    assert any("critical line" in c.value for c in at.caption)


def test_a_bad_results_file_is_an_error_not_a_traceback(monkeypatch, tmp_path) -> None:
    (tmp_path / "results.csv").write_text("a,b\n1,2\n")
    at = map_page(monkeypatch, ["--sweep", str(tmp_path)])
    assert not at.exception
    assert any("could not be read" in e.value and "results.csv" in e.value for e in at.error)


def test_the_default_map_is_the_edge_of_chaos_small_sweep(monkeypatch) -> None:
    """Without results, the tab computes the preset's small sweep and draws both lines."""
    at = map_page(monkeypatch, [])
    assert not at.exception and not at.error
    fig = map_figure(at)
    small = SWEEP_PRESETS["edge_of_chaos"].small()
    assert decode(fig["data"][0]["z"]).shape == (len(small.axes[1].values),
                                                   len(small.axes[0].values))
    assert {"χ₁ = 1", "6 ξ_c"} <= {t.get("name") for t in fig["data"]}


def test_the_next_visitor_gets_the_same_map(monkeypatch) -> None:
    """A second session opening the tab draws the same map from what the first computed (the
    small sweep's rows were cached with st.cache_data, whose replay of the progress bar made
    outside it failed for every visitor after the first)."""
    first = map_figure(map_page(monkeypatch, []))
    again = map_page(monkeypatch, [])
    assert not again.exception and not again.error
    np.testing.assert_array_equal(decode(map_figure(again)["data"][0]["z"]),
                                  decode(first["data"][0]["z"]))
