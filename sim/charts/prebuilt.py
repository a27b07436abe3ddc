"""Charts as the server caches them: keys, plotly dicts, and a page's charts built ahead.

A chart is a function of the configuration (a result is), the chart, the side and the view
options the chart takes, so that tuple is its key in the server's charts cache, shared by
every session (:func:`figure_key`). An animated chart (option ``frames``) carries every epoch
as a frame, so its key leaves the epoch out: the page moves it to the shown epoch's frame.
A caption may read any part of the view: its key holds the whole view (:func:`caption_key`).

:func:`page_charts` builds, where a training ran (a worker process), the charts and captions
the Compare tab shows first: the page then only sends them, and chart building, like
training, runs on every core instead of in the one web process.
"""

from __future__ import annotations

import dataclasses

from sim.charts import CHARTS, ChartSpec, draw, sections
from sim.charts.view import METRIC_TITLES, View
from sim.train import Result

#: Cached for a chart that does not apply to the result (its builder returned None).
ABSENT = "absent"
#: The epoch group's charts, shown in tabs: only the first is open when a page opens.
EPOCH_OPTION = "snapshot"


def animated(spec: ChartSpec, view: View) -> bool:
    """Whether ``spec`` is drawn with every epoch as a frame in ``view``."""
    return view.frames and "frames" in spec.options


def figure_key(spec: ChartSpec, config_key: str, init_index: int | None, view: View) -> tuple:
    """The charts cache's key of ``spec`` for side ``init_index`` drawn with ``view``
    (``config_key``: the configuration's compact JSON)."""
    skip = ("snapshot",) if animated(spec, view) else ()
    options = view.options()
    return ("figure", config_key, spec.name, init_index,
            tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                         for k, v in options.items() if k in spec.options and k not in skip)))


def caption_key(spec: ChartSpec, config_key: str, init_index: int, view: View) -> tuple:
    """The charts cache's key of ``spec``'s caption under side ``init_index``."""
    return ("caption", config_key, spec.name, init_index, dataclasses.astuple(view))


def figure_entry(spec: ChartSpec, result: Result, init_index: int | None, view: View
                 ) -> dict | str | None:
    """What the cache keeps for a chart: its plotly dict, :data:`ABSENT` when the chart does
    not apply, or None when it is not to be cached (an animated chart drawn without frames
    shows the chosen epoch only)."""
    fig = draw(spec, result, init_index, view)
    if fig is None:
        return ABSENT
    if animated(spec, view) and not fig.frames:
        return None
    return fig.to_dict()


def default_view(result: Result) -> View:
    """The view a page opens with: logarithmic loss axis, the first metric, the last
    snapshot, colours shared by both sides, the first hidden layer, the default layers."""
    return View(True, next(iter(METRIC_TITLES)), len(result.history.snapshot_epochs) - 1)


def page_charts(result: Result, tab: str = "compare") -> dict[tuple, object]:
    """Every chart and caption ``tab`` shows when it opens with :func:`default_view`, by
    cache key: all of its sections, and of the epoch charts' tabs the first (the open one)."""
    view = default_view(result)
    key = result.config.to_json(indent=None)
    out: dict[tuple, object] = {}
    epoch_tab_done = False
    for _, specs in sections(tab, result):
        by_epoch = any(EPOCH_OPTION in s.options for s in specs)
        for spec in specs:
            if by_epoch:
                if epoch_tab_done:
                    continue
                epoch_tab_done = True
            for i in range(len(result.config.inits)) if spec.per_init else [None]:
                entry = figure_entry(spec, result, i, view)
                if entry is not None:
                    out[figure_key(spec, key, i, view)] = entry
                if spec.caption is not None and i is not None:
                    out[caption_key(spec, key, i, view)] = spec.caption(result, i, view)
    return out


__all__ = ["ABSENT", "CHARTS", "animated", "caption_key", "default_view", "figure_entry",
           "figure_key", "page_charts"]
