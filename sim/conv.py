"""Convolution layers: the filters of a convolutional network, for one run or many stacked runs.

Conventions (those of PyTorch's ``nn.Conv2d`` and ``nn.MaxPool2d``)
-------------------------------------------------------------------
* Images are ``(n_samples, C, H, W)``; in a :class:`~sim.datasets.Dataset` each image is a
  row of ``C * H * W`` values flattened in that order.
* A convolution layer of ``F`` filters of ``K x K`` over ``C`` input channels has weights of
  shape ``(F, C, K, K)`` and a bias of shape ``(F,)``. It computes the **cross-correlation**
  ``Z[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * X_pad[n, c, i + u, j + v]``
  (no kernel flip), stride 1, with "same" zero padding: ``(K - 1) // 2`` rows and columns
  before, the rest after (PyTorch's ``padding="same"``, also for even ``K``), so the output
  keeps ``H x W``. The network's activation follows.
* Optional ``P x P`` max pooling with stride ``P`` after each convolution layer (``pool`` 0 or 1
  means none): the output is ``H // P x W // P`` (rows and columns left over are dropped),
  and the gradient goes to the first maximum of each window in row-major order, as in
  PyTorch.
* After the last convolution layer the feature maps ``(n, F, H', W')`` are flattened in that
  order (``torch.flatten(x, 1)``) into the first dense layer's inputs.
* A filter's *incoming parameters* are its kernel ``W[f]`` and its bias ``b[f]``: filters with
  equal ones compute equal feature maps, the way units with equal rows compute equal outputs.
* The initializers read PyTorch's fans from the weight shape: ``fan_in = C * K * K``,
  ``fan_out = F * K * K`` (:func:`sim.initializers.compute_fans`).

How it is computed
------------------
Inside the workspace, feature maps are kept channel-last, ``(n_runs, n, H, W, C)``. A layer
copies its input into a zero-padded buffer, gathers every ``K x K x C`` window with one
``np.take`` of precomputed indices (positions in :func:`position_order`) into a preallocated
"im2col" matrix of shape ``(n_runs, n * H * W, K * K * C)``, and
multiplies it by the filters ``(n_runs, K * K * C, F)`` in one batched :func:`sim.network.matmul`
(the same care for exact symmetry as the dense layers). The backward pass multiplies the
same matrices transposed and scatters the window gradients back with one slice-add per kernel
offset (``K * K`` of them): no Python loop runs over pixels or samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.activations import get_activation
from sim.metrics import column_reduce

#: Most convolution layers, filters per layer and kernel size a configuration may ask for.
MAX_CONV_LAYERS = 4
MAX_FILTERS = 64
MAX_KERNEL = 7
#: Largest pooling window (``pool``); 0 and 1 mean no pooling.
MAX_POOL = 4


@dataclass(frozen=True)
class ConvLayer:
    """The geometry of one convolution layer (and the pooling after it).

    Attributes
    ----------
    filters, kernel : int
        ``F`` filters of ``K x K``.
    channels, height, width : int
        The layer's input: ``C`` channels of ``H x W``.
    pool : int
        Max-pooling window after the layer (0 or 1: none).
    """

    filters: int
    kernel: int
    channels: int
    height: int
    width: int
    pool: int = 0

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """``(F, C, K, K)``."""
        return (self.filters, self.channels, self.kernel, self.kernel)

    @property
    def fan_in(self) -> int:
        return self.channels * self.kernel * self.kernel

    @property
    def pad_before(self) -> int:
        return (self.kernel - 1) // 2

    @property
    def window(self) -> int:
        """``K * K * C``: the length of one im2col row."""
        return self.kernel * self.kernel * self.channels

    @property
    def positions(self) -> int:
        """``H * W``: the positions of one feature map (before pooling)."""
        return self.height * self.width

    @property
    def pooled(self) -> tuple[int, int]:
        """``(H', W')`` after pooling."""
        if self.pool > 1:
            return (self.height // self.pool, self.width // self.pool)
        return (self.height, self.width)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """``(F, H', W')``: what the layer passes on."""
        return (self.filters, *self.pooled)

    @property
    def n_parameters(self) -> int:
        return self.filters * self.fan_in + self.filters


def conv_geometry(image_shape: Sequence[int], conv: Sequence[Sequence[int]], pool: int
                  ) -> list[ConvLayer]:
    """The layers of a convolution stack on images of ``image_shape``.

    Parameters
    ----------
    image_shape : (C, H, W)
    conv : sequence of (filters, kernel)
        One pair per layer, e.g. ``[(8, 3)]``.
    pool : int
        Max-pooling window after each layer (0 or 1: none).

    Raises
    ------
    ValueError
        When pooling would leave a feature map with no row or column: the message says which
        layer and what size it gets.
    """
    c, h, w = (int(x) for x in image_shape)
    layers = []
    for i, (filters, kernel) in enumerate(conv, start=1):
        layer = ConvLayer(int(filters), int(kernel), c, h, w, int(pool))
        ph, pw = layer.pooled
        if ph < 1 or pw < 1:
            raise ValueError(
                f"conv layer {i} gets {h}x{w} feature maps, too small for {pool}x{pool} "
                f"pooling: use fewer conv layers, a smaller pool or larger images.")
        layers.append(layer)
        c, h, w = layer.out_shape
    return layers


def flat_size(layers: Sequence[ConvLayer], image_shape: Sequence[int]) -> int:
    """Inputs of the first dense layer: ``F * H' * W'`` of the last conv layer (the image's
    ``C * H * W`` without conv layers)."""
    return math.prod(layers[-1].out_shape) if layers else math.prod(image_shape)


def position_order(layer: ConvLayer) -> np.ndarray:
    """The order in which a layer's workspace keeps its output positions (flat indices
    ``i * W + j``): row-major without pooling; with ``P x P`` pooling, first the positions
    that are entry ``(u, v)`` of a pooling window, for each ``(u, v)`` in row-major order and
    each window in row-major order, then the positions pooling drops. Each window entry is
    then one contiguous block, so pooling and its gradient are long element-wise passes."""
    h, w = layer.height, layer.width
    if layer.pool <= 1:
        return np.arange(h * w)
    p = layer.pool
    ph, pw = layer.pooled
    i = (np.arange(ph)[None, None, :, None] * p + np.arange(p)[:, None, None, None])
    j = (np.arange(pw)[None, None, None, :] * p + np.arange(p)[None, :, None, None])
    pooled = (i * w + j).ravel()
    rest = np.setdiff1d(np.arange(h * w), pooled)
    return np.concatenate([pooled, rest])


class ConvStack:
    """Preallocated buffers and the passes of a stack of convolution layers (stacked runs).

    A layer's maps ``Z``, ``H``, ``dZ`` are ``(n_runs, n, Q, F)`` with the ``Q = H * W``
    positions in :func:`position_order`; its im2col matrix is ``(n_runs, n, Q, K, K, C)``.

    Parameters
    ----------
    layers : list of ConvLayer
    n_runs, n_samples : int
    activation : str
    dtype : numpy dtype
    fixed_input : bool
        Every :meth:`forward` gets the same images (the training or test set, evaluated each
        epoch): the first layer's im2col matrix is then built once and kept.
    """

    def __init__(self, layers: Sequence[ConvLayer], n_runs: int, n_samples: int,
                 activation: str, dtype: np.dtype, fixed_input: bool = False) -> None:
        from sim.network import matmul  # sim.network imports this module

        self._matmul = matmul
        self.layers = list(layers)
        self.act = get_activation(activation)
        self.dtype = np.dtype(dtype)
        self.exact = self.dtype == np.float64
        R, n = n_runs, n_samples
        self.R, self.n = R, n
        self.fixed_input = fixed_input
        self._first_cols_ready = False
        self.inverse, self.gather = [], []
        self.padded, self.cols, self.Z, self.H, self.dZ, self.deriv = [], [], [], [], [], []
        self.pooled, self.dpooled, self.eq = [], [], []
        self.wflat, self.dwflat = [], []
        for layer in self.layers:
            k, c, h, w, f = layer.kernel, layer.channels, layer.height, layer.width, layer.filters
            q = layer.positions
            order = position_order(layer)
            self.inverse.append(np.argsort(order))
            # flat index into the padded image of every (position, u, v) of the im2col rows
            wp = w + k - 1
            i, j = np.divmod(order, w)
            du, dv = np.divmod(np.arange(k * k), k)
            self.gather.append(((i[:, None] + du) * wp + (j[:, None] + dv)).ravel())
            self.padded.append(np.zeros((R, n, h + k - 1, wp, c), self.dtype))
            self.cols.append(np.empty((R, n, q, k, k, c), self.dtype))
            for buf in (self.Z, self.H, self.dZ, self.deriv):
                buf.append(np.empty((R, n, q, f), self.dtype))
            ph, pw = layer.pooled
            if layer.pool > 1:
                self.pooled.append(np.empty((R, n, ph, pw, f), self.dtype))
                self.dpooled.append(np.empty((R, n, ph, pw, f), self.dtype))
                self.eq.append(np.empty((R, n, ph * pw * f), bool))
            else:
                self.pooled.append(self.H[-1].reshape(R, n, h, w, f))
                self.dpooled.append(None)
                self.eq.append(None)
            self.wflat.append(np.empty((R, f, layer.window), self.dtype))
            self.dwflat.append(np.empty((R, layer.window, f), self.dtype))
        self.out = np.empty((R, n, math.prod(self.layers[-1].out_shape)), self.dtype)

    # ------------------------------------------------------------------ forward
    def forward(self, X: np.ndarray, Wc: Sequence[np.ndarray], bc: Sequence[np.ndarray]
                ) -> np.ndarray:
        """Flattened output of the last layer, ``(n_runs, n, F * H' * W')`` (a buffer).

        ``X`` is ``(n_runs, n, C * H * W)`` (a broadcast view is fine), ``Wc[i]``
        ``(n_runs, F, C, K, K)`` and ``bc[i]`` ``(n_runs, 1, F)``.
        """
        R, n = self.R, self.n
        first = self.layers[0]
        A = X.reshape(X.shape[0], n, first.channels, first.height, first.width
                      ).transpose(0, 1, 3, 4, 2)
        for i, layer in enumerate(self.layers):
            k, h, w, c, f = layer.kernel, layer.height, layer.width, layer.channels, layer.filters
            p = layer.pad_before
            P = self.padded[i]
            cols = self.cols[i]
            if i > 0 or not self._first_cols_ready:
                np.copyto(P[:, :, p:p + h, p:p + w, :], A)
                np.take(P.reshape(R, n, -1, c), self.gather[i], axis=2, mode="clip",
                        out=cols.reshape(R, n, -1, c))
                self._first_cols_ready = self.fixed_input
            # filters as rows of (K, K, C), the order of an im2col row
            wflat = self.wflat[i]
            np.copyto(wflat.reshape(R, f, k, k, c), Wc[i].transpose(0, 1, 3, 4, 2))
            m = n * layer.positions
            Z = self.Z[i].reshape(R, m, f)
            self._matmul(cols.reshape(R, m, layer.window), wflat.transpose(0, 2, 1), Z,
                         self.exact)
            Z += bc[i]
            self.act.forward(self.Z[i], self.H[i])
            if layer.pool > 1:
                self._pool(i)
            A = self.pooled[i]
        f, ph, pw = self.layers[-1].out_shape
        np.copyto(self.out.reshape(R, n, f, ph, pw), A.transpose(0, 1, 4, 2, 3))
        return self.out

    def _blocks(self, i: int, M: np.ndarray) -> np.ndarray:
        """``(R, n, P * P, H' * W' * F)`` view of a layer's map ``M``: block ``t`` holds window
        entry ``t`` of every pooling window."""
        layer = self.layers[i]
        p2 = layer.pool * layer.pool
        size = math.prod(layer.pooled)
        return M[:, :, :p2 * size].reshape(self.R, self.n, p2, size * layer.filters)

    def _pool(self, i: int) -> None:
        """Max pooling of ``H[i]`` into ``pooled[i]``."""
        blocks = self._blocks(i, self.H[i])
        best = self.pooled[i].reshape(self.R, self.n, -1)
        np.maximum(blocks[:, :, 0], blocks[:, :, 1], out=best)
        for t in range(2, blocks.shape[2]):
            np.maximum(best, blocks[:, :, t], out=best)

    def _unpool(self, i: int, dA: np.ndarray) -> None:
        """``dZ[i]`` from the gradient ``dA`` ``(R, n, H', W', F)`` of the pooled map: each
        window's gradient goes to its first maximum in row-major order (PyTorch's choice
        among ties); positions that pooling drops get 0.

        ``rest`` holds the gradient not yet given: the first entry equal to the maximum takes
        all of it (``rest * 1``) and leaves 0 (``rest - rest``) to later ties, exactly."""
        R, n = self.R, self.n
        rest = self.dpooled[i]
        np.copyto(rest, dA)
        rest = rest.reshape(R, n, -1)
        best = self.pooled[i].reshape(R, n, -1)
        eq = self.eq[i]
        H, dZ = self._blocks(i, self.H[i]), self._blocks(i, self.dZ[i])
        self.dZ[i][:, :, H.shape[2] * math.prod(self.layers[i].pooled):] = 0.0
        for t in range(H.shape[2]):
            np.equal(H[:, :, t], best, out=eq)
            np.multiply(rest, eq, out=dZ[:, :, t])
            np.subtract(rest, dZ[:, :, t], out=rest)

    # ------------------------------------------------------------------ backward
    def backward(self, dout: np.ndarray, Wc: Sequence[np.ndarray], dWc: Sequence[np.ndarray],
                 dbc: Sequence[np.ndarray]) -> None:
        """Backward pass after :meth:`forward`, from ``dout`` = dL/d(flattened output)
        ``(n_runs, n, F * H' * W')``; writes ``dWc[i]`` ``(n_runs, F, C, K, K)`` and
        ``dbc[i]`` ``(n_runs, 1, F)``."""
        R, n = self.R, self.n
        f, ph, pw = self.layers[-1].out_shape
        dA = dout.reshape(R, n, f, ph, pw).transpose(0, 1, 3, 4, 2)  # channel-last view
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            k, h, w, c, f = layer.kernel, layer.height, layer.width, layer.channels, layer.filters
            dZ = self.dZ[i]
            if layer.pool > 1:
                self._unpool(i, dA)
            else:
                np.copyto(dZ.reshape(R, n, h, w, f), dA)
            D = self.deriv[i]
            self.act.derivative(self.Z[i], self.H[i], D)
            dZ *= D
            m = n * layer.positions
            dZ2 = dZ.reshape(R, m, f)
            column_reduce(np.add, dZ2, out=dbc[i][:, 0, :])
            # cols^T @ dZ (filters as columns) is faster than dZ^T @ cols for a long m
            dwflat = self.dwflat[i]
            # rows are the window's entries: equal input channels give equal rows
            self._matmul(self.cols[i].reshape(R, m, layer.window).transpose(0, 2, 1), dZ2,
                         dwflat, self.exact, True)
            np.copyto(dWc[i], dwflat.reshape(R, k, k, c, f).transpose(0, 4, 3, 1, 2))
            if i == 0:
                break
            # gradient of the layer's input: every window's share, added back where it came
            dcols = np.empty((R, m, layer.window), self.dtype)
            self._matmul(dZ2, self.wflat[i], dcols, self.exact)
            dcols = dcols.reshape(R, n, layer.positions, k, k, c)
            if layer.pool > 1:  # back to row-major positions
                dcols = np.take(dcols, self.inverse[i], axis=2)
            dcols = dcols.reshape(R, n, h, w, k, k, c)
            dP = np.zeros_like(self.padded[i])
            for u in range(k):
                for v in range(k):
                    dP[:, :, u:u + h, v:v + w, :] += dcols[:, :, :, :, u, v, :]
            p0 = layer.pad_before
            dA = dP[:, :, p0:p0 + h, p0:p0 + w, :]

    # ------------------------------------------------------------------ reading
    def feature_maps(self, i: int) -> np.ndarray:
        """Layer ``i``'s activations as ``(n_runs, n * H * W, F)``: the feature-map matrix
        (samples x positions by filters) that the metrics read (positions in the
        workspace's order, :func:`position_order`)."""
        layer = self.layers[i]
        return self.H[i].reshape(self.R, self.n * layer.positions, layer.filters)

    def images(self, i: int, run: int = 0) -> np.ndarray:
        """Layer ``i``'s activations of one run as ``(n, F, H, W)`` (PyTorch's layout)."""
        layer = self.layers[i]
        H = self.H[i][run][:, self.inverse[i]]
        return H.reshape(self.n, layer.height, layer.width, layer.filters).transpose(0, 3, 1, 2)


__all__ = [
    "ConvLayer",
    "ConvStack",
    "MAX_CONV_LAYERS",
    "MAX_FILTERS",
    "MAX_KERNEL",
    "MAX_POOL",
    "conv_geometry",
    "flat_size",
]
