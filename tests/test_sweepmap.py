"""Tests of the sweep map: rows to a grid (:func:`sim.sweep.maps.map_grid`), the theory it
admits (:func:`map_theory`) and the heatmap (:func:`sim.charts.sweepmap.sweep_map`).

The rows are built by hand, as :func:`sim.sweep.read_results` returns them, so every mean
and fraction below is worked out from the numbers in the fixture.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import Config, theory
from sim.charts.sweepmap import CRITICAL_NAME, DEPTH_NAME, cell_edges, is_geometric, sweep_map
from sim.sweep.maps import MapTheory, map_grid, map_theory, swept_fields
from sim.sweep.results import read_results, to_csv


def row(cell, sigma_w2, depth, seed, *, width=8, init="lecun_normal", train_loss=0.1,
        diverged_at=None, epochs_to_target=None, constant_at_init=0) -> dict:
    return {"cell": cell, "sigma_w2": sigma_w2, "depth": depth, "width": width, "init": init,
            "seed": seed, "initial_loss": 0.7, "train_loss": train_loss, "test_loss": None,
            "train_accuracy": None, "test_accuracy": None, "distinct_first": 8,
            "distinct_last": 8, "width_first": width, "width_last": width, "rank_first": 2.0,
            "rank_last": 2.0, "diverged_at": diverged_at, "epochs_to_target": epochs_to_target,
            "constant_at_init": constant_at_init, "seconds": 0.1}


@pytest.fixture
def rows() -> list[dict]:
    """sigma_w2 in {1, 2}, depth in {2, 4}, width in {8, 16}, 2 seeds; cell (sigma_w2=2,
    depth=4, width=8) is missing."""
    out, cell = [], 0
    for width in (8, 16):
        for depth in (2, 4):
            for sw in (1.0, 2.0):
                if (sw, depth, width) == (2.0, 4, 8):
                    cell += 1
                    continue
                for seed in (0, 1):
                    out.append(row(cell, sw, depth, seed, width=width,
                                   train_loss=sw * depth + seed + (100 if width == 16 else 0),
                                   diverged_at=5 if (sw == 2.0 and seed == 1) else None,
                                   epochs_to_target=10 + seed if depth == 2 else
                                   (30 if seed == 0 else None),
                                   constant_at_init=int(depth == 4)))
                cell += 1
    return out


def test_swept_fields_are_the_columns_between_cell_and_init(rows) -> None:
    """The grid fields of rows are the columns between cell and init, in order."""
    assert swept_fields(rows) == ["sigma_w2", "depth", "width"]


def test_cells_hold_the_mean_over_seeds(rows) -> None:
    """train_loss = sigma_w2 * depth + seed: the mean of seeds 0 and 1 adds 0.5."""
    g = map_grid(rows, "sigma_w2", "depth", "train_loss", fixed={"width": 8})
    assert g.xs == [1.0, 2.0] and g.ys == [2, 4]
    assert g.z.shape == (2, 2)
    assert g.z[0, 0] == 2.5 and g.z[0, 1] == 4.5 and g.z[1, 0] == 4.5
    assert g.n[0, 0] == 2


def test_a_missing_cell_is_nan_with_no_seeds(rows) -> None:
    """The cell (2, 4) has no rows at width 8: NaN, 0 seeds, said in its hover."""
    g = map_grid(rows, "sigma_w2", "depth", "train_loss", fixed={"width": 8})
    assert math.isnan(g.z[1, 1]) and g.n[1, 1] == 0
    assert "no results" in g.hover[1][1]


def test_the_third_axis_is_held_at_the_fixed_value(rows) -> None:
    """At width 16 every loss is 100 more, and the cell missing at width 8 is there."""
    g = map_grid(rows, "sigma_w2", "depth", "train_loss", fixed={"width": 16})
    assert g.z[0, 0] == 102.5 and g.z[1, 1] == 108.5
    assert g.fixed == {"width": 16}


def test_diverged_is_the_fraction_of_seeds_with_an_epoch(rows) -> None:
    """At sigma_w2 = 2 one seed of two diverged; at sigma_w2 = 1 none."""
    g = map_grid(rows, "sigma_w2", "depth", "diverged", fixed={"width": 16})
    np.testing.assert_array_equal(g.z, [[0.0, 0.5], [0.0, 0.5]])


def test_constant_at_init_is_a_fraction(rows) -> None:
    g = map_grid(rows, "sigma_w2", "depth", "constant_at_init", fixed={"width": 16})
    np.testing.assert_array_equal(g.z, [[0.0, 0.0], [1.0, 1.0]])


def test_epochs_to_target_averages_the_seeds_that_reached_it(rows) -> None:
    """Depth 2: both seeds reached it (10, 11); depth 4: only seed 0 (30)."""
    g = map_grid(rows, "sigma_w2", "depth", "epochs_to_target", fixed={"width": 16})
    assert g.z[0, 0] == 10.5 and g.z[1, 0] == 30.0
    assert "2/2 seeds reached" in g.hover[0][0]
    assert "1/2 seeds reached" in g.hover[1][0]


def test_epochs_to_target_is_nan_when_no_seed_reached_it() -> None:
    rs = [row(0, 1.0, 2, s) for s in range(3)]
    g = map_grid(rs + [row(1, 2.0, 2, 0, epochs_to_target=7)], "sigma_w2", "depth",
                 "epochs_to_target")
    assert math.isnan(g.z[0, 0]) and g.z[0, 1] == 7.0
    assert "0/3 seeds reached" in g.hover[0][0]


def test_init_is_chosen_by_its_place_in_the_cell() -> None:
    """Two inits per cell, whose labels change with the cell (a swept scale): the second
    init is every cell's second label."""
    rs = [row(0, 1.0, 2, 0, init="a ×1", train_loss=1.0),
          row(0, 1.0, 2, 0, init="b ×1", train_loss=2.0),
          row(1, 2.0, 2, 0, init="a ×2", train_loss=3.0),
          row(1, 2.0, 2, 0, init="b ×2", train_loss=4.0)]
    g = map_grid(rs, "sigma_w2", "depth", "train_loss", init=1)
    np.testing.assert_array_equal(g.z, [[2.0, 4.0]])
    both = map_grid(rs, "sigma_w2", "init", "train_loss")
    np.testing.assert_array_equal(both.z, [[1.0, 3.0], [2.0, 4.0]])


@pytest.mark.parametrize("kwargs", [{"metric": "loss"}, {"x": "lr"}, {"y": "sigma_w2"},
                                    {"fixed": {"width": 32}}])
def test_bad_choices_are_refused(rows, kwargs) -> None:
    args = {"x": "sigma_w2", "y": "depth", "metric": "train_loss", **kwargs}
    with pytest.raises(ValueError):
        map_grid(rows, **args)


def test_rows_read_back_from_csv_give_the_same_grid(rows) -> None:
    """The grid of rows written with the results' own writer and read back."""
    back = read_results(to_csv(rows, ["sigma_w2", "depth", "width"]).encode())
    a = map_grid(rows, "sigma_w2", "depth", "train_loss", fixed={"width": 8})
    b = map_grid(back, "sigma_w2", "depth", "train_loss", fixed={"width": 8})
    np.testing.assert_array_equal(a.z, b.z)


# ------------------------------------------------------------------------------------------
# The figure
# ------------------------------------------------------------------------------------------


def tanh_base(activation: str = "tanh", scheme: str = "lecun_normal") -> Config:
    return Config.from_dict({"activation": activation, "inits": [
        {"scheme": scheme, "bias": "normal", "bias_params": {"std": 0.05 ** 0.5}}]})


def grid_over(x: str, xs, ys, y: str = "depth"):
    rs = [row(0, 1.0, 2, 0) | {x: xv, y: yv, "cell": k * 100 + j}
          for j, yv in enumerate(ys) for k, xv in enumerate(xs)]
    for r in rs:
        if x != "sigma_w2":
            del r["sigma_w2"]
    keys = ["cell", x, y, *[k for k in rs[0] if k not in ("cell", x, y)]]
    rs = [{k: r[k] for k in keys} for r in rs]
    rs = [{k: v for k, v in r.items() if k != "width"} for r in rs]
    return map_grid(rs, x, y, "train_loss")


def traces(fig, name):
    return [t for t in fig.data if t.name == name]


def test_heatmap_z_is_the_grid(rows) -> None:
    g = map_grid(rows, "sigma_w2", "depth", "train_loss", fixed={"width": 8})
    fig = sweep_map(g)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z, float), g.z)
    assert fig.data[0].type == "heatmap"


def test_theory_lines_over_sigma_w2_and_depth() -> None:
    """tanh, σ_b² = 0.05: the critical line at sim.theory's σ_w² (about 1.76) and the
    6 ξ_c curve, inside the plotted depths."""
    g = grid_over("sigma_w2", [0.5, 1.0, 2.0, 3.0, 4.0], [2, 5, 10, 20, 40])
    th = map_theory(g, tanh_base())
    assert th is not None and th.sigma_b2 == pytest.approx(0.05)
    fig = sweep_map(g, th)
    (crit,) = traces(fig, CRITICAL_NAME)
    assert list(crit.x) == pytest.approx([theory.critical_sigma_w2(0.05, "tanh")] * 2)
    (curve,) = traces(fig, DEPTH_NAME)
    y = np.asarray(curve.y, float)
    lo, hi = 10 ** np.asarray(fig.layout.yaxis.range)
    inside = y[np.isfinite(y) & (y >= lo) & (y <= hi)]
    assert inside.size > 10
    assert np.nanmax(y) <= 2 * hi  # points beyond the plot only to reach its edge


def test_theory_over_a_fan_in_scale_converts_the_critical_line() -> None:
    """x = init.scale of lecun_normal: the critical line sits at the scale whose σ_w² is
    critical."""
    g = grid_over("init.scale", [0.5, 1.0, 1.5, 2.0], [2, 5, 10])
    base = tanh_base()
    th = map_theory(g, base)
    fig = sweep_map(g, th)
    (crit,) = traces(fig, CRITICAL_NAME)
    want = theory.sigma_w2_scale(base.inits[0], theory.critical_sigma_w2(0.05, "tanh"))
    assert crit.x[0] == pytest.approx(want)


@pytest.mark.parametrize("case", ["other y", "no theory activation", "not fan-in"])
def test_no_theory_lines_when_they_do_not_apply(case) -> None:
    if case == "other y":
        g, base = grid_over("sigma_w2", [0.5, 1.0, 2.0], [0.1, 0.2], y="lr"), tanh_base()
    elif case == "no theory activation":
        g, base = grid_over("sigma_w2", [0.5, 1.0, 2.0], [2, 5]), tanh_base("gelu")
    else:
        g, base = grid_over("init.scale", [0.5, 1.0, 2.0], [2, 5]), tanh_base(
            scheme="xavier_normal")
    assert map_theory(g, base) is None
    fig = sweep_map(g, map_theory(g, base))
    assert not traces(fig, CRITICAL_NAME) and not traces(fig, DEPTH_NAME)


def test_critical_line_outside_the_plotted_range_is_not_drawn() -> None:
    g = grid_over("sigma_w2", [2.5, 3.0, 4.0], [2, 5, 10])
    fig = sweep_map(g, MapTheory("tanh", 0.05))
    assert not traces(fig, CRITICAL_NAME)
    assert CRITICAL_NAME not in fig.layout.meta["theory"]


def test_depths_in_geometric_steps_get_a_log_axis_and_even_ones_a_linear_axis() -> None:
    assert is_geometric([2, 5, 10, 20, 40])
    assert not is_geometric([0.5, 1.0, 1.5, 2.0, 2.5])
    g = grid_over("sigma_w2", [0.5, 1.0, 1.5, 2.0], [2, 5, 10, 20, 40])
    fig = sweep_map(g)
    assert fig.layout.yaxis.type == "log" and fig.layout.xaxis.type == "linear"


def test_cells_span_the_midpoints_between_values() -> None:
    np.testing.assert_allclose(cell_edges([1.0, 2.0, 4.0], log=False), [0.5, 1.5, 3.0, 5.0])
    np.testing.assert_allclose(cell_edges([1.0, 4.0, 16.0], log=True), [0.5, 2, 8, 32])


def test_names_make_a_categorical_axis() -> None:
    """Activation names on x: a category axis whose labels are the names."""
    rs = [{"cell": k, "activation": a, "depth": 2, **{c: v for c, v in row(k, 1, 2, 0).items()
                                                       if c not in ("cell", "sigma_w2",
                                                                    "depth", "width")}}
          for k, a in enumerate(["tanh", "relu"])]
    fig = sweep_map(map_grid(rs, "activation", "depth", "train_loss"))
    assert fig.layout.xaxis.type == "category"
    assert list(fig.data[0].x) == ["tanh", "relu"]


def test_init_label_is_the_part_the_cells_share() -> None:
    """A swept scale changes the label's ``×scale``: the grid names the init without it."""
    rs = [row(0, 0.5, 2, 0, init="lecun_normal ×0.707107, bias normal(std=0.2)"),
          row(1, 2.0, 2, 0, init="lecun_normal ×1.41421, bias normal(std=0.2)")]
    assert map_grid(rs, "sigma_w2", "depth", "train_loss").init == \
        "lecun_normal, bias normal(std=0.2)"
    rs = [row(0, 0.5, 2, 0, init="lecun_normal ×0.5"), row(1, 1.0, 2, 0, init="lecun_normal")]
    assert map_grid(rs, "sigma_w2", "depth", "train_loss").init == "lecun_normal"
