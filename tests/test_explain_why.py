"""The Why? derivation as data: a Result in, blocks of text out, no Streamlit.

Every sentence must follow from what the run did; these tests train small runs and check
that the derivation says what happened and nothing it did not.
"""

from __future__ import annotations

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
    """Sigmoid from zeros in float64: equal hidden values, equal gradient rows, induction."""
    text = _text(why.derivation(lesson))
    assert "hidden values are **equal**" in text
    assert "every row of the gradient is the same" in text
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
    """Xavier vs He: no side starts symmetric, so the derivation says the argument fails
    and never states that the gradient's rows are all the same."""
    res = _run(dataset="circles", hidden=[4], activation="tanh", epochs=20,
               inits=[{"scheme": "xavier_uniform"}, {"scheme": "he_normal"}])
    text = _text(why.derivation(res))
    assert "Neither initialization" in text
    assert "every row of the gradient is the same" not in text
    assert "rows of the gradient differ" in text
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
