"""Layout in the real browser: every preset readable on a projector and on a large screen.

For every preset at 1280×720 (a projector, sidebar open) and at 1920×1080, the Compare tab
(each tab of its epoch section), the Why? and More charts tabs are opened in Debian's
Chromium and checked from the DOM (:data:`browser_support.LAYOUT_PROBLEMS`): no two text
boxes of a chart overlap (plotly's titles, axis titles, tick labels, legend entries,
annotations, the slider and its buttons), no chart text is cut by the chart's edge, no
metric tile cuts its text, nothing runs off the right edge of the page. The presenter
view's slides are checked the same way at 1280×720. Screenshots of every page go to
``tests/screenshots/layout/`` (the first screen, and the whole page at the same width).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_support import IDLE, SHOTS, TIMEOUT_MS, layout_problems

from sim import PRESETS, charts
from sim.app.present import slides
from sim.share import config_to_params

pytestmark = pytest.mark.browser

SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
#: Tab parameter -> the tab's label on the page.
TABS = {"compare": "Compare", "why": "Why?", "more": "More charts"}
LAYOUT_SHOTS = SHOTS / "layout"


def _epoch_specs(preset: str) -> list:
    """The charts of the preset's epoch section, one tab each (the first is open when the
    page opens; a convnet adds its filters and feature maps)."""
    return [spec for heading, specs in charts.sections("compare", PRESETS[preset].config())
            for spec in specs if heading == charts.EPOCH_SECTION]


def _link(preset: str, **view: str) -> str:
    return "/?" + urlencode({**config_to_params(PRESETS[preset].config()), **view})


def _shots(page, name: str, width: int, height: int) -> None:
    """The first screen as the user sees it, then the whole page at the same width."""
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LAYOUT_SHOTS / f"{name}.png"))
    full = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stAppViewContainer], section')]"
        ".map(e => e.scrollHeight))")
    if full > height + 40:
        page.set_viewport_size({"width": width, "height": min(int(full) + 40, 16000)})
        page.wait_for_timeout(900)
        page.screenshot(path=str(LAYOUT_SHOTS / f"{name}_full.png"))
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(600)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_tab_of_every_preset_is_readable(server, chromium, preset: str, size: str
                                               ) -> None:
    """Each tab of the preset's page: every problem the DOM shows is reported at once."""
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS * 2)
    problems: list[str] = []
    try:
        page.goto(server + _link(preset))
        page.wait_for_selector(IDLE)
        for tab, label in TABS.items():
            if tab != "compare":
                page.get_by_role("tab", name=label, exact=True).click()
                page.wait_for_timeout(300)
            problems += [f"{tab}: {p}" for p in layout_problems(page)]
            _shots(page, f"{preset}_{tab}_{size}", width, height)
            if tab == "compare":  # the other charts of one epoch, one tab each
                for spec in _epoch_specs(preset)[1:]:
                    page.get_by_role("tab", name=spec.title, exact=True).click()
                    page.wait_for_timeout(300)
                    problems += [f"{tab} / {spec.title}: {p}" for p in layout_problems(page)]
                    _shots(page, f"{preset}_{tab}_{spec.name}_{size}", width, height)
    finally:
        context.close()
    _verdict(f"{preset}_{size}", problems)


def _verdict(name: str, problems: list[str]) -> None:
    """Fail with every problem; the list is also written next to the screenshots."""
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
        page.goto(server + _link(preset, present="1", slide="1"))
        page.wait_for_selector(IDLE)
        page.locator('section[data-testid="stSidebar"]').wait_for(state="hidden")
        shown = slides(PRESETS[preset].config())
        for k, spec in enumerate(shown, start=1):
            page.get_by_text(f"{k} / {len(shown)} · {spec.title}").wait_for()
            problems += [f"slide {k}: {p}" for p in layout_problems(page)]
            _shots(page, f"present_{preset}_{k}_1280x720", 1280, 720)
            if k < len(shown):
                page.get_by_role("button", name="Next ▶").click()
    finally:
        context.close()
    _verdict(f"present_{preset}", problems)
