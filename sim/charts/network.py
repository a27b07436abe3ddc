"""The network drawn: input, hidden and output units in columns, the weights as edges.

TensorFlow Playground's picture of a network, made to show the lesson: units that have the
same incoming weights and bias (equal rows of ``[W | b]``, the test of
:func:`sim.explain.reading.distinct_rows`) compute the same function, so they are drawn as
ONE node ("8 units act as 1"); after a random start every unit is a node of its own.

How it is drawn
---------------
* Columns: the inputs, the hidden layers, the output. A deep network shows its first, last
  and one hidden layer between (:func:`sim.explain.reading.shown_layers`), a "…" column
  standing for the layers left out; edges join only columns that are adjacent in the network.
* Nodes: a group of identical units is one larger node marked "×8"; dead units (output 0 on
  every training input, the engine's definition) are grey. A convnet's first column is its
  flattened, pooled conv output ("288 conv features"), evenly spaced features of it drawn.
  At most :data:`MAX_NODES` nodes a column: beyond, the groups of several units and evenly
  spaced single units are drawn and "+n" under the column counts the units left out.
* Edges: red for a positive weight, blue for a negative one (the ends of the heatmaps'
  diverging scale), thicker for a larger ``|w|`` on one scale for both initializations and
  every epoch (so the left and right charts compare, and growth shows while playing); a
  weight that is exactly 0 is a grey hairline. An edge between groups carries the mean of
  the connections it stands for (they are all equal when the groups are exact copies).
* Text is placed so that no two labels overlap on a plot area
  :data:`MIN_PLOT_WIDTH` pixels wide (one of two charts side by side at 1280 px); wider
  plots only move the columns apart. A label that would collide is left out (its words
  stay in the hover).

Drawing with ``frames=True`` adds one plotly frame per animated snapshot
(:func:`sim.charts.motion.frame_indices`); every frame's traces are computed directly from the
arrays, not by building a figure per snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from sim.charts import motion
from sim.charts.style import HEIGHT, _init_title, _mix, _note, _style, init_color
from sim.explain.reading import (
    dead_unit_masks,
    shown_layers,
    snapshot_index,
    unit_groups,
    unit_params,
)
from sim.metrics import DISTINCT_RTOL
from sim.train import Result

#: At most this many nodes in one column.
MAX_NODES = 16
#: At most this many hidden layers drawn (first, last and evenly between).
MAX_HIDDEN_COLUMNS = 3
#: Text is laid out for a plot area this many pixels wide (the narrowest the page shows).
MIN_PLOT_WIDTH = 300
#: Estimated pixels per character and per line of 12 px text (for the layout of labels).
CHAR_PX, LINE_PX = 7.0, 16.0
#: Edge colours: the ends of the heatmaps' diverging scale (RdBu reversed).
POSITIVE, NEGATIVE, ZERO_EDGE = "#B2182B", "#2166AC", "#C8C8C8"
DEAD = "#BDBDBD"
#: Thinnest and thickest edge, in pixels.
EDGE_PX = (0.8, 7.0)
GROUP_PX = 26  # largest diameter of a group node
HEADER_GAP = 4  # pixels between a column's header and its top node

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class _Column:
    """A column of the picture: node layer ``layer`` (0 = input, L = output) at ``x``, or a
    gap standing for left-out layers (``layer`` None)."""

    x: float
    layer: int | None
    header: str
    short: str


@dataclass
class _Node:
    """One drawn node: the units it stands for in its layer (0-based)."""

    col: int
    units: np.ndarray
    dead: bool
    x: float = 0.0
    y: float = 0.0
    size: float = 0.0


def _columns(L: int, inputs: str = "input") -> list[_Column]:
    """The columns of a network with ``L`` weight layers, full columns one unit apart and a
    gap column (half as wide) wherever layers are left out; ``inputs`` heads the first
    column (a convnet's is its conv output, e.g. "288 conv features")."""
    hidden = [1 + i for i in shown_layers(L - 1, MAX_HIDDEN_COLUMNS)] if L > 1 else []
    cols: list[_Column] = []
    x, prev = 0.0, None
    for n in [0, *hidden, L]:
        if prev is not None and n - prev > 1:
            cols.append(_Column(x + 0.75, None, "…", "…"))
            x += 1.5
        elif prev is not None:
            x += 1.0
        long = inputs if n == 0 else "output" if n == L else f"layer {n}"
        short = ("in" if inputs == "input" else "conv") if n == 0 else "out" if n == L else f"h{n}"
        cols.append(_Column(x, n, long, short))
        prev = n
    return cols


def _units_text(units: np.ndarray) -> str:
    """``units 1–8`` / ``units 1, 3, 5`` / ``unit 4`` (1-based) for a hover."""
    u = [int(v) + 1 for v in units]
    if len(u) == 1:
        return f"unit {u[0]}"
    if u == list(range(u[0], u[-1] + 1)):
        return f"units {u[0]}–{u[-1]}"
    shown = ", ".join(map(str, u[:6]))
    return f"units {shown}" + (f", … ({len(u)} units)" if len(u) > 6 else "")


def representatives(labels: np.ndarray, dead: np.ndarray
                    ) -> tuple[list[np.ndarray], list[bool], int]:
    """The units a chart draws of one layer: the members of each group of identical units,
    at most :data:`MAX_NODES` groups (those of several units first, largest first, then
    single units evenly spaced over the layer, so the first and last are among them), in
    unit order.

    Parameters
    ----------
    labels : ndarray of int, shape (n_units,)
        Group per unit (:func:`sim.explain.reading.unit_groups`).
    dead : ndarray of bool, shape (n_units,)

    Returns
    -------
    members : list of ndarray of int
        The units (0-based) of each drawn group.
    dead : list of bool
        Whether every unit of the group is dead.
    left_out : int
        How many units are not drawn.
    """
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    members = np.split(order, bounds)
    if len(members) > MAX_NODES:
        multi = sorted((m for m in members if m.size > 1), key=lambda m: -m.size)[:MAX_NODES]
        singles = [m for m in members if m.size == 1]
        room = MAX_NODES - len(multi)
        keep = sorted({int(round(i)) for i in np.linspace(0, len(singles) - 1, room)}) \
            if room > 0 and singles else []
        members = multi + [singles[i] for i in keep]
    members.sort(key=lambda m: int(m[0]))
    left_out = labels.size - sum(m.size for m in members)
    return members, [bool(dead[m].all()) for m in members], left_out


def _box(x: float, y: float, text: str, pos: str, size: float) -> tuple[float, float, float,
                                                                           float]:
    """Estimated pixel box (left, top, right, bottom) of ``text`` drawn at pixel ``(x, y)``
    with textposition ``pos`` next to a marker ``size`` pixels wide (y grows downwards)."""
    lines = text.split("<br>")
    w = CHAR_PX * max(len(s) for s in lines)
    h = LINE_PX * len(lines)
    gap = size / 2 + 2
    vert, horiz = pos.split()
    if horiz == "left":
        left = x - gap - w
    elif horiz == "right":
        left = x + gap
    else:
        left = x - w / 2
    if vert == "top":
        top = y - gap - h
    elif vert == "bottom":
        top = y + gap
    else:
        top = y - h / 2
    return left, top, left + w, top + h


def _overlaps(a: tuple, b: tuple, pad: float = 1.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


@dataclass
class _Geometry:
    """Data ranges of the picture and the pixel scale of :data:`MIN_PLOT_WIDTH`."""

    xlo: float
    xhi: float
    ylo: float
    yhi: float
    height_px: float
    #: Pixels left of the plot area that text may use (the figure's left margin).
    margin_px: float = 70.0

    def px(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.xlo) / (self.xhi - self.xlo) * MIN_PLOT_WIDTH,
                (self.yhi - y) / (self.yhi - self.ylo) * self.height_px)

    @property
    def per_y(self) -> float:
        """Pixels per unit of y."""
        return self.height_px / (self.yhi - self.ylo)


class _Drawer:
    """Computes the traces of one run at any snapshot (the still figure's and every
    frame's) from the stored arrays."""

    def __init__(self, result: Result, run: int, ks: list[int]) -> None:
        self.result, self.run = result, run
        h = result.history
        self.L = L = len(h.weights)
        # A convnet's first dense layer reads the flattened, pooled conv output, not pixels.
        self.conv = bool(result.config.conv)
        self.cols = _columns(L, f"{result.config.layer_sizes[0]} conv features"
                             if self.conv else "input")
        self.full = [c for c in self.cols if c.layer is not None]
        # Weight layers joining two adjacent drawn columns: their edges are drawn.
        self.edge_layers = [c.layer - 1 for a, c in zip(self.full, self.full[1:], strict=False)
                            if c.layer - a.layer == 1]
        self.dead = dict(zip(ks, zip(*dead_unit_masks(result, run, ks), strict=True),
                             strict=True)) if L > 1 else {}
        # One width scale for both initializations and every epoch.
        m = 0.0
        for l in self.edge_layers:
            w = np.abs(h.weights[l])
            w = w[np.isfinite(w)]
            if w.size:
                m = max(m, float(w.max()))
        self.wmax = m if m > 0 else 1.0
        self.inputs = result.config.layer_sizes[0]
        self._groups: dict[tuple[int, int], np.ndarray] = {}
        self._nodes: dict[int, tuple[list[_Node], dict[int, int]]] = {}

    # ------------------------------------------------------------------ nodes
    def groups(self, layer: int, k: int) -> np.ndarray:
        """Group labels of the units of node layer ``layer`` (>= 1) at snapshot ``k``."""
        key = (layer, k)
        if key not in self._groups:
            self._groups[key] = unit_groups(unit_params(self.result, layer - 1, self.run, k))
        return self._groups[key]

    def nodes(self, k: int) -> tuple[list[_Node], dict[int, int]]:
        """Drawn nodes at snapshot ``k`` and the units left out per column index."""
        if k in self._nodes:
            return self._nodes[k]
        nodes, left = [], {}
        for ci, col in enumerate(self.cols):
            if col.layer is None:
                continue
            if col.layer == 0 and self.conv:  # hundreds of conv features: evenly spaced
                members, deads, out = representatives(np.arange(self.inputs),
                                                      np.zeros(self.inputs, bool))
            elif col.layer == 0:
                members = [np.array([i]) for i in range(self.inputs)]
                deads, out = [False] * self.inputs, 0
            else:
                labels = self.groups(col.layer, k)
                dead = (self.dead[k][col.layer - 1] if col.layer < self.L
                        else np.zeros(labels.size, bool))
                members, deads, out = representatives(labels, dead)
            left[ci] = out
            nodes += [_Node(ci, m, d) for m, d in zip(members, deads, strict=True)]
        self._nodes[k] = nodes, left
        return nodes, left

    def facts(self, k: int) -> list[tuple[int, int, int, int, bool]]:
        """Per drawn hidden layer at snapshot ``k``: its number (1 = first), units, distinct
        live units (groups with a live member, as the engine counts), dead units, whether
        the weights are finite."""
        out = []
        for col in self.full:
            if col.layer in (0, self.L):
                continue
            labels = self.groups(col.layer, k)
            dead = self.dead[k][col.layer - 1]
            finite = bool(np.isfinite(self.result.history.weights[col.layer - 1][self.run, k]
                                      ).all())
            out.append((col.layer, labels.size, len(set(labels[~dead].tolist())),
                        int(dead.sum()), finite))
        return out

    def place(self, nodes: list[_Node], geo: _Geometry) -> None:
        """Node positions (columns centred on y = 0.5) and sizes in pixels."""
        per_col: dict[int, list[_Node]] = {}
        for n in nodes:
            per_col.setdefault(n.col, []).append(n)
        most = max(len(v) for v in per_col.values())
        step = min(1.0 / (most - 1), 0.28) if most > 1 else 0.28
        step_px = step * geo.per_y
        single = float(np.clip(0.7 * step_px, 6, 16))
        group = float(np.clip(0.92 * step_px, single, GROUP_PX))
        for ci, col_nodes in per_col.items():
            n = len(col_nodes)
            # A short column spreads out (up to 0.28 apart): room for its labels.
            gap = min(1.0 / (n - 1), 0.28) if n > 1 else 0.0
            for i, node in enumerate(col_nodes):
                node.x = self.cols[ci].x
                node.y = 0.5 + ((n - 1) / 2 - i) * gap
                node.size = group if node.units.size > 1 else single

    # ------------------------------------------------------------------ traces
    def traces(self, k: int, geo: _Geometry) -> list[dict]:
        """The six traces at snapshot ``k``: zero edges, positive and negative edges, edge
        hover points, nodes, labels."""
        nodes, left = self.nodes(k)
        self.place(nodes, geo)
        return [*self._edges(k, nodes, geo), self._node_trace(k, nodes),
                self._labels(nodes, left, geo)]

    def _edges(self, k: int, nodes: list[_Node], geo: _Geometry) -> list[dict]:
        h = self.result.history
        by_col: dict[int, list[_Node]] = {}
        for n in nodes:
            by_col.setdefault(n.col, []).append(n)
        rows = []  # (x0, y0, x1, y1, w, connections, equal, hover)
        for l in self.edge_layers:
            ci = next(i for i, c in enumerate(self.cols) if c.layer == l + 1)
            src, dst = by_col[ci - 1], by_col[ci]
            W = h.weights[l][self.run, k].astype(np.float64)
            # Mean weight between every pair of drawn nodes: averaging matrices per side.
            Ad = np.zeros((len(dst), W.shape[0]))
            As = np.zeros((len(src), W.shape[1]))
            for i, n in enumerate(dst):
                Ad[i, n.units] = 1.0 / n.units.size
            for j, n in enumerate(src):
                As[j, n.units] = 1.0 / n.units.size
            with np.errstate(all="ignore"):
                M = Ad @ W @ As.T
            tol = DISTINCT_RTOL * float(np.nanmax(np.abs(W))) if W.size else 0.0
            for i, d in enumerate(dst):
                for j, s in enumerate(src):
                    w = float(M[i, j])
                    conns = d.units.size * s.units.size
                    equal = True
                    if conns > 1:
                        block = W[np.ix_(d.units, s.units)]
                        equal = bool(np.ptp(block) <= tol)
                    rows.append((s.x, s.y, d.x, d.y, w, conns, equal,
                                 self._edge_hover(l, s, d, conns, equal)))
        empty = {"type": "scatter", "x": np.array([], np.float32),
                 "y": np.array([], np.float32)}
        if not rows:
            return [dict(empty), dict(empty), dict(empty),
                    {**empty, "customdata": np.zeros((0, 2)), "text": np.array([], str)}]
        x0, y0, x1, y1, w, conns, _, hover = (np.array(v) for v in zip(*rows, strict=True))
        w = w.astype(np.float64)
        nan = np.full_like(x0, np.nan)
        out = []
        zero = w == 0
        out.append({"type": "scatter",
                    "x": np.column_stack([x0, x1, nan])[zero].ravel().astype(np.float32),
                    "y": np.column_stack([y0, y1, nan])[zero].ravel().astype(np.float32)})
        with np.errstate(invalid="ignore"):
            level = np.sqrt(np.clip(np.abs(w) / self.wmax, 0, 1))
        half = (EDGE_PX[0] + (EDGE_PX[1] - EDGE_PX[0]) * level) / 2 / geo.per_y
        for sign in (w > 0, w < 0):
            xs = np.column_stack([x0, x1, x1, x0, x0, nan])[sign]
            ys = np.column_stack([y0 - half, y1 - half, y1 + half, y0 + half, y0 - half,
                                  nan])[sign]
            out.append({"type": "scatter", "x": xs.ravel().astype(np.float32),
                        "y": ys.ravel().astype(np.float32)})
        finite = np.isfinite(w)
        out.append({"type": "scatter", "x": ((x0 + x1) / 2)[finite].astype(np.float32),
                    "y": ((y0 + y1) / 2)[finite].astype(np.float32),
                    "customdata": np.column_stack([w, conns])[finite],
                    "text": hover[finite]})
        return out

    def _name(self, layer: int, node: _Node) -> str:
        if layer == 0:
            if self.conv:
                return f"conv feature {int(node.units[0]) + 1}"
            return "x" + str(int(node.units[0]) + 1).translate(_SUB)
        kind = "output" if layer == self.L else f"layer {layer}"
        return f"{kind} {_units_text(node.units)}"

    def _edge_hover(self, l: int, s: _Node, d: _Node, conns: int, equal: bool) -> str:
        """The words of an edge's hover (the weight itself comes from ``customdata``, so
        that the words, which rarely change, need not travel in every frame)."""
        text = f"{self._name(l, s)} → {self._name(l + 1, d)}"
        if conns > 1:
            text += f"<br>{conns} connections, " + ("each" if equal else "mean")
        return text

    def _node_trace(self, k: int, nodes: list[_Node]) -> dict:
        h = self.result.history
        color = init_color(self.result.runs[self.run][0])
        x, y, size, fill, line, text, hover, data, template = ([] for _ in range(9))
        for node in nodes:
            layer = self.cols[node.col].layer
            n = node.units.size
            x.append(node.x)
            y.append(node.y)
            size.append(node.size)
            label = f"×{n}" if n > 1 else ""
            text.append(label if CHAR_PX * len(label) <= node.size + 2 else "")
            if layer == 0:
                data.append([0, int(node.units[0]) + 1, 1, 0, np.nan])
                fill.append("#F2F2F2")
                line.append("#555555")
                hover.append(f"input {self._name(0, node)}")
                template.append("%{hovertext}<extra></extra>")
                continue
            b = float(h.biases[layer - 1][self.run, k][node.units[0]])
            data.append([layer, int(node.units[0]) + 1, n, int(node.dead), b])
            template.append("%{hovertext}<br>bias b = %{customdata[4]:.4g}<extra></extra>")
            parts = [self._name(layer, node)]
            if n > 1:
                parts.append(f"{n} units act as 1: identical incoming weights and bias")
            if node.dead:
                parts.append("dead: output 0 on every training input")
            hover.append("<br>".join(parts))
            if node.dead:
                fill.append(DEAD)
                line.append("#8C8C8C")
            elif n > 1:
                fill.append(color)
                line.append(_mix(color, "#000000", 0.35))
            else:
                fill.append("#FFFFFF")
                line.append(color)
        trace = {"type": "scatter", "x": np.array(x, np.float32), "y": np.array(y, np.float32),
                 "marker": {"size": np.array(size, np.float32), "color": np.array(fill),
                            "line": {"color": np.array(line), "width": 1.5}},
                 "text": np.array(text), "hovertext": np.array(hover),
                 "hovertemplate": np.array(template), "customdata": np.array(data)}
        return trace

    def _labels(self, nodes: list[_Node], left: dict[int, int], geo: _Geometry) -> dict:
        """Column headers, input names, "+n" under summarised columns and "8 units act as
        1" under group nodes, each kept only where it overlaps no other text or node."""
        items = []  # (x, y, text, position, marker size)
        placed = []  # pixel boxes of everything placed so far
        top = geo.yhi - 1e-6 * (geo.yhi - geo.ylo)  # inside the range, or plotly drops it
        headers = [(c.x, c.header, c.short) for c in self.cols if c.layer is not None]
        boxes = [_box(*geo.px(x, top), t, "bottom center", 1) for x, t, _ in headers]
        long_ok = not any(_overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        for x, t, s in headers:
            text = t if long_ok else s
            items.append((x, top, text, "bottom center", 1.0))
            placed.append(_box(*geo.px(x, top), text, "bottom center", 1))
        for n in nodes:
            px, py = geo.px(n.x, n.y)
            placed.append((px - n.size / 2, py - n.size / 2, px + n.size / 2, py + n.size / 2))
        for n in nodes:  # input names, left of their nodes, where they fit
            if self.cols[n.col].layer == 0:
                name = self._name(0, n)
                b = _box(*geo.px(n.x, n.y), name, "middle left", n.size)
                if b[0] >= -geo.margin_px and not any(_overlaps(b, p) for p in placed):
                    items.append((n.x, n.y, name, "middle left", n.size))
                    placed.append(b)
        lowest: dict[int, _Node] = {}
        for n in nodes:
            if n.col not in lowest or n.y < lowest[n.col].y:
                lowest[n.col] = n
        for ci, out in left.items():
            if out:
                n = lowest[ci]
                text = f"+{out}"
                items.append((n.x, n.y, text, "bottom center", n.size))
                placed.append(_box(*geo.px(n.x, n.y), text, "bottom center", n.size))
        for c in self.cols:
            if c.layer is None:
                items.append((c.x, 0.5, "…", "middle center", 1.0))
                placed.append(_box(*geo.px(c.x, 0.5), "…", "middle center", 1))
        for n in nodes:
            if n.units.size < 2:
                continue
            text = f"{n.units.size} units<br>act as 1"
            if n.dead:
                text = f"{n.units.size} units<br>all dead"
            b = _box(*geo.px(n.x, n.y), text, "bottom center", n.size)
            if b[3] <= geo.height_px and not any(_overlaps(b, p) for p in placed):
                items.append((n.x, n.y, text, "bottom center", n.size))
                placed.append(b)
        x, y, text, pos, size = zip(*items, strict=True)
        return {"type": "scatter", "x": np.array(x), "y": np.array(y),
                "text": np.array(text), "textposition": np.array(pos),
                "marker": {"size": np.array(size, np.float32)}}


def _headline(layers: list[tuple[int, int, int, int, bool]], every_layer: bool) -> str:
    """The subtitle: what the drawn hidden layers amount to at this snapshot (see
    :meth:`_Drawer.facts`); ``every_layer`` is False when layers are left out, and the
    sentence then names the ones it counts."""
    if not layers:
        return "no hidden layer: the inputs feed the output directly"
    if not all(ok for *_, ok in layers):
        return "the run has diverged: its weights are not finite"
    units = [u for _, u, *_ in layers]
    acts = [g for _, _, g, _, _ in layers]
    dead = sum(d for *_, d, _ in layers)
    which = "hidden layers" if every_layer else "layers " + ", ".join(str(n) for n, *_ in
                                                                      layers)
    if dead == sum(units):
        return (f"all {sum(units)} hidden units are dead" if every_layer
                else f"all {sum(units)} units of {which} are dead")
    dead_text = f"; {dead} dead" if dead else ""
    if len(layers) == 1:
        u, g = units[0], acts[0]
        if dead:  # "act as 1 neuron" would hide that most of them do nothing
            return f"{u} hidden units: {dead} dead, {g} distinct live"
        if g == 1 and u > 1:
            return f"{u} hidden units act as 1 neuron"
        if g == u:
            return f"{u} distinct units"
        return f"{u} hidden units act as {g} neurons"
    if all(g == 1 for g in acts) and max(units) > 1:
        return f"{which}: each acts as 1 neuron{dead_text}"
    if all(g == u for g, u in zip(acts, units, strict=True)):
        return f"{which}: every unit distinct{dead_text}"
    return f"{which} act as {', '.join(map(str, acts))} neurons{dead_text}"


def network_diagram(result: Result, init_index: int, *, snapshot: int = -1, seed: int = 0,
                    frames: bool = False) -> go.Figure:
    """The network of one run at one stored snapshot: units as nodes, weights as edges.

    Units with identical incoming weights and bias are one node ("8 units act as 1"): they
    compute the same function on every input, so the layer is worth one neuron, which is
    what a zero (or constant) initialization leaves. Dead units are grey. Edges are red
    (``w > 0``) or blue (``w < 0``), thicker for larger ``|w|``; hover a node or the middle
    of an edge for its numbers. See the module docstring for the rules of the drawing.

    Dead units follow the engine's metric (:func:`sim.metrics.dead_units`): output exactly
    0 on every training input. The history stores only how many, so the outputs are
    recomputed from the stored parameters (:func:`sim.explain.reading.dead_unit_masks`).

    Parameters
    ----------
    result : Result
    init_index : int
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative counts from the end).
    seed : int
        Which seed's run to show.
    frames : bool
        Carry the other snapshots as plotly frames, with an epoch slider and play / pause
        (:func:`sim.charts.motion.animate`).

    Returns
    -------
    Figure
        Six traces: edges of weight 0, positive edges, negative edges, the edges' hover
        points (``customdata`` = ``[w, connections]``), the nodes (``customdata`` =
        ``[layer, first unit (1-based), units, dead, bias]``, layer 0 = input) and the
        labels.
    """
    h = result.history
    k = snapshot_index(result, snapshot)
    run = result.run_indices(init_index)[min(seed, result.config.seeds - 1)]
    ks = motion.frame_indices(h.snapshot_epochs.size, k) if frames else [k]
    drawer = _Drawer(result, run, ks)

    def title(kk: int) -> str:
        return _init_title(result, f"Network after {int(h.snapshot_epochs[kk])} epochs",
                           init_index)

    every = all(c.layer is not None for c in drawer.cols)
    # Notes and margins first: the labels are laid out in the plot's pixel geometry.
    fig = go.Figure()
    dead = any(d.any() for masks in drawer.dead.values() for d in masks)
    _note(fig, "red w>0 · blue w<0 · wider: larger |w|" + (" · grey: dead" if dead
                                                                 else ""))
    notes = []
    if any(c.layer is None for c in drawer.cols):
        notes.append("…: layers left out")
    if any(sum(drawer.nodes(kk)[1].values()) for kk in ks):
        notes.append(f"+n: units not drawn (≤ {MAX_NODES} nodes)")
    if notes:
        _note(fig, " · ".join(notes))
    # The column headers are drawn above the top node, at the plot area's top edge:
    # extra_top keeps them off a subtitle under a title of two lines.
    fig = _style(fig, title(k), subtitle=_headline(drawer.facts(k), every), legend=False,
                 height=HEIGHT + 40, extra_top=int(LINE_PX + HEADER_GAP))
    height_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    xlo, xhi = -0.55, drawer.cols[-1].x + 0.45
    top_px = LINE_PX + HEADER_GAP + GROUP_PX / 2 + 2
    bottom_px = GROUP_PX / 2 + 4 + 2 * LINE_PX
    inner = height_px - top_px - bottom_px
    geo = _Geometry(xlo, xhi, -bottom_px / inner, 1 + top_px / inner, height_px)

    traces = drawer.traces(k, geo)
    common = {"hoverinfo": "skip", "showlegend": False, "mode": "lines"}
    fig.add_trace(go.Scatter(**traces[0], **common, name="w = 0",
                             line={"color": ZERO_EDGE, "width": 0.8}))
    for tr, c, name in ((traces[1], POSITIVE, "w > 0"), (traces[2], NEGATIVE, "w < 0")):
        fig.add_trace(go.Scatter(**tr, **common, name=name, fill="toself", fillcolor=c,
                                 line={"color": c, "width": 0}, opacity=0.75))
    fig.add_trace(go.Scatter(
        **traces[3], mode="markers", name="edges", showlegend=False,
        marker={"size": 10, "opacity": 0},
        hovertemplate="%{text}<br>w = %{customdata[0]:.4g}<extra></extra>"))
    fig.add_trace(go.Scatter(
        **traces[4], mode="markers+text", name="nodes", showlegend=False,
        textposition="middle center", textfont={"size": 11, "color": "white"}))
    fig.add_trace(go.Scatter(
        **traces[5], mode="markers+text", name="labels", showlegend=False, hoverinfo="skip",
        cliponaxis=False, textfont={"size": 12, "color": "#333"}))
    fig.update_traces(marker_opacity=0, selector={"name": "labels"})
    hidden_axis = {"visible": False, "fixedrange": True}
    fig.update_layout(xaxis={**hidden_axis, "range": [xlo, xhi]},
                      yaxis={**hidden_axis, "range": [geo.ylo, geo.yhi]})
    if frames:
        base_title = fig.layout.title.to_plotly_json()
        per_frame = varying({kk: traces if kk == k else drawer.traces(kk, geo) for kk in ks})

        def frame(kk: int) -> tuple[list, dict]:
            return per_frame[kk], {"title": {
                **base_title, "text": f"<b>{title(kk)}</b>",
                "subtitle": {**base_title["subtitle"], "text": _headline(drawer.facts(kk), every)}}}

        motion.animate(fig, ks, k, h.snapshot_epochs, frame)
    return fig


def _same(a: object, b: object) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[n], b[n])
                                                                    for n in a)
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype.kind == b.dtype.kind
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    return a == b


def _keep(traces: list[dict], others: list[list[dict]]) -> list[dict]:
    """``traces`` without the properties that are the same in every one of ``others``."""
    out = []
    for i, tr in enumerate(traces):
        kept: dict = {}
        for name, value in tr.items():
            rest = [o[i].get(name) for o in others]
            if name == "type":
                kept[name] = value
            elif isinstance(value, dict):
                sub = _keep([value], [[r] for r in rest])[0]
                if sub:
                    kept[name] = sub
            elif not all(_same(value, r) for r in rest):
                kept[name] = value
        out.append(kept)
    return out


def varying(frames: dict[int, list[dict]]) -> dict[int, list[dict]]:
    """Each frame's traces reduced to the properties that change between frames.

    A property equal in every frame is already in the figure (drawn at one of them), so it
    need not travel 51 times: plotly merges a frame into the traces. Validating and sending
    the frames is most of the cost of an animated chart, so this makes it several times
    cheaper (the lesson's network: the nodes and labels never move)."""
    first = next(iter(frames.values()))
    spec = _keep(first, list(frames.values()))  # what varies, from the first frame's view
    return {k: [_select(tr, sp) for tr, sp in zip(trs, spec, strict=True)]
            for k, trs in frames.items()}


def _select(trace: dict, spec: dict) -> dict:
    return {name: (_select(trace[name], sub) if isinstance(sub, dict) else trace[name])
            for name, sub in spec.items()}
