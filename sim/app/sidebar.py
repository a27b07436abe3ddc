"""The sidebar: every control of the experiment, one widget per row of the table of fields.

:func:`field_widget` draws a row of :data:`sim.fields.FIELDS` as the widget it names (menu,
radio, slider, number or text input) with its label, help, bounds and caption; the sidebar
draws the rows group by group (:data:`sim.fields.GROUPS`), with the two initializations after
the network. Values land in ``st.session_state`` under the widgets' keys (the field names).
"""

from __future__ import annotations

import math

import streamlit as st

from sim import BIAS_INITIALIZERS, INITIALIZERS, PRESETS, ConfigError
from sim.app.state import CUSTOM, SIDES, apply_preset, param_key, preset_label, reset_dependents
from sim.fields import FIELDS, GROUPS, INITS_AFTER, Field
from sim.initializers import Param


def field_widget(row: Field) -> None:
    """The widget of one setting, if it applies to the other settings (a hidden widget
    keeps its value: ``persist_state``)."""
    ss = st.session_state
    if not row.applies(ss):
        return
    kw = {"key": row.name, "help": row.help,
          "on_change": reset_dependents if row.resets else None,
          "args": (row.name,) if row.resets else None}
    if row.shown is not None:
        kw["persist_state"] = "page"
    integer = row.kind == "int"
    low = row.widget_low if row.widget_low is not None else row.low
    high = row.widget_high if row.widget_high is not None else row.high
    if integer:
        low, high = (None if low is None else int(low)), (None if high is None else int(high))
    if row.widget == "select":
        st.selectbox(row.label, list(row.options()), format_func=row.option_label or str, **kw)
    elif row.widget == "radio":
        st.radio(row.label, list(row.options()), horizontal=True,
                 format_func=row.option_label or str, **kw)
    elif row.widget == "slider":
        st.slider(row.label, float(low), float(high), step=row.step, **kw)
    elif row.widget == "text":
        kw["help"] = row.help + " Press Enter to apply."
        st.text_input(row.label, placeholder=row.to_text(row.default).replace(",", ", "), **kw)
    else:
        step = (int(row.step) if integer else row.step) if row.step is not None else None
        st.number_input(row.label, min_value=low, max_value=high, step=step, format=row.fmt,
                        **kw)
    if row.widget == "text":  # free text: say at once what is wrong with it
        try:
            row.check(ss.get(row.name))
        except ConfigError as exc:
            st.error(str(exc))
            return
    if row.caption is not None:
        text = row.caption(ss.get(row.name))
        if text:
            st.caption(text)


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


def _scheme_help() -> str:
    """The weight-scheme menu's help, naming the deterministic schemes of the registry."""
    fixed = [i.label for i in INITIALIZERS.values() if not i.random]
    return ("How every weight matrix starts. " + ", ".join(fixed) + " are deterministic; the "
            "others draw random numbers.")


def _preset_hint(name: str) -> str:
    preset = PRESETS.get(name)
    return f" (try the preset “{preset.label}”)" if preset is not None else ""


def init_controls(side: str) -> None:
    """Scheme, its parameters, scale and bias init of one side."""
    scheme = st.selectbox(
        "Weight scheme", list(INITIALIZERS), key=f"{side}_scheme",
        format_func=lambda n: INITIALIZERS[n].label,
        help=_scheme_help())
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
             "break the symmetry of zero weights" + _preset_hint("random_bias") + ".")
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
    inits_group = FIELDS[INITS_AFTER].group
    for i, (group, title) in enumerate(GROUPS.items()):
        with sb.expander(title, expanded=i == 0):
            for row in FIELDS.values():
                if row.group == group and row.widget is not None:
                    field_widget(row)
        if group == inits_group:
            for side in SIDES:
                with sb.expander(f"Initialization, {side}", expanded=True):
                    init_controls(side)
