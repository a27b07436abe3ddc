"""The network diagram, the unit trajectories and the animated decision boundary.

Each test checks one thing a learner reads off the chart against the trained arrays
themselves (the history's weights, the engine's dead-unit counts), not against the chart's
own helpers: one node for eight identical units, grey nodes where the engine counts dead
units, edge colours and widths from the weights, one line for units that never differ, and
frames that carry each snapshot's numbers. Text boxes are estimated at 7 px a character and
16 px a line on a 300 px wide plot area (one of two charts side by side at 1280 px).
"""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest

from sim import PRESETS, Config, train_comparison
from sim.charts import motion
from sim.charts.boundary import decision_boundary
from sim.charts.network import DEAD, MAX_HIDDEN_COLUMNS, MAX_NODES, NEGATIVE, POSITIVE
from sim.charts.network import network_diagram as diagram
from sim.charts.trajectories import unit_trajectories
from sim.explain.reading import dead_unit_masks, distinct_rows, unit_groups

PLOT_WIDTH = 300
CHAR_PX, LINE_PX = 7.0, 16.0
ZEROS, RANDOM = 0, 1


def _train(name: str, **changes: object):
    cfg = json.loads(PRESETS[name].config().to_json())
    cfg.update(changes)
    return train_comparison(Config.from_dict(cfg))


@pytest.fixture(scope="module")
def lesson():
    return _train("lesson")


@pytest.fixture(scope="module")
def dead_zeros():
    return _train("dead_zeros", epochs=60)


@pytest.fixture(scope="module")
def deep_relu():
    return _train("deep_relu", epochs=30)


@pytest.fixture(scope="module")
def wide():
    """The float32 preset's 100-unit layer after a random start: 100 distinct units."""
    inits = [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}]
    return _train("float32", epochs=20, inits=inits)


def _trace(fig, name: str):
    return next(t for t in fig.data if t.name == name)


def _nodes(fig, layer: int) -> list[tuple[int, int, int]]:
    """(first unit, units, dead) of every node of node layer ``layer`` (0 = input)."""
    cd = np.asarray(_trace(fig, "nodes").customdata)
    return [(int(r[1]), int(r[2]), int(r[3])) for r in cd if int(r[0]) == layer]


def _run(result, init: int) -> int:
    return result.run_indices(init)[0]


# ------------------------------------------------------------------------------------------
# The network diagram
# ------------------------------------------------------------------------------------------


def test_zeros_layer_is_one_group_node(lesson):
    """The lesson's zeros side: the 8 hidden units are one node, labelled as such."""
    fig = diagram(lesson, ZEROS)
    assert _nodes(fig, 1) == [(1, 8, 0)]
    assert "8 units<br>act as 1" in list(_trace(fig, "labels").text)
    assert fig.layout.title.subtitle.text == "8 hidden units act as 1 neuron"


def test_random_layer_draws_every_unit(lesson):
    """The random side: 8 nodes of one unit each, and the headline says they differ."""
    fig = diagram(lesson, RANDOM)
    assert _nodes(fig, 1) == [(u, 1, 0) for u in range(1, 9)]
    assert fig.layout.title.subtitle.text == "8 distinct units"


def test_dead_masks_match_the_engine_counts(dead_zeros, deep_relu):
    """Recomputed per-unit dead masks add up to the history's dead-unit counts at every
    snapshot, for both sides of dead_zeros (all dead / none) and deep_relu (some)."""
    for result in (dead_zeros, deep_relu):
        S = result.history.snapshot_epochs.size
        for run in range(len(result.runs)):
            masks = dead_unit_masks(result, run, list(range(S)))
            counts = np.stack([m.sum(axis=1) for m in masks], axis=1)
            np.testing.assert_array_equal(counts, result.history.metrics["dead_units"][run])


def test_dead_units_are_grey(dead_zeros):
    """dead_zeros (tanh, zeros): every hidden unit outputs 0 on every input, so both hidden
    layers are one grey node of 8 dead units; the random side has no dead unit."""
    assert (dead_zeros.history.metrics["dead_units"][_run(dead_zeros, ZEROS), -1] == 8).all()
    fig = diagram(dead_zeros, ZEROS)
    nodes = _trace(fig, "nodes")
    for layer in (1, 2):
        assert _nodes(fig, layer) == [(1, 8, 1)]
    colors = [c for c, d in zip(nodes.marker.color, nodes.customdata, strict=True)
              if d[0] in (1, 2)]
    assert colors == [DEAD, DEAD]
    assert "dead" in fig.layout.title.subtitle.text
    fig = diagram(dead_zeros, RANDOM)
    assert all(d == 0 for layer in (1, 2) for *_, d in _nodes(fig, layer))
    assert DEAD not in list(_trace(fig, "nodes").marker.color)


def test_wide_layer_draws_at_most_16_nodes(wide):
    """100 distinct units: 16 nodes (the first and last among them), "+84" under the
    column and a note saying what "+n" means."""
    fig = diagram(wide, RANDOM)
    nodes = _nodes(fig, 1)
    assert len(nodes) == MAX_NODES
    assert nodes[0][0] == 1 and nodes[-1][0] == 100
    assert "+84" in list(_trace(fig, "labels").text)
    notes = [a.text for a in fig.layout.annotations if a.name == "note"]
    assert any("+n: units not drawn" in n for n in notes)


def test_deep_network_draws_a_bounded_number_of_columns(deep_relu):
    """30 hidden layers: input, output, at most MAX_HIDDEN_COLUMNS hidden columns (the
    first and the last among them) and "…" columns between."""
    fig = diagram(deep_relu, RANDOM)
    layers = sorted({int(r[0]) for r in _trace(fig, "nodes").customdata})
    assert layers[0] == 0 and layers[-1] == 31
    assert 1 in layers and 30 in layers
    assert len(layers) <= 2 + MAX_HIDDEN_COLUMNS
    labels = list(_trace(fig, "labels").text)
    assert labels.count("…") == len(layers) - 3  # one between each pair of hidden columns
    for layer in layers:
        assert len(_nodes(fig, layer)) <= MAX_NODES


def _polygons(trace) -> np.ndarray:
    """Thickness (in y units) of each edge polygon of a filled edge trace."""
    y = np.asarray(trace.y, float).reshape(-1, 6)
    return y[:, 3] - y[:, 0]


def test_edges_follow_the_weights(lesson):
    """Random side, where every node is one unit: the edges' weights are exactly the
    entries of W, positive ones in the red trace and negative ones in the blue one, and a
    larger |w| never draws a thinner edge."""
    fig = diagram(lesson, RANDOM)
    run = _run(lesson, RANDOM)
    w = np.asarray(_trace(fig, "edges").customdata)[:, 0]
    expected = np.concatenate([lesson.history.weights[l][run, -1].ravel() for l in (0, 1)])
    np.testing.assert_allclose(np.sort(w), np.sort(expected))
    pos, neg = _trace(fig, "w > 0"), _trace(fig, "w < 0")
    assert pos.fillcolor == POSITIVE and neg.fillcolor == NEGATIVE
    assert POSITIVE.startswith("#B") and NEGATIVE.startswith("#2")  # red and blue
    assert len(_polygons(pos)) == (w > 0).sum() and len(_polygons(neg)) == (w < 0).sum()
    thick = np.concatenate([_polygons(pos), _polygons(neg)])
    mag = np.concatenate([w[w > 0], -w[w < 0]])
    order = np.argsort(mag)
    assert np.all(np.diff(thick[order]) >= -1e-6)
    assert thick[order][-1] > 3 * thick[order][0]


def test_group_edge_carries_the_shared_weight(lesson):
    """Zeros side: the edge from x₁ into the group of 8 carries their common weight, the
    8 connections it stands for."""
    fig = diagram(lesson, ZEROS)
    run = _run(lesson, ZEROS)
    W = lesson.history.weights[0][run, -1]
    edges = np.asarray(_trace(fig, "edges").customdata)
    assert np.isclose(edges[0, 0], W[0, 0]) and edges[0, 1] == 8
    assert np.allclose(W[:, 0], W[0, 0])


def test_network_frames_carry_each_snapshot(lesson):
    """One frame per animated snapshot, and a frame's edge weights are the weights stored
    at that snapshot."""
    fig = diagram(lesson, RANDOM, frames=True)
    h = lesson.history
    ks = motion.frame_indices(h.snapshot_epochs.size, h.snapshot_epochs.size - 1)
    assert len(fig.frames) == len(ks)
    assert [f.name for f in fig.frames] == [str(int(h.snapshot_epochs[k])) for k in ks]
    run = _run(lesson, RANDOM)
    edge_index = [t.name for t in fig.data].index("edges")
    for j in (1, len(ks) // 2):
        w = np.asarray(fig.frames[j].data[edge_index].customdata)[:, 0]
        expected = np.concatenate([h.weights[l][run, ks[j]].ravel() for l in (0, 1)])
        np.testing.assert_allclose(np.sort(w), np.sort(expected))


# ------------------------------------------------------------------------------------------
# Text does not overlap at 300 px
# ------------------------------------------------------------------------------------------


def _box(px: float, py: float, text: str, pos: str, size: float) -> tuple:
    lines = text.split("<br>")
    w, h = CHAR_PX * max(len(s) for s in lines), LINE_PX * len(lines)
    gap = size / 2 + 2
    vert, horiz = pos.split()
    left = {"left": px - gap - w, "right": px + gap}.get(horiz, px - w / 2)
    top = {"top": py - gap - h, "bottom": py + gap}.get(vert, py - h / 2)
    return left, top, left + w, top + h


def _text_boxes(fig, labels) -> list[tuple]:
    lay = fig.layout
    x0, x1 = lay.xaxis.range
    y0, y1 = lay.yaxis.range
    height = lay.height - lay.margin.t - lay.margin.b  # the slider's room is in both
    boxes = []
    for x, y, text, pos, size in labels:
        px = (x - x0) / (x1 - x0) * PLOT_WIDTH
        py = (y1 - y) / (y1 - y0) * height
        boxes.append(_box(px, py, text, pos, size))
    return boxes


def _labels_of(fig, data_labels, data_nodes) -> list[tuple]:
    out = list(zip(data_labels.x, data_labels.y, data_labels.text, data_labels.textposition,
                   data_labels.marker.size, strict=True))
    out += [(x, y, t, "middle center", 0) for x, y, t in
            zip(data_nodes.x, data_nodes.y, data_nodes.text, strict=True) if t]
    return out


def _assert_apart(boxes: list[tuple]) -> None:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


@pytest.mark.parametrize("case", ["lesson", "dead_zeros", "deep_relu", "wide"])
@pytest.mark.parametrize("init", [ZEROS, RANDOM])
def test_labels_do_not_overlap(case, init, request):
    """Headers, input names, "+n", group labels and the "×8" inside group nodes: no two
    boxes overlap on a 300 px plot area, in the still figure and in every frame."""
    result = request.getfixturevalue(case)
    fig = diagram(result, init, frames=True)
    labels, nodes = _trace(fig, "labels"), _trace(fig, "nodes")
    li, ni = list(fig.data).index(labels), list(fig.data).index(nodes)
    _assert_apart(_text_boxes(fig, _labels_of(fig, labels, nodes)))
    for frame in fig.frames:
        fl, fn = frame.data[li], frame.data[ni]
        merged_l = {k: (getattr(fl, k) if getattr(fl, k, None) is not None
                        else getattr(labels, k)) for k in ("x", "y", "text", "textposition")}
        size = (fl.marker.size if fl.marker is not None and fl.marker.size is not None
                else labels.marker.size)
        merged_n = {k: (getattr(fn, k) if getattr(fn, k, None) is not None
                        else getattr(nodes, k)) for k in ("x", "y", "text")}
        rows = list(zip(merged_l["x"], merged_l["y"], merged_l["text"],
                        merged_l["textposition"], size, strict=True))
        rows += [(x, y, t, "middle center", 0) for x, y, t in
                 zip(merged_n["x"], merged_n["y"], merged_n["text"], strict=True) if t]
        _assert_apart(_text_boxes(fig, rows))


@pytest.mark.parametrize("case", ["lesson", "deep_relu", "wide"])
def test_notes_and_subtitle_fit_the_figure(case, request):
    """Notes (right-aligned under the plot) and the subtitle are no wider than a figure
    whose plot area is 300 px (plus its margins)."""
    result = request.getfixturevalue(case)
    for fig in (diagram(result, RANDOM), unit_trajectories(result, RANDOM)):
        width = PLOT_WIDTH + fig.layout.margin.l + fig.layout.margin.r
        texts = [a.text for a in fig.layout.annotations if a.name == "note"]
        assert all(CHAR_PX * len(t) <= PLOT_WIDTH + fig.layout.margin.l for t in texts), texts
        assert CHAR_PX * len(fig.layout.title.subtitle.text) <= width


def test_unit_groups_agree_with_distinct_rows(lesson, wide, deep_relu):
    """The diagram's groups are the captions' count: as many labels as distinct_rows, at
    every snapshot of every layer of every run."""
    for result in (lesson, wide, deep_relu):
        h = result.history
        for l in range(len(h.weights)):
            for run in range(len(result.runs)):
                for k in (0, h.snapshot_epochs.size // 2, -1):
                    P = np.concatenate([h.weights[l][run, k], h.biases[l][run, k][:, None]],
                                       axis=1)
                    assert len(set(unit_groups(P).tolist())) == distinct_rows(P)


# ------------------------------------------------------------------------------------------
# Unit trajectories
# ------------------------------------------------------------------------------------------


def test_zeros_units_are_one_line(lesson):
    """Zeros side: the 8 units' weights from x₁ are equal at every epoch, and the chart
    draws them as one line named "8 units on one line"."""
    run = _run(lesson, ZEROS)
    Y = lesson.history.weights[0][run, :, :, 0]
    assert np.all(Y == Y[:, :1])
    fig = unit_trajectories(lesson, ZEROS)
    lines = [t for t in fig.data if t.name not in ("shown epoch", "at the shown epoch")]
    assert [t.name for t in lines] == ["8 units on one line"]
    np.testing.assert_array_equal(lines[0].y, Y[:, 0])
    assert "8 units on one line" in fig.layout.title.subtitle.text


def test_random_units_spread_apart(lesson):
    """Random side: 8 separate pieces, one per unit, no two the same."""
    run = _run(lesson, RANDOM)
    Y = lesson.history.weights[0][run, :, :, 0]
    fig = unit_trajectories(lesson, RANDOM)
    lines = [t for t in fig.data if t.name not in ("shown epoch", "at the shown epoch")]
    assert [t.name for t in lines] == ["1 line per unit"]
    pieces = np.asarray(lines[0].y, float).reshape(8, -1)[:, :-1]  # NaN ends each piece
    np.testing.assert_array_equal(pieces, Y.T)
    assert len({tuple(p) for p in pieces}) == 8


def test_wide_layer_draws_at_most_16_lines(wide):
    """100 units: 16 lines drawn, and a note says how many are not."""
    fig = unit_trajectories(wide, RANDOM)
    lines = [t for t in fig.data if t.name not in ("shown epoch", "at the shown epoch")]
    drawn = sum(np.isnan(np.asarray(t.y, float)).sum() if t.name == "1 line per unit" else 1
                for t in lines)
    assert drawn == MAX_NODES
    notes = [a.text for a in fig.layout.annotations if a.name == "note"]
    assert notes == ["16 of 100 units drawn (+84 more units not drawn)"]


def test_trajectory_frames_move_the_marker(lesson):
    """One frame per animated snapshot; in each, the marker stands at that snapshot's
    epoch and the points are the weights stored there."""
    h = lesson.history
    fig = unit_trajectories(lesson, RANDOM, snapshot=40, frames=True)
    ks = motion.frame_indices(h.snapshot_epochs.size, 40)
    assert len(fig.frames) == len(ks)
    names = [t.name for t in fig.data]
    mi, pi = names.index("shown epoch"), names.index("at the shown epoch")
    run = _run(lesson, RANDOM)
    for j in (0, 7, len(ks) - 1):
        e = float(h.snapshot_epochs[ks[j]])
        assert list(fig.frames[j].data[mi].x) == [e, e]
        np.testing.assert_array_equal(fig.frames[j].data[pi].y,
                                      h.weights[0][run, ks[j], :, 0])


# ------------------------------------------------------------------------------------------
# The decision boundary, animated
# ------------------------------------------------------------------------------------------


def test_boundary_frames_stay_small(lesson):
    """The lesson's animated boundary: one frame per animated snapshot, under 1 MB of
    JSON (it was 4.9 MB with float cells)."""
    fig = decision_boundary(lesson, RANDOM, frames=True)
    h = lesson.history
    assert len(fig.frames) == len(motion.frame_indices(h.snapshot_epochs.size,
                                                       h.snapshot_epochs.size - 1))
    assert len(pio.to_json(fig, validate=False)) < 1_000_000


def test_boundary_frame_is_the_prediction_at_its_snapshot(lesson):
    """A frame's map is P(class 1) in whole percents at that frame's snapshot, the same
    numbers the still figure draws there (to the percent: one byte per cell)."""
    h = lesson.history
    anim = decision_boundary(lesson, RANDOM, frames=True)
    ks = motion.frame_indices(h.snapshot_epochs.size, h.snapshot_epochs.size - 1)
    j = len(ks) // 3
    still = decision_boundary(lesson, RANDOM, snapshot=ks[j])
    assert np.asarray(anim.frames[j].data[0].z).shape == np.asarray(still.data[0].z).shape
    np.testing.assert_allclose(np.asarray(anim.frames[j].data[0].z, float),
                               100 * np.asarray(still.data[0].z), atol=0.6)


def test_trajectories_share_the_y_range(lesson):
    """Both sides use one y range, so the zeros side's single line and the random side's
    spread compare at a glance."""
    ranges = [tuple(unit_trajectories(lesson, i).layout.yaxis.range) for i in (ZEROS, RANDOM)]
    assert ranges[0] == ranges[1]


def test_multiclass_boundary_frames_stay_small():
    """Three classes: the class map travels as one byte per cell, under 1 MB of JSON."""
    result = _train("lesson", dataset="blobs", epochs=40)
    fig = decision_boundary(result, RANDOM, frames=True)
    assert fig.data[0].type == "heatmap"
    assert len(fig.frames) == len(motion.frame_indices(result.history.snapshot_epochs.size,
                                                       result.history.snapshot_epochs.size - 1))
    assert len(pio.to_json(fig, validate=False)) < 1_000_000


def test_fit_curve_frames_follow_the_snapshots():
    """A 1-D regression: each frame's curve is the network's output at that snapshot (the
    still figure's numbers, to float32 precision)."""
    result = _train("lesson", dataset="sine", epochs=40)
    h = result.history
    fig = decision_boundary(result, RANDOM, frames=True)
    ks = motion.frame_indices(h.snapshot_epochs.size, h.snapshot_epochs.size - 1)
    assert len(fig.frames) == len(ks)
    j = len(ks) // 2
    still = decision_boundary(result, RANDOM, snapshot=ks[j])
    np.testing.assert_allclose(fig.frames[j].data[1].y, still.data[1].y, rtol=1e-4, atol=1e-5)
