"""Real-browser tests: ``streamlit run dashboard.py`` driven by Playwright in Debian's Chromium.

The server runs on a free localhost port for the whole module; each test opens a fresh page.
Screenshots (full page, 1600 px wide) go to ``tests/screenshots/`` (git-ignored) and the
measured timings are printed.

Without Chromium or Playwright the tests are skipped with a message; in CI (``CI=true``) a
missing browser is a failure, not a skip.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    CHART,
    IDLE,
    SHOTS,
    TIMEOUT_MS,
    WIDTH,
    combobox,
    report,
    screenshot,
    select,
    settle,
    shots_wanted,
    wait_for_rerun,
)

from sim import PRESETS, Config, train_comparison
from sim.app.state import shown_epochs
from sim.charts import all_figures
from sim.export import config_hash, figure_filename
from sim.presets import DEFAULT_PRESET
from sim.share import params_to_config

pytestmark = pytest.mark.browser

DEFAULT = PRESETS[DEFAULT_PRESET].config()
#: The dashboard's view-only URL parameters (dashboard.VIEW_PARAMS; not imported here, as
#: importing the script would need Streamlit's script context for nothing).
VIEW_PARAMS = ("tab", "loss_axis", "neurons", "shown_epoch", "colour_range", "present", "slide",
               "epoch_chart")


@pytest.fixture
def app_page(server, chromium):
    """A fresh page with the dashboard loaded and its charts drawn."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": 1000},
                                   accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    t0 = time.perf_counter()
    page.goto(server)
    page.wait_for_selector(CHART)
    page.wait_for_selector(IDLE)
    page.first_render_seconds = time.perf_counter() - t0
    yield page
    context.close()


def test_default_page_shows_the_lesson_with_charts(app_page, capsys) -> None:
    """The first screen draws the charts and states the lesson under the zeros panel."""
    # plotly draws each chart on its own after the script ends: wait rather than count once
    app_page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".filter(e => e.querySelector('.main-svg')).length >= 8")
    app_page.get_by_text("All 8 hidden units are identical").first.wait_for()
    report(capsys, f"first render with charts: {app_page.first_render_seconds:.2f} s "
                   "(the server's first page: imports and training included)")
    again = app_page.context.new_page()
    t0 = time.perf_counter()
    again.goto(app_page.url)
    again.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".filter(e => e.querySelector('.main-svg')).length >= 8", timeout=TIMEOUT_MS)
    report(capsys, f"a new visitor, first charts drawn: {time.perf_counter() - t0:.2f} s "
                   "(training cached, as for every visitor after the first)")
    again.close()
    screenshot(app_page, "default")


def test_changing_activation_and_initializer_updates_the_page(app_page, capsys) -> None:
    """tanh makes the zero units dead; a new right-hand scheme retitles its charts."""
    t0 = time.perf_counter()
    clicked = select(app_page, "activation", "tanh")
    in_page = wait_for_rerun(app_page, "are dead (output exactly 0)", clicked)
    report(capsys, f"activation change: rerun done {in_page:.2f} s after the click (in-page "
                    f"clock); {time.perf_counter() - t0:.2f} s as Playwright sees it")
    t0 = time.perf_counter()
    clicked = select(app_page, "right_scheme", "He/Kaiming normal")
    in_page = wait_for_rerun(app_page, "Loss: he_normal", clicked)
    report(capsys, f"initializer change: rerun done {in_page:.2f} s after the click (in-page "
                    f"clock); {time.perf_counter() - t0:.2f} s as Playwright sees it")
    app_page.get_by_text("Weights after 500 epochs: he_normal").first.wait_for()
    app_page.locator(".st-key-right_he_normal_mode").wait_for()
    screenshot(app_page, "tanh_he_normal")


def test_preset_and_why_tab(app_page, capsys) -> None:
    """A preset fills the page; the Why? tab shows the derivation with the run's matrices."""
    clicked = select(app_page, "preset", "tanh/ReLU with zeros: nothing learns")
    wait_for_rerun(app_page, "All the units of every hidden layer are dead", clicked)
    screenshot(app_page, "preset_dead_zeros")
    clicked = select(app_page, "preset", "The lesson: all zeros vs random (default)")
    wait_for_rerun(app_page, "All 8 hidden units are identical", clicked)
    t0 = time.perf_counter()
    app_page.get_by_role("tab", name="Why?").click()
    app_page.get_by_text("Why identical weights stay identical").wait_for()
    app_page.wait_for_selector(IDLE)
    app_page.wait_for_function("() => document.querySelectorAll('.katex').length >= 4")
    report(capsys, f"Why? tab shown: {time.perf_counter() - t0:.2f} s")
    screenshot(app_page, "why")
    app_page.get_by_role("tab", name="More charts").click()
    app_page.get_by_text("Symmetry gap per hidden layer").first.wait_for()
    screenshot(app_page, "more_charts")


def test_camera_button_downloads_a_named_high_resolution_png(app_page, tmp_path) -> None:
    """The modebar camera button of a chart downloads a 2x PNG named like the chart's file
    from the Export tab and the command line (chart, initialization, config hash)."""
    chart = app_page.locator('[data-testid="stPlotlyChart"]').first
    chart.hover()
    with app_page.expect_download() as info:
        chart.locator('[data-title^="Download plot"]').click()
    download = info.value
    assert download.suggested_filename == figure_filename("loss_init1-zeros", DEFAULT, "png")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    box = chart.bounding_box()
    assert width >= 1.9 * box["width"] and height >= 1.9 * 300


def _open_export_tab(page) -> None:
    page.get_by_role("tab", name="Export & share").click()
    page.get_by_text("Everything in one ZIP").wait_for()
    page.wait_for_selector(IDLE)


def test_export_zip_download_holds_every_file(app_page, tmp_path, capsys) -> None:
    """The Export tab's "Everything (ZIP)" button downloads the ZIP with the README, the
    config, the metrics, the weights, the HTML page and every chart as PNG and SVG."""
    _open_export_tab(app_page)
    screenshot(app_page, "export")
    t0 = time.perf_counter()
    with app_page.expect_download(timeout=180_000) as info:
        app_page.locator(".st-key-dl_zip").get_by_role("button").first.click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    report(capsys, f"ZIP (every chart as PNG and SVG): download {time.perf_counter() - t0:.1f} s "
                    "after the click")
    assert download.suggested_filename == f"init-lab-{config_hash(DEFAULT)}.zip"
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert Config.from_json(z.read("config.json")) == DEFAULT
        assert z.read("charts/" + figure_filename("loss_init1-zeros", DEFAULT, "png"))[:8] \
            == b"\x89PNG\r\n\x1a\n"
    assert {"README.txt", "config.json", "metrics.csv", "weights.npz", "charts.html"} <= names
    n_charts = len(all_figures(train_comparison(DEFAULT)))  # the registry's charts
    for fmt in ("png", "svg"):
        assert len([n for n in names if n.startswith("charts/") and n.endswith(fmt)]) == \
            n_charts


def test_shared_link_restores_the_controls(server, chromium, capsys) -> None:
    """Opening a link with a few parameters shows them in the controls and the charts, and
    the address then holds the whole configuration."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": 1000},
                                   accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        t0 = time.perf_counter()
        page.goto(f"{server}/?act=relu&hidden=4,4&left=he_normal")
        page.wait_for_selector(CHART)
        page.wait_for_selector(IDLE)
        report(capsys, f"shared link: first render {time.perf_counter() - t0:.2f} s")
        assert combobox(page, "activation") == "relu"
        assert page.locator(".st-key-hidden input").input_value() == "4, 4"
        assert combobox(page, "left_scheme") == "He/Kaiming normal"
        assert combobox(page, "right_scheme") == "Xavier/Glorot uniform"
        page.get_by_text("Loss: he_normal").first.wait_for()
        assert page.get_by_text("Custom settings (started from a shared link)").count() == 1
        query = parse_qs(urlsplit(page.url).query)
        assert params_to_config(query, ignore=VIEW_PARAMS) == DEFAULT.replace(
            activation="relu", hidden=[4, 4],
            inits=[{"scheme": "he_normal"}, DEFAULT.inits[1].to_dict()])
        screenshot(page, "shared_link")
    finally:
        context.close()


def test_classic_compare_and_tanh_why_tab(app_page, capsys) -> None:
    """The classic preset's Compare tab fits its metric tiles; with tanh and zeros the Why?
    tab says the first-layer gradient stays 0 and picking the shown preset again after a
    change re-applies it."""
    clicked = select(app_page, "preset", PRESETS["classic"].label)
    wait_for_rerun(app_page, "Both hidden units", clicked)
    screenshot(app_page, "classic_compare")
    clicked = select(app_page, "preset", PRESETS["dead_zeros"].label)
    wait_for_rerun(app_page, "All the units of every hidden layer are dead", clicked)
    app_page.get_by_role("tab", name="Why?").click()
    app_page.get_by_text("stays exactly 0 at every step").first.wait_for()
    app_page.wait_for_selector(IDLE)
    app_page.wait_for_function("() => document.querySelectorAll('.katex').length >= 4")
    screenshot(app_page, "why_tanh")
    clicked = select(app_page, "activation", "sigmoid")
    wait_for_rerun(app_page, "Custom settings", clicked)
    assert combobox(app_page, "preset") == "Custom settings"
    clicked = select(app_page, "preset", PRESETS["dead_zeros"].label)
    wait_for_rerun(app_page, "stays exactly 0 at every step", clicked)
    assert combobox(app_page, "activation") == "tanh"


# ------------------------------------------------------------------------------------------
# Bad values, links and files, as a user on a 1280 x 720 screen meets them
# ------------------------------------------------------------------------------------------


@pytest.fixture
def laptop(server, chromium):
    """A fresh 1280 x 720 page (a laptop with the sidebar open); ``laptop(query)`` opens
    the dashboard at that query and waits for ``ready`` (a chart)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})

    def open_at(query: str = "", ready: str = CHART):
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{server}/{query}")
        page.wait_for_selector(ready)
        page.wait_for_selector(IDLE)
        return page

    yield open_at
    context.close()


def _settled(page) -> None:
    page.wait_for_timeout(300)  # the rerun starts after the input's own debounce
    page.wait_for_selector(IDLE)


def _view_shot(page, name: str) -> Path | None:
    """What the user sees (the viewport, not the full page), with ``INITLAB_SHOTS=1``."""
    if not shots_wanted():
        return None
    SHOTS.mkdir(exist_ok=True)
    settle(page)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_a_typed_negative_learning_rate_is_named_under_its_input(laptop) -> None:
    """-1 typed as the learning rate stays in the input (no silent clamp to the widget's
    minimum), the validator's message appears once, under it; fixing the value removes
    the message."""
    page = laptop()
    page.locator('[data-testid="stSidebar"]').get_by_text("Training", exact=True).click()
    lr = page.locator(".st-key-lr input")
    lr.fill("-1")
    lr.press("Enter")
    _settled(page)
    message = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    message.get_by_text("lr (learning rate) must be a number > 0").wait_for()
    assert lr.input_value() == "-1"
    assert page.locator('[data-testid="stAlert"]').count() == 1
    page.locator(".st-key-lr").scroll_into_view_if_needed()
    _view_shot(page, "laptop_lr_minus_1")
    lr.fill("0.1")
    lr.press("Enter")
    _settled(page)
    page.get_by_text("Custom settings (started from").wait_for()
    assert page.locator('[data-testid="stAlert"]').count() == 0


def test_a_link_with_one_bad_parameter_loads_the_others(laptop) -> None:
    """``?tab=bogus&act=relu``: relu is loaded, one warning names 'tab'."""
    page = laptop("?tab=bogus&act=relu")
    assert combobox(page, "activation") == "relu"
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.count() == 1
    assert "The link's parameter 'tab' was not used" in alerts.first.inner_text()
    _view_shot(page, "laptop_link_bad_tab")


def test_a_file_streamlit_refuses_leaves_no_old_notice(laptop, tmp_path) -> None:
    """After a refused file's notice, a file too large for the uploader is refused by
    Streamlit in the browser (the script never sees it): the old notice is hidden, so the
    only message is Streamlit's on the refused file."""
    page = laptop("?tab=export", ready='[data-testid="stFileUploader"]')
    bad, big = tmp_path / "bad.json", tmp_path / "big.json"
    bad.write_text("hello, not JSON")
    big.write_text(" " * 2_000_000)
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploader.set_input_files(str(bad))
    notice = page.get_by_text("bad.json was not loaded.")
    notice.wait_for()
    _settled(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    page.locator('[data-testid="stFileChip"][aria-invalid="true"]').wait_for()
    notice.wait_for(state="hidden")
    page.locator('[data-testid="stFileUploader"]').scroll_into_view_if_needed()
    _view_shot(page, "laptop_upload_refused_by_streamlit")


_COUNT_FRAMES = """() => {
    window.__frames = 0;
    document.querySelectorAll('.js-plotly-plot').forEach(
        (gd) => gd.on && gd.on('plotly_animatingframe', () => window.__frames++));
}"""


def test_speed_of_the_epoch_slider_and_of_play(app_page, capsys) -> None:
    """Benchmarks printed in the test output: an epoch-slider step reruns only the charts
    it drives (a fragment: the open tab of the epoch section, both sides), timed from the
    key press until both charts show the new epoch (their slider's label); and a chart's
    play button animates its frames in the browser. The numbers are printed, not asserted
    (timed asserts flake on a shared machine); the closing note of issue 9 quotes them
    against the targets (0.3 s a step, 5 frames/s)."""
    offered = shown_epochs(train_comparison(DEFAULT))
    thumb = app_page.locator('.st-key-snapshot_epoch input[type="range"]')
    app_page.locator(".st-key-snapshot_epoch").scroll_into_view_if_needed()
    current = "[...document.querySelectorAll('.slider-group')].map(g => g.querySelector('text'))"
    app_page.wait_for_function(f"() => {current}.length >= 2")
    steps = []
    for n in range(1, 6):
        thumb.focus()
        t0 = app_page.evaluate("() => performance.now()")
        app_page.keyboard.press("ArrowLeft")
        done = app_page.evaluate("""async (label) => {
            while (true) {
                const shown = """ + current + """;
                if (shown.length >= 2 && shown.every(e => e && e.textContent === label))
                    return performance.now();
                await new Promise(r => setTimeout(r, 5));
            } }""", f"epoch {offered[-1 - n]}")
        steps.append((done - t0) / 1000)
        app_page.wait_for_selector(IDLE)
    report(capsys, "epoch-slider step, key press to both animated charts redrawn: "
           + ", ".join(f"{s:.2f}" for s in steps)
           + f" s (median {sorted(steps)[2]:.2f} s; target 0.3 s)")
    assert thumb.get_attribute("aria-valuetext") == str(offered[-6])
    chart = app_page.locator('[data-testid="stPlotlyChart"]').filter(
        has=app_page.locator(".updatemenu-button")).first
    chart.scroll_into_view_if_needed()
    chart.locator(".slider-group").first.click(position={"x": 5, "y": 30})  # to epoch 0
    app_page.wait_for_timeout(300)
    app_page.evaluate(_COUNT_FRAMES)
    t0 = app_page.evaluate("() => performance.now()")
    chart.locator(".updatemenu-button").first.click()
    app_page.wait_for_timeout(3000)
    frames, ms = app_page.evaluate("() => [window.__frames, performance.now()]")
    chart.locator(".updatemenu-button").nth(1).click()
    rate = frames / ((ms - t0) / 1000)
    report(capsys, f"play: {frames} frames in {(ms - t0) / 1000:.1f} s = {rate:.1f} "
                   "frames/s (target 5)")
    assert frames > 0
