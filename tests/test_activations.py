"""The facts each activation carries: f(0), positive homogeneity, the zero-output flag.

The gains are checked against torch's table in tests/test_initializers.py; the derivatives
against central differences in tests/test_network.py.
"""

import numpy as np
import pytest

from sim.activations import ACTIVATIONS

NAMES = list(ACTIVATIONS)
Z = np.linspace(-3.0, 3.0, 13)


def _f(name: str, z: np.ndarray) -> np.ndarray:
    return ACTIVATIONS[name].forward(z, np.empty_like(z))


@pytest.mark.parametrize("name", NAMES)
def test_f0_is_the_value_at_zero(name):
    """f0 is what forward computes at 0 (what a unit outputs with all-zero parameters)."""
    assert _f(name, np.zeros(3)).tolist() == [ACTIVATIONS[name].f0] * 3


@pytest.mark.parametrize("name", NAMES)
def test_zero_output_says_whether_f0_is_zero(name):
    """zero_output is f(0) == 0: sigmoid is the only activation here with f(0) != 0."""
    assert ACTIVATIONS[name].zero_output == (ACTIVATIONS[name].f0 == 0.0)
    assert ACTIVATIONS[name].zero_output == (name != "sigmoid")


@pytest.mark.parametrize("name", NAMES)
def test_homogeneous_flag_matches_f_of_c_z(name):
    """f(c z) = c f(z) for c > 0 holds exactly for the activations flagged homogeneous."""
    holds = all(np.allclose(_f(name, c * Z), c * _f(name, Z), rtol=1e-12, atol=0)
                for c in (0.5, 2.5))
    assert holds == ACTIVATIONS[name].homogeneous


def test_homogeneous_activations_are_relu_leaky_relu_linear():
    """The documented list."""
    assert [n for n, a in ACTIVATIONS.items() if a.homogeneous] == ["relu", "leaky_relu", "linear"]


def test_leaky_relu_slope_is_its_own():
    """leaky_relu's forward uses the negative slope it declares (its gain comes from it)."""
    act = ACTIVATIONS["leaky_relu"]
    assert _f("leaky_relu", np.array([-2.0]))[0] == pytest.approx(-2.0 * act.negative_slope)
