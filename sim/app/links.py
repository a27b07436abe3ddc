"""The experiment in the page address and in uploaded config files.

Every run writes the configuration into ``st.query_params`` (:func:`sim.share.config_to_params`
plus the view-only parameters such as the tab), and the first run of a session reads it back
(:func:`sim.share.params_to_config`) into the widgets' state before the widgets exist, so a
copied address reproduces the view. Uploaded config files go through
:func:`sim.share.config_from_upload`. Both are fitted to what the dashboard's controls can show
(:func:`fit_dashboard`: two initializations, the sliders' ends from the table of fields).

``?preset=NAME`` (:data:`PRESET_PARAM`) opens a preset by name, for a slide's link
(``?preset=deep_relu``, ``?preset=deep_relu&present=1`` for the presenter view): the preset
takes the default page's place as what the link's other parameters change
(:func:`link_preset`). The page never writes it: its address is then the full one, as always.

A link is used as far as it is valid: a bad parameter is left out (the default page's value
takes its place) and named in one notice, the others are loaded (:func:`link_config`,
:func:`url_view`). Nothing a link or a file holds ends in a traceback: the messages quote at
most :data:`sim.validate.MAX_QUOTED` characters of a value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, MutableMapping
from urllib.parse import quote as url_quote
from urllib.parse import urlencode, urlsplit

import streamlit as st

from sim import PRESETS, Config, ConfigError, Result, export
from sim.app.state import (
    EPOCH_CHARTS,
    EPOCH_TABS_KEY,
    LOSS_AXES,
    MAX_SLIDE,
    METRIC_CHOICES,
    SIDES,
    TAB_PARAMS,
    TABS,
    VIEW_PARAMS,
    WEIGHT_SCALES,
    md_escape,
    restore,
    shown_snapshot,
)
from sim.config import init_field_parts
from sim.fields import FIELDS, url_name
from sim.presets import DEFAULT_PRESET
from sim.share import (
    INIT_PREFIXES,
    MAX_UPLOAD_BYTES,
    SIMPLE_PARAMS,
    config_from_upload,
    config_to_params,
    param_of_field,
    params_to_config,
    single_value,
)
from sim.validate import check_int, quote, shorten

log = logging.getLogger(__name__)

#: Largest config upload, in megabytes for the uploader widget (Streamlit counts whole MB)
#: and in bytes for :func:`sim.share.config_from_upload`, which checks again.
UPLOAD_MB = max(1, MAX_UPLOAD_BYTES // 1_000_000)

#: A link with more bad parameters than this is not used at all (each one left out costs a
#: validation of the whole configuration).
MAX_DROPPED = 10

#: The link parameter that names the preset a link starts from (``?preset=deep_relu``). Read
#: on a session's first run only; the page's own address never holds it.
PRESET_PARAM = "preset"

#: The parameters a full link (the page's own address, a shared link) always holds: every
#: setting except those written only when not at their defaults (``size``, ``conv``,
#: ``pool``), and both initializations. Such a link says what every setting is, so a
#: ``preset`` in it changes nothing (:func:`link_preset`).
FULL_LINK_PARAMS = (*(p for p, f in SIMPLE_PARAMS.items() if not FIELDS[f].omit_default),
                    *INIT_PREFIXES[:len(SIDES)])

#: The longest message a notice quotes from the validator: a last safeguard, as values in
#: it are quoted short already (the longest, an unknown scheme's, lists every name: ~430).
MAX_MESSAGE = 600


def fit_dashboard(cfg: Config, field_name: Callable[[str], str] = repr
                  ) -> tuple[Config, str]:
    """``cfg`` as the dashboard shows it: two initializations, values its controls reach.

    A config with one initialization gets the default right-hand one (and a note saying
    so); more than two, or a value beyond a slider's end (``widget_low`` and
    ``widget_high`` of :data:`sim.fields.FIELDS`: the Noise slider ends at 2) are refused.
    Number inputs have no ends: they take what the config takes. ``field_name`` names a
    config field in messages (the URL parameter, say).

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
        if value is None or row.widget != "slider":
            continue
        widget = f"the {row.label} slider"
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
    """``samples`` for the config field ``n_samples``."""
    return url_name(fld) or fld


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


def link_preset(params: Mapping[str, list[str]]) -> str | None:
    """The preset whose settings a link changes: the one its ``preset`` parameter names, or
    None (no ``preset``, or a full link: :data:`FULL_LINK_PARAMS`).

    A full link's settings are read as they always were, with the default page under them:
    the page leaves ``size``, ``conv`` and ``pool`` out of its address at their defaults,
    and a preset under a full link would fill them in (a dense network's link with
    ``preset=filters`` would become a convnet).

    Raises
    ------
    ConfigError
        For a ``preset`` given twice or that names no preset (listing the presets), with
        the field ``preset``, so that :func:`link_config` leaves just that parameter out.
    """
    if PRESET_PARAM not in params:
        return None
    name = single_value(PRESET_PARAM, params[PRESET_PARAM])
    if name not in PRESETS:
        raise ConfigError(f"{PRESET_PARAM} must be one of {', '.join(PRESETS)}. "
                          f"Got {quote(name)}.", PRESET_PARAM)
    return None if all(p in params for p in FULL_LINK_PARAMS) else name


def url_config(params: Mapping[str, list[str]]) -> tuple[Config, str]:
    """The configuration a page address describes, fitted to the dashboard.

    Parameters the address leaves out take the values of its preset (:func:`link_preset`)
    or else of the default page (the :data:`~sim.presets.DEFAULT_PRESET` preset);
    view-only parameters (:data:`VIEW_PARAMS`) are skipped here.

    Raises
    ------
    ConfigError
        Naming the parameter (from :func:`sim.share.params_to_config` or
        :func:`link_preset`), on the first problem; :func:`link_config` leaves the bad
        parameters out instead.
    """
    base = config_to_params(PRESETS[link_preset(params) or DEFAULT_PRESET].config())
    cfg = params_to_config(merge_url_params(params, base), ignore=(*VIEW_PARAMS, PRESET_PARAM))
    return fit_dashboard(cfg, _url_name)


def _params_at_fault(exc: ConfigError, params: Mapping[str, object]) -> list[str]:
    """The link's parameters that ``exc`` (from :func:`url_config`) is about, to be left
    out; ``[]`` when it is about the configuration as a whole (``exc.field`` None, or a
    value the link did not give).

    ``exc.field`` is a config field (``lr`` -> ``lr``, ``inits[0].params.std`` ->
    ``left.std``: :func:`sim.share.param_of_field`) or the parameter itself (an unknown or
    repeated one); ``inits[0].params`` (parameters that do not fit together, ``a`` >= ``b``)
    is every scheme parameter of ``left`` the link gives, and ``inits`` (more
    initializations than the dashboard's two) every ``init3``... parameter.
    """
    field = exc.field
    if not field:
        return []
    if field in params:
        return [field]
    if field == "inits":
        return [k for k in params if k.split(".", 1)[0] in INIT_PREFIXES[len(SIDES):]]
    parts = init_field_parts(field)
    if (parts is not None and parts[1] in ("params", "bias_params") and parts[2] is None
            and parts[0] < len(INIT_PREFIXES)):
        prefix = INIT_PREFIXES[parts[0]]
        own = [k for k in params if (k.startswith(f"{prefix}.bias.") if parts[1] == "bias_params"
                                     else _is_scheme_param(prefix, k))]
        if own:
            return own
    param = param_of_field(field)
    return [param] if param in params else []


def _message(exc: ConfigError, dropped: list[str]) -> str:
    """``exc``'s message for a notice about ``dropped``: without the ``URL parameter 'lr':``
    the notice already says, markdown escaped, and clipped as a last defence (the checks
    quote values at most 80 characters long)."""
    text = str(exc)
    for key in (*dropped, param_of_field(exc.field)):
        prefix = f"URL parameter {key!r}: "
        if text.startswith(prefix):
            text = text[len(prefix):]
    return md_escape(shorten(text, MAX_MESSAGE))


def _names(keys: list[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``: quoted short, markdown escaped."""
    names = [md_escape(quote(k)) for k in keys]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _parameters(keys: list[str]) -> str:
    """``parameter 'a'`` or ``parameters 'a' and 'b'``."""
    return f"parameter{'s' if len(keys) > 1 else ''} {_names(keys)}"


def link_config(params: Mapping[str, list[str]]
                ) -> tuple[Config, list[tuple[list[str], str]], str | None]:
    """The configuration of a link, with its bad parameters left out.

    Each problem that names a parameter of the link (:func:`_params_at_fault`) leaves that
    parameter out, so the default page's value takes its place, and the rest is validated
    again, up to :data:`MAX_DROPPED` times. A problem of the configuration as a whole
    (settings that do not fit together) gives the default experiment.

    Returns
    -------
    cfg : Config
    dropped : list of (list of str, str)
        The parameters left out, each problem's together, and why (markdown, escaped).
    refused : str or None
        Why the whole link was refused (markdown, escaped); ``cfg`` is the default then.
    """
    left = {k: v for k, v in params.items() if k not in VIEW_PARAMS}
    dropped: list[tuple[list[str], str]] = []
    while True:
        try:
            cfg, _ = url_config(left)
            return cfg, dropped, None
        except ConfigError as exc:
            bad = _params_at_fault(exc, left)
            message = _message(exc, bad)
            if not bad or len(dropped) >= MAX_DROPPED:
                if bad:
                    message = (f"More than {MAX_DROPPED} of its parameters cannot be used "
                               f"(the next: {_names(bad)}: {message}).")
                return PRESETS[DEFAULT_PRESET].config(), dropped, message
            dropped.append((bad, message))
            for key in bad:
                del left[key]


def url_view(params: Mapping[str, list[str]], cfg: Config
             ) -> tuple[dict, list[tuple[list[str], str]]]:
    """Session-state values of the view-only URL parameters (tab, loss axis, neuron count,
    shown epoch), each bad one left out on its own.

    Returns
    -------
    view : dict
    dropped : list of (list of str, str)
        The parameters left out (one each) and why (markdown, escaped).
    """
    out: dict = {}
    dropped: list[tuple[list[str], str]] = []
    choices = {"tab": TAB_PARAMS, "loss_axis": LOSS_AXES, "neurons": METRIC_CHOICES,
               "colour_range": WEIGHT_SCALES, "present": ("0", "1"),
               "epoch_chart": EPOCH_CHARTS}
    for key in VIEW_PARAMS:
        if not params.get(key):
            continue
        try:
            value = single_value(key, params[key])
            allowed = choices.get(key)
            if allowed is not None and value not in allowed:
                raise ConfigError(f"{key} must be one of {', '.join(allowed)}. "
                                  f"Got {quote(value)}.", key)
            if key == "tab":
                out["tab"] = TAB_PARAMS[value]
            elif key == "loss_axis":
                out["log_y"] = value == "log"
            elif key == "neurons":
                out["metric"] = value
            elif key == "colour_range":
                out["weight_scale"] = value
            elif key == "epoch_chart":
                out[EPOCH_TABS_KEY] = EPOCH_CHARTS[value]
            elif key == "present":
                out["present"] = value == "1"
            elif key == "slide":
                out["slide"] = check_int(key, value, 1, MAX_SLIDE)
            else:
                try:
                    epoch = check_int(key, value, 0, cfg.epochs)
                except ConfigError:
                    raise ConfigError(f"shown_epoch must be an epoch from 0 to {cfg.epochs} "
                                      f"(epochs). Got {quote(value)}.", key) from None
                out["epoch_request"] = epoch  # the nearest stored snapshot, once trained
        except ConfigError as exc:
            dropped.append(([key], _message(exc, [key])))
    return out, dropped


def _link_notice(dropped: list[tuple[list[str], str]], refused: str | None
                 ) -> tuple[str, str]:
    """The one notice about a link's problems: (kind, markdown)."""
    if refused is not None:
        text = f"**The settings in this link were not loaded.** {refused}"
        if dropped:
            text += "".join(f" Its {_parameters(k)} {'were' if len(k) > 1 else 'was'} not "
                            f"valid either: {m}" for k, m in dropped)
        return "error", text + " Showing the default experiment instead."
    if len(dropped) == 1:
        keys, message = dropped[0]
        were = "were" if len(keys) > 1 else "was"
        return "warning", (f"**The link's {_parameters(keys)} {were} not used:** {message} "
                           "The other settings were loaded.")
    items = "\n".join(f"- {_names(keys)}: {message}" for keys, message in dropped)
    count = sum(len(keys) for keys, _ in dropped)
    return "warning", (f"**{count} of the link's parameters were not used:**\n\n{items}"
                       "\n\nThe other settings were loaded.")


def _start_from_link_preset(params: Mapping[str, list[str]], cfg: Config,
                            state: MutableMapping) -> None:
    """A link that changes its preset's settings (``?preset=deep_relu&lr=0.1``): the page
    says "Custom settings (started from the preset ...)", and the menu goes back to that
    preset once the controls equal it again. (``restore`` has already shown the preset in
    the menu when ``cfg`` is one.)"""
    name = link_preset(params)  # valid: a bad one was left out, and then this is not called
    if name is not None and cfg != PRESETS[name].config():
        state["preset"] = name  # sync_preset_menu shows "Custom settings", from name
        state["origin"] = f"a link to the preset “{PRESETS[name].label}”"


def restore_from_url(params: Mapping[str, list[str]], state: MutableMapping) -> bool:
    """Set the controls to the page address's experiment and view, as far as they are
    valid: each bad parameter is left out and named in one notice (``url_notice``); a
    problem of the whole configuration leaves the default experiment. Returns whether the
    whole link was used."""
    try:
        cfg, dropped, refused = link_config(params)
        view, bad_view = url_view(params, cfg)
    except Exception:  # the last line of defence: a notice, not a traceback
        log.exception("Reading the link %s failed", shorten(repr(dict(params)), 2000))
        state["url_notice"] = ("error", "**This link could not be read.** Showing the "
                                        "default experiment instead.", None)
        return False
    problems = dropped + bad_view
    if refused is None:
        restore(cfg, state, "a shared link")
        if not any(PRESET_PARAM in keys for keys, _ in dropped):
            _start_from_link_preset(params, cfg, state)
    state.update(view)
    if refused is None and not problems:
        return True
    kind, text = _link_notice(problems, refused)
    state["url_notice"] = (kind, text, None)
    return False


def view_params(result: Result) -> dict[str, str]:
    """The view-only URL parameters of what is on screen."""
    ss = st.session_state
    tab = ss.get("tab", TABS[0])
    params = {"tab": next((k for k, v in TAB_PARAMS.items() if v == tab), "compare"),
              "loss_axis": "log" if ss.get("log_y", True) else "linear",
              "neurons": ss.get("metric", METRIC_CHOICES[0])}
    epochs = result.history.snapshot_epochs
    params["shown_epoch"] = str(int(epochs[shown_snapshot(result)]))
    # Newer parameters appear only when they differ from the default page, so the
    # addresses of the default view stay as they were.
    if ss.get("weight_scale", "shared") != "shared":
        params["colour_range"] = ss["weight_scale"]
    shown = ss.get(EPOCH_TABS_KEY)
    first = next(iter(EPOCH_CHARTS.values()))
    if shown in EPOCH_CHARTS.values() and shown != first:
        params["epoch_chart"] = next(k for k, v in EPOCH_CHARTS.items() if v == shown)
    if ss.get("present"):
        params["present"] = "1"
        params["slide"] = str(ss.get("slide", 1))
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
    return f"{base}?{urlencode(params, quote_via=url_quote, safe=',')}"


def preset_link(name: str) -> str | None:
    """The short link that opens the preset ``name`` (``?preset=NAME``), or None when the
    app's address is unknown (tests)."""
    return share_link({PRESET_PARAM: name})


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
        return ("error", f"**{label} was not loaded.** {md_escape(shorten(str(exc), MAX_MESSAGE))}"
                         " The experiment is unchanged.")
    except Exception:  # the last line of defence: a message, not a traceback
        log.exception("Reading the uploaded file %s failed", label)
        return ("error", f"**{label} could not be read.** Upload a config.json saved by Init "
                         "Lab or by the command line. The experiment is unchanged.")
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
    ss.pop("upload_notice", None)  # a new attempt: the last one's notice is stale
    if uploaded is None:
        return
    kind, text = restore_from_upload(uploaded, ss)
    ss["upload_notice"] = (kind, text, None)
    ss["upload_round"] = ss.get("upload_round", 0) + 1
