"""Reference least squares and the shared penalty and init schemes.

Twins: ``python/steepest/nn/linear.py``, ``_penalty.py``, ``_init.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from steepest.nn import _init, linear

from ._gradcheck import assert_grads_match, away_from_zero

PENALTIES = [(0.0, 0.0), (0.1, 0.0), (0.1, 0.5), (0.3, 1.0)]
PENALTY_IDS = [f"alpha{a}-l1r{r}" for a, r in PENALTIES]


def _problem(
    rng: np.random.Generator, n_targets: int | None
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    n, d = 7, 4
    shape = (d,) if n_targets is None else (d, n_targets)
    k = 1 if n_targets is None else n_targets
    params = [away_from_zero(rng, shape), rng.standard_normal(k)]
    X = rng.standard_normal((n, d))
    y = rng.standard_normal((n,) if n_targets is None else (n, k))
    return params, X, y


@pytest.mark.parametrize("n_targets", [None, 3], ids=["1d", "3targets"])
@pytest.mark.parametrize(("alpha", "l1_ratio"), PENALTIES, ids=PENALTY_IDS)
def test_gradient_matches_finite_differences(
    rng: np.random.Generator, n_targets: int | None, alpha: float, l1_ratio: float
) -> None:
    params, X, y = _problem(rng, n_targets)
    assert_grads_match(
        linear.loss_and_grad, params, X, y, alpha=alpha, l1_ratio=l1_ratio
    )


def test_known_values_by_hand() -> None:
    X = np.array([[1.0], [2.0]])
    y = np.array([1.0, 3.0])
    loss, (g_coef, g_b) = linear.loss_and_grad([np.zeros(1), np.zeros(1)], X, y)
    assert loss == 2.5  # mean of 0.5 * (1, 9)
    np.testing.assert_array_equal(g_coef, [-3.5])  # (1 * -1 + 2 * -3) / 2
    np.testing.assert_array_equal(g_b, [-2.0])  # (-1 - 3) / 2
    # The loss is the mean over samples *and* targets: residuals 1 and 3 everywhere.
    Y = np.zeros((5, 2))
    loss, _ = linear.loss_and_grad(
        [np.zeros((1, 2)), np.array([1.0, 3.0])], np.ones((5, 1)), Y
    )
    assert loss == 2.5


def test_penalty_by_hand() -> None:
    # A perfect fit, so only the penalty is left:
    # R = 0.1 * (0.5 * (1 + 2) + 0.5 / 2 * (1 + 4)) = 0.275
    # dR/dcoef = 0.1 * (0.5 * sign(w) + 0.5 * w) = [0.1, -0.15]
    coef, b = np.array([1.0, -2.0]), np.zeros(1)
    X = np.eye(2)
    loss, (g_coef, g_b) = linear.loss_and_grad(
        [coef, b], X, X @ coef, alpha=0.1, l1_ratio=0.5
    )
    assert loss == pytest.approx(0.275, rel=1e-15)
    np.testing.assert_allclose(g_coef, [0.1, -0.15], rtol=1e-15)
    np.testing.assert_array_equal(g_b, [0.0])


def test_l1_subgradient_at_zero_is_zero_and_intercept_is_not_penalised() -> None:
    coef, b = np.zeros(3), np.array([5.0])
    X = np.ones((4, 3))
    loss, (g_coef, g_b) = linear.loss_and_grad(
        [coef, b], X, np.full(4, 5.0), alpha=10.0, l1_ratio=1.0
    )
    assert loss == 0.0
    np.testing.assert_array_equal(g_coef, np.zeros(3))  # sign(0) = 0
    np.testing.assert_array_equal(g_b, [0.0])  # 10 * |5| would be a large penalty


def test_float32_computes_in_float32(rng: np.random.Generator) -> None:
    params, X, y = _problem(rng, 2)
    loss64, grads64 = linear.loss_and_grad(params, X, y, alpha=0.1, l1_ratio=0.5)
    p32 = [p.astype(np.float32) for p in params]
    loss32, grads32 = linear.loss_and_grad(
        p32, X.astype(np.float32), y.astype(np.float32), alpha=0.1, l1_ratio=0.5
    )
    assert isinstance(loss32, float)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


def test_predict_and_shapes(rng: np.random.Generator) -> None:
    for n_targets in (None, 3):
        params, X, _ = _problem(rng, n_targets)
        out = linear.predict(params, X)
        np.testing.assert_array_equal(out, X @ params[0] + params[1])
        assert out.shape == ((7,) if n_targets is None else (7, 3))


# -- init schemes (shared by every model) ----------------------------------------


@pytest.mark.parametrize("kind", _init.INIT_KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_init_params_shapes_and_determinism(kind: str, dtype: type) -> None:
    one = linear.init_params(kind, 6, rng=np.random.default_rng(3), dtype=dtype)
    two = linear.init_params(kind, 6, rng=np.random.default_rng(3), dtype=dtype)
    multi = linear.init_params(kind, 6, 2, rng=np.random.default_rng(3), dtype=dtype)
    assert [p.shape for p in one] == [(6,), (1,)]
    assert [p.shape for p in multi] == [(6, 2), (2,)]
    for a, b in zip(one, two, strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one[1], [0.0])
    # float32 starts from the float64 draws rounded
    wide = linear.init_params(kind, 6, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(one[0], wide[0].astype(dtype))


# fan_in = 400, fan_out = 100; 40 000 draws give the std to ~0.4 %, so 3 % is safe.
SCALE = {
    "normal": ("std", 1 / math.sqrt(400)),
    "he": ("std", math.sqrt(2 / 400)),
    "uniform": ("bound", 1 / math.sqrt(400)),
    "xavier": ("bound", math.sqrt(6 / 500)),
}


@pytest.mark.parametrize("kind", sorted(SCALE))
def test_init_scales(kind: str) -> None:
    (W,) = linear.init_params(kind, 400, 100, rng=np.random.default_rng(0))[:1]
    what, value = SCALE[kind]
    assert abs(W.mean()) < 0.03 * value
    if what == "std":
        assert W.std() == pytest.approx(value, rel=0.03)
    else:
        assert np.abs(W).max() <= value
        assert W.std() == pytest.approx(value / math.sqrt(3), rel=0.03)


def test_init_zeros() -> None:
    coef, b = linear.init_params("zeros", 3, 2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(coef, np.zeros((3, 2)))
    np.testing.assert_array_equal(b, np.zeros(2))


# -- validation ---------------------------------------------------------------------


def _good() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    return [np.zeros(3), np.zeros(1)], np.ones((4, 3)), np.ones(4)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda p, X, y: (p, X[0], y), ValueError, r"X must be 2-D .* got shape \(3,\)"),
        (lambda p, X, y: (p, X.astype(np.int64), y), TypeError, "X has dtype int64"),
        (lambda p, X, y: (p, X[:0], y[:0]), ValueError, "X has 0 samples"),
        (lambda p, X, y: (p, X.tolist(), y), TypeError, "X must be a numpy.ndarray"),
        (lambda p, X, y: (p, X, y[:3]), ValueError, r"y has shape \(3,\); expected \(4,\)"),
        (lambda p, X, y: (p, X, y.astype(np.float32)), TypeError, "y has dtype float32"),
        (lambda p, X, y: ([p[0][:2], p[1]], X, y), ValueError, r"params\[0\] \(coef\)"),
        (lambda p, X, y: ([p[0], np.zeros(2)], X, y), ValueError, r"params\[1\] \(intercept\)"),
        (lambda p, X, y: (p[:1], X, y), ValueError, "params must hold 2 arrays"),
        (lambda p, X, y: (p[0], X, y), TypeError, "params must be a list"),
        (lambda p, X, y: ([p[0].astype(np.float32), p[1]], X, y), TypeError, r"params\[0\] has dtype float32"),
    ],
    ids=["X-1d", "X-int", "X-empty", "X-list", "y-length", "y-dtype", "coef-shape",
         "intercept-shape", "params-count", "params-array", "params-dtype"],
)  # fmt: skip
def test_loss_and_grad_rejects(change: object, error: type, match: str) -> None:
    params, X, y = change(*_good())  # type: ignore[operator]
    with pytest.raises(error, match=r"^linear.loss_and_grad: " + match):
        linear.loss_and_grad(params, X, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"alpha": -1.0}, ValueError, "alpha must be a finite number >= 0"),
        ({"alpha": math.nan}, ValueError, "alpha must be a finite number >= 0"),
        ({"l1_ratio": 1.5}, ValueError, r"l1_ratio must be in \[0, 1\]"),
        ({"alpha": "0.1"}, TypeError, "alpha must be a real number"),
    ],
    ids=["alpha-negative", "alpha-nan", "l1_ratio-big", "alpha-str"],
)
def test_penalty_arguments_rejected(
    kwargs: dict[str, object], error: type, match: str
) -> None:
    params, X, y = _good()
    with pytest.raises(error, match=r"^linear.loss_and_grad: " + match):
        linear.loss_and_grad(params, X, y, **kwargs)  # type: ignore[arg-type]


def test_init_params_rejects() -> None:
    rng = np.random.default_rng(0)
    fn = r"^linear.init_params: "
    with pytest.raises(
        ValueError, match=fn + "kind must be 'zeros', .* or 'he', got 'glorot'"
    ):
        linear.init_params("glorot", 3, rng=rng)
    with pytest.raises(TypeError, match=fn + "rng must be a numpy.random.Generator"):
        linear.init_params("normal", 3, rng=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=fn + "dtype must be float32 or float64"):
        linear.init_params("normal", 3, rng=rng, dtype=np.int32)
    with pytest.raises(ValueError, match=fn + "n_features must be an int >= 1, got 0"):
        linear.init_params("normal", 0, rng=rng)
    with pytest.raises(TypeError, match=fn + "n_targets must be an int >= 1, got 2.0"):
        linear.init_params("normal", 3, 2.0, rng=rng)  # type: ignore[arg-type]


def test_predict_rejects_bad_params() -> None:
    with pytest.raises(ValueError, match=r"^linear.predict: params\[0\] \(coef\)"):
        linear.predict([np.zeros(2), np.zeros(1)], np.ones((4, 3)))
