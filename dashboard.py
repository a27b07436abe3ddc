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

import logging
import time
from collections.abc import Callable

import streamlit as st

from sim import PRESETS, Config, ConfigError, Result
from sim.app.compare import compare_tab
from sim.app.export_tab import export_tab
from sim.app.links import page_params, sync_url
from sim.app.more import more_tab
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
from sim.app.training import train
from sim.app.why import why_tab
from sim.presets import DEFAULT_PRESET
from sim.validate import shorten

INTRO = (
    "A neural network learns by giving each hidden unit its own job. If every weight starts "
    "at the same value (zero, say), every unit of a layer computes the same output, receives "
    "the same gradient and makes the same update, step after step: the layer behaves like a "
    "single neuron, however wide it is. With tanh or ReLU it is worse: the units output 0 "
    "and no gradient reaches them at all. Random initial weights break this symmetry. Below, "
    "the same network is trained twice on the same data, once per initialization, "
    "**left** and **right**; pick a preset in the sidebar or change any setting."
)

#: The tabs, in order, and what draws each.
TAB_RENDERERS = dict(zip(TABS, (compare_tab, why_tab, more_tab, export_tab), strict=True))


#: Unexpected exceptions caught by :func:`guarded` are logged here, with the traceback (the
#: server's console); the dashboard's tests fail on any such record.
log = logging.getLogger("sim.app.dashboard")


def guarded(what: str, cfg: Config, fn: Callable, *args):
    """``fn(*args)``, or None after an unexpected exception: the last line of defence.

    A problem a user can cause (a setting, a link, a file) is a :class:`ConfigError`
    answered where it arises; anything else reaching here is a bug. The user gets one short
    message naming ``what`` failed instead of a traceback, the server's log gets the
    traceback and the configuration to reproduce it. Streamlit's own stop and rerun
    signals are not ``Exception``s and pass through.
    """
    try:
        return fn(*args)
    except Exception as exc:  # the point: no traceback on the page
        log.exception("%s failed for the configuration %s", what, cfg.to_json(indent=None))
        detail = md_escape(shorten(f"{type(exc).__name__}: {exc}", 160))
        st.error(f"**{what} failed** ({detail}). This is a bug in Init Lab, not in your "
                 "settings; the details are in the server's log.")
        return None


def main() -> None:
    st.set_page_config(page_title="Init Lab: zero vs random initialization", layout="wide",
                       page_icon="🧮")
    t_start = time.perf_counter()
    train_seconds = 0.0
    ensure_state()
    st.title("Init Lab: why the weights must not all start at zero")
    st.markdown(INTRO)
    sync_preset_menu(st.session_state)
    try:
        cfg, error = validated_config(), None
    except ConfigError as exc:
        cfg, error = None, exc
    marked = sidebar(error)  # the problem goes under the widget that holds the bad value

    show_notice("url_notice", cfg.to_json(indent=None) if cfg is not None else "")
    result: Result | None = None
    if error is not None and marked is None:  # no widget on screen holds it
        st.error(f"**Invalid setting.** {md_escape(str(error))}")
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

    name = st.session_state["preset"]
    preset = PRESETS.get(name) or PRESETS.get(st.session_state.get("preset_from"),
                                              PRESETS[DEFAULT_PRESET])
    if name != CUSTOM and result.config == preset.config():
        st.info(f"**{preset.label}.** {preset.description}")
    else:
        origin = st.session_state.get("origin") or f"the preset “{preset.label}”"
        st.caption(f"Custom settings (started from {origin}).")

    current_view(result)  # settles the shown epoch before its slider exists
    tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
    for tab, (tab_name, render) in zip(tabs, TAB_RENDERERS.items(), strict=True):
        if tab.open is False:  # lazy tabs: only the open one is computed
            continue
        with tab:
            guarded(f"Drawing the {tab_name} tab", result.config, render, result)
    if cfg is not None and cfg == result.config:  # the address keeps the last valid one
        sync_url(page_params(result))
    st.caption(f"Page computed in {time.perf_counter() - t_start:.2f} s "
               f"(training or cache look-up {train_seconds:.2f} s).")


if __name__ == "__main__":  # Streamlit runs the script as __main__; tests import its helpers
    main()
