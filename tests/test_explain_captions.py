"""Tests of the captions (:mod:`sim.explain.captions`): the sentence under each chart.

No Streamlit and no charts: small comparisons are trained by the engine and each caption is
checked against what the run did, with the numbers it quotes recomputed from the history.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from dataclasses import dataclass
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


# ------------------------------------------------------------------------------------------
# Every caption's claims against the numbers its chart draws: presets x sides x snapshots
# ------------------------------------------------------------------------------------------

#: The both-random configuration of the teacher's report (?left=xavier_uniform&right=he_normal
#: on the default lesson settings).
BOTH_RANDOM = {**PRESETS["lesson"].settings,
               "inits": [{"scheme": "xavier_uniform"}, {"scheme": "he_normal"}]}
CASES = [*PRESETS, "both_random"]
MARGIN = 0.05  # a boundary is credited only this far above the largest class's share


@functools.cache
def trained(case: str) -> Result:
    """The comparison of a preset (or of the both-random configuration), trained once."""
    cfg = Config.from_dict(BOTH_RANDOM) if case == "both_random" else PRESETS[case].config()
    return train_comparison(cfg)


_GRID_CLASSES: dict[tuple[int, int, int], np.ndarray | None] = {}


def chart_grid_classes(result: Result, run: int, k: int) -> np.ndarray | None:
    """The classes the decision-boundary chart colours, from the chart's own functions
    (sim.charts.boundary), not from the helper the captions use (kept per run and
    snapshot: several claims ask)."""
    key = (id(result), run, k)
    if key not in _GRID_CLASSES:
        _GRID_CLASSES[key] = _chart_grid_classes(result, run, k)
    return _GRID_CLASSES[key]


def _chart_grid_classes(result: Result, run: int, k: int) -> np.ndarray | None:
    """The classes the decision-boundary chart colours (its map's P(class 1) either side of
    0.5 for two classes, its class map for more)."""
    from sim.charts import decision_boundary

    init_index = next(i for i in range(len(result.config.inits)) if run in result.run_indices(i))
    seed = list(result.run_indices(init_index)).index(run)
    fig = decision_boundary(result, init_index, snapshot=k, seed=seed)
    maps = [t for t in fig.data if getattr(t, "z", None) is not None]
    if not maps:
        return None
    z = np.asarray(maps[0].z, dtype=float)
    if not np.isfinite(z).any():
        return None
    if max(result.data.n_classes, 2) == 2:
        return np.unique((z[np.isfinite(z)] > 0.5).astype(int))
    return np.unique(z[np.isfinite(z)].astype(int))


def best_constant_loss(result: Result) -> float:
    """The loss of the best constant answer, worked out by hand: the binary cross-entropy of
    the class shares, the cross-entropy of the class shares for several classes (the
    filters preset's 4 bar orientations), or half the targets' variance for squared error."""
    y = result.data.y_train
    if result.config.loss_name == "mse":
        return float(0.5 * ((y - y.mean(axis=0)) ** 2).sum(axis=1).mean())
    if result.config.loss_name == "ce":
        shares = np.bincount(y.astype(int).ravel()) / y.size
        shares = shares[shares > 0]
        return float(-(shares * np.log(shares)).sum())
    assert result.config.loss_name == "bce"
    p = y.mean()
    return float(-(p * np.log(p) + (1 - p) * np.log(1 - p)))


@dataclass
class Facts:
    """What one chart of one run draws, recomputed from the history for the checks."""

    result: Result
    i: int
    run: int
    k: int  # snapshot index (weights and boundary charts)

    @property
    def h(self):
        return self.result.history

    def hidden_rows(self, k: int) -> list[int]:
        """distinct_rows of [W | b] of every hidden layer of the run at snapshot k."""
        return [explain.reading.distinct_rows(explain.reading.unit_params(
            self.result, l, self.run, k)) for l in range(len(self.h.weights) - 1)]

    def widths(self) -> list[int]:
        return list(self.result.config.hidden)

    def accuracy(self) -> float:
        return float(self.h.train_accuracy[self.run, int(self.h.snapshot_epochs[self.k])])

    def base(self, labels: np.ndarray) -> float:
        return float(np.bincount(labels).max() / labels.size)

    def loss_change(self) -> tuple[float, float]:
        runs = self.result.run_indices(self.i)
        return (float(self.h.train_loss[runs, 0].mean()),
                float(self.h.train_loss[runs, -1].mean()))


def _equal_everywhere(f: Facts) -> bool:
    return all(d == 1 for d in f.hidden_rows(f.k)) and max(f.widths()) > 1


def _constant_grid(f: Facts) -> bool:
    c = chart_grid_classes(f.result, f.run, f.k)
    return c is not None and c.size == 1


def _credited(f: Facts) -> bool:
    return f.accuracy() >= f.base(f.result.data.y_train) + MARGIN


#: (caption, pattern, fact that must hold wherever the pattern appears, and whether the
#: caption must say it wherever the fact holds).
CLAIMS = {
    "weights: rows equal": ("weights", r"rows (of layer 1 )?are equal|all rows are equal",
                            _equal_everywhere, False),
    "weights: every row differs": (
        "weights", r"every row differs",
        lambda f: f.hidden_rows(f.k) == f.widths(), False),
    "weights: all exactly 0": (
        "weights", r"every weight is still exactly 0",
        lambda f: not any(np.any(w[f.run, f.k]) for w in f.h.weights), False),
    "neurons: identical": (
        "neurons", r"identical",
        lambda f: all(d == 1 for r in f.result.run_indices(f.i) for d in Facts(
            f.result, f.i, r, -1).hidden_rows(-1)), False),
    "neurons: dead": (
        "neurons", r"are dead",
        lambda f: np.all(f.h.metrics["dead_units"][f.result.run_indices(f.i), -1]
                         == f.widths()), False),
    "neurons: different": (
        "neurons", r"different neurons|units differ",
        lambda f: np.all(f.h.metrics["distinct_neurons"][f.result.run_indices(f.i), -1]
                         == f.widths()), False),
    "boundary: constant prediction": ("boundary", r"^A constant prediction", _constant_grid,
                                      True),
    "boundary: a drawn boundary or regions": (
        "boundary", r"\bdraws? (a boundary|a single straight line|class regions|bands)",
        lambda f: not _constant_grid(f), False),
    "boundary: credited": ("boundary", r"the largest class alone gives",
                           lambda f: _credited(f) and not _constant_grid(f), False),
    "boundary: separates nothing": (
        "boundary", r"separates nothing", lambda f: not _credited(f) and not _constant_grid(f),
        True),
    "boundary: one neuron": ("boundary", r"act as one neuron", _equal_everywhere, False),
    "loss: fell": ("loss", r"% lower", lambda f: f.loss_change()[1] < 0.99 * f.loss_change()[0],
                   False),
    "loss: stuck": ("loss", r"barely moved",
                    lambda f: abs(f.loss_change()[1] - f.loss_change()[0])
                    < 0.01 * f.loss_change()[0], True),
    "loss: rose": ("loss", r"rose", lambda f: f.loss_change()[1] > f.loss_change()[0], False),
    "loss: at the constant prediction's loss": (
        "loss", r"best constant prediction",
        lambda f: abs(f.loss_change()[1] - best_constant_loss(f.result))
        <= 0.01 * best_constant_loss(f.result), True),
    "loss: accuracy no better than a constant answer": (
        "loss", r"no better than always answering",
        lambda f: f.h.test_accuracy is not None
        and f.h.test_accuracy[f.result.run_indices(f.i), -1].mean()
        < f.base(f.result.data.y_test) + MARGIN, True),
    "grad_norm: never reaches": (
        "grad_norm", r"No gradient ever reaches",
        lambda f: np.all(f.h.grad_norm[f.result.run_indices(f.i), :, :-1] == 0), True),
    "grad_norm: weights above are 0": (
        "grad_norm", r"weights above it are still 0",
        lambda f: not any(np.any(w[f.result.run_indices(f.i), 0]) for w in f.h.weights[1:]),
        False),
    "symmetry_gap: exactly 0 throughout": (
        "symmetry_gap", r"exactly 0 from start to end",
        lambda f: np.all(f.h.metrics["symmetry_gap"][f.result.run_indices(f.i)] == 0), True),
}


def caption_of(chart: str, f: Facts) -> str:
    """The caption of ``chart`` for the run and snapshot of ``f``, as the page calls it."""
    seed = f.result.runs[f.run][1]
    if chart == "weights":
        return explain.caption_weights(f.result, f.i, f.k, seed)
    if chart == "boundary":
        return explain.caption_boundary(f.result, f.i, f.k, seed)
    return getattr(explain, f"caption_{chart}")(f.result, f.i)


def check_claim(claim: str, text: str, f: Facts) -> None:
    """Fail when ``text`` makes claim ``claim`` that the numbers deny, or omits a claim the
    numbers require."""
    _, pattern, fact, required = CLAIMS[claim]
    said = re.search(pattern, text) is not None
    if said:
        assert fact(f), f"{claim!r} claimed but false: {text}"
    elif required and fact(f):
        raise AssertionError(f"{claim!r} holds but is not said: {text}")


def _facts(case: str, i: int) -> list[Facts]:
    res = trained(case)
    S = res.history.snapshot_epochs.size
    run = res.run_indices(i)[0]
    return [Facts(res, i, run, k) for k in sorted({0, S // 2, S - 1})]


@pytest.mark.parametrize("claim", list(CLAIMS))
@pytest.mark.parametrize("side", [0, 1])
@pytest.mark.parametrize("case", CASES)
def test_caption_claims_match_the_numbers(case: str, side: int, claim: str) -> None:
    """Each caption of each preset's side (and of the both-random configuration), at the
    first, a middle and the last snapshot, says ``claim`` exactly where the numbers its
    chart draws allow it (and, for the claims marked required, wherever they hold)."""
    chart = CLAIMS[claim][0]
    if chart == "boundary" and trained(case).data.X_train.shape[1] != 2:
        pytest.skip("no decision map for this dataset")
    for f in _facts(case, side):
        check_claim(claim, caption_of(chart, f), f)


@pytest.mark.parametrize("claim,text", [
    ("boundary: one neuron", "One neuron draws one straight boundary at most (train accuracy "
                             "52%)."),
    ("boundary: a drawn boundary or regions", "One neuron draws one straight boundary at "
                                               "most; the hidden units draw a boundary."),
    ("boundary: constant prediction", "Train accuracy 52% with the boundary the hidden units "
                                      "draw together."),
])
def test_the_claim_check_rejects_the_reported_captions(claim: str, text: str) -> None:
    """The check fails on the old captions the teacher reported (lesson, zeros side, last
    snapshot: a constant prediction), so the table above can fail."""
    f = _facts("lesson", ZEROS)[-1]
    if claim == "boundary: one neuron":
        text = text.replace("One neuron draws", "Eight units act as one neuron and draws")
        f = _facts("both_random", 0)[-1]  # random units are not one neuron
    with pytest.raises(AssertionError):
        check_claim(claim, text, f)


def test_reading_predicts_what_the_boundary_chart_draws() -> None:
    """The captions' grid prediction (sim.explain.reading) is the map the chart draws, point
    by point, at every checked snapshot of the lesson and deep_relu presets."""
    from sim.charts import decision_boundary

    for case in ("lesson", "deep_relu"):
        for i in (0, 1):
            for f in _facts(case, i):
                got = explain.reading.grid_prediction(f.result, f.run, f.k)
                fig = decision_boundary(f.result, i, snapshot=f.k)
                drawn = np.asarray(fig.data[0].z, dtype=float)
                assert got is not None and drawn.shape == (80, 80)
                np.testing.assert_allclose(got[:, 1].reshape(80, 80), drawn, rtol=1e-12)
