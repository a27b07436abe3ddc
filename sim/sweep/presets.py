"""The papers' sweeps: ready-made grids, each with the claim it tests and what Init Lab shows.

``python -m sim sweep --preset NAME --out DIR`` runs one; the dashboard's Map tab computes each
preset's :meth:`~SweepPreset.small` version (a few seconds) and draws the full one from its
``results.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config import Config
from sim.sweep.grid import Axis, Sweep, Target


@dataclass(frozen=True)
class SweepPreset:
    """A named sweep.

    Attributes
    ----------
    name, label : str
        Key (``--preset NAME``) and menu label.
    claim : str
        What the paper says, with the reference.
    shows : str
        What this sweep shows in Init Lab (measured, not promised: see the README).
    base : dict
        Config fields of every cell (the rest take the config's defaults).
    grid : dict
        Field -> values of the full sweep; ``small_grid`` those of the small one.
    metric : str
        The map's default metric (a :data:`sim.sweep.results.METRICS` key).
    target : str
        The loss target (``1%`` of the initial loss, or an absolute loss).
    small_base : dict
        Fields the small version changes (fewer epochs, seeds...).
    """

    name: str
    label: str
    claim: str
    shows: str
    base: dict
    grid: dict
    small_grid: dict
    metric: str
    target: str = "1%"
    small_base: dict = field(default_factory=dict)
    axes: tuple[str, str] = ("", "")

    def _sweep(self, base: dict, grid: dict) -> Sweep:
        return Sweep(Config.from_dict(base), tuple(Axis(f, tuple(v)) for f, v in grid.items()),
                     Target(self.target), self.name)

    def sweep(self) -> Sweep:
        """The full sweep (the command line's)."""
        return self._sweep(self.base, self.grid)

    def small(self) -> Sweep:
        """A version that computes in about 10 s (the dashboard's default map)."""
        return self._sweep({**self.base, **self.small_base}, self.small_grid)

    @property
    def map_axes(self) -> tuple[str, str]:
        """The map's default (x, y) fields."""
        return self.axes if all(self.axes) else tuple(list(self.grid)[:2])


SWEEP_PRESETS: dict[str, SweepPreset] = {p.name: p for p in [
    SweepPreset(
        "edge_of_chaos", "Edge of chaos: which scales and depths train (tanh)",
        "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), Deep Information Propagation: "
        "for a tanh network with W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²), signals are ordered "
        "when χ₁ < 1 and chaotic when χ₁ > 1; correlations between inputs are forgotten over "
        "a depth scale ξ_c that diverges on the critical line χ₁ = 1, and a network trains "
        "only while its depth stays below about 6 ξ_c.",
        "Training accuracy after 1000 SGD epochs on two moons, σ_b² = 0.05, σ_w² from 0.5 to "
        "4 (measured): up to depth 10 every scale trains; at depth 20 only σ_w² = 0.5 fails "
        "(6 ξ_c = 7 layers there); at depth 60 the scales below 1.5 fail and the best cell "
        "is σ_w² = 1.75, on the critical line, but the chaotic side also stays partly "
        "untrained: 1000 epochs are too few for 60 layers, so the map hugs the line only "
        "roughly.",
        {"dataset": "moons", "n_samples": 256, "activation": "tanh",
         "inits": [{"scheme": "lecun_normal", "bias": "normal",
                    "bias_params": {"std": 0.05 ** 0.5}}],
         "hidden": [32, 32], "optimizer": "sgd", "lr": 0.1, "epochs": 1000, "seeds": 2,
         "snapshots": 2},
        {"sigma_w2": [0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0],
         "depth": [2, 5, 10, 20, 40, 60]},
        {"sigma_w2": [0.5, 1.0, 1.75, 2.5, 4.0], "depth": [2, 8, 24]},
        "train_accuracy", small_base={"epochs": 400, "seeds": 1, "hidden": [16, 16], "lr": 0.2},
    ),
    SweepPreset(
        "saxe_linear", "Deep linear networks: orthogonal vs Gaussian init (Saxe et al.)",
        "Saxe, McClelland & Ganguli (2014), Exact solutions to the nonlinear dynamics of "
        "learning in deep linear neural networks: from orthogonal initial weights a deep "
        "linear network learns in a time that does not grow with its depth, while from "
        "scaled random Gaussian weights learning is ever slower as the network gets deeper.",
        "Epochs to reach 1% of the initial training loss on a linear teacher (8 → 8), "
        "against depth, at one learning rate (0.03), for orthogonal and scaled Gaussian "
        "(std 1/√8) weights: orthogonal stays about flat (76 → 44 epochs from depth 1 to 8, "
        "median of 5 seeds), Gaussian grows and at depth 8 often never gets there.",
        {"dataset": "teacher", "n_samples": 256, "activation": "linear", "loss": "mse",
         "inits": [{"scheme": "orthogonal"}, {"scheme": "normal", "params": {"std": 0.35355}}],
         "hidden": [8, 8], "optimizer": "sgd", "lr": 0.03, "epochs": 3000, "seeds": 3,
         "snapshots": 2, "test_fraction": 0.25},
        {"depth": [1, 2, 4, 8]},
        {"depth": [1, 4, 8]},
        "epochs_to_target", small_base={"epochs": 500, "seeds": 1},
        axes=("depth", "init"),
    ),
    SweepPreset(
        "dying_relu", "Dying ReLU at init: narrow, deep networks are born dead (Lu et al.)",
        "Lu, Shin, Su & Karniadakis (2020), Dying ReLU and Initialization: a ReLU network "
        "with zero biases and symmetric random weights is born dead (its output is constant) "
        "with a probability that grows with depth and shrinks with width, about "
        "1 − (1 − 2^−N)^L for width N and depth L.",
        "The fraction of networks (20 seeds per cell) whose output is the same for every "
        "training input at initialization, against width and depth. The formula is exact "
        "for one input; a whole batch must die for the output to be constant, so the "
        "measured fraction sits at or below it for shallow networks and meets it (0.90 vs "
        "0.93 at width 3, depth 20) where death becomes near-certain.",
        {"dataset": "moons", "n_samples": 64, "activation": "relu",
         "inits": [{"scheme": "he_normal"}], "hidden": [2, 2], "optimizer": "sgd",
         "lr": 0.1, "epochs": 1, "seeds": 20, "snapshots": 2},
        {"width": [1, 2, 3, 4, 6, 8], "depth": [1, 2, 5, 10, 20, 40]},
        {"width": [1, 2, 3, 4], "depth": [1, 2, 5, 10, 20]},
        "constant_at_init", small_base={"seeds": 10},
    ),
]}

DEFAULT_SWEEP_PRESET = "edge_of_chaos"
