"""Every error path of the functional API, on both backends at once.

Each case builds the same arguments twice, calls the native and the reference
function, and checks that both raise the same exception type with the
identical message (which names the function and the argument), and that no
user array (params, grads, states, and any buffer they view) changed by a bit.
Twins: ``python/steepest/_checks.py`` and ``cpp/bindings/array_checks.hpp``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import steepest
from steepest import _rules
from steepest.reference import functional as ref

from ._cases import (
    CASE_IDS,
    CASES,
    FULLEST,
    POSITIONAL,
    SCALAR_STATE,
    Case,
    call_step,
    new_state,
)

NATIVE: ModuleType = steepest.functional
BACKENDS = [NATIVE, ref]

# Valid keyword arguments that make every optional state array required: the
# table's row that uses them all, at step 2.
BASE_KWARGS: dict[str, dict[str, Any]] = {
    fn: dict(case.kwargs, **({"step": 2} if case.uses_step else {}))
    for fn, case in FULLEST.items()
}


@dataclass
class Call:
    fn: str
    args: list[Any]
    kwargs: dict[str, Any]
    arrays: list[np.ndarray] = field(
        default_factory=list
    )  # all that must stay untouched

    def run(self, module: ModuleType) -> Any:
        return getattr(module, self.fn)(*self.args, **self.kwargs)


Replacement = Any  # a value, or a callable of the valid arrays (to build views)


def make_call(
    fn: str,
    *,
    shape: tuple[int, ...] = (4,),
    dtype: type = np.float64,
    kwargs: dict[str, Any] | None = None,
    **replace: Replacement,
) -> Call:
    """Valid arguments for ``fn`` (fixed seed), with some arrays replaced."""
    rng = np.random.default_rng(7)
    base = {
        name: new_state(name, shape, lambda s, n=name: _start(n, s, rng).astype(dtype))
        for name in POSITIONAL[fn]
    }
    args = []
    for name in POSITIONAL[fn]:
        value = replace.pop(name, base[name])
        args.append(value(base) if callable(value) else value)
    assert not replace, f"unknown argument names {sorted(replace)}"
    call = Call(fn, args, dict(BASE_KWARGS[fn], **(kwargs or {})))
    call.arrays = list(base.values()) + [
        x for x in _flatten(args) if isinstance(x, np.ndarray)
    ]
    return call


def _start(name: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    # As in test_parity: signed first moments, second moments in [0.1, 0.2)
    # so that the centered variance v - ga^2 stays positive.
    if name in ("param", "grad"):
        return np.asarray(rng.standard_normal(shape))
    if name in ("m", "momentum_buffer", "grad_avg"):
        return np.asarray(rng.random(shape) * 0.1 - 0.05)
    return np.asarray(rng.random(shape) * 0.1 + 0.1)


def _flatten(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        out.extend(a if isinstance(a, (list, tuple)) else [a])
    return out


def snapshot(arrays: list[np.ndarray]) -> list[tuple[bytes, np.dtype, tuple[int, ...]]]:
    return [(a.tobytes(), a.dtype, a.shape) for a in arrays]


def raise_on_both(build: Callable[[], Call], exc: type[Exception]) -> str:
    """Run on both backends; same type, same message, arrays untouched. Returns the message."""
    messages = []
    for module in BACKENDS:
        call = build()
        before = snapshot(call.arrays)
        with pytest.raises(exc) as info:
            call.run(module)
        assert type(info.value) is exc, f"{module.__name__}: {info.value!r}"
        assert snapshot(call.arrays) == before, (
            f"{module.__name__} wrote before raising"
        )
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"{build().fn}: ")
    return messages[0]


def readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def unaligned(a: np.ndarray) -> np.ndarray:
    """A writeable copy of ``a`` at an odd address (offset 1 into a bytearray)."""
    buf = bytearray(a.nbytes + 1)
    out = np.frombuffer(buf, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    assert out.flags.writeable
    return out


def strided(a: np.ndarray) -> np.ndarray:
    """A non-contiguous view with ``a``'s values, shape and dtype."""
    big = np.zeros((2 * a.size,), a.dtype)
    out = big[::2].reshape(a.shape) if a.ndim == 1 else big[::2]
    out[...] = a.ravel()
    return out


def transposed(a: np.ndarray) -> np.ndarray:
    """A Fortran-ordered view (the transpose of a C array) with ``a``'s values."""
    out = np.ascontiguousarray(a.T).T
    assert not out.flags.c_contiguous
    return out


# (id, build, exception, substrings the message must contain)
ArrayCase = tuple[str, Callable[[], Call], type[Exception], tuple[str, ...]]
F4_BE = np.dtype(">f4")

ARRAY_CASES: list[ArrayCase] = [
    ("param-float", lambda: make_call("adam_step", param=3.0), TypeError, ("param", "float")),
    ("param-list-item", lambda: make_call("adam_step", param=lambda a: [a["param"], [1.0] * 4]),
     TypeError, ("param[1]", "list")),
    ("grad-str", lambda: make_call("adagrad_step", grad="grad"), TypeError, ("grad", "str")),
    ("state-list-item", lambda: make_call("rmsprop_step",
                                          grad_avg=lambda a: [a["grad_avg"].tolist()]),
     TypeError, ("grad_avg[0]", "list")),
    ("param-int64", lambda: make_call("adam_step", param=np.arange(4), grad=np.arange(4)),
     TypeError, ("param", "int64")),
    ("param-int32-list", lambda: make_call(
        "sgd_step", param=lambda a: [a["param"], np.arange(4, dtype=np.int32)],
        grad=lambda a: [a["grad"], a["grad"].copy()],
        momentum_buffer=lambda a: [a["momentum_buffer"], a["momentum_buffer"].copy()]),
     TypeError, ("param[1]", "int32")),
    ("param-float16", lambda: make_call("adam_step", dtype=np.float16), TypeError,
     ("param", "float16")),
    ("param-complex", lambda: make_call("adagrad_step", dtype=np.complex128), TypeError,
     ("param", "complex128")),
    ("param-big-endian", lambda: make_call("adam_step", dtype=F4_BE), TypeError, ("param", ">f4")),
    ("grad-big-endian", lambda: make_call("adam_step", grad=lambda a: a["grad"].astype(">f8")),
     TypeError, ("grad", ">f8", "float64")),
    ("grad-dtype", lambda: make_call("sgd_step", grad=lambda a: a["grad"].astype(np.float32)),
     TypeError, ("grad", "float32", "float64")),
    ("state-dtype", lambda: make_call("adam_step", v=lambda a: a["v"].astype(np.float32)),
     TypeError, ("v", "float32")),
    ("list-lengths", lambda: make_call(
        "adam_step", param=lambda a: [a["param"], a["m"]], grad=lambda a: [a["grad"]] * 3,
        m=lambda a: [np.zeros(4)] * 2, v=lambda a: [np.zeros(4)] * 2,
        v_max=lambda a: [np.zeros(4)] * 2),
     ValueError, ("grad has 3 arrays but param has 2",)),
    ("array-vs-list", lambda: make_call("adagrad_step", state_sum=lambda a: [a["state_sum"]] * 2),
     ValueError, ("state_sum has 2 arrays but param has 1",)),
    ("empty-list", lambda: make_call("adam_step", param=[], grad=[], m=[], v=[], v_max=[]),
     ValueError, ("param is an empty list",)),
    ("empty-param-list", lambda: make_call("sgd_step", param=[]), ValueError,
     ("param is an empty list",)),
    ("shape-transposed", lambda: make_call("adam_step", shape=(4, 3),
                                           grad=lambda a: np.ascontiguousarray(a["grad"].T)),
     ValueError, ("grad has shape (3, 4) but param has shape (4, 3)",)),
    ("shape-same-size", lambda: make_call("rmsprop_step", shape=(12,),
                                          square_avg=lambda a: a["square_avg"].reshape(4, 3)),
     ValueError, ("square_avg has shape (4, 3) but param has shape (12,)",)),
    ("shape-0d", lambda: make_call("sgd_step", shape=(), grad=np.ones(1)),
     ValueError, ("grad has shape (1,) but param has shape ()",)),
    ("param-strided", lambda: make_call("adam_step", param=lambda a: strided(a["param"])),
     ValueError, ("param is not C-contiguous",)),
    ("grad-strided", lambda: make_call("sgd_step", grad=lambda a: strided(a["grad"])),
     ValueError, ("grad is not C-contiguous",)),
    ("param-transposed", lambda: make_call("adagrad_step", shape=(4, 3),
                                           param=lambda a: transposed(a["param"])),
     ValueError, ("param is not C-contiguous",)),
    ("grad-transposed", lambda: make_call("adam_step", shape=(4, 3),
                                          grad=lambda a: transposed(a["grad"])),
     ValueError, ("grad is not C-contiguous",)),
    ("state-strided", lambda: make_call("rmsprop_step",
                                        momentum_buffer=lambda a: strided(a["momentum_buffer"])),
     ValueError, ("momentum_buffer is not C-contiguous",)),
    ("param-readonly", lambda: make_call("adam_step", param=lambda a: readonly(a["param"])),
     ValueError, ("param is read-only",)),
    ("state-readonly", lambda: make_call("adam_step", v_max=lambda a: readonly(a["v_max"])),
     ValueError, ("v_max is read-only",)),
    ("state-readonly-sgd", lambda: make_call(
        "sgd_step", momentum_buffer=lambda a: readonly(a["momentum_buffer"])),
     ValueError, ("momentum_buffer is read-only",)),
    ("param-unaligned", lambda: make_call("adam_step", param=lambda a: unaligned(a["param"])),
     ValueError, ("param is not aligned",)),
    ("grad-unaligned", lambda: make_call("adagrad_step", dtype=np.float32,
                                         grad=lambda a: unaligned(a["grad"])),
     ValueError, ("grad is not aligned",)),
    ("state-unaligned", lambda: make_call("rmsprop_step",
                                          square_avg=lambda a: unaligned(a["square_avg"])),
     ValueError, ("square_avg is not aligned",)),
    ("grad-is-param", lambda: make_call("adam_step", grad=lambda a: a["param"]),
     ValueError, ("grad overlaps param in memory",)),
    ("state-is-param", lambda: make_call("adam_step", m=lambda a: a["param"]),
     ValueError, ("m overlaps param in memory",)),
    ("param-twice", lambda: make_call(
        "sgd_step", param=lambda a: [a["param"], a["param"]], grad=lambda a: [a["grad"]] * 2,
        momentum_buffer=lambda a: [np.zeros(4), np.zeros(4)]),
     ValueError, ("param[1] overlaps param[0] in memory",)),
    ("states-partly-overlap", lambda: _partly_overlapping(), ValueError, ("v overlaps m",)),
    ("grad-overlaps-state", lambda: make_call("rmsprop_step", grad=lambda a: a["grad_avg"]),
     ValueError, ("grad overlaps grad_avg in memory",)),
]  # fmt: skip


def _partly_overlapping() -> Call:
    buf = np.zeros(7)
    return make_call("adam_step", m=buf[:4], v=buf[3:])


@pytest.mark.parametrize(("build", "exc", "parts"), [c[1:] for c in ARRAY_CASES],
                         ids=[c[0] for c in ARRAY_CASES])  # fmt: skip
def test_array_errors(
    build: Callable[[], Call], exc: type[Exception], parts: tuple[str, ...]
) -> None:
    message = raise_on_both(build, exc)
    for part in parts:
        assert part in message


# Hyperparameters out of range, per function: (name, bad value, interval text).
NONNEG = "a finite number >= 0"
POS = "a finite number > 0"
HALF_OPEN = "in [0, 1)"
CLOSED = "in [0, 1]"
NAN, INF = float("nan"), float("inf")
# Per check of the spec table: its interval text and the values it rejects.
BAD_VALUES: dict[Any, tuple[str, tuple[float, ...]]] = {
    _rules._nonnegative: (NONNEG, (-0.1, -0.01, -1e-4, -0.5, NAN, INF)),
    _rules._positive: (POS, (0.0, -1e-8, INF)),
    _rules._beta: (HALF_OPEN, (-0.1, 1.0, 1.5, NAN)),
    _rules._unit: (CLOSED, (-0.1, 1.0000001, 1.5, NAN)),
    _rules._eta_minus: ("in (0, 1)", (0.0, 1.0, -0.5, 1.5, NAN, INF)),
    _rules._eta_plus: ("in (1, inf)", (1.0, 0.5, 0.0, -2.0, NAN, INF)),
}


def _range_checked(rule: _rules.Rule) -> list[tuple[str, Any]]:
    """The step's numeric keywords with the check each gets, from the row."""
    return [
        (name, check)
        for h in rule.hyper
        if not h.is_flag
        for name, check in h.step_checks()
    ]


BAD_HYPER: list[tuple[str, str, Any, str]] = [
    (rule.step, name, x, BAD_VALUES[check][0])
    for rule in _rules.RULES
    for name, check in _range_checked(rule)
    if check in BAD_VALUES
    for x in BAD_VALUES[check][1]
]


def test_every_range_check_has_bad_values() -> None:
    # a new kind of check needs its interval text and bad values above
    for rule in _rules.RULES:
        for name, check in _range_checked(rule):
            assert check in BAD_VALUES, (rule.step, name)


@pytest.mark.parametrize(("fn", "name", "value", "text"), BAD_HYPER,
                         ids=[f"{f}-{n}={x}" for f, n, x, _ in BAD_HYPER])  # fmt: skip
def test_hyperparameter_out_of_range(
    fn: str, name: str, value: float, text: str
) -> None:
    message = raise_on_both(lambda: make_call(fn, kwargs={name: value}), ValueError)
    assert message == f"{fn}: {name} must be {text}, got {float(value)!r}"


@pytest.mark.parametrize(
    ("kwargs", "exc", "expected"),
    [
        ({"nesterov": True, "momentum": 0.0}, ValueError,
         "nesterov=True requires momentum > 0 and dampening == 0"),
        ({"nesterov": True, "dampening": 0.1}, ValueError,
         "nesterov=True requires momentum > 0 and dampening == 0"),
        ({"step": 0}, ValueError, "step must be >= 1, got 0"),
        ({"step": -3}, ValueError, "step must be >= 1, got -3"),
        ({"step": 1.5}, TypeError, "step must be an int, got float"),
        ({"step": 1.0}, TypeError, "step must be an int, got float"),
        ({"step": True}, TypeError, "step must be an int, got bool"),
        ({"step": "1"}, TypeError, "step must be an int, got str"),
        ({"nonfinite": "bogus"}, ValueError,
         "nonfinite must be 'raise', 'skip' or 'ignore', got 'bogus'"),
        ({"nonfinite": "Raise"}, ValueError,
         "nonfinite must be 'raise', 'skip' or 'ignore', got 'Raise'"),
        ({"momentum": 0.5}, ValueError, "momentum_buffer is required when momentum != 0"),
    ],
    ids=["nesterov-no-momentum", "nesterov-dampening", "step-0", "step-negative", "step-1.5",
         "step-1.0", "step-True", "step-str", "nonfinite-bogus", "nonfinite-case",
         "missing-momentum-buffer"],
)  # fmt: skip
def test_sgd_option_errors(
    kwargs: dict[str, Any], exc: type[Exception], expected: str
) -> None:
    def build() -> Call:
        # The buffer is omitted where the case expects it missing.
        missing = "momentum_buffer" in expected
        return make_call(
            "sgd_step", kwargs=kwargs, **({"momentum_buffer": None} if missing else {})
        )

    assert raise_on_both(build, exc) == f"sgd_step: {expected}"


# Every optional state array of every rule left out while its option is on
# (the table's fullest row of the step turns every option on).
MISSING_STATE: list[tuple[str, str, str]] = [
    (rule.step, slot.name, f"{slot.name} is required when {slot.when}"
     + ("=True" if isinstance(rule.defaults()[slot.when], bool) else " != 0"))
    for rule in _rules.RULES
    for slot in rule.state
    if slot.when is not None
]  # fmt: skip


@pytest.mark.parametrize(("fn", "drop", "expected"), MISSING_STATE,
                         ids=[f"{fn}-{drop}" for fn, drop, _ in MISSING_STATE])  # fmt: skip
def test_missing_state(fn: str, drop: str, expected: str) -> None:
    message = raise_on_both(lambda: make_call(fn, **{drop: None}), ValueError)
    assert message == f"{fn}: {expected}"


@pytest.mark.parametrize(
    ("fn", "kwargs", "expected"),
    [
        ("adam_step", {"step": 0}, "step must be >= 1, got 0"),
        ("adagrad_step", {"step": 2.0}, "step must be an int, got float"),
        ("adamw_step", {"nonfinite": "warn"},
         "nonfinite must be 'raise', 'skip' or 'ignore', got 'warn'"),
    ],
    ids=["adam-step-0", "adagrad-step-float", "adamw-nonfinite"],
)  # fmt: skip
def test_option_errors(fn: str, kwargs: dict[str, Any], expected: str) -> None:
    exc = TypeError if "an int" in expected else ValueError
    message = raise_on_both(lambda: make_call(fn, kwargs=kwargs), exc)
    assert message == f"{fn}: {expected}"


@pytest.mark.parametrize(
    ("fn", "kwargs", "exc", "expected"),
    [
        ("adam_step", {"nonfinite": None}, ValueError,
         "nonfinite must be 'raise', 'skip' or 'ignore', got None"),
        ("sgd_step", {"lr": None}, TypeError, "lr must be a real number, got NoneType"),
        ("adam_step", {"beta1": "0.9"}, TypeError, "beta1 must be a real number, got str"),
        ("rmsprop_step", {"alpha": True}, TypeError, "alpha must be a real number, got bool"),
        ("adagrad_step", {"eps": np.bool_(True)}, TypeError, "eps must be a real number, got bool"),
        ("adam_step", {"step": 2**63}, ValueError, "step must be < 2**63, got 9223372036854775808"),
        ("adamw_step", {"step": -(2**70)}, ValueError,
         "step must be >= 1, got -1180591620717411303424"),
        ("sgd_step", {"step": None}, TypeError, "step must be an int, got NoneType"),
    ],
    ids=["nonfinite-None", "lr-None", "beta1-str", "alpha-bool", "eps-numpy-bool", "step-2**63",
         "step-minus-2**70", "step-None"],
)  # fmt: skip
def test_hyperparameter_types(
    fn: str, kwargs: dict[str, Any], exc: type[Exception], expected: str
) -> None:
    assert (
        raise_on_both(lambda: make_call(fn, kwargs=kwargs), exc) == f"{fn}: {expected}"
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"step": np.int64(3)}, {"step": np.uint8(3)}, {"lr": np.float32(0.25)}, {"lr": 1},
     {"weight_decay": np.float16(0.5)}],
    ids=["step-int64", "step-uint8", "lr-float32", "lr-int", "wd-float16"],
)  # fmt: skip
def test_numpy_and_int_scalars_are_accepted(kwargs: dict[str, Any]) -> None:
    results = []
    for module in BACKENDS:
        call = make_call("adam_step", kwargs=kwargs)
        assert call.run(module) is True
        results.append(call.args)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_flag_of_wrong_type_is_handled_alike() -> None:
    # maximize="yes": the reference takes any truthy object, pybind11's bool
    # caster refuses a str with its own "incompatible function arguments".
    outcomes = []
    for module in BACKENDS:
        call = make_call("adam_step", kwargs={"maximize": "yes"})
        try:
            outcomes.append(("ok", call.run(module)))
        except Exception as err:  # noqa: BLE001 - the outcome itself is compared
            outcomes.append((type(err).__name__, str(err)))
    assert outcomes[0] == outcomes[1]


def test_readonly_grad_is_accepted(functional: ModuleType) -> None:
    call = make_call("adam_step", grad=lambda a: readonly(a["grad"]))
    param_before = call.args[0].copy()
    assert call.run(functional) is True
    assert not np.array_equal(call.args[0], param_before)
    other = make_call("adam_step")
    other.run(ref)
    for a, b in zip(call.args, other.args, strict=True):
        np.testing.assert_array_equal(a, b)


def test_boundary_hyperparameters_are_accepted(functional: ModuleType) -> None:
    # The closed ends of each interval are valid: lr=0, alpha=0 and 1,
    # dampening=1, beta=0, momentum and weight decay 0.
    calls = [
        make_call("sgd_step", kwargs={"lr": 0.0, "dampening": 1.0}),
        make_call("rmsprop_step", kwargs={"alpha": 1.0}),
        make_call("rmsprop_step", kwargs={"alpha": 0.0}),
        make_call("adam_step", kwargs={"beta1": 0.0, "beta2": 0.0}),
        make_call("adamw_step", kwargs={"weight_decay": 0.0}),
        make_call("adagrad_step", kwargs={"lr_decay": 0.0, "eps": 1e-300}),
    ]
    for call in calls:
        assert call.run(functional) is True


# -- non-finite gradients ---------------------------------------------------------------

SIZES = [5, 50_000, 7]  # the middle array is above the parallel grain (32768)


def _nonfinite_inputs(case: Case, where: int, value: float, dtype: type = np.float64):
    rng = np.random.default_rng(11)
    params = [rng.standard_normal(n).astype(dtype) for n in SIZES]
    grads = [rng.standard_normal(n).astype(dtype) for n in SIZES]
    grads[where][-1] = value
    states = {name: [new_state(name, n, lambda n, k=name: _start(k, (n,), rng).astype(dtype))
                     for n in SIZES]
              for name in case.states if name}  # fmt: skip
    return params, grads, states


def _all_arrays(params: list, grads: list, states: dict) -> list[np.ndarray]:
    return params + grads + [a for arrays in states.values() for a in arrays]


@pytest.mark.parametrize("where", [0, 2], ids=["first", "last"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nonfinite_raise(case: Case, where: int) -> None:
    messages = []
    for module in BACKENDS:
        params, grads, states = _nonfinite_inputs(
            case, where, np.nan if where else np.inf
        )
        arrays = _all_arrays(params, grads, states)
        before = snapshot(arrays)
        with pytest.raises(ValueError, match="contains NaN or inf") as info:
            call_step(module, case, params, grads, states, 3)
        assert snapshot(arrays) == before
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert messages[0] == (
        f"{case.fn}: grad[{where}] contains NaN or inf; nothing was updated (nonfinite='raise')"
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nonfinite_skip(case: Case, functional: ModuleType) -> None:
    params, grads, states = _nonfinite_inputs(case, 2, -np.inf)
    arrays = _all_arrays(params, grads, states)
    before = snapshot(arrays)
    assert (
        call_step(functional, case, params, grads, states, 3, nonfinite="skip") is False
    )
    assert snapshot(arrays) == before


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nonfinite_ignore(case: Case) -> None:
    results = []
    for module in BACKENDS:
        params, grads, states = _nonfinite_inputs(case, 2, np.nan)
        last = params[2][-1].copy()
        assert (
            call_step(module, case, params, grads, states, 3, nonfinite="ignore")
            is True
        )
        if case.fn == "rprop_step":
            # Rprop moves by sign(g), 0 for NaN as torch.sign: the param
            # stays and the NaN goes into the remembered gradient
            assert params[2][-1] == last
            assert np.isnan(states["prev"][2][-1])
        else:
            assert np.isnan(params[2][-1])  # the NaN went through
        assert np.isfinite(params[0]).all()
        results.append(_all_arrays(params, grads, states))
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_nonfinite_single_array_label(functional: ModuleType) -> None:
    p, g = np.ones(3), np.array([1.0, np.inf, 0.0])
    with pytest.raises(ValueError, match=r"^sgd_step: grad contains NaN or inf"):
        functional.sgd_step(p, g, step=1, lr=0.1)
    np.testing.assert_array_equal(p, np.ones(3))


def test_nonfinite_label_follows_list_order_across_dtypes() -> None:
    # grad[0] (float64) and grad[1] (float32) are both bad: the message must
    # name grad[0] on both backends, whatever order the dtypes are scanned in.
    messages = []
    for module in BACKENDS:
        params = [np.ones(3), np.ones(3, np.float32)]
        grads = [np.full(3, np.nan), np.full(3, np.nan, np.float32)]
        with pytest.raises(ValueError, match="contains NaN or inf") as info:
            module.sgd_step(params, grads, step=1, lr=0.1)
        messages.append(str(info.value))
    expected = (
        "sgd_step: grad[0] contains NaN or inf; nothing was updated (nonfinite='raise')"
    )
    assert messages == [expected, expected]


# -- clip_grad_norm ------------------------------------------------------------------------


def _clip_call(grads: Any, max_norm: float = 1.0, **kwargs: Any) -> Callable[[], Call]:
    def build() -> Call:
        g = grads() if callable(grads) else grads
        arrays = [
            x for x in (g if isinstance(g, list) else [g]) if isinstance(x, np.ndarray)
        ]
        call = Call("clip_grad_norm", [g, max_norm], kwargs, arrays)
        return call

    return build


def _grads() -> list[np.ndarray]:
    return [np.arange(1.0, 6.0), np.linspace(-3, 3, 7).astype(np.float32)]


def _shared() -> list[np.ndarray]:
    a = np.ones(4)
    return [a, a[1:]]


CLIP_CASES: list[tuple[str, Callable[[], Call], type[Exception], str]] = [
    ("max-norm-negative", _clip_call(_grads, -1.0), ValueError,
     "max_norm must be a number >= 0 (inf allowed), got -1.0"),
    ("max-norm-nan", _clip_call(_grads, float("nan")), ValueError,
     "max_norm must be a number >= 0 (inf allowed), got nan"),
    ("norm-type-0", _clip_call(_grads, norm_type=0.0), ValueError,
     "norm_type must be > 0 (inf allowed), got 0.0"),
    ("norm-type-negative", _clip_call(_grads, norm_type=-2.0), ValueError,
     "norm_type must be > 0 (inf allowed), got -2.0"),
    ("norm-type-nan", _clip_call(_grads, norm_type=float("nan")), ValueError,
     "norm_type must be > 0 (inf allowed), got nan"),
    ("grads-readonly", _clip_call(lambda: [np.ones(3), readonly(np.ones(2))]), ValueError,
     "grads[1] is read-only"),
    ("grads-not-array", _clip_call([1.0, 2.0]), TypeError,
     "grads[0] must be a numpy.ndarray, got float"),
    ("grads-int", _clip_call(lambda: np.arange(3)), TypeError,
     "grads has dtype int64; expected float32 or float64"),
    ("grads-empty-list", _clip_call([]), ValueError, "grads is an empty list"),
    ("grads-overlap", _clip_call(_shared), ValueError, "grads[1] overlaps grads[0] in memory"),
    ("grads-strided", _clip_call(lambda: np.ones(6)[::2]), ValueError,
     "grads is not C-contiguous"),
    ("nonfinite-nan", _clip_call(lambda: [np.ones(3), np.array([1.0, np.nan])],
                                 error_if_nonfinite=True), ValueError,
     "the total norm of grads is nan; nothing was scaled (error_if_nonfinite=True)"),
    ("nonfinite-inf", _clip_call(lambda: np.array([np.inf, 1.0], np.float32), 0.5,
                                 error_if_nonfinite=True), ValueError,
     "the total norm of grads is inf; nothing was scaled (error_if_nonfinite=True)"),
    ("nonfinite-inf-norm", _clip_call(lambda: np.array([np.nan, 1.0]), 0.5, norm_type=np.inf,
                                      error_if_nonfinite=True), ValueError,
     "the total norm of grads is nan; nothing was scaled (error_if_nonfinite=True)"),
]  # fmt: skip


@pytest.mark.parametrize(("build", "exc", "expected"), [c[1:] for c in CLIP_CASES],
                         ids=[c[0] for c in CLIP_CASES])  # fmt: skip
def test_clip_errors(
    build: Callable[[], Call], exc: type[Exception], expected: str
) -> None:
    assert raise_on_both(build, exc) == f"clip_grad_norm: {expected}"


# -- per-param scalar state (0-d arrays: NAdam's mu_product) -------------------------------

SCALAR_FNS = [(fn, name) for fn, names in POSITIONAL.items() for name in names
              if name in SCALAR_STATE]  # fmt: skip
SCALAR_BAD: list[tuple[str, Callable[[str], Replacement], type[Exception], str]] = [
    ("shaped-like-param", lambda n: lambda a: np.zeros(4), ValueError,
     "{n} has shape (4,); expected a 0-d array"),
    ("int", lambda n: np.array(1), TypeError, "{n} has dtype int64; expected float32 or float64"),
    ("read-only", lambda n: lambda a: readonly(a[n]), ValueError, "{n} is read-only"),
    ("two-for-one", lambda n: lambda a: [a[n], np.ones(())], ValueError,
     "{n} has 2 arrays but param has 1"),
    ("list-item", lambda n: lambda a: [1.0], TypeError,
     "{n}[0] must be a numpy.ndarray, got float"),
    ("none", lambda n: None, TypeError,
     "{n} must be a numpy.ndarray or a list of them, got NoneType"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fn", "name"), SCALAR_FNS, ids=[f"{f}-{n}" for f, n in SCALAR_FNS]
)
@pytest.mark.parametrize(("bad", "exc", "expected"), [b[1:] for b in SCALAR_BAD],
                         ids=[b[0] for b in SCALAR_BAD])  # fmt: skip
def test_scalar_state_rejected(fn: str, name: str, bad: Callable[[str], Replacement],
                               exc: type[Exception], expected: str) -> None:  # fmt: skip
    # Same message on both backends, nothing written (the scalars included).
    message = raise_on_both(lambda: make_call(fn, **{name: bad(name)}), exc)
    assert message == f"{fn}: {expected.format(n=name)}"


# (step, scalar, what it shares memory with): a param, the grad, each array
# state, each other scalar
SCALAR_OVERLAPS = [(fn, name, other) for fn, name in SCALAR_FNS
                   for other in POSITIONAL[fn] if other != name]  # fmt: skip


@pytest.mark.parametrize(("fn", "name", "other"), SCALAR_OVERLAPS,
                         ids=["-".join(c) for c in SCALAR_OVERLAPS])  # fmt: skip
def test_scalar_state_overlapping_rejected(fn: str, name: str, other: str) -> None:
    # The scalars are written after the arrays: one sharing memory with an
    # array or another scalar would clobber it (or be clobbered).
    names = POSITIONAL[fn]
    scalar = other in SCALAR_STATE

    def inside(a: dict[str, np.ndarray]) -> np.ndarray:
        return a[other] if scalar else a[other][1:2].reshape(())

    first, second = sorted([other, name], key=names.index) if scalar else (other, name)
    message = raise_on_both(lambda: make_call(fn, **{name: inside}), ValueError)
    assert message == f"{fn}: {second} overlaps {first} in memory"


@pytest.mark.parametrize(
    ("fn", "name"), SCALAR_FNS, ids=[f"{f}-{n}" for f, n in SCALAR_FNS]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_state_kept_in_its_dtype(fn: str, name: str, dtype: type) -> None:
    # A float32 scalar (torch's 0-d tensor) rounds to float32 on both backends,
    # alike; float64 keeps more digits. Params stay float64 either way.
    # Schedule-Free's lr_max only grows: from its start, -1, to the lr
    start = -1.0 if name == "lr_max" else 0.75
    out = []
    for module in BACKENDS:
        call = make_call(fn, **{name: np.array(start, dtype)})
        assert call.run(module) is True
        scalar = call.args[POSITIONAL[fn].index(name)]
        assert scalar.dtype == dtype
        out.append((float(scalar), call.args[0].tolist()))
    assert out[0] == out[1]
    assert out[0][0] != start
    assert (out[0][0] == float(np.float32(out[0][0]))) == (dtype == np.float32)


# -- None where an array is required (in a subprocess: a crash must not take the suite) ---

_NONE_SCRIPT = """
import json, sys
import numpy as np
import steepest
from steepest.reference import functional as ref

fn, names, missing, kwargs = json.loads(sys.argv[1])
out = []
for module in (steepest.functional, ref):
    args = [None if name == missing else np.full(3, 0.5) for name in names]
    try:
        out.append(["ok", repr(getattr(module, fn)(*args, **kwargs))])
    except Exception as err:
        out.append([type(err).__name__, str(err)])
print(json.dumps(out))
"""

NONE_CASES = [
    ("sgd_step", "param"), ("sgd_step", "grad"), ("sgd_step", "momentum_buffer"),
    ("adagrad_step", "state_sum"), ("rmsprop_step", "square_avg"), ("adam_step", "grad"),
    ("adam_step", "m"), ("adamw_step", "v"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fn", "missing"), NONE_CASES, ids=[f"{f}-{m}" for f, m in NONE_CASES]
)
def test_none_for_required_array(fn: str, missing: str) -> None:
    # Required arrays given as None must raise (TypeError, or the "is
    # required" ValueError for a state that depends on a hyperparameter),
    # identically on both backends; never crash or silently do nothing.
    kwargs = {
        k: x for k, x in BASE_KWARGS[fn].items() if k not in ("amsgrad", "centered")
    }
    if fn == "rmsprop_step":
        kwargs.pop("momentum")
    names = [
        n
        for n in POSITIONAL[fn]
        if fn == "sgd_step" or n not in ("v_max", "grad_avg", "momentum_buffer")
    ]  # the states the kwargs need
    argv = json.dumps([fn, names, missing, kwargs])
    proc = subprocess.run([sys.executable, "-c", _NONE_SCRIPT, argv], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, (
        f"crashed with {proc.returncode}: {proc.stderr[-2000:]}"
    )
    native, reference = json.loads(proc.stdout)
    assert native == reference
    assert reference[0] in ("TypeError", "ValueError")
    assert reference[1].startswith(f"{fn}: {missing}")
