"""Effective-neuron metrics: how many of a layer's units really work.

All four metrics are computed per hidden layer from the layer's parameters and its
activation matrix ``H`` on the training inputs (shape ``(n_samples, n_units)``, no dropout).

dead units
    Units whose activation is exactly 0 on every training input. Under all-zero weights a
    tanh or ReLU layer outputs 0 everywhere: every unit is dead.
distinct neurons
    Live units grouped by equal incoming parameters (weight row and bias): two units belong
    together when every incoming parameter differs by at most ``1e-6`` times the largest
    parameter magnitude among the layer's live units (groups are the connected components of
    that relation). The count of groups is the number of units that really differ: 1 for a
    zero-initialized sigmoid layer of any width, the layer width after a random
    initialization, 0 when every unit is dead.
rank
    Numerical rank of ``H``: the number of singular values above ``RANK_RTOL`` times the
    largest. Counts the directions the layer's outputs span; it can be below the number of
    distinct neurons (ReLU units that are scaled copies of each other).
effective rank
    Roy & Vetterli (2007), "The effective rank: a measure of effective dimensionality":
    ``exp(-sum_i p_i log p_i)`` with ``p_i = s_i / sum_j s_j`` over the singular values
    ``s_i`` of ``H`` (those below the rank tolerance are taken as 0). A real number between 1
    and the rank; 0 for an all-zero matrix.
symmetry gap
    The largest absolute difference between two units' incoming parameters in the layer
    (``max`` over parameters of ``max - min`` over units): exactly 0 while the layer is
    symmetric, so a log-scale chart shows when rounding starts to break symmetry.

The singular values come from the eigenvalues of the ``n_units x n_units`` Gram matrix
``H.T @ H`` (or ``H @ H.T`` when there are fewer samples), which is much cheaper than an SVD
of the tall matrix. Its precision limits the resolution to about ``sqrt(n * eps) ~ 1e-7``
of the largest singular value, hence ``RANK_RTOL = 1e-5``.
"""

from __future__ import annotations

import numpy as np

#: Relative tolerance on singular values for the rank (and the effective rank).
RANK_RTOL = 1e-5
#: Relative tolerance for two units' incoming parameters to count as equal.
DISTINCT_RTOL = 1e-6

METRIC_NAMES = ("dead_units", "distinct_neurons", "rank", "effective_rank", "symmetry_gap")

METRIC_DEFINITIONS: dict[str, str] = {
    "distinct_neurons": "Live units whose incoming weights and bias differ (within 1e-6 of the "
                        "largest parameter of the live units): how many different neurons the "
                        "layer has.",
    "rank": "Numerical rank of the layer's outputs on the training inputs (samples x units): "
            "how many independent directions the layer can express.",
    "effective_rank": "Roy & Vetterli's effective rank: exp of the entropy of the normalised "
                      "singular values; a smooth version of the rank.",
    "dead_units": "Units whose output is exactly 0 on every training input: they pass no "
                  "signal and get no gradient.",
    "symmetry_gap": "Largest absolute difference between two units' incoming parameters: "
                    "exactly 0 while the layer is perfectly symmetric.",
}


def column_reduce(ufunc: np.ufunc, A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``ufunc.reduce(A, axis=-2)`` for ``A`` of shape (..., m, u), in two stages when ``u``
    is short (a conv layer's few filters over many positions): numpy reduces a middle axis
    one row at a time, so ``u`` elements per step; over ``(m / m2, m2 * u)`` blocks first,
    each step is ``m2 * u`` long. Every column is still reduced in the same order, so equal
    columns give equal results bit for bit."""
    m, u = A.shape[-2:]
    m2 = next((d for d in (256, 144, 128, 100, 64, 36, 32, 16, 8, 4) if m % d == 0 and m > d),
              1) if u < 64 else 1
    if m2 == 1:
        return ufunc.reduce(A, axis=-2, out=out)
    lead = A.shape[:-2]
    partial = ufunc.reduce(A.reshape(*lead, m // m2, m2 * u), axis=-2)
    return ufunc.reduce(partial.reshape(*lead, m2, u), axis=-2, out=out)


def dead_units(H: np.ndarray) -> np.ndarray:
    """Mask of dead units.

    Parameters
    ----------
    H : ndarray of shape (..., n_samples, n_units)

    Returns
    -------
    ndarray of bool, shape (..., n_units)
    """
    # a unit is dead when its largest and smallest outputs are both 0
    return (column_reduce(np.maximum, H) == 0) & (column_reduce(np.minimum, H) == 0)


def _projection_window(P: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray]:
    """A fixed projection direction and the window within which equal units project.

    Rows equal within ``rtol * max|P|`` (max-norm) have projections within
    ``tol * ||v||_1`` on any vector ``v``; sorted by projection, only neighbours inside that
    window (plus rounding slack) can be equal. ``P`` may carry leading (run) axes: the
    window then has their shape.
    """
    v = np.cos(np.arange(1, P.shape[-1] + 1) * 1.7)  # fixed, deterministic direction
    scale = np.abs(P).max(axis=(-2, -1))
    window = (rtol * scale * np.abs(v).sum() * (1 + 1e-9)
              + 8 * np.finfo(float).eps * scale * P.shape[-1])
    return v, window


def row_components(P: np.ndarray, rtol: float = DISTINCT_RTOL) -> np.ndarray:
    """Group label of each row of ``P``: rows equal within ``rtol * max|P|`` (max-norm),
    joined transitively (connected components), share a label. Labels are arbitrary
    integers; :func:`count_distinct` counts them and :func:`sim.explain.reading.row_groups`
    names the rows of each.

    Parameters
    ----------
    P : ndarray of shape (n_units, n_params)
        One row of incoming parameters per (live) unit.
    """
    n = P.shape[0]
    if n <= 1:
        return np.arange(n)
    tol = rtol * float(np.abs(P).max())
    v, window = _projection_window(P, rtol)
    if np.diff(np.sort(P @ v)).min() > window:
        return np.arange(n)  # the usual case after a random initialization: all distinct
    # exact duplicates first: the common symmetric case is cheap
    U, inverse = np.unique(P, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    if U.shape[0] == 1:
        return np.zeros(n, dtype=int)
    proj = U @ v
    order = np.argsort(proj, kind="stable")
    parent = list(range(U.shape[0]))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ps = proj[order]
    for a in range(len(order)):
        bidx = a + 1
        while bidx < len(order) and ps[bidx] - ps[a] <= window:
            i, j = order[a], order[bidx]
            if np.max(np.abs(U[i] - U[j])) <= tol:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[ri] = rj
            bidx += 1
    roots = np.array([find(i) for i in range(U.shape[0])])
    return roots[inverse]


def count_distinct(P: np.ndarray, rtol: float = DISTINCT_RTOL) -> int:
    """Number of groups of rows of ``P`` equal within ``rtol * max|P|`` (connected components,
    :func:`row_components`).

    Parameters
    ----------
    P : ndarray of shape (n_units, n_params)
        One row of incoming parameters per (live) unit.
    """
    return int(np.unique(row_components(P, rtol)).size)


def singular_values(H: np.ndarray) -> np.ndarray:
    """Singular values of each matrix in a stack, from the smaller Gram matrix.

    Parameters
    ----------
    H : ndarray of shape (..., n_samples, n_units)

    Returns
    -------
    ndarray of shape (..., min(n_samples, n_units)), descending
    """
    H = np.asarray(H, dtype=np.float64)
    # max |H| without a temporary; NaN or inf there marks a diverged run
    return _singular_values(H, H.max(axis=(-2, -1)), H.min(axis=(-2, -1)))


def _singular_values(H: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """:func:`singular_values` of float64 ``H`` whose largest and smallest entries (shape
    ``H.shape[:-2]``) are known: :func:`stacked_layer_metrics` has them from its dead-unit
    test, and two passes over ``H`` fewer is a tenth of a snapshot's cost."""
    peak = np.maximum(high, -low)[..., None, None]
    bad = ~np.isfinite(peak[..., 0, 0])
    if bad.any():  # a diverged run: its metrics are NaN, the others still count
        H = np.where(bad[..., None, None], 0.0, H)
        peak = np.where(bad[..., None, None], 0.0, peak)
    # Scale each matrix by a power of two near 1 / max |H| when its Gram matrix could
    # overflow or underflow (huge activations just before a divergence, tiny ones); a power
    # of two scales exactly, so the singular values are those of H either way.
    peak = np.where(peak > 0, peak, 1.0)
    scale = np.ldexp(1.0, -np.frexp(peak)[1])
    if np.all((peak < 1e100) & (peak > 1e-100)):
        scale = np.ones_like(peak)
    else:
        H = H * scale
    if H.shape[-2] >= H.shape[-1]:
        G = np.matmul(H.swapaxes(-1, -2), H)
    else:
        G = np.matmul(H, H.swapaxes(-1, -2))
    ev = np.linalg.eigvalsh(G)[..., ::-1]
    s = np.sqrt(np.clip(ev, 0.0, None)) / scale[..., 0]
    s[bad] = np.nan
    return s


def symmetry_gap(P: np.ndarray) -> np.ndarray:
    """Largest absolute difference between two rows of ``P`` (0 for one row).

    Parameters
    ----------
    P : ndarray of shape (..., n_units, n_params)

    Returns
    -------
    ndarray of shape (...)
    """
    return (P.max(axis=-2) - P.min(axis=-2)).max(axis=-1)


def layer_metrics(W: np.ndarray, b: np.ndarray, H: np.ndarray) -> dict[str, float]:
    """All effective-neuron metrics of one hidden layer of one run.

    Parameters
    ----------
    W : ndarray of shape (n_units, n_inputs)
    b : ndarray of shape (n_units,)
    H : ndarray of shape (n_samples, n_units)
        The layer's outputs on the training inputs.

    Returns
    -------
    dict with keys :data:`METRIC_NAMES`.
    """
    m = stacked_layer_metrics(W[None], b[None], H[None])
    return {name: (float(m[name][0]) if name in ("effective_rank", "symmetry_gap")
                   else int(m[name][0])) for name in METRIC_NAMES}


def stacked_layer_metrics(W: np.ndarray, b: np.ndarray, H: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`layer_metrics` for stacked runs, vectorised over the runs.

    Parameters
    ----------
    W : ndarray of shape (n_runs, n_units, n_inputs)
    b : ndarray of shape (n_runs, n_units)
    H : ndarray of shape (n_runs, n_samples, n_units)

    Returns
    -------
    dict of ndarray of shape (n_runs,)
    """
    R, u = W.shape[:2]
    P = np.concatenate([W, b[:, :, None]], axis=2).astype(np.float64)
    H = np.asarray(H, dtype=np.float64)
    # dead_units(H), keeping the column extremes: their extremes are H's, which the
    # singular values need (max and min are exact, NaN included: the same numbers)
    high, low = column_reduce(np.maximum, H), column_reduce(np.minimum, H)
    dead = (high == 0) & (low == 0)  # (R, u)
    s = _singular_values(H, high.max(axis=-1), low.min(axis=-1))
    smax = s.max(axis=-1, keepdims=True)
    kept = np.where((s > RANK_RTOL * smax) & (smax > 0), s, 0.0)
    total = kept.sum(axis=-1, keepdims=True)
    p = np.divide(kept, total, out=np.zeros_like(kept), where=total > 0)
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)
    erank = np.where(total[:, 0] > 0, np.exp(-(p * logp).sum(axis=-1)), 0.0)
    gap = symmetry_gap(P)
    # Distinct neurons: a fast test first, vectorised over runs (see count_distinct);
    # only runs that fail it (dead or possibly equal units) are grouped exactly.
    v, window = _projection_window(P, DISTINCT_RTOL)
    proj = np.sort(P @ v, axis=-1)
    distinct = np.full(R, float(u))
    if u > 1:
        fast = ~dead.any(axis=1) & (np.diff(proj, axis=-1).min(axis=-1) > window)
    else:
        fast = ~dead.any(axis=1)
    for r in np.flatnonzero(~fast):
        distinct[r] = count_distinct(P[r][~dead[r]])
    return {
        "dead_units": dead.sum(axis=-1).astype(float),
        "distinct_neurons": distinct,
        "rank": (kept > 0).sum(axis=-1).astype(float),
        "effective_rank": erank,
        "symmetry_gap": gap,
    }


def network_metrics(W: list[np.ndarray], b: list[np.ndarray], H: list[np.ndarray]
                    ) -> dict[str, np.ndarray]:
    """Effective-neuron metrics of every hidden layer of stacked runs.

    Layers of the same shape are evaluated together (one batched eigen-decomposition),
    which matters for deep networks.

    Parameters
    ----------
    W : list of ndarray, ``W[i]`` of shape (n_runs, n_units_i, n_inputs_i)
        Hidden layers' weights.
    b : list of ndarray, ``b[i]`` of shape (n_runs, n_units_i)
    H : list of ndarray, ``H[i]`` of shape (n_runs, n_samples, n_units_i)
        Hidden layers' outputs on the training inputs.

    Returns
    -------
    dict of ndarray of shape (n_runs, n_hidden_layers)
    """
    R, n_layers = W[0].shape[0], len(W)
    out = {name: np.zeros((R, n_layers)) for name in METRIC_NAMES}
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, w in enumerate(W):
        groups.setdefault(w.shape, []).append(i)
    for idx in groups.values():
        if len(idx) == 1:  # no copy of a large feature-map matrix
            m = stacked_layer_metrics(W[idx[0]], b[idx[0]], H[idx[0]])
        else:
            m = stacked_layer_metrics(np.concatenate([W[i] for i in idx]),
                                      np.concatenate([b[i] for i in idx]),
                                      np.concatenate([H[i] for i in idx]))
        for name in METRIC_NAMES:
            out[name][:, idx] = m[name].reshape(len(idx), R).T
    return out
