"""Checkpoint and resume, bit for bit; which results are reproducible across threads.

Twins: ``python/steepest/models/_surface.py`` (pickling), ``_base.py`` (partial_fit),
``python/steepest/_optimizer.py`` (``state_dict``) and the determinism
notes of ``python/steepest/models/_docs.py``. Interrupted fits:
``tests/models/test_faults.py``.

"Resume" means: ``fit(max_iter=k)`` (or k ``partial_fit`` calls), pickle,
load, then m ``partial_fit`` calls ends with the very bits of the same
calls without the pickle round trip, and of k + m ``partial_fit`` calls.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone, is_classifier
from steepest.reference import models as ref_models
from steepest.reference.schedules import ExponentialLR

from ._estimators import BACKENDS, blobs, linear_data, weights

K, M = 2, 3


def _split_data(n: int = 160, d: int = 16) -> tuple[Any, Any]:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d))
    return X, (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)


def _estimator(name: str, backend: str, n_threads: int | None) -> tuple[Any, Any, Any]:
    common: dict[str, Any] = {
        "backend": backend, "random_state": 0, "tol": None, "optimizer": "adam",
        "learning_rate": ExponentialLR(lr=0.02, gamma=0.99), "n_threads": n_threads,
    }  # fmt: skip
    if name == "LinearRegression":
        X, y = linear_data(120)
        return steepest.LinearRegression(**common), X, y
    if name == "LogisticRegression":
        X, y = blobs(3, 90)
        return steepest.LogisticRegression(**common), X, y
    # batch 32 x 577 params is above 1/16 of the parallel grain: with more
    # than one thread the native loop splits each batch over the threads
    X, y = _split_data()
    est = steepest.MLPClassifier(hidden_layer_sizes=(32,), batch_size=32, **common)
    return est, X, y


def _call(est: Any, X: Any, y: Any) -> Any:
    if is_classifier(est):
        return est.partial_fit(X, y, classes=np.unique(y))
    return est.partial_fit(X, y)


def _assert_same(a: Any, b: Any) -> None:
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_
    assert a.t_ == b.t_


CASES = [
    (name, backend, threads)
    for name in ("LinearRegression", "LogisticRegression", "MLPClassifier")
    for backend in BACKENDS
    for threads in (1, None)
]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2] or 'default'}thr")
def case(request: pytest.FixtureRequest) -> tuple[Any, Any, Any]:
    return _estimator(*request.param)


def test_pickled_fit_resumes_bit_for_bit(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    here = clone(est).set_params(max_iter=K).fit(X, y)
    checkpoint = pickle.dumps(here)
    resumed = pickle.loads(checkpoint)
    streamed = clone(est)
    for _ in range(K):
        _call(streamed, X, y)
    for _ in range(M):
        _call(here, X, y)
        _call(resumed, X, y)
        _call(streamed, X, y)
    _assert_same(resumed, here)
    _assert_same(resumed, streamed)


def test_pickled_partial_fit_resumes_bit_for_bit(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    streamed = clone(est)
    for _ in range(K):
        _call(streamed, X, y)
    resumed = pickle.loads(pickle.dumps(streamed))
    for _ in range(M):
        _call(resumed, X, y)
        _call(streamed, X, y)
    _assert_same(resumed, streamed)


# -- the optimizer's state_dict in a hand-written loop ---------------------------------
def _problem(family: str) -> tuple[list[Any], Any, Any, Any]:
    """``(params, X, y, loss_and_grad)`` of a small float32 problem."""
    rng = np.random.default_rng(5)
    f32 = np.float32
    if family == "linear":
        X, y = linear_data(96)
        params = ref_models.linear.init_params("normal", 4, rng=rng, dtype=f32)
        return params, X.astype(f32), y.astype(f32), ref_models.linear.loss_and_grad
    if family == "logistic":
        X, y = blobs(3, 96)
        params = ref_models.logistic.init_params("normal", 2, 3, rng=rng, dtype=f32)
        return params, X.astype(f32), y, ref_models.logistic.loss_and_grad
    X, y = _split_data(96)
    params = ref_models.mlp.init_params("he", 16, (64,), 2, rng=rng, dtype=f32)
    return params, X.astype(f32), y, ref_models.mlp.loss_and_grad


def _steps(opt: Any, grad_fn: Any, X: Any, y: Any, batches: range) -> None:
    for b in batches:
        rows = slice(16 * (b % 6), 16 * (b % 6) + 16)
        _, grads = grad_fn(opt.params, X[rows], y[rows], alpha=1e-4)
        opt.step(grads)


@pytest.mark.parametrize("family", ["linear", "logistic", "mlp"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_adam_state_dict_resumes_a_manual_loop(
    family: str, backend: str, n_threads: int
) -> None:
    # n_threads (fixture): the native kernels run threaded at these sizes
    params, X, y, grad_fn = _problem(family)
    hyper: dict[str, Any] = {"lr": ExponentialLR(lr=0.01, gamma=0.95), "amsgrad": True}
    straight = steepest.Adam([p.copy() for p in params], **hyper, backend=backend)
    _steps(straight, grad_fn, X, y, range(12))

    first = steepest.Adam([p.copy() for p in params], **hyper, backend=backend)
    _steps(first, grad_fn, X, y, range(5))
    saved = pickle.dumps(([p.copy() for p in first.params], first.state_dict()))
    del first
    kept_params, state = pickle.loads(saved)
    # a new optimizer with other hyperparameters: load_state_dict replaces them
    second = steepest.Adam(kept_params, lr=1.0, amsgrad=True, backend=backend)
    second.load_state_dict(state)
    _steps(second, grad_fn, X, y, range(5, 12))

    for p, q in zip(second.params, straight.params, strict=True):
        np.testing.assert_array_equal(p, q)
    assert second.step_count == straight.step_count == 12
    assert second.lr == straight.lr
    for key, arrays in straight.state.items():
        for a, b in zip(second.state[key], arrays, strict=True):
            np.testing.assert_array_equal(a, b)


# -- thread counts ----------------------------------------------------------------------
def _mlp32(backend: str, n_threads: int | None) -> Any:
    est, X, y = _estimator("MLPClassifier", backend, n_threads)
    return est.set_params(max_iter=3, dtype=np.float32).fit(X, y)


@pytest.mark.parametrize("n_threads", [2, None], ids=["2thr", "defaultthr"])
def test_same_seed_same_threads_same_bits(n_threads: int | None) -> None:
    _assert_same(_mlp32("native", n_threads), _mlp32("native", n_threads))


def test_thread_counts_agree_to_rounding_on_split_batches() -> None:
    # per-thread gradient sums are added in another grouping: rounding only
    one, two = _mlp32("native", 1), _mlp32("native", 2)
    for w1, w2 in zip(weights(one), weights(two), strict=True):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-5)


def test_reference_does_not_depend_on_threads() -> None:
    _assert_same(_mlp32("reference", 1), _mlp32("reference", 2))
