"""Each dataset brings a learning rate that trains it (``DatasetSpec.default_lr``).

Picking a dataset in the sidebar sets its noise level, its learning rate and the automatic
loss; a learning rate the user typed survives the switch, and links, files and the command
line keep the config's own default (a link's ``lr`` is the link's).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from sim import DATASETS, PRESETS, Config, train_comparison
from sim.app import state as app_state
from sim.fields import FIELDS
from sim.presets import DEFAULT_PRESET
from sim.share import params_to_config

APP = str(Path(__file__).resolve().parent.parent / "dashboard.py")
OTHER_DATASETS = [n for n in DATASETS if n != PRESETS[DEFAULT_PRESET].config().dataset]


def _switched_state(dataset: str, **typed) -> dict:
    """The default page's controls (as session state) after the user typed ``typed`` by
    hand, then picked ``dataset`` in the sidebar."""
    state = app_state.widget_values(PRESETS[DEFAULT_PRESET].config())
    for name, value in typed.items():
        state[name] = value
        app_state.changed(name, state)
    state["dataset"] = dataset
    app_state.changed("dataset", state)
    return state


def _switched_config(dataset: str, **typed) -> Config:
    return Config.from_dict(app_state.config_dict(_switched_state(dataset, **typed)),
                            init_names=app_state.SIDES)


# ------------------------------------------------------------------------------------------
# The learning rates train every dataset
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained() -> dict:
    """The default page's comparison (zeros left, random right) after a switch to each
    dataset, trained once."""
    return {name: train_comparison(_switched_config(name)) for name in DATASETS}


@pytest.mark.parametrize("name", list(DATASETS))
def test_switch_gives_the_lesson_with_the_datasets_own_settings(name):
    """The switch changes the dataset, its noise, learning rate and loss only."""
    cfg = _switched_config(name)
    lesson = PRESETS[DEFAULT_PRESET].config()
    assert cfg.dataset == name and cfg.noise is None and cfg.loss == "auto"
    assert cfg.lr == DATASETS[name].default_lr
    assert (cfg.hidden, cfg.activation, cfg.inits, cfg.optimizer, cfg.epochs) == (
        lesson.hidden, lesson.activation, lesson.inits, lesson.optimizer, lesson.epochs)


@pytest.mark.parametrize("name", list(DATASETS))
def test_random_side_beats_zeros_with_the_datasets_learning_rate(trained, name):
    """With the dataset's own learning rate the random (right) side ends with a lower train
    loss than the zeros (left) side."""
    h = trained[name].history
    zeros, random = h.train_loss[:, -1]
    assert random < zeros, (name, zeros, random)


@pytest.mark.parametrize("name", list(DATASETS))
def test_neither_side_diverges_with_the_datasets_learning_rate(trained, name):
    """No run stops on non-finite numbers, and both end below their starting loss (an
    overshooting rate, such as 2 on the sine wave, ends far above it)."""
    h = trained[name].history
    assert (h.diverged_at == -1).all()
    assert np.isfinite(h.train_loss).all()
    assert (h.train_loss[:, -1] < h.train_loss[:, 0]).all(), h.train_loss[:, [0, -1]]


def test_the_lesson_uses_its_datasets_learning_rate():
    """Picking the lesson's dataset again leaves the lesson's learning rate."""
    lesson = PRESETS[DEFAULT_PRESET].config()
    assert DATASETS[lesson.dataset].default_lr == lesson.lr


# ------------------------------------------------------------------------------------------
# What survives a switch
# ------------------------------------------------------------------------------------------


def test_typed_learning_rate_survives_a_switch():
    """A learning rate typed by hand is the user's: a new dataset keeps it."""
    assert _switched_config("sine", lr=0.05).lr == 0.05


def test_a_preset_replaces_the_typed_learning_rate():
    """Once a preset (or link, or file) has set another learning rate, the typed one is gone
    and a switch sets the dataset's again."""
    state = _switched_state("moons", lr=0.05)
    state.update(app_state.widget_values(PRESETS["dead_zeros"].config()))
    state["dataset"] = "sine"
    app_state.changed("dataset", state)
    assert state["lr"] == DATASETS["sine"].default_lr


def test_loss_that_fits_survives_a_switch():
    """A loss chosen by hand stays while it fits the new dataset ..."""
    assert _switched_config("moons", loss="ce").loss == "ce"


def test_loss_that_does_not_fit_goes_back_to_auto():
    """... and goes back to automatic when it does not (cross-entropy on a regression)."""
    assert _switched_config("sine", loss="ce").loss == "auto"


def test_a_presets_loss_goes_back_to_auto():
    """A loss a preset chose (the classic example's squared error) is not the user's: the
    new dataset gets the automatic one."""
    state = app_state.widget_values(PRESETS["classic"].config())
    state["dataset"] = "circles"
    app_state.changed("dataset", state)
    assert state["loss"] == "auto"


def test_noise_typed_by_hand_still_resets():
    """A noise level means something else on each dataset: the new one brings its own."""
    assert _switched_config("blobs", noise=0.3).noise is None


def test_links_keep_their_learning_rate():
    """A link's ``lr`` is the link's, and a link without one gets the config's default:
    only the sidebar's switch sets a dataset's learning rate."""
    assert params_to_config({"dataset": "sine", "lr": "2"}).lr == 2.0
    assert params_to_config({"dataset": "sine"}).lr == FIELDS["lr"].default


# ------------------------------------------------------------------------------------------
# On the page (Streamlit AppTest)
# ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_caught_failures(caplog):
    """Any unexpected exception the page's last line of defence caught (and logged under
    ``sim.app``) fails the test."""
    yield
    caught = [r for r in caplog.get_records("call")
              if r.name.startswith("sim.app") and r.levelno >= logging.ERROR]
    assert not caught, "\n".join(logging.Formatter().format(r) for r in caught)


def _page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


@pytest.mark.parametrize("name", ["sine", "toy", "moons"])
def test_page_switch_sets_the_datasets_learning_rate(name):
    """Picking a dataset in the sidebar sets its learning rate, and the page trains with it."""
    at = _page()
    at.selectbox(key="dataset").select(name).run()
    assert not at.exception and not at.error
    assert at.number_input(key="lr").value == DATASETS[name].default_lr
    assert at.session_state["last_result"].config.lr == DATASETS[name].default_lr


def test_page_typed_learning_rate_survives_a_switch():
    """A learning rate typed in the sidebar stays when the dataset changes."""
    at = _page()
    at.number_input(key="lr").set_value(0.3).run()
    at.selectbox(key="dataset").select("sine").run()
    assert not at.exception and not at.error
    assert at.number_input(key="lr").value == 0.3
    assert at.session_state["last_result"].config.lr == 0.3


def test_page_link_keeps_its_learning_rate():
    """A link with ``dataset=sine&lr=2`` opens with lr 2 (the link is not a switch)."""
    at = _page({"dataset": "sine", "lr": "2"})
    assert at.number_input(key="lr").value == 2.0
    assert at.session_state["last_result"].config.lr == 2.0
