"""Explanations of a trained comparison, as data: text computed from a Result.

Pure modules (numpy only: no plotly, no Streamlit). :mod:`sim.explain.captions` holds the
one-sentence caption of each chart; :mod:`sim.explain.reading` the selections they share
with the charts (runs of an initialization, snapshot, layers shown, distinct rows).
"""

from sim.explain.captions import (
    caption_boundary,
    caption_grad_norm,
    caption_loss,
    caption_neurons,
    caption_symmetry_gap,
    caption_weights,
)

__all__ = [
    "caption_boundary",
    "caption_grad_norm",
    "caption_loss",
    "caption_neurons",
    "caption_symmetry_gap",
    "caption_weights",
]
