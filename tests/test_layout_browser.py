"""Layout in the real browser: every preset readable on a projector, each kind of page on a
large screen.

Each page is opened once in Debian's Chromium and every view of it is checked from the DOM
(:data:`browser_support.LAYOUT_PROBLEMS`): the Compare tab (each tab of its epoch section),
the Why? and More charts tabs. No two text boxes of a chart overlap (plotly's titles, axis
titles, tick labels, legend entries, annotations, the slider and its buttons), no chart text
is cut by the chart's edge, no metric tile cuts its text, nothing runs off the right edge of
the page. A view is probed once the page reports itself idle (:func:`browser_support.settle`:
script finished, charts drawn, no DOM change for 0.3 s), not after fixed pauses.

What is checked at each size:

* 1280×720 (a projector, sidebar open): every preset, a regression page (1-D sine, the
  fit instead of a decision boundary) and the Map tab; every slide of the presenter view
  of a dense, a deep and a convnet preset;
* 1920×1080: one page of each kind: dense (``lesson``), deep (``deep_relu``), convnet
  (``filters``), regression and the Map.

A failing page keeps screenshots of the view that failed, and the list of problems, in
``tests/screenshots/layout/``; ``INITLAB_SHOTS=1`` keeps screenshots of every view (the
first screen and the whole page at the same width), for a person to look at.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pytest
from browser_support import (
    IDLE,
    SHOTS,
    TIMEOUT_MS,
    content_height,
    layout_problems,
    settle,
    shots_wanted,
)

from sim import PRESETS, Config, charts
from sim.app.present import slides
from sim.share import config_to_params

pytestmark = pytest.mark.browser

SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
#: Tab parameter -> the tab's label on the page.
TABS = {"compare": "Compare", "why": "Why?", "more": "More charts"}
LAYOUT_SHOTS = SHOTS / "layout"

#: A regression page (no preset is one): the 1-D sine fit, tanh, the dataset's own rate.
REGRESSION = dataclasses.replace(PRESETS["lesson"].config(), dataset="sine", hidden=(16,),
                                 activation="tanh", lr=0.5)
#: Every page checked: a preset's name, ``regression`` or ``map`` -> its configuration
#: (``None``: the Map tab of the default page).
PAGES: dict[str, Config | None] = {
    **{name: preset.config() for name, preset in PRESETS.items()},
    "regression": REGRESSION,
    "map": None,
}
#: The pages checked at 1920×1080: one of each kind.
LARGE = {"lesson": "dense", "deep_relu": "deep", "filters": "convnet",
         "regression": "regression", "map": "the Map"}
CASES = [pytest.param(page, size, id=f"{page}-{size}") for page in PAGES for size in SIZES
         if size == "1280x720" or page in LARGE]


def _epoch_specs(config: Config) -> list:
    """The charts of the page's epoch section, one tab each (the first is open when the
    page opens; a convnet adds its filters and feature maps)."""
    return [spec for heading, specs in charts.sections("compare", config)
            for spec in specs if heading == charts.EPOCH_SECTION]


def _link(config: Config | None, **view: str) -> str:
    params = {} if config is None else config_to_params(config)
    return "/?" + urlencode({**params, **view})


def _shots(page, name: str, width: int, height: int) -> None:
    """The first screen as the user sees it, then the whole page at the same width."""
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LAYOUT_SHOTS / f"{name}.png"))
    full = content_height(page)
    if full > height + 40:
        page.set_viewport_size({"width": width, "height": min(full + 40, 16000)})
        settle(page)
        page.screenshot(path=str(LAYOUT_SHOTS / f"{name}_full.png"))
        page.set_viewport_size({"width": width, "height": height})
        settle(page)


def _check(page, view: str, name: str, width: int, height: int, problems: list[str]) -> None:
    """Probe one view; keep its screenshots when it fails or when they are asked for."""
    found = layout_problems(page)
    problems += [f"{view}: {p}" for p in found]
    if found or shots_wanted():
        _shots(page, name, width, height)


def _open_tab(page, label: str) -> None:
    page.get_by_role("tab", name=label, exact=True).click()


@pytest.mark.parametrize("page_name, size", CASES)
def test_every_view_of_the_page_is_readable(server, chromium, page_name: str, size: str
                                            ) -> None:
    """Each view of the page, in one load: every problem the DOM shows is reported at once."""
    width, height = SIZES[size]
    config = PAGES[page_name]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS * 2)
    problems: list[str] = []
    try:
        if config is None:  # the Map: its own tab, computed from the default sweep preset
            page.goto(server + _link(None, tab="map"))
            page.wait_for_selector(IDLE)
            # the map's heatmap drawn (the other tabs' charts are in the page, hidden)
            page.locator('[data-testid="stPlotlyChart"] .main-svg >> visible=true'
                         ).first.wait_for()
            _check(page, "map", f"map_{size}", width, height, problems)
        else:
            page.goto(server + _link(config))
            page.wait_for_selector(IDLE)
            for tab, label in TABS.items():
                if tab != "compare":
                    _open_tab(page, label)
                _check(page, tab, f"{page_name}_{tab}_{size}", width, height, problems)
                if tab == "compare":  # the other charts of one epoch, one tab each
                    for spec in _epoch_specs(config)[1:]:
                        _open_tab(page, spec.title)
                        _check(page, f"{tab} / {spec.title}",
                               f"{page_name}_{tab}_{spec.name}_{size}", width, height,
                               problems)
    finally:
        context.close()
    _verdict(f"{page_name}_{size}", problems)


def _verdict(name: str, problems: list[str]) -> None:
    """Fail with every problem; the list is also written next to the screenshots."""
    if problems:
        LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
        (LAYOUT_SHOTS / f"problems_{name}.txt").write_text("".join(p + "\n" for p in problems))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("preset", ["lesson", "deep_relu", "filters"])
def test_presenter_slides_are_readable_on_a_projector(server, chromium, preset: str) -> None:
    """Every slide of the presenter view at 1280×720, sidebar hidden, fonts enlarged."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS * 2)
    problems: list[str] = []
    try:
        page.goto(server + _link(PRESETS[preset].config(), present="1", slide="1"))
        page.wait_for_selector(IDLE)
        page.locator('section[data-testid="stSidebar"]').wait_for(state="hidden")
        shown = slides(PRESETS[preset].config())
        for k, spec in enumerate(shown, start=1):
            page.get_by_text(f"{k} / {len(shown)} · {spec.title}").wait_for()
            _check(page, f"slide {k}", f"present_{preset}_{k}_1280x720", 1280, 720,
                   problems)
            if k < len(shown):
                page.get_by_role("button", name="Next ▶").click()
    finally:
        context.close()
    _verdict(f"present_{preset}", problems)
