"""Sweeps: the grid's syntax, the cells, the batches, the results file, resuming, executors."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from sim.config import Config, ConfigError
from sim.initializers import initialize
from sim.sweep import (
    Sweep,
    SweepError,
    Target,
    parse_axis,
    parse_values,
    read_results,
    run_sweep,
)
from sim.sweep.execute import rows_of
from sim.sweep.grid import Axis, apply, batches
from sim.sweep.results import RUN_COLUMNS, columns, to_csv

BASE = {"dataset": "moons", "n_samples": 64, "activation": "tanh", "hidden": [8],
        "inits": [{"scheme": "lecun_normal"}], "epochs": 30, "seeds": 2, "snapshots": 2}


def small_sweep(**base) -> Sweep:
    return Sweep(Config.from_dict({**BASE, **base}),
                 (parse_axis("init.scale=0.5,1.5"), parse_axis("depth=1,3")))


def without_seconds(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


# ---------------------------------------------------------------------- grid syntax
@pytest.mark.parametrize(("text", "field", "expected"), [
    ("2,5,10", "depth", [2, 5, 10]),
    ("lin:0.5:2.5:5", "init.scale", [0.5, 1.0, 1.5, 2.0, 2.5]),
    ("geom:0.01:1:3", "lr", [0.01, 0.1, 1.0]),
    ("geom:2:64:6", "depth", [2, 4, 8, 16, 32, 64]),
    ("lin:1:2:5", "depth", [1, 2]),  # whole-number fields round and drop repeats
    ("tanh,relu", "activation", ["tanh", "relu"]),
    ("8,8;16,16", "hidden", ["8,8", "16,16"]),
])
def test_parse_values(text, field, expected):
    """Lists, lin: and geom: give the documented values (geom's ends exact)."""
    assert parse_values(text, field) == pytest.approx(expected) if field != "activation" \
        else parse_values(text, field) == expected


@pytest.mark.parametrize("text", ["depth=", "depth", "lin:0:1", "nope=1,2", "depth=1,1",
                                  "lr=geom:0:1:3", "lr=lin:0:1:0", "lr=lin:a:b:3"])
def test_bad_axis_is_refused(text):
    """A bad --grid axis is a SweepError (a ConfigError) with a message, not a traceback."""
    with pytest.raises(ConfigError, match="grid"):
        parse_axis(text)


def test_target():
    """1% is relative to the initial loss, 0.05 absolute; 0 and text are refused."""
    assert Target.parse("1%").threshold(0.7) == pytest.approx(0.007)
    assert Target.parse("0.05").threshold(0.7) == 0.05
    for bad in ("0", "-1%", "abc", "1%%"):
        with pytest.raises(SweepError):
            Target.parse(bad)


# ---------------------------------------------------------------------- cells
def test_apply_depth_width_and_inits():
    """depth and width set hidden = [width] * depth; init.* fields set every init."""
    base = Config.from_dict({**BASE, "inits": [{"scheme": "zeros"},
                                               {"scheme": "normal"}]}).to_dict()
    d = apply(base, {"depth": 3, "width": 5, "init.scale": 2.0, "init.std": 0.3,
                     "init.bias": "normal", "init.bias.std": 0.1})
    assert d["hidden"] == [5, 5, 5]
    cfg = Config.from_dict(d)
    assert [s.scale for s in cfg.inits] == [2.0, 2.0]
    assert cfg.inits[1].params["std"] == 0.3
    assert all(s.bias == "normal" and s.bias_params["std"] == 0.1 for s in cfg.inits)


@pytest.mark.parametrize("scheme", ["lecun_normal", "he_normal"])
def test_sigma_w2_sets_the_weight_variance(scheme):
    """sigma_w2 = v gives Var(W) = v / fan_in (empirically, on a large matrix)."""
    d = apply(Config.from_dict({**BASE, "inits": [{"scheme": scheme}]}).to_dict(),
              {"sigma_w2": 1.7, "sigma_b2": 0.05})
    spec = Config.from_dict(d).inits[0]
    fan_in = 400
    w = initialize(spec.scheme, (400, fan_in), np.random.default_rng(0), **spec.params)
    assert np.var(w * spec.scale) * fan_in == pytest.approx(1.7, rel=0.02)
    assert spec.bias == "normal" and spec.bias_params["std"] == pytest.approx(0.05 ** 0.5)


def test_sigma_w2_needs_a_fan_in_init():
    """sigma_w2 with an init that is not fan-in scaled names the init."""
    s = Sweep(Config.from_dict({**BASE, "inits": [{"scheme": "xavier_uniform"}]}),
              (Axis("sigma_w2", (1.0,)),))
    with pytest.raises(SweepError, match="cell 0 .*fan-in"):
        s.cells()


def test_a_bad_cell_is_named():
    """Each cell is checked as a configuration; the message names the cell and its values."""
    s = Sweep(Config.from_dict(BASE), (parse_axis("lr=0.1,-1"),))
    with pytest.raises(SweepError, match=r"cell 1 \(lr=-1\): .*lr"):
        s.cells()


def test_cells_first_axis_slowest():
    """Cell k is the k-th combination, the first axis varying slowest."""
    cells = small_sweep().cells()
    assert [c.values for c in cells] == [{"init.scale": 0.5, "depth": 1},
                                         {"init.scale": 0.5, "depth": 3},
                                         {"init.scale": 1.5, "depth": 1},
                                         {"init.scale": 1.5, "depth": 3}]


def test_batches_stack_cells_of_one_architecture():
    """Cells that differ only in their inits share a batch; other cells do not."""
    bs = batches(small_sweep().cells())
    assert sorted(tuple(c.index for c in b.cells) for b in bs) == [(0, 2), (1, 3)]
    assert all(len(b.config.inits) == 2 for b in bs)
    assert len(batches(small_sweep().cells(), stack=False)) == 4


def test_stacking_does_not_change_the_numbers():
    """A cell trained in a batch gets bit for bit the rows it gets alone."""
    s = small_sweep()
    assert without_seconds(run_sweep(s)) == without_seconds(run_sweep(s, stack=False))


def test_sweep_json_round_trip(tmp_path):
    """sweep.json holds the base and the grid, and reads back to the same sweep."""
    s = small_sweep()
    again = Sweep.from_dict(json.loads(s.to_json()))
    assert again == s
    with pytest.raises(SweepError, match="unknown key"):
        Sweep.from_dict({**s.to_dict(), "extra": 1})


# ---------------------------------------------------------------------- rows
def test_rows_of_match_the_history():
    """Each row's numbers are the run's history: final losses, target epoch, metrics."""
    from sim.train import train_comparison

    cfg = Config.from_dict({**BASE, "epochs": 60})
    result = train_comparison(cfg)
    target = Target("50%")
    rows = rows_of(result, [{"cell": 7, "values": {"lr": 0.5}, "inits": ["lecun_normal"]}],
                   target)
    h = result.history
    for r, row in enumerate(rows):
        assert row["cell"] == 7 and row["lr"] == 0.5 and row["seed"] == r
        assert row["train_loss"] == h.train_loss[r, -1]
        assert row["initial_loss"] == h.train_loss[r, 0]
        reached = np.flatnonzero(h.train_loss[r] <= 0.5 * h.train_loss[r, 0])
        assert row["epochs_to_target"] == (int(reached[0]) if reached.size else None)
        assert row["distinct_last"] == int(h.metrics["distinct_neurons"][r, -1, -1])
        assert row["constant_at_init"] == 0


def test_dead_relu_network_is_constant_at_init():
    """Zero weights and ReLU: the output is the same for every input (constant_at_init 1)."""
    from sim.train import train_comparison

    cfg = Config.from_dict({**BASE, "activation": "relu", "inits": [{"scheme": "zeros"}],
                            "seeds": 1})
    row, = rows_of(train_comparison(cfg), [{"cell": 0, "values": {}, "inits": ["zeros"]}],
                   Target())
    assert row["constant_at_init"] == 1
    assert row["distinct_last"] == 0  # dead units are not counted as distinct neurons


def test_a_diverged_run_has_no_final_loss():
    """A run that diverged records the epoch; its final losses and accuracy are empty."""
    from sim.train import train_comparison

    cfg = Config.from_dict({**BASE, "activation": "relu", "loss": "mse", "lr": 50,
                            "seeds": 1})
    row, = rows_of(train_comparison(cfg), [{"cell": 0, "values": {}, "inits": ["n"]}],
                   Target())
    assert row["diverged_at"] is not None
    assert row["train_loss"] is None and row["test_accuracy"] is None


# ---------------------------------------------------------------------- the file
def test_results_file_reads_back_exactly(tmp_path):
    """results.csv has the documented columns and reads back to the same rows."""
    s = small_sweep()
    rows = run_sweep(s, out=tmp_path)
    with open(tmp_path / "results.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == columns(["init.scale", "depth"])
    assert header[-len(RUN_COLUMNS):] == list(RUN_COLUMNS)
    assert read_results(tmp_path / "results.csv") == rows
    assert len(rows) == 4 * 2  # cells x (inits x seeds)
    assert json.loads((tmp_path / "sweep.json").read_text())["grid"][1] == {
        "field": "depth", "values": [1, 3]}


@pytest.mark.parametrize(("data", "match"), [
    (b"a,b\n1,2\n", "not a sweep"),
    (b"", "not a sweep"),
    (b"\xff\xfe\x00", "UTF-8"),
])
def test_a_file_that_is_not_results_is_refused(data, match):
    """read_results refuses other files with a ValueError that says why."""
    with pytest.raises(ValueError, match=match):
        read_results(data)


def test_a_bad_number_names_the_line():
    """A number that is not one is refused with its line and column."""
    text = to_csv([], ["depth"]) + "0,2,x,0" + ",1" * (len(RUN_COLUMNS) - 2) + "\n"
    text = text.replace(",1\n", ",oops\n")
    with pytest.raises(ValueError, match="line 2: column seconds"):
        read_results(text.encode())


def test_resume_skips_finished_cells_and_gives_the_same_file(tmp_path):
    """Interrupted after its first batch, the same sweep goes on from the finished cells, and
    its final file equals an uninterrupted sweep's (seconds aside)."""
    s = small_sweep()
    calls = []

    def stop_after_first(done, total):
        calls.append(done)
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(s, out=tmp_path / "a", progress=stop_after_first)
    kept = read_results(tmp_path / "a")
    assert {r["cell"] for r in kept} == {0, 2}  # the first batch: cells 0 and 2
    starts = []
    rows = run_sweep(s, out=tmp_path / "a", progress=lambda d, t: starts.append(d))
    assert starts[0] == 2  # two cells were already done
    full = run_sweep(s, out=tmp_path / "b")
    assert without_seconds(rows) == without_seconds(full)
    a, b = (read_results(tmp_path / x) for x in "ab")
    assert without_seconds(a) == without_seconds(b)


def test_a_cut_off_last_line_is_dropped_on_resume(tmp_path):
    """A line cut off by a crash is dropped and its cell trained again."""
    s = small_sweep()
    run_sweep(s, out=tmp_path)
    path = tmp_path / "results.csv"
    text = path.read_text()
    path.write_text(text[: len(text) - 20])  # the last row loses its end
    rows = run_sweep(s, out=tmp_path)
    assert len(rows) == 8 and read_results(path) == rows


def test_a_folder_of_another_sweep_is_refused(tmp_path):
    """--out DIR holding another sweep's files is refused before any training."""
    run_sweep(small_sweep(), out=tmp_path)
    with pytest.raises(SweepError, match="another sweep"):
        run_sweep(small_sweep(epochs=31), out=tmp_path)


# ---------------------------------------------------------------------- executors
def _files_without_seconds(path) -> list[list[str]]:
    with open(path / "results.csv", newline="") as f:
        return [r[:-1] for r in csv.reader(io.StringIO(f.read()))]


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_executors_write_the_same_files(tmp_path, executor):
    """The local process pool and a Dask LocalCluster write the serial run's files (every
    column but seconds, bit for bit)."""
    if executor == "dask":
        pytest.importorskip("distributed")
    s = small_sweep()
    run_sweep(s, out=tmp_path / "serial")
    run_sweep(s, out=tmp_path / executor, executor=executor, workers=2)
    assert _files_without_seconds(tmp_path / executor) == \
        _files_without_seconds(tmp_path / "serial")
    assert (tmp_path / executor / "sweep.json").read_text() == \
        (tmp_path / "serial" / "sweep.json").read_text()


# ---------------------------------------------------------------------- presets
def test_presets_are_valid_and_small_maps_are_quick():
    """Every sweep preset's cells are valid, and its small version is estimated at most 10 s
    on one core."""
    from sim.sweep import estimate
    from sim.sweep.presets import SWEEP_PRESETS

    for p in SWEEP_PRESETS.values():
        assert len(p.sweep().cells()) == p.sweep().n_cells
        seconds, cells, _ = estimate(p.small())
        assert seconds <= 10, (p.name, seconds)


def _sigint_blocked(queue) -> None:  # in a spawned child: its mask as it started
    import signal

    queue.put(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_workers_start_with_ctrl_c_blocked_and_the_parent_keeps_its_own():
    """A worker process started inside a submit begins with SIGINT blocked, so a Ctrl-C
    during its start-up cannot print a traceback from spawn_main (seen in CI under load); the
    parent's mask is restored after the submit and a Ctrl-C that came during it still reaches
    the parent; the worker's initializer ignores SIGINT and unblocks it."""
    import multiprocessing
    import os
    import signal
    import time

    from sim.sweep.execute import _ignore_sigint, _spawning

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()

    def start(task):
        p = ctx.Process(target=_sigint_blocked, args=(queue,))
        p.start()
        return p

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    child = _spawning(start)(None)
    assert queue.get(timeout=60) is True
    child.join(60)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before

    got = []
    previous = signal.signal(signal.SIGINT, lambda *_: got.append("SIGINT"))
    try:
        def interrupted(task):
            os.kill(os.getpid(), signal.SIGINT)
            return task
        assert _spawning(interrupted)("task") == "task"
        for _ in range(100):  # another thread may take it; the handler runs in this one
            if got:
                break
            time.sleep(0.01)
        assert got == ["SIGINT"]  # reached the parent: none lost
    finally:
        signal.signal(signal.SIGINT, previous)

    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # as a worker starts
    previous = signal.getsignal(signal.SIGINT)
    try:
        _ignore_sigint()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
