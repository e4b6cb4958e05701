"""Property tests at the bindings: random shapes, dtypes, layouts, values, hyperparameters.

For any call, either both backends succeed with bit-identical results (NaN
payloads aside), or both raise the same exception type with the same message
and leave every array untouched. Inputs include 0-d and zero-size arrays,
float16/int32 dtypes, mixed float32/float64 lists, NaN/inf/subnormal values,
strided, Fortran-ordered, read-only, unaligned and aliased arrays, and
hyperparameters in and out of range. A second property keeps to valid calls
(finite, non-zero params, grads and states, weight decay on, every option
drawn, one to three consecutive steps), so that every example reaches the
update code, and asserts native == reference bit for bit. Runs are
derandomized (CI-stable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import steepest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from steepest import _rules
from steepest.reference import functional as ref

from ._cases import POSITIONAL, RULE_OF, SCALAR_STATE

BACKENDS: list[ModuleType] = [steepest.functional, ref]
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

LAYOUTS = [
    "c",
    "c",
    "c",
    "c",
    "strided",
    "fortran",
    "readonly",
    "unaligned",
]  # wild examples
NAN, INF = math.nan, math.inf


def _maybe(
    valid: st.SearchStrategy[Any], invalid: tuple[Any, ...], wild: bool
) -> st.SearchStrategy[Any]:
    """Valid values; in a wild example, out-of-range ones a quarter of the time."""
    return st.one_of(valid, valid, valid, st.sampled_from(invalid)) if wild else valid


def _unit(lo: float = 0.0, hi: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False)


# Each step's keywords from its spec row, in signature order: (name, check).


def _keywords(fn: str) -> list[tuple[str, Any]]:
    return [(name, check) for h in RULE_OF[fn].hyper for name, check in h.step_checks()]


# (valid strategy, *out-of-range values) per keyword; a keyword not named
# here (a new rule's) gets those of its kind of check.
_CLOSED = (_unit(), 1.0000001, -1e-3, NAN)
_EPS = (st.sampled_from([1e-8, 1e-3, 1e-300]), 0.0, -1e-8, INF)
_BETA = (_unit(0.0, 0.999), 1.0, -0.1, NAN)
WILD: dict[str, tuple[Any, ...]] = {
    "lr": (_unit(), -0.1, NAN, INF, -INF, None, "0.1", True, np.float32(0.5)),
    "weight_decay": (st.sampled_from([0.0, 0.01, 0.5]), -0.01, NAN),
    "momentum": (st.sampled_from([0.0, 0.5, 0.9]), -0.5, INF),
    "dampening": _CLOSED,
    "lr_decay": (_unit(), -1.0),
    "alpha": _CLOSED,
    "eps": _EPS,
    "beta1": _BETA,
    "beta2": _BETA,
}
WILD_BY_CHECK: dict[Any, tuple[Any, ...]] = {
    _rules._nonnegative: (_unit(), -0.1, NAN),
    _rules._positive: _EPS,
    _rules._unit: _CLOSED,
    _rules._beta: _BETA,
    _rules._eta_minus: (_unit(0.01, 0.99), 0.0, 1.0, NAN),
    _rules._eta_plus: (st.floats(1.01, 5.0), 1.0, 0.5, INF),
}


def _by_name(
    by_name: dict[str, Any], by_check: dict[Any, Any], name: str, check: Any
) -> Any:
    # A keyword's own strategy, but where its rule narrows the usual range:
    # Schedule-Free's momentum and beta1 in (0, 1), which x divides by
    if check is _rules._interior:
        return by_check[check]
    return by_name.get(name, by_check[check])


@st.composite
def hyperparameters(draw: st.DrawFn, fn: str, wild: bool) -> dict[str, Any]:
    def pick(valid: st.SearchStrategy[Any], *invalid: Any) -> Any:
        return draw(_maybe(valid, invalid, wild))

    kw: dict[str, Any] = {}
    for name, check in _keywords(fn):
        if check is _rules._flag:
            kw[name] = draw(st.booleans())
        else:
            kw[name] = pick(*_by_name(WILD, WILD_BY_CHECK, name, check))
    if "nesterov" in kw:
        # Nesterov needs momentum > 0 and no dampening; a wild example ignores that.
        nesterov_ok = kw["momentum"] > 0 and kw["dampening"] == 0
        kw["nesterov"] = kw["nesterov"] if wild or nesterov_ok else False
    kw["nonfinite"] = pick(
        st.sampled_from(["raise", "skip", "ignore"]), "bogus", None, 1
    )
    if RULE_OF[fn].takes_step:
        kw["step"] = pick(st.integers(1, 10**6), 0, -2, 1.5, True, None, np.int64(7), 2**63,
                          -(2**70))  # fmt: skip
    return kw


def _values(
    dtype: np.dtype, shape: tuple[int, ...], clean: bool
) -> st.SearchStrategy[np.ndarray]:
    if dtype.kind == "i":
        return hnp.arrays(dtype, shape)
    width = 8 * dtype.itemsize
    tame = st.floats(-4, 4, width=width)
    if clean:
        return hnp.arrays(dtype, shape, elements=tame)
    # Special values often enough that most such arrays hold one: NaN, +-inf,
    # the smallest subnormal, -0, huge values.
    info = np.finfo(dtype)
    special = st.sampled_from([NAN, INF, -INF, float(info.smallest_subnormal), -0.0,
                               float(info.max) / 2])  # fmt: skip
    return hnp.arrays(dtype, shape, elements=st.one_of(tame, special), fill=special)


@dataclass
class Spec:
    """Everything needed to build the same call twice."""

    fn: str
    kwargs: dict[str, Any]
    single: bool
    values: dict[str, list[np.ndarray]]  # per positional name, one per list item
    layouts: dict[str, list[str]]
    alias: tuple[str, str] | None  # (name, name whose array it reuses), item 0


SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=5)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    # Half the examples are "wild" (anything may be invalid), half only carry
    # non-finite values, mixed dtypes and the harmless layouts, so that plenty
    # of calls reach the kernels.
    wild = draw(st.booleans())
    fn = draw(st.sampled_from(sorted(POSITIONAL)))
    kwargs = draw(hyperparameters(fn, wild))
    n = draw(st.integers(1, 3))
    single = n == 1 and draw(st.booleans())
    dtypes = ["float32", "float64"] + (["float16", "int32"] if wild else [])
    base = np.dtype(draw(st.sampled_from(dtypes)))
    mixed = draw(st.booleans())
    item_dtypes = [np.dtype(draw(st.sampled_from(["float32", "float64"]))) if mixed else base
                   for _ in range(n)]  # fmt: skip
    shapes = [draw(SHAPES) for _ in range(n)]
    values: dict[str, list[np.ndarray]] = {}
    layouts: dict[str, list[str]] = {}
    for name in POSITIONAL[fn]:
        dts, shp = list(item_dtypes), list(shapes)
        if name in SCALAR_STATE:  # one 0-d array per param (NAdam's mu_product)
            shp = [()] * n
        if (
            wild and draw(st.integers(0, 9)) == 0
        ):  # now and then a mismatching dtype or shape
            dts[0] = np.dtype(draw(st.sampled_from(["float32", "float64", "float16"])))
        if wild and draw(st.integers(0, 9)) == 0:
            shp[0] = draw(SHAPES)
        # States are finite unless wild; grads may be non-finite in any example.
        values[name] = [
            draw(_values(d, s, (name != "grad" and not wild) or draw(st.booleans())))
            for d, s in zip(dts, shp, strict=True)
        ]
        choices = LAYOUTS if wild else ["c", "readonly"] if name == "grad" else ["c"]
        layouts[name] = [draw(st.sampled_from(choices)) for _ in range(n)]
    alias = None
    if wild and draw(st.integers(0, 4)) == 0:
        names = POSITIONAL[fn]
        alias = (
            draw(st.sampled_from(names[1:])),
            draw(st.sampled_from(names[:1] + names[2:])),
        )
    return Spec(fn, kwargs, single, values, layouts, alias)


def _layout(values: np.ndarray, layout: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """A fresh array holding ``values`` in ``layout``; also the buffers it views."""
    if layout == "strided":
        flat = np.zeros(2 * values.size + 1, values.dtype)
        out = flat[: 2 * values.size : 2].reshape(values.shape)
        out[...] = values
        return out, [flat]
    if layout == "fortran":
        return np.asfortranarray(values.copy()), []
    if layout == "readonly":
        out = values.copy()
        out.flags.writeable = False
        return out, []
    if layout == "unaligned" and values.size and values.dtype.itemsize > 1:
        buf = bytearray(values.nbytes + 1)
        out = np.frombuffer(buf, values.dtype, values.size, offset=1).reshape(
            values.shape
        )
        out[...] = values
        return out, []
    return values.copy(), []


def build(spec: Spec) -> tuple[list[Any], dict[str, Any], list[np.ndarray]]:
    """Positional args, kwargs, and every array (and buffer) the call might touch."""
    arrays: dict[str, list[np.ndarray]] = {}
    touched: list[np.ndarray] = []
    for name, vals in spec.values.items():
        arrays[name] = []
        for v, layout in zip(vals, spec.layouts[name], strict=True):
            a, extra = _layout(v, layout)
            arrays[name].append(a)
            touched += [a, *extra]
    if spec.alias:
        target, source = spec.alias
        arrays[target][0] = arrays[source][0]
    args = [
        arrays[name][0] if spec.single else arrays[name] for name in POSITIONAL[spec.fn]
    ]
    return args, dict(spec.kwargs), touched


def _canonical(a: np.ndarray) -> bytes:
    # Bit-identical, except that any NaN equals any NaN (payloads are not specified).
    if a.dtype.kind == "f" and a.size:
        a = np.where(np.isnan(a), np.array(np.nan, a.dtype), a)
    return np.ascontiguousarray(a).tobytes()


def _outcome(module: ModuleType, fn: str, args: list[Any], kwargs: dict[str, Any],
             touched: list[np.ndarray]) -> tuple[Any, ...]:  # fmt: skip
    before = [a.tobytes() for a in touched]
    try:
        result = getattr(module, fn)(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - the outcome itself is the property
        assert [a.tobytes() for a in touched] == before, (
            f"{module.__name__} wrote, then raised"
        )
        return (type(err), str(err))
    return ("ok", result, [_canonical(a) for a in touched])


@SETTINGS
@given(spec=specs())
def test_steps_agree(spec: Spec) -> None:
    outcomes = []
    for module in BACKENDS:
        args, kwargs, touched = build(spec)
        outcomes.append(_outcome(module, spec.fn, args, kwargs, touched))
    native, reference = outcomes
    event(native[0] if native[0] == "ok" else native[0].__name__)
    assert native[:2] == reference[:2]
    if native[0] == "ok":
        assert native[2] == reference[2]


# -- the update code itself: valid calls only -----------------------------------------


def _signed(lo: float, hi: float, width: int) -> st.SearchStrategy[float]:
    """Finite, non-zero: a magnitude in [lo, hi] with either sign."""
    mag = st.floats(lo, hi, width=width)
    return st.one_of(mag, mag.map(lambda x: -x))


# Bounds exact in float32 (Hypothesis asks it). A state's start: moments of
# either sign, second moments positive and above grad_avg's square, so that
# the centered variance v - ga^2 stays positive.
_VALUES = (2.0**-7, 8.0)
_STATE_RANGE = {"m": (2.0**-10, 2.0**-4), "momentum_buffer": (2.0**-10, 2.0**-4),
                "grad_avg": (2.0**-10, 2.0**-4)}  # fmt: skip
_SECOND_MOMENT = (0.125, 2.0)


_VALID_EPS = st.one_of(st.sampled_from([1e-10, 1e-8]), st.floats(1e-12, 1e-2))
# A valid strategy per keyword; by kind of check for one not named here.
VALID: dict[str, st.SearchStrategy[Any]] = {
    "lr": st.floats(1e-3, 1.0),
    "weight_decay": st.floats(1e-4, 0.5),  # always on
    "momentum": st.one_of(st.just(0.0), st.floats(0.1, 0.99)),
    "dampening": st.floats(0.0, 1.0),
    "lr_decay": st.floats(0.0, 0.5),
    "alpha": st.floats(0.0, 1.0),
    "eps": _VALID_EPS,
    "beta1": st.floats(0.0, 0.99),
    "beta2": st.floats(0.0, 0.9999),
    # Rprop's bounds, wide enough that every element moves
    "step_size_min": st.floats(0.0, 1e-3),
    "step_size_max": st.floats(1.0, 50.0),
}
VALID_BY_CHECK: dict[Any, st.SearchStrategy[Any]] = {
    _rules._nonnegative: st.floats(0.0, 0.5),
    _rules._positive: _VALID_EPS,
    _rules._unit: st.floats(0.0, 1.0),
    _rules._beta: st.floats(0.0, 0.99),
    _rules._eta_minus: st.floats(0.1, 0.9),
    _rules._eta_plus: st.floats(1.05, 3.0),
    _rules._flag: st.booleans(),
}


@st.composite
def valid_hyperparameters(draw: st.DrawFn, fn: str) -> dict[str, Any]:
    """Every option of ``fn`` drawn, all in range, weight decay always on."""
    kw = {
        name: draw(_by_name(VALID, VALID_BY_CHECK, name, check))
        for name, check in _keywords(fn)
    }
    if "nesterov" in kw:
        # SGD's momentum kinds, each as likely (Nesterov: momentum, no dampening)
        kind = draw(st.sampled_from(["plain", "heavy-ball", "dampened", "nesterov"]))
        kw["momentum"] = 0.0 if kind == "plain" else draw(st.floats(0.1, 0.99))
        kw["dampening"] = draw(st.floats(0.0, 1.0)) if kind == "dampened" else 0.0
        kw["nesterov"] = kind == "nesterov"
    kw["nonfinite"] = draw(st.sampled_from(["raise", "skip", "ignore"]))
    return kw


@dataclass
class Update:
    """Valid arrays and options for ``steps`` consecutive steps from ``first``."""

    fn: str
    kwargs: dict[str, Any]
    first: int | None  # None for a step without a step count (RMSprop)
    params: list[np.ndarray]
    grads: list[list[np.ndarray]]  # per step, one per param
    states: dict[str, list[np.ndarray]]


@st.composite
def updates(draw: st.DrawFn, fn: str) -> Update:
    kwargs = draw(valid_hyperparameters(fn))
    n = draw(st.integers(1, 3))
    dtypes = [np.dtype(draw(st.sampled_from(["float32", "float64"]))) for _ in range(n)]
    shapes = [draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=9))
              for _ in range(n)]  # fmt: skip

    def arrays(lo: float, hi: float) -> list[np.ndarray]:
        return [draw(hnp.arrays(d, s, elements=_signed(lo, hi, 8 * d.itemsize)))
                for d, s in zip(dtypes, shapes, strict=True)]  # fmt: skip

    params = arrays(*_VALUES)
    steps = draw(st.integers(1, 3))
    grads = [arrays(*_VALUES) for _ in range(steps)]
    states = {}
    for name in POSITIONAL[fn][2:]:
        if name in SCALAR_STATE:  # 0-d, in torch's float32 or steepest's float64
            states[name] = [
                np.array(
                    draw(st.floats(0.01, 1.0)), draw(st.sampled_from(["f4", "f8"]))
                )
                for _ in range(n)
            ]
            continue
        lo, hi = _STATE_RANGE.get(name, _SECOND_MOMENT)
        values = arrays(lo, hi)
        states[name] = values if name in _STATE_RANGE else [np.abs(a) for a in values]
        if name == "prev":
            # Rprop's last gradient starts at zero, as in torch: the first step
            # moves every element (a drawn one could veto every move)
            states[name] = [np.zeros_like(a) for a in values]
    first = draw(st.integers(1, 1000)) if RULE_OF[fn].takes_step else None
    return Update(fn, kwargs, first, params, grads, states)


@pytest.mark.parametrize("fn", sorted(POSITIONAL))
@settings(SETTINGS, max_examples=50)
@given(data=st.data())
def test_updates_agree_bitwise(fn: str, data: st.DataObject) -> None:
    """Valid, finite, non-zero inputs reach the kernels: native == reference, bit for bit."""
    update = data.draw(updates(fn))
    kw = update.kwargs
    # the options switched on: flags, and numbers off by default (weight decay is on)
    defaults = RULE_OF[fn].defaults()
    options = [k for k, d in defaults.items() if d is False and kw.get(k)]
    options += [k for k, d in defaults.items()
                if d == 0.0 and d is not False and k != "weight_decay" and kw.get(k)]  # fmt: skip
    event(f"{update.fn} {' '.join(options)}".strip())
    results = []
    moved: list[bool] = []
    for module in BACKENDS:
        params = [p.copy() for p in update.params]
        states = {k: [a.copy() for a in arrays] for k, arrays in update.states.items()}
        single = len(params) == 1
        for k, grads in enumerate(update.grads):
            step = {} if update.first is None else {"step": update.first + k}
            args = [
                params,
                grads,
                *(states[name] for name in POSITIONAL[update.fn][2:]),
            ]
            if single:
                args = [a[0] for a in args]
            assert getattr(module, update.fn)(*args, **update.kwargs, **step) is True
        results.append([_canonical(a) for a in params + [a for v in states.values()
                                                          for a in v]])  # fmt: skip
        moved.append(
            any(
                not np.array_equal(p, q)
                for p, q in zip(params, update.params, strict=True)
            )
        )
    assert results[0] == results[1]
    # an example whose update is exactly zero (say maximize with g = wd * p)
    # proves nothing about the kernels: discarded, and hypothesis's health
    # check fails the test if most examples were
    assert moved[0] == moved[1]
    assume(moved[0])


@st.composite
def clip_specs(draw: st.DrawFn) -> tuple[list[np.ndarray], list[str], dict[str, Any]]:
    wild = draw(st.booleans())
    n = draw(st.integers(1, 3))
    dtypes = ["float32", "float64"] + (["float16"] if wild else [])
    values = [draw(_values(np.dtype(draw(st.sampled_from(dtypes))), draw(SHAPES),
                           draw(st.booleans()))) for _ in range(n)]  # fmt: skip
    layouts = [draw(st.sampled_from(LAYOUTS if wild else ["c"])) for _ in range(n)]
    kwargs = {
        "max_norm": draw(
            _maybe(st.sampled_from([0.0, 0.5, 1.0, 10.0]), (-1.0, NAN, INF), wild)
        ),
        "norm_type": draw(
            _maybe(st.sampled_from([2.0, 1.0, 3.5, INF, 0.5]), (0.0, -1.0, NAN), wild)
        ),
        "error_if_nonfinite": draw(st.booleans()),
    }
    return values, layouts, kwargs


@SETTINGS
@given(spec=clip_specs())
def test_clip_agrees(spec: tuple[list[np.ndarray], list[str], dict[str, Any]]) -> None:
    values, layouts, kwargs = spec
    outcomes = []
    for module in BACKENDS:
        built = [_layout(v, layout) for v, layout in zip(values, layouts, strict=True)]
        grads = [a for a, _ in built]
        touched = grads + [b for _, extra in built for b in extra]
        before = [a.tobytes() for a in touched]
        try:
            total = module.clip_grad_norm(grads, kwargs["max_norm"], norm_type=kwargs["norm_type"],
                                          error_if_nonfinite=kwargs["error_if_nonfinite"])  # fmt: skip
        except Exception as err:  # noqa: BLE001 - the outcome itself is the property
            assert [a.tobytes() for a in touched] == before
            outcomes.append((type(err), str(err)))
        else:
            outcomes.append(("ok", total, [g.copy() for g in grads]))
    native, reference = outcomes
    event(native[0] if native[0] == "ok" else native[0].__name__)
    if native[0] != "ok" or reference[0] != "ok":
        assert native == reference
        return
    # The norm is a reduction: the contract is a relative 1e-12, not bit equality.
    assert native[1] == pytest.approx(reference[1], rel=1e-12, nan_ok=True)
    for a, b in zip(native[2], reference[2], strict=True):
        # The grads differ only through the coefficient: by the norms' roundings
        # in float64, by at most one ulp (if its rounding differs) in float32;
        # a subnormal product may then differ in its last place.
        info = np.finfo(a.dtype)
        rtol = 1e-13 if a.dtype == np.float64 else float(info.eps)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=float(info.smallest_subnormal))
