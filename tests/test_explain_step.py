"""One SGD step by hand (:mod:`sim.explain.step`) against the engine and finite differences.

The step's forward and backward passes are written out in :mod:`sim.explain.step`; here they
are checked against :func:`sim.network.loss_and_gradients` (the code the training runs), a
central finite difference of the loss, and the update ``W - lr * grad``; then the sentences
of the walk-through against the matrices they describe.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from test_explain_why import CASES, DENSE_CASES, trained  # the same runs, trained once per session

import sim
from sim.explain import step, why
from sim.explain.reading import distinct_rows
from sim.network import loss_and_gradients


@functools.cache
def small(**changes) -> sim.Result:
    """A small sigmoid network on circles, zeros vs Xavier, with ``changes``."""
    return sim.train_comparison(sim.Config.from_dict({
        "dataset": "circles", "n_samples": 64, "hidden": [4], "activation": "sigmoid",
        "epochs": 20, "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}],
        **changes}))


def _text(steps: list[step.HandStep]) -> str:
    return " ".join(b.text for s in steps for b in s.blocks)


def _engine(res: sim.Result, s: step.StepNumbers):
    cfg = res.config
    return loss_and_gradients(s.weights, s.biases, res.data.X_train, res.data.y_train,
                              cfg.activation, cfg.loss_name, cfg.l2)


@pytest.mark.parametrize("snapshot", [0, -1])
@pytest.mark.parametrize("side", [0, 1])
@pytest.mark.parametrize("case", DENSE_CASES)
def test_step_matches_the_engine(case: str, side: int, snapshot: int) -> None:
    """Loss and every layer's gradients equal those of sim.network.loss_and_gradients at
    the first and last snapshot of every preset's sides, to 1e-9 of the largest entry plus
    1e-15 (the sums run in another order, and the output gradient of a network stuck at a
    constant is a sum of terms that nearly cancel)."""
    res = trained(case)
    s = step.step_numbers(res, side, snapshot)
    value, gW, gb = _engine(res, s)
    assert s.loss == pytest.approx(value, rel=1e-12, abs=1e-15)
    for mine, theirs in zip(s.grad_weights + s.grad_biases, gW + gb, strict=True):
        scale = max(float(np.abs(theirs).max()), 1e-300)
        assert np.abs(mine - theirs).max() <= 1e-9 * scale + 1e-15


@pytest.mark.parametrize("changes", [{}, {"l2": 0.01}, {"loss": "mse"},
                                     {"activation": "tanh", "hidden": (3, 2)}],
                         ids=["bce", "l2", "mse", "tanh-deep"])
def test_step_gradient_matches_finite_differences(changes: dict) -> None:
    """Central differences of the step's own loss (h = 1e-6) agree with its gradient for
    every weight and bias of the Xavier side after 10 epochs, to 1e-6 relative."""
    res = small(**changes)
    s = step.step_numbers(res, 1, 10)

    def loss(W, b) -> float:
        return _engine(res, step.StepNumbers(**{**s.__dict__, "weights": W, "biases": b}))[0]

    eps = 1e-6
    for l in range(len(s.weights)):
        for which, params, grads in (("W", s.weights, s.grad_weights),
                                     ("b", s.biases, s.grad_biases)):
            numeric = np.zeros_like(params[l])
            for idx in np.ndindex(params[l].shape):
                up = [p.copy() for p in params]
                down = [p.copy() for p in params]
                up[l][idx] += eps
                down[l][idx] -= eps
                args_up = (up, s.biases) if which == "W" else (s.weights, up)
                args_down = (down, s.biases) if which == "W" else (s.weights, down)
                numeric[idx] = (loss(*args_up) - loss(*args_down)) / (2 * eps)
            np.testing.assert_allclose(grads[l], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", ["lesson", "classic", "random_bias"])
def test_update_is_w_minus_lr_times_grad(case: str) -> None:
    """The update is plain SGD with the run's learning rate, whatever the run's optimizer:
    exactly W - lr * grad and b - lr * grad_b."""
    res = trained(case)
    s = step.step_numbers(res, 0, 5)
    assert s.lr == res.config.lr
    for new, old, g in zip(s.new_weights + s.new_biases, s.weights + s.biases,
                           s.grad_weights + s.grad_biases, strict=True):
        assert np.array_equal(new, old - res.config.lr * g)


def test_step_starts_from_the_stored_parameters_of_the_snapshot() -> None:
    """The parameters are the run's snapshot (as float64), and the epoch is its epoch."""
    res = trained("lesson")
    s = step.step_numbers(res, 0, 7)
    W, b = res.parameters_at(res.run_indices(0)[0], 7)
    assert s.epoch == int(res.history.snapshot_epochs[7])
    assert all(np.array_equal(x, y) for x, y in zip(s.weights + s.biases, W + b, strict=True))


@pytest.mark.parametrize("snapshot", [0, 1, 50, -1])
def test_zero_side_gradient_rows_are_equal_and_the_update_keeps_them(snapshot: int) -> None:
    """Lesson, zeros side: at every shown epoch the gradient rows [dW | db] of layer 1 are
    equal, the updated rows too, and the backward and update stages say so."""
    res = trained("lesson")
    s = step.step_numbers(res, 0, snapshot)
    g = np.column_stack([s.grad_weights[0], s.grad_biases[0]])
    new = np.column_stack([s.new_weights[0], s.new_biases[0]])
    assert distinct_rows(g) == 1 and distinct_rows(new) == 1
    steps = step.hand_step(res, 0, snapshot)
    back, update = _text(steps[2:3]), _text(steps[3:4])
    assert "all 8 rows of" in back and "equal error signals and equal gradients" in back
    assert "the update keeps the units identical" in update


def test_random_side_step_claims_no_equal_rows() -> None:
    """Both random: the gradient and the updated rows differ, and the step says how many
    different rows there are instead of claiming equal ones."""
    res = trained("both_random")
    text = _text(step.hand_step(res, 0, -1))
    assert "are equal" not in text
    assert r"$[\nabla_{W^{(1)}}L \mid \nabla_{b^{(1)}}L]$ has 8 different rows of 8" in text


@pytest.mark.parametrize("case,label", [("classic", "SGD with momentum"),
                                        ("random_bias", "Adam")])
def test_step_says_when_the_run_used_another_optimizer(case: str, label: str) -> None:
    """The first stage says the update shown is plain SGD and names the run's optimizer."""
    text = _text(step.hand_step(trained(case), 0, -1)[:1])
    assert "plain SGD with the run's learning rate" in text
    assert f"the run itself used **{label}**" in text


def test_step_says_it_uses_the_full_set_instead_of_mini_batches_and_no_dropout() -> None:
    """A mini-batch run with dropout: the step averages over the whole training set and
    drops no unit, and says both."""
    res = small(batch_size=16, dropout=0.2)
    text = _text(step.hand_step(res, 0, -1)[:1])
    assert "mini-batches of 16 points; this step averages over all 48" in text
    assert "this step uses no dropout" in text


def test_step_of_a_diverged_run_says_so() -> None:
    """Non-finite parameters: one stage that says the run diverged, no numbers."""
    res = sim.train_comparison(sim.Config.from_dict({
        "dataset": "circles", "hidden": [8], "activation": "relu", "loss": "mse", "lr": 10,
        "epochs": 50, "inits": [{"scheme": "normal", "params": {"std": 10}},
                                {"scheme": "zeros"}]}))
    assert res.history.diverged_at[res.run_indices(0)[0]] >= 0
    assert step.step_numbers(res, 0, -1) is None
    steps = step.hand_step(res, 0, -1)
    assert len(steps) == 1 and "diverged" in steps[0].blocks[0].text


@pytest.mark.parametrize("case", CASES)
def test_every_step_formula_fits_the_page_column(case: str) -> None:
    """No formula of the walk-through is wider than the page column, by the estimate of
    sim.explain.why, on either side of any preset."""
    res = trained(case)
    for side in (0, 1):
        for s in step.hand_step(res, side, -1):
            for b in s.blocks:
                if b.kind == "latex":
                    assert why.latex_width(b.text) <= why.LATEX_WIDTH_EM, b.text


def test_matrices_show_at_most_8_units_and_4_columns() -> None:
    """The 100-unit float32 network: W(1) shows 8 rows and a row of dots; Z(1) 4 points."""
    steps = step.hand_step(trained("float32"), 0, -1)
    forward = [b.text for b in steps[1].blocks if b.kind == "latex"]
    w = next(t for t in forward if t.startswith("W^{(1)}"))
    body = w[w.index(r"\begin{bmatrix}"):w.index(r"\end{bmatrix}")]
    assert body.count(r"\\") == 8 and r"\vdots" in body
    z = next(t for t in forward if t.startswith("Z^{(1)}"))
    first_row = z[z.index(r"\begin{bmatrix}"):].split(r"\\")[0]
    assert first_row.count("&") == step.SHOWN_POINTS - 1


def test_first_step_from_zeros_worked_out_by_hand() -> None:
    """A 1-2-1 sigmoid network with squared error, all parameters 0, one point x = 1 with
    target y = 1, learning rate 0.1, worked out by hand:

    forward   z1 = 0·1 + 0 = 0 for both units, h = sigmoid(0) = 0.5, z2 = 0·0.5·2 + 0 = 0,
              y_hat = z2 = 0, L = ½ (0 - 1)² = 0.5;
    backward  delta2 = (y_hat - y) / n = -1, dL/dW2 = delta2 · h = [-0.5, -0.5],
              dL/db2 = -1, delta1 = delta2 · W2 · sigmoid'(0) = 0 (W2 is 0), so
              dL/dW1 = [[0], [0]] and dL/db1 = [0, 0];
    update    W2 = 0 - 0.1 · (-0.5) = [0.05, 0.05], b2 = 0.1, layer 1 stays 0.
    """
    base = sim.train_comparison(sim.Config.from_dict({
        "dataset": "toy", "hidden": [2], "activation": "sigmoid", "loss": "mse", "lr": 0.1,
        "epochs": 1, "inits": [{"scheme": "zeros"}, {"scheme": "zeros"}]}))
    h = base.history
    one = dataclasses.replace(base.data, X_train=np.ones((1, 1)), y_train=np.ones((1, 1)))
    hist = dataclasses.replace(h, weights=[np.zeros((2, 2, 2, 1)), np.zeros((2, 2, 1, 2))],
                               biases=[np.zeros((2, 2, 2)), np.zeros((2, 2, 1))])
    res = dataclasses.replace(base, data=one, history=hist)
    s = step.step_numbers(res, 0, 0)
    assert s.loss == 0.5
    np.testing.assert_array_equal(s.A[0], [[0.5, 0.5]])
    np.testing.assert_array_equal(s.grad_weights[1], [[-0.5, -0.5]])
    np.testing.assert_array_equal(s.grad_biases[1], [-1.0])
    np.testing.assert_array_equal(s.grad_weights[0], [[0.0], [0.0]])
    np.testing.assert_array_equal(s.new_weights[1], [[0.05, 0.05]])
    np.testing.assert_array_equal(s.new_biases[1], [0.1])
    np.testing.assert_array_equal(s.new_weights[0], [[0.0], [0.0]])
