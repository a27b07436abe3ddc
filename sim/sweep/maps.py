"""From a sweep's result rows to a map: one metric on a grid of two swept fields.

A sweep's ``results.csv`` has one row per (cell, initialization, seed)
(:func:`sim.sweep.read_results`). :func:`map_grid` picks two swept fields as the axes, one
initialization, a value of every other swept field, and averages a metric over the seeds
of each cell, giving a :class:`MapGrid` that :func:`sim.charts.sweepmap.sweep_map` draws.
:func:`map_theory` says whether the mean-field theory (:mod:`sim.theory`) can be drawn over
it: the x axis is σ_w² (or the scale of a fan-in-normal initialization) and the y axis is
depth. Pure functions of plain rows: no plotly, no Streamlit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.sweep.results import METRICS

Row = Mapping[str, Any]

#: Columns of ``results.csv`` that are not grid fields (the contract's order).
RESULT_COLUMNS = ("cell", "init", "seed", "initial_loss", "train_loss", "test_loss",
                  "train_accuracy", "test_accuracy", "distinct_first", "distinct_last",
                  "width_first", "width_last", "rank_first", "rank_last", "diverged_at",
                  "epochs_to_target", "constant_at_init", "seconds")


@dataclass(frozen=True)
class MapMetric:
    """A quantity a map can show.

    Attributes
    ----------
    name : str
        The metric's key (a column of ``results.csv``, or ``diverged``).
    label : str
        Short label (the colour bar's title, the menu).
    description : str
        What a cell's value is, for captions ("mean over seeds of ...").
    better : {"low", "high"}
        Which end of the range is the good one (the bright end of the colour scale).
    kind : {"mean", "fraction", "reached"}
        ``mean``: mean over the seeds with a finite value; ``fraction``: fraction of seeds
        for which the column is set (``diverged_at``) or 1 (``constant_at_init``);
        ``reached``: mean over the seeds that reached the target, NaN if none did.
    column : str
        The column of ``results.csv`` read.
    """

    name: str
    label: str
    description: str
    better: str
    kind: str = "mean"
    column: str = ""

    @property
    def source(self) -> str:
        return self.column or self.name


#: The metrics a map offers, keyed by the name the menus show.
MAP_METRICS: dict[str, MapMetric] = {m.name: m for m in (
    MapMetric("train_loss", METRICS["train_loss"], "the final training loss, mean over seeds",
              "low"),
    MapMetric("test_loss", METRICS["test_loss"], "the final test loss, mean over seeds", "low"),
    MapMetric("test_accuracy", METRICS["test_accuracy"], "the final test accuracy, mean over seeds",
              "high"),
    MapMetric("train_accuracy", METRICS["train_accuracy"],
              "the final training accuracy (did the network train?), mean over seeds", "high"),
    MapMetric("rank_last", METRICS["rank_last"],
              "the effective rank of the last hidden layer's activations at the end, mean "
              "over seeds", "high"),
    MapMetric("distinct_last", METRICS["distinct_last"],
              "the number of distinct neurons of the last hidden layer at the end, mean over "
              "seeds", "high"),
    MapMetric("epochs_to_target", METRICS["epochs_to_target"],
              "the epochs needed to reach the loss target, mean over the seeds that reached "
              "it (blank where none did)", "low", kind="reached"),
    MapMetric("diverged", METRICS["diverged"],
              "the fraction of seeds whose training diverged", "low", kind="fraction",
              column="diverged_at"),
    MapMetric("constant_at_init", METRICS["constant_at_init"],
              "the fraction of seeds whose network's output is the same for every training "
              "input at initialization", "low", kind="fraction"),
)}

#: How axis titles and hover texts name a field.
FIELD_TITLES = {"sigma_w2": "σ_w²", "sigma_b2": "σ_b²", "depth": "depth (hidden layers)",
                "width": "width (units per hidden layer)", "init.scale": "init scale",
                "lr": "learning rate", "epochs": "epochs", "activation": "activation",
                "seeds": "seeds", "batch_size": "batch size"}
#: Short names for hover texts and captions.
FIELD_SHORT = {"sigma_w2": "σ_w²", "sigma_b2": "σ_b²", "depth": "depth", "width": "width",
               "init.scale": "scale", "lr": "lr"}


def field_title(name: str) -> str:
    """The axis title of a swept field: ``sigma_w2`` -> ``σ_w²``, ``init.bias.std`` ->
    ``init bias std``."""
    return FIELD_TITLES.get(name, name.replace(".", " ").replace("_", " "))


def field_short(name: str) -> str:
    """The short name of a field in hover texts (``σ_w²``, ``depth``, ``init.std``)."""
    return FIELD_SHORT.get(name, name)


def format_value(value: Any) -> str:
    """A swept value as text: ``0.5``, ``10``, ``tanh``; floats to 4 significant digits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


@dataclass(frozen=True)
class MapGrid:
    """One metric on a grid of two swept fields, for one initialization.

    Attributes
    ----------
    x, y : str
        The swept fields on the axes.
    xs : list, length nx
        The x field's values, sorted (numbers ascending; names in the order they first
        appear).
    ys : list, length ny
    z : ndarray of shape (ny, nx)
        The metric per cell; NaN where no row has a value.
    n : ndarray of int of shape (ny, nx)
        Seeds (rows) per cell.
    hover : list of list of str, shape (ny, nx)
        One hover text per cell (values, seeds, and for ``epochs_to_target`` how many seeds
        reached the target).
    metric : str
        A key of :data:`MAP_METRICS`.
    label : str
        The metric's label.
    init : str
        The initialization's label (that of its first row).
    init_index : int
        Its place among the initializations of a cell.
    fixed : dict
        The value each other swept field is held at.
    """

    x: str
    y: str
    xs: list
    ys: list
    z: np.ndarray
    n: np.ndarray
    hover: list[list[str]]
    metric: str
    label: str
    init: str = ""
    init_index: int = 0
    fixed: dict = field(default_factory=dict)

    @property
    def numeric_x(self) -> bool:
        return is_numeric(self.xs)

    @property
    def numeric_y(self) -> bool:
        return is_numeric(self.ys)


def is_numeric(values: Sequence) -> bool:
    """Whether every value is a real number (not a bool)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def swept_fields(source: Any) -> list[str]:
    """The swept fields of a sweep (its axes, in order) or of its result rows.

    Parameters
    ----------
    source : Sweep or sequence of dict
        A :class:`sim.sweep.Sweep` (anything with ``axes``, a list of (field, values)) or
        rows as :func:`sim.sweep.read_results` returns them, whose grid columns are those
        between ``cell`` and ``init``.
    """
    axes = getattr(source, "axes", None)
    if axes is not None:
        return [getattr(a, "field", None) or a[0] for a in axes]
    rows = list(source)
    if not rows:
        return []
    keys = list(rows[0])
    if "cell" in keys and "init" in keys and keys.index("cell") < keys.index("init"):
        return keys[keys.index("cell") + 1:keys.index("init")]
    return [k for k in keys if k not in RESULT_COLUMNS]


def field_values(rows: Iterable[Row], name: str) -> list:
    """The distinct values of a field: numbers sorted, anything else in order of first
    appearance. Missing values (None) are left out."""
    seen: dict = {}
    for r in rows:
        v = r.get(name)
        if v is not None and v not in seen:
            seen[v] = None
    values = list(seen)
    return sorted(values) if is_numeric(values) else values


def _init_indices(rows: Sequence[Row]) -> list[int]:
    """Each row's initialization as its place in its cell (0, 1, ...).

    A cell's rows list its initializations in order; their labels can differ from cell to
    cell (``lecun_normal ×0.5`` and ``×2`` when ``init.scale`` is swept), their places do
    not."""
    per_cell: dict[Any, dict[str, int]] = {}
    out = []
    for r in rows:
        labels = per_cell.setdefault(r.get("cell"), {})
        label = str(r.get("init"))
        if label not in labels:
            labels[label] = len(labels)
        out.append(labels[label])
    return out


#: The pseudo-field that puts the initializations on an axis (a sweep preset's comparison
#: of inits against depth).
INIT_AXIS = "init"


def map_axes(rows: Sequence[Row]) -> list[str]:
    """The fields a map can put on an axis: the swept fields, then :data:`INIT_AXIS` when the
    sweep compares several initializations (or has a single swept field)."""
    fields = swept_fields(rows)
    if len(init_choices(rows)) > 1 or len(fields) == 1:
        fields.append(INIT_AXIS)
    return fields


def init_choices(rows: Sequence[Row]) -> list[str]:
    """One label per initialization of the sweep, in order: its label, or the part its
    labels share when a swept field changes them (``lecun_normal`` for ``lecun_normal ×0.7``
    and ``lecun_normal ×2``)."""
    labels: dict[int, list[str]] = {}
    for r, k in zip(rows, _init_indices(rows), strict=True):
        seen = labels.setdefault(k, [])
        if str(r.get("init")) not in seen:
            seen.append(str(r.get("init")))
    return [_common_label(labels[k]) for k in sorted(labels)]


def _common_label(labels: list[str]) -> str:
    """The first label without the words some other label lacks (``lecun_normal, bias
    normal(std=0.2)`` for ``lecun_normal ×0.5, bias normal(std=0.2)`` and ``lecun_normal ×2,
    bias normal(std=0.2)``)."""
    if len(labels) == 1:
        return labels[0]
    words = [{w for w in re.split(r"[ ,]+", t) if w} for t in labels]
    text = labels[0]
    for w in sorted(words[0] - set.intersection(*words), key=len, reverse=True):
        text = re.sub(rf"(^|[ ,]){re.escape(w)}(?=$|[ ,])", "", text)
    return text.strip(" ,") or labels[0]


def available_metrics(rows: Sequence[Row]) -> list[str]:
    """The metrics of :data:`MAP_METRICS` that some row has a value for (no test accuracy
    for a regression)."""
    out = []
    for name, m in MAP_METRICS.items():
        if m.kind == "fraction" or any(r.get(m.source) is not None for r in rows):
            out.append(name)
    return out


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _cell(metric: MapMetric, values: list) -> tuple[float, str]:
    """A cell's value from its seeds' values, and the hover's note on it."""
    n = len(values)
    if metric.kind == "fraction":
        if metric.source == "diverged_at":
            hits = sum(v is not None for v in values)
        else:
            hits = sum(1 for v in values if _finite(v) and v >= 0.5)
        return hits / n, f"{hits}/{n} seeds"
    ok = [float(v) for v in values if _finite(v)]
    if metric.kind == "reached":
        note = f"{len(ok)}/{n} seeds reached the target"
        return (float(np.mean(ok)) if ok else math.nan), note
    if not ok:
        return math.nan, f"no finite value in {n} seeds"
    note = f"mean of {len(ok)} seeds" if len(ok) == n else f"mean of {len(ok)}/{n} seeds"
    return float(np.mean(ok)), note


def _fmt_metric(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.4g}"


def map_grid(rows: Sequence[Row], x: str, y: str, metric: str, init: int | str | None = None,
             fixed: Mapping[str, Any] | None = None) -> MapGrid:
    """Average ``metric`` over the seeds of each (x, y) cell of a sweep's rows.

    Parameters
    ----------
    rows : sequence of dict
        Rows as :func:`sim.sweep.read_results` returns them.
    x, y : str
        Two different swept fields (columns of the rows).
    metric : str
        A key of :data:`MAP_METRICS`.
    init : int or str, optional
        The initialization: its place in a cell (0, 1, ...) or its label (one of
        :func:`init_choices`); default the first.
    fixed : dict, optional
        The value of each other swept field (the 3rd axis and beyond); a field left out is
        held at its first value (:func:`field_values`).

    Returns
    -------
    MapGrid
        ``z`` of shape (len(ys), len(xs)): mean over seeds (``epochs_to_target``: over
        the seeds that reached the target, NaN if none; ``diverged`` and
        ``constant_at_init``: the fraction of seeds); NaN where a cell has no rows.

    Raises
    ------
    ValueError
        For an unknown metric, a field that is not swept, x equal to y, an unknown
        initialization or a fixed value that no row has.
    """
    if metric not in MAP_METRICS:
        raise ValueError(f"metric must be one of {', '.join(MAP_METRICS)}. Got {metric!r}.")
    fields = swept_fields(rows)
    allowed = [*fields, INIT_AXIS]
    for axis, name in (("x", x), ("y", y)):
        if name not in allowed:
            raise ValueError(f"{axis} must be a swept field or init ({', '.join(allowed)}). "
                             f"Got {name!r}.")
    if x == y:
        raise ValueError(f"x and y must be different swept fields. Got {x!r} twice.")
    labels = init_choices(rows)
    if init is None:
        k = 0
    elif isinstance(init, str):
        if init not in labels:
            raise ValueError(f"init must be one of {', '.join(labels)}. Got {init!r}.")
        k = labels.index(init)
    else:
        if not 0 <= init < len(labels):
            raise ValueError(f"init must be an index from 0 to {len(labels) - 1}. "
                             f"Got {init!r}.")
        k = int(init)
    held: dict[str, Any] = {}
    for name in fields:
        if name in (x, y):
            continue
        values = field_values(rows, name)
        value = (fixed or {}).get(name, values[0] if values else None)
        if value not in values:
            raise ValueError(f"{name} must be held at one of its swept values "
                             f"({', '.join(map(format_value, values))}). Got {value!r}.")
        held[name] = value
    on_axis = INIT_AXIS in (x, y)  # then every init is drawn, one row or column each

    def value(r: Row, i: int, name: str) -> Any:
        return labels[i] if name == INIT_AXIS else r.get(name)

    chosen = [(r, i) for r, i in zip(rows, _init_indices(rows), strict=True)
              if (on_axis or i == k) and all(r.get(f) == v for f, v in held.items())]
    xs = labels if x == INIT_AXIS else field_values(rows, x)
    ys = labels if y == INIT_AXIS else field_values(rows, y)
    m = MAP_METRICS[metric]
    cells: dict[tuple[int, int], list] = {}
    xi, yi = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    for r, i in chosen:
        xv, yv = value(r, i, x), value(r, i, y)
        if xv in xi and yv in yi:
            cells.setdefault((yi[yv], xi[xv]), []).append(r.get(m.source))
    z = np.full((len(ys), len(xs)), np.nan)
    n = np.zeros((len(ys), len(xs)), dtype=int)
    hover = []
    for j, yv in enumerate(ys):
        line = []
        for i, xv in enumerate(xs):
            head = (f"{field_short(x)} = {format_value(xv)}<br>"
                    f"{field_short(y)} = {format_value(yv)}<br>")
            values = cells.get((j, i))
            if not values:
                line.append(head + "no results")
                continue
            z[j, i], note = _cell(m, values)
            n[j, i] = len(values)
            line.append(head + f"{m.label}: <b>{_fmt_metric(z[j, i])}</b> ({note})")
        hover.append(line)
    return MapGrid(x=x, y=y, xs=xs, ys=ys, z=z, n=n, hover=hover, metric=metric,
                   label=m.label, init="" if on_axis or not labels else labels[k],
                   init_index=k, fixed=held)


# ------------------------------------------------------------------------------------------
# When the mean-field theory applies
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapTheory:
    """What the theory lines over a map need.

    Attributes
    ----------
    activation : str
        The hidden activation (one of ``sim.theory.ACTIVATIONS_WITH_THEORY``).
    sigma_b2 : float
        The bias variance σ_b².
    spec : InitSpec or None
        The initialization whose ``scale`` is the x axis (``init.scale``); None when the x
        axis is σ_w² itself.
    """

    activation: str
    sigma_b2: float
    spec: Any = None

    def sigma_w2(self, x: float) -> float:
        """σ_w² at the x axis's value ``x``."""
        if self.spec is None:
            return float(x)
        from sim import theory

        return float(theory.init_sigma_w2(replace(self.spec, scale=float(x))))

    def x_of(self, sigma_w2: float) -> float:
        """The x axis's value where σ_w² is ``sigma_w2``."""
        if self.spec is None:
            return float(sigma_w2)
        from sim import theory

        return float(theory.sigma_w2_scale(self.spec, sigma_w2))


def map_theory(grid: MapGrid, base: Any) -> MapTheory | None:
    """The theory to draw over ``grid``, or None when it does not apply.

    It applies when the x axis is ``sigma_w2`` (or ``init.scale`` of an initialization
    whose σ_w² :func:`sim.theory.init_sigma_w2` knows: a fan-in normal), the y axis is
    ``depth`` and the activation (swept and held, or the base configuration's) has a theory
    (``sim.theory.ACTIVATIONS_WITH_THEORY``).

    Parameters
    ----------
    grid : MapGrid
    base : Config
        The sweep's base configuration (``Sweep.base``).
    """
    if grid.y != "depth" or grid.x not in ("sigma_w2", "init.scale"):
        return None
    if not (grid.numeric_x and grid.numeric_y):
        return None
    try:
        from sim import theory
    except ImportError:  # the theory module is not there: no lines, the map still draws
        return None
    activation = grid.fixed.get("activation", getattr(base, "activation", None))
    if activation not in theory.ACTIVATIONS_WITH_THEORY:
        return None
    inits = getattr(base, "inits", ())
    spec = inits[grid.init_index] if grid.init_index < len(inits) else None
    sigma_b2 = (float(grid.fixed["sigma_b2"]) if "sigma_b2" in grid.fixed
                else _theory_value(theory.init_sigma_b2, spec))
    if sigma_b2 is None:  # a bias the theory does not cover (a mean, a fan-in variance)
        return None
    if grid.x == "sigma_w2":
        return MapTheory(activation, sigma_b2)
    if spec is None or _theory_value(theory.init_sigma_w2, spec) is None:
        return None
    return MapTheory(activation, sigma_b2, spec)


def _theory_value(fn, spec) -> float | None:
    """``fn(spec)`` as a float, or None where the theory does not know the init."""
    if spec is None:
        return None
    try:
        v = fn(spec)
    except (ValueError, KeyError, TypeError):
        return None
    return None if v is None else float(v)
