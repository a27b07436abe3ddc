"""The sidebar: every control of the experiment, one widget per row of the table of fields.

:func:`field_widget` draws a row of :data:`sim.fields.FIELDS` as the widget it names (menu,
radio, slider, number or text input) with its label, help and caption; the sidebar draws the
rows group by group (:data:`sim.fields.GROUPS`), with the two initializations after the
network. Values land in ``st.session_state`` under the widgets' keys (the field names).

Number inputs have no bounds of their own: whatever is typed reaches
:meth:`sim.Config.from_dict`, whose message (what the setting must be, what it got) is shown
right under the widget that holds the value (:class:`ErrorSlot`). Only sliders keep ends,
because a slider cannot be drawn without them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from sim import BIAS_INITIALIZERS, INITIALIZERS, PRESETS, ConfigError
from sim.app.state import (
    CUSTOM,
    SIDES,
    apply_preset,
    changed,
    md_escape,
    param_key,
    preset_label,
    widget_key,
)
from sim.fields import FIELDS, GROUPS, INITS_AFTER, Field
from sim.initializers import Param


@dataclass
class ErrorSlot:
    """Where the configuration's problem is shown: under the widget whose key is ``key``.

    Each widget drawn calls :meth:`after`; the one holding the bad value gets the message
    right below it, once. ``shown`` is then that widget's label (None while not shown: the
    widget is hidden, or the problem is one of the whole configuration).
    """

    key: str | None = None
    message: str = ""
    shown: str | None = None

    @classmethod
    def of(cls, error: ConfigError | None) -> ErrorSlot:
        if error is None:
            return cls()
        return cls(widget_key(error.field, st.session_state), md_escape(str(error)))

    def after(self, key: str, label: str) -> None:
        if self.key is not None and key == self.key and self.shown is None:
            st.error(self.message)
            self.shown = label


def field_widget(row: Field, slot: ErrorSlot | None = None) -> None:
    """The widget of one setting, if it applies to the other settings (a hidden widget
    keeps its value: ``persist_state``), then the configuration's problem if it is this
    setting's, else the row's caption."""
    ss = st.session_state
    slot = slot or ErrorSlot()
    if not row.applies(ss):
        return
    kw = {"key": row.name, "help": row.help, "on_change": changed, "args": (row.name,)}
    if row.shown is not None:
        kw["persist_state"] = "page"
    if row.widget == "select":
        st.selectbox(row.label, list(row.options()), format_func=row.option_label or str, **kw)
    elif row.widget == "radio":
        st.radio(row.label, list(row.options()), horizontal=True,
                 format_func=row.option_label or str, **kw)
    elif row.widget == "slider":  # the only widget with ends: it cannot be drawn without
        low = row.widget_low if row.widget_low is not None else row.low
        high = row.widget_high if row.widget_high is not None else row.high
        st.slider(row.label, float(low), float(high), step=row.step, **kw)
    elif row.widget == "text":
        kw["help"] = row.help + " Press Enter to apply."
        st.text_input(row.label, placeholder=row.to_text(row.default).replace(",", ", "), **kw)
    else:  # no min_value/max_value: the validator answers, naming the setting
        step = row.step
        if step is not None and row.kind == "int":
            step = int(step)
        st.number_input(row.label, step=step, format=row.fmt, **kw)
    slot.after(row.name, row.label)
    if slot.key == row.name:  # the caption describes a valid value only
        return
    if row.caption is not None:
        text = row.caption(ss.get(row.name))
        if text:
            st.caption(text)


def param_widget(p: Param, key: str, where: str, slot: ErrorSlot) -> None:
    """One initializer parameter: a number input (without bounds: the validator checks
    them) or a menu, from its :class:`Param` spec."""
    if key not in st.session_state:
        st.session_state[key] = p.default
    label = f"{where} {p.name}"
    if p.kind == "choice":
        st.selectbox(label, p.choices, key=key, help=p.help or None)
    else:
        default = abs(float(p.default))
        step = 10 ** math.floor(math.log10(default)) / 10 if default > 0 else 0.01
        st.number_input(label, step=step, format="%g", key=key, help=p.help or None)
    slot.after(key, label)


def _scheme_help() -> str:
    """The weight-scheme menu's help, naming the deterministic schemes of the registry."""
    fixed = [i.label for i in INITIALIZERS.values() if not i.random]
    return ("How every weight matrix starts. " + ", ".join(fixed) + " are deterministic; the "
            "others draw random numbers.")


def _preset_hint(name: str) -> str:
    preset = PRESETS.get(name)
    return f" (try the preset “{preset.label}”)" if preset is not None else ""


def init_controls(side: str, slot: ErrorSlot) -> None:
    """Scheme, its parameters, scale and bias init of one side."""
    scheme = st.selectbox(
        "Weight scheme", list(INITIALIZERS), key=f"{side}_scheme",
        format_func=lambda n: INITIALIZERS[n].label,
        help=_scheme_help())
    slot.after(f"{side}_scheme", "Weight scheme")
    info = INITIALIZERS[scheme]
    st.caption(f"{info.summary} `{info.formula}`")
    for p in info.params:
        param_widget(p, param_key(side, scheme, p.name), "weight", slot)
    st.number_input("Scale factor", step=0.1, format="%g", key=f"{side}_scale",
                    help="Multiplies every initial weight: 0.1 for 'too small', 4 for "
                         "'too large'.")
    slot.after(f"{side}_scale", "Scale factor")
    bias = st.selectbox(
        "Bias init", list(BIAS_INITIALIZERS), key=f"{side}_bias",
        format_func=lambda n: BIAS_INITIALIZERS[n].label,
        help="How the biases start. Zero is the usual choice; random biases alone can "
             "break the symmetry of zero weights" + _preset_hint("random_bias") + ".")
    slot.after(f"{side}_bias", "Bias init")
    for p in BIAS_INITIALIZERS[bias].params:
        param_widget(p, param_key(side, bias, p.name, bias=True), "bias", slot)


def sidebar(error: ConfigError | None = None) -> str | None:
    """Every control. Values land in ``st.session_state`` under the widgets' keys.

    ``error`` (the widgets' configuration refused) is shown under the widget that holds
    the bad value; returns that widget's label, or None when it has no widget on screen
    (the page shows it then).
    """
    slot = ErrorSlot.of(error)
    sb = st.sidebar
    sb.header("Experiment")
    sb.selectbox("Preset", [*PRESETS, CUSTOM], key="preset", on_change=apply_preset,
                 format_func=preset_label,
                 help="Ready-made experiments. Picking one sets every control below; "
                      "you can change any of them afterwards.")
    inits_group = FIELDS[INITS_AFTER].group
    for i, (group, title) in enumerate(GROUPS.items()):
        with sb.expander(title, expanded=i == 0):
            for row in FIELDS.values():
                if row.group == group and row.widget is not None:
                    field_widget(row, slot)
        if group == inits_group:
            for side in SIDES:
                with sb.expander(f"Initialization, {side}", expanded=True):
                    init_controls(side, slot)
    if slot.shown is not None:
        return f"{slot.shown} ({side_of(slot.key)})" if side_of(slot.key) else slot.shown
    return None


def side_of(key: str | None) -> str | None:
    """``right`` for a widget key of the right-hand initialization, else None."""
    return next((s for s in SIDES if key and key.startswith(f"{s}_")), None)
