"""Sharing an experiment: the configuration in the page URL and in uploaded JSON files.

Every way in goes through :meth:`sim.config.Config.from_dict`, so a URL, an uploaded file and
a command-line config file are checked by the same rules and refused with the same kind of
message (which parameter, what it must be, what it got).

URL parameters
--------------
:func:`config_to_params` writes every field, flat and readable::

    ?dataset=moons&samples=256&noise=default&test=0.25&data_seed=0&classes=3&hidden=8,8
    &act=tanh&loss=auto&left=zeros&left.scale=1&left.bias=zeros&right=xavier_uniform
    &right.gain=1&right.scale=1&right.bias=zeros&seeds=1&opt=sgd&lr=0.5&momentum=0.9
    &epochs=500&batch=0&l2=0&dropout=0&dtype=float64&snapshots=151

=================  ====================  ==================================================
parameter          config field          value
=================  ====================  ==================================================
``dataset``        ``dataset``           a dataset name, e.g. ``circles``
``samples``        ``n_samples``         integer
``noise``          ``noise``             number, or ``default`` (the dataset's own)
``test``           ``test_fraction``     number in [0, 0.9]
``data_seed``      ``data_seed``         integer
``classes``        ``n_classes``         integer (``blobs`` only)
``hidden``         ``hidden``            layer sizes ``8,8``
``act``            ``activation``        an activation name, e.g. ``tanh``
``loss``           ``loss``              ``auto`` or a loss name
``seeds``          ``seeds``             runs per initialization
``opt``            ``optimizer``         ``sgd``, ``momentum`` or ``adam``
``lr``             ``lr``                learning rate
``momentum``       ``momentum``          number in [0, 1)
``epochs``         ``epochs``            integer
``batch``          ``batch_size``        integer, 0 = full batch
``l2``             ``l2``                weight decay
``dropout``        ``dropout``           number in [0, 0.9]
``dtype``          ``dtype``             ``float64`` or ``float32``
``snapshots``      ``snapshots``         integer
``P``              ``inits[i].scheme``   weight scheme, e.g. ``xavier_uniform``
``P.NAME``         ``inits[i].params``   a parameter of the scheme, e.g. ``left.gain=1``
``P.scale``        ``inits[i].scale``    multiplies the initial weights
``P.bias``         ``inits[i].bias``     bias scheme, e.g. ``normal``
``P.bias.NAME``    ``inits[i].bias_      a parameter of the bias scheme, e.g.
                   params``              ``left.bias.std=1``
=================  ====================  ==================================================

``P`` names the initialization: ``left`` and ``right`` are the dashboard's two panels (the
config's first and second), then ``init3`` ... ``init8`` for more (the command line allows
up to 8). They must be contiguous: ``init3`` needs ``left`` and ``right``. Without any ``P``
the default pair (zeros vs xavier_uniform) is used.

Reading is strict: an unknown parameter, a parameter given twice, a value of the wrong type
or out of range is refused with one :class:`~sim.config.ConfigError` naming the parameter.
Parameters left out take the config's defaults, so hand-written short links work
(``?dataset=circles&act=sigmoid``). Numbers are written with ``repr`` (integral values
without ``.0``), so config -> params -> config is exact, bit for bit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, BinaryIO

from sim.config import MAX_INITS, Config, ConfigError, InitSpec

#: URL parameter -> config field, in the order :func:`config_to_params` writes them (the
#: initializations come after ``loss``).
SIMPLE_PARAMS: dict[str, str] = {
    "dataset": "dataset",
    "samples": "n_samples",
    "noise": "noise",
    "test": "test_fraction",
    "data_seed": "data_seed",
    "classes": "n_classes",
    "hidden": "hidden",
    "act": "activation",
    "loss": "loss",
    "seeds": "seeds",
    "opt": "optimizer",
    "lr": "lr",
    "momentum": "momentum",
    "epochs": "epochs",
    "batch": "batch_size",
    "l2": "l2",
    "dropout": "dropout",
    "dtype": "dtype",
    "snapshots": "snapshots",
}

#: Names of the initializations in the URL: the dashboard's two panels, then numbered.
INIT_PREFIXES: tuple[str, ...] = ("left", "right",
                                  *(f"init{i}" for i in range(3, MAX_INITS + 1)))

#: ``noise=default``: the dataset's own noise level (``noise: null`` in JSON).
NOISE_DEFAULT = "default"

#: Uploaded config files larger than this are refused unread (a config is about 1 KB).
MAX_UPLOAD_BYTES = 1_000_000


# --------------------------------------------------------------------------------------------
# Config -> URL parameters
# --------------------------------------------------------------------------------------------


def format_number(x: float | int) -> str:
    """Shortest text that reads back as exactly ``x``: ``1``, ``0.1``, ``1e-05``, ``1e20``.

    Integral floats lose their ``.0`` (``float("1") == 1.0``); no ``+`` appears, because a
    ``+`` in a query string may be read back as a space.
    """
    if isinstance(x, int):
        return str(x)
    if x.is_integer() and abs(x) < 1e15 and math.copysign(1.0, x) > 0:
        return str(int(x))
    return repr(x).replace("e+", "e")


def _value(v: Any) -> str:
    if isinstance(v, str):
        return v
    return format_number(v)


def _init_params(prefix: str, spec: InitSpec) -> dict[str, str]:
    out = {prefix: spec.scheme}
    out.update({f"{prefix}.{k}": _value(v) for k, v in spec.params.items()})
    out[f"{prefix}.scale"] = format_number(spec.scale)
    out[f"{prefix}.bias"] = spec.bias
    out.update({f"{prefix}.bias.{k}": _value(v) for k, v in spec.bias_params.items()})
    return out


def config_to_params(cfg: Config) -> dict[str, str]:
    """The configuration as flat, readable URL query parameters (every field written).

    See the module docstring for the scheme. ``params_to_config(config_to_params(cfg))``
    equals ``cfg`` exactly.

    Examples
    --------
    >>> p = config_to_params(Config())
    >>> p["hidden"], p["left"], p["right"], p["right.gain"], p["lr"]
    ('8,8', 'zeros', 'xavier_uniform', '1', '0.5')
    """
    out: dict[str, str] = {}
    for param, fld in SIMPLE_PARAMS.items():
        if param == "seeds":  # initializations between the model and the training settings
            for prefix, spec in zip(INIT_PREFIXES, cfg.inits, strict=False):
                out.update(_init_params(prefix, spec))
        v = getattr(cfg, fld)
        if fld == "noise" and v is None:
            out[param] = NOISE_DEFAULT
        elif fld == "hidden":
            out[param] = ",".join(map(str, v))
        else:
            out[param] = _value(v)
    return out


# --------------------------------------------------------------------------------------------
# URL parameters -> Config
# --------------------------------------------------------------------------------------------


def _valid_params_text() -> str:
    return (f"Valid parameters: {', '.join(SIMPLE_PARAMS)}, and per initialization "
            f"({', '.join(INIT_PREFIXES[:3])} ... {INIT_PREFIXES[-1]}) P, P.<parameter>, "
            "P.scale, P.bias, P.bias.<parameter>.")


def _single(key: str, value: Any) -> str:
    """The one text value of a query parameter (``st.query_params`` may give a list)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            shown = ", ".join(repr(v) for v in value)
            raise ConfigError(f"URL parameter {key!r} must be given once. "
                              f"Got it {len(value)} times ({shown}).")
        value = value[0]
    if not isinstance(value, str):
        raise ConfigError(f"URL parameter {key!r} must be text. Got {type(value).__name__}.")
    return value


def _error(fn: Callable[[], Any]) -> str | None:
    """The ConfigError message ``fn`` raises, or None."""
    try:
        fn()
    except ConfigError as exc:
        return str(exc)
    return None


def _blame(exc: ConfigError, suspects: Mapping[str, Callable[[], Any]]) -> ConfigError:
    """Name the parameter behind ``exc``: the one that, checked alone, fails the same way.

    Checking the whole config first and blaming afterwards keeps combinations right: a batch
    size that only the given sample count makes valid is never checked against the default.
    If no single parameter explains the message (e.g. batch larger than the training set),
    it is a problem of the combination and stays as it is.
    """
    for key, check in suspects.items():
        if _error(check) == str(exc):
            return ConfigError(f"URL parameter {key!r}: {exc}")
    return exc


def _init_from_params(prefix: str, given: dict[str, str]) -> dict[str, Any]:
    """One initialization's dict for :meth:`InitSpec.from_dict`, validated (by it)."""
    scheme = given[prefix]
    spec: dict[str, Any] = {"scheme": scheme, "params": {}, "bias_params": {}}
    alone: dict[str, Callable[[], Any]] = {prefix: lambda: InitSpec.from_dict(
        {"scheme": scheme}, where=prefix)}
    for key, value in given.items():
        rest = key[len(prefix) + 1:]
        if key == prefix:
            continue
        if rest == "scale":
            spec["scale"] = value
            one = {"scheme": scheme, "scale": value}
        elif rest == "bias":
            spec["bias"] = value
            one = {"scheme": scheme, "bias": value}
        elif rest.startswith("bias."):
            spec["bias_params"][rest[5:]] = value
            one = {"scheme": scheme, "bias": given.get(f"{prefix}.bias", "zeros"),
                   "bias_params": {rest[5:]: value}}
        else:
            spec["params"][rest] = value
            one = {"scheme": scheme, "params": {rest: value}}
        alone[key] = lambda one=one: InitSpec.from_dict(one, where=prefix)
    try:
        InitSpec.from_dict(spec, where=prefix)
    except ConfigError as exc:
        raise _blame(exc, alone) from None
    return spec


def params_to_config(params: Mapping[str, str | list[str]], *,
                     ignore: Collection[str] = ()) -> Config:
    """The configuration described by URL query parameters (see the module docstring).

    Parameters
    ----------
    params : mapping of str to str or list of str
        E.g. ``st.query_params`` (``.to_dict()``) or a dict of lists from
        ``urllib.parse.parse_qs``. Missing parameters take the config's defaults.
    ignore : collection of str, optional
        Keys that are not part of the config (the dashboard's own view state) and are
        skipped instead of refused.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        For an unknown parameter, a parameter given more than once, a value of the wrong
        type or out of range, or settings that do not fit together; one message that names
        the parameter, e.g. ``URL parameter 'lr': lr (learning rate) must be a number > 0
        and <= 100. Got -1.0.``
    """
    simple: dict[str, str] = {}
    inits: dict[str, dict[str, str]] = {}
    for key, raw in params.items():
        if key in ignore:
            continue
        if not isinstance(key, str):
            raise ConfigError(f"URL parameter names must be text. Got {key!r}.")
        value = _single(key, raw)
        prefix = key.split(".", 1)[0]
        if key in SIMPLE_PARAMS:
            simple[key] = value
        elif prefix in INIT_PREFIXES and (key == prefix or key[len(prefix) + 1:]):
            inits.setdefault(prefix, {})[key] = value
        else:
            raise ConfigError(f"Unknown URL parameter {key!r}. {_valid_params_text()}")

    data: dict[str, Any] = {}
    for key, value in simple.items():
        fld = SIMPLE_PARAMS[key]
        if fld == "noise" and value.strip() == NOISE_DEFAULT:
            data[fld] = None
        else:
            data[fld] = value

    if inits:
        count = len(inits)
        order = f"the initializations are {', '.join(INIT_PREFIXES[:3])} ... in this order"
        for prefix in INIT_PREFIXES[:count]:
            if prefix not in inits:
                later = next(p for p in INIT_PREFIXES[count:] if p in inits)
                raise ConfigError(f"URL parameter {sorted(inits[later])[0]!r} needs "
                                  f"{prefix!r} too: {order}.")
            if prefix not in inits[prefix]:
                raise ConfigError(f"URL parameter {sorted(inits[prefix])[0]!r} needs "
                                  f"{prefix!r} (the weight scheme) too.")
        data["inits"] = [_init_from_params(p, inits[p]) for p in INIT_PREFIXES[:count]]

    try:
        return Config.from_dict(data)
    except ConfigError as exc:
        suspects = {key: (lambda fld=SIMPLE_PARAMS[key]: Config.from_dict({fld: data[fld]}))
                    for key in simple}
        blamed = _blame(exc, suspects)
        if blamed is not exc:
            raise blamed from None
        # Settings that do not fit together: the message names config fields; say which
        # URL parameters those are where the names differ.
        text = str(exc)
        aliases = [f"{fld} is {param!r}" for param, fld in SIMPLE_PARAMS.items()
                   if param != fld and re.search(rf"\b{fld}\b", text)]
        hint = f" (in the URL, {', '.join(aliases)})" if aliases else ""
        raise ConfigError(f"The URL parameters do not fit together: {text}{hint}") from None


# --------------------------------------------------------------------------------------------
# Uploaded JSON files
# --------------------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.3g} MB"
    if n >= 1_000:
        return f"{n / 1e3:.3g} KB"
    return f"{n} bytes"


def _too_large(size: str, max_bytes: int) -> ConfigError:
    return ConfigError(f"The file is {size}; a configuration file may be at most "
                       f"{_size(max_bytes)} (Init Lab's config.json is about 1 KB). "
                       "Upload a config.json saved by Init Lab.")


def _read_limited(data: bytes | bytearray | memoryview | BinaryIO, max_bytes: int) -> bytes:
    """The bytes of ``data``, refusing more than ``max_bytes`` without reading the rest."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > max_bytes:
            raise _too_large(_size(len(data)), max_bytes)
        return bytes(data)
    size = getattr(data, "size", None)  # Streamlit's UploadedFile knows its size
    if isinstance(size, int) and size > max_bytes:
        raise _too_large(_size(size), max_bytes)
    read = getattr(data, "read", None)
    if read is None:
        raise ConfigError(f"The upload must be bytes or a binary file. Got "
                          f"{type(data).__name__}.")
    raw = read(max_bytes + 1)
    if not isinstance(raw, (bytes, bytearray)):
        raise ConfigError(f"The upload must be a binary file. Got {type(raw).__name__} "
                          "from it.")
    if len(raw) > max_bytes:
        raise _too_large(f"larger than {_size(max_bytes)}", max_bytes)
    return bytes(raw)


def _no_constant(name: str) -> Any:
    raise ConfigError(f"The file is not valid JSON: {name} is not a JSON number "
                      "(JSON has no NaN or Infinity).")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"The file gives the key {key!r} twice; keep one.")
        out[key] = value
    return out


def config_from_upload(data: bytes | bytearray | memoryview | BinaryIO,
                       max_bytes: int = MAX_UPLOAD_BYTES) -> Config:
    """The configuration in an uploaded JSON file, checked like every other way in.

    Only JSON is read: nothing in the file is executed, imported or followed (no paths, no
    URLs, no pickles).

    Parameters
    ----------
    data : bytes or binary file
        The file's bytes, or a binary file object (e.g. Streamlit's ``UploadedFile``), of
        which at most ``max_bytes + 1`` bytes are read.
    max_bytes : int
        Larger files are refused before anything is parsed.

    Raises
    ------
    ConfigError
        One message: too large, empty, not UTF-8, not JSON (including NaN, Infinity and
        duplicate keys), not a JSON object, an unknown key, a value of the wrong type or out
        of range (the last three from :meth:`Config.from_dict`).
    """
    raw = _read_limited(data, max_bytes)
    if not raw.strip():
        raise ConfigError("The file is empty. Upload a config.json saved by Init Lab.")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from some editors is harmless
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                          f"position {exc.start}); upload a JSON configuration such as the "
                          "config.json Init Lab saves.") from None
    try:
        obj = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except ConfigError:
        raise
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}.") from None
    except RecursionError:
        raise ConfigError("The file is not a configuration: its JSON is nested too deeply.") \
            from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise ConfigError(f"The file is not valid JSON: {exc}.") from None
    return Config.from_dict(obj)


__all__ = [
    "INIT_PREFIXES",
    "MAX_UPLOAD_BYTES",
    "NOISE_DEFAULT",
    "SIMPLE_PARAMS",
    "config_from_upload",
    "config_to_params",
    "format_number",
    "params_to_config",
]
