"""LAMB's own properties: one trust ratio per array, norms free of the thread
count, zero norms, and steepest.torch.Lamb (torch.optim has no LAMB to
compare with; the peer is optax: test_optax_lamb.py)."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
import steepest
from steepest.reference import functional as ref

from ..models.test_native_parity import (  # the fixture too, for usefixtures
    MODELS,
    WIDE,
    assert_backends_agree,
    split_everything,  # noqa: F401
)


def test_trust_ratio_is_per_array(functional: ModuleType) -> None:
    # Two arrays stepped together move as each stepped alone; scaling one
    # array's params scales its step (r = ||p|| / ||u||) and leaves the other's.
    a, b = np.array([3.0, -4.0]), np.array([1.0, 2.0, 2.0])
    ga, gb = np.array([0.5, -0.5]), np.array([1.0, 1.0, -1.0])
    both = [a.copy(), b.copy()]
    state = [[np.zeros(2), np.zeros(3)] for _ in range(2)]
    functional.lamb_step(both, [ga, gb], *state, step=1, lr=0.1)
    for p0, g, after in ((a, ga, both[0]), (b, gb, both[1])):
        alone = p0.copy()
        functional.lamb_step(
            alone, g, np.zeros_like(p0), np.zeros_like(p0), step=1, lr=0.1
        )
        np.testing.assert_array_equal(alone, after)
    # ||a|| = 5, u = (1, -1) up to eps: the step has length lr * ||a||
    np.testing.assert_allclose(np.linalg.norm(both[0] - a), 0.1 * 5.0, rtol=1e-6)


def test_torch_lamb_matches_functional() -> None:
    # steepest.torch.Lamb is the same step: state as exp_avg/exp_avg_sq, an lr
    # scheduler changes lr between steps.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    params = [rng.standard_normal(s) for s in [(5, 3), (3,), (20000,)]]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(5)]
    tensors = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    opt = steepest.torch.Lamb(tensors, lr=1e-2, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    ours = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, gs in enumerate(grads, start=1):
        lr = opt.param_groups[0]["lr"]
        for x, g in zip(tensors, gs, strict=True):
            x.grad = torch.from_numpy(g.copy())
        opt.step()
        sched.step()
        steepest.functional.lamb_step(ours, gs, m, v, step=t, lr=lr, weight_decay=0.01)
    for x, p, mi, vi in zip(tensors, ours, m, v, strict=True):
        np.testing.assert_array_equal(x.detach().numpy(), p)
        state = opt.state[x]
        assert set(state) == {"step", "exp_avg", "exp_avg_sq"}
        assert int(state["step"]) == len(grads)
        np.testing.assert_array_equal(state["exp_avg"].numpy(), mi)
        np.testing.assert_array_equal(state["exp_avg_sq"].numpy(), vi)


def test_norms_do_not_depend_on_threads(
    n_threads: int, rng: np.random.Generator
) -> None:
    # Sizes off every block (16384) and lane (8) boundary, in a list that the
    # threads split mid-array: native equals the thread-free reference.
    sizes = [16384 * 5 + 3, 7, 16383, 100_001]
    params = [rng.standard_normal(n) for n in sizes]
    states = [[np.zeros(n) for n in sizes] for _ in range(4)]
    ours, theirs = [p.copy() for p in params], [p.copy() for p in params]
    for t in range(1, 4):
        grads = [rng.standard_normal(n) for n in sizes]
        steepest.functional.lamb_step(ours, grads, *states[:2], step=t, lr=0.1,
                                      weight_decay=0.01)  # fmt: skip
        ref.lamb_step(theirs, grads, *states[2:], step=t, lr=0.1, weight_decay=0.01)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [[1000], [16384], [16385], [0, 300]])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_stored_update_of_a_serial_step_keeps_every_bit(
    n_threads: int, dtype: type, sizes: list[int], weight_decay: float
) -> None:
    # A serial step on arrays of one block each (all but 16385 here) stores u
    # between its passes instead of recomputing it: the same bits as the
    # reference, under every nonfinite mode and with the fused average.
    rng = np.random.default_rng(len(sizes) + sizes[-1])
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    ours, theirs = [p.copy() for p in params], [p.copy() for p in params]
    states = [[np.zeros(n, dtype) for n in sizes] for _ in range(4)]
    ema = [p.copy() for p in params]
    for t, mode in enumerate(["ignore", "raise", "skip"], start=1):
        grads = [rng.standard_normal(n).astype(dtype) for n in sizes]
        steepest.functional.lamb_step(ours, grads, *states[:2], step=t, lr=0.1,
                                      weight_decay=weight_decay, nonfinite=mode)  # fmt: skip
        ref.lamb_step(theirs, grads, *states[2:], step=t, lr=0.1,
                      weight_decay=weight_decay)  # fmt: skip
    for a, b in zip([*ours, *states[0], *states[1]], [*theirs, *states[2], *states[3]],
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    # steepest.EMA's fused step runs the same pair of passes
    opt = steepest.Lamb([p.copy() for p in params], lr=0.1, weight_decay=weight_decay)
    twin = steepest.reference.Lamb([p.copy() for p in params], lr=0.1,
                                   weight_decay=weight_decay)  # fmt: skip
    grads = [rng.standard_normal(n).astype(dtype) for n in sizes]
    assert opt._step_with_ema(grads, ema, 0.5)
    twin.step(grads)
    for a, b in zip(opt.params, twin.params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_zero_norms_leave_the_update_unscaled(functional: ModuleType) -> None:
    # ||p|| = 0: r = 1, the step is lr * u (Adam's first step: u = g / (|g| + eps)).
    p = np.zeros(3)
    g = np.array([2.0, -0.5, 0.0])
    functional.lamb_step(p, g, np.zeros(3), np.zeros(3), step=1, lr=0.1)
    np.testing.assert_allclose(p, -0.1 * g / (np.abs(g) + 1e-6), rtol=1e-15)
    # ||u|| = 0 (no gradient, no decay): nothing moves, and nothing is NaN
    q = np.array([1.0, 2.0])
    functional.lamb_step(q, np.zeros(2), np.zeros(2), np.zeros(2), step=1, lr=0.1)
    assert q.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("model", [WIDE, MODELS[5]], ids=lambda m: m[0])
@pytest.mark.usefixtures("split_everything")
def test_training_loop_split_over_threads(model: tuple, dtype: type) -> None:
    # The split epoch reduces each share's gradient on its thread, then one
    # thread takes the two-pass step over every array: as the reference does.
    lamb = ("lamb", steepest.Lamb, {"lr": 1e-2, "weight_decay": 1e-3})
    loss = assert_backends_agree(model, lamb, 13, dtype)
    assert loss[-1] < loss[0]
