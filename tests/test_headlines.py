"""The presenter view's headline numbers (sim.explain.headlines) against the numbers they
summarise: the engine's distinct-neuron and dead-unit counts, the final loss and accuracy."""

from __future__ import annotations

import re

import numpy as np
import pytest

import sim
from sim import PRESETS
from sim.explain.headlines import headline, units_headline


@pytest.fixture(scope="module")
def results() -> dict[str, sim.Result]:
    return {name: sim.train_comparison(PRESETS[name].config())
            for name in ("lesson", "dead_zeros", "deep_relu", "classic")}


def test_the_lesson_reads_eight_units_as_one_neuron(results) -> None:
    r = results["lesson"]
    assert headline(r, "weights", 0) == "8 units → 1 neuron"
    assert headline(r, "network", 1) == "8 units → 8 neurons"
    assert headline(r, "trajectories", 0, snapshot=0) == "8 units → 1 neuron"


def test_dead_units_count_for_nothing(results) -> None:
    """tanh from zeros: every hidden unit is dead, which the headline says instead of
    counting their equal rows as one neuron; the random side's are all distinct."""
    r = results["dead_zeros"]
    assert headline(r, "weights", 0) == "layer 1 of 2: 8 units, all dead (output 0)"
    assert headline(r, "weights", 1) == "both layers: every unit distinct"


@pytest.mark.parametrize("side", [0, 1])
def test_a_deep_network_names_its_weakest_layer_with_the_engines_dead_count(results, side
                                                                             ) -> None:
    """deep_relu: the layer named has the smallest share of distinct live units, and its
    dead count is the engine's metric at the last snapshot."""
    r = results["deep_relu"]
    text = units_headline(r, side)
    m = re.fullmatch(r"layer (\d+) of 30: 32 units → (\d+) neurons? \((\d+) dead\)", text)
    assert m, text
    layer, neurons, dead = map(int, m.groups())
    run = r.run_indices(side)[0]
    assert dead == int(r.history.metrics["dead_units"][run, -1, layer - 1])
    assert neurons <= 32 - dead
    assert int(r.history.metrics["distinct_neurons"][run, -1, layer - 1]) >= neurons


def test_loss_and_accuracy_headlines_are_the_final_numbers(results) -> None:
    r = results["lesson"]
    h = r.history
    assert headline(r, "loss", 1) == f"final loss {h.train_loss[1, -1]:.3g}"
    assert headline(r, "boundary", 0) == f"{h.test_accuracy[0, -1]:.0%} test accuracy"
    classic = results["classic"]  # a regression: no accuracy, the loss instead
    assert headline(classic, "boundary", 1) == (
        f"final loss {np.nanmean(classic.history.train_loss[1, -1]):.3g}")
