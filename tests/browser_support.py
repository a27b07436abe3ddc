"""What the real-browser tests share: Debian's Chromium driven by Playwright against
``streamlit run dashboard.py`` (the fixtures ``server`` and ``chromium`` are in
``conftest.py``), the page's idle state, timings, screenshots.

Without Chromium or Playwright the tests are skipped with a message; in CI (``CI=true``) a
missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WIDTH = 1600
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"] .main-svg'
TIMEOUT_MS = 60_000


def missing(reason: str) -> None:
    """Skip on a developer's machine, fail in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium` and "
                "`pip install playwright` to run the browser tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[browser timing] {text}")


WATCH_STATE = """() => {
    window.__states = [];
    const app = document.querySelector('[data-testid=stApp]');
    new MutationObserver(() => window.__states.push(
        [performance.now(), app.getAttribute('data-test-script-state')]))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def wait_for_rerun(page, expected_text: str, clicked_at: float) -> float:
    """Wait until ``expected_text`` is on the page and the script is idle again; return the
    seconds from the click to the end of the rerun, measured inside the page (a mutation
    observer on the script state, so Playwright's polling does not count)."""
    page.get_by_text(expected_text).first.wait_for()
    page.wait_for_selector(IDLE)
    states = page.evaluate("() => window.__states.splice(0)")
    done = [t for t, state in states if state == "notRunning"]
    return (done[-1] - clicked_at) / 1000 if done else float("nan")


def select(page, key: str, option: str) -> float:
    """Pick ``option`` in the selectbox with widget key ``key``; returns the page's clock
    (ms) at the click."""
    page.locator(f".st-key-{key}").get_by_role("combobox").click()
    page.keyboard.type(option)  # the menu is virtualised: filter it to bring the option in
    if not page.evaluate("() => Array.isArray(window.__states)"):
        page.evaluate(WATCH_STATE)
    clicked_at = page.evaluate("() => performance.now()")
    page.get_by_role("option", name=option, exact=True).click()
    return clicked_at


def combobox(page, key: str) -> str:
    """The option a selectbox shows (its combobox input's text)."""
    return page.locator(f".st-key-{key}").get_by_role("combobox").input_value()


def shots_wanted() -> bool:
    """Screenshots of every page are taken only when asked for (``INITLAB_SHOTS=1``): they
    are for a person to look at, and cost about 2 s each. A failing layout check always
    keeps its own."""
    return os.environ.get("INITLAB_SHOTS", "") not in ("", "0")


def content_height(page) -> int:
    """The page's content height in pixels: Streamlit scrolls inside its main container, so
    a full-page screenshot needs a viewport this tall."""
    return int(page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stAppViewContainer], section')]"
        ".map(e => e.scrollHeight))"))


def screenshot(page, name: str) -> Path | None:
    """Full-page screenshot, with ``INITLAB_SHOTS=1`` (:func:`shots_wanted`): Streamlit
    scrolls inside its main container, so the viewport is made as tall as the content
    first."""
    if not shots_wanted():
        return None
    SHOTS.mkdir(exist_ok=True)
    settle(page)
    page.set_viewport_size({"width": WIDTH, "height": min(content_height(page) + 40, 16000)})
    settle(page)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    return path




#: JavaScript that lists what a reader cannot read on the page: text boxes of a plotly
#: chart that overlap (titles, axis titles, tick labels, legend entries, annotations,
#: slider and buttons, from their bounding boxes in the DOM), chart text cut by the chart's
#: edge (plotly does not wrap a long title), metric tiles whose text is
#: cut ("0.0…": scrollWidth beyond clientWidth) and elements that run off the right edge of
#: the page's main column. Each problem is a short string.
LAYOUT_PROBLEMS = r"""() => {
    const problems = [];
    const visible = (el) => {
        for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
            const s = getComputedStyle(e);
            if (s.display === 'none' || s.visibility === 'hidden' || +s.opacity === 0
                    || s.clipPath.startsWith('inset(50%') || s.clip === 'rect(0px, 0px, 0px, 0px)')
                return false;  // also what is hidden for screen readers only
        }
        const f = getComputedStyle(el).fill || '';
        return !/rgba\([^)]*,\s*0\)$/.test(f);
    };
    const owner = (t) => {
        const kinds = /tick|title|annotation|legend|slider|updatemenu|colorbar|cbaxis/;
        for (let e = t.parentElement; e && e.tagName !== 'svg'; e = e.parentElement) {
            const c = e.getAttribute('class') || '';
            if (kinds.test(c)) return c.split(' ')[0];
        }
        return 'other';
    };
    const chartTitle = (chart) => {
        const t = chart.querySelector('.gtitle');
        return t ? t.textContent.slice(0, 50) : '(untitled chart)';
    };
    document.querySelectorAll('[data-testid="stPlotlyChart"]').forEach((chart) => {
        const boxes = [];
        const svg = chart.querySelector('.main-svg');
        const edge = svg ? svg.getBoundingClientRect() : null;
        chart.querySelectorAll('svg text').forEach((t) => {
            if (t.closest('.hoverlayer') || !t.textContent.trim() || !visible(t)) return;
            const r = t.getBoundingClientRect();
            if (r.width < 1 || r.height < 1) return;
            boxes.push({r, text: t.textContent.trim().slice(0, 40), group: owner(t)});
            if (edge && (r.left < edge.left - 2 || r.right > edge.right + 2))
                problems.push(`chart "${chartTitle(chart)}": "${t.textContent.trim()
                    .slice(0, 40)}" (${owner(t)}) is cut by the chart's edge`);
        });
        for (let i = 0; i < boxes.length; i++) {
            for (let j = i + 1; j < boxes.length; j++) {
                const a = boxes[i].r, b = boxes[j].r;
                const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                if (dx > 1.5 && dy > 1.5)
                    problems.push(`chart "${chartTitle(chart)}": "${boxes[i].text}" `
                        + `(${boxes[i].group}) overlaps "${boxes[j].text}" (${boxes[j].group})`);
            }
        }
    });
    document.querySelectorAll('[data-testid="stMetric"] *').forEach((el) => {
        if (el.children.length === 0 && el.textContent.trim()
                && el.scrollWidth > el.clientWidth + 1)
            problems.push(`metric tile text cut: "${el.textContent.trim()}"`);
    });
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (main) {
        const right = Math.min(main.getBoundingClientRect().right,
                               document.documentElement.clientWidth) + 2;
        main.querySelectorAll('*').forEach((el) => {
            const r = el.getBoundingClientRect();
            const up = el.parentElement.getBoundingClientRect();
            // only the outermost element of each overflow: its parent still fits
            if (r.width > 1 && r.height > 1 && r.right > right && up.right <= right
                    && visible(el)
                    && !el.closest('.hoverlayer'))
                problems.push(`off the right edge by ${Math.round(r.right - right)} px: `
                    + `<${el.tagName.toLowerCase()}> in `
                    + `${(el.closest('[data-testid]') || el).getAttribute('data-testid')} "`
                    + `${(el.textContent || el.getAttribute('aria-label') || '').trim()
                        .slice(0, 40)}"`);
        });
    }
    return [...new Set(problems)];
}"""


#: JavaScript that resolves once the page is idle: the script has finished, every visible
#: chart has been drawn, and nothing in the page has changed for ``quiet`` ms (plotly draws
#: each chart after the script ends and redraws it when Streamlit's columns take their
#: width: both are DOM mutations). Resolves with the milliseconds it waited; gives up after
#: ``limit`` ms (the probe that follows then reports what it sees).
SETTLE = r"""([quiet, limit]) => new Promise((resolve) => {
    const start = performance.now();
    let last = start;
    const observer = new MutationObserver(() => { last = performance.now(); });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                     characterData: true});
    const busy = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return true;
        return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
            .some((c) => c.offsetParent !== null && !c.querySelector('.main-svg'));
    };
    const tick = () => {
        const now = performance.now();
        if ((!busy() && now - last >= quiet) || now - start >= limit) {
            observer.disconnect();
            resolve(now - start);
        } else {
            setTimeout(tick, 40);
        }
    };
    setTimeout(tick, 40);
})"""


def settle(page, quiet_ms: int = 300, limit_ms: int = 15_000) -> float:
    """Wait for the page's own idle signal (:data:`SETTLE`); returns the seconds waited."""
    page.wait_for_selector(IDLE)
    return page.evaluate(SETTLE, [quiet_ms, limit_ms]) / 1000


def layout_problems(page) -> list[str]:
    """:data:`LAYOUT_PROBLEMS` of the page once it has settled (:func:`settle`)."""
    settle(page)
    return page.evaluate(LAYOUT_PROBLEMS)
