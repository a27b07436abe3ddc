"""Headlines: the one number a slide of the presenter view shows above its chart.

Pure functions of a :class:`~sim.train.Result` (numpy only), like the captions: "8 units → 1
neuron" for the weights, the network and the unit trajectories; the final loss for the loss
curves; the accuracy for the decision boundary. Each is computed from the same numbers the
chart under it draws (the hidden units at the snapshot on screen, the last entry of a curve).
A convnet's unit headlines lead with its filters: "8 filters → 1 filter · 16 units → 1
neuron", "8 filters, all dead (output 0) · ...".
"""

from __future__ import annotations

import math

import numpy as np

from sim.explain.reading import (
    dead_unit_masks,
    distinct_rows,
    filters_summary,
    snapshot_index,
    unit_params,
)
from sim.train import Result

__all__ = ["filters_headline", "headline", "units_headline"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def units_headline(result: Result, init_index: int, snapshot: int = -1, seed: int = 0) -> str:
    """How many neurons the hidden units of one run act as at a snapshot: "8 units → 1
    neuron" (one hidden layer), "layer 30 of 30: 32 units → 15 neurons (17 dead)" (the layer
    with the fewest distinct live units of a deep network), "diverged" or "no hidden layer"."""
    hidden = result.config.hidden
    if not hidden:
        return "no hidden layer"
    h = result.history
    k = snapshot_index(result, snapshot)
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    if 0 <= h.diverged_at[run] <= int(h.snapshot_epochs[k]):
        return "diverged"
    masks = dead_unit_masks(result, run, [k])
    counts, dead = [], []
    for l in range(len(hidden)):
        live = ~masks[l][0]
        # A dead unit (output 0 on every point) is no neuron at all, whatever its weights:
        # the count is of the live units that differ (as the network drawing counts them).
        P = unit_params(result, l, run, k)[live]
        counts.append(distinct_rows(P) if live.any() else 0)
        dead.append(int((~live).sum()))
    shares = [c / w for c, w in zip(counts, hidden, strict=True)]
    low = int(np.argmin(shares))
    if dead[low] >= hidden[low]:
        text = f"{_plural(hidden[low], 'unit')}, all dead (output 0)"
    else:
        text = f"{_plural(hidden[low], 'unit')} → {_plural(counts[low], 'neuron')}"
        if dead[low]:
            text += f" ({dead[low]} dead)"
    if len(hidden) > 1 and min(shares) == 1.0:
        return ("both layers" if len(hidden) == 2 else f"all {len(hidden)} layers") + (
            ": every unit distinct")
    if len(hidden) > 1:
        text = f"layer {low + 1} of {len(hidden)}: {text}"
    return text


def filters_headline(result: Result, init_index: int, snapshot: int = -1, seed: int = 0
                     ) -> str:
    """How many different filters the conv layers of one run have at a snapshot: "8 filters
    → 1 filter" (all equal), "8 filters, all dead (output 0)", "8 filters, all distinct",
    "conv layer 2 of 2: ..." (the layer with the fewest distinct live filters of several),
    "diverged", or "" without conv layers. Dead filters (map 0 on every training image)
    are not counted as filters."""
    cfg, h = result.config, result.history
    if not cfg.conv:
        return ""
    k = snapshot_index(result, snapshot)
    run = result.run_indices(init_index)[min(seed, cfg.seeds - 1)]
    if 0 <= h.diverged_at[run] <= int(h.snapshot_epochs[k]):
        return "diverged"
    facts = [filters_summary(result, run, k, i) for i in range(len(cfg.conv))]
    low = int(np.argmin([d / f for f, d, _ in facts]))
    n, distinct, dead = facts[low]
    if dead >= n:
        text = f"{_plural(n, 'filter')}, all dead (output 0)"
    elif distinct == n:
        text = f"{_plural(n, 'filter')}, all distinct"
    else:
        text = f"{_plural(n, 'filter')} → {_plural(distinct, 'filter')}"
        if dead:
            text += f" ({dead} dead)"
    if len(facts) > 1:
        text = f"conv layer {low + 1} of {len(facts)}: {text}"
    return text


def _final(result: Result, init_index: int, arr: np.ndarray | None) -> float:
    if arr is None:
        return math.nan
    v = arr[result.run_indices(init_index), -1]
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def headline(result: Result, chart: str, init_index: int, snapshot: int = -1) -> str:
    """The headline of chart ``chart`` (a name in :data:`sim.charts.CHARTS`) for one side."""
    h = result.history
    if chart in ("loss", "loss_overlay"):
        loss = _final(result, init_index, h.train_loss)
        return "diverged" if not math.isfinite(loss) else f"final loss {loss:.3g}"
    if chart in ("boundary", "accuracy"):
        arr = h.test_accuracy if result.data.n_test else h.train_accuracy
        acc = _final(result, init_index, arr)
        if arr is None or not math.isfinite(acc):
            loss = _final(result, init_index, h.train_loss)
            return "diverged" if not math.isfinite(loss) else f"final loss {loss:.3g}"
        which = "test" if result.data.n_test else "train"
        return f"{acc:.0%} {which} accuracy"
    k = -1 if chart == "neurons" else snapshot
    units = units_headline(result, init_index, k)
    if result.config.conv:  # a convnet leads with its filters
        filters = filters_headline(result, init_index, k)
        return filters if units == filters == "diverged" else f"{filters} · {units}"
    return units
