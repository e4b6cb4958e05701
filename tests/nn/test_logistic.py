"""Reference logistic regression: binary (sigmoid) and multinomial (softmax).

Twin: ``python/steepest/nn/logistic.py`` (and ``_losses.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from steepest.nn import logistic

from ._gradcheck import assert_grads_match, away_from_zero

PENALTIES = [(0.0, 0.0), (0.1, 0.0), (0.1, 0.5), (0.3, 1.0)]
PENALTY_IDS = [f"alpha{a}-l1r{r}" for a, r in PENALTIES]
CLASSES = [2, 3]  # 2: binary with a 1-D coef; 3: multinomial
# Overflow, invalid results or divisions by 0 raise instead of warning; an
# underflow of exp(-|t|) to 0 is the intended limit and stays silent.
STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}


def _problem(
    rng: np.random.Generator, n_classes: int, *, two_d: bool = False
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    n, d = 9, 4
    k = 1 if n_classes == 2 and not two_d else n_classes
    shape = (d,) if k == 1 else (d, k)
    params = [away_from_zero(rng, shape), rng.standard_normal(k)]
    return params, rng.standard_normal((n, d)), rng.integers(0, n_classes, n)


@pytest.mark.parametrize("n_classes", CLASSES, ids=["binary", "3classes"])
@pytest.mark.parametrize(("alpha", "l1_ratio"), PENALTIES, ids=PENALTY_IDS)
def test_gradient_matches_finite_differences(
    rng: np.random.Generator, n_classes: int, alpha: float, l1_ratio: float
) -> None:
    params, X, y = _problem(rng, n_classes)
    assert_grads_match(
        logistic.loss_and_grad, params, X, y, alpha=alpha, l1_ratio=l1_ratio
    )


def test_gradient_of_two_column_softmax(rng: np.random.Generator) -> None:
    params, X, y = _problem(rng, 2, two_d=True)
    assert params[0].shape == (4, 2)
    assert_grads_match(logistic.loss_and_grad, params, X, y, alpha=0.1, l1_ratio=0.5)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_loss_at_zero_is_log_k(n_classes: int) -> None:
    params = logistic.init_params("zeros", 3, n_classes, rng=np.random.default_rng(0))
    X = np.arange(12.0).reshape(4, 3)
    y = np.arange(4) % n_classes
    loss, (g_coef, g_b) = logistic.loss_and_grad(params, X, y)
    assert loss == pytest.approx(math.log(n_classes), rel=1e-15)
    if n_classes == 2:  # dJ/dz = (1/2 - y) / n
        np.testing.assert_allclose(g_b, [np.mean(0.5 - y)], rtol=1e-15)
        np.testing.assert_allclose(g_coef, X.T @ (0.5 - y) / 4, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("z", [1e4, -1e4, 1e30])
def test_binary_huge_logits_give_the_limit(dtype: type, z: float) -> None:
    X = np.ones((2, 1), dtype)
    params = [np.array([z], dtype), np.zeros(1, dtype)]
    y = np.array([1, 0])
    with np.errstate(**STRICT):  # type: ignore[arg-type]
        loss, (g_coef, g_b) = logistic.loss_and_grad(params, X, y)
    # One sample is right with certainty (loss 0), the other wrong by |z|.
    assert loss == pytest.approx(abs(float(dtype(z))) / 2, rel=1e-6)
    # sigmoid(z) is exactly 0 or 1 here, so D = ([z > 0] - y) / 2 and x = 1
    D = (np.array([z > 0, z > 0], dtype) - y) / 2
    np.testing.assert_array_equal(g_coef, [D.sum()])
    np.testing.assert_array_equal(g_b, [D.sum()])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_multinomial_huge_logits_give_the_limit(dtype: type) -> None:
    X = np.ones((3, 1), dtype)
    params = [np.array([[1e4, 0.0, -1e4]], dtype), np.zeros(3, dtype)]
    y = np.array([0, 1, 2])
    with np.errstate(**STRICT):  # type: ignore[arg-type]
        loss, grads = logistic.loss_and_grad(params, X, y)
    # logsumexp = 1e4 (exactly, in floating point); losses 0, 1e4, 2e4
    assert loss == pytest.approx(1e4, rel=1e-7)
    assert all(np.isfinite(g).all() for g in grads)
    # softmax = (1, 0, 0): D = ((1,0,0) - onehot(y)) / 3 summed over the 3 samples
    np.testing.assert_allclose(grads[1], [2 / 3, -1 / 3, -1 / 3], rtol=1e-6)


def test_moderate_logits_match_the_naive_formula() -> None:
    z = np.linspace(-30.0, 30.0, 61)
    X = z[:, None]
    for label in (0, 1):
        y = np.full(z.size, label)
        loss, _ = logistic.loss_and_grad([np.ones(1), np.zeros(1)], X, y)
        naive = np.mean(np.log1p(np.exp(z)) - label * z)
        assert loss == pytest.approx(naive, rel=1e-12)
    Z = np.stack([z, -z, 0.5 * z], axis=1)
    y = np.arange(z.size) % 3
    coef = np.array([[1.0, -1.0, 0.5]])
    loss, _ = logistic.loss_and_grad([coef, np.zeros(3)], X, y)
    naive = np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(z.size), y])
    assert loss == pytest.approx(naive, rel=1e-12)


@pytest.mark.parametrize("n_classes", CLASSES, ids=["binary", "3classes"])
def test_predictions_agree(rng: np.random.Generator, n_classes: int) -> None:
    params, X, _ = _problem(rng, n_classes)
    proba = logistic.predict_proba(params, X)
    assert proba.shape == (9, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    labels = logistic.predict(params, X)
    assert labels.dtype == np.intp
    np.testing.assert_array_equal(labels, np.argmax(proba, axis=1))
    z = logistic.decision_function(params, X)
    np.testing.assert_array_equal(z, X @ params[0] + params[1])
    if n_classes == 2:
        np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-14)


def test_float32_computes_in_float32(rng: np.random.Generator) -> None:
    params, X, y = _problem(rng, 3)
    loss64, grads64 = logistic.loss_and_grad(params, X, y, alpha=0.1, l1_ratio=0.5)
    p32 = [p.astype(np.float32) for p in params]
    loss32, grads32 = logistic.loss_and_grad(
        p32, X.astype(np.float32), y, alpha=0.1, l1_ratio=0.5
    )
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


def test_bool_labels_are_accepted() -> None:
    params = [np.zeros(2), np.zeros(1)]
    X = np.ones((2, 2))
    a, _ = logistic.loss_and_grad(params, X, np.array([True, False]))
    b, _ = logistic.loss_and_grad(params, X, np.array([1, 0]))
    assert a == b


def test_init_params_shapes() -> None:
    rng = np.random.default_rng(0)
    assert [p.shape for p in logistic.init_params("normal", 4, 2, rng=rng)] == [
        (4,),
        (1,),
    ]
    assert [p.shape for p in logistic.init_params("he", 4, 5, rng=rng)] == [
        (4, 5),
        (5,),
    ]
    with pytest.raises(
        ValueError,
        match=r"^logistic.init_params: n_classes must be an int >= 2, got 1$",
    ):
        logistic.init_params("normal", 4, 1, rng=rng)


@pytest.mark.parametrize(
    ("params", "y", "error", "match"),
    [
        ([np.zeros(3), np.zeros(1)], np.array([0.0, 1.0, 0.0, 1.0]), TypeError,
         "y has dtype float64; expected integer class indices"),
        ([np.zeros(3), np.zeros(1)], np.array([0, 1, 2, 1]), ValueError,
         r"y holds labels outside \[0, 2\) \(min 0, max 2\)"),
        ([np.zeros((3, 4)), np.zeros(4)], np.array([0, -1, 2, 1]), ValueError,
         r"y holds labels outside \[0, 4\)"),
        ([np.zeros(3), np.zeros(1)], np.array([0, 1]), ValueError,
         r"y has shape \(2,\); expected \(4,\)"),
        ([np.zeros((3, 1)), np.zeros(1)], np.array([0, 1, 0, 1]), ValueError,
         r"params\[0\] \(coef\) has shape \(3, 1\)"),
        ([np.zeros((3, 3)), np.zeros(1)], np.array([0, 1, 0, 1]), ValueError,
         r"params\[1\] \(intercept\) has shape \(1,\); expected \(3,\)"),
    ],
    ids=["y-float", "y-binary-range", "y-negative", "y-length", "coef-one-column",
         "intercept-shape"],
)  # fmt: skip
def test_loss_and_grad_rejects(
    params: list[np.ndarray], y: np.ndarray, error: type, match: str
) -> None:
    with pytest.raises(error, match=r"^logistic.loss_and_grad: " + match):
        logistic.loss_and_grad(params, np.ones((4, 3)), y)


def test_predict_rejects_bad_X() -> None:
    with pytest.raises(ValueError, match=r"^logistic.predict_proba: X must be 2-D"):
        logistic.predict_proba([np.zeros(3), np.zeros(1)], np.ones(3))
