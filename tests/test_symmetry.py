"""The lesson itself: zero initialization keeps units identical; random breaks symmetry."""

import numpy as np
import pytest

from sim.config import Config
from sim.train import train_comparison

CLASSIC = {"dataset": "toy", "hidden": [2], "activation": "sigmoid", "loss": "mse",
           "optimizer": "sgd", "lr": 0.5, "epochs": 1000,
           "inits": [{"scheme": "zeros"}, {"scheme": "normal", "params": {"std": 1.0}}]}


@pytest.fixture(scope="module")
def classic():
    return train_comparison(Config.from_dict(CLASSIC))


def test_classic_zero_init_units_stay_bit_identical(classic):
    """[3, 2, 1] sigmoid, squared error, all zeros: after 1000 SGD steps W1's rows are equal."""
    h = classic.history
    for k in range(h.snapshot_epochs.size):
        W1, b1 = h.weights[0][0, k], h.biases[0][0, k]
        assert np.array_equal(W1[0], W1[1]) and b1[0] == b1[1]
    assert h.snapshot_epochs[-1] == 1000
    assert np.any(h.weights[0][0, -1] != 0)  # they moved, together


def test_classic_zero_init_loss_still_decreases(classic):
    """The symmetric network still learns what one neuron can: the loss goes down."""
    loss = classic.history.train_loss[0]
    assert loss[-1] < loss[0]


def test_classic_distinct_neurons_one_vs_two(classic):
    """Distinct neurons: 1 under zero init, 2 under random init, at every snapshot."""
    d = classic.history.metrics["distinct_neurons"]
    assert np.all(d[0, :, 0] == 1)
    assert np.all(d[1, :, 0] == 2)
    assert np.all(classic.history.metrics["symmetry_gap"][0] == 0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_tanh_relu_zero_init_first_layer_gradient_is_zero(activation):
    """With tanh or relu and all zeros no gradient reaches the first layer, at any step."""
    cfg = Config.from_dict({**CLASSIC, "activation": activation, "epochs": 200,
                            "inits": [{"scheme": "zeros"}]})
    h = train_comparison(cfg).history
    assert np.all(h.grad_norm[0, :, 0] == 0.0)
    assert np.all(h.weights[0][0] == 0.0)
    assert np.all(h.metrics["dead_units"][0, :, 0] == 2)
    assert np.all(h.metrics["distinct_neurons"][0, :, 0] == 0)
    # only the output bias learned: the output weights stay zero as well
    assert np.all(h.weights[1][0] == 0.0)
    assert np.any(h.biases[1][0, -1] != 0.0)


@pytest.mark.parametrize("hidden", [[5], [17, 3], [64, 64], [100], [1, 7]], ids=str)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu"])
@pytest.mark.parametrize("dataset", ["sine", "moons", "blobs"])
def test_float64_keeps_exact_symmetry(hidden, activation, dataset):
    """float64: constant-initialized units stay bit-identical in many shapes.

    Covers 1-D inputs (sine), one-unit layers, multi-class outputs and widths where OpenBLAS's
    kernels have remainder rows (5, 17, 100).
    """
    cfg = Config.from_dict({"dataset": dataset, "hidden": hidden, "activation": activation,
                            "epochs": 60, "lr": 0.05, "n_samples": 101,
                            "inits": [{"scheme": "constant", "params": {"value": 0.05}}]})
    h = train_comparison(cfg).history
    assert h.diverged_at[0] == -1
    assert np.all(h.metrics["symmetry_gap"][0] == 0.0)
    assert np.all(h.metrics["distinct_neurons"][0] <= 1)


def test_minibatch_momentum_adam_keep_symmetry():
    """Mini-batches, momentum and Adam act element-wise: symmetry survives them all."""
    for opt in ("momentum", "adam"):
        cfg = Config.from_dict({"dataset": "circles", "hidden": [6, 6], "activation": "sigmoid",
                                "epochs": 20, "batch_size": 32, "optimizer": opt, "lr": 0.05,
                                "inits": [{"scheme": "zeros"}]})
        h = train_comparison(cfg).history
        assert np.all(h.metrics["symmetry_gap"][0] == 0.0), opt


def test_dropout_breaks_symmetry_for_sigmoid():
    """Dropout gives identical sigmoid units different gradients: they drift apart."""
    cfg = Config.from_dict({"dataset": "circles", "hidden": [8], "activation": "sigmoid",
                            "epochs": 100, "dropout": 0.3, "lr": 1.0,
                            "inits": [{"scheme": "zeros"}]})
    h = train_comparison(cfg).history
    assert h.metrics["distinct_neurons"][0, -1, 0] == 8
    assert h.metrics["symmetry_gap"][0, -1, 0] > 0


def test_dropout_does_not_revive_tanh_zero_layer():
    """With tanh the zero layer outputs exactly 0, and dropout of 0 is still 0: all dead."""
    cfg = Config.from_dict({"dataset": "circles", "hidden": [8], "activation": "tanh",
                            "epochs": 100, "dropout": 0.3, "inits": [{"scheme": "zeros"}]})
    h = train_comparison(cfg).history
    assert h.metrics["dead_units"][0, -1, 0] == 8


def test_random_biases_break_symmetry_for_tanh():
    """Zero weights with random biases: tanh units become distinct."""
    cfg = Config.from_dict({"dataset": "circles", "hidden": [8], "activation": "tanh",
                            "epochs": 50, "inits": [{"scheme": "zeros", "bias": "normal",
                                                     "bias_params": {"std": 1.0}}]})
    h = train_comparison(cfg).history
    assert h.metrics["distinct_neurons"][0, -1, 0] == 8


def test_relu_random_biases_stay_rank_one():
    """Zero weights + random biases with relu: distinct parameters, but activation rank 1.

    By positive homogeneity every live unit stays a scaled copy of one neuron.
    """
    cfg = Config.from_dict({"dataset": "circles", "hidden": [8], "activation": "relu",
                            "epochs": 50, "inits": [{"scheme": "zeros", "bias": "normal",
                                                     "bias_params": {"std": 1.0}}]})
    h = train_comparison(cfg).history
    assert h.metrics["rank"][0, -1, 0] == 1
    assert h.metrics["distinct_neurons"][0, -1, 0] > 1
    assert h.metrics["dead_units"][0, -1, 0] > 0


def test_float32_rounding_breaks_symmetry_that_float64_keeps():
    """The float32 preset: the symmetry gap grows in float32 and stays exactly 0 in float64.

    The engine must not hide rounding noise in float32, and must not cause it in float64.
    """
    from sim.presets import PRESETS

    cfg = PRESETS["float32"].config().replace(epochs=400)
    h32 = train_comparison(cfg).history
    h64 = train_comparison(cfg.replace(dtype="float64")).history
    assert np.all(h64.metrics["symmetry_gap"] == 0.0)
    gap = h32.metrics["symmetry_gap"][0, :, 0]
    assert gap[0] == 0.0 and gap[-1] > 1e-3
