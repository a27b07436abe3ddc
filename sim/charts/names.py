"""Names of charts and their files: the key of a chart in :func:`sim.charts.all_figures`,
the label and slug of an initialization, the file name every export of a chart gets.

One naming scheme: the file names are :func:`sim.naming.figure_filename` of the chart key, so
the camera button, the dashboard's Export tab and ``python -m sim export`` agree.
"""

from __future__ import annotations

from sim import naming as _export_names
from sim.train import Result


def init_label(result: Result, init_index: int) -> str:
    """The label of an initialization (:attr:`sim.config.InitSpec.label`, the one labeller),
    e.g. ``normal(std=0.01)``, ``he_normal``, ``zeros, bias normal(std=1)``."""
    return result.config.inits[init_index].label


def config_hash(result: Result) -> str:
    """Short hash of the configuration (8 hex digits), for file names: the same as
    :func:`sim.naming.config_hash` of ``result.config`` (one implementation)."""
    return _export_names.config_hash(result.config)


def init_slug(result: Result, init_index: int) -> str:
    """The part of a chart key naming the panel: the initialization's place and its slug
    (:attr:`sim.config.InitSpec.slug`), e.g. ``init1-zeros``, ``init2-normal_std0.1``."""
    return f"init{init_index + 1}-{result.config.inits[init_index].slug}"


def chart_key(result: Result, chart: str, init_index: int | None = None) -> str:
    """The name of one chart of a result, as a key of :func:`all_figures`: ``loss_overlay``
    for a whole-comparison chart, ``loss_init1-zeros`` for a per-initialization one."""
    return chart if init_index is None else f"{chart}_{init_slug(result, init_index)}"


def export_filename(result: Result, chart: str, init_index: int | None = None,
                    fmt: str | None = None) -> str:
    """The file name of a chart wherever it is saved (the chart's camera button, the
    dashboard's Export tab, ``python -m sim export``): :func:`sim.naming.figure_filename`
    of :func:`chart_key`, e.g. ``loss_init1-zeros-1c2d3e4f`` or
    ``loss_overlay-zeros-vs-xavier_uniform-1c2d3e4f``.

    Without ``fmt`` the extension is left out (plotly's camera button adds ``.png``).
    """
    name = _export_names.figure_filename(chart_key(result, chart, init_index), result.config,
                                         fmt or "png")
    return name if fmt else name.rsplit(".", 1)[0]
