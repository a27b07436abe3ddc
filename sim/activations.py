"""Hidden-layer activation functions and their derivatives.

Every activation is a pair of plain functions collected in :data:`ACTIVATIONS`, keyed by the
name users see (the scikit-learn habit). Both functions write into a preallocated ``out``
array, because the training loop reuses its buffers every step (temporaries cost more than
the arithmetic at the sizes this lab runs).

``forward(z, out)`` computes ``a = f(z)``; ``derivative(z, a, out)`` computes ``f'(z)`` and may
use either the pre-activation ``z`` or the activation ``a`` (both of the same shape).
``out`` may be the same array as ``z`` for ``forward``, but not for ``derivative``.

Each :class:`Activation` also carries the facts other modules ask of it: its initialization
gain (read by :func:`sim.initializers.calculate_gain` and so by the He schemes), its value at
0 (what a layer outputs when all its weights and biases are zero) and whether it is
positively homogeneous. Registering an activation here is all it takes for the network, the
config, the He schemes' ``nonlinearity`` menu and the dashboard to offer it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.validate import quote

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0
_GELU_C = math.sqrt(2.0 / math.pi)


def leaky_relu_gain(negative_slope: float) -> float:
    """``sqrt(2 / (1 + negative_slope^2))``: the gain of a leaky ReLU (He et al. 2015), as in
    ``torch.nn.init.calculate_gain("leaky_relu", negative_slope)``."""
    return math.sqrt(2.0 / (1.0 + negative_slope**2))


@dataclass(frozen=True)
class Activation:
    """An activation function, its derivative and the facts other modules ask of it.

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
    f0 : float
        ``f(0)``: what every unit of a layer outputs when its weights and biases are all zero
        (0.5 for sigmoid, 0 for the others here).
    gain : float
        Recommended initialization gain, as ``torch.nn.init.calculate_gain`` (linear and
        sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu :func:`leaky_relu_gain` of its slope);
        elu and gelu, absent from torch's table, take ReLU's sqrt(2).
    homogeneous : bool
        Whether ``f`` is positively homogeneous, ``f(c z) = c f(z)`` for ``c > 0`` (relu,
        leaky_relu, linear): scaling such a layer's weights scales its output.
    negative_slope : float or None
        The slope for ``z < 0`` of a leaky ReLU-like activation, whose gain then depends on
        it (``calculate_gain(name, param)`` takes another slope as ``param``); None otherwise.
    """

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    formula: str
    f0: float
    gain: float
    homogeneous: bool = False
    negative_slope: float | None = None

    @property
    def zero_output(self) -> bool:
        """Whether ``f(0) == 0``: with all-zero weights and biases such a layer outputs exactly
        0, so no gradient reaches the weights before it (the "dead" case of the lesson)."""
        return self.f0 == 0.0


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


_SQRT2 = math.sqrt(2.0)

ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid", _sigmoid, _sigmoid_d, r"\sigma(z) = \frac{1}{1 + e^{-z}}", f0=0.5, gain=1.0
    ),
    "tanh": Activation("tanh", _tanh, _tanh_d, r"\tanh(z)", f0=0.0, gain=5.0 / 3.0),
    "relu": Activation(
        "relu", _relu, _relu_d, r"\max(0, z)", f0=0.0, gain=_SQRT2, homogeneous=True
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        _leaky_relu,
        _leaky_relu_d,
        r"\max(0.01 z, z)",
        f0=0.0,
        gain=leaky_relu_gain(LEAKY_RELU_SLOPE),
        homogeneous=True,
        negative_slope=LEAKY_RELU_SLOPE,
    ),
    # ELU and GELU are not in torch's gain table. Both behave like ReLU for large inputs and
    # are close to zero for negative ones, so they take ReLU's gain: an approximation, not a
    # published value.
    "elu": Activation(
        "elu", _elu, _elu_d, r"z \text{ if } z > 0 \text{ else } e^{z} - 1", f0=0.0, gain=_SQRT2
    ),
    "gelu": Activation(
        "gelu",
        _gelu,
        _gelu_d,
        r"\tfrac{1}{2} z \left(1 + \tanh\left(\sqrt{2/\pi}\,(z + 0.044715 z^3)\right)\right)",
        f0=0.0,
        gain=_SQRT2,
    ),
    "linear": Activation("linear", _linear, _linear_d, r"z", f0=0.0, gain=1.0, homogeneous=True),
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
        raise ValueError(f"Unknown activation {quote(name)}. Valid names: {valid}.") from None
