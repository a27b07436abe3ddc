"""The Why? tab: the classic derivation with the numbers of the current run, then one SGD step
by hand at the epoch on screen.

The text is computed by :func:`sim.explain.why.derivation` and :func:`sim.explain.step.hand_step`
(pure, unit-tested); this module only shows their blocks and keeps the walk-through's place
(which side, which step) in widgets keyed ``why_step_side`` and ``why_step``.
"""

from __future__ import annotations

import streamlit as st

from sim import Result
from sim.app.state import current_view
from sim.explain.step import hand_step
from sim.explain.why import Block, derivation, symmetric_init, zero_weight_init


def _show(block: Block) -> None:
    """A block as the Streamlit element it names."""
    getattr(st, block.kind)(block.text)


def _default_side(result: Result) -> int:
    """The side the derivation explains: the symmetric one, else the zero-weight one, else
    the first."""
    for i in (symmetric_init(result), zero_weight_init(result)):
        if i is not None:
            return i
    return 0


def why_tab(result: Result) -> None:
    """The derivation, then "One step, by hand" at the epoch of the Epoch slider
    (``current_view(result).snapshot``), one stage at a time (for a convnet, the filters'
    derivation and a note that the step by hand covers dense networks)."""
    for block in derivation(result):
        _show(block)
    st.subheader("One step, by hand")
    if result.config.conv:  # worked out for dense networks: say so, and where to look
        for block in hand_step(result, 0)[0].blocks:
            _show(block)
        return
    k = current_view(result).snapshot
    epoch = int(result.history.snapshot_epochs[k])
    st.markdown(f"One gradient-descent step from the parameters stored after epoch {epoch} "
                "(move the Epoch slider on the Compare tab to choose another), worked out "
                "with this run's numbers. Advance through its stages:")
    sides = list(range(len(result.labels)))
    side = st.radio("Side", sides, index=_default_side(result), horizontal=True,
                    format_func=lambda i: result.labels[i], key="why_step_side")
    steps = hand_step(result, side, k)
    titles = [s.title for s in steps]
    if st.session_state.get("why_step") not in titles:
        st.session_state["why_step"] = titles[0]
    title = st.radio("Stage", titles, horizontal=True, key="why_step")
    for block in steps[titles.index(title)].blocks:
        _show(block)
