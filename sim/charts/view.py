"""The chart options on screen (:class:`View`): what the dashboard shows and exports.

Plain data, no plotly: the dashboard builds a :class:`View` from its widgets, and
:func:`sim.charts.figures` / :func:`sim.charts.draw` turn it into each chart's options, so the
exported charts are drawn with the options the user sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.train import Result

#: How the weight heatmaps' colour range is chosen: by both sides at the shown epoch, by
#: each side on its own, or by both sides over every stored epoch (colours then compare
#: along the epoch slider and while playing).
WEIGHT_SCALES = {"shared": "shared by both sides", "side": "each side its own",
                 "fixed": "fixed over all epochs"}

#: The effective-neuron counts a page can show, by the name of their metric.
METRIC_TITLES = {"distinct_neurons": "distinct neurons", "rank": "rank",
                 "effective_rank": "effective rank", "dead_units": "dead units"}


@dataclass(frozen=True)
class View:
    """The chart options on screen; exported charts are drawn with the same ones."""

    log_y: bool
    metric: str
    snapshot: int  # index into result.history.snapshot_epochs
    weight_scale: str = "shared"  # a key of WEIGHT_SCALES
    layer: int = 0  # the hidden layer of the unit trajectories (0 = the first)
    weight_layers: tuple[int, ...] = ()  # the heatmaps' layers (0-based); () = the default
    frames: bool = True  # animated charts carry every epoch as a plotly frame

    def describe(self, result: Result) -> str:
        epoch = int(result.history.snapshot_epochs[self.snapshot])
        return (f"{'logarithmic' if self.log_y else 'linear'} loss axis; weights and decision "
                f"boundary at epoch {epoch}; effective neurons counted as "
                f"{METRIC_TITLES[self.metric]}; weight colours "
                f"{WEIGHT_SCALES[self.weight_scale]}")

    def options(self) -> dict[str, bool | str | int]:
        """The keyword options of :func:`sim.charts.all_figures` this view sets (the others,
        the band and the seed, keep their defaults, as on screen)."""
        return {"log_y": self.log_y, "metric": self.metric, "snapshot": self.snapshot,
                "weight_scale": self.weight_scale, "layer": self.layer,
                "layers": list(self.weight_layers) or None, "frames": self.frames}
