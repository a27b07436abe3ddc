"""Words for the filters of convolutional layers: their groups of equal filters, the
captions of the filters, feature-map and effective-filters charts, and the class names of
an image dataset.

Pure functions (numpy only: no plotly, no Streamlit). A filter is everything one output
channel computes with: its kernel over every input channel and its bias, flattened into a
row (:func:`filter_params`), so filters are grouped as equal with the same test as neurons
(:func:`sim.explain.reading.row_groups`, :data:`sim.metrics.DISTINCT_RTOL`).
"""

from __future__ import annotations

import numpy as np

from sim.datasets import BAR_ANGLES, SHAPE_NAMES
from sim.explain.reading import row_groups, snapshot_index
from sim.network import forward
from sim.train import Result

__all__ = [
    "caption_effective_filters",
    "caption_feature_maps",
    "caption_filters",
    "class_names",
    "filter_groups",
    "filter_groups_text",
    "filter_params",
    "first_feature_maps",
    "maps_groups_text",
    "training_image",
]


def filter_params(result: Result, layer: int, run: int, k: int) -> np.ndarray:
    """``[kernel | b]`` of every filter of conv layer ``layer`` at snapshot ``k``.

    Returns
    -------
    ndarray of shape (filters, channels * kernel * kernel + 1)
        One row per filter, float64.
    """
    h = result.history
    W = h.conv_weights[layer][run, k]
    return np.concatenate([W.reshape(W.shape[0], -1), h.conv_biases[layer][run, k][:, None]],
                          axis=1).astype(np.float64)


def filter_groups(P: np.ndarray) -> list[list[int]]:
    """The filters (rows of ``P``, 0-based) grouped by equality, each group one filter."""
    return row_groups(P)


def _count(n: int, word: str = "filter") -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _numbers(group: list[int]) -> str:
    return ", ".join(str(g + 1) for g in group)


def filter_groups_text(P: np.ndarray, width: int = 40) -> str:
    """One line naming the groups of equal filters of one layer (rows of ``P``).

    ``8 filters, all equal: 1 filter``, ``8 filters, all 0``, ``8 distinct filters``,
    ``filters 2, 5 equal: 7 filters``; beyond one group of equal filters, ``8 filters in 3
    groups: 3 filters``. Longer than ``width`` characters, the numbers are left out.
    """
    n = P.shape[0]
    if not np.isfinite(P).all():
        return "not finite: the run diverged"
    if not np.any(P):
        return f"{_count(n)}, all 0" if n > 1 else "1 filter, all 0"
    if n == 1:
        return "1 filter"
    groups = filter_groups(P)
    d = len(groups)
    if d == 1:
        return f"{n} filters, all equal: 1 filter"
    if d == n:
        return f"{n} distinct filters"
    same = [g for g in groups if len(g) > 1]
    if len(same) == 1:
        text = f"filters {_numbers(same[0])} equal: {_count(d)}"
        if len(text) <= width:
            return text
    return f"{n} filters, {len(same)} groups of equal ones: {_count(d)}"


def _run(result: Result, init_index: int, seed: int) -> int:
    return result.run_indices(init_index)[min(seed, result.config.seeds - 1)]


def _equal_since_start(result: Result, layer: int, run: int, k: int) -> bool:
    """Whether every filter of the layer was equal to every other at every stored snapshot
    up to ``k``: then each of their updates was the same."""
    return all(len(filter_groups(filter_params(result, layer, run, j))) == 1
               for j in range(k + 1))


def _dead(result: Result, layer: int, run: int, k: int) -> int:
    """Dead filters of a conv layer (output 0 on every training image), from the engine's
    metric; 0 when it was not recorded."""
    cm = result.history.conv_metrics
    v = float(cm["dead_units"][run, k, layer]) if cm is not None else 0.0
    return int(v) if np.isfinite(v) else 0


def caption_filters(result: Result, init_index: int, snapshot: int = -1, seed: int = 0
                    ) -> str:
    """One sentence on the filters shown at a snapshot (first conv layer, and the others
    when they differ from it in kind)."""
    if not result.config.conv:
        return ""
    h = result.history
    k = snapshot_index(result, snapshot)
    run = _run(result, init_index, seed)
    epoch = int(h.snapshot_epochs[k])
    parts = []
    for layer in range(len(result.config.conv)):
        P = filter_params(result, layer, run, k)
        n = P.shape[0]
        where = f" of conv layer {layer + 1}" if len(result.config.conv) > 1 else ""
        if not np.isfinite(P).all():
            return f"After {epoch} epochs the run has diverged: no filters to show."
        d = len(filter_groups(P))
        dead = _dead(result, layer, run, k)
        if d == 1 and n > 1:
            since = _equal_since_start(result, layer, run, k)
            why = (", get the same gradient and the same update" if since else
                   ", so from here they get the same gradient and the same update")
            state = "exactly 0" if not np.any(P) else "equal"
            parts.append(f"All {n} filters{where} are {state} at epoch {epoch}: they "
                         f"compute the same feature map{why}.")
        elif n == 1:
            parts.append(f"One filter{where} at epoch {epoch}.")
        elif d == n and not dead:
            parts.append(f"{n} distinct filters{where} at epoch {epoch}: each can detect a "
                         "feature of its own.")
        elif d == n:
            parts.append(f"{n} distinct filters{where} at epoch {epoch}.")
        else:
            parts.append(f"{d} distinct filters of {n}{where} at epoch {epoch}: equal "
                         "filters compute the same feature map.")
        if dead == n:
            parts.append(f"All {n} are dead: their feature maps are 0 on every training "
                         "image.")
        elif dead:
            parts.append(f"{dead} of them {'is' if dead == 1 else 'are'} dead: "
                         f"{'its feature map is' if dead == 1 else 'their feature maps are'} "
                         "0 on every training image.")
    return " ".join(parts)


def training_image(result: Result, image: int) -> np.ndarray:
    """Training image ``image`` (kept within the training set), shape (1, C, H, W)."""
    C, H, W = result.data.image_shape
    i = min(max(int(image), 0), result.data.n_train - 1)
    return result.data.X_train[i].reshape(1, C, H, W)


def first_feature_maps(result: Result, run: int, k: int, image: int = 0) -> np.ndarray:
    """The first conv layer's feature maps of training image ``image`` (after the
    activation, before pooling) for run ``run`` at snapshot ``k``; NaN for a diverged run.

    Returns
    -------
    ndarray of shape (filters, H, W)
    """
    cfg = result.config
    W, b = result.network_at(run, k)
    if not all(np.isfinite(w).all() for w in W):
        return np.full((W[0].shape[0], *result.data.image_shape[1:]), np.nan)
    with np.errstate(all="ignore"):
        out = forward(W, b, training_image(result, image), cfg.activation, pool=cfg.pool,
                      image_shape=cfg.image_shape)
    return out[0][0]


def _map_groups(maps: np.ndarray) -> int:
    flat = maps.reshape(maps.shape[0], -1)
    return len(row_groups(flat)) if np.any(flat) else 1


def maps_groups_text(maps: np.ndarray) -> str:
    """One line naming the groups of equal feature maps (``maps`` of shape (F, H, W)):
    ``8 maps, all equal: 1 map``, ``8 distinct maps``, ``8 maps: 3 distinct``, ``8 maps,
    all 0``."""
    F = maps.shape[0]
    if not np.isfinite(maps).all():
        return "not finite: the run diverged"
    if not np.any(maps):
        return f"{F} maps, all 0"
    d = _map_groups(maps)
    if d == 1:
        return f"{F} maps, all equal: 1 map" if F > 1 else "1 map"
    return f"{F} distinct maps" if d == F else f"{F} maps: {d} distinct"


def caption_feature_maps(result: Result, init_index: int, snapshot: int = -1, seed: int = 0,
                         image: int = 0) -> str:
    """One sentence on the feature maps of one training image at a snapshot (the first conv
    layer's output, as the feature-map chart draws it)."""
    if not result.config.conv:
        return ""
    k = snapshot_index(result, snapshot)
    epoch = int(result.history.snapshot_epochs[k])
    maps = first_feature_maps(result, _run(result, init_index, seed), k, image)
    F = maps.shape[0]
    if not np.isfinite(maps).all():
        return f"After {epoch} epochs the run has diverged."
    if not np.any(maps):
        return f"At epoch {epoch} all {F} feature maps of this image are 0 at every pixel."
    d = _map_groups(maps)
    if d == 1 and F > 1:
        return (f"At epoch {epoch} all {F} feature maps of this image are the same: equal "
                "filters see the image the same way, so the layer passes on one feature.")
    if d == F:
        return (f"At epoch {epoch} the {F} feature maps of this image all differ: each "
                "filter responds to the image in its own way.")
    return f"At epoch {epoch} this image gives {d} different feature maps of {F}."


def caption_effective_filters(result: Result, init_index: int, metric: str = "distinct_neurons"
                              ) -> str:
    """One sentence on the distinct (or dead) filters per conv layer at the last epoch."""
    cm = result.history.conv_metrics
    if cm is None:
        return ""
    v = cm[metric][result.run_indices(init_index), -1, :]
    if not np.isfinite(v).any():
        return "Every run diverged: no filters to count."
    counts = np.nanmean(v, axis=0)
    widths = [f for f, _ in result.config.conv]
    word = {"distinct_neurons": "distinct", "dead_units": "dead", "rank": "rank",
            "effective_rank": "effective rank"}[metric]
    epoch = int(result.history.snapshot_epochs[-1])
    many = len(widths) > 1
    parts = []
    for l, (c, w) in enumerate(zip(counts, widths, strict=True)):
        where = f" in conv layer {l + 1}" if many else ""
        if metric in ("distinct_neurons", "dead_units"):
            parts.append(f"{c:.3g} {word} filter{'' if c == 1 else 's'} of {w}{where}")
        else:
            parts.append(f"{word} {c:.3g} of {w} filters{where}")
    text = ", ".join(parts)
    seeds = " (mean over seeds)" if result.config.seeds > 1 else ""
    return f"After {epoch} epochs: {text}{seeds}."


def class_names(result: Result) -> list[str]:
    """The name of each class of an image dataset, in class order (``0°`` bars, shapes'
    names); ``class 1`` ... for any other dataset."""
    name = result.config.dataset
    n = result.data.n_classes
    if name == "bars":
        return [f"{a:g}° bar" for a in BAR_ANGLES][:n]
    if name == "shapes":
        return list(SHAPE_NAMES)[:n]
    return [f"class {c + 1}" for c in range(n)]
