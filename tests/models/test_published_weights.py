"""What a fit publishes: ASGD's averaged weights ``ax``, not the last iterate.

Twin: ``published_weights`` in ``python/steepest/models/_loop.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

from ._estimators import ESTIMATORS, small_case


def _asgd(name: str, backend: str) -> tuple[Any, Any, Any]:
    est, X, y = small_case(name)
    # t0=0: the average starts at the first step, so it differs from the iterate
    est.set_params(optimizer="asgd", optimizer_params={"t0": 0.0}, backend=backend,
                   learning_rate=0.05, shuffle=False, max_iter=4)  # fmt: skip
    return est, X, y


@pytest.mark.parametrize("name", ESTIMATORS)
def test_asgd_publishes_its_average(name: str, backend: str) -> None:
    est, X, y = _asgd(name, backend)
    est.fit(X, y)
    ax, iterate = est._optimizer.state["ax"], est._params
    published = est._public_params()
    for p, a in zip(published, ax, strict=True):
        np.testing.assert_array_equal(p, a)
    assert not all(np.array_equal(a, it) for a, it in zip(ax, iterate, strict=True))
    # and so after a partial_fit
    est.partial_fit(X, y)
    for p, a in zip(est._public_params(), est._optimizer.state["ax"], strict=True):
        np.testing.assert_array_equal(p, a)


@pytest.mark.parametrize("name", ["LinearRegression", "MLPClassifier"])
def test_asgd_training_continues_from_the_iterate(name: str) -> None:
    est, X, y = _asgd(name, "native")
    whole = clone(est).fit(X, y)
    halves = clone(est).set_params(max_iter=2, warm_start=True)
    halves.fit(X, y).fit(X, y)
    for a, b in zip(whole._params + whole._public_params(),
                    halves._params + halves._public_params(), strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)


def test_swa_wins_over_asgd() -> None:
    est, X, y = _asgd("LinearRegression", "reference")
    est.set_params(swa_start=2).fit(X, y)
    assert est.n_swa_ == 2
    for p, it in zip(est._public_params(), est._params, strict=True):
        np.testing.assert_array_equal(p, it)  # SWA wrote its average there


# -- ema_decay -------------------------------------------------------------------
def _trajectory(est: Any, X: Any, y: Any, n: int) -> list[list[np.ndarray]]:
    """The iterate after steps 1..n: one full batch per epoch, and shorter
    fits replay the same epochs."""
    return [
        clone(est).set_params(max_iter=k, ema_decay=None).fit(X, y)._params
        for k in range(1, n + 1)
    ]


@pytest.mark.parametrize("lamb", [False, True], ids=["default", "lamb"])
@pytest.mark.parametrize("mode", ["native", "native-split", "reference"])
@pytest.mark.parametrize(
    ("name", "l1"),
    # the MLPs' penalty is L2 only
    [(n, False) for n in ESTIMATORS]
    + [(n, True) for n in ESTIMATORS if "MLP" not in n],
)
def test_ema_is_the_average_of_the_steps(
    name: str, mode: str, lamb: bool, l1: bool
) -> None:
    """The published weights are the moving average of every step's iterate
    (the first copied), bit for bit; training keeps the iterate. Split: the
    native epoch's threads each average their share of the params; LAMB:
    the two-pass step's second pass carries the average; L1: the iterate
    averaged is the thresholded one (the proximal step comes first)."""
    from steepest import _core

    split = mode == "native-split"
    before = _core._get_split_work()
    _core._set_split_work(0.0 if split else float("inf"))
    try:
        est, X, y = small_case(name)
        est.set_params(backend=mode.split("-")[0], batch_size=None, max_iter=6,
                       ema_decay=0.7, dtype=np.float64, n_threads=2 if split else 1)  # fmt: skip
        if lamb:
            est.set_params(optimizer="lamb", learning_rate=0.01)
        if l1:
            est.set_params(alpha=0.01, l1_ratio=1.0)
        path = _trajectory(est, X, y, 6)
        est.fit(X, y)
    finally:
        _core._set_split_work(before)
    ema = [p.copy() for p in path[0]]
    for step in path[1:]:
        for e, p in zip(ema, step, strict=True):
            e *= 0.7
            e += p * 0.30000000000000004  # 1 - 0.7 in double, as the kernel's weight
    for got, want, it, last in zip(est._public_params(), ema, est._params, path[-1],
                                   strict=True):  # fmt: skip
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(it, last)
    assert not np.array_equal(est._public_params()[0], path[-1][0])


@pytest.mark.parametrize("name", ["LinearRegression", "MLPClassifier"])
def test_ema_carries_on_over_partial_fit_and_warm_start(
    name: str, backend: str
) -> None:
    est, X, y = small_case(name)
    est.set_params(backend=backend, shuffle=False, ema_decay=0.8, max_iter=4)
    whole = clone(est).fit(X, y)
    parts = clone(est).set_params(max_iter=2).fit(X, y)
    parts.partial_fit(X, y)
    parts.set_params(warm_start=True, max_iter=1).fit(X, y)
    for a, b in zip(whole._public_params() + whole._params,
                    parts._public_params() + parts._params, strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    # a new optimizer starts a new average
    fresh = clone(est).fit(X, y).set_params(optimizer="adam").fit(X, y)
    adam = clone(est).set_params(optimizer="adam").fit(X, y)
    for a, b in zip(fresh._public_params(), adam._public_params(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [({"ema_decay": 1.0}, ValueError, r"ema_decay must be in \[0, 1\), got 1.0"),
     ({"ema_decay": float("nan")}, ValueError, r"ema_decay must be in \[0, 1\), got nan"),
     ({"ema_decay": "x"}, TypeError, "ema_decay must be a real number"),
     ({"ema_decay": 0.9, "swa_start": 1}, ValueError,
      "ema_decay and swa_start are exclusive"),
     ({"ema_decay": 0.9, "early_stopping": True}, ValueError,
      "ema_decay and early_stopping=True are exclusive")],
)  # fmt: skip
def test_ema_decay_rejected(params: dict, error: type, match: str) -> None:
    est, X, y = small_case("LinearRegression")
    with pytest.raises(error, match=f"LinearRegression: {match}"):
        est.set_params(**params).fit(X, y)
    assert not hasattr(est, "coef_")


def test_published_weights_reads_the_spec_flag() -> None:
    """The loop names no rule: the spec row's ``published`` slot decides."""
    from dataclasses import replace
    from types import SimpleNamespace

    from steepest._rules import BY_NAME
    from steepest.models._loop import published_weights

    assert [s.name for s in BY_NAME["asgd"].state if s.published] == ["ax"]
    adam = BY_NAME["adam"]
    marked = replace(adam, state=tuple(replace(s, published=s.name == "m")
                                       for s in adam.state))  # fmt: skip
    m, params = [np.ones(3)], [np.zeros(3)]
    run = SimpleNamespace(ema=None, params=params,
                          opt=SimpleNamespace(rule=marked, state={"m": m}))  # fmt: skip
    assert published_weights(run) is m  # type: ignore[arg-type]
    run.opt.rule = adam
    assert published_weights(run) is params  # type: ignore[arg-type]
