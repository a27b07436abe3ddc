"""The page's state: session-state values <-> :class:`~sim.config.Config`, presets, the view.

Widget state lives in ``st.session_state`` under each widget's key, which is the config
field's name (a row of :data:`sim.fields.FIELDS`); the initializations' widgets are keyed
by side (:func:`param_key`). :func:`widget_values` turns a config into those values (a
preset, a link, an upload) and :func:`config_dict` reads them back; both are driven by the
table, so a new setting needs no code here. Functions that take ``state`` work on any
mutable mapping (tests pass a dict).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import streamlit as st

from sim import (
    BIAS_INITIALIZERS,
    DATASETS,
    INITIALIZERS,
    PRESETS,
    Config,
    ConfigError,
    Result,
    charts,
)
from sim.charts import METRIC_TITLES, View
from sim.charts.motion import frame_indices
from sim.charts.view import WEIGHT_SCALES
from sim.config import init_field_parts
from sim.fields import FIELDS, Field, conv_text
from sim.presets import DEFAULT_PRESET

SIDES = ("left", "right")
SIDE_TITLES = {"left": "Left", "right": "Right"}
CUSTOM = "custom"  # the preset menu's entry once a control differs from the preset
TABS = ("Compare", "Why?", "More charts", "Map", "Export & share")
METRIC_CHOICES = tuple(METRIC_TITLES)

#: View-only URL parameters (not part of the configuration): parameter -> allowed values.
#: ``shown_epoch`` (the epoch of the weights and decision boundary) is checked separately.
TAB_PARAMS = {"compare": "Compare", "why": "Why?", "more": "More charts", "map": "Map",
              "export": "Export & share"}
LOSS_AXES = ("log", "linear")
VIEW_PARAMS = ("tab", "loss_axis", "neurons", "shown_epoch", "colour_range", "present", "slide",
               "epoch_chart")
#: The Compare tab's charts of one epoch, one tab each: ``epoch_chart`` parameter -> tab label.
EPOCH_CHARTS = {spec.name: spec.title for heading, specs in charts.sections("compare")
                for spec in specs if heading == charts.EPOCH_SECTION}
#: Session key of the open tab of the epoch section (its label).
EPOCH_TABS_KEY = "epoch_chart"
#: The presenter view's slides are numbered from 1; a link may ask for at most this one.
MAX_SLIDE = 20


def param_key(side: str, scheme: str, name: str, bias: bool = False) -> str:
    """Session-state key of one initializer parameter widget (one per scheme and side)."""
    return f"{side}_{'bias_' if bias else ''}{scheme}_{name}"


def widget_key(field: str | None, state: Mapping) -> str | None:
    """The key of the sidebar widget that holds :attr:`ConfigError.field` ``field``.

    ``lr`` -> ``lr``, ``inits[1].params.std`` -> ``right_normal_std`` (the side's chosen
    scheme), ``inits[0].scale`` -> ``left_scale``; a problem of a scheme's parameters
    together (``inits[0].params``: ``a`` must be below ``b``) goes to the scheme's last
    parameter, right under all of them. None for a field without a widget and for a problem
    of the whole configuration (``field`` None).
    """
    if not field:
        return None
    row = FIELDS.get(field)
    if row is not None:
        return field if row.widget is not None else None
    parts = init_field_parts(field)
    if parts is None or parts[1] is None or parts[0] >= len(SIDES):
        return None
    side, part, name = SIDES[parts[0]], parts[1], parts[2]
    if part in ("scheme", "scale", "bias"):
        return f"{side}_{part}"
    bias = part == "bias_params"
    scheme = state.get(f"{side}_bias" if bias else f"{side}_scheme")
    registry = BIAS_INITIALIZERS if bias else INITIALIZERS
    if scheme not in registry:
        return None
    names = [p.name for p in registry[scheme].params]
    if name is None and names:
        name = names[-1]
    if name not in names:
        return f"{side}_bias" if bias else f"{side}_scheme"
    return param_key(side, scheme, name, bias)


def widget_value(row: Field, value: Any, dataset: str) -> Any:
    """The widget's value for a config value (a float for number widgets of float fields,
    ``"8, 8"`` for the hidden sizes, ``"8x3, 16x3"`` for the conv layers, the dataset's own
    noise for ``None``)."""
    if row.kind == "hidden":
        return ", ".join(str(h) for h in value)
    if row.kind == "conv":
        return conv_text(value).replace(",", ", ")
    if row.kind == "noise":
        return float(DATASETS[dataset].default_noise if value is None else value)
    if row.kind == "float":
        return float(value)
    return value


def widget_values(cfg: Config) -> dict:
    """Every session-state value that reproduces ``cfg`` (keyed like the widgets).

    One value per row of :data:`sim.fields.FIELDS` (fields without a widget, such as
    ``snapshots``, are kept as given), plus ``noise_null`` (whether the config asked for the
    dataset's own noise level, ``noise: null``), so that a restored config gives back
    exactly the same config, hash and file names.
    """
    values: dict[str, Any] = {name: widget_value(row, getattr(cfg, name), cfg.dataset)
                              for name, row in FIELDS.items()}
    values["noise_null"] = cfg.noise is None
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


#: Session-state key of the values the user set by hand in this session: field -> the
#: widget's value then. A preset, link or file that sets another value since replaces it.
BY_HAND = "by_hand"


def changed(name: str, state: MutableMapping | None = None) -> None:
    """Callback of a field's widget: the user set ``name`` by hand (presets, links and files
    set values without callbacks), then reset the fields that depend on it."""
    ss = st.session_state if state is None else state
    ss[BY_HAND] = {**ss.get(BY_HAND, {}), name: ss.get(name)}
    reset_dependents(name, ss)


def set_by_hand(name: str, state: Mapping) -> bool:
    """Whether the widget of ``name`` still holds the value the user set by hand."""
    typed = state.get(BY_HAND, {})
    return name in typed and name in state and state[name] == typed[name]


def reset_dependents(name: str, state: MutableMapping | None = None) -> None:
    """A control changed: set the fields its row ``resets`` back to their
    :meth:`~sim.fields.Field.reset_value` for the new settings (a new dataset starts with its
    own noise level, the learning rate that trains it and the automatic loss), except a value
    the user set by hand that the field's row :meth:`~sim.fields.Field.keeps`."""
    ss = st.session_state if state is None else state
    dataset = ss.get("dataset", FIELDS["dataset"].default)
    for dep in FIELDS[name].resets:
        row = FIELDS[dep]
        if set_by_hand(dep, ss) and row.keeps(ss[dep], ss):
            continue
        ss[dep] = widget_value(row, row.reset_value(ss), dataset)
        if row.kind == "noise":
            ss["noise_null"] = True


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
    ss["weight_scale"] = "shared"
    ss["present"] = False
    ss["origin"] = None
    ss["upload_round"] = 0
    if len(st.query_params):
        from sim.app.links import restore_from_url

        restore_from_url({k: st.query_params.get_all(k) for k in st.query_params}, ss)


def config_dict(state: Mapping | None = None) -> dict:
    """The configuration as the widgets describe it (not validated yet).

    Every field is read from its widget's key; a widget that is hidden (``n_classes`` for a
    two-class dataset) keeps its value (``persist_state``), and a field without a widget
    keeps the value it was given, so a restored config round trips exactly. A hidden
    widget whose row is ``off_when_hidden`` (conv layers, pooling and image size on a point
    dataset) gives the row's default instead: the setting is off there, and the widget
    still holds what was typed for when it is shown again.
    """
    ss = st.session_state if state is None else state
    d = {name: ss.get(name, row.default) for name, row in FIELDS.items()}
    # Whether a widget is shown depends on the widgets' values, not on the defaults that
    # replace hidden ones (pool is shown for conv layers typed on an image dataset).
    off = [name for name, row in FIELDS.items() if row.off_when_hidden and not row.applies(d)]
    for name in off:
        d[name] = FIELDS[name].default
    # The dataset's default noise is stored as None, so an untouched preset gives the
    # preset's very config (and its cache entry); a restored config that named the default
    # value explicitly keeps it (noise_null False).
    spec = DATASETS.get(d["dataset"]) if isinstance(d["dataset"], str) else None
    default_noise = spec.default_noise if spec is not None else None
    if d["noise"] == default_noise and ss.get("noise_null", True):
        d["noise"] = None
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
    """The widgets' configuration, validated; raises :class:`ConfigError` (whose message
    names the initializations ``left`` and ``right``, like the sidebar)."""
    return Config.from_dict(config_dict(), init_names=SIDES)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: str) -> str:
    """``text`` shown literally by ``st.markdown``/``st.error``: a URL parameter or a file
    name can hold markdown (links, images) or ``$...$`` (LaTeX); nothing of it is rendered."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


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


def shown_epochs(result: Result) -> list[int]:
    """The epochs the Epoch slider offers: those of the animated charts' frames
    (:func:`sim.charts.motion.frame_indices`, at most 51 stored snapshots from the first to
    the last), so that each step moves every chart to one of its frames."""
    epochs = result.history.snapshot_epochs
    return [int(epochs[k]) for k in frame_indices(epochs.size)]


def shown_snapshot(result: Result) -> int:
    """Index of the snapshot on screen: the Epoch slider's value; a link's ``shown_epoch``
    (not yet applied) gives the nearest epoch the slider offers; otherwise the last."""
    ss = st.session_state
    epochs = [int(e) for e in result.history.snapshot_epochs]
    offered = shown_epochs(result)
    requested = ss.get("epoch_request")
    if requested is not None:
        return epochs.index(min(offered, key=lambda e: abs(e - requested)))
    value = ss.get("snapshot_epoch")
    return epochs.index(value) if value in offered else len(epochs) - 1


def current_view(result: Result) -> View:
    """The chart options on screen; settles the Epoch slider's value on a stored epoch."""
    ss = st.session_state
    k = shown_snapshot(result)
    epoch = int(result.history.snapshot_epochs[k])
    ss.pop("epoch_request", None)
    if ss.get("snapshot_epoch") != epoch:
        ss["snapshot_epoch"] = epoch
    metric = ss.get("metric", METRIC_CHOICES[0])
    scale = ss.get("weight_scale")
    layer = ss.get("traj_layer", 1)
    layer = layer - 1 if isinstance(layer, int) and 1 <= layer <= len(result.config.hidden) else 0
    n_layers = len(result.config.hidden) + 1
    picked = ss.get("weight_layers") or []
    picked = tuple(sorted({int(p) - 1 for p in picked
                           if isinstance(p, int) and 1 <= p <= n_layers}))
    return View(bool(ss.get("log_y", True)), metric if metric in METRIC_CHOICES
                else METRIC_CHOICES[0], k, weight_scale=scale if scale in WEIGHT_SCALES
                else "shared", layer=layer, weight_layers=picked)

