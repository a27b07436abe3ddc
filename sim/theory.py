"""Mean-field signal propagation in deep random fully-connected networks.

A network with ``L`` hidden layers of width ``N`` computes, for an input ``x``,

.. math::

    h^l = W^l \\phi(h^{l-1}) + b^l, \\qquad
    W^l_{ij} \\sim \\mathcal N(0, \\sigma_w^2 / N_{l-1}), \\qquad
    b^l_i \\sim \\mathcal N(0, \\sigma_b^2).

As ``N -> infinity`` every pre-activation ``h^l_i`` is Gaussian, and two numbers per layer
describe how signals travel (Poole et al. 2016; Schoenholz et al. 2017):

* the **length map** of the variance ``q^l = E[(h^l_i)^2]``,

  .. math:: q^l = \\sigma_w^2 \\int Dz\\, \\phi(\\sqrt{q^{l-1}} z)^2 + \\sigma_b^2,

  whose stable fixed point is :math:`q^*` (:func:`q_star`);
* the **correlation map** of two inputs' correlation ``c^l = q_{12}^l / q^*``,

  .. math:: c^l = \\frac{1}{q^*}\\Big(\\sigma_w^2 \\int Dz_1 Dz_2\\, \\phi(u_1)\\phi(u_2)
            + \\sigma_b^2\\Big), \\quad u_1 = \\sqrt{q^*} z_1,\\;
            u_2 = \\sqrt{q^*}\\big(c^{l-1} z_1 + \\sqrt{1 - (c^{l-1})^2}\\, z_2\\big),

  which always has the fixed point ``c = 1`` with slope

  .. math:: \\chi_1 = \\sigma_w^2 \\int Dz\\, \\phi'(\\sqrt{q^*} z)^2

  (:func:`chi1`; also the mean squared singular value of one layer's Jacobian, so it is the
  per-layer growth factor of gradients). ``chi1 < 1``: *ordered* phase, nearby inputs
  converge (``c* = 1``); ``chi1 > 1``: *chaotic* phase, they decorrelate to a ``c* < 1``;
  ``chi1 = 1``: the *critical line*, or edge of chaos (:func:`critical_sigma_w2`).

``Dz`` is the standard Gaussian measure. The integrals are computed by Gauss-Hermite
quadrature (``numpy.polynomial.hermite_e.hermegauss``: nodes and weights for the weight
``exp(-z^2 / 2)``), with closed forms for the positively homogeneous activations (linear,
ReLU), whose kinks quadrature would resolve badly.

References
----------
.. [1] B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein and S. Ganguli, "Exponential
   expressivity in deep neural networks through transient chaos", NeurIPS 2016.
.. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
   Propagation", ICLR 2017.
.. [3] L. Lu, Y. Shin, Y. Su and G. E. Karniadakis, "Dying ReLU and Initialization: Theory and
   Numerical Examples", Communications in Computational Physics 28(5), 2020.

All functions take ``sigma_w2`` and ``sigma_b2`` as floats or arrays (broadcast together) and
return floats for float inputs, arrays of the broadcast shape otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from sim.config import InitSpec
from sim.initializers import BIAS_INITIALIZERS, INITIALIZERS, calculate_gain

__all__ = [
    "ACTIVATIONS_WITH_THEORY",
    "chi1",
    "critical_sigma_w2",
    "dead_relu_probability",
    "depth_scales",
    "init_sigma_b2",
    "init_sigma_w2",
    "q_star",
    "sigma_w2_scale",
    "trainable_depth",
]

ArrayLike = float | np.ndarray

# One-dimensional rule: E[f(z)] ~= sum_k w_k f(z_k). 100 nodes integrate tanh(sqrt(q) z)^2 to
# ~1e-13 for the q of any sigma_w2 <= 100; the two-dimensional rule is the tensor product of
# a smaller one (the correlation map is evaluated on grids of K^2 points).
_Z, _W = hermegauss(100)
_W = _W / math.sqrt(2.0 * math.pi)
_Z2, _W2 = hermegauss(64)
_W2 = _W2 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class _Smooth:
    """A smooth activation: ``phi`` and its first two derivatives, vectorised."""

    phi: Callable[[np.ndarray], np.ndarray]
    d1: Callable[[np.ndarray], np.ndarray]
    d2: Callable[[np.ndarray], np.ndarray]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def _tanh_d2(z: np.ndarray) -> np.ndarray:
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t * t)


def _sigmoid_d1(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _sigmoid_d2(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(z)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


_SMOOTH: dict[str, _Smooth] = {
    "tanh": _Smooth(np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, _tanh_d2),
    "sigmoid": _Smooth(_sigmoid, _sigmoid_d1, _sigmoid_d2),
}

#: Positively homogeneous activations, by ``m = E[phi(z)^2] = E[phi'(z)^2]`` for z ~ N(0, 1):
#: the length map is linear, ``q' = m sigma_w2 q + sigma_b2``, and ``chi1 = m sigma_w2``.
_HOMOGENEOUS: dict[str, float] = {"linear": 1.0, "relu": 0.5}

#: The names of :data:`sim.activations.ACTIVATIONS` this module has a theory for.
ACTIVATIONS_WITH_THEORY: tuple[str, ...] = (*_SMOOTH, *_HOMOGENEOUS)


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS_WITH_THEORY:
        raise ValueError(
            f"No mean-field theory for activation {activation!r}. "
            f"Valid names: {', '.join(ACTIVATIONS_WITH_THEORY)}."
        )


def _broadcast(*xs: ArrayLike) -> tuple[list[np.ndarray], tuple[int, ...], bool]:
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in xs))
    scalar = all(np.ndim(x) == 0 for x in xs)
    return [a.ravel() for a in arrays], arrays[0].shape, scalar


def _out(values: np.ndarray, shape: tuple[int, ...], scalar: bool) -> ArrayLike:
    return float(values[0]) if scalar else values.reshape(shape)


# --------------------------------------------------------------------------------------------
# The length map and chi1
# --------------------------------------------------------------------------------------------


def _q_star_flat(sw: np.ndarray, sb: np.ndarray, activation: str) -> np.ndarray:
    """q* for flat arrays: closed form (homogeneous) or safeguarded Newton (smooth)."""
    if activation in _HOMOGENEOUS:
        gain = _HOMOGENEOUS[activation] * sw
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(gain < 1.0, sb / (1.0 - gain), np.inf)
        # On the critical line with no bias every q is a fixed point: the input's q = 1 stays.
        return np.where((gain == 1.0) & (sb == 0.0), 1.0, q)
    f = _SMOOTH[activation]
    q = np.ones_like(sw)
    for _ in range(2000):
        u = np.sqrt(q)[:, None] * _Z
        p = f.phi(u)
        mapped = sw * (p * p @ _W) + sb
        # d q^l / d q^{l-1} = sigma_w2 E[phi'^2 + phi phi''] (Stein's lemma; Schoenholz eq. 5).
        d1 = f.d1(u)
        slope = sw * ((d1 * d1 + p * f.d2(u)) @ _W)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = q - (mapped - q) / (slope - 1.0)
        # Newton where it heads for a stable fixed point, else one step of the map itself
        # (the iteration from q = 1 the paper describes, which always converges, but slowly
        # near the critical line).
        new = np.where((slope < 1.0) & (newton >= 0.0), newton, mapped)
        done = np.abs(new - q) <= 1e-14 * (1.0 + q)
        q = new
        if done.all():
            break
    return q


def q_star(sigma_w2: ArrayLike, sigma_b2: ArrayLike, activation: str = "tanh") -> ArrayLike:
    """Fixed point ``q*`` of the length map, reached from an input of variance ``q^0 = 1``.

    .. math:: q^l = \\sigma_w^2 \\int Dz\\, \\phi\\big(\\sqrt{q^{l-1}}\\, z\\big)^2 + \\sigma_b^2
              \\quad\\text{(Poole et al. 2016, eq. 3)}

    ``q*`` is the variance of every pre-activation deep in the network, whatever the input's
    length (the length map converges within a few layers, Schoenholz et al. 2017, Fig. 1).

    Parameters
    ----------
    sigma_w2 : float or ndarray
        ``sigma_w^2 = Var(W_ij) * fan_in``.
    sigma_b2 : float or ndarray
        ``sigma_b^2 = Var(b_i)``; broadcast with ``sigma_w2``.
    activation : str, default "tanh"
        A name of :data:`ACTIVATIONS_WITH_THEORY`.

    Returns
    -------
    float or ndarray of the broadcast shape
        ``q*``. Linear and ReLU have the closed form ``sigma_b2 / (1 - m sigma_w2)`` with
        ``m = 1`` (linear) or ``1/2`` (ReLU), and ``inf`` where ``m sigma_w2 >= 1`` (the
        length grows without bound), except ``m sigma_w2 = 1, sigma_b2 = 0``, where every
        length is kept and ``q* = 1``. Tanh at ``sigma_b2 = 0, sigma_w2 <= 1`` has ``q* = 0``.

    Examples
    --------
    >>> round(q_star(1.0, 0.05), 4)
    0.1936
    """
    _check_activation(activation)
    (sw, sb), shape, scalar = _broadcast(sigma_w2, sigma_b2)
    return _out(_q_star_flat(sw, sb, activation), shape, scalar)


def _chi1_flat(sw: np.ndarray, q: np.ndarray, activation: str) -> np.ndarray:
    if activation in _HOMOGENEOUS:
        return _HOMOGENEOUS[activation] * sw
    d1 = _SMOOTH[activation].d1(np.sqrt(q)[:, None] * _Z)
    return sw * (d1 * d1 @ _W)


def chi1(sigma_w2: ArrayLike, sigma_b2: ArrayLike, activation: str = "tanh") -> ArrayLike:
    """Slope of the correlation map at ``c = 1``: the order-to-chaos parameter.

    .. math:: \\chi_1 = \\frac{\\partial c^l}{\\partial c^{l-1}}\\Big|_{c=1}
              = \\sigma_w^2 \\int Dz\\, \\phi'\\big(\\sqrt{q^*}\\, z\\big)^2
              \\quad\\text{(Poole et al. 2016, eq. 7; Schoenholz et al. 2017, eq. 8)}

    It is also the mean squared singular value of one layer's Jacobian
    ``W^l diag(phi'(h^{l-1}))``, so gradients grow like ``chi1^depth``.
    ``chi1 < 1`` ordered, ``chi1 = 1`` critical, ``chi1 > 1`` chaotic.

    Parameters
    ----------
    sigma_w2, sigma_b2 : float or ndarray
        As :func:`q_star`.
    activation : str, default "tanh"
        A name of :data:`ACTIVATIONS_WITH_THEORY`.

    Returns
    -------
    float or ndarray of the broadcast shape
        ``chi1``; ``sigma_w2`` for linear and ``sigma_w2 / 2`` for ReLU, for any ``sigma_b2``.

    Examples
    --------
    >>> round(chi1(1.0, 0.0), 9)  # tanh at sigma_b2 = 0: q* = 0 and phi'(0) = 1
    1.0
    """
    _check_activation(activation)
    (sw, sb), shape, scalar = _broadcast(sigma_w2, sigma_b2)
    return _out(_chi1_flat(sw, _q_star_flat(sw, sb, activation), activation), shape, scalar)


# --------------------------------------------------------------------------------------------
# The correlation map and the depth scales
# --------------------------------------------------------------------------------------------


def _pair(q: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(u1, u2)`` on the 2-D quadrature grid: arrays of shape (n, K, K), correlation c."""
    s = np.sqrt(q)[:, None, None]
    z1 = _Z2[None, :, None]
    z2 = _Z2[None, None, :]
    cc = c[:, None, None]
    return s * z1, s * (cc * z1 + np.sqrt(np.maximum(1.0 - cc * cc, 0.0)) * z2)


def _expect2(values: np.ndarray) -> np.ndarray:
    return np.einsum("nij,i,j->n", values, _W2, _W2)


def _correlation_map(sw: np.ndarray, sb: np.ndarray, q: np.ndarray, c: np.ndarray,
                     f: _Smooth) -> np.ndarray:
    u1, u2 = _pair(q, c)
    return (sw * _expect2(f.phi(u1) * f.phi(u2)) + sb) / q


def _c_star(sw: np.ndarray, sb: np.ndarray, q: np.ndarray, chaotic: np.ndarray,
            f: _Smooth) -> np.ndarray:
    """c* < 1 of the chaotic entries by bisection of ``map(c) - c`` on [-1, 1 - 1e-6].

    ``map(-1) >= -1`` (a correlation) and, where ``chi1 > 1``, ``map(c) < c`` just below 1;
    the correlation map of tanh is convex on [0, 1] (Poole et al. 2016), so the root is unique.
    The 2-D rule's error at ``c = 1`` (where ``map(1) = 1`` exactly, ~1e-9) is subtracted, so
    that it cannot hide the sign just below 1; a ``c*`` within 1e-6 of 1 is taken as 1.
    """
    c = np.ones_like(sw)
    if not chaotic.any():
        return c
    args = sw[chaotic], sb[chaotic], q[chaotic]
    lo = np.full(args[0].shape, -1.0)
    hi = np.full(args[0].shape, 1.0 - 1e-6)
    bias = _correlation_map(*args, np.ones_like(lo), f) - 1.0
    below = _correlation_map(*args, hi, f) - hi - bias < 0.0  # else c* within 1e-6 of 1
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        up = _correlation_map(*args, mid, f) - mid - bias >= 0.0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    c[chaotic] = np.where(below, 0.5 * (lo + hi), 1.0)
    return c


def _xi(slope: np.ndarray) -> np.ndarray:
    """``-1 / ln(slope)``: inf at slope 1, nan where there is none (slope nan)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(slope == 1.0, np.inf, -1.0 / np.log(slope))


def depth_scales(sigma_w2: ArrayLike, sigma_b2: ArrayLike, activation: str = "tanh"
                 ) -> tuple[ArrayLike, ArrayLike]:
    """Depth scales ``(xi_q, xi_c)``: over how many layers lengths and correlations converge.

    Near their fixed points ``|q^l - q*| ~ exp(-l / xi_q)`` and ``|c^l - c*| ~ exp(-l / xi_c)``,
    with (Schoenholz et al. 2017, eqs. 5 and 9)

    .. math::

        \\xi_q^{-1} = -\\ln\\Big[\\chi_1 + \\sigma_w^2 \\int Dz\\,
                        \\phi''\\big(\\sqrt{q^*} z\\big)\\, \\phi\\big(\\sqrt{q^*} z\\big)\\Big],
        \\qquad
        \\xi_c^{-1} = -\\ln \\chi_c, \\quad
        \\chi_c = \\sigma_w^2 \\int Dz_1 Dz_2\\, \\phi'(u_1)\\, \\phi'(u_2),

    with ``u1, u2`` the Gaussian pair of variance ``q*`` and correlation ``c*`` (the module's
    docstring). The bracket of ``xi_q`` is the length map's slope at ``q*``. In the ordered
    phase ``c* = 1`` and ``chi_c = chi1``; in the chaotic phase ``c* < 1`` is found by
    bisection of the correlation map. ``xi_c`` diverges on the critical line, which is what
    lets networks there be trained at any depth (Schoenholz et al. 2017, Fig. 5/6).

    Parameters
    ----------
    sigma_w2, sigma_b2 : float or ndarray
        As :func:`q_star`.
    activation : str, default "tanh"
        A name of :data:`ACTIVATIONS_WITH_THEORY`.

    Returns
    -------
    xi_q, xi_c : float or ndarray of the broadcast shape
        In layers; ``inf`` on the critical line. For linear and ReLU both are
        ``-1 / ln(m sigma_w2)`` (``m`` as in :func:`q_star`) below the critical line and nan
        above it, where no finite ``q*`` exists (lengths grow like ``(m sigma_w2)^l``). For
        ReLU with ``sigma_b2 = 0`` below the line, ``q* = 0`` and ``xi_c`` describes the decay
        of the length rather than the correlation (which then approaches 1 only polynomially).

    Examples
    --------
    >>> xi_q, xi_c = depth_scales(1.0, 0.05)
    >>> round(xi_c, 2), round(xi_q, 2)
    (3.63, 1.75)
    """
    _check_activation(activation)
    (sw, sb), shape, scalar = _broadcast(sigma_w2, sigma_b2)
    q = _q_star_flat(sw, sb, activation)
    if activation in _HOMOGENEOUS:
        slope = _HOMOGENEOUS[activation] * sw
        slope = np.where(slope <= 1.0, slope, np.nan)
        xi = _xi(slope)
        return _out(xi, shape, scalar), _out(xi.copy(), shape, scalar)
    f = _SMOOTH[activation]
    u = np.sqrt(q)[:, None] * _Z
    d1 = f.d1(u)
    length_slope = sw * ((d1 * d1 + f.phi(u) * f.d2(u)) @ _W)
    c1 = _chi1_flat(sw, q, activation)
    c = _c_star(sw, sb, q, c1 > 1.0, f)
    u1, u2 = _pair(q, c)
    chi_c = np.where(c < 1.0, sw * _expect2(f.d1(u1) * f.d1(u2)), c1)
    return _out(_xi(length_slope), shape, scalar), _out(_xi(chi_c), shape, scalar)


def critical_sigma_w2(sigma_b2: ArrayLike, activation: str = "tanh") -> ArrayLike:
    """The ``sigma_w2`` of the critical line ``chi1(sigma_w2, sigma_b2) = 1`` (edge of chaos).

    Found by bisection in ``log sigma_w2`` on ``[1e-2, 1e3]`` (``chi1`` grows with
    ``sigma_w2``); 60 halvings leave it exact to float precision, except near
    ``sigma_b2 = 0`` for tanh, where ``chi1 - 1`` grows only as ``delta**2 / 3`` above the
    line (``sigma_w2 = 1 + delta``), so that float64 locates it to about 1e-8. Tanh gives 1 at
    ``sigma_b2 = 0`` and 1.7610 at ``sigma_b2 = 0.05`` (Poole et al. 2016, Fig. 2;
    Schoenholz et al. 2017, Fig. 1). ReLU's is the He line ``sigma_w2 = 2`` (He et al. 2015)
    and linear's is 1, for every ``sigma_b2``.

    Parameters
    ----------
    sigma_b2 : float or ndarray
        ``Var(b_i)``.
    activation : str, default "tanh"
        A name of :data:`ACTIVATIONS_WITH_THEORY`.

    Returns
    -------
    float or ndarray of the shape of ``sigma_b2``

    Examples
    --------
    >>> round(critical_sigma_w2(0.05), 3)
    1.761
    """
    _check_activation(activation)
    (sb,), shape, scalar = _broadcast(sigma_b2)
    if activation in _HOMOGENEOUS:
        return _out(np.full_like(sb, 1.0 / _HOMOGENEOUS[activation]), shape, scalar)
    lo = np.full_like(sb, math.log(1e-2))
    hi = np.full_like(sb, math.log(1e3))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        sw = np.exp(mid)
        chaotic = _chi1_flat(sw, _q_star_flat(sw, sb, activation), activation) > 1.0
        lo = np.where(chaotic, lo, mid)
        hi = np.where(chaotic, mid, hi)
    return _out(np.exp(0.5 * (lo + hi)), shape, scalar)


def trainable_depth(sigma_w2: ArrayLike, sigma_b2: ArrayLike, activation: str = "tanh",
                    factor: float = 6.0) -> ArrayLike:
    """The depth below which a network is expected to train: ``factor * xi_c``.

    Schoenholz et al. (2017, Sec. 5 and Fig. 6) find that random networks train (on MNIST and
    CIFAR-10) when their depth is below about ``6 xi_c``, and fail beyond: information about
    the input's correlations is lost after a few ``xi_c``.

    Parameters
    ----------
    sigma_w2, sigma_b2 : float or ndarray
        As :func:`q_star`.
    activation : str, default "tanh"
        A name of :data:`ACTIVATIONS_WITH_THEORY`.
    factor : float, default 6.0
        Multiple of ``xi_c``.

    Returns
    -------
    float or ndarray of the broadcast shape
        In layers; ``inf`` on the critical line.
    """
    return factor * depth_scales(sigma_w2, sigma_b2, activation)[1]


# --------------------------------------------------------------------------------------------
# Dying ReLU
# --------------------------------------------------------------------------------------------


def dead_relu_probability(width: ArrayLike, depth: ArrayLike) -> ArrayLike:
    """Probability that a zero-bias ReLU network is born dead: ``1 - (1 - 2^-width)^depth``.

    The network has ``depth`` hidden ReLU layers of ``width`` units each, weights drawn from
    any continuous distribution symmetric about 0, and zero biases (Lu et al. 2020). For
    **one** fixed input ``x != 0`` the formula is exact: given a non-zero input, each unit of a
    layer is inactive (pre-activation ``<= 0``) with probability 1/2, independently of the
    others, so the whole layer outputs 0 with probability ``2^-width``; once a layer outputs
    0, every later one does, and the network's output is its last bias, whatever ``x``. The
    network survives only if each of its ``depth`` layers does.

    For a *set* of inputs the network is constant only if every input dies (maybe in
    different layers), which is rarer: this is then an upper bound, approached as the inputs
    get close to one another (Lu et al. 2020, Thm. 3.1, prove the limit 1 as depth grows).

    Parameters
    ----------
    width, depth : int or ndarray of int
        ``N`` units per hidden layer and ``L`` hidden layers; broadcast together.

    Returns
    -------
    float or ndarray of the broadcast shape

    Examples
    --------
    >>> dead_relu_probability(2, 10)  # 1 - (3/4)^10
    0.9436864852905273
    """
    (n, L), shape, scalar = _broadcast(width, depth)
    return _out(-np.expm1(L * np.log1p(-np.exp2(-n))), shape, scalar)


# --------------------------------------------------------------------------------------------
# What an initialization means in (sigma_w2, sigma_b2)
# --------------------------------------------------------------------------------------------


def _base_sigma_w2(scheme: str, params: dict) -> float | None:
    """``Var(W) * fan_in`` of a scheme at scale 1, or None if it depends on other sizes."""
    defaults = {p.name: p.default for p in INITIALIZERS[scheme].params}
    values = {**defaults, **params}
    if scheme in ("lecun_normal", "lecun_uniform"):
        return 1.0  # std = 1 / sqrt(fan_in); the uniform bound sqrt(3 / fan_in) has that std
    if scheme in ("he_normal", "he_uniform"):
        if values["mode"] != "fan_in":
            return None
        return calculate_gain(values["nonlinearity"]) ** 2  # std = gain / sqrt(fan_in)
    if scheme == "torch_default":
        return 1.0 / 3.0  # U(-1/sqrt(fan_in), 1/sqrt(fan_in)): variance 1 / (3 fan_in)
    return None


def init_sigma_w2(spec: InitSpec) -> float | None:
    """The ``sigma_w2 = Var(W_ij) * fan_in`` of an initialization, if it has one.

    Only fan-in schemes have a ``sigma_w2`` that does not depend on the layer's sizes:

    ==================================  ================================
    scheme                              sigma_w2
    ==================================  ================================
    lecun_normal, lecun_uniform         ``scale^2``
    he_normal, he_uniform (fan_in)      ``gain(nonlinearity)^2 scale^2``
    torch_default                       ``scale^2 / 3``
    ==================================  ================================

    (``scale`` is :attr:`sim.config.InitSpec.scale`, which multiplies every weight; ``gain``
    is :func:`sim.initializers.calculate_gain`.) The uniform schemes are not Gaussian, but a
    wide layer's pre-activations are (central limit), so only the variance matters.

    Parameters
    ----------
    spec : InitSpec

    Returns
    -------
    float or None
        None for every other scheme (Xavier's depends on ``fan_out`` too, ``normal`` and
        ``uniform`` on ``fan_in``, ``he_*`` with ``mode="fan_out"`` on ``fan_out``).
    """
    base = _base_sigma_w2(spec.scheme, dict(spec.params))
    return None if base is None else base * spec.scale**2


def sigma_w2_scale(spec: InitSpec, sigma_w2: float) -> float | None:
    """The :attr:`~sim.config.InitSpec.scale` that gives ``spec``'s scheme a ``sigma_w2``.

    ``scale = sqrt(sigma_w2 / sigma_w2_at_scale_1)``, the inverse of :func:`init_sigma_w2`
    (``spec.scale`` itself is ignored).

    Parameters
    ----------
    spec : InitSpec
    sigma_w2 : float
        Target ``Var(W) * fan_in``, ``>= 0``.

    Returns
    -------
    float or None
        None if the scheme is not a fan-in scheme (see :func:`init_sigma_w2`).
    """
    base = _base_sigma_w2(spec.scheme, dict(spec.params))
    return None if base is None else math.sqrt(sigma_w2 / base)


def init_sigma_b2(spec: InitSpec) -> float | None:
    """The ``sigma_b2 = Var(b_i)`` of an initialization's bias, if the theory covers it.

    The theory assumes zero-mean biases: ``zeros`` (and ``constant`` 0) give 0, ``normal``
    with mean 0 gives ``std^2``, ``uniform(a, b)`` with ``a = -b`` gives ``(b - a)^2 / 12``.
    A biased mean, or ``torch_default`` (whose variance ``1 / (3 fan_in)`` depends on the
    layer), gives None. ``spec.scale`` does not touch biases.

    Parameters
    ----------
    spec : InitSpec

    Returns
    -------
    float or None
    """
    defaults = {p.name: p.default for p in BIAS_INITIALIZERS[spec.bias].params}
    v = {**defaults, **dict(spec.bias_params)}
    if spec.bias == "zeros" or (spec.bias == "constant" and v["value"] == 0.0):
        return 0.0
    if spec.bias == "normal" and v["mean"] == 0.0:
        return float(v["std"]) ** 2
    if spec.bias == "uniform" and v["a"] + v["b"] == 0.0:
        return (float(v["b"]) - float(v["a"])) ** 2 / 12.0
    return None
