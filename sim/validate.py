"""Checks of single values, with one message style, shared by every boundary.

Every check returns the value converted (``"0.5"`` -> ``0.5``: URL parameters and command-line
flags arrive as text) or raises :class:`ConfigError`, a ``ValueError`` whose message says what
the value must be and what it got, in the style of scikit-learn's parameter constraints::

    lr (learning rate) must be a number > 0 and <= 100. Got -1.
    Initializer 'normal': parameter 'std' must be a number >= 0. Got -1.

``ConfigError.field`` names the setting at fault (a config field such as ``"lr"``, or
``"inits[1].params.std"``), so that the URL codec and the dashboard can point at the
parameter or widget without parsing the message. This module imports nothing from the lab:
the registries (initializers, datasets) and the field table (:mod:`sim.fields`) all use it.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Collection
from typing import Any

#: Values are quoted in messages up to this many characters (a link can hold 100 KB).
MAX_QUOTED = 80

_LARGEST_FLOAT = int(sys.float_info.max)


class ConfigError(ValueError):
    """A setting is invalid; the message says which, what it must be and what it got.

    Attributes
    ----------
    field : str or None
        The setting at fault: a config field (``"n_samples"``), a path inside the
        initializations (``"inits[0].params.std"``), a parameter of a function called
        directly (``"fan_in"``), the name of an unknown key or URL parameter that maps to no
        field (``"colour"``, ``"left.std"``), or None for a problem of the whole
        configuration (two settings that do not fit together, the cost limits).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` cut to ``limit`` characters, the last one ``…`` (a value, a path or an
    exception's message can be any length)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quote(value: Any) -> str:
    """``value`` for a message: ``repr`` of text, ``str`` of numbers, at most
    :data:`MAX_QUOTED` characters (longer text ends in ``…``)."""
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            text = str(value)
        except ValueError:  # more digits than Python converts to text
            return "an integer too large to show"
    elif isinstance(value, (float, bool)) or value is None:
        text = str(value)
    else:
        try:
            text = repr(value)
        except (RecursionError, ValueError):  # nested too deeply, or digits beyond the limit
            text = f"a {type(value).__name__} too large to show"
    return shorten(text)


def is_real(value: Any) -> bool:
    """A real number that is not a bool (``True`` as a standard deviation is a bug)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and \
        type(value).__name__ != "bool_"


def _fmt(x: float) -> str:
    return f"{x:g}"


def range_text(low: float | None, high: float | None, low_open: bool = False,
               high_open: bool = False) -> str:
    """``> 0 and <= 100``, ``>= 0``, or ``""`` for no bounds."""
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {_fmt(low)}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {_fmt(high)}")
    return " and ".join(parts)


def check_int(name: str, value: Any, low: int, high: int | None, *,
              field: str | None = None, strict: bool = False) -> int:
    """``value`` as an int in ``[low, high]`` (``high`` None: no upper bound).

    Accepts ints, integral floats (``3.0``) and integer text (``" 3 "``); refuses bools. With
    ``strict`` (values from Python code, not from text), only integers are accepted.
    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif strict:
        number = None
    elif is_real(value) and math.isfinite(value) and float(value).is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) <= 40:  # longer is no count a lab needs (and int() of it is slow)
            try:
                number = int(text)
            except ValueError:
                number = None
    if number is None or number < low or (high is not None and number > high):
        rule = (f"an integer between {low} and {high}" if high is not None
                else f"an integer >= {low}")
        raise ConfigError(f"{name} must be {rule}. Got {quote(value)}.", field or name)
    return number


def check_float(name: str, value: Any, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False, *,
                field: str | None = None, strict: bool = False) -> float:
    """``value`` as a finite float within the bounds (open or closed at each end).

    Accepts real numbers and number text (``"0.5"``); refuses bools. With ``strict`` (values
    from Python code, not from text), only real numbers are accepted. ``-0.0`` is returned
    as ``0.0`` (a sampler given ``-0.0`` as a spread refuses it), and an integer is compared
    with the bounds as an integer, so one of any size is refused by its size, not by an
    ``OverflowError`` of its conversion.
    """
    number: float | None = None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and \
            type(value).__name__ != "bool_":
        exact = int(value)
        inside = (low is None or (exact > low if low_open else exact >= low)) and \
            (high is None or (exact < high if high_open else exact <= high))
        number = float(exact) if inside and abs(exact) <= _LARGEST_FLOAT else None
    elif is_real(value):
        try:
            number = float(value)
        except (OverflowError, ValueError, TypeError):
            number = None
    elif isinstance(value, str) and len(value) <= 100 and not strict:
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    ok = number is not None and math.isfinite(number)
    if ok and low is not None:
        ok = number > low if low_open else number >= low
    if ok and high is not None:
        ok = number < high if high_open else number <= high
    if not ok:
        rng = range_text(low, high, low_open, high_open)
        raise ConfigError(f"{name} must be a number{' ' + rng if rng else ''}. "
                          f"Got {quote(value)}.", field or name)
    return number + 0.0  # type: ignore[operator]  # -0.0 + 0.0 is 0.0


def check_choice(name: str, value: Any, choices: Collection[str], *,
                 field: str | None = None) -> str:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}. Got {quote(value)}.",
                          field or name)
    return value


__all__ = [
    "ConfigError",
    "MAX_QUOTED",
    "check_choice",
    "check_float",
    "check_int",
    "is_real",
    "quote",
    "range_text",
    "shorten",
]
