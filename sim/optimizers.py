"""The optimizers, keyed by the names users see (placeholder until the registry lands)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Optimizer:
    name: str
    label: str
    uses: tuple[str, ...] = ()


OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in [
    Optimizer("sgd", "SGD"),
    Optimizer("momentum", "SGD with momentum", ("momentum",)),
    Optimizer("adam", "Adam"),
]}
