"""The benchmark times a rule torch.optim lacks against its peer on torch.

Schedule-Free's peer is the authors' schedulefree package: its rows get the
torch columns, from schedulefree's classes, checked against the reference's
first step as torch.optim's are. DeepSpeed's CPU Adam is an optional contender
of the Adam and AdamW rows (not a test dependency: the machinery of optional
peers is tested here with torch.optim's classes). Twin:
``steepest._cli.bench.torch_worker``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import steepest
from steepest._cli.bench import measure, torch_client, torch_worker
from steepest._cli.bench.torch_worker import make_arrays, torch_stepper
from steepest._rules import BY_NAME


@pytest.mark.parametrize("name", ["sgd_schedulefree", "adamw_schedulefree"])
def test_schedulefree_rows_time_schedulefree(name: str) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("schedulefree")
    rule = measure._row(name, name, name)
    assert rule.in_torch
    assert rule.peer == f"schedulefree.{rule.cls}" == BY_NAME[name].peer
    params, grads = make_arrays(2, 1000, np.dtype(np.float64), 2, seed=3)
    theirs = [p.copy() for p in params]
    made = torch_stepper(torch, rule.peer, rule.kwargs, {}, theirs, grads)
    assert made is not None
    step, close = made
    step()
    ours = [p.copy() for p in params]
    opt = getattr(steepest, rule.cls)(ours, backend="reference", **rule.kwargs)
    opt.step([g.copy() for g in grads])
    for a, b, p in zip(theirs, ours, params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
        assert not np.array_equal(a, p)  # the peer did step
    close()


def test_deepspeed_rows_are_adam_and_adamw_with_their_hyperparameters() -> None:
    rows = {r.key: r.deepspeed for r in measure.RULES if r.deepspeed is not None}
    assert set(rows) == {"adam", "adamw"}
    assert rows["adam"] == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                            "weight_decay": 0.0, "adamw_mode": False}  # fmt: skip
    # AdamW's decoupled decay, steepest's default 0.01 passed on explicitly
    assert rows["adamw"]["adamw_mode"] is True
    assert rows["adamw"]["weight_decay"] == BY_NAME["adamw"].defaults()["weight_decay"]
    hyper = {**BY_NAME["adam"].defaults(), "lr": 1e-3}
    assert measure.deepspeed_kwargs("Adam", {**hyper, "amsgrad": True}) is None
    assert measure.deepspeed_kwargs("Adam", {**hyper, "maximize": True}) is None
    # a hyperparameter DeepSpeedCPUAdam has not would be silently dropped: no row
    assert measure.deepspeed_kwargs("Adam", {**hyper, "capturable": True}) is None
    assert measure.deepspeed_kwargs("RAdam", hyper) is None


def _open_request(tmp_path: Path, others: dict[str, Any]) -> dict[str, Any]:
    params, grads = make_arrays(2, 500, np.dtype(np.float32), 2, seed=0)
    ours = [p.copy() for p in params]
    steepest.Adam(ours, lr=1e-3, backend="reference").step(list(grads))
    expected = tmp_path / "expected.npy"
    np.save(expected, np.concatenate(ours))
    return {
        "peer": "torch.optim.Adam", "kwargs": {"lr": 1e-3}, "variants": {"torch": {}},
        "others": others, "count": 2, "n": 500, "dtype": "float32", "seed": 0,
        "expected": str(expected),
    }  # fmt: skip


def test_an_optional_peer_is_timed_or_absent_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch_worker, "_NOTES", {})
    good = {"peer": "torch.optim.Adam", "kwargs": {"lr": 1e-3}}
    # unknown kwarg: the class's TypeError, which a torch variant would swallow
    bad = {"peer": "torch.optim.Adam", "kwargs": {"lr": 1e-3, "no_such": 1}}
    missing = {"peer": "no_such_package.Adam", "kwargs": {}}
    req = _open_request(tmp_path, {"good": good, "bad": bad, "missing": missing})
    reply, steppers = torch_worker._open(torch, req)
    assert set(steppers) == {"torch", "good"}
    assert reply["variants"]["good"]["mismatch"] <= 1.0
    assert reply["variants"]["bad"] is None is reply["variants"]["missing"]
    assert reply["notes"]["bad"].startswith("TypeError: ")
    assert "no_such" in reply["notes"]["bad"]
    assert (
        reply["notes"]["missing"] == "ImportError: no_such_package.Adam does not import"
    )
    for _, close in steppers.values():
        close()
    # a peer that failed is not built again in later cells
    calls: list[str] = []
    monkeypatch.setattr(torch_worker, "torch_stepper",
                        lambda *a, **k: calls.append(a[1]))  # fmt: skip
    reply, _ = torch_worker._open(torch, _open_request(tmp_path, {"bad": bad}))
    assert calls == ["torch.optim.Adam"]  # the torch variant only
    assert reply["variants"]["bad"] is None


def test_why_names_the_error_and_its_cause() -> None:
    # as DeepSpeedCPUAdam raises when its op does not build
    err = RuntimeError("cpu_adam op failed to build/load.")
    err.__cause__ = OSError("ninja: build stopped\nmore lines")
    assert torch_worker._why(err) == (
        "RuntimeError: cpu_adam op failed to build/load.; OSError: ninja: build stopped"
    )
    assert torch_worker._why(ValueError()) == "ValueError: "


def test_the_torch_process_round_trip_with_an_optional_peer(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    worker = torch_client.TorchWorker(1)
    try:
        assert worker.ok
        # deepspeed is looked up without importing it: None where not installed
        assert worker.info["deepspeed"] == torch_worker._version("deepspeed")
        assert worker.info["steepest_modules"] == []
        req = _open_request(tmp_path, {"other": {"peer": "torch.optim.Adam",
                                                 "kwargs": {"lr": 1e-3}}})  # fmt: skip
        got = worker.open(**req)
        assert got["torch"] is not None
        assert got["other"] is not None
        assert worker.run("other", 2) > 0.0
        worker.close_cell()
        bad = {"peer": "no_such_package.Adam", "kwargs": {}}
        assert worker.open(**_open_request(tmp_path, {"bad": bad}))["bad"] is None
        assert worker.notes == {
            "bad": "ImportError: no_such_package.Adam does not import"
        }
        worker.close_cell()
    finally:
        worker.close()
    assert torch_worker._version("no-such-distribution-here") is None


def test_a_failed_check_says_where_and_with_which_inputs() -> None:
    params = [np.array([1.0, 2.0]), np.array([3.0])]
    grads = [np.array([0.5, -0.5]), np.array([0.25])]
    expected = np.array([0.9, 1.9, 2.9])
    # the second array's element is 1e-3 off (~500x the tolerance), the first's
    # second 1e-5 off (~3.3x): both counted, the worst named with its inputs
    got = [np.array([0.9, 1.9 + 1e-5]), np.array([2.9 + 1e-3])]
    detail = torch_worker.mismatch_detail(got, expected, params, grads)
    assert detail.startswith("2 of 3 elements out of tolerance; worst at 2: ")
    assert detail.endswith(
        f"got {float(got[1][0])!r}, expected 2.9 (param 3.0, grad 0.25)"
    )
    # a NaN is out of tolerance too
    got[0][0] = np.nan
    assert torch_worker.mismatch_detail(got, expected, params, grads).startswith(
        "3 of 3 elements out of tolerance; worst at 0: got nan"
    )


def test_a_nan_result_fails_the_check() -> None:
    # Python's max() drops a NaN that comes second: the check must not
    expected = np.array([1.0, 2.0])
    assert torch_worker.max_mismatch([np.array([1.0, np.nan])], expected) == np.inf
    assert torch_worker.max_mismatch([np.array([1.0, 2.0])], expected) == 0.0
