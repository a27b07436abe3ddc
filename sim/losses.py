"""Output layers and their losses.

Each loss fixes the output activation it pairs with, as in every framework: the gradient with
respect to the output pre-activation ``z`` then has the simple form ``(prediction - target) / n``.

=========  ===================  ==============================================================
name       output activation    loss per sample (mean over the ``n`` samples)
=========  ===================  ==============================================================
``mse``    identity             ``1/2 * sum_k (z_k - y_k)^2`` (squared error, as in the worked
                                example and scikit-learn's ``squared_loss``)
``bce``    sigmoid              ``-[y log p + (1 - y) log(1 - p)]``, ``p = sigmoid(z)``
``ce``     softmax              ``-log softmax(z)_y``
=========  ===================  ==============================================================

Arrays are stacked over runs: ``z`` has shape ``(n_runs, n_samples, n_outputs)`` and the
target ``t`` has shape ``(n_samples, n_outputs)`` or ``(n_runs, n_samples, n_outputs)``: the
real value for ``mse``, 0/1 for ``bce``, a one-hot row for ``ce``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.validate import quote


@dataclass(frozen=True)
class Loss:
    """A loss paired with its output activation.

    Attributes
    ----------
    name : str
        Name shown to users.
    label : str
        Human label.
    output : str
        Output activation ("identity", "sigmoid" or "softmax").
    value_and_grad : callable
        ``value_and_grad(z, t, grad_out) -> ndarray of shape (n_runs,)``: the mean loss per run;
        writes ``dL/dz`` (including the ``1/n`` of the mean) into ``grad_out``.
    value : callable
        ``value(z, t) -> ndarray of shape (n_runs,)``: the mean loss per run.
    predict : callable
        ``predict(z) -> ndarray``: outputs after the output activation.
    """

    name: str
    label: str
    output: str
    value_and_grad: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    predict: Callable[[np.ndarray], np.ndarray]


def _mse_value(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = z - t
    return 0.5 * np.einsum("rnk,rnk->r", d, d) / z.shape[1]


def _mse_value_and_grad(z: np.ndarray, t: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    np.subtract(z, t, out=grad_out)
    value = 0.5 * np.einsum("rnk,rnk->r", grad_out, grad_out) / z.shape[1]
    grad_out /= z.shape[1]
    return value


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _bce_value(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    # Stable form from the logit: max(z, 0) - z t + log(1 + exp(-|z|)).
    per = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return per.sum(axis=(1, 2)) / z.shape[1]


def _bce_value_and_grad(z: np.ndarray, t: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    value = _bce_value(z, t)
    np.subtract(_sigmoid(z), t, out=grad_out)
    grad_out /= z.shape[1]
    return value


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _ce_value(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    logsumexp = np.log(np.exp(z - m).sum(axis=-1, keepdims=True)) + m
    per = (logsumexp - z) * t
    return per.sum(axis=(1, 2)) / z.shape[1]


def _ce_value_and_grad(z: np.ndarray, t: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    value = _ce_value(z, t)
    np.subtract(_softmax(z), t, out=grad_out)
    grad_out /= z.shape[1]
    return value


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", "Squared error (regression)", "identity", _mse_value_and_grad,
                _mse_value, lambda z: z),
    "bce": Loss("bce", "Sigmoid + binary cross-entropy", "sigmoid", _bce_value_and_grad,
                _bce_value, _sigmoid),
    "ce": Loss("ce", "Softmax + cross-entropy (multi-class)", "softmax", _ce_value_and_grad,
               _ce_value, _softmax),
}

#: Other names accepted for the losses.
LOSS_ALIASES: dict[str, str] = {
    "squared_error": "mse",
    "squared": "mse",
    "binary_cross_entropy": "bce",
    "cross_entropy": "ce",
    "softmax": "ce",
}


def resolve_loss(name: str) -> str:
    """Return the canonical loss name for ``name`` (a name or an alias).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = LOSS_ALIASES.get(key, key)
    if key not in LOSSES:
        valid = ", ".join(LOSSES)
        aliases = ", ".join(LOSS_ALIASES)
        raise ValueError(f"Unknown loss {quote(name)}. Valid names: {valid} (aliases: {aliases}).")
    return key


def accuracy(loss: str, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Classification accuracy per run.

    Parameters
    ----------
    loss : {"bce", "ce"}
    z : ndarray of shape (n_runs, n_samples, n_outputs)
        Output pre-activations (logits).
    labels : ndarray of shape (n_samples,) or (n_runs, n_samples)
        Integer class labels.

    Returns
    -------
    ndarray of shape (n_runs,)
    """
    if loss == "bce":
        pred = z[..., 0] > 0.0
    else:
        pred = z.argmax(axis=-1)
    return (pred == labels).mean(axis=-1)
