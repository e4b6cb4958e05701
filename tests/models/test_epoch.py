"""The epoch runner of the estimators (``steepest.models._epoch``) and the
checks of its native binding ``_core.train_epoch``: every bad argument is a
clear exception naming it, raised before any array is written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import steepest
from steepest import _core
from steepest.models._epoch import Network, native_rule, run_epoch


def problem(dtype: type = np.float64) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 3)).astype(dtype)
    params = [rng.standard_normal((3, 4)).astype(dtype), np.zeros(4, dtype)]
    opt = steepest.Adam(params, lr=0.01, nonfinite="ignore")
    return {
        "params": params,
        "rule": native_rule(opt),
        "step": 0,
        "schedule": None,
        "lr": 0.01,
        "lr_scale": 1.0,
        "X": X,
        "y": rng.integers(0, 4, 10).astype(np.intp),
        "perm": rng.permutation(10),
        "batch_size": 4,
        "loss": "log_loss",
        "activation": "relu",
        "alpha": 0.0,
        "l1_ratio": 0.0,
        "n_threads": 0,
    }


def call(args: dict[str, Any]) -> tuple[float, int]:
    return _core.train_epoch(**args)  # type: ignore[no-any-return]


def test_valid_call_updates_params_and_state() -> None:
    args = problem()
    before = [p.copy() for p in args["params"]]
    loss, steps = call(args)
    assert steps == 3
    assert np.isfinite(loss)
    assert not np.array_equal(before[0], args["params"][0])
    assert np.any(args["rule"]["state"]["m"][0] != 0)


def _bad_cases() -> list[tuple[str, Any, type, str]]:
    f32 = np.zeros((3, 4), np.float32)
    return [
        ("params", "nope", TypeError, "params must be a list"),
        ("params", [np.zeros((3, 4))], ValueError, "even count"),
        (
            "params",
            [f32, np.zeros(4, np.float32)],
            TypeError,
            "has dtype float64; expected float32",
        ),
        (
            "params",
            [np.zeros((3, 4)), np.zeros(5)],
            ValueError,
            r"params\[1\] has shape",
        ),
        ("params", [np.zeros((4, 3)).T, np.zeros(4)], ValueError, "C-contiguous"),
        ("X", np.zeros((10, 2)), ValueError, "X has shape"),
        ("X", [[1.0]], TypeError, "X must be a numpy.ndarray"),
        ("y", np.full(10, 4, np.intp), ValueError, r"y\[0\] = 4 is not a class index"),
        ("y", np.zeros(9, np.intp), ValueError, "y has shape"),
        ("y", np.zeros(10), TypeError, "y has dtype float64"),
        ("perm", np.zeros(10, np.intp), ValueError, "perm must be a permutation"),
        ("perm", np.arange(9), ValueError, "perm has shape"),
        ("batch_size", -1, ValueError, r"batch_size must be in \[0, "),
        ("batch_size", 2.5, TypeError, "batch_size must be an int"),
        ("loss", "hinge", ValueError, "loss must be"),
        ("activation", "gelu", ValueError, "activation must be"),
        ("alpha", -1.0, ValueError, "alpha must be a finite number >= 0"),
        ("l1_ratio", 2.0, ValueError, r"l1_ratio must be in \[0, 1\]"),
        ("lr", float("nan"), ValueError, "lr must be a finite number"),
        ("step", -1, ValueError, r"step must be in \[0, "),
        ("n_threads", -2, ValueError, r"n_threads must be in \[0, 4096\]"),
        (
            "n_threads",
            2**70,
            ValueError,
            r"n_threads must be in \[0, 4096\], got 1180591620717411303424",
        ),
        ("step", 2**63, ValueError, r"step must be in \[0, "),
        ("schedule", {"kind": "Nope"}, ValueError, "Nope"),
        ("sample_weight", np.ones(9), ValueError, r"sample_weight has shape \(9,\)"),
        ("sample_weight", np.ones((10, 1)), ValueError, "sample_weight has shape"),
        (
            "sample_weight",
            np.ones(10, np.float32),
            TypeError,
            "sample_weight has dtype",
        ),
        ("sample_weight", [1.0] * 10, TypeError, "sample_weight must be a numpy"),
        ("fit_intercept", 1, TypeError, "fit_intercept must be a bool, got int"),
    ]


@pytest.mark.parametrize(("name", "value", "exc", "match"), _bad_cases())
def test_bad_argument_is_named_and_nothing_changes(
    name: str, value: Any, exc: type, match: str
) -> None:
    args = problem()
    args[name] = value
    snapshot = [p.copy() for p in problem()["params"]]
    with pytest.raises(exc, match=match):
        call(args)
    if name != "params":
        for p, s in zip(args["params"], snapshot, strict=True):
            np.testing.assert_array_equal(p, s)


def test_bad_rule_and_state() -> None:
    args = problem()
    args["rule"] = dict(args["rule"], kind="Lion")
    with pytest.raises(ValueError, match="rule kind must be one of sgd, adagrad"):
        call(args)
    args = problem()
    del args["rule"]["state"]["v"]
    with pytest.raises(ValueError, match=r"rule\['state'\]\['v'\] is required"):
        call(args)
    args = problem()
    args["rule"]["state"]["m"][0] = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"rule\['state'\]\['m'\]\[0\] has shape"):
        call(args)
    args = problem()
    args["rule"]["state"] = list(args["rule"]["state"].values())
    with pytest.raises(TypeError, match=r"rule\['state'\] must be a dict"):
        call(args)
    args = problem()
    args["rule"]["beta1"] = 1.0
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\)"):
        call(args)


def test_read_only_param_is_refused_but_read_only_data_accepted() -> None:
    args = problem()
    for key in ("X", "y", "perm"):
        args[key].flags.writeable = False  # a memmap or shared buffer is fine
    call(args)
    args["params"][1].flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[1\] is read-only"):
        call(args)


def test_divergence_stops_the_epoch_at_the_first_nonfinite_loss() -> None:
    args = problem()
    args["X"][3, 0] = np.inf  # the batch holding row 3 has an infinite loss
    args["perm"] = np.arange(10)  # batches: rows 0-3 (diverges), 4-7, 8-9
    loss, steps = call(args)
    assert not np.isfinite(loss)
    assert steps == 0


def test_threads_setting_is_restored() -> None:
    blas_before = _core.build_info()["blas"]
    args = problem()
    args["n_threads"] = 1
    call(args)
    assert _core.build_info()["blas"] == blas_before


def test_reference_and_native_runner_signatures_agree() -> None:
    # one body over both backends: the runner returns (loss, steps) for each
    results = {}
    for backend in ("native", "reference"):
        args = problem()
        opt = steepest.Adam(
            args["params"], lr=0.01, nonfinite="ignore", backend=backend
        )
        net = Network("mlp", "log_loss", activation="relu")
        results[backend] = run_epoch(
            backend, net, args["params"], opt, args["X"], args["y"], args["perm"], 4
        )
        assert opt.step_count == 3
    assert results["native"][1] == results["reference"][1]
    np.testing.assert_allclose(
        results["native"][0], results["reference"][0], rtol=1e-12
    )


def test_native_rule_refuses_foreign_optimizers() -> None:
    class Custom(steepest.SGD):
        pass

    opt = Custom([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="no native training loop"):
        native_rule(opt)
