"""Optimizers: how a gradient becomes an update, one registry entry per name users see.

Every optimizer updates the stacked parameters of a comparison in place, with state arrays
shaped like the parameters (one slice per run along the leading axis), so a step allocates
nothing. :data:`OPTIMIZERS` is keyed by the name of the config's ``optimizer`` field; each
entry says how to show it (``label``, ``help``), which other config fields its step reads
(``fields``, besides ``lr``) and how it steps.

>>> import numpy as np
>>> p, g = [np.array([1.0, 2.0])], [np.array([0.5, -1.0])]
>>> state = OPTIMIZERS["sgd"].start(p, lr=0.1)
>>> state.step(p, g)   # p -= lr * g
>>> p[0]
array([0.95, 2.1 ])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Adam's decay rates of the first and second moment estimates and its epsilon (the paper's
#: and torch's defaults).
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


class OptimizerState:
    """One optimizer at work on a list of parameters: settings, step count and buffers.

    Attributes
    ----------
    optimizer : Optimizer
    lr : float
        Learning rate.
    settings : dict
        The values of ``optimizer.fields``, e.g. ``{"momentum": 0.9}``.
    t : int
        Steps taken so far (Adam's bias correction needs it).
    buffers : dict of str to list of ndarray
        For each name in ``optimizer.buffers``, one array per parameter, same shape and
        dtype, zero at the start.
    """

    def __init__(self, optimizer: Optimizer, params: Sequence[np.ndarray], lr: float,
                 settings: dict[str, float]) -> None:
        self.optimizer = optimizer
        self.lr = lr
        self.settings = settings
        self.t = 0
        self.buffers = {name: [np.zeros_like(p) for p in params] for name in optimizer.buffers}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update ``params`` in place from ``grads`` (which the step may overwrite)."""
        self.t += 1
        self.optimizer.update(self, params, grads)

    def reset(self, run: int) -> None:
        """Forget what the optimizer learnt about run ``run`` (index on the leading axis)."""
        for arrays in self.buffers.values():
            for a in arrays:
                a[run] = 0.0


UpdateFn = Callable[[OptimizerState, Sequence[np.ndarray], Sequence[np.ndarray]], None]


@dataclass(frozen=True)
class Optimizer:
    """A registered optimizer.

    Attributes
    ----------
    name : str
        Name users see, the key in :data:`OPTIMIZERS` (the config's ``optimizer`` value).
    label : str
        Human label for menus, e.g. ``"SGD with momentum"``.
    help : str
        One or two sentences a newcomer understands.
    fields : tuple of str
        Config fields the step reads besides ``lr`` (``("momentum",)`` for momentum).
    buffers : tuple of str
        Names of the per-parameter state arrays (zero at the start, zeroed again for a run
        by :meth:`OptimizerState.reset`).
    update : callable
        ``update(state, params, grads)``: one step, in place; may overwrite ``grads``.
    """

    name: str
    label: str
    help: str
    fields: tuple[str, ...]
    buffers: tuple[str, ...]
    update: UpdateFn

    def start(self, params: Sequence[np.ndarray], lr: float,
              **settings: float) -> OptimizerState:
        """A fresh state for ``params``; ``settings`` holds the values of :attr:`fields`."""
        return OptimizerState(self, params, lr, {f: settings[f] for f in self.fields})


def _sgd(state: OptimizerState, params: Sequence[np.ndarray],
         grads: Sequence[np.ndarray]) -> None:
    # p -= lr g
    for p, g in zip(params, grads, strict=True):
        g *= state.lr
        p -= g


def _momentum(state: OptimizerState, params: Sequence[np.ndarray],
              grads: Sequence[np.ndarray]) -> None:
    # Classical momentum: v = mu v - lr g; p += v.
    mu = state.settings["momentum"]
    for p, g, v in zip(params, grads, state.buffers["velocity"], strict=True):
        v *= mu
        g *= state.lr
        v -= g
        p += v


def _adam(state: OptimizerState, params: Sequence[np.ndarray],
          grads: Sequence[np.ndarray]) -> None:
    # Kingma & Ba 2015: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    # p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps).
    b1, b2, eps = ADAM_BETA1, ADAM_BETA2, ADAM_EPS
    c1 = 1 - b1**state.t
    c2 = 1 - b2**state.t
    buffers = state.buffers
    for p, g, m, v, tmp in zip(params, grads, buffers["m"], buffers["v"], buffers["scratch"],
                               strict=True):
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        np.multiply(g, g, out=tmp)
        v *= b2
        tmp *= 1 - b2
        v += tmp
        np.divide(v, c2, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= state.lr / c1
        p -= tmp


OPTIMIZERS: dict[str, Optimizer] = {opt.name: opt for opt in (
    Optimizer(
        "sgd", "SGD",
        "Plain gradient descent: every step moves each parameter by the learning rate times "
        "its gradient, downhill.",
        fields=(), buffers=(), update=_sgd,
    ),
    Optimizer(
        "momentum", "SGD with momentum",
        "Gradient descent with a velocity: each step adds the learning rate times the gradient "
        "to a running velocity, which the momentum factor keeps from one step to the next.",
        fields=("momentum",), buffers=("velocity",), update=_momentum,
    ),
    Optimizer(
        "adam", "Adam",
        "Adam (Kingma & Ba 2015): each parameter moves by about the learning rate per step, "
        "in the direction of its running average gradient scaled by the gradient's running "
        "size.",
        fields=(), buffers=("m", "v", "scratch"), update=_adam,
    ),
)}


__all__ = ["ADAM_BETA1", "ADAM_BETA2", "ADAM_EPS", "OPTIMIZERS", "Optimizer", "OptimizerState"]
