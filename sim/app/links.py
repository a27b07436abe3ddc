"""The experiment in the page address and in uploaded config files.

Every run writes the configuration into ``st.query_params`` (:func:`sim.share.config_to_params`
plus the view-only parameters such as the tab), and the first run of a session reads it back
(:func:`sim.share.params_to_config`) into the widgets' state before the widgets exist, so a
copied address reproduces the view. Uploaded config files go through
:func:`sim.share.config_from_upload`. Both are fitted to what the dashboard's controls can show
(:func:`fit_dashboard`: two initializations, the widgets' own ends from the table of fields).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from urllib.parse import quote, urlencode, urlsplit

import streamlit as st

from sim import PRESETS, Config, ConfigError, Result, export
from sim.app.state import (
    LOSS_AXES,
    METRIC_CHOICES,
    SIDES,
    TAB_PARAMS,
    TABS,
    VIEW_PARAMS,
    md_escape,
    restore,
    shown_snapshot,
)
from sim.fields import FIELDS, url_name
from sim.presets import DEFAULT_PRESET
from sim.share import (
    INIT_PREFIXES,
    MAX_UPLOAD_BYTES,
    config_from_upload,
    config_to_params,
    params_to_config,
)

#: Largest config upload, in megabytes for the uploader widget (Streamlit counts whole MB)
#: and in bytes for :func:`sim.share.config_from_upload`, which checks again.
UPLOAD_MB = max(1, MAX_UPLOAD_BYTES // 1_000_000)


def fit_dashboard(cfg: Config, field_name: Callable[[str], str] = repr
                  ) -> tuple[Config, str]:
    """``cfg`` as the dashboard shows it: two initializations, values its controls reach.

    A config with one initialization gets the default right-hand one (and a note saying
    so); more than two, or a value beyond a widget's own end (``widget_low`` and
    ``widget_high`` of :data:`sim.fields.FIELDS`: the Noise slider ends at 2) are refused.
    ``field_name`` names a config field in messages (the URL parameter, say).

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
            "--out DIR.", "inits")
    if n < len(SIDES):
        default = PRESETS[DEFAULT_PRESET].config().inits
        cfg = cfg.replace(inits=[s.to_dict() for s in (*cfg.inits, *default[n:])])
        note = (f"It has one initialization; the right-hand panel shows the default, "
                f"{default[n].label}.")
    for name, row in FIELDS.items():
        value = getattr(cfg, name)
        if value is None or row.widget is None:
            continue
        widget = f"the {row.label} {'slider' if row.widget == 'slider' else 'input'}"
        if row.widget_high is not None and value > row.widget_high:
            raise ConfigError(
                f"{field_name(name)} must be at most {row.widget_high:g} in the dashboard "
                f"({widget} ends there). Got {value:g}; the command line takes a "
                f"{row.rule()}.", name)
        if row.widget_low is not None and value < row.widget_low:
            raise ConfigError(
                f"{field_name(name)} must be at least {row.widget_low:g} in the dashboard "
                f"({widget} ends there). Got {value:g}.", name)
    return cfg, note


def _url_name(fld: str) -> str:
    """``URL parameter 'samples'`` for the config field ``n_samples``."""
    return f"URL parameter {url_name(fld) or fld!r}"


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
