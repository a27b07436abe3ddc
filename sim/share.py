"""Sharing an experiment: the configuration in the page URL and in uploaded JSON files.

Every way in goes through :meth:`sim.config.Config.from_dict`, so a URL, an uploaded file and
a command-line config file are checked by the same rules and refused with the same kind of
message (which parameter, what it must be, what it got).

URL parameters
--------------
:func:`config_to_params` writes every field, flat and readable, except the settings added
after links were shared (``size``, ``conv``, ``pool``: rows with ``omit_default``) at their
defaults, so a link to a dense network reads as it always did::

    ?dataset=moons&samples=256&noise=default&test=0.25&data_seed=0&classes=3&hidden=8,8
    &act=tanh&loss=auto&left=zeros&left.scale=1&left.bias=zeros&right=xavier_uniform
    &right.gain=1&right.scale=1&right.bias=zeros&seeds=1&opt=sgd&lr=0.5&momentum=0.9
    &epochs=500&batch=0&l2=0&dropout=0&dtype=float64&snapshots=151

Each setting's parameter name, its value text and its check come from its row of
:data:`sim.fields.FIELDS` (``python -m sim.fields`` prints the table the README shows). The
initializations are written as ``P``, ``P.NAME`` (a scheme parameter, ``left.gain=1``),
``P.scale``, ``P.bias`` and ``P.bias.NAME`` (``left.bias.std=1``).

``P`` names the initialization: ``left`` and ``right`` are the dashboard's two panels (the
config's first and second), then ``init3`` ... ``init8`` for more (the command line allows
up to 8). They must be contiguous: ``init3`` needs ``left`` and ``right``. Without any ``P``
the default pair (zeros vs xavier_uniform) is used.

Reading is strict: an unknown parameter, a parameter given twice, a value of the wrong type
or out of range is refused with one :class:`~sim.config.ConfigError` naming the parameter.
Parameters left out take the config's defaults, so hand-written short links work
(``?dataset=circles&act=sigmoid``, ``?dataset=bars&conv=8x3&pool=2&size=12``). Numbers are
written with ``repr`` (integral values without ``.0``), so config -> params -> config is
exact, bit for bit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from typing import Any, BinaryIO

from sim.config import MAX_INITS, Config, ConfigError, InitSpec, init_field_parts
from sim.fields import FIELDS, INITS_AFTER, NOISE_DEFAULT, URL_FIELDS, format_number, url_name
from sim.jsonio import MAX_JSON_BYTES, load_json
from sim.validate import quote

#: URL parameter -> config field, in the order :func:`config_to_params` writes them (the
#: initializations come after ``loss``); made from :data:`sim.fields.FIELDS`.
SIMPLE_PARAMS: dict[str, str] = dict(URL_FIELDS)

#: Names of the initializations in the URL: the dashboard's two panels, then numbered.
INIT_PREFIXES: tuple[str, ...] = ("left", "right",
                                  *(f"init{i}" for i in range(3, MAX_INITS + 1)))

#: Uploaded config files larger than this are refused unread (a config is about 1 KB).
MAX_UPLOAD_BYTES = MAX_JSON_BYTES


# --------------------------------------------------------------------------------------------
# Config -> URL parameters
# --------------------------------------------------------------------------------------------


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
    """The configuration as flat, readable URL query parameters (every field written, but
    the ``omit_default`` rows only when they differ from their default).

    See the module docstring for the scheme. ``params_to_config(config_to_params(cfg))``
    equals ``cfg`` exactly.

    Examples
    --------
    >>> p = config_to_params(Config())
    >>> p["hidden"], p["left"], p["right"], p["right.gain"], p["lr"]
    ('8,8', 'zeros', 'xavier_uniform', '1', '0.5')
    """
    out: dict[str, str] = {}
    for name, row in FIELDS.items():
        value = getattr(cfg, name)
        if not (row.omit_default and value == row.default):
            out[row.url] = row.to_text(value)
        if name == INITS_AFTER:
            for prefix, spec in zip(INIT_PREFIXES, cfg.inits, strict=False):
                out.update(_init_params(prefix, spec))
    return out


# --------------------------------------------------------------------------------------------
# URL parameters -> Config
# --------------------------------------------------------------------------------------------


def _valid_params_text() -> str:
    return (f"Valid parameters: {', '.join(URL_FIELDS)}, and per initialization "
            f"({', '.join(INIT_PREFIXES[:3])} ... {INIT_PREFIXES[-1]}) P, P.<parameter>, "
            "P.scale, P.bias, P.bias.<parameter>.")


def single_value(key: str, value: Any) -> str:
    """The one text value of a query parameter (``st.query_params`` may give a list)."""
    field = URL_FIELDS.get(key, key)
    if isinstance(value, (list, tuple)):
        if not value:
            raise ConfigError(f"URL parameter {quote(key)} has no value.", field)
        if len(value) != 1:
            shown = quote(", ".join(str(v) for v in value[:3]))
            raise ConfigError(f"URL parameter {quote(key)} must be given once. "
                              f"Got it {len(value)} times ({shown}).", field)
        value = value[0]
    if not isinstance(value, str):
        raise ConfigError(f"URL parameter {quote(key)} must be text. Got "
                          f"{type(value).__name__}.", field)
    return value


def param_of_field(field: str | None) -> str | None:
    """The URL parameter behind a :attr:`ConfigError.field`: ``samples`` for ``n_samples``,
    ``left.std`` for ``inits[0].params.std``, ``right.bias.std`` for
    ``inits[1].bias_params.std``; None for a problem of the whole configuration."""
    if not field:
        return None
    parts = init_field_parts(field)
    if parts is None:
        return url_name(field)
    index, part, name = parts
    if index >= len(INIT_PREFIXES):
        return None
    prefix = INIT_PREFIXES[index]
    if part in (None, "scheme"):
        return prefix
    if part == "params":
        return f"{prefix}.{name}" if name else prefix
    if part == "bias_params":
        return f"{prefix}.bias.{name}" if name else f"{prefix}.bias"
    return f"{prefix}.{part}"


def _init_from_params(prefix: str, given: dict[str, str]) -> dict[str, Any]:
    """One initialization's dict for :meth:`InitSpec.from_dict` (validated there)."""
    spec: dict[str, Any] = {"scheme": given[prefix], "params": {}, "bias_params": {}}
    for key, value in given.items():
        rest = key[len(prefix) + 1:]
        if key == prefix:
            continue
        if rest in ("scale", "bias"):
            spec[rest] = value
        elif rest.startswith("bias."):
            spec["bias_params"][rest[5:]] = value
        else:
            spec["params"][rest] = value
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
            raise ConfigError(f"URL parameter names must be text. Got {quote(key)}.")
        value = single_value(key, raw)
        prefix = key.split(".", 1)[0]
        if key in URL_FIELDS:
            simple[key] = value
        elif prefix in INIT_PREFIXES and (key == prefix or key[len(prefix) + 1:]):
            inits.setdefault(prefix, {})[key] = value
        else:
            raise ConfigError(f"Unknown URL parameter {quote(key)}. {_valid_params_text()}",
                              key)  # the whole name: the dashboard drops that parameter

    data: dict[str, Any] = {URL_FIELDS[key]: FIELDS[URL_FIELDS[key]].from_text(value)
                            for key, value in simple.items()}

    if inits:
        count = len(inits)
        order = f"the initializations are {', '.join(INIT_PREFIXES[:3])} ... in this order"
        for prefix in INIT_PREFIXES[:count]:
            if prefix not in inits:
                later = next(p for p in INIT_PREFIXES[count:] if p in inits)
                raise ConfigError(f"URL parameter {sorted(inits[later])[0]!r} needs "
                                  f"{prefix!r} too: {order}.", "inits")
            if prefix not in inits[prefix]:
                raise ConfigError(f"URL parameter {sorted(inits[prefix])[0]!r} needs "
                                  f"{prefix!r} (the weight scheme) too.", "inits")
        data["inits"] = [_init_from_params(p, inits[p]) for p in INIT_PREFIXES[:count]]

    try:
        return Config.from_dict(data, init_names=INIT_PREFIXES)
    except ConfigError as exc:
        param = param_of_field(exc.field)
        if param is not None:
            raise ConfigError(f"URL parameter {param!r}: {exc}", exc.field) from None
        # Settings that do not fit together: the message names config fields; say which
        # URL parameters those are where the names differ.
        text = str(exc)
        aliases = [f"{fld} is {p!r}" for p, fld in URL_FIELDS.items()
                   if p != fld and re.search(rf"\b{fld}\b", text)]
        hint = f" (in the URL, {', '.join(aliases)})" if aliases else ""
        raise ConfigError(f"The URL parameters do not fit together: {text}{hint}") from None


# --------------------------------------------------------------------------------------------
# Uploaded JSON files
# --------------------------------------------------------------------------------------------


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
    if isinstance(data, (str, os.PathLike)):  # a path would be opened: an upload is bytes
        raise ConfigError(f"The upload must be bytes or a binary file. Got "
                          f"{type(data).__name__}.")
    obj = load_json(data, max_bytes, what="The file")
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
    "single_value",
]
