"""The presenter view: one chart at a time, large, for a 1280×720 projector.

A toggle at the top of the page (and the URL parameter ``present=1``) hides the sidebar,
enlarges the text and shows one slide: a chart of the Compare tab for both sides, the
headline number of each side above it ("8 units → 1 neuron", :mod:`sim.explain.headlines`)
and Previous / Next buttons. The slide is kept in the page address (``slide=3``), so a
teacher can open the lecture on the slide they want, and a preset by name
(``?preset=deep_relu&present=1&slide=3``: :data:`sim.app.links.PRESET_PARAM`).
"""

from __future__ import annotations

import streamlit as st

from sim import Result, charts
from sim.app.panels import VIEW_CONTROLS, paired, side_header
from sim.app.state import current_view, validated_config
from sim.config import Config, ConfigError
from sim.explain.headlines import headline

#: Page style while presenting: no sidebar (nor its open button), less padding, larger text.
PRESENT_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding: 0.8rem 2rem 1rem 2rem; max-width: 100%;}
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li
{font-size: 1.15rem;}
.initlab-headline {font-size: 1.7rem; font-weight: 700; line-height: 1.2;
                   margin: 0 0 0.2rem 0;}
</style>
"""

#: Plotly's base font size on a slide (14 elsewhere).
SLIDE_FONT = 16


def slides(config: Config | None = None) -> list[charts.ChartSpec]:
    """The slides: every per-initialization chart of the Compare tab, in page order; with
    ``config``, those that apply to it (a convnet's filters, not a dense network's)."""
    return [spec for _, specs in charts.sections("compare", config) for spec in specs
            if spec.per_init]


def _config_on_screen() -> Config | None:
    """The widgets' configuration, or None while it is not valid (the slides are then the
    charts that apply to every network)."""
    try:
        return validated_config()
    except ConfigError:
        return None


def slide_index(n: int) -> int:
    """The slide on screen (0-based), kept within ``0..n-1``."""
    k = st.session_state.get("slide", 1)
    k = k if isinstance(k, int) else 1
    return min(max(k, 1), n) - 1


def _go(step: int, n: int) -> None:
    st.session_state["slide"] = slide_index(n) + 1 + step


def present_toggle(container) -> None:
    """The Presenter view switch (session key ``present``), in ``container``."""
    container.toggle("Presenter view", key="present",
                     help="One chart at a time, large, without the sidebar: for a projector. "
                          "The page address keeps it (present=1).")


def presenter_bar() -> None:
    """The slide bar at the top: Previous, the slide's number and title, Next, and the
    switch back to the full page. Drawn before training, so that a configuration that
    cannot be trained still leaves the way out (the sidebar is hidden)."""
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    specs = slides(_config_on_screen())
    n = len(specs)
    k = slide_index(n)
    prev, mid, nxt, switch = st.columns([1.2, 4, 1.2, 1.4], vertical_alignment="center")
    prev.button("◀ Previous", on_click=_go, args=(-1, n), disabled=k == 0,
                use_container_width=True, key="slide_prev")
    mid.markdown(f"<div style='text-align:center;font-size:1.5rem;font-weight:600'>"
                 f"{k + 1} / {n} · {specs[k].title}</div>", unsafe_allow_html=True)
    nxt.button("Next ▶", on_click=_go, args=(1, n), disabled=k == n - 1,
               use_container_width=True, key="slide_next")
    present_toggle(switch)


def presenter(result: Result) -> None:
    """The slide's controls, each side's name and headline, then the chart of each side
    with its caption (under :func:`presenter_bar`)."""
    specs = slides(result.config)
    spec = specs[slide_index(len(specs))]
    for option in spec.options:
        if option in VIEW_CONTROLS:
            VIEW_CONTROLS[option](result)
    view = current_view(result)
    cols = st.columns(2, gap="large")
    for i, col in enumerate(cols[:len(result.config.inits)]):
        with col:
            st.markdown(f"<div class='initlab-headline'>{side_header(result, i, inline=True)}"
                        f" {headline(result, spec.name, i, view.snapshot)}</div>",
                        unsafe_allow_html=True)
    paired(result, spec, view, font=SLIDE_FONT)
