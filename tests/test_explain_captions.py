"""Tests of the captions (:mod:`sim.explain.captions`): the sentence under each chart.

No Streamlit and no charts: small comparisons are trained by the engine and each caption is
checked against what the run did, with the numbers it quotes recomputed from the history.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import PRESETS, Config, Result, explain, train_comparison

#: Circles, one hidden layer of 8 units: zeros (left) vs Xavier uniform (right).
CIRCLES = {"dataset": "circles", "hidden": [8], "activation": "sigmoid", "epochs": 100,
           "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}]}
ZEROS, RANDOM = 0, 1
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sigmoid() -> Result:
    """Sigmoid units from zeros stay identical; from Xavier they differ."""
    return train_comparison(Config.from_dict(CIRCLES))


@pytest.fixture(scope="module")
def tanh() -> Result:
    """tanh units from zeros output exactly 0: dead, and no gradient reaches them."""
    return train_comparison(Config.from_dict({**CIRCLES, "activation": "tanh"}))


@pytest.fixture(scope="module")
def toy() -> Result:
    """The classic 3-2-1 regression: two hidden units, no accuracy."""
    return train_comparison(Config.from_dict({"dataset": "toy", "hidden": [2], "epochs": 20,
                                              "activation": "sigmoid"}))


def float_preset(dtype: str) -> Result:
    """The float32 preset (zeros vs constant 0.05, 100 units), shortened, in ``dtype``."""
    return train_comparison(PRESETS["float32"].config().replace(epochs=50, dtype=dtype))


def runs_of(result: Result, i: int) -> list[int]:
    return result.run_indices(i)


# ------------------------------------------------------------------------------------------
# caption_neurons
# ------------------------------------------------------------------------------------------


def test_neurons_caption_says_zero_sigmoid_units_are_identical(sigmoid: Result) -> None:
    """Sigmoid from zeros: all 8 units are one neuron, whatever the width."""
    text = explain.caption_neurons(sigmoid, ZEROS)
    assert text.startswith("All 8 hidden units are identical")
    assert "acts as one neuron" in text


def test_neurons_caption_says_random_units_are_different(sigmoid: Result) -> None:
    """Xavier uniform: every unit is its own neuron, the symmetry is broken."""
    text = explain.caption_neurons(sigmoid, RANDOM)
    assert "different neurons" in text and "symmetry is broken" in text


def test_neurons_caption_says_both_for_two_units(toy: Result) -> None:
    """Two identical units are "Both hidden units", not "All 2 hidden units"."""
    text = explain.caption_neurons(toy, ZEROS)
    assert text.startswith("Both hidden units are identical")


def test_neurons_caption_says_tanh_zero_units_are_dead(tanh: Result) -> None:
    """tanh from zeros: every unit outputs exactly 0 and only the output bias learns."""
    text = explain.caption_neurons(tanh, ZEROS)
    assert "are dead (output exactly 0)" in text and "only the output bias learns" in text


# ------------------------------------------------------------------------------------------
# caption_grad_norm
# ------------------------------------------------------------------------------------------


def test_grad_caption_says_no_gradient_reaches_dead_tanh_layer(tanh: Result) -> None:
    """tanh from zeros: the hidden layer's gradient is exactly 0 at every epoch."""
    G = tanh.history.grad_norm[runs_of(tanh, ZEROS)]
    assert np.all(G[:, :, 0] == 0)  # the premise, from the history
    assert explain.caption_grad_norm(tanh, ZEROS).startswith(
        "No gradient ever reaches a hidden layer")


def test_grad_caption_says_sigmoid_zeros_get_a_gradient_after_epoch_one(
        sigmoid: Result) -> None:
    """Sigmoid from zeros: no gradient for layer 1 in the first epoch (the weights above it
    are 0), then the largest later value is quoted."""
    G = sigmoid.history.grad_norm[runs_of(sigmoid, ZEROS)]
    text = explain.caption_grad_norm(sigmoid, ZEROS)
    assert text.startswith("In the first epoch no gradient reaches layer 1")
    assert f"later it reaches {float(G[:, :, 0].max()):.2g}." in text


def test_grad_caption_says_the_gradient_vanishes_in_deep_tanh() -> None:
    """10 tanh layers from N(0, 0.01²): layer 1's gradient is over 10,000 times smaller
    than the output layer's."""
    res = train_comparison(PRESETS["deep_tanh"].config().replace(epochs=5))
    assert "vanishes on the way down" in explain.caption_grad_norm(res, 0)


def test_grad_caption_quotes_first_epoch_norms(sigmoid: Result) -> None:
    """Xavier uniform: the first-epoch norms of layer 1 and of the output layer."""
    G = sigmoid.history.grad_norm[runs_of(sigmoid, RANDOM)]
    assert explain.caption_grad_norm(sigmoid, RANDOM) == (
        f"First-epoch gradient norm: {G[0, 0, 0]:.3g} (layer 1), {G[0, 0, -1]:.3g} "
        "(output layer).")


# ------------------------------------------------------------------------------------------
# caption_symmetry_gap
# ------------------------------------------------------------------------------------------


def test_gap_caption_says_float32_rounding_grows_the_gap_from_zero() -> None:
    """float32: the gap starts at exactly 0 and rounding makes it grow."""
    res = float_preset("float32")
    gap = res.history.metrics["symmetry_gap"][runs_of(res, ZEROS)]
    text = explain.caption_symmetry_gap(res, ZEROS)
    assert text.startswith("The gap starts at exactly 0 and grows to")
    assert f"grows to {float(gap[:, -1].max()):.2g}:" in text


def test_gap_caption_says_float64_keeps_the_gap_at_zero() -> None:
    """The same network in float64: the gap is exactly 0 from start to end."""
    text = explain.caption_symmetry_gap(float_preset("float64"), ZEROS)
    assert text.startswith("The gap is exactly 0 from start to end")


def test_gap_caption_says_random_units_differ_from_the_start(sigmoid: Result) -> None:
    """Xavier uniform: the units differ at epoch 0 already."""
    assert explain.caption_symmetry_gap(sigmoid, RANDOM).startswith(
        "The units differ from the start")


# ------------------------------------------------------------------------------------------
# caption_loss, caption_weights, caption_boundary
# ------------------------------------------------------------------------------------------


def test_loss_caption_quotes_start_end_and_accuracy(sigmoid: Result) -> None:
    """Zeros on circles: the loss barely moves and the accuracy is no better than always
    answering the largest class of the test set (the old "no better than guessing" compared
    with 1/n_classes, not with what a constant answer scores); the numbers are the
    history's."""
    h, runs = sigmoid.history, runs_of(sigmoid, ZEROS)
    text = explain.caption_loss(sigmoid, ZEROS)
    assert text.startswith(f"Train loss went from {h.train_loss[runs, 0].mean():.3g} to "
                           f"{h.train_loss[runs, -1].mean():.3g} in 100 epochs (it barely moved)")
    base = np.bincount(sigmoid.data.y_test).max() / sigmoid.data.y_test.size
    assert (f"test accuracy {h.test_accuracy[runs, -1].mean():.0%}, no better than always "
            f"answering the largest class ({base:.0%})") in text


def test_loss_caption_of_a_regression_has_no_accuracy(toy: Result) -> None:
    """A regression has no accuracy to quote."""
    assert "accuracy" not in explain.caption_loss(toy, RANDOM)


def test_loss_caption_says_when_training_diverged() -> None:
    """A run whose numbers became non-finite: the caption names the epoch."""
    res = train_comparison(Config.from_dict({
        **CIRCLES, "activation": "relu", "loss": "mse", "lr": 10, "epochs": 50,
        "inits": [{"scheme": "normal", "params": {"std": 10}}, {"scheme": "zeros"}]}))
    at = int(res.history.diverged_at[runs_of(res, 0)][0])
    assert at >= 0
    assert explain.caption_loss(res, 0).startswith(f"Training diverged at epoch {at}:")


def test_weights_caption_says_zero_weights_at_the_start(sigmoid: Result) -> None:
    """Snapshot 0 of zeros: every weight is exactly 0."""
    assert explain.caption_weights(sigmoid, ZEROS, 0) == \
        "After 0 epochs every weight is still exactly 0."


def test_weights_caption_says_the_rows_stay_equal(sigmoid: Result) -> None:
    """The last snapshot of zeros: the 8 rows of [W | b] are equal."""
    assert explain.caption_weights(sigmoid, ZEROS).startswith(
        "After 100 epochs all 8 rows of layer 1 are equal")


def test_boundary_caption_calls_the_one_neuron_prediction_constant(sigmoid: Result) -> None:
    """One effective neuron on circles predicts one class everywhere on the plot: the
    caption calls it a constant prediction (it used to say "One neuron draws one straight
    boundary at most" above a plot with no boundary) and says one neuron could draw one line
    at most."""
    text = explain.caption_boundary(sigmoid, ZEROS)
    assert text.startswith("A constant prediction after 100 epochs: class 0 everywhere")
    assert "one straight line at most" in text


def test_boundary_caption_says_dead_units_predict_a_constant(tanh: Result) -> None:
    """Dead hidden units: the network answers the same everywhere."""
    assert explain.caption_boundary(tanh, ZEROS).startswith("A constant prediction")


def test_boundary_caption_of_a_regression_quotes_the_loss(toy: Result) -> None:
    """A regression has no decision map: the caption quotes the train loss of the run at the
    shown epoch (it used to say "The network's output against the data" for 3-input data that
    the chart does not draw)."""
    loss = toy.history.train_loss[runs_of(toy, ZEROS)[0], -1]
    assert explain.caption_boundary(toy, ZEROS) == f"Train loss {loss:.3g} after 20 epochs."


# ------------------------------------------------------------------------------------------
# The package
# ------------------------------------------------------------------------------------------


def test_explain_imports_neither_plotly_nor_streamlit() -> None:
    """The captions are pure: importing sim.explain loads no UI library (checked in a fresh
    interpreter, since this one may have loaded them for other tests)."""
    code = ("import sys, sim.explain; "
            "print([m for m in ('plotly', 'streamlit') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
