"""Export: PNG/SVG/PDF via kaleido, the offline HTML page, CSV, ZIP and folder (file names:
test_naming).

The charts here are two small figures built in this file (the chart functions have their own
tests), drawn from a 20-epoch run so the file stays fast. Tests that render images need
kaleido and a Chromium: on a developer's machine without them they are skipped with the
install command; in CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import base64
import csv
import importlib.metadata
import io
import json
import os
import re
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from sim import export
from sim.config import Config
from sim.export import (
    ExportUnavailable,
    export_files,
    export_zip,
    figure_bytes,
    figure_filename,
    figures_html,
    metrics_csv,
    static_export_available,
)
from sim.train import train_comparison

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOSS_AXIS = "loss (binary cross-entropy)"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result():
    """A quick comparison: zeros vs xavier_uniform, 20 epochs."""
    return train_comparison(Config.from_dict({"epochs": 20}))


@pytest.fixture(scope="module")
def figures(result):
    """Two charts with titles, axis titles with units and a legend, built here."""
    h = result.history
    epochs = np.arange(h.train_loss.shape[1])
    loss = go.Figure([go.Scatter(x=epochs, y=h.train_loss[r], name=result.labels[i])
                      for r, (i, _) in enumerate(result.runs)])
    loss.update_layout(title="Training loss", xaxis_title="epoch", yaxis_title=LOSS_AXIS,
                       width=640, height=400, showlegend=True)
    distinct = h.metrics["distinct_neurons"][:, -1, 0]
    neurons = go.Figure(go.Bar(x=result.labels, y=distinct, name="layer 1"))
    neurons.update_layout(title="Distinct neurons after training",
                          xaxis_title="initialization", yaxis_title="distinct neurons (units)")
    return {"loss_overlay": loss, "distinct neurons": neurons}


@pytest.fixture(scope="module")
def kaleido(figures):
    """kaleido and Chromium, started once for the module; skip (or fail in CI) without them."""
    ok, message = static_export_available()
    if ok:
        try:
            figure_bytes(figures["loss_overlay"], "svg")  # starts the browser once
        except ExportUnavailable as exc:
            ok, message = False, str(exc)
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must export charts: {message}")
        pytest.skip(message)


@pytest.fixture
def no_browser(monkeypatch):
    """A machine where kaleido finds no browser."""
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first, right after the signature)."""
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", png[16:24])


# ------------------------------------------------------------------------- PNG, SVG, PDF


def test_png_starts_with_the_png_signature(kaleido, figures):
    """A PNG export is a PNG file."""
    assert figure_bytes(figures["loss_overlay"], "png").startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_png_has_the_requested_pixel_size(kaleido, figures, scale):
    """The PNG is width x scale by height x scale pixels."""
    png = figure_bytes(figures["loss_overlay"], "png", scale=scale, width=500, height=300)
    assert _png_size(png) == (500 * scale, 300 * scale)


def test_png_takes_the_layout_size_by_default(kaleido, figures):
    """Without width/height the figure's own layout size is used (640 x 400, scale 2)."""
    assert _png_size(figure_bytes(figures["loss_overlay"], "png")) == (1280, 800)


def test_svg_parses_as_xml_with_title_and_axis_titles(kaleido, figures):
    """The SVG is well-formed XML and carries the title, both axis titles and the legend."""
    root = ET.fromstring(figure_bytes(figures["loss_overlay"], "svg"))
    assert root.tag.endswith("svg")
    text = " ".join(t.strip() for t in root.itertext())
    for label in ("Training loss", "epoch", LOSS_AXIS, "zeros"):
        assert label in text


def test_pdf_starts_with_the_pdf_magic(kaleido, figures):
    """A PDF export is a PDF file."""
    assert figure_bytes(figures["distinct neurons"], "pdf").startswith(b"%PDF")


def test_later_images_are_fast(kaleido, figures):
    """With kaleido's browser kept running, an image takes well under the 3.5 s of a cold one."""
    start = time.perf_counter()
    figure_bytes(figures["distinct neurons"], "png")
    assert time.perf_counter() - start < 2.0


def test_unknown_image_format_is_refused(figures):
    """Only png, svg and pdf are image formats."""
    with pytest.raises(ValueError, match="fmt must be one of png, svg, pdf. Got 'gif'"):
        figure_bytes(figures["loss_overlay"], "gif")


# ------------------------------------------------------------------------- no browser


def test_without_browser_export_is_unavailable_with_install_command(no_browser, figures):
    """No Chromium: one line saying what to install, from a cheap check and from the export."""
    ok, message = static_export_available()
    assert not ok and "apt-get install -y chromium" in message and "\n" not in message
    with pytest.raises(ExportUnavailable, match="apt-get install -y chromium"):
        figure_bytes(figures["loss_overlay"], "png")


def test_without_kaleido_the_message_says_how_to_install_it(monkeypatch):
    """No kaleido package: the one-line message is the pip command."""
    real_version = importlib.metadata.version

    def version(name):
        if name == "kaleido":
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setenv("BROWSER_PATH", "/usr/bin/no-kaleido-here")  # a fresh cache entry
    assert static_export_available(refresh=True) == (False, export.NO_KALEIDO)
    assert "pip install" in export.NO_KALEIDO


def test_availability_check_is_cached():
    """The check the dashboard calls on every rerun answers from its cache."""
    first = static_export_available()
    start = time.perf_counter()
    assert static_export_available() is first
    assert time.perf_counter() - start < 0.01


def test_browser_that_does_not_start_is_reported_not_waited_for():
    """A 'browser' that exits at once gives ExportUnavailable within seconds, twice, no hang.

    Run in a fresh process: kaleido's server is process-wide, and its thread dies when the
    browser fails, which would leave a naive caller waiting forever.
    """
    pytest.importorskip("kaleido")
    if not Path("/bin/false").exists():
        pytest.skip("needs /bin/false")
    code = (
        "import plotly.graph_objects as go\n"
        "from sim.export import ExportUnavailable, figure_bytes\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        figure_bytes(go.Figure(go.Scatter(y=[1, 2])), 'png')\n"
        "    except ExportUnavailable as exc:\n"
        "        print('UNAVAILABLE', exc)\n"
    )
    env = {**os.environ, "BROWSER_PATH": "/bin/false", "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=90, cwd=ROOT)
    lines = [line for line in p.stdout.splitlines() if line.startswith("UNAVAILABLE")]
    assert p.returncode == 0 and len(lines) == 2, p.stderr[-2000:]
    assert "apt-get install -y chromium" in lines[0]


# ------------------------------------------------------------------------- HTML


def test_html_is_one_offline_page_with_plotlyjs_once(figures):
    """plotly.js is inlined exactly once for all charts; nothing is loaded from the network."""
    page = figures_html(figures, "Init Lab", Config().to_json())
    assert page.count(get_plotlyjs()[:200]) == 1
    assert page.count("Plotly.newPlot(") == len(figures)
    assert not re.search(r"<script[^>]+src=", page)
    assert page.startswith("<!DOCTYPE html>")


def test_html_contains_the_figure_data_and_titles(result, figures):
    """Every chart's numbers, title and axis titles are in the page."""
    page = figures_html(figures, "Init Lab", result.config.to_json())
    # plotly stores float arrays as base64 (with "/" escaped for HTML) and dtype f8
    arrays = [np.frombuffer(base64.b64decode(b.replace("\\u002f", "/")), "<f8")
              for b in re.findall(r'"dtype":"f8","bdata":"([^"]*)"', page)]
    for r in range(len(result.runs)):
        assert any(np.array_equal(a, result.history.train_loss[r]) for a in arrays)
    for label in ("Training loss", LOSS_AXIS, "Distinct neurons after training",
                  "distinct neurons (units)"):
        assert label in page


def test_html_shows_heading_and_config_escaped(result, figures):
    """The heading and the config are shown as text (escaped), not as markup."""
    page = figures_html(figures, "Zeros <vs> random & co", result.config.to_json())
    assert "<h1>Zeros &lt;vs&gt; random &amp; co</h1>" in page
    assert "&quot;epochs&quot;: 20" in page


def test_html_camera_buttons_save_meaningful_png_names(result, figures):
    """Each chart's camera button saves a scale-2 PNG named by figure_filename."""
    page = figures_html(figures, "Init Lab", result.config.to_json())
    stem = figure_filename("loss_overlay", result.config, "png")[:-4]
    assert f'"filename": "{stem}"' in page.replace('":"', '": "')


# ------------------------------------------------------------------------- CSV


def test_csv_loads_back_with_the_history_numbers(result):
    """Read with the csv module, every train_loss value equals the history's exactly."""
    rows = list(csv.DictReader(io.StringIO(metrics_csv(result))))
    loss = {(int(r["run"]), int(r["epoch"])): float(r["value"])
            for r in rows if r["metric"] == "train_loss"}
    assert loss[(1, 7)] == result.history.train_loss[1, 7]
    assert all(v == result.history.train_loss[k] for k, v in loss.items())
    assert len(loss) == result.history.train_loss.size


# ------------------------------------------------------------------------- ZIP


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_zip_lists_every_expected_entry(kaleido, result, figures):
    """Data, config, the HTML page, README and every chart in each image format."""
    z = _zip(export_zip(result, figures, ("png", "svg", "html", "csv", "npz", "json")))
    charts = {f"charts/{figure_filename(name, result.config, fmt)}"
              for name in figures for fmt in ("png", "svg")}
    assert set(z.namelist()) == {"README.txt", "config.json", "metrics.csv", "weights.npz",
                                 "charts.html"} | charts
    assert z.testzip() is None
    png = z.read(f"charts/{figure_filename('loss_overlay', result.config, 'png')}")
    assert _png_size(png) == (1280, 800)


def test_zip_readme_says_what_each_file_is_and_has_the_config(result, figures):
    """README.txt names every file and contains the config that made them."""
    z = _zip(export_zip(result, figures, ("html", "csv", "npz", "json")))
    readme = z.read("README.txt").decode()
    for name in ("config.json", "metrics.csv", "weights.npz", "charts.html"):
        assert name in readme
    config_text = readme.split("Configuration (config.json)")[1].split("\n", 2)[2]
    assert Config.from_json(config_text) == result.config
    assert result.config.to_json() in readme


def test_zip_page_and_readme_carry_the_one_page_title(result, figures):
    """charts.html and README.txt are titled by sim.naming.page_title, as the dashboard's page."""
    z = _zip(export_zip(result, figures, ("html",)))
    title = export.page_title(result.config)
    assert title == f"Init Lab: {' vs '.join(result.labels)} on {result.config.dataset}"
    assert f"<title>{title}</title>" in z.read("charts.html").decode()
    assert z.read("README.txt").decode().split("\n")[3].startswith(f"{title}: hidden layers")


def test_zip_config_and_weights_load_back(result, figures):
    """config.json is the run's config; weights.npz holds the history's snapshots."""
    z = _zip(export_zip(result, figures, ("npz", "json")))
    assert Config.from_json(z.read("config.json")) == result.config
    w = np.load(io.BytesIO(z.read("weights.npz")))
    np.testing.assert_array_equal(w["W1"], result.history.weights[0])
    np.testing.assert_array_equal(w["snapshot_epochs"], result.history.snapshot_epochs)


def test_zip_deflates_the_stored_npz(result, figures):
    """weights.npz is stored as it is (NPZ_COMPRESSED is False), so the ZIP deflates it."""
    assert not export.NPZ_COMPRESSED
    with zipfile.ZipFile(io.BytesIO(export.weights_npz(result))) as npz:
        assert {i.compress_type for i in npz.infolist()} == {zipfile.ZIP_STORED}
    assert _zip(export_zip(result, figures, ("npz",))).getinfo(
        "weights.npz").compress_type == zipfile.ZIP_DEFLATED


def test_zip_without_browser_skips_images_and_says_why(no_browser, result, figures):
    """No Chromium: no images in the ZIP, the README says why, the rest is all there."""
    z = _zip(export_zip(result, figures, ("png", "svg", "csv", "json")))
    assert sorted(z.namelist()) == ["README.txt", "config.json", "metrics.csv"]
    readme = z.read("README.txt").decode()
    assert "Not included" in readme and "apt-get install -y chromium" in readme


def test_unknown_export_format_is_refused(result, figures):
    """An unknown format is a ValueError listing the valid ones."""
    with pytest.raises(ValueError, match="Unknown export format 'gif'. Valid formats: png"):
        export_zip(result, figures, ("csv", "gif"))


# ------------------------------------------------------------------------- folder export


def test_export_files_writes_each_requested_format(kaleido, result, figures, tmp_path):
    """The command line's export: one image per chart and format, data, page and ZIP."""
    paths = export_files(result, figures, tmp_path, "png,pdf,html,csv,npz,json,zip")
    names = {p.name for p in paths}
    assert all(p.parent == tmp_path and p.is_file() for p in paths)
    assert {"config.json", "metrics.csv", "weights.npz", "charts.html",
            export.zip_filename(result.config)} <= names
    for fmt, magic in (("png", PNG_SIGNATURE), ("pdf", b"%PDF")):
        for chart in figures:
            assert (tmp_path / figure_filename(chart, result.config, fmt)).read_bytes(
            ).startswith(magic)
    assert len(paths) == 5 + 2 * len(figures)
    inner = _zip((tmp_path / export.zip_filename(result.config)).read_bytes()).namelist()
    assert any(n.endswith(".pdf") for n in inner) and "charts.html" in inner


def test_export_files_without_browser_writes_the_rest_then_raises(no_browser, result,
                                                                  figures, tmp_path):
    """No Chromium: the other formats are written, then ExportUnavailable lists them."""
    with pytest.raises(ExportUnavailable) as info:
        export_files(result, figures, tmp_path, ["csv", "png", "json", "zip"])
    zip_name = export.zip_filename(result.config)
    assert {p.name for p in info.value.written} == {"metrics.csv", "config.json", zip_name}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["config.json", "metrics.csv", zip_name])
    assert json.loads((tmp_path / "config.json").read_text()) == result.config.to_dict()
    readme = _zip((tmp_path / zip_name).read_bytes()).read("README.txt").decode()
    assert "apt-get install -y chromium" in readme
