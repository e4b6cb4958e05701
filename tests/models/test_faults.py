"""Faults during training: interrupts, errors in callbacks, divergence, a real SIGINT.

Twins: ``python/steepest/models/_rollback.py`` (what an epoch saves and
restores), ``python/steepest/models/_loop.py`` (where epochs commit) and
``python/steepest/models/_base.py`` (attributes restored when no epoch
completed). Checkpoints and thread determinism: ``tests/models/test_resume.py``.
"""

from __future__ import annotations

import math
import signal
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from steepest.models import _loop
from steepest.reference.schedules import MultiStepLR, ReduceLROnPlateau

from ._estimators import BACKENDS, ESTIMATORS, small_case, weights
from ._sigint import interrupt_child


@pytest.fixture(params=[(n, b) for n in ESTIMATORS for b in BACKENDS],
                ids=lambda p: f"{p[0]}-{p[1]}")  # fmt: skip
def case(request: pytest.FixtureRequest) -> tuple[Any, Any, Any]:
    name, backend = request.param
    est, X, y = small_case(name)
    # Adam: the optimizer state (moments, step count) matters for continuing
    est.set_params(backend=backend, optimizer="adam", learning_rate=0.01, max_iter=6)
    return est, X, y


def _call(est: Any, X: Any, y: Any) -> Any:
    if is_classifier(est):
        return est.partial_fit(X, y, classes=np.unique(y))
    return est.partial_fit(X, y)


def _fail_on_call(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    n: int,
    after: bool,
    exc: type[BaseException] = KeyboardInterrupt,
) -> None:
    """Make ``_loop.<name>`` raise ``exc`` on its n-th call, before or after its work."""
    real: Callable[..., Any] = getattr(_loop, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == n and not after:
            raise exc
        result = real(*args, **kwargs)
        if calls == n:
            raise exc
        return result

    monkeypatch.setattr(_loop, name, wrapper)


def _same_state(est: Any, ref: Any) -> None:
    """Same weights, curves, counters, optimizer state and generator."""
    for w, w_ref in zip(weights(est), weights(ref), strict=True):
        np.testing.assert_array_equal(w, w_ref)
    assert est.loss_curve_ == ref.loss_curve_
    assert est.lr_curve_ == ref.lr_curve_
    assert (est.n_iter_, est.t_) == (ref.n_iter_, ref.t_)
    state, ref_state = est._optimizer.state_dict(), ref._optimizer.state_dict()
    assert state["step"] == ref_state["step"]
    assert state["hyperparameters"] == ref_state["hyperparameters"]
    for key, arrays in ref_state["state"].items():
        for a, a_ref in zip(state["state"][key], arrays, strict=True):
            np.testing.assert_array_equal(a, a_ref)
    assert est._rng.bit_generator.state == ref._rng.bit_generator.state


# -- interrupts between epochs ---------------------------------------------------
@pytest.mark.parametrize("after", [False, True], ids=["before-update", "after-update"])
def test_interrupted_fit_keeps_the_last_completed_epoch(
    case: tuple[Any, Any, Any], monkeypatch: pytest.MonkeyPatch, after: bool
) -> None:
    # "after": the 3rd epoch's update ran but its bookkeeping did not; the
    # design rolls it back, so both land on fit(max_iter=2) exactly
    est, X, y = case
    two = clone(est).set_params(max_iter=2).fit(X, y)
    _fail_on_call(monkeypatch, "run_epoch", 3, after)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    monkeypatch.undo()
    _same_state(est, two)
    np.testing.assert_array_equal(est.predict(X), two.predict(X))
    # continuing: as fit(max_iter=2) + partial_fit x 2, and partial_fit x 4
    streamed = clone(est)
    for _ in range(4):
        _call(streamed, X, y)
    for model in (est, two):
        for _ in range(2):
            _call(model, X, y)
    _same_state(est, two)
    for w, w_ref in zip(weights(est), weights(streamed), strict=True):
        np.testing.assert_array_equal(w, w_ref)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError])
def test_error_in_a_progress_callback_rolls_the_epoch_back(
    monkeypatch: pytest.MonkeyPatch, exc: type[BaseException]
) -> None:
    # the per-epoch print is the last bookkeeping of an epoch: still inside it
    est, X, y = small_case("MLPRegressor")
    est.set_params(backend="native", verbose=True, progress=False, max_iter=6)
    two = clone(est).set_params(verbose=False, max_iter=2).fit(X, y)
    _fail_on_call(monkeypatch, "_print_epoch", 3, after=True, exc=exc)
    with pytest.raises(exc):
        est.fit(X, y)
    _same_state(est, two)


@pytest.mark.parametrize("warm_start", [False, True])
def test_interrupt_in_the_first_epoch_leaves_the_estimator_as_before(
    case: tuple[Any, Any, Any], monkeypatch: pytest.MonkeyPatch, warm_start: bool
) -> None:
    est, X, y = case
    est.set_params(warm_start=warm_start)
    fresh = clone(est)
    _fail_on_call(monkeypatch, "run_epoch", 1, after=True)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert set(vars(est)) == set(vars(fresh))  # still unfitted
    with pytest.raises(NotFittedError):
        est.predict(X)
    monkeypatch.undo()
    # a previous fit survives a refit interrupted in its first epoch
    est.set_params(max_iter=2).fit(X, y)
    kept = clone(est).set_params(max_iter=2).fit(X, y)
    _fail_on_call(monkeypatch, "run_epoch", 1, after=True)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    _same_state(est, kept)


def test_interrupted_early_stopping_fit_publishes_the_raw_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # not the best epoch's: the optimizer state belongs to the last epoch's
    est, X, y = small_case("MLPClassifier")
    est.set_params(early_stopping=True, n_iter_no_change=50, max_iter=8)
    _fail_on_call(monkeypatch, "run_epoch", 5, after=True)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert est.n_iter_ == 4
    assert est.validation_scores_ is not None
    assert len(est.validation_scores_) == 4
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None


@pytest.mark.parametrize("after", [False, True], ids=["before-update", "after-update"])
def test_interrupted_partial_fit_changes_nothing(
    case: tuple[Any, Any, Any], monkeypatch: pytest.MonkeyPatch, after: bool
) -> None:
    est, X, y = case
    plateau = ReduceLROnPlateau(lr=0.01, factor=0.5, patience=0)
    est.set_params(reduce_on_plateau=plateau)
    ref = clone(est)
    for model in (est, ref):
        _call(model, X, y)
        _call(model, X, y)
    _fail_on_call(monkeypatch, "run_epoch", 1, after)
    with pytest.raises(KeyboardInterrupt):
        _call(est, X, y)
    monkeypatch.undo()
    _same_state(est, ref)
    assert est._plateau.state_dict() == ref._plateau.state_dict()
    _call(est, X, y)
    _call(ref, X, y)
    _same_state(est, ref)


def test_interrupted_first_partial_fit_leaves_the_estimator_unfitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    est, X, y = small_case("LogisticRegression")
    fresh = clone(est)
    _fail_on_call(monkeypatch, "run_epoch", 1, after=True)
    with pytest.raises(KeyboardInterrupt):
        _call(est, X, y)
    assert set(vars(est)) == set(vars(fresh))
    monkeypatch.undo()
    _call(est, X, y)  # starts over: the first call again
    np.testing.assert_array_equal(est.coef_, _call(fresh, X, y).coef_)


# -- divergence --------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_divergence_keeps_the_last_finite_optimizer_state(backend: str) -> None:
    est, X, y = small_case("MLPRegressor")
    steps_per_epoch = math.ceil(X.shape[0] / 16)
    # Adam's step is about lr: the weights blow up in the first step of epoch 3
    boom = MultiStepLR(lr=0.01, milestones=[2 * steps_per_epoch], gamma=1e306)
    est.set_params(optimizer="adam", learning_rate=boom, backend=backend)
    two = clone(est).set_params(max_iter=2).fit(X, y)
    with pytest.raises(steepest.DivergenceError, match="epoch 3"):
        est.fit(X, y)
    _same_state(est, two)  # moments, step count and generator of epoch 2
    # set_params(learning_rate=...) keeps the optimizer (its configuration is
    # optimizer, optimizer_params and backend), so training goes on from there
    for model in (est, two):
        model.set_params(learning_rate=0.001).partial_fit(X, y)
    _same_state(est, two)
    assert est.t_ == 3 * steps_per_epoch


# -- a real SIGINT ---------------------------------------------------------------------
_SIGINT_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import steepest
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 64)).astype(np.float32)
    y = X[:, 0] * X[:, 1] + X[:, 2]
    est = steepest.MLPRegressor(hidden_layer_sizes=(256,), max_iter=300, tol=None,
                                n_threads=1, random_state=0)
    try:
        est.fit(X, y)
    except KeyboardInterrupt:
        again = clone(est).set_params(max_iter=est.n_iter_).fit(X, y)
        same = all(np.array_equal(a, b) for a, b in zip(est.coefs_, again.coefs_))
        print("fitted", est.n_iter_, est.t_ == again.t_ and same,
              np.isfinite(est.predict(X[:10])).all(), flush=True)
        raise
    print("not interrupted", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_during_a_native_fit() -> None:
    # ~60 ms per epoch: the signal lands inside a native epoch (GIL released);
    # CPython raises KeyboardInterrupt when it returns, and that epoch is undone
    # SIGINT inside the second epoch: one completed epoch is kept
    run = interrupt_child(_SIGINT_SCRIPT, timeout=30, at=2)
    words = run.out.split()
    assert words[0] == "fitted", run.out + run.err
    assert 1 <= int(words[1]) < 300
    assert words[2:] == ["True", "True"]  # equal to fit(max_iter=n_iter_)
    assert "KeyboardInterrupt" in run.err
    # CPython ends an uncaught KeyboardInterrupt by re-raising SIGINT on itself
    assert run.returncode == -signal.SIGINT
