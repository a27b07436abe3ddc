"""Charts of a trained comparison: pure functions from a :class:`~sim.train.Result` to figures.

Every function here takes a result (plus options) and returns a ``plotly.graph_objects.Figure``;
nothing imports Streamlit, so the dashboard, the command line and the export all draw the same
charts. :data:`CHARTS` lists them by the name used in file names, and :func:`all_figures`
builds every chart of a result at once.

The package has one module per concern, and every name is re-exported here:

* :mod:`sim.charts.style`: template, colours, titles, legends, log and linear axes, notes;
* :mod:`sim.charts.names`: chart keys, initialization labels and slugs, file names;
* :mod:`sim.charts.curves`: loss, loss overlay, accuracy and gradient-norm curves;
* :mod:`sim.charts.weights`: weight heatmaps and their shared colour range;
* :mod:`sim.charts.neurons`: effective neurons, symmetry gap, activation distributions;
* :mod:`sim.charts.boundary`: decision boundary (or the fit of a 1-D regression).

The captions (``caption_*``) live in the pure package :mod:`sim.explain` (no plotly) and are
re-exported here.

Conventions shared by every chart
---------------------------------
* One colour per initialization (:func:`init_color`), the same in every chart; the layers of
  one initialization are shades of its colour (light = first layer, dark = last).
* Charts drawn once per initialization (``init_index=i``) take their axis ranges from *all*
  initializations of the result, so the left and right panels of the dashboard share their
  scales and can be compared at a glance.
* With several seeds a curve is the mean over the seeds and a band shows their spread
  (``band="minmax"`` or ``"std"``).
* Log-scale charts cannot show 0; exact zeros (a perfectly symmetric layer, a gradient that
  never reaches a dead layer) are drawn at :data:`ZERO_FLOOR` and the chart says so.
* Weight heatmaps follow the engine's convention (see :mod:`sim.network`): ``W`` has shape
  ``(units, inputs)``, so the y axis is the unit of the layer and the x axis its input (a unit
  of the previous layer); identical rows are identical neurons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import plotly.graph_objects as go

from sim.charts.boundary import MULTICLASS_RESOLUTION, decision_boundary
from sim.charts.curves import (
    accuracy_curves,
    gradient_norms,
    loss_axis_title,
    loss_curves,
    loss_overlay,
)
from sim.charts.names import chart_key, config_hash, export_filename, init_label, init_slug
from sim.charts.neurons import (
    METRIC_LABELS,
    activation_distribution,
    effective_neurons,
    symmetry_gap,
)
from sim.charts.style import INIT_COLORS, ZERO_FLOOR, init_color, layer_shades
from sim.charts.weights import weight_heatmaps, weight_range
from sim.explain.captions import (
    caption_boundary,
    caption_grad_norm,
    caption_loss,
    caption_neurons,
    caption_symmetry_gap,
    caption_weights,
)
from sim.explain.reading import MAX_LAYERS, distinct_rows, shown_layers
from sim.train import Result

__all__ = [
    "CHARTS",
    "ChartSpec",
    "INIT_COLORS",
    "MAX_LAYERS",
    "METRIC_LABELS",
    "MULTICLASS_RESOLUTION",
    "ZERO_FLOOR",
    "accuracy_curves",
    "activation_distribution",
    "all_figures",
    "caption_boundary",
    "caption_grad_norm",
    "caption_loss",
    "caption_neurons",
    "caption_symmetry_gap",
    "caption_weights",
    "chart_key",
    "config_hash",
    "decision_boundary",
    "distinct_rows",
    "effective_neurons",
    "export_filename",
    "gradient_norms",
    "init_color",
    "init_label",
    "init_slug",
    "layer_shades",
    "loss_axis_title",
    "loss_curves",
    "loss_overlay",
    "shown_layers",
    "symmetry_gap",
    "weight_heatmaps",
    "weight_range",
]

@dataclass(frozen=True)
class ChartSpec:
    """A chart in :data:`CHARTS`.

    Attributes
    ----------
    name : str
        Used in file names.
    title : str
        Human label.
    per_init : bool
        Whether the chart is drawn once per initialization (``build(result, i, **opts)``) or
        once for the whole comparison (``build(result, **opts)``).
    build : callable
        Returns a figure, or None when the chart does not apply (e.g. accuracy for a
        regression, a decision boundary for 3-D data).
    options : tuple of str
        Keyword options of :func:`all_figures` the chart takes.
    """

    name: str
    title: str
    per_init: bool
    build: Callable[..., go.Figure | None]
    options: tuple[str, ...] = ()


CHARTS: dict[str, ChartSpec] = {c.name: c for c in [
    ChartSpec("loss_overlay", "Loss of all initializations", False, loss_overlay,
              ("log_y", "band")),
    ChartSpec("accuracy", "Accuracy of all initializations", False, accuracy_curves,
              ("band",)),
    ChartSpec("loss", "Loss curves", True, loss_curves, ("log_y", "band")),
    ChartSpec("weights", "Weight heatmaps", True, weight_heatmaps, ("snapshot", "seed")),
    ChartSpec("neurons", "Effective neurons", True, effective_neurons, ("metric", "band")),
    ChartSpec("boundary", "Decision boundary", True, decision_boundary, ("snapshot", "seed")),
    ChartSpec("grad_norm", "Gradient norm per layer", True, gradient_norms, ("band",)),
    ChartSpec("activations", "Activation distribution", True, activation_distribution,
              ("seed",)),
    ChartSpec("symmetry_gap", "Symmetry gap", True, symmetry_gap, ("band",)),
]}


def all_figures(result: Result, *, log_y: bool = True, band: str = "minmax",
                metric: str = "distinct_neurons", snapshot: int = -1, seed: int = 0
                ) -> dict[str, go.Figure]:
    """Every chart of a result, keyed by a file-name stem such as ``loss_init1-zeros``.

    Charts that do not apply to the result (accuracy of a regression, a decision boundary
    of 3-D data) are left out.
    """
    opts = {"log_y": log_y, "band": band, "metric": metric, "snapshot": snapshot,
            "seed": seed}
    out: dict[str, go.Figure] = {}
    for spec in CHARTS.values():
        kw = {k: opts[k] for k in spec.options}
        if spec.per_init:
            for i in range(len(result.config.inits)):
                fig = spec.build(result, i, **kw)
                if fig is not None:
                    out[chart_key(result, spec.name, i)] = fig
        else:
            fig = spec.build(result, **kw)
            if fig is not None:
                out[spec.name] = fig
    return out
