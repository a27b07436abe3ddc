"""Hidden-layer activation functions and their derivatives.

Every activation is a pair of plain functions collected in :data:`ACTIVATIONS`, keyed by the
name users see (the scikit-learn habit). Both functions write into a preallocated ``out``
array, because the training loop reuses its buffers every step (temporaries cost more than
the arithmetic at the sizes this lab runs).

``forward(z, out)`` computes ``a = f(z)``; ``derivative(z, a, out)`` computes ``f'(z)`` and may
use either the pre-activation ``z`` or the activation ``a`` (both of the same shape).
``out`` may be the same array as ``z`` for ``forward``, but not for ``derivative``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0
_GELU_C = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class Activation:
    """An activation function and its derivative.

    Attributes
    ----------
    name : str
        Name shown to users.
    forward : callable
        ``forward(z, out) -> out`` with ``out = f(z)``.
    derivative : callable
        ``derivative(z, a, out) -> out`` with ``out = f'(z)``, where ``a = f(z)``.
    formula : str
        LaTeX formula of ``f``.
    zero_output : bool
        Whether ``f(0) == 0``: with all-zero weights and biases such a layer outputs exactly 0,
        so no gradient reaches the weights before it (the "dead" case of the lesson).
    """

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    formula: str
    zero_output: bool


def _sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-z)); exp overflows to inf for z < -709 and the result is then exactly 0.
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _sigmoid_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.subtract(1.0, a, out=out)
    out *= a
    return out


def _tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=out)


def _tanh_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def _relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0, out=out)


def _relu_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    # relu'(0) is taken as 0 (the usual subgradient choice; torch does the same).
    return np.greater(z, 0.0, out=out)


def _leaky_relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # max(z, slope * z) equals leaky_relu for 0 < slope < 1.
    np.multiply(z, LEAKY_RELU_SLOPE, out=out)
    return np.maximum(z, out, out=out)


def _leaky_relu_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.greater(z, 0.0, out=out)
    out *= 1.0 - LEAKY_RELU_SLOPE
    out += LEAKY_RELU_SLOPE
    return out


def _elu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # alpha * (exp(z) - 1) for z <= 0, z otherwise; exp is taken of min(z, 0) so it never overflows.
    np.minimum(z, 0.0, out=out)
    np.expm1(out, out=out)
    if ELU_ALPHA != 1.0:
        out *= ELU_ALPHA
    return np.maximum(z, out, out=out) if ELU_ALPHA <= 1.0 else np.where(z > 0, z, out)


def _elu_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    # f'(z) = 1 for z > 0, f(z) + alpha otherwise.
    np.add(a, ELU_ALPHA, out=out)
    np.copyto(out, 1.0, where=z > 0)
    return out


def _gelu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # tanh approximation (Hendrycks & Gimpel 2016): 0.5 z (1 + tanh(c (z + 0.044715 z^3))).
    u = _gelu_inner(z)
    np.tanh(u, out=u)
    u += 1.0
    u *= 0.5
    np.multiply(z, u, out=out)
    return out


def _gelu_inner(z: np.ndarray) -> np.ndarray:
    u = np.multiply(z, z)
    u *= 0.044715
    u += 1.0
    u *= z
    u *= _GELU_C
    return u


def _gelu_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    # d/dz [0.5 z (1 + t)] = 0.5 (1 + t) + 0.5 z (1 - t^2) c (1 + 3 * 0.044715 z^2), t = tanh(u).
    t = np.tanh(_gelu_inner(z))
    du = np.multiply(z, z)
    du *= 3 * 0.044715
    du += 1.0
    du *= _GELU_C
    np.multiply(t, t, out=out)
    np.subtract(1.0, out, out=out)
    out *= du
    out *= z
    out += t
    out += 1.0
    out *= 0.5
    return out


def _linear(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    if out is not z:
        np.copyto(out, z)
    return out


def _linear_d(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    out.fill(1.0)
    return out


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid", _sigmoid, _sigmoid_d, r"\sigma(z) = \frac{1}{1 + e^{-z}}", zero_output=False
    ),
    "tanh": Activation("tanh", _tanh, _tanh_d, r"\tanh(z)", zero_output=True),
    "relu": Activation("relu", _relu, _relu_d, r"\max(0, z)", zero_output=True),
    "leaky_relu": Activation(
        "leaky_relu", _leaky_relu, _leaky_relu_d, r"\max(0.01 z, z)", zero_output=True
    ),
    "elu": Activation(
        "elu", _elu, _elu_d, r"z \text{ if } z > 0 \text{ else } e^{z} - 1", zero_output=True
    ),
    "gelu": Activation(
        "gelu",
        _gelu,
        _gelu_d,
        r"\tfrac{1}{2} z \left(1 + \tanh\left(\sqrt{2/\pi}\,(z + 0.044715 z^3)\right)\right)",
        zero_output=True,
    ),
    "linear": Activation("linear", _linear, _linear_d, r"z", zero_output=True),
}


def get_activation(name: str) -> Activation:
    """Return the activation registered under ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not in :data:`ACTIVATIONS`; the message lists the valid names.
    """
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        valid = ", ".join(ACTIVATIONS)
        raise ValueError(f"Unknown activation {name!r}. Valid names: {valid}.") from None
