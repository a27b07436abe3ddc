"""The experiment configuration: one validated object, from and to JSON.

Every way into the lab (the dashboard's widgets, the URL, an uploaded JSON file, the command
line) builds a :class:`Config` through :meth:`Config.from_dict`, which checks every field
once and raises :class:`ConfigError` (a ``ValueError``) with a message that names the field,
says what it must be and shows what it got, and whose ``field`` attribute names it for code.
Code behind this boundary trusts the config.

The fields, their defaults and their checks are the rows of :data:`sim.fields.FIELDS` (one
declaration per setting); this module adds the initializations (:class:`InitSpec`), the
values derived from the fields (``layer_sizes``, ``n_train``...), the checks of settings
that must fit together, and the cost estimate.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace  # noqa: F401  (re-exported)
from typing import Any

from sim.conv import ConvLayer, conv_geometry, flat_size
from sim.cost import SNAPSHOT_BUDGET, estimate_cost, snapshot_count  # noqa: F401 (API)
from sim.datasets import DATASETS
from sim.fields import (
    DTYPES,
    FIELDS,
    INITS_AFTER,
    MAX_EPOCHS,
    MAX_HIDDEN_LAYERS,
    MAX_SEEDS,
    MAX_SNAPSHOTS,
    MAX_UNITS,
    parse_hidden,
)
from sim.initializers import (
    BIAS_INITIALIZERS,
    INITIALIZERS,
    resolve_bias_initializer,
    resolve_initializer,
    validate_bias_params,
    validate_init_params,
)
from sim.jsonio import MAX_JSON_BYTES, parse_json, read_limited
from sim.losses import LOSSES
from sim.optimizers import OPTIMIZERS as _OPTIMIZER_REGISTRY
from sim.validate import ConfigError, check_float, quote

#: Names of the optimizers (the registry is :data:`sim.optimizers.OPTIMIZERS`).
OPTIMIZERS = tuple(_OPTIMIZER_REGISTRY)
DEFAULT_LOSS = {"regression": "mse", "binary": "bce", "multiclass": "ce"}
ALLOWED_LOSSES = {"regression": ("mse",), "binary": ("bce", "ce", "mse"), "multiclass": ("ce",)}

MAX_RUNS = 64
MAX_INITS = 8
#: Refuse configurations estimated to train longer than this (seconds) ...
MAX_SECONDS = 60.0
#: ... or to need more memory than this (bytes).
MAX_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class InitSpec:
    """One initialization to compare: weight scheme, its parameters, scale and bias init.

    Attributes
    ----------
    scheme : str
        A name of :data:`sim.initializers.INITIALIZERS` (aliases accepted, stored canonical).
    params : dict
        The scheme's parameters (defaults filled in).
    scale : float
        Multiplies every initial weight (the "too small / too large" experiment).
    bias : str
        A name of :data:`sim.initializers.BIAS_INITIALIZERS`.
    bias_params : dict
        The bias scheme's parameters.
    """

    scheme: str = "zeros"
    params: dict = field(default_factory=dict)
    scale: float = 1.0
    bias: str = "zeros"
    bias_params: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The one human label of this initialization, used by chart titles, legends, the
        CSV, the NPZ and the HTML page: e.g. ``normal(std=0.01) ×0.5, bias normal(std=0.1)``,
        ``he_normal``, ``xavier_uniform(gain=2)``.

        Parameters that set the scale of the weights (std, a, b, value, ...) are always shown;
        neutral ones (gain, mean) and choices (mode, nonlinearity) only when they differ from
        the scheme's default; the scale factor when it is not 1; the bias when it is not zeros.
        """
        text = self.scheme + _params_text(_shown_params(INITIALIZERS, self.scheme, self.params))
        if self.scale != 1.0:
            text += f" ×{_short(self.scale)}"
        if self.bias != "zeros":
            text += ", bias " + self.bias + _params_text(
                _shown_params(BIAS_INITIALIZERS, self.bias, self.bias_params))
        return text

    @property
    def slug(self) -> str:
        """:attr:`label` for file names: ``normal_std0.01_x0.5_bias_normal_std0.1``, only
        ``A-Z a-z 0-9 . _ -`` (the same parts as the label, in the same order)."""
        parts = [self.scheme, *(f"{k}{v}" for k, v in
                                _shown_params(INITIALIZERS, self.scheme, self.params))]
        if self.scale != 1.0:
            parts.append(f"x{_short(self.scale)}")
        if self.bias != "zeros":
            parts += ["bias", self.bias, *(f"{k}{v}" for k, v in _shown_params(
                BIAS_INITIALIZERS, self.bias, self.bias_params))]
        return slugify("_".join(parts))

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "params": dict(self.params), "scale": self.scale,
                "bias": self.bias, "bias_params": dict(self.bias_params)}

    @classmethod
    def from_dict(cls, d: Any, where: str = "init", path: str = "inits[0]") -> InitSpec:
        """Validated :class:`InitSpec` from a dict (or a bare scheme name).

        ``where`` starts the messages (``init 1``, or ``left`` for a link); ``path`` is the
        :attr:`ConfigError.field` prefix (``inits[0]``): a bad parameter raises with
        ``field="inits[0].params.std"``, a bad scale with ``"inits[0].scale"``.
        """
        if isinstance(d, str):
            d = {"scheme": d}
        if not isinstance(d, Mapping):
            raise ConfigError(f"{where} must be an object with a 'scheme'. Got {quote(d)}.",
                              path)
        unknown = set(d) - {"scheme", "params", "scale", "bias", "bias_params"}
        if unknown:
            first = min(unknown, key=quote)
            raise ConfigError(f"{where}: unknown key {quote(first)}. Valid keys: "
                              "scheme, params, scale, bias, bias_params.", path)
        scheme = _checked(where, f"{path}.scheme", resolve_initializer,
                          d.get("scheme", "zeros"))
        params = _checked_params(where, f"{path}.params", validate_init_params, scheme,
                                 _mapping(d.get("params", {}), where, f"{path}.params"))
        bias = _checked(where, f"{path}.bias", resolve_bias_initializer, d.get("bias", "zeros"))
        bias_params = _checked_params(where, f"{path}.bias_params", validate_bias_params, bias,
                                      _mapping(d.get("bias_params", {}), where,
                                               f"{path}.bias_params"))
        scale = check_float(f"{where} scale", d.get("scale", 1.0), 0.0, 1e6,
                            field=f"{path}.scale")
        return cls(scheme, params, scale, bias, bias_params)


_INIT_FIELD = re.compile(r"inits\[(\d+)\](?:\.(scheme|params|scale|bias|bias_params)"
                         r"(?:\.(.+))?)?")


def init_field_parts(field: str | None) -> tuple[int, str | None, str | None] | None:
    """A :attr:`ConfigError.field` inside the initializations, taken apart: ``(index,
    part, name)``, e.g. ``inits[1].params.std`` -> ``(1, "params", "std")``,
    ``inits[0].scale`` -> ``(0, "scale", None)``, ``inits[2]`` -> ``(2, None, None)``;
    None for any other field (``lr``, ``inits``, None). The paths are the ones
    :meth:`InitSpec.from_dict` gives its errors."""
    m = _INIT_FIELD.fullmatch(field) if field else None
    return None if m is None else (int(m.group(1)), m.group(2), m.group(3))


def _checked(where: str, path: str, fn, value: Any) -> Any:
    """``fn(value)``, its ValueError as a ConfigError prefixed by ``where`` at ``path``."""
    try:
        return fn(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}", path) from None


def _checked_params(where: str, path: str, validate, scheme: str, params: Mapping) -> dict:
    """The scheme's parameters validated; a problem of one parameter names it in ``field``
    (``inits[0].params.std``), a problem of several together (``a`` >= ``b``) the mapping."""
    try:
        return validate(scheme, params)
    except ValueError as exc:
        name = getattr(exc, "field", None)
        raise ConfigError(f"{where}: {exc}", f"{path}.{name}" if name else path) from None


def _mapping(value: Any, where: str, path: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: parameters must be an object of name: value. "
                          f"Got {quote(value)}.", path)
    return value


def _short(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


#: Parameters shown in a label only when they differ from the default: they do not set the
#: weights' scale (a gain of 1 and a mean of 0 go without saying).
_NEUTRAL_PARAMS = ("gain", "mean")


def _shown_params(registry: Mapping, scheme: str, params: Mapping) -> list[tuple[str, str]]:
    """``(name, value text)`` of the parameters a label shows, in the scheme's order."""
    shown = []
    for p in registry[scheme].params:
        v = params.get(p.name, p.default)
        if v != p.default or (p.kind == "float" and p.name not in _NEUTRAL_PARAMS):
            shown.append((p.name, _short(v)))
    return shown


def _params_text(shown: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in shown) + ")" if shown else ""


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slugify(text: str) -> str:
    """``text`` with only ``A-Z a-z 0-9 . _ -``: other runs of characters become ``_``."""
    text = text.replace("×", "x").replace("²", "2")
    return _UNSAFE.sub("_", text).strip("._-")


_DEFAULT_INITS = (InitSpec("zeros"), InitSpec("xavier_uniform", {"gain": 1.0}))

#: Python types of the fields, by kind (for the dataclass's annotations).
_ANNOTATIONS = {"int": "int", "float": "float", "choice": "str", "loss": "str",
                "noise": "float | None", "hidden": "tuple[int, ...]",
                "conv": "tuple[tuple[int, int], ...]"}


class _ConfigBase:
    """What :class:`Config` computes from its fields, and its (de)serialisation."""

    __slots__ = ()

    # ----------------------------------------------------------------- derived values
    @property
    def task(self) -> str:
        return DATASETS[self.dataset].task

    @property
    def loss_name(self) -> str:
        """The loss actually used (``auto`` resolved from the dataset's task)."""
        return DEFAULT_LOSS[self.task] if self.loss == "auto" else self.loss

    @property
    def n_outputs(self) -> int:
        """Output units: the classes for ``ce`` (2 for binary data), the dataset's
        ``outputs`` for regression (8 for ``teacher``), 1 for binary data with ``bce`` or
        ``mse``."""
        if self.loss_name == "ce":
            return 2 if self.task == "binary" else DATASETS[self.dataset].class_count(
                self.n_classes)
        return DATASETS[self.dataset].outputs if self.task == "regression" else 1

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """``(C, H, W)`` of one input image; None for point data."""
        return DATASETS[self.dataset].image_shape(self.image_size)

    @property
    def conv_layers(self) -> list[ConvLayer]:
        """The convolution layers' geometry (:class:`sim.conv.ConvLayer`); empty without."""
        if not self.conv:
            return []
        return conv_geometry(self.image_shape, self.conv, self.pool)

    @property
    def layer_sizes(self) -> list[int]:
        """``[n_inputs, *hidden, n_outputs]`` of the dense layers; ``n_inputs`` is the conv
        layers' flattened output when there are conv layers."""
        spec = DATASETS[self.dataset]
        inputs = (flat_size(self.conv_layers, self.image_shape) if self.conv
                  else spec.features(self.image_size))
        return [inputs, *self.hidden, self.n_outputs]

    @property
    def n_hidden_layers(self) -> int:
        """Layers whose units (or filters) the metrics count: conv layers, then the dense
        hidden layers."""
        return len(self.conv) + len(self.hidden)

    @property
    def n_runs(self) -> int:
        return len(self.inits) * self.seeds

    @property
    def n_test(self) -> int:
        return int(round(self.test_fraction * self.n_samples))

    @property
    def n_train(self) -> int:
        return self.n_samples - self.n_test

    def runs(self) -> list[tuple[int, int]]:
        """``(init_index, seed)`` of every run, in the order of the stacked arrays."""
        return [(i, s) for i in range(len(self.inits)) for s in range(self.seeds)]

    # ----------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["conv"] = [list(layer) for layer in self.conv]
        d["inits"] = [spec.to_dict() for spec in self.inits]
        for name, row in FIELDS.items():  # settings added later: absent at their default
            if row.omit_default and getattr(self, name) == row.default:
                del d[name]
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Config:
        """Validated config from JSON text (at most :data:`sim.jsonio.MAX_JSON_BYTES`);
        anything else raises :class:`ConfigError` (see :func:`sim.jsonio.parse_json`)."""
        if isinstance(text, str) and len(text) > MAX_JSON_BYTES:
            raise ConfigError(f"The configuration is {len(text)} characters long; at most "
                              f"{MAX_JSON_BYTES} are read.")
        if not isinstance(text, str):
            text = read_limited(text, what="The configuration")
        return cls.from_dict(parse_json(text, what="The configuration"))

    def replace(self, **changes: Any) -> Config:
        """A validated copy with some fields changed."""
        d = self.to_dict()
        d.update(changes)
        return Config.from_dict(d)

    @classmethod
    def from_dict(cls, data: Any, *, init_names: Sequence[str] | None = None) -> Config:
        """Validate every field and return the config.

        Missing fields take their defaults; unknown fields are refused. Each field is
        checked by its row of :data:`sim.fields.FIELDS`.

        Parameters
        ----------
        data : mapping
            Field name -> value (numbers may be text, as in URLs and flags).
        init_names : sequence of str, optional
            How messages name the initializations (``left``, ``right`` for a link);
            default ``init 1``, ``init 2``...

        Raises
        ------
        ConfigError
            With a message naming the field, what it must be and what it got, and
            ``field`` set to it (``"lr"``, ``"inits[1].params.std"``), or None for
            settings that do not fit together.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"The configuration must be a JSON object. Got {type(data).__name__}.")
        valid = list(cls.__dataclass_fields__)
        unknown = [k for k in data if k not in valid]
        if unknown:
            raise ConfigError(f"Unknown configuration key {quote(unknown[0])}. "
                              f"Valid keys: {', '.join(valid)}.", str(unknown[0])[:80])
        out: dict[str, Any] = {}
        for name, row in FIELDS.items():
            out[name] = row.check(data[name]) if name in data else row.default
            if name == INITS_AFTER:
                out["inits"] = _check_inits(data.get("inits", [s.to_dict() for s in
                                                               _DEFAULT_INITS]), init_names)
        cfg = cls(**out)
        cfg._check_consistency()
        return cfg

    def _check_consistency(self) -> None:
        task = self.task
        if self.loss != "auto" and self.loss not in ALLOWED_LOSSES[task]:
            raise ConfigError(
                f"loss {self.loss!r} does not fit the {self.dataset} dataset ({task}): "
                f"use one of {', '.join(ALLOWED_LOSSES[task])}.", "loss")
        spec = DATASETS[self.dataset]
        if self.conv and not spec.is_image:
            images = ", ".join(n for n, sp in DATASETS.items() if sp.is_image)
            raise ConfigError(f"conv layers need an image dataset ({images}); the "
                              f"{self.dataset} dataset has {spec.n_features} number(s) per "
                              "sample. Set conv to nothing, or pick an image dataset.", "conv")
        if self.pool > 1 and not self.conv:
            raise ConfigError(f"pool {self.pool} applies after conv layers, and there are "
                              "none: set conv (such as 8x3), or pool 0.", "pool")
        if self.conv:
            try:
                self.conv_layers  # noqa: B018 - checks that pooling leaves pixels
            except ValueError as exc:
                raise ConfigError(f"{exc} Got image size {self.image_size}, pool "
                                  f"{self.pool}.", "pool") from None
        if self.n_runs > MAX_RUNS:
            raise ConfigError(f"inits x seeds must be at most {MAX_RUNS} runs. "
                              f"Got {len(self.inits)} x {self.seeds} = {self.n_runs}.", "seeds")
        if self.n_train < 2:
            raise ConfigError(f"test_fraction leaves {self.n_train} training samples; "
                              "at least 2 are needed.", "test_fraction")
        if self.batch_size > self.n_train:
            raise ConfigError(f"batch_size must be at most the number of training samples "
                              f"({self.n_train}), or 0 for full batch. Got {self.batch_size}.",
                              "batch_size")
        seconds, nbytes = estimate_cost(self)
        # Rounded up, so that a configuration over a limit never reads as within it.
        if nbytes > MAX_BYTES:
            raise ConfigError(
                f"This configuration needs about {math.ceil(nbytes / 1024**3 * 10) / 10:.1f} GB "
                f"of memory, over the {MAX_BYTES / 1024**3:g} GB limit: use fewer or smaller "
                "layers, fewer samples, runs or snapshots.")
        if seconds > MAX_SECONDS:
            raise ConfigError(
                f"This configuration would take about {math.ceil(seconds)} s to train, over "
                f"the {MAX_SECONDS:g} s limit: use fewer epochs, samples, runs or smaller "
                "layers.")


def _check_inits(inits: Any, names: Sequence[str] | None) -> tuple[InitSpec, ...]:
    if not isinstance(inits, (list, tuple)) or not 1 <= len(inits) <= MAX_INITS:
        raise ConfigError(f"inits must be a list of 1 to {MAX_INITS} initializations. "
                          f"Got {quote(inits)}.", "inits")
    return tuple(InitSpec.from_dict(s, where=names[i] if names else f"init {i + 1}",
                                    path=f"inits[{i}]") for i, s in enumerate(inits))


def _config_fields() -> list[tuple[str, str, Any]]:
    """The dataclass fields of :class:`Config`: one per row of the table, plus ``inits``."""
    out = []
    for name, row in FIELDS.items():
        out.append((name, _ANNOTATIONS[row.kind], dataclasses.field(default=row.default)))
        if name == INITS_AFTER:
            out.append(("inits", "tuple[InitSpec, ...]",
                        dataclasses.field(default=_DEFAULT_INITS)))
    return out


def _config_doc() -> str:
    """The docstring of :class:`Config`, one entry per row of the table (so it cannot miss
    a setting)."""
    lines = ["Everything that defines a comparison.", "",
             "Build it with :meth:`from_dict` to validate. One attribute per row of",
             ":data:`sim.fields.FIELDS`, in that order, with ``inits`` after ``loss``.", "",
             "Attributes", "----------"]
    for name, row in FIELDS.items():
        default = "None" if row.default is None else row.to_text(row.default)
        lines += [f"{name} : {_ANNOTATIONS[row.kind]}",
                  f"    {row.label}: {row.help} Default {default}."]
        if name == INITS_AFTER:
            lines += ["inits : tuple of InitSpec",
                      "    The initializations compared (zeros vs xavier_uniform by default)."]
    return "\n".join(lines)


Config = dataclasses.make_dataclass(
    "Config", _config_fields(), bases=(_ConfigBase,), frozen=True,
    namespace={"__module__": __name__, "__doc__": _config_doc()})


__all__ = [
    "ALLOWED_LOSSES",
    "Config",
    "ConfigError",
    "DTYPES",
    "InitSpec",
    "LOSSES",
    "MAX_EPOCHS",
    "MAX_HIDDEN_LAYERS",
    "MAX_INITS",
    "MAX_RUNS",
    "MAX_SEEDS",
    "MAX_SNAPSHOTS",
    "MAX_UNITS",
    "OPTIMIZERS",
    "estimate_cost",
    "init_field_parts",
    "parse_hidden",
    "replace",
    "snapshot_count",
]
