"""The optimizer classes (steepest.SGD ... and steepest.reference.SGD ...).

Construction errors, the ``lr`` property, step counting, skipped steps, the
state-dict round trip and its rejections, and agreement of every class with
the functional step it wraps and with its twin on the other backend.
Twins: ``python/steepest/_optimizer.py`` and ``python/steepest/reference/optim``.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS, REQUIRED, RULES
from steepest.optim import Optimizer
from steepest.reference import functional as ref

from .._cases import CASE_IDS, CASES, Case, call_step


def cls_for(backend: str, name: str) -> type[Optimizer]:
    module = steepest if backend == "native" else steepest.reference
    cls: type[Optimizer] = getattr(module, name)
    return cls


def make_params(seed: int = 3) -> list[np.ndarray]:
    # A mixed list: float64 and float32, 1-D and 2-D.
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(7), rng.standard_normal((3, 4)).astype(np.float32)]


def grad_sequence(
    params: list[np.ndarray], steps: int, seed: int = 5
) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
        for _ in range(steps)
    ]


def beside_functional(
    case: Case, backend: str
) -> tuple[Optimizer, list[np.ndarray], Any, list[np.ndarray], dict[str, Any]]:
    """``case``'s optimizer on fresh params, and what replays it by hand.

    Returns ``(opt, params, functional, mine, states)``: ``mine`` and
    ``states`` are copies of the params and of the fresh state for the
    functional module of ``backend``.
    """
    params = make_params()
    mine = [p.copy() for p in params]
    opt = cls_for(backend, case.cls)(params, **case.cls_kwargs)
    states = {k: [a.copy() for a in arrays] for k, arrays in opt.state.items()}
    functional = steepest.functional if backend == "native" else ref
    return opt, params, functional, mine, states


def assert_tree_equal(a: Any, b: Any, path: str = "") -> None:
    """Bit-for-bit equality of nested dicts/lists/tuples of arrays and scalars."""
    if isinstance(a, dict):
        assert isinstance(b, dict), path
        assert set(a) == set(b), path
        for k in a:
            assert_tree_equal(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b), path
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_tree_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), path
        assert (a.dtype, a.shape) == (b.dtype, b.shape), path
        assert a.tobytes() == b.tobytes(), path
    else:
        assert type(a) is type(b), path
        assert a == b, path


# -- construction ------------------------------------------------------------------------

W = np.ones(3)
CONSTRUCTION_ERRORS: list[tuple[str, str, dict[str, Any], type[Exception], str]] = [
    ("sgd-lr", "SGD", {"lr": -0.1}, ValueError, "lr must be a finite number >= 0, got -0.1"),
    ("sgd-lr-nan", "SGD", {"lr": float("nan")}, ValueError,
     "lr must be a finite number >= 0, got nan"),
    ("sgd-momentum", "SGD", {"lr": 0.1, "momentum": -0.5}, ValueError,
     "momentum must be a finite number >= 0, got -0.5"),
    ("sgd-dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 1.5}, ValueError,
     "dampening must be in [0, 1], got 1.5"),
    ("sgd-wd", "SGD", {"lr": 0.1, "weight_decay": -1.0}, ValueError,
     "weight_decay must be a finite number >= 0, got -1.0"),
    ("nesterov-no-momentum", "SGD", {"lr": 0.1, "nesterov": True}, ValueError,
     "nesterov=True requires momentum > 0 and dampening == 0"),
    ("nesterov-dampening", "SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9,
                                   "dampening": 0.1}, ValueError,
     "nesterov=True requires momentum > 0 and dampening == 0"),
    ("adagrad-eps", "Adagrad", {"eps": 0.0}, ValueError, "eps must be a finite number > 0, got 0.0"),
    ("adagrad-lr-decay", "Adagrad", {"lr_decay": -1.0}, ValueError,
     "lr_decay must be a finite number >= 0, got -1.0"),
    ("adagrad-initial", "Adagrad", {"initial_accumulator_value": -0.1}, ValueError,
     "initial_accumulator_value must be a finite number >= 0, got -0.1"),
    ("rmsprop-alpha", "RMSprop", {"alpha": 1.5}, ValueError, "alpha must be in [0, 1], got 1.5"),
    ("rmsprop-momentum", "RMSprop", {"momentum": float("inf")}, ValueError,
     "momentum must be a finite number >= 0, got inf"),
    ("adam-beta1", "Adam", {"betas": (1.0, 0.999)}, ValueError,
     "betas[0] must be in [0, 1), got 1.0"),
    ("adam-beta2", "Adam", {"betas": (0.9, -0.1)}, ValueError,
     "betas[1] must be in [0, 1), got -0.1"),
    ("adam-betas-length", "Adam", {"betas": (0.9,)}, ValueError,
     "betas must be a pair (beta1, beta2), got (0.9,)"),
    ("adam-eps", "Adam", {"eps": -1e-8}, ValueError, "eps must be a finite number > 0, got -1e-08"),
    ("adamw-beta2", "AdamW", {"betas": (0.9, 1.0)}, ValueError,
     "betas[1] must be in [0, 1), got 1.0"),
    ("adamw-wd", "AdamW", {"weight_decay": -0.01}, ValueError,
     "weight_decay must be a finite number >= 0, got -0.01"),
    ("backend", "Adam", {"backend": "bogus"}, ValueError,
     "backend must be 'native' or 'reference', got 'bogus'"),
    ("nonfinite", "RMSprop", {"nonfinite": "warn"}, ValueError,
     "nonfinite must be 'raise', 'skip' or 'ignore', got 'warn'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "exc", "expected"),
                         [c[1:] for c in CONSTRUCTION_ERRORS],
                         ids=[c[0] for c in CONSTRUCTION_ERRORS])  # fmt: skip
def test_bad_hyperparameters(
    backend: str, name: str, kwargs: dict[str, Any], exc: type[Exception], expected: str
) -> None:
    with pytest.raises(exc) as info:
        cls_for(backend, name)([W], **kwargs)
    assert str(info.value) == f"{name}: {expected}"


def _readonly() -> list[np.ndarray]:
    a = np.ones(3)
    a.flags.writeable = False
    return [a]


def _twice() -> list[np.ndarray]:
    a = np.ones(3)
    return [a, a]


BAD_PARAMS: list[tuple[str, Any, type[Exception], str]] = [
    ("list-of-lists", lambda: [[1.0, 2.0]], TypeError, "params[0] must be a numpy.ndarray, got list"),
    ("float", lambda: 3.0, TypeError, "params must be a numpy.ndarray or a list of them, got float"),
    ("empty", list, ValueError, "params is an empty list"),
    ("int", lambda: [np.arange(3)], TypeError,
     "params[0] has dtype int64; expected float32, float64, float16 or bfloat16"),
    ("complex", lambda: [np.ones(3, np.complex64)], TypeError,
     "params[0] has dtype complex64; expected float32, float64, float16 or bfloat16"),
    ("readonly", _readonly, ValueError, "params[0] is read-only"),
    ("strided", lambda: [np.ones(6)[::2]], ValueError, "params[0] is not C-contiguous"),
    ("twice", _twice, ValueError, "params[1] overlaps params[0] in memory"),
]  # fmt: skip


@pytest.mark.parametrize("name", [r.cls for r in RULES])
@pytest.mark.parametrize(("make", "exc", "expected"), [c[1:] for c in BAD_PARAMS],
                         ids=[c[0] for c in BAD_PARAMS])  # fmt: skip
def test_bad_params(
    backend: str, name: str, make: Any, exc: type[Exception], expected: str
) -> None:
    # a class whose lr has no default (SGD, as in torch) is given one
    kwargs = {"lr": 0.1} if BY_CLASS[name].defaults()["lr"] is REQUIRED else {}
    with pytest.raises(exc) as info:
        cls_for(backend, name)(make(), **kwargs)
    assert str(info.value) == f"{name}: {expected}"


def test_backend_attribute() -> None:
    assert steepest.Adam([np.ones(2)]).backend == "native"
    assert steepest.reference.Adam([np.ones(2)]).backend == "reference"
    assert steepest.Adam([np.ones(2)], backend="reference").backend == "reference"
    assert (
        steepest.reference.SGD([np.ones(2)], lr=1.0, backend="native").backend
        == "native"
    )


@pytest.mark.parametrize("name", sorted(BY_CLASS))
def test_native_classes_read_as_their_twins(name: str) -> None:
    # steepest.optim's classes only change the default backend
    native = getattr(steepest.optim, name)
    twin = getattr(steepest.reference.optim, name)
    assert native.__doc__ == twin.__doc__
    assert f":func:`steepest.functional.{BY_CLASS[name].step}`" in native.__doc__


# -- the classes drive the functional layer faithfully ----------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_class_equals_functional_and_lr_setter(case: Case, backend: str) -> None:
    """Five class steps (lr doubled through ``opt.lr`` after three) equal the functional calls."""
    opt, params, functional, mine, states = beside_functional(case, backend)
    lr = case.kwargs["lr"]
    for t, grads in enumerate(grad_sequence(params, 5), start=1):
        if t == 4:
            opt.lr = 2 * lr
            assert opt.lr == 2 * lr
        opt.step(grads)
        assert call_step(
            functional, case, mine, grads, states, t, lr=lr if t < 4 else 2 * lr
        )
    assert (opt.step_count, opt.skipped_steps) == (5, 0)
    assert_tree_equal(params, mine)
    assert_tree_equal(opt.state, states)
    assert not np.array_equal(params[0], make_params()[0])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_native_class_equals_reference_class(case: Case) -> None:
    runs = []
    for backend in ("native", "reference"):
        params = make_params()
        opt = cls_for(backend, case.cls)(params, **case.cls_kwargs)
        for grads in grad_sequence(params, 20):
            opt.step(grads)
        runs.append((params, opt.state, opt.step_count))
    assert_tree_equal(runs[0], runs[1])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_mixed_list_equals_separate_optimizers(case: Case, backend: str) -> None:
    # One optimizer over [float64, float32] updates each array exactly as an
    # optimizer over that array alone would.
    cls = cls_for(backend, case.cls)
    together = make_params()
    alone = [[p.copy()] for p in together]
    opt = cls(together, **case.cls_kwargs)
    singles = [cls(a, **case.cls_kwargs) for a in alone]
    for grads in grad_sequence(together, 6):
        opt.step(grads)
        for single, g in zip(singles, grads, strict=True):
            single.step([g])
    for p, a in zip(together, alone, strict=True):
        assert p.dtype == a[0].dtype
        np.testing.assert_array_equal(p, a[0])


def test_lr_setter_rejects_bad_values(backend: str) -> None:
    opt = cls_for(backend, "Adam")([np.ones(3)], lr=0.01)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"^Adam: lr must be a finite number >= 0"):
            opt.lr = bad
        assert opt.lr == 0.01
    opt.lr = 0
    assert opt.lr == 0.0


def test_step_count_and_skipped_steps(backend: str) -> None:
    params = [np.ones(4)]
    opt = cls_for(backend, "Adam")(params, lr=0.1, nonfinite="skip")
    fresh = [np.ones(4)]
    twin = cls_for(backend, "Adam")(fresh, lr=0.1)
    bad = [np.array([1.0, np.nan, 0.0, 0.0])]
    good = [np.array([0.5, -0.5, 1.0, 2.0])]
    opt.step(bad)
    opt.step(bad)
    assert (opt.step_count, opt.skipped_steps) == (0, 2)
    np.testing.assert_array_equal(params[0], np.ones(4))
    assert_tree_equal(opt.state, {"m": [np.zeros(4)], "v": [np.zeros(4)]})
    opt.step(good)  # the first applied step is step 1 (bias corrections of t=1)
    twin.step(good)
    assert (opt.step_count, opt.skipped_steps) == (1, 2)
    assert_tree_equal(params, fresh)
    assert opt.state_dict()["skipped_steps"] == 2


def test_nonfinite_raise_is_the_default(backend: str) -> None:
    params = [np.ones(2)]
    opt = cls_for(backend, "SGD")(params, lr=0.1)
    with pytest.raises(ValueError, match=r"^sgd_step: grad\[0\] contains NaN or inf"):
        opt.step([np.array([np.inf, 0.0])])
    assert (opt.step_count, opt.skipped_steps) == (0, 0)
    np.testing.assert_array_equal(params[0], np.ones(2))


# -- the protocol of the training loops: apply_step and advance -------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_apply_step_is_a_step_at_the_given_lr(case: Case, backend: str) -> None:
    """apply_step(lr=x) equals the functional step at x and counts like step()."""
    opt, params, functional, mine, states = beside_functional(case, backend)
    for t, grads in enumerate(grad_sequence(params, 3), start=1):
        lr = case.kwargs["lr"] * t / 4
        assert opt.apply_step(grads, lr=lr) is True
        assert call_step(functional, case, mine, grads, states, t, lr=lr)
        assert opt.lr == case.kwargs["lr"]  # the plain lr is not changed
    assert (opt.step_count, opt.skipped_steps) == (3, 0)
    assert_tree_equal(params, mine)
    assert_tree_equal(opt.state, states)


def test_apply_step_follows_the_schedule_count(backend: str) -> None:
    sched = steepest.reference.schedules.ExponentialLR(lr=1.0, gamma=0.5)
    w = np.zeros(1)
    opt = cls_for(backend, "SGD")([w], lr=sched, nonfinite="skip")
    assert opt.apply_step([np.ones(1)], lr=3 * opt.lr)  # a loop's scale times sched(0)
    assert opt.apply_step([np.ones(1)], lr=3 * opt.lr)  # ... times sched(1)
    assert w[0] == -(3.0 + 1.5)
    assert not opt.apply_step([np.array([np.nan])], lr=1.0)
    assert (opt.step_count, opt.skipped_steps) == (2, 1)
    assert opt.lr == sched(2)
    assert opt.lr_schedule is sched


def test_advance_counts_steps_applied_elsewhere(backend: str) -> None:
    sched = steepest.reference.schedules.StepLR(lr=1.0, step_size=2, gamma=0.1)
    opt = cls_for(backend, "Adam")([np.ones(2)], lr=sched)
    opt.advance(5)
    assert opt.step_count == 5
    assert opt.lr == sched(5)
    assert opt.state_dict()["hyperparameters"]["lr"] == sched(5)
    with pytest.raises(ValueError, match=r"^Adam.advance: steps must be an int >= 0"):
        opt.advance(-1)
    assert opt.step_count == 5


@pytest.mark.parametrize("value", [0.0, 0.1, 2.5])
def test_adagrad_initial_accumulator(backend: str, value: float) -> None:
    params = [np.array([1.0, -2.0, 3.0]), np.array([0.5], np.float32)]
    opt = cls_for(backend, "Adagrad")(params, lr=0.1, initial_accumulator_value=value)
    for p, s in zip(params, opt.state["state_sum"], strict=True):
        assert s.dtype == p.dtype
        np.testing.assert_array_equal(s, np.full(p.shape, value, p.dtype))
    grads = [np.array([0.5, 1.0, -2.0]), np.array([2.0], np.float32)]
    opt.step(grads)
    for g, s in zip(grads, opt.state["state_sum"], strict=True):
        np.testing.assert_array_equal(s, g.dtype.type(value) + g * g)
    # torch: p - lr * g / (sqrt(value + g^2) + eps)
    np.testing.assert_allclose(params[0][0], 1.0 - 0.1 * 0.5 / (np.sqrt(value + 0.25) + 1e-10),
                               rtol=1e-15)  # fmt: skip


# -- state dict ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_state_dict_round_trip(case: Case, backend: str) -> None:
    cls = cls_for(backend, case.cls)
    params = make_params()
    grads = grad_sequence(params, 20)
    opt = cls(params, **case.cls_kwargs)
    for g in grads[:10]:
        opt.step(g)
    saved = opt.state_dict()
    frozen = copy.deepcopy(saved)
    saved_params = [p.copy() for p in params]
    for g in grads[10:]:
        opt.step(g)
    assert_tree_equal(saved, frozen)  # a copy: later steps did not touch it

    resumed = [p.copy() for p in saved_params]
    # Other hyperparameters at construction: load_state_dict restores the saved ones.
    other = dict(case.cls_kwargs, lr=3 * case.cls_kwargs["lr"])
    opt2 = cls(resumed, **other)
    opt2.load_state_dict(saved)
    assert (opt2.step_count, opt2.lr) == (10, case.cls_kwargs["lr"])
    for g in grads[10:]:
        opt2.step(g)
    assert_tree_equal(saved, frozen)  # loading copied the arrays in
    assert_tree_equal(resumed, params)
    assert_tree_equal(opt2.state_dict(), opt.state_dict())
    assert not np.array_equal(params[0], saved_params[0])


def test_state_dict_is_detached(backend: str) -> None:
    params = [np.ones(3)]
    opt = cls_for(backend, "SGD")(params, lr=0.1, momentum=0.9)
    opt.step([np.ones(3)])
    saved = opt.state_dict()
    saved["state"]["momentum_buffer"][0][...] = 123.0
    saved["hyperparameters"]["lr"] = 5.0
    np.testing.assert_array_equal(opt.state["momentum_buffer"][0], np.ones(3))
    assert opt.lr == 0.1


def _trained(
    name: str, kwargs: dict[str, Any], backend: str, steps: int, seed: int
) -> Optimizer:
    params = make_params(seed)
    opt = cls_for(backend, name)(params, **kwargs)
    for g in grad_sequence(params, steps, seed):
        opt.step(g)
    return opt


def _corrupt(sd: dict[str, Any], how: str) -> Any:
    sd = copy.deepcopy(sd)
    st = sd["state"]
    if how == "not-a-dict":
        return list(sd.items())
    if how == "missing-state":
        del sd["state"]
    elif how == "missing-step":
        del sd["step"]
    elif how == "missing-state-key":
        del st["v"]
    elif how == "extra-state-key":
        st["u"] = [a.copy() for a in st["m"]]
    elif how == "wrong-shape":
        st["m"][1] = st["m"][1].reshape(4, 3)
    elif how == "wrong-dtype":
        st["v"][0] = st["v"][0].astype(np.float32)
    elif how == "too-many-arrays":
        st["m"].append(st["m"][0].copy())
    elif how == "too-few-arrays":
        st["v"].pop()
    elif how == "not-arrays":
        st["m"][0] = st["m"][0].tolist()
    elif how == "bad-lr":
        sd["hyperparameters"]["lr"] = -1.0
    elif how == "missing-hyper":
        del sd["hyperparameters"]["eps"]
    elif how == "negative-step":
        sd["step"] = -1
    elif how == "amsgrad-without-v-max":
        # Hyperparameters switch AMSGrad on but the state has no v_max: the
        # next step could not run, so the dict must be refused.
        sd["hyperparameters"]["amsgrad"] = True
    elif how == "bad-skipped-steps":
        sd["skipped_steps"] = "x"
    elif how == "negative-skipped-steps":
        sd["skipped_steps"] = -1
    return sd


CORRUPTIONS = [
    "not-a-dict", "missing-state", "missing-step", "missing-state-key", "extra-state-key",
    "wrong-shape", "wrong-dtype", "too-many-arrays", "too-few-arrays", "not-arrays", "bad-lr",
    "missing-hyper", "negative-step", "amsgrad-without-v-max", "bad-skipped-steps",
    "negative-skipped-steps",
]  # fmt: skip


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_load_state_dict_rejects(backend: str, how: str) -> None:
    opt = _trained("Adam", {"lr": 0.01}, backend, 3, seed=1)
    # The source ran longer on other data, so a partial load would show.
    source = _trained("Adam", {"lr": 0.02}, backend, 5, seed=2).state_dict()
    before = copy.deepcopy(opt.state_dict())
    params_before = [p.copy() for p in opt.params]
    exc = TypeError if how == "not-a-dict" else ValueError
    with pytest.raises(exc, match=r"^Adam"):
        opt.load_state_dict(_corrupt(source, how))
    assert_tree_equal(opt.state_dict(), before)
    assert_tree_equal(opt.params, params_before)
    opt.step(grad_sequence(opt.params, 1)[0])  # still usable
    assert opt.step_count == 4


def test_load_state_dict_rejects_other_class(backend: str) -> None:
    adam = _trained("Adam", {"lr": 0.01}, backend, 3, seed=1)
    adamw = _trained("AdamW", {"lr": 0.01}, backend, 2, seed=2)
    before = copy.deepcopy(adamw.state_dict())
    with pytest.raises(
        ValueError, match=r"^AdamW.load_state_dict: state_dict is from Adam"
    ):
        adamw.load_state_dict(adam.state_dict())
    assert_tree_equal(adamw.state_dict(), before)
    sgd = _trained("SGD", {"lr": 0.1, "momentum": 0.9}, backend, 2, seed=2)
    with pytest.raises(
        ValueError, match=r"^SGD.load_state_dict: state_dict is from Adam"
    ):
        sgd.load_state_dict(adam.state_dict())


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_pickle_and_deepcopy_resume_exactly(case: Case, backend: str) -> None:
    opt = _trained(case.cls, case.cls_kwargs, backend, 3, seed=1)
    grads = grad_sequence(opt.params, 2, seed=4)
    for twin in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert type(twin) is type(opt)
        assert twin.params[0] is not opt.params[0]
        assert_tree_equal(twin.state_dict(), opt.state_dict())
        for g in grads:
            twin.step(g)
        assert twin.step_count == 5
    for g in grads:
        opt.step(g)
    assert_tree_equal(twin.params, opt.params)
    assert_tree_equal(twin.state_dict(), opt.state_dict())


def test_state_dict_moves_between_backends() -> None:
    # Same classes, same layout: a native run resumes under the reference.
    native = _trained("RMSprop", {"lr": 0.01, "centered": True}, "native", 4, seed=1)
    reference = cls_for("reference", "RMSprop")(
        [p.copy() for p in native.params], lr=0.01, centered=True
    )
    reference.load_state_dict(native.state_dict())
    grads = grad_sequence(native.params, 3, seed=9)
    for g in grads:
        native.step(g)
        reference.step(g)
    assert_tree_equal(native.params, reference.params)
    assert_tree_equal(native.state, reference.state)


SCALAR_CORRUPTIONS = {
    "shaped-like-param": lambda a: np.ones(4),
    "float32": lambda a: a.astype(np.float32),
    "one-element": lambda a: a.reshape(1),
}


@pytest.mark.parametrize("how", sorted(SCALAR_CORRUPTIONS))
def test_load_state_dict_rejects_bad_scalar_state(backend: str, how: str) -> None:
    # A per-param scalar (NAdam's mu_product) is a 0-d float64 array per param.
    opt = _trained("NAdam", {"lr": 0.01}, backend, 3, seed=1)
    source = _trained("NAdam", {"lr": 0.02}, backend, 5, seed=2).state_dict()
    source["state"]["mu_product"][1] = SCALAR_CORRUPTIONS[how](
        source["state"]["mu_product"][1]
    )
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(
        ValueError,
        match=r"^NAdam.load_state_dict: state\['mu_product'\]\[1\] is .*; expected "
        r"\(dtype\('float64'\), \(\)\)",
    ):
        opt.load_state_dict(source)
    assert_tree_equal(opt.state_dict(), before)


def test_asgd_averaged_params_average_the_iterates(backend: str) -> None:
    # t0 = 1: ax copies p for three steps (mu = 1 until t - t0 > 1), then
    # averages with mu = 1/2, 1/3, ...: the mean of the iterates from step 3.
    w = np.array([1.0, -2.0, 0.5])
    opt = cls_for(backend, "ASGD")([w], lr=0.1, lambd=0.0, t0=1.0)
    iterates = []
    for _ in range(6):
        opt.step([2 * w])
        iterates.append(w.copy())
        assert opt.averaged_params[0] is opt.state["ax"][0]  # live, not a copy
    np.testing.assert_allclose(opt.averaged_params[0], np.mean(iterates[2:], axis=0),
                               rtol=1e-15)  # fmt: skip
    assert not np.allclose(opt.averaged_params[0], w)


def test_asgd_eta_follows_an_lr_set_before_the_first_step(backend: str) -> None:
    # torch creates eta at the first step from the lr then; after it, a new
    # lr first acts at the next step (eta is the step's stored step size).
    w = np.ones(2)
    opt = cls_for(backend, "ASGD")([w], lr=0.1, lambd=0.0)
    opt.lr = 0.5
    assert float(opt.state["eta"][0]) == 0.5
    opt.step([np.ones(2)])
    assert w.tolist() == [0.5, 0.5]
    opt.lr = 0.25
    assert float(opt.state["eta"][0]) == 0.5  # the next step still moves by 0.5
    opt.step([np.ones(2)])
    assert w.tolist() == [0.0, 0.0]
    assert float(opt.state["eta"][0]) == 0.25
