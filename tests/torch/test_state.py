"""State dicts, interoperation with torch.optim, param groups, schedulers, closures."""

from __future__ import annotations

import copy

import pytest

from ._train import (
    CASE_IDS,
    CASES,
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
from steepest._rules import BY_CLASS

F32 = torch.float32


def _slots(case: Case) -> int:
    """How many state arrays per param ``case`` keeps (its rule's active slots)."""
    rule = BY_CLASS[case.cls]
    return len(rule.active({**rule.defaults(), **case.kwargs}))


# per class, every case that keeps the most state the class can hold
INTEROP = [
    c for c in CASES if _slots(c) == max(_slots(d) for d in CASES if d.cls == c.cls)
]
INTEROP_IDS = [c.id for c in INTEROP]
SPLIT = 20  # steps before the state dict is taken


@pytest.mark.parametrize("case", INTEROP, ids=INTEROP_IDS)
def test_resume_equals_uninterrupted_run(case: Case) -> None:
    model, _, X, y = twins(F32)
    opt = optimizer(steepest.torch, case, model.parameters())
    train(model, opt, X, y, SPLIT)
    saved_model = copy.deepcopy(model.state_dict())
    saved = copy.deepcopy(opt.state_dict())  # torch's dict holds live tensors
    train(model, opt, X, y, STEPS - SPLIT)

    resumed, _, _, _ = twins(F32)
    resumed.load_state_dict(saved_model)
    opt2 = optimizer(steepest.torch, case, resumed.parameters())
    opt2.load_state_dict(saved)
    train(resumed, opt2, X, y, STEPS - SPLIT)
    for p, q in zip(model.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)  # the same kernels
    assert opt.state_dict()["param_groups"] == opt2.state_dict()["param_groups"]


@pytest.mark.parametrize("direction", ["torch->steepest", "steepest->torch"])
@pytest.mark.parametrize("case", INTEROP, ids=INTEROP_IDS)
def test_state_dict_crosses_over(case: Case, direction: str) -> None:
    """Half a run with one implementation, the rest with the other, ends like torch."""
    first, second = torch.optim, steepest.torch
    if direction == "steepest->torch":
        first, second = second, first
    whole, half, X, y = twins(F32)
    train(whole, optimizer(torch.optim, case, whole.parameters()), X, y, STEPS)
    opt = optimizer(first, case, half.parameters())
    train(half, opt, X, y, SPLIT)
    state = opt.state_dict()
    opt2 = optimizer(second, case, half.parameters())
    opt2.load_state_dict(state)
    for st in opt2.state.values():
        if "step" in st:  # torch's convention: a scalar float32 tensor
            assert st["step"].dtype == F32
            assert st["step"].shape == ()
            assert st["step"].item() == SPLIT
    train(half, opt2, X, y, STEPS - SPLIT)
    for p, q in zip(whole.parameters(), half.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=tolerance(case, F32))


def test_state_dict_looks_like_torchs() -> None:
    case = CASES[CASE_IDS.index("Adam(lr=0.01,amsgrad=True,weight_decay=0.01)")]
    ours, theirs, X, y = twins(F32)
    mine = optimizer(steepest.torch, case, ours.parameters())
    ref = optimizer(torch.optim, case, theirs.parameters())
    train(ours, mine, X, y, 3)
    train(theirs, ref, X, y, 3)
    a, b = mine.state_dict(), ref.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for i, st in a["state"].items():
        assert {k: (v.dtype, v.shape) for k, v in st.items()} == {
            k: (v.dtype, v.shape) for k, v in b["state"][i].items()
        }


def test_adagrad_state_exists_before_the_first_step() -> None:
    model, _, _, _ = twins(F32)
    mine = steepest.torch.Adagrad(model.parameters(), initial_accumulator_value=0.5)
    ref = torch.optim.Adagrad(model.parameters(), initial_accumulator_value=0.5)
    a, b = mine.state_dict()["state"], ref.state_dict()["state"]
    assert a.keys() == b.keys()
    assert len(a) == 4
    for i in a:
        for key in ("step", "sum"):
            torch.testing.assert_close(a[i][key], b[i][key], rtol=0, atol=0)


def test_lr_scheduler_and_param_groups() -> None:
    """StepLR halves each group's lr; groups keep their own hyperparameters."""
    ours, theirs, X, y = twins(F32)
    opts, scheds = [], []
    for module, model in ((steepest.torch, ours), (torch.optim, theirs)):
        first, second = model[0], model[2]
        opt = module.Adam(
            [{"params": first.parameters(), "lr": 3e-2},
             {"params": [second.weight], "weight_decay": 0.1}],
            lr=1e-2,
        )  # fmt: skip
        opt.add_param_group({"params": [second.bias], "betas": (0.5, 0.9)})
        opts.append(opt)
        scheds.append(torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5))
    for model, opt, sched in zip((ours, theirs), opts, scheds, strict=True):
        train(model, opt, X, y, STEPS, after_step=lambda _, s=sched: s.step())
    assert [g["lr"] for g in opts[0].param_groups] == pytest.approx(
        [3e-2 / 32, 1e-2 / 32, 1e-2 / 32]
    )
    assert [g["lr"] for g in opts[0].param_groups] == [
        g["lr"] for g in opts[1].param_groups
    ]
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=TOLERANCE[F32])


def test_step_returns_the_closures_loss() -> None:
    ours, theirs, X, y = twins(F32)
    losses = []
    for module, model in ((steepest.torch, ours), (torch.optim, theirs)):
        opt = module.RMSprop(model.parameters(), lr=1e-3, momentum=0.5)

        def closure(model: torch.nn.Module = model, opt: object = opt) -> torch.Tensor:
            opt.zero_grad()  # type: ignore[attr-defined]
            loss = torch.nn.functional.mse_loss(model(X), y)
            loss.backward()
            return loss

        with torch.no_grad():  # step must enable gradients for the closure itself
            losses.append([opt.step(closure).item() for _ in range(10)])
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    assert losses[0][-1] < losses[0][0]
    assert steepest.torch.SGD(ours.parameters()).step() is None


def test_params_without_grad_are_skipped() -> None:
    """A param used every other step keeps its own step count, as in torch."""
    ours, theirs, X, y = twins(F32)
    unused_layer = torch.nn.Linear(1, 1)  # never used: no grad, no state
    ours.append(unused_layer)
    theirs.append(copy.deepcopy(unused_layer))
    runs = []
    for module, model in ((steepest.torch, ours), (torch.optim, theirs)):
        opt = module.Adam(model.parameters(), lr=1e-2)
        for k in range(STEPS):
            opt.zero_grad()
            out = model[2](model[1](model[0](X)))
            if k % 2:  # the first layer's bias gets no gradient on odd steps
                out = out + 0 * model[0].bias.detach().sum()
            torch.nn.functional.mse_loss(out, y).backward()
            if k % 2:
                model[0].bias.grad = None
            opt.step()
        runs.append(opt)
    bias, unused = ours[0].bias, ours[3].weight
    assert runs[0].state[bias]["step"].item() == STEPS // 2
    assert runs[0].state[ours[0].weight]["step"].item() == STEPS
    assert len(runs[0].state[unused]) == 0
    assert torch.equal(unused.detach(), theirs[3].weight.detach())
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=TOLERANCE[F32])


def test_nonfinite_modes() -> None:
    w = torch.nn.Parameter(torch.ones(4))
    w.grad = torch.tensor([1.0, float("nan"), 0.0, 0.0])
    with pytest.raises(ValueError, match=r"not finite|non-finite|NaN"):
        steepest.torch.Adam([w], nonfinite="raise").step()
    assert torch.equal(w.detach(), torch.ones(4))
    opt = steepest.torch.Adam([w], nonfinite="skip")
    opt.step()
    assert torch.equal(w.detach(), torch.ones(4))
    assert opt.state[w]["step"].item() == 0
    steepest.torch.Adam([w]).step()  # torch's behaviour: no look
    assert torch.isnan(w).any()
    with pytest.raises(ValueError, match="nonfinite"):
        steepest.torch.Adam([w], nonfinite="sometimes")


def test_autograd_sees_the_in_place_update() -> None:
    """A graph saved before the step refuses to backpropagate after it, as in torch."""
    w = torch.nn.Parameter(torch.ones(3))
    opt = steepest.torch.SGD([w], lr=0.1)
    (w * w).sum().backward()
    version = w._version
    loss = (w * w).sum()  # saves w
    opt.step()
    assert w._version > version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_float64_and_mixed_groups() -> None:
    a = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    b = torch.nn.Parameter(torch.ones(2, dtype=torch.float32))
    opt = steepest.torch.Adam([a, b], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    assert opt.state[a]["exp_avg"].dtype == torch.float64
    torch.testing.assert_close(a.detach(), torch.full((3,), 0.9, dtype=torch.float64))
    torch.testing.assert_close(b.detach(), torch.full((2,), 0.9))


def test_asgd_averaged_params_are_torchs_ax() -> None:
    # One tensor per param in param_groups order: the state's ax once the
    # param has stepped (torch's, step for step), the param itself before.
    ours, theirs, X, y = twins(torch.float64)
    kwargs = {"lr": 5e-2, "t0": 2.0}
    opt = steepest.torch.ASGD(ours.parameters(), **kwargs)
    ref = torch.optim.ASGD(theirs.parameters(), **kwargs)
    before = opt.averaged_params()
    assert all(a is p or a.data_ptr() == p.data_ptr()
               for a, p in zip(before, ours.parameters(), strict=True))  # fmt: skip
    train(ours, opt, X, y, 10)
    train(theirs, ref, X, y, 10)
    averaged = opt.averaged_params()
    assert len(averaged) == len(list(ours.parameters()))
    for a, p, q in zip(averaged, ours.parameters(), theirs.parameters(), strict=True):
        assert a is opt.state[p]["ax"]
        torch.testing.assert_close(a, ref.state[q]["ax"], rtol=1e-12, atol=0)
        assert not torch.allclose(a, p)  # averaging started (t0 = 2)


def test_nadam_keeps_torchs_float32_mu_product() -> None:
    # float64 params with torch's float32 mu_product: the steps follow
    # torch's rounding of the product, not a float64 one.
    ours, theirs, X, y = twins(torch.float64)
    opt = steepest.torch.NAdam(ours.parameters(), lr=1e-2)
    ref = torch.optim.NAdam(theirs.parameters(), lr=1e-2)
    train(ours, opt, X, y, 20)
    train(theirs, ref, X, y, 20)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        mu = opt.state[p]["mu_product"]
        assert mu.dtype == torch.float32
        assert mu.shape == ()
        assert mu.item() == ref.state[q]["mu_product"].item()
        # 1e-13 relative, 1e-15 absolute: an element near zero ends one
        # rounding apart; a float64 product would put the params ~1e-10 apart
        torch.testing.assert_close(p, q, rtol=1e-13, atol=1e-15)
