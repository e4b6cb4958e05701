"""steepest.torch trains like torch.optim: every case, float32 and float64.

The issue's bar: 50 steps of a small MLP end within 1e-6 (max abs difference
of the params) of the same run with torch.optim in float32; float64 agrees
to rounding. The state tensors (torch's names) must agree as well.
"""

from __future__ import annotations

import pytest

from ._train import (
    CASE_IDS,
    CASES,
    STATE_RTOL,
    STEPS,
    TOLERANCE,
    Case,
    optimizer,
    tolerance,
    train,
    twins,
)

torch = pytest.importorskip("torch")
import steepest.torch

DTYPES = [torch.float32, torch.float64]
DTYPE_IDS = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_training_matches_torch(case: Case, dtype: torch.dtype) -> None:
    ours, theirs, X, y = twins(dtype)
    start = [p.detach().clone() for p in ours.parameters()]
    opt = optimizer(steepest.torch, case, ours.parameters())
    ref = optimizer(torch.optim, case, theirs.parameters())
    train(ours, opt, X, y, STEPS)
    train(theirs, ref, X, y, STEPS)
    tol = tolerance(case, dtype)
    for p, q, p0 in zip(ours.parameters(), theirs.parameters(), start, strict=True):
        assert p.dtype == q.dtype == dtype
        torch.testing.assert_close(p, q, rtol=0, atol=tol)
        assert (p - p0).abs().max().item() > 1e-3  # it trained
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        mine, torchs = opt.state[p], ref.state[q]
        assert set(mine) == set(torchs)
        for key, value in torchs.items():
            got = mine[key]
            assert type(got) is torch.Tensor
            assert got.dtype == value.dtype, key
            assert got.shape == value.shape, key
            torch.testing.assert_close(got, value, rtol=STATE_RTOL[dtype], atol=tol)


def test_float32_is_not_float64() -> None:
    """The float32 tolerance is met, not trivially: float64 runs differ by more."""
    case = CASES[CASE_IDS.index("Adam(lr=0.01)")]
    ours, theirs, X, y = twins(torch.float32)
    theirs = theirs.double()
    train(ours, optimizer(steepest.torch, case, ours.parameters()), X, y, STEPS)
    train(
        theirs,
        optimizer(torch.optim, case, theirs.parameters()),
        X.double(),
        y.double(),
        STEPS,
    )
    diff = max(
        (p.double() - q).abs().max().item()
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True)
    )
    assert diff > TOLERANCE[torch.float64]


def test_group_takes_one_native_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """All params of a group reach the kernel in one list, as NumPy views."""
    calls: list[list[object]] = []
    real = steepest.functional.adam_step

    def spy(params: list[object], *args: object, **kwargs: object) -> bool:
        calls.append(params)
        return real(params, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(steepest.functional, "adam_step", spy)
    model, X, y = twins(torch.float32)[1:]
    opt = steepest.torch.Adam(model.parameters())
    train(model, opt, X, y, 2)
    assert len(calls) == 2
    tensors = list(model.parameters())
    assert len(calls[0]) == len(tensors)
    for array, t in zip(calls[0], tensors, strict=True):
        assert array.__array_interface__["data"][0] == t.data_ptr()  # type: ignore[attr-defined]
