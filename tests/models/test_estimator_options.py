"""Hyperparameter checks and optimizer construction of the estimators.

Twin: ``python/steepest/models/_options.py``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone
from steepest._rules import BY_CLASS, OPTIMIZER_NAMES, RULES
from steepest.reference.schedules import ExponentialLR, ReduceLROnPlateau

from ._estimators import ESTIMATORS, small_case

# (estimators it applies to, hyperparameters, exception, message)
BAD: list[tuple[tuple[str, ...], dict[str, Any], type[Exception], str]] = [
    ((), {"optimizer": "lbfgs"}, ValueError, "optimizer must be one of 'sgd'"),
    ((), {"optimizer": np.ones}, ValueError, "optimizer must be one of"),
    ((), {"optimizer_params": {"lr": 1.0}}, ValueError, "must not set 'lr'"),
    ((), {"optimizer_params": {"bogus": 1}}, ValueError, "optimizer rejected its"),
    ((), {"optimizer_params": [1]}, ValueError, "optimizer_params must be None or"),
    ((), {"learning_rate": 0.0}, ValueError, "learning_rate must be a finite number > 0, got 0.0"),
    ((), {"learning_rate": "fast"}, TypeError,
     "learning_rate must be a real number or a steepest schedule, got str"),
    ((), {"learning_rate": ReduceLROnPlateau(lr=0.1)}, TypeError, "reduce_on_plateau="),
    ((), {"batch_size": 0}, ValueError, "batch_size must be an int >= 1, got 0"),
    ((), {"batch_size": 2.5}, TypeError, "batch_size must be an int >= 1, got 2.5"),
    ((), {"alpha": -1e-3}, ValueError, "alpha must be a finite number >= 0, got -0.001"),
    ((), {"alpha": float("nan")}, ValueError, "alpha must be a finite number"),
    ((), {"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
    ((), {"tol": -1.0}, ValueError, "tol must be a finite number"),
    ((), {"n_iter_no_change": 0}, ValueError, "n_iter_no_change must be an int >= 1"),
    ((), {"validation_fraction": 1.0}, ValueError,
     r"validation_fraction must be in \(0, 1\), got 1.0"),
    ((), {"reduce_on_plateau": 0.5}, TypeError, "reduce_on_plateau must be None or a"),
    ((), {"reduce_on_plateau": ReduceLROnPlateau(lr=1.0, mode="max")}, ValueError,
     "mode='min'"),
    ((), {"swa_start": -1}, ValueError, "swa_start must be an int >= 0"),
    ((), {"swa_start": 1, "swa_lr": -1.0}, ValueError, "swa_lr must be a finite number"),
    ((), {"swa_start": 0, "early_stopping": True}, ValueError, "exclusive"),
    ((), {"backend": "gpu"}, ValueError, "backend must be 'native' or 'reference', got 'gpu'"),
    ((), {"dtype": np.int32}, TypeError, "dtype must be float32 or float64, got"),
    ((), {"n_threads": 0}, ValueError, "n_threads must be an int >= 1"),
    ((), {"random_state": "seed"}, TypeError, "random_state must be None, an int"),
    ((), {"random_state": -1}, ValueError, "random_state must be None, an int"),
    ((), {"shuffle": "yes"}, TypeError, "shuffle must be a bool"),
    (("LinearRegression", "LogisticRegression"), {"l1_ratio": 1.5}, ValueError,
     r"l1_ratio must be in \[0, 1\], got 1.5"),
    (("LinearRegression", "LogisticRegression"), {"init": "orthogonal"}, ValueError,
     "init must be 'zeros', 'normal', 'uniform', 'xavier' or 'he', got 'orthogonal'"),
    (("MLPClassifier", "MLPRegressor"), {"init": "zeros"}, ValueError,
     "init must be 'auto', 'normal', 'uniform', 'xavier' or 'he', got 'zeros'"),
    (("MLPClassifier", "MLPRegressor"), {"activation": "softplus"}, ValueError,
     "activation must be 'relu', 'tanh', 'sigmoid', 'identity' or 'logistic', got 'softplus'"),
    (("MLPClassifier", "MLPRegressor"), {"hidden_layer_sizes": (4, 0)}, ValueError,
     r"hidden_layer_sizes must be an int >= 1 or a sequence of them, got \(4, 0\)"),
    (("MLPClassifier", "MLPRegressor"), {"hidden_layer_sizes": "10"}, TypeError,
     "hidden_layer_sizes must be an int >= 1 or a sequence of them, got '10'"),
    (("MLPClassifier", "MLPRegressor"), {"hidden_layer_sizes": (4, 2.0)}, TypeError,
     "hidden_layer_sizes must be an int >= 1 or a sequence"),
]  # fmt: skip


CASES = [(name, params, error, match) for only, params, error, match in BAD
         for name in ESTIMATORS if not only or name in only]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "params", "error", "match"),
    CASES,
    ids=[f"{c[0]}-{str(c[1])[:40]}" for c in CASES],
)
def test_bad_hyperparameter_raises_at_fit(
    name: str, params: dict[str, Any], error: type, match: str
) -> None:
    est, X, y = small_case(name)
    est.set_params(**params)  # stored as given, checked by fit
    with pytest.raises(error, match=match):
        est.fit(X, y)
    assert not hasattr(est, "n_iter_")


def test_validation_fraction_too_small_for_the_data() -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(early_stopping=True, validation_fraction=0.999)
    with pytest.raises(ValueError, match="leaves an empty training or validation set"):
        est.fit(X, y)


# What some optimizer= names imply, written out apart from the spec table (an
# alias's implied values, AdamW's own default); every name's expectation is
# its rule's defaults updated by its implied values and by this.
PINNED: dict[str, dict[str, Any]] = {
    "sgd": {"momentum": 0.0, "nesterov": False},
    "momentum": {"momentum": 0.9, "nesterov": False},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "adam": {"betas": (0.9, 0.999)},
    "adamw": {"weight_decay": 1e-2},
}


def _expected(name: str) -> dict[str, Any]:
    rule, implied = OPTIMIZER_NAMES[name]
    hyper = {k: x for k, x in rule.defaults().items() if k != "lr"}
    return {**hyper, **implied, **PINNED.get(name, {})}


SPECS: list[tuple[Any, str, dict[str, Any]]] = [
    *((name, rule.cls, _expected(name)) for name, (rule, _) in OPTIMIZER_NAMES.items()),
    (steepest.Adam, "Adam", {}),
    (functools.partial(steepest.RMSprop, alpha=0.5), "RMSprop", {"alpha": 0.5}),
]


def test_pinned_names_exist() -> None:
    assert set(PINNED) <= set(OPTIMIZER_NAMES)


@pytest.mark.parametrize(("optimizer", "kind", "hyper"), SPECS, ids=str)
def test_optimizer_specs(optimizer: Any, kind: str, hyper: dict[str, Any]) -> None:
    est, X, y = small_case("LinearRegression")
    # a full-batch rule (Rprop) gets what it is meant for (else it warns)
    if BY_CLASS[kind].full_batch:
        est.set_params(batch_size=None)
    est.set_params(optimizer=optimizer, max_iter=2, learning_rate=0.01).fit(X, y)
    opt = est._optimizer
    assert type(opt).__name__ == kind
    assert opt.backend == "reference"
    assert opt.nonfinite == "ignore"
    assert opt.lr == 0.01
    for key, value in hyper.items():
        assert opt.hyper[key] == value, key
    assert np.all(np.isfinite(est.coef_))


FULL_BATCH = [r.name for r in RULES if r.full_batch]


@pytest.mark.parametrize("name", FULL_BATCH)
def test_full_batch_rule_warns_on_mini_batches(name: str) -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(optimizer=name, max_iter=2, batch_size=10)
    with pytest.warns(UserWarning, match="meant for full-batch") as caught:
        est.fit(X, y)
    # the message names the sizes and the fix, and points at the caller
    message = str(caught[0].message)
    assert "batch_size=10 is smaller than the 100 training samples" in message
    assert "batch_size=None" in message
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="meant for full-batch") as caught:
        clone(est).partial_fit(X[:50], y[:50])
    assert "than the 50 training samples" in str(caught[0].message)
    assert caught[0].filename == __file__
    # full batches, or a batch_size covering the data, train without a word
    for batch in (None, 100, 500):
        clone(est).set_params(batch_size=batch).fit(X, y)
        clone(est).set_params(batch_size=batch).partial_fit(X, y)


def test_full_batch_rules() -> None:
    # guards the test above against running on no rule
    assert FULL_BATCH == ["rprop"]


def test_optimizer_params_override_the_name() -> None:
    est, X, y = small_case("MLPRegressor")
    est.set_params(optimizer="momentum", optimizer_params={"momentum": 0.5}, max_iter=1)
    assert est.fit(X, y)._optimizer.hyper["momentum"] == 0.5
    est.set_params(optimizer="adam", optimizer_params={"betas": (0.8, 0.9)})
    assert est.fit(X, y)._optimizer.hyper["betas"] == (0.8, 0.9)


def test_optimizers_differ() -> None:
    est, X, y = small_case("LinearRegression")
    curves = {
        name: clone(est).set_params(optimizer=name, max_iter=3).fit(X, y).loss_curve_
        for name in ("sgd", "momentum", "adam")
    }
    assert curves["sgd"] != curves["momentum"] != curves["adam"] != curves["sgd"]


def test_learning_rate_schedule_is_indexed_by_step() -> None:
    est, X, y = small_case("LinearRegression")  # 100 rows, batch 32: 4 steps/epoch
    sched = ExponentialLR(lr=0.05, gamma=0.9)
    est.set_params(learning_rate=sched, max_iter=3).fit(X, y)
    np.testing.assert_allclose(est.lr_curve_, [sched(0), sched(4), sched(8)])
    assert est.t_ == 12


@pytest.mark.parametrize("batch_size", [1, 7, None])
def test_batch_size_sets_the_steps_per_epoch(batch_size: int | None) -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(batch_size=batch_size, max_iter=2, learning_rate=0.01).fit(X, y)
    per_epoch = {1: 100, 7: 15, None: 1}[batch_size]
    assert est.t_ == 2 * per_epoch


def test_shuffle_false_visits_rows_in_order() -> None:
    est, X, y = small_case("LinearRegression")
    a = clone(est).set_params(shuffle=False, random_state=0).fit(X, y)
    b = clone(est).set_params(shuffle=False, random_state=1).fit(X, y)
    c = clone(est).set_params(shuffle=True, random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)  # zeros init: seed unused
    assert not np.array_equal(a.coef_, c.coef_)


def test_penalty_shrinks_weights() -> None:
    est, X, y = small_case("LinearRegression")
    free = clone(est).set_params(alpha=0.0).fit(X, y)
    ridge = clone(est).set_params(alpha=0.5).fit(X, y)
    lasso = clone(est).set_params(alpha=0.5, l1_ratio=1.0).fit(X, y)
    assert np.abs(ridge.coef_).sum() < 0.8 * np.abs(free.coef_).sum()
    assert np.abs(lasso.coef_).sum() < 0.8 * np.abs(free.coef_).sum()
    assert not np.allclose(ridge.coef_, lasso.coef_)
