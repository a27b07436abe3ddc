"""Ready-made experiments: plain configurations, shared by the dashboard and the command line.

Each preset is a dict of :class:`~sim.config.Config` fields (missing fields take the config's
defaults) with a label and a one-paragraph explanation of what it shows. The dashboard's
preset menu and ``python -m sim run --preset NAME`` both read :data:`PRESETS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config import Config


@dataclass(frozen=True)
class Preset:
    """A named experiment.

    Attributes
    ----------
    name : str
        Key used on the command line and in URLs.
    label : str
        Menu label.
    description : str
        What the experiment shows, in one paragraph.
    settings : dict
        Config fields; the rest take :class:`Config`'s defaults.
    """

    name: str
    label: str
    description: str
    settings: dict = field(default_factory=dict)

    def config(self) -> Config:
        """The validated configuration of this preset."""
        return Config.from_dict(self.settings)


_ZERO_VS_XAVIER = [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}]

PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset(
        "lesson", "The lesson: all zeros vs random (default)",
        "Circles cannot be separated by one neuron. With every weight at zero the 8 sigmoid "
        "units of the hidden layer compute the same value, get the same gradient and the same "
        "update at every step: the layer acts as a single neuron and fails. Random weights "
        "break the symmetry and the same network solves the task.",
        {"dataset": "circles", "n_samples": 256, "hidden": [8], "activation": "sigmoid",
         "inits": _ZERO_VS_XAVIER, "optimizer": "sgd", "lr": 2.0, "epochs": 500},
    ),
    Preset(
        "classic", "Classic 3-2-1 example (sigmoid, squared error)",
        "The textbook example: 3 inputs, 2 sigmoid hidden units, 1 output, squared error. "
        "After any number of backpropagation steps the two hidden units' weights are still "
        "equal under zero initialization (one distinct neuron); a random start gives two "
        "different units that fit the target almost exactly.",
        {"dataset": "toy", "n_samples": 256, "hidden": [2], "activation": "sigmoid",
         "loss": "mse", "inits": [{"scheme": "zeros"},
                                  {"scheme": "normal", "params": {"std": 1.0}}],
         "optimizer": "momentum", "lr": 0.5, "epochs": 2000},
    ),
    Preset(
        "dead_zeros", "tanh/ReLU with zeros: nothing learns",
        "With tanh (or ReLU) a zero-initialized layer outputs exactly 0, so no gradient reaches "
        "any hidden weight: every hidden unit is dead and only the output bias learns. The "
        "network ends at the best constant prediction.",
        {"dataset": "circles", "hidden": [8, 8], "activation": "tanh",
         "inits": _ZERO_VS_XAVIER, "lr": 0.5, "epochs": 500},
    ),
    Preset(
        "random_bias", "Zero weights but random biases",
        "Random biases alone break the symmetry for tanh and sigmoid: the units start with "
        "different outputs, get different gradients and drift apart, and the network learns "
        "almost as well as with random weights. (Switch the activation to "
        "relu and the optimizer to sgd: the live units stay scaled copies of one neuron, "
        "rank 1, and the units with a negative bias stay dead. Adam's per-weight step sizes "
        "break that proportionality.)",
        {"dataset": "circles", "hidden": [8], "activation": "tanh",
         "inits": [{"scheme": "zeros", "bias": "normal", "bias_params": {"std": 1.0}},
                   {"scheme": "xavier_uniform"}],
         "optimizer": "adam", "lr": 0.05, "epochs": 500},
    ),
    Preset(
        "dropout", "Zeros plus dropout",
        "Dropout zeroes a random subset of units at every step, so identical sigmoid units "
        "receive different gradients: the symmetry breaks and the zero-initialized network "
        "learns after all. (With tanh or ReLU it does not help: their outputs stay 0.)",
        {"dataset": "circles", "hidden": [16], "activation": "sigmoid",
         "inits": _ZERO_VS_XAVIER, "dropout": 0.2, "optimizer": "adam", "lr": 0.05,
         "epochs": 1000},
    ),
    Preset(
        "constant", "Constant 0.5 instead of zero",
        "Any constant is as bad as zero: every unit has the same weights, so they all stay "
        "identical. The units are alive (tanh of a non-zero input) but the layer still acts as "
        "one neuron.",
        {"dataset": "circles", "hidden": [8], "activation": "tanh",
         "inits": [{"scheme": "constant", "params": {"value": 0.5}},
                   {"scheme": "xavier_uniform"}],
         "lr": 0.5, "epochs": 500},
    ),
    Preset(
        "float32", "float32 rounding slowly breaks symmetry",
        "Both sides start symmetric (zeros, and the constant 0.05), in float32. Rounding in "
        "float32 arithmetic is not the same for every unit, and training amplifies the "
        "differences: the symmetry gap grows from 1e-9 to order 1 and the units split into "
        "groups. Switch the precision to float64 and the gap stays exactly 0: the engine keeps "
        "identical units bit-identical there.",
        {"dataset": "moons", "n_samples": 512, "hidden": [100], "activation": "sigmoid",
         "inits": [{"scheme": "zeros"}, {"scheme": "constant", "params": {"value": 0.05}}],
         "lr": 0.5, "epochs": 1000, "dtype": "float32"},
    ),
    Preset(
        "scale", "Too small vs too large random init",
        "Random but badly scaled, in a 5-layer tanh network. With weights 10x smaller than "
        "Xavier the signal shrinks about 10x at every layer and the first layer's gradient is "
        "around 1e-7: learning stalls at the loss of a constant prediction. 10x larger "
        "saturates most deeper units at ±1 from the start (see the activation distributions) "
        "and the gradients are large and erratic: the network fits the training points but "
        "with a ragged boundary that generalises worse. Compare the gradient norms per layer.",
        {"dataset": "circles", "hidden": [32, 32, 32, 32, 32], "activation": "tanh",
         "inits": [{"scheme": "xavier_normal", "scale": 0.1},
                   {"scheme": "xavier_normal", "scale": 10.0}],
         "lr": 0.1, "epochs": 300},
    ),
    Preset(
        "deep_tanh", "Deep tanh, 10 layers (Glorot & Bengio 2010)",
        "Ten tanh layers of 64 units. The once-standard N(0, 0.01^2) start makes activations "
        "shrink towards 0 layer after layer and the network cannot learn; Xavier/Glorot "
        "initialization keeps their variance roughly constant through depth.",
        {"dataset": "circles", "n_samples": 128, "hidden": [64] * 10, "activation": "tanh",
         "inits": [{"scheme": "normal", "params": {"std": 0.01}}, {"scheme": "xavier_uniform"}],
         "lr": 0.1, "epochs": 200},
    ),
    Preset(
        "filters", "Filters: zeros vs random in a convnet",
        "The same symmetry in a convolution layer: 8 filters of 3×3 over 12×12 images of bars "
        "in 4 orientations, max-pooled, then 16 sigmoid units. With every weight at zero the "
        "8 filters compute the same feature map, get the same gradient and the same update: "
        "after 300 epochs they are still exactly equal (symmetry gap 0), one filter, and "
        "test accuracy stays near chance (25%). He-normal filters start different, learn 8 "
        "different features and classify almost every image correctly. (Switch the "
        "activation to tanh or relu: the zero filters output 0 and are dead.)",
        {"dataset": "bars", "n_samples": 512, "conv": "8x3", "pool": 2, "hidden": [16],
         "activation": "sigmoid", "inits": [{"scheme": "zeros"}, {"scheme": "he_normal"}],
         "lr": 2.0, "epochs": 300},
    ),
    Preset(
        "deep_relu", "Deep ReLU, 30 layers: Xavier vs He (He et al. 2015)",
        "Thirty ReLU layers of 32 units. ReLU zeroes half of its inputs, so Xavier's variance "
        "halves at every layer and the signal all but vanishes at the top: plain SGD sits at "
        "the loss of a constant prediction. He initialization doubles the variance to "
        "compensate and trains at once.",
        {"dataset": "circles", "n_samples": 128, "hidden": [32] * 30, "activation": "relu",
         "inits": [{"scheme": "xavier_normal"}, {"scheme": "he_normal"}],
         "lr": 0.01, "epochs": 150},
    ),
]}

DEFAULT_PRESET = "lesson"


def get_preset(name: str) -> Preset:
    """The preset called ``name``; unknown names raise ``ValueError`` listing valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"Unknown preset {name!r}. Valid names: {', '.join(PRESETS)}.") from None
