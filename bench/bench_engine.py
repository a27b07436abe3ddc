"""Engine benchmarks: print wall time and peak memory of the standard and small comparisons.

Run from the project root::

    python bench/bench_engine.py            # standard + small comparison
    python bench/bench_engine.py --quick    # small comparison only
    python bench/bench_engine.py --conv     # conv comparison only
    python bench/bench_engine.py --no-torch # skip PyTorch (timed whenever torch is installed)
    python bench/bench_engine.py --floor    # standard comparison against its floor only
    python bench/bench_engine.py --smoke    # seconds: every part at the smallest size,
                                            # as the test suite runs it

``--smoke`` runs the same parts (with ``--quick``, ``--conv`` or ``--floor``, that part) on
:data:`SMOKE_SIZES`' samples and epochs, each timing once, without PyTorch; at that size
``train_comparison`` trains on one thread where it would pick two.

Standard comparison: two moons, 512 samples (all used for training: test_fraction 0), hidden
[64, 64], tanh, sigmoid + binary cross-entropy, zeros vs xavier_uniform x 5 seeds = 10 runs,
1000 full-batch SGD epochs, float64, default history settings.
Small comparison (what the dashboard runs first): the same with hidden [8, 8], 256 samples,
2 runs, 500 epochs (target: under 0.3 s).
Conv comparison (issue 10): ``bars`` 12x12, 512 samples (384 train, 128 test), one conv
layer of 8 filters 3x3, 2x2 max pooling, dense [16], tanh, cross-entropy, zeros vs he_normal
(2 runs), 300 full-batch SGD epochs at lr 0.5, float64; also with relu. Target: at most 2 s,
and no slower than the same training in PyTorch (conv2d padding="same", max_pool2d, linear
layers; CPU, float64, 2 threads; the two runs one after the other, train and test loss
evaluated every epoch as Init Lab does), timed in the same run.

The floor of the standard comparison
------------------------------------
What the same algorithm's unavoidable work costs on the machine the bench runs on, measured
in the same run as the training it is compared with (one BLAS thread, as training uses):

* products: every matrix product of an epoch as the engine does them (full batch, the
  evaluation's forward pass reused as the step's: per layer ``l`` one forward product
  ``(n, n_{l-1}) @ (n_{l-1}, n_l)``, the weight gradient ``(n_l, n) @ (n, n_{l-1})`` and,
  below the output, ``dA[l-1] = dZ[l] @ W[l]``), stacked over the runs, each timed as
  ``np.matmul`` of arrays of those shapes into a preallocated ``out``. A product that exact
  symmetry keeps out of BLAS (a dimension of 1, :func:`sim.network.matmul`) is timed as
  its element-wise form (one multiply into a preallocated buffer, one sum); a product with
  an inner dimension of 1 as the cheaper of ``np.matmul`` and one broadcast multiply.
* element-wise work, at numpy's measured rate for arrays of the sizes it touches: per layer
  the bias add and the bias gradient (a sum over samples); per hidden layer the activation,
  its derivative and the product of that derivative with the incoming gradient (the
  registered activation's own functions, one or two numpy calls each); the loss and the
  accuracy as :data:`LOSS_PASSES` passes over the outputs; SGD and the gradient norm as 3
  passes over the parameters.
* metrics at each snapshot, per hidden layer: two column reductions (dead units), the Gram
  product ``H.T @ H`` and its ``eigvalsh``.

Per epoch, x epochs (snapshots x snapshots), for all runs on one thread; with two threads,
for each thread's half (assuming both cores are free). Each piece is timed in wall-clock and
in CPU time, and the 1-thread training too: on a loaded machine the wall times include
waiting for a core (the long training more than the floor's best-of-5 short timings), so
there the CPU-time ratio is the one that compares like with like. Left out, so the floor
is below what any numpy code can reach: Python and call overheads between the calls, the
cost of the data moving between them (each pass is timed on warm arrays), the
distinct-neuron grouping, copying the snapshots.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sim.config import Config  # noqa: E402
from sim.train import snapshot_epochs, train_comparison  # noqa: E402

STANDARD = {
    "dataset": "moons", "n_samples": 512, "test_fraction": 0.0, "hidden": [64, 64],
    "activation": "tanh", "loss": "bce",
    "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}], "seeds": 5,
    "optimizer": "sgd", "lr": 0.5, "epochs": 1000, "dtype": "float64",
}
SMALL = {**STANDARD, "hidden": [8, 8], "n_samples": 256, "seeds": 1, "epochs": 500}
CONV = {
    "dataset": "bars", "n_samples": 512, "image_size": 12, "conv": "8x3", "pool": 2,
    "hidden": [16], "activation": "tanh", "loss": "ce",
    "inits": [{"scheme": "zeros"}, {"scheme": "he_normal"}], "seeds": 1,
    "optimizer": "sgd", "lr": 0.5, "epochs": 300, "dtype": "float64",
}
#: What ``--smoke`` changes in each comparison: the same networks and runs, a few samples
#: and epochs.
SMOKE_SIZES = {"n_samples": 32, "epochs": 5}
#: Target of the conv comparison (issue 10): <= 2 s, and no slower than PyTorch.
CONV_TARGET_S = 2.0
#: Passes over the output layer's values per epoch, for the loss and the accuracy (the least
#: a numpy version needs): the stable BCE value from the logit (|z|, negate, exp, log1p,
#: max(z, 0), z t, subtract, add, sum: 9), its gradient reusing exp(-|z|) (add 1, divide,
#: choose by sign, subtract t, divide by n: 5), the accuracy (z > 0, compare, mean: 3).
LOSS_PASSES = 17


def timed(cfg: Config, repeat: int = 1, **kwargs) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = train_comparison(cfg, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, result


def timed_one_thread(cfg: Config, repeat: int = 1) -> tuple[float, float]:
    """Best wall time and best CPU time (the process's: one training thread, one BLAS
    thread) of ``repeat`` trainings on one thread."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        train_comparison(cfg, workers=1)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def peak_memory(cfg: Config) -> float:
    """Peak traced (numpy) allocation in MB of one training."""
    tracemalloc.start()
    train_comparison(cfg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def sequential(cfg: Config) -> float:
    """The same runs trained one after another (one init x one seed per call, one thread)."""
    t0 = time.perf_counter()
    for spec in cfg.inits:
        for _seed in range(cfg.seeds):
            # One run alone. It trains seed 0 each time: a run's cost does not depend on
            # its seed, and seeds 0..K-1 cannot be chosen one by one from a config.
            single = cfg.replace(inits=[spec.to_dict()], seeds=1)
            train_comparison(single, workers=1)
    return time.perf_counter() - t0


def torch_time(cfg_dict: dict) -> float | None:
    """The standard comparison's training written in PyTorch (CPU, float64, 2 threads)."""
    try:
        import torch
    except ImportError:
        return None
    from sim.datasets import make_dataset

    torch.set_num_threads(2)
    data = make_dataset(cfg_dict["dataset"], cfg_dict["n_samples"], None, 0.0, 0)
    X = torch.tensor(data.X_train, dtype=torch.float64)
    y = torch.tensor(data.y_train, dtype=torch.float64)[:, None]
    t0 = time.perf_counter()
    for init in ("zeros", "xavier_uniform"):
        for seed in range(cfg_dict["seeds"]):
            torch.manual_seed(seed)
            sizes = [2, *cfg_dict["hidden"], 1]
            layers = []
            for i in range(1, len(sizes)):
                lin = torch.nn.Linear(sizes[i - 1], sizes[i]).double()
                torch.nn.init.zeros_(lin.bias)
                if init == "zeros":
                    torch.nn.init.zeros_(lin.weight)
                else:
                    torch.nn.init.xavier_uniform_(lin.weight)
                layers.append(lin)
                if i < len(sizes) - 1:
                    layers.append(torch.nn.Tanh())
            net = torch.nn.Sequential(*layers)
            opt = torch.optim.SGD(net.parameters(), lr=cfg_dict["lr"])
            lossf = torch.nn.BCEWithLogitsLoss()
            for _ in range(cfg_dict["epochs"]):
                opt.zero_grad()
                loss = lossf(net(X), y)
                loss.backward()
                opt.step()
    return time.perf_counter() - t0


def torch_conv_time(cfg: Config, threads: int = 2) -> float | None:
    """The conv comparison's training in PyTorch (CPU, float64, 2 threads): zeros then
    he_normal (kaiming_normal_, fan_in, relu gain, as Init Lab's default; biases zero), each
    300 full-batch SGD steps on cross-entropy, with the train and test loss computed every
    epoch (Init Lab records both curves). Init Lab's snapshots and metrics have no
    counterpart here, so this is the cheaper side of the comparison."""
    try:
        import torch
    except ImportError:
        return None
    import torch.nn.functional as F

    from sim.datasets import make_dataset

    torch.set_num_threads(threads)
    data = make_dataset(cfg.dataset, cfg.n_samples, cfg.noise, cfg.test_fraction,
                        cfg.data_seed, cfg.n_classes, image_size=cfg.image_size)
    shape = (-1, *data.image_shape)
    X = torch.tensor(data.X_train.reshape(shape), dtype=torch.float64)
    y = torch.tensor(data.y_train)
    Xt = torch.tensor(data.X_test.reshape(shape), dtype=torch.float64)
    yt = torch.tensor(data.y_test)
    act = {"tanh": torch.tanh, "relu": torch.relu}[cfg.activation]
    (filters, kernel), = cfg.conv
    channels, side = data.image_shape[0], data.image_shape[1]
    flat = filters * (side // cfg.pool) ** 2
    sizes = [flat, *cfg.hidden, data.n_classes]

    def net(A, params):
        Wc, bc, *dense = params
        A = torch.flatten(F.max_pool2d(act(F.conv2d(A, Wc, bc, padding="same")), cfg.pool), 1)
        for i in range(0, len(dense), 2):
            A = F.linear(A, dense[i], dense[i + 1])
            if i < len(dense) - 2:
                A = act(A)
        return A

    t0 = time.perf_counter()
    for spec in cfg.inits:
        torch.manual_seed(0)
        params = [torch.zeros(filters, channels, kernel, kernel, dtype=torch.float64),
                  torch.zeros(filters, dtype=torch.float64)]
        for i in range(1, len(sizes)):
            params += [torch.zeros(sizes[i], sizes[i - 1], dtype=torch.float64),
                       torch.zeros(sizes[i], dtype=torch.float64)]
        if spec.scheme == "he_normal":
            for w in params[::2]:
                torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.SGD(params, lr=cfg.lr)
        for _ in range(cfg.epochs):
            opt.zero_grad()
            loss = F.cross_entropy(net(X, params), y)
            loss.backward()
            opt.step()
            with torch.no_grad():  # the curves after the step, as Init Lab records them
                F.cross_entropy(net(X, params), y).item()
                F.cross_entropy(net(Xt, params), yt).item()
    return time.perf_counter() - t0


# ---------------------------------------------------------------------- the floor
def _best(reps: int, fn, *args, **kwargs) -> np.ndarray:
    """Wall and CPU seconds of one call ``fn(*args, **kwargs)``, each the best of 5 rounds
    of ``reps`` calls (after a warm-up call), so other processes' bursts on a shared machine
    are left out as far as they can be."""
    fn(*args, **kwargs)
    best = np.full(2, np.inf)
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            fn(*args, **kwargs)
        t = np.array([time.perf_counter() - t0, time.process_time() - c0]) / reps
        best = np.minimum(best, t)
    return best


def _product_seconds(R: int, m: int, k: int, n: int, exact: bool, rows_are_units: bool,
                     rng: np.random.Generator, reps: int) -> np.ndarray:
    """Measured seconds of one batched product ``(R, m, k) @ (R, k, n)`` as cheaply as numpy
    does it: ``np.matmul`` into a preallocated ``out``; when exact symmetry rules BLAS out
    (:func:`sim.network.matmul`'s rule), one multiply into a preallocated ``(R, m, k, n)``
    buffer and one sum over ``k``; when ``k == 1``, the cheaper of ``np.matmul`` and one
    broadcast multiply (the same numbers)."""
    a = rng.standard_normal((R, m, k))
    b = rng.standard_normal((R, k, n))
    out = np.empty((R, m, n))
    needs_care = m == 1 or (n == 1 and rows_are_units and m > 1)
    if exact and k > 1 and needs_care:
        buf = np.empty((R, m, k, n))

        def elementwise() -> None:
            np.multiply(a[..., :, :, None], b[..., None, :, :], out=buf)
            np.sum(buf, axis=-2, out=out)

        return _best(reps, elementwise)
    t = _best(reps, np.matmul, a, b, out=out)
    if k == 1:
        t = np.minimum(t, _best(reps, np.multiply, a, b, out=out))
    return t


def floor_seconds(cfg: Config, n_runs: int, reps: int = 20) -> dict[str, np.ndarray]:
    """The unavoidable work of training ``n_runs`` runs of ``cfg`` on one thread, timed at
    this machine's measured numpy rates (the module docstring says what it counts).

    Returns
    -------
    dict with the seconds of ``"products"``, ``"element-wise"``, ``"metrics"`` and
    ``"total"`` for the whole training (every epoch and snapshot), each an array
    ``[wall, cpu]``: wall-clock and CPU time.
    """
    from sim.activations import get_activation
    from sim.cost import snapshot_count

    if cfg.conv or cfg.dropout or (cfg.batch_size and cfg.batch_size < cfg.n_train) \
            or cfg.n_test or cfg.optimizer != "sgd":
        raise ValueError("the floor models full-batch SGD of a dense network on its "
                         "training set (no test set, no dropout)")
    rng = np.random.default_rng(0)
    R, n, sizes, L, E = n_runs, cfg.n_train, cfg.layer_sizes, len(cfg.layer_sizes) - 1, \
        cfg.epochs
    exact = np.dtype(cfg.dtype) == np.float64
    S = snapshot_epochs(E, snapshot_count(cfg)).size
    act = get_activation(cfg.activation)

    products = np.zeros(2)  # per epoch
    for l in range(1, L + 1):
        p, q = sizes[l - 1], sizes[l]
        products += _product_seconds(R, n, p, q, exact, False, rng, reps)  # forward
        products += _product_seconds(R, q, n, p, exact, True, rng, reps)  # dW[l]
        if l > 1:
            products += _product_seconds(R, n, q, p, exact, False, rng, reps)  # dA[l-1]

    def binary(shape: tuple[int, ...]) -> np.ndarray:
        x, y = rng.standard_normal(shape), rng.standard_normal(shape)
        return _best(reps, np.multiply, x, y, out=x)

    elementwise = np.zeros(2)  # per epoch
    for l in range(1, L + 1):
        shape = (R, n, sizes[l])
        Z, bias = rng.standard_normal(shape), rng.standard_normal((R, 1, sizes[l]))
        db = np.empty((R, 1, sizes[l]))
        elementwise += _best(reps, np.add, Z, bias, out=Z)  # + b[l]
        elementwise += _best(reps, np.sum, Z, axis=1, keepdims=True, out=db)  # db[l]
        if l < L:
            H, D = np.tanh(Z), np.empty(shape)
            elementwise += _best(reps, act.forward, Z, H)  # f(Z[l])
            elementwise += _best(reps, act.derivative, Z, H, D)  # f'(Z[l])
            elementwise += binary(shape)  # dA[l] *= f'(Z[l])
    # the loss (value, gradient) and the accuracy on the output layer's n x n_L values
    elementwise += LOSS_PASSES * binary((R, n, sizes[L]))
    # SGD (g *= lr, p -= g) and the gradient norm (one dot) over every parameter
    for l in range(1, L + 1):
        elementwise += 3 * binary((R, sizes[l], sizes[l - 1] + 1))

    metrics = np.zeros(2)  # per snapshot
    for l in range(1, L):
        u = sizes[l]
        H = rng.standard_normal((R, n, u))
        col = np.empty((R, u))
        metrics += 2 * _best(reps, np.maximum.reduce, H, axis=-2, out=col)  # dead
        gram = (R, u, n, u) if n >= u else (R, n, u, n)
        metrics += _product_seconds(*gram, exact=False, rows_are_units=False, rng=rng,
                                    reps=reps)
        G = rng.standard_normal((R, u, u))
        G = G @ G.transpose(0, 2, 1)
        metrics += _best(reps, np.linalg.eigvalsh, G)
    parts = {"products": E * products, "element-wise": E * elementwise, "metrics": S * metrics}
    parts["total"] = sum(parts.values())
    return parts


def floor_comparison(std: Config, t_two: float, t_one: float, cpu_one: float | None = None
                     ) -> None:
    """Print the standard comparison's floor (see the module docstring) and the measured times
    as multiples of it: stacked on 2 threads (each thread's half of the runs) and on 1, and,
    when given, the 1-thread training's CPU time against the floor's (on a loaded machine
    the wall times of both include waiting for a core; the CPU times do not)."""
    R = std.n_runs
    half = -(-R // 2)
    with threadpool_limits(1):
        one = floor_seconds(std, R)
        two = floor_seconds(std, half)
    print(f"  floor, 1 thread ({R} runs): {one['total'][0]:.2f} s = products "
          f"{one['products'][0]:.2f} + element-wise {one['element-wise'][0]:.2f} + metrics "
          f"{one['metrics'][0]:.2f}; measured {t_one:.2f} s = {t_one / one['total'][0]:.2f}x")
    if cpu_one is not None:
        print(f"  same in CPU time: floor {one['total'][1]:.2f} s, training {cpu_one:.2f} s = "
              f"{cpu_one / one['total'][1]:.2f}x")
    print(f"  floor, 2 threads ({half} runs each, both cores free): {two['total'][0]:.2f} s; "
          f"measured {t_two:.2f} s = {t_two / two['total'][0]:.2f}x (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

def conv_comparison(no_torch: bool, smoke: bool = False) -> None:
    """Time the conv comparison (tanh, then relu), best of 3, and PyTorch's; ``smoke``: at
    :data:`SMOKE_SIZES`, timed once."""
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    repeat = 1 if smoke else 3
    for activation in ("tanh", "relu"):
        cfg = Config.from_dict({**sized(CONV, smoke), "activation": activation})
        train_comparison(cfg)  # warm up the workspace shapes
        t_conv, res = timed(cfg, repeat=repeat)
        h = res.history
        zero, rand = res.run_indices(0), res.run_indices(1)
        print(f"conv comparison bars 12x12, conv 8x3, pool 2, [16], {activation}, "
              f"{cfg.n_runs} runs x {cfg.epochs} epochs: {t_conv:.2f} s (best of {repeat}; "
              f"target <= {CONV_TARGET_S:.0f} s)")
        print(f"  test accuracy zeros {np.nanmean(h.test_accuracy[zero, -1]):.2f} "
              f"({int(h.conv_metrics['distinct_neurons'][zero, -1].min())} distinct, "
              f"{int(h.conv_metrics['dead_units'][zero, -1].min())} dead filters), "
              f"he_normal {np.nanmean(h.test_accuracy[rand, -1]):.2f} "
              f"({int(h.conv_metrics['distinct_neurons'][rand, -1].min())} distinct)")
        if no_torch:
            continue
        # 1 thread too: on a busy 2-core machine torch's OpenMP threads wait on each other
        # (measured: a conv backward step 16 ms on 1 thread, 1.2 s on 2 at load 7)
        for threads in (2, 1):
            t_torch = torch_conv_time(cfg, threads)
            if t_torch is None:
                print("  PyTorch not installed: pip install torch to compare")
                break
            print(f"  PyTorch (CPU, float64, {threads} thread{'s' * (threads > 1)}), same "
                  f"training: {t_torch:.2f} s; ratio numpy / torch = {t_conv / t_torch:.2f}")


def sized(settings: dict, smoke: bool) -> dict:
    """``settings``, with :data:`SMOKE_SIZES` when ``smoke``."""
    return {**settings, **SMOKE_SIZES} if smoke else settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small comparison only")
    ap.add_argument("--conv", action="store_true", help="conv comparison only")
    ap.add_argument("--floor", action="store_true",
                    help="the standard comparison (2 threads, 1 thread) against its floor only")
    ap.add_argument("--no-torch", action="store_true",
                    help="skip the PyTorch comparison (by default it runs if torch is installed)")
    ap.add_argument("--smoke", action="store_true",
                    help="every part at the smallest size, timed once, without PyTorch "
                         "(as the test suite runs it)")
    args = ap.parse_args()
    no_torch = args.no_torch or args.smoke

    if args.conv:
        conv_comparison(no_torch, args.smoke)
        return
    std = Config.from_dict(sized(STANDARD, args.smoke))
    if args.floor:
        repeat = 1 if args.smoke else 2
        train_comparison(std)  # warm up
        floor_comparison(std, timed(std, repeat=repeat)[0],
                         *timed_one_thread(std, repeat=repeat))
        return
    small = Config.from_dict(sized(SMALL, args.smoke))
    train_comparison(small)  # warm up imports and caches
    t_small, _ = timed(small, repeat=1 if args.smoke else 5)
    print(f"small comparison   {list(small.hidden)} x {small.n_runs} runs x {small.epochs} "
          f"epochs:   {t_small:.3f} s (target < 0.3 s)")
    if args.quick:
        return
    t_std, res = timed(std)
    print(f"standard comparison {list(std.hidden)} x {std.n_runs} runs x {std.epochs} epochs: "
          f"{t_std:.2f} s (stacked, 2 threads)")
    t_one, cpu_one = timed_one_thread(std)
    print(f"  same, stacked, 1 thread:                          {t_one:.2f} s")
    floor_comparison(std, t_std, t_one, cpu_one)
    t_seq = sequential(std)
    print(f"  same {std.n_runs} runs one after another (1 thread each):    {t_seq:.2f} s")
    print(f"  peak memory (traced numpy allocations):            {peak_memory(std):.1f} MB")
    h = res.history
    zero, rand = res.run_indices(0), res.run_indices(1)
    print(f"  final train loss zeros {np.nanmean(h.train_loss[zero, -1]):.4f}, "
          f"xavier {np.nanmean(h.train_loss[rand, -1]):.4f}")
    if not no_torch:
        t_torch = torch_time(STANDARD)
        if t_torch is None:
            print("  PyTorch not installed: pip install torch to compare")
        else:
            print(f"  PyTorch (CPU, float64, 2 threads), same training:  {t_torch:.2f} s; "
                  f"ratio numpy / torch = {t_std / t_torch:.2f}")
    conv_comparison(no_torch, args.smoke)


if __name__ == "__main__":
    main()
