"""The Compare tab: metrics, loss, weights, effective neurons, decision boundary."""

from __future__ import annotations

import streamlit as st

from sim import METRIC_DEFINITIONS, Result, charts
from sim.app.panels import metrics_row, paired, show_chart
from sim.app.state import METRIC_CHOICES, METRIC_TITLES


def compare_tab(result: Result) -> None:
    """The main view: metrics, loss, weights, effective neurons, decision boundary."""
    metrics_row(result)
    h = result.history

    st.subheader("1 · Loss")
    log_y = st.toggle("Logarithmic loss axis", key="log_y", persist_state="page",
                      help="A log scale shows small losses and slow progress better.")
    paired(result, "loss", lambda i: charts.loss_curves(result, i, log_y=log_y),
           lambda i: charts.caption_loss(result, i))
    c1, c2 = st.columns(2, gap="large")
    with c1:
        show_chart(charts.loss_overlay(result, log_y=log_y), result, "loss_overlay")
    with c2:
        acc = charts.accuracy_curves(result)
        if acc is not None:
            show_chart(acc, result, "accuracy")
        else:
            st.info("Accuracy applies to classification datasets; this one is a regression.")

    st.subheader("2 · Weights")
    epochs = [int(e) for e in h.snapshot_epochs]
    epoch = st.select_slider(
        "Epoch shown (weights and decision boundary)", options=epochs, key="snapshot_epoch",
        persist_state="page",
        help="Move through the stored snapshots of the training. Both sides show the same "
             "epoch with the same colour range.")
    k = epochs.index(epoch)
    zmax = charts.weight_range(result, k)
    paired(result, "weights",
           lambda i: charts.weight_heatmaps(result, i, snapshot=k, zmax=zmax),
           lambda i: charts.caption_weights(result, i, k))

    st.subheader("3 · Effective neurons")
    metric = st.radio("Count", METRIC_CHOICES, key="metric", horizontal=True,
                      persist_state="page",
                      format_func=lambda m: METRIC_TITLES[m],
                      help="How to count the neurons that really work; the definition of the "
                           "chosen count is shown below.")
    st.caption(f"**{METRIC_TITLES[metric]}**: {METRIC_DEFINITIONS[metric]}")
    paired(result, "neurons", lambda i: charts.effective_neurons(result, i, metric=metric),
           lambda i: charts.caption_neurons(result, i))

    st.subheader("4 · What the network predicts")
    paired(result, "boundary", lambda i: charts.decision_boundary(result, i, snapshot=k),
           lambda i: charts.caption_boundary(result, i))
