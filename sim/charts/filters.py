"""Charts of convolutional networks: the filters, the feature maps of one image, the
effective filters over the epochs, and sample images of the dataset.

The filters follow PyTorch's convention (see :mod:`sim.conv`): conv layer ``l`` has weights
of shape ``(F, C, K, K)`` and a bias of shape ``(F,)``. Each chart that shows small images
draws them as one *mosaic* per panel: the tiles (kernels, feature maps, images) laid out in a
grid in one array, NaN between them (drawn as the plot's grey background), so a panel is one
heatmap trace whatever the number of filters, and a frame of the animation only replaces
that array. Filters are coloured like the weight heatmaps (:mod:`sim.charts.weights`):
half linear, half logarithmic, white at exactly 0, with a shared range, so the zeros side's
tiny equal filters (~1e-6 next to a random side's ~1) are visibly coloured.

Every function returns None for a result without conv layers (or, for the sample images,
without image data); :attr:`sim.charts.ChartSpec.applies` keeps them off the dashboard of a
dense network.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from sim.charts import motion
from sim.charts.curves import _add_curve
from sim.charts.style import _init_title, _n_seeds_text, _style, layer_shades
from sim.charts.view import WEIGHT_SCALES
from sim.charts.weights import (
    _COLORSCALE,
    KEY_PX,
    KEY_STRIP_PX,
    _key_labels,
    _key_shapes,
    _number,
    ranges_of,
)
from sim.config import Config
from sim.datasets import DATASETS
from sim.explain.filters import (
    class_names,
    filter_groups_text,
    filter_params,
    first_feature_maps,
    maps_groups_text,
    training_image,
)
from sim.explain.reading import snapshot_index
from sim.train import Result

#: A layer with more input channels than this shows each filter's mean over its channels.
MAX_CHANNELS = 3
#: Tiles per row of a filter mosaic: 4 (large tiles, readable on a projector) up to 16
#: filters, 8 beyond.
FILTER_COLUMNS = 8
FEW_FILTER_COLUMNS = 4
#: The plot area's width the mosaics are laid out for (one of two columns at 1280 px).
REF_WIDTH = 270
LABEL_PX = 16  # room above a row of tiles for their labels
TITLE_PX = 2 * 17 + 8  # above each panel: its title, two lines
BOTTOM_PX = 12  # under each panel
PANEL_MAX_PX = 320  # the tallest a panel's mosaic is drawn
#: The feature maps' colours (sequential: an activation is not signed around a centre for
#: sigmoid or ReLU) and the input images' (dark strokes on white).
MAP_COLORSCALE = "Viridis"
IMAGE_COLORSCALE = [[0.0, "#ffffff"], [1.0, "#111111"]]

FILTER_METRIC_LABELS = {
    "distinct_neurons": "distinct filters (count)",
    "rank": "rank of the feature maps",
    "effective_rank": "effective rank",
    "dead_units": "dead filters (count)",
}


def has_conv(config: Config) -> bool:
    """Whether the configuration's network has conv layers (the filter charts apply)."""
    return bool(config.conv)


def is_dense(config: Config) -> bool:
    """Whether the configuration's network has no conv layer (only fully connected ones)."""
    return not config.conv


def has_images(config: Config) -> bool:
    """Whether the configuration's dataset is made of images (the sample images apply)."""
    return DATASETS[config.dataset].is_image


# ------------------------------------------------------------------------------------------
# Mosaics
# ------------------------------------------------------------------------------------------


def _grid(n: int, columns: int) -> tuple[int, int]:
    cols = min(n, columns)
    return math.ceil(n / cols), cols


def mosaic(tiles: np.ndarray, columns: int, gap: int = 1, label_rows: int = 0
           ) -> np.ndarray:
    """Tiles of shape (n, h, w) laid out ``columns`` to a row, ``gap`` NaN cells between
    them and ``label_rows`` NaN rows above each row of tiles (room for their labels).

    Returns
    -------
    ndarray of shape (rows * (h + label_rows) + (rows - 1) * gap, cols * w + (cols - 1) * gap)
    """
    n, h, w = tiles.shape
    rows, cols = _grid(n, columns)
    row_h = h + label_rows
    out = np.full((rows * row_h + (rows - 1) * gap, cols * w + (cols - 1) * gap), np.nan,
                  dtype=tiles.dtype if tiles.dtype.kind == "f" else float)
    for t in range(n):
        r, c = divmod(t, cols)
        y = r * (row_h + gap) + label_rows
        x = c * (w + gap)
        out[y:y + h, x:x + w] = tiles[t]
    return out


def _tile_centres(n: int, h: int, w: int, columns: int, gap: int, label_rows: int
                  ) -> list[tuple[float, float]]:
    """(x, y) of the middle of each tile's label row, in mosaic cells (x from 0, y down)."""
    _, cols = _grid(n, columns)
    out = []
    for t in range(n):
        r, c = divmod(t, cols)
        out.append((c * (w + gap) + (w - 1) / 2, r * (h + label_rows + gap) - 0.5 + label_rows / 2))
    return out


def _label_rows(px_per_cell: float) -> int:
    """Rows of cells above a row of tiles that leave room for their labels."""
    return max(1, math.ceil(LABEL_PX / px_per_cell))


def _cell_px(width_cells: int, height_cells: int) -> float:
    """Pixels per mosaic cell at the reference width, within the tallest panel."""
    return min(REF_WIDTH / width_cells, PANEL_MAX_PX / max(height_cells, 1))


def _stack(heights: list[float]) -> tuple[float, list[list[float]]]:
    """The plot height and each panel's vertical domain, panels stacked top to bottom with a
    title band above each."""
    plot_px = sum(TITLE_PX + h + BOTTOM_PX for h in heights)
    y, domains = plot_px, []
    for h in heights:
        top = y - TITLE_PX
        domains.append([round((top - h) / plot_px, 6), round(top / plot_px, 6)])
        y = top - h - BOTTOM_PX
    return plot_px, domains


def _axes(layout: dict, c: int, domain: list[float], shape: tuple[int, int]) -> None:
    sx = "" if c == 1 else str(c)
    layout[f"xaxis{sx}"] = {"domain": [0, 1], "anchor": f"y{sx}", "visible": False,
                            "range": [-0.5, shape[1] - 0.5], "constrain": "domain"}
    layout[f"yaxis{sx}"] = {"domain": domain, "anchor": f"x{sx}", "visible": False,
                            "range": [shape[0] - 0.5, -0.5], "scaleanchor": f"x{sx}",
                            "constrain": "domain", "constraintoward": "top"}


def _tile_labels(texts: list[str], centres: list[tuple[float, float]], c: int,
                 size: int = 11) -> list[dict]:
    sx = "" if c == 1 else str(c)
    return [{"text": t, "x": x, "y": y, "xref": f"x{sx}", "yref": f"y{sx}",
             "showarrow": False, "font": {"size": size, "color": "#333"}, "name": "tile"}
            for t, (x, y) in zip(texts, centres, strict=True)]


def _panel_title(text: str, domain: list[float]) -> dict:
    return {"text": text, "name": "panel title", "x": 0.5, "y": domain[1], "xref": "paper",
            "yref": "paper", "xanchor": "center", "yanchor": "bottom", "yshift": 2,
            "showarrow": False, "font": {"size": 13}}


# ------------------------------------------------------------------------------------------
# Filters
# ------------------------------------------------------------------------------------------


def _filter_tiles(W: np.ndarray) -> tuple[np.ndarray, str]:
    """One tile per filter of ``W`` (F, C, K, K): the kernel for one channel, the channels
    side by side (one NaN column apart) up to :data:`MAX_CHANNELS`, else the mean over the
    channels; and the words saying which."""
    F, C, K, _ = W.shape
    if C == 1:
        return W[:, 0], ""
    if C <= MAX_CHANNELS:
        tiles = np.full((F, K, C * K + C - 1), np.nan, dtype=W.dtype)
        for ch in range(C):
            tiles[:, :, ch * (K + 1):ch * (K + 1) + K] = W[:, ch]
        return tiles, f"input channels 1–{C} side by side"
    return W.mean(axis=1), f"mean over the {C} input channels"


def conv_colour_ranges(result: Result, init_index: int, weight_scale: str = "shared"
                       ) -> np.ndarray:
    """Half-width of the filters' colour range at every stored snapshot: the largest
    |weight| or |bias| of every conv layer, of both sides (``"shared"``), this side
    (``"side"``) or both sides over every snapshot (``"fixed"``), as
    :func:`sim.charts.weights.colour_ranges` for the dense layers. 0 is taken as 1.

    Returns
    -------
    ndarray of shape (n_snapshots,)
    """
    h = result.history
    return ranges_of([*h.conv_weights, *h.conv_biases], result, init_index, weight_scale)


def conv_filters(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                 weight_scale: str = "shared", frames: bool = False) -> go.Figure | None:
    """Every filter of every conv layer of one run as a small image, at one snapshot.

    One panel per conv layer, stacked; in a panel one tile per filter (numbered), the
    kernel's K×K weights as cells. A layer over several input channels shows them side by
    side (up to :data:`MAX_CHANNELS`) or their mean, and says so. Each panel's title names
    its groups of equal filters (kernel and bias, :func:`sim.explain.filters.
    filter_groups_text`): ``8 filters, all equal: 1 filter``. The colours are those of the
    weight heatmaps (half linear, half log, white at exactly 0) with a range shared by both
    sides (``weight_scale``), and a key above the panels gives their real weights; a bias
    is in each tile's hover.

    Parameters
    ----------
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative counts from the end).
    seed : int
        Which seed's run to show.
    weight_scale : {"shared", "side", "fixed"}
        The colour range (:data:`sim.charts.view.WEIGHT_SCALES`).
    frames : bool
        Carry the snapshots of :func:`sim.charts.motion.frame_indices` as plotly frames with
        an epoch slider and play / pause, as the weight heatmaps.

    Returns None for a result without conv layers.
    """
    if not has_conv(result.config):
        return None
    h = result.history
    k0 = snapshot_index(result, snapshot)
    seed = min(seed, result.config.seeds - 1)
    run = result.run_indices(init_index)[seed]
    ranges = conv_colour_ranges(result, init_index, weight_scale)
    n_conv = len(h.conv_weights)
    layouts = []
    for l in range(n_conv):
        tiles, how = _filter_tiles(h.conv_weights[l][run, k0])
        F, th, tw = tiles.shape
        _, cols = _grid(F, FEW_FILTER_COLUMNS if F <= 16 else FILTER_COLUMNS)
        rows = math.ceil(F / cols)
        width = cols * tw + cols - 1
        # room for the labels, from the cell size the panel gets at the reference width
        px = REF_WIDTH / width
        lr = _label_rows(px)
        height = rows * (th + lr) + rows - 1
        px = _cell_px(width, height)
        layouts.append({"F": F, "th": th, "tw": tw, "cols": cols, "lr": lr, "how": how,
                        "shape": (height, width), "px": height * px})
    plot_px, domains = _stack([p["px"] for p in layouts])
    plot_px += KEY_PX
    domains = [[d[0] * (plot_px - KEY_PX) / plot_px, d[1] * (plot_px - KEY_PX) / plot_px]
               for d in domains]

    def tiles_at(l: int, k: int, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
        p = layouts[l]
        with np.errstate(over="ignore"):  # a diverged run's weights overflow float32
            t, _ = _filter_tiles(h.conv_weights[l][run, k].astype(dtype))
            b = h.conv_biases[l][run, k].astype(dtype)
        z = mosaic(t, p["cols"], 1, p["lr"])
        fid = mosaic(np.broadcast_to(np.arange(1, p["F"] + 1, dtype=float)[:, None, None],
                                     t.shape), p["cols"], 1, p["lr"])
        bias = np.where(np.isfinite(fid), b[np.nan_to_num(fid).astype(int) - 1], np.nan)
        return z, np.stack([fid, bias], axis=-1)

    def traces(k: int, dtype: type = np.float64) -> list[dict]:
        zm = float(ranges[k])
        out = []
        for l in range(n_conv):
            z, custom = tiles_at(l, k, dtype)
            out.append({"type": "heatmap", "z": z, "customdata": custom, "zmin": -zm,
                        "zmax": zm})
        return out

    def titles(k: int) -> list[dict]:
        out = []
        for l, d in enumerate(domains):
            F, C, K, _ = h.conv_weights[l].shape[2:]
            note = filter_groups_text(filter_params(result, l, run, k))
            head = f"conv layer {l + 1}: {F} filters {K}×{K} over {C} channel{'s' if C > 1 else ''}"
            out.append(_panel_title(f"{head}<br>{note}", d))
        return out + _key_labels(float(ranges[k]), 1 - KEY_STRIP_PX / plot_px)

    seed_text = f", seed {seed}" if result.config.seeds > 1 else ""
    hows = "; ".join(f"layer {l + 1}: {p['how']}" for l, p in enumerate(layouts) if p["how"])

    def texts(k: int) -> tuple[str, str]:
        epoch = int(h.snapshot_epochs[k])
        title = _init_title(result, f"Filters after {epoch} epochs", init_index)
        sub = (f"each tile one filter's kernel{seed_text}<br>colours "
               f"{WEIGHT_SCALES[weight_scale]}: ±{float(ranges[k]):.3g}, log-linear")
        if hows:
            sub += f"<br>{hows}"
        return title, sub

    now = traces(k0)
    data, layout = [], {}
    annotations = titles(k0)
    for c, (p, d) in enumerate(zip(layouts, domains, strict=True), start=1):
        sx = "" if c == 1 else str(c)
        data.append(go.Heatmap(
            **now[c - 1], xaxis=f"x{sx}", yaxis=f"y{sx}", colorscale=_COLORSCALE,
            showscale=False, xgap=1 if p["px"] / p["shape"][0] >= 6 else 0,
            ygap=1 if p["px"] / p["shape"][0] >= 6 else 0, hoverongaps=False,
            hovertemplate=(f"conv layer {c}, filter %{{customdata[0]}}<br>"
                           "w = %{z:.6g}<br>b = %{customdata[1]:.6g}<extra></extra>")))
        _axes(layout, c, d, p["shape"])
        centres = _tile_centres(p["F"], p["th"], p["tw"], p["cols"], 1, p["lr"])
        annotations += _tile_labels([str(f + 1) for f in range(p["F"])], centres, c)
    layout.update(shapes=_key_shapes(1.0, plot_px), annotations=annotations,
                  plot_bgcolor="#cfcfcf")
    fig = go.Figure(data=data, layout=layout)
    title, sub = texts(k0)
    extra = 18 * sub.count("<br>") + 18
    _style(fig, title, subtitle=sub, legend=False, height=round(plot_px) + 130 + extra,
           extra_top=extra)
    fig.update_layout(plot_bgcolor="#cfcfcf", margin={"l": 24, "b": 24})
    fig.layout.height -= 40
    if frames:
        n_dynamic = n_conv + len(_key_labels(1.0, 0.0))

        def frame(k: int) -> tuple[list, dict]:
            t, s = texts(k)
            return traces(k, np.float32), {
                "annotations": [{"text": a["text"]} for a in titles(k)[:n_dynamic]],
                "title": {"text": f"<b>{t}</b>", "subtitle": {"text": s}}}
        motion.animate(fig, motion.frame_indices(h.snapshot_epochs.size, k0), k0,
                       h.snapshot_epochs, frame)
    return fig


# ------------------------------------------------------------------------------------------
# Feature maps of one image
# ------------------------------------------------------------------------------------------


def feature_maps(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                 frames: bool = False, image: int = 0) -> go.Figure | None:
    """The input image (first tile) and the first conv layer's feature map of it for each
    filter (the layer's output after the activation, before pooling), at one snapshot.

    The maps' colour range is shared by both sides and every animated epoch, so colours
    compare across the chart, the other side and the slider. The panel's title names the
    groups of equal maps: equal filters make equal maps.

    Returns None for a result without conv layers.
    """
    if not has_conv(result.config):
        return None
    h = result.history
    cfg = result.config
    k0 = snapshot_index(result, snapshot)
    seed = min(seed, cfg.seeds - 1)
    run = result.run_indices(init_index)[seed]
    ks = motion.frame_indices(h.snapshot_epochs.size, k0) if frames else [k0]
    maps = {k: first_feature_maps(result, run, k, image) for k in ks}
    # the range: both sides (their run of the same seed) at every shown snapshot
    values = [m for m in maps.values()]
    for i in range(len(cfg.inits)):
        if i != init_index:
            r = result.run_indices(i)[seed]
            values += [first_feature_maps(result, r, k, image) for k in ks]
    allv = np.concatenate([v[np.isfinite(v)].ravel() for v in values] + [np.zeros(0)])
    lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    img = training_image(result, image)[0]  # (C, H, W)
    C, H, Wd = img.shape
    picture = img.mean(axis=0) if C > 1 else img[0]
    F = maps[k0].shape[0]
    n = F + 1
    cols = min(n, max(3, math.ceil(math.sqrt(2.5 * n))))
    gap = max(1, H // 6)
    width = cols * Wd + (cols - 1) * gap
    lr = _label_rows(REF_WIDTH / width)
    rows = math.ceil(n / cols)
    shape = (rows * (H + lr) + (rows - 1) * gap, width)
    px = _cell_px(shape[1], shape[0]) * shape[0]
    plot_px, (domain,) = _stack([px])
    pic = np.full((n, H, Wd), np.nan)
    pic[0] = picture
    z_image = mosaic(pic, cols, gap, lr)

    def z_maps(k: int, dtype: type = np.float64) -> np.ndarray:
        t = np.full((n, H, Wd), np.nan, dtype=dtype)
        t[1:] = maps[k]
        return mosaic(t, cols, gap, lr)

    fid = mosaic(np.broadcast_to(np.arange(n, dtype=float)[:, None, None], (n, H, Wd)),
                 cols, gap, lr)
    label = class_names(result)[int(result.data.y_train[min(max(image, 0),
                                                            result.data.n_train - 1)])]

    def title_ann(k: int) -> dict:
        return _panel_title(f"image {image + 1} ({label}), then the map of each filter<br>"
                            f"{maps_groups_text(maps[k])}", domain)

    def texts(k: int) -> tuple[str, str]:
        epoch = int(h.snapshot_epochs[k])
        t = _init_title(result, f"Feature maps after {epoch} epochs", init_index)
        s = (f"conv layer 1 output ({cfg.activation}, before pooling)<br>dark blue "
             f"{_number(lo)} to yellow {_number(hi)}, both sides, all epochs")
        return t, s

    hover = {"hoverongaps": False, "xaxis": "x", "yaxis": "y", "showscale": False}
    data = [go.Heatmap(z=z_image, colorscale=IMAGE_COLORSCALE, zmin=float(np.min(picture)),
                       zmax=float(np.max(picture)) if np.ptp(picture) else float(
                           np.min(picture)) + 1, hovertemplate="input pixel %{z:.3g}"
                       "<extra></extra>", **hover),
            go.Heatmap(z=z_maps(k0), customdata=fid, colorscale=MAP_COLORSCALE, zmin=lo,
                       zmax=hi, hovertemplate="filter %{customdata}<br>h = %{z:.6g}"
                       "<extra></extra>", **hover)]
    layout: dict = {"plot_bgcolor": "#cfcfcf"}
    _axes(layout, 1, domain, shape)
    centres = _tile_centres(n, H, Wd, cols, gap, lr)
    layout["annotations"] = [title_ann(k0), *_tile_labels(
        ["input", *(str(f + 1) for f in range(F))], centres, 1)]
    fig = go.Figure(data=data, layout=layout)
    t, s = texts(k0)
    extra = 18 * s.count("<br>") + 18  # the subtitle's lines, a gap above the panel
    _style(fig, t, subtitle=s, legend=False, height=round(plot_px) + 130 + extra,
           extra_top=extra)
    fig.update_layout(plot_bgcolor="#cfcfcf", margin={"l": 24, "b": 24})
    fig.layout.height -= 40
    if frames:
        def frame(k: int) -> tuple[list, dict]:
            tt, ss = texts(k)
            return ([{"type": "heatmap"}, {"type": "heatmap",
                                                         "z": z_maps(k, np.float32)}],
                    {"annotations": [{"text": title_ann(k)["text"]}],
                     "title": {"text": f"<b>{tt}</b>", "subtitle": {"text": ss}}})
        motion.animate(fig, ks, k0, h.snapshot_epochs, frame)
    return fig


# ------------------------------------------------------------------------------------------
# Effective filters
# ------------------------------------------------------------------------------------------


def effective_filters(result: Result, init_index: int, *, metric: str = "distinct_neurons",
                      band: str = "minmax") -> go.Figure | None:
    """One effective-filter count per conv layer over the snapshot epochs (from
    ``History.conv_metrics``, the same definitions as for neurons: distinct filters, dead
    filters, rank and effective rank of the feature maps), each layer's number of filters
    as a dashed reference line, as :func:`sim.charts.neurons.effective_neurons`.

    Returns None for a result without conv layers.
    """
    if metric not in FILTER_METRIC_LABELS:
        raise ValueError(f"Unknown metric {metric!r}. Valid names: "
                         f"{', '.join(FILTER_METRIC_LABELS)}.")
    if not has_conv(result.config) or result.history.conv_metrics is None:
        return None
    h = result.history
    widths = [f for f, _ in result.config.conv]
    x = h.snapshot_epochs
    runs = result.run_indices(init_index)
    fig = go.Figure()
    shades = layer_shades(init_index, len(widths))
    for l, c in enumerate(shades):
        _add_curve(fig, x, h.conv_metrics[metric][runs][:, :, l], name=f"conv layer {l + 1}",
                   color=c, band=band)
    for w in sorted(set(widths)):
        fig.add_hline(y=w, line={"color": "#666", "dash": "dash", "width": 1.5},
                      annotation_text=f"{w} filters", annotation_position="top left",
                      annotation_font={"size": 12, "color": "#444"})
    top = max(widths) * 1.12 + 0.5
    yaxis = {"title": FILTER_METRIC_LABELS[metric], "range": [-0.3, top]}
    if metric != "effective_rank":
        yaxis |= {"tick0": 0, "dtick": max(1, math.ceil(top / 8))}
    fig.update_layout(xaxis={"title": "epoch", "range": [0, int(x[-1])]}, yaxis=yaxis)
    name = FILTER_METRIC_LABELS[metric].split(" (")[0]
    return _style(fig, _init_title(result, f"{name[0].upper() + name[1:]} per conv layer",
                                   init_index), subtitle=_n_seeds_text(result))


# ------------------------------------------------------------------------------------------
# Sample images
# ------------------------------------------------------------------------------------------

#: Images per class in :func:`sample_images`.
SAMPLES_PER_CLASS = 4


def sample_images(result: Result, *, per_class: int = SAMPLES_PER_CLASS) -> go.Figure | None:
    """A few training images of each class, one column per class headed by its name (the
    first ``per_class`` of each class in the training set). None for point data."""
    if not has_images(result.config):
        return None
    C, H, W = result.data.image_shape
    X = result.data.X_train.reshape(-1, C, H, W).mean(axis=1)
    y = np.asarray(result.data.y_train).ravel().astype(int)
    names = class_names(result)
    n_classes = len(names)
    gap = max(1, H // 6)
    tiles = np.full((per_class * n_classes, H, W), np.nan)
    for c in range(n_classes):
        idx = np.flatnonzero(y == c)[:per_class]
        for r, i in enumerate(idx):
            tiles[r * n_classes + c] = X[i]
    z = mosaic(tiles, n_classes, gap, 0)
    lo, hi = np.nanpercentile(z, [1, 99]) if np.isfinite(z).any() else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1
    width = n_classes * W + (n_classes - 1) * gap
    lr = _label_rows(REF_WIDTH / width)
    z = np.vstack([np.full((lr, z.shape[1]), np.nan), z])
    shape = z.shape
    px = _cell_px(shape[1], shape[0]) * shape[0]
    layout: dict = {"plot_bgcolor": "#ffffff"}
    _axes(layout, 1, [0, 1], shape)
    centres = [(c * (W + gap) + (W - 1) / 2, lr / 2 - 0.5) for c in range(n_classes)]
    layout["annotations"] = _tile_labels(names, centres, 1, size=13)
    fig = go.Figure(data=[go.Heatmap(z=z, colorscale=IMAGE_COLORSCALE, zmin=float(lo),
                                     zmax=float(hi), showscale=False, hoverongaps=False,
                                     hovertemplate="pixel %{z:.3g}<extra></extra>")],
                    layout=layout)
    noise = result.config.noise
    if noise is None:
        noise = DATASETS[result.config.dataset].default_noise
    sub = f"{H}×{W} pixels, {C} channel{'s' if C > 1 else ''}, noise {noise:g}"
    # _style's plot area is its height minus 130 px (title, subtitle, x axis): the mosaic's.
    _style(fig, f"Sample images: {result.config.dataset}, {per_class} per class",
           subtitle=sub, legend=False, height=round(px) + 130)
    fig.update_layout(margin={"l": 24, "b": 24})
    fig.layout.height -= 40
    return fig
