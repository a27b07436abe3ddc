"""What a configuration costs: the training time and the peak memory, estimated before training.

:meth:`sim.config.Config.from_dict` refuses a configuration over
:data:`sim.config.MAX_SECONDS` or :data:`sim.config.MAX_BYTES` with these estimates; the command
line decides from them whether to show a progress bar. :func:`default_workers` is also the
training's own rule for its threads (:func:`sim.train.train_comparison`), so the estimate splits
the runs exactly as training does.

Functions take a validated :class:`~sim.config.Config` (read through its attributes only, so
this module does not import :mod:`sim.config`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.metrics import METRIC_NAMES
from sim.optimizers import OPTIMIZERS as _OPTIMIZER_REGISTRY

if TYPE_CHECKING:
    from sim.config import Config

# The estimate follows what sim.train, sim.network and sim.metrics compute: every matrix
# product, element-wise pass and Python call of a step, the evaluation passes, the snapshots
# and their effective-neuron metrics, on the thread that trains the larger share of the runs.
# The constants were measured on the 2-core machine (numpy 2.4, OpenBLAS, one BLAS thread per
# worker) with bench/bench_estimate.py (time: 0.8-1.3x the measured time over its grid,
# median 1.06) and bench/bench_memory.py (peak resident memory of `python -m sim run --out`:
# the estimate is an upper bound, 1.02-1.6x). Re-measure them there when the engine or the
# machine changes.

#: Seconds per flop of a large matrix product on one thread, by dtype ...
_SECONDS_PER_FLOP = {"float64": 1 / 75e9, "float32": 1 / 130e9}
#: ... of which a product whose shortest side is ``k`` gets ``k / (k + _FLOP_SIDE)``.
_FLOP_SIDE = {"float64": 16, "float32": 30}
#: Seconds per element of one element-wise pass over a large array, by dtype ...
_SECONDS_PER_ELEMENT = {"float64": 0.75e-9, "float32": 0.35e-9}
#: ... over arrays that fit in the cache (the runs' stacked arrays up to this many bytes).
_SECONDS_PER_CACHED_ELEMENT = {"float64": 0.3e-9, "float32": 0.15e-9}
_CACHE_BYTES = 1024**2
#: Seconds per byte of a fresh temporary, on top of the pass: one that malloc reuses, and
#: one of at least _MMAP_BYTES, which it maps afresh each time (page faults).
_SECONDS_PER_FRESH_BYTE = 0.075e-9
_SECONDS_PER_MAPPED_BYTE = 0.6e-9
_MMAP_BYTES = 32 * 1024**2
#: Seconds per byte of the process's peak memory, touched for the first time once (page
#: faults cost 0.2-2.6 ns per byte on this virtual machine, more for memory it never used).
_SECONDS_PER_TOUCHED_BYTE = 0.5e-9
#: Seconds per element of each activation and of its derivative, float64 then float32
#: (an activation missing here costs as much as the slowest).
_SECONDS_PER_ACTIVATION = {
    "sigmoid": ((2.4e-9, 1.3e-9), (1.2e-9, 0.6e-9)),
    "tanh": ((2.3e-9, 1.0e-9), (0.35e-9, 0.5e-9)),
    "relu": ((0.7e-9, 0.85e-9), (0.3e-9, 0.3e-9)),
    "leaky_relu": ((1.3e-9, 1.4e-9), (0.6e-9, 0.65e-9)),
    "elu": ((2.7e-9, 7.3e-9), (0.95e-9, 6.0e-9)),
    "gelu": ((6.3e-9, 14.5e-9), (2.5e-9, 4.4e-9)),
    "linear": ((0.6e-9, 0.35e-9), (0.3e-9, 0.2e-9)),
}
#: Element-wise passes of the loss and its gradient per output value (exp, log1p, temporaries).
_LOSS_PASSES = 16
#: Element-wise passes over the parameters per step: gradient norm and the optimizer's update.
_UPDATE_PASSES = {"sgd": 3, "momentum": 5, "adam": 13}
#: Optimizer state arrays, each the size of the parameters.
_OPTIMIZER_BUFFERS = {"sgd": 0, "momentum": 1, "adam": 3}
# An optimizer registered later (sim.optimizers.OPTIMIZERS) costs as much as the dearest one,
# with the buffers its registry entry declares.
#: Seconds per draw of a dropout mask's uniform number, and per sample of a shuffle.
_SECONDS_PER_RANDOM = 4.5e-9
_SECONDS_PER_SHUFFLE = 16e-9
#: Python and numpy call overhead: per weight layer and training step (forward, backward,
#: update), per weight layer and evaluation pass, per step, per epoch (losses, accuracy,
#: divergence check), per run, layer and step (the products loop over the runs), per run,
#: hidden layer and step with dropout (a mask drawn per run).
_SECONDS_PER_LAYER_STEP = 16e-6
_SECONDS_PER_LAYER_PASS = 2.5e-6
_SECONDS_PER_STEP = 25e-6
_SECONDS_PER_EPOCH = 45e-6
_SECONDS_PER_RUN_LAYER = 0.4e-6
_SECONDS_PER_MASK = 2e-6
#: With two threads, each thread's Python overhead counts this much more (GIL hand-overs).
_GIL_HANDOVER = 1.5
#: Effective-neuron metrics: eigenvalues of an ``m x m`` Gram matrix cost
#: ``a m^4 / (m + m0) + b m^2 + c`` seconds (``a m^3`` for large m); each run and hidden
#: layer, each group of hidden layers of one shape (evaluated together) and each snapshot
#: add Python overhead.
_SECONDS_PER_EIGEN = (7.5e-11, 227, 28e-9, 2e-6)
_SECONDS_PER_METRIC_LAYER = 8e-6
_SECONDS_PER_METRIC_GROUP = 120e-6
_SECONDS_PER_SNAPSHOT = 100e-6
#: Seconds per weight to initialize (draw, scale, cast) by scheme, default for the others;
#: ``orthogonal`` also costs a QR decomposition: this much times weights x shorter side.
_SECONDS_PER_INIT = {"truncated_normal": 60e-9, "sparse": 55e-9, "orthogonal": 20e-9}
_SECONDS_PER_INIT_DEFAULT = 16e-9
_SECONDS_PER_QR = 0.17e-9
#: Seconds per sample to make the data.
_SECONDS_PER_SAMPLE = 1e-6

#: Convolution layers (sim.conv), per element: element-wise passes over a layer's feature
#: maps (n x H x W x F) in a forward pass (bias, pooling, flatten) and a backward pass (the
#: pooling's gradient, the derivative's product, the bias sum), and seconds per im2col entry
#: gathered (n x H x W x K x K x C; once per evaluation set, each step of a mini-batch) and
#: scattered back (the input gradient of a later conv layer). Fitted on six convnets (one
#: or two conv layers, pooling or not, full batch or mini-batches, 12x12 and 16x16 images):
#: the estimate is 0.84-1.33x the measured time.
_CONV_FORWARD_PASSES = 2
_CONV_BACKWARD_PASSES = 4
_SECONDS_PER_GATHER = 2e-9
_SECONDS_PER_SCATTER = 3e-9

#: Training uses two threads when half the runs x the training samples x the widest layer
#: reach this (smaller work is faster on one thread: the threads share the GIL).
PARALLEL_MIN_ELEMENTS = 30_000

#: Memory of the command line besides what the model counts: the interpreter, numpy and the
#: lab's modules (39 MiB), and up to ~40 MiB the model leaves out (small temporaries, BLAS
#: buffers, malloc's free lists).
_BYTES_BASELINE = 96 * 1024**2
#: ``metrics.csv`` is built in memory: the text and its encoded copy, per character.
_CSV_BYTES_PER_CHAR = 2.2
#: Characters of a value in the CSV (``repr`` of a float: 18 for most losses, up to 24).
_CSV_VALUE_CHARS = 19
#: ``weights.npz`` is built in memory: the compressed bytes (at most the raw arrays plus the
#: BytesIO's growth) and the writer's chunks.
_NPZ_GROWTH = 1.125
_NPZ_CHUNK_BYTES = 48 * 1024**2
#: Headroom on the npz part: its writer is about to change.
_NPZ_HEADROOM = 1.1


def estimate_cost(cfg: Config) -> tuple[float, int]:
    """Estimated training time (seconds) and peak memory (bytes) of a configuration.

    The time is that of :func:`sim.train.train_comparison` (data, initialization, epochs,
    snapshots and their metrics); the memory is the peak resident memory of
    ``python -m sim run --out DIR``, interpreter and file writing included.
    """
    return sum(_seconds_parts(cfg).values()), _peak_bytes(cfg)


def default_workers(cfg: Config) -> int:
    """Threads :func:`sim.train.train_comparison` trains with by default: 2 for large
    enough work (:data:`PARALLEL_MIN_ELEMENTS`), else 1."""
    R = cfg.n_runs
    widest = max(cfg.layer_sizes[1:] + [c.positions * c.filters for c in cfg.conv_layers])
    work = (R // 2) * cfg.n_train * widest
    return 2 if R >= 2 and work >= PARALLEL_MIN_ELEMENTS else 1


def _chunk_runs(cfg: Config) -> list[int]:
    """Runs trained by each thread (``np.linspace(0, R, 3).round()`` rounds halves to even,
    like ``round``)."""
    R = cfg.n_runs
    if default_workers(cfg) == 1:
        return [R]
    half = round(R / 2)
    return [half, R - half]


def _batch_sizes(cfg: Config) -> list[int]:
    """The batches of an epoch: the whole training set, or full batches and a remainder."""
    n = cfg.n_train
    batch = cfg.batch_size or n
    return [batch] * (n // batch) + ([n % batch] if n % batch else [])


def _n_parameters(sizes: Sequence[int]) -> int:
    return sum(sizes[i] * sizes[i - 1] + sizes[i] for i in range(1, len(sizes)))


def _product_seconds(m: int, k: int, n: int, dtype: str, elt: float, runs: int = 1,
                     rows_are_units: bool = False) -> float:
    """One run's ``(m, k) @ (k, n)`` as :func:`sim.network.matmul` computes it for ``runs``
    stacked runs: BLAS (slower when a side is short), or in float64 for
    matrix-vector shapes an element-wise product into a fresh temporary and a sum. ``elt``
    is the cost of an element-wise pass per element."""
    if dtype == "float64" and k > 1 and (m == 1 or (n == 1 and rows_are_units and m > 1)):
        return m * k * n * (2 * elt + _fresh_seconds(runs * m * k * n * 8) / (runs * m * k * n))
    # The flops, then writing the result and reading the right operand (the weights, which
    # bound the speed of small batches of wide layers).
    side = min(m, k, n)
    return (2 * m * k * n * _SECONDS_PER_FLOP[dtype] * (side + _FLOP_SIDE[dtype]) / side
            + (m * n + k * n) * elt)


def _fresh_seconds(nbytes: float) -> float:
    """Extra cost of writing a fresh temporary of ``nbytes``: page faults, for each call
    when it is large enough for malloc to map it afresh."""
    return nbytes * (_SECONDS_PER_MAPPED_BYTE if nbytes >= _MMAP_BYTES else _SECONDS_PER_FRESH_BYTE)


def _init_seconds(cfg: Config) -> float:
    """Initialization of the runs, each thread its own (the slower thread's time)."""
    sizes = cfg.layer_sizes
    shapes = [(sizes[l], sizes[l - 1]) for l in range(1, len(sizes))]
    per_init = [sum(r * c * (_SECONDS_PER_INIT.get(spec.scheme, _SECONDS_PER_INIT_DEFAULT)
                             + (_SECONDS_PER_QR * min(r, c) if spec.scheme == "orthogonal"
                                else 0.0)) for r, c in shapes) for spec in cfg.inits]
    runs = [per_init[i] for i, _ in cfg.runs()]
    first = _chunk_runs(cfg)[0]
    return max(sum(runs[:first]), sum(runs[first:]))


def _eigen_seconds(m: int) -> float:
    """``np.linalg.eigvalsh`` of one ``m x m`` matrix in a stack (one thread)."""
    a, m0, b, c = _SECONDS_PER_EIGEN
    return a * m**4 / (m + m0) + b * m**2 + c


def _seconds_parts(cfg: Config) -> dict[str, float]:
    """The estimated training time by part: data, initialization and first touch of the
    memory; the epochs' arithmetic on the thread with the most runs; the Python overhead of
    every thread (the threads take turns holding the GIL, and so do their operations on
    small arrays); the snapshots with their metrics."""
    dt = cfg.dtype
    item = 4 if dt == "float32" else 8
    R, w = max(_chunk_runs(cfg)), default_workers(cfg)
    slowest = max(_SECONDS_PER_ACTIVATION.values(), key=lambda c: sum(c[0]))
    act_f, act_d = _SECONDS_PER_ACTIVATION.get(cfg.activation, slowest)[dt == "float32"]
    sizes = cfg.layer_sizes
    L = len(sizes) - 1
    hidden = sizes[1:L]
    n, nt, E = cfg.n_train, cfg.n_test, cfg.epochs
    dropout = cfg.dropout > 0 and L > 1
    params = _n_parameters(sizes) + sum(c.n_parameters for c in cfg.conv_layers)
    cfg_inputs = math.prod(cfg.image_shape) if cfg.conv else sizes[0]
    biggest = max(max(sizes[1:]), max(sizes[l] * sizes[l - 1] for l in range(1, L + 1)),
                  *(c.positions * c.filters for c in cfg.conv_layers))

    def small(m: int) -> bool:
        """Whether a pass on ``m`` samples works on arrays that fit in the cache: such
        operations are fast, and too short for two threads to overlap them."""
        return R * max(m * max(sizes[1:]), biggest) * item <= _CACHE_BYTES

    def elt(m: int) -> float:
        return (_SECONDS_PER_CACHED_ELEMENT if small(m) else _SECONDS_PER_ELEMENT)[dt]

    conv = cfg.conv_layers

    def conv_forward(m: int, gather: bool) -> float:
        """One run's conv layers' forward pass on ``m`` samples (sim.conv.ConvStack); the
        first layer's windows are gathered once for an evaluation set (``gather`` False)."""
        e = _SECONDS_PER_ELEMENT[dt]
        t = 0.0
        for i, c in enumerate(conv):
            maps = m * c.positions * c.filters
            if gather or i > 0:
                t += m * c.positions * c.window * _SECONDS_PER_GATHER
            t += (_product_seconds(m * c.positions, c.window, c.filters, dt, e, R)
                  + maps * (act_f + _CONV_FORWARD_PASSES * e))
        return t

    def conv_backward(m: int) -> float:
        e = _SECONDS_PER_ELEMENT[dt]
        t = 0.0
        for i, c in enumerate(conv):
            maps = m * c.positions * c.filters
            t += (_product_seconds(c.window, m * c.positions, c.filters, dt, e, R)
                  + maps * (act_d + _CONV_BACKWARD_PASSES * e))
            if i > 0:
                t += (_product_seconds(m * c.positions, c.filters, c.window, dt, e, R)
                      + m * c.positions * c.window * _SECONDS_PER_SCATTER)
        return t

    def forward(m: int, masks: bool = False, evaluation: bool = False) -> float:
        """One run's forward pass and loss on ``m`` samples (sim.network.Workspace)."""
        e = elt(m)
        t = m * sizes[L] * _LOSS_PASSES * e
        if conv:
            t += conv_forward(m, gather=not evaluation)
        for l in range(1, L + 1):
            t += _product_seconds(m, sizes[l - 1], sizes[l], dt, e, R) + m * sizes[l] * e
            if l < L:
                t += m * sizes[l] * (act_f + (e if masks else 0.0))
        return t

    def step(m: int) -> float:
        """One run's training step on ``m`` samples after the forward pass: backward pass,
        update, dropout masks, batch gathering."""
        e = elt(m)
        passes = _UPDATE_PASSES.get(cfg.optimizer, max(_UPDATE_PASSES.values()))
        t = params * (passes + (2 if cfg.l2 else 0)) * e
        for l in range(L, 0, -1):
            t += (_product_seconds(sizes[l], m, sizes[l - 1], dt, e, R, rows_are_units=True)
                  + m * sizes[l] * e)
            if l > 1:
                t += (_product_seconds(m, sizes[l], sizes[l - 1], dt, e, R)
                      + m * sizes[l - 1] * (act_d + e * (2 if dropout else 1)))
        if dropout:
            t += m * sum(hidden) * (_SECONDS_PER_RANDOM + 2 * e)
        if m < n:
            t += 4 * m * (cfg_inputs + sizes[L]) * e
        if conv:
            t += (_product_seconds(m, sizes[1], sizes[0], dt, e, R) + conv_backward(m))
        return t

    batches = _batch_sizes(cfg)
    steps = len(batches)
    reuse = steps == 1 and not dropout  # the evaluation's forward pass is the step's
    # One run's arithmetic per epoch (evaluation on the training and test sets, then the
    # steps), split by whether the threads can overlap it.
    epoch = {True: 0.0, False: 0.0}
    evaluation = {True: 0.0, False: 0.0}
    for m, t in [(n, forward(n, evaluation=True)),
                 (nt, forward(nt, evaluation=True) if nt else 0.0)]:
        evaluation[small(m)] += t
        epoch[small(m)] += t
    for m in ([] if reuse else batches):
        epoch[small(m)] += forward(m, masks=dropout)
    for m in batches:
        epoch[small(m)] += step(m)
    epoch[True] += L * steps * _SECONDS_PER_RUN_LAYER + (n * _SECONDS_PER_SHUFFLE
                                                          if steps > 1 else 0.0)
    # One thread's Python overhead per epoch.
    passes = (0 if reuse else 1) + (1 if nt else 0)
    thread_epoch = (_SECONDS_PER_EPOCH + passes * L * _SECONDS_PER_LAYER_PASS
                    + steps * (_SECONDS_PER_STEP + L * _SECONDS_PER_LAYER_STEP)
                    + (R * (L - 1) * steps * _SECONDS_PER_MASK if dropout else 0.0))
    gil = w * (_GIL_HANDOVER if w > 1 else 1.0)

    # One run's snapshot: its parameters copied into the history, and the metrics of every
    # hidden layer, each group of layers of one shape stacked (sim.metrics.network_metrics):
    # passes over and fresh copies of their outputs H (n x h) and incoming parameters
    # (h x (a + 1)), a Gram matrix and its eigenvalues.
    el64 = _SECONDS_PER_ELEMENT["float64"]
    run_snapshot = params * elt(n)
    group_size: dict[tuple[int, int], int] = {}
    for l in range(1, L):
        group_size[sizes[l], sizes[l - 1]] = group_size.get((sizes[l], sizes[l - 1]), 0) + 1
    for l in range(1, L):
        h, a = sizes[l], sizes[l - 1]
        g = group_size[h, a] * R
        gram = (_product_seconds(h, n, h, "float64", el64) if n >= h
                else _product_seconds(n, h, n, "float64", el64))
        outputs = n * h * (6 * el64 + (
            _fresh_seconds(g * n * h * item) + 2 * _fresh_seconds(g * n * h * 8)
            + (_fresh_seconds(g * n * h * 8) if item == 4 else 0.0)) / (g * n * h))
        inputs = h * (a + 1) * (7 * el64 + (
            2 * _fresh_seconds(g * h * (a + 1) * item) + 2 * _fresh_seconds(g * h * (a + 1) * 8))
            / (g * h * (a + 1)))
        run_snapshot += (outputs + inputs + gram + _eigen_seconds(min(n, h))
                         + _SECONDS_PER_METRIC_LAYER)
    for c in conv:  # a filter is a unit over n x H x W rows (its feature map)
        rows, f = n * c.positions, c.filters
        run_snapshot += (rows * f * 6 * el64 + _product_seconds(f, rows, f, "float64", el64)
                         + c.n_parameters * 7 * el64 + _eigen_seconds(f)
                         + _SECONDS_PER_METRIC_LAYER)
    thread_snapshot = (_SECONDS_PER_SNAPSHOT + (len(group_size) + len(conv))
                       * _SECONDS_PER_METRIC_GROUP)

    memory = _memory_parts(cfg)
    touched = memory["result"] + memory["thread arrays"]  # temporaries: where they are made
    return {
        "setup": (cfg.n_samples * _SECONDS_PER_SAMPLE + _init_seconds(cfg)
                  + cfg.n_runs * (E + 1) * (4 + L) * _SECONDS_PER_ELEMENT["float64"]
                  + touched * _SECONDS_PER_TOUCHED_BYTE),
        # E epochs of training and E + 1 evaluations.
        "arithmetic": R * (E * (epoch[False] + w * epoch[True])
                           + evaluation[False] + w * evaluation[True]),
        "python": (E + 1) * gil * thread_epoch,
        "snapshots": snapshot_count(cfg) * (R * run_snapshot + gil * thread_snapshot),
    }


def _peak_bytes(cfg: Config) -> int:
    """Peak resident memory of ``python -m sim run --out``: the result (history and
    snapshots) plus, during training, every thread's arrays and largest temporaries, or,
    when writing the files, the threads' arrays (they may stay resident, freed into the
    threads' malloc arenas, which the main thread cannot reuse) and the CSV text or the npz
    bytes (with headroom: the npz writer is about to change)."""
    m = _memory_parts(cfg)
    export = max(m["csv"], _NPZ_HEADROOM * m["npz"])
    return int(m["baseline"] + m["result"] + m["thread arrays"]
               + max(m["thread temporaries"], export))


def training_bytes(cfg: Config) -> tuple[int, int]:
    """Memory of training ``cfg`` in a process that is already running (the interpreter's
    own baseline excluded): its peak while training (the result plus every thread's arrays
    and largest temporaries), and the size of the result it returns."""
    m = _memory_parts(cfg)
    return (int(m["result"] + m["thread arrays"] + m["thread temporaries"]),
            int(m["result"]))


def _memory_parts(cfg: Config) -> dict[str, float]:
    """The parts of :func:`_peak_bytes`, in bytes."""
    item = 4 if cfg.dtype == "float32" else 8
    sizes = cfg.layer_sizes
    L = len(sizes) - 1
    R, E, S = cfg.n_runs, cfg.epochs, snapshot_count(cfg)
    classify = cfg.task != "regression"
    C = len(cfg.conv)
    curves = (2 + 2 * classify) * R * (E + 1) * 8 + R * E * (L + C) * 8
    params = _n_parameters(sizes) + sum(c.n_parameters for c in cfg.conv_layers)
    snapshots = R * S * params * item + 5 * R * S * (L - 1 + C) * 8
    inputs = math.prod(cfg.image_shape) if cfg.conv else sizes[0]
    data = cfg.n_samples * (inputs + 2) * 8 * 2  # the dataset and its shuffled split
    threads = [_thread_bytes(cfg, r) for r in _chunk_runs(cfg)]
    return {
        "baseline": _BYTES_BASELINE,
        "result": curves + snapshots + data,
        "thread arrays": sum(t[0] for t in threads),
        "thread temporaries": sum(t[1] for t in threads),
        "csv": _csv_bytes(cfg),
        "npz": _NPZ_GROWTH * snapshots + _NPZ_CHUNK_BYTES,
    }


def _thread_bytes(cfg: Config, R: int) -> tuple[int, int]:
    """Memory of one training thread of ``R`` runs (see ``sim.train._Chunk``): its arrays,
    and its largest temporaries."""
    item = 4 if cfg.dtype == "float32" else 8
    sizes = cfg.layer_sizes
    L = len(sizes) - 1
    hidden = sizes[1:L]
    n, nt = cfg.n_train, cfg.n_test
    dropout = cfg.dropout > 0 and L > 1
    inputs = math.prod(cfg.image_shape) if cfg.conv else sizes[0]
    state_params = _n_parameters(sizes) + sum(c.n_parameters for c in cfg.conv_layers)
    outputs, widest = sum(sizes[1:]), max(sizes[1:])
    batches = set(_batch_sizes(cfg))
    full_batch = cfg.batch_size in (0, n)
    reuse = full_batch and not dropout
    # Parameters, gradients, optimizer state; the data in the training dtype.
    buffers = _OPTIMIZER_BUFFERS.get(cfg.optimizer,
                                     len(_OPTIMIZER_REGISTRY[cfg.optimizer].buffers) + 1)
    state = (state_params * (2 + buffers + (cfg.l2 > 0))
             * R * item + (n + nt) * (inputs + sizes[L]) * (item + 8))
    # Workspaces, counting the pages they touch: the evaluation's Z and H (and, reused for
    # the step, dZ and the derivative scratch), the test set's Z and H, each batch size's.
    rows = n * (outputs + sum(hidden)) + nt * (outputs + sum(hidden))
    if reuse:
        rows += n * (outputs + widest)
    else:
        for m in batches:
            rows += m * (2 * outputs + sum(hidden) * (3 if dropout else 1) + widest)
            rows += 0 if full_batch else m * (inputs + sizes[L])
    buffers = R * rows * item + (max(batches) * max(hidden) * 8 if dropout else 0)
    for c in cfg.conv_layers:  # sim.conv.ConvStack of each workspace
        pad = (c.height + c.kernel - 1) * (c.width + c.kernel - 1) * c.channels
        per_sample = (pad + c.positions * (c.window + 4 * c.filters)
                      + 2 * math.prod(c.pooled) * c.filters)
        workspaces = n + nt + (0 if reuse else sum(batches))
        buffers += R * workspaces * per_sample * item
    # The largest temporary of a step: the loss's, or a float64 matrix-vector product done
    # element-wise (sim.network.matmul) into an (m, k, n) array.
    temps = [16 * n * sizes[L] * 8]
    if cfg.dtype == "float64":
        if 1 in batches | {nt}:  # a forward pass (and a step's backward) on one sample
            temps += [sizes[l - 1] * sizes[l] * 8 for l in range(1, L + 1)]
        for m in batches:  # the weight gradients of a one-output or one-input layer
            if m > 1 and sizes[L] == 1:
                temps.append(m * sizes[L - 1] * 8)
            if m > 1 and sizes[0] == 1:
                temps.append(m * sizes[1] * 8)
    # The metrics of a snapshot, per group of hidden layers of one shape (sim.metrics): the
    # stacked weights, biases and outputs, the parameters in float64, then either the
    # parameters' first copy or the outputs' float64 copies, masks and Gram matrices.
    groups: dict[tuple[int, int], int] = {}
    for l in range(1, L):
        groups[sizes[l], sizes[l - 1]] = groups.get((sizes[l], sizes[l - 1]), 0) + 1
    for (h, a), g in groups.items():
        m = min(n, h)
        temps.append(g * (h * (a + 1) * (item + 8) + n * h * item + max(
            h * (a + 1) * item, n * h * (10 + (8 if item == 4 else 0)) + 2 * m * m * 8)))
    return int(state + buffers), int(R * max(temps))


def _csv_bytes(cfg: Config) -> float:
    """Memory of building ``metrics.csv`` (sim.export.data.metrics_csv): its characters,
    counted row by row (a value takes up to :data:`_CSV_VALUE_CHARS`); conv layers count as
    layers (their metrics and gradient norms have rows of their own)."""
    L = len(cfg.layer_sizes) - 1 + len(cfg.conv)
    E, S = cfg.epochs, snapshot_count(cfg)
    curves = ["train_loss"] + ["test_loss"] * (cfg.n_test > 0)
    if cfg.task != "regression":
        curves += ["train_accuracy"] + ["test_accuracy"] * (cfg.n_test > 0)
    # Characters of each kind of row besides run, label, seed and epoch: name, layer, value.
    value = _CSV_VALUE_CHARS + 7  # and six commas and a newline
    chars = ((E + 1) * sum(len(c) + value for c in curves)
             + E * L * (len("grad_norm") + len(str(L)) + value)
             + S * (L - 1) * sum(len(m) + len(str(L)) + value for m in METRIC_NAMES))
    rows = (E + 1) * len(curves) + E * L + S * (L - 1) * len(METRIC_NAMES)
    chars += rows * (len(str(cfg.n_runs)) + len(str(cfg.seeds)) + len(str(E)))
    labels = sum(len(s.label) + (2 if "," in s.label else 0) for s in cfg.inits)
    return _CSV_BYTES_PER_CHAR * (cfg.seeds * chars * len(cfg.inits) + cfg.seeds * rows * labels)


#: Snapshots use at most this many bytes; deep and wide networks get fewer snapshots.
SNAPSHOT_BUDGET = 512 * 1024**2


def snapshot_count(cfg: Config) -> int:
    """Number of stored snapshots: ``cfg.snapshots`` within the memory budget, at least 2."""
    params = sum(cfg.layer_sizes[i] * cfg.layer_sizes[i - 1] + cfg.layer_sizes[i]
                 for i in range(1, len(cfg.layer_sizes)))
    params += sum(c.n_parameters for c in cfg.conv_layers)
    fit = SNAPSHOT_BUDGET // max(1, cfg.n_runs * params * 8)
    return int(max(2, min(cfg.snapshots, cfg.epochs + 1, fit)))


__all__ = ["PARALLEL_MIN_ELEMENTS", "SNAPSHOT_BUDGET", "default_workers", "estimate_cost",
           "snapshot_count", "training_bytes"]
