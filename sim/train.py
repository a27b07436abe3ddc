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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from sim import blas
from sim.config import Config
from sim.cost import PARALLEL_MIN_ELEMENTS, default_workers, snapshot_count  # noqa: F401
from sim.datasets import Dataset, make_dataset
from sim.initializers import initialize, initialize_bias
from sim.losses import LOSSES, accuracy
from sim.metrics import METRIC_NAMES, network_metrics
from sim.network import Workspace, targets_for
from sim.optimizers import OPTIMIZERS

ProgressCallback = Callable[[float], None]



@dataclass
class History:
    """Every curve of a comparison; the first axis of each array is the run.

    Attributes
    ----------
    train_loss, test_loss : ndarray of shape (n_runs, n_epochs + 1)
        Loss after each epoch (entry 0: the initial network); NaN after divergence. The test
        curves are NaN when there is no test set. Both are the data loss alone: the L2
        penalty (``l2 / 2 * sum of squared weights``), which the gradients include, is not
        added, so runs with different ``l2`` compare on the same scale.
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
    conv_weights : list of ndarray, ``conv_weights[i]`` of shape (n_runs, n_snapshots, F, C, K, K)
        The filters of each convolution layer (empty without conv layers); ``weights``,
        ``biases``, ``grad_norm`` and ``metrics`` hold the dense layers.
    conv_biases : list of ndarray, ``conv_biases[i]`` of shape (n_runs, n_snapshots, F)
    conv_metrics : dict of ndarray of shape (n_runs, n_snapshots, n_conv_layers), or None
        The same metrics per conv layer, its filters as the units (see :mod:`sim.metrics`).
    conv_grad_norm : ndarray of shape (n_runs, n_epochs, n_conv_layers), or None
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
    conv_weights: list[np.ndarray] = field(default_factory=list)
    conv_biases: list[np.ndarray] = field(default_factory=list)
    conv_metrics: dict[str, np.ndarray] | None = None
    conv_grad_norm: np.ndarray | None = None


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
        """Weights and biases of the dense layers of one run at one stored snapshot (index
        into snapshot_epochs)."""
        h = self.history
        return ([w[run, snapshot] for w in h.weights], [b[run, snapshot] for b in h.biases])

    def network_at(self, run: int, snapshot: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every layer's weights and biases, conv filters first, as
        :func:`sim.network.forward` takes them (with ``pool=config.pool``)."""
        h = self.history
        W, b = self.parameters_at(run, snapshot)
        return ([w[run, snapshot] for w in h.conv_weights] + W,
                [x[run, snapshot] for x in h.conv_biases] + b)


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
    """One run's initial parameters: the conv layers' (drawn first), then the dense ones'."""
    spec = cfg.inits[init_index]
    rng = np.random.default_rng([seed, 0])
    sizes = cfg.layer_sizes
    W, b = [], []
    for layer in cfg.conv_layers:
        w = initialize(spec.scheme, layer.weight_shape, rng, **spec.params) * spec.scale
        W.append(w.astype(dtype))
        b.append(initialize_bias(spec.bias, layer.filters, layer.fan_in, rng,
                                 **spec.bias_params).astype(dtype))
    for l in range(1, len(sizes)):
        shape = (sizes[l], sizes[l - 1])
        w = initialize(spec.scheme, shape, rng, **spec.params) * spec.scale
        W.append(w.astype(dtype))
        b.append(initialize_bias(spec.bias, sizes[l], sizes[l - 1], rng,
                                 **spec.bias_params).astype(dtype))
    return W, b


class _Chunk:
    """Trains runs ``r0:r1`` of a comparison and writes their history slices.

    :meth:`run` builds the stacked parameters (:meth:`_setup_parameters`) and every buffer
    (:meth:`_setup_buffers`) once, then
    for each epoch ``e``: :meth:`_evaluate` the parameters after ``e`` epochs (which stops
    the runs that diverged, :meth:`_stop_diverged`), :meth:`_snapshot` them at the snapshot
    epochs, and :meth:`_train_epoch`: one :meth:`_step` per batch of :meth:`_batches`, with
    fresh masks from :meth:`_draw_dropout_masks`. The loop allocates no large array: the
    workspaces, batches, masks and optimizer state are preallocated.
    """

    def __init__(self, cfg: Config, data: Dataset, r0: int, r1: int, out: dict,
                 snaps: np.ndarray) -> None:
        self.cfg, self.data, self.r0, self.r1, self.out, self.snaps = cfg, data, r0, r1, out, snaps
        self.dtype = np.dtype(cfg.dtype)
        self.loss = LOSSES[cfg.loss_name]
        self.progress = 0.0
        self.error: BaseException | None = None
        #: Set by the calling thread when the comparison is abandoned (Ctrl-C, an error in
        #: another chunk): the loop returns at the next epoch.
        self.stop = False

    def run_safely(self) -> None:
        """:meth:`run`, keeping an exception for the calling thread to re-raise."""
        try:
            self.run()
        except BaseException as exc:
            self.error = exc

    def run(self) -> None:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self._setup_parameters()
            self._setup_buffers()
            snap_index = {int(e): k for k, e in enumerate(self.snaps)}
            E = self.cfg.epochs
            for e in range(E + 1):
                diverged = self._evaluate(e)
                if e in snap_index:
                    self._snapshot(snap_index[e])
                if e == E:
                    break
                if self.stop:
                    return
                self._train_epoch(e, recompute=diverged.any())
                self.progress = (e + 1) / E

    # ------------------------------------------------------------------ setup
    def _setup_parameters(self) -> None:
        """The runs' initial parameters stacked along a leading run axis, their gradients,
        the optimizer state and each run's generator of batches and dropout masks."""
        cfg, dtype = self.cfg, self.dtype
        runs = cfg.runs()[self.r0:self.r1]
        L = self.L = len(cfg.layer_sizes) - 1
        C = self.C = len(cfg.conv)
        # Index l is layer l (index 0 unused), as in sim.network; the conv layers come first
        # in each run's list and are kept apart (Wc, bc).
        inits = [_init_run(cfg, i, s, dtype) for i, s in runs]
        self.Wc = [np.stack([w[i] for w, _ in inits]) for i in range(C)]
        self.bc = [np.stack([bb[i] for _, bb in inits])[:, None, :] for i in range(C)]
        self.W = [None] + [np.stack([w[C + l] for w, _ in inits]) for l in range(L)]
        self.b = [None] + [np.stack([bb[C + l] for _, bb in inits])[:, None, :]
                           for l in range(L)]
        self.dWc = [np.empty_like(w) for w in self.Wc]
        self.dbc = [np.empty_like(x) for x in self.bc]
        self.dW = [None] + [np.empty_like(w) for w in self.W[1:]]
        self.db = [None] + [np.empty_like(x) for x in self.b[1:]]
        self.params = self.Wc + self.W[1:] + self.bc + self.b[1:]
        self.grads = self.dWc + self.dW[1:] + self.dbc + self.db[1:]
        self.l2_term = [np.empty_like(w) for w in self.Wc + self.W[1:]] if cfg.l2 else None
        optimizer = OPTIMIZERS[cfg.optimizer]
        self.opt = optimizer.start(self.params, cfg.lr,
                                   **{f: getattr(cfg, f) for f in optimizer.fields})
        self.train_rngs = [np.random.default_rng([s, 1]) for _, s in runs]
        self.active = np.ones(len(runs), bool)

    def _setup_buffers(self) -> None:
        """The data in the training dtype and every buffer the epochs reuse: workspaces of
        the evaluation and of each batch size, batches, dropout draws, gradient norms."""
        cfg, data, dtype = self.cfg, self.data, self.dtype
        R, L = self.active.size, self.L
        sizes = self.sizes = cfg.layer_sizes
        self.sl = slice(self.r0, self.r1)
        self.classify = data.task != "regression"
        self.Xtr = data.X_train.astype(dtype)
        self.Ttr = targets_for(cfg.loss_name, data.y_train, sizes[-1]).astype(dtype)
        Xte = data.X_test.astype(dtype)
        Tte = targets_for(cfg.loss_name, data.y_test, sizes[-1]).astype(dtype)
        n = self.n = self.Xtr.shape[0]
        n_test = Xte.shape[0]
        self.Xtr_b = np.broadcast_to(self.Xtr, (R, *self.Xtr.shape))
        self.Ttr_b = np.broadcast_to(self.Ttr, (R, *self.Ttr.shape))
        self.Xte_b = np.broadcast_to(Xte, (R, *Xte.shape))
        self.Tte_b = Tte[None]

        self.batch = cfg.batch_size or n
        self.full_batch = self.batch >= n
        # Full batch without dropout: the evaluation's forward pass is also the step's.
        self.reuse_train_forward = self.full_batch and cfg.dropout == 0
        conv = self.conv = cfg.conv_layers
        # the evaluations see the same inputs every epoch (conv layers gather them once)
        self.eval_tr = Workspace(sizes, R, n, cfg.activation, dtype, conv=conv, fixed_input=True)
        self.eval_te = (Workspace(sizes, R, n_test, cfg.activation, dtype, conv=conv,
                                  fixed_input=True) if n_test else None)
        # One training workspace (and batch buffers) per batch size: the last batch of an
        # epoch may be smaller.
        self.train_ws: dict[int, Workspace] = {}
        self.batch_X: dict[int, np.ndarray] = {}
        self.batch_T: dict[int, np.ndarray] = {}
        if not self.reuse_train_forward:
            for m in {self.batch, n % self.batch or self.batch}:
                self.train_ws[m] = Workspace(sizes, R, m, cfg.activation, dtype, cfg.dropout,
                                             conv=conv)
                if not self.full_batch:
                    self.batch_X[m] = np.empty((R, m, self.Xtr.shape[1]), dtype)
                    self.batch_T[m] = np.empty((R, m, sizes[-1]), dtype)
        # Dropout draws are float64 whatever the dtype (the same masks in float32 and float64).
        self.uniform = (np.empty(self.batch * max(sizes[1:L]), np.float64)
                        if cfg.dropout > 0 and L > 1 else None)
        self.grad_sq = np.zeros((R, L))
        self.conv_grad_sq = np.zeros((R, self.C))

    # ------------------------------------------------------------------ evaluation
    def _evaluate(self, e: int) -> np.ndarray:
        """Record the losses and accuracies after ``e`` epochs, on the whole training and test
        sets without dropout; stop the runs that diverged and return their mask.

        When the forward pass is reused, the loss gradient of the next step is written into
        ``eval_tr.dZ[L]`` meanwhile.
        """
        out, sl, active, ws = self.out, self.sl, self.active, self.eval_tr
        Z = ws.forward(self.Xtr_b, self.W, self.b, Wc=self.Wc, bc=self.bc)
        if self.reuse_train_forward and e < self.cfg.epochs:
            train_loss = self.loss.value_and_grad(Z, self.Ttr_b, ws.dZ[self.L])
        else:
            train_loss = self.loss.value(Z, self.Ttr_b)
        diverged = self._stop_diverged(e, train_loss)
        out["train_loss"][sl, e] = np.where(active, train_loss, np.nan)
        if self.classify:
            out["train_accuracy"][sl, e] = np.where(
                active, accuracy(self.cfg.loss_name, Z, self.data.y_train), np.nan)
        if self.eval_te is not None:
            Zt = self.eval_te.forward(self.Xte_b, self.W, self.b, Wc=self.Wc, bc=self.bc)
            out["test_loss"][sl, e] = np.where(active, self.loss.value(Zt, self.Tte_b), np.nan)
            if self.classify:
                out["test_accuracy"][sl, e] = np.where(
                    active, accuracy(self.cfg.loss_name, Zt, self.data.y_test), np.nan)
        return diverged

    def _stop_diverged(self, e: int, train_loss: np.ndarray) -> np.ndarray:
        """Stop the active runs whose loss is not finite: record epoch ``e`` in
        ``diverged_at``, zero their parameters and optimizer state (so their numbers stay
        finite and cost nothing) and mark them inactive. Returns their mask."""
        diverged = ~np.isfinite(train_loss) & self.active
        if diverged.any():
            for r in np.flatnonzero(diverged):
                self.out["diverged_at"][self.r0 + r] = e
                for p in self.params:
                    p[r] = 0.0
                self.opt.reset(r)
            self.active &= ~diverged
        return diverged

    def _snapshot(self, k: int) -> None:
        """Store the parameters and the effective-neuron metrics as snapshot ``k`` (right
        after :meth:`_evaluate`, whose hidden outputs the metrics read)."""
        out, sl, W, b = self.out, self.sl, self.W, self.b
        L = self.L
        for l in range(1, L + 1):
            out["weights"][l - 1][sl, k] = W[l]
            out["biases"][l - 1][sl, k] = b[l][:, 0, :]
        if L > 1:
            m = network_metrics([W[l] for l in range(1, L)], [b[l][:, 0, :] for l in range(1, L)],
                                [self.eval_tr.H[l] for l in range(1, L)])
            for name in METRIC_NAMES:
                out["metrics"][name][sl, k] = np.where(self.active[:, None], m[name], np.nan)
        R = self.active.size
        for i in range(self.C):
            out["conv_weights"][i][sl, k] = self.Wc[i]
            out["conv_biases"][i][sl, k] = self.bc[i][:, 0, :]
        if self.C:
            # a filter is a unit whose incoming parameters are its kernel and bias, and whose
            # outputs are its feature map at every position of every training image
            m = network_metrics([w.reshape(R, w.shape[1], -1) for w in self.Wc],
                                [x[:, 0, :] for x in self.bc],
                                [self.eval_tr.conv.feature_maps(i) for i in range(self.C)])
            for name in METRIC_NAMES:
                out["conv_metrics"][name][sl, k] = np.where(self.active[:, None], m[name],
                                                            np.nan)
        dead = ~self.active
        if dead.any():
            for arr in out["weights"] + out["biases"] + out["conv_weights"] + out["conv_biases"]:
                arr[self.r0 + np.flatnonzero(dead), k] = np.nan

    # ------------------------------------------------------------------ training
    def _train_epoch(self, e: int, recompute: bool) -> None:
        """Train epoch ``e + 1`` and record its mean gradient norm per layer.

        ``recompute``: some runs were just zeroed, so a reused forward pass is stale for them.
        """
        self.grad_sq[:] = 0.0
        self.conv_grad_sq[:] = 0.0
        if self.reuse_train_forward:
            steps = 1
            ws = self.eval_tr
            if recompute:
                Z = ws.forward(self.Xtr_b, self.W, self.b, Wc=self.Wc, bc=self.bc)
                self.loss.value_and_grad(Z, self.Ttr_b, ws.dZ[self.L])
            ws.backward(self.Xtr_b, self.W, self.dW, self.db, Wc=self.Wc, dWc=self.dWc,
                        dbc=self.dbc)
            self._update()
        else:
            steps = 0
            for X, T, m in self._batches():
                self._step(X, T, m)
                steps += 1
        self.out["grad_norm"][self.sl, e] = np.where(self.active[:, None],
                                                     self.grad_sq / steps, np.nan)
        if self.C:
            self.out["conv_grad_norm"][self.sl, e] = np.where(
                self.active[:, None], self.conv_grad_sq / steps, np.nan)

    def _batches(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """The epoch's batches ``(X, T, m)`` of ``m`` samples per run: the whole training set,
        or consecutive slices of each run's own shuffled order, gathered into preallocated
        buffers."""
        if self.full_batch:
            yield self.Xtr_b, self.Ttr_b, self.n
            return
        orders = np.stack([rng.permutation(self.n) for rng in self.train_rngs])
        for start in range(0, self.n, self.batch):
            idx = orders[:, start:start + self.batch]
            m = idx.shape[1]
            X, T = self.batch_X[m], self.batch_T[m]
            np.take(self.Xtr, idx, axis=0, out=X)
            np.take(self.Ttr, idx, axis=0, out=T)
            yield X, T, m

    def _step(self, X: np.ndarray, T: np.ndarray, m: int) -> None:
        """One optimizer step on a batch of ``m`` samples per run (with dropout if set)."""
        ws = self.train_ws[m]
        if self.cfg.dropout > 0:
            self._draw_dropout_masks(ws, m)
        Z = ws.forward(X, self.W, self.b, masks=True, Wc=self.Wc, bc=self.bc)
        self.loss.value_and_grad(Z, T, ws.dZ[self.L])
        ws.backward(X, self.W, self.dW, self.db, masks=True, Wc=self.Wc, dWc=self.dWc,
                    dbc=self.dbc)
        self._update()

    def _draw_dropout_masks(self, ws: Workspace, m: int) -> None:
        """Fill ``ws.mask`` for a batch of ``m`` samples: each hidden unit is kept with
        probability ``1 - dropout``, drawn from its run's generator, and kept units are
        scaled by ``1 / (1 - dropout)`` (inverted dropout)."""
        keep = 1.0 - self.cfg.dropout
        for l in range(1, self.L):
            width = self.sizes[l]
            u = self.uniform[:m * width].reshape(m, width)
            mask = ws.mask[l]
            for r, rng in enumerate(self.train_rngs):
                rng.random(out=u)
                np.less(u, keep, out=mask[r])
            mask /= keep

    def _update(self) -> None:
        """Add the L2 term to the weight gradients, accumulate the gradient norms, and let the
        optimizer step."""
        R = self.active.size
        for i in range(self.C):
            dW, db = self.dWc[i], self.dbc[i]
            if self.l2_term is not None:
                dW += np.multiply(self.Wc[i], self.cfg.l2, out=self.l2_term[i])
            flat = dW.reshape(R, -1)
            sq = np.einsum("ri,ri->r", flat, flat) + np.einsum("rij,rij->r", db, db)
            self.conv_grad_sq[:, i] += np.sqrt(sq)
        for l in range(1, self.L + 1):
            dW, db = self.dW[l], self.db[l]
            if self.l2_term is not None:
                dW += np.multiply(self.W[l], self.cfg.l2, out=self.l2_term[self.C + l - 1])
            sq = np.einsum("rij,rij->r", dW, dW) + np.einsum("rij,rij->r", db, db)
            self.grad_sq[:, l - 1] += np.sqrt(sq)
        self.opt.step(self.params, self.grads)


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
                        cfg.data_seed, cfg.n_classes, cfg.image_size)
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
        "conv_weights": [np.zeros((R, S, *layer.weight_shape), cfg.dtype)
                         for layer in cfg.conv_layers],
        "conv_biases": [np.zeros((R, S, layer.filters), cfg.dtype) for layer in cfg.conv_layers],
        "conv_metrics": ({name: np.full((R, S, len(cfg.conv)), nan) for name in METRIC_NAMES}
                         if cfg.conv else None),
        "conv_grad_norm": np.full((R, E, len(cfg.conv)), nan) if cfg.conv else None,
    }
    if workers is None:
        workers = default_workers(cfg)  # the rule the cost estimate assumes
    workers = max(1, min(workers, R))
    bounds = np.linspace(0, R, workers + 1).round().astype(int)
    chunks = [_Chunk(cfg, data, int(bounds[i]), int(bounds[i + 1]), out, snaps)
              for i in range(workers)]
    # One BLAS thread, set once for the process and never restored (sim.blas): exact
    # symmetry, and the same bytes whatever other threads of the process are doing.
    blas.single_thread()
    try:
        threads = [threading.Thread(target=c.run_safely, daemon=True) for c in chunks[1:]]
        for t in threads:
            t.start()
        if progress is None:
            chunks[0].run()  # Ctrl-C or an error here propagates at once
        else:
            main = threading.Thread(target=chunks[0].run_safely, daemon=True)
            main.start()
            # Until every thread is done: the runs of one thread (the zeros side, say) may
            # finish long before the others', and the bar must go on with the slowest.
            alive = [main, *threads]
            while alive:
                alive[0].join(timeout=0.05)
                progress(min(c.progress for c in chunks))
                alive = [t for t in alive if t.is_alive()]
        for t in threads:
            t.join()
    except BaseException:
        for c in chunks:  # the other threads stop at their next epoch
            c.stop = True
        raise
    for c in chunks:
        if c.error is not None:
            raise c.error
    if progress is not None:
        progress(1.0)
    history = History(
        train_loss=out["train_loss"], test_loss=out["test_loss"],
        train_accuracy=out["train_accuracy"], test_accuracy=out["test_accuracy"],
        grad_norm=out["grad_norm"], snapshot_epochs=snaps, weights=out["weights"],
        biases=out["biases"], metrics=out["metrics"], diverged_at=out["diverged_at"],
        conv_weights=out["conv_weights"], conv_biases=out["conv_biases"],
        conv_metrics=out["conv_metrics"], conv_grad_norm=out["conv_grad_norm"])
    return Result(cfg, data, cfg.runs(), [s.label for s in cfg.inits], history,
                  time.perf_counter() - t0)

