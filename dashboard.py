"""Init Lab: why neural-network weights must not all start at zero.

Run with ``streamlit run dashboard.py``. The script is thin, like Streamlit's own demos: the
sidebar (one widget per row of :data:`sim.fields.FIELDS`) fills the session state,
:meth:`sim.Config.from_dict` validates it (a refused value is explained once, under the
widget that holds it), training goes through ``st.cache_data`` and each tab draws what
:mod:`sim.charts` and :mod:`sim.explain` compute. Anything else that fails is one short
message naming what failed (:func:`guarded`), never a traceback. Everything Streamlit-specific
lives in :mod:`sim.app` (state, links, sidebar, one module per tab), which ``import sim``
never loads.
"""

from __future__ import annotations

import time

import streamlit as st

from sim import PRESETS, ConfigError, Result
from sim.app.compare import compare_tab
from sim.app.export_tab import export_tab
from sim.app.guard import guarded
from sim.app.links import page_params, sync_url
from sim.app.maptab import map_tab
from sim.app.more import more_tab
from sim.app.present import present_toggle, presenter, presenter_bar
from sim.app.sidebar import sidebar
from sim.app.state import (
    CUSTOM,
    TABS,
    current_view,
    ensure_state,
    md_escape,
    show_notice,
    sync_preset_menu,
    validated_config,
)
from sim.app.training import check_budget, server_problem, train
from sim.app.why import why_tab
from sim.presets import DEFAULT_PRESET
from sim.serve.service import BudgetError

INTRO = (
    "The same network is trained twice on the same data, **left** and **right**, from other "
    "initial weights: from all zeros the hidden units of a layer stay equal, so the layer "
    "acts as **one neuron**."
)

#: A compact page head, so that the numbers and the first chart fit a 1280×720 projector's
#: first screen (Streamlit's default leaves 6rem above a 2.75rem title).
PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] {padding-top: 2.6rem;}
[data-testid="stMainBlockContainer"] h1 {font-size: 1.6rem; padding: 0 0 0.2rem 0;}
[data-testid="stMetricValue"] {font-size: 1.45rem;}
[data-testid="stMetric"] label p {font-size: 0.85rem;}
</style>
"""

#: The tabs, in order, and what draws each.
TAB_RENDERERS = dict(zip(TABS, (compare_tab, why_tab, more_tab, map_tab, export_tab), strict=True))


def preset_note(result: Result) -> None:
    """What the shown comparison is: the preset's story, or where custom settings began."""
    name = st.session_state["preset"]
    preset = PRESETS.get(name) or PRESETS.get(st.session_state.get("preset_from"),
                                              PRESETS[DEFAULT_PRESET])
    if name != CUSTOM and result.config == preset.config():
        st.info(f"**{preset.label}.** {preset.description}")
    else:
        origin = st.session_state.get("origin") or f"the preset “{preset.label}”"
        st.caption(f"Custom settings (started from {origin}).")


def main() -> None:
    st.set_page_config(page_title="Init Lab: zero vs random initialization", layout="wide",
                       page_icon="🧮")
    t_start = time.perf_counter()
    train_seconds = 0.0
    ensure_state()
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    present = bool(st.session_state.get("present"))
    if present:  # the slide bar and the way out, before anything can fail
        presenter_bar()
    else:
        head, switch = st.columns([4, 1], vertical_alignment="center")
        head.title("Init Lab: why the weights must not all start at zero")
        present_toggle(switch)
        st.markdown(INTRO)
    problem = server_problem()
    if problem is not None:  # the server's own settings, not the page's: nothing can train
        st.error(f"**This server cannot train.** {md_escape(problem)}")
        st.stop()
    sync_preset_menu(st.session_state)
    try:
        cfg, error = validated_config(), None
        check_budget(cfg)  # what this server's memory budget can never train
    except ConfigError as exc:
        cfg, error = None, exc
    marked = sidebar(error)  # the problem goes under the widget that holds the bad value

    show_notice("url_notice", cfg.to_json(indent=None) if cfg is not None else "")
    result: Result | None = None
    if error is not None and marked is None:  # no widget on screen holds it
        title = ("Too large for this server." if isinstance(error, BudgetError)
                 else "Invalid setting.")
        st.error(f"**{title}** {md_escape(str(error))}")
    elif cfg is not None:
        t0 = time.perf_counter()
        result = guarded("Training this configuration", cfg, train, cfg)
        train_seconds = time.perf_counter() - t0
        if result is not None:
            st.session_state["last_result"] = result
    if result is None:
        result = st.session_state.get("last_result")
        if result is None:
            st.stop()
        where = f"the setting marked in the sidebar ({marked})" if marked else "the setting"
        st.caption(f"Showing the last valid result until {where} is fixed."
                   if error is not None else "Showing the last result that could be trained.")

    current_view(result)  # settles the shown epoch before its slider exists
    # The address keeps the last valid configuration; fragments (the epoch slider's
    # charts) update it on their own reruns when it is the one on screen.
    st.session_state["synced_config"] = result.config if cfg == result.config else None
    if present:
        guarded("Drawing the presenter view", result.config, presenter, result)
    else:
        if cfg == result.config:  # not a stale result shown under a refused setting
            preset_note(result)
        tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
        for tab, (tab_name, render) in zip(tabs, TAB_RENDERERS.items(), strict=True):
            if tab.open is False:  # lazy tabs: only the open one is computed
                continue
            with tab:
                guarded(f"Drawing the {tab_name} tab", result.config, render, result)
    if st.session_state["synced_config"] is not None:
        sync_url(page_params(result))
    st.caption(f"Page computed in {time.perf_counter() - t_start:.2f} s "
               f"(training or cache look-up {train_seconds:.2f} s).")


if __name__ == "__main__":  # Streamlit runs the script as __main__; tests import its helpers
    main()
