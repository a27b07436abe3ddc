"""Training a comparison: reproducibility, history, divergence, optimizers."""

import numpy as np
import pytest

from sim.config import Config
from sim.train import snapshot_epochs, train_comparison

SMALL = {"dataset": "moons", "hidden": [6, 5], "epochs": 40, "n_samples": 96,
         "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}], "seeds": 2}


def _arrays(result):
    h = result.history
    yield from (h.train_loss, h.test_loss, h.train_accuracy, h.test_accuracy, h.grad_norm)
    yield from h.weights
    yield from h.biases
    yield from h.metrics.values()


@pytest.mark.parametrize("extra", [{}, {"batch_size": 16}, {"dropout": 0.2},
                                   {"optimizer": "adam", "lr": 0.01}], ids=str)
def test_same_config_and_seed_give_identical_histories(extra):
    """Same config and seed: every array of the history is bit-for-bit identical."""
    cfg = Config.from_dict({**SMALL, **extra})
    a, b = train_comparison(cfg), train_comparison(cfg)
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)


def test_thread_split_does_not_change_results():
    """Training the runs in one thread or two gives the same bits."""
    cfg = Config.from_dict({**SMALL, "batch_size": 16, "dropout": 0.1})
    a, b = train_comparison(cfg, workers=1), train_comparison(cfg, workers=2)
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)


def test_run_does_not_depend_on_the_rest_of_the_comparison():
    """Run (xavier, seed 1) is the same whether or not the zero-init runs are trained too."""
    both = train_comparison(Config.from_dict({**SMALL, "batch_size": 16}))
    alone = train_comparison(Config.from_dict({**SMALL, "batch_size": 16,
                                               "inits": [{"scheme": "xavier_uniform"}]}))
    np.testing.assert_array_equal(both.history.train_loss[3], alone.history.train_loss[1])


def test_different_seeds_give_different_runs():
    """Seeds 0 and 1 of a random init start and end differently."""
    h = train_comparison(Config.from_dict(SMALL)).history
    assert not np.array_equal(h.weights[0][2, 0], h.weights[0][3, 0])
    assert h.train_loss[2, -1] != h.train_loss[3, -1]


def test_different_data_seed_gives_different_history():
    """Changing the data seed changes the data and so the curves."""
    a = train_comparison(Config.from_dict(SMALL)).history
    b = train_comparison(Config.from_dict({**SMALL, "data_seed": 1})).history
    assert not np.array_equal(a.train_loss, b.train_loss)


def test_history_shapes():
    """Curves per epoch and run, grad norm per layer, snapshots including first and last."""
    cfg = Config.from_dict(SMALL)
    h = train_comparison(cfg).history
    R, E = 4, 40
    assert h.train_loss.shape == h.test_loss.shape == h.test_accuracy.shape == (R, E + 1)
    assert h.grad_norm.shape == (R, E, 3)
    assert h.snapshot_epochs[0] == 0 and h.snapshot_epochs[-1] == E
    S = h.snapshot_epochs.size
    assert [w.shape for w in h.weights] == [(R, S, 6, 2), (R, S, 5, 6), (R, S, 1, 5)]
    assert h.metrics["rank"].shape == (R, S, 2)


def test_history_loss_matches_an_independent_forward_pass():
    """train_loss[e] is the loss of the snapshot parameters of epoch e on the training set."""
    from sim.network import loss_and_gradients

    res = train_comparison(Config.from_dict(SMALL))
    h = res.history
    for k in (0, 5, -1):
        e = h.snapshot_epochs[k]
        W, b = res.parameters_at(3, k)
        value = loss_and_gradients(W, b, res.data.X_train, res.data.y_train, "tanh", "bce")[0]
        assert value == pytest.approx(h.train_loss[3, e], rel=1e-12)


def test_sgd_step_matches_loss_and_gradients():
    """One full-batch SGD epoch moves the parameters by -lr times the documented gradient."""
    from sim.network import loss_and_gradients

    cfg = Config.from_dict({**SMALL, "epochs": 1, "seeds": 1, "lr": 0.3})
    res = train_comparison(cfg)
    W0, b0 = res.parameters_at(1, 0)
    W1, b1 = res.parameters_at(1, 1)
    _, gW, gb = loss_and_gradients(W0, b0, res.data.X_train, res.data.y_train, "tanh", "bce")
    for w0, w1, g in zip(W0 + b0, W1 + b1, gW + gb, strict=True):
        np.testing.assert_allclose(w1, w0 - 0.3 * g, rtol=1e-12, atol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    """Adam's first step is lr * g / (|g| + eps): about lr in size for non-tiny gradients."""
    cfg = Config.from_dict({**SMALL, "epochs": 1, "seeds": 1, "optimizer": "adam", "lr": 0.01,
                            "inits": [{"scheme": "xavier_uniform"}]})
    res = train_comparison(cfg)
    from sim.network import loss_and_gradients

    W0, b0 = res.parameters_at(0, 0)
    W1, _ = res.parameters_at(0, 1)
    _, gW, _ = loss_and_gradients(W0, b0, res.data.X_train, res.data.y_train, "tanh", "bce")
    expected = W0[1] - 0.01 * gW[1] / (np.abs(gW[1]) + 1e-8)
    np.testing.assert_allclose(W1[1], expected, rtol=1e-9)


def test_divergence_stops_that_run_only():
    """A run whose numbers blow up stops and records the epoch; the others go on."""
    cfg = Config.from_dict({"dataset": "toy", "hidden": [4], "activation": "tanh",
                            "epochs": 400, "lr": 1.0, "loss": "mse",
                            "inits": [{"scheme": "normal", "params": {"std": 1.0}, "scale": 100},
                                      {"scheme": "xavier_uniform"}]})
    h = train_comparison(cfg).history
    d = h.diverged_at[0]
    assert 0 < d <= 400
    assert np.isfinite(h.train_loss[0, :d]).all() and np.isnan(h.train_loss[0, d:]).all()
    assert h.diverged_at[1] == -1 and np.isfinite(h.train_loss[1]).all()


def test_l2_shrinks_weights():
    """With a large L2 penalty the trained weights are smaller."""
    base = {**SMALL, "seeds": 1, "inits": [{"scheme": "xavier_uniform"}], "epochs": 100}
    a = train_comparison(Config.from_dict(base)).history
    b = train_comparison(Config.from_dict({**base, "l2": 0.1})).history
    assert np.abs(b.weights[1][0, -1]).sum() < np.abs(a.weights[1][0, -1]).sum()


def test_float32_runs_in_float32():
    """dtype float32 trains in float32 (snapshots keep the dtype)."""
    h = train_comparison(Config.from_dict({**SMALL, "dtype": "float32"})).history
    assert h.weights[0].dtype == np.float32
    assert np.isfinite(h.train_loss).all()


def test_multiclass_blobs_learns():
    """Softmax + cross-entropy on blobs reaches a high accuracy with a random init."""
    cfg = Config.from_dict({"dataset": "blobs", "hidden": [8], "epochs": 200,
                            "inits": [{"scheme": "xavier_uniform"}], "n_classes": 4})
    h = train_comparison(cfg).history
    assert h.test_accuracy[0, -1] > 0.8


def test_progress_callback_reaches_one():
    """The progress callback is called and ends at 1.0."""
    seen = []
    train_comparison(Config.from_dict(SMALL), progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0 <= x <= 1 for x in seen)


@pytest.mark.parametrize("epochs,count", [(10, 151), (1000, 151), (100000, 151), (5000, 2)])
def test_snapshot_epochs_bounded_with_first_and_last(epochs, count):
    """About `count` snapshots at most, always including epoch 0 and the last epoch."""
    s = snapshot_epochs(epochs, count)
    assert s[0] == 0 and s[-1] == epochs
    assert s.size == min(count, epochs + 1)
    assert np.all(np.diff(s) > 0)


def test_wide_deep_network_keeps_snapshot_memory_bounded():
    """A [1024] x 4 network gets fewer snapshots so snapshot memory stays bounded."""
    from sim.config import SNAPSHOT_BUDGET, snapshot_count

    # built directly: this config is (rightly) refused by validation as too slow to train
    cfg = Config(hidden=(1024,) * 4, epochs=1000, seeds=4)
    params = sum(a * b + a for a, b in zip(cfg.layer_sizes[1:], cfg.layer_sizes[:-1],
                                            strict=True))
    n = snapshot_count(cfg)
    assert 2 <= n < 151
    assert n * cfg.n_runs * params * 8 <= SNAPSHOT_BUDGET


@pytest.mark.parametrize("hidden", [[4] * 32, [1024]], ids=["32 layers", "1024 units"])
def test_large_shapes_train(hidden):
    """Networks of 32 hidden layers, or 1024 units in a layer, train and record metrics."""
    cfg = Config.from_dict({"hidden": hidden, "epochs": 3, "n_samples": 64,
                            "activation": "relu",
                            "inits": [{"scheme": "he_normal"}, {"scheme": "zeros"}]})
    h = train_comparison(cfg).history
    assert np.isfinite(h.train_loss).all()
    assert h.metrics["distinct_neurons"].shape == (2, 4, len(hidden))
    assert h.metrics["dead_units"][1, -1, 0] == hidden[0]


def test_history_loss_leaves_the_l2_penalty_out():
    """``train_loss`` is the data loss; loss_and_gradients with l2 adds the penalty (documented
    in History, the README and the loss axis, which says "without L2")."""
    from sim.charts.curves import loss_axis_title
    from sim.network import loss_and_gradients

    cfg = Config.from_dict({"dataset": "moons", "hidden": [8], "l2": 0.1, "epochs": 3,
                            "test_fraction": 0.0,
                            "inits": [{"scheme": "normal", "params": {"std": 1.0}}]})
    result = train_comparison(cfg)
    W = [w[0, 0].astype(np.float64) for w in result.history.weights]
    b = [x[0, 0].astype(np.float64) for x in result.history.biases]
    X, y = result.data.X_train, result.data.y_train
    with_penalty, _, _ = loss_and_gradients(W, b, X, y, cfg.activation, cfg.loss_name, l2=0.1)
    without, _, _ = loss_and_gradients(W, b, X, y, cfg.activation, cfg.loss_name, l2=0.0)
    penalty = 0.05 * sum(float((w ** 2).sum()) for w in W)
    assert with_penalty == pytest.approx(without + penalty)
    assert result.history.train_loss[0, 0] == pytest.approx(without, rel=1e-12)
    assert penalty > 0.1  # the two differ visibly
    assert "without L2" in loss_axis_title(result)
    assert "without L2" not in loss_axis_title(train_comparison(cfg.replace(l2=0.0)))


def test_ctrl_c_stops_every_training_thread_promptly():
    """Ctrl-C (KeyboardInterrupt in the main thread) leaves train_comparison at once, without
    a progress callback too, and the worker thread stops at its next epoch."""
    import _thread
    import threading
    import time

    cfg = Config.from_dict({"hidden": [64, 64], "n_samples": 1000, "epochs": 1500,
                            "seeds": 2})  # several seconds of training
    before = threading.active_count()
    timer = threading.Timer(0.3, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        train_comparison(cfg, workers=2)
    assert time.perf_counter() - t0 < 2.0  # well before the end of the training
    deadline = time.perf_counter() + 5.0
    while threading.active_count() > before and time.perf_counter() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before


def test_progress_goes_on_with_the_slowest_thread(monkeypatch):
    """The progress callback follows the slowest thread to the end: when one thread's runs
    are done early (here the second thread starts late), the fraction keeps rising with the
    other's instead of waiting at its share until the very end."""
    import time

    import sim.train as train_module

    original = train_module._Chunk.run

    def late(chunk):
        if chunk is not chunks[0]:
            time.sleep(1.0)  # longer than the first thread's whole training
        original(chunk)

    chunks: list = []
    init = train_module._Chunk.__init__

    def remember(chunk, *args, **kwargs):
        init(chunk, *args, **kwargs)
        chunks.append(chunk)

    monkeypatch.setattr(train_module._Chunk, "__init__", remember)
    monkeypatch.setattr(train_module._Chunk, "run", late)
    cfg = Config.from_dict({**SMALL, "hidden": [32, 32], "epochs": 400, "n_samples": 400,
                            "seeds": 1})
    seen: list[float] = []
    train_comparison(cfg, progress=seen.append, workers=2)
    assert seen[-1] == 1.0
    assert max(seen[:-1]) > 0.5, seen[-5:]
    assert all(a <= b for a, b in zip(seen, seen[1:], strict=False))
