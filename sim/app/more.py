"""The More charts tab: the registry's "more" sections (gradient norms, activation
distributions, symmetry gap)."""

from __future__ import annotations

from sim import Result
from sim.app.panels import chart_sections


def more_tab(result: Result) -> None:
    """Every chart of the tab, from the registry."""
    chart_sections(result, "more")
