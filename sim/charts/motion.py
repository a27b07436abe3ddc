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


def frame_indices(n_snapshots: int, active: int, most: int = MAX_FRAMES) -> list[int]:
    """Snapshot indices to animate: at most ``most`` evenly spaced ones from the first to the
    last, plus ``active`` (the one on screen), in order."""
    if n_snapshots <= most:
        return list(range(n_snapshots))
    picks = {int(round(x)) for x in np.linspace(0, n_snapshots - 1, most - 1)}
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
        frames.append(go.Frame(name=name, data=data, layout=layout))
    fig.frames = frames
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 64
    fig.update_layout(
        height=(fig.layout.height or 380) + CONTROLS_HEIGHT,
        margin={"b": bottom + CONTROLS_HEIGHT},
        sliders=[{
            "active": list(snapshots).index(active), "x": 0, "len": 1, "y": 0,
            "yanchor": "top", "pad": {"t": bottom + 4, "b": 0},
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
            "xanchor": "right", "yanchor": "top", "pad": {"t": bottom + 26, "r": 4},
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


def still(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` without frames, slider and buttons (for a static image), its
    height and bottom margin back to the chart's own."""
    if not fig.frames:
        return fig
    out = go.Figure(fig)
    out.frames = []
    out.update_layout(sliders=[], updatemenus=[],
                      height=(out.layout.height or 380) - CONTROLS_HEIGHT,
                      margin={"b": (out.layout.margin.b or CONTROLS_HEIGHT) - CONTROLS_HEIGHT})
    return out
