"""Init Lab: why neural-network weights must not all start at zero.

Run with ``streamlit run dashboard.py``. The script is thin: the sidebar turns widget values
into a dict, :meth:`sim.Config.from_dict` validates it, :func:`sim.train_comparison` trains
(through ``st.cache_data``, keyed by the config's JSON) and :mod:`sim.charts` draws.

Widget state lives in ``st.session_state`` under each widget's ``key``. Picking a preset
writes every key at once (:func:`widget_values`); the user can change any control after.

The page address holds the experiment: every run writes the configuration into
``st.query_params`` (:func:`sim.share.config_to_params`, plus a few view-only parameters such
as the tab), and the first run of a session reads it back (:func:`sim.share.params_to_config`)
into the widgets' state before the widgets exist, so a copied address reproduces the view.
The "Export & share" tab downloads the charts (drawn by the same :mod:`sim.charts` functions
with the options on screen), the data and everything as one ZIP; files are built only when a
download button is clicked, so the tab costs nothing until then.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping
from urllib.parse import quote, urlencode, urlsplit

import numpy as np
import streamlit as st

from sim import (
    ACTIVATIONS,
    BIAS_INITIALIZERS,
    DATASETS,
    INITIALIZERS,
    LOSSES,
    METRIC_DEFINITIONS,
    PRESETS,
    Config,
    ConfigError,
    Result,
    charts,
    estimate_cost,
    explain,
    export,
    forward,
    loss_and_gradients,
    train_comparison,
)
from sim.charts import METRIC_TITLES, View
from sim.config import DTYPES, MAX_SEEDS, OPTIMIZERS, parse_hidden
from sim.initializers import Param
from sim.presets import DEFAULT_PRESET
from sim.share import (
    INIT_PREFIXES,
    MAX_UPLOAD_BYTES,
    SIMPLE_PARAMS,
    config_from_upload,
    config_to_params,
    params_to_config,
)

SIDES = ("left", "right")
SIDE_TITLES = {"left": "Left", "right": "Right"}
#: Runs estimated to take longer than this (seconds) show a progress bar.
PROGRESS_SECONDS = 1.0
CUSTOM = "custom"  # the preset menu's entry once a control differs from the preset
TABS = ("Compare", "Why?", "More charts", "Export & share")
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
METRIC_CHOICES = ("distinct_neurons", "rank", "effective_rank", "dead_units")

#: The dashboard's own limits where its controls are narrower than :class:`Config` (a slider
#: cannot show a value beyond its end): a link or file asking for more is refused.
NOISE_MAX = 2.0
MOMENTUM_MAX = 0.999

#: View-only URL parameters (not part of the configuration): parameter -> allowed values.
#: ``shown_epoch`` (the epoch of the weights and decision boundary) is checked separately.
TAB_PARAMS = {"compare": "Compare", "why": "Why?", "more": "More charts",
              "export": "Export & share"}
LOSS_AXES = ("log", "linear")
VIEW_PARAMS = ("tab", "loss_axis", "neurons", "shown_epoch")

#: Largest config upload, in megabytes for the uploader widget (Streamlit counts whole MB)
#: and in bytes for :func:`sim.share.config_from_upload`, which checks again.
UPLOAD_MB = max(1, MAX_UPLOAD_BYTES // 1_000_000)
#: Built ZIPs kept per server process (each a few MB), keyed by config and view.
ZIP_CACHE_ENTRIES = 4
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
        "html": "text/html", "csv": "text/csv", "json": "application/json",
        "npz": "application/octet-stream", "zip": "application/zip"}

INTRO = (
    "A neural network learns by giving each hidden unit its own job. If every weight starts "
    "at the same value (zero, say), every unit of a layer computes the same output, receives "
    "the same gradient and makes the same update, step after step: the layer behaves like a "
    "single neuron, however wide it is. With tanh or ReLU it is worse: the units output 0 "
    "and no gradient reaches them at all. Random initial weights break this symmetry. Below, "
    "the same network is trained twice on the same data, once per initialization, "
    "**left** and **right**; pick a preset in the sidebar or change any setting."
)


# ------------------------------------------------------------------------------------------
# Widget state <-> config
# ------------------------------------------------------------------------------------------


def layers_text(sizes) -> str:
    """``2 → 8 → 8 → 1``, with runs of equal sizes shortened: ``2 → 32 ×30 → 1``."""
    parts: list[str] = []
    sizes = [str(x) for x in sizes]
    i = 0
    while i < len(sizes):
        j = i
        while j + 1 < len(sizes) and sizes[j + 1] == sizes[i]:
            j += 1
        count = j - i + 1
        parts.append(f"{sizes[i]} ×{count}" if count > 2 else " → ".join([sizes[i]] * count))
        i = j + 1
    return " → ".join(parts)


def param_key(side: str, scheme: str, name: str, bias: bool = False) -> str:
    """Session-state key of one initializer parameter widget (one per scheme and side)."""
    return f"{side}_{'bias_' if bias else ''}{scheme}_{name}"


def widget_values(cfg: Config) -> dict:
    """Every session-state value that reproduces ``cfg`` (keyed like the widgets).

    Two keys have no widget: ``snapshots`` (kept as given) and ``noise_null`` (whether the
    config asked for the dataset's own noise level, ``noise: null``), so that a restored
    config gives back exactly the same config, hash and file names.
    """
    spec = DATASETS[cfg.dataset]
    values = {
        "hidden": ", ".join(str(h) for h in cfg.hidden),
        "activation": cfg.activation,
        "loss": cfg.loss,
        "dataset": cfg.dataset,
        "n_samples": cfg.n_samples,
        "noise": float(spec.default_noise if cfg.noise is None else cfg.noise),
        "noise_null": cfg.noise is None,
        "test_fraction": float(cfg.test_fraction),
        "data_seed": cfg.data_seed,
        "n_classes": cfg.n_classes,
        "optimizer": cfg.optimizer,
        "lr": float(cfg.lr),
        "momentum": float(cfg.momentum),
        "epochs": cfg.epochs,
        "batch_size": cfg.batch_size,
        "l2": float(cfg.l2),
        "dropout": float(cfg.dropout),
        "seeds": cfg.seeds,
        "dtype": cfg.dtype,
        "snapshots": cfg.snapshots,
    }
    for side, init in zip(SIDES, cfg.inits, strict=False):
        values[f"{side}_scheme"] = init.scheme
        values[f"{side}_scale"] = float(init.scale)
        values[f"{side}_bias"] = init.bias
        for p in INITIALIZERS[init.scheme].params:
            values[param_key(side, init.scheme, p.name)] = init.params.get(p.name, p.default)
        for p in BIAS_INITIALIZERS[init.bias].params:
            values[param_key(side, init.bias, p.name, bias=True)] = init.bias_params.get(
                p.name, p.default)
    return values


def preset_label(name: str) -> str:
    """What the preset menu shows for ``name`` (a preset or :data:`CUSTOM`)."""
    return "Custom settings" if name == CUSTOM else PRESETS[name].label


def apply_preset() -> None:
    """Callback of the preset menu: set every control to the preset's values."""
    name = st.session_state["preset"]
    if name == CUSTOM:
        return
    st.session_state.update(widget_values(PRESETS[name].config()))
    st.session_state["origin"] = None
    st.session_state["preset_from"] = name


def sync_preset_menu(state: MutableMapping) -> None:
    """Before the widgets exist: show "Custom settings" in the preset menu once the controls
    no longer equal the preset's values, so that picking the preset again is a change (and
    re-applies it: a selectbox's ``on_change`` does not fire for the value it already
    shows); show the preset again when the controls come back to it."""
    name = state.get("preset")
    if name != CUSTOM:
        state["preset_from"] = name
    base = state.get("preset_from")
    try:
        cfg = validated_config()
    except (ConfigError, KeyError, TypeError, ValueError):
        cfg = None
    if base in PRESETS and cfg == PRESETS[base].config():
        state["preset"] = base
    elif name != CUSTOM:
        state["preset"] = CUSTOM


def on_dataset_change() -> None:
    """A new dataset starts with its own default noise level."""
    st.session_state["noise"] = float(DATASETS[st.session_state["dataset"]].default_noise)
    st.session_state["noise_null"] = True


def restore(cfg: Config, state: MutableMapping, origin: str) -> None:
    """Set every control to ``cfg`` (a config :func:`fit_dashboard` accepted).

    The preset menu shows the preset ``cfg`` equals, if any; otherwise ``origin`` (such as
    "a shared link") says where the settings came from.
    """
    state.update(widget_values(cfg))
    preset = next((name for name, p in PRESETS.items() if p.config() == cfg), None)
    if preset is not None:
        state["preset"] = preset
    state["origin"] = None if preset is not None else origin


def ensure_state() -> None:
    """First run of a session: the default preset's values, then the page address's."""
    ss = st.session_state
    if "preset" in ss:
        return
    ss["preset"] = DEFAULT_PRESET
    ss.update(widget_values(PRESETS[DEFAULT_PRESET].config()))
    ss["log_y"] = True
    ss["metric"] = METRIC_CHOICES[0]
    ss["origin"] = None
    ss["upload_round"] = 0
    if len(st.query_params):
        restore_from_url({k: st.query_params.get_all(k) for k in st.query_params}, ss)


def config_dict() -> dict:
    """The configuration as the widgets describe it (not validated yet)."""
    ss = st.session_state
    d = {k: ss[k] for k in ("dataset", "n_samples", "test_fraction", "data_seed",
                            "hidden", "activation", "loss", "seeds", "optimizer", "lr",
                            "epochs", "batch_size", "l2", "dropout", "dtype")}
    # The dataset's default noise is stored as None, so an untouched preset gives the
    # preset's very config (and its cache entry); a restored config that named the default
    # value explicitly keeps it (noise_null False).
    default_noise = DATASETS[ss["dataset"]].default_noise if ss["dataset"] in DATASETS else None
    d["noise"] = (None if ss["noise"] == default_noise and ss.get("noise_null", True)
                  else ss["noise"])
    # Kept even while their widgets are hidden (persist_state), so a restored config round
    # trips exactly; they only matter for blobs and for momentum.
    d["n_classes"] = ss.get("n_classes", Config.n_classes)
    d["momentum"] = ss.get("momentum", Config.momentum)
    d["snapshots"] = ss.get("snapshots", Config.snapshots)
    inits = []
    for side in SIDES:
        scheme, bias = ss[f"{side}_scheme"], ss[f"{side}_bias"]
        inits.append({
            "scheme": scheme,
            "params": {p.name: ss.get(param_key(side, scheme, p.name), p.default)
                       for p in INITIALIZERS[scheme].params},
            "scale": ss[f"{side}_scale"],
            "bias": bias,
            "bias_params": {p.name: ss.get(param_key(side, bias, p.name, True), p.default)
                            for p in BIAS_INITIALIZERS[bias].params},
        })
    d["inits"] = inits
    return d


def validated_config() -> Config:
    """The widgets' configuration, validated; raises :class:`ConfigError`."""
    d = config_dict()
    if not str(d["hidden"]).strip():
        raise ConfigError("hidden (hidden layer sizes) must list at least one layer, such as "
                          "'8' or '8, 8': this lab is about hidden units. Got ''.")
    return Config.from_dict(d)


# ------------------------------------------------------------------------------------------
# Sharing: the page address and uploaded config files
# ------------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: str) -> str:
    """``text`` shown literally by ``st.markdown``/``st.error``: a URL parameter or a file
    name can hold markdown (links, images) or ``$...$`` (LaTeX); nothing of it is rendered."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def fit_dashboard(cfg: Config, field_name: Callable[[str], str] = repr
                  ) -> tuple[Config, str]:
    """``cfg`` as the dashboard shows it: two initializations, values its controls reach.

    A config with one initialization gets the default right-hand one (and a note saying
    so); more than two, a noise level beyond the slider or a momentum beyond the input are
    refused. ``field_name`` names a config field in messages (the URL parameter, say).

    Returns
    -------
    cfg : Config
    note : str
        What was completed, or ``""``.

    Raises
    ------
    ConfigError
    """
    note = ""
    n = len(cfg.inits)
    if n > len(SIDES):
        raise ConfigError(
            f"It compares {n} initializations; the dashboard shows two (left and right). "
            "The command line takes up to 8: python -m sim export --config FILE.json "
            "--out DIR.")
    if n < len(SIDES):
        default = PRESETS[DEFAULT_PRESET].config().inits
        cfg = cfg.replace(inits=[s.to_dict() for s in (*cfg.inits, *default[n:])])
        note = (f"It has one initialization; the right-hand panel shows the default, "
                f"{default[n].label}.")
    limits = (("noise", cfg.noise, NOISE_MAX, "the Noise slider"),
              ("momentum", cfg.momentum, MOMENTUM_MAX, "the Momentum input"))
    for fld, value, high, widget in limits:
        if value is not None and value > high:
            raise ConfigError(
                f"{field_name(fld)} must be at most {high:g} in the dashboard ({widget} "
                f"ends there). Got {value:g}; the command line takes up to 10 for noise "
                "and below 1 for momentum.")
    return cfg, note


def _url_name(fld: str) -> str:
    """``URL parameter 'samples'`` for the config field ``n_samples``."""
    return f"URL parameter {next((k for k, v in SIMPLE_PARAMS.items() if v == fld), fld)!r}"


def _is_scheme_param(prefix: str, key: str) -> bool:
    """Is ``key`` a parameter of the weight scheme of initialization ``prefix``
    (``left.gain``, not ``left.scale`` or ``left.bias...``)?"""
    rest = key[len(prefix) + 1:] if key.startswith(prefix + ".") else ""
    return bool(rest) and rest not in ("scale", "bias") and not rest.startswith("bias.")


def merge_url_params(params: Mapping[str, list[str]],
                     base: Mapping[str, str]) -> dict[str, list[str] | str]:
    """``params`` over ``base`` (the default page's parameters), so a short hand-written link
    such as ``?act=relu&left=he_normal`` changes only what it names.

    A link that names a weight scheme (``left=he_normal``) takes none of the base's
    parameters of the base's scheme (``left.gain``: they belong to another scheme), and one
    that names a bias scheme none of the base's bias parameters; ``?left.scale=2`` alone
    keeps the base's scheme.
    """
    out: dict[str, list[str] | str] = dict(base)
    for prefix in INIT_PREFIXES:
        stale = []
        if prefix in params:
            stale += [k for k in out if _is_scheme_param(prefix, k)]
        if f"{prefix}.bias" in params:
            stale += [k for k in out if k.startswith(f"{prefix}.bias.")]
        for k in stale:
            del out[k]
    out.update(params)
    return out


def url_config(params: Mapping[str, list[str]]) -> tuple[Config, str]:
    """The configuration a page address describes, fitted to the dashboard.

    Parameters the address leaves out take the default page's values (the
    :data:`~sim.presets.DEFAULT_PRESET` preset); view-only parameters
    (:data:`VIEW_PARAMS`) are skipped here.

    Raises
    ------
    ConfigError
        Naming the parameter (from :func:`sim.share.params_to_config`).
    """
    base = config_to_params(PRESETS[DEFAULT_PRESET].config())
    cfg = params_to_config(merge_url_params(params, base), ignore=VIEW_PARAMS)
    return fit_dashboard(cfg, _url_name)


def _single_view(params: Mapping[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    if not values:
        return None
    if len(values) != 1:
        raise ConfigError(f"URL parameter {key!r} must be given once. Got it {len(values)} "
                          "times.")
    return values[0]


def url_view(params: Mapping[str, list[str]], cfg: Config) -> dict:
    """Session-state values of the view-only URL parameters (tab, loss axis, neuron count,
    shown epoch); raises :class:`ConfigError` naming a bad one."""
    out: dict = {}
    choices = (("tab", TAB_PARAMS), ("loss_axis", LOSS_AXES), ("neurons", METRIC_CHOICES))
    for key, allowed in choices:
        value = _single_view(params, key)
        if value is None:
            continue
        if value not in allowed:
            raise ConfigError(f"URL parameter {key!r} must be one of {', '.join(allowed)}. "
                              f"Got {value!r}.")
        if key == "tab":
            out["tab"] = TAB_PARAMS[value]
        elif key == "loss_axis":
            out["log_y"] = value == "log"
        else:
            out["metric"] = value
    epoch = _single_view(params, "shown_epoch")
    if epoch is not None:
        if not (epoch.strip().isdigit() and int(epoch) <= cfg.epochs):
            raise ConfigError(f"URL parameter 'shown_epoch' must be an epoch from 0 to "
                              f"{cfg.epochs} (epochs). Got {epoch!r}.")
        out["epoch_request"] = int(epoch)  # the nearest stored snapshot, once trained
    return out


def restore_from_url(params: Mapping[str, list[str]], state: MutableMapping) -> bool:
    """Set the controls to the page address's experiment and view. A bad address leaves
    ``state`` as it was and stores an error notice naming the problem; returns success."""
    try:
        cfg, _ = url_config(params)
        view = url_view(params, cfg)
    except ConfigError as exc:
        state["url_notice"] = (
            "error", "**The settings in this link were not loaded.** "
            f"{md_escape(str(exc))} Showing the default experiment instead.", None)
        return False
    restore(cfg, state, "a shared link")
    state.update(view)
    return True


def view_params(result: Result) -> dict[str, str]:
    """The view-only URL parameters of what is on screen."""
    ss = st.session_state
    tab = ss.get("tab", TABS[0])
    params = {"tab": next((k for k, v in TAB_PARAMS.items() if v == tab), "compare"),
              "loss_axis": "log" if ss.get("log_y", True) else "linear",
              "neurons": ss.get("metric", METRIC_CHOICES[0])}
    epochs = result.history.snapshot_epochs
    params["shown_epoch"] = str(int(epochs[shown_snapshot(result)]))
    return params


def page_params(result: Result) -> dict[str, str]:
    """Everything the page address holds: the config, then the view."""
    return {**config_to_params(result.config), **view_params(result)}


def sync_url(params: dict[str, str]) -> None:
    """Write ``params`` into the page address (only when they changed)."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def share_link(params: Mapping[str, str]) -> str | None:
    """The full link of this page, or None when the app's address is unknown (tests)."""
    base = st.context.url
    if not base:
        return None
    if not urlsplit(base).path:
        base += "/"
    return f"{base}?{urlencode(params, quote_via=quote, safe=',')}"


def _file_label(name: object) -> str:
    """An uploaded file's name for messages: safe characters only, at most 60."""
    text = re.sub(r"[^A-Za-z0-9._ -]+", "_", str(name or "the file")).strip() or "the file"
    return text[:60]


def restore_from_upload(uploaded, state: MutableMapping) -> tuple[str, str]:
    """Restore the experiment in an uploaded config JSON into ``state``.

    Only JSON is read, at most :data:`sim.share.MAX_UPLOAD_BYTES` of it, through the same
    validation as the URL and the command line (:func:`sim.share.config_from_upload`).

    Parameters
    ----------
    uploaded : bytes or binary file
        Streamlit's ``UploadedFile`` (its ``name`` is used in messages) or raw bytes.
    state : mutable mapping
        ``st.session_state``; left as it was when the file is refused.

    Returns
    -------
    kind : {"success", "error"}
    message : str
        Markdown: what was restored, or why nothing was.
    """
    label = md_escape(_file_label(getattr(uploaded, "name", None)))
    try:
        cfg, note = fit_dashboard(config_from_upload(uploaded, MAX_UPLOAD_BYTES))
    except ConfigError as exc:
        return ("error", f"**{label} was not loaded.** {md_escape(str(exc))} The experiment "
                         "is unchanged.")
    restore(cfg, state, f"the file {label}")
    text = (f"**Restored the experiment from {label}** (config "
            f"{export.config_hash(cfg)}).")
    return "success", text + (f" {md_escape(note)}" if note else "")


def on_upload() -> None:
    """Callback of the config uploader: restore the file, then offer a fresh uploader (a new
    key), so the same file can be loaded again later."""
    ss = st.session_state
    key = f"upload_{ss.get('upload_round', 0)}"
    uploaded = ss.get(key)
    if uploaded is None:
        return
    kind, text = restore_from_upload(uploaded, ss)
    ss["upload_notice"] = (kind, text, None)
    ss["upload_round"] = ss.get("upload_round", 0) + 1


def show_notice(slot: str, config_key: str) -> None:
    """Show the notice stored in ``slot`` while the configuration is the one it was shown
    with first; it disappears once the user changes a setting."""
    ss = st.session_state
    notice = ss.get(slot)
    if not notice:
        return
    kind, text, shown_with = notice
    if shown_with is None:
        ss[slot] = (kind, text, config_key)
    elif shown_with != config_key:
        del ss[slot]
        return
    getattr(st, kind)(text)


# ------------------------------------------------------------------------------------------
# Sidebar
# ------------------------------------------------------------------------------------------


def param_widget(p: Param, key: str, where: str) -> None:
    """One initializer parameter: a number input or a menu, from its :class:`Param` spec."""
    if key not in st.session_state:
        st.session_state[key] = p.default
    label = f"{where} {p.name}"
    if p.kind == "choice":
        st.selectbox(label, p.choices, key=key, help=p.help or None)
        return
    default = abs(float(p.default))
    step = 10 ** math.floor(math.log10(default)) / 10 if default > 0 else 0.01
    st.number_input(label, min_value=p.low, max_value=p.high, step=step, format="%g", key=key,
                    help=p.help or None)


def init_controls(side: str) -> None:
    """Scheme, its parameters, scale and bias init of one side."""
    scheme = st.selectbox(
        "Weight scheme", list(INITIALIZERS), key=f"{side}_scheme",
        format_func=lambda n: INITIALIZERS[n].label,
        help="How every weight matrix starts. Zeros, ones, constant and identity are "
             "deterministic; the others draw random numbers.")
    info = INITIALIZERS[scheme]
    st.caption(f"{info.summary} `{info.formula}`")
    for p in info.params:
        param_widget(p, param_key(side, scheme, p.name), "weight")
    st.number_input("Scale factor", min_value=0.0, step=0.1, format="%g", key=f"{side}_scale",
                    help="Multiplies every initial weight: 0.1 for 'too small', 4 for "
                         "'too large'.")
    bias = st.selectbox(
        "Bias init", list(BIAS_INITIALIZERS), key=f"{side}_bias",
        format_func=lambda n: BIAS_INITIALIZERS[n].label,
        help="How the biases start. Zero is the usual choice; random biases alone can "
             "break the symmetry of zero weights (try the 'random biases' preset).")
    for p in BIAS_INITIALIZERS[bias].params:
        param_widget(p, param_key(side, bias, p.name, bias=True), "bias")


def sidebar() -> None:
    """Every control. Values land in ``st.session_state`` under the widgets' keys."""
    sb = st.sidebar
    sb.header("Experiment")
    sb.selectbox("Preset", [*PRESETS, CUSTOM], key="preset", on_change=apply_preset,
                 format_func=preset_label,
                 help="Ready-made experiments. Picking one sets every control below; "
                      "you can change any of them afterwards.")

    with sb.expander("Network", expanded=True):
        text = st.text_input(
            "Hidden layer sizes", key="hidden", placeholder="8, 8",
            help="Units per hidden layer, separated by commas: '8' is one hidden layer of 8 "
                 "units, '8, 8' two layers. Press Enter to apply.")
        try:
            sizes = parse_hidden(text)
            if sizes:
                st.caption(f"Layers: input → {layers_text(sizes)} → output")
        except ConfigError as exc:
            st.error(str(exc))
        st.selectbox("Activation", list(ACTIVATIONS), key="activation",
                     help="The hidden units' nonlinearity. With all-zero weights, sigmoid "
                          "units stay identical; tanh, ReLU and the others output 0 and "
                          "never learn.")
        st.selectbox("Loss", ["auto", *LOSSES], key="loss",
                     format_func=lambda n: "automatic (from the dataset)" if n == "auto"
                     else LOSSES[n].label,
                     help="'automatic' uses binary cross-entropy for two classes, "
                          "cross-entropy for more, squared error for regression.")

    for side in SIDES:
        with sb.expander(f"Initialization, {side}", expanded=True):
            init_controls(side)

    with sb.expander("Data", expanded=False):
        ds = st.selectbox("Dataset", list(DATASETS), key="dataset",
                          format_func=lambda n: DATASETS[n].label, on_change=on_dataset_change,
                          help="The training data. Circles, XOR, moons and spirals cannot be "
                               "separated by one neuron.")
        if ds in DATASETS:
            st.caption(DATASETS[ds].summary)
        st.number_input("Samples", min_value=4, max_value=100_000, step=64, key="n_samples",
                        help="Number of points, training and test together.")
        st.slider("Noise", 0.0, NOISE_MAX, step=0.01, key="noise",
                  help="How far points scatter from the clean shape (standard deviation).")
        st.slider("Test fraction", 0.0, 0.9, step=0.05, key="test_fraction",
                  help="Share of the points held out to measure the test loss.")
        st.number_input("Data seed", min_value=0, step=1, key="data_seed",
                        help="Seed of the random generator that draws the data.")
        if ds == "blobs":
            st.number_input("Classes", min_value=2, max_value=10, step=1, key="n_classes",
                            help="Number of blobs (classes).", persist_state="page")

    with sb.expander("Training", expanded=False):
        opt = st.selectbox("Optimizer", list(OPTIMIZERS), key="optimizer",
                           format_func=lambda n: OPTIMIZER_LABELS.get(n, n),
                           help="Plain SGD shows the symmetry most clearly; Adam adapts the "
                                "step size per weight but cannot break the symmetry either.")
        st.number_input("Learning rate", min_value=0.0, step=0.01, format="%g", key="lr",
                        help="Step size of each update. Must be greater than 0.")
        if opt == "momentum":
            st.number_input("Momentum", min_value=0.0, max_value=MOMENTUM_MAX, step=0.05,
                            format="%g", key="momentum", persist_state="page",
                            help="Fraction of the previous update carried into the next.")
        st.number_input("Epochs", min_value=1, max_value=100_000, step=100, key="epochs",
                        help="Passes over the training data.")
        st.number_input("Batch size", min_value=0, step=16, key="batch_size",
                        help="Samples per update; 0 means the whole training set "
                             "(full batch: one update per epoch).")
        st.number_input("L2 penalty", min_value=0.0, step=1e-4, format="%g", key="l2",
                        help="Weight decay: adds l2/2 × the sum of squared weights to the loss.")
        st.slider("Dropout", 0.0, 0.9, step=0.05, key="dropout",
                  help="Share of hidden units switched off at random at each step. It breaks "
                       "the symmetry of sigmoid units, not of tanh/ReLU ones.")
        st.number_input("Seeds per initialization", min_value=1, max_value=MAX_SEEDS, step=1,
                        key="seeds",
                        help="Runs per side with different random draws; curves show the mean "
                             "and a band from the lowest to the highest run.")
        st.radio("Precision", list(DTYPES), key="dtype", horizontal=True,
                 help="float64 keeps identical units exactly identical; float32 rounding can "
                      "slowly break the symmetry (see the symmetry gap chart).")


# ------------------------------------------------------------------------------------------
# Training and charts
# ------------------------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def run_training(config_json: str, _result: Result | None = None) -> Result:
    """The trained comparison of ``config_json`` (cached: the JSON is the key).

    ``_result`` (not part of the key) stores a result trained outside, with a progress bar:
    Streamlit would record, and later replay, progress-bar updates made inside a cached
    function.
    """
    if _result is not None:
        return _result
    return train_comparison(Config.from_json(config_json))


@st.cache_resource
def _seen_configs() -> set[str]:
    """Configs trained in this server process (decides whether to show a progress bar)."""
    return set()


def train(cfg: Config) -> Result:
    """Train (or fetch from the cache), with a progress bar for long runs."""
    key = cfg.to_json(indent=None)
    seen = _seen_configs()
    seconds, _ = estimate_cost(cfg)
    if key in seen or seconds <= PROGRESS_SECONDS:
        result = run_training(key)
    else:
        text = (f"Training {cfg.n_runs} networks for {cfg.epochs} epochs "
                f"(up to about {seconds:.0f} s)…")
        bar = st.progress(0.0, text=text)
        try:
            trained = train_comparison(
                cfg, progress=lambda f: bar.progress(min(max(f, 0.0), 1.0), text=text))
        finally:
            bar.empty()
        result = run_training(key, _result=trained)
    seen.add(key)
    return result


def show_chart(fig, result: Result, name: str, init_index: int | None = None) -> None:
    """``st.plotly_chart`` with the camera button exporting a 2x PNG named like every other
    export of that chart (:func:`sim.charts.export_filename`)."""
    if fig is None:
        return
    st.plotly_chart(fig, theme=None, config={
        "toImageButtonOptions": {"format": "png", "scale": 2,
                                 "filename": charts.export_filename(result, name, init_index)},
        "displaylogo": False})


def side_header(result: Result, i: int) -> str:
    color = charts.init_color(i)
    side = SIDE_TITLES[SIDES[i]] if i < len(SIDES) else f"Init {i + 1}"
    return (f"<div style='font-size:1.2rem;font-weight:600;border-left:6px solid {color};"
            f"padding-left:0.5rem;margin:0.2rem 0 0.4rem 0'>{side}: "
            f"<span style='color:{color}'>{charts.init_label(result, i)}</span></div>")


def _final(result: Result, i: int, arr: np.ndarray | None) -> float:
    if arr is None:
        return math.nan
    v = arr[result.run_indices(i), -1]
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def fmt_loss(x: float) -> str:
    """A loss short enough for a metric tile: 3 significant digits, scientific when tiny."""
    if not math.isfinite(x):
        return "–"
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.2e}".replace("e-0", "e-").replace("e+0", "e+")


def _neurons_text(result: Result, i: int) -> tuple[str, str, float]:
    """Distinct neurons at the end, summarised to fit a metric tile: "8/8" for one layer,
    "1/8 · 1/8" for two, "min 17/32 (30 layers)" beyond; the full list (for the tooltip);
    and the share of distinct units over all layers (for the difference between sides)."""
    widths = result.config.hidden
    v = result.history.metrics["distinct_neurons"][result.run_indices(i), -1, :]
    if not np.isfinite(v).any():
        return "–", "", math.nan
    counts = np.round(np.nanmean(v, axis=0)).astype(int)
    pairs = [f"{c}/{w}" for c, w in zip(counts, widths, strict=True)]
    full = " · ".join(pairs)
    if len(widths) <= 2:
        text = full
    else:
        fractions = counts / np.array(widths)
        low = int(np.argmin(fractions))
        text = f"min {pairs[low]} ({len(widths)} layers)"
    return text, full, float(np.sum(counts) / np.sum(widths))


def metrics_row(result: Result) -> None:
    """Final losses, accuracy and distinct neurons per side; the right side shows the
    difference to the left (no arrow when there is none)."""
    h = result.history
    cols = st.columns(2, gap="large")
    base = None
    for i, col in enumerate(cols):
        train_loss = _final(result, i, h.train_loss)
        test_loss = _final(result, i, h.test_loss) if result.data.n_test else math.nan
        acc_arr = h.test_accuracy if result.data.n_test else h.train_accuracy
        acc = _final(result, i, acc_arr)
        neurons, full, share = _neurons_text(result, i)
        values = (train_loss, test_loss, acc, share)
        with col:
            st.markdown(side_header(result, i), unsafe_allow_html=True)
            m = st.columns(4)
            labels = ("Final train loss", "Final test loss",
                      "Test accuracy" if result.data.n_test else "Train accuracy",
                      "Distinct neurons")
            shown = (fmt_loss(train_loss), fmt_loss(test_loss),
                     f"{acc:.1%}" if math.isfinite(acc) else "–", neurons)
            helps = ("Loss on the training set after the last epoch (mean over seeds).",
                     "Loss on the held-out test set after the last epoch.",
                     "Share of points classified correctly after the last epoch.",
                     "Distinct neurons / width, per hidden layer"
                     + (f" ({full})" if full != neurons else "") + ": "
                     + METRIC_DEFINITIONS["distinct_neurons"]
                     + " The difference is in the share of distinct units over all layers.")
            for k in range(4):
                delta, color = None, "off"
                if base is not None and math.isfinite(values[k]) and math.isfinite(base[k]):
                    d = values[k] - base[k]
                    delta = (f"{d:+.1%}" if k == 2 else f"{d * 100:+.0f} pts"
                             if k == 3 else fmt_loss(d) if d < 0 else "+" + fmt_loss(d)
                             ) + " vs left"
                    if (k == 3 and round(d * 100) == 0) or d == 0:
                        delta = None  # an arrow for "+0" would claim a difference
                    else:
                        color = "inverse" if k < 2 else "normal"
                m[k].metric(labels[k], shown[k], delta=delta, help=helps[k],
                            delta_color=color)
        base = values


def paired(result: Result, name: str, build, caption=None) -> None:
    """One row: the chart of each initialization side by side, a caption under each."""
    cols = st.columns(2, gap="large")
    for i, col in enumerate(cols[:len(result.config.inits)]):
        with col:
            fig = build(i)
            if fig is None:
                st.info("This chart needs a dataset with 2 inputs (or a 1-D regression).")
                continue
            show_chart(fig, result, name, i)
            if caption is not None:
                st.caption(caption(i))


def compare_tab(result: Result) -> None:
    """The main view: metrics, loss, weights, effective neurons, decision boundary."""
    metrics_row(result)
    h = result.history

    st.subheader("1 · Loss")
    log_y = st.toggle("Logarithmic loss axis", key="log_y", persist_state="page",
                      help="A log scale shows small losses and slow progress better.")
    paired(result, "loss", lambda i: charts.loss_curves(result, i, log_y=log_y),
           lambda i: charts.caption_loss(result, i))
    c1, c2 = st.columns(2, gap="large")
    with c1:
        show_chart(charts.loss_overlay(result, log_y=log_y), result, "loss_overlay")
    with c2:
        acc = charts.accuracy_curves(result)
        if acc is not None:
            show_chart(acc, result, "accuracy")
        else:
            st.info("Accuracy applies to classification datasets; this one is a regression.")

    st.subheader("2 · Weights")
    epochs = [int(e) for e in h.snapshot_epochs]
    epoch = st.select_slider(
        "Epoch shown (weights and decision boundary)", options=epochs, key="snapshot_epoch",
        persist_state="page",
        help="Move through the stored snapshots of the training. Both sides show the same "
             "epoch with the same colour range.")
    k = epochs.index(epoch)
    zmax = charts.weight_range(result, k)
    paired(result, "weights",
           lambda i: charts.weight_heatmaps(result, i, snapshot=k, zmax=zmax),
           lambda i: charts.caption_weights(result, i, k))

    st.subheader("3 · Effective neurons")
    metric = st.radio("Count", METRIC_CHOICES, key="metric", horizontal=True,
                      persist_state="page",
                      format_func=lambda m: METRIC_TITLES[m],
                      help="How to count the neurons that really work; the definition of the "
                           "chosen count is shown below.")
    st.caption(f"**{METRIC_TITLES[metric]}**: {METRIC_DEFINITIONS[metric]}")
    paired(result, "neurons", lambda i: charts.effective_neurons(result, i, metric=metric),
           lambda i: charts.caption_neurons(result, i))

    st.subheader("4 · What the network predicts")
    paired(result, "boundary", lambda i: charts.decision_boundary(result, i, snapshot=k),
           lambda i: charts.caption_boundary(result, i))


def more_tab(result: Result) -> None:
    """Gradient norms, activation distributions and the symmetry gap."""
    st.subheader("Gradient norm per layer")
    st.caption("How much each layer is pushed at every epoch. Zero means the layer receives "
               "no learning signal at all.")
    paired(result, "grad_norm", lambda i: charts.gradient_norms(result, i),
           lambda i: explain.caption_grad_norm(result, i))
    st.subheader("Activations per hidden layer")
    st.caption("What the hidden units output on the training inputs, at the start and at the "
               "end of training. A single spike means every unit outputs the same value.")
    paired(result, "activations", lambda i: charts.activation_distribution(result, i))
    st.subheader("Symmetry gap")
    st.caption("The largest difference between two units' incoming weights. Exactly 0 means "
               "the layer is perfectly symmetric; float32 rounding can make a tiny gap that "
               "training amplifies"
               + (" (switch Precision to float32 to see it)." if result.config.dtype == "float64"
                  else "."))
    paired(result, "symmetry_gap", lambda i: charts.symmetry_gap(result, i),
           lambda i: explain.caption_symmetry_gap(result, i))


# ------------------------------------------------------------------------------------------
# The "Why?" tab
# ------------------------------------------------------------------------------------------


def _num(v: float) -> str:
    """A number for LaTeX: 4 significant digits, powers of ten written out."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return r"\text{" + str(v) + "}"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    mantissa, exponent = f"{v:.3e}".split("e")
    return rf"{float(mantissa):.4g}\cdot 10^{{{int(exponent)}}}"


def latex_matrix(M: np.ndarray, max_rows: int = 8, max_cols: int = 6,
                 color: str = "#D55E00") -> str:
    """A ``bmatrix`` of ``M``; rows equal to another row are coloured (truncated with
    dots beyond ``max_rows`` x ``max_cols``)."""
    M = np.atleast_2d(np.asarray(M, dtype=np.float64))
    _, inverse, counts = np.unique(M, axis=0, return_inverse=True, return_counts=True)
    repeated = counts[inverse.ravel()] > 1
    rows = []
    r_show = list(range(min(M.shape[0], max_rows)))
    c_show = list(range(min(M.shape[1], max_cols)))
    for r in r_show:
        cells = [_num(M[r, c]) for c in c_show]
        if M.shape[1] > max_cols:
            cells.append(r"\cdots")
        if repeated[r]:
            cells = [rf"\textcolor{{{color}}}{{{c}}}" for c in cells]
        rows.append(" & ".join(cells))
    if M.shape[0] > max_rows:
        rows.append(" & ".join([r"\vdots"] * (len(c_show) + (M.shape[1] > max_cols))))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _symmetric_init(result: Result) -> int | None:
    """Index of the first initialization whose first hidden layer starts with equal rows
    (weights and biases), or None."""
    h = result.history
    for i in range(len(result.config.inits)):
        run = result.run_indices(i)[0]
        P = np.concatenate([h.weights[0][run, 0], h.biases[0][run, 0][:, None]], axis=1)
        if P.shape[0] > 1 and np.unique(P, axis=0).shape[0] == 1:
            return i
    return None


def _symmetry_held(result: Result, i: int) -> bool:
    """Whether every run of initialization ``i`` kept identical units in every hidden layer
    at every stored snapshot (symmetry gap exactly 0, at most one distinct neuron)."""
    m = result.history.metrics
    runs = result.run_indices(i)
    gap, distinct = m["symmetry_gap"][runs], m["distinct_neurons"][runs]
    return bool(np.all(gap == 0) and np.all(distinct <= 1))


def _zero_weight_init(result: Result) -> int | None:
    """Index of the first initialization whose first hidden layer starts with all-zero
    weights (whatever its biases), or None."""
    h = result.history
    for i in range(len(result.config.inits)):
        if not np.any(h.weights[0][result.run_indices(i)[0], 0]):
            return i
    return None


def _break_reasons(result: Result, i: int) -> list[str]:
    """Why the identical units of initialization ``i`` became different in this run."""
    cfg, h = result.config, result.history
    run = result.run_indices(i)[0]
    reasons = []
    if cfg.dropout:
        reasons.append(f"dropout ({cfg.dropout:g}) switches off a different random set of "
                       "units at each step, so the units get different gradients")
    b = h.biases[0][run, 0]
    if b.size > 1 and np.unique(b).size > 1:
        reasons.append("the biases differ, so the units compute different values from the "
                       "start")
    if cfg.dtype == "float32":
        reasons.append("float32 rounding makes tiny differences between the units that "
                       "training then amplifies")
    return reasons or ["the units' updates were not all equal"]


def why_tab(result: Result) -> None:
    """The classic derivation, with the numbers of the current run.

    Every sentence is chosen from what this run did: whether a side starts with identical
    units, whether its hidden outputs are 0 (activations with f(0) = 0 and zero biases) and
    whether the units stayed identical at every stored snapshot.
    """
    cfg = result.config
    h = result.history
    act = ACTIVATIONS[cfg.activation]
    st.subheader("Why identical weights stay identical")
    if len(cfg.hidden) == 0:
        st.info("This network has no hidden layer: there is no symmetry to break.")
        return
    i = _symmetric_init(result)
    zw = _zero_weight_init(result)
    if i is not None:
        i_show = i
    elif zw is not None:
        i_show = zw
        st.info(f"The **{charts.init_label(result, zw)}** side starts with zero weights but "
                "different biases: each unit computes $z_j = b_j$, a different value, so the "
                "units differ from the first step and the symmetry breaks. The derivation "
                "below shows where the argument fails.")
    else:
        i_show = 0
        st.info("Neither initialization of this run starts with identical units, so below "
                "the derivation uses general symbols and the right-hand side shows how random "
                "values differ. Pick *zeros* or *constant* on one side to see it with numbers.")
    held = i is not None and _symmetry_held(result, i)
    run = result.run_indices(i_show)[0]
    W0, b0 = result.parameters_at(run, 0)
    X, y = result.data.X_train, result.data.y_train
    x = X[0]
    n_hidden = cfg.hidden[0]
    st.markdown(
        f"Take the **{charts.init_label(result, i_show)}** network of this run "
        f"({layers_text(cfg.layer_sizes)} units, {cfg.activation} hidden units) and "
        f"its first training point $x = ({', '.join(_num(v) for v in x)})$.")

    st.markdown("**1. Forward pass.** Every hidden unit $j$ computes "
                "$z_j = w_j \\cdot x + b_j$ and outputs $h_j = f(z_j)$ with "
                f"$f(z) = {act.formula}$. With the initial first-layer weights")
    z = W0[0].astype(np.float64) @ x + b0[0]
    hval = _forward_hidden(result, run, 0, X[:1])[0][0] if len(W0) > 1 else z
    st.latex(r"W^{(1)} = " + latex_matrix(W0[0]) + r",\quad b^{(1)} = "
             + latex_matrix(b0[0][:, None]))
    st.latex(r"z^{(1)} = W^{(1)}x + b^{(1)} = " + latex_matrix(z[None, :], max_cols=6)
             + r"^{\!\top}")
    st.latex(r"h^{(1)} = f(z^{(1)}) = " + latex_matrix(hval[None, :], max_cols=6) + r"^{\!\top}")
    equal_h = np.unique(hval).size == 1
    zero_h = equal_h and not np.any(hval)
    all_units = "Both" if n_hidden == 2 else f"All {n_hidden}"
    if zero_h:
        st.markdown(f"{all_units} hidden values are **0**: $f(0) = 0$ for {cfg.activation}, so "
                    "the first layer sends nothing to the next one.")
    elif equal_h:
        st.markdown(f"{all_units} hidden values are **equal**: the units cannot be told "
                    "apart, and the next layer sees the same number "
                    f"{n_hidden} times.")
    else:
        st.markdown("The hidden values differ: each unit already sees the input its own way.")

    st.markdown("**2. Backward pass.** Back-propagation gives unit $j$ the error signal "
                r"$\delta_j = f'(z_j)\sum_k W^{(2)}_{kj}\,\delta^{(2)}_k$ and the gradient "
                r"$\partial L / \partial W^{(1)}_{ji} = \delta_j\, x_i$. Equal $z_j$ and "
                r"equal outgoing weights $W^{(2)}_{kj}$ make every $\delta_j$ equal, so every "
                "row of the gradient is the same. The gradient on the whole training set, at "
                "the parameters after epochs 0 and 1 of this run:")
    grads = []
    for k in (0, 1):
        if k >= h.snapshot_epochs.size:
            break
        Wk, bk = result.parameters_at(run, k)
        if not all(np.isfinite(w).all() for w in Wk):
            break
        _, gW, _ = loss_and_gradients([w.astype(np.float64) for w in Wk],
                                      [b.astype(np.float64) for b in bk], X, y,
                                      cfg.activation, cfg.loss_name, cfg.l2)
        grads.append((int(h.snapshot_epochs[k]), gW[0]))
    st.latex(r",\qquad ".join(rf"\nabla_{{W^{{(1)}}}}L\big|_{{\text{{epoch }}{e}}} = "
                              + latex_matrix(g) for e, g in grads))
    G1 = h.grad_norm[result.run_indices(i_show), :, 0]
    first_grad_never = bool(np.all(G1[np.isfinite(G1)] == 0))
    if grads and not np.any(grads[0][1]):
        if zero_h and first_grad_never:
            st.markdown("This gradient is exactly **0**, and it stays exactly 0 at every step "
                        f"of the {cfg.epochs} epochs: the hidden outputs are 0, so the "
                        r"outgoing weights get the gradient $\delta^{(2)} h^{(1)\top} = 0$ "
                        "and stay 0, so no error ever reaches the first layer.")
        else:
            text = ("At epoch 0 this gradient is exactly **0**: the outgoing weights "
                    "$W^{(2)}$ are 0, so no error reaches the first layer yet. The output "
                    "layer moves first.")
            if len(grads) > 1 and np.any(grads[1][1]):
                g1 = grads[1][1]
                same = np.unique(g1, axis=0).shape[0] == 1
                text += (" After that the first layer's gradient rows are non-zero "
                         + ("and still equal." if same else "and no longer equal."))
            st.markdown(text)

    upd = (r"**3. Update.** $W^{(1)} \leftarrow W^{(1)} - \eta\,\nabla_{W^{(1)}}L$ "
           f"(here $\\eta = {_num(cfg.lr)}$, {OPTIMIZER_LABELS[cfg.optimizer]}): equal "
           "rows minus equal rows are equal rows.")
    n_snap = int(h.snapshot_epochs.size)
    if held and zero_h and first_grad_never:
        upd += (" Here the gradient is 0 at every step, so $W^{(1)}$ never moves from 0: the "
                "units are **dead**, and only the output bias learns.")
    elif held:
        upd += (" The same argument holds at the next step, and the next: by induction the "
                "units stay identical. In this run they did: the symmetry gap is exactly 0 "
                f"at all {n_snap} stored snapshots and every hidden layer has 1 distinct "
                "neuron, so the layer computes what a single neuron would.")
    elif i is not None:
        upd += (" The argument needs every step to treat the units alike. In this run the "
                "symmetry does **not** hold: " + "; ".join(_break_reasons(result, i)) + ".")
    elif zw is not None:
        upd += (" Here the rows start different (" + "; ".join(_break_reasons(result, zw))
                + "), so the updates differ and the symmetry does **not** hold.")
    else:
        upd += (" Here no side starts with equal rows, so the argument does not apply: "
                "the units differ from the start.")
    st.markdown(upd)
    if h.snapshot_epochs.size > 2:
        W1, _ = result.parameters_at(run, 1)
        W2, _ = result.parameters_at(run, 2)
        delta = W2[0].astype(np.float64) - W1[0].astype(np.float64)
        st.latex(rf"\Delta W^{{(1)}}\ (\text{{epoch }}{int(h.snapshot_epochs[1])} \to "
                 rf"{int(h.snapshot_epochs[2])}) = " + latex_matrix(delta))
    st.markdown("The first-layer weights of this run (rows that equal another row are "
                "coloured):")
    ks = sorted({0, 1, 2, h.snapshot_epochs.size - 1} & set(range(h.snapshot_epochs.size)))
    parts = []
    for k in ks:
        Wk, _ = result.parameters_at(run, k)
        parts.append(rf"\text{{epoch }}{int(h.snapshot_epochs[k])}:\ "
                     + latex_matrix(Wk[0], max_rows=8, max_cols=4))
    st.latex(r"\quad ".join(parts))
    if cfg.batch_size or cfg.dropout:
        st.caption("An epoch here holds several steps"
                   + (" (mini-batches)" if cfg.batch_size else "")
                   + ("; dropout draws random masks that give the units different gradients"
                      if cfg.dropout else "") + ".")

    st.markdown("**4. Why tanh and ReLU with zeros are worse.**")
    st.markdown(
        "For tanh, ReLU and the other activations with $f(0) = 0$, a layer with zero weights "
        r"and zero biases outputs $h^{(1)} = 0$. Then $\partial L/\partial W^{(2)} = "
        r"\delta^{(2)} h^{(1)\top} = 0$ and "
        r"$\delta^{(1)} = f'(z)\odot W^{(2)\top}\delta^{(2)} = 0$ because $W^{(2)} = 0$: no "
        "weight receives any gradient, ever. Only the output bias learns, and the network "
        "ends at the best constant prediction. The units are not just identical, they are "
        "dead.")
    dead_i = _dead_init(result)
    if dead_i is not None:
        r = result.run_indices(dead_i)[0]
        G = h.grad_norm[r]
        b_out0, b_out1 = h.biases[-1][r, 0], h.biases[-1][r, -1]
        st.markdown(
            f"In this run (**{charts.init_label(result, dead_i)}**, {cfg.activation}): the largest "
            f"gradient norm of any hidden layer over all {cfg.epochs} epochs is "
            f"${_num(float(np.nanmax(G[:, :-1])))}$, while the output bias went from "
            f"${', '.join(_num(v) for v in b_out0)}$ to ${', '.join(_num(v) for v in b_out1)}$.")
    elif zw is not None and act.zero_output:
        st.caption(f"In this run the **{charts.init_label(result, zw)}** side has zero weights "
                   "but non-zero biases, so its hidden outputs $f(b_j)$ are not 0 and its units "
                   "are not dead; set its bias init to zeros to see dead units.")
    elif act.zero_output:
        st.caption(f"{cfg.activation} has f(0) = 0: choose zeros on one side to see dead units "
                   "in this run.")
    elif zw is not None:
        st.caption("Sigmoid has σ(0) = 1/2 ≠ 0, so zero-weight sigmoid units are alive"
                   + (" (and stayed identical in this run)" if held else "")
                   + "; switch the activation to tanh or relu to see dead units.")
    else:
        st.caption("Sigmoid has σ(0) = 1/2 ≠ 0, so zero-weight sigmoid units would be alive; "
                   "choose zeros on one side and switch the activation to tanh or relu to see "
                   "dead units.")

    st.markdown("**5. Why random values break the symmetry.**")
    j = next((k for k in range(len(cfg.inits)) if k != i_show), None)
    if j is not None:
        rj = result.run_indices(j)[0]
        Wj0 = h.weights[0][rj, 0]
        d = charts.distinct_rows(Wj0)
        if d > 1:
            st.markdown(
                f"With **{charts.init_label(result, j)}** the rows of $W^{{(1)}}$ start "
                f"different ({d} distinct rows of {Wj0.shape[0]}), so the units compute "
                r"different $z_j$, get different $\delta_j$ and different updates: each unit "
                "can specialise on its own feature of the data. Its first layer at epoch 0:")
        else:
            st.markdown(
                f"With **{charts.init_label(result, j)}** the rows of $W^{{(1)}}$ also start "
                "equal, so the same argument applies to it; random values (such as Xavier "
                "or He) would give every unit its own row. Its first layer at epoch 0:")
        st.latex(r"W^{(1)} = " + latex_matrix(Wj0))
    st.markdown(
        "The scale matters too: too small and the signal fades layer after layer (gradients "
        "vanish), too large and units saturate. Xavier/Glorot (2010) and He (2015) choose "
        "the spread from the layer's fan-in and fan-out to keep it steady; try the deep "
        "presets.")


def _forward_hidden(result: Result, run: int, k: int, X: np.ndarray) -> list[np.ndarray]:
    W, b = result.parameters_at(run, k)
    return forward([w.astype(np.float64) for w in W], [bb.astype(np.float64) for bb in b], X,
                   result.config.activation)


def _dead_init(result: Result) -> int | None:
    dead = result.history.metrics["dead_units"]
    width = np.array(result.config.hidden)
    for i in range(len(result.config.inits)):
        r = result.run_indices(i)[0]
        if np.all(dead[r, -1, :] == width):
            return i
    return None


# ------------------------------------------------------------------------------------------
# The "Export & share" tab
# ------------------------------------------------------------------------------------------


def shown_snapshot(result: Result) -> int:
    """Index of the snapshot on screen: the Epoch slider's value; a link's ``shown_epoch``
    (not yet applied) gives the nearest stored one; otherwise the last."""
    ss = st.session_state
    epochs = [int(e) for e in result.history.snapshot_epochs]
    requested = ss.get("epoch_request")
    if requested is not None:
        return min(range(len(epochs)), key=lambda k: abs(epochs[k] - requested))
    value = ss.get("snapshot_epoch")
    return epochs.index(value) if value in epochs else len(epochs) - 1


def current_view(result: Result) -> View:
    """The chart options on screen; settles the Epoch slider's value on a stored epoch."""
    ss = st.session_state
    k = shown_snapshot(result)
    epoch = int(result.history.snapshot_epochs[k])
    ss.pop("epoch_request", None)
    if ss.get("snapshot_epoch") != epoch:
        ss["snapshot_epoch"] = epoch
    metric = ss.get("metric", METRIC_CHOICES[0])
    return View(bool(ss.get("log_y", True)), metric if metric in METRIC_CHOICES
                else METRIC_CHOICES[0], k)


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
    functions with the view's options (:func:`sim.charts.figures`)."""
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
    title = f"Init Lab: {' vs '.join(result.labels)} on {cfg.dataset}"
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
                  "units, inputs), b1..bL, run_init, run_seed.")
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
    c1, c2 = st.columns([1, 2], gap="large", vertical_alignment="center")
    with c1:
        _download("Config (JSON)", makers, names, "json", "dl_config",
                  "The settings as a file: upload it here to restore this experiment, or "
                  "run python -m sim export --config FILE.json --out DIR.")
    with c2:
        st.file_uploader(
            "Restore a config JSON", type=["json"], max_upload_size=UPLOAD_MB,
            key=f"upload_{st.session_state.get('upload_round', 0)}", on_change=on_upload,
            help="A config JSON saved here or by the command line. Only its JSON is read, "
                 "checked like every setting; a bad file changes nothing.")
    show_notice("upload_notice", cfg.to_json(indent=None))


# ------------------------------------------------------------------------------------------
# Page
# ------------------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="Init Lab: zero vs random initialization", layout="wide",
                       page_icon="🧮")
    t_start = time.perf_counter()
    train_seconds = 0.0
    ensure_state()
    st.title("Init Lab: why the weights must not all start at zero")
    st.markdown(INTRO)
    sync_preset_menu(st.session_state)
    sidebar()

    try:
        cfg = validated_config()
        error = None
    except ConfigError as exc:
        cfg, error = None, str(exc)
    show_notice("url_notice", cfg.to_json(indent=None) if cfg is not None else "")
    if error is not None:
        st.error(f"**Invalid setting.** {error}")
        result = st.session_state.get("last_result")
        if result is None:
            st.stop()
        st.caption("Showing the last valid result until the setting is fixed.")
    else:
        t0 = time.perf_counter()
        result = train(cfg)
        train_seconds = time.perf_counter() - t0
        st.session_state["last_result"] = result

    name = st.session_state["preset"]
    preset = PRESETS.get(name) or PRESETS.get(st.session_state.get("preset_from"),
                                              PRESETS[DEFAULT_PRESET])
    if name != CUSTOM and result.config == preset.config():
        st.info(f"**{preset.label}.** {preset.description}")
    else:
        origin = st.session_state.get("origin") or f"the preset “{preset.label}”"
        st.caption(f"Custom settings (started from {origin}).")

    current_view(result)  # settles the shown epoch before its slider exists
    tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
    for tab, render in zip(tabs, (compare_tab, why_tab, more_tab, export_tab), strict=True):
        if tab.open is False:  # lazy tabs: only the open one is computed
            continue
        with tab:
            render(result)
    if error is None:  # the address keeps the last valid experiment
        sync_url(page_params(result))
    st.caption(f"Page computed in {time.perf_counter() - t_start:.2f} s "
               f"(training or cache look-up {train_seconds:.2f} s).")


if __name__ == "__main__":  # Streamlit runs the script as __main__; tests import its helpers
    main()
