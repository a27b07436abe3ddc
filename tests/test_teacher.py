"""The ``teacher`` dataset: Saxe, McClelland & Ganguli (2014)'s linear teacher, the one
regression with several outputs (8 inputs -> 8 outputs, ``y = W_t x + noise``)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import DATASETS, Config, make_dataset, train_comparison
from sim.charts import CHARTS, all_figures, draw
from sim.charts.view import View
from sim.datasets import TEACHER_SINGULAR_VALUES, TEACHER_SIZE, teacher_matrix
from sim.explain.headlines import headline
from sim.explain.step import hand_step
from sim.explain.why import derivation


def _fit(ds) -> np.ndarray:
    """Least-squares ``W`` with ``y ~ W x`` on all of ``ds`` (train and test), (8, 8)."""
    X = np.vstack([ds.X_train, ds.X_test])
    y = np.vstack([ds.y_train, ds.y_test])
    return np.linalg.lstsq(X, y, rcond=None)[0].T


def _linear(**changes) -> Config:
    """A deep linear network on teacher: orthogonal weights, three weight layers."""
    base = {"dataset": "teacher", "hidden": [8, 8], "activation": "linear", "loss": "mse",
            "inits": [{"scheme": "orthogonal"}], "optimizer": "sgd", "lr": 0.05,
            "epochs": 400, "batch_size": 0, "snapshots": 5}
    return Config.from_dict({**base, **changes})


# --- shapes --------------------------------------------------------------------------------


def test_teacher_is_an_8_to_8_regression_with_8_output_units():
    ds = make_dataset("teacher", n_samples=100)
    assert DATASETS["teacher"].outputs == TEACHER_SIZE == 8
    assert ds.task == "regression" and ds.n_classes == 0
    assert ds.X_train.shape == (75, 8) and ds.y_train.shape == (75, 8)
    assert ds.X_test.shape == (25, 8) and ds.y_test.shape == (25, 8)
    cfg = _linear()
    assert cfg.n_outputs == 8 and cfg.layer_sizes == [8, 8, 8, 8]


def test_the_other_regressions_keep_one_output():
    for name in ("toy", "sine"):
        assert DATASETS[name].outputs == 1
        assert Config.from_dict({"dataset": name}).n_outputs == 1


def test_inputs_are_white():
    """x ~ N(0, I): the sample covariance of many inputs is close to the identity."""
    ds = make_dataset("teacher", n_samples=20_000, test_fraction=0.0)
    C = np.cov(ds.X_train, rowvar=False)
    assert np.abs(C - np.eye(8)).max() < 0.05
    assert np.abs(ds.X_train.mean(axis=0)).max() < 0.05


# --- the teacher ---------------------------------------------------------------------------


def test_documented_singular_values_geometric_from_3_to_0_3():
    s = TEACHER_SINGULAR_VALUES
    assert s[0] == pytest.approx(3.0) and s[-1] == pytest.approx(0.3)
    ratios = s[1:] / s[:-1]
    assert np.allclose(ratios, ratios[0]) and ratios[0] < 1


def test_least_squares_fit_of_noise_free_data_recovers_the_singular_values():
    ds = make_dataset("teacher", n_samples=200, noise=0.0, seed=3)
    W = _fit(ds)
    assert np.allclose(W, teacher_matrix(), atol=1e-10)
    assert np.allclose(np.linalg.svd(W, compute_uv=False), TEACHER_SINGULAR_VALUES, atol=1e-10)


def test_singular_vectors_are_not_the_axes():
    """U and V are random rotations: W_t is not diagonal (its modes mix the coordinates)."""
    W = teacher_matrix()
    off = W - np.diag(np.diag(W))
    assert np.abs(off).max() > 0.5


def test_same_teacher_for_every_data_seed_but_different_samples():
    a = make_dataset("teacher", n_samples=100, noise=0.0, seed=0)
    b = make_dataset("teacher", n_samples=100, noise=0.0, seed=1)
    assert not np.allclose(a.X_train, b.X_train)
    assert np.allclose(_fit(a), _fit(b), atol=1e-10)


def test_noise_is_added_with_the_given_standard_deviation():
    ds = make_dataset("teacher", n_samples=10_000, noise=0.5, test_fraction=0.0)
    residual = ds.y_train - ds.X_train @ teacher_matrix().T
    assert residual.std() == pytest.approx(0.5, rel=0.03)
    assert abs(residual.mean()) < 0.02


# --- training ------------------------------------------------------------------------------


def test_mse_sums_over_the_outputs():
    """The initial loss of a zero-output network is half the mean squared norm of y, summed
    over the 8 outputs (sim.losses' convention), not averaged over them."""
    cfg = _linear(inits=[{"scheme": "zeros"}], epochs=1)
    r = train_comparison(cfg)
    y = r.data.y_train
    assert r.history.train_loss[0, 0] == pytest.approx(0.5 * np.mean(np.sum(y * y, axis=1)))


def test_orthogonal_deep_linear_net_reaches_1_percent_of_its_initial_loss():
    r = train_comparison(_linear())
    loss = r.history.train_loss[0]
    assert (r.history.diverged_at == -1).all()
    assert loss[-1] < 0.01 * loss[0], (loss[0], loss[-1])
    assert r.history.test_loss[0, -1] < 0.01 * r.history.test_loss[0, 0]


def test_strong_modes_are_learned_before_weak_ones():
    """Saxe et al.: a mode of strength s is learned in a time ~ 1/s. From a small start, the
    network's map W_3 W_2 W_1 gets the teacher's strongest direction right first."""
    cfg = _linear(inits=[{"scheme": "normal", "params": {"std": 0.1}}], epochs=60,
                  snapshots=61)
    r = train_comparison(cfg)
    W, _ = r.parameters_at(0, -1)  # weights as (fan_out, fan_in)
    M = W[2] @ W[1] @ W[0]
    U, s, Vt = np.linalg.svd(teacher_matrix())
    learned = np.array([U[:, j] @ M @ Vt[j] for j in range(8)]) / s
    assert learned[0] > 0.8 and learned[-1] < 0.3, learned


# --- the page: every chart, caption, headline and explanation handles 8 outputs ------------


@pytest.fixture(scope="module")
def result():
    return train_comparison(_linear(inits=[{"scheme": "zeros"}, {"scheme": "orthogonal"}],
                                    epochs=50))


def test_every_chart_and_caption_draws_or_says_it_does_not_apply(result):
    view = View(log_y=True, metric="distinct_neurons", snapshot=-1)
    for spec in CHARTS.values():
        for i in range(2) if spec.per_init else [None]:
            fig = draw(spec, result, i, view)
            if spec.caption is not None and fig is not None:
                assert spec.caption(result, i, view).endswith(".")
            if spec.name == "boundary":
                assert fig is None and spec.absent  # an 8-D input has no picture
    figs = all_figures(result, frames=False)
    assert any(k.startswith("loss") for k in figs) and any(k.startswith("network") for k in figs)
    for chart in ("loss", "boundary", "neurons", "weights"):
        assert isinstance(headline(result, chart, 1), str)


def test_boundary_caption_of_a_multi_output_regression_reports_the_loss(result):
    text = CHARTS["boundary"].caption(result, 1, View(True, "distinct_neurons", -1))
    assert text.startswith("Train loss ")


def test_hand_step_and_derivation_run_on_8_outputs(result):
    for i in (0, 1):
        steps = hand_step(result, i)
        assert steps and all(s.blocks for s in steps)
    assert derivation(result)


def test_depth_8_orthogonal_learns_fast_where_scaled_gaussian_stalls():
    """Saxe et al.'s depth claim at one depth: with 8 hidden layers of 8 linear units and the
    same learning rate, orthogonal weights reach 1% of their initial loss within 500 epochs
    on every seed, Gaussian weights of std 1/sqrt(8) (the same scale on average) on none."""
    cfg = _linear(hidden=[8] * 8, lr=0.03, epochs=500, seeds=3, snapshots=2,
                  inits=[{"scheme": "orthogonal"},
                         {"scheme": "normal", "params": {"std": 8 ** -0.5}}])
    r = train_comparison(cfg)
    L = r.history.train_loss
    reached = (L <= 0.01 * L[:, :1]).any(axis=1)
    assert reached[r.run_indices(0)].all() and not reached[r.run_indices(1)].any(), L[:, -1]
