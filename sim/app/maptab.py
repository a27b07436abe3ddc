"""The Map tab: a sweep's metric over two swept fields, with the mean-field theory over it.

The rows come from one of two sources: a sweep preset's small version computed here (a few
seconds, cached by the sweep's JSON, with a progress bar), or a ``results.csv`` (uploaded,
with its ``sweep.json`` for the theory lines, or the folder given to the dashboard as
``streamlit run dashboard.py -- --sweep DIR``, which ``python -m sim sweep ... --open``
uses). :func:`sim.sweep.maps.map_grid` averages the chosen metric per cell and
:func:`sim.charts.sweepmap.sweep_map` draws it. A bad file ends in ``st.error``, never a
traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

from sim import Result, export
from sim.charts.sweepmap import sweep_map
from sim.jsonio import parse_json
from sim.sweep import Sweep, SweepError, load_sweep, read_results, run_sweep
from sim.sweep.maps import (
    INIT_AXIS,
    MAP_METRICS,
    MapGrid,
    available_metrics,
    field_short,
    field_title,
    field_values,
    format_value,
    init_choices,
    map_axes,
    map_grid,
    map_theory,
    swept_fields,
)
from sim.sweep.presets import DEFAULT_SWEEP_PRESET, SWEEP_PRESETS
from sim.sweep.results import to_csv

COMPUTE = "Compute a small map"
LOAD = "Load results.csv"
SOURCES = (COMPUTE, LOAD)
#: The largest results file the uploader takes (a 64-cell sweep with 3 seeds is ~40 kB).
UPLOAD_MB = 50
MIME = {"png": "image/png", "svg": "image/svg+xml", "html": "text/html", "csv": "text/csv"}


def sweep_path_from_argv(argv: Sequence[str]) -> str | None:
    """The folder (or ``results.csv``) given to the dashboard as ``--sweep DIR``.

    ``streamlit run dashboard.py -- --sweep DIR`` passes the arguments after ``--`` to the
    script, so ``sys.argv`` is ``["dashboard.py", "--sweep", "DIR"]``; ``--sweep=DIR`` works
    too. None when it is not given (the last one wins when repeated).
    """
    path = None
    args = list(argv)
    for k, arg in enumerate(args):
        if arg == "--sweep" and k + 1 < len(args):
            path = args[k + 1]
        elif arg.startswith("--sweep="):
            path = arg.split("=", 1)[1]
    return path or None


#: Rows of the small sweeps computed so far, by the sweep's JSON (the newest last), shared
#: by every session of the server. Not ``st.cache_data``: the computation updates a
#: progress bar made outside it, which ``st.cache_data`` records and then cannot replay for
#: the next visitor (``CacheReplayClosureError``: the Map tab failed for everyone but the
#: first visitor).
_SMALL_MAPS: OrderedDict[str, list[dict]] = OrderedDict()
_SMALL_MAPS_LOCK = threading.Lock()
SMALL_MAPS_KEPT = 8


def small_map_rows(sweep_json: str, progress: Callable[[int, int], None] | None = None
                   ) -> list[dict]:
    """The rows of a small sweep, computed once per sweep (keyed by its JSON); a copy, so
    that a caller cannot change what the next visitor gets."""
    with _SMALL_MAPS_LOCK:
        rows = _SMALL_MAPS.get(sweep_json)
        if rows is not None:
            _SMALL_MAPS.move_to_end(sweep_json)
    if rows is None:
        rows = run_sweep(Sweep.from_dict(json.loads(sweep_json)), progress=progress)
        with _SMALL_MAPS_LOCK:
            _SMALL_MAPS[sweep_json] = rows
            while len(_SMALL_MAPS) > SMALL_MAPS_KEPT:
                _SMALL_MAPS.popitem(last=False)
    return [dict(row) for row in rows]


def _compute(preset_name: str) -> tuple[list[dict], Sweep]:
    sweep = SWEEP_PRESETS[preset_name].small()
    bar = st.progress(0.0, text="Computing the small map...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Computing the small map: {done} of {total} "
                                                "cells")

    rows = small_map_rows(sweep.to_json(), progress)
    bar.empty()
    return rows, sweep


def _load(where: str | None) -> tuple[list[dict] | None, Sweep | None, str]:
    """Rows (None after an error, shown), the sweep if its ``sweep.json`` came with them,
    and what they are (for the caption)."""
    if where is not None:
        path = Path(where)
        st.caption(f"Results given to the dashboard: `{path}`.")
        try:
            rows = read_results(path)
        except ValueError as exc:
            st.error(f"**The results could not be read.** {exc}")
            return None, None, ""
        folder = path if path.is_dir() else path.parent
        sweep = None
        if (folder / "sweep.json").is_file():
            try:
                sweep = load_sweep(folder)
            except SweepError:
                sweep = None
        return rows, sweep, f"`{path}`"
    files = st.file_uploader(
        "A sweep's results.csv (and its sweep.json, for the theory lines)",
        type=["csv", "json"], accept_multiple_files=True, key="map_upload",
        max_upload_size=UPLOAD_MB,
        help="The files `python -m sim sweep ... --out DIR` writes in DIR: results.csv, and "
             f"sweep.json for the base settings (at most {UPLOAD_MB} MB each).")
    if not files:
        st.info("Upload a results.csv to draw its map.")
        return None, None, ""
    csvs = [f for f in files if f.name.lower().endswith(".csv")]
    jsons = [f for f in files if f.name.lower().endswith(".json")]
    if len(csvs) != 1:
        st.error(f"**Upload one results.csv.** Got {len(csvs)} CSV files.")
        return None, None, ""
    try:
        rows = read_results(csvs[0].getvalue())
    except ValueError as exc:
        st.error(f"**{csvs[0].name} could not be read.** {exc}")
        return None, None, ""
    sweep = None
    if jsons:
        try:
            sweep = Sweep.from_dict(parse_json(jsons[0].getvalue(), what=jsons[0].name),
                                    where=jsons[0].name)
        except (ValueError, SweepError) as exc:
            st.warning(f"**{jsons[0].name} was not used** (no theory lines): {exc}")
    return rows, sweep, f"`{csvs[0].name}`"


def _choice(label: str, options: list, key: str, default, fmt=str, help: str | None = None):
    """A selectbox whose stored value is reset to ``default`` when it is not offered (other
    results loaded)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    return st.selectbox(label, options, key=key, format_func=fmt, help=help)


def _axis_name(name: str) -> str:
    return "initialization" if name == INIT_AXIS else field_title(name)


def grid_csv(grid: MapGrid) -> str:
    """The map's cells as CSV: x, y, the metric and the seeds of each cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([grid.x, grid.y, grid.metric, "seeds"])
    for j, yv in enumerate(grid.ys):
        for i, xv in enumerate(grid.xs):
            z = grid.z[j, i]
            w.writerow([xv, yv, "" if z != z else repr(float(z)), int(grid.n[j, i])])
    return buf.getvalue()


def file_stem(grid: MapGrid, name: str) -> str:
    """``sweep-map-edge_of_chaos-test_accuracy-sigma_w2-depth``: safe in every file system."""
    stem = f"sweep-map-{name}-{grid.metric}-{grid.x}-{grid.y}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)


def caption(grid: MapGrid, drawn: list[str], theory, source: str) -> str:
    """What the chart shows, from the grid and the lines actually drawn."""
    m = MAP_METRICS[grid.metric]
    held = "".join(f", {field_short(k)} = {format_value(v)}" for k, v in grid.fixed.items())
    init = f" for {grid.init}" if grid.init else ""
    text = (f"Each cell is {m.description}, at one {_axis_name(grid.x)} (x) and "
            f"{_axis_name(grid.y)} (y){init}{held}; from {source}. Hover a cell for its "
            "value and seeds.")
    if theory is not None and drawn:
        where = f"σ_b² = {format_value(theory.sigma_b2)}, {theory.activation}"
        if "χ₁ = 1" in drawn:
            text += (f" The dashed line is the mean-field critical line χ₁ = 1 (edge of chaos, "
                     f"{where}): ordered to its left, chaotic to its right.")
        if "6 ξ_c" in drawn:
            text += (" The black curve is 6 ξ_c, the depth below which Schoenholz et al. "
                     "(2017) expect a network to train.")
    return text


def _downloads(grid: MapGrid, fig, rows: list[dict], fields: list[str], stem: str,
               config_json: str) -> None:
    static_ok, static_message = export.static_export_available()

    def image(fmt: str) -> Callable[[], bytes]:
        return lambda: export.figure_bytes(fig, fmt)

    title = f"Init Lab: sweep map, {grid.label}"
    makers = {"png": image("png"), "svg": image("svg"),
              "html": lambda: export.figures_html({stem: fig}, title, config_json),
              "csv": lambda: grid_csv(grid)}
    with st.container(horizontal=True, gap="medium"):
        for fmt, label in (("png", "PNG"), ("svg", "SVG"), ("html", "Interactive HTML"),
                           ("csv", "Map cells (CSV)")):
            st.download_button(
                label, data=makers[fmt], file_name=f"{stem}.{fmt}", mime=MIME[fmt],
                key=f"map_dl_{fmt}", on_click="ignore", icon=":material/download:",
                disabled=fmt in ("png", "svg") and not static_ok,
                help=static_message if fmt in ("png", "svg") and not static_ok else None)
        st.download_button("All rows (results.csv)", data=lambda: to_csv(rows, fields),
                           file_name=f"{stem}-results.csv", mime=MIME["csv"],
                           key="map_dl_rows", on_click="ignore", icon=":material/download:")


def map_tab(result: Result | None = None) -> None:
    """The Map tab (``result``, the page's comparison, is not used: a map is a sweep's)."""
    argv_path = sweep_path_from_argv(sys.argv)
    ss = st.session_state
    if "map_source" not in ss:
        ss["map_source"] = LOAD if argv_path else COMPUTE
    c1, c2 = st.columns([2, 3], gap="large")
    source = c1.radio("Source", SOURCES, key="map_source", horizontal=True,
                      help="A small version of a paper's sweep computed here (about 10 s), "
                           "or the results of `python -m sim sweep`.")
    preset = None
    if source == COMPUTE:
        with c2:
            name = _choice("Sweep preset", list(SWEEP_PRESETS), "map_preset",
                           DEFAULT_SWEEP_PRESET, fmt=lambda k: SWEEP_PRESETS[k].label)
        preset = SWEEP_PRESETS[name]
        rows, sweep = _compute(name)
        what = f"the small version of the preset “{preset.label}”"
    else:
        rows, sweep, what = _load(argv_path)
        if rows is None:
            return
        if sweep is not None and sweep.preset in SWEEP_PRESETS:
            preset = SWEEP_PRESETS[sweep.preset]
    if not rows:
        st.error("**These results have no rows** (the sweep has not finished a cell yet).")
        return
    axes = map_axes(rows)
    if len(axes) < 2:
        st.error("**A map needs two axes**: this sweep has one swept field and one "
                 "initialization.")
        return
    dx, dy = preset.map_axes if preset is not None else (axes[0], axes[1])
    metrics = available_metrics(rows)
    c1, c2, c3 = st.columns(3)
    with c1:
        x = _choice("x axis", axes, "map_x", dx, fmt=_axis_name)
    with c2:
        y = _choice("y axis", [a for a in axes if a != x], "map_y", dy, fmt=_axis_name)
    with c3:
        metric = _choice("Metric", metrics, "map_metric",
                         preset.metric if preset is not None else
                         "test_accuracy" if "test_accuracy" in metrics else metrics[0],
                         fmt=lambda k: MAP_METRICS[k].label)
    others = [f for f in swept_fields(rows) if f not in (x, y)]
    inits = init_choices(rows)
    init = None
    picks = ([("init", inits)] if len(inits) > 1 and INIT_AXIS not in (x, y) else []) + \
            [(f, field_values(rows, f)) for f in others]
    fixed = {}
    if picks:
        cols = st.columns(len(picks))
        for col, (f, values) in zip(cols, picks, strict=True):
            with col:
                if f == "init":
                    init = _choice("Initialization", values, "map_init", values[0])
                else:
                    fixed[f] = _choice(f"{field_title(f)} held at", values, f"map_fixed_{f}",
                                       values[0], fmt=format_value)
    grid = map_grid(rows, x, y, metric, init=init, fixed=fixed)
    theory = map_theory(grid, sweep.base) if sweep is not None else None
    fig = sweep_map(grid, theory)
    stem = file_stem(grid, preset.name if preset is not None else "results")
    st.plotly_chart(fig, theme=None, key="map_chart",
                    config={"toImageButtonOptions": {"format": "png", "scale": 2,
                                                     "filename": stem},
                            "displaylogo": False})
    drawn = list(fig.layout.meta.get("theory", []))
    st.caption(caption(grid, drawn, theory, what))
    if preset is not None:
        st.markdown(f"**The paper's claim.** {preset.claim}\n\n"
                    f"**The full sweep** (`python -m sim sweep --preset {preset.name}`): "
                    f"{preset.shows}")
    config_json = sweep.to_json() if sweep is not None else json.dumps({"rows": len(rows)})
    _downloads(grid, fig, rows, swept_fields(rows), stem, config_json)

