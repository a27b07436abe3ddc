"""The optimizer registry: names, labels, config fields, and steps worked out by hand."""

import dataclasses
import doctest

import numpy as np
import pytest

import sim.optimizers as optimizers_module
from sim import config
from sim.optimizers import OPTIMIZERS


def _state(name, p, lr, **settings):
    return OPTIMIZERS[name].start(p, lr, **settings)


def test_registry_names_and_labels():
    """The names users type and the labels the menus show, in menu order."""
    assert {k: o.label for k, o in OPTIMIZERS.items()} == {
        "sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
    assert all(o.name == k and o.help for k, o in OPTIMIZERS.items())


def test_config_offers_the_registry():
    """The config's optimizer choices are the registry's keys."""
    assert config.OPTIMIZERS == tuple(OPTIMIZERS)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fields_are_config_fields(name):
    """Each optimizer reads only fields a Config has; momentum reads momentum."""
    names = {f.name for f in dataclasses.fields(config.Config)}
    assert set(OPTIMIZERS[name].fields) <= names
    assert ("momentum" in OPTIMIZERS[name].fields) == (name == "momentum")


def test_sgd_step_by_hand():
    """p = [1, 2], g = [0.5, -1], lr 0.1: p - lr g = [0.95, 2.1]."""
    p = [np.array([1.0, 2.0])]
    _state("sgd", p, 0.1).step(p, [np.array([0.5, -1.0])])
    np.testing.assert_allclose(p[0], [0.95, 2.1], rtol=1e-15)


def test_momentum_two_steps_by_hand():
    """mu 0.9, lr 0.1, g = 1 twice: v = -0.1 then 0.9 * -0.1 - 0.1 = -0.19; p = 1 - 0.29."""
    p = [np.array([1.0])]
    state = _state("momentum", p, 0.1, momentum=0.9)
    for _ in range(2):
        state.step(p, [np.array([1.0])])
    np.testing.assert_allclose(state.buffers["velocity"][0], [-0.19], rtol=1e-15)
    np.testing.assert_allclose(p[0], [0.71], rtol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    """After one step m = 0.1 g, v = 0.001 g^2; bias-corrected, the step is lr g / (|g| + eps)."""
    g = np.array([3.0, -0.02])
    p = [np.zeros(2)]
    _state("adam", p, 0.01).step(p, [g.copy()])
    np.testing.assert_allclose(p[0], -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_reset_forgets_one_run_only():
    """reset(run) zeroes that run's slice of every buffer and leaves the others."""
    p = [np.ones((2, 3))]
    state = _state("adam", p, 0.01)
    state.step(p, [np.ones((2, 3))])
    state.reset(0)
    assert not state.buffers["m"][0][0].any() and not state.buffers["v"][0][0].any()
    assert state.buffers["m"][0][1].all() and state.buffers["v"][0][1].all()


def test_docstring_examples_run():
    """The module's example is true."""
    result = doctest.testmod(optimizers_module)
    assert result.attempted > 0 and result.failed == 0
