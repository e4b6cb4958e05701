"""Reference MLP: forward/backward, activations, output losses, init.

Twins: ``python/steepest/nn/mlp.py``, ``_activations.py``.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytest
from steepest.nn import _activations, linear, logistic, mlp

from ._gradcheck import assert_grads_match, away_from_zero

# (loss, n_outputs, how y is drawn)
OUTPUTS = {
    "binary": ("log_loss", 1),
    "3classes": ("log_loss", 3),
    "regression": ("squared_error", 1),
    "2targets": ("squared_error", 2),
}
STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}


def _problem(
    rng: np.random.Generator, output: str, hidden: tuple[int, ...] = (5, 4)
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    loss, k = OUTPUTS[output]
    n, d = 8, 3
    sizes = [d, *hidden, k]
    params: list[np.ndarray] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        # |w| >= 0.1 keeps finite differences off the L1 kink; the 0.5 scale
        # keeps tanh/sigmoid units out of saturation.
        params += [
            0.5 * away_from_zero(rng, (fan_in, fan_out)),
            0.1 * rng.standard_normal(fan_out),
        ]
    X = rng.standard_normal((n, d))
    if loss == "log_loss":
        y = rng.integers(0, max(k, 2), n)
    else:
        y = rng.standard_normal(n if k == 1 else (n, k))
    return params, X, y


@pytest.mark.parametrize("activation", _activations.ACTIVATIONS)
@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize(
    ("alpha", "l1_ratio"), [(0.0, 0.0), (0.05, 0.3)], ids=["plain", "penalty"]
)
def test_gradient_matches_finite_differences(
    rng: np.random.Generator,
    activation: str,
    output: str,
    alpha: float,
    l1_ratio: float,
) -> None:
    params, X, y = _problem(rng, output)
    fun = functools.partial(
        mlp.loss_and_grad, activation=activation, loss=OUTPUTS[output][0]
    )
    assert_grads_match(fun, params, X, y, alpha=alpha, l1_ratio=l1_ratio)


def test_relu_gradient_with_inactive_units(rng: np.random.Generator) -> None:
    # Negative biases switch roughly half the hidden units off for each sample.
    params, X, y = _problem(rng, "3classes", hidden=(6,))
    params[1] -= 0.5
    assert (X @ params[0] + params[1] < 0).mean() > 0.3
    fun = functools.partial(mlp.loss_and_grad, activation="relu")
    assert_grads_match(fun, params, X, y, alpha=0.1, l1_ratio=0.0)


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_no_hidden_layer_is_the_linear_or_logistic_model(
    rng: np.random.Generator, output: str
) -> None:
    params, X, y = _problem(rng, output, hidden=())
    loss, k = OUTPUTS[output]
    J, grads = mlp.loss_and_grad(params, X, y, loss=loss, alpha=0.1, l1_ratio=0.5)
    model = linear if loss == "squared_error" else logistic
    flat = [params[0][:, 0] if k == 1 else params[0], params[1]]
    J_ref, grads_ref = model.loss_and_grad(flat, X, y, alpha=0.1, l1_ratio=0.5)
    assert J == pytest.approx(J_ref, rel=1e-14)
    np.testing.assert_allclose(
        grads[0].reshape(flat[0].shape), grads_ref[0], rtol=1e-13
    )
    np.testing.assert_allclose(grads[1], grads_ref[1], rtol=1e-13)


@pytest.mark.parametrize("activation", _activations.ACTIVATIONS)
def test_activation_derivatives(activation: str) -> None:
    z = np.linspace(-4.0, 4.0, 81)
    z = z[np.abs(z) > 1e-3]  # relu has no derivative at 0
    h = 1e-6
    numeric = (
        _activations.activate(activation, z + h)
        - _activations.activate(activation, z - h)
    ) / (2 * h)
    gprime = _activations.derivative(activation, _activations.activate(activation, z))
    expected = np.ones_like(z) if gprime is None else gprime
    np.testing.assert_allclose(expected, numeric, rtol=1e-7, atol=1e-9)


def test_relu_derivative_at_zero_is_zero() -> None:
    a = _activations.activate("relu", np.array([-1.0, 0.0, -0.0, 2.0]))
    np.testing.assert_array_equal(
        _activations.derivative("relu", a), [0.0, 0.0, 0.0, 1.0]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_sigmoid_is_stable(dtype: type) -> None:
    z = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype)
    with np.errstate(**STRICT):  # type: ignore[arg-type]
        s = _activations.activate("sigmoid", z)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert 0 < s[1] < 1e-40 or (dtype == np.float32 and s[1] == 0)


@pytest.mark.parametrize("output", ["binary", "3classes"])
def test_huge_output_logits_give_the_limit(output: str) -> None:
    # One hidden identity unit carrying x, output weight 1e4 (and -1e4 for class 2).
    k = OUTPUTS[output][1]
    W2 = np.array([[1e4]]) if k == 1 else np.array([[1e4, 0.0, -1e4]])
    params = [np.ones((1, 1)), np.zeros(1), W2, np.zeros(k)]
    X, y = np.ones((2, 1)), np.array([1, 0])
    with np.errstate(**STRICT):  # type: ignore[arg-type]
        J, grads = mlp.loss_and_grad(params, X, y, activation="identity")
    assert J == pytest.approx(1e4 / 2, rel=1e-12)  # losses 0 and 1e4
    assert all(np.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_known_values_with_a_zero_output_layer(
    rng: np.random.Generator, output: str
) -> None:
    params, X, y = _problem(rng, output)
    params[-2][...] = 0.0
    params[-1][...] = 0.0
    loss, k = OUTPUTS[output]
    J, grads = mlp.loss_and_grad(params, X, y, activation="tanh", loss=loss)
    if loss == "log_loss":
        assert J == pytest.approx(math.log(max(k, 2)), rel=1e-15)
    else:
        assert J == pytest.approx(0.5 * np.mean(y**2), rel=1e-15)
    # A zero output layer passes no gradient back to the hidden layers.
    for g in grads[:-2]:
        np.testing.assert_array_equal(g, 0.0)


def test_predictions(rng: np.random.Generator) -> None:
    for output, (loss, k) in OUTPUTS.items():
        params, X, _ = _problem(rng, output)
        Z = mlp.decision_function(params, X, activation="tanh")
        assert Z.shape == ((8,) if k == 1 else (8, k))
        pred = mlp.predict(params, X, activation="tanh", loss=loss)
        if loss == "squared_error":
            np.testing.assert_array_equal(pred, Z)
            continue
        proba = mlp.predict_proba(params, X, activation="tanh")
        assert proba.shape == (8, max(k, 2))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
        np.testing.assert_array_equal(pred, np.argmax(proba, axis=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["normal", "uniform", "xavier", "he"])
def test_init_params(kind: str, dtype: type) -> None:
    params = mlp.init_params(
        kind, 4, [6, 5], 2, rng=np.random.default_rng(1), dtype=dtype
    )
    again = mlp.init_params(
        kind, 4, (6, 5), 2, rng=np.random.default_rng(1), dtype=dtype
    )
    assert [p.shape for p in params] == [(4, 6), (6,), (6, 5), (5,), (5, 2), (2,)]
    for a, b in zip(params, again, strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    for b in params[1::2]:
        np.testing.assert_array_equal(b, 0.0)
    if kind == "xavier":  # Glorot bound of the middle layer
        assert np.abs(params[2]).max() <= math.sqrt(6 / 11)


def test_init_params_rejects() -> None:
    rng = np.random.default_rng(0)
    fn = r"^mlp.init_params: "
    with pytest.raises(
        ValueError, match=fn + "kind must be 'normal', .* or 'he', got 'zeros'"
    ):
        mlp.init_params("zeros", 3, (4,), 1, rng=rng)
    with pytest.raises(
        TypeError, match=fn + "hidden_layer_sizes must be a sequence of ints"
    ):
        mlp.init_params("he", 3, 4, 1, rng=rng)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=fn + r"hidden_layer_sizes\[1\] must be an int >= 1, got 0"
    ):
        mlp.init_params("he", 3, (4, 0), 1, rng=rng)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda p: {"params": p[:3]}, ValueError, "params must hold .* got 3 arrays"),
        (lambda p: {"params": [p[0], p[1], p[2].T, p[3]]}, ValueError,
         r"params\[2\] \(W2\) has shape \(1, 4\); expected \(4, n_units\) to follow params\[0\] \(W1\)"),
        (lambda p: {"params": [p[0], p[1][:2], *p[2:]]}, ValueError, r"params\[1\] \(b1\)"),
        (lambda p: {"X": np.ones((5, 2))}, ValueError, r"params\[0\] \(W1\) .* to follow X"),
        (lambda p: {"activation": "softplus"}, ValueError,
         "activation must be 'relu', 'tanh', 'sigmoid' or 'identity', got 'softplus'"),
        (lambda p: {"loss": "hinge"}, ValueError, "loss must be 'log_loss', 'squared_error' or 'multilabel_log_loss', got 'hinge'"),
        (lambda p: {"y": np.array([0, 1, 2, 0, 1])}, ValueError, r"y holds labels outside \[0, 2\)"),
        (lambda p: {"y": np.zeros(5, np.float32), "loss": "squared_error"}, TypeError,
         "y has dtype float32 but X has dtype float64"),
        (lambda p: {"y": np.zeros((5, 1)), "loss": "squared_error"}, ValueError,
         r"y has shape \(5, 1\); expected \(5,\)"),
    ],
    ids=["count", "W2-shape", "b1-shape", "X-features", "activation", "loss",
         "labels", "y-dtype", "y-2d"],
)  # fmt: skip
def test_loss_and_grad_rejects(change: object, error: type, match: str) -> None:
    params = [np.zeros((3, 4)), np.zeros(4), np.zeros((4, 1)), np.zeros(1)]
    kwargs = {"params": params, "X": np.ones((5, 3)), "y": np.array([0, 1, 1, 0, 1])}
    kwargs.update(change(params))  # type: ignore[operator]
    with pytest.raises(error, match=r"^mlp.loss_and_grad: " + match):
        mlp.loss_and_grad(**kwargs)  # type: ignore[arg-type]
