"""The presenter view: one chart at a time, large, for a 1280×720 projector.

A toggle at the top of the page (and the URL parameter ``present=1``) hides the sidebar,
enlarges the text and shows one slide: a chart of the Compare tab for both sides, the
headline number of each side above it ("8 units → 1 neuron", :mod:`sim.explain.headlines`)
and Previous / Next buttons. The slide is kept in the page address (``slide=3``), so a
teacher can open the lecture on the slide they want.
"""

from __future__ import annotations

import streamlit as st

from sim import Result, charts
from sim.app.panels import VIEW_CONTROLS, paired, side_header
from sim.app.state import current_view
from sim.explain.headlines import headline

#: Page style while presenting: no sidebar (nor its open button), less padding, larger text.
PRESENT_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding: 2.2rem 2rem 1rem 2rem; max-width: 100%;}
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li
{font-size: 1.15rem;}
.initlab-headline {font-size: 1.9rem; font-weight: 700; line-height: 1.2;
                   margin: 0 0 0.3rem 0;}
</style>
"""

#: Plotly's base font size on a slide (14 elsewhere).
SLIDE_FONT = 16


def slides() -> list[charts.ChartSpec]:
    """The slides: every per-initialization chart of the Compare tab, in page order."""
    return [spec for _, specs in charts.sections("compare") for spec in specs
            if spec.per_init]


def slide_index(n: int) -> int:
    """The slide on screen (0-based), kept within ``0..n-1``."""
    k = st.session_state.get("slide", 1)
    k = k if isinstance(k, int) else 1
    return min(max(k, 1), n) - 1


def _go(step: int, n: int) -> None:
    st.session_state["slide"] = slide_index(n) + 1 + step


def presenter(result: Result) -> None:
    """One slide: its number and title between Previous and Next, each side's headline,
    then the chart of each side with its caption."""
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    specs = slides()
    n = len(specs)
    k = slide_index(n)
    spec = specs[k]
    left, mid, right = st.columns([1, 5, 1], vertical_alignment="center")
    left.button("◀ Previous", on_click=_go, args=(-1, n), disabled=k == 0,
                use_container_width=True, key="slide_prev")
    mid.markdown(f"<div style='text-align:center;font-size:1.5rem;font-weight:600'>"
                 f"{k + 1} / {n} · {spec.title}</div>", unsafe_allow_html=True)
    right.button("Next ▶", on_click=_go, args=(1, n), disabled=k == n - 1,
                 use_container_width=True, key="slide_next")
    for option in spec.options:
        if option in VIEW_CONTROLS:
            VIEW_CONTROLS[option](result)
    view = current_view(result)
    cols = st.columns(2, gap="large")
    for i, col in enumerate(cols[:len(result.config.inits)]):
        with col:
            st.markdown(side_header(result, i), unsafe_allow_html=True)
            st.markdown(f"<div class='initlab-headline'>"
                        f"{headline(result, spec.name, i, view.snapshot)}</div>",
                        unsafe_allow_html=True)
    paired(result, spec, view, font=SLIDE_FONT)
