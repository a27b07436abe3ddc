"""sim.theory against independent references: the issue's published values, closed forms,
and Monte-Carlo simulations of wide random networks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import theory
from sim.config import InitSpec
from sim.initializers import initialize, initialize_bias


def test_critical_tanh_is_one_without_bias():
    """At sigma_b2 = 0, q* = 0 below the line and phi'(0) = 1, so chi1 = sigma_w2: critical 1.

    Above it chi1 - 1 grows only as delta**2 / 3 (sigma_w2 = 1 + delta), so float64 can tell
    the side of the line only down to delta of a few 1e-8 (chi1 - 1 is then a few ulp): the
    last digits are rounding noise that differs with the BLAS kernel (1e-12 with OpenBLAS's
    SkylakeX kernels, 4e-9 with its Haswell ones, on the same machine)."""
    assert theory.critical_sigma_w2(0.0) == pytest.approx(1.0, abs=1e-7)
    sw = 1.0 + 1e-4  # the quadratic growth that limits it
    assert theory.chi1(sw, 0.0) - 1.0 == pytest.approx(1e-8 / 3, rel=1e-2)


def test_critical_tanh_at_bias_005_is_176():
    """The issue's value (Poole et al. 2016, Fig. 2): about 1.76 at sigma_b2 = 0.05."""
    assert theory.critical_sigma_w2(0.05) == pytest.approx(1.76, abs=0.005)


def test_chi1_is_one_on_the_critical_line():
    sb = np.array([0.01, 0.05, 0.2])
    assert theory.chi1(theory.critical_sigma_w2(sb), sb) == pytest.approx(1.0, abs=1e-9)


def test_xi_c_at_issue_point_is_36_layers():
    """The issue's xi ~ 3.6 at (1.0, 0.05) is xi_c (ordered phase: -1 / ln chi1)."""
    xi_q, xi_c = theory.depth_scales(1.0, 0.05)
    assert xi_c == pytest.approx(3.6, abs=0.05)
    assert xi_c == pytest.approx(-1.0 / math.log(theory.chi1(1.0, 0.05)))


def test_xi_c_peaks_at_the_critical_line():
    crit = theory.critical_sigma_w2(0.05)
    sw = crit * np.array([0.8, 0.95, 1.05, 1.25])
    _, xi_c = theory.depth_scales(sw, 0.05)
    assert np.all(np.isfinite(xi_c)) and np.all(xi_c > 0)
    assert xi_c[1] > xi_c[0] and xi_c[2] > xi_c[3]


def test_trainable_depth_is_six_xi_c():
    assert theory.trainable_depth(1.5, 0.05) == pytest.approx(6 * theory.depth_scales(1.5, 0.05)[1])


@pytest.mark.parametrize("sw", [0.3, 0.7, 1.0])
def test_linear_chi1_is_sigma_w2(sw):
    assert theory.chi1(sw, 0.1, "linear") == pytest.approx(sw)
    assert theory.critical_sigma_w2(0.1, "linear") == 1.0


def test_relu_critical_is_the_he_line():
    assert theory.critical_sigma_w2(0.0, "relu") == 2.0
    assert theory.chi1(2.0, 0.0, "relu") == 1.0
    assert theory.depth_scales(2.0, 0.0, "relu")[1] == math.inf


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="Valid names"):
        theory.q_star(1.0, 0.0, "elu")


def _propagate(sw, sb, width, depth, rng, act=np.tanh, dact=lambda h: 1 - np.tanh(h) ** 2):
    """Mean square of the pre-activations of a batch of inputs (q^0 = 1) over the last 10
    layers of a random network, and the mean squared singular value of the last 5 layers'
    Jacobian product, per layer."""
    h = rng.standard_normal((width, 8))
    jac = None
    squares = []
    for layer in range(depth):
        W = rng.standard_normal((width, width)) * math.sqrt(sw / width)
        b = rng.standard_normal((width, 1)) * math.sqrt(sb)
        if layer >= depth - 5:  # Jacobian of h^l wrt h^{l-1} at input 0: W diag(phi'(h))
            step = W * dact(h[:, 0])[None, :]
            jac = step if jac is None else step @ jac
        h = W @ act(h) + b
        if layer >= depth - 10:
            squares.append(np.mean(h**2))
    msv = np.sum(jac**2) / width
    return np.mean(squares), msv ** (1 / 5)


@pytest.mark.parametrize("sw,sb", [(1.0, 0.05), (2.5, 0.05)])
def test_q_star_and_chi1_match_a_wide_tanh_network(sw, sb):
    q, chi = _propagate(sw, sb, width=800, depth=25, rng=np.random.default_rng(0))
    assert q == pytest.approx(theory.q_star(sw, sb), rel=0.05)
    assert chi == pytest.approx(theory.chi1(sw, sb), rel=0.05)


def test_chaotic_xi_c_matches_a_wide_tanh_network():
    """In the chaotic phase two inputs' correlation settles at c* < 1, and the slope of the
    correlation map there, chi_c = sigma_w2 E[phi'(u1) phi'(u2)], gives xi_c = -1/ln chi_c."""
    sw, sb, width = 2.5, 0.05, 1000
    rng = np.random.default_rng(1)
    h = rng.standard_normal((width, 2))
    chis = []
    for layer in range(30):
        W = rng.standard_normal((width, width)) * math.sqrt(sw / width)
        h = W @ np.tanh(h) + rng.standard_normal((width, 1)) * math.sqrt(sb)
        if layer >= 20:
            d = 1 - np.tanh(h) ** 2
            chis.append(sw * np.mean(d[:, 0] * d[:, 1]))
    assert theory.depth_scales(sw, sb)[1] == pytest.approx(-1 / math.log(np.mean(chis)), rel=0.2)


def test_dead_relu_probability_matches_simulation():
    """Fraction of zero-bias ReLU nets (width 3, depth 6) whose hidden output is 0 for one input."""
    rng = np.random.default_rng(2)
    width, depth, trials = 3, 6, 4000
    dead = 0
    for _ in range(trials):
        h = rng.standard_normal(2)
        for _layer in range(depth):
            h = np.maximum(rng.standard_normal((width, h.size)) @ h, 0.0)
        dead += not h.any()
    p = theory.dead_relu_probability(width, depth)
    assert dead / trials == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / trials))


def test_dead_relu_formula_bounds_a_batch():
    """Constant output over a batch of inputs is rarer than dying on one input."""
    rng = np.random.default_rng(3)
    width, depth, trials = 3, 6, 2000
    constant = 0
    for _ in range(trials):
        h = rng.standard_normal((2, 16))
        for _layer in range(depth):
            h = np.maximum(rng.standard_normal((width, h.shape[0])) @ h, 0.0)
        constant += not h.any()
    assert constant / trials < theory.dead_relu_probability(width, depth)


@pytest.mark.parametrize("spec", [
    InitSpec("lecun_normal", {}, 1.3),
    InitSpec("lecun_uniform", {}, 0.7),
    InitSpec("he_normal", {"mode": "fan_in", "nonlinearity": "tanh"}, 1.2),
    InitSpec("he_uniform", {"mode": "fan_in", "nonlinearity": "relu"}, 1.0),
    InitSpec("torch_default", {}, 2.0),
])
def test_init_sigma_w2_matches_sampled_variance(spec):
    fan_in = 400
    w = initialize(spec.scheme, (500, fan_in), np.random.default_rng(4), **spec.params)
    empirical = np.var(w * spec.scale) * fan_in
    assert theory.init_sigma_w2(spec) == pytest.approx(empirical, rel=0.02)
    assert theory.sigma_w2_scale(spec, theory.init_sigma_w2(spec)) == pytest.approx(spec.scale)


@pytest.mark.parametrize("spec", [
    InitSpec("xavier_normal"), InitSpec("normal"),
    InitSpec("he_normal", {"mode": "fan_out", "nonlinearity": "relu"}),
])
def test_init_sigma_w2_is_none_for_other_schemes(spec):
    assert theory.init_sigma_w2(spec) is None
    assert theory.sigma_w2_scale(spec, 1.0) is None


@pytest.mark.parametrize("bias,params", [
    ("normal", {"mean": 0.0, "std": 0.3}), ("uniform", {"a": -0.2, "b": 0.2}),
])
def test_init_sigma_b2_matches_sampled_variance(bias, params):
    spec = InitSpec("lecun_normal", bias=bias, bias_params=params)
    b = initialize_bias(bias, 200_000, 10, np.random.default_rng(5), **params)
    assert theory.init_sigma_b2(spec) == pytest.approx(np.var(b), rel=0.02)


def test_init_sigma_b2_zero_and_none():
    assert theory.init_sigma_b2(InitSpec("lecun_normal")) == 0.0
    assert theory.init_sigma_b2(
        InitSpec("lecun_normal", bias="normal", bias_params={"mean": 0.5, "std": 0.1})) is None
    assert theory.init_sigma_b2(InitSpec("lecun_normal", bias="torch_default")) is None
