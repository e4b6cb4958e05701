"""Fuzzing the training entry points: the binding ``_core.train_epoch`` and
the estimators' ``fit`` / ``predict``.

Random dtypes, shapes, layouts (strided, negative strides, Fortran order,
read-only, zero-size, 0-d), NaN/inf/subnormal values and random
hyperparameters. The property: a clean result, or a TypeError/ValueError
whose message names the function and the argument — never a crash — and on
an exception nothing the caller owns has changed. Derandomized for CI.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import steepest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from steepest import _core
from steepest.models._epoch import native_rule

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
ARGS = ("params", "rule", "step", "schedule", "lr", "lr_scale", "X", "y", "perm",
        "batch_size", "loss", "activation", "alpha", "l1_ratio", "n_threads")  # fmt: skip


def specials(dtype: Any) -> list[float]:
    """Zeros, subnormals, NaN, infinities and the largest finite value of dtype."""
    info = np.finfo(dtype)
    tiny = float(info.smallest_subnormal)
    return [0.0, -0.0, tiny, -tiny, math.nan, math.inf, -math.inf, float(info.max)]


def _layout(draw: Any, a: np.ndarray, label: str) -> np.ndarray:
    """The array in a random layout (usually the plain one)."""
    kind = draw(
        st.sampled_from(["c"] * 6 + ["strided", "reversed", "fortran", "readonly"])
    )
    if kind == "strided" and a.ndim >= 1 and a.shape[0] > 0:
        big = np.repeat(a, 2, axis=0)
        return big[::2]
    if kind == "reversed" and a.ndim >= 1:
        return a[::-1].copy()[::-1]
    if kind == "fortran" and a.ndim == 2:
        return np.asfortranarray(a)
    if kind == "readonly":
        a = a.copy()
        a.flags.writeable = False
    return a


@st.composite
def epoch_calls(draw: Any) -> dict[str, Any]:
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 12))
    d = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, 4), max_size=2))
    loss = draw(st.sampled_from(["log_loss", "squared_error", "multilabel_log_loss"]))
    k = draw(st.integers(1, 3))
    units = [d, *hidden, k]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    params: list[np.ndarray] = []
    for a, b in itertools.pairwise(units):
        params += [rng.standard_normal((a, b)).astype(dtype), np.zeros(b, dtype)]
    X = rng.standard_normal((n, d)).astype(dtype)
    if draw(st.booleans()):
        X.flat[draw(st.integers(0, X.size - 1))] = draw(
            st.sampled_from(specials(dtype))
        )
    if loss == "log_loss":
        y = rng.integers(0, max(k, 2), n).astype(np.intp)
    elif loss == "multilabel_log_loss":
        y = rng.integers(0, 2, (n, k)).astype(dtype)
    else:
        y = rng.standard_normal((n, k) if k > 1 else n).astype(dtype)
    opt_cls = draw(st.sampled_from([steepest.SGD, steepest.Adam, steepest.AdamW,
                                    steepest.RMSprop, steepest.Adagrad]))  # fmt: skip
    kwargs = {"lr": 0.01}
    if opt_cls is steepest.SGD:
        kwargs["momentum"] = draw(st.sampled_from([0.0, 0.9]))
    opt = opt_cls([p.copy() for p in params], **kwargs, nonfinite="ignore")
    rule = native_rule(opt)
    rule["state"] = {k: [a.copy() for a in s] for k, s in rule["state"].items()}
    call: dict[str, Any] = {
        "params": params, "rule": rule, "step": draw(st.integers(0, 5)),
        "schedule": None, "lr": 0.01, "lr_scale": 1.0, "X": X, "y": y,
        "perm": rng.permutation(n), "batch_size": draw(st.integers(0, n + 2)),
        "loss": loss, "activation": draw(st.sampled_from(["relu", "tanh", "sigmoid", "identity"])),
        "alpha": 0.0, "l1_ratio": 0.0, "n_threads": draw(st.integers(0, 2)),
    }  # fmt: skip
    # one argument made wrong, or odd, in most examples
    target = draw(st.sampled_from([*ARGS, "none", "none"]))
    if target == "params":
        i = draw(st.integers(0, len(params) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            params[i] = params[i].astype(np.float16)
        elif choice == 1:
            params[i] = _layout(draw, params[i], "params")
        elif choice == 2:
            params[i] = (
                params[i].reshape(-1)[:-1] if params[i].size > 1 else params[i][:0]
            )
        else:
            params[i] = np.asarray(params[i].sum())  # 0-d
    elif target in ("X", "y", "perm"):
        a = call[target]
        choice = draw(st.integers(0, 4))
        if choice == 0:
            call[target] = a.astype(np.int32 if target != "X" else np.float16)
        elif choice == 1:
            call[target] = _layout(draw, a, target)
        elif choice == 2:
            call[target] = a[:0]
        elif choice == 3:
            call[target] = np.asarray(a.reshape(-1)[0])
        elif target == "perm":
            call[target] = np.zeros_like(a)
        elif target == "y" and loss != "squared_error":
            call[target] = a + 5
        else:
            call[target] = list(a.tolist())
    elif target == "rule":
        key = draw(st.sampled_from(sorted(k for k in rule if k != "kind")))
        rule[key] = draw(st.sampled_from([-1.0, math.nan, "x", None, 2.0, True]))
    elif target != "none":
        call[target] = draw(
            st.sampled_from([-1, -0.5, math.nan, math.inf, "x", None, 2**70, 1.5])
        )
    return call


def _snapshot(call: dict[str, Any]) -> list[np.ndarray]:
    arrays = [a for a in call["params"] if isinstance(a, np.ndarray)]
    state = call["rule"].get("state")
    for slot in state.values() if isinstance(state, dict) else []:
        arrays += [a for a in slot if isinstance(a, np.ndarray)]
    return arrays + [
        a for k in ("X", "y", "perm") if isinstance(a := call[k], np.ndarray)
    ]


@SETTINGS
@given(call=epoch_calls())
def test_train_epoch_result_or_named_error(call: dict[str, Any]) -> None:
    arrays = _snapshot(call)
    before = [a.copy() for a in arrays]
    try:
        loss, steps = _core.train_epoch(**call)
    except (TypeError, ValueError) as err:
        message = str(err)
    else:
        message = ""
    if message:
        # the binding's prefix, or the schedule reader's ("schedule description: ...")
        assert message.startswith(("train_epoch:", "schedule")), message
        for a, b in zip(arrays, before, strict=True):
            np.testing.assert_array_equal(a, b)
        return
    assert isinstance(loss, float)
    assert steps >= 0
    n = call["X"].shape[0]
    B = call["batch_size"] if 0 < call["batch_size"] <= n else n
    if math.isfinite(loss):
        assert steps == -(-n // B)


def _estimator(draw: Any) -> Any:
    cls = draw(st.sampled_from([steepest.LinearRegression, steepest.LogisticRegression,
                                steepest.MLPClassifier, steepest.MLPRegressor]))  # fmt: skip
    kwargs: dict[str, Any] = {"max_iter": 2, "tol": None, "random_state": 0,
                              "batch_size": draw(st.sampled_from([1, 4, None]))}  # fmt: skip
    if cls in (steepest.MLPClassifier, steepest.MLPRegressor):
        kwargs["hidden_layer_sizes"] = (3,)
    if draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(["alpha", "batch_size", "learning_rate", "max_iter",
                                    "optimizer", "init", "dtype", "n_threads"]))  # fmt: skip
        kwargs[key] = draw(st.sampled_from([-1, 0, math.nan, "x", None, np.int32, 1e9]))
    return cls(**kwargs)


@st.composite
def fit_calls(draw: Any) -> tuple[Any, Any, Any, Any]:
    est = _estimator(draw)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n, d = draw(st.integers(0, 10)), draw(st.integers(0, 3))
    X: Any = rng.standard_normal((n, d)).astype(
        draw(st.sampled_from([np.float32, np.float64, np.int64]))
    )
    if X.size and X.dtype.kind == "f" and draw(st.booleans()):
        X.flat[draw(st.integers(0, X.size - 1))] = draw(
            st.sampled_from([*specials(X.dtype)[:4], 7.0])
        )
    y: Any = rng.integers(0, draw(st.integers(1, 3)), n)
    if draw(st.integers(0, 5)) == 0:
        y = y[:-1] if n else y
    if draw(st.integers(0, 5)) == 0:
        X = _layout(draw, X, "X") if X.ndim else X
    X_new: Any = rng.standard_normal((3, draw(st.sampled_from([d, d + 1]))))
    return est, X, y, X_new


@SETTINGS
@given(case=fit_calls())
def test_fit_predict_result_or_clear_error(case: tuple[Any, Any, Any, Any]) -> None:
    est, X, y, X_new = case
    X_before, y_before = np.array(X, copy=True), np.array(y, copy=True)
    messages = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings, sklearn's data warnings
        try:
            est.fit(X, y)
        except (TypeError, ValueError, steepest.DivergenceError) as err:
            messages.append(("fit", str(err)))
        else:
            try:
                assert est.predict(X_new).shape[0] == 3
            except ValueError as err:
                messages.append(("predict", str(err)))
    for where, msg in messages:
        assert msg, f"{where} raised an exception without a message"
        if where == "predict":  # fitted on d features, asked about d + 1
            assert "feature" in msg, msg
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_fuzz_cases_reach_both_outcomes() -> None:
    # guard against a generator that only ever produces errors (or successes)
    outcomes = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(call=epoch_calls())
    def probe(call: dict[str, Any]) -> None:
        try:
            _core.train_epoch(**call)
            outcomes.add("ok")
        except (TypeError, ValueError):
            outcomes.add("error")

    probe()
    assert outcomes == {"ok", "error"}
