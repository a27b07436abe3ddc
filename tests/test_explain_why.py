"""The Why? derivation as data: a Result in, blocks of text out, no Streamlit.

Every sentence must follow from what the run did; these tests train small runs and check
that the derivation says what happened and nothing it did not.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

import sim
from sim.activations import ACTIVATIONS
from sim.explain import why
from sim.presets import get_preset

KINDS = {"subheader", "markdown", "latex", "info", "caption"}


def _run(**cfg) -> sim.Result:
    return sim.train_comparison(sim.Config.from_dict(cfg))


@pytest.fixture(scope="module")
def lesson() -> sim.Result:
    return sim.train_comparison(get_preset("lesson").config())


@pytest.fixture(scope="module")
def dead() -> sim.Result:
    return sim.train_comparison(get_preset("dead_zeros").config())


def _text(blocks: list[why.Block]) -> str:
    return " ".join(b.text for b in blocks)


def test_blocks_are_streamlit_element_kinds(lesson):
    """Every block names an element the page can show."""
    blocks = why.derivation(lesson)
    assert blocks[0] == why.Block("subheader", "Why identical weights stay identical")
    assert {b.kind for b in blocks} <= KINDS


def test_symmetric_sigmoid_run_states_the_induction(lesson):
    """Sigmoid from zeros in float64: equal hidden values, equal gradient rows, induction.
    (The equal rows are now stated per matrix, from the gradient itself, instead of the old
    general "every row of the gradient is the same".)"""
    text = _text(why.derivation(lesson))
    assert "hidden values are **equal**" in text
    assert r"at epoch 1 all 8 rows of $\nabla_{W^{(1)}}L$ are equal" in text
    assert "by induction" in text and "symmetry gap is exactly 0" in text
    assert why.symmetric_init(lesson) == 0 and why.symmetry_held(lesson, 0)


def test_dead_tanh_run_says_the_gradient_never_reaches_the_first_layer(dead):
    """tanh from zeros: hidden outputs 0, the first-layer gradient stays 0, the units are
    dead, only the output bias learns; no claim about a single working neuron."""
    text = _text(why.derivation(dead))
    assert "hidden values are **0**" in text
    assert "stays exactly 0 at every step" in text
    assert "only the output bias learns" in text
    assert "single neuron would" not in text
    assert why.dead_init(dead) == 0


def test_without_a_symmetric_side_no_equal_rows_are_claimed():
    """Xavier vs He: no side starts symmetric, so the derivation writes the argument as an
    *if*, says the premise fails, quotes the distinct rows of each gradient it shows and
    never states that rows are equal (the old text said "every row of the gradient is the
    same" above rows that differ)."""
    res = _run(dataset="circles", hidden=[4], activation="tanh", epochs=20,
               inits=[{"scheme": "xavier_uniform"}, {"scheme": "he_normal"}])
    text = _text(why.derivation(res))
    assert "Neither initialization" in text and "written below in symbols" in text
    assert "every row of the gradient is the same" not in text
    # The only "rows ... are equal" left is the *if* of the general argument.
    assert re.search(r"(?<!\*if\* the )rows of \$[^$]*\$ are equal", text) is None
    assert r"at epoch 0 $\nabla_{W^{(1)}}L$ has 4 different rows of 4" in text
    assert "the premise fails" in text
    assert "by induction" not in text


def test_a_sigmoid_like_activation_is_named_with_its_own_f0():
    """An activation with f(0) != 0 is described by its registry's f(0), not as sigmoid."""
    res = _run(dataset="circles", hidden=[3], activation="sigmoid", epochs=5,
               inits=[{"scheme": "zeros"}, {"scheme": "xavier_uniform"}])
    captions = [b.text for b in why.derivation(res) if b.kind == "caption"]
    assert any("Sigmoid has f(0) = 0.5 ≠ 0" in c for c in captions)


def test_latex_matrix_colours_equal_rows_only():
    """Rows equal to another row are coloured; a unique row is not."""
    M = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]])
    text = why.latex_matrix(M)
    rows = text.removeprefix(r"\begin{bmatrix}").removesuffix(r"\end{bmatrix}").split(r" \\ ")
    assert [r"\textcolor" in r for r in rows] == [True, True, False]
    assert why.distinct_rows(M) == 2


@pytest.mark.parametrize("v,text", [(0, "0"), (0.5, "0.5"), (-2.25, "-2.25"),
                                    (12345.678, r"1.235\cdot 10^{4}"),
                                    (1e-7, r"1\cdot 10^{-7}")])
def test_numbers_for_latex(v, text):
    """Four significant digits; powers of ten written out from 1e4 on and below 1e-3."""
    assert why.num(v) == text


def test_homogeneous_activation_with_random_biases_is_still_one_neuron():
    """ReLU, zero weights, random biases: the parameters differ, but the activations have
    rank 1, and the derivation says the layer still acts as one neuron because the registry
    marks relu as positively homogeneous; tanh (not homogeneous) gets no such sentence."""
    inits = [{"scheme": "zeros", "bias": "normal", "bias_params": {"std": 0.5}},
             {"scheme": "he_normal"}]
    relu = _run(dataset="circles", hidden=[8], activation="relu", epochs=200, inits=inits)
    assert relu.history.metrics["rank"][0, -1, 0] == 1
    assert relu.history.metrics["distinct_neurons"][0, -1, 0] > 1
    assert ACTIVATIONS["relu"].homogeneous and not ACTIVATIONS["tanh"].homogeneous
    assert "scaled copy of one neuron" in _text(why.derivation(relu))
    tanh = _run(dataset="circles", hidden=[8], activation="tanh", epochs=200, inits=inits)
    assert "scaled copy of one neuron" not in _text(why.derivation(tanh))


# ------------------------------------------------------------------------------------------
# Every preset: each equal-rows sentence against its matrix, and every formula fits the page
# ------------------------------------------------------------------------------------------

BOTH_RANDOM = {**get_preset("lesson").settings,
               "inits": [{"scheme": "xavier_uniform"}, {"scheme": "he_normal"}]}
CASES = [*sim.PRESETS, "both_random"]
#: The cases without conv layers: the neuron derivation (its rows sentences) and the step by
#: hand are written for them; a convnet gets the filters' derivation (test_explain_conv).
DENSE_CASES = [c for c in CASES if c == "both_random" or not sim.PRESETS[c].config().conv]


@functools.cache
def trained(case: str) -> sim.Result:
    cfg = sim.Config.from_dict(BOTH_RANDOM) if case == "both_random" else \
        sim.PRESETS[case].config()
    return sim.train_comparison(cfg)


def _shown_side(res: sim.Result) -> int:
    i = why.symmetric_init(res)
    z = why.zero_weight_init(res)
    return i if i is not None else (z if z is not None else 0)


ROWS = re.compile(r"at epoch (\d+) (?:(all \d+|both) rows of \$(.*?)\$ are equal|\$(.*?)\$ has "
                  r"(\d+) different rows of (\d+))")


def _matrix(res: sim.Result, what: str, epoch: int) -> np.ndarray:
    """The shown side's first-layer weights, or their full-batch gradient computed again
    with sim.network.loss_and_gradients, at a stored epoch."""
    run = res.run_indices(_shown_side(res))[0]
    k = int(np.flatnonzero(res.history.snapshot_epochs == epoch)[0])
    W, b = res.parameters_at(run, k)
    if what == "W^{(1)}":
        return W[0]
    assert what == r"\nabla_{W^{(1)}}L"
    cfg = res.config
    _, gW, _ = sim.network.loss_and_gradients(
        [w.astype(np.float64) for w in W], [x.astype(np.float64) for x in b],
        res.data.X_train, res.data.y_train, cfg.activation, cfg.loss_name, cfg.l2)
    return gW[0]


@pytest.mark.parametrize("case", DENSE_CASES)
def test_every_rows_sentence_matches_its_matrix(case):
    """Each "at epoch e all n rows of M are equal" / "M has d different rows of n" sentence
    of the derivation agrees with distinct_rows of that matrix, recomputed from the history
    (weights) or by loss_and_gradients (gradients); there is at least one per preset."""
    text = _text(why.derivation(trained(case)))
    found = ROWS.findall(text)
    assert found, text
    for epoch, _, what_eq, what_diff, d, n in found:
        M = _matrix(trained(case), what_eq or what_diff, int(epoch))
        if what_eq:
            assert why.distinct_rows(M) == 1, (case, epoch, what_eq)
        else:
            assert (why.distinct_rows(M), M.shape[0]) == (int(d), int(n)), (case, epoch)


@pytest.mark.parametrize("case", CASES)
def test_every_formula_fits_the_page_column(case):
    """No LaTeX block of the derivation is wider than the page column (about 850 px at
    1280 px, :data:`why.LATEX_WIDTH_EM`), by the module's width estimate."""
    for b in why.derivation(trained(case)):
        if b.kind == "latex":
            assert why.latex_width(b.text) <= why.LATEX_WIDTH_EM, b.text


def test_the_old_row_of_four_weight_matrices_is_too_wide():
    """The width estimate can fail: the old block (epochs 0, 1, 2 and the last side by side,
    4 digits, 4 columns), which ran off the page, is estimated wider than the column."""
    res = trained("float32")
    run = res.run_indices(0)[0]
    M = res.history.weights[0][run, -1]
    old = r"\quad ".join(rf"\text{{epoch }}{e}:\ " + why.latex_matrix(M, digits=4)
                         for e in (0, 1, 2, 1000))
    assert why.latex_width(old) > why.LATEX_WIDTH_EM


def test_small_matrices_factor_out_a_power_of_ten():
    """Entries all below 0.01 are shown as 10^e times a matrix of short numbers, all with
    the decimals that give the largest entry 3 significant digits."""
    text = why.latex_matrix(np.array([[-5.208e-4, -2.098e-3], [1.0e-4, 4.4e-4]]))
    assert text.startswith(r"10^{-3}\cdot\begin{bmatrix}-0.52 & -2.10 \\ 0.10 & 0.44")
