"""The explanations and charts of a convnet: they read the conv output, not the pixels, and say
true things about the filters.

Small comparisons of zeros vs he_normal on the bars images (96 samples, 6 filters 3x3, pool
2, 8 hidden units, 40 epochs): sigmoid (the zero side's filters stay equal and alive) and
tanh (the zero side's filters are dead). Six filters, not four: 4 filters pooled by 2 give
exactly as many conv features as pixels (4 * 6 * 6 = 12 * 12), which would let a forward pass
that feeds the pixels to the first dense layer go unnoticed; 6 give 216 features.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

import sim
from sim.charts.boundary import decision_boundary
from sim.charts.network import network_diagram
from sim.charts.neurons import _hidden_outputs, activation_distribution
from sim.charts.trajectories import unit_trajectories
from sim.charts.weights import weight_heatmaps
from sim.explain import captions, headlines, reading, step, why
from sim.network import forward, loss_and_gradients
from sim.presets import get_preset

F = 6
ZEROS, RANDOM = 0, 1


@functools.cache
def trained(activation: str) -> sim.Result:
    cfg = sim.Config.from_dict(dict(
        dataset="bars", n_samples=96, conv=f"{F}x3", pool=2, hidden=[8],
        activation=activation, epochs=40, lr=2.0,
        inits=[{"scheme": "zeros"}, {"scheme": "he_normal"}]))
    return sim.train_comparison(cfg)


CASES = ["sigmoid", "tanh"]


def _end(res: sim.Result, i: int, name: str) -> int:
    return int(res.history.conv_metrics[name][res.run_indices(i)[0], -1, 0])


def test_the_fixture_shows_the_lesson() -> None:
    """The premises of the tests below: sigmoid zeros ends with one live filter, tanh zeros
    with every filter dead, he_normal with several distinct filters; and the first dense
    layer reads more features than there are pixels."""
    s, t = trained("sigmoid"), trained("tanh")
    assert s.config.layer_sizes[0] == F * 6 * 6 != s.data.X_train.shape[1]
    assert (_end(s, ZEROS, "distinct_neurons"), _end(s, ZEROS, "dead_units")) == (1, 0)
    assert (_end(t, ZEROS, "distinct_neurons"), _end(t, ZEROS, "dead_units")) == (0, F)
    assert _end(s, RANDOM, "distinct_neurons") > 1


@pytest.mark.parametrize("case", CASES)
def test_predict_goes_through_the_conv_layers(case: str) -> None:
    """reading.predict on the test images gives the accuracy the engine recorded."""
    res = trained(case)
    h, d = res.history, res.data
    for i in (ZEROS, RANDOM):
        run = res.run_indices(i)[0]
        p = reading.predict(res, run, h.snapshot_epochs.size - 1, d.X_test)
        acc = float(np.mean(p.argmax(axis=1) == d.y_test.ravel()))
        assert acc == pytest.approx(float(h.test_accuracy[run, -1]), abs=1e-12)


@pytest.mark.parametrize("case", [*CASES, "relu"])
def test_dead_masks_count_what_the_engine_counts(case: str) -> None:
    """Dead hidden units and dead filters, recomputed from the stored parameters, equal the
    engine's counts at every snapshot, and the masks name the units whose outputs are all 0
    (relu: the he_normal side loses some hidden units, so the masks are not all or nothing);
    distinct live filters equal the engine's distinct filters."""
    res = trained(case)
    h = res.history
    S = h.snapshot_epochs.size
    for i in (ZEROS, RANDOM):
        run = res.run_indices(i)[0]
        masks = reading.dead_unit_masks(res, run, list(range(S)))
        assert np.array_equal(masks[0].sum(axis=1), h.metrics["dead_units"][run, :, 0])
        for k in range(S):
            out = reading.hidden_outputs(res, run, k, res.data.X_train)[0]
            assert np.array_equal(masks[0][k], np.all(out == 0, axis=0))
            dead = reading.dead_filter_masks(res, run, k)[0]
            assert dead.sum() == h.conv_metrics["dead_units"][run, k, 0]
            n, distinct, n_dead = reading.filters_summary(res, run, k)
            assert (n, distinct, n_dead) == (F, h.conv_metrics["distinct_neurons"][run, k, 0],
                                             dead.sum())


def test_hidden_outputs_are_the_dense_layers_after_the_conv() -> None:
    """The activation chart's outputs are the dense hidden layer's (n, 8), as forward gives
    them from network_at with pooling, not the conv maps."""
    res = trained("sigmoid")
    run, X = res.run_indices(RANDOM)[0], res.data.X_train
    got = _hidden_outputs(res, run, -1, X)
    W, b = res.network_at(run, -1)
    want = forward(W, b, X, "sigmoid", pool=2, image_shape=res.config.image_shape)[1]
    assert len(got) == 1 and got[0].shape == (X.shape[0], 8)
    np.testing.assert_array_equal(got[0], want)


@pytest.mark.parametrize("case", CASES)
def test_headline_leads_with_the_filters(case: str) -> None:
    """The presenter's headline names the filters first, as the numbers have them."""
    res = trained(case)
    for i in (ZEROS, RANDOM):
        text = headlines.headline(res, "weights", i)
        distinct, dead = _end(res, i, "distinct_neurons"), _end(res, i, "dead_units")
        first = text.split(" · ")[0]
        if dead == F:
            assert first == f"{F} filters, all dead (output 0)"
        elif distinct == F:
            assert first == f"{F} filters, all distinct"
        else:
            assert first.startswith(f"{F} filters → {distinct} filter")
        assert " · " in text and "unit" in text.split(" · ")[1]
    assert headlines.headline(trained("sigmoid"), "network", ZEROS).startswith(
        f"{F} filters → 1 filter ·")


@pytest.mark.parametrize("case", CASES)
def test_caption_filters_match_conv_metrics(case: str) -> None:
    """The neurons caption's filter sentence says equal, dead or different exactly when the
    engine's filter counts say so."""
    res = trained(case)
    for i in (ZEROS, RANDOM):
        text = captions.caption_neurons(res, i)
        distinct, dead = _end(res, i, "distinct_neurons"), _end(res, i, "dead_units")
        assert (f"All {F} filters are equal" in text) == (distinct == 1 and dead == 0)
        assert (f"All {F} filters are dead" in text) == (dead == F)
        assert (f"All {F} filters are different" in text) == (distinct == F)
        assert text.startswith(captions.caption_filters(res, i))
    assert captions.caption_filters(sim.train_comparison(get_preset("lesson").config().replace(
        epochs=2)), 0) == ""


def test_caption_grad_norm_names_the_dense_layer_and_the_filters() -> None:
    """A convnet's gradient caption calls the first dense layer so, and says no gradient
    reaches the filters only when the engine's filter gradients are all 0."""
    s, t = trained("sigmoid"), trained("tanh")
    text = captions.caption_grad_norm(s, ZEROS)
    assert "dense layer 1" in text and "filter" not in text
    text = captions.caption_grad_norm(t, ZEROS)
    Gc = t.history.conv_grad_norm[t.run_indices(ZEROS)]
    assert np.all(Gc == 0)
    assert text.startswith("No gradient ever reaches a filter or a hidden layer")


@pytest.mark.parametrize("case", CASES)
def test_why_writes_the_filters_derivation(case: str) -> None:
    """The Why? tab of a convnet: the filters' derivation, LaTeX included, and one "In this
    run:" sentence per side that says what the conv weights did."""
    res = trained(case)
    blocks = why.derivation(res)
    assert blocks[0] == why.Block("subheader", "Why identical filters stay identical")
    assert {b.kind for b in blocks} <= {"subheader", "markdown", "latex", "info", "caption"}
    assert any(b.kind == "latex" and r"\star" in b.text for b in blocks)
    run_blocks = [b.text for b in blocks if b.text.startswith("In this run:")]
    assert len(run_blocks) == 2
    for i, text in enumerate(run_blocks):
        assert f"**{res.labels[i]}**" in text
        distinct, dead = _end(res, i, "distinct_neurons"), _end(res, i, "dead_units")
        assert ("still all equal" in text) == (why.filters_held(res, i) and dead < F)
        assert ("are dead" in text) == (dead == F)
        if dead < F and not why.filters_held(res, i):
            assert f"end as {distinct} distinct" in text
    zero_side = run_blocks[ZEROS]
    assert ("still all equal" if case == "sigmoid" else "are dead") in zero_side


def test_why_shows_equal_filters_of_the_symmetric_side() -> None:
    """The filters drawn (w_1 and w_F of the zeros side, sigmoid) are equal and are this
    run's, at the last epoch."""
    res = trained("sigmoid")
    latex = " ".join(b.text for b in why.derivation(res) if b.kind == "latex"
                     and r"\begin{bmatrix}" in b.text)
    shown = re.findall(r"w_\{?(\d+)\}? = (.*?\\end\{bmatrix\})", latex)
    assert [n for n, _ in shown] == ["1", str(F)]
    assert shown[0][1] == shown[1][1]
    w1 = shown[0][1]
    w = res.history.conv_weights[0][res.run_indices(ZEROS)[0], -1, 0, 0]
    assert np.any(w) and re.search(r"10\^\{-\d\}", w1)


def test_the_derivation_is_what_the_engine_computes() -> None:
    """Its claims, checked on the engine's gradients: equal filters (sigmoid, from zeros)
    get equal kernel and bias gradients; tanh at zeros gives 0 maps and 0 gradients for the
    filters and the first dense layer."""
    for case in CASES:
        res = trained(case)
        cfg = res.config
        run = res.run_indices(ZEROS)[0]
        for k in (0, 1, res.history.snapshot_epochs.size - 1):
            W, b = res.network_at(run, k)
            _, gW, gb = loss_and_gradients(W, b, res.data.X_train, res.data.y_train,
                                           cfg.activation, cfg.loss_name, cfg.l2, pool=cfg.pool,
                                           image_shape=cfg.image_shape)
            g = gW[0].reshape(F, -1)
            assert np.all(g == g[0]) and np.all(gb[0] == gb[0][0])
            if case == "tanh":
                maps = forward(W, b, res.data.X_train, cfg.activation, pool=cfg.pool,
                               image_shape=cfg.image_shape)[0]
                assert not np.any(maps) and not np.any(gW[0]) and not np.any(gW[1])


@pytest.mark.parametrize("case", CASES)
def test_hand_step_says_it_covers_dense_networks(case: str) -> None:
    """No step by hand for a convnet: one stage saying so and pointing to the filters'
    derivation."""
    steps = step.hand_step(trained(case), ZEROS)
    assert len(steps) == 1 and steps[0].blocks[0].kind == "info"
    text = steps[0].blocks[0].text
    assert "dense networks" in text and "Why identical filters stay identical" in text


def test_charts_label_the_conv_features() -> None:
    """The network's first column, the heatmaps' first x axis and the trajectories' y axis
    name the conv features; the decision boundary does not apply to images."""
    res = trained("sigmoid")
    fig = network_diagram(res, ZEROS)
    texts = [t for tr in fig.data if tr.text is not None for t in np.atleast_1d(tr.text)]
    assert f"{F * 36} conv features" in texts or "conv" in texts
    assert "input" not in texts and "in" not in texts
    assert weight_heatmaps(res, ZEROS).layout.xaxis.title.text.startswith("conv feature")
    assert "conv feature 1" in unit_trajectories(res, ZEROS).layout.yaxis.title.text
    assert decision_boundary(res, ZEROS) is None and decision_boundary(res, RANDOM) is None
    # 216 features are too many to draw: evenly spaced ones, "+n" counting the rest.
    assert any("+n: units not drawn" in a.text for a in fig.layout.annotations)
    assert f"+{F * 36 - 16}" in texts


def test_activation_chart_of_dead_filters_is_a_spike_at_zero() -> None:
    """With tanh at zeros the hidden outputs after the dead filters are all 0: the chart
    says "every value = 0"."""
    fig = activation_distribution(trained("tanh"), ZEROS)
    assert any(a.text == "every value = 0" for a in fig.layout.annotations)


def test_filters_tile() -> None:
    """The metrics row's Filters tile: distinct filters / filters at the end."""
    from sim.app.panels import _filters_text

    s = trained("sigmoid")
    assert _filters_text(s, ZEROS) == (f"1/{F}", 1 / F)
    d = _end(s, RANDOM, "distinct_neurons")
    assert _filters_text(s, RANDOM) == (f"{d}/{F}", d / F)
    assert _filters_text(sim.train_comparison(get_preset("lesson").config().replace(
        epochs=2)), 0) is None


def test_filters_preset_shows_what_it_describes() -> None:
    """The filters preset: zeros keeps 8 exactly equal filters (gap 0) near chance, he_normal
    gets 8 distinct filters and almost every test image right, as its description says."""
    p = get_preset("filters")
    res = sim.train_comparison(p.config())
    h = res.history
    m = h.conv_metrics
    z, r = res.run_indices(ZEROS)[0], res.run_indices(RANDOM)[0]
    assert m["distinct_neurons"][z, -1, 0] == 1 and np.all(m["symmetry_gap"][z] == 0)
    assert m["dead_units"][z, -1, 0] == 0
    assert h.test_accuracy[z, -1] < 0.3
    assert m["distinct_neurons"][r, -1, 0] == 8 and h.test_accuracy[r, -1] > 0.95
    assert "symmetry gap 0" in p.description and "8 filters" in p.description


def test_a_conv_preset_gives_the_conv_widget_its_text() -> None:
    """Picking a convnet preset sets the conv text box to text, as typed ("8x3")."""
    from sim.app.state import widget_values

    assert widget_values(get_preset("filters").config())["conv"] == "8x3"


def test_step_numbers_refuse_a_convnet() -> None:
    """step_numbers, written for dense networks, raises for a convnet instead of feeding the
    pixels to the first dense layer."""
    with pytest.raises(ValueError, match="dense networks"):
        step.step_numbers(trained("sigmoid"), ZEROS)
