"""Forward/backward pass: gradients against central differences, hand-worked steps."""

import numpy as np
import pytest

from sim.activations import ACTIVATIONS
from sim.losses import LOSSES
from sim.network import forward, loss_and_gradients, matmul

SHAPES = [[3, 2, 1], [2, 5, 4, 3], [1, 3, 2], [4, 1, 2]]


def _problem(sizes, loss, rng, n=7):
    X = rng.standard_normal((n, sizes[0]))
    if loss == "mse":
        y = rng.standard_normal((n, sizes[-1]))
    elif loss == "bce":
        y = rng.integers(0, 2, n)
    else:
        y = rng.integers(0, sizes[-1], n)
    W = [rng.standard_normal((sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    b = [rng.standard_normal(sizes[i + 1]) * 0.5 for i in range(len(sizes) - 1)]
    return X, y, W, b


def _numeric_grad(f, arrays, h=1e-6):
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            fp = f()
            a[idx] = old - h
            fm = f()
            a[idx] = old
            g[idx] = (fp - fm) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_gradients_match_central_differences(activation, loss, sizes):
    """Analytic gradients of every activation x loss agree with central differences."""
    if loss == "bce":
        sizes = [*sizes[:-1], 1]
    if loss == "ce" and sizes[-1] < 2:
        sizes = [*sizes[:-1], 3]
    rng = np.random.default_rng(sum(sizes) + len(activation) + len(loss))
    X, y, W, b = _problem(sizes, loss, rng)
    if activation in ("relu", "leaky_relu", "elu"):
        # keep pre-activations away from the kink at 0, where the derivative jumps
        for l in range(len(b)):
            b[l] += 0.01
    value, gW, gb = loss_and_gradients(W, b, X, y, activation, loss, l2=0.03)

    def f():
        return loss_and_gradients(W, b, X, y, activation, loss, l2=0.03)[0]

    nW = _numeric_grad(f, W)
    nb = _numeric_grad(f, b)
    for a, n in zip(gW + gb, nW + nb, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


def test_one_sgd_step_by_hand():
    """The 3-2-1 sigmoid + squared-error example, one step worked out by hand.

    W1 = 0, b1 = 0: both hidden units output sigmoid(0) = 0.5 for every input.
    W2 = 0, b2 = 0: the output is 0, the error for target t is (0 - t).
    L = 1/(2n) sum (o - t)^2, so dL/do = (o - t)/n = -t/n.
    dL/dW2 = sum_i dL/do_i * h_i = 0.5 * sum_i (-t_i)/n = -0.5 * mean(t) for both units,
    dL/db2 = -mean(t), and dL/dW1 = 0 because it is multiplied by W2 = 0.
    """
    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    t = np.array([[1.0], [3.0]])
    W = [np.zeros((2, 3)), np.zeros((1, 2))]
    b = [np.zeros(2), np.zeros(1)]
    value, gW, gb = loss_and_gradients(W, b, X, t, "sigmoid", "mse")
    assert value == pytest.approx((1.0**2 + 3.0**2) / 4)
    np.testing.assert_array_equal(gW[1], [[-1.0, -1.0]])  # -0.5 * mean(t) = -1
    np.testing.assert_array_equal(gb[1], [-2.0])
    np.testing.assert_array_equal(gW[0], np.zeros((2, 3)))
    # Step 2 by hand: after W2 = [[lr, lr]] (lr = 1), the hidden gradients are equal rows.
    W[1] = W[1] - gW[1]
    b[1] = b[1] - gb[1]
    _, gW2, _ = loss_and_gradients(W, b, X, t, "sigmoid", "mse")
    assert np.all(gW2[0][0] == gW2[0][1])
    assert np.any(gW2[0] != 0)


def test_forward_returns_hidden_outputs_and_logits():
    """forward() gives each hidden layer's output and the output pre-activations."""
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((4, 2)), rng.standard_normal((3, 4))]
    b = [rng.standard_normal(4), rng.standard_normal(3)]
    X = rng.standard_normal((5, 2))
    h, z = forward(W, b, X, "tanh")
    np.testing.assert_allclose(h, np.tanh(X @ W[0].T + b[0]))
    np.testing.assert_allclose(z, h @ W[1].T + b[1])


@pytest.mark.parametrize("m,k,n", [(1, 5, 7), (6, 1, 5), (9, 17, 1), (1, 1, 1), (5, 100, 3)])
def test_exact_matmul_agrees_with_matmul(m, k, n):
    """The element-wise product path computes the same product as np.matmul."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, m, k)), rng.standard_normal((2, k, n))
    out = np.empty((2, m, n))
    matmul(a, b, out, exact=True, rows_are_units=True)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("units", [1, 2, 3, 5, 17, 64, 100])
def test_exact_matmul_keeps_equal_rows_equal(units):
    """Equal rows of a weight gradient stay bit-identical, whatever their position.

    dW = dZ^T @ A with identical columns of dZ (identical units) and a single input column:
    the matrix-vector case where OpenBLAS's unrolled remainder rows round differently.
    """
    rng = np.random.default_rng(units)
    dz = rng.standard_normal((1, 300, 1))
    dZ = np.repeat(dz, units, axis=2)
    A = rng.standard_normal((1, 300, 1))
    out = np.empty((1, units, 1))
    matmul(dZ.transpose(0, 2, 1), A, out, exact=True, rows_are_units=True)
    assert np.all(out == out[:, :1])


GRID = [(m, k, n) for m in (1, 3, 5, 17, 101) for k in (2, 5, 17, 101, 512)
        for n in (2, 3, 5, 7, 17, 64, 100)]


@pytest.mark.parametrize("m,k,n", GRID)
def test_exact_matmul_keeps_equal_units_equal_in_every_shape(m, k, n):
    """float64 products keep equal columns of ``b`` equal, and with ``rows_are_units`` equal
    rows of ``a``, bit for bit, at every position, in the stacked run that has them and not
    in the other: BLAS's edge kernels do not (OpenBLAS's Haswell kernels, used on AMD EPYC
    machines, round equal columns differently at widths such as 5, 7 or 17), so this fails
    on such a machine without :func:`sim.network._equal_groups`. Two groups of equal units,
    mixed in position, and a run of distinct ones (whose bits are those it has alone); the
    values are still the product's."""
    rng = np.random.default_rng(m * 10007 + k * 101 + n)
    a = rng.standard_normal((2, m, k))
    b = rng.standard_normal((2, k, n))
    col_group = np.arange(n) % 2  # columns 0, 2, 4, ... equal; 1, 3, 5, ... equal
    b[0] = b[0][:, col_group]
    row_group = np.arange(m) % 2
    a[0] = a[0][row_group]
    out = np.empty((2, m, n))
    matmul(a, b, out, exact=True, rows_are_units=True)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
    assert np.array_equal(out[0], out[0][row_group][:, col_group])
    alone = np.empty((1, m, n))  # the run without equal units: as if it were alone
    assert np.array_equal(out[1], matmul(a[1:], b[1:], alone, exact=True,
                                         rows_are_units=True)[0])


def test_exact_matmul_tells_apart_columns_with_equal_sums():
    """Columns whose sums are equal without the columns being equal (binary images: equal
    counts of ones) are told apart, and their own equals are still found."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((1, 7, 6))
    cols = np.array([[1, 0, 1, 0, 0, 1], [0, 1, 1, 0, 1, 0], [1, 0, 1, 0, 0, 1],
                     [0, 1, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0]], float).T  # sums all 3
    b = cols[None]
    out = np.empty((1, 7, 5))
    matmul(a, b, out, exact=True)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
    assert np.array_equal(out[0, :, 0], out[0, :, 2])
    assert np.array_equal(out[0, :, 1], out[0, :, 3])
