"""The "Why?" derivation, written with the numbers of one run: a Result in, blocks of text out.

:func:`derivation` follows the classic argument (forward pass, equal hidden values, equal
gradients, equal updates, by induction for ever; why tanh/ReLU with zeros is worse; why
random values break the symmetry) and chooses every sentence from what the run did: whether
a side starts with identical units, whether its hidden outputs are 0 (an activation with
f(0) = 0 and zero biases), whether the units stayed identical at every stored snapshot, and
what broke the symmetry when it broke. A network with conv layers gets
:func:`filters_derivation` instead: the same argument for its filters (equal kernels, equal
maps, equal gradients, equal updates), then what this run's filters did. The dashboard
shows the blocks in order (:class:`Block`: a kind of Streamlit element and its text);
nothing here imports Streamlit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from sim.activations import ACTIVATIONS
from sim.explain.reading import dead_filter_masks, distinct_rows, filter_params, row_groups
from sim.fields import layers_text
from sim.network import forward, loss_and_gradients
from sim.optimizers import OPTIMIZERS
from sim.train import Result

#: Rows equal to another row are drawn in this colour in the matrices.
EQUAL_ROW_COLOR = "#D55E00"


@dataclass(frozen=True)
class Block:
    """One piece of the explanation.

    Attributes
    ----------
    kind : {"subheader", "markdown", "latex", "info", "caption"}
        How it is shown (the Streamlit element of the same name); markdown may hold
        ``$...$`` maths.
    text : str
    """

    kind: str
    text: str


def num(v: float, digits: int = 4) -> str:
    """A number for LaTeX: ``digits`` significant digits, powers of ten written out below
    1e-3 and from 1e4 on."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return r"\text{" + str(v) + "}"
    if 1e-3 <= abs(v) < 1e4:  # .4g writes 12345 as 1.234e+04: from 1e4 on, powers of ten
        return f"{v:.{digits}g}"
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return rf"{float(mantissa):.{digits}g}\cdot 10^{{{int(exponent)}}}"


def _fixed(v: float, decimals: int) -> str:
    """``v`` with ``decimals`` decimals; exact zeros as "0", no "-0.00"."""
    if v == 0 or not math.isfinite(v):
        return num(v)
    text = f"{v:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def latex_matrix(M: np.ndarray, max_rows: int = 8, max_cols: int = 4,
                 color: str = EQUAL_ROW_COLOR, digits: int = 3) -> str:
    """A ``bmatrix`` of ``M`` small enough for the page: a common power of ten in front when
    the largest entry is below 0.01 or from 1e4 on, then every entry with the same number of
    decimals, those that give the largest entry ``digits`` significant digits (so the columns
    stay narrow and entries far below the largest read as 0.00); rows equal to another row
    (within the tolerance of :func:`distinct_rows`) coloured, and dots beyond ``max_rows`` x
    ``max_cols``."""
    M = np.atleast_2d(np.asarray(M, dtype=np.float64))
    repeated = np.zeros(M.shape[0], dtype=bool)
    for group in row_groups(M):
        repeated[group] = len(group) > 1
    prefix = ""
    finite = M[np.isfinite(M)]
    top = float(np.abs(finite).max()) if finite.size else 0.0
    if top > 0 and not (1e-2 <= top < 1e4):
        e = int(math.floor(math.log10(top)))
        prefix, M, top = rf"10^{{{e}}}\cdot", M / 10.0**e, top / 10.0**e
    decimals = max(0, digits - 1 - int(math.floor(math.log10(top)))) if top > 0 else 0
    rows = []
    r_show = list(range(min(M.shape[0], max_rows)))
    c_show = list(range(min(M.shape[1], max_cols)))
    for r in r_show:
        cells = [_fixed(M[r, c], decimals) for c in c_show]
        if M.shape[1] > max_cols:
            cells.append(r"\cdots")
        if repeated[r]:
            cells = [rf"\textcolor{{{color}}}{{{c}}}" for c in cells]
        rows.append(" & ".join(cells))
    if M.shape[0] > max_rows:
        rows.append(" & ".join([r"\vdots"] * (len(c_show) + (M.shape[1] > max_cols))))
    return prefix + r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


#: Width of the page column for a LaTeX block, in em of the displayed formula: about 820 px
#: at 1280 px with the sidebar open, where Streamlit's st.latex draws KaTeX at about 19.4 px
#: per em, i.e. 42 em; the estimate below runs up to 10 % short of what Chromium draws
#: (formulas it put at 39 em overflowed by 39 px), so blocks stop at 36.
LATEX_WIDTH_EM = 36.0
_EM_PER_CHAR = 0.6  # a generous average glyph width (digits are 0.5 em, a minus 0.78 em)


def _visible(tex: str) -> str:
    """The characters a formula shows, roughly: commands become a glyph or nothing."""
    tex = re.sub(r"\\textcolor\{[^}]*\}", "", tex)
    tex = re.sub(r"\\text\{([^}]*)\}", r"\1", tex)
    for cmd, glyph in ((r"\qquad", "    "), (r"\quad", "  "), (r"\cdots", "…"),
                       (r"\vdots", "⋮"), (r"\cdot", "·"), (r"\leftarrow", "←")):
        tex = tex.replace(cmd, glyph)
    tex = re.sub(r"\\[a-zA-Z]+\*?|\\.", "x", tex)  # any other command: one glyph at most
    return re.sub(r"[{}^_]", "", tex)


def latex_width(tex: str) -> float:
    """Estimated width in em of a formula made by this module: text at a generous glyph
    width, each ``bmatrix`` as its widest cell per column plus column gaps and brackets."""
    total = 0.0
    for body in re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", tex):
        rows = [row.split("&") for row in body.split(r"\\")]
        n_cols = max(len(r) for r in rows)
        widths = [max(len(_visible(r[c])) if c < len(r) else 0 for r in rows)
                  for c in range(n_cols)]
        total += _EM_PER_CHAR * sum(widths) + 1.0 * (n_cols - 1) + 1.2
    rest = re.sub(r"\\begin\{bmatrix\}.*?\\end\{bmatrix\}", "", tex)
    return total + _EM_PER_CHAR * len(_visible(rest))


def latex_rows(parts: list[str], sep: str = r",\qquad ") -> list[Block]:
    """LaTeX blocks holding ``parts`` in order, as many side by side as fit in
    :data:`LATEX_WIDTH_EM` (a part wider than that gets a block of its own)."""
    blocks: list[str] = []
    for part in parts:
        if blocks and latex_width(blocks[-1] + sep + part) <= LATEX_WIDTH_EM:
            blocks[-1] += sep + part
        else:
            blocks.append(part)
    return [Block("latex", b) for b in blocks]


def rows_sentence(M: np.ndarray, what: str) -> str:
    """``what`` has equal rows or not, computed from ``M``: e.g. "all 8 rows of
    $\\nabla_{W^{(1)}}L$ are equal" or "... has 8 different rows of 8"."""
    d, n = distinct_rows(M), np.shape(M)[0]
    if n == 1:
        return f"{what} has a single row"
    if d == 1:
        return f"{'both' if n == 2 else f'all {n}'} rows of {what} are equal"
    return f"{what} has {d} different rows of {n}"


# --------------------------------------------------------------------------------------------
# What the run did
# --------------------------------------------------------------------------------------------


def symmetric_init(result: Result) -> int | None:
    """Index of the first initialization whose first hidden layer starts with equal rows
    (weights and biases), or None."""
    h = result.history
    for i in range(len(result.config.inits)):
        run = result.run_indices(i)[0]
        P = np.concatenate([h.weights[0][run, 0], h.biases[0][run, 0][:, None]], axis=1)
        if P.shape[0] > 1 and np.unique(P, axis=0).shape[0] == 1:
            return i
    return None


def symmetry_held(result: Result, i: int) -> bool:
    """Whether every run of initialization ``i`` kept identical units in every hidden layer
    at every stored snapshot (symmetry gap exactly 0, at most one distinct neuron)."""
    m = result.history.metrics
    runs = result.run_indices(i)
    gap, distinct = m["symmetry_gap"][runs], m["distinct_neurons"][runs]
    return bool(np.all(gap == 0) and np.all(distinct <= 1))


def zero_weight_init(result: Result) -> int | None:
    """Index of the first initialization whose first hidden layer starts with all-zero
    weights (whatever its biases), or None."""
    h = result.history
    for i in range(len(result.config.inits)):
        if not np.any(h.weights[0][result.run_indices(i)[0], 0]):
            return i
    return None


def dead_init(result: Result) -> int | None:
    """Index of the first initialization whose every hidden unit is dead at the end."""
    dead = result.history.metrics["dead_units"]
    width = np.array(result.config.hidden)
    for i in range(len(result.config.inits)):
        r = result.run_indices(i)[0]
        if np.all(dead[r, -1, :] == width):
            return i
    return None


def break_reasons(result: Result, i: int) -> list[str]:
    """Why the identical units of initialization ``i`` became different in this run."""
    cfg, h = result.config, result.history
    run = result.run_indices(i)[0]
    reasons = []
    if cfg.dropout:
        reasons.append(f"dropout ({cfg.dropout:g}) switches off a different random set of "
                       "units at each step, so the units get different gradients")
    b = h.biases[0][run, 0]
    if b.size > 1 and np.unique(b).size > 1:
        reasons.append("the biases differ, so the units compute different values from the "
                       "start")
    if cfg.dtype == "float32":
        reasons.append("float32 rounding makes tiny differences between the units that "
                       "training then amplifies")
    return reasons or ["the units' updates were not all equal"]


def rank_one_at_end(result: Result, i: int) -> bool:
    """Whether every run of initialization ``i`` ends with a first hidden layer whose
    activations have rank at most 1 (the units compute scaled copies of one function)."""
    rank = result.history.metrics["rank"][result.run_indices(i), -1, 0]
    return bool(np.all(rank <= 1))


def _hidden_at(result: Result, run: int, k: int, X: np.ndarray) -> list[np.ndarray]:
    W, b = result.parameters_at(run, k)
    return forward([w.astype(np.float64) for w in W], [bb.astype(np.float64) for bb in b], X,
                   result.config.activation)


# --------------------------------------------------------------------------------------------
# The derivation
# --------------------------------------------------------------------------------------------


def derivation(result: Result) -> list[Block]:
    """The classic derivation with the numbers of ``result``, as blocks in reading order (for
    a network with conv layers, :func:`filters_derivation`)."""
    if result.config.conv:
        return filters_derivation(result)
    out: list[Block] = [Block("subheader", "Why identical weights stay identical")]
    i = symmetric_init(result)
    zw = zero_weight_init(result)
    if i is not None:
        i_show = i
    elif zw is not None:
        i_show = zw
        out.append(Block("info", f"The **{result.labels[zw]}** side starts with zero weights "
                         "but different biases: each unit computes $z_j = b_j$, a different "
                         "value, so the units differ from the first step and the symmetry "
                         "breaks. The derivation below shows where the argument fails."))
    else:
        i_show = 0
        W0 = result.history.weights[0][result.run_indices(0)[0], 0]
        out.append(Block("info", "Neither initialization of this run starts with identical "
                         f"units: on the **{result.labels[0]}** side, "
                         + rows_sentence(W0, "$W^{(1)}$") + " at epoch 0. The argument is "
                         "written below in symbols, as an *if*; the matrices are this run's "
                         f"numbers for the **{result.labels[0]}** side, and each sentence "
                         "after them says what they show: the premise fails, so the "
                         "conclusion does not follow. Pick *zeros* or *constant* on one side "
                         "to see it hold."))
    held = i is not None and symmetry_held(result, i)
    run = result.run_indices(i_show)[0]
    # The first hidden layer's outputs on the first training point, at epoch 0; all 0 and a
    # first-layer gradient that is 0 at every epoch: the units are dead from the start.
    hval = _hidden_at(result, run, 0, result.data.X_train[:1])[0][0]
    dead_start = bool(not np.any(hval) and _never_reaches(result, i_show))
    out += _forward_pass(result, i_show, hval)
    out += _backward_pass(result, i_show, dead_start)
    out += _update(result, i, i_show, zw, held, dead_start)
    out += _worse_with_zero_output(result, zw, held)
    out += _random_breaks(result, i_show)
    return out


def _forward_pass(result: Result, i_show: int, hval: np.ndarray) -> list[Block]:
    cfg = result.config
    act = ACTIVATIONS[cfg.activation]
    run = result.run_indices(i_show)[0]
    W0, b0 = result.parameters_at(run, 0)
    X = result.data.X_train
    x = X[0]
    n_hidden = cfg.hidden[0]
    out = [Block("markdown",
                 f"Take the **{result.labels[i_show]}** network of this run "
                 f"({layers_text(cfg.layer_sizes)} units, {cfg.activation} hidden units) and "
                 f"its first training point $x = ({', '.join(num(v) for v in x)})$."),
           Block("markdown", "**1. Forward pass.** Every hidden unit $j$ computes "
                 "$z_j = w_j \\cdot x + b_j$ and outputs $h_j = f(z_j)$ with "
                 f"$f(z) = {act.formula}$. With the initial first-layer weights")]
    z = W0[0].astype(np.float64) @ x + b0[0]
    out += latex_rows([r"W^{(1)} = " + latex_matrix(W0[0]),
                       r"b^{(1)} = " + latex_matrix(b0[0][:, None])], sep=r",\quad ")
    out += latex_rows([r"z^{(1)} = W^{(1)}x + b^{(1)} = " + latex_matrix(z[:, None]),
                       r"h^{(1)} = f(z^{(1)}) = " + latex_matrix(hval[:, None])])
    equal_h = np.unique(hval).size == 1
    zero_h = equal_h and not np.any(hval)
    all_units = "Both" if n_hidden == 2 else f"All {n_hidden}"
    if zero_h:
        out.append(Block("markdown", f"{all_units} hidden values are **0**: $f(0) = 0$ for "
                         f"{cfg.activation}, so the first layer sends nothing to the next one."))
    elif equal_h:
        out.append(Block("markdown", f"{all_units} hidden values are **equal**: the units "
                         "cannot be told apart, and the next layer sees the same number "
                         f"{n_hidden} times."))
    else:
        out.append(Block("markdown", "The hidden values differ: each unit already sees the "
                                     "input its own way."))
    return out


def _first_layer_gradients(result: Result, run: int) -> list[tuple[int, np.ndarray]]:
    """``(epoch, dL/dW1)`` on the whole training set at snapshots 0 and 1 (while finite)."""
    cfg, h = result.config, result.history
    X, y = result.data.X_train, result.data.y_train
    grads = []
    for k in (0, 1):
        if k >= h.snapshot_epochs.size:
            break
        Wk, bk = result.parameters_at(run, k)
        if not all(np.isfinite(w).all() for w in Wk):
            break
        _, gW, _ = loss_and_gradients([w.astype(np.float64) for w in Wk],
                                      [b.astype(np.float64) for b in bk], X, y,
                                      cfg.activation, cfg.loss_name, cfg.l2)
        grads.append((int(h.snapshot_epochs[k]), gW[0]))
    return grads


def _never_reaches(result: Result, i: int) -> bool:
    G1 = result.history.grad_norm[result.run_indices(i), :, 0]
    return bool(np.all(G1[np.isfinite(G1)] == 0))


def _backward_pass(result: Result, i_show: int, dead_start: bool) -> list[Block]:
    cfg = result.config
    run = result.run_indices(i_show)[0]
    grads = _first_layer_gradients(result, run)
    out = [Block("markdown", "**2. Backward pass.** Back-propagation gives unit $j$ the error "
                 r"signal $\delta_j = f'(z_j)\sum_k W^{(2)}_{kj}\,\delta^{(2)}_k$ and the "
                 r"gradient $\partial L / \partial W^{(1)}_{ji} = \delta_j\, x_i$. *If* every "
                 "$z_j$ is equal and every unit has the same outgoing weights "
                 "$W^{(2)}_{kj}$, every $\\delta_j$ is equal and so is every row of the "
                 "gradient. The gradient of this run on the whole training set, at the "
                 "parameters after epochs "
                 + " and ".join(str(e) for e, _ in grads) + ":")]
    out += latex_rows([rf"\nabla_{{W^{{(1)}}}}L\big|_{{\text{{epoch }}{e}}} = " + latex_matrix(g)
                       for e, g in grads])
    if grads:
        said = [f"at epoch {e} " + rows_sentence(g, r"$\nabla_{W^{(1)}}L$")
                + (" (all exactly 0)" if not np.any(g) else "") for e, g in grads]
        out.append(Block("markdown", "In this run: " + "; ".join(said) + "."))
    if grads and not np.any(grads[0][1]):
        if dead_start:
            out.append(Block("markdown", "This gradient is exactly **0**, and it stays exactly "
                             f"0 at every step of the {cfg.epochs} epochs: the hidden outputs "
                             r"are 0, so the outgoing weights get the gradient "
                             r"$\delta^{(2)} h^{(1)\top} = 0$ and stay 0, so no error ever "
                             "reaches the first layer."))
        else:
            out.append(Block("markdown", "At epoch 0 this gradient is exactly **0**: the "
                             "outgoing weights $W^{(2)}$ are 0, so no error reaches the first "
                             "layer yet. The output layer moves first."))
    return out


def _update(result: Result, i: int | None, i_show: int, zw: int | None, held: bool,
            dead_start: bool) -> list[Block]:
    cfg, h = result.config, result.history
    run = result.run_indices(i_show)[0]
    upd = (r"**3. Update.** $W^{(1)} \leftarrow W^{(1)} - \eta\,\nabla_{W^{(1)}}L$ "
           f"(here $\\eta = {num(cfg.lr)}$, {OPTIMIZERS[cfg.optimizer].label}): *if* the "
           "rows of $W^{(1)}$ are equal and the rows of the gradient are equal, the updated "
           "rows are equal too.")
    n_snap = int(h.snapshot_epochs.size)
    if held and dead_start:
        upd += (" Here the gradient is 0 at every step, so $W^{(1)}$ never moves from 0: the "
                "units are **dead**, and only the output bias learns.")
    elif held:
        upd += (" The same argument holds at the next step, and the next: by induction the "
                "units stay identical. In this run they did: the symmetry gap is exactly 0 "
                f"at all {n_snap} stored snapshots and every hidden layer has 1 distinct "
                "neuron, so the layer computes what a single neuron would.")
    elif i is not None:
        upd += (" The argument needs every step to treat the units alike. In this run the "
                "symmetry does **not** hold: " + "; ".join(break_reasons(result, i)) + ".")
    elif zw is not None:
        upd += (" Here the rows start different (" + "; ".join(break_reasons(result, zw))
                + "), so the updates differ and the symmetry does **not** hold.")
        act = ACTIVATIONS[cfg.activation]
        if act.homogeneous and rank_one_at_end(result, zw):
            upd += (f" Yet {cfg.activation} is positively homogeneous ($f(cz) = c\\,f(z)$ for "
                    "$c > 0$), and in this run the first layer's activations still have rank "
                    "1 at the end: every live unit is a scaled copy of one neuron, so the "
                    "layer computes what one neuron would, with different parameters.")
    else:
        upd += (" Here no side starts with equal rows, so the premise fails: the units "
                "differ from the start and get different updates.")
    out = [Block("markdown", upd)]
    if h.snapshot_epochs.size > 2:
        W1, _ = result.parameters_at(run, 1)
        W2, _ = result.parameters_at(run, 2)
        delta = W2[0].astype(np.float64) - W1[0].astype(np.float64)
        e1, e2 = int(h.snapshot_epochs[1]), int(h.snapshot_epochs[2])
        out.append(Block("latex", rf"\Delta W^{{(1)}}\ (\text{{epoch }}{e1} \to {e2}) = "
                         + latex_matrix(delta)))
        out.append(Block("markdown", "In this run: " + rows_sentence(
            delta, rf"$\Delta W^{{(1)}}$ from epoch {e1} to {e2}") + "."))
    out.append(Block("markdown", "The first-layer weights of this run (rows that equal another "
                                 "row are coloured):"))
    ks = sorted({0, 1, 2, h.snapshot_epochs.size - 1} & set(range(h.snapshot_epochs.size)))
    parts, said = [], []
    for k in ks:
        Wk, _ = result.parameters_at(run, k)
        e = int(h.snapshot_epochs[k])
        parts.append(rf"\text{{epoch }}{e}:\ " + latex_matrix(Wk[0], max_rows=8, max_cols=4))
        said.append(f"at epoch {e} " + rows_sentence(Wk[0], "$W^{(1)}$"))
    out += latex_rows(parts, sep=r"\quad ")
    out.append(Block("caption", "In this run: " + "; ".join(said) + "."))
    if cfg.batch_size or cfg.dropout:
        out.append(Block("caption", "An epoch here holds several steps"
                         + (" (mini-batches)" if cfg.batch_size else "")
                         + ("; dropout draws random masks that give the units different "
                            "gradients" if cfg.dropout else "") + "."))
    return out


def _worse_with_zero_output(result: Result, zw: int | None, held: bool) -> list[Block]:
    cfg, h = result.config, result.history
    act = ACTIVATIONS[cfg.activation]
    out = [Block("markdown", "**4. Why tanh and ReLU with zeros are worse.**"),
           Block("markdown",
                 "For tanh, ReLU and the other activations with $f(0) = 0$, a layer with zero "
                 r"weights and zero biases outputs $h^{(1)} = 0$. Then $\partial L/\partial "
                 r"W^{(2)} = \delta^{(2)} h^{(1)\top} = 0$ and "
                 r"$\delta^{(1)} = f'(z)\odot W^{(2)\top}\delta^{(2)} = 0$ because $W^{(2)} = "
                 "0$: no weight receives any gradient, ever. Only the output bias learns, and "
                 "the network ends at the best constant prediction. The units are not just "
                 "identical, they are dead.")]
    dead_i = dead_init(result)
    f0 = act.f0
    name = cfg.activation[:1].upper() + cfg.activation[1:]  # a caption starts a sentence
    if dead_i is not None:
        r = result.run_indices(dead_i)[0]
        G = h.grad_norm[r]
        b_out0, b_out1 = h.biases[-1][r, 0], h.biases[-1][r, -1]
        out.append(Block("markdown",
                         f"In this run (**{result.labels[dead_i]}**, {cfg.activation}): the "
                         f"largest gradient norm of any hidden layer over all {cfg.epochs} "
                         f"epochs is ${num(float(np.nanmax(G[:, :-1])))}$, while the output "
                         f"bias went from ${', '.join(num(v) for v in b_out0)}$ to "
                         f"${', '.join(num(v) for v in b_out1)}$."))
    elif zw is not None and act.zero_output:
        out.append(Block("caption", f"In this run the **{result.labels[zw]}** side has zero "
                         "weights but non-zero biases, so its hidden outputs $f(b_j)$ are not "
                         "0 and its units are not dead; set its bias init to zeros to see dead "
                         "units."))
    elif act.zero_output:
        out.append(Block("caption", f"{name} has f(0) = 0: choose zeros on one side "
                                    "to see dead units in this run."))
    elif zw is not None:
        out.append(Block("caption", f"{name} has f(0) = {f0:g} ≠ 0, so zero-weight "
                         f"{cfg.activation} units are alive"
                         + (" (and stayed identical in this run)" if held else "")
                         + f"; switch the activation to one with f(0) = 0 ({_zero_names()}) "
                           "to see dead units."))
    else:
        out.append(Block("caption", f"{name} has f(0) = {f0:g} ≠ 0, so zero-weight "
                         f"{cfg.activation} units would be alive; choose zeros on one side and "
                         f"switch the activation to one with f(0) = 0 ({_zero_names()}) to see "
                         "dead units."))
    return out


def _zero_names() -> str:
    names = [n for n, a in ACTIVATIONS.items() if a.zero_output]
    return ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")


def _random_breaks(result: Result, i_show: int) -> list[Block]:
    cfg, h = result.config, result.history
    out = [Block("markdown", "**5. Why random values break the symmetry.**")]
    j = next((k for k in range(len(cfg.inits)) if k != i_show), None)
    if j is not None:
        rj = result.run_indices(j)[0]
        Wj0 = h.weights[0][rj, 0]
        d = distinct_rows(Wj0)
        if d > 1:
            out.append(Block("markdown",
                             f"With **{result.labels[j]}** the rows of $W^{{(1)}}$ start "
                             f"different ({d} distinct rows of {Wj0.shape[0]}), so the units "
                             r"compute different $z_j$, get different $\delta_j$ and different "
                             "updates: each unit can specialise on its own feature of the "
                             "data. Its first layer at epoch 0:"))
        else:
            out.append(Block("markdown",
                             f"With **{result.labels[j]}** the rows of $W^{{(1)}}$ also start "
                             "equal, so the same argument applies to it; random values (such "
                             "as Xavier or He) would give every unit its own row. Its first "
                             "layer at epoch 0:"))
        out.append(Block("latex", r"W^{(1)} = " + latex_matrix(Wj0)))
    out.append(Block("markdown",
                     "The scale matters too: too small and the signal fades layer after layer "
                     "(gradients vanish), too large and units saturate. Xavier/Glorot (2010) "
                     "and He (2015) choose the spread from the layer's fan-in and fan-out to "
                     "keep it steady; try the deep presets."))
    return out


# --------------------------------------------------------------------------------------------
# The same argument for the filters of a convolution layer
# --------------------------------------------------------------------------------------------


def filters_held(result: Result, i: int, layer: int = 0) -> bool:
    """Whether every run of initialization ``i`` has all filters of conv layer ``layer``
    equal (one distinct row of ``[w | b]``, kernel and bias) at every stored snapshot."""
    S = result.history.snapshot_epochs.size
    return all(distinct_rows(filter_params(result, layer, r, k)) == 1
               for r in result.run_indices(i) for k in range(S))


def filters_in_run(result: Result, i: int) -> str:
    """What follows "In this run:" for initialization ``i`` (its first seed), computed from
    its conv weights: whether the filters start equal, stay equal at every stored epoch,
    end distinct, and whether their maps are dead (0 on every training image) at the end."""
    cfg, h = result.config, result.history
    run = result.run_indices(i)[0]
    S = h.snapshot_epochs.size
    epoch = int(h.snapshot_epochs[-1])
    parts = []
    for layer, (F, _) in enumerate(cfg.conv):
        name = "filters" if len(cfg.conv) == 1 else f"filters of conv layer {layer + 1}"
        if 0 <= h.diverged_at[run]:
            parts.append(f"the run diverged at epoch {int(h.diverged_at[run])}")
            break
        start = distinct_rows(filter_params(result, layer, run, 0))
        end_P = filter_params(result, layer, run, S - 1)
        dead = dead_filter_masks(result, run, S - 1)[layer]
        zero = not np.any(end_P)
        every = all(distinct_rows(filter_params(result, layer, run, k)) == 1 for k in range(S))
        if F > 1 and dead.all():
            text = (f"the {F} {name} are dead after {epoch} epochs: their maps are exactly 0 "
                    f"on every training image ({cfg.activation}(0) = 0)")
            text += (", and their weights are still exactly 0" if zero else "")
        elif F > 1 and start == 1 and every:
            text = (f"the {F} {name} start equal and are still all equal after {epoch} "
                    "epochs (at every stored epoch, kernel and bias): the layer acts as one "
                    "filter")
        elif F > 1 and start == 1:
            text = (f"the {F} {name} start equal but end as {distinct_rows(end_P)} distinct "
                    f"filters after {epoch} epochs: something broke the symmetry")
        else:
            live = ~dead
            n = distinct_rows(end_P[live]) if live.any() else 0
            text = (f"the {F} {name} start as {start} distinct filters and end as {n} "
                    f"distinct live filters after {epoch} epochs")
            if dead.any():
                text += f" ({int(dead.sum())} dead)"
        parts.append(text)
    return f"on the **{result.labels[i]}** side " + "; ".join(parts) + "."


def filters_derivation(result: Result) -> list[Block]:
    """The derivation for the filters of a convolution layer, as blocks: equal kernels give
    equal feature maps, equal maps get equal gradients (when the next layer treats every
    filter's features alike, as it does from zeros), equal gradients give equal updates; with
    f(0) = 0 at zeros the maps are 0 and nothing reaches the filters. Then "In this run:"
    for every side, from its conv weights, and a filter of the symmetric side drawn."""
    cfg = result.config
    act = ACTIVATIONS[cfg.activation]
    F = cfg.conv[0][0]
    out = [Block("subheader", "Why identical filters stay identical"),
           Block("markdown",
                 "A convolution layer is a row of units too: filter $f$ slides one kernel "
                 "$w_f$ (shape channels × K × K) and one bias $b_f$ over the image $X$ "
                 "(cross-correlation, \"same\" padding) and outputs a feature map; the maps "
                 f"are max-pooled, flattened, and read by the first dense layer "
                 f"({cfg.layer_sizes[0]} conv features in this network)."),
           *latex_rows([r"Z_f = w_f \star X + b_f", r"A_f = f(Z_f)",
                        r"f(z) = " + act.formula]),
           Block("markdown", "**1. Forward pass.** *If* every filter starts with the same "
                 "kernel and bias, every filter computes the same map on every image, and "
                 "so do their pooled features:"),
           Block("latex", r"w_1 = \dots = w_F,\; b_1 = \dots = b_F \;\Rightarrow\; "
                          r"Z_1 = \dots = Z_F \;\Rightarrow\; A_1 = \dots = A_F"),
           Block("markdown", "**2. Backward pass.** Filter $f$'s pooled feature at position "
                 "$q$ reaches the next layer's unit $j$ through the weight $W_{j,(f,q)}$. Its "
                 "error signal comes back through those weights, through the pooling (the "
                 "same winning position in equal maps) and through $f'$:"),
           Block("latex", r"\frac{\partial L}{\partial Z_f} = f'(Z_f) \odot "
                          r"\operatorname{unpool}\Big(\sum_j W_{j,(f,\cdot)}\,\delta_j\Big)"),
           Block("markdown", "so the maps' signals are equal when the next layer weighs "
                 "every filter's features alike ($W_{j,(f,q)}$ the same for every $f$). "
                 "From zeros it does: all those weights are 0, and their "
                 r"gradient $\delta_j\,P_f[q]$ is the same for every $f$ because the pooled "
                 "maps $P_f$ are equal, so they stay alike. The kernel's gradient sums the "
                 "map's signal times the image window over every position $p$ and image $n$:"),
           *latex_rows([r"\frac{\partial L}{\partial w_f[c,u,v]} = \sum_{n}\sum_{p} "
                        r"\frac{\partial L}{\partial Z_f[n,p]}\, X[n, c, p + (u,v)]",
                        r"\frac{\partial L}{\partial b_f} = \sum_{n,p} "
                        r"\frac{\partial L}{\partial Z_f[n,p]}"]),
           Block("markdown", "Equal signals times the same image windows: equal gradients."),
           Block("markdown", "**3. Update.** Equal gradients give equal updates "
                 r"($w_f \leftarrow w_f - \eta\, \partial L/\partial w_f$; momentum, Adam "
                 "and L2 act weight by weight, so they keep equal filters equal too). The "
                 "filters are equal again after the step, and by induction after every step: "
                 f"however many filters the layer has ({F} here), it learns one feature."),
           Block("markdown", "**4. Worse with zero output.** With "
                 f"{_zero_names()} (f(0) = 0) and zero kernels and biases every map is "
                 "$f(0) = 0$ on every image: the first dense layer reads only zeros, so its "
                 r"weights get the gradient $\delta_j \cdot 0 = 0$, and with zero weights it "
                 r"sends no error signal back: $\partial L/\partial Z_f = 0$, the filters "
                 "get no gradient and never move. Every filter is dead, not just equal. "
                 "(For ReLU the engine takes relu'(0) = 0, so not even the derivative lets a "
                 "signal through.)"),
           Block("subheader", "In this run")]
    for i in range(len(cfg.inits)):
        out.append(Block("markdown", "In this run: " + filters_in_run(result, i)))
    sym = next((i for i in range(len(cfg.inits)) if F > 1 and filters_held(result, i)
                and not dead_filter_masks(result, result.run_indices(i)[0], -1)[0].all()),
               None)
    if sym is not None:
        run = result.run_indices(sym)[0]
        w = result.history.conv_weights[0][run, -1].astype(np.float64)
        epoch = int(result.history.snapshot_epochs[-1])
        out.append(Block("markdown", f"The **{result.labels[sym]}** side's first and last "
                         f"filters after {epoch} epochs (channel 1), equal to the last digit:"))
        out += latex_rows([r"w_1 = " + latex_matrix(w[0, 0], max_cols=8, digits=3),
                           rf"w_{{{F}}} = " + latex_matrix(w[-1, 0], max_cols=8, digits=3)])
    out.append(Block("markdown", "The dense layers after the filters follow the same "
                     "argument unit by unit, with the conv features in place of the input "
                     "$x$; the worked numbers of that argument, and the step by hand, are "
                     "written for networks without conv layers."))
    return out


__all__ = [
    "Block",
    "break_reasons",
    "dead_init",
    "derivation",
    "filters_derivation",
    "filters_held",
    "filters_in_run",
    "latex_matrix",
    "latex_rows",
    "latex_width",
    "num",
    "rows_sentence",
    "symmetric_init",
    "symmetry_held",
    "zero_weight_init",
]
