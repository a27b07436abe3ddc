"""A sweep: a base configuration, the axes of a grid over its settings, and a loss target.

Grid fields
-----------
An axis is ``FIELD=VALUES``. ``FIELD`` is one of

* a configuration field's own name (``lr``, ``epochs``, ``activation``, ``n_samples``, ...:
  the rows of :data:`sim.fields.FIELDS`);
* ``depth`` and ``width``: the hidden layers are ``[width] * depth`` (a missing one keeps the
  base's: its number of hidden layers, or its first layer's width);
* ``init.scale`` and ``init.bias``: set on **every** initialization of the cell;
  ``init.PARAM`` (``init.std``, ``init.gain``...) and ``init.bias.PARAM``: set on every
  initialization whose scheme has that parameter (sweeping ``init.std`` over zeros vs normal
  changes normal's std);
* ``sigma_w2`` and ``sigma_b2``, the mean-field theory's variances (:mod:`sim.theory`):
  ``sigma_w2`` sets each initialization's scale so that ``Var(W) = sigma_w2 / fan_in``
  (for fan-in schemes: lecun_*, he_* with mode fan_in), ``sigma_b2`` sets the bias to
  ``normal`` with ``std = sqrt(sigma_b2)`` (0: zeros).

``VALUES`` is a list (``2,5,10``; ``;`` separates values that contain commas themselves, such
as ``hidden=8,8;16,16``), ``lin:START:STOP:N`` (N evenly spaced values, both ends included)
or ``geom:START:STOP:N`` (N values evenly spaced on a log scale). Whole-number fields
(``depth``, ``width``, ``epochs``...) round ``lin``/``geom`` values and drop repeats.

The cells are the grid's points, the first axis varying slowest; each cell is one
configuration, checked as a single configuration is (:meth:`sim.config.Config.from_dict`:
every field, the time and memory limits), with all the base's initializations and seeds.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import MAX_BYTES, MAX_INITS, MAX_RUNS, Config, ConfigError, estimate_cost
from sim.fields import FIELDS
from sim.validate import quote

#: Format version of ``sweep.json``.
VERSION = 1
#: At most this many cells in one sweep, and this many axes.
MAX_CELLS = 10_000
MAX_AXES = 4
#: At most this many values on ``lin:``/``geom:``.
MAX_VALUES = 1_000
#: Cells stacked into one batched training are kept under this estimate (seconds), so that
#: progress and the workers' shares stay fine-grained, and under this much memory.
BATCH_SECONDS = 6.0
BATCH_BYTES = MAX_BYTES // 4

SPECIAL_FIELDS = ("depth", "width", "sigma_w2", "sigma_b2", "init.scale", "init.bias")
_INT_SPECIAL = frozenset({"depth", "width"})
_INIT_PARAM = re.compile(r"init\.(bias\.)?([A-Za-z_][A-Za-z0-9_]*)\Z")


class SweepError(ConfigError):
    """A sweep that cannot run: a bad axis, a bad cell, a file of another sweep."""


def _is_int_field(name: str) -> bool:
    return name in _INT_SPECIAL or (name in FIELDS and FIELDS[name].kind == "int")


def check_field(name: str) -> str:
    """``name`` if it is a grid field (see the module's docstring), else :class:`SweepError`."""
    name = name.strip()
    if name in FIELDS or name in SPECIAL_FIELDS or _INIT_PARAM.match(name):
        return name
    raise SweepError(f"--grid: unknown field {quote(name)}; use a config field "
                     f"({', '.join(list(FIELDS)[:6])}, ...), depth, width, init.scale, "
                     "init.PARAM, init.bias, init.bias.PARAM, sigma_w2 or sigma_b2.", "grid")


def _item(text: str) -> Any:
    """A list item: an int, else a float, else the text (a choice such as ``tanh``)."""
    text = text.strip()
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            break
        return value
    return text


def parse_values(text: str, name: str = "field") -> list[Any]:
    """The values of one axis (see the module's docstring), as Python numbers or text.

    Raises
    ------
    SweepError
        For an empty list, a bad ``lin:``/``geom:`` spec or repeated values.
    """
    where = f"--grid {name}={text}"[:120]
    text = text.strip()
    kind, _, spec = text.partition(":")
    if kind in ("lin", "geom") and spec:
        parts = spec.split(":")
        try:
            start, stop, n = float(parts[0]), float(parts[1]), int(parts[2])
            if len(parts) != 3:
                raise ValueError
        except (ValueError, IndexError):
            raise SweepError(f"{where}: expected {kind}:START:STOP:N, such as "
                             f"{kind}:0.5:4:8.", "grid") from None
        if not (1 <= n <= MAX_VALUES) or not all(map(math.isfinite, (start, stop))):
            raise SweepError(f"{where}: N must be 1 to {MAX_VALUES} and START, STOP finite.",
                             "grid")
        if kind == "geom" and (start <= 0 or stop <= 0):
            raise SweepError(f"{where}: geom needs START and STOP above 0.", "grid")
        raw = (np.linspace if kind == "lin" else np.geomspace)(start, stop, n)
        values: list[Any] = [float(v) for v in raw]
        if kind == "geom" and n > 1:  # exact ends, not exp(log(stop))
            values[0], values[-1] = start, stop
        if _is_int_field(name):
            values = list(dict.fromkeys(int(round(v)) for v in values))
    else:
        sep = ";" if ";" in text else ","
        values = [_item(t) for t in text.split(sep) if t.strip()]
        if not values:
            raise SweepError(f"{where}: no values; give a list (2,5,10), lin:START:STOP:N or "
                             "geom:START:STOP:N.", "grid")
        if len(set(map(repr, values))) != len(values):
            raise SweepError(f"{where}: a value is repeated.", "grid")
    return values


@dataclass(frozen=True)
class Axis:
    """One axis of the grid: a field and its values."""

    field: str
    values: tuple

    def to_dict(self) -> dict:
        return {"field": self.field, "values": list(self.values)}


def parse_axis(text: str) -> Axis:
    """``FIELD=VALUES`` (a ``--grid`` flag) as an :class:`Axis`."""
    name, eq, values = text.partition("=")
    if not eq:
        raise SweepError(f"--grid {quote(text)}: expected FIELD=VALUES, such as depth=2,5,10 "
                         "or sigma_w2=lin:0.5:4:8.", "grid")
    name = check_field(name)
    return Axis(name, tuple(parse_values(values, name)))


@dataclass(frozen=True)
class Target:
    """The loss a run must reach: ``1%`` of its initial training loss, or an absolute
    training loss (``0.05``)."""

    text: str = "1%"

    @property
    def relative(self) -> bool:
        return self.text.endswith("%")

    def threshold(self, initial_loss: float) -> float:
        """The training loss to reach, for a run that started at ``initial_loss``."""
        value = float(self.text.rstrip("%"))
        return value / 100 * initial_loss if self.relative else value

    @classmethod
    def parse(cls, text: Any) -> Target:
        t = str(text).strip()
        try:
            value = float(t.rstrip("%"))
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0) or t.count("%") > 1:
            raise SweepError(f"target must be a training loss above 0 (0.05) or a percentage "
                             f"of the initial loss (1%). Got {quote(t)}.", "target")
        return cls(t)


@dataclass(frozen=True)
class Cell:
    """One point of the grid: its index, the swept values and its validated configuration."""

    index: int
    values: dict
    config: Config


@dataclass(frozen=True)
class Sweep:
    """A base configuration, a grid over it and a loss target.

    Attributes
    ----------
    base : Config
    axes : tuple of Axis
    target : Target
    preset : str or None
        The sweep preset it came from, if any (a note in ``sweep.json``).
    """

    base: Config
    axes: tuple[Axis, ...]
    target: Target = field(default_factory=Target)
    preset: str | None = None

    def __post_init__(self) -> None:
        names = [a.field for a in self.axes]
        if not names:
            raise SweepError("A sweep needs at least one --grid axis.", "grid")
        if len(names) > MAX_AXES:
            raise SweepError(f"A sweep has at most {MAX_AXES} axes. Got {len(names)}.", "grid")
        if len(set(names)) != len(names):
            raise SweepError(f"--grid {quote(names[0])}: a field is swept twice.", "grid")
        if "hidden" in names and ({"depth", "width"} & set(names)):
            raise SweepError("Sweep hidden, or depth and width, not both.", "grid")
        if self.n_cells > MAX_CELLS:
            raise SweepError(f"A sweep has at most {MAX_CELLS} cells. Got {self.n_cells}.",
                             "grid")

    @property
    def fields(self) -> list[str]:
        return [a.field for a in self.axes]

    @property
    def n_cells(self) -> int:
        return math.prod(len(a.values) for a in self.axes)

    def assignments(self) -> list[dict[str, Any]]:
        """The swept values of every cell, in cell order."""
        return [dict(zip(self.fields, combo, strict=True))
                for combo in itertools.product(*(a.values for a in self.axes))]

    def cells(self) -> list[Cell]:
        """Every cell, validated (:class:`SweepError` names the first bad one); validated
        once per sweep, however many times the command line, the estimate and the run ask."""
        return list(self._cells)

    @functools.cached_property
    def _cells(self) -> tuple[Cell, ...]:
        out = []
        base = self.base.to_dict()
        for k, values in enumerate(self.assignments()):
            try:
                cfg = Config.from_dict(apply(base, values))
            except ConfigError as exc:
                shown = ", ".join(f"{f}={v}" for f, v in values.items())
                raise SweepError(f"cell {k} ({shown}): {exc}", exc.field) from None
            out.append(Cell(k, values, cfg))
        return tuple(out)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return {"version": VERSION, "preset": self.preset, "base": self.base.to_dict(),
                "grid": [a.to_dict() for a in self.axes], "target": self.target.text}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Any, where: str = "the sweep") -> Sweep:
        """A sweep from ``sweep.json``'s content (``base`` may be partial: the rest takes the
        config's defaults), every part checked."""
        if not isinstance(data, Mapping):
            raise SweepError(f"{where} must be a JSON object with base, grid and target.")
        unknown = set(data) - {"version", "preset", "base", "grid", "target"}
        if unknown:
            raise SweepError(f"{where}: unknown key {quote(sorted(unknown)[0])}; the keys are "
                             "version, preset, base, grid, target.")
        if data.get("version", VERSION) != VERSION:
            raise SweepError(f"{where}: version {quote(data.get('version'))} is not "
                             f"{VERSION}, the only one this Init Lab reads.")
        try:
            base = Config.from_dict(data.get("base", {}))
        except ConfigError as exc:
            raise SweepError(f"{where}: base: {exc}", exc.field) from None
        grid = data.get("grid", [])
        if not isinstance(grid, list):
            raise SweepError(f"{where}: grid must be a list of {{field, values}}.", "grid")
        axes = []
        for a in grid:
            if not isinstance(a, Mapping) or set(a) != {"field", "values"}:
                raise SweepError(f"{where}: each grid entry is {{\"field\": ..., \"values\": "
                                 "[...]}}.", "grid")
            name, values = check_field(str(a["field"])), a["values"]
            if isinstance(values, str):
                values = parse_values(values, name)
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, int | float | str) and not isinstance(v, bool)
                    for v in values):
                raise SweepError(f"{where}: grid {name}: values must be a non-empty list of "
                                 "numbers or names (or a text such as lin:0.5:4:8).", "grid")
            axes.append(Axis(name, tuple(values)))
        preset = data.get("preset")
        return cls(base, tuple(axes), Target.parse(data.get("target", "1%")),
                   preset if isinstance(preset, str) else None)


def load_sweep(path: str | os.PathLike) -> Sweep:
    """The :class:`Sweep` of a folder's ``sweep.json`` (or of that file), read by the one JSON
    reader (:func:`sim.jsonio.load_json`: size, depth, duplicate keys)."""
    from sim.jsonio import load_json

    p = Path(path)
    if p.is_dir():
        p = p / "sweep.json"
    try:
        data = load_json(p, what=str(p))
    except ConfigError as exc:
        raise SweepError(str(exc), exc.field) from None
    return Sweep.from_dict(data, where=str(p))


def apply(base: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A cell's configuration dict: ``base`` (a config dict) with the swept ``values`` set."""
    d = dict(base)
    inits = [dict(s, params=dict(s.get("params", {})),
                  bias_params=dict(s.get("bias_params", {}))) for s in d["inits"]]
    hidden = list(d["hidden"])
    depth = values.get("depth", len(hidden))
    width = values.get("width", hidden[0] if hidden else 8)
    if "depth" in values or "width" in values:
        d["hidden"] = [width] * int(depth)
    for name, value in values.items():
        if name in FIELDS:
            d[name] = value
        elif name == "init.scale":
            for s in inits:
                s["scale"] = value
        elif name == "init.bias":
            for s in inits:
                s["bias"], s["bias_params"] = value, {}
        elif name == "sigma_b2":
            for s in inits:
                s["bias"], s["bias_params"] = (("normal", {"std": math.sqrt(float(value))})
                                               if float(value) > 0 else ("zeros", {}))
    for name, value in values.items():  # after init.bias: a bias parameter is the new bias's
        if (m := _INIT_PARAM.match(name)) and name not in SPECIAL_FIELDS:
            _set_param(inits, bool(m.group(1)), m.group(2), value, name)
    if "sigma_w2" in values:
        _set_sigma_w2(inits, values["sigma_w2"])
    d["inits"] = inits
    return d


def _set_param(inits: list[dict], bias: bool, param: str, value: Any, name: str) -> None:
    """``init.PARAM`` / ``init.bias.PARAM``: set on every init whose scheme has PARAM (zeros
    vs normal, sweeping init.std, sets normal's std); none having it is an error."""
    from sim.initializers import (
        BIAS_INITIALIZERS,
        INITIALIZERS,
        resolve_bias_initializer,
        resolve_initializer,
    )

    registry, resolve = ((BIAS_INITIALIZERS, resolve_bias_initializer) if bias else
                         (INITIALIZERS, resolve_initializer))
    hit = False
    for s in inits:
        try:
            scheme = registry[resolve(str(s.get("bias", "zeros") if bias else s["scheme"]))]
        except (ValueError, KeyError):
            continue  # Config.from_dict reports the unknown scheme
        if param in (p.name for p in scheme.params):
            s["bias_params" if bias else "params"][param] = value
            hit = True
    if not hit:
        schemes = ", ".join(str(s.get("bias", "zeros") if bias else s["scheme"]) for s in inits)
        raise ConfigError(f"{name}: no {'bias ' if bias else ''}initializer of the cell has a "
                          f"parameter {quote(param)} (they are {schemes}).", "grid")


def _set_sigma_w2(inits: list[dict], sigma_w2: Any) -> None:
    from sim.config import InitSpec
    from sim.theory import sigma_w2_scale

    for k, s in enumerate(inits):
        try:
            spec = InitSpec.from_dict({**s, "scale": 1.0}, path=f"inits[{k}]")
            target = float(sigma_w2)
        except (ConfigError, ValueError, TypeError):
            return  # Config.from_dict reports the bad init or value
        scale = sigma_w2_scale(spec, target)
        if scale is None:
            raise ConfigError(f"sigma_w2 sets the scale of a fan-in initialization (lecun_*, "
                              f"he_* with mode fan_in); init {k + 1} is {spec.label}.",
                              f"inits[{k}].scale")
        s["scale"] = scale


# ---------------------------------------------------------------------- batches
@dataclass(frozen=True)
class Batch:
    """Cells trained together: their configurations differ only in the initializations, so
    one batched :func:`sim.train.train_comparison` of all their initializations trains them
    all (each run depends only on its own initialization and seed, so the numbers are the
    same as when each cell is trained alone)."""

    cells: tuple[Cell, ...]
    config: Config

    @property
    def seconds(self) -> float:
        return estimate_cost(self.config)[0]


def _arch_key(cfg: Config) -> str:
    d = cfg.to_dict()
    d.pop("inits")
    return json.dumps(d, sort_keys=True)


def batches(cells: Sequence[Cell], stack: bool = True) -> list[Batch]:
    """The cells grouped into batches (in cell order within a batch), within the limits of
    one training (:data:`sim.config.MAX_INITS`, :data:`~sim.config.MAX_RUNS`) and of
    :data:`BATCH_SECONDS` / :data:`BATCH_BYTES`; ``stack=False`` gives one cell per batch."""
    groups: dict[str, list[Cell]] = {}
    for c in cells:
        groups.setdefault(_arch_key(c.config) if stack else str(c.index), []).append(c)
    out: list[Batch] = []
    for group in groups.values():
        current: list[Cell] = []
        merged: Config | None = None
        for c in group:
            candidate = _merged([*current, c]) if current else c.config
            if current and (candidate is None or not _fits(candidate)):
                out.append(Batch(tuple(current), merged))
                current, merged = [c], c.config
            else:
                current, merged = [*current, c], candidate
        if current:
            out.append(Batch(tuple(current), merged))
    return sorted(out, key=lambda b: b.cells[0].index)


def _merged(cells: Sequence[Cell]) -> Config | None:
    inits = [s.to_dict() for c in cells for s in c.config.inits]
    if len(inits) > MAX_INITS or len(inits) * cells[0].config.seeds > MAX_RUNS:
        return None
    try:
        return Config.from_dict({**cells[0].config.to_dict(), "inits": inits})
    except ConfigError:
        return None


def _fits(cfg: Config) -> bool:
    seconds, nbytes = estimate_cost(cfg)
    return seconds <= BATCH_SECONDS and nbytes <= BATCH_BYTES
