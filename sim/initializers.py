"""Weight and bias initialization schemes.

This is the heart of the lab's question: where should a network's weights start? Every scheme
is a plain function collected in a registry keyed by the name users see
(:data:`INITIALIZERS` for weights, :data:`BIAS_INITIALIZERS` for biases). The dashboard builds
its menus and widgets from these registries, so adding a scheme is one function plus one entry.

Weight shape convention
-----------------------
A layer's weight matrix has shape ``(fan_out, fan_in) = (units, inputs)``, like PyTorch's
``nn.Linear.weight``: row ``i`` holds the incoming weights of unit ``i``, and the layer computes
``z = x @ W.T + b`` for a batch ``x`` of shape ``(n_samples, fan_in)``. A bias has shape
``(fan_out,)``. :func:`compute_fans` reads the fans from a shape under this convention.

Calling convention
------------------
Weight schemes are called as ``fn(shape, rng, **params)`` and bias schemes as
``fn(shape, rng, fan_in, **params)``; both return a new float64 array of ``shape``. Randomness
always comes from the ``np.random.Generator`` passed in, so the same seed gives the same
weights bit for bit. Deterministic schemes (zeros, ones, constant, identity) take ``rng`` too,
for a uniform signature, and ignore it. The bias schemes ``zeros``, ``constant``, ``normal``
and ``uniform`` are the element-wise weight schemes of the same name called with shape
``(fan_out,)``, with defaults of their own; ``torch_default`` has a bias function of its own.

Parameters are validated once, at the public boundary (:func:`validate_init_params`,
:func:`initialize`, :func:`initialize_bias`); the scheme functions trust their inputs.

The formulas follow ``torch.nn.init`` (gains, fans, ``bound = sqrt(3) * std``, the QR sign fix
of ``orthogonal_``, ``sparse_``), except where a docstring says otherwise.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

# LEAKY_RELU_SLOPE is re-exported (importers used to find a copy of it here).
from sim.activations import ACTIVATIONS, LEAKY_RELU_SLOPE, leaky_relu_gain
from sim.validate import ConfigError, check_choice, check_float, check_int, is_real, quote

# ACTIVATION_NAMES (see __getattr__) is importable but no longer listed: read ACTIVATIONS.
__all__ = [
    "ALIASES",
    "BIAS_ALIASES",
    "BIAS_INITIALIZERS",
    "INITIALIZERS",
    "LEAKY_RELU_SLOPE",
    "Initializer",
    "Param",
    "calculate_gain",
    "compute_fans",
    "initialize",
    "initialize_bias",
    "resolve_bias_initializer",
    "resolve_initializer",
    "scheme_table_markdown",
    "validate_bias_params",
    "validate_init_params",
]

#: Gains of nonlinearities in torch's table that are not activations of the lab. The lab's
#: own activations carry their gain (:attr:`sim.activations.Activation.gain`).
_OTHER_GAINS: dict[str, float] = {"selu": 3.0 / 4.0}


def __getattr__(name: str) -> tuple[str, ...]:
    # ACTIVATION_NAMES, the nonlinearities a He scheme can be tuned for, used to be a second
    # list here; it is now derived from the activation registry whenever it is read.
    if name == "ACTIVATION_NAMES":
        return tuple(ACTIVATIONS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Truncated-normal sampling redraws values outside [a, b]; if [a, b] keeps too little of the
# normal's mass, rejection would take forever, so validation refuses such bounds.
_MIN_TRUNCATED_MASS = 0.01
_MAX_BATCH = 4_000_000

Shape = tuple[int, int]


# --------------------------------------------------------------------------------------------
# Helpers: gain and fans
# --------------------------------------------------------------------------------------------


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return the recommended gain for a nonlinearity.

    The gain rescales a variance-preserving initialization so that the signal keeps its
    scale through the given nonlinearity. Values follow ``torch.nn.init.calculate_gain``:

    ==============  ==========================================
    nonlinearity    gain
    ==============  ==========================================
    linear          1
    sigmoid         1
    tanh            5/3
    relu            sqrt(2)
    leaky_relu      sqrt(2 / (1 + negative_slope^2))
    selu            3/4
    elu             sqrt(2)  (not in torch's table, see below)
    gelu            sqrt(2)  (not in torch's table, see below)
    ==============  ==========================================

    Every activation of :data:`sim.activations.ACTIVATIONS` carries its gain
    (:attr:`~sim.activations.Activation.gain`), so this function knows each of them, plus
    ``"selu"`` from torch's table. ELU and GELU are not in PyTorch's table. Both behave like
    ReLU for large inputs and are close to zero for negative ones, so this lab uses ReLU's gain
    ``sqrt(2)`` for them. It is an approximation, not a published value.

    Parameters
    ----------
    nonlinearity : str
        A name of :data:`sim.activations.ACTIVATIONS` or ``"selu"``.
    param : float, optional
        Negative slope for ``"leaky_relu"`` (an activation with a
        :attr:`~sim.activations.Activation.negative_slope`); defaults to the activation's own
        slope, 0.01. Ignored for the other nonlinearities.

    Returns
    -------
    float
        The gain.

    Raises
    ------
    ValueError
        If ``nonlinearity`` is unknown or ``param`` is not a finite number.

    Examples
    --------
    >>> calculate_gain("tanh")
    1.6666666666666667
    >>> calculate_gain("leaky_relu", 0.2)  # sqrt(2 / 1.04)
    1.3867504905630728
    """
    known = isinstance(nonlinearity, str) and (
        nonlinearity in ACTIVATIONS or nonlinearity in _OTHER_GAINS
    )
    if not known:
        raise ValueError(
            f"Unknown nonlinearity {quote(nonlinearity)} for calculate_gain. "
            f"Valid names: {', '.join([*ACTIVATIONS, *_OTHER_GAINS])}."
        )
    activation = ACTIVATIONS.get(nonlinearity)
    if activation is None:
        return _OTHER_GAINS[nonlinearity]
    if activation.negative_slope is None or param is None:
        return activation.gain
    if not is_real(param) or not math.isfinite(float(param)):
        raise ValueError(
            f"calculate_gain({nonlinearity!r}): param (the negative slope) must be a finite "
            f"number. Got {quote(param)}."
        )
    return leaky_relu_gain(float(param))


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight array, as PyTorch reads them.

    A dense layer's matrix is ``(fan_out, fan_in)`` = ``(units, inputs)``. A convolution
    layer's filters are ``(F, C, K, K)``: each output sees ``C * K * K`` inputs and each input
    reaches ``F * K * K`` outputs, so ``fan_in = C * K * K`` and ``fan_out = F * K * K``
    (``torch.nn.init._calculate_fan_in_and_fan_out``).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``, i.e. ``(units, inputs)``, or ``(F, C, K, K)``.

    Returns
    -------
    tuple of int
        ``(fan_in, fan_out)``.

    Examples
    --------
    >>> compute_fans((3, 5))  # 3 units, each with 5 inputs
    (5, 3)
    >>> compute_fans((8, 1, 3, 3))  # 8 filters of 3x3 on one channel
    (9, 72)
    """
    if len(shape) not in (2, 4):
        raise ValueError(
            f"A weight shape must have 2 dimensions (fan_out, fan_in) or 4 (filters, "
            f"channels, K, K). Got {tuple(shape)}."
        )
    receptive = math.prod(int(s) for s in shape[2:])
    return int(shape[1]) * receptive, int(shape[0]) * receptive


# --------------------------------------------------------------------------------------------
# Registry types
# --------------------------------------------------------------------------------------------


#: The largest magnitude of a float parameter of a scheme (a mean, a bound, a spread, a gain).
MAX_MAGNITUDE = 1e6


@dataclass(frozen=True)
class Param:
    """One tunable parameter of a scheme, used to build UI widgets and to validate input.

    Attributes
    ----------
    name : str
        Keyword name passed to the scheme function.
    default : float or str
        Value used when the parameter is not given.
    kind : str
        ``"float"`` or ``"choice"``.
    low, high : float or None
        Inclusive bounds of a float parameter. A float parameter given none on a side gets
        :data:`MAX_MAGNITUDE` there: weights of a million are already far beyond any lesson,
        and larger ones overflow the samplers (``U(-1e308, 1e308)`` has an infinite width).
    options : tuple of str, or callable returning one
        Allowed values of a choice parameter, or a function that lists them from a registry
        (read at each use, so an entry added to the registry is offered at once).
    help : str
        One line a newcomer understands.
    """

    name: str
    default: float | str
    kind: str
    low: float | None = None
    high: float | None = None
    options: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind == "float":
            if self.low is None:
                object.__setattr__(self, "low", -MAX_MAGNITUDE)
            if self.high is None:
                object.__setattr__(self, "high", MAX_MAGNITUDE)

    @property
    def choices(self) -> tuple[str, ...]:
        """Allowed values of a choice parameter (``()`` for a float parameter)."""
        return self.options() if callable(self.options) else self.options


@dataclass(frozen=True)
class Initializer:
    """A registered initialization scheme.

    Attributes
    ----------
    name : str
        Canonical user-facing name, e.g. ``"xavier_uniform"``.
    fn : callable
        ``fn(shape, rng, **params)`` for weights, ``fn(shape, rng, fan_in, **params)`` for
        biases; returns a float64 array of ``shape``.
    params : tuple of Param
        Tunable parameters, in display order.
    label : str
        Human label, e.g. ``"Xavier/Glorot uniform"``.
    summary : str
        One sentence.
    formula : str
        Plain-text formula.
    paper : str
        Citation, or ``""``.
    aliases : tuple of str
        Other names accepted by the resolver.
    random : bool
        ``False`` for deterministic schemes.
    check : callable or None
        ``check(values) -> problem or None``: a rule that involves several parameters at
        once (``a < b``), run after each parameter passed its own bounds.
    """

    name: str
    fn: Callable[..., np.ndarray]
    params: tuple[Param, ...]
    label: str
    summary: str
    formula: str
    paper: str
    aliases: tuple[str, ...] = ()
    random: bool = True
    check: Callable[[Mapping[str, float | str]], str | None] | None = None


# --------------------------------------------------------------------------------------------
# Weight schemes: fn(shape, rng, **params) -> ndarray of shape (fan_out, fan_in)
# --------------------------------------------------------------------------------------------


def zeros(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Fill with zeros: the lab's cautionary tale.

    Formula: ``W = 0``. With all weights equal, every unit of a layer computes the same output
    and receives the same gradient, so the units never become different (no symmetry
    breaking); with zero weights a tanh/ReLU network also passes no gradient to earlier layers.

    Also known as: ``zeros_`` in PyTorch, ``Zeros`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``, or ``(fan_out,)`` for a bias (the scheme is element-wise).
    rng : np.random.Generator
        Unused (deterministic scheme).

    Returns
    -------
    ndarray of shape (fan_out, fan_in) or (fan_out,), like ``shape``

    Examples
    --------
    >>> zeros((2, 3), np.random.default_rng(0))
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    return np.zeros(shape, dtype=np.float64)


def ones(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """Fill with ones.

    Formula: ``W = 1``. Non-zero but symmetric: all units of a layer stay identical.

    Also known as: ``ones_`` in PyTorch, ``Ones`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Unused (deterministic scheme).

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> ones((1, 2), np.random.default_rng(0))
    array([[1., 1.]])
    """
    return np.ones(shape, dtype=np.float64)


def constant(shape: tuple[int, ...], rng: np.random.Generator, value: float = 0.5) -> np.ndarray:
    """Fill with one constant value.

    Formula: ``W = value``. Like zeros and ones, it never breaks the symmetry between units.

    Also known as: ``constant_`` in PyTorch, ``Constant`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``, or ``(fan_out,)`` for a bias (the scheme is element-wise).
    rng : np.random.Generator
        Unused (deterministic scheme).
    value : float, default 0.5
        The fill value.

    Returns
    -------
    ndarray of shape (fan_out, fan_in) or (fan_out,), like ``shape``

    Examples
    --------
    >>> constant((1, 2), np.random.default_rng(0), value=0.25)
    array([[0.25, 0.25]])
    """
    return np.full(shape, value, dtype=np.float64)


def uniform(
    shape: tuple[int, ...], rng: np.random.Generator, a: float = -0.05, b: float = 0.05
) -> np.ndarray:
    """Draw from a uniform distribution with fixed bounds.

    Formula: ``W ~ U(a, b)``; mean ``(a + b) / 2``, std ``(b - a) / sqrt(12)``. The scale
    ignores the layer size, which is why it can vanish or explode in deep networks.

    Also known as: ``uniform_`` in PyTorch, ``RandomUniform`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``, or ``(fan_out,)`` for a bias (the scheme is element-wise).
    rng : np.random.Generator
        Source of randomness.
    a, b : float, default -0.05 and 0.05
        Lower and upper bound, ``a < b``.

    Returns
    -------
    ndarray of shape (fan_out, fan_in) or (fan_out,), like ``shape``

    Examples
    --------
    >>> w = uniform((2, 3), np.random.default_rng(0), a=-1.0, b=1.0)
    >>> bool(np.all((w >= -1.0) & (w < 1.0)))
    True
    """
    return rng.uniform(a, b, size=shape)


def normal(
    shape: tuple[int, ...], rng: np.random.Generator, mean: float = 0.0, std: float = 0.01
) -> np.ndarray:
    """Draw from a normal distribution with fixed mean and standard deviation.

    Formula: ``W ~ N(mean, std^2)``. The "small random numbers" recipe of early neural-network
    texts; the scale ignores the layer size.

    Also known as: ``normal_`` in PyTorch, ``RandomNormal`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``, or ``(fan_out,)`` for a bias (the scheme is element-wise).
    rng : np.random.Generator
        Source of randomness.
    mean : float, default 0.0
        Mean of the distribution.
    std : float, default 0.01
        Standard deviation, ``>= 0``.

    Returns
    -------
    ndarray of shape (fan_out, fan_in) or (fan_out,), like ``shape``

    Examples
    --------
    >>> normal((2, 3), np.random.default_rng(0)).shape
    (2, 3)
    """
    return rng.normal(mean, std, size=shape)


def truncated_normal(
    shape: Shape,
    rng: np.random.Generator,
    mean: float = 0.0,
    std: float = 0.05,
    a: float = -2.0,
    b: float = 2.0,
) -> np.ndarray:
    """Draw from a normal distribution, redrawing values outside ``[a, b]`` standard deviations.

    Formula: ``W = mean + std * Z`` with ``Z ~ N(0, 1)`` conditioned on ``a <= Z <= b``
    (sampled by rejection: values outside the bounds are redrawn). As in TensorFlow/Keras,
    ``a`` and ``b`` are in units of ``std`` around ``mean``; PyTorch's ``trunc_normal_``
    instead takes absolute bounds. Truncation shrinks the spread: the resulting std is
    ``std * sqrt(1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2)`` with ``phi`` the
    standard normal density and ``Z = Phi(b) - Phi(a)``.

    Also known as: ``TruncatedNormal`` in Keras, ``trunc_normal_`` in PyTorch (absolute
    bounds).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    mean : float, default 0.0
        Mean of the untruncated normal.
    std : float, default 0.05
        Standard deviation of the untruncated normal, ``>= 0``.
    a, b : float, default -2.0 and 2.0
        Truncation bounds in units of ``std``, ``a < b``.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)
        All values lie in ``[mean + a * std, mean + b * std]``.

    Examples
    --------
    >>> w = truncated_normal((20, 30), np.random.default_rng(0), std=1.0)
    >>> bool(np.all(np.abs(w) <= 2.0))
    True
    """
    n = math.prod(shape)
    mass = _normal_mass(a, b)
    z = np.empty(n, dtype=np.float64)
    filled = 0
    while filled < n:
        need = n - filled
        # Oversample by the expected acceptance rate so that one or two rounds usually suffice.
        batch = min(int(need / mass * 1.1) + 16, _MAX_BATCH)
        draw = rng.standard_normal(batch)
        kept = draw[(draw >= a) & (draw <= b)][:need]
        z[filled : filled + kept.size] = kept
        filled += kept.size
    return mean + std * z.reshape(shape)


def xavier_uniform(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Xavier/Glorot uniform: keep the variance of activations and gradients across layers.

    Paper: X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
    feedforward neural networks", AISTATS 2010.

    Formula: ``W ~ U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``, i.e.
    ``std = gain * sqrt(2 / (fan_in + fan_out))`` and ``a = sqrt(3) * std``.

    Also known as: Glorot uniform (``glorot_uniform`` in Keras), ``xavier_uniform_`` in PyTorch.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    gain : float, default 1.0
        Scaling factor, see :func:`calculate_gain`.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> w = xavier_uniform((3, 5), np.random.default_rng(0))
    >>> bool(np.all(np.abs(w) <= np.sqrt(6 / (5 + 3))))
    True
    """
    fan_in, fan_out = compute_fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def xavier_normal(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Xavier/Glorot normal: keep the variance of activations and gradients across layers.

    Paper: X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
    feedforward neural networks", AISTATS 2010.

    Formula: ``W ~ N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Also known as: Glorot normal (``glorot_normal`` in Keras, which truncates it),
    ``xavier_normal_`` in PyTorch.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    gain : float, default 1.0
        Scaling factor, see :func:`calculate_gain`.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> xavier_normal((3, 5), np.random.default_rng(0), gain=5 / 3).shape
    (3, 5)
    """
    fan_in, fan_out = compute_fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=shape)


def _he_std(shape: Shape, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity) / math.sqrt(fan)


def he_uniform(
    shape: Shape, rng: np.random.Generator, mode: str = "fan_in", nonlinearity: str = "relu"
) -> np.ndarray:
    """He/Kaiming uniform: keep the variance of activations (or gradients) through ReLU layers.

    Paper: K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
    Human-Level Performance on ImageNet Classification", ICCV 2015.

    Formula: ``W ~ U(-bound, bound)``, ``bound = sqrt(3) * std``,
    ``std = gain / sqrt(fan_mode)``, ``gain = calculate_gain(nonlinearity)``. For ReLU and
    ``mode="fan_in"`` this is ``bound = sqrt(6 / fan_in)``. ``"leaky_relu"`` uses the slope
    of the registered activation, 0.01.

    Also known as: Kaiming uniform (``kaiming_uniform_`` in PyTorch), ``HeUniform`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` preserves the variance of the forward signal, ``"fan_out"`` that of the
        backward gradients.
    nonlinearity : str, default "relu"
        A name of :data:`sim.activations.ACTIVATIONS`; chooses the gain.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> w = he_uniform((3, 6), np.random.default_rng(0))
    >>> bool(np.all(np.abs(w) <= 1.0))  # sqrt(6 / 6)
    True
    """
    bound = math.sqrt(3.0) * _he_std(shape, mode, nonlinearity)
    return rng.uniform(-bound, bound, size=shape)


def he_normal(
    shape: Shape, rng: np.random.Generator, mode: str = "fan_in", nonlinearity: str = "relu"
) -> np.ndarray:
    """He/Kaiming normal: keep the variance of activations (or gradients) through ReLU layers.

    Paper: K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
    Human-Level Performance on ImageNet Classification", ICCV 2015.

    Formula: ``W ~ N(0, std^2)``, ``std = gain / sqrt(fan_mode)``,
    ``gain = calculate_gain(nonlinearity)``. For ReLU and ``mode="fan_in"`` this is
    ``std = sqrt(2 / fan_in)``. ``"leaky_relu"`` uses the slope of the registered
    activation, 0.01.

    Also known as: Kaiming normal (``kaiming_normal_`` in PyTorch), ``HeNormal`` in Keras
    (which truncates it).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` preserves the variance of the forward signal, ``"fan_out"`` that of the
        backward gradients.
    nonlinearity : str, default "relu"
        A name of :data:`sim.activations.ACTIVATIONS`; chooses the gain.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> he_normal((3, 6), np.random.default_rng(0), mode="fan_out").shape
    (3, 6)
    """
    return rng.normal(0.0, _he_std(shape, mode, nonlinearity), size=shape)


def lecun_uniform(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """LeCun uniform: unit-variance pre-activations for unit-variance inputs.

    Paper: Y. LeCun, L. Bottou, G. B. Orr and K.-R. Mueller, "Efficient BackProp", in
    Neural Networks: Tricks of the Trade, Springer, 1998.

    Formula: ``W ~ U(-bound, bound)``, ``bound = sqrt(3) * std = sqrt(3 / fan_in)``,
    ``std = 1 / sqrt(fan_in)``.

    Also known as: ``lecun_uniform`` / ``LecunUniform`` in Keras; He uniform with
    ``nonlinearity="linear"``.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> w = lecun_uniform((2, 3), np.random.default_rng(0))
    >>> bool(np.all(np.abs(w) <= 1.0))  # sqrt(3 / 3)
    True
    """
    fan_in, _ = compute_fans(shape)
    bound = math.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape)


def lecun_normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """LeCun normal: unit-variance pre-activations for unit-variance inputs.

    Paper: Y. LeCun, L. Bottou, G. B. Orr and K.-R. Mueller, "Efficient BackProp", in
    Neural Networks: Tricks of the Trade, Springer, 1998.

    Formula: ``W ~ N(0, std^2)``, ``std = 1 / sqrt(fan_in)``. (Keras' ``lecun_normal``
    truncates at 2 std and rescales; this one is the plain normal.)

    Also known as: ``LecunNormal`` in Keras (truncated); the initialization paired with SELU.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> lecun_normal((2, 3), np.random.default_rng(0)).shape
    (2, 3)
    """
    fan_in, _ = compute_fans(shape)
    return rng.normal(0.0, 1.0 / math.sqrt(fan_in), size=shape)


def orthogonal(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """(Semi-)orthogonal matrix: preserves the norm of every vector through a linear layer.

    Paper: A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks", ICLR 2014.

    Formula: ``W = gain * Q``, where ``Q`` comes from the QR decomposition of a Gaussian
    matrix, with each column of ``Q`` multiplied by the sign of the matching diagonal entry
    of ``R`` (as in PyTorch's ``orthogonal_``; this makes ``Q`` uniformly distributed). The
    rows of ``W`` are orthonormal (times ``gain``) when ``fan_out <= fan_in``, otherwise its
    columns are: ``W @ W.T = gain^2 I`` or ``W.T @ W = gain^2 I``.

    Also known as: ``orthogonal_`` in PyTorch, ``Orthogonal`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    gain : float, default 1.0
        Scaling factor.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> w = orthogonal((2, 4), np.random.default_rng(0))
    >>> bool(np.allclose(w @ w.T, np.eye(2)))
    True
    """
    rows, cols = shape
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)  # reduced QR: q has orthonormal columns
    # np.sign would give 0 for an exactly-zero diagonal entry (probability 0, but it would
    # silently zero a column), so map the signs to +-1 explicitly.
    q *= np.where(np.diag(r) < 0.0, -1.0, 1.0)
    if rows < cols:
        q = q.T
    return gain * q


def identity(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """Identity matrix: ones on the main diagonal, zeros elsewhere.

    Formula: ``W[i, j] = 1 if i == j else 0`` for any rectangular shape, like PyTorch's
    ``eye_``. A linear layer then copies (or truncates, or zero-pads) its input.

    Also known as: eye (``eye_`` in PyTorch), ``Identity`` in Keras.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Unused (deterministic scheme).

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> identity((2, 3), np.random.default_rng(0))
    array([[1., 0., 0.],
           [0., 1., 0.]])

    For convolution filters ``(F, C, K, K)`` it is PyTorch's ``dirac_``: filter ``i`` copies
    channel ``i`` (a 1 at the kernel's centre), for ``i < min(F, C)``; the other filters are
    zero. For an even ``K`` the centre is ``(K - 1) // 2``, where ``dirac_`` takes ``K // 2``:
    with the "same" padding of :mod:`sim.conv` (``(K - 1) // 2`` before), the filter then
    copies its channel exactly, where ``dirac_``'s would shift it by one pixel.
    """
    if len(shape) == 4:
        w = np.zeros(shape, dtype=np.float64)
        m = min(shape[0], shape[1])
        w[np.arange(m), np.arange(m), (shape[2] - 1) // 2, (shape[3] - 1) // 2] = 1.0
        return w
    return np.eye(shape[0], shape[1], dtype=np.float64)


def sparse(
    shape: Shape, rng: np.random.Generator, sparsity: float = 0.1, std: float = 0.01
) -> np.ndarray:
    """Sparse normal: in every column, a fixed fraction of the entries is zero.

    Paper: J. Martens, "Deep learning via Hessian-free optimization", ICML 2010.

    Formula: ``W[i, j] ~ N(0, std^2)``, then in each column ``j`` the entries of
    ``ceil(sparsity * fan_out)`` randomly chosen rows are set to 0, as PyTorch's ``sparse_``
    does. This is PyTorch's convention (a fixed fraction of zeros per *column*, i.e. per
    input), not Martens (2010)'s, where each unit keeps a fixed number of non-zero incoming
    weights (15 in the paper) whatever the layer's width.

    Also known as: ``sparse_`` in PyTorch.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.
    sparsity : float, default 0.1
        Fraction of each column set to zero, in ``[0, 1]``.
    std : float, default 0.01
        Standard deviation of the non-zero entries, ``>= 0``.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> w = sparse((10, 3), np.random.default_rng(0), sparsity=0.2, std=1.0)
    >>> (w == 0).sum(axis=0)
    array([2, 2, 2])
    """
    rows, cols = shape
    # The small tolerance keeps float noise (e.g. 0.1 * 70 = 7.000000000000001) from adding an
    # extra zero; it is far below 1 / rows for any realistic layer.
    n_zeros = math.ceil(sparsity * rows - 1e-9)
    w = rng.normal(0.0, std, size=shape)
    # A random permutation of the row indices per column, vectorized as an argsort of noise.
    zero_rows = np.argsort(rng.random(shape), axis=0)[:n_zeros]
    w[zero_rows, np.arange(cols)] = 0.0
    return w


def torch_default(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """PyTorch's default for ``nn.Linear.weight``.

    Formula: ``W ~ U(-1 / sqrt(fan_in), 1 / sqrt(fan_in))``. PyTorch writes it as
    ``kaiming_uniform_(W, a=sqrt(5))``: gain ``sqrt(2 / (1 + 5)) = sqrt(1/3)``,
    ``std = gain / sqrt(fan_in)``, ``bound = sqrt(3) * std = 1 / sqrt(fan_in)``. Its std is
    ``1 / sqrt(3 fan_in)``, a third of LeCun's variance.

    Also known as: pytorch_default, ``nn.Linear.reset_parameters``.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)``.
    rng : np.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of shape (fan_out, fan_in)

    Examples
    --------
    >>> w = torch_default((2, 4), np.random.default_rng(0))
    >>> bool(np.all(np.abs(w) <= 0.5))  # 1 / sqrt(4)
    True
    """
    fan_in, _ = compute_fans(shape)
    std = calculate_gain("leaky_relu", math.sqrt(5.0)) / math.sqrt(fan_in)
    bound = math.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=shape)


# --------------------------------------------------------------------------------------------
# Bias schemes: fn(shape, rng, fan_in, **params) -> ndarray of shape (fan_out,)
# --------------------------------------------------------------------------------------------


def _bias_fn(weight_fn: Callable[..., np.ndarray], params: tuple[Param, ...],
             doc: str) -> Callable[..., np.ndarray]:
    """``fn(shape, rng, fan_in, **params)`` drawing a bias with the element-wise weight scheme
    ``weight_fn`` (called with shape ``(fan_out,)``; ``fan_in`` unused), missing parameters
    taking the bias defaults of ``params``."""
    defaults = {p.name: p.default for p in params}

    def fn(shape: tuple[int], rng: np.random.Generator, fan_in: int,
           **values: float) -> np.ndarray:
        return weight_fn(shape, rng, **{**defaults, **values})

    fn.__name__ = fn.__qualname__ = f"bias_{weight_fn.__name__}"
    fn.__doc__ = doc
    # The signature shows the bias parameters and defaults, as a hand-written function would.
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fn.__signature__ = inspect.Signature(
        [inspect.Parameter(name, positional) for name in ("shape", "rng", "fan_in")]
        + [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
           for p in params]
    )
    return fn


def _bias_version(weight: Initializer, params: tuple[Param, ...], summary: str, formula: str,
                  note: str = "") -> Initializer:
    """The bias scheme that draws like the element-wise weight scheme ``weight`` (same
    function, label, randomness and checks) with its own parameter defaults and texts."""
    doc = (f"{summary}{' ' + note if note else ''}\n\n"
           f"Formula: ``{formula}``, drawn by :func:`{weight.fn.__name__}` with shape "
           "``(fan_out,)``; ``fan_in`` is unused.")
    return replace(weight, fn=_bias_fn(weight.fn, params, doc), params=params,
                   summary=summary, formula=formula)


def bias_torch_default(shape: tuple[int], rng: np.random.Generator, fan_in: int) -> np.ndarray:
    """PyTorch's default for ``nn.Linear.bias``: ``b ~ U(-1 / sqrt(fan_in), 1 / sqrt(fan_in))``.

    Also known as: pytorch_default, ``nn.Linear.reset_parameters``.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out,)``.
    rng : np.random.Generator
        Source of randomness.
    fan_in : int
        Number of inputs of the layer.

    Returns
    -------
    ndarray of shape (fan_out,)

    Examples
    --------
    >>> bias = bias_torch_default((3,), np.random.default_rng(0), fan_in=4)
    >>> bool(np.all(np.abs(bias) <= 0.5))
    True
    """
    bound = 1.0 / math.sqrt(fan_in)
    return uniform(shape, rng, -bound, bound)


# --------------------------------------------------------------------------------------------
# Checks of several parameters at once (Initializer.check)
# --------------------------------------------------------------------------------------------


def _normal_mass(a: float, b: float) -> float:
    """Probability that a standard normal lands in ``[a, b]``."""
    return 0.5 * (math.erf(b / math.sqrt(2.0)) - math.erf(a / math.sqrt(2.0)))


def _check_a_below_b(values: Mapping[str, float | str]) -> str | None:
    if values["a"] >= values["b"]:
        return (
            f"parameter 'a' must be less than parameter 'b'. "
            f"Got a={_fmt(values['a'])}, b={_fmt(values['b'])}."
        )
    return None


def _check_truncation(values: Mapping[str, float | str]) -> str | None:
    problem = _check_a_below_b(values)
    if problem is not None:
        return problem
    mass = _normal_mass(values["a"], values["b"])
    if mass < _MIN_TRUNCATED_MASS:
        return (
            f"parameters 'a' and 'b' (in standard deviations from the mean) must keep at least "
            f"{_MIN_TRUNCATED_MASS:.0%} of the normal distribution between them, or sampling "
            f"would almost never succeed; move them closer to 0. Got a={_fmt(values['a'])}, "
            f"b={_fmt(values['b'])}, which keeps {mass:.2g} of it."
        )
    return None


# --------------------------------------------------------------------------------------------
# Registries
# --------------------------------------------------------------------------------------------

_GLOROT = (
    'X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward '
    'neural networks", AISTATS 2010'
)
_HE = (
    'K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing '
    'Human-Level Performance on ImageNet Classification", ICCV 2015'
)
_LECUN = (
    'Y. LeCun, L. Bottou, G. B. Orr and K.-R. Mueller, "Efficient BackProp", Neural Networks: '
    "Tricks of the Trade, Springer 1998"
)
_SAXE = (
    'A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear dynamics '
    'of learning in deep linear neural networks", ICLR 2014'
)
_MARTENS = 'J. Martens, "Deep learning via Hessian-free optimization", ICML 2010'

_GAIN = Param(
    "gain", 1.0, "float", low=0.0, help="multiplies the scale; 1 keeps the paper's formula"
)
_HE_PARAMS = (
    Param(
        "mode",
        "fan_in",
        "choice",
        options=("fan_in", "fan_out"),
        help="divide by the number of inputs (forward signal) or of units (backward gradient)",
    ),
    Param(
        "nonlinearity",
        "relu",
        "choice",
        options=lambda: tuple(ACTIVATIONS),
        help="activation the gain is tuned for (relu: sqrt(2), tanh: 5/3)",
    ),
)

INITIALIZERS: dict[str, Initializer] = {
    "zeros": Initializer(
        name="zeros",
        fn=zeros,
        params=(),
        label="Zeros",
        summary="Every weight is 0, so all units of a layer stay identical and learn nothing "
        "different.",
        formula="W = 0",
        paper="",
        random=False,
    ),
    "ones": Initializer(
        name="ones",
        fn=ones,
        params=(),
        label="Ones",
        summary="Every weight is 1: non-zero but still symmetric, so units stay identical.",
        formula="W = 1",
        paper="",
        random=False,
    ),
    "constant": Initializer(
        name="constant",
        fn=constant,
        params=(Param("value", 0.5, "float", help="the value every weight starts at"),),
        label="Constant",
        summary="Every weight has the same value, which never breaks the symmetry between units.",
        formula="W = value",
        paper="",
        random=False,
    ),
    "uniform": Initializer(
        name="uniform",
        fn=uniform,
        params=(
            Param("a", -0.05, "float", help="lowest possible weight"),
            Param("b", 0.05, "float", help="highest possible weight (must be above a)"),
        ),
        label="Uniform U(a, b)",
        summary="Small random weights drawn evenly between a and b, whatever the layer size.",
        formula="U(a, b)",
        paper="",
        check=_check_a_below_b,
    ),
    "normal": Initializer(
        name="normal",
        fn=normal,
        params=(
            Param("mean", 0.0, "float", help="average weight"),
            Param(
                "std", 0.01, "float", low=0.0, help="standard deviation of the normal distribution"
            ),
        ),
        label="Normal N(mean, std²)",
        summary="Small random weights from a bell curve with a fixed spread, whatever the layer "
        "size.",
        formula="N(mean, std^2)",
        paper="",
    ),
    "truncated_normal": Initializer(
        name="truncated_normal",
        fn=truncated_normal,
        params=(
            Param("mean", 0.0, "float", help="average of the untruncated bell curve"),
            Param(
                "std",
                0.05,
                "float",
                low=0.0,
                help="standard deviation of the untruncated normal distribution",
            ),
            Param("a", -2.0, "float", help="lower cut-off, in standard deviations from the mean"),
            Param("b", 2.0, "float", help="upper cut-off, in standard deviations from the mean"),
        ),
        label="Truncated normal",
        summary="A bell curve whose rare extreme values (beyond a or b standard deviations) are "
        "redrawn.",
        formula="mean + std * Z, Z ~ N(0, 1) restricted to [a, b]",
        paper="",
        check=_check_truncation,
    ),
    "xavier_uniform": Initializer(
        name="xavier_uniform",
        fn=xavier_uniform,
        params=(_GAIN,),
        label="Xavier/Glorot uniform",
        summary="Uniform weights scaled by the layer's inputs and outputs so signals keep their "
        "size in both directions.",
        formula="U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))",
        paper=_GLOROT,
        aliases=("glorot_uniform",),
    ),
    "xavier_normal": Initializer(
        name="xavier_normal",
        fn=xavier_normal,
        params=(_GAIN,),
        label="Xavier/Glorot normal",
        summary="Normal weights scaled by the layer's inputs and outputs so signals keep their "
        "size in both directions.",
        formula="N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))",
        paper=_GLOROT,
        aliases=("glorot_normal",),
    ),
    "he_uniform": Initializer(
        name="he_uniform",
        fn=he_uniform,
        params=_HE_PARAMS,
        label="He/Kaiming uniform",
        summary="Uniform weights scaled for ReLU-like layers, which silence half of their inputs.",
        formula="U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan_mode)",
        paper=_HE,
        aliases=("kaiming_uniform",),
    ),
    "he_normal": Initializer(
        name="he_normal",
        fn=he_normal,
        params=_HE_PARAMS,
        label="He/Kaiming normal",
        summary="Normal weights scaled for ReLU-like layers, which silence half of their inputs.",
        formula="N(0, std^2), std = gain / sqrt(fan_mode)",
        paper=_HE,
        aliases=("kaiming_normal",),
    ),
    "lecun_uniform": Initializer(
        name="lecun_uniform",
        fn=lecun_uniform,
        params=(),
        label="LeCun uniform",
        summary="Uniform weights scaled by the number of inputs so each unit's input sum has "
        "unit variance.",
        formula="U(-bound, bound), bound = sqrt(3 / fan_in)",
        paper=_LECUN,
    ),
    "lecun_normal": Initializer(
        name="lecun_normal",
        fn=lecun_normal,
        params=(),
        label="LeCun normal",
        summary="Normal weights scaled by the number of inputs so each unit's input sum has "
        "unit variance.",
        formula="N(0, std^2), std = 1 / sqrt(fan_in)",
        paper=_LECUN,
    ),
    "orthogonal": Initializer(
        name="orthogonal",
        fn=orthogonal,
        params=(_GAIN,),
        label="Orthogonal",
        summary="A random rotation-like matrix that keeps the length of every signal through a "
        "linear layer.",
        formula="W = gain * Q, Q from the QR decomposition of a Gaussian matrix",
        paper=_SAXE,
    ),
    "identity": Initializer(
        name="identity",
        fn=identity,
        params=(),
        label="Identity",
        summary="Ones on the diagonal and zeros elsewhere, so a layer starts by copying its input.",
        formula="W[i, j] = 1 if i == j else 0",
        paper="",
        aliases=("eye",),
        random=False,
    ),
    "sparse": Initializer(
        name="sparse",
        fn=sparse,
        params=(
            Param(
                "sparsity",
                0.1,
                "float",
                low=0.0,
                high=1.0,
                help="fraction of each column's weights set to zero",
            ),
            Param(
                "std",
                0.01,
                "float",
                low=0.0,
                help="standard deviation of the non-zero weights",
            ),
        ),
        label="Sparse normal",
        summary="Normal weights with a fixed fraction of each column set to zero.",
        formula="N(0, std^2), then ceil(sparsity * fan_out) zeros per column",
        paper=_MARTENS,
    ),
    "torch_default": Initializer(
        name="torch_default",
        fn=torch_default,
        params=(),
        label="PyTorch default (nn.Linear)",
        summary="What PyTorch's nn.Linear uses when you do nothing: uniform within 1/sqrt(fan_in).",
        formula="U(-1/sqrt(fan_in), 1/sqrt(fan_in)) = kaiming_uniform with a = sqrt(5)",
        paper="",
        aliases=("pytorch_default",),
    ),
}

#: Alias -> canonical name, built from the registry.
ALIASES: dict[str, str] = {
    alias: init.name for init in INITIALIZERS.values() for alias in init.aliases
}

# The bias schemes other than torch_default draw like the weight schemes of the same name
# (element-wise, so shape (fan_out,) works), with defaults suited to a bias.
BIAS_INITIALIZERS: dict[str, Initializer] = {
    "zeros": _bias_version(
        INITIALIZERS["zeros"],
        params=(),
        summary="Every bias starts at 0, the usual choice.",
        formula="b = 0",
        note="Random weights already break the symmetry.",
    ),
    "constant": _bias_version(
        INITIALIZERS["constant"],
        params=(Param("value", 0.1, "float", help="the value every bias starts at"),),
        summary="Every bias starts at the same value.",
        formula="b = value",
        note="A small positive value keeps ReLU units active at the start.",
    ),
    "normal": _bias_version(
        INITIALIZERS["normal"],
        params=(
            Param("mean", 0.0, "float", help="average bias"),
            Param(
                "std", 0.1, "float", low=0.0, help="standard deviation of the normal distribution"
            ),
        ),
        summary="Random biases from a bell curve.",
        formula="N(mean, std^2)",
    ),
    "uniform": _bias_version(
        INITIALIZERS["uniform"],
        params=(
            Param("a", -0.1, "float", help="lowest possible bias"),
            Param("b", 0.1, "float", help="highest possible bias (must be above a)"),
        ),
        summary="Random biases drawn evenly between a and b.",
        formula="U(a, b)",
    ),
    "torch_default": Initializer(
        name="torch_default",
        fn=bias_torch_default,
        params=(),
        label="PyTorch default (nn.Linear)",
        summary="What PyTorch's nn.Linear uses for its bias: uniform within 1/sqrt(fan_in).",
        formula="U(-1/sqrt(fan_in), 1/sqrt(fan_in))",
        paper="",
        aliases=("pytorch_default",),
    ),
}

#: Alias -> canonical name for bias schemes.
BIAS_ALIASES: dict[str, str] = {
    alias: init.name for init in BIAS_INITIALIZERS.values() for alias in init.aliases
}


# --------------------------------------------------------------------------------------------
# Validation and the public entry points
# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:g}"


def _normalize_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _resolve(
    name: str, registry: Mapping[str, Initializer], aliases: Mapping[str, str], kind: str
) -> str:
    key = _normalize_name(name) if isinstance(name, str) else None
    if key in registry:
        return key
    if key in aliases:
        return aliases[key]
    raise ValueError(
        f"Unknown {kind} {quote(name)}. Valid names: {', '.join(registry)} "
        f"(aliases: {', '.join(aliases)})."
    )


def resolve_initializer(name: str) -> str:
    """Return the canonical name of a weight initializer.

    Matching ignores case and surrounding spaces, and accepts ``-`` or inner spaces for ``_``;
    aliases such as ``"glorot_uniform"`` map to their canonical name.

    Parameters
    ----------
    name : str
        A canonical name or alias, e.g. ``"Kaiming-Normal"``.

    Returns
    -------
    str
        A key of :data:`INITIALIZERS`.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names and aliases.

    Examples
    --------
    >>> resolve_initializer(" Glorot-Uniform ")
    'xavier_uniform'
    """
    return _resolve(name, INITIALIZERS, ALIASES, "initializer")


def resolve_bias_initializer(name: str) -> str:
    """Return the canonical name of a bias initializer (same matching as
    :func:`resolve_initializer`).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names and aliases.

    Examples
    --------
    >>> resolve_bias_initializer("PyTorch-Default")
    'torch_default'
    """
    return _resolve(name, BIAS_INITIALIZERS, BIAS_ALIASES, "bias initializer")


def _check_param(prefix: str, p: Param, value: object) -> float | str:
    what = f"{prefix}: parameter '{p.name}'"
    if p.kind == "choice":
        key = _normalize_name(value) if isinstance(value, str) else None
        return key if key in p.choices else check_choice(what, value, p.choices, field=p.name)
    # Numeric text is accepted: URL query parameters and CLI options arrive as text.
    return check_float(what, value, p.low, p.high, field=p.name)


def _validate(
    prefix: str, spec: Initializer, params: Mapping[str, object] | None
) -> dict[str, float | str]:
    params = {} if params is None else params
    known = {p.name: p for p in spec.params}
    for key in params:
        if key not in known:
            valid = ", ".join(known) if known else "none"
            raise ConfigError(
                f"{prefix}: unknown parameter {quote(key)}. Valid parameters: {valid}.",
                key if isinstance(key, str) else None,
            )
    values = {
        p.name: _check_param(prefix, p, params[p.name]) if p.name in params else p.default
        for p in spec.params
    }
    if spec.check is not None:
        problem = spec.check(values)
        if problem is not None:  # a problem of several parameters: no single field
            raise ConfigError(f"{prefix}: {problem}")
    return values


def validate_init_params(
    name: str, params: Mapping[str, object] | None = None
) -> dict[str, float | str]:
    """Check the parameters of a weight initializer and fill in the defaults.

    Parameters
    ----------
    name : str
        Initializer name or alias (see :func:`resolve_initializer`).
    params : mapping of str to object, optional
        Parameter values; missing ones take their default. Numbers may be given as ints,
        floats or numeric strings; booleans are rejected.

    Returns
    -------
    dict of str to float or str
        Every parameter of the scheme, floats converted with ``float()``, choices normalized.

    Raises
    ------
    ValueError
        Naming the initializer, the parameter, what it must be and what it got, e.g.
        ``Initializer 'normal': parameter 'std' must be a number >= 0. Got -1.``

    Examples
    --------
    >>> validate_init_params("kaiming_normal", {"mode": "fan_out"})
    {'mode': 'fan_out', 'nonlinearity': 'relu'}
    """
    canonical = resolve_initializer(name)
    return _validate(
        f"Initializer '{canonical}'",
        INITIALIZERS[canonical],
        params,
    )


def validate_bias_params(
    name: str, params: Mapping[str, object] | None = None
) -> dict[str, float | str]:
    """Check the parameters of a bias initializer and fill in the defaults.

    Same rules and messages as :func:`validate_init_params`, with the prefix
    ``Bias initializer '<name>'``.

    Examples
    --------
    >>> validate_bias_params("normal", {"std": 1})
    {'mean': 0.0, 'std': 1.0}
    """
    canonical = resolve_bias_initializer(name)
    return _validate(
        f"Bias initializer '{canonical}'",
        BIAS_INITIALIZERS[canonical],
        params,
    )


def _check_rng(rng: object) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator, e.g. np.random.default_rng(seed). "
            f"Got {type(rng).__name__}."
        )


def initialize(
    name: str, shape: tuple[int, int], rng: np.random.Generator, **params: object
) -> np.ndarray:
    """Create a weight matrix with the named scheme.

    Resolves the name, validates ``shape`` and ``params``, then calls the scheme.

    Parameters
    ----------
    name : str
        Initializer name or alias, e.g. ``"he_normal"`` or ``"kaiming_normal"``.
    shape : tuple of int
        ``(fan_out, fan_in)`` = ``(units, inputs)``, both positive, or conv filters
        ``(F, C, K, K)`` (fans as :func:`compute_fans` reads them).
    rng : np.random.Generator
        Source of randomness (unused by deterministic schemes).
    **params
        Scheme parameters, see ``INITIALIZERS[name].params``.

    Returns
    -------
    ndarray of ``shape``, dtype float64

    Raises
    ------
    ValueError
        For an unknown name, a bad shape or a bad parameter.
    TypeError
        If ``rng`` is not a ``np.random.Generator``.

    Examples
    --------
    >>> w = initialize("glorot_uniform", (3, 5), np.random.default_rng(0), gain=2.0)
    >>> w.shape, w.dtype
    ((3, 5), dtype('float64'))
    """
    canonical = resolve_initializer(name)
    values = validate_init_params(canonical, params)
    if not isinstance(shape, (tuple, list)) or len(shape) not in (2, 4):
        raise ConfigError(
            f"Weight shape must be a pair (fan_out, fan_in) of integers >= 1, or conv filters "
            f"(F, C, K, K). Got {quote(shape)}.",
            "shape",
        )
    checked = (
        check_int("fan_out (shape[0])", shape[0], 1, None, field="shape", strict=True),
        check_int("fan_in (shape[1])", shape[1], 1, None, field="shape", strict=True),
        *(check_int(f"kernel (shape[{i}])", shape[i], 1, None, field="shape", strict=True)
          for i in range(2, len(shape))),
    )
    _check_rng(rng)
    if len(checked) == 4 and canonical in _MATRIX_SCHEMES:
        # Like PyTorch's orthogonal_ and sparse_: the scheme on the (F, C*K*K) matrix of the
        # flattened filters (their fan_out is F there, not F*K*K).
        flat = INITIALIZERS[canonical].fn((checked[0], math.prod(checked[1:])), rng, **values)
        w = np.asarray(flat, dtype=np.float64).reshape(checked)
    else:
        w = np.asarray(INITIALIZERS[canonical].fn(checked, rng, **values), dtype=np.float64)
    assert w.shape == checked, (canonical, w.shape, checked)
    return w


#: Schemes defined on a matrix: conv filters get them on their flattened (F, C*K*K) matrix.
_MATRIX_SCHEMES = ("orthogonal", "sparse")


def initialize_bias(
    name: str, n_units: int, fan_in: int, rng: np.random.Generator, **params: object
) -> np.ndarray:
    """Create a bias vector with the named scheme.

    Parameters
    ----------
    name : str
        Bias initializer name or alias, e.g. ``"zeros"`` or ``"pytorch_default"``.
    n_units : int
        Number of units of the layer (``fan_out``), positive.
    fan_in : int
        Number of inputs of the layer, positive (used by ``torch_default``).
    rng : np.random.Generator
        Source of randomness (unused by deterministic schemes).
    **params
        Scheme parameters, see ``BIAS_INITIALIZERS[name].params``.

    Returns
    -------
    ndarray of shape (n_units,), dtype float64

    Raises
    ------
    ValueError
        For an unknown name, a bad size or a bad parameter.
    TypeError
        If ``rng`` is not a ``np.random.Generator``.

    Examples
    --------
    >>> initialize_bias("constant", 3, 5, np.random.default_rng(0), value=0.2)
    array([0.2, 0.2, 0.2])
    """
    canonical = resolve_bias_initializer(name)
    values = validate_bias_params(canonical, params)
    units = check_int("n_units", n_units, 1, None, strict=True)
    inputs = check_int("fan_in", fan_in, 1, None, strict=True)
    _check_rng(rng)
    b = np.asarray(BIAS_INITIALIZERS[canonical].fn((units,), rng, inputs, **values), np.float64)
    assert b.shape == (units,), (canonical, b.shape, units)
    return b


def scheme_table_markdown() -> str:
    """The README's table of weight schemes, made from :data:`INITIALIZERS` (name, formula,
    parameters with their defaults, aliases), so the documentation lists every registered
    scheme with the formula its docstring and the dashboard show."""
    rows = ["| name | formula | parameters | also known as |", "|---|---|---|---|"]
    for name, init in INITIALIZERS.items():
        params = ", ".join(f"{p.name}={p.default:g}" if isinstance(p.default, float)
                           else f"{p.name}={p.default}" for p in init.params)
        aliases = ", ".join(f"`{a}`" for a in init.aliases)
        rows.append(f"| `{name}` | {init.formula} | {params} | {aliases} |")
    return "\n".join(rows)
