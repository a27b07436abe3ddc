"""Names of a comparison's files and pages: config hash, file names, the page title.

Pure functions of a :class:`sim.config.Config` (no plotly, no files), so the charts, the
exports, the dashboard and the command line all name things the same way without importing
each other. The parts come from the one labeller and slug of an initialization,
:attr:`sim.config.InitSpec.label` and :attr:`sim.config.InitSpec.slug`, and from
:func:`sim.config.slugify` for everything else.

File names are ``<chart>-<inits>-<config hash>.<ext>``, e.g.
``loss_overlay-zeros-vs-xavier_uniform-1c2d3e4f.png``, with only ``A-Z a-z 0-9 . _ -``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TypeVar

from sim.config import Config, slugify

#: File names stay well below the 255-byte limit of common file systems.
MAX_CHART_PART = 80
MAX_INIT_PART = 80

T = TypeVar("T")


def config_hash(config: Config) -> str:
    """Short stable hash of a configuration (8 hex digits of the SHA-1 of its compact JSON).

    Equal configurations (however they were written: aliases, omitted defaults) have equal
    hashes, in every process and on every machine.
    """
    return hashlib.sha1(config.to_json(indent=None).encode()).hexdigest()[:8]


def page_title(config: Config) -> str:
    """The title of a comparison's page and README, e.g. ``Init Lab: zeros vs
    xavier_uniform on moons`` (the initializations' :attr:`~sim.config.InitSpec.label`, the
    same as ``Result.labels``)."""
    return f"Init Lab: {' vs '.join(spec.label for spec in config.inits)} on {config.dataset}"


def _init_part(config: Config) -> str:
    part = "-vs-".join(spec.slug for spec in config.inits)
    if len(part) > MAX_INIT_PART:  # the hash still tells configurations apart
        part = part[:MAX_INIT_PART].rstrip("._-")
    return part


def _names_an_init(chart_slug: str, config: Config) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9]){re.escape(spec.scheme)}(?![A-Za-z0-9])",
                         chart_slug) for spec in config.inits)


def figure_filename(chart_name: str, config: Config, fmt: str,
                    init_label: str | None = None) -> str:
    """A meaningful, safe file name: chart, initializations, config hash and extension.

    Parameters
    ----------
    chart_name : str
        The chart's name (a key of :func:`sim.charts.all_figures`).
    config : Config
    fmt : str
        The extension, e.g. ``"png"``.
    init_label : str, optional
        The initialization(s) the chart shows. By default all of the config's, joined by
        ``-vs-``, unless ``chart_name`` already names one (a per-initialization chart);
        ``""`` leaves the part out.

    Returns
    -------
    str
        Only ``A-Z a-z 0-9 . _ -``, e.g. ``loss_overlay-zeros-vs-xavier_uniform-1c2d3e4f.png``
        or ``loss-xavier_normal_x0.1-vs-normal_std1_bias_normal_std0.1-1c2d3e4f.svg``.
    """
    chart = slugify(chart_name)[:MAX_CHART_PART].rstrip("._-") or "chart"
    if init_label is None:
        inits = "" if _names_an_init(chart, config) else _init_part(config)
    else:
        inits = slugify(init_label)[:MAX_INIT_PART]
    ext = slugify(fmt.lower()) or "bin"
    return "-".join(p for p in (chart, inits, config_hash(config)) if p) + "." + ext


def chart_files(figures: Mapping[str, T], config: Config, fmt: str) -> list[tuple[str, T]]:
    """``(file name, figure)`` per chart, in order; names made unique (``-2``, ``-3`` ...)
    if two chart names slug alike."""
    out, seen = [], set()
    for name, fig in figures.items():
        fname = figure_filename(name, config, fmt)
        stem, ext = fname.rsplit(".", 1)
        k = 2
        while fname in seen:
            fname = f"{stem}-{k}.{ext}"
            k += 1
        seen.add(fname)
        out.append((fname, fig))
    return out


def zip_filename(config: Config) -> str:
    """Name of the ZIP of a configuration, e.g. ``init-lab-1c2d3e4f.zip``."""
    return f"init-lab-{config_hash(config)}.zip"


__all__ = [
    "MAX_CHART_PART",
    "MAX_INIT_PART",
    "chart_files",
    "config_hash",
    "figure_filename",
    "page_title",
    "zip_filename",
]
