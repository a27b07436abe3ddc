"""Motion through the epochs: plotly frames, a play / pause button and an epoch slider.

A chart that shows one stored snapshot (weights, the network drawn, the decision boundary,
the unit trajectories' marker) can carry every other snapshot as a plotly *frame*. The
browser then plays them without asking the server (TensorFlow Playground's play button),
and an exported HTML page keeps the animation offline. :func:`animate` adds the frames and
controls to a figure drawn at one snapshot; :func:`still` takes them away again for a
static image (PNG, SVG, PDF), which cannot play.

At most :data:`MAX_FRAMES` snapshots are animated (evenly spaced, always the first, the last
and the one on screen), so a figure stays small enough to send on every slider step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import plotly.graph_objects as go

#: At most this many frames per animated chart.
MAX_FRAMES = 51
#: Milliseconds per frame while playing: 1000 / 150 is between 6 and 7 frames a second.
FRAME_MS = 150
#: Pixels the slider and the play button take under a chart.
CONTROLS_HEIGHT = 78


def frame_indices(n_snapshots: int, active: int | None = None, most: int = MAX_FRAMES
                  ) -> list[int]:
    """Snapshot indices to animate: at most ``most`` evenly spaced ones from the first to the
    last (the same set whatever is on screen: the dashboard's epoch slider offers exactly
    these), plus ``active`` if it is not one of them, in order."""
    if n_snapshots <= most:
        picks = set(range(n_snapshots))
    else:
        picks = {int(round(x)) for x in np.linspace(0, n_snapshots - 1, most)}
    if active is not None:
        picks.add(int(active))
    return sorted(picks)


def animate(fig: go.Figure, snapshots: Sequence[int], active: int, epochs: Sequence[int],
            frame: Callable[[int], tuple[list, dict]]) -> go.Figure:
    """Add one frame per snapshot in ``snapshots``, an epoch slider and play / pause.

    Parameters
    ----------
    fig : Figure
        The chart drawn at snapshot ``active`` (one of ``snapshots``): what a browser shows
        first and what a static image shows.
    snapshots : sequence of int
        Snapshot indices of the frames, in order (:func:`frame_indices`).
    active : int
        The snapshot on screen.
    epochs : sequence of int
        The epoch of every snapshot (``history.snapshot_epochs``), for the slider's labels.
    frame : callable
        ``frame(k) -> (traces, layout)``: the figure's traces (all of them, in order) and the
        layout properties that change (title, annotations) at snapshot ``k``.
    """
    names = [str(int(epochs[k])) for k in snapshots]
    frames = []
    for k, name in zip(snapshots, names, strict=True):
        data, layout = frame(k)
        frames.append({"name": name, "data": data, "layout": layout})
    fig.frames = frames  # plain dicts: plotly validates each frame once, here
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 64
    # A chart whose lowest panel starts above the plot area's bottom (the heatmaps keep
    # their x-axis titles inside it) has that much room already: the slider moves up.
    lowest = min((ax.domain[0] for name in fig.layout if name.startswith("yaxis")
                  for ax in [fig.layout[name]] if ax.domain), default=0.0)
    height = fig.layout.height or 380
    inside = lowest * (height - (fig.layout.margin.t or 0) - bottom)
    gap = max(0, round(bottom - inside))  # from the plot area's bottom to the slider
    fig.update_layout(
        height=(fig.layout.height or 380) + CONTROLS_HEIGHT,
        margin={"b": bottom + CONTROLS_HEIGHT},
        sliders=[{
            "active": list(snapshots).index(active), "x": 0, "len": 1, "y": 0,
            "yanchor": "top", "pad": {"t": gap + 4, "b": 0},
            "currentvalue": {"prefix": "epoch ", "font": {"size": 13, "color": "#222"},
                             "offset": 8},
            # Up to 51 step labels cannot share 300 px: they are drawn transparent, the
            # current epoch is the slider's heading.
            "font": {"size": 9, "color": "rgba(0,0,0,0)"}, "ticklen": 3, "minorticklen": 0,
            "steps": [{"method": "animate", "label": name,
                       "args": [[name], {"mode": "immediate", "transition": {"duration": 0},
                                         "frame": {"duration": 0, "redraw": True}}]}
                      for name in names]}],
        updatemenus=[{
            # In the left margin, beside the slider's track.
            "type": "buttons", "direction": "left", "showactive": False, "x": 0, "y": 0,
            "xanchor": "right", "yanchor": "top", "pad": {"t": gap + 26, "r": 4},
            "font": {"size": 12},
            "buttons": [
                {"label": "▶", "name": "play", "method": "animate",
                 "args": [None, {"mode": "immediate", "fromcurrent": True,
                                 "transition": {"duration": 0},
                                 "frame": {"duration": FRAME_MS, "redraw": True}}]},
                {"label": "❚❚", "name": "pause", "method": "animate",
                 "args": [[None], {"mode": "immediate", "transition": {"duration": 0},
                                   "frame": {"duration": 0, "redraw": False}}]}]}])
    return fig


def _merge(base: dict, update: dict) -> dict:
    """``base`` with ``update`` laid over it, as plotly.js applies a frame to the figure on
    screen: nested objects merged, arrays of objects (annotations, shapes) merged item by
    item, other arrays (the data) replaced whole."""
    out = dict(base)
    for key, value in update.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            out[key] = _merge(old, value)
        elif (isinstance(value, (list, tuple)) and isinstance(old, (list, tuple)) and value
              and all(isinstance(v, dict) for v in value)
              and all(isinstance(v, dict) for v in old)):
            merged = [_merge(o, v) for o, v in zip(old, value, strict=False)]
            out[key] = merged + list(value[len(old):]) + list(old[len(value):])
        else:
            out[key] = value
    return out


def seek(figure: dict, epoch: int) -> dict:
    """The animated figure ``figure`` (a ``Figure.to_dict()``) as it looks after its slider
    moved to the frame of ``epoch``: the frame's traces and layout laid over the figure's,
    the slider on that frame, the frames themselves shared, not copied.

    This is what plotly.js shows after animating to the frame, computed without plotly.py's
    validation (tens of milliseconds per figure with 50 frames), so the dashboard's epoch
    slider moves every animated chart by reusing one build of its frames.

    Raises
    ------
    KeyError
        When the figure has no frame for ``epoch``.
    """
    names = [f["name"] for f in figure["frames"]]
    k = names.index(str(int(epoch))) if str(int(epoch)) in names else None
    if k is None:
        raise KeyError(f"no frame for epoch {epoch}; frames: {', '.join(names)}")
    frame = figure["frames"][k]
    data = [_merge(base, update) for base, update in
            zip(figure["data"], frame.get("data", []), strict=False)]
    data += figure["data"][len(data):]
    layout = _merge(figure["layout"], frame.get("layout", {}))
    layout["sliders"] = [dict(layout["sliders"][0], active=k), *layout["sliders"][1:]]
    return {"data": data, "layout": layout, "frames": figure["frames"]}


def still(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` without frames, slider and buttons (for a static image), its
    height and bottom margin back to the chart's own."""
    if not fig.frames:
        return fig
    out = go.Figure(fig)
    out.frames = ()
    out.layout.sliders = ()  # (update_layout(sliders=[]) leaves them in place)
    out.layout.updatemenus = ()
    out.update_layout(height=(out.layout.height or 380) - CONTROLS_HEIGHT,
                      margin={"b": (out.layout.margin.b or CONTROLS_HEIGHT) - CONTROLS_HEIGHT})
    return out
