"""The last line of defence: an unexpected exception becomes one short message, not a
traceback (:func:`guarded`). Used by ``dashboard.py`` around training and each tab, and by
the fragments (:func:`sim.app.panels.epoch_sections`), which rerun without the script."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from sim import Config
from sim.app.state import md_escape
from sim.validate import shorten

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
