"""The command line: python -m sim run / presets / schemes."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from sim.cli import main, parse_init


def _run(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          timeout=120)


def test_run_writes_config_metrics_and_weights(tmp_path):
    """`run --out DIR` writes config.json, metrics.csv and weights.npz that match the run."""
    p = _run("run", "--dataset", "toy", "--hidden", "2", "--activation", "sigmoid",
             "--epochs", "30", "--init", "zeros", "--init", "normal:std=1", "--seeds", "2",
             "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "distinct neurons" in p.stdout and "1/2" in p.stdout and "2/2" in p.stdout
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["hidden"] == [2] and [s["scheme"] for s in cfg["inits"]] == ["zeros", "normal"]
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["run", "init", "seed", "epoch", "layer", "metric", "value"]
    metrics = {r["metric"] for r in rows}
    assert {"train_loss", "test_loss", "grad_norm", "dead_units", "distinct_neurons", "rank",
            "effective_rank", "symmetry_gap"} <= metrics
    distinct = [r for r in rows if r["metric"] == "distinct_neurons" and r["epoch"] == "30"]
    assert sorted((r["run"], r["value"]) for r in distinct) == [
        ("0", "1"), ("1", "1"), ("2", "2"), ("3", "2")]
    z = np.load(tmp_path / "weights.npz")
    assert z["W1"].shape[:1] == (4,) and z["W1"].shape[2:] == (2, 3)
    assert z["snapshot_epochs"][-1] == 30


def test_metrics_csv_numbers_equal_history(tmp_path):
    """The CSV's loss values are the history's numbers, exactly."""
    from sim.config import Config
    from sim.export import metrics_csv
    from sim.train import train_comparison

    res = train_comparison(Config.from_dict({"epochs": 12}))
    rows = list(csv.DictReader(metrics_csv(res).splitlines()))
    got = {(int(r["run"]), int(r["epoch"])): float(r["value"]) for r in rows
           if r["metric"] == "train_loss"}
    for (r, e), v in got.items():
        assert v == res.history.train_loss[r, e]
    assert len(got) == 2 * 13


@pytest.mark.parametrize("args,message", [
    (["run", "--lr", "0"], "lr (learning rate) must be a number > 0"),
    (["run", "--hidden", "8,,x"], "layer 2 is empty"),
    (["run", "--hidden", "0"], "hidden layer 1 must be an integer between 1"),
    (["run", "--init", "foo"], "Unknown initializer 'foo'"),
    (["run", "--init", "normal:std"], "expected key=value"),
    (["run", "--activation", "swish"], "invalid choice"),
    (["run", "--bogus"], "unrecognized arguments"),
    (["run", "--config", "/nonexistent.json"], "the file cannot be read"),
    (["run", "--epochs", "1e9"], "epochs must be an integer"),
    (["run", "--dataset", "toy", "--loss", "ce"], "does not fit the toy dataset"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    """Bad flags and values: exit code 2 and a one-line message on stderr, no traceback."""
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert "\n" not in err and "Traceback" not in err


def test_bad_config_file_exits_2(tmp_path, capsys):
    """A config file that is not JSON, or has an unknown key, is refused in one line."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["run", "--config", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    bad.write_text(json.dumps({"hidden": [4], "colour": "red"}))
    assert main(["run", "--config", str(bad)]) == 2
    assert "Unknown configuration key 'colour'" in capsys.readouterr().err


def test_config_file_then_flags_override(tmp_path, capsys):
    """Flags override the config file, which overrides the preset."""
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"hidden": [3], "epochs": 7, "activation": "relu"}))
    assert main(["run", "--preset", "lesson", "--config", str(f), "--epochs", "5",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cfg = out["config"]
    assert cfg["epochs"] == 5 and cfg["hidden"] == [3] and cfg["activation"] == "relu"
    assert cfg["dataset"] == "circles"  # from the preset


def test_preset_flag_runs_the_preset(capsys):
    """--preset classic runs the 3-2-1 example."""
    assert main(["run", "--preset", "classic", "--epochs", "20", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["hidden"] == [2] and out["config"]["dataset"] == "toy"
    assert [r["distinct_neurons"] for r in out["runs"]] == [[1], [2]]


def test_parse_init_syntax():
    """NAME:key=value,... with scale, bias and bias.PARAM keys."""
    spec = parse_init("zeros:bias=normal,bias.std=0.5,scale=2")
    assert spec == {"scheme": "zeros", "params": {}, "bias": "normal",
                    "bias_params": {"std": "0.5"}, "scale": "2"}
    assert parse_init("he_normal:mode=fan_out")["params"] == {"mode": "fan_out"}


def test_bias_init_and_scale_apply_to_inits_without_their_own(capsys):
    """--bias-init and --init-scale fill in for every --init that does not set them."""
    assert main(["run", "--epochs", "2", "--init", "zeros", "--init", "normal:scale=1",
                 "--bias-init", "constant:value=0.2", "--init-scale", "3", "--json"]) == 0
    inits = json.loads(capsys.readouterr().out)["config"]["inits"]
    assert inits[0]["scale"] == 3.0 and inits[1]["scale"] == 1.0
    assert inits[0]["bias"] == inits[1]["bias"] == "constant"
    assert inits[0]["bias_params"] == {"value": 0.2}


def test_help_documents_every_flag():
    """--help lists every flag the issue names."""
    p = _run("run", "--help")
    assert p.returncode == 0
    for flag in ["--dataset", "--samples", "--noise", "--hidden", "--activation", "--loss",
                 "--init", "--bias-init", "--init-scale", "--optimizer", "--lr", "--epochs",
                 "--batch-size", "--l2", "--dropout", "--seeds", "--seed", "--dtype",
                 "--config", "--out", "--preset", "--quiet"]:
        assert flag in p.stdout


def test_presets_and_schemes_list(capsys):
    """`presets` and `schemes` list the names users can pass."""
    assert main(["presets"]) == 0
    assert "deep_relu" in capsys.readouterr().out
    assert main(["schemes"]) == 0
    out = capsys.readouterr().out
    assert "xavier_uniform" in out and "glorot_uniform" in out and "gelu" in out


def test_export_writes_data_and_interactive_html(tmp_path):
    """`export --format csv,json,npz,html` writes the data files and one offline HTML."""
    p = _run("export", "--epochs", "20", "--out", str(tmp_path), "--format",
             "csv,json,npz,html")
    assert p.returncode == 0, p.stderr
    names = {f.name for f in tmp_path.iterdir()}
    assert {"metrics.csv", "config.json", "weights.npz", "charts.html"} <= names
    html = (tmp_path / "charts.html").read_text()
    assert "Loss" in html and html.count("plotly.js v") <= 2


def test_export_png_uses_the_dashboard_file_names(tmp_path):
    """`export --format png` renders every chart to a PNG named chart-init-hash.png."""
    import os

    from sim.export import static_export_available

    ok, message = static_export_available()
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must export PNG: {message}")
        pytest.skip(message)
    p = _run("export", "--epochs", "10", "--out", str(tmp_path), "--format", "png")
    assert p.returncode == 0, p.stderr
    pngs = sorted(tmp_path.glob("*.png"))
    assert any(f.name.startswith("loss_overlay-") for f in pngs)
    assert all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in pngs)


def test_export_bad_format_exits_2(capsys):
    """An unknown export format is refused in one line."""
    assert main(["export", "--out", "/tmp/x", "--format", "png,gif"]) == 2
    assert "unknown format 'gif'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "export"])
def test_out_that_is_a_file_exits_2(tmp_path, capsys, command):
    """--out naming a file (not a folder) is refused in one line before training."""
    f = tmp_path / "afile"
    f.write_text("x")
    args = [command, "--epochs", "2", "--out", str(f)]
    if command == "export":
        args += ["--format", "csv"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "it is a file, not a folder" in err and "\n" not in err


@pytest.mark.parametrize("content,message", [
    (b'{"lr": 0.1, "lr": 0.2}', "gives the key 'lr' twice"),
    (b"[" * 100_000, "nested 100000 levels deep"),
    (b'{"epochs": ' + b"9" * 5000 + b"}", "epochs must be an integer between 1 and 100000"),
    (b'{"n_samples": 1' + b"0" * 400 + b"}", "n_samples must be an integer between 4"),
    (b'{"lr": NaN}', "NaN is not a JSON number"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
    (b'{"inits": [{"scheme": "uniform", "params": {"a": -1e308, "b": 1e308}}]}',
     "parameter 'a' must be a number >= -1e+06"),
])
def test_config_file_refusals_are_one_line(tmp_path, capsys, content, message):
    """--config reads through the same JSON reader as uploads: duplicates, depth, huge
    numbers, NaN and bytes that are not UTF-8 are each one line naming the file."""
    path = tmp_path / "exp.json"
    path.write_bytes(content)
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and f"--config {path}" in err
    assert len(err) < 400


def test_config_file_is_read_only_up_to_the_limit(tmp_path, capsys):
    """A 1.2 GB file (sparse) and /dev/zero are refused after reading at most 1 MB."""
    import tracemalloc

    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(1_200_000_000)
    for source in (str(big), "/dev/zero"):
        tracemalloc.start()
        code = main(["run", "--config", source])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        err = capsys.readouterr().err
        assert code == 2 and "a configuration file may be at most 1 MB" in err
        assert peak < 5_000_000, peak
