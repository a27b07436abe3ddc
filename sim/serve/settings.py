"""The server's settings, read once from the environment.

=====================  ===============================================================
``INITLAB_MEMORY``     Memory budget of the whole server (web process, training workers,
                       cached results and charts), e.g. ``3GB``, ``1500MB``, ``2.5GiB``.
                       Default ``2GB``: a small hosted machine (Streamlit Community Cloud
                       gives an app about 2.7 GB).
``INITLAB_WORKERS``    Training worker processes on this machine. Default: the number of
                       cores. ``0`` trains inside the web process (no worker processes).
``INITLAB_SCHEDULER``  Address of a Dask scheduler (``tcp://HOST:8786``): the page's
                       trainings run on that cluster instead of local worker processes.
=====================  ===============================================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

DEFAULT_MEMORY = "2GB"

_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}
#: Below this a budget cannot hold the web process itself.
MIN_MEMORY = 256 * 1000**2


class SettingError(ValueError):
    """A setting in the environment that cannot be used (the message names it)."""


def parse_bytes(text: str, name: str = "INITLAB_MEMORY") -> int:
    """``"3GB"`` -> 3_000_000_000 (``MB``/``GB`` are powers of 1000, ``MiB``/``GiB``/``M``/``G``
    powers of 1024; a bare number is bytes)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = m.group(2).upper() if m else None
    if m is None or unit not in _UNITS:
        raise SettingError(f"{name} must be an amount of memory such as 3GB or 1500MB. "
                           f"Got {text!r}.")
    value = int(float(m.group(1)) * _UNITS[unit])
    if value < MIN_MEMORY:
        raise SettingError(f"{name} must be at least {MIN_MEMORY // 1000**2} MB. Got {text!r}.")
    return value


def format_bytes(n: float) -> str:
    """``3e9`` -> ``"3 GB"``, ``1.5e9`` -> ``"1.5 GB"``, ``512e6`` -> ``"512 MB"``."""
    if n >= 1000**3:
        return f"{n / 1000**3:.3g} GB"
    return f"{n / 1000**2:.3g} MB"


def _cores() -> int:
    """Cores this process may use (a container's cpuset, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """The three settings (see the module docstring)."""

    memory: int
    workers: int
    scheduler: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        memory = parse_bytes(env.get("INITLAB_MEMORY", "") or DEFAULT_MEMORY)
        text = (env.get("INITLAB_WORKERS") or "").strip()
        if not text:
            workers = _cores()
        elif text.isdigit() and int(text) <= 64:
            workers = int(text)
        else:
            raise SettingError(f"INITLAB_WORKERS must be a whole number from 0 to 64. "
                               f"Got {text!r}.")
        scheduler = (env.get("INITLAB_SCHEDULER") or "").strip() or None
        return cls(memory, workers, scheduler)
