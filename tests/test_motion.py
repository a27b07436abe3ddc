"""Motion through the epochs (sim.charts.motion): which snapshots become frames, moving a
built figure to one of its frames (what the dashboard's epoch slider does), the static copy
for images, and the HTML export that keeps the animation."""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.io as pio
import pytest

import sim
from sim import PRESETS
from sim.charts import View, all_figures, draw
from sim.charts.motion import CONTROLS_HEIGHT, MAX_FRAMES, frame_indices, seek, still
from sim.export import figures_html

ANIMATED = ("weights", "trajectories", "network", "boundary")


@pytest.fixture(scope="module")
def lesson() -> sim.Result:
    return sim.train_comparison(PRESETS["lesson"].config())


def as_float32(obj):
    """A figure's JSON with number arrays as float32 lists (NaN, the gap between two lines,
    as None so that equal gaps compare equal), for comparing a figure moved to a frame
    (float32 numbers) with a freshly built one."""
    if isinstance(obj, dict) and "bdata" in obj:
        from base64 import b64decode

        arr = np.frombuffer(b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
        return [None if v != v else v for v in arr.astype(np.float32).tolist()]
    if isinstance(obj, dict):
        return {k: as_float32(v) for k, v in obj.items()}
    if isinstance(obj, list):
        if obj and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj):
            return [None if v != v else v for v in np.asarray(obj, float).astype(np.float32)
                    .tolist()]
        return [as_float32(v) for v in obj]
    return obj


@pytest.mark.parametrize("n", [1, 7, 51, 52, 151, 2001])
def test_frames_are_evenly_spaced_and_the_same_whatever_is_shown(n: int) -> None:
    """At most MAX_FRAMES snapshots, first and last included, independent of the shown one
    unless that one is not among them (then it is added)."""
    ks = frame_indices(n)
    assert ks[0] == 0 and ks[-1] == n - 1 and len(ks) == min(n, MAX_FRAMES)
    assert ks == sorted(set(ks))
    assert frame_indices(n, ks[len(ks) // 2]) == ks
    if n > MAX_FRAMES:
        extra = next(k for k in range(n) if k not in ks)
        assert frame_indices(n, extra) == sorted([*ks, extra])
        steps = np.diff(ks)
        assert steps.max() - steps.min() <= 1


@pytest.mark.parametrize("chart", ANIMATED)
def test_seek_shows_what_a_fresh_build_at_that_epoch_shows(lesson: sim.Result, chart: str
                                                           ) -> None:
    """The dashboard builds an animated chart once and moves it to the shown epoch's frame:
    the result equals the chart built at that epoch (traces, layout, slider position)."""
    epochs = lesson.history.snapshot_epochs
    ks = frame_indices(epochs.size)
    built = draw(chart, lesson, 0, View(True, "distinct_neurons", ks[-1])).to_dict()
    for k in (ks[0], ks[5], ks[len(ks) // 2]):
        want = json.loads(pio.to_json(draw(chart, lesson, 0, View(True, "distinct_neurons", k))))
        got = json.loads(pio.to_json(seek(built, int(epochs[k]))))
        assert as_float32(got["data"]) == as_float32(want["data"]), (chart, k)
        assert as_float32(got["layout"]) == as_float32(want["layout"]), (chart, k)
        assert got["layout"]["sliders"][0]["active"] == ks.index(k)


def test_seek_refuses_an_epoch_without_a_frame(lesson: sim.Result) -> None:
    epochs = lesson.history.snapshot_epochs
    built = draw("weights", lesson, 0, View(True, "distinct_neurons", -1)).to_dict()
    missing = next(int(e) for k, e in enumerate(epochs) if k not in frame_indices(epochs.size))
    with pytest.raises(KeyError, match=f"no frame for epoch {missing}"):
        seek(built, missing)


@pytest.mark.parametrize("chart", ANIMATED)
def test_still_copy_has_no_controls_and_the_charts_own_height(lesson: sim.Result, chart: str
                                                              ) -> None:
    """A PNG/SVG/PDF cannot play: the copy drops frames, slider and buttons, and gives the
    chart its height back; the animated figure itself is unchanged."""
    fig = draw(chart, lesson, 1, View(True, "distinct_neurons", -1))
    plain = draw(chart, lesson, 1, View(True, "distinct_neurons", -1, frames=False))
    copy = still(fig)
    assert len(fig.frames) == MAX_FRAMES and fig.layout.sliders
    assert not copy.frames and not copy.layout.sliders and not copy.layout.updatemenus
    assert copy.layout.height == fig.layout.height - CONTROLS_HEIGHT == plain.layout.height
    assert copy.layout.margin.b == plain.layout.margin.b


def charts_in_page(page: str) -> dict[str, dict]:
    """The charts of an exported page read back from its scripts: div id -> ``{"layout":
    ..., "frames": [...]}``, decoded as JSON, so a button's label is the same string whether
    the JSON writer escaped it (``\\u25b6``, the standard library) or not (orjson)."""
    decoder = json.JSONDecoder()

    def values(at: int, count: int) -> list:
        out = []
        for _ in range(count):
            while page[at] in " \n\t,":
                at += 1
            value, at = decoder.raw_decode(page, at)
            out.append(value)
        return out

    charts: dict[str, dict] = {}  # plotly.js's own source also names these functions
    for call in re.finditer(r"Plotly\.newPlot\(\s*\"([\w-]+)\",", page):
        _data, layout = values(call.end(), 2)
        charts[call[1]] = {"layout": layout, "frames": []}
    for call in re.finditer(r"Plotly\.addFrames\('([\w-]+)',", page):
        (frames,) = values(call.end(), 1)
        charts[call[1]]["frames"] += frames
    return charts


def test_the_html_export_keeps_the_animation_and_opens_at_the_shown_epoch(
        lesson: sim.Result) -> None:
    """charts.html holds every frame and the play button of the animated charts, and does
    not start playing by itself (it opens at the shown epoch)."""
    figs = all_figures(lesson)
    page = figures_html(figs, "test", lesson.config.to_json())
    charts = list(charts_in_page(page).values())
    assert len(charts) == len(figs)  # read back in display order, one per figure
    animated = 0
    for name, chart in zip(figs, charts, strict=True):
        play = [b for menu in chart["layout"].get("updatemenus", [])
                for b in menu["buttons"] if b["label"] == "▶"]
        if name.split("_")[0] in ANIMATED:  # each chart of each side: every frame, one ▶
            animated += 1
            assert len(chart["frames"]) == MAX_FRAMES, name
            assert len(play) == 1 and play[0]["method"] == "animate", name
        else:
            assert not chart["frames"] and not play, name
    assert animated == 2 * len(ANIMATED)
    assert "Plotly.animate(" not in page  # plotly's auto_play would call it on load
