"""The More charts tab: gradient norms, activation distributions and the symmetry gap."""

from __future__ import annotations

import numpy as np
import streamlit as st

from sim import Result, charts
from sim.app.panels import paired


def more_tab(result: Result) -> None:
    """Gradient norms, activation distributions and the symmetry gap."""
    st.subheader("Gradient norm per layer")
    st.caption("How much each layer is pushed at every epoch. Zero means the layer receives "
               "no learning signal at all.")
    paired(result, "grad_norm", lambda i: charts.gradient_norms(result, i),
           lambda i: _grad_caption(result, i))
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
           lambda i: _gap_caption(result, i))



def _grad_caption(result: Result, i: int) -> str:
    G = result.history.grad_norm[result.run_indices(i)]  # (seeds, E, L)
    hidden_layers = G.shape[2] - 1
    if hidden_layers and np.all(G[:, :, :hidden_layers][np.isfinite(G[:, :, :hidden_layers])]
                                == 0):
        return ("No gradient ever reaches a hidden layer (exactly 0 at every epoch): only the "
                "output layer learns.")
    with np.errstate(all="ignore"):
        first = np.nanmean(G[:, 0, 0])
        last_out = np.nanmean(G[:, 0, -1])
    if first == 0:
        later = float(np.nanmax(G[:, :, 0]))
        return ("In the first epoch no gradient reaches layer 1 (exactly 0: the weights above it "
                f"are still 0); later it reaches {later:.2g}.")
    if last_out > 0 and first < 1e-4 * last_out:
        return (f"At the start the first layer's gradient ({first:.2g}) is more than 10,000 "
                f"times smaller than the output layer's ({last_out:.2g}): it vanishes on the "
                "way down.")
    return f"First-epoch gradient norm: {first:.3g} (layer 1), {last_out:.3g} (output layer)."



def _gap_caption(result: Result, i: int) -> str:
    gap = result.history.metrics["symmetry_gap"][result.run_indices(i)]
    if not np.isfinite(gap).any():
        return "No symmetry gap to show."
    end = float(np.nanmax(gap[:, -1, :]))
    start = float(np.nanmax(gap[:, 0, :]))
    if end == 0:
        return ("The gap is exactly 0 from start to end: the units never became different, "
                "not even by one rounding error.")
    if start == 0:
        return (f"The gap starts at exactly 0 and grows to {end:.2g}: something (rounding, "
                "dropout or the biases) broke the symmetry during training.")
    return f"The units differ from the start (gap {start:.2g}) and end {end:.2g} apart."
