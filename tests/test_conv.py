"""Tests of the convolution layers (issue 10): the maths against independent references.

* Gradients of :func:`sim.network.loss_and_gradients` with conv layers against central
  differences in float64, for every activation, every loss and several shapes.
* :func:`sim.network.forward` against a naive loop implementation of PyTorch's conventions
  written here (cross-correlation, "same" padding with ``(K - 1) // 2`` before, max pooling
  that drops the rows left over, flatten in ``(F, H', W')`` order), and against
  ``torch.nn.functional`` when torch is installed.
* The lesson: filters that start equal stay bit-for-bit equal (sigmoid) or dead (tanh, ReLU);
  random filters are all distinct; the random side learns ``bars``, the zeros side does not.
* PyTorch's fans for conv weights and every initializer on 4-D shapes.
* Same seed, same bytes.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from sim.activations import ACTIVATIONS
from sim.config import Config
from sim.datasets import make_dataset
from sim.initializers import INITIALIZERS, compute_fans, initialize
from sim.losses import LOSSES
from sim.network import forward, loss_and_gradients
from sim.train import train_comparison

# --------------------------------------------------------------------------------------------
# A naive reference: loops written from PyTorch's documented conventions
# --------------------------------------------------------------------------------------------


def ref_conv(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross-correlation, stride 1, "same" zero padding ((K - 1) // 2 before, the rest after).

    X (n, C, H, W), W (F, C, K, K), b (F,) -> (n, F, H, W), one output pixel at a time.
    """
    n, c, h, w = X.shape
    f, _, k, _ = W.shape
    before = (k - 1) // 2
    after = k - 1 - before
    P = np.zeros((n, c, h + k - 1, w + k - 1))
    P[:, :, before:before + h, before:before + w] = X
    assert P.shape[2] == h + before + after
    Z = np.empty((n, f, h, w))
    for s in range(n):
        for o in range(f):
            for i in range(h):
                for j in range(w):
                    Z[s, o, i, j] = b[o] + np.sum(W[o] * P[s, :, i:i + k, j:j + k])
    return Z


def ref_pool(A: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """p x p max pooling, stride p, floor; also the flat index (in the H x W map) of the
    first maximum of each window in row-major order, the entry that gets the gradient."""
    n, f, h, w = A.shape
    ph, pw = h // p, w // p
    out = np.empty((n, f, ph, pw))
    arg = np.empty((n, f, ph, pw), dtype=np.int64)
    for s in range(n):
        for o in range(f):
            for i in range(ph):
                for j in range(pw):
                    win = A[s, o, i * p:(i + 1) * p, j * p:(j + 1) * p]
                    t = int(np.argmax(win))  # numpy's argmax: the first maximum, row-major
                    out[s, o, i, j] = win.flat[t]
                    arg[s, o, i, j] = (i * p + t // p) * w + (j * p + t % p)
    return out, arg


def ref_forward(weights, biases, X, activation, pool):
    """Every layer's output as sim.network.forward lists them, by the naive loops."""
    act = ACTIVATIONS[activation]
    A = X
    outs = []
    n_conv = sum(1 for w in weights if w.ndim == 4)
    for W, b in zip(weights[:n_conv], biases[:n_conv], strict=True):
        Z = ref_conv(A, W, b)
        H = np.empty_like(Z)
        act.forward(Z, H)
        outs.append(H)
        A = ref_pool(H, pool)[0] if pool > 1 else H
    A = A.reshape(A.shape[0], -1)  # torch.flatten(x, 1): (F, H', W') order
    dense = list(zip(weights[n_conv:], biases[n_conv:], strict=True))
    for l, (W, b) in enumerate(dense):
        Z = A @ W.T + b
        if l == len(dense) - 1:
            outs.append(Z)
            break
        H = np.empty_like(Z)
        act.forward(Z, H)
        outs.append(H)
        A = H
    return outs


# --------------------------------------------------------------------------------------------
# Random networks
# --------------------------------------------------------------------------------------------

#: (name, channels, image side, conv [(F, K)], pool): channels 1-3, kernels 1-5 (even ones
#: too), pooling 0, 2 and 3, one and two conv layers; odd sides so pooling drops a row.
SHAPES = [
    ("c1_k1_nopool", 1, 5, [(2, 1)], 0),
    ("c2_k2_pool2", 2, 6, [(3, 2)], 2),
    ("c3_k3_pool2_odd", 3, 7, [(2, 3)], 2),
    ("c1_k4_nopool", 1, 6, [(2, 4)], 0),
    ("c2_k5_pool3", 2, 7, [(2, 5)], 3),
    ("two_layers_pool2", 1, 8, [(3, 3), (2, 2)], 2),
    ("two_layers_c3_nopool", 3, 5, [(2, 3), (3, 1)], 0),
]
SHAPE_IDS = [s[0] for s in SHAPES]
N_OUT = {"mse": 2, "bce": 1, "ce": 3}
N_SAMPLES = 3


def pooled_side(side: int, n_layers: int, pool: int) -> int:
    for _ in range(n_layers):
        side = side // pool if pool > 1 else side
    return side


def random_network(channels, side, conv, pool, n_out, rng, hidden=(4,), scale=0.6):
    """Random conv filters (F, C, K, K), then dense layers, with random biases."""
    weights, biases = [], []
    c = channels
    for f, k in conv:
        weights.append(rng.normal(0.0, scale / math.sqrt(c * k * k) * 1.5, (f, c, k, k)))
        biases.append(rng.normal(0.0, 0.3, f))
        c = f
    s = pooled_side(side, len(conv), pool)
    sizes = [c * s * s, *hidden, n_out]
    for i in range(1, len(sizes)):
        weights.append(rng.normal(0.0, 1.0 / math.sqrt(sizes[i - 1]), (sizes[i], sizes[i - 1])))
        biases.append(rng.normal(0.0, 0.3, sizes[i]))
    return weights, biases


def targets(loss: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if loss == "mse":
        return rng.normal(size=(n, N_OUT["mse"]))
    if loss == "bce":
        return np.array([0, 1, 1])[:n].astype(np.float64)
    return np.array([0, 2, 1])[:n]


# --------------------------------------------------------------------------------------------
# Gradients against central differences
# --------------------------------------------------------------------------------------------

STEP = 1e-6
# Smooth functions have one-sided slopes within about STEP * |f''| of each other; a step that
# crosses a kink (ReLU at 0, a max-pooling window changing its maximum) makes them differ by
# the jump. Such coordinates are left out (and counted): the central difference means nothing
# there.
KINK = 1e-5
RTOL, ATOL = 1e-5, 1e-7


def _coordinates(shape: tuple[int, ...], rng: np.random.Generator, most: int) -> list[tuple]:
    """Every index of a small array, or ``most`` random ones of a large one."""
    every = list(np.ndindex(*shape))
    if len(every) <= most:
        return every
    pick = rng.choice(len(every), size=most, replace=False)
    return [every[i] for i in sorted(pick)]


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize(("name", "channels", "side", "conv", "pool"), SHAPES, ids=SHAPE_IDS)
def test_conv_gradients_match_central_differences(name, channels, side, conv, pool,
                                                  activation, loss):
    """dL/dW and dL/db of conv and dense layers within 1e-5 relative + 1e-7 absolute of a
    central difference, at every checked coordinate where the step crosses no kink."""
    rng = np.random.default_rng(zlib.crc32(f"{name} {activation} {loss}".encode()))
    weights, biases = random_network(channels, side, conv, pool, N_OUT[loss], rng)
    X = rng.normal(size=(N_SAMPLES, channels, side, side))
    y = targets(loss, rng, N_SAMPLES)

    def f(ws, bs):
        return loss_and_gradients(ws, bs, X, y, activation, loss, pool=pool)[0]

    f0, gw, gb = loss_and_gradients(weights, biases, X, y, activation, loss, pool=pool)
    assert [g.shape for g in gw] == [w.shape for w in weights]
    assert [g.shape for g in gb] == [b.shape for b in biases]
    checked = kinks = 0
    bad = []
    for group, grads in (("w", gw), ("b", gb)):
        params = weights if group == "w" else biases
        for l, (p, g) in enumerate(zip(params, grads, strict=True)):
            most = 24 if p.ndim == 4 or group == "b" else 8
            for idx in _coordinates(p.shape, rng, most):
                old = p[idx]
                p[idx] = old + STEP
                up = f(weights, biases)
                p[idx] = old - STEP
                down = f(weights, biases)
                p[idx] = old
                right, left = (up - f0) / STEP, (f0 - down) / STEP
                fd = (up - down) / (2 * STEP)
                if abs(right - left) > KINK + 1e-3 * abs(fd):
                    kinks += 1
                    continue
                checked += 1
                if abs(g[idx] - fd) > ATOL + RTOL * abs(fd):
                    bad.append((group, l, idx, g[idx], fd))
    assert not bad, f"gradient differs from central differences at {bad[:5]}"
    # random data: kinks are rare, so almost every coordinate was really checked
    assert kinks <= max(1, checked // 50), f"{kinks} kinks among {checked + kinks} coordinates"
    if activation not in ("relu", "leaky_relu") and pool <= 1:
        assert kinks == 0  # nothing is kinked: every coordinate was checked


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_conv_gradients_with_l2_match_central_differences(activation):
    """The L2 penalty covers conv filters too (its gradient is l2 * W for them)."""
    rng = np.random.default_rng(5)
    weights, biases = random_network(2, 6, [(3, 3)], 2, 3, rng)
    X = rng.normal(size=(4, 2, 6, 6))
    y = np.array([0, 1, 2, 1])
    l2 = 0.3
    _, gw, _ = loss_and_gradients(weights, biases, X, y, activation, "ce", l2=l2, pool=2)
    _, gw0, _ = loss_and_gradients(weights, biases, X, y, activation, "ce", pool=2)
    for g, g0, w in zip(gw, gw0, weights, strict=True):
        np.testing.assert_allclose(g, g0 + l2 * w, rtol=1e-12, atol=1e-15)
    idx = (1, 0, 2, 1)
    W = weights[0]
    old = W[idx]
    W[idx] = old + STEP
    up = loss_and_gradients(weights, biases, X, y, activation, "ce", l2=l2, pool=2)[0]
    W[idx] = old - STEP
    down = loss_and_gradients(weights, biases, X, y, activation, "ce", l2=l2, pool=2)[0]
    W[idx] = old
    assert gw[0][idx] == pytest.approx((up - down) / (2 * STEP), rel=1e-5, abs=1e-7)


# --------------------------------------------------------------------------------------------
# Forward pass against the naive reference
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize(("name", "channels", "side", "conv", "pool"), SHAPES, ids=SHAPE_IDS)
def test_forward_matches_naive_reference(name, channels, side, conv, pool, activation):
    """Feature maps (after the activation, before pooling), dense outputs and logits equal
    the naive loops' to 1e-12."""
    rng = np.random.default_rng(11)
    weights, biases = random_network(channels, side, conv, pool, 3, rng)
    X = rng.normal(size=(4, channels, side, side))
    got = forward(weights, biases, X, activation, pool=pool)
    want = ref_forward(weights, biases, X, activation, pool)
    assert [g.shape for g in got] == [w.shape for w in want]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_forward_accepts_flattened_rows_and_image_shape():
    """Rows flattened in (C, H, W) order give the same outputs as the images; non-square
    images need image_shape."""
    rng = np.random.default_rng(2)
    weights, biases = random_network(2, 6, [(3, 3)], 2, 3, rng)
    X = rng.normal(size=(4, 2, 6, 6))
    images = forward(weights, biases, X, "tanh", pool=2)
    rows = forward(weights, biases, X.reshape(4, -1), "tanh", pool=2)
    shaped = forward(weights, biases, X.reshape(4, -1), "tanh", pool=2, image_shape=(2, 6, 6))
    for a, b, c in zip(images, rows, shaped, strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    # a 6 x 4 image (non-square)
    Wc = rng.normal(size=(2, 1, 3, 3))
    dense = rng.normal(size=(3, 2 * 3 * 2))
    Xr = rng.normal(size=(5, 1, 6, 4))
    got = forward([Wc, dense], [np.zeros(2), np.zeros(3)], Xr.reshape(5, -1), "relu", pool=2,
                  image_shape=(1, 6, 4))
    want = ref_forward([Wc, dense], [np.zeros(2), np.zeros(3)], Xr, "relu", 2)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_even_kernel_pads_less_before():
    """K = 2: no padding before, one row/column after (PyTorch's padding="same"). A kernel
    that reads only its (0, 0) entry copies the image; one that reads (1, 1) shifts it up
    and left, with zeros coming in at the bottom and right."""
    X = np.arange(16.0).reshape(1, 1, 4, 4)
    dense = np.zeros((1, 16))
    top_left = np.zeros((1, 1, 2, 2))
    top_left[0, 0, 0, 0] = 1.0
    out = forward([top_left, dense], [np.zeros(1), np.zeros(1)], X, "linear")[0]
    assert np.array_equal(out[0, 0], X[0, 0])
    bottom_right = np.zeros((1, 1, 2, 2))
    bottom_right[0, 0, 1, 1] = 1.0
    out = forward([bottom_right, dense], [np.zeros(1), np.zeros(1)], X, "linear")[0]
    want = np.zeros((4, 4))
    want[:3, :3] = X[0, 0, 1:, 1:]
    assert np.array_equal(out[0, 0], want)


def test_cross_correlation_does_not_flip_the_kernel():
    """A kernel with one 1 right of its centre reads the pixel to the right (a convolution
    in the textbook sense would read the one to the left)."""
    X = np.arange(25.0).reshape(1, 1, 5, 5)
    k = np.zeros((1, 1, 3, 3))
    k[0, 0, 1, 2] = 1.0
    out = forward([k, np.zeros((1, 25))], [np.zeros(1), np.zeros(1)], X, "linear")[0]
    want = np.zeros((5, 5))
    want[:, :4] = X[0, 0, :, 1:]
    assert np.array_equal(out[0, 0], want)


# --------------------------------------------------------------------------------------------
# Max pooling's ties
# --------------------------------------------------------------------------------------------


def _tie_gradient(entry: int) -> np.ndarray:
    """dL/dW of the conv filter for the tie case below, by hand, when the gradient of every
    2 x 2 window goes to its window entry ``entry`` (0 .. 3, row-major)."""
    rng = np.random.default_rng(0)
    X = np.ones((2, 1, 6, 6))  # every pixel equal: every window of the maps ties
    Wc = np.zeros((2, 1, 3, 3))  # zero filters: the maps are the bias, constant
    bc = np.array([0.3, -0.2])
    dense = rng.normal(size=(3, 2 * 3 * 3))
    bd = np.zeros(3)
    y = np.array([0, 2])
    # forward by hand: H = tanh(b) everywhere, pooled maps the same value
    H = np.tanh(bc)
    flat = np.repeat(H, 9)[None, :].repeat(2, axis=0)  # (n, F * 3 * 3)
    z = flat @ dense.T + bd
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - np.eye(3)[y]) / 2
    dpool = (dz @ dense).reshape(2, 2, 3, 3)
    dZ = np.zeros((2, 2, 6, 6))
    u, v = divmod(entry, 2)
    dZ[:, :, u::2, v::2] = dpool * (1 - H[None, :, None, None] ** 2)
    P = np.zeros((2, 1, 8, 8))
    P[:, :, 1:7, 1:7] = X
    dW = np.zeros((2, 1, 3, 3))
    for f in range(2):
        for a in range(3):
            for b in range(3):
                dW[f, 0, a, b] = np.sum(dZ[:, f] * P[:, 0, a:a + 6, b:b + 6])
    return dW, (X, Wc, bc, dense, bd, y)


def test_max_pool_ties_send_the_gradient_to_the_first_entry():
    """With an all-equal input every window ties; the gradient goes to each window's first
    entry in row-major order (PyTorch's rule), not to the others, nor split between them."""
    want, (X, Wc, bc, dense, bd, y) = _tie_gradient(0)
    _, gw, gb = loss_and_gradients([Wc, dense], [bc, bd], X, y, "tanh", "ce", pool=2)
    np.testing.assert_allclose(gw[0], want, rtol=1e-12, atol=1e-15)
    for other in (1, 2, 3):  # the padding makes the other entries' gradients differ
        assert not np.allclose(gw[0], _tie_gradient(other)[0], rtol=1e-6, atol=1e-9)
    # the pooling reference's convention agrees: the first maximum of every window
    _, arg = ref_pool(np.ones((1, 1, 6, 6)), 2)
    assert arg[0, 0].tolist() == [[0, 2, 4], [12, 14, 16], [24, 26, 28]]


# --------------------------------------------------------------------------------------------
# The lesson: equal filters stay equal, random ones differ
# --------------------------------------------------------------------------------------------


def _train(scheme: str, activation: str, conv: str = "4x3", epochs: int = 50, **extra):
    cfg = Config.from_dict(dict(dataset="bars", n_samples=96, conv=conv, pool=2, hidden=[8],
                                activation=activation, epochs=epochs, lr=2.0, dtype="float64",
                                inits=[{"scheme": scheme}], **extra))
    return cfg, train_comparison(cfg)


@pytest.fixture(scope="module", params=["8x3", "4x3,4x3"])
def zeros_sigmoid(request):
    """All zeros, sigmoid, float64: one conv layer of 8 filters, or two of 4."""
    return _train("zeros", "sigmoid", conv=request.param)


def test_zero_sigmoid_filters_stay_bit_for_bit_equal(zeros_sigmoid):
    """All zeros, sigmoid, float64: at every snapshot every filter of each conv layer is
    exactly filter 0 (kernel and bias), though they have moved away from zero."""
    cfg, result = zeros_sigmoid
    h = result.history
    assert len(h.conv_weights) == len(cfg.conv) and len(h.snapshot_epochs) > 2
    for W, b, (filters, _) in zip(h.conv_weights, h.conv_biases, cfg.conv, strict=True):
        assert W.shape[2] == filters
        F = W.shape[2]
        for f in range(1, F):
            assert np.array_equal(W[:, :, f], W[:, :, 0])
            assert np.array_equal(b[:, :, f], b[:, :, 0])
        assert np.any(W[:, -1] != 0.0) and np.any(b[:, -1] != 0.0)  # they did learn


def test_zero_sigmoid_conv_metrics_say_one_filter(zeros_sigmoid):
    """conv_metrics: one distinct filter, symmetry gap exactly 0, none dead, every snapshot."""
    cfg, result = zeros_sigmoid
    m = result.history.conv_metrics
    assert m is not None and m["distinct_neurons"].shape[2] == len(cfg.conv)
    assert np.all(m["distinct_neurons"] == 1)
    assert np.all(m["symmetry_gap"] == 0.0)
    assert np.all(m["dead_units"] == 0)  # sigmoid(0) = 1/2: equal, but alive


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_zero_filters_are_dead_with_tanh_and_relu(activation):
    """tanh(0) = relu(0) = 0: zero filters output 0 everywhere, get no gradient and stay
    exactly 0; conv_metrics counts all F filters dead."""
    _, result = _train("zeros", activation, conv="4x3,4x3")
    h = result.history
    for W, b in zip(h.conv_weights, h.conv_biases, strict=True):
        assert np.all(W == 0.0) and np.all(b == 0.0)
    assert np.all(h.conv_metrics["dead_units"] == 4)


@pytest.mark.parametrize("scheme", ["he_normal", "xavier_uniform", "lecun_normal",
                                    "orthogonal", "torch_default"])
def test_random_filters_are_all_distinct(scheme):
    """A random scheme gives every filter of both layers its own kernel, at every snapshot."""
    _, result = _train(scheme, "sigmoid", conv="4x3,4x3", epochs=20)
    m = result.history.conv_metrics
    assert np.all(m["distinct_neurons"] == 4)
    assert np.all(m["symmetry_gap"] > 0.0)


def test_zeros_stay_near_chance_and_he_normal_learns_bars():
    """The issue's claim: bars, conv 8x3, pool 2, hidden 16, 512 samples, 300 epochs, tanh,
    lr 0.5: he_normal reaches test accuracy > 0.9, zeros stays near chance (0.25) with its
    filters dead (0 distinct) or all equal (1)."""
    cfg = Config.from_dict(dict(dataset="bars", n_samples=512, conv="8x3", pool=2,
                                hidden=[16], epochs=300,
                                inits=[{"scheme": "zeros"}, {"scheme": "he_normal"}]))
    assert cfg.activation == "tanh" and cfg.lr == 0.5 and cfg.dtype == "float64"
    result = train_comparison(cfg)
    h = result.history
    zero, rand = result.run_indices(0), result.run_indices(1)
    assert np.all(h.test_accuracy[rand, -1] > 0.9)
    assert np.all(h.test_accuracy[zero, -1] <= 0.35)
    assert np.all(np.isin(h.conv_metrics["distinct_neurons"][zero, -1], (0, 1)))
    assert np.all(h.conv_metrics["distinct_neurons"][rand, -1] == 8)


# --------------------------------------------------------------------------------------------
# Fans and initializers on (F, C, K, K)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 1, 3, 3), (16, 8, 5, 5), (4, 3, 2, 2), (1, 1, 1, 1)])
def test_conv_fans_are_pytorchs(shape):
    """fan_in = C * K * K, fan_out = F * K * K."""
    f, c, k, _ = shape
    assert compute_fans(shape) == (c * k * k, f * k * k)


CONV_SHAPE = (64, 32, 3, 3)  # 184,320 draws; fan_in 288 != fan_out 576
FAN_IN, FAN_OUT = 32 * 9, 64 * 9
CONV_MOMENTS = {
    # name: (params, std from the published formula, uniform bound or None)
    "xavier_uniform": ({}, math.sqrt(2 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "xavier_normal": ({}, math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    "he_normal": ({}, math.sqrt(2 / FAN_IN), None),
    "he_normal_fan_out": ({"mode": "fan_out"}, math.sqrt(2 / FAN_OUT), None),
    "he_uniform": ({}, math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
    "lecun_normal": ({}, math.sqrt(1 / FAN_IN), None),
    "lecun_uniform": ({}, math.sqrt(1 / FAN_IN), math.sqrt(3 / FAN_IN)),
    # nn.Conv2d's own reset: kaiming_uniform_(a=sqrt(5)) -> bound = 1 / sqrt(fan_in)
    "torch_default": ({}, math.sqrt(1 / (3 * FAN_IN)), 1 / math.sqrt(FAN_IN)),
}


@pytest.mark.parametrize(("case", "params", "std", "bound"),
                         [(k, *v) for k, v in CONV_MOMENTS.items()], ids=list(CONV_MOMENTS))
def test_conv_weight_std_matches_formula(case, params, std, bound):
    """The sample std of a large (F, C, K, K) draw is within 1 % of the formula's, with the
    mean within 6 standard errors of 0; uniform draws fill exactly [-bound, bound]."""
    name = case.removesuffix("_fan_out")
    w = initialize(name, CONV_SHAPE, np.random.default_rng(0), **params)
    assert w.shape == CONV_SHAPE
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) <= 6 * std / math.sqrt(w.size)
    if bound is not None:
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() >= bound * (1 - 1e-3)


@pytest.mark.parametrize("shape", [(3, 3, 3, 3), (4, 2, 5, 5), (2, 4, 1, 1), (2, 4, 3, 3)])
def test_identity_on_odd_filters_is_dirac(shape):
    """identity on (F, C, K, K), odd K, is torch.nn.init.dirac_: filter f has a 1 at the
    kernel's centre (K // 2) of channel f, for f < min(F, C), and is 0 elsewhere."""
    f, c, k, _ = shape
    want = np.zeros(shape)
    for i in range(min(f, c)):
        want[i, i, k // 2, k // 2] = 1.0
    assert np.array_equal(initialize("identity", shape, np.random.default_rng(0)), want)


@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5])
def test_identity_filters_copy_their_channel(kernel):
    """identity filters with F = C copy the image through the "same" convolution, for odd
    and even K (for even K the 1 sits at (K - 1) // 2, the padding before; torch's dirac_
    puts it at K // 2, which shifts the image by one pixel)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2, 3, 6, 6))
    Wc = initialize("identity", (3, 3, kernel, kernel), rng)
    maps = forward([Wc, np.zeros((1, 108))], [np.zeros(3), np.zeros(1)], X, "linear")[0]
    assert np.array_equal(maps, X)


@pytest.mark.parametrize("shape", [(8, 1, 3, 3), (4, 3, 2, 2), (2, 5, 5, 5)])
@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_every_scheme_works_on_filters(name, shape):
    """Every scheme gives finite float64 filters of the asked (F, C, K, K) shape."""
    w = initialize(name, shape, np.random.default_rng(1))
    assert w.shape == shape and w.dtype == np.float64 and np.all(np.isfinite(w))


def test_orthogonal_filters_are_orthonormal_rows():
    """orthogonal on (F, C, K, K) with F <= C*K*K: the flattened filters are orthonormal."""
    w = initialize("orthogonal", (6, 2, 3, 3), np.random.default_rng(3)).reshape(6, -1)
    np.testing.assert_allclose(w @ w.T, np.eye(6), atol=1e-12)


# --------------------------------------------------------------------------------------------
# Same seed, same bytes
# --------------------------------------------------------------------------------------------


def test_same_config_gives_identical_histories():
    """Two trainings of one conv config: every History array is equal, bit for bit."""
    cfg = Config.from_dict(dict(dataset="shapes", n_samples=64, conv="4x3,3x2", pool=2,
                                hidden=[6], epochs=15, seeds=2, dtype="float64",
                                inits=[{"scheme": "zeros"}, {"scheme": "he_uniform"}]))
    a, b = train_comparison(cfg).history, train_comparison(cfg).history
    for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "grad_norm",
                 "snapshot_epochs", "diverged_at", "conv_grad_norm"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    for name in ("weights", "biases", "conv_weights", "conv_biases"):
        assert len(getattr(a, name)) > 0
        for x, y in zip(getattr(a, name), getattr(b, name), strict=True):
            assert np.array_equal(x, y), name
    assert a.conv_metrics.keys() == b.conv_metrics.keys() == a.metrics.keys()
    for key in a.conv_metrics:
        assert np.array_equal(a.conv_metrics[key], b.conv_metrics[key], equal_nan=True), key
        assert np.array_equal(a.metrics[key], b.metrics[key], equal_nan=True), key


@pytest.mark.parametrize("name", ["bars", "shapes"])
def test_image_datasets_same_seed_same_bytes(name):
    """make_dataset of an image dataset: the same arguments give the same bytes."""
    a = make_dataset(name, 80, seed=3, image_size=10)
    b = make_dataset(name, 80, seed=3, image_size=10)
    assert a.X_train.tobytes() == b.X_train.tobytes()
    assert a.y_train.tobytes() == b.y_train.tobytes()
    assert a.X_test.tobytes() == b.X_test.tobytes()


# --------------------------------------------------------------------------------------------
# Optional: PyTorch itself as the reference
# --------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize(("name", "channels", "side", "conv", "pool"), SHAPES, ids=SHAPE_IDS)
def test_forward_and_gradients_match_torch(name, channels, side, conv, pool, activation):
    """Logits and every gradient equal torch's (conv2d padding="same", max_pool2d, flatten,
    linear, cross-entropy) to 1e-10."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(7)
    weights, biases = random_network(channels, side, conv, pool, 3, rng)
    X = rng.normal(size=(4, channels, side, side))
    y = np.array([0, 1, 2, 1])
    got = forward(weights, biases, X, activation, pool=pool)
    value, gw, gb = loss_and_gradients(weights, biases, X, y, activation, "ce", pool=pool)
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    tw = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    tb = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in biases]
    A = torch.tensor(X, dtype=torch.float64)
    n_conv = len(conv)
    for i in range(n_conv):
        H = act(F.conv2d(A, tw[i], tb[i], padding="same"))
        np.testing.assert_allclose(got[i], H.detach().numpy(), rtol=1e-12, atol=1e-12)
        A = F.max_pool2d(H, pool) if pool > 1 else H
    A = torch.flatten(A, 1)
    for i in range(n_conv, len(tw)):
        A = F.linear(A, tw[i], tb[i])
        if i < len(tw) - 1:
            A = act(A)
    np.testing.assert_allclose(got[-1], A.detach().numpy(), rtol=1e-12, atol=1e-12)
    loss = F.cross_entropy(A, torch.tensor(y))
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    for g, t in zip(gw + gb, tw + tb, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)
