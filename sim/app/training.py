"""Training from the page: one :class:`~sim.serve.TrainingService` per server process, shared
by every session (worker processes, a queue, one memory budget, the results cache), and what
a session sees while it waits: nothing for a short training, its place in the queue, or a
progress bar for a long one."""

from __future__ import annotations

import logging
import math
import time

import streamlit as st

from sim import Config, Result, blas
from sim.app.state import md_escape
from sim.serve import SettingError, Settings, TrainingService
from sim.serve.service import PROGRESS_SECONDS, BudgetError, ServiceClosed, describe

log = logging.getLogger("sim.app.training")

#: Seconds between two looks at the queue while a session waits.
POLL_SECONDS = 0.2


@st.cache_resource(show_spinner=False, on_release=lambda service: service.close())
def service() -> TrainingService:
    """The server process's training service, made from the environment's settings
    (:mod:`sim.serve.settings`) on first use."""
    blas.single_thread()  # once, as the server starts (sim.blas)
    svc = TrainingService(Settings.from_env())
    svc.warm()
    log.info(describe(svc))
    return svc


def server_problem() -> str | None:
    """Why this server cannot train (a wrong setting in its environment, an unreachable
    Dask scheduler), or None; the service is made on the first call."""
    try:
        service()
    except SettingError as exc:
        log.error("%s", exc)
        return str(exc)
    return None


def check_budget(cfg: Config) -> None:
    """Raise :class:`~sim.ConfigError` for a configuration this server's memory budget can
    never train (``INITLAB_MEMORY``)."""
    service().check(cfg)


def queue_message(ahead: int, seconds: float, reason: str = "worker") -> str:
    """``"Waiting for a free worker: 2 trainings ahead of you, about 20 s."`` (or for
    memory, when the server's memory budget holds the training back)."""
    s = "" if ahead == 1 else "s"
    what = "memory" if reason == "memory" else "a free worker"
    return (f"Waiting for {what}: {ahead} training{s} ahead of you, about "
            f"{max(1, math.ceil(seconds))} s.")


def train(cfg: Config) -> Result | None:
    """The trained comparison of ``cfg``: from the cache, from a training another session
    started, or trained now (waiting in the queue when the server is busy). A service closed
    meanwhile (its caches cleared) hands over to the new one."""
    while True:
        try:
            return _train(service(), cfg)
        except ServiceClosed:
            continue
        except BudgetError as exc:  # the server grew while it waited: a message, no bug
            st.error(f"**Too large for this server.** {md_escape(str(exc))}")
            return None


def _train(svc: TrainingService, cfg: Config) -> Result:
    ticket = svc.request(cfg)
    slot, shown, shown_at = None, None, 0.0
    text = (f"Training {cfg.n_runs} networks for {cfg.epochs} epochs "
            f"(up to about {max(1, math.ceil(ticket.seconds))} s)…")
    try:
        while (result := svc.wait(ticket, POLL_SECONDS)) is None:
            ahead, seconds = svc.position(ticket)
            if slot is None:
                slot = st.empty()
            if ahead:
                message = queue_message(ahead, seconds, ticket.reason)
                # Sent when it changes, and every second: each element sent is also when a
                # rerun or stop the student asked for takes effect.
                if message != shown or time.monotonic() - shown_at > 1.0:
                    slot.info(message)
                    shown, shown_at = message, time.monotonic()
            elif ticket.seconds > PROGRESS_SECONDS:
                slot.progress(ticket.progress(), text=text)
                shown = None
            else:
                slot.empty()
        return result
    finally:
        svc.release(ticket)
        if slot is not None:
            slot.empty()
