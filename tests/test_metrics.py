"""Effective-neuron metrics against independent references (numpy's SVD, hand counts)."""

import numpy as np
import pytest

from sim.metrics import count_distinct, layer_metrics, network_metrics


@pytest.mark.parametrize("seed", range(5))
def test_rank_and_effective_rank_match_svd(seed):
    """Rank and effective rank agree with numpy's SVD of the activation matrix."""
    rng = np.random.default_rng(seed)
    H = rng.standard_normal((60, 7))
    H[:, 6] = 2 * H[:, 0] - H[:, 1]  # one dependent column
    s = np.linalg.svd(H, compute_uv=False)
    s = s[s > 1e-5 * s[0]]
    p = s / s.sum()
    m = layer_metrics(rng.standard_normal((7, 3)), rng.standard_normal(7), H)
    assert m["rank"] == np.linalg.matrix_rank(H) == 6
    assert m["effective_rank"] == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-9)


def test_all_zero_layer_is_dead_with_zero_rank():
    """An all-zero activation matrix: every unit dead, no distinct neuron, rank 0, erank 0."""
    m = layer_metrics(np.zeros((4, 2)), np.zeros(4), np.zeros((10, 4)))
    assert m == {"dead_units": 4, "distinct_neurons": 0, "rank": 0, "effective_rank": 0.0,
                 "symmetry_gap": 0.0}


def test_distinct_groups_within_tolerance():
    """Rows equal within 1e-6 of the largest parameter count once; others separately."""
    rng = np.random.default_rng(3)
    P = rng.standard_normal((8, 5))
    P[3] = P[1] + 1e-9
    P[5] = P[3] + 1e-9  # chained: one group of three
    assert count_distinct(P) == 6
    assert count_distinct(np.tile(P[0], (5, 1))) == 1


def test_network_metrics_equal_layer_by_layer_metrics():
    """The batched computation over runs and layers equals layer_metrics run by run."""
    rng = np.random.default_rng(1)
    sizes = [2, 4, 4, 3]
    W = [rng.standard_normal((3, sizes[i + 1], sizes[i])) for i in range(3)]
    b = [rng.standard_normal((3, sizes[i + 1])) for i in range(3)]
    W[1][0] = 0.0
    b[1][0] = 0.0
    H = [np.maximum(rng.standard_normal((3, 20, sizes[i + 1])), 0) for i in range(3)]
    H[1][0] = 0.0
    m = network_metrics(W, b, H)
    for layer in range(3):
        for run in range(3):
            ref = layer_metrics(W[layer][run], b[layer][run], H[layer][run])
            for name, value in ref.items():
                assert m[name][run, layer] == pytest.approx(value)
