"""Captions: one sentence per chart, computed from the numbers of a trained comparison.

Pure functions from a :class:`~sim.train.Result` and an initialization index to a string (numpy
only: no plotly, no Streamlit), so the dashboard, the command line and the tests read the same
sentence. :data:`sim.charts.CHARTS` names the caption of each chart.
"""

from __future__ import annotations

import math

import numpy as np

from sim.explain.reading import (
    distinct_rows,
    final_metric,
    shown_layers,
    snapshot_index,
    unit_params,
)
from sim.train import Result

__all__ = [
    "caption_boundary",
    "caption_grad_norm",
    "caption_loss",
    "caption_neurons",
    "caption_symmetry_gap",
    "caption_weights",
    "intro_activations",
    "intro_grad_norm",
    "intro_symmetry_gap",
]


def caption_neurons(result: Result, init_index: int) -> str:
    """One sentence on the hidden units at the end of training, e.g. "all 8 hidden units are
    identical: the layer acts as one neuron"."""
    hidden = result.config.hidden
    if not hidden:
        return "This network has no hidden layer: there are no hidden units to compare."
    runs = result.run_indices(init_index)
    if (result.history.diverged_at[runs] >= 0).all():
        return "Training diverged (non-finite numbers): no final network to describe."
    dead = np.round(final_metric(result, init_index, "dead_units")).astype(int)
    distinct = np.round(final_metric(result, init_index, "distinct_neurons")).astype(int)
    rank = np.round(final_metric(result, init_index, "rank")).astype(int)
    width = np.array(hidden)
    n = len(hidden)
    layer_word = "the layer" if n == 1 else "each layer"
    units = f"{width[0]} hidden units" if n == 1 else "units of every hidden layer"
    every = "Both" if n == 1 and width[0] == 2 else "All"  # not "All 2 hidden units"
    units_phrase = "hidden units" if every == "Both" else units
    if (dead == width).all():
        who = "the " + units if n > 1 else units_phrase
        return (f"{every} {who} are dead (output exactly 0): no "
                "gradient reaches the hidden weights, only the output bias learns.")
    if (distinct == 1).all() and (width > 1).any() and (dead == 0).all():
        return (f"{every} {units_phrase} are identical: {layer_word} acts as one neuron, whatever "
                "its width.")
    if (distinct == width).all():
        if (rank < width).any():
            l = int(np.argmax(rank < width))
            return (f"{every} {units_phrase} differ, but layer {l + 1}'s outputs span only "
                    f"{rank[l]} of {width[l]} directions (rank).")
        return f"{every} {units_phrase} are different neurons: the symmetry is broken."
    parts = []
    for l in shown_layers(n):
        text = f"layer {l + 1}: {distinct[l]} distinct of {width[l]}"
        if dead[l]:
            text += f", {dead[l]} dead"
        parts.append(text)
    return "Distinct neurons at the end (" + "; ".join(parts) + ")."


def caption_loss(result: Result, init_index: int) -> str:
    """One sentence on the loss (and accuracy) at the end of training."""
    h = result.history
    runs = result.run_indices(init_index)
    with np.errstate(all="ignore"):
        start = float(np.nanmean(h.train_loss[runs, 0]))
        end = float(np.nanmean(h.train_loss[runs, -1])) if np.isfinite(
            h.train_loss[runs, -1]).any() else math.nan
    E = result.config.epochs
    if not math.isfinite(end):
        d = result.history.diverged_at[runs]
        at = f" at epoch {int(d[d >= 0].min())}" if (d >= 0).any() else ""
        return (f"Training diverged{at}: the numbers became non-finite (try a smaller "
                "learning rate).")
    change = (start - end) / start if start > 0 else 0.0
    text = f"Train loss went from {start:.3g} to {end:.3g} in {E} epochs"
    if change < -0.01:
        text += " (it rose: the steps are too large, try a smaller learning rate)"
    elif change < 0.01:
        text += " (it barely moved)"
    else:
        text += f" ({change:.0%} lower)"
    if h.test_accuracy is not None and result.data.n_test > 0:
        acc = float(np.nanmean(h.test_accuracy[runs, -1]))
        chance = 1 / max(result.data.n_classes, 2)
        text += f"; test accuracy {acc:.0%}"
        if acc <= chance + 0.05:
            text += ", no better than guessing"
    elif h.train_accuracy is not None:
        text += f"; train accuracy {float(np.nanmean(h.train_accuracy[runs, -1])):.0%}"
    return text + "."


def caption_weights(result: Result, init_index: int, snapshot: int = -1, seed: int = 0) -> str:
    """One sentence on the weight matrices shown at a snapshot."""
    h = result.history
    k = snapshot_index(result, snapshot)
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    epoch = int(h.snapshot_epochs[k])
    L = len(h.weights)
    if L == 1:
        return f"After {epoch} epochs: no hidden layer, one weight row per output."
    Ws = [h.weights[l][run, k] for l in range(L - 1)]  # hidden layers
    if not all(np.isfinite(W).all() for W in Ws):
        return f"After {epoch} epochs the run has diverged: no weights to show."
    if not any(np.any(h.weights[l][run, k]) for l in range(L)):
        return f"After {epoch} epochs every weight is still exactly 0."
    if all(not np.any(W) for W in Ws):
        return (f"After {epoch} epochs every hidden weight is still exactly 0 "
                "(only the output layer changed).")
    # A row is [weights | bias]: units that differ only in their bias are different units.
    d = [distinct_rows(unit_params(result, l, run, k)) for l in range(L - 1)]
    units = [W.shape[0] for W in Ws]
    if all(x == 1 for x in d) and max(units) > 1:
        which = f"all {units[0]} rows of layer 1 are" if len(Ws) == 1 else \
            "in every hidden layer all rows are"
        return (f"After {epoch} epochs {which} equal: every unit has the same incoming "
                "weights and bias.")
    if all(x == u for x, u in zip(d, units, strict=True)):
        return (f"After {epoch} epochs every row differs: each unit has its own weights "
                "or bias.")
    return (f"After {epoch} epochs " + ", ".join(
        f"layer {l + 1} has {x} different rows of {u}" for l, (x, u) in
        enumerate(zip(d, units, strict=True)) if l in shown_layers(len(Ws))) + ".")


def caption_boundary(result: Result, init_index: int) -> str:
    """One sentence on the decision boundary (2-D classification) or the fit."""
    h = result.history
    runs = result.run_indices(init_index)
    if (h.diverged_at[runs] >= 0).all():
        return "The run diverged: there is no prediction to show."
    if h.train_accuracy is None:
        loss = float(np.nanmean(h.train_loss[runs, -1]))
        return f"The network's output against the data; final train loss {loss:.3g}."
    acc = float(np.nanmean(h.train_accuracy[runs, -1]))
    distinct = final_metric(result, init_index, "distinct_neurons")
    dead = final_metric(result, init_index, "dead_units")
    hidden = np.array(result.config.hidden)
    if hidden.size and (dead == hidden).all():
        return (f"A constant prediction: every hidden unit is dead, so the network answers "
                f"the same everywhere (train accuracy {acc:.0%}).")
    binary = max(result.data.n_classes, 2) == 2
    if hidden.size == 1 and distinct[0] == 1:
        if binary:
            return (f"One neuron draws one straight boundary at most (train accuracy "
                    f"{acc:.0%}).")
        return ("One effective neuron sees the data through a single direction w·x, so the "
                f"class regions are bands between parallel lines (train accuracy {acc:.0%}).")
    drawn = "the boundary" if binary else "the class regions"
    return f"Train accuracy {acc:.0%} with {drawn} the hidden units draw together."


def caption_grad_norm(result: Result, init_index: int) -> str:
    """One sentence on the gradient norms: whether any gradient reaches the hidden layers,
    and whether it vanishes on the way down."""
    G = result.history.grad_norm[result.run_indices(init_index)]  # (seeds, E, L)
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


def caption_symmetry_gap(result: Result, init_index: int) -> str:
    """One sentence on the symmetry gap: exactly 0 throughout, grown from 0, or there from
    the start."""
    gap = result.history.metrics["symmetry_gap"][result.run_indices(init_index)]
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


# --------------------------------------------------------------------------------------------
# Section introductions: what a page section's charts show, before the charts
# --------------------------------------------------------------------------------------------


def intro_grad_norm(result: Result) -> str:
    """The gradient-norm section's introduction."""
    return ("How much each layer is pushed at every epoch. Zero means the layer receives no "
            "learning signal at all.")


def intro_activations(result: Result) -> str:
    """The activation-distribution section's introduction."""
    return ("What the hidden units output on the training inputs, at the start and at the "
            "end of training. A single spike means every unit outputs the same value.")


def intro_symmetry_gap(result: Result) -> str:
    """The symmetry-gap section's introduction (it suggests float32 when the run is
    float64, whose exact symmetry shows no gap)."""
    return ("The largest difference between two units' incoming weights. Exactly 0 means the "
            "layer is perfectly symmetric; float32 rounding can make a tiny gap that training "
            "amplifies" + (" (switch Precision to float32 to see it)."
                           if result.config.dtype == "float64" else "."))
