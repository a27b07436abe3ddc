"""metrics.csv and weights.npz of a network with conv layers: layers numbered from 1 over the
conv layers first, then the dense hidden layers; filters stored as (R, S, F, C, K, K). A dense
network's files are what the code before conv layers wrote, byte for byte."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from sim.config import Config
from sim.export import metrics_csv, weight_arrays, weights_npz, write_run_files
from sim.export.data import CSV_COLUMNS
from sim.metrics import METRIC_NAMES
from sim.train import train_comparison

CONV = dict(dataset="bars", n_samples=64, image_size=8, conv="4x3,3x3", pool=2, hidden=[5],
            activation="tanh", epochs=6, snapshots=4, seeds=2,
            inits=[{"scheme": "zeros"}, {"scheme": "he_normal"}])


@pytest.fixture(scope="module")
def conv_result():
    return train_comparison(Config.from_dict(CONV))


def _rows(result) -> list[dict]:
    return list(csv.DictReader(io.StringIO(metrics_csv(result))))


def _old_metrics_rows(result):
    """metrics_rows as commit dd6e808 wrote it (before conv layers): the reference a dense
    network's CSV must still equal."""
    h = result.history
    curves = {"train_loss": h.train_loss, "test_loss": h.test_loss,
              "train_accuracy": h.train_accuracy, "test_accuracy": h.test_accuracy}
    n_test = result.data.n_test
    snaps = h.snapshot_epochs.tolist()
    for r, (i, seed) in enumerate(result.runs):
        label = result.labels[i]
        for name, arr in curves.items():
            if arr is None or (name.startswith("test") and n_test == 0):
                continue
            epochs = np.flatnonzero(np.isfinite(arr[r]))
            for e, v in zip(epochs.tolist(), arr[r, epochs].tolist(), strict=True):
                yield (r, label, seed, e, "", name, v)
        g = h.grad_norm[r]
        es, layers = np.nonzero(np.isfinite(g))
        for e, layer, v in zip((es + 1).tolist(), (layers + 1).tolist(), g[es, layers].tolist(),
                               strict=True):
            yield (r, label, seed, e, layer, "grad_norm", v)
        m = np.stack([h.metrics[name][r] for name in METRIC_NAMES], axis=1)
        ks, ns, layers = np.nonzero(np.isfinite(m))
        for k, n, layer, v in zip(ks.tolist(), ns.tolist(), (layers + 1).tolist(),
                                  m[ks, ns, layers].tolist(), strict=True):
            yield (r, label, seed, snaps[k], layer, METRIC_NAMES[n], int(v) if v.is_integer()
                   else v)


def _old_csv(result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(_old_metrics_rows(result))
    return buf.getvalue()


@pytest.mark.parametrize("settings", [
    dict(dataset="circles", hidden=[4, 3], epochs=30, seeds=2),
    dict(dataset="blobs", n_classes=4, epochs=20, lr=50.0),  # diverges: NaNs left out
    dict(dataset="sine", epochs=15, test_fraction=0.0),  # regression, no test set
    dict(dataset="bars", n_samples=32, image_size=6, hidden=[3], epochs=5),  # pixels, no conv
], ids=["circles", "diverging", "regression", "bars-dense"])
def test_a_dense_networks_csv_is_the_one_written_before_conv_layers(settings):
    result = train_comparison(Config.from_dict(settings))
    assert result.history.conv_metrics is None
    assert metrics_csv(result) == _old_csv(result)


def test_a_dense_networks_npz_has_the_arrays_it_had():
    result = train_comparison(Config.from_dict(dict(dataset="xor", hidden=[3, 2], epochs=5)))
    assert list(weight_arrays(result)) == ["snapshot_epochs", "W1", "b1", "W2", "b2", "W3",
                                           "b3", "run_init", "run_seed", "init_labels",
                                           "diverged_at"]


def test_conv_layers_come_first_in_the_csv_then_the_dense_layers(conv_result):
    """Layers 1-2 are the conv layers (their metrics are conv_metrics), layer 3 the dense
    hidden layer (History.metrics), with the same metric names."""
    h = conv_result.history
    rows = _rows(conv_result)
    snaps = h.snapshot_epochs.tolist()
    for name in METRIC_NAMES:
        got = {(int(r["run"]), int(r["epoch"]), int(r["layer"])): float(r["value"])
               for r in rows if r["metric"] == name}
        assert {layer for _, _, layer in got} <= {1, 2, 3}
        expected = np.concatenate([h.conv_metrics[name], h.metrics[name]], axis=-1)
        for run in range(expected.shape[0]):
            for k, epoch in enumerate(snaps):
                for layer in range(3):
                    v = expected[run, k, layer]
                    if np.isfinite(v):
                        assert got[(run, epoch, layer + 1)] == pytest.approx(v, rel=1e-12), \
                            (name, run, epoch, layer)
                    else:
                        assert (run, epoch, layer + 1) not in got
    # the lesson, in the file: zeros + tanh gives dead filters, he_normal distinct ones
    distinct = {(r["run"], r["layer"]): int(r["value"]) for r in rows
                if r["metric"] == "distinct_neurons" and int(r["epoch"]) == snaps[-1]}
    assert distinct[("0", "1")] == 0 and distinct[("2", "1")] == 4
    assert distinct[("2", "2")] == 3 and distinct[("2", "3")] == 5


def test_grad_norm_rows_number_the_conv_layers_first(conv_result):
    """grad_norm layers 1-2: the conv layers; 3-4: the dense hidden and output layers."""
    h = conv_result.history
    rows = [r for r in _rows(conv_result) if r["metric"] == "grad_norm" and r["run"] == "3"]
    by_layer = {}
    for r in rows:
        by_layer.setdefault(int(r["layer"]), []).append(float(r["value"]))
    assert sorted(by_layer) == [1, 2, 3, 4]
    np.testing.assert_allclose(by_layer[1], h.conv_grad_norm[3, :, 0], rtol=1e-12)
    np.testing.assert_allclose(by_layer[2], h.conv_grad_norm[3, :, 1], rtol=1e-12)
    np.testing.assert_allclose(by_layer[3], h.grad_norm[3, :, 0], rtol=1e-12)
    np.testing.assert_allclose(by_layer[4], h.grad_norm[3, :, 1], rtol=1e-12)


def test_npz_stores_filters_as_runs_snapshots_f_c_k_k(conv_result, tmp_path):
    """conv_W1 (R, S, 4, 1, 3, 3), conv_W2 (R, S, 3, 4, 3, 3), their biases (R, S, F), then the
    dense W1 whose inputs are the flattened pooled maps (3 x 2 x 2), in the file."""
    write_run_files(conv_result, tmp_path)
    z = np.load(tmp_path / "weights.npz")
    h = conv_result.history
    assert list(z.files) == ["snapshot_epochs", "conv_W1", "conv_b1", "conv_W2", "conv_b2",
                             "W1", "b1", "W2", "b2", "run_init", "run_seed", "init_labels",
                             "diverged_at"]
    assert z["conv_W1"].shape == (4, 4, 4, 1, 3, 3) and z["conv_b1"].shape == (4, 4, 4)
    assert z["conv_W2"].shape == (4, 4, 3, 4, 3, 3) and z["conv_b2"].shape == (4, 4, 3)
    assert z["W1"].shape == (4, 4, 5, 12) and z["W2"].shape == (4, 4, 4, 5)
    np.testing.assert_array_equal(z["conv_W2"], h.conv_weights[1])
    np.testing.assert_array_equal(z["conv_b1"], h.conv_biases[0])
    np.testing.assert_array_equal(z["W1"], h.weights[0])
    assert weights_npz(conv_result) == (tmp_path / "weights.npz").read_bytes()
