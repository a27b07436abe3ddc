"""Charts as PNG, SVG or PDF, rendered by kaleido, which drives a Chromium.

* :func:`figure_bytes` renders one figure. The first image of a process starts kaleido's
  browser (a few seconds); later ones take about 0.3 s, because kaleido's sync server keeps
  that browser running. This module supervises it (:class:`_KaleidoServer`): a browser that
  fails to start or crashes ends in :class:`ExportUnavailable`, never in a hang.
* Without kaleido or Chromium, :func:`figure_bytes` raises :class:`ExportUnavailable`, whose
  one-line message says what to install; :func:`static_export_available` asks the same
  question cheaply (no browser is started), so a user interface can say it before anyone
  clicks.

plotly and kaleido are imported when a chart is rendered, not when this module is.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Formats :func:`figure_bytes` renders.
STATIC_FORMATS = ("png", "svg", "pdf")

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
        Files :func:`sim.export.export_files` wrote before giving up (every non-image
        format asked for).
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
        An animated chart (:mod:`sim.charts.motion`) is drawn at its shown epoch, without
        its slider and play button.

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

    from sim.charts.motion import still

    fig = still(fig)  # an image cannot play: no frames, slider or play button on it

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


__all__ = [
    "INSTALL_CHROMIUM",
    "NO_CHROMIUM",
    "NO_KALEIDO",
    "RENDER_TIMEOUT",
    "STATIC_FORMATS",
    "ExportUnavailable",
    "figure_bytes",
    "static_export_available",
]
