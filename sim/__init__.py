"""Init Lab's simulation engine: why neural-network weights must not all start at zero.

numpy only; no plotting and no Streamlit in here. The public API:

>>> from sim import Config, train_comparison
>>> result = train_comparison(Config.from_dict({"epochs": 50}))
>>> result.history.metrics["distinct_neurons"][:, -1, 0]   # zeros vs xavier_uniform
array([0., 8.])
"""

from sim.activations import ACTIVATIONS
from sim.config import Config, ConfigError, InitSpec, estimate_cost
from sim.datasets import DATASETS, Dataset, make_dataset
from sim.fields import FIELDS
from sim.initializers import (
    BIAS_INITIALIZERS,
    INITIALIZERS,
    calculate_gain,
    initialize,
    initialize_bias,
)
from sim.losses import LOSSES
from sim.metrics import METRIC_DEFINITIONS, METRIC_NAMES, layer_metrics
from sim.network import forward, loss_and_gradients
from sim.optimizers import OPTIMIZERS
from sim.presets import PRESETS, get_preset
from sim.train import History, Result, train_comparison

__all__ = [
    "ACTIVATIONS",
    "BIAS_INITIALIZERS",
    "Config",
    "ConfigError",
    "DATASETS",
    "Dataset",
    "FIELDS",
    "History",
    "INITIALIZERS",
    "InitSpec",
    "LOSSES",
    "METRIC_DEFINITIONS",
    "METRIC_NAMES",
    "OPTIMIZERS",
    "PRESETS",
    "Result",
    "calculate_gain",
    "estimate_cost",
    "forward",
    "get_preset",
    "initialize",
    "initialize_bias",
    "layer_metrics",
    "loss_and_gradients",
    "make_dataset",
    "train_comparison",
]
