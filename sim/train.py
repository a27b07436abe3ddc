"""Training a comparison: every initialization x seed, together, in stacked arrays.

:func:`train_comparison` takes a validated :class:`~sim.config.Config` and returns a
:class:`Result` holding the data, the runs and a :class:`History` of every curve. It never
prints or plots. A run whose numbers become non-finite stops (its history says at which
epoch) while the others go on.

How the runs are trained
------------------------
All runs share the architecture, the data and the training settings, so their parameters are
stacked along a leading run axis and trained with batched ``np.matmul`` in preallocated
buffers (:class:`sim.network.Workspace`). The runs are split into two halves trained by two
threads: numpy releases the GIL inside its kernels, so on two cores this is close to twice
as fast as one thread. BLAS is pinned to one thread meanwhile (multi-threaded OpenBLAS
rounds identical rows differently and would break exact symmetry). Every run's arithmetic is
independent of the others', so the split does not change a single bit.

Randomness
----------
Run ``(init i, seed s)`` draws its initial weights from ``default_rng([s, 0])`` and its
mini-batch order and dropout masks from ``default_rng([s, 1])``: a run does not depend on
what else is in the comparison, and two initializations with the same seed see the same
batches and masks. The data come from ``make_dataset(..., seed=config.data_seed)``.

History conventions
-------------------
Entry ``e`` of a per-epoch curve describes the parameters after ``e`` epochs (entry 0 is the
initial network), evaluated without dropout on the whole training or test set. ``grad_norm``
has one entry per epoch ``1 .. E`` (the mean over that epoch's steps of the norm of the
gradient the optimizer used) and one column per weight layer (the last is the output layer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.config import Config, snapshot_count
from sim.datasets import Dataset, make_dataset
from sim.initializers import initialize, initialize_bias
from sim.losses import LOSSES, accuracy
from sim.metrics import METRIC_NAMES, network_metrics
from sim.network import Workspace, targets_for
from sim.optimizers import OPTIMIZERS

try:  # one BLAS thread while training: exact symmetry and, with two workers, more speed
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is in requirements.txt
    threadpool_limits = None

ProgressCallback = Callable[[float], None]

#: Two threads pay off only when each numpy call has enough to do: below this many elements
#: per layer and thread (runs x samples x widest layer), the GIL hand-overs cost more.
PARALLEL_MIN_ELEMENTS = 30_000


@dataclass
class History:
    """Every curve of a comparison; the first axis of each array is the run.

    Attributes
    ----------
    train_loss, test_loss : ndarray of shape (n_runs, n_epochs + 1)
        Loss after each epoch (entry 0: the initial network); NaN after divergence. The test
        curves are NaN when there is no test set.
    train_accuracy, test_accuracy : ndarray of shape (n_runs, n_epochs + 1) or None
        Classification only.
    grad_norm : ndarray of shape (n_runs, n_epochs, n_layers)
        Gradient norm per weight layer (``sqrt(||dW||^2 + ||db||^2)``) in epochs 1..E.
    snapshot_epochs : ndarray of int, shape (n_snapshots,)
        Epochs whose parameters and metrics are stored; always includes 0 and the last.
    weights : list of ndarray, ``weights[l]`` of shape (n_runs, n_snapshots, n_{l+1}, n_l)
    biases : list of ndarray, ``biases[l]`` of shape (n_runs, n_snapshots, n_{l+1})
    metrics : dict of ndarray of shape (n_runs, n_snapshots, n_hidden_layers)
        ``dead_units``, ``distinct_neurons``, ``rank``, ``effective_rank``,
        ``symmetry_gap`` (see :mod:`sim.metrics`).
    diverged_at : ndarray of int, shape (n_runs,)
        Epoch at which the run's numbers became non-finite, -1 if never.
    """

    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray | None
    test_accuracy: np.ndarray | None
    grad_norm: np.ndarray
    snapshot_epochs: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    metrics: dict[str, np.ndarray]
    diverged_at: np.ndarray


@dataclass
class Result:
    """A trained comparison.

    Attributes
    ----------
    config : Config
    data : Dataset
    runs : list of (int, int)
        ``(init_index, seed)`` per run, the order of the history's first axis.
    labels : list of str
        Label of each initialization (``config.inits[i].label``).
    history : History
    seconds : float
        Wall time of the training.
    """

    config: Config
    data: Dataset
    runs: list[tuple[int, int]]
    labels: list[str]
    history: History
    seconds: float

    def run_indices(self, init_index: int) -> list[int]:
        """Indices of the runs (one per seed) of initialization ``init_index``."""
        return [r for r, (i, _) in enumerate(self.runs) if i == init_index]

    def parameters_at(self, run: int, snapshot: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Weights and biases of one run at one stored snapshot (index into snapshot_epochs)."""
        h = self.history
        return ([w[run, snapshot] for w in h.weights], [b[run, snapshot] for b in h.biases])


def snapshot_epochs(epochs: int, count: int) -> np.ndarray:
    """At most ``count`` epochs in ``0 .. epochs``: half evenly spaced, half log-spaced.

    The log-spaced half keeps the early epochs, where most changes happen, visible on a log
    axis; 0 and ``epochs`` are always included.
    """
    if epochs + 1 <= count:
        return np.arange(epochs + 1)
    lin = np.linspace(0, epochs, count // 2 + 1)
    log = np.geomspace(1, epochs, count - count // 2 - 1)
    chosen = np.unique(np.concatenate([[0, epochs], np.round(lin), np.round(log)]).astype(int))
    extra = count - chosen.size
    if extra > 0:  # rounding merged some: fill with evenly spread unused epochs
        rest = np.setdiff1d(np.arange(epochs + 1), chosen)
        chosen = np.union1d(chosen, rest[np.linspace(0, rest.size - 1, extra).astype(int)])
    return chosen


def _init_run(cfg: Config, init_index: int, seed: int, dtype: np.dtype
              ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    spec = cfg.inits[init_index]
    rng = np.random.default_rng([seed, 0])
    sizes = cfg.layer_sizes
    W, b = [], []
    for l in range(1, len(sizes)):
        shape = (sizes[l], sizes[l - 1])
        w = initialize(spec.scheme, shape, rng, **spec.params) * spec.scale
        W.append(w.astype(dtype))
        b.append(initialize_bias(spec.bias, sizes[l], sizes[l - 1], rng,
                                 **spec.bias_params).astype(dtype))
    return W, b


class _Chunk:
    """Trains runs ``r0:r1`` of a comparison and writes their history slices."""

    def __init__(self, cfg: Config, data: Dataset, r0: int, r1: int, out: dict,
                 snaps: np.ndarray) -> None:
        self.cfg, self.data, self.r0, self.r1, self.out, self.snaps = cfg, data, r0, r1, out, snaps
        self.dtype = np.dtype(cfg.dtype)
        self.loss = LOSSES[cfg.loss_name]
        self.progress = 0.0
        self.error: BaseException | None = None

    def run_safely(self) -> None:
        """:meth:`run`, keeping an exception for the calling thread to re-raise."""
        try:
            self.run()
        except BaseException as exc:
            self.error = exc

    def run(self) -> None:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self._run()

    def _run(self) -> None:
        cfg, data, dtype = self.cfg, self.data, self.dtype
        runs = cfg.runs()[self.r0:self.r1]
        R = len(runs)
        sizes = cfg.layer_sizes
        L = len(sizes) - 1
        loss_name = cfg.loss_name
        classify = data.task != "regression"
        out = self.out
        sl = slice(self.r0, self.r1)

        inits = [_init_run(cfg, i, s, dtype) for i, s in runs]
        W = [None] + [np.stack([w[l] for w, _ in inits]) for l in range(L)]
        b = [None] + [np.stack([bb[l] for _, bb in inits])[:, None, :] for l in range(L)]
        dW = [None] + [np.empty_like(w) for w in W[1:]]
        db = [None] + [np.empty_like(x) for x in b[1:]]
        params = W[1:] + b[1:]
        grads = dW[1:] + db[1:]
        optimizer = OPTIMIZERS[cfg.optimizer]
        opt = optimizer.start(params, cfg.lr, **{f: getattr(cfg, f) for f in optimizer.fields})
        train_rngs = [np.random.default_rng([s, 1]) for _, s in runs]

        Xtr = data.X_train.astype(dtype)
        Ttr = targets_for(loss_name, data.y_train, sizes[-1]).astype(dtype)
        Xte = data.X_test.astype(dtype)
        Tte = targets_for(loss_name, data.y_test, sizes[-1]).astype(dtype)
        n, n_test = Xtr.shape[0], Xte.shape[0]
        batch = cfg.batch_size or n
        full_batch = batch >= n
        reuse_train_forward = full_batch and cfg.dropout == 0

        Xtr_b = np.broadcast_to(Xtr, (R, *Xtr.shape))
        Ttr_b = np.broadcast_to(Ttr, (R, *Ttr.shape))
        eval_tr = Workspace(sizes, R, n, cfg.activation, dtype)
        eval_te = Workspace(sizes, R, n_test, cfg.activation, dtype) if n_test else None
        train_ws: dict[int, Workspace] = {}
        if not full_batch or cfg.dropout > 0:
            for m in {batch, n % batch or batch}:
                train_ws[m] = Workspace(sizes, R, m, cfg.activation, dtype, cfg.dropout)
        y_tr = data.y_train
        active = np.ones(R, bool)
        snap_index = {int(e): k for k, e in enumerate(self.snaps)}
        E = cfg.epochs
        grad_sq = np.zeros((R, L))
        keep = 1.0 - cfg.dropout

        for e in range(E + 1):
            # ---- evaluate the parameters after e epochs
            Z = eval_tr.forward(Xtr_b, W, b)
            if reuse_train_forward and e < E:  # this forward pass is also the training step's
                tr_loss = self.loss.value_and_grad(Z, Ttr_b, eval_tr.dZ[L])
            else:
                tr_loss = self.loss.value(Z, Ttr_b)
            bad = ~np.isfinite(tr_loss) & active
            if bad.any():
                for r in np.flatnonzero(bad):
                    out["diverged_at"][self.r0 + r] = e
                    for p in params:
                        p[r] = 0.0
                    opt.reset(r)
                active &= ~bad
            tl = np.where(active, tr_loss, np.nan)
            out["train_loss"][sl, e] = tl
            if classify:
                out["train_accuracy"][sl, e] = np.where(active, accuracy(loss_name, Z, y_tr),
                                                        np.nan)
            if eval_te is not None:
                Zt = eval_te.forward(np.broadcast_to(Xte, (R, *Xte.shape)), W, b)
                out["test_loss"][sl, e] = np.where(active, self.loss.value(Zt, Tte[None]), np.nan)
                if classify:
                    out["test_accuracy"][sl, e] = np.where(
                        active, accuracy(loss_name, Zt, data.y_test), np.nan)
            if e in snap_index:
                self._snapshot(snap_index[e], W, b, eval_tr, active)
            if e == E:
                break
            # ---- train epoch e + 1
            grad_sq[:] = 0.0
            if reuse_train_forward:
                steps = 1
                if bad.any():  # zeroed runs: recompute their gradient from the new params
                    Z = eval_tr.forward(Xtr_b, W, b)
                    self.loss.value_and_grad(Z, Ttr_b, eval_tr.dZ[L])
                eval_tr.backward(Xtr_b, W, dW, db)
                self._finish_step(W, dW, db, grads, grad_sq, opt, params)
            else:
                if full_batch:
                    orders = None
                    steps = 1
                else:
                    orders = np.stack([rng.permutation(n) for rng in train_rngs])
                    steps = -(-n // batch)
                for k in range(steps):
                    if orders is None:
                        Xb, Tb, m = Xtr_b, Ttr_b, n
                    else:
                        idx = orders[:, k * batch:(k + 1) * batch]
                        m = idx.shape[1]
                        Xb, Tb = Xtr[idx], Ttr[idx]
                    ws = train_ws[m]
                    if cfg.dropout > 0:
                        for l in range(1, L):
                            for r, rng in enumerate(train_rngs):
                                ws.mask[l][r] = rng.random((m, sizes[l])) < keep
                            ws.mask[l] /= keep
                    Z = ws.forward(Xb, W, b, masks=True)
                    self.loss.value_and_grad(Z, Tb, ws.dZ[L])
                    ws.backward(Xb, W, dW, db, masks=True)
                    self._finish_step(W, dW, db, grads, grad_sq, opt, params)
            out["grad_norm"][sl, e] = np.where(active[:, None], grad_sq / steps, np.nan)
            self.progress = (e + 1) / E

    def _finish_step(self, W, dW, db, grads, grad_sq, opt, params) -> None:
        cfg = self.cfg
        L = len(W) - 1
        for l in range(1, L + 1):
            if cfg.l2:
                dW[l] += cfg.l2 * W[l]
            sq = np.einsum("rij,rij->r", dW[l], dW[l]) + np.einsum("rij,rij->r", db[l], db[l])
            grad_sq[:, l - 1] += np.sqrt(sq)
        opt.step(params, grads)

    def _snapshot(self, k: int, W, b, ws: Workspace, active: np.ndarray) -> None:
        out, sl = self.out, slice(self.r0, self.r1)
        L = len(W) - 1
        for l in range(1, L + 1):
            out["weights"][l - 1][sl, k] = W[l]
            out["biases"][l - 1][sl, k] = b[l][:, 0, :]
        if L > 1:
            m = network_metrics([W[l] for l in range(1, L)], [b[l][:, 0, :] for l in range(1, L)],
                                [ws.H[l] for l in range(1, L)])
            for name in METRIC_NAMES:
                out["metrics"][name][sl, k] = np.where(active[:, None], m[name], np.nan)
        dead = ~active
        if dead.any():
            for arr in out["weights"] + out["biases"]:
                arr[self.r0 + np.flatnonzero(dead), k] = np.nan


def train_comparison(cfg: Config, progress: ProgressCallback | None = None,
                     workers: int | None = None) -> Result:
    """Train every ``(initialization, seed)`` run of ``cfg`` on the same data.

    Parameters
    ----------
    cfg : Config
        A validated configuration (see :meth:`Config.from_dict`).
    progress : callable, optional
        Called with the fraction done (0..1) from the calling thread, about 50 times.
    workers : int, optional
        Threads to split the runs over (default: 2 when the work is large enough, else 1).
        The result does not depend on it.

    Returns
    -------
    Result
    """
    t0 = time.perf_counter()
    data = make_dataset(cfg.dataset, cfg.n_samples, cfg.noise, cfg.test_fraction,
                        cfg.data_seed, cfg.n_classes)
    sizes = cfg.layer_sizes
    L = len(sizes) - 1
    R, E, H = cfg.n_runs, cfg.epochs, len(cfg.hidden)
    snaps = snapshot_epochs(E, snapshot_count(cfg))
    S = snaps.size
    classify = data.task != "regression"
    nan = np.nan
    out = {
        "train_loss": np.full((R, E + 1), nan),
        "test_loss": np.full((R, E + 1), nan),
        "train_accuracy": np.full((R, E + 1), nan) if classify else None,
        "test_accuracy": np.full((R, E + 1), nan) if classify else None,
        "grad_norm": np.full((R, E, L), nan),
        "weights": [np.zeros((R, S, sizes[l], sizes[l - 1]), cfg.dtype) for l in range(1, L + 1)],
        "biases": [np.zeros((R, S, sizes[l]), cfg.dtype) for l in range(1, L + 1)],
        "metrics": {name: np.full((R, S, H), nan) for name in METRIC_NAMES},
        "diverged_at": np.full(R, -1, dtype=np.int64),
    }
    if workers is None:
        work = (R // 2) * data.n_train * max(sizes[1:])
        workers = 2 if R >= 2 and work >= PARALLEL_MIN_ELEMENTS else 1
    workers = max(1, min(workers, R))
    bounds = np.linspace(0, R, workers + 1).round().astype(int)
    chunks = [_Chunk(cfg, data, int(bounds[i]), int(bounds[i + 1]), out, snaps)
              for i in range(workers)]
    limits = threadpool_limits(1) if threadpool_limits is not None else None
    try:
        threads = [threading.Thread(target=c.run_safely, daemon=True) for c in chunks[1:]]
        for t in threads:
            t.start()
        if progress is None:
            chunks[0].run_safely()
        else:
            main = threading.Thread(target=chunks[0].run_safely, daemon=True)
            main.start()
            while main.is_alive():
                main.join(timeout=0.05)
                progress(min(c.progress for c in chunks))
        for t in threads:
            t.join()
    finally:
        if limits is not None:
            limits.restore_original_limits()
    for c in chunks:
        if c.error is not None:
            raise c.error
    if progress is not None:
        progress(1.0)
    history = History(
        train_loss=out["train_loss"], test_loss=out["test_loss"],
        train_accuracy=out["train_accuracy"], test_accuracy=out["test_accuracy"],
        grad_norm=out["grad_norm"], snapshot_epochs=snaps, weights=out["weights"],
        biases=out["biases"], metrics=out["metrics"], diverged_at=out["diverged_at"])
    return Result(cfg, data, cfg.runs(), [s.label for s in cfg.inits], history,
                  time.perf_counter() - t0)

