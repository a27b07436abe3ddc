"""Reading JSON from outside the lab: one reader for config files, uploads and ``from_json``.

A configuration is about 1 KB of JSON nested four levels deep (``inits[0].params.std``).
Whatever arrives instead (a 1.2 GB file, ``/dev/zero``, 100,000 nested brackets, an integer
of 5,000 digits, ``NaN``, a key given twice, bytes that are not UTF-8) is refused with one
:class:`~sim.validate.ConfigError` whose message says what is wrong, before anything large
is built:

* the size limit is enforced while reading: at most ``max_bytes + 1`` bytes are read;
* the nesting depth is counted before parsing (:data:`MAX_DEPTH`), so the parser never
  recurses deeply;
* duplicate keys and the constants ``NaN`` / ``Infinity`` (not JSON, but Python's parser
  takes them) are refused;
* numbers stay exact: an integer keeps all its digits (up to :data:`MAX_DIGITS`) and is
  compared with a field's bounds as an integer; a number that does not fit a float, or an
  integer with more digits, is kept as its text (:class:`NumberText`), which every check
  refuses with a message quoting it (``Got 1e400.``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from sim.validate import MAX_QUOTED, ConfigError, quote

#: Largest JSON text read (a configuration is about 1 KB).
MAX_JSON_BYTES = 1_000_000

#: Deepest nesting of objects and lists accepted (a configuration needs 4).
MAX_DEPTH = 16

#: Integers with more digits are kept as text (no lab setting needs more than 10).
MAX_DIGITS = min(1000, sys.get_int_max_str_digits() or 1000)


class NumberText(str):
    """A JSON number kept as its text: too large for a float (``1e400``) or with more than
    :data:`MAX_DIGITS` digits. Checks refuse it like any text, and messages quote it
    without quotation marks."""

    def __repr__(self) -> str:
        if len(self) > MAX_QUOTED:
            return f"a number of {len(self)} characters ({str.__str__(self)[:20]}…)"
        return str.__str__(self)


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.3g} MB"
    if n >= 1_000:
        return f"{n / 1e3:.3g} KB"
    return f"{n} bytes"


def _too_large(what: str, size: str, max_bytes: int) -> ConfigError:
    return ConfigError(f"{what} is {size}; a configuration file may be at most "
                       f"{_size(max_bytes)} (Init Lab's config.json is about 1 KB).")


def read_limited(source: bytes | bytearray | memoryview | BinaryIO | str | os.PathLike,
                 max_bytes: int = MAX_JSON_BYTES, *, what: str = "The file") -> bytes:
    """The bytes of ``source`` (bytes, a binary file object or a path), reading at most
    ``max_bytes + 1`` of them.

    Raises
    ------
    ConfigError
        When there are more than ``max_bytes``, or the file cannot be read (the reason from
        the system: ``No such file or directory``).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > max_bytes:
            raise _too_large(what, _size(len(source)), max_bytes)
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(Path(source), "rb") as f:
                size = os.fstat(f.fileno()).st_size  # 0 for /dev/zero and pipes
                if size > max_bytes:
                    raise _too_large(what, _size(size), max_bytes)
                raw = f.read(max_bytes + 1)
        except OSError as exc:
            raise ConfigError(f"{what} cannot be read ({exc.strerror or type(exc).__name__})."
                              ) from None
    else:
        size = getattr(source, "size", None)  # Streamlit's UploadedFile knows its size
        if isinstance(size, int) and size > max_bytes:
            raise _too_large(what, _size(size), max_bytes)
        read = getattr(source, "read", None)
        if read is None:
            raise ConfigError(f"{what} must be bytes or a binary file. Got "
                              f"{type(source).__name__}.")
        raw = read(max_bytes + 1)
        if not isinstance(raw, (bytes, bytearray)):
            raise ConfigError(f"{what} must be a binary file. Got {type(raw).__name__} "
                              "from it.")
    if len(raw) > max_bytes:
        raise _too_large(what, f"larger than {_size(max_bytes)}", max_bytes)
    return bytes(raw)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text (brackets inside strings do not
    count)."""
    bare = _STRING.sub('""', text).encode("utf-8", "replace")
    codes = np.frombuffer(bare, dtype=np.uint8)
    step = np.isin(codes, (0x5B, 0x7B)).astype(np.int64) - np.isin(codes, (0x5D, 0x7D))
    return int(np.cumsum(step).max(initial=0))


def _no_constant(name: str) -> Any:
    raise ConfigError(f"{name} is not a JSON number (JSON has no NaN or Infinity).")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"it gives the key {quote(key)} twice; keep one.", key)
        out[key] = value
    return out


def _integer(text: str) -> int | NumberText:
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else NumberText(text)


def _real(text: str) -> float | NumberText:
    number = float(text)
    return number if number - number == 0.0 else NumberText(text)  # inf - inf is nan


def parse_json(raw: bytes | bytearray | str, *, what: str = "The file") -> Any:
    """The JSON value in ``raw`` (UTF-8 bytes, a byte-order mark allowed, or text).

    ``what`` starts the messages (``The file``, ``--config exp.json``).

    Raises
    ------
    ConfigError
        Empty, not UTF-8, nested deeper than :data:`MAX_DEPTH`, not valid JSON (including
        NaN, Infinity and duplicate keys); ``field`` is the duplicated key, else None.
    """
    if isinstance(raw, (bytes, bytearray)):
        try:
            text = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{what} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                              f"position {exc.start}); a configuration is JSON text such as "
                              "the config.json Init Lab saves.") from None
    elif isinstance(raw, str):
        text = raw
    else:
        raise ConfigError(f"{what} must be JSON text. Got {type(raw).__name__}.")
    if not text.strip():
        raise ConfigError(f"{what} is empty; a configuration is JSON text such as the "
                          "config.json Init Lab saves.")
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise ConfigError(f"{what} is not a configuration: its JSON is nested {depth} levels "
                          f"deep (a configuration needs 4; at most {MAX_DEPTH} are read).")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_int=_integer,
                          parse_float=_real, object_pairs_hook=_no_duplicates)
    except ConfigError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc}", exc.field) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}.") from None
    except (ValueError, RecursionError) as exc:  # defence in depth: the checks above hold
        raise ConfigError(f"{what} is not valid JSON ({type(exc).__name__}).") from None


def load_json(source: bytes | bytearray | memoryview | BinaryIO | str | os.PathLike,
              max_bytes: int = MAX_JSON_BYTES, *, what: str = "The file") -> Any:
    """:func:`read_limited`, then :func:`parse_json`."""
    return parse_json(read_limited(source, max_bytes, what=what), what=what)


__all__ = ["MAX_DEPTH", "MAX_DIGITS", "MAX_JSON_BYTES", "NumberText", "load_json",
           "nesting_depth", "parse_json", "read_limited"]
