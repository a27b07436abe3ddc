"""The Export & share tab: charts, data and everything as files; the link; a config upload.

Files are built only when a download button is clicked (deferred ``download_button`` data),
so the tab costs nothing until then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

import streamlit as st

from sim import PRESETS, Config, Result, charts, export
from sim.app.links import UPLOAD_MB, on_upload, page_params, preset_link, share_link
from sim.app.state import SIDE_TITLES, SIDES, View, current_view, show_notice

#: Streamlit refuses a file larger than the uploader's ``max_upload_size`` in the browser:
#: the script never hears of it, so the last upload's notice would stay beside the refused
#: file (its reason is in the file chip's tooltip). While the uploader lists a file (refused,
#: or on its way), that notice is stale: hidden. A new upload reruns the script, with a new
#: uploader and its own notice.
UPLOAD_STYLE = """<style>
.st-key-upload_area:has([data-testid="stFileChip"]) .st-key-upload_notice {display: none;}
</style>"""

#: Built ZIPs kept per server process (each a few MB), keyed by config and view.
ZIP_CACHE_ENTRIES = 4
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
        "html": "text/html", "csv": "text/csv", "json": "application/json",
        "npz": "application/octet-stream", "zip": "application/zip"}


class _ZipStore:
    """The last few ZIPs built in this process (each takes seconds), keyed by what made
    them; shared by the sessions, safe across threads (downloads are built off the script
    thread)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_build(self, key: tuple, build: Callable[[], bytes]) -> bytes:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        data = build()  # outside the lock: another session may build another ZIP meanwhile
        with self.lock:
            self.items[key] = data
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return data


@st.cache_resource
def zip_store() -> _ZipStore:
    return _ZipStore(ZIP_CACHE_ENTRIES)


def chart_choices(result: Result, figures: Mapping[str, object]) -> dict[str, str]:
    """Chart key (:func:`sim.charts.chart_key`) -> menu label, in page order."""
    out = {}
    for spec in charts.CHARTS.values():
        if not spec.per_init:
            if spec.name in figures:
                out[spec.name] = spec.title
            continue
        for i in range(len(result.config.inits)):
            key = charts.chart_key(result, spec.name, i)
            if key in figures:
                out[key] = (f"{spec.title}: {SIDE_TITLES[SIDES[i]].lower()}, "
                            f"{charts.init_label(result, i)}")
    return out


def export_figures(result: Result, view: View) -> dict[str, object]:
    """Every chart of the result drawn as on screen: the Compare and More charts tabs' chart
    functions with the view's options (:func:`sim.charts.all_figures`)."""
    return charts.figures(result, view)


def export_makers(result: Result, figures: Mapping[str, object], view: View,
                  cache: bool = True) -> dict[str, Callable[[], bytes | str]]:
    """What each download button of the Export tab builds, as zero-argument callables.

    Streamlit runs them when a button is clicked, on another thread and without the
    session (so they close over plain values, never ``st.session_state``). Keys:
    ``png|svg|pdf:<chart key>`` (one chart), ``charts-png|svg|pdf`` (ZIP of every chart),
    ``html``, ``csv``, ``npz``, ``json``, ``zip`` (everything). ZIPs are kept in
    :func:`zip_store` unless ``cache`` is False.
    """
    cfg = result.config
    store = zip_store() if cache else _ZipStore(1)
    view_key = (cfg.to_json(indent=None), view.log_y, view.metric, view.snapshot)
    title = export.page_title(cfg)
    makers: dict[str, Callable[[], bytes | str]] = {}
    for fmt in export.STATIC_FORMATS:
        for key, fig in figures.items():
            makers[f"{fmt}:{key}"] = (lambda fig=fig, fmt=fmt: export.figure_bytes(fig, fmt))
        makers[f"charts-{fmt}"] = (lambda fmt=fmt: store.get_or_build(
            (*view_key, fmt), lambda: export.export_zip(result, figures, [fmt])))
    makers["html"] = lambda: export.figures_html(figures, title, cfg.to_json())
    makers["csv"] = lambda: export.metrics_csv(result)
    makers["npz"] = lambda: export.weights_npz(result)
    makers["json"] = lambda: cfg.to_json() + "\n"
    makers["zip"] = lambda: store.get_or_build(
        (*view_key, "all"), lambda: export.export_zip(result, figures))
    return makers


def export_names(cfg: Config) -> dict[str, str]:
    """File names of the Export tab's downloads, all with the config hash (as the ZIP's
    ``init-lab-<hash>.zip``): ``init-lab-<hash>-metrics.csv`` and so on."""
    stem = export.zip_filename(cfg).rsplit(".", 1)[0]
    names = {f"charts-{fmt}": f"{stem}-charts-{fmt}.zip" for fmt in export.STATIC_FORMATS}
    names.update(html=f"{stem}-charts.html", csv=f"{stem}-metrics.csv",
                 npz=f"{stem}-weights.npz", json=f"{stem}-config.json",
                 zip=export.zip_filename(cfg))
    return names


def _download(label: str, makers: Mapping, names: Mapping, what: str, key: str,
              help: str, disabled: bool = False, file_name: str | None = None) -> None:
    """A download button whose file is built only when it is clicked (no rerun)."""
    name = file_name or names[what]
    st.download_button(label, data=makers[what], file_name=name,
                       mime=MIME[name.rsplit(".", 1)[-1]], key=key, help=help,
                       on_click="ignore", disabled=disabled, icon=":material/download:")


def export_tab(result: Result) -> None:
    """Downloads of the charts, the data and everything; the link; restoring a config."""
    cfg = result.config
    view = current_view(result)
    figures = export_figures(result, view)
    makers = export_makers(result, figures, view)
    names = export_names(cfg)
    static_ok, static_message = export.static_export_available()

    st.subheader("Charts")
    st.caption(f"Each file is the chart on screen, drawn by the same function with the same "
               f"options ({view.describe(result)}), with its title, axis labels and legend. "
               "PNG at twice the screen resolution; SVG and PDF are vector images.")
    if not static_ok:
        st.warning(f"{static_message}. Interactive HTML, data and the ZIP "
                   "(without images) still work.", icon=":material/info:")
    choices = chart_choices(result, figures)
    c1, c2 = st.columns([3, 2], gap="large")
    with c1:
        chart = st.selectbox("Chart", list(choices), key="export_chart",
                             format_func=lambda k: choices.get(k, k),
                             help="Which chart to download: every chart of the Compare "
                                  "and More charts tabs.")
    with c2:
        fmt = st.radio("Format", export.STATIC_FORMATS, key="export_format", horizontal=True,
                       format_func=str.upper,
                       help="PNG for slides and documents; SVG for the web and papers; PDF "
                            "for LaTeX and print.")
    # The name every export of this chart gets (camera button, ZIP, command line).
    chart_file = export.figure_filename(chart, cfg, fmt)
    with st.container(horizontal=True, gap="medium"):
        _download(f"This chart ({fmt.upper()})", makers, names, f"{fmt}:{chart}",
                  "dl_chart", f"Saves {chart_file}.", disabled=not static_ok,
                  file_name=chart_file)
        _download(f"All {len(figures)} charts ({fmt.upper()}, ZIP)", makers, names,
                  f"charts-{fmt}", "dl_charts",
                  f"Every chart as {fmt.upper()} in one ZIP, with a README. The first "
                  "images take a few seconds.", disabled=not static_ok)
        _download("All charts (interactive HTML)", makers, names, "html", "dl_html",
                  "One self-contained page with every chart, zoomable, that works offline "
                  "(about 5 MB).")
    st.caption(f"File names say the chart, the initialization and the config hash, e.g. "
               f"`{chart_file or names['zip']}`; a chart's camera button (top right of "
               "each chart) saves the same name as PNG.")

    st.subheader("Data")
    with st.container(horizontal=True, gap="medium"):
        _download("Metrics (CSV)", makers, names, "csv", "dl_csv",
                  "Every recorded number in long form: run, init, seed, epoch, layer, "
                  "metric, value.")
        _download("Weight snapshots (NPZ)", makers, names, "npz", "dl_npz",
                  "numpy.load(file): snapshot_epochs, W1..WL of shape (runs, snapshots, "
                  "units, inputs), b1..bL, run_init, run_seed; conv filters as conv_W1.. "
                  "(runs, snapshots, filters, channels, K, K) and conv_b1...")
    st.caption(f"`{names['csv']}`: every recorded number, one row per run, epoch, layer "
               f"and metric. `{names['npz']}`: the weight and bias snapshots, for numpy. "
               "The settings are under *Share or restore* below.")

    st.subheader("Everything in one ZIP")
    images = "every chart as PNG and SVG, " if static_ok else ""
    _download("Everything (ZIP)", makers, names, "zip", "dl_zip",
              f"config.json, metrics.csv, weights.npz, charts.html, {images}and a README.txt "
              "that says what each file is.")
    st.caption(f"README, config, metrics, weight snapshots, {images}and the interactive "
               "HTML page. Building it takes about 10 s the first time (it renders every "
               "chart); the download starts when it is ready.")

    st.subheader("Share or restore")
    # The link opens the Compare tab: whoever receives it wants the charts, not this tab.
    link = share_link({**page_params(result), "tab": "compare"})
    st.markdown("The page address holds the whole experiment and the view (tab, loss axis, "
                "epoch, neuron count): copy it from the address bar"
                + (" or use the link below, which opens the Compare tab" if link else "")
                + ". Whoever opens it sees this page, trained again with the same settings.")
    if link:
        st.code(link, language=None, wrap_lines=True)
    # A preset also has a short link, by name: one per slide of a lecture.
    preset = next((name for name, p in PRESETS.items() if p.config() == cfg), None)
    short = preset_link(preset) if preset is not None else None
    if short:
        st.markdown(f"This is the preset “{PRESETS[preset].label}”, which this short link "
                    "opens too (add `&present=1` for the presenter view):")
        st.code(short, language=None)
    st.html(UPLOAD_STYLE)
    with st.container(key="upload_area"):
        c1, c2 = st.columns([1, 2], gap="large", vertical_alignment="center")
        with c1:
            _download("Config (JSON)", makers, names, "json", "dl_config",
                      "The settings as a file: upload it here to restore this experiment, or "
                      "run python -m sim export --config FILE.json --out DIR.")
        with c2:
            st.file_uploader(
                "Restore a config JSON", type=["json"], max_upload_size=UPLOAD_MB,
                key=f"upload_{st.session_state.get('upload_round', 0)}", on_change=on_upload,
                help=f"A config JSON (at most {UPLOAD_MB} MB) saved here or by the command "
                     "line. Only its JSON is read, checked like every setting; a bad file "
                     "changes nothing.")
        with st.container(key="upload_notice"):
            show_notice("upload_notice", cfg.to_json(indent=None))
