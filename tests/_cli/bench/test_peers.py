"""The benchmark times a rule torch.optim lacks against its peer on torch.

Schedule-Free's peer is the authors' schedulefree package: its rows get the
torch columns, from schedulefree's classes, checked against the reference's
first step as torch.optim's are. Twin: ``steepest._cli.bench.torch_worker``.
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest
from steepest._cli.bench import measure
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
