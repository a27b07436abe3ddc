"""Configuration validation: every rule gives a message naming the field."""

import importlib.util
import json
import re
from pathlib import Path

import pytest

import sim.config
from sim.config import MAX_BYTES, MAX_SECONDS, Config, ConfigError, estimate_cost, parse_hidden
from sim.presets import PRESETS


@pytest.mark.parametrize("changes,words", [
    ({"hidden": [0]}, ["hidden layer 1", "between 1 and"]),
    ({"hidden": [8, -3]}, ["hidden layer 2", "-3"]),
    ({"hidden": "8,,x"}, ["hidden", "layer 2 is empty"]),
    ({"hidden": "8, x"}, ["hidden layer 2", "'x'"]),
    ({"hidden": [8.5]}, ["hidden layer 1", "integer"]),
    ({"hidden": [4096]}, ["hidden layer 1", "2048"]),
    ({"hidden": [2] * 65}, ["hidden", "at most 64 layers"]),
    ({"hidden": 12}, ["hidden", "list of layer sizes"]),
    ({"hidden": []}, ["hidden", "at least one hidden layer"]),
    ({"hidden": " "}, ["hidden", "at least one hidden layer"]),
    ({"activation": "softsign"}, ["activation", "sigmoid, tanh, relu"]),
    ({"inits": [{"scheme": "glorious"}]}, ["init 1", "Unknown initializer", "xavier_uniform"]),
    ({"inits": [{"scheme": "normal", "params": {"std": -1}}]}, ["init 1", "std", ">= 0"]),
    ({"inits": [{"scheme": "zeros", "scale": -1}]}, ["init 1 scale", ">= 0"]),
    ({"inits": [{"scheme": "zeros", "colour": 1}]}, ["init 1", "unknown key 'colour'"]),
    ({"inits": []}, ["inits", "1 to 8"]),
    ({"lr": 0}, ["lr", "> 0"]),
    ({"lr": -1}, ["lr", "> 0"]),
    ({"lr": "fast"}, ["lr", "'fast'"]),
    ({"epochs": 0}, ["epochs", "between 1 and"]),
    ({"epochs": 10**7}, ["epochs", "100000"]),
    ({"epochs": True}, ["epochs", "integer"]),
    ({"optimizer": "rmsprop"}, ["optimizer", "sgd, momentum, adam"]),
    ({"dropout": 1.0}, ["dropout", "<= 0.9"]),
    ({"l2": -0.1}, ["l2", ">= 0"]),
    ({"dtype": "float16"}, ["dtype", "float64, float32"]),
    ({"dataset": "mnist"}, ["dataset", "moons"]),
    ({"n_samples": 2}, ["n_samples", "between 4"]),
    ({"noise": -1}, ["noise", ">= 0"]),
    ({"test_fraction": 0.95}, ["test_fraction", "<= 0.9"]),
    ({"seeds": 0}, ["seeds", "between 1"]),
    ({"batch_size": 100000}, ["batch_size", "training samples"]),
    ({"loss": "hinge"}, ["loss", "Unknown loss"]),
    ({"dataset": "toy", "loss": "bce"}, ["loss 'bce'", "toy", "mse"]),
    ({"dataset": "blobs", "loss": "bce"}, ["loss 'bce'", "blobs", "ce"]),
    ({"learning_rate": 0.1}, ["Unknown configuration key 'learning_rate'", "lr"]),
])
def test_bad_value_raises_with_field_in_message(changes, words):
    """Each invalid field is refused with a message naming it and what it must be."""
    with pytest.raises(ConfigError) as exc:
        Config.from_dict(changes)
    for w in words:
        assert w in str(exc.value)


def test_too_much_work_is_refused_with_the_estimate():
    """A config estimated over the time limit is refused, quoting estimate and limit."""
    with pytest.raises(ConfigError, match=r"would take about \d+ s to train, over the 60 s "
                                          r"limit: use fewer epochs"):
        Config.from_dict({"hidden": [256] * 8, "epochs": 20000, "n_samples": 2000})


def test_too_much_memory_is_refused_with_the_estimate():
    """A config over the memory limit is refused, quoting the estimate in GB."""
    with pytest.raises(ConfigError, match=r"needs about \d+\.\d GB of memory, over the 2 GB "
                                          r"limit: use fewer or smaller layers"):
        Config.from_dict({"hidden": [2048] * 40, "epochs": 1, "n_samples": 100000,
                          "seeds": 20})


@pytest.mark.parametrize("nbytes,text", [(MAX_BYTES + 1, "2.1 GB"),
                                         (int(2.55 * 1024**3), "2.6 GB"),
                                         (3 * 1024**3, "3.0 GB")])
def test_memory_figure_is_rounded_up(monkeypatch, nbytes, text):
    """The memory figure is rounded up to a tenth: over the limit never reads 2.0 GB."""
    monkeypatch.setattr(sim.config, "estimate_cost", lambda cfg: (1.0, nbytes))
    with pytest.raises(ConfigError, match=re.escape(f"needs about {text} of memory, over the "
                                                    "2 GB limit")):
        Config.from_dict({})


@pytest.mark.parametrize("seconds,text", [(MAX_SECONDS + 0.01, "61 s"), (75.0, "75 s")])
def test_time_figure_is_rounded_up(monkeypatch, seconds, text):
    """The time figure is rounded up to a second: over the limit never reads 60 s."""
    monkeypatch.setattr(sim.config, "estimate_cost", lambda cfg: (seconds, 0))
    with pytest.raises(ConfigError, match=f"would take about {text} to train, over the 60 s "
                                          "limit"):
        Config.from_dict({})


def _smallest_refused(make, lo: int, hi: int) -> int:
    """The smallest k in (lo, hi] whose settings are refused (accepted at lo, refused at hi)."""
    Config.from_dict(make(lo))
    with pytest.raises(ConfigError):
        Config.from_dict(make(hi))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            Config.from_dict(make(mid))
            lo = mid
        except ConfigError:
            hi = mid
    return hi


@pytest.mark.parametrize("make", [
    lambda k: {"hidden": [k] * 64, "epochs": 1},
    lambda k: {"hidden": [k], "n_samples": 100_000, "epochs": 1},
], ids=["64 layers of k units", "100,000 samples, k units"])
def test_config_just_over_the_memory_limit_reads_over_it(make):
    """The first width refused for memory is just over the limit, and its message says
    more than 2.0 GB."""
    k = _smallest_refused(make, 8, 2048)
    nbytes = estimate_cost(Config(**{**make(k), "hidden": tuple(make(k)["hidden"])}))[1]
    assert MAX_BYTES < nbytes < 1.02 * MAX_BYTES
    with pytest.raises(ConfigError, match="of memory") as exc:
        Config.from_dict(make(k))
    assert float(re.search(r"about (\d+\.\d) GB", str(exc.value)).group(1)) > 2.0


def test_config_just_over_the_time_limit_reads_over_it():
    """The first epoch count refused for time is just over the limit, and its message says
    more than 60 s."""
    make = lambda e: {"hidden": [64, 64], "seeds": 5, "epochs": e}  # noqa: E731
    e = _smallest_refused(make, 1, 100_000)
    seconds = estimate_cost(Config(**{**make(e), "hidden": (64, 64)}))[0]
    assert MAX_SECONDS < seconds < 1.01 * MAX_SECONDS
    with pytest.raises(ConfigError, match="to train") as exc:
        Config.from_dict(make(e))
    assert int(re.search(r"about (\d+) s", str(exc.value)).group(1)) > MAX_SECONDS


def _bench_standard() -> dict:
    """The standard comparison of bench/bench_engine.py (read from the script)."""
    path = Path(__file__).resolve().parent.parent / "bench" / "bench_engine.py"
    spec = importlib.util.spec_from_file_location("bench_engine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STANDARD


@pytest.mark.parametrize("settings", [
    {},
    *[p.settings for p in PRESETS.values()],
    pytest.param(_bench_standard(), id="bench standard comparison"),
    {"hidden": [2048] * 5, "epochs": 20},
    {"hidden": [2048] * 5, "n_samples": 16, "epochs": 150},
    {"hidden": [2048] * 5, "n_samples": 8, "epochs": 300, "inits": ["xavier_uniform"]},
    {"hidden": [2048] * 5, "n_samples": 8, "epochs": 300, "dtype": "float32"},
], ids=["default", *PRESETS, "bench standard comparison", "5 x 2048, 20 epochs",
        "5 x 2048, 16 samples, 150 epochs", "5 x 2048, one init, 300 epochs",
        "5 x 2048, float32, 300 epochs"])
def test_reasonable_experiments_are_accepted(settings):
    """The default, the presets, the benchmark's standard comparison and wide networks
    trained for a few hundred epochs stay within both limits."""
    seconds, nbytes = estimate_cost(Config.from_dict(settings))
    assert seconds < MAX_SECONDS
    assert nbytes < MAX_BYTES


def test_estimate_of_standard_comparison_is_a_few_seconds():
    """The standard comparison (measured about 4.5 s) is estimated at a few seconds, well
    under a GB."""
    seconds, nbytes = estimate_cost(Config.from_dict(_bench_standard()))
    assert 2 < seconds < 10
    assert nbytes < 2**30


def test_estimate_counts_every_thread_the_training_uses(monkeypatch):
    """The estimate splits the runs over threads by the training's own rule: training asks
    sim.cost.default_workers, the one function the estimate reads."""
    import sim.cost
    import sim.train

    asked = []

    def spy(cfg):
        asked.append(sim.cost.default_workers(cfg))
        return asked[-1]

    monkeypatch.setattr(sim.train, "default_workers", spy)
    small = Config.from_dict({"epochs": 2})
    large = Config.from_dict({"epochs": 2, "hidden": [64, 64], "n_samples": 512, "seeds": 2})
    sim.train.train_comparison(small)
    sim.train.train_comparison(large)
    assert asked == [1, 2]


def test_json_round_trip_is_identity():
    """config -> JSON -> config gives the same config."""
    cfg = Config.from_dict({"hidden": [3, 4], "lr": 0.1, "noise": 0.05,
                            "inits": [{"scheme": "normal", "params": {"std": 1e-5}},
                                      {"scheme": "he_normal", "params": {"mode": "fan_out"},
                                       "scale": 0.5, "bias": "constant"}],
                            "dtype": "float32"})
    assert Config.from_json(cfg.to_json()) == cfg


def test_defaults_are_zero_vs_xavier():
    """The default comparison is all zeros vs Xavier uniform."""
    cfg = Config.from_dict({})
    assert [s.scheme for s in cfg.inits] == ["zeros", "xavier_uniform"]


def test_bad_json_text_is_refused():
    """Text that is not JSON gives a ConfigError, not a JSONDecodeError."""
    with pytest.raises(ConfigError, match="not valid JSON"):
        Config.from_json("{hidden: [8]")


def test_aliases_are_stored_canonical():
    """glorot_uniform is accepted and stored as xavier_uniform."""
    cfg = Config.from_dict({"inits": ["glorot_uniform", "kaiming_normal"]})
    assert [s.scheme for s in cfg.inits] == ["xavier_uniform", "he_normal"]


def test_layer_sizes_follow_from_dataset_and_loss():
    """Input and output sizes come from the data: toy [3, .., 1], blobs with ce [2, .., K]."""
    assert Config.from_dict({"dataset": "toy", "hidden": [2]}).layer_sizes == [3, 2, 1]
    cfg = Config.from_dict({"dataset": "blobs", "n_classes": 5, "hidden": [4]})
    assert cfg.layer_sizes == [2, 4, 5]
    assert Config.from_dict({"loss": "ce", "hidden": [3]}).layer_sizes == [2, 3, 2]


def test_parse_hidden_accepts_text():
    """'8, 8' -> (8, 8)."""
    assert parse_hidden(" 8, 8 ") == (8, 8)


def test_config_json_is_plain_json():
    """to_json produces plain JSON objects and lists only."""
    data = json.loads(Config.from_dict({}).to_json())
    assert data["hidden"] == [8, 8] and data["inits"][0]["scheme"] == "zeros"
