"""The Compare tab: the metrics row, then the registry's "compare" sections (loss, weights,
effective neurons, decision boundary)."""

from __future__ import annotations

from sim import Result
from sim.app.panels import chart_sections, metrics_row


def compare_tab(result: Result) -> None:
    """The main view: final numbers of each side, then every chart of the tab."""
    metrics_row(result)
    chart_sections(result, "compare")
