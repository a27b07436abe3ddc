"""Networks: forward and backward passes, for one run or many stacked runs.

A network is fully connected, or starts with convolution layers (:mod:`sim.conv`, whose
docstring states their conventions) whose flattened output feeds the dense layers below.

Shape convention (used everywhere in Init Lab, including the heatmaps' axes)
---------------------------------------------------------------------------
A network with layer sizes ``[n_0, n_1, ..., n_L]`` has ``L`` weight layers. Layer ``l``
(``1 <= l <= L``) has

* ``W[l]`` of shape ``(n_l, n_{l-1})``: **one row per unit, one column per input** (the
  convention of ``torch.nn.Linear.weight``);
* ``b[l]`` of shape ``(n_l,)``;

and computes ``Z[l] = A[l-1] @ W[l].T + b[l]``, ``A[l] = f(Z[l])`` on a batch
``A[0] = X`` of shape ``(n_samples, n_0)``. Layers ``1 .. L-1`` are hidden (activation ``f``);
layer ``L`` is the output, whose activation is fixed by the loss (see :mod:`sim.losses`).
A unit's *incoming parameters* are its row of ``W[l]`` and its entry of ``b[l]``.

When several runs are trained together, every array gains a leading run axis: ``W[l]`` has
shape ``(n_runs, n_l, n_{l-1})``, activations ``(n_runs, n_samples, n_l)``, and the products
are batched ``np.matmul`` calls.

Exact symmetry in float64
-------------------------
Units with identical incoming and outgoing parameters must stay identical: that is the
lesson. Two sources of position-dependent rounding would break it artificially:

* multi-threaded OpenBLAS rounds some rows of a product differently from others (the
  training loop therefore pins BLAS to one thread, see :mod:`sim.train`);
* BLAS kernels compute a block of the product in a main micro-kernel and its remainder
  rows and columns in edge kernels that may sum in another order (matrix-vector products,
  and on some processors general products too: OpenBLAS's Haswell kernels, used on AMD
  EPYC machines, round equal columns of ``A @ B`` differently at widths such as 5 or 17).

In float64 every product therefore keeps equal units equal by construction
(:func:`matmul`): bit-identical columns of the right operand (and, for weight gradients,
bit-identical rows of the left one) are found exactly, the product is computed once per
distinct column (row) and copied to its equals, which is what exact arithmetic gives. Runs
without equal units take the plain product, so their bits do not depend on this. In float32
plain BLAS is used throughout, so the rounding noise a real framework shows is kept, not
hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.activations import ACTIVATIONS, get_activation
from sim.conv import ConvLayer, ConvStack, conv_geometry, flat_size
from sim.losses import LOSSES, resolve_loss


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, exact: bool,
           rows_are_units: bool = False) -> np.ndarray:
    """Batched product ``a @ b`` written into ``out``.

    Parameters
    ----------
    a : ndarray of shape (n_runs, M, K)
    b : ndarray of shape (n_runs, K, N)
    out : ndarray of shape (n_runs, M, N)
    exact : bool
        Keep equal columns of ``b`` giving equal columns of ``out`` (and, with
        ``rows_are_units``, equal rows of ``a`` giving equal rows of ``out``) bit for bit.
        BLAS does not promise it (its edge kernels sum remainder rows and columns in another
        order): a run with bit-identical columns (rows) has its product computed once per
        distinct one and copied (:func:`_equal_groups`); matrix-vector products are
        computed with element-wise operations. float64 only.
    rows_are_units : bool
        Whether the rows of ``out`` are units (true for weight gradients) rather than
        samples, so that their equality matters too.
    """
    return _matmul(a, b, out, exact, rows_are_units, None)


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, exact: bool,
            rows_are_units: bool, scratch: dict | None) -> np.ndarray:
    """:func:`matmul`, with the element-wise products' ``(n_runs, M, K, N)`` buffer taken
    from (and kept in) ``scratch`` when given: allocating it afresh each step (megabytes,
    so fresh pages from the system every time) costs more than the arithmetic."""
    if not exact or a.shape[-1] == 1:  # K == 1: element-wise products, alike everywhere
        return _plain_matmul(a, b, out, exact, rows_are_units, scratch)
    cols = _equal_groups(b)
    rows = _equal_groups(a.swapaxes(-1, -2)) if rows_are_units else {}
    if not cols and not rows:
        return _plain_matmul(a, b, out, exact, rows_are_units, scratch)
    for r in range(out.shape[0]):
        if r in cols or r in rows:
            _equal_units_product(a[r], b[r], out[r], rows.get(r), cols.get(r))
        else:  # the same product as in the batch (numpy multiplies run by run)
            _plain_matmul(a[r:r + 1], b[r:r + 1], out[r:r + 1], exact, rows_are_units,
                          scratch)
    return out


def _equal_units_product(ar: np.ndarray, br: np.ndarray, out: np.ndarray,
                         row: tuple | None, col: tuple | None) -> None:
    """One run's ``ar @ br`` into ``out``, computed once per distinct row of ``ar`` (``row``)
    and distinct column of ``br`` (``col``, both from :func:`_equal_groups`) and copied to
    their equals."""
    if row is not None:
        ar = ar[:1] if row is _ALL_EQUAL else ar[row[0]]
    if col is not None:
        br = br[:, :1] if col is _ALL_EQUAL else br[:, col[0]]
    small = np.matmul(ar, br)
    if row is not None and row is not _ALL_EQUAL:
        small = small[row[1]]
    if col is not None and col is not _ALL_EQUAL:
        small = small[:, col[1]]
    out[...] = small  # broadcasts an all-equal row or column


#: :func:`_equal_groups`' answer for a run whose columns are all equal.
_ALL_EQUAL = (np.zeros(1, np.intp), None)


def _equal_groups(x: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray | None]]:
    """The runs of ``x`` (``(n_runs, K, N)``, float64) with equal columns: run -> (one column
    index per distinct column, each column's index into those), or :data:`_ALL_EQUAL`.

    Each column's sum is its fingerprint: numpy sums every column of a stacked array in the
    same order (unlike BLAS), so equal columns always have equal sums, and a run whose sums
    are all distinct has no equal columns (the common case costs one pass). Candidates are
    then compared exactly, and columns that share a sum without being equal are told apart.
    Columns of zeros (ReLU's dead units) need nothing: every kernel gives them zero products.
    """
    fp = x.sum(axis=-2)
    ordered = np.sort(fp, axis=-1)
    twins = ordered[:, 1:] == ordered[:, :-1]
    nonzero_twins = (twins & (ordered[:, 1:] != 0)).any(axis=-1)
    groups: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    for r in np.flatnonzero(twins.any(axis=-1)):
        xr = x[r]
        if not nonzero_twins[r] and not xr[:, fp[r] == 0].any():
            continue  # only columns of zeros (ReLU's dead units): zero products anyway
        if ordered[r, 0] == ordered[r, -1] and (xr == xr[:, :1]).all():
            groups[int(r)] = _ALL_EQUAL
            continue
        _, first, inverse = np.unique(fp[r], return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        label = first[inverse]  # each column's representative: the first with its sum
        shared = np.flatnonzero(~(xr == xr[:, label]).all(axis=0))
        for g in np.unique(inverse[shared]):  # a sum shared by different columns: split
            members = shared[inverse[shared] == g]
            while members.size:
                equal = (xr[:, members] == xr[:, members[:1]]).all(axis=0)
                label[members[equal]] = members[0]
                members = members[~equal]
        first, inverse = np.unique(label, return_inverse=True)
        if first.size < fp.shape[-1]:
            groups[int(r)] = (first, inverse.ravel())
    return groups


def _plain_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, exact: bool,
                  rows_are_units: bool, scratch: dict | None) -> np.ndarray:
    """The product with the element-wise path for matrix-vector products in exact mode."""
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if k == 1:
        # One product per entry: what BLAS computes (without its slow outer-product path, 8x
        # slower at 512 x 64). BLAS accumulates from +0, so a zero product is +0 there, never
        # -0: adding +0 gives the same bits.
        np.multiply(a, b, out=out)
        return np.add(out, 0.0, out=out)
    # N == 1 has a single column, so only the rows could differ, and that matters only when
    # they are units.
    needs_care = m == 1 or (n == 1 and rows_are_units and m > 1)
    if exact and needs_care:
        # Reduce over K along a non-innermost axis: every (m, n) entry is summed in the
        # same sequential order, whatever its position. The buffer is the one numpy allocates
        # for these operands (its memory order follows theirs, and the sum's order follows
        # the memory order), kept for the next call with the same operands' layout.
        key = (a.shape, a.strides, b.shape, b.strides)
        prod = None if scratch is None else scratch.get(key)
        if prod is None:
            prod = np.multiply(a[..., :, :, None], b[..., None, :, :])
            if scratch is not None:
                scratch[key] = prod
        else:
            np.multiply(a[..., :, :, None], b[..., None, :, :], out=prod)
        return np.sum(prod, axis=-2, out=out)
    return np.matmul(a, b, out=out)


def layer_sizes_ok(sizes: Sequence[int]) -> bool:
    """Whether ``sizes`` is a valid list of layer sizes (at least input and output, all >= 1)."""
    return len(sizes) >= 2 and all(int(s) >= 1 for s in sizes)


def n_parameters(sizes: Sequence[int]) -> int:
    """Number of weights and biases of a network with layer sizes ``sizes``."""
    return sum(sizes[i] * sizes[i - 1] + sizes[i] for i in range(1, len(sizes)))


class Workspace:
    """Preallocated buffers for forward and backward passes of stacked runs.

    The training loop reuses one workspace per batch size, so a step allocates (almost)
    nothing: on these machines, large temporaries cost more than the arithmetic.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``.
    n_runs, n_samples : int
        Number of stacked runs and batch size.
    activation : str
        Hidden activation name.
    dtype : numpy dtype
    dropout : float
        Drop probability of hidden (dense) units (0 disables dropout).
    conv : sequence of ConvLayer, optional
        Convolution layers before the dense ones (:mod:`sim.conv`); ``sizes[0]`` is then
        their flattened output size. Their parameters are passed to :meth:`forward` and
        :meth:`backward` as ``Wc``, ``bc`` (and ``dWc``, ``dbc``).
    fixed_input : bool
        Every forward pass gets the same inputs (an evaluation workspace): the conv layers
        then gather the input's windows once (:class:`sim.conv.ConvStack`).
    """

    def __init__(self, sizes: Sequence[int], n_runs: int, n_samples: int, activation: str,
                 dtype: np.dtype, dropout: float = 0.0,
                 conv: Sequence[ConvLayer] | None = None, fixed_input: bool = False) -> None:
        self.sizes = list(sizes)
        self.L = len(sizes) - 1
        self.act = get_activation(activation)
        self.dtype = np.dtype(dtype)
        self.exact = self.dtype == np.float64
        self.dropout = float(dropout)
        shape = [(n_runs, n_samples, s) for s in sizes]
        # Z[l]: pre-activations; H[l]: f(Z[l]); A[l]: layer output after dropout (== H[l]
        # without dropout). Index 0 is unused for Z/H (A[0] is the input batch).
        self.Z = [None] + [np.empty(shape[l], self.dtype) for l in range(1, self.L + 1)]
        self.H = [None] + [np.empty(shape[l], self.dtype) for l in range(1, self.L)]
        if self.dropout > 0:
            self.A = [None] + [np.empty(shape[l], self.dtype) for l in range(1, self.L)]
            self.mask = [None] + [np.empty(shape[l], self.dtype) for l in range(1, self.L)]
        else:
            self.A = [None] + self.H[1:]
            self.mask = [None] * self.L
        self.A.append(None)  # the output layer's activation is the loss's business
        # dZ[l] holds dL/dZ[l]; D is scratch for f'(Z).
        self.dZ = [None] + [np.empty(shape[l], self.dtype) for l in range(1, self.L + 1)]
        self.D = np.empty((n_runs, n_samples, max(sizes[1:])), self.dtype)
        self.conv = (ConvStack(conv, n_runs, n_samples, activation, self.dtype, fixed_input)
                     if conv else None)
        # dL/d(the conv stack's flattened output)
        self.dX = np.empty(shape[0], self.dtype) if conv else None
        #: buffers of the element-wise products (:func:`_matmul`), by operands' layout
        self.scratch: dict[tuple, np.ndarray] = {}

    def forward(self, X: np.ndarray, W: Sequence[np.ndarray], b: Sequence[np.ndarray],
                masks: bool = False, Wc: Sequence[np.ndarray] = (),
                bc: Sequence[np.ndarray] = ()) -> np.ndarray:
        """Forward pass; returns the output pre-activations ``Z[L]`` (a workspace buffer).

        ``X`` has shape ``(n_runs, n_samples, n_0)`` (a broadcast view is fine; images
        flattened when there are conv layers); ``W[l]`` has shape ``(n_runs, n_l, n_{l-1})``
        and ``b[l]`` ``(n_runs, 1, n_l)`` (index 0 unused); ``Wc[i]`` ``(n_runs, F, C, K, K)``
        and ``bc[i]`` ``(n_runs, 1, F)`` for the conv layers. With ``masks`` true, the
        dropout masks in ``self.mask`` (already filled, scaled by ``1 / keep``) are applied
        to the hidden outputs.
        """
        A_prev = X if self.conv is None else self.conv.forward(X, Wc, bc)
        for l in range(1, self.L + 1):
            Z = self.Z[l]
            _matmul(A_prev, W[l].transpose(0, 2, 1), Z, self.exact, False, self.scratch)
            Z += b[l]
            if l == self.L:
                return Z
            self.act.forward(Z, self.H[l])
            if masks and self.dropout > 0:
                np.multiply(self.H[l], self.mask[l], out=self.A[l])
            elif self.dropout > 0:
                np.copyto(self.A[l], self.H[l])
            A_prev = self.A[l]
        raise AssertionError("unreachable")

    def backward(self, X: np.ndarray, W: Sequence[np.ndarray], dW: Sequence[np.ndarray],
                 db: Sequence[np.ndarray], masks: bool = False, Wc: Sequence[np.ndarray] = (),
                 dWc: Sequence[np.ndarray] = (), dbc: Sequence[np.ndarray] = ()) -> None:
        """Backward pass from ``self.dZ[L]`` (filled by the loss) after :meth:`forward`.

        Writes ``dL/dW[l]`` into ``dW[l]`` (shape ``(n_runs, n_l, n_{l-1})``) and ``dL/db[l]``
        into ``db[l]`` (shape ``(n_runs, 1, n_l)``), and the conv layers' gradients into
        ``dWc[i]``, ``dbc[i]``.
        """
        for l in range(self.L, 0, -1):
            dZ = self.dZ[l]
            if l > 1:
                A_prev = self.A[l - 1]
            else:
                A_prev = X if self.conv is None else self.conv.out
            _matmul(dZ.transpose(0, 2, 1), A_prev, dW[l], self.exact, True, self.scratch)
            # Sum over samples along a non-innermost axis: each unit's sum has the same order.
            np.sum(dZ, axis=1, keepdims=True, out=db[l])
            if l == 1:
                if self.conv is not None:
                    _matmul(dZ, W[1], self.dX, self.exact, False, self.scratch)
                    self.conv.backward(self.dX, Wc, dWc, dbc)
                break
            dA = self.dZ[l - 1]
            _matmul(dZ, W[l], dA, self.exact, False, self.scratch)
            if masks and self.dropout > 0:
                dA *= self.mask[l - 1]
            D = self.D[..., : self.sizes[l - 1]]
            self.act.derivative(self.Z[l - 1], self.H[l - 1], D)
            dA *= D


def _network(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
             pool: int, image_shape: Sequence[int] | None, dtype: np.dtype):
    """The pieces of one network for a workspace: conv geometry, stacked conv and dense
    parameters, the inputs flattened as ``(1, n, n_0)``."""
    n_conv = sum(1 for w in weights if np.ndim(w) == 4)
    if any(np.ndim(w) != 4 for w in weights[:n_conv]) or any(np.ndim(w) != 2
                                                              for w in weights[n_conv:]):
        raise ValueError("weights must list the conv layers' (F, C, K, K) arrays first, then "
                         "the dense layers' (units, inputs) matrices.")
    if n_conv == len(weights):
        raise ValueError("weights must end with at least one dense (output) layer.")
    X = np.asarray(X, dtype=dtype)
    layers: list[ConvLayer] = []
    if n_conv:
        if X.ndim == 4:
            shape = X.shape[1:]
        elif image_shape is not None:
            shape = tuple(int(s) for s in image_shape)
        else:
            c = weights[0].shape[1]
            side = math.isqrt(X.shape[1] // c)
            if c * side * side != X.shape[1]:
                raise ValueError("X holds flattened images that are not square: pass "
                                 "image_shape=(C, H, W) or X of shape (n, C, H, W).")
            shape = (c, side, side)
        if any(w.shape[2] != w.shape[3] for w in weights[:n_conv]):
            raise ValueError("conv kernels must be square (F, C, K, K).")
        layers = conv_geometry(shape, [(w.shape[0], w.shape[2]) for w in weights[:n_conv]],
                               pool)
        for layer, w in zip(layers, weights[:n_conv], strict=True):
            if w.shape != layer.weight_shape:
                raise ValueError(f"conv weights of shape {w.shape} do not fit inputs of "
                                 f"{layer.channels} channels: expected {layer.weight_shape}.")
        X = X.reshape(X.shape[0], -1)
        if weights[n_conv].shape[1] != flat_size(layers, shape):
            raise ValueError(f"the first dense layer takes {weights[n_conv].shape[1]} inputs "
                             f"but the conv layers give {flat_size(layers, shape)}.")
    dense_w = [np.asarray(w, dtype)[None] for w in weights[n_conv:]]
    sizes = [dense_w[0].shape[2]] + [w.shape[1] for w in dense_w]
    W = [None] + dense_w
    b = [None] + [np.asarray(bb, dtype).reshape(1, 1, -1) for bb in biases[n_conv:]]
    Wc = [np.asarray(w, dtype)[None] for w in weights[:n_conv]]
    bc = [np.asarray(bb, dtype).reshape(1, 1, -1) for bb in biases[:n_conv]]
    return layers, sizes, Wc, bc, W, b, X


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
            activation: str, pool: int = 0, image_shape: Sequence[int] | None = None
            ) -> list[np.ndarray]:
    """Activations of every layer of one network (no dropout).

    Parameters
    ----------
    weights : list of ndarray
        The conv layers' filters first, each of shape (F, C, K, K) (:mod:`sim.conv`), then
        the dense layers' weight matrices, ``(n_{i+1}, n_i)`` (rows are units).
    biases : list of ndarray, one per layer: (F,) or (n_{i+1},)
    X : ndarray of shape (n_samples, n_0), or images (n_samples, C, H, W)
    activation : str
        Hidden activation name (see :data:`sim.activations.ACTIVATIONS`).
    pool : int
        Max-pooling window after each conv layer (0: none).
    image_shape : (C, H, W), optional
        For flattened images in ``X`` that are not square.

    Returns
    -------
    list of ndarray
        The conv layers' feature maps (after the activation, before pooling), each of shape
        (n_samples, F, H, W); the dense hidden layers' outputs, each of shape
        (n_samples, n_l); then the output pre-activations (logits) of shape
        (n_samples, n_L).
    """
    dtype = weights[0].dtype
    layers, sizes, Wc, bc, W, b, X = _network(weights, biases, X, pool, image_shape, dtype)
    ws = Workspace(sizes, 1, X.shape[0], activation, dtype, conv=layers)
    ws.forward(X[None], W, b, Wc=Wc, bc=bc)
    maps = [ws.conv.images(i).copy() for i in range(len(layers))]
    return maps + [ws.H[l][0].copy() for l in range(1, ws.L)] + [ws.Z[ws.L][0].copy()]


def loss_and_gradients(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                       X: np.ndarray, y: np.ndarray, activation: str = "tanh",
                       loss: str = "mse", l2: float = 0.0, pool: int = 0,
                       image_shape: Sequence[int] | None = None
                       ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """Loss and its gradients for given parameters and data (one network, no dropout).

    This is the very code the training loop runs (with one stacked run), exposed so tests and
    users can check a derivation by hand or against finite differences.

    Parameters
    ----------
    weights : list of ndarray
        Conv filters (F, C, K, K) first, if any, then dense matrices ``(n_{i+1}, n_i)``.
    biases : list of ndarray, one per layer
    X : ndarray of shape (n_samples, n_0), or images (n_samples, C, H, W)
    y : ndarray
        Targets: shape (n_samples, n_L) real values for ``mse``; 0/1 labels of shape
        (n_samples,) or (n_samples, 1) for ``bce``; integer labels of shape (n_samples,) or
        one-hot rows (n_samples, n_L) for ``ce``.
    activation : str
        Hidden activation (conv and dense layers).
    loss : {"mse", "bce", "ce"}
        Loss (and output activation), see :mod:`sim.losses`.
    l2 : float
        L2 penalty ``l2 / 2 * sum_l ||W[l]||^2`` added to the loss (biases are not penalised;
        conv filters are).
    pool : int
        Max-pooling window after each conv layer (0: none).
    image_shape : (C, H, W), optional
        For flattened images in ``X`` that are not square.

    Returns
    -------
    loss : float
    grad_weights : list of ndarray, same shapes as ``weights``
    grad_biases : list of ndarray, same shapes as ``biases``

    Examples
    --------
    >>> import numpy as np
    >>> W = [np.zeros((2, 3)), np.zeros((1, 2))]; b = [np.zeros(2), np.zeros(1)]
    >>> X = np.ones((4, 3)); y = np.ones((4, 1))
    >>> value, gW, gb = loss_and_gradients(W, b, X, y, "sigmoid", "mse")
    >>> value, gW[0][0].tolist() == gW[0][1].tolist()
    (0.5, True)
    """
    get_activation(activation)
    loss = resolve_loss(loss)
    dtype = np.result_type(weights[0].dtype, np.float32)
    layers, sizes, Wc, bc, W, b, X = _network(weights, biases, X, pool, image_shape, dtype)
    T = targets_for(loss, np.asarray(y), sizes[-1]).astype(dtype)
    ws = Workspace(sizes, 1, X.shape[0], activation, dtype, conv=layers)
    dW = [None] + [np.empty_like(w) for w in W[1:]]
    db = [None] + [np.empty_like(bb) for bb in b[1:]]
    dWc = [np.empty_like(w) for w in Wc]
    dbc = [np.empty_like(bb) for bb in bc]
    Z = ws.forward(X[None], W, b, Wc=Wc, bc=bc)
    value = float(LOSSES[loss].value_and_grad(Z, T[None], ws.dZ[ws.L])[0])
    ws.backward(X[None], W, dW, db, Wc=Wc, dWc=dWc, dbc=dbc)
    grad_w = [g[0] for g in dWc] + [g[0] for g in dW[1:]]
    if l2:
        value += 0.5 * l2 * sum(float(np.sum(w * w)) for w in weights)
        grad_w = [g + l2 * w for g, w in zip(grad_w, weights, strict=True)]
    return value, grad_w, [g[0, 0] for g in dbc] + [g[0, 0] for g in db[1:]]


def targets_for(loss: str, y: np.ndarray, n_outputs: int) -> np.ndarray:
    """Targets in the form the loss expects: shape (n_samples, n_outputs), float.

    Integer labels become one-hot rows for ``ce`` and a 0/1 column for ``bce``/``mse``.
    """
    y = np.asarray(y)
    if loss == "ce" and y.ndim == 1:
        T = np.zeros((y.shape[0], n_outputs))
        T[np.arange(y.shape[0]), y.astype(np.int64)] = 1.0
        return T
    if y.ndim == 1:
        return y.astype(np.float64)[:, None]
    return y.astype(np.float64)


__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Workspace",
    "forward",
    "loss_and_gradients",
    "matmul",
    "n_parameters",
    "targets_for",
]
