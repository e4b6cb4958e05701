"""The native epoch loop against the NumPy reference, model by model.

Mirrors ``cpp/include/steepest/train/loop.hpp`` and ``model/*.hpp``. Both
backends run the same epochs (same params, permutations and learning rates)
through ``steepest.models._epoch.run_epoch``; the native side differs only in
the summation order of its GEMMs and loss sums, so the results agree to
rounding: float64 within 1e-9, float32 within 1e-4 of the params' scale after
5 epochs (the issue's bar). Learning rates are moderate so that the runs are
not chaotic (a chaotic run amplifies any rounding difference, which says
nothing about correctness).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import steepest
from steepest import _core
from steepest._rules import RULES, Rule
from steepest.models._epoch import Network, run_epoch
from steepest.reference.models import linear, logistic, mlp

N, D = 40, 5

# (id, family, outputs/classes, loss, activation, hidden)
MODELS = [
    ("linear", "linear", 1, "squared_error", "identity", ()),
    ("linear-3targets", "linear", 3, "squared_error", "identity", ()),
    ("logistic-binary", "logistic", 2, "log_loss", "identity", ()),
    ("logistic-4class", "logistic", 4, "log_loss", "identity", ()),
    ("mlp-binary-relu", "mlp", 2, "log_loss", "relu", (7,)),
    ("mlp-3class-tanh", "mlp", 3, "log_loss", "tanh", (6, 4)),
    ("mlp-regress-sigmoid", "mlp", 2, "squared_error", "sigmoid", (6,)),
    ("mlp-identity", "mlp", 1, "squared_error", "identity", (3,)),
    ("mlp-multilabel-relu", "mlp", 3, "multilabel_log_loss", "relu", (6,)),
]

# Per rule, configurations tuned for these runs: the estimators' optimizer
# names plus option variants of the same rules. A rule not listed runs at
# torch's default learning rate with a little weight decay (_default).
TUNED: list[tuple[str, type, dict[str, Any]]] = [
    ("sgd", steepest.SGD, {"lr": 0.05}),
    ("momentum", steepest.SGD, {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-3}),
    ("nesterov", steepest.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("adagrad", steepest.Adagrad, {"lr": 0.05, "lr_decay": 0.01}),
    ("rmsprop", steepest.RMSprop, {"lr": 0.003, "centered": True, "momentum": 0.5}),
    ("adam", steepest.Adam, {"lr": 0.01}),
    ("adamw-amsgrad", steepest.AdamW, {"lr": 0.003, "amsgrad": True}),
]


def _default(rule: Rule) -> tuple[str, type, dict[str, Any]]:
    kwargs: dict[str, Any] = {"lr": rule.suggested_lr()}
    if "weight_decay" in rule.hyper_names:
        kwargs["weight_decay"] = 1e-3
    return (rule.name, getattr(steepest, rule.cls), kwargs)


OPTIMIZERS = [
    row
    for rule in RULES
    for row in [o for o in TUNED if o[1].__name__ == rule.cls] or [_default(rule)]
]
ADAM = next(o for o in OPTIMIZERS if o[0] == "adam")
SGD = next(o for o in OPTIMIZERS if o[0] == "sgd")

BATCHES = [1, 32, None]


def make_problem(
    model: tuple[Any, ...], dtype: type, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], Network]:
    _, family, k, loss, activation, hidden = model
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    if loss == "squared_error":
        y = (X @ rng.standard_normal((D, k)) + 0.3).astype(dtype)
        y = y[:, 0] if k == 1 else y
    elif loss == "multilabel_log_loss":
        y = rng.integers(0, 2, (N, k)).astype(dtype)
    else:
        y = rng.integers(0, k, N).astype(np.intp)
    if family == "linear":
        params = linear.init_params(
            "normal", D, None if k == 1 else k, rng=rng, dtype=dtype
        )
        net = Network("linear", loss, alpha=1e-3, l1_ratio=0.3)
    elif family == "logistic":
        params = logistic.init_params("xavier", D, k, rng=rng, dtype=dtype)
        net = Network("logistic", loss, alpha=1e-3, l1_ratio=0.5)
    else:
        n_out = 1 if (loss == "log_loss" and k == 2) else k
        params = mlp.init_params("xavier", D, hidden, n_out, rng=rng, dtype=dtype)
        net = Network("mlp", loss, activation=activation, alpha=1e-3)
    return X, y, params, net


def train(
    backend: str,
    model: tuple[Any, ...],
    optimizer: tuple[str, type, dict[str, Any]],
    batch: int | None,
    dtype: type,
    *,
    epochs: int = 5,
    lr: Any = None,
    lr_scale: float = 1.0,
    n_threads: int = 0,
    shuffle: bool = True,
) -> tuple[list[float], list[np.ndarray], steepest.Optimizer]:
    X, y, params, net = make_problem(model, dtype)
    _, cls, kwargs = optimizer
    kwargs = dict(kwargs) if lr is None else dict(kwargs, lr=lr)
    opt = cls(params, **kwargs, nonfinite="ignore", backend=backend)
    rng = np.random.default_rng(1)
    losses = []
    for _ in range(epochs):
        perm = rng.permutation(N) if shuffle else np.arange(N)
        loss, steps = run_epoch(
            backend, net, params, opt, X, y, perm, batch,
            lr_scale=lr_scale, n_threads=n_threads,
        )  # fmt: skip
        assert steps == (1 if batch is None else -(-N // batch))
        losses.append(loss)
    return losses, params, opt


def assert_close(
    native: list[np.ndarray], reference: list[np.ndarray], rtol: float
) -> None:
    """Every array within rtol of the largest reference magnitude."""
    scale = max(float(np.max(np.abs(r))) for r in reference)
    for i, (a, b) in enumerate(zip(native, reference, strict=True)):
        err = float(np.max(np.abs(a.astype(np.float64) - b))) / scale
        assert err <= rtol, f"array {i}: relative difference {err:.3g} > {rtol}"


def tolerance(dtype: type) -> float:
    return 1e-9 if dtype == np.float64 else 1e-4


def state_tolerance(dtype: type) -> float:
    """The optimizer state's bar: the params' in float64; in float32 a momentum
    buffer near convergence is a small difference of gradients, whose rounding
    shows more (worst measured: 2.2e-4, Nesterov at batch 1)."""
    return tolerance(dtype) if dtype == np.float64 else 5 * tolerance(dtype)


def assert_backends_agree(
    model: tuple[Any, ...],
    optimizer: tuple[str, type, dict[str, Any]],
    batch: int | None,
    dtype: type,
) -> list[float]:
    """Train on both backends: losses, params, optimizer state and step count
    agree; returns the reference's losses."""
    loss_n, params_n, opt_n = train("native", model, optimizer, batch, dtype)
    loss_r, params_r, opt_r = train("reference", model, optimizer, batch, dtype)
    tol = tolerance(dtype)
    np.testing.assert_allclose(loss_n, loss_r, rtol=tol)
    assert_close(params_n, params_r, tol)
    for key in opt_r.state:
        assert_close(opt_n.state[key], opt_r.state[key], state_tolerance(dtype))
    assert opt_n.step_count == opt_r.step_count
    return loss_r


@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: f"batch{b}")
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o[0])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m[0])
def test_native_epochs_match_reference(
    model: tuple[Any, ...], optimizer: Any, batch: int | None, dtype: type
) -> None:
    loss = assert_backends_agree(model, optimizer, batch, dtype)
    assert loss[-1] < loss[0]  # the runs compared did learn


@pytest.mark.parametrize("model", [MODELS[3], MODELS[5]], ids=lambda m: m[0])
def test_schedule_and_scale_match_reference(model: tuple[Any, ...]) -> None:
    sched = steepest.schedules.CosineAnnealingLR(lr=0.02, T_max=7)
    ref_sched = steepest.reference.schedules.CosineAnnealingLR(lr=0.02, T_max=7)
    adam = ADAM
    loss_n, params_n, opt_n = train(
        "native", model, adam, 16, np.float64, lr=sched, lr_scale=0.5
    )
    loss_r, params_r, opt_r = train(
        "reference", model, adam, 16, np.float64, lr=ref_sched, lr_scale=0.5
    )
    np.testing.assert_allclose(loss_n, loss_r, rtol=1e-9)
    assert_close(params_n, params_r, 1e-9)
    assert opt_n.lr == opt_r.lr == ref_sched(opt_r.step_count)


def test_lr_scale_acts() -> None:
    model, adam = MODELS[2], ADAM
    _, full, _ = train("native", model, adam, 8, np.float64, epochs=1)
    _, zero, _ = train("native", model, adam, 8, np.float64, epochs=1, lr_scale=0.0)
    _, start, _ = train("native", model, adam, 8, np.float64, epochs=0)
    assert_close(zero, start, 0.0)  # no movement at all
    assert (
        max(float(np.max(np.abs(a - b))) for a, b in zip(full, start, strict=True))
        > 1e-3
    )


@pytest.mark.parametrize("model", [MODELS[1], MODELS[5]], ids=lambda m: m[0])
def test_rows_in_order_read_in_place(model: tuple[Any, ...]) -> None:
    # without shuffling the batches are slices of X (no gather); same numbers
    loss_n, params_n, _ = train("native", model, SGD, 8, np.float64, shuffle=False)
    loss_r, params_r, _ = train("reference", model, SGD, 8, np.float64, shuffle=False)
    np.testing.assert_allclose(loss_n, loss_r, rtol=1e-9)
    assert_close(params_n, params_r, 1e-9)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("model", [MODELS[3], MODELS[5]], ids=lambda m: m[0])
def test_same_inputs_same_bits(model: tuple[Any, ...], n_threads: int) -> None:
    first = train("native", model, ADAM, 16, np.float32, n_threads=n_threads)
    second = train("native", model, ADAM, 16, np.float32, n_threads=n_threads)
    assert first[0] == second[0]
    for a, b in zip(first[1], second[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_thread_counts_agree_to_rounding() -> None:
    one = train("native", MODELS[5], ADAM, 32, np.float64, n_threads=1)
    two = train("native", MODELS[5], ADAM, 32, np.float64, n_threads=2)
    assert_close(two[1], one[1], 1e-12)


WIDE = ("mlp-wide", "mlp", 3, "log_loss", "relu", (64, 32))


@pytest.fixture
def split_everything() -> Iterator[None]:
    """2 threads and a parallel grain so low that every batch of 2+ rows is
    split over the threads (the split threshold is 1/16 of the grain)."""
    before, grain = _core.get_num_threads(), _core.get_parallel_grain()
    _core.set_num_threads(2)
    _core.set_parallel_grain(16)
    yield
    _core.set_num_threads(before)
    _core.set_parallel_grain(grain)


@pytest.mark.parametrize("batch", [13, 32], ids=lambda b: f"batch{b}")
@pytest.mark.parametrize("model", [WIDE, *MODELS], ids=lambda m: m[0])
@pytest.mark.usefixtures("split_everything")
def test_batches_split_over_threads_match_reference(
    model: tuple[Any, ...], batch: int, dtype: type
) -> None:
    # each thread takes its own rows; 40 rows in batches of 13 end with a
    # 1-row batch, where one thread has no rows at all
    assert_backends_agree(model, ADAM, batch, dtype)


def test_divergence_in_a_split_epoch_stops_every_thread(split_everything: None) -> None:
    X, y, params, net = make_problem(MODELS[3], np.float64)  # softmax logits
    X[17, 2] = np.inf  # row 17 is in the second batch of 13 (rows in order)
    opt = steepest.Adam(params, lr=0.01, nonfinite="ignore")
    loss, steps = run_epoch("native", net, params, opt, X, y, np.arange(N), 13)
    assert not np.isfinite(loss)
    assert steps == 1
    assert opt.step_count == 1


@pytest.mark.usefixtures("split_everything")
def test_split_batches_are_deterministic() -> None:
    first = train("native", WIDE, ADAM, 32, np.float32)
    second = train("native", WIDE, ADAM, 32, np.float32)
    assert first[0] == second[0]
    for a, b in zip(first[1], second[1], strict=True):
        np.testing.assert_array_equal(a, b)


def exact_problem(
    dtype: type, d: int, hidden: int, seed: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A squared-error relu MLP whose gradient at these params is exact in any
    summation order: small integers and multiples of 1/8 over 32 rows (the
    means divide by powers of 2). The GEMMs' order, in which the backends may
    differ, then does not show, and a step from here must be the rule's bits
    on both."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, (32, d)).astype(dtype)
    y = rng.integers(-3, 4, (32, 2)).astype(dtype)
    params = []
    for a, b in [(d, hidden), (hidden, 2)]:
        params.append((rng.integers(-4, 5, (a, b)) / 8).astype(dtype))
        params.append((rng.integers(-4, 5, b) / 8).astype(dtype))
    return X, y, params


def loop_steps_agree(
    optimizer: tuple[str, type, dict[str, Any]],
    dtype: type,
    d: int,
    hidden: int,
    seed: int = 0,
    n_threads: int = 0,
) -> None:
    """Full-batch steps on each backend (the last at lr, any before at lr 0):
    params and state bit for bit."""
    _, cls, kwargs = optimizer
    net = Network("mlp", "squared_error", activation="relu")
    out = []
    for backend in ("native", "reference"):
        X, y, params = exact_problem(dtype, d, hidden, seed)
        start = [p.copy() for p in params]
        opt = cls(params, **kwargs, backend=backend)
        # steps at lr 0 first: the state and step count advance while the
        # params, and so the gradient's exactness, stay (not for Rprop and
        # ASGD, whose lr only starts the step sizes or eta they keep)
        warmup = 0 if cls in (steepest.Rprop, steepest.ASGD) else 2
        for scale in [0.0] * warmup + [1.0]:
            run_epoch(
                backend, net, params, opt, X, y, np.arange(32), None,
                lr_scale=scale, n_threads=n_threads,
            )  # fmt: skip
            if scale == 0.0:
                for p, s in zip(params, start, strict=True):
                    np.testing.assert_array_equal(p, s)
        assert any(not np.array_equal(p, s) for p, s in zip(params, start, strict=True))
        out.append((params, opt.state, opt.step_count))
    (params_n, state_n, steps_n), (params_r, state_r, steps_r) = out
    assert steps_n == steps_r
    for a, b in zip(params_n, params_r, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in state_r:
        for a, b in zip(state_n[key], state_r[key], strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("split", [False, True], ids=["serial", "split"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o[0])
def test_loop_steps_are_the_rules_bits(
    optimizer: Any, dtype: type, split: bool, request: pytest.FixtureRequest
) -> None:
    # the loop's step (two-pass ones included: LAMB) on both epoch paths
    if split:
        request.getfixturevalue("split_everything")
    loop_steps_agree(optimizer, dtype, 6, 5, n_threads=0 if split else 1)


LAMB = next(o for o in OPTIMIZERS if o[1] is steepest.Lamb)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_lamb_norm_blocks_in_the_loop_match_reference(
    seed: int, n_threads: int
) -> None:
    # a 130 x 130 weight spans two of the first pass's 16384-element blocks;
    # float64 sums of u^2 round, so a block order other than the reference's
    # shows in some of these seeds (measured: 2 of 6 with 8192-element blocks)
    loop_steps_agree(LAMB, np.float64, 130, 130, seed, n_threads)


# Every ISA level's loops (cpp/src/train_kernels.cpp, one object per level;
# the `isa` fixture switches the loops with the kernels).
AMSGRAD = next(o for o in OPTIMIZERS if o[0] == "adamw-amsgrad")


@pytest.mark.parametrize("split", [False, True], ids=["serial", "split"])
@pytest.mark.parametrize("optimizer", [SGD, ADAM, AMSGRAD, LAMB], ids=lambda o: o[0])
def test_every_isa_loop_steps_are_the_rules_bits(
    isa: str, optimizer: Any, dtype: type, split: bool, request: pytest.FixtureRequest
) -> None:
    if split:
        request.getfixturevalue("split_everything")
    loop_steps_agree(optimizer, dtype, 6, 5, n_threads=0 if split else 1)


@pytest.mark.parametrize("split", [False, True], ids=["serial", "split"])
@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: f"batch{b}")
@pytest.mark.parametrize("model", [WIDE, MODELS[1], MODELS[3], MODELS[5], MODELS[8]],
                         ids=lambda m: m[0])  # fmt: skip
def test_every_isa_epochs_match_reference(
    isa: str, model: tuple[Any, ...], batch: int | None, dtype: type, split: bool,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    if split:
        request.getfixturevalue("split_everything")
    assert_backends_agree(model, ADAM, batch, dtype)


@pytest.mark.parametrize("batch", [1, 13, None], ids=lambda b: f"batch{b}")
@pytest.mark.parametrize("model", [WIDE, *MODELS], ids=lambda m: m[0])
def test_every_isa_gives_the_baseline_bits(
    isa: str, model: tuple[Any, ...], batch: int | None, dtype: type
) -> None:
    # no FMA contraction, and sums in fixed lanes rather than the vectors'
    # (model/lanes.hpp: one-row dot products, the penalty): the AVX2 and
    # AVX-512 loops give the baseline's bits, loss included
    got = train("native", model, ADAM, batch, dtype)
    before = _core.get_isa()
    _core.set_isa("baseline")
    try:
        want = train("native", model, ADAM, batch, dtype)
    finally:
        _core.set_isa(before)
    assert got[0] == want[0]
    for a, b in zip(got[1], want[1], strict=True):
        assert a.tobytes() == b.tobytes()
