"""Captions: one sentence per chart, computed from the numbers of a trained comparison.

Pure functions from a :class:`~sim.train.Result` and an initialization index to a string (numpy
only: no plotly, no Streamlit), so the dashboard, the command line and the tests read the same
sentence. :data:`sim.charts.CHARTS` names the caption of each chart.

A caption states only what its chart shows, read from the numbers the chart draws: the same
run, snapshot and grid (:mod:`sim.explain.reading`). Equal rows are claimed only where
:func:`~sim.explain.reading.distinct_rows` is 1, a constant prediction exactly where the
chart's grid has one predicted class, and a boundary is credited only when the accuracy beats
always answering the largest class by :data:`~sim.explain.reading.ACCURACY_MARGIN`.
"""

from __future__ import annotations

import math

import numpy as np

from sim.explain.reading import (
    ACCURACY_MARGIN,
    constant_loss,
    distinct_rows,
    final_metric,
    grid_prediction,
    majority_rate,
    predict,
    shown_layers,
    snapshot_index,
    unit_params,
)
from sim.train import Result

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


def caption_neurons(result: Result, init_index: int) -> str:
    """One sentence on the hidden units at the end of training, e.g. "All 8 hidden units are
    identical: the layer acts as one neuron, whatever its width" (a convnet's starts with its
    filters, :func:`caption_filters`).

    The counts are those of the effective-neuron chart at its last snapshot. With several
    seeds a sentence about every unit is said only when every seed's counts agree; otherwise
    the means over the seeds are quoted.
    """
    units = _caption_units(result, init_index)
    filters = caption_filters(result, init_index)
    return f"{filters} {units}" if filters else units


def caption_filters(result: Result, init_index: int) -> str:
    """One sentence on the filters of the conv layers at the end of training, from
    ``history.conv_metrics`` at the last snapshot, e.g. "All 8 filters are equal: the conv
    layer learns one feature." ("" without conv layers, or after every seed diverged). With
    several seeds whose counts differ, the means are quoted."""
    cfg, h = result.config, result.history
    if not cfg.conv or h.conv_metrics is None:
        return ""
    runs = [r for r in result.run_indices(init_index) if h.diverged_at[r] < 0]
    if not runs:
        return ""
    m = h.conv_metrics
    dead = m["dead_units"][runs, -1, :]
    distinct = m["distinct_neurons"][runs, -1, :]
    width = np.array([f for f, _ in cfg.conv])
    if not ((dead == dead[0]).all() and (distinct == distinct[0]).all()):
        parts = [f"{np.mean(distinct[:, c]):.3g} distinct of {width[c]}"
                 for c in range(width.size)]
        return f"Filters at the end ({'; '.join(parts)}, mean of {len(runs)} seeds)."
    dead, distinct = np.round(dead[0]).astype(int), np.round(distinct[0]).astype(int)
    n = width.size
    which = f"{width[0]} filters" if n == 1 else "filters of every conv layer"
    if (dead == width).all():
        return (f"All {which} are dead (their maps are exactly 0 on every training image): no "
                "gradient reaches them.")
    if (distinct == 1).all() and (width > 1).all() and (dead == 0).all():
        return (f"All {which} are equal: {'the' if n == 1 else 'each'} conv layer learns one "
                "feature, however many filters it has.")
    if (distinct == width).all():
        return f"All {which} are different: each learns its own feature."
    parts = [f"conv layer {c + 1}: {distinct[c]} distinct of {width[c]}"
             + (f", {dead[c]} dead" if dead[c] else "") for c in range(n)]
    return f"Distinct filters at the end ({'; '.join(parts)})."


def _caption_units(result: Result, init_index: int) -> str:
    """:func:`caption_neurons` for the dense hidden units."""
    hidden = result.config.hidden
    if not hidden:
        return "This network has no hidden layer: there are no hidden units to compare."
    runs = [r for r in result.run_indices(init_index) if result.history.diverged_at[r] < 0]
    if not runs:
        return "Training diverged (non-finite numbers): no final network to describe."
    m = result.history.metrics
    per_run = {name: m[name][runs, -1, :] for name in ("dead_units", "distinct_neurons", "rank")}
    if not all((v == v[0]).all() for v in per_run.values()):
        return _neurons_by_layer(result, init_index, mean=True)
    dead, distinct, rank = (np.round(per_run[n][0]).astype(int)
                            for n in ("dead_units", "distinct_neurons", "rank"))
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
    return _neurons_by_layer(result, init_index, mean=False)


def _neurons_by_layer(result: Result, init_index: int, mean: bool) -> str:
    """Distinct (and dead) units of the shown layers at the end: one seed's counts, or the
    means over the seeds when they differ."""
    width = result.config.hidden
    distinct = final_metric(result, init_index, "distinct_neurons")
    dead = final_metric(result, init_index, "dead_units")
    fmt = (lambda v: f"{v:.3g}") if mean else (lambda v: f"{int(round(v))}")
    parts = []
    for l in shown_layers(len(width)):
        text = f"layer {l + 1}: {fmt(distinct[l])} distinct of {width[l]}"
        if dead[l]:
            text += f", {fmt(dead[l])} dead"
        parts.append(text)
    seeds = f", mean of {result.config.seeds} seeds" if mean else ""
    return f"Distinct neurons at the end ({'; '.join(parts)}{seeds})."


#: A loss within this fraction of the best constant prediction's loss is "at" that loss.
CONSTANT_LOSS_RTOL = 0.01


def caption_loss(result: Result, init_index: int) -> str:
    """One sentence on the loss curve: where it starts and ends, whether it fell, barely
    moved or rose, whether it ends at the loss of the best constant prediction, and the test
    accuracy against always answering the largest class."""
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
        text += f" ({change:.1%} lower)" if change >= 0.995 else f" ({change:.0%} lower)"
    const = constant_loss(result)
    if abs(end - const) <= CONSTANT_LOSS_RTOL * const:
        text += (f", ending at the loss of the best constant prediction ({const:.3g}): the "
                 "network learnt no more than the targets' average")
    if h.test_accuracy is not None and result.data.n_test > 0:
        acc = float(np.nanmean(h.test_accuracy[runs, -1]))
        base = majority_rate(result.data.y_test)
        text += f"; test accuracy {acc:.0%}"
        if acc < base + ACCURACY_MARGIN:
            text += f", no better than always answering the largest class ({base:.0%})"
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
        if any(np.any(w[run, k]) for w in h.conv_weights):  # the heatmaps show dense layers
            return f"After {epoch} epochs every dense weight is still exactly 0."
        return f"After {epoch} epochs every weight is still exactly 0."
    if all(not np.any(W) for W in Ws):
        return (f"After {epoch} epochs every hidden weight is still exactly 0 "
                "(only the output layer changed).")
    # A row is [weights | bias]: units that differ only in their bias are different units.
    d = [distinct_rows(unit_params(result, l, run, k)) for l in range(L - 1)]
    units = [W.shape[0] for W in Ws]
    if all(x == 1 for x in d) and max(units) > 1:
        both = "both rows" if units[0] == 2 else f"all {units[0]} rows"
        which = f"{both} of layer 1 are" if len(Ws) == 1 else \
            "in every hidden layer all rows are"
        return (f"After {epoch} epochs {which} equal: every unit has the same incoming "
                "weights and bias.")
    if all(x == u for x, u in zip(d, units, strict=True)):
        return (f"After {epoch} epochs every row differs: each unit has its own weights "
                "or bias.")
    return (f"After {epoch} epochs " + ", ".join(
        f"layer {l + 1} has {x} different rows of {u}" for l, (x, u) in
        enumerate(zip(d, units, strict=True)) if l in shown_layers(len(Ws))) + ".")


def caption_boundary(result: Result, init_index: int, snapshot: int = -1, seed: int = 0) -> str:
    """One sentence on the decision-boundary chart of one run at one snapshot (or on the fit
    of a 1-D regression), read from the grid the chart draws.

    A constant prediction (one predicted class over the whole grid) is called that and gets
    no boundary; a drawn boundary is credited only when the run's train accuracy at that
    epoch beats always answering the largest class by :data:`ACCURACY_MARGIN`; identical
    hidden units (one distinct row of ``[W | b]`` in every hidden layer) are said to draw a
    single straight line, which is all one neuron can draw.

    Parameters
    ----------
    result : Result
    init_index : int
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative from the end): pass the
        chart's, ``view.snapshot``.
    seed : int
        The seed the chart draws (0 on the page).

    Returns
    -------
    str
    """
    h, data = result.history, result.data
    k = snapshot_index(result, snapshot)
    epoch = int(h.snapshot_epochs[k])
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    if h.train_accuracy is None:
        return _caption_fit(result, run, k, epoch)
    P = grid_prediction(result, run, k)
    if P is None:
        W, _ = result.parameters_at(run, k)
        if not all(np.isfinite(w).all() for w in W):
            return "The run diverged: there is no prediction to show."
        return f"Train accuracy {float(h.train_accuracy[run, epoch]):.0%} after {epoch} epochs."
    acc = float(h.train_accuracy[run, epoch])
    base = majority_rate(data.y_train)
    binary = max(data.n_classes, 2) == 2
    classes = np.unique(P.argmax(axis=1))
    hidden = result.config.hidden
    dead = h.metrics["dead_units"][run, k] if hidden else np.zeros(0)
    one = bool(hidden) and max(hidden) > 1 and not np.any(dead) and all(
        distinct_rows(unit_params(result, l, run, k)) == 1 for l in range(len(hidden)))
    units = f"the {hidden[0]} identical hidden units" if len(hidden) == 1 else \
        "the identical units of each hidden layer"
    if classes.size == 1:
        c = int(classes[0])
        lo, hi = f"{P[:, 1].min():.2f}", f"{P[:, 1].max():.2f}"
        shares = "" if not binary else (f" (P(class 1) ≈ {lo})" if lo == hi
                                        else f" (P(class 1) between {lo} and {hi})")
        why = ""
        if hidden and np.all(dead == np.array(hidden)):
            why = ": every hidden unit is dead, so the network answers the same everywhere"
        elif one:
            why = (f"; {units} act as one neuron, which could draw one straight line at "
                   "most")
        return (f"A constant prediction after {epoch} epochs: class {c} everywhere on the "
                f"plot{shares}, so there is no boundary{why} (train accuracy {acc:.0%}, the "
                f"share of class {c}).")
    drawn = "a boundary" if binary else "class regions"
    if one:
        shape = "a single straight line" if binary else "bands between parallel lines"
        text = f"After {epoch} epochs {units} act as one neuron and draw {shape}"
    else:
        text = f"After {epoch} epochs the hidden units together draw {drawn}"
    if acc < base + ACCURACY_MARGIN:
        return (text + f", but train accuracy {acc:.0%} is no better than always answering "
                f"the largest class ({base:.0%}): it separates nothing.")
    return (text + f": train accuracy {acc:.0%} (the largest "
            f"class alone gives {base:.0%}).")


def _caption_fit(result: Result, run: int, k: int, epoch: int) -> str:
    """The caption of a 1-D regression's fit, or of a chart-less regression: the train loss
    at that epoch, and a flat output called a constant prediction."""
    data = result.data
    loss = float(result.history.train_loss[run, epoch])
    if data.X_train.shape[1] != 1:
        return f"Train loss {loss:.3g} after {epoch} epochs."
    x = np.linspace(data.X_train.min(), data.X_train.max(), 300)[:, None]
    pred = predict(result, run, k, x)
    if pred is None:
        return "The run diverged: there is no prediction to show."
    spread = float(np.ptp(data.y_train))
    if np.ptp(pred[:, 0]) <= 0.01 * spread:
        return (f"A constant prediction after {epoch} epochs: the output is flat at "
                f"{float(pred[:, 0].mean()):.3g} (train loss {loss:.3g}).")
    return f"The network's output against the data after {epoch} epochs; train loss {loss:.3g}."


def caption_grad_norm(result: Result, init_index: int) -> str:
    """One sentence on the gradient norms: whether any gradient reaches the hidden layers,
    and whether it vanishes on the way down."""
    h = result.history
    G = h.grad_norm[result.run_indices(init_index)]  # (seeds, E, L)
    hidden_layers = G.shape[2] - 1
    # The chart draws the dense layers; a convnet's "layer 1" is the first dense layer.
    conv = h.conv_grad_norm is not None
    first_name = "dense layer 1" if conv else "layer 1"
    if hidden_layers and np.all(G[:, :, :hidden_layers][np.isfinite(G[:, :, :hidden_layers])]
                                == 0):
        if conv:
            Gc = h.conv_grad_norm[result.run_indices(init_index)]
            if np.all(Gc[np.isfinite(Gc)] == 0):
                return ("No gradient ever reaches a filter or a hidden layer (exactly 0 at "
                        "every epoch): only the output layer learns.")
            return ("No gradient ever reaches a dense hidden layer (exactly 0 at every "
                    "epoch).")
        return ("No gradient ever reaches a hidden layer (exactly 0 at every epoch): only the "
                "output layer learns.")
    with np.errstate(all="ignore"):
        first = np.nanmean(G[:, 0, 0])
        last_out = np.nanmean(G[:, 0, -1])
    if first == 0:
        later = float(np.nanmax(G[:, :, 0]))
        runs = result.run_indices(init_index)
        above_zero = not any(np.any(w[runs, 0]) for w in h.weights[1:])
        why = ": the weights above it are still 0" if above_zero else ""
        return (f"In the first epoch no gradient reaches {first_name} (exactly 0{why}); later "
                f"it reaches {later:.2g}.")
    if last_out > 0 and first < 1e-4 * last_out:
        which = "first dense layer" if conv else "first layer"
        return (f"At the start the {which}'s gradient ({first:.2g}) is more than 10,000 "
                f"times smaller than the output layer's ({last_out:.2g}): it vanishes on the "
                "way down.")
    return (f"First-epoch gradient norm: {first:.3g} ({first_name}), {last_out:.3g} (output "
            "layer).")


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
