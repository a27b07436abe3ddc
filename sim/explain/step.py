"""One step, by hand: a single gradient-descent update of one run, with its own numbers.

:func:`step_numbers` redoes, in plain numpy and float64, what one full-batch step does to the
parameters stored at a snapshot: the forward pass layer by layer, the loss, the backward pass
(the error signal ``delta`` of every layer, then the gradients) and the plain SGD update
``W - lr * grad``. :func:`hand_step` turns those numbers into the steps a student walks
through (:class:`HandStep`: a title and the :class:`~sim.explain.why.Block` list to show),
with the equations, small matrices (at most 8 units x 4 inputs or points, dots beyond) and a
sentence computed from the matrices about equal rows.

What the step shows, whatever the run's settings: one plain SGD step with the run's learning
rate on the whole training set, without dropout, with the run's L2 term in the gradient. When
the run trained otherwise (momentum or Adam, mini-batches, dropout) the first step says so.
The backward pass is written out here rather than taken from :mod:`sim.network`, so the tests
can check one against the other (and both against finite differences).

Pure: numpy only, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.activations import ACTIVATIONS
from sim.explain.reading import distinct_rows, snapshot_index
from sim.explain.why import Block, latex_matrix, latex_rows, num, rows_sentence
from sim.fields import layers_text
from sim.losses import LOSSES
from sim.network import targets_for
from sim.optimizers import OPTIMIZERS
from sim.train import Result

#: Training points shown as columns of the forward and backward matrices.
SHOWN_POINTS = 4

#: What the output layer's activation is called in the equations, per loss.
OUTPUT_FORMULA = {"mse": r"\hat y = z^{(L)}", "bce": r"\hat y = \sigma(z^{(L)})",
                  "ce": r"\hat y = \operatorname{softmax}(z^{(L)})"}


@dataclass(frozen=True)
class StepNumbers:
    """Every number of one full-batch SGD step of one run.

    Layer ``l`` (0-based here, layer ``l + 1`` on screen) follows the engine's convention
    (:mod:`sim.network`): ``weights[l]`` has shape (n_{l+1}, n_l), one row per unit.

    Attributes
    ----------
    run, snapshot, epoch : int
        The run (index into ``result.runs``), the snapshot its parameters come from and the
        epoch that snapshot stores.
    X : ndarray of shape (n_samples, n_0)
        The whole training set.
    T : ndarray of shape (n_samples, n_L)
        Its targets in the loss's form (:func:`sim.network.targets_for`).
    weights, biases : list of ndarray
        The parameters before the step (float64).
    Z : list of ndarray, ``Z[l]`` of shape (n_samples, n_{l+1})
        Pre-activations of every layer.
    A : list of ndarray, same shapes as ``Z``
        Outputs: ``f(Z[l])`` for hidden layers, the prediction ``y_hat`` for the last.
    loss : float
        The loss the gradient descends: data loss plus ``l2 / 2 * sum ||W||^2``.
    deltas : list of ndarray, same shapes as ``Z``
        ``dL/dZ[l]``, the error signal of every layer.
    grad_weights, grad_biases : list of ndarray
        ``dL/dW[l]`` (including the L2 term) and ``dL/db[l]``.
    lr : float
        The run's learning rate.
    new_weights, new_biases : list of ndarray
        ``W - lr * grad`` and ``b - lr * grad_b``.
    """

    run: int
    snapshot: int
    epoch: int
    X: np.ndarray
    T: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    Z: list[np.ndarray]
    A: list[np.ndarray]
    loss: float
    deltas: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    lr: float
    new_weights: list[np.ndarray]
    new_biases: list[np.ndarray]


@dataclass(frozen=True)
class HandStep:
    """One stage of the walk-through.

    Attributes
    ----------
    title : str
        Short label for the step selector, e.g. ``"2 · Backward pass"``.
    blocks : list of Block
        What the stage shows, in order.
    """

    title: str
    blocks: list[Block]


def step_numbers(result: Result, init_index: int, snapshot: int = -1,
                 seed: int = 0) -> StepNumbers | None:
    """The numbers of one plain SGD step of one run from the parameters stored at
    ``snapshot`` (an index into ``result.history.snapshot_epochs``, negative from the end),
    on the whole training set; None when those parameters are not finite (diverged run).

    Forward: ``Z[l] = A[l-1] W[l]^T + b[l]``, ``A[l] = f(Z[l])``, ``y_hat = g(Z[L])`` with
    the loss's output activation ``g``. Backward: ``delta[L] = (y_hat - T) / n`` (the same
    form for squared error, sigmoid + BCE and softmax + cross-entropy),
    ``dL/dW[l] = delta[l]^T A[l-1] + l2 W[l]``, ``dL/db[l] = sum over samples of delta[l]``,
    ``delta[l-1] = (delta[l] W[l]) * f'(Z[l-1])``. Update: ``W - lr dL/dW``.

    Parameters
    ----------
    result : Result
    init_index : int
        The initialization (side) whose run is stepped.
    snapshot : int
        Index into ``result.history.snapshot_epochs`` (negative counts from the end); the
        dashboard passes ``current_view(result).snapshot``.
    seed : int
        Which of the initialization's seeds (clipped to the last).

    Returns
    -------
    StepNumbers or None

    Raises
    ------
    ValueError
        For a network with conv layers (the step is worked out for dense networks).

    Examples
    --------
    >>> from sim import PRESETS, train_comparison
    >>> r = train_comparison(PRESETS["lesson"].config().replace(epochs=5))
    >>> s = step_numbers(r, 0, -1)
    >>> bool((s.new_weights[0] == s.weights[0] - r.config.lr * s.grad_weights[0]).all())
    True
    """
    cfg = result.config
    k = snapshot_index(result, snapshot)
    run = result.run_indices(init_index)[min(seed, cfg.seeds - 1)]
    if result.config.conv:
        raise ValueError("The step by hand is worked out for dense networks; this one has "
                         "conv layers (hand_step says so instead).")
    W0, b0 = result.parameters_at(run, k)
    W = [np.asarray(w, np.float64) for w in W0]
    b = [np.asarray(x, np.float64) for x in b0]
    if not all(np.isfinite(w).all() for w in W + b):
        return None
    act = ACTIVATIONS[cfg.activation]
    loss = LOSSES[cfg.loss_name]
    X = np.asarray(result.data.X_train, np.float64)
    T = targets_for(cfg.loss_name, result.data.y_train, W[-1].shape[0])
    n, L = X.shape[0], len(W)
    Z, A = [], []
    prev = X
    with np.errstate(all="ignore"):
        for l in range(L):
            z = prev @ W[l].T + b[l]
            Z.append(z)
            prev = act.forward(z, np.empty_like(z)) if l < L - 1 else loss.predict(z)
            A.append(prev)
        value = float(loss.value(Z[-1][None], T[None])[0])
        value += 0.5 * cfg.l2 * sum(float(np.sum(w * w)) for w in W)
        deltas: list[np.ndarray] = [np.empty(0)] * L
        deltas[-1] = (A[-1] - T) / n
        for l in range(L - 1, 0, -1):
            back = deltas[l] @ W[l]
            deltas[l - 1] = back * act.derivative(Z[l - 1], A[l - 1], np.empty_like(back))
        inputs = [X, *A[:-1]]
        gW = [deltas[l].T @ inputs[l] + cfg.l2 * W[l] for l in range(L)]
        gb = [deltas[l].sum(axis=0) for l in range(L)]
    return StepNumbers(run=run, snapshot=k, epoch=int(result.history.snapshot_epochs[k]), X=X,
                       T=T, weights=W, biases=b, Z=Z, A=A, loss=value, deltas=deltas,
                       grad_weights=gW, grad_biases=gb, lr=float(cfg.lr),
                       new_weights=[w - cfg.lr * g for w, g in zip(W, gW, strict=True)],
                       new_biases=[x - cfg.lr * g for x, g in zip(b, gb, strict=True)])


# --------------------------------------------------------------------------------------------
# The walk-through
# --------------------------------------------------------------------------------------------


def _points(M: np.ndarray) -> np.ndarray:
    """The first :data:`SHOWN_POINTS` training points of a (samples, units) matrix, as
    (units, points): one column per point, one row per unit, like ``W``."""
    return M[:SHOWN_POINTS].T


def _settings(result: Result, s: StepNumbers) -> list[Block]:
    cfg = result.config
    n = s.X.shape[0]
    notes = [f"plain SGD with the run's learning rate $\\eta = {num(s.lr)}$ on the whole "
             f"training set ({n} points), starting from the parameters stored after epoch "
             f"{s.epoch}: the step the run would take next if it trained this way"]
    if cfg.optimizer != "sgd":
        notes.append(f"the run itself used **{OPTIMIZERS[cfg.optimizer].label}**, whose "
                     "update also depends on earlier gradients; the gradient is the same, "
                     "the update shown is the plain one")
    if cfg.batch_size and cfg.batch_size < n:
        notes.append(f"the run trained on shuffled mini-batches of {cfg.batch_size} points; "
                     f"this step averages over all {n}")
    if cfg.dropout:
        notes.append(f"the run switched off each hidden unit with probability "
                     f"{cfg.dropout:g} at every step; this step uses no dropout")
    if cfg.l2:
        notes.append(f"the gradient includes the run's L2 term $\\lambda W$ "
                     f"($\\lambda = {num(cfg.l2)}$)")
    seed = f", seed {result.runs[s.run][1]}" if cfg.seeds > 1 else ""
    return [Block("markdown", f"The **{result.labels[result.runs[s.run][0]]}** network "
                  f"({layers_text(cfg.layer_sizes)} units, {cfg.activation}{seed}). What this "
                  "step shows: " + "; ".join(notes) + "."),
            Block("caption", f"Matrices show at most 8 units and {SHOWN_POINTS} inputs or "
                  "training points (dots beyond); columns of $Z$, $H$ and $\\delta$ are the "
                  f"first {SHOWN_POINTS} training points. Rows equal to another row are "
                  "coloured.")]


def _forward(result: Result, s: StepNumbers) -> list[Block]:
    cfg = result.config
    act = ACTIVATIONS[cfg.activation]
    L = len(s.weights)
    out = [Block("markdown", "Each layer multiplies its input by its weights, adds its bias "
                 f"and applies its activation: $z^{{(l)}} = W^{{(l)}} h^{{(l-1)}} + b^{{(l)}}$, "
                 f"$h^{{(l)}} = f(z^{{(l)}})$ with $f(z) = {act.formula}$ (and $h^{{(0)}} = x$). "
                 "Layer 1 on the first training points:")]
    out += latex_rows([r"W^{(1)} = " + latex_matrix(s.weights[0]),
                       r"b^{(1)} = " + latex_matrix(s.biases[0][:, None]),
                       r"X^\top = " + latex_matrix(_points(s.X))], sep=r",\quad ")
    if L > 1:
        out += latex_rows([r"Z^{(1)} = " + latex_matrix(_points(s.Z[0])),
                           r"H^{(1)} = f(Z^{(1)}) = " + latex_matrix(_points(s.A[0]))])
        H = s.A[0]
        out.append(Block("markdown", "In this run: " + rows_sentence(
            H.T, "$H^{(1)}$ (one row per unit, over all training points)") + "."))
        if L > 2:
            out.append(Block("markdown", f"Layers 2 to {L - 1} do the same with the previous "
                             "layer's $H$ as input."))
    out.append(Block("markdown", f"The output layer: ${OUTPUT_FORMULA[cfg.loss_name]}$ and the "
                     f"loss on all {s.X.shape[0]} points:"))
    out += latex_rows([rf"W^{{({L})}} = " + latex_matrix(s.weights[-1]),
                       r"\hat Y^\top = " + latex_matrix(_points(s.A[-1])),
                       r"Y^\top = " + latex_matrix(_points(s.T))], sep=r",\quad ")
    out.append(Block("latex", rf"L = {num(s.loss)}"))
    return out


def _backward(result: Result, s: StepNumbers, symmetric: bool) -> list[Block]:
    cfg = result.config
    L = len(s.weights)
    out = [Block("markdown", "The error signal starts at the output, "
                 r"$\delta^{(L)} = (\hat y - y)/n$, and flows down: "
                 r"$\delta^{(l-1)} = \big(W^{(l)\top}\delta^{(l)}\big) \odot f'(z^{(l-1)})$. "
                 r"Each layer's gradient is $\nabla_{W^{(l)}}L = \delta^{(l)} h^{(l-1)\top}$ "
                 "summed over the points"
                 + (r" plus $\lambda W^{(l)}$" if cfg.l2 else "")
                 + r", and $\nabla_{b^{(l)}}L = \sum \delta^{(l)}$.")]
    out += latex_rows([rf"\delta^{{({L})}} = " + latex_matrix(_points(s.deltas[-1])),
                       rf"\nabla_{{W^{{({L})}}}}L = " + latex_matrix(s.grad_weights[-1])])
    if L > 1:
        out += latex_rows([r"\delta^{(1)} = " + latex_matrix(_points(s.deltas[0])),
                           r"\nabla_{W^{(1)}}L = " + latex_matrix(s.grad_weights[0]),
                           r"\nabla_{b^{(1)}}L = " + latex_matrix(s.grad_biases[0][:, None])])
        g = np.column_stack([s.grad_weights[0], s.grad_biases[0]])
        text = "In this run: " + rows_sentence(g, r"$[\nabla_{W^{(1)}}L \mid "
                                               r"\nabla_{b^{(1)}}L]$")
        if not np.any(g):
            text += " (all exactly 0: no error reaches layer 1)"
        if symmetric and distinct_rows(g) == 1:
            text += (": the units started this step with equal rows, so they get equal "
                     "error signals and equal gradients")
        out.append(Block("markdown", text + "."))
    return out


def _update(result: Result, s: StepNumbers, symmetric: bool) -> list[Block]:
    L = len(s.weights)
    out = [Block("markdown", r"Every parameter moves against its gradient: "
                 rf"$W \leftarrow W - \eta\,\nabla_W L$ with $\eta = {num(s.lr)}$. Layer 1:")]
    l = 0 if L > 1 else L - 1
    out += latex_rows([rf"W^{{({l + 1})}} - {num(s.lr)}\,\nabla_{{W^{{({l + 1})}}}}L = "
                       + latex_matrix(s.new_weights[l]),
                       rf"b^{{({l + 1})}} - {num(s.lr)}\,\nabla_{{b^{{({l + 1})}}}}L = "
                       + latex_matrix(s.new_biases[l][:, None])])
    if L > 1:
        new = np.column_stack([s.new_weights[0], s.new_biases[0]])
        text = "In this run: after the step " + rows_sentence(new, r"$[W^{(1)} \mid b^{(1)}]$")
        if symmetric and distinct_rows(new) == 1:
            text += (": equal rows minus $\\eta$ times equal rows are equal rows, so the "
                     "update keeps the units identical")
        elif symmetric:
            text += ": the gradient rows differed, so the units no longer match"
        out.append(Block("markdown", text + "."))
    return out


def _conv_note(result: Result) -> list[Block]:
    """What the walk-through says for a network with conv layers: it is not worked out."""
    cfg = result.config
    layers = ", ".join(f"{f} filters {k}×{k}" for f, k in cfg.conv)
    return [Block("info", "The step by hand is worked out for dense networks only. This "
                  f"network starts with {len(cfg.conv)} convolution layer"
                  f"{'' if len(cfg.conv) == 1 else 's'} ({layers}), whose gradients sum "
                  "over every image position; the derivation above, "
                  "\"Why identical filters stay identical\", follows one step of the "
                  "filters in symbols, with this run's filters.")]


def hand_step(result: Result, init_index: int, snapshot: int = -1,
              seed: int = 0) -> list[HandStep]:
    """The walk-through of one plain SGD step of initialization ``init_index`` (its seed
    ``seed``) from the parameters stored at ``snapshot``: what the step shows, the forward
    pass, the backward pass, the update. One step saying so when the run had diverged.

    Parameters
    ----------
    result, init_index, snapshot, seed
        As for :func:`step_numbers`.

    Returns
    -------
    list of HandStep
        Titled stages in order: ``"0 · The run"``, ``"1 · Forward pass"``,
        ``"2 · Backward pass"``, ``"3 · Update"`` (one ``"The run"`` stage after
        divergence). A network with conv layers gets one ``"The run"`` stage saying that
        the step by hand covers dense networks and pointing to the filters' derivation.
        When layer 1 starts the step with equal rows of ``[W | b]``, the
        backward and update stages say whether the gradient rows and the updated rows are
        still equal, as computed from those matrices.
    """
    if result.config.conv:
        return [HandStep("The run", _conv_note(result))]
    s = step_numbers(result, init_index, snapshot, seed)
    if s is None:
        k = snapshot_index(result, snapshot)
        epoch = int(result.history.snapshot_epochs[k])
        return [HandStep("The run", [Block("info", f"After {epoch} epochs this run has "
                                           "diverged: there are no finite parameters to step "
                                           "from. Pick an earlier epoch.")])]
    symmetric = len(s.weights) > 1 and distinct_rows(
        np.column_stack([s.weights[0], s.biases[0]])) == 1 and s.weights[0].shape[0] > 1
    return [HandStep("0 · The run", _settings(result, s)),
            HandStep("1 · Forward pass", _forward(result, s)),
            HandStep("2 · Backward pass", _backward(result, s, symmetric)),
            HandStep("3 · Update", _update(result, s, symmetric))]


__all__ = ["HandStep", "SHOWN_POINTS", "StepNumbers", "hand_step", "step_numbers"]
