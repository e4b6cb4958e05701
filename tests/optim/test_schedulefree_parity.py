"""Schedule-Free SGD and AdamW against the authors' schedulefree package.

schedulefree (PyPI, pure Python on torch) is the peer of both rules: its
defaults, 30 steps of every case row from the same start and gradients
(float64 within 1e-12 relative, float32 close), its ``eval()``/``train()``
round trip, and state dicts that load into its optimizer and back. Also the
evaluation weights' API (``eval_params``, ``eval``, ``train``, a step in eval
mode refused) on both backends and in :mod:`steepest.torch`.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS

from .._cases import CASES, Case

torch = pytest.importorskip("torch")
schedulefree = pytest.importorskip("schedulefree")
import steepest.torch  # after the skip: it needs torch

SF_CASES = [c for c in CASES if BY_CLASS[c.cls].peer_package == "schedulefree"]
IDS = [c.id for c in SF_CASES]
STEPS = 30
# float64: the per-step scalars agree exactly, the element-wise operations
# to rounding (torch's lerp rounds otherwise above 0.5, its add may fuse)
RTOL = {np.float64: 1e-12, np.float32: 2e-5}
SHAPES = [(7, 3), (5,), (1,)]


def _problem(rng: np.random.Generator, dtype: type) -> tuple[list, list]:
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [
        [rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)
    ]
    return params, grads


def _peer(case: Case, tensors: list, foreach: bool = False) -> Any:
    cls = getattr(schedulefree, case.cls)
    opt = cls(tensors, foreach=foreach, **case.cls_kwargs)
    opt.train()  # schedulefree refuses a step before train()
    return opt


def _peer_run(opt: Any, tensors: list, grads: list) -> None:
    for gs in grads:
        for t, g in zip(tensors, gs, strict=True):
            t.grad = torch.from_numpy(g.copy())  # schedulefree overwrites its grads
        opt.step()


def _close(got: list, expected: list, dtype: type, what: str) -> None:
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        a = np.asarray(a.detach() if torch.is_tensor(a) else a, np.float64)
        b = np.asarray(b.detach() if torch.is_tensor(b) else b, np.float64)
        np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-3,
                                   err_msg=f"{what} [{i}]")  # fmt: skip


@pytest.mark.parametrize("name", ["SGDScheduleFree", "AdamWScheduleFree"])
def test_defaults_are_schedulefrees(name: str) -> None:
    theirs = inspect.signature(getattr(schedulefree, name)).parameters
    for cls in (getattr(steepest, name), getattr(steepest.torch, name)):
        ours = inspect.signature(cls).parameters
        for key in steepest.optim.__dict__[name]._rule.hyper_names:
            assert ours[key].default == theirs[key].default, (cls, key)


@pytest.mark.parametrize("case", SF_CASES, ids=IDS)
def test_classes_match_schedulefree(
    case: Case, backend: str, dtype: type, rng: np.random.Generator
) -> None:
    params, grads = _problem(rng, dtype)
    tensors = [torch.from_numpy(p.copy()) for p in params]
    peer = _peer(case, tensors)
    ours = [p.copy() for p in params]
    opt = getattr(steepest, case.cls)(ours, backend=backend, **case.cls_kwargs)
    for t in range(0, STEPS, 10):
        _peer_run(peer, tensors, grads[t : t + 10])
        for gs in grads[t : t + 10]:
            opt.step([g.copy() for g in gs])
        _close(ours, tensors, dtype, f"y after {t + 10} steps")
        _close(opt.state["z"], [peer.state[p]["z"] for p in tensors], dtype, "z")
        # the round trip through the evaluation weights, both sides
        x = opt.eval_params()
        peer.eval()
        opt.eval()
        _close(ours, tensors, dtype, f"x after {t + 10} steps")
        for a, b in zip(x, ours, strict=True):
            assert np.array_equal(a, b), "eval_params() is not what eval() sets"
        peer.train()
        opt.train()
    group = peer.param_groups[0]
    assert opt.state["lr_max"][0] == group["lr_max"]
    assert opt.state["weight_sum"][0] == pytest.approx(group["weight_sum"], rel=1e-15)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", SF_CASES, ids=IDS)
def test_torch_class_matches_schedulefree(
    case: Case, foreach: bool, dtype: type, rng: np.random.Generator
) -> None:
    params, grads = _problem(rng, dtype)
    theirs = [torch.from_numpy(p.copy()) for p in params]
    ours = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    peer = _peer(case, theirs, foreach)
    opt = getattr(steepest.torch, case.cls)(ours, **case.cls_kwargs)
    _peer_run(peer, theirs, grads)
    _peer_run(opt, ours, grads)
    _close(ours, theirs, dtype, "y")
    x = opt.eval_params()
    opt.eval()
    peer.eval()
    _close(ours, theirs, dtype, "x")
    for a, b in zip(x, ours, strict=True):
        assert torch.equal(a, b.detach())
    group, mine = peer.param_groups[0], opt.param_groups[0]
    assert mine["k"] == group["k"] == STEPS
    assert mine["lr_max"] == group["lr_max"]
    assert mine["weight_sum"] == pytest.approx(group["weight_sum"], rel=1e-15)
    assert mine["scheduled_lr"] == group["scheduled_lr"]


@pytest.mark.parametrize("case", SF_CASES, ids=IDS)
def test_state_dict_loads_into_schedulefree_and_back(
    case: Case, rng: np.random.Generator
) -> None:
    """Ours -> schedulefree -> ours, saved in eval mode (as schedulefree
    advises): each continues where the other stopped."""
    params, grads = _problem(rng, np.float64)
    ref = [torch.from_numpy(p.copy()) for p in params]
    _peer_run(_peer(case, ref), ref, grads)  # the whole run, schedulefree alone

    ours = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    opt = getattr(steepest.torch, case.cls)(ours, **case.cls_kwargs)
    _peer_run(opt, ours, grads[:10])
    opt.eval()
    saved = opt.state_dict()
    assert set(saved["state"][0]) == {
        "z",
        *(["exp_avg_sq"] if "v" in case.states else []),
    }
    theirs = [torch.from_numpy(p.detach().numpy().copy()) for p in ours]
    peer = getattr(schedulefree, case.cls)(theirs)
    peer.load_state_dict(saved)
    peer.train()
    _peer_run(peer, theirs, grads[10:20])
    peer.eval()
    back = [torch.nn.Parameter(t.clone()) for t in theirs]
    again = getattr(steepest.torch, case.cls)(back)
    again.load_state_dict(peer.state_dict())
    with pytest.raises(RuntimeError, match="eval mode"):
        _peer_run(again, back, grads[20:21])
    again.train()
    _peer_run(again, back, grads[20:])
    _close(back, ref, np.float64, "y after the trip")


@pytest.mark.parametrize("case", SF_CASES, ids=IDS)
def test_state_dict_round_trip_keeps_the_mode(case: Case, backend: str) -> None:
    w = np.array([1.0, -2.0, 0.5])
    cls = getattr(steepest, case.cls)
    opt = cls([w], backend=backend, **case.cls_kwargs)
    for _ in range(3):
        opt.step([w.copy()])
    opt.eval()
    saved = opt.state_dict()
    assert saved["train_mode"] is False
    other = cls([w.copy()], backend=backend, **case.cls_kwargs)
    other.load_state_dict(saved)
    with pytest.raises(RuntimeError, match=rf"{case.cls}\.step: .*eval mode"):
        other.step([w.copy()])
    other.train()
    opt.train()
    for o in (opt, other):
        o.step([np.ones(3)])
    assert np.array_equal(opt.params[0], other.params[0])
    with pytest.raises(ValueError, match=r"\['train_mode'\] must be a bool"):
        other.load_state_dict({**saved, "train_mode": "no"})


@pytest.mark.parametrize("case", SF_CASES, ids=IDS)
def test_modes(case: Case, backend: str) -> None:
    w = np.array([1.0, -2.0, 0.5])
    opt = getattr(steepest, case.cls)([w], backend=backend, **case.cls_kwargs)
    opt.eval()  # before any step x = y = z: nothing moves
    assert np.array_equal(w, [1.0, -2.0, 0.5])
    for what in ("step", "apply_step", "advance"):
        call = {
            "step": lambda: opt.step([w.copy()]),
            "apply_step": lambda: opt.apply_step([w.copy()], lr=0.1),
            "advance": lambda: opt.advance(1),
        }[what]
        with pytest.raises(
            RuntimeError, match=rf"\.{what}: the optimizer is in eval mode"
        ):
            call()
    assert opt.step_count == 0
    opt.train()
    opt.step([w.copy()])
    opt.step([np.array([0.5, 1.0, -1.0])])
    y = w.copy()
    x = opt.eval_params()
    assert np.array_equal(w, y), "eval_params() changed the params"
    assert not np.allclose(x[0], y)  # after two steps x and y differ
    opt.eval()
    opt.eval()  # a no-op in eval mode
    assert np.array_equal(w, x[0])
    assert np.array_equal(opt.eval_params()[0], x[0])
    opt.train()
    np.testing.assert_allclose(w, y, rtol=1e-15)


_BAD = [
    ("momentum", 0.0, "momentum"),
    ("momentum", 1.0, "momentum"),
    ("betas", (0.0, 0.999), r"betas\[0\]"),
    ("betas", (1.0, 0.999), r"betas\[0\]"),
    ("betas", (0.9, 1.0), r"betas\[1\]"),
    ("warmup_steps", -1, "warmup_steps"),
    ("r", -0.5, "r"),
    ("weight_lr_power", -2.0, "weight_lr_power"),
    ("weight_decay", -0.1, "weight_decay"),
]
BAD = [
    (cls, *bad)
    for cls in ("SGDScheduleFree", "AdamWScheduleFree")
    for bad in _BAD
    if bad[0] in steepest.optim.__dict__[cls]._rule.hyper_names
]


@pytest.mark.parametrize(("cls", "name", "value", "shown"), BAD,
                         ids=[f"{c}-{n}={v}" for c, n, v, _ in BAD])  # fmt: skip
def test_bad_hyperparameters_name_the_argument(
    cls: str, name: str, value: Any, shown: str
) -> None:
    rule = steepest.optim.__dict__[cls]._rule
    w = np.ones(2)
    for make in (
        lambda: getattr(steepest, cls)([w], **{name: value}),
        lambda: getattr(steepest.reference, cls)([w], **{name: value}),
        lambda: getattr(steepest.torch, cls)([torch.ones(2)], **{name: value}),
    ):
        with pytest.raises(ValueError, match=rf"{cls}: {shown} must be .*got"):
            make()
    # the functional steps of both backends, under their keywords
    step = rule.step
    keys = {"betas": ("beta1", "beta2")}.get(name, (name,))
    values = value if name == "betas" else (value,)
    args = [np.ones(2), np.ones(2), np.ones(2)]
    if "v" in rule.slot_names:
        args.append(np.zeros(2))
    for functional in (steepest.functional, steepest.reference.functional):
        for key, val in zip(keys, values, strict=True):
            good = {"beta1": 0.9, "beta2": 0.999}
            if key in good and val == good[key]:
                continue
            with pytest.raises(ValueError, match=rf"{step}: {key} must be .*got"):
                getattr(functional, step)(
                    *args, np.array(-1.0), np.array(0.0), step=1, **{key: val}
                )
