"""Charts of a trained comparison: pure functions from a :class:`~sim.train.Result` to figures.

Every function here takes a result (plus options) and returns a ``plotly.graph_objects.Figure``;
nothing imports Streamlit, so the dashboard, the command line and the export all draw the same
charts. :data:`CHARTS` lists them by the name used in file names, with the dashboard tab and
section each belongs to and its caption; :func:`all_figures` builds every chart of a result at
once, :func:`figures` and :func:`draw` build them with the options on screen (a :class:`View`).

The package has one module per concern, and every name is re-exported here:

* :mod:`sim.charts.style`: template, colours, titles, legends, log and linear axes, notes;
* :mod:`sim.charts.names`: chart keys, initialization labels and slugs, file names;
* :mod:`sim.charts.curves`: loss, loss overlay, accuracy and gradient-norm curves;
* :mod:`sim.charts.weights`: weight heatmaps and their shared colour range;
* :mod:`sim.charts.neurons`: effective neurons, symmetry gap, activation distributions;
* :mod:`sim.charts.trajectories`: each hidden unit's incoming weight over the epochs;
* :mod:`sim.charts.network`: the network drawn, identical units as one node, dead ones grey;
* :mod:`sim.charts.boundary`: decision boundary (or the fit of a 1-D regression);
* :mod:`sim.charts.filters`: conv networks: the filters, the feature maps of one image, the
  effective filters, sample images of an image dataset;
* :mod:`sim.charts.motion`: frames, an epoch slider and play / pause for the charts of one
  epoch;
* :mod:`sim.charts.view`: :class:`View`, the options on screen (plain data).

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
from sim.charts.filters import (
    conv_filters,
    effective_filters,
    feature_maps,
    has_conv,
    has_images,
    sample_images,
)
from sim.charts.names import chart_key, config_hash, export_filename, init_label, init_slug
from sim.charts.network import network_diagram
from sim.charts.neurons import (
    METRIC_LABELS,
    activation_distribution,
    effective_neurons,
    symmetry_gap,
)
from sim.charts.style import INIT_COLORS, ZERO_FLOOR, init_color, layer_shades
from sim.charts.trajectories import unit_trajectories
from sim.charts.view import METRIC_TITLES, View
from sim.charts.weights import weight_heatmaps, weight_range
from sim.config import Config
from sim.explain.captions import (
    caption_boundary,
    caption_grad_norm,
    caption_loss,
    caption_neurons,
    caption_symmetry_gap,
    caption_weights,
    intro_activations,
    intro_grad_norm,
    intro_symmetry_gap,
)
from sim.explain.filters import (
    caption_effective_filters,
    caption_feature_maps,
    caption_filters,
)
from sim.explain.reading import MAX_LAYERS, distinct_rows, shown_layers
from sim.train import Result

__all__ = [
    "CHARTS",
    "CHART_TABS",
    "EPOCH_SECTION",
    "ChartSpec",
    "INIT_COLORS",
    "MAX_LAYERS",
    "METRIC_LABELS",
    "METRIC_TITLES",
    "MULTICLASS_RESOLUTION",
    "View",
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
    "conv_filters",
    "decision_boundary",
    "distinct_rows",
    "draw",
    "effective_filters",
    "effective_neurons",
    "export_filename",
    "feature_maps",
    "figures",
    "gradient_norms",
    "init_color",
    "init_label",
    "init_slug",
    "layer_shades",
    "loss_axis_title",
    "loss_curves",
    "loss_overlay",
    "network_diagram",
    "sample_images",
    "sections",
    "shown_layers",
    "symmetry_gap",
    "unit_trajectories",
    "weight_heatmaps",
    "weight_range",
]

#: The dashboard tabs that show charts (:attr:`ChartSpec.tab`), as in the page's ``tab`` URL
#: parameter.
CHART_TABS = ("compare", "more")

#: The Compare tab's section of the charts of one epoch (weights, unit trajectories, the
#: network drawn, the decision boundary): the dashboard shows them one kind at a time, in
#: tabs under one epoch slider.
EPOCH_SECTION = "3 · The network at one epoch"


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
    tab : {"compare", "more"}
        The dashboard tab that shows the chart (:data:`CHART_TABS`).
    section : str
        The heading of the page section the chart is drawn under; charts with the same
        heading share a section (:func:`sections`). Empty: a section of its own, headed by
        ``title``.
    caption : callable, optional
        ``caption(result, i, view) -> str``, the sentence under the chart of initialization
        ``i`` drawn with ``view`` (a :class:`View`); None for a chart without a caption.
    intro : callable, optional
        ``intro(result) -> str``, a sentence under the section heading, before the charts.
    absent : str
        What the page says where the chart does not apply (its builder returned None).
    applies : callable
        ``applies(config) -> bool``: whether the chart belongs to the page of a result of
        this configuration at all (default: always; read from the config alone, so the
        presenter view can number its slides before training). A chart for which it is
        False is left out of the page, its sections and :func:`all_figures` without a word
        (the filters of a dense network),
        and :func:`draw` gives None for it; one that applies but whose builder returns None
        shows ``absent``.
    """

    name: str
    title: str
    per_init: bool
    build: Callable[..., go.Figure | None]
    options: tuple[str, ...] = ()
    tab: str = "more"
    section: str = ""
    caption: Callable[[Result, int, View], str] | None = None
    intro: Callable[[Result], str] | None = None
    absent: str = "This chart does not apply to this configuration."
    applies: Callable[[Config], bool] = lambda config: True

    def __post_init__(self) -> None:
        if self.tab not in CHART_TABS:
            raise ValueError(f"Unknown tab {self.tab!r} for chart {self.name!r}. Valid names: "
                             f"{', '.join(CHART_TABS)}.")

    @property
    def heading(self) -> str:
        """The section heading the chart is drawn under."""
        return self.section or self.title


CHARTS: dict[str, ChartSpec] = {c.name: c for c in [
    # The data first, for image datasets only: what the filters below learn to tell apart.
    ChartSpec("samples", "Sample images", False, sample_images, (), tab="compare",
              section="The images", applies=has_images),
    ChartSpec("loss_overlay", "Loss of all initializations", False, loss_overlay,
              ("log_y", "band"), tab="compare", section="1 · Loss"),
    ChartSpec("accuracy", "Accuracy of all initializations", False, accuracy_curves,
              ("band",), tab="compare", section="1 · Loss",
              absent="Accuracy applies to classification datasets; this one is a regression."),
    ChartSpec("loss", "Loss curves", True, loss_curves, ("log_y", "band"), tab="compare",
              section="1 · Loss", caption=lambda r, i, view: caption_loss(r, i)),
    ChartSpec("neurons", "Effective neurons", True, effective_neurons, ("metric", "band"),
              tab="compare", section="2 · Effective neurons",
              caption=lambda r, i, view: caption_neurons(r, i)),
    ChartSpec("effective_filters", "Effective filters", True, effective_filters,
              ("metric", "band"), tab="compare", section="2 · Effective neurons",
              applies=has_conv,
              caption=lambda r, i, view: caption_effective_filters(r, i, view.metric)),
    ChartSpec("weights", "Weight heatmaps", True, weight_heatmaps,
              ("snapshot", "seed", "weight_scale", "layers", "frames"),
              tab="compare", section=EPOCH_SECTION,
              caption=lambda r, i, view: caption_weights(r, i, view.snapshot)),
    ChartSpec("trajectories", "Unit trajectories", True, unit_trajectories,
              ("snapshot", "seed", "layer", "frames"), tab="compare", section=EPOCH_SECTION),
    # Not for conv networks yet: the network drawn and the activations feed the training
    # inputs straight to the first dense layer (reading.dead_unit_masks,
    # neurons._hidden_outputs), whose inputs are the flattened feature maps.
    ChartSpec("network", "The network drawn", True, network_diagram,
              ("snapshot", "seed", "frames"), tab="compare", section=EPOCH_SECTION),
    ChartSpec("boundary", "Decision boundary", True, decision_boundary,
              ("snapshot", "seed", "frames"),
              tab="compare", section=EPOCH_SECTION,
              caption=lambda r, i, view: caption_boundary(r, i, view.snapshot),
              absent="This chart needs a dataset with 2 inputs (or a 1-D regression).",
              applies=lambda config: not has_images(config)),
    ChartSpec("filters", "Filters", True, conv_filters,
              ("snapshot", "seed", "weight_scale", "frames"), tab="compare",
              section=EPOCH_SECTION, applies=has_conv,
              caption=lambda r, i, view: caption_filters(r, i, view.snapshot)),
    ChartSpec("feature_maps", "Feature maps", True, feature_maps,
              ("snapshot", "seed", "frames"), tab="compare", section=EPOCH_SECTION,
              applies=has_conv,
              caption=lambda r, i, view: caption_feature_maps(r, i, view.snapshot)),
    ChartSpec("grad_norm", "Gradient norm per layer", True, gradient_norms, ("band",),
              tab="more", section="Gradient norm per layer",
              caption=lambda r, i, view: caption_grad_norm(r, i), intro=intro_grad_norm),
    ChartSpec("activations", "Activation distribution", True, activation_distribution,
              ("seed",), tab="more", section="Activations per hidden layer",
              intro=intro_activations),
    ChartSpec("symmetry_gap", "Symmetry gap", True, symmetry_gap, ("band",), tab="more",
              section="Symmetry gap", caption=lambda r, i, view: caption_symmetry_gap(r, i),
              intro=intro_symmetry_gap),
]}


def sections(tab: str, result: Result | Config | None = None
             ) -> list[tuple[str, list[ChartSpec]]]:
    """The charts of one dashboard tab in page order, as ``(heading, charts)`` pairs; with
    ``result`` (a result or its config), only the charts that apply to it
    (:attr:`ChartSpec.applies`), and only the sections left with a chart.

    Sections come in the order of their first chart in :data:`CHARTS`. Within a section the
    per-initialization charts (each a row with one chart per initialization) come before the
    whole-comparison charts (side by side in one row), each group in registration order.
    """
    if tab not in CHART_TABS:
        raise ValueError(f"Unknown tab {tab!r}. Valid names: {', '.join(CHART_TABS)}.")
    grouped: dict[str, list[ChartSpec]] = {}
    for spec in CHARTS.values():
        if spec.tab == tab and (result is None or spec.applies(getattr(result, "config",
                                                                            result))):
            grouped.setdefault(spec.heading, []).append(spec)
    return [(heading, sorted(specs, key=lambda s: not s.per_init))
            for heading, specs in grouped.items()]


def _build(spec: ChartSpec, result: Result, init_index: int | None,
           options: dict[str, object]) -> go.Figure | None:
    """``spec.build`` with the options it takes among ``options`` (the others keep the chart
    function's defaults, which are :func:`all_figures`' defaults); None for a chart that
    does not apply to the result (:attr:`ChartSpec.applies`)."""
    if not spec.applies(result.config):
        return None
    kw = {k: options[k] for k in spec.options if k in options}
    if spec.per_init:
        return spec.build(result, init_index, **kw)
    return spec.build(result, **kw)


def _figures(result: Result, options: dict[str, object]) -> dict[str, go.Figure]:
    out: dict[str, go.Figure] = {}
    for spec in CHARTS.values():
        for i in range(len(result.config.inits)) if spec.per_init else [None]:
            fig = _build(spec, result, i, options)
            if fig is not None:
                out[chart_key(result, spec.name, i)] = fig
    return out


def draw(spec: ChartSpec | str, result: Result, init_index: int | None, view: View
         ) -> go.Figure | None:
    """One chart drawn with the options on screen, e.g. ``draw("loss", result, 0, view)``;
    ``init_index`` is None for a whole-comparison chart. None when the chart does not apply."""
    spec = CHARTS[spec] if isinstance(spec, str) else spec
    return _build(spec, result, init_index, view.options())


def figures(result: Result, view: View) -> dict[str, go.Figure]:
    """Every chart of a result drawn with the options on screen: :func:`all_figures` with
    the view's options (same keys, same order)."""
    return _figures(result, view.options())


def all_figures(result: Result, *, log_y: bool = True, band: str = "minmax",
                metric: str = "distinct_neurons", snapshot: int = -1, seed: int = 0,
                weight_scale: str = "shared", frames: bool = True
                ) -> dict[str, go.Figure]:
    """Every chart of a result, keyed by a file-name stem such as ``loss_init1-zeros``.

    Charts that do not apply to the result (accuracy of a regression, a decision boundary
    of 3-D data) are left out. With ``frames`` the charts of one epoch (weights, network,
    trajectories, decision boundary) carry every epoch as plotly frames with a play button
    (:mod:`sim.charts.motion`): the HTML page plays them; a PNG, SVG or PDF shows the
    chosen ``snapshot`` without the controls.
    """
    return _figures(result, {"log_y": log_y, "band": band, "metric": metric,
                             "snapshot": snapshot, "seed": seed,
                             "weight_scale": weight_scale, "frames": frames})
