"""The Why? tab: the classic derivation with the numbers of the current run.

The text is computed by :func:`sim.explain.why.derivation` (pure, unit-tested); this module
only shows its blocks.
"""

from __future__ import annotations

import streamlit as st

from sim import Result
from sim.explain.why import derivation


def why_tab(result: Result) -> None:
    """Each block of the derivation as the Streamlit element it names."""
    for block in derivation(result):
        getattr(st, block.kind)(block.text)
