"""Everything in one file: the offline HTML page of every chart, and the ZIP with its README.

* :func:`figures_html` puts every chart into one self-contained, offline HTML page.
* :func:`export_zip` bundles data, config, charts and a README; :func:`export_files` writes
  the same files into a folder (the command line's ``python -m sim export``).

The files come from :mod:`sim.export.data` (CSV, npz) and :mod:`sim.export.render`
(PNG/SVG/PDF); their names and the page's title from :mod:`sim.naming`.
"""

from __future__ import annotations

import datetime
import html
import io
import re
import textwrap
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config import Config, ConfigError, slugify
from sim.export.data import NPZ_COMPRESSED, metrics_csv, weights_npz
from sim.export.render import STATIC_FORMATS, ExportUnavailable, figure_bytes
from sim.naming import chart_files, config_hash, figure_filename, page_title, zip_filename
from sim.train import Result

if TYPE_CHECKING:  # plotly is imported when a page is built, not before
    import plotly.graph_objects as go

#: Everything :func:`export_files` writes (``zip`` bundles the others).
EXPORT_FORMATS = ("png", "svg", "pdf", "html", "csv", "npz", "json", "zip")
#: What :func:`export_zip` puts in the ZIP by default.
ZIP_FORMATS = ("png", "svg", "html", "csv", "npz", "json")

# Files the ZIP stores without deflating: they are compressed already (the npz when numpy
# compressed it), and deflating them again only costs time.
_PACKED = (".png", ".pdf", ".npz") if NPZ_COMPRESSED else (".png", ".pdf")


def _now() -> str:
    """The local time shown in the page and the README, e.g. ``2025-01-31 14:05 CET``."""
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


# ============================================================================================
# Interactive HTML
# ============================================================================================

_PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1100px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; }
pre { background: #f6f6f6; padding: 1rem; overflow: auto; font-size: .85rem; }
.chart { min-height: 300px; }
"""


def figures_html(figures: Mapping[str, go.Figure], title: str, config_json: str) -> str:
    """All charts in one self-contained HTML page that works offline.

    plotly.js is inlined once (about 4.8 MB) and shared by the charts; each chart stays
    interactive (zoom, hover) and its camera button saves a PNG at scale 2 with a meaningful
    name. The page starts with ``title`` and ends with the configuration.

    Parameters
    ----------
    figures : dict of str to plotly.graph_objects.Figure
        Chart name to figure, in display order.
    title : str
        The page's heading (plain text; escaped).
    config_json : str
        The configuration as JSON (``Config.to_json()``), shown verbatim.
    """
    from plotly.offline import get_plotlyjs

    try:
        config: Config | None = Config.from_json(config_json)
    except ConfigError:
        config = None  # shown as given; the camera buttons' file names just lack the hash
    esc = html.escape
    toc, sections = [], []
    for k, (name, fig) in enumerate(figures.items(), start=1):
        heading = _figure_heading(fig, name)
        toc.append(f'<li><a href="#section-{k}">{esc(heading)}</a></li>')
        sections.append(f'<section id="section-{k}">\n<h2>{esc(heading)}</h2>\n'
                        f'<div class="chart">{_chart_div(k, name, fig, config)}</div>\n'
                        '</section>')
    hash_text = f", config hash {config_hash(config)}" if config is not None else ""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_PAGE_STYLE}</style>",
        # plotly.js reads this before it loads (as in plotly's own write_html).
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>",
        f"<script>{get_plotlyjs()}</script>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Made with Init Lab on {esc(_now())}{hash_text}. Every chart is '
        "interactive (zoom, hover, double-click to reset); its camera button saves a PNG. "
        "This file works offline.</p>",
        f"<nav><ul>{''.join(toc)}</ul></nav>" if toc else "",
        *sections,
        '<section id="configuration">',
        "<h2>Configuration</h2>",
        "<p>Load it in the dashboard (upload a config) or rebuild these files with "
        "<code>python -m sim export --config config.json --out DIR</code>.</p>",
        f"<pre>{esc(config_json)}</pre>",
        "</section>",
        "</body>",
        "</html>",
        "",
    ])


def _chart_div(k: int, name: str, fig: go.Figure, config: Config | None) -> str:
    """The ``k``-th chart's ``<div>``: interactive, its camera button saving a scale-2 PNG
    named by :func:`sim.naming.figure_filename` (by the chart's name without a config)."""
    import plotly.io as pio

    stem = (figure_filename(name, config, "png").rsplit(".", 1)[0] if config is not None
            else slugify(name) or f"chart{k}")
    return pio.to_html(
        fig, full_html=False, include_plotlyjs=False, div_id=f"chart-{k}",
        default_width="100%", default_height="500px",
        # An animated chart opens at its shown epoch; its play button plays it.
        auto_play=False,
        config={"responsive": True, "displaylogo": False,
                "toImageButtonOptions": {"format": "png", "filename": stem, "scale": 2}})


def _figure_heading(fig: go.Figure, name: str) -> str:
    """The chart's own title as plain text (its first line), else its name."""
    text = fig.layout.title.text if fig.layout.title is not None else None
    if not text:
        return name
    first = re.split(r"<br\s*/?>", text, maxsplit=1)[0]
    plain = re.sub(r"<[^>]+>", "", first).strip()
    return plain or name


# ============================================================================================
# ZIP and folder export
# ============================================================================================


def _formats(formats: str | Iterable[str], valid: tuple[str, ...]) -> list[str]:
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for f in items:
        name = f.strip().lower() if isinstance(f, str) else f
        if name not in valid:
            raise ValueError(f"Unknown export format {f!r}. Valid formats: {', '.join(valid)}.")
        if name not in out:
            out.append(name)
    return out


def _files(result: Result, figures: Mapping[str, go.Figure], fmts: list[str]
           ) -> Iterator[tuple[str, bytes | str]]:
    """``(file name, content)`` of the data and page files among ``fmts``, each built when
    asked for, always in the order json, csv, npz, html: the ZIP and the folder hold the
    same files under the same names."""
    cfg = result.config
    makers: dict[str, tuple[str, Callable[[], bytes | str]]] = {
        "json": ("config.json", lambda: cfg.to_json() + "\n"),
        "csv": ("metrics.csv", lambda: metrics_csv(result)),
        "npz": ("weights.npz", lambda: weights_npz(result)),
        "html": ("charts.html", lambda: figures_html(figures, page_title(cfg), cfg.to_json())),
    }
    for fmt, (name, make) in makers.items():
        if fmt in fmts:
            yield name, make()


_FILE_NOTES = {
    "README.txt": "this file",
    "config.json": "the configuration that made everything here. Upload it in the dashboard "
                   "to restore the experiment, or rebuild these files with: python -m sim "
                   "export --config config.json --out DIR --format png,svg,pdf,html,csv",
    "metrics.csv": "every recorded number, long form; columns run,init,seed,epoch,layer,"
                   "metric,value. run: index of the run (0-based); layer: from 1 over the "
                   "conv layers first (if any), then the hidden layers (for grad_norm the "
                   "weight layer, the last being the output layer), empty "
                   "for whole-network metrics. Metrics: train_loss, test_loss, train_accuracy, "
                   "test_accuracy, grad_norm and, at the snapshot epochs, dead_units, "
                   "distinct_neurons, rank, effective_rank, symmetry_gap",
    "weights.npz": "weight snapshots, numpy.load('weights.npz'): snapshot_epochs (S,), "
                   "with conv layers conv_W1..conv_WC of shape (runs, S, filters, channels, "
                   "K, K) and conv_b1..conv_bC of shape (runs, S, filters), "
                   "W1..WL (the dense layers) of shape (runs, S, units, inputs), b1..bL of "
                   "shape (runs, S, units), run_init, run_seed, init_labels, diverged_at "
                   "(-1: never)",
    "charts.html": "every chart, interactive, in one page that works offline (open it in a "
                   "browser)",
}
_FORMAT_NOTES = {
    "png": "PNG image, {scale} times the chart's size in pixels (for slides and documents)",
    "svg": "SVG vector image, sharp at any size (for papers and slides)",
    "pdf": "PDF vector image (for LaTeX and print)",
}


def _readme(result: Result, files: list[tuple[str, str]], skipped: str | None,
            static: list[str], scale: float) -> str:
    """README.txt of a ZIP: what made it, what each file is, and the config."""
    cfg = result.config

    def para(text: str) -> str:
        return textwrap.fill(text, 92, initial_indent="    ", subsequent_indent="    ")

    lines = [
        "Init Lab export",
        "===============",
        "",
        textwrap.fill(f"{page_title(cfg)}: hidden layers {list(cfg.hidden)}, "
                      f"{cfg.activation}, {cfg.optimizer} lr {cfg.lr!r}, {cfg.epochs} epochs, "
                      f"{cfg.seeds} seed(s).", 92),
        f"Made on {_now()}; config hash {config_hash(cfg)}; training took "
        f"{result.seconds:.2f} s.",
        "",
        "Files",
        "-----",
        "README.txt",
        para(_FILE_NOTES["README.txt"]),
    ]
    for name, note in files:
        if not name.startswith("charts/"):
            lines += [name, para(note)]
    for fmt in static:
        charts = [name for name, _ in files if name.startswith("charts/")
                  and name.endswith("." + fmt)]
        if charts:
            lines += [f"charts/*.{fmt} ({len(charts)} files)",
                      para("each chart as a " + _static_note(fmt, scale) + ":")]
            lines += [f"        {name[len('charts/'):]}" for name in charts]
    if skipped:
        lines += ["", "Not included", "------------",
                  textwrap.fill(f"{'/'.join(f.upper() for f in static)} images: {skipped}", 92)]
    lines += ["", "Configuration (config.json)", "---------------------------",
              cfg.to_json(), ""]
    return "\n".join(lines)


def _static_note(fmt: str, scale: float) -> str:
    return _FORMAT_NOTES[fmt].format(scale=f"{scale:g}")


def export_zip(result: Result, figures: Mapping[str, go.Figure],
               formats: str | Iterable[str] = ZIP_FORMATS, *, scale: float = 2) -> bytes:
    """Everything as one ZIP file's bytes, with a README.txt saying what each file is.

    Parameters
    ----------
    result : Result
    figures : dict of str to plotly.graph_objects.Figure
        Chart name to figure (:func:`sim.charts.all_figures`).
    formats : iterable of str or comma-separated str
        From ``png, svg, pdf`` (each chart as ``charts/<file name>``), ``html``
        (``charts.html``), ``csv`` (``metrics.csv``), ``npz`` (``weights.npz``), ``json``
        (``config.json``). ``README.txt`` is always included and contains the config.
    scale : float
        PNG resolution factor (see :func:`figure_bytes`).

    Notes
    -----
    When PNG/SVG/PDF export is unavailable (no Chromium), those images are left out and the
    README says why; every other file is still there.
    """
    return _zip_bytes(result, figures, _formats(formats, EXPORT_FORMATS[:-1]), scale, {})


def _zip_bytes(result: Result, figures: Mapping[str, go.Figure], fmts: list[str],
               scale: float, rendered: Mapping[str, bytes]) -> bytes:
    """:func:`export_zip`, reusing images already ``rendered`` (file name -> bytes)."""
    cfg = result.config
    files: list[tuple[str, bytes | str, str]] = [  # (name, content, README note)
        (name, content, _FILE_NOTES[name]) for name, content in _files(result, figures, fmts)]
    static = [f for f in fmts if f in STATIC_FORMATS]
    skipped: str | None = None
    try:
        for fmt in static:
            for fname, fig in chart_files(figures, cfg, fmt):
                image = rendered.get(fname) or figure_bytes(fig, fmt, scale=scale)
                files.append((f"charts/{fname}", image, _static_note(fmt, scale)))
    except ExportUnavailable as exc:
        skipped = str(exc)
        files = [f for f in files if not f[0].startswith("charts/")]
    readme = _readme(result, [(name, note) for name, _, note in files], skipped, static, scale)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", readme)
        for name, content, _ in files:
            packed = name.endswith(_PACKED)
            zf.writestr(name, content,
                        compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def export_files(result: Result, figures: Mapping[str, go.Figure], out_dir: str | Path,
                 formats: str | Iterable[str], *, scale: float = 2) -> list[Path]:
    """Write the requested files into ``out_dir`` (created if needed); return their paths.

    Parameters
    ----------
    result : Result
    figures : dict of str to plotly.graph_objects.Figure
    out_dir : str or Path
    formats : iterable of str or comma-separated str
        From ``png, svg, pdf`` (one file per chart, named by :func:`figure_filename`),
        ``html`` (``charts.html``), ``csv`` (``metrics.csv``), ``npz`` (``weights.npz``),
        ``json`` (``config.json``) and ``zip`` (:func:`zip_filename`, holding the other
        formats asked for, or :data:`ZIP_FORMATS` if none).
    scale : float
        PNG resolution factor.

    Raises
    ------
    ExportUnavailable
        If PNG/SVG/PDF were asked for and cannot be made; every other format has been
        written by then, and the exception's ``written`` lists those files.
    ValueError
        For an unknown format name.
    """
    fmts = _formats(formats, EXPORT_FORMATS)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    written: list[Path] = []

    def write(name: str, content: bytes | str) -> None:
        path = out / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        written.append(path)

    for name, content in _files(result, figures, fmts):
        write(name, content)
    rendered: dict[str, bytes] = {}  # the ZIP reuses these instead of rendering again
    unavailable: ExportUnavailable | None = None
    try:
        for fmt in (f for f in fmts if f in STATIC_FORMATS):
            for fname, fig in chart_files(figures, cfg, fmt):
                rendered[fname] = figure_bytes(fig, fmt, scale=scale)
                write(fname, rendered[fname])
    except ExportUnavailable as exc:
        unavailable = exc
    if "zip" in fmts:
        inner = [f for f in fmts if f != "zip"] or list(ZIP_FORMATS)
        write(zip_filename(cfg), _zip_bytes(result, figures, inner, scale, rendered))
    if unavailable is not None:
        raise ExportUnavailable(str(unavailable), written) from None
    return written


__all__ = [
    "EXPORT_FORMATS",
    "ZIP_FORMATS",
    "export_files",
    "export_zip",
    "figures_html",
]
