"""``python -m sim sweep``: flags, the estimate and its confirmation, resuming, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.sweep import read_results

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--dataset", "moons", "--samples", "64", "--activation", "tanh",
         "--init", "lecun_normal", "--width", "8", "--epochs", "20", "--seeds", "2",
         "--snapshots", "2", "--grid", "init.scale=0.5,1.5", "--grid", "depth=1,2"]


def sweep(tmp_path, *extra, out="out"):
    return main(["sweep", *SMALL, "--out", str(tmp_path / out), "--executor", "serial",
                 *extra])


def test_sweep_writes_results_and_prints_a_map(tmp_path, capsys):
    """A sweep writes sweep.json and results.csv and prints the first two axes as a table."""
    assert sweep(tmp_path, "-q") == 0
    out = capsys.readouterr().out
    rows = read_results(tmp_path / "out" / "results.csv")
    assert len(rows) == 4 * 2
    assert "wrote" in out and "mean test accuracy (depth down, init.scale across)" in out
    assert (tmp_path / "out" / "sweep.json").exists()


def test_the_issue_example_parses(tmp_path):
    """The issue's command line describes 9 x 5 cells of [32] x depth hidden layers."""
    from sim.cli import _build_parser
    from sim.sweep.cli import sweep_from_args

    args = _build_parser().parse_args([
        "sweep", "--dataset", "moons", "--activation", "tanh", "--init", "lecun_normal",
        "--grid", "init.scale=lin:0.5:2.5:9", "--grid", "depth=2,5,10,20,40", "--width", "32",
        "--seeds", "3", "--epochs", "300", "--out", str(tmp_path)])
    s = sweep_from_args(args)
    cells = s.cells()
    assert len(cells) == 45
    assert cells[-1].config.hidden == (32,) * 40 and cells[-1].config.inits[0].scale == 2.5
    assert cells[0].config.seeds == 3


def test_rerun_skips_finished_cells(tmp_path, capsys):
    """The same command again trains nothing and says so; the file is unchanged."""
    assert sweep(tmp_path) == 0
    first = (tmp_path / "out" / "results.csv").read_text()
    capsys.readouterr()
    assert sweep(tmp_path) == 0
    err = capsys.readouterr().err
    assert "4 cells (4 already in" in err and "0 to train" in err
    assert (tmp_path / "out" / "results.csv").read_text() == first


@pytest.mark.parametrize(("extra", "message"), [
    (["--grid", "nope=1,2"], "unknown field 'nope'"),
    (["--grid", "lr=0.1,-1"], "cell 1 (init.scale=0.5, depth=1, lr=-1): lr"),
    (["--target", "zero"], "target must be"),
    (["--workers", "0"], "--workers must be at least 1"),
])
def test_bad_input_is_one_line(tmp_path, capsys, extra, message):
    """Bad flags end with exit code 2 and one line naming the problem, before training."""
    assert sweep(tmp_path, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1 and err.startswith("python -m sim sweep")
    assert not (tmp_path / "out" / "results.csv").exists()


def test_a_long_sweep_needs_yes(tmp_path, capsys, monkeypatch):
    """A sweep estimated over the confirmation limit runs only with --yes."""
    monkeypatch.setattr("sim.sweep.cli.CONFIRM_SECONDS", 0.0)
    assert sweep(tmp_path) == 2
    assert "add --yes to start it" in capsys.readouterr().err
    assert sweep(tmp_path, "--yes") == 0


def test_a_sweep_file_repeats_the_sweep(tmp_path):
    """--sweep DIR/sweep.json (with no other flags) runs the same sweep: the same rows."""
    assert sweep(tmp_path) == 0
    assert main(["sweep", "--sweep", str(tmp_path / "out" / "sweep.json"), "--out",
                 str(tmp_path / "again"), "--executor", "serial", "-q"]) == 0
    strip = [{k: v for k, v in r.items() if k != "seconds"}
             for r in read_results(tmp_path / "again")]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"}
                     for r in read_results(tmp_path / "out")]


def test_presets_lists_the_sweeps(capsys):
    """`presets` lists the sweep presets too."""
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in ("edge_of_chaos", "saxe_linear", "dying_relu"):
        assert name in out


def test_open_starts_the_dashboard_on_the_folder(tmp_path):
    """--open's command runs this project's dashboard with --sweep DIR."""
    from sim.sweep.cli import dashboard_command

    cmd = dashboard_command(tmp_path)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and Path(cmd[4]) == ROOT / "dashboard.py"
    assert cmd[-2:] == ["--sweep", str(tmp_path.resolve())]


def test_ctrl_c_keeps_finished_cells_and_the_rerun_finishes(tmp_path):
    """Ctrl-C (SIGINT) during a local-process sweep exits 130 with one line; results.csv
    keeps the finished cells, and the same command completes the sweep."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "sweep", "--dataset", "moons", "--samples", "128",
           "--activation", "tanh", "--init", "lecun_normal", "--width", "16",
           "--epochs", "150", "--snapshots", "2", "--grid", "depth=1,2,3,4,5,6,7,8",
           "--grid", "lr=0.1,0.2,0.3", "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    csv = out / "results.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if csv.exists() and len(csv.read_text().splitlines()) > 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Error" not in err, err
    last = err.strip().splitlines()[-1]
    assert "interrupted;" in last and "run the same command again to go on" in last
    kept = read_results(csv)
    assert 0 < len({r["cell"] for r in kept}) < 24
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len({r["cell"] for r in read_results(csv)}) == 24
