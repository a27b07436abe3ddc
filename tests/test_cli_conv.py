"""The command line with conv layers: --conv, --pool, --image-size, their one-line refusals,
the summary's filters beside the neurons, and the files they write."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sim.cli import _build_parser, config_from_args, main

SMALL = ["--dataset", "bars", "--samples", "64", "--image-size", "8", "--epochs", "5",
         "--snapshots", "3", "--quiet"]


@pytest.mark.parametrize("flags,conv,pool,size", [
    (["--conv", "8x3"], ((8, 3),), 0, 12),
    (["--conv", "8x3,16x3"], ((8, 3), (16, 3)), 0, 12),
    (["--conv", "8x3, 16x5", "--pool", "2"], ((8, 3), (16, 5)), 2, 12),
    (["--conv", "4X3", "--pool", "2", "--image-size", "16"], ((4, 3),), 2, 16),
    (["--image-size", "16"], (), 0, 16),
])
def test_conv_flags_parse(flags, conv, pool, size):
    args = _build_parser().parse_args(["run", "--dataset", "bars", *flags])
    cfg = config_from_args(args)
    assert (cfg.conv, cfg.pool, cfg.image_size) == (conv, pool, size)


@pytest.mark.parametrize("args,message", [
    (["--dataset", "bars", "--conv", "8x"], "conv layer 1 must be filters x kernel size"),
    (["--dataset", "bars", "--conv", "0x3"], "conv layer 1: filters must be an integer between"),
    (["--dataset", "bars", "--conv", "8x0"], "conv layer 1: kernel size must be an integer"),
    (["--dataset", "bars", "--conv", "8x3,"], "conv layer 2 must be filters x kernel size"),
    (["--conv", "8x3", "--dataset", "moons"], "conv layers need an image dataset"),
    (["--conv", "8x3"], "conv layers need an image dataset"),  # moons by default
    (["--dataset", "bars", "--pool", "2"], "pool 2 applies after conv layers"),
    (["--dataset", "bars", "--conv", "8x3", "--pool", "9"], "pool must be an integer between"),
    (["--dataset", "bars", "--conv", "8x3,8x3", "--pool", "3", "--image-size", "6"],
     "too small for 3x3 pooling"),
    (["--dataset", "bars", "--image-size", "5"], "image_size must be an integer between 6"),
])
def test_bad_conv_specs_exit_2_with_one_line(capsys, args, message):
    assert main(["run", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    assert err.startswith("python -m sim run: ")
    assert "\n" not in err and "Traceback" not in err


def test_a_bad_conv_spec_from_the_shell_is_one_line():
    """The real program: exit code 2, one line on stderr, nothing on stdout."""
    p = subprocess.run([sys.executable, "-m", "sim", "run", "--dataset", "bars", "--conv", "8x"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "conv layer 1 must be" in p.stderr


def test_summary_shows_filters_then_neurons(capsys):
    """The table's per-layer cells: each conv layer's filters, ' | ', the dense layers."""
    assert main(["run", *SMALL, "--conv", "4x3,3x3", "--pool", "2", "--hidden", "5",
                 "--init", "zeros", "--init", "he_normal"]) == 0
    out = capsys.readouterr().out
    head, _, _, _, zeros, random = out.splitlines()[:6]
    assert head.startswith("bars, layers conv 4x3,3x3 pool 2 then [12, 5, 4], tanh")
    assert "distinct filters | neurons / width" in out
    assert "0/4 0/3 | 0/5" in zeros and "4 3 | 5" in zeros  # tanh: every filter dead
    assert "4/4 3/3 | 5/5" in random and "0 0 | 0" in random


def test_json_summary_lists_filters_per_conv_layer(capsys):
    assert main(["run", *SMALL, "--conv", "4x3", "--hidden", "5,5", "--init", "zeros",
                 "--init", "he_normal", "--activation", "sigmoid", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert runs[0]["distinct_filters"] == [1] and runs[0]["dead_filters"] == [0]
    assert runs[1]["distinct_filters"] == [4] and runs[0]["conv_filters"] == [4]
    assert runs[0]["distinct_neurons"] == [1, 1] and runs[0]["layer_widths"] == [5, 5]
    assert len(runs[1]["filter_effective_rank"]) == 1


def test_dense_summary_is_unchanged(capsys):
    """Without conv layers: no filter columns or keys."""
    assert main(["run", "--epochs", "3", "--quiet", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert set(runs[0]) == {"run", "init", "seed", "train_loss", "test_loss", "test_accuracy",
                            "distinct_neurons", "dead_units", "effective_rank", "layer_widths",
                            "diverged_at"}
    assert main(["run", "--epochs", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("moons, layers [2, 8, 8, 1], tanh")
    assert "distinct neurons / width" in out and "filters" not in out


def test_run_out_writes_conv_files(tmp_path, capsys):
    """--out with conv layers: config.json with conv and pool, metrics.csv with layers 1..3,
    weights.npz with the filters."""
    assert main(["run", *SMALL, "--conv", "4x3", "--pool", "2", "--hidden", "5",
                 "--out", str(tmp_path)]) == 0
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["conv"] == [[4, 3]] and cfg["pool"] == 2 and cfg["image_size"] == 8
    layers = {line.split(",")[4] for line in (tmp_path / "metrics.csv").read_text().splitlines()
              if ",distinct_neurons," in line}
    assert layers == {"1", "2"}
    z = np.load(tmp_path / "weights.npz")
    assert z["conv_W1"].shape == (2, 3, 4, 1, 3, 3) and z["W1"].shape == (2, 3, 5, 4 * 4 * 4)
    # the config file runs again to the same files
    out2 = tmp_path / "again"
    assert main(["run", "--config", str(tmp_path / "config.json"), "--quiet",
                 "--out", str(out2)]) == 0
    assert (out2 / "metrics.csv").read_bytes() == (tmp_path / "metrics.csv").read_bytes()
