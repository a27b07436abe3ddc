"""The chart options on screen (:class:`View`): what the dashboard shows and exports.

Plain data, no plotly: the dashboard builds a :class:`View` from its widgets, and
:func:`sim.charts.figures` / :func:`sim.charts.draw` turn it into each chart's options, so the
exported charts are drawn with the options the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.train import Result

#: The effective-neuron counts a page can show, by the name of their metric.
METRIC_TITLES = {"distinct_neurons": "distinct neurons", "rank": "rank",
                 "effective_rank": "effective rank", "dead_units": "dead units"}


@dataclass(frozen=True)
class View:
    """The chart options on screen; exported charts are drawn with the same ones."""

    log_y: bool
    metric: str
    snapshot: int  # index into result.history.snapshot_epochs

    def describe(self, result: Result) -> str:
        epoch = int(result.history.snapshot_epochs[self.snapshot])
        return (f"{'logarithmic' if self.log_y else 'linear'} loss axis; weights and decision "
                f"boundary at epoch {epoch}; effective neurons counted as "
                f"{METRIC_TITLES[self.metric]}")

    def options(self) -> dict[str, bool | str | int]:
        """The keyword options of :func:`sim.charts.all_figures` this view sets (the others,
        the band and the seed, keep their defaults, as on screen)."""
        return {"log_y": self.log_y, "metric": self.metric, "snapshot": self.snapshot}
