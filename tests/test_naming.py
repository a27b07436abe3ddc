"""sim.naming: config hash, file names and the page title, as pure functions of a Config.

No training and no plotly here: names depend on the configuration only.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import Config
from sim.naming import chart_files, config_hash, figure_filename, page_title, zip_filename

ROOT = Path(__file__).resolve().parents[1]


def test_figure_filename_names_chart_inits_and_config():
    """Chart, initializations and config hash, e.g. loss_overlay-zeros-vs-xavier_uniform-..."""
    cfg = Config()
    assert figure_filename("loss_overlay", cfg, "png") == (
        f"loss_overlay-zeros-vs-xavier_uniform-{config_hash(cfg)}.png")


def test_figure_filename_shows_what_differs_between_inits():
    """Two inits are told apart in file names by the same parts as their labels (the one
    labeller, InitSpec.label: a scale-setting parameter such as std is always shown)."""
    cfg = Config.from_dict({"inits": [{"scheme": "xavier_normal", "scale": 0.1},
                                      {"scheme": "normal", "params": {"std": 1.0},
                                       "bias": "normal"}]})
    name = figure_filename("loss", cfg, "svg")
    assert name.startswith("loss-xavier_normal_x0.1-vs-normal_std1_bias_normal_std0.1-")
    assert cfg.inits[1].label == "normal(std=1), bias normal(std=0.1)"


def test_figure_filename_leaves_out_inits_a_chart_name_already_has():
    """A per-initialization chart's name already names its init: it is not repeated."""
    cfg = Config()
    assert figure_filename("loss_init1-zeros", cfg, "pdf") == (
        f"loss_init1-zeros-{config_hash(cfg)}.pdf")
    assert figure_filename("boundary", cfg, "png", init_label="He ×2") == (
        f"boundary-He_x2-{config_hash(cfg)}.png")


@pytest.mark.parametrize("chart", ["../../etc/passwd", "a b:c*?<>|\"'", "Gewichte ü/ä", "",
                                   "...", "x" * 300])
def test_figure_filename_has_only_safe_characters(chart):
    """Whatever the chart name, the file name has only A-Z a-z 0-9 . _ - and no path."""
    name = figure_filename(chart, Config(), "png")
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.png", name), name
    assert ".." not in name.replace("...", "") and len(name) < 255


def test_config_hash_is_short_stable_and_tells_configs_apart():
    """Same config, same hash (aliases and omitted defaults included); another lr, another."""
    a = Config.from_dict({"inits": [{"scheme": "zeros"}, {"scheme": "glorot_uniform"}]})
    assert config_hash(a) == config_hash(Config())
    assert config_hash(Config.from_dict({"lr": 0.25})) != config_hash(Config())
    # stable across processes and machines: a plain SHA-1 of the compact JSON
    expected = hashlib.sha1(Config().to_json(indent=None).encode()).hexdigest()[:8]
    assert config_hash(Config()) == expected and re.fullmatch(r"[0-9a-f]{8}", expected)


def test_chart_files_keep_order_and_make_clashing_names_unique():
    """Two chart names that slug alike get -2, -3 ...; the order of the charts is kept."""
    cfg = Config()
    files = chart_files({"a b": 1, "a:b": 2, "a*b": 3, "c": 4}, cfg, "svg")
    h = config_hash(cfg)
    stem = f"a_b-zeros-vs-xavier_uniform-{h}"
    assert files == [(f"{stem}.svg", 1), (f"{stem}-2.svg", 2), (f"{stem}-3.svg", 3),
                     (f"c-zeros-vs-xavier_uniform-{h}.svg", 4)]


def test_zip_filename_has_the_config_hash():
    """The ZIP of a configuration is init-lab-<hash>.zip."""
    assert zip_filename(Config()) == f"init-lab-{config_hash(Config())}.zip"


def test_page_title_joins_the_init_labels():
    """The title names each initialization by InitSpec.label, and the dataset."""
    assert page_title(Config()) == "Init Lab: zeros vs xavier_uniform on moons"
    cfg = Config.from_dict({"dataset": "circles",
                            "inits": [{"scheme": "xavier_normal", "scale": 0.1},
                                      {"scheme": "normal", "params": {"std": 1.0},
                                       "bias": "normal"}]})
    assert page_title(cfg) == (f"Init Lab: {cfg.inits[0].label} vs {cfg.inits[1].label} "
                               "on circles")


@pytest.mark.parametrize("module", ["sim.naming", "sim.export"])
def test_naming_and_export_import_without_plotly(module):
    """Importing the names (or the export package) loads neither plotly nor kaleido, so the
    engine, the charts and the command line can use them without that cost."""
    code = (f"import sys, {module}\n"
            "print(sorted(m for m in ('plotly', 'kaleido', 'streamlit') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "[]", p.stderr[-2000:]
