"""The columns of a spec row: :class:`Hyper`, :class:`Slot` and :class:`Rule`.

What one row of :mod:`steepest._rules` holds, the questions every layer asks
of it (the state under some hyperparameters, the checked values, the step's
keywords) and the functional step's call written out from it once, when the
row is made. The rows themselves, and the checks they name, are in
:mod:`steepest._rules`.

A foundation: it imports only standard modules and the checks, so every
layer may read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from . import _checks as v

#: a check ``(fn, name, value)`` raising TypeError/ValueError; a flag's returns the bool
Check = Callable[[str, str, Any], object]


class _Required:
    """The default of a hyperparameter that has none (no row's today: torch
    gave SGD's ``lr`` a default, 1e-3, and so does steepest)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter of a rule's class.

    ``to_step`` names the functional keywords it becomes: None for its own
    name, ``("beta1", "beta2")`` for a pair, ``()`` when only the class uses it;
    ``step_check`` checks each of those keywords when ``check`` (of the class's
    value) does not fit them, or is a tuple of checks, one per keyword (Rprop's
    ``etas``: ``etaminus`` in (0, 1), ``etaplus`` above 1). A hyperparameter
    whose default is a bool is a flag (stored as a bool).
    """

    name: str
    default: Any
    check: Check
    to_step: tuple[str, ...] | None = None
    step_check: Check | tuple[Check, ...] | None = None

    @property
    def is_flag(self) -> bool:
        return isinstance(self.default, bool)

    def step_checks(self) -> tuple[tuple[str, Check], ...]:
        """(functional keyword, its check) for each keyword this becomes."""
        names = (self.name,) if self.to_step is None else self.to_step
        if isinstance(self.step_check, tuple):
            return tuple(zip(names, self.step_check, strict=True))
        return tuple((name, self.step_check or self.check) for name in names)


@dataclass(frozen=True)
class Slot:
    """One state array per param: its name here (the functional argument) and in torch.

    ``when`` names the hyperparameter that switches it on (None: always on);
    ``init`` the one it starts at (None: zeros), or a constant (a float).

    ``from_param`` marks an array that starts as a copy of its param
    (Schedule-Free's ``z``) instead of a constant. ``in_group`` marks a
    scalar the peer keeps once per param group (schedulefree's ``lr_max``):
    :mod:`steepest.torch` keeps it there too, so it is not among the
    per-param :meth:`Rule.torch_state_names`.

    A ``scalar`` slot holds one number per param, where torch keeps a 0-d
    tensor (NAdam's ``mu_product``): a 0-d float64 array per param (torch's
    own float32 tensor in :mod:`steepest.torch`), read and written in place
    by the step like the other state; every change rounds to the array's
    dtype and the step reads the value stored. Scalar slots come after the
    array slots (the step's positional order).

    ``published`` marks the averaged iterate a fit publishes instead of the
    params (ASGD's ``ax``, which torch's ASGD keeps for evaluation): the
    estimators' ``published_weights`` reads it.
    """

    name: str
    torch: str
    when: str | None = None
    init: str | float | None = None
    scalar: bool = False
    from_param: bool = False
    in_group: bool = False
    published: bool = False


@dataclass(frozen=True)
class Rule:
    """The spec row of one update rule (see :mod:`steepest._rules`)."""

    name: str
    step: str
    cls: str
    hyper: tuple[Hyper, ...]
    state: tuple[Slot, ...]
    #: whether the functional step takes ``step=`` (RMSprop's does not)
    takes_step: bool = True
    #: a check across hyperparameters, run after the single ones
    check_together: Callable[[str, Mapping[str, Any]], None] | None = None
    #: torch.optim's code-path flags this class accepts (at their defaults only)
    torch_flags: tuple[str, ...] = ()
    #: meant for full-batch gradients (Rprop): the estimators warn on mini-batches
    full_batch: bool = False
    #: further optimizer names for the estimators: name -> hyperparameters implied
    aliases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the learning rate the tools (minimize, demo, bench) start from where it is
    #: not the default: SGD's 1e-3 barely moves their problems, they keep 1e-2
    tools_lr: float | None = None
    #: the rule's peer, what the parity tests compare it with and the benchmark
    #: times: ``package.name`` (``torch.optim.Adam``, ``optax.lion``,
    #: ``schedulefree.SGDScheduleFree``), None for none
    peer: str | None = None
    #: arrays a second pass reads again (LAMB's p, m, v), for the benchmark's traffic
    rereads: int = 0
    # Derived once, for the per-step call (a few hundred ns count there):
    #: ``call(step_fn, params, grads, state, hyper, lr, step, nonfinite)``: the
    #: step with its arguments written out from the row (see ``_written_call``)
    call: Callable[..., Any] = field(init=False, repr=False, compare=False)
    #: the same with every argument positional, in :attr:`step_order`, for a
    #: binding (``core`` of a native step), which takes them in that order
    call_positional: Callable[..., Any] = field(init=False, repr=False, compare=False)
    #: ``call_with_ema(fused, ema, decay, params, grads, state, hyper, lr, step,
    #: nonfinite)``: :attr:`call_positional` through the binding that fuses the
    #: params' moving average into the step (``_core.step_with_ema``), with
    #: this rule's step named in it
    call_with_ema: Callable[..., Any] = field(init=False, repr=False, compare=False)
    #: ``call_own(optimizer, grads)``: :attr:`call_positional` of the
    #: optimizer's ``_step_fn`` on its params, state, hyperparameters, step
    #: count + 1 and ``nonfinite``, read in the same frame (one Python call
    #: less per step of :meth:`steepest.optim.Optimizer.step`)
    call_own: Callable[..., Any] = field(init=False, repr=False, compare=False)
    #: the functional step's parameter names in order (tests/test_rules.py
    #: holds both backends' signatures and the bindings to it)
    step_order: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: every hyperparameter's name, in the class signature's order
    hyper_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: the hyperparameters passed to the step under their own name
    step_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: (hyperparameter, step keywords) for those split into several (betas)
    step_splits: tuple[tuple[str, tuple[str, ...]], ...] = field(
        init=False, repr=False, compare=False
    )
    #: every state slot's name, in the step's positional order
    slot_names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds = [s.scalar for s in self.state]
        if kinds != sorted(kinds):
            msg = f"Rule {self.name}: scalar slots must follow the array slots"
            raise ValueError(msg)
        names = tuple(h.name for h in self.hyper if h.to_step is None)
        splits = tuple((h.name, h.to_step) for h in self.hyper if h.to_step)
        object.__setattr__(self, "hyper_names", tuple(h.name for h in self.hyper))
        object.__setattr__(self, "step_names", names)
        object.__setattr__(self, "step_splits", splits)
        object.__setattr__(self, "slot_names", tuple(s.name for s in self.state))
        arguments = _step_arguments(self)
        object.__setattr__(self, "step_order", tuple(name for name, _ in arguments))
        object.__setattr__(self, "call", _written_call(arguments, positional=False))
        object.__setattr__(
            self, "call_positional", _written_call(arguments, positional=True)
        )
        object.__setattr__(
            self,
            "call_with_ema",
            _written_call(arguments, positional=True, fused_ema=self.step),
        )
        object.__setattr__(
            self, "call_own", _written_call(arguments, positional=True, own=True)
        )

    @property
    def in_torch(self) -> bool:
        """Whether the peer is torch.optim's class of the same name."""
        return self.peer == f"torch.optim.{self.cls}"

    @property
    def peer_package(self) -> str | None:
        """The package the peer comes from (``torch``, ``optax``, ...), None for none."""
        return None if self.peer is None else self.peer.partition(".")[0]

    @property
    def peer_module(self) -> str | None:
        """The module to import the peer from (``torch.optim``, ``optax``, ...)."""
        return None if self.peer is None else self.peer.rpartition(".")[0]

    @property
    def peer_name(self) -> str | None:
        """The peer's name in :attr:`peer_module` (``Adam``, ``lion``, ...)."""
        return None if self.peer is None else self.peer.rpartition(".")[2]

    @property
    def peer_on_torch(self) -> bool:
        """Whether the peer is a torch optimizer (:data:`TORCH_PEER_PACKAGES`)."""
        return self.peer_package in TORCH_PEER_PACKAGES

    def defaults(self) -> dict[str, Any]:
        """The class's hyperparameters with their defaults (REQUIRED for none)."""
        return {h.name: h.default for h in self.hyper}

    def suggested_lr(self) -> float:
        """The tools' learning rate: :attr:`tools_lr`, else torch's default."""
        return float(self.defaults()["lr"]) if self.tools_lr is None else self.tools_lr

    def checked(
        self, fn: str, hyper: Mapping[str, Any], *, flags: bool = True
    ) -> dict[str, Any]:
        """A copy of ``hyper`` checked, flags first, flags made bools.

        ``flags=False`` leaves the flags unchecked (torch accepts any truthy value).
        """
        out = dict(hyper)
        if flags:
            for h in self.hyper:
                if h.is_flag:
                    out[h.name] = h.check(fn, h.name, out[h.name])
        for h in self.hyper:
            if not h.is_flag:
                h.check(fn, h.name, out[h.name])
        if self.check_together is not None:
            self.check_together(fn, out)
        return out

    def check_step(self, fn: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """The functional step's hyperparameters, taken from ``args`` and checked.

        The order of the native binding: every number converted to a float
        (TypeError for a non-number), then the flags made bools, then each
        number's range, then the check across hyperparameters.
        """
        keys = [(name, check, h) for h in self.hyper for name, check in h.step_checks()]
        out = {name: args[name] for name, _, _ in keys}
        for name, _, h in keys:
            if not h.is_flag:
                out[name] = v.real(fn, name, out[name])
        for name, check, h in keys:
            if h.is_flag:
                out[name] = check(fn, name, out[name])
        for name, check, h in keys:
            if not h.is_flag:
                check(fn, name, out[name])
        if self.check_together is not None:
            self.check_together(fn, out)
        return out

    def active(self, hyper: Mapping[str, Any]) -> tuple[Slot, ...]:
        """The state arrays the rule keeps under ``hyper``, in the step's order."""
        return tuple(s for s in self.state if s.when is None or bool(hyper[s.when]))

    def state_names(self, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(s.name for s in self.active(hyper))

    def published_slot(self) -> str | None:
        """The slot whose arrays a fit publishes instead of the params, if any."""
        return next((s.name for s in self.state if s.published), None)

    def torch_state_names(self, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(s.torch for s in self.active(hyper) if not s.in_group)

    def initial_value(self, slot: Slot, hyper: Mapping[str, Any]) -> float:
        """What ``slot`` starts at: 0, its constant or the hyperparameter it names."""
        if slot.init is None:
            return 0.0
        if isinstance(slot.init, str):
            return float(hyper[slot.init])
        return float(slot.init)

    def step_kwargs(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        """The functional step's keywords (but ``step`` and ``nonfinite``) from ``hyper``."""
        out = {name: hyper[name] for name in self.step_names}
        for name, keys in self.step_splits:
            out.update(zip(keys, hyper[name], strict=True))
        return out


def _step_arguments(rule: Rule) -> list[tuple[str, str]]:
    """(parameter, expression) for each argument of the functional step, in order.

    The expressions read the names of :func:`_written_call`'s functions.
    """
    args = [("param", "params"), ("grad", "grads")]
    args += [(s.name, f"state.get({s.name!r})") for s in rule.state]
    if rule.takes_step:
        args.append(("step", "step"))
    args.append(("lr", "lr"))
    for h in rule.hyper:
        if h.name == "lr":
            continue
        if h.to_step is None:
            args.append((h.name, f"hyper[{h.name!r}]"))
        else:  # () for a hyperparameter only the class uses
            args += [(k, f"hyper[{h.name!r}][{i}]") for i, k in enumerate(h.to_step)]
    args.append(("nonfinite", "nonfinite"))
    return args


def _written_call(
    arguments: list[tuple[str, str]],
    *,
    positional: bool,
    fused_ema: str | None = None,
    own: bool = False,
) -> Callable[..., Any]:
    """The functional step's call with every argument written out.

    What a class would write by hand: the state arrays by name, then literal
    keywords (or, for a binding, every argument in its place). A generic
    ``step_fn(*states, **kwargs)`` costs about 0.5 us more per step, a third
    of a step on a small array. Built from the names in the table (never
    from user input) the way ``dataclasses`` builds methods. With
    ``fused_ema`` (the step's name) the call goes through the fused moving
    average's binding, ``step_fn(fused_ema, ema, decay, *arguments)``: a
    ``functools.partial`` made per step would cost about as much again.
    """
    # the arrays go by position, as the reference's signature puts them
    # before its ``*``; the rest by keyword
    arrays = 2 + sum(1 for _, e in arguments if e.startswith("state."))
    passed = [
        e if positional or i < arrays else f"{n}={e}"
        for i, (n, e) in enumerate(arguments)
    ]
    head, before = "", ""
    if fused_ema is not None:
        head, before = "ema, decay, ", f"{fused_ema!r}, ema, decay, "
    source = (
        f"def call(step_fn, {head}params, grads, state, hyper, lr, step, nonfinite):\n"
        f"    return step_fn({before}{', '.join(passed)})\n"
    )
    if own:  # the same names, read from the optimizer (Rule.call_own)
        source = (
            "def call(opt, grads):\n"
            "    params, state, hyper = opt.params, opt.state, opt.hyper\n"
            "    lr, step, nonfinite = hyper['lr'], opt.step_count + 1, opt.nonfinite\n"
            f"    return opt._step_fn({', '.join(passed)})\n"
        )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - the table's own names
    return cast(Callable[..., Any], namespace["call"])


#: the peer packages whose classes are torch optimizers (the benchmark runs
#: them in its torch process; optax's run on JAX)
TORCH_PEER_PACKAGES = ("torch", "schedulefree")


__all__ = ["REQUIRED", "TORCH_PEER_PACKAGES", "Check", "Hyper", "Rule", "Slot"]
