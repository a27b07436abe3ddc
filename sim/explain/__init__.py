"""Explanations of a trained comparison, as data: text computed from a Result.

Pure modules (numpy only: no plotly, no Streamlit). :mod:`sim.explain.captions` holds the
one-sentence caption of each chart and the introduction of each page section;
:mod:`sim.explain.why` the Why? tab's derivation as a list of blocks; :mod:`sim.explain.step`
one SGD step of a run worked out by hand (forward, backward, update) as stages of blocks;
:mod:`sim.explain.reading` the selections they share with the charts (runs of an
initialization, snapshot, layers shown, distinct rows, the decision map's grid and
predictions, the largest class's share, the best constant prediction's loss).
"""

from sim.explain.captions import (
    caption_boundary,
    caption_filters,
    caption_grad_norm,
    caption_loss,
    caption_neurons,
    caption_symmetry_gap,
    caption_weights,
    intro_activations,
    intro_grad_norm,
    intro_symmetry_gap,
)

__all__ = [
    "caption_boundary",
    "caption_filters",
    "caption_grad_norm",
    "caption_loss",
    "caption_neurons",
    "caption_symmetry_gap",
    "caption_weights",
    "intro_activations",
    "intro_grad_norm",
    "intro_symmetry_gap",
]
