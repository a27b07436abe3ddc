"""Files out of a result: metrics as long-form CSV, weight snapshots as .npz, the config.

``metrics.csv`` has the columns ``run,init,seed,epoch,layer,metric,value``: ``run`` is the
index of the run (0-based, the order of the history's first axis), ``init`` the
initialization's label, ``layer`` the hidden layer number from 1 (for ``grad_norm`` the weight
layer, where the last one is the output layer), empty for whole-network metrics. Metrics:
``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy`` (classification only),
``grad_norm`` and, at the snapshot epochs, ``dead_units``, ``distinct_neurons``, ``rank``,
``effective_rank`` and ``symmetry_gap``. Values after a run diverged are omitted.

``weights.npz`` holds ``snapshot_epochs`` (S,), ``W1 .. WL`` of shape (R, S, n_l, n_{l-1})
(rows are units, columns inputs), ``b1 .. bL`` of shape (R, S, n_l), ``run_init`` (R,),
``run_seed`` (R,), ``init_labels`` and ``diverged_at`` (R,).

Charts (figures from :func:`sim.charts.all_figures`, a dict of chart name to figure):

* :func:`figure_bytes` renders one figure to PNG, SVG or PDF with kaleido, which drives a
  Chromium. The first image of a process starts kaleido's browser (a few seconds); later
  ones take about 0.3 s. Without kaleido or Chromium it raises :class:`ExportUnavailable`,
  whose one-line message says what to install; :func:`static_export_available` asks the
  same question cheaply, so a user interface can say it before anyone clicks.
* :func:`figures_html` puts every chart into one self-contained, offline HTML page.
* :func:`export_zip` bundles data, config, charts and a README; :func:`export_files` writes
  the same files into a folder (the command line's ``python -m sim export``).

File names come from :func:`figure_filename`: chart, initializations and
:func:`config_hash`, e.g. ``loss_overlay-zeros-vs-xavier_uniform_gain_1-1c2d3e4f.png``.
"""

from __future__ import annotations

import csv
import datetime
import html
import importlib.metadata
import io
import os
import re
import shutil
import textwrap
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.config import Config, ConfigError, slugify
from sim.metrics import METRIC_NAMES
from sim.naming import chart_files, config_hash, figure_filename, page_title, zip_filename
from sim.train import Result

if TYPE_CHECKING:  # plotly and kaleido are imported when a chart is exported, not before
    import plotly.graph_objects as go

CSV_COLUMNS = ("run", "init", "seed", "epoch", "layer", "metric", "value")


def metrics_rows(result: Result) -> Iterator[tuple]:
    """Rows ``(run, init, seed, epoch, layer, metric, value)`` of every recorded number."""
    h = result.history
    curves = {"train_loss": h.train_loss, "test_loss": h.test_loss,
              "train_accuracy": h.train_accuracy, "test_accuracy": h.test_accuracy}
    n_test = result.data.n_test
    for r, (i, seed) in enumerate(result.runs):
        label = result.labels[i]
        for name, arr in curves.items():
            if arr is None or (name.startswith("test") and n_test == 0):
                continue
            for e in np.flatnonzero(np.isfinite(arr[r])):
                yield (r, label, seed, int(e), "", name, float(arr[r, e]))
        g = h.grad_norm[r]
        for e, layer in zip(*np.nonzero(np.isfinite(g)), strict=True):
            yield (r, label, seed, int(e) + 1, int(layer) + 1, "grad_norm", float(g[e, layer]))
        for k, e in enumerate(h.snapshot_epochs):
            for name in METRIC_NAMES:
                vals = h.metrics[name][r, k]
                for layer in np.flatnonzero(np.isfinite(vals)):
                    yield (r, label, seed, int(e), int(layer) + 1, name, _num(vals[layer]))


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def metrics_csv(result: Result) -> str:
    """The long-form metrics table as CSV text (see the module docstring)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(metrics_rows(result))
    return buf.getvalue()


def weights_npz(result: Result) -> bytes:
    """The weight and bias snapshots as a compressed ``.npz`` file's bytes."""
    h = result.history
    arrays = {"snapshot_epochs": h.snapshot_epochs}
    for l, (w, b) in enumerate(zip(h.weights, h.biases, strict=True), start=1):
        arrays[f"W{l}"] = w
        arrays[f"b{l}"] = b
    arrays["run_init"] = np.array([i for i, _ in result.runs])
    arrays["run_seed"] = np.array([s for _, s in result.runs])
    arrays["init_labels"] = np.array(result.labels)
    arrays["diverged_at"] = h.diverged_at
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def write_run_files(result: Result, out_dir: str | Path) -> list[Path]:
    """Write ``config.json``, ``metrics.csv`` and ``weights.npz`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "config.json", out / "metrics.csv", out / "weights.npz"]
    paths[0].write_text(result.config.to_json() + "\n")
    paths[1].write_text(metrics_csv(result))
    paths[2].write_bytes(weights_npz(result))
    return paths


# ============================================================================================
# Static charts (PNG, SVG, PDF) with kaleido
# ============================================================================================

#: Formats :func:`figure_bytes` renders.
STATIC_FORMATS = ("png", "svg", "pdf")
#: Everything :func:`export_files` writes (``zip`` bundles the others).
EXPORT_FORMATS = ("png", "svg", "pdf", "html", "csv", "npz", "json", "zip")
#: What :func:`export_zip` puts in the ZIP by default.
ZIP_FORMATS = ("png", "svg", "html", "csv", "npz", "json")

#: How to get a browser kaleido can drive, on Debian/Ubuntu (the CI and the docs' machines).
INSTALL_CHROMIUM = "apt-get install -y chromium"
NO_CHROMIUM = (f"PNG/SVG/PDF export needs Chromium: {INSTALL_CHROMIUM} "
               "(or set BROWSER_PATH to a Chrome/Chromium executable)")
NO_KALEIDO = "PNG/SVG/PDF export needs the kaleido package: pip install 'kaleido>=1'"

#: A render that has not finished after this many seconds is abandoned (kaleido's own
#: per-image timeout is 90 s).
RENDER_TIMEOUT = 120.0


class ExportUnavailable(RuntimeError):
    """PNG/SVG/PDF export cannot run here; the message says in one line what to install.

    Attributes
    ----------
    written : list of Path
        Files :func:`export_files` wrote before giving up (every non-image format asked for).
    """

    def __init__(self, message: str, written: Iterable[Path] = ()) -> None:
        super().__init__(message)
        self.written = list(written)


# Answers of static_export_available, keyed by BROWSER_PATH (tests and users may change it).
_availability: dict[str | None, tuple[bool, str]] = {}
# Set when a browser that was found fails to start: static export is off for this process.
_failure: str | None = None
# One render at a time: kaleido's sync server pairs requests and answers through two
# queues, so concurrent callers (several Streamlit sessions) could get each other's image.
_render_lock = threading.Lock()


def static_export_available(refresh: bool = False) -> tuple[bool, str]:
    """Can this process render PNG/SVG/PDF? Cheap: no browser is started.

    Checks that kaleido (1 or later) is installed and that a Chrome/Chromium executable is
    found (``BROWSER_PATH`` first, then the ``PATH`` and the usual install places). The
    answer is cached; a browser that is found but fails to start turns it to ``False`` for
    the rest of the process (``refresh=True`` asks again).

    Returns
    -------
    ok : bool
    message : str
        When ``ok`` is False, the one-line message of :class:`ExportUnavailable` (what to
        install); otherwise what will be used, e.g. ``kaleido 1.5.0, browser /usr/bin/chromium``.
    """
    global _failure
    key = os.environ.get("BROWSER_PATH")
    if refresh:
        _failure = None
        _availability.pop(key, None)
    if _failure is not None:
        return False, _failure
    if key not in _availability:
        _availability[key] = _probe_static_export(key)
    return _availability[key]


def _probe_static_export(browser_path: str | None) -> tuple[bool, str]:
    try:
        version = importlib.metadata.version("kaleido")
        import kaleido  # noqa: F401
    except (ImportError, importlib.metadata.PackageNotFoundError):
        return False, NO_KALEIDO
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 1:
        return False, f"PNG/SVG/PDF export needs kaleido 1 or later (found {version}): " \
                      "pip install -U 'kaleido>=1'"
    if browser_path:
        if not (os.path.isfile(browser_path) and os.access(browser_path, os.X_OK)):
            return False, (f"PNG/SVG/PDF export needs Chromium: BROWSER_PATH={browser_path!r} "
                           f"is not an executable file; fix it, or unset it and "
                           f"{INSTALL_CHROMIUM}")
        return True, f"kaleido {version}, browser {browser_path} (BROWSER_PATH)"
    found = _find_browser()
    if found is None:
        return False, NO_CHROMIUM
    return True, f"kaleido {version}, browser {found}"


def _find_browser() -> str | None:
    """The browser kaleido would launch, found the way kaleido's browser library finds it."""
    try:
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - an internal API moved: search the PATH ourselves
        names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                 "chrome")
        return next((p for p in map(shutil.which, names) if p), None)


def _kaleido_options() -> dict[str, Any]:
    """The browser options plotly's ``to_image`` passes to kaleido, for its server."""
    import plotly.io as pio

    d = pio.defaults
    opts = {"plotlyjs": d.plotlyjs, "mathjax": d.mathjax, "headers": d.headers}
    return {k: v for k, v in opts.items() if v}


class _ServerDied(Exception):
    """kaleido's server thread ended (its browser failed to start or crashed)."""


class _KaleidoServer:
    """kaleido's process-wide sync server: started once, watched, given up when broken.

    Without it every image starts and stops a browser (~3.5 s); with it only the first one
    does (later ones ~0.3 s). The server builds its browser in a background thread after
    ``start_sync_server`` has returned; if that fails, the thread dies and a request would
    wait forever on kaleido's queue. So every request runs in a helper thread while this
    one watches the server thread; if it dies, the server is stopped and the request is
    retried without it.
    """

    def __init__(self) -> None:
        self.state = "new"  # -> "running" -> "off" (not available, failed or stopped)

    def running(self) -> bool:
        if self.state == "new":
            self.state = "off"
            try:
                import kaleido

                start = getattr(kaleido, "start_sync_server", None)
                if start is None:  # kaleido without the server API: one browser per image
                    return False
                start(silence_warnings=True, **_kaleido_options())
            except Exception:  # noqa: BLE001 - any failure: render without the server
                return False
            self.state = "running"
        return self.state == "running"

    @staticmethod
    def _thread_alive() -> bool:
        import kaleido

        # kaleido has no public "is the server healthy"; its thread is the only sign.
        thread = getattr(getattr(kaleido, "_global_server", None), "_thread", None)
        return thread is None or thread.is_alive()

    def call(self, fn: Callable[[], bytes]) -> bytes:
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                box["error"] = exc

        worker = threading.Thread(target=work, name="init-lab-kaleido", daemon=True)
        worker.start()
        deadline = time.monotonic() + RENDER_TIMEOUT
        while worker.is_alive():
            worker.join(0.05)
            if worker.is_alive() and not self._thread_alive():
                worker.join(0.5)  # it may have answered just before ending
                if worker.is_alive():
                    # The helper stays blocked on the dead server's queue: a daemon thread,
                    # once per process at most, since the server is not used again.
                    raise _ServerDied
            if worker.is_alive() and time.monotonic() > deadline:
                self.state = "off"
                raise _fail(f"PNG/SVG/PDF export stopped answering (no image after "
                            f"{RENDER_TIMEOUT:.0f} s); restart the app to try again")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def stop(self) -> None:
        self.state = "off"
        try:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
        except Exception:  # noqa: BLE001 - best effort; it is not used again either way
            pass


_server = _KaleidoServer()


def _is_browser_error(exc: BaseException) -> bool:
    """Does ``exc`` mean "no usable browser" rather than a bad figure?"""
    try:
        from choreographer.errors import (
            BrowserClosedError,
            BrowserDepsError,
            BrowserFailedError,
            ChromeNotFoundError,
        )

        if isinstance(exc, (BrowserClosedError, BrowserDepsError, BrowserFailedError,
                            ChromeNotFoundError)):
            return True
    except ImportError:
        pass
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("Chrome" in text or "Kaleido requires" in text)


def _fail(message: str) -> ExportUnavailable:
    """Turn static export off for this process with ``message``; return the exception."""
    global _failure
    _failure = message
    return ExportUnavailable(message)


def _browser_failure(exc: BaseException) -> ExportUnavailable:
    if "ChromeNotFound" in type(exc).__name__ or "requires Google Chrome" in str(exc):
        return _fail(NO_CHROMIUM)
    ok, info = static_export_available()
    where = info.rsplit("browser ", 1)[-1] if ok else "the browser"
    return _fail(f"PNG/SVG/PDF export needs a working Chromium: {where} did not start "
                 f"({type(exc).__name__}); reinstall it with {INSTALL_CHROMIUM} "
                 "(or set BROWSER_PATH)")


def _server_render(fig: go.Figure, fmt: str, scale: float, width: int | None,
                   height: int | None) -> bytes:
    """What ``plotly.io.to_image`` does, minus its browser options: the server already has
    them (see :func:`_kaleido_options`), and passing them again makes kaleido warn on every
    image."""
    import kaleido
    import plotly.graph_objects as go
    import plotly.io as pio

    fig_dict = (fig if isinstance(fig, go.Figure) else go.Figure(fig)).to_dict()
    layout = fig_dict.get("layout", {})
    template = layout.get("template", {}).get("layout", {})
    d = pio.defaults
    opts = {"format": fmt, "scale": scale,
            "width": width or layout.get("width") or template.get("width") or d.default_width,
            "height": (height or layout.get("height") or template.get("height")
                       or d.default_height)}
    return kaleido.calc_fig_sync(fig_dict, opts=opts, topojson=d.topojson)


def figure_bytes(fig: go.Figure, fmt: str, scale: float = 2, width: int | None = None,
                 height: int | None = None) -> bytes:
    """One figure as a PNG, SVG or PDF file's bytes, rendered by kaleido.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    fmt : {"png", "svg", "pdf"}
    scale : float
        Pixels per layout pixel: a 700 x 500 chart at scale 2 is a 1400 x 1000 PNG. (SVG and
        PDF are vector formats; their page size is the layout size.)
    width, height : int, optional
        Layout size in pixels; default: the figure's layout size, else 700 x 500.

    Raises
    ------
    ExportUnavailable
        When kaleido or Chromium is missing or the browser does not start; the one-line
        message says what to install.
    ValueError
        For a format other than png, svg or pdf, or a non-positive size.
    """
    fmt = fmt.lower() if isinstance(fmt, str) else fmt
    if fmt not in STATIC_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(STATIC_FORMATS)}. Got {fmt!r}.")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 20:
        raise ValueError(f"scale must be a number in (0, 20]. Got {scale!r}.")
    for name, size in (("width", width), ("height", height)):
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                                 or not 10 <= size <= 10_000):
            raise ValueError(f"{name} must be an integer between 10 and 10000 or None. "
                             f"Got {size!r}.")
    ok, message = static_export_available()
    if not ok:
        raise ExportUnavailable(message)
    import plotly.io as pio

    def render() -> bytes:
        return pio.to_image(fig, format=fmt, scale=scale, width=width, height=height)

    with _render_lock:
        if _server.running():
            try:
                return _server.call(lambda: _server_render(fig, fmt, scale, width, height))
            except _ServerDied:
                _server.stop()
            except Exception as exc:
                if not _is_browser_error(exc):
                    raise
                _server.stop()  # its browser crashed: try once with a fresh browser
        try:
            return render()
        except Exception as exc:
            if _is_browser_error(exc):
                raise _browser_failure(exc) from exc
            raise


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
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    try:
        config: Config | None = Config.from_json(config_json)
    except ConfigError:
        config = None  # shown as given; the camera buttons' file names just lack the hash
    made = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    esc = html.escape
    toc, sections = [], []
    for k, (name, fig) in enumerate(figures.items(), start=1):
        stem = (figure_filename(name, config, "png").rsplit(".", 1)[0] if config is not None
                else slugify(name) or f"chart{k}")
        div = pio.to_html(
            fig, full_html=False, include_plotlyjs=False, div_id=f"chart-{k}",
            default_width="100%", default_height="500px",
            config={"responsive": True, "displaylogo": False,
                    "toImageButtonOptions": {"format": "png", "filename": stem, "scale": 2}})
        heading = _figure_heading(fig, name)
        toc.append(f'<li><a href="#section-{k}">{esc(heading)}</a></li>')
        sections.append(f'<section id="section-{k}">\n<h2>{esc(heading)}</h2>\n'
                        f'<div class="chart">{div}</div>\n</section>')
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
        f'<p class="meta">Made with Init Lab on {esc(made)}{hash_text}. Every chart is '
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


_FILE_NOTES = {
    "README.txt": "this file",
    "config.json": "the configuration that made everything here. Upload it in the dashboard "
                   "to restore the experiment, or rebuild these files with: python -m sim "
                   "export --config config.json --out DIR --format png,svg,pdf,html,csv",
    "metrics.csv": "every recorded number, long form; columns run,init,seed,epoch,layer,"
                   "metric,value. run: index of the run (0-based); layer: hidden layer from 1 "
                   "(for grad_norm the weight layer, the last being the output layer), empty "
                   "for whole-network metrics. Metrics: train_loss, test_loss, train_accuracy, "
                   "test_accuracy, grad_norm and, at the snapshot epochs, dead_units, "
                   "distinct_neurons, rank, effective_rank, symmetry_gap",
    "weights.npz": "weight snapshots, numpy.load('weights.npz'): snapshot_epochs (S,), "
                   "W1..WL of shape (runs, S, units, inputs), b1..bL of shape (runs, S, "
                   "units), run_init, run_seed, init_labels, diverged_at (-1: never)",
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
    made = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()

    def para(text: str) -> str:
        return textwrap.fill(text, 92, initial_indent="    ", subsequent_indent="    ")

    lines = [
        "Init Lab export",
        "===============",
        "",
        textwrap.fill(f"{page_title(cfg)}: hidden layers {list(cfg.hidden)}, "
                      f"{cfg.activation}, {cfg.optimizer} lr {cfg.lr!r}, {cfg.epochs} epochs, "
                      f"{cfg.seeds} seed(s).", 92),
        f"Made on {made}; config hash {config_hash(cfg)}; training took "
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
    files: list[tuple[str, bytes | str, str]] = []  # (name, content, README note)
    if "json" in fmts:
        files.append(("config.json", cfg.to_json() + "\n", _FILE_NOTES["config.json"]))
    if "csv" in fmts:
        files.append(("metrics.csv", metrics_csv(result), _FILE_NOTES["metrics.csv"]))
    if "npz" in fmts:
        files.append(("weights.npz", weights_npz(result), _FILE_NOTES["weights.npz"]))
    if "html" in fmts:
        files.append(("charts.html", figures_html(figures, page_title(cfg), cfg.to_json()),
                      _FILE_NOTES["charts.html"]))
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
            # PNG, PDF and npz are compressed already; deflating them again only costs time.
            packed = name.endswith((".png", ".pdf", ".npz"))
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

    if "json" in fmts:
        write("config.json", cfg.to_json() + "\n")
    if "csv" in fmts:
        write("metrics.csv", metrics_csv(result))
    if "npz" in fmts:
        write("weights.npz", weights_npz(result))
    if "html" in fmts:
        write("charts.html", figures_html(figures, page_title(cfg), cfg.to_json()))
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
    "CSV_COLUMNS",
    "EXPORT_FORMATS",
    "ExportUnavailable",
    "INSTALL_CHROMIUM",
    "STATIC_FORMATS",
    "ZIP_FORMATS",
    "config_hash",
    "export_files",
    "export_zip",
    "figure_bytes",
    "figure_filename",
    "figures_html",
    "metrics_csv",
    "metrics_rows",
    "static_export_available",
    "weights_npz",
    "write_run_files",
    "zip_filename",
]
