"""Optimizer steps as functions over NumPy arrays, updated in place.

This is steepest's contract: the classes in :mod:`steepest.optim` only hold
state and call these. Every function takes single arrays or lists of arrays
(all lists the same length; a list may mix float32 and float64 params, each
state array matching its param, a per-param scalar of the state, such as
NAdam's ``mu_product``, a 0-d array; a float16 or ``ml_dtypes.bfloat16``
param takes a grad of its dtype and float32 state: the step widens it to
float32, runs the rule's float32 step and rounds it back to nearest even,
see ``tests/optim/test_storage.py``), checks everything before writing anything,
releases the GIL and updates all arrays in one native call.
:mod:`steepest.reference.functional` has the same functions in plain NumPy,
and the two agree bit for bit (see ``tests/optim/test_parity.py``).

Common parameters
-----------------
step : int
    1 for the first update (torch's ``state["step"]`` after its increment).
maximize : bool
    Ascend instead of descend: the gradient is negated first.
nonfinite : {"raise", "skip", "ignore"}
    What a NaN or inf in any gradient does. ``"raise"`` (default) raises
    ``ValueError`` before any array is written; ``"skip"`` writes nothing and
    returns False; ``"ignore"`` does not look (fastest, torch's behaviour).
    The check costs one extra read of the gradients.

Returns
-------
bool
    True if the step was applied, False if it was skipped (``nonfinite="skip"``).

Raises
------
TypeError
    An argument is not an ndarray or a list of them, or has an integer or
    other non-float dtype, or a dtype differing from its param's.
ValueError
    Mismatched list lengths or shapes, an empty list, an array that is not
    C-contiguous or not aligned, a written array that is read-only, arrays
    overlapping in memory, a hyperparameter out of range or non-finite,
    a required state array missing, or a non-finite gradient.

Notes
-----
The update rules are those documented for ``torch.optim`` (same defaults,
epsilon placement, bias correction, Nesterov and dampening conventions).
Per-step scalars are computed once in double precision and cast to the array
dtype; element-wise arithmetic then runs in the array dtype without fused
multiply-add. Element-wise steps do not depend on the thread count or the
instruction set.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from . import _core
from .reference import functional as _ref

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _native(ref: Callable[_P, _R], core: Callable[..., _R]) -> Callable[_P, _R]:
    """The native function: ``ref``'s signature and docstring, calling ``core``.

    The reference is the one written-out source of both. The function is
    compiled once from ``ref``'s parameter names, the way ``dataclasses``
    builds methods, so that a call passes its arguments on positionally in
    the order the binding takes them and costs what the hand-written wrapper
    did (a ``*args, **kwargs`` forwarder or a ``Signature.bind`` would add
    about a microsecond, as much as a step on a small array). Its globals
    are this module's, so doctest finds it here and it pickles by this
    module's name.
    """
    # The signature sees through the reference's decorators (np.errstate, the
    # 16-bit round trip).
    signature = inspect.signature(ref)
    params = signature.parameters.values()
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = [p for p in params if p.kind is p.KEYWORD_ONLY]
    if len(positional) + len(keywords) != len(params):
        msg = f"_native: ref must take named parameters only, got {signature}"
        raise TypeError(msg)
    names = [p.name for p in positional]
    star = ["*", *(p.name for p in keywords)] if keywords else []
    source = (
        "def make(core):\n"
        f"    def {ref.__name__}({', '.join(names + star)}):\n"
        f"        return core({', '.join(p.name for p in params)})\n"
        f"    return {ref.__name__}\n"
    )
    scope: dict[str, Any] = {}
    code = compile(source, f"<steepest.functional.{ref.__name__}>", "exec")
    exec(code, globals(), scope)  # noqa: S102 - the reference's own names
    # a rule step binding's METH_FASTCALL twin, where there is one: the same
    # checks and step, ~0.1 us less per call than pybind11's dispatcher
    if core is getattr(_core, ref.__name__, None):
        core = _core._fast_steps.get(ref.__name__, core)
    fn = scope["make"](core)
    # The defaults are the reference's values, not their repr put into source.
    fn.__defaults__ = tuple(p.default for p in positional if p.default is not p.empty)
    fn.__kwdefaults__ = {
        p.name: p.default for p in keywords if p.default is not p.empty
    }
    fn.__annotations__ = {p.name: p.annotation for p in params}
    fn.__annotations__["return"] = signature.return_annotation
    fn.__doc__ = ref.__doc__
    fn.__qualname__ = ref.__qualname__
    # the binding itself, for callers that pass every argument in its place
    # (the optimizer classes: one Python call less per step)
    fn.core = core
    return cast(Callable[_P, _R], fn)


sgd_step = _native(_ref.sgd_step, _core.sgd_step)
adagrad_step = _native(_ref.adagrad_step, _core.adagrad_step)
rmsprop_step = _native(_ref.rmsprop_step, _core.rmsprop_step)
adam_step = _native(_ref.adam_step, _core.adam_step)
adamw_step = _native(_ref.adamw_step, _core.adamw_step)
adamax_step = _native(_ref.adamax_step, _core.adamax_step)
adadelta_step = _native(_ref.adadelta_step, _core.adadelta_step)
radam_step = _native(_ref.radam_step, _core.radam_step)
nadam_step = _native(_ref.nadam_step, _core.nadam_step)
rprop_step = _native(_ref.rprop_step, _core.rprop_step)
asgd_step = _native(_ref.asgd_step, _core.asgd_step)
lamb_step = _native(_ref.lamb_step, _core.lamb_step)
lion_step = _native(_ref.lion_step, _core.lion_step)
adabelief_step = _native(_ref.adabelief_step, _core.adabelief_step)
sgd_schedulefree_step = _native(_ref.sgd_schedulefree_step, _core.sgd_schedulefree_step)
adamw_schedulefree_step = _native(
    _ref.adamw_schedulefree_step, _core.adamw_schedulefree_step
)
clip_grad_norm = _native(_ref.clip_grad_norm, _core.clip_grad_norm)
lookahead_sync = _native(_ref.lookahead_sync, _core.lookahead_sync)
ema_update = _native(_ref.ema_update, _core.ema_update)
#: step_with_ema(step, ema, ema_decay, *args): the binding of the rule step
#: named ``step`` (``"adam_step"``) on its arguments in its order, with
#: ``ema_update(ema, param, ema_decay)`` fused into the same pass (used by
#: :class:`steepest.EMA`; not public API)
_step_with_ema = _core.step_with_ema

__all__ = [
    "adabelief_step",
    "adadelta_step",
    "adagrad_step",
    "adam_step",
    "adamax_step",
    "adamw_schedulefree_step",
    "adamw_step",
    "asgd_step",
    "clip_grad_norm",
    "ema_update",
    "lamb_step",
    "lion_step",
    "lookahead_sync",
    "nadam_step",
    "radam_step",
    "rmsprop_step",
    "rprop_step",
    "sgd_schedulefree_step",
    "sgd_step",
]
