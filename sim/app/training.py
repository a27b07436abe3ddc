"""Training from the page: cached by the config's JSON, with a progress bar for long runs."""

from __future__ import annotations

import streamlit as st

import sim
from sim import Config, Result

#: Runs estimated to take longer than this (seconds) show a progress bar.
PROGRESS_SECONDS = 1.0


@st.cache_data(max_entries=16, show_spinner=False)
def run_training(config_json: str, _result: Result | None = None) -> Result:
    """The trained comparison of ``config_json`` (cached: the JSON is the key).

    ``_result`` (not part of the key) stores a result trained outside, with a progress bar:
    Streamlit would record, and later replay, progress-bar updates made inside a cached
    function.
    """
    if _result is not None:
        return _result
    return sim.train_comparison(Config.from_json(config_json))


@st.cache_resource
def _seen_configs() -> set[str]:
    """Configs trained in this server process (decides whether to show a progress bar)."""
    return set()


def train(cfg: Config) -> Result:
    """Train (or fetch from the cache), with a progress bar for long runs."""
    key = cfg.to_json(indent=None)
    seen = _seen_configs()
    seconds, _ = sim.estimate_cost(cfg)
    if key in seen or seconds <= PROGRESS_SECONDS:
        result = run_training(key)
    else:
        text = (f"Training {cfg.n_runs} networks for {cfg.epochs} epochs "
                f"(up to about {seconds:.0f} s)…")
        bar = st.progress(0.0, text=text)
        try:
            trained = sim.train_comparison(
                cfg, progress=lambda f: bar.progress(min(max(f, 0.0), 1.0), text=text))
        finally:
            bar.empty()
        result = run_training(key, _result=trained)
    seen.add(key)
    return result
