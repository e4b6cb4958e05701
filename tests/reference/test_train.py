"""Reference epoch loop: batching, the reported loss, learning, determinism, errors.

Twin: ``python/steepest/reference/train.py``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
import steepest
from steepest.nn import linear, logistic, mlp
from steepest.reference.train import run_epoch

W_TRUE, B_TRUE, NOISE = np.array([1.5, -2.0, 0.5, 3.0, -1.0]), 0.7, 0.01


def fit(
    loss_and_grad: Any,
    params: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    opt: Any,
    *,
    epochs: int,
    batch_size: int | None,
    seed: int = 0,
    **penalty: float,
) -> list[float]:
    """The loop the estimators will run: one permutation per epoch from one seed."""
    rng = np.random.default_rng(seed)
    return [
        run_epoch(loss_and_grad, params, X, y, rng.permutation(len(X)), batch_size,
                  opt.step, **penalty)
        for _ in range(epochs)
    ]  # fmt: skip


def regression(dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """y = X w + b + N(0, 0.01^2), n = 256; the eigenvalues of [X 1]^T [X 1] / n
    lie in [0.70, 1.29] (measured), so gradient descent contracts fast."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((256, 5))
    y = X @ W_TRUE + B_TRUE + NOISE * rng.standard_normal(256)
    return X.astype(dtype), y.astype(dtype)


def separable(n_classes: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Labels = argmax of a random linear score, keeping only samples whose top
    two scores differ by > 0.3: linearly separable with a margin."""
    rng = np.random.default_rng(2)
    W = rng.standard_normal((4, n_classes))
    X = rng.standard_normal((3 * n, 4))
    top2 = np.sort(X @ W, axis=1)[:, -2:]
    X = X[top2[:, 1] - top2[:, 0] > 0.3][:n]
    return X, np.argmax(X @ W, axis=1)


# -- batching and the reported loss --------------------------------------------------


@pytest.mark.parametrize(
    ("batch_size", "sizes"),
    [(4, [4, 4, 2]), (1, [1] * 10), (None, [10]), (10, [10]), (64, [10])],
    ids=["4", "1", "None", "n", "above-n"],
)
def test_batches_and_epoch_loss(batch_size: int | None, sizes: list[int]) -> None:
    X, y = regression()
    X, y = X[:10], y[:10]
    perm = np.random.default_rng(5).permutation(10)
    params = linear.init_params("zeros", 5, rng=np.random.default_rng(0))
    opt = steepest.reference.SGD(params, lr=0.1)
    seen: list[tuple[np.ndarray, float]] = []

    def recording(
        p: list[np.ndarray], Xb: np.ndarray, yb: np.ndarray, **kw: float
    ) -> Any:
        loss, grads = linear.loss_and_grad(p, Xb, yb, **kw)
        seen.append((Xb, loss))
        return loss, grads

    reported = run_epoch(
        recording, params, X, y, perm, batch_size, opt.step, alpha=0.01
    )
    assert [len(Xb) for Xb, _ in seen] == sizes
    np.testing.assert_array_equal(np.concatenate([Xb for Xb, _ in seen]), X[perm])
    assert opt.step_count == len(sizes)
    # the batch-size-weighted mean of the batch losses seen before each update
    assert reported == sum(len(Xb) * loss for Xb, loss in seen) / 10


def test_losses_are_evaluated_before_each_update() -> None:
    X, y = regression()
    params = linear.init_params("zeros", 5, rng=np.random.default_rng(0))
    initial = linear.loss_and_grad(params, X, y)[0]
    reported = run_epoch(
        linear.loss_and_grad, params, X, y, np.arange(256), None,
        steepest.reference.SGD(params, lr=0.1).step,
    )  # fmt: skip
    assert reported == initial  # one full batch: the loss of the initial params
    assert linear.loss_and_grad(params, X, y)[0] < initial


# -- learning ---------------------------------------------------------------------


def test_full_batch_gradient_descent_reaches_least_squares() -> None:
    # lr 0.5 and eigenvalues in [0.70, 1.29]: the error contracts by <= 0.65 per
    # step, 0.65^100 ~ 1e-19, so only rounding is left (measured 2e-15).
    X, y = regression()
    params = linear.init_params("zeros", 5, rng=np.random.default_rng(0))
    fit(linear.loss_and_grad, params, X, y, steepest.reference.SGD(params, lr=0.5),
        epochs=100, batch_size=None)  # fmt: skip
    ols = np.linalg.lstsq(np.c_[X, np.ones(256)], y, rcond=None)[0]
    np.testing.assert_allclose(params[0], ols[:5], rtol=0, atol=1e-10)
    np.testing.assert_allclose(params[1], ols[5:], rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: steepest.reference.SGD(p, lr=0.05),
        lambda p: steepest.reference.Adam(p, lr=0.05),
    ],
    ids=["SGD", "Adam"],
)
def test_minibatch_descent_recovers_the_weights(make_opt: Any) -> None:
    # The noise alone puts least squares ~NOISE/sqrt(256) ~ 6e-4 per weight from
    # the truth (1.6e-3 at worst here); 40 epochs of batches of 32 end within
    # 6e-5 (SGD) and 4e-4 (Adam) of it (measured), so 5e-3 leaves a ~3x margin.
    X, y = regression()
    params = linear.init_params("zeros", 5, rng=np.random.default_rng(0))
    losses = fit(linear.loss_and_grad, params, X, y, make_opt(params), epochs=40,
                 batch_size=32)  # fmt: skip
    np.testing.assert_allclose(params[0], W_TRUE, atol=5e-3)
    np.testing.assert_allclose(params[1], [B_TRUE], atol=5e-3)
    assert losses[-1] < 1e-4  # 0.5 * NOISE^2 = 5e-5 is the floor


# Measured accuracies after 5 epochs of batches of 32: 0.97 (relu, 3 classes) to 1.0.
@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "3classes"])
@pytest.mark.parametrize("model", ["logistic", "mlp-relu", "mlp-tanh"])
def test_classifiers_separate_separable_data(model: str, n_classes: int) -> None:
    X, y = separable(n_classes)
    rng = np.random.default_rng(0)
    if model == "logistic":
        params = logistic.init_params("zeros", 4, n_classes, rng=rng)
        lg: Any = logistic.loss_and_grad
        predict: Any = logistic.predict
        lr = 0.1
    else:
        act = model.split("-")[1]
        n_out = 1 if n_classes == 2 else n_classes
        params = mlp.init_params("he", 4, (16, 16), n_out, rng=rng)
        lg = functools.partial(mlp.loss_and_grad, activation=act)
        predict = functools.partial(mlp.predict, activation=act)
        lr = 0.01
    losses = fit(lg, params, X, y, steepest.reference.Adam(params, lr=lr), epochs=5,
                 batch_size=32, alpha=1e-4)  # fmt: skip
    assert losses[-1] < 0.5 * losses[0]
    assert np.mean(predict(params, X) == y) >= 0.95


# Budgets of 60 to 600 steps; measured accuracies 0.99 (full), 0.97 (1), 0.99 (32).
@pytest.mark.parametrize(
    ("batch_size", "epochs"), [(None, 60), (1, 2), (32, 5)], ids=["full", "1", "32"]
)
def test_every_batch_size_learns(batch_size: int | None, epochs: int) -> None:
    X, y = separable(3)
    params = logistic.init_params("zeros", 4, 3, rng=np.random.default_rng(0))
    losses = fit(logistic.loss_and_grad, params, X, y,
                 steepest.reference.Adam(params, lr=0.1), epochs=epochs,
                 batch_size=batch_size)  # fmt: skip
    assert losses[-1] < 0.5 * losses[0]
    assert np.mean(logistic.predict(params, X) == y) >= 0.95


def test_mlp_regressor_learns() -> None:
    X, y = regression()
    params = mlp.init_params("xavier", 5, (8,), 1, rng=np.random.default_rng(0))
    lg = functools.partial(
        mlp.loss_and_grad, activation="identity", loss="squared_error"
    )
    losses = fit(lg, params, X, y, steepest.reference.Adam(params, lr=0.02), epochs=30,
                 batch_size=16)  # fmt: skip
    assert losses[-1] < 1e-3 * losses[0]


# -- determinism -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_same_seed_gives_bit_identical_params(dtype: type) -> None:
    X, y = separable(3)
    X = X.astype(dtype)

    def run(seed: int) -> tuple[list[np.ndarray], list[float]]:
        params = mlp.init_params(
            "he", 4, (8, 8), 3, rng=np.random.default_rng(seed), dtype=dtype
        )
        lg = functools.partial(mlp.loss_and_grad, activation="tanh")
        losses = fit(lg, params, X, y, steepest.reference.Adam(params, lr=0.01), epochs=3,
                     batch_size=32, seed=seed, alpha=1e-3, l1_ratio=0.2)  # fmt: skip
        return params, losses

    (a, la), (b, lb), (c, _) = run(7), run(7), run(8)
    assert la == lb
    for pa, pb in zip(a, b, strict=True):
        assert pa.dtype == dtype
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a[0], c[0])


# -- validation --------------------------------------------------------------------


def _args() -> dict[str, Any]:
    X, y = regression()
    params = linear.init_params("normal", 5, rng=np.random.default_rng(0))
    return {
        "loss_and_grad": linear.loss_and_grad, "params": params, "X": X, "y": y,
        "perm": np.arange(256), "batch_size": 32,
        "step": steepest.reference.SGD(params, lr=0.1).step,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"perm": np.r_[0, np.arange(255)]}, ValueError, r"perm must be a permutation of range\(256\)"),
        ({"perm": np.arange(1, 257)}, ValueError, "perm must be a permutation"),
        ({"perm": np.arange(255)}, ValueError, r"perm has shape \(255,\); expected \(256,\)"),
        ({"perm": np.arange(256.0)}, TypeError, "perm must be an integer ndarray, got float64"),
        ({"perm": list(range(256))}, TypeError, "perm must be an integer ndarray, got list"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1, got 0"),
        ({"batch_size": True}, TypeError, "batch_size must be an int >= 1, got True"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an int >= 1, got 2.5"),
        ({"y": np.zeros(255)}, ValueError, r"y has shape \(255,\) but X has 256 samples"),
        ({"X": np.zeros(256)}, ValueError, "X must be 2-D"),
        ({"X": np.zeros((256, 5), np.int64)}, TypeError, "X has dtype int64"),
        ({"step": None}, TypeError, "step must be callable, got NoneType"),
        ({"loss_and_grad": 3}, TypeError, "loss_and_grad must be callable, got int"),
        ({"alpha": -0.1}, ValueError, "alpha must be a finite number >= 0"),
    ],
    ids=["perm-duplicate", "perm-range", "perm-length", "perm-float", "perm-list",
         "batch-0", "batch-bool", "batch-float", "y-length", "X-1d", "X-int", "step",
         "loss_and_grad", "alpha"],
)  # fmt: skip
def test_run_epoch_rejects_and_leaves_params_untouched(
    change: dict[str, Any], error: type, match: str
) -> None:
    args = _args()
    before = [p.copy() for p in args["params"]]
    args.update(change)
    with pytest.raises(error, match=r"^run_epoch: " + match):
        run_epoch(**args)
    for p, q in zip(args["params"], before, strict=True):
        np.testing.assert_array_equal(p, q)
