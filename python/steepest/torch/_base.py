"""The ``torch.optim.Optimizer`` subclass behind every class of :mod:`steepest.torch`.

It owns what is common to the rules: checking tensors (CPU, strided,
float32/float64, or float16/bfloat16 with float32 state) and flags (the
checks themselves in ``._tensor_checks``), lazy state in ``self.state[p]``
under torch's names, NumPy views of params, grads and state (no copies; a param that is not
contiguous is handled by ``._layout``), one native call per param group and
step count, and the repair of loaded state dicts.
What each rule keeps and which kernel it calls comes from its spec row
(:mod:`steepest._rules`): torch's state names, the checks, the step's keywords.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, overload

import torch

from .. import _checks as v
from .. import functional as F
from .._rules import Rule, Slot
from ..typing import FloatArray
from . import _layout
from ._layout import kernel_arrays, lay_out
from ._tensor_checks import (
    FLAG_DEFAULTS,
    FLAG_REASONS,
    PARAM_DTYPES,
    grad_problems,
    param_problems,
    plain,
    raise_first,
    scalar_dtype,
)

#: one param about to be stepped (the classes' ``_advance`` reads it)
_Item = _layout.Item

# a constructor's locals() that are not hyperparameters
_NOT_DEFAULTS = frozenset({"self", "params", "nonfinite", "__class__"})


class NativeOptimizer(torch.optim.Optimizer):
    """Base class: a ``torch.optim.Optimizer`` whose step runs steepest's kernels.

    Subclasses set :attr:`_rule` and may override :meth:`_rule_for`,
    :meth:`_step_number`, :meth:`_state_tensors` and :meth:`_advance`.
    """

    #: the spec row of the update rule
    _rule: ClassVar[Rule]

    def __init__(
        self,
        params: Iterable[Any],
        defaults: dict[str, Any],
        *,
        nonfinite: str,
    ) -> None:
        name = self._name()
        for flag in self._rule.torch_flags:
            self._check_flag(name, flag, defaults[flag])
        self._check_group(defaults)
        self.nonfinite = v.check_nonfinite(name, nonfinite)
        super().__init__(params, defaults)

    def _init_from(self, args: dict[str, Any]) -> None:
        """Construct from ``args``, the ``locals()`` of a class's constructor
        with torch's signature (written out once): all but ``params`` and
        ``nonfinite`` are the defaults of its param groups, in that order."""
        defaults = {k: val for k, val in args.items() if k not in _NOT_DEFAULTS}
        NativeOptimizer.__init__(
            self, args["params"], defaults, nonfinite=args["nonfinite"]
        )

    # -- the rule --------------------------------------------------------------
    def _rule_for(self, group: dict[str, Any]) -> Rule:
        """The rule a group runs (Adam's ``decoupled_weight_decay`` makes it AdamW)."""
        return self._rule

    def _hyper(self, group: dict[str, Any], fn: str | None = None) -> dict[str, Any]:
        """The rule's hyperparameters of ``group``, one-element tensors as numbers
        (TypeError/ValueError from ``fn``, the class by default, for other tensors)."""
        fn = fn or self._name()
        return {name: plain(fn, name, group[name]) for name in self._rule.hyper_names}

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for a hyperparameter out of range (flags as torch: unchecked)."""
        self._rule.checked(self._name(), self._hyper(group), flags=False)

    def _run(
        self,
        group: dict[str, Any],
        params: list[FloatArray],
        grads: list[FloatArray],
        state: dict[str, list[FloatArray]],
        step: int,
    ) -> bool:
        """Call the kernel on one bucket of params (``state`` under steepest's
        names); True if it applied the step."""
        rule = self._rule_for(group)
        hyper = self._hyper(group, rule.step)
        kernel = getattr(F, rule.step)
        return bool(
            rule.call(
                kernel, params, grads, state, hyper, hyper["lr"], step, self.nonfinite
            )
        )

    def _step_number(self, group: dict[str, Any], state: dict[str, Any]) -> int:
        """The step the kernel is told, 1 for the first (``state["step"]`` + 1).

        A rule that ignores the step count (RMSprop) gets 0 for every param,
        so the whole group takes one call.
        """
        return int(state["step"]) + 1 if self._rule.takes_step else 0

    def _advance(self, group: dict[str, Any], items: list[_Item]) -> None:
        """Record an applied step in the state (torch's ``step_t += 1``)."""
        for item in items:
            # through a NumPy view: a tensor's in-place add costs several µs
            view = item.state["step"].numpy()
            view += 1

    def _state_tensors(
        self,
        group: dict[str, Any],
        p: torch.Tensor,
        state: dict[str, Any],
        slots: tuple[Slot, ...],
    ) -> list[torch.Tensor]:
        """The tensors of ``p`` for the rule's active ``slots``, created on first
        use (torch's lazy init) where the rule says they start (zeros, or
        Adagrad's ``initial_accumulator_value``); a per-param scalar (NAdam's
        ``mu_product``) is a 0-d tensor of torch's scalar dtype, as torch's."""
        if "step" not in state:
            state["step"] = torch.zeros((), dtype=scalar_dtype())
        out = []
        for slot in slots:
            t = state.get(slot.torch)
            if t is None:
                # only a slot that starts at a hyperparameter reads the group here
                # (the step's own reading reports a bad one, with its place)
                hyper = self._hyper(group) if isinstance(slot.init, str) else {}
                fill = self._rule.initial_value(slot, hyper)
                if slot.scalar:
                    t = state[slot.torch] = torch.tensor(fill, dtype=scalar_dtype())
                else:
                    t = state[slot.torch] = _layout.new_state(p, fill)
            out.append(t)
        return out

    # -- checks ----------------------------------------------------------------
    @classmethod
    def _name(cls) -> str:
        return f"steepest.torch.{cls.__name__}"

    @staticmethod
    def _check_flag(fn: str, flag: str, value: Any) -> None:
        default = FLAG_DEFAULTS[flag]
        # torch treats fused=False and foreach=False like None on CPU
        if value is default or (default is None and value is False):
            return
        msg = (
            f"{fn}: {flag}={value!r} is not supported ({FLAG_REASONS[flag]}); "
            f"leave {flag} at its default {default!r}"
        )
        raise ValueError(msg)

    def _check_param(self, where: str, p: torch.Tensor) -> None:
        ok = p.dtype in PARAM_DTYPES and p.layout == torch.strided and p.is_cpu
        # the usual case first, decided by the cheapest attributes
        if ok and (p.is_contiguous() or not _layout.overlaps_itself(p)):
            return
        raise_first(self._name(), where, param_problems(p))

    def _checked_grad(
        self, where: str, p: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        strided = g.layout == torch.strided
        if g.dtype == p.dtype and strided and g.is_cpu and g.shape == p.shape:
            # grads are only read, so a strided one may be copied (a param not
            # contiguous has its grad laid out by _layout.lay_out)
            if not g.is_contiguous() and p.is_contiguous():
                g = g.contiguous()
            return g.detach() if g.requires_grad else g
        raise_first(self._name(), f"the grad of {where}", grad_problems(p, g))

    def _check_overlap(self) -> None:
        """ValueError if a param of the newest group shares memory with any param.

        One sweep over the params sorted by address: a span overlaps an earlier
        one of a set exactly when it starts before the largest end in that set.
        A span runs from a param's first element to its last, so views with
        gaps whose spans interleave (``w[:, :3]`` and ``w[:, 3:]``) count as
        overlapping: refused, never updated twice.
        """
        last = len(self.param_groups) - 1
        spans = sorted(
            (p.data_ptr(), p.data_ptr() + _layout.span_bytes(p), gi, j)
            for gi, group in enumerate(self.param_groups)
            for j, p in enumerate(group["params"])
            if p.numel()
        )
        # the span reaching furthest so far, among old params and among new ones
        reach: dict[bool, tuple[int, int, int, int] | None] = {False: None, True: None}
        for span in spans:
            is_new = span[2] == last
            for other in (True, False) if is_new else (True,):
                prev = reach[other]
                if prev is not None and span[0] < prev[1]:
                    msg = (
                        f"{self._name()}: param_groups[{span[2]}]['params'][{span[3]}] "
                        f"overlaps param_groups[{prev[2]}]['params'][{prev[3]}] in "
                        "memory; each param must own its memory (views of one buffer "
                        "may not overlap)"
                    )
                    raise ValueError(msg)
            prev = reach[is_new]
            if prev is None or span[1] > prev[1]:
                reach[is_new] = span

    # -- torch.optim.Optimizer API ---------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group as torch does, then check its tensors and hyperparameters.

        Raises
        ------
        TypeError, ValueError
            A param is not a strided CPU float32/float64/float16/bfloat16 tensor, it shares
            memory with another param or within itself, a flag is not at its
            default or a hyperparameter is out of range. The group is not added.
        """
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            gi = len(self.param_groups) - 1
            for flag in self._rule.torch_flags:
                self._check_flag(self._name(), flag, group[flag])
            self._check_group(group)
            for j, p in enumerate(group["params"]):
                self._check_param(f"param_groups[{gi}]['params'][{j}]", p)
            self._check_overlap()
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise
        self._init_group(group)

    def _init_group(self, group: dict[str, Any]) -> None:
        """State created with the group (only Adagrad does, as in torch)."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore (pickle, :meth:`load_state_dict`) and adapt torch's conventions.

        Missing hyperparameters take the defaults, ``foreach``/``fused`` of a
        torch.optim state dict are reset to None (they only chose torch's code
        path), a number ``step`` becomes a tensor and a state tensor laid out
        otherwise than its param is copied to the param's layout (contiguous
        for a param that is not dense; see ``._layout``).
        """
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
            for flag in ("foreach", "fused"):
                if flag in self._rule.torch_flags:
                    group[flag] = None
            self._fix_group(group)
        scalars = {"step"} | {s.torch for s in self._rule.state if s.scalar}
        for p, st in self.state.items():
            for key, value in list(st.items()):
                if key in scalars:
                    if not torch.is_tensor(value):
                        st[key] = torch.tensor(float(value), dtype=scalar_dtype())
                    if key != "step" and st[key].shape != ():
                        msg = (
                            f"{self._name()}: loaded state {key!r} has shape "
                            f"{tuple(st[key].shape)}; expected a 0-d tensor"
                        )
                        raise ValueError(msg)
                    continue
                if torch.is_tensor(p) and st[key].shape != p.shape:
                    msg = (
                        f"{self._name()}: loaded state {key!r} has shape "
                        f"{tuple(st[key].shape)} but its param {tuple(p.shape)}"
                    )
                    raise ValueError(msg)
                if torch.is_tensor(value) and torch.is_tensor(p):
                    st[key] = _layout.laid_out_for(p, value)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's, but a float16 or bfloat16 param's state stays float32.

        torch casts every loaded state tensor (but ``step``) to its param's
        dtype; here a 16-bit param's array state is the saved values in
        float32 (exact: torch.optim's 16-bit state is widened) and its
        per-param scalars keep a float32/float64 dtype (torch's scalar dtype
        for any other).
        """
        super().load_state_dict(state_dict)
        scalars = {s.torch for s in self._rule.state if s.scalar}
        params = [p for g in self.param_groups for p in g["params"]]
        _layout.keep_wide_state(self.state, params, state_dict, scalars, scalar_dtype())

    def _fix_group(self, group: dict[str, Any]) -> None:
        """Hook for a class that pins a hyperparameter (AdamW's decoupled decay)."""

    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Update every param that has a gradient, one native call per group.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; called first, with
            gradients enabled, as torch does.

        Returns
        -------
        float or None
            The closure's loss, or None without a closure.

        Raises
        ------
        TypeError, ValueError
            A param or grad is not a strided CPU float32/float64/float16/bfloat16 tensor,
            params overlap in memory, a hyperparameter is out of range,
            or (``nonfinite="raise"``) a gradient is not finite. Nothing of
            the failing group has been written.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for gi, group in enumerate(self.param_groups):
            self._step_group(gi, group)
        return loss

    def _step_group(self, gi: int, group: dict[str, Any]) -> None:
        fn = self._name()
        for flag in self._rule.torch_flags:
            self._check_flag(fn, flag, group[flag])
        try:
            # a hyperparameter set on the group since (by a user or a scheduler)
            # is refused before any state is created from it (Rprop's step sizes)
            self._hyper(group, self._rule_for(group).step)
        except (TypeError, ValueError) as err:
            msg = f"{fn}.step: param group {gi}: {err}"
            raise type(err)(msg) from err
        buckets: dict[int, list[_Item]] = {}
        slots = self._rule.active(group)
        laid_out = False  # whether some param is not contiguous
        for j, p in enumerate(group["params"]):
            if p.grad is None:
                continue
            where = f"param_groups[{gi}]['params'][{j}]"
            self._check_param(where, p)
            grad = self._checked_grad(where, p, p.grad)
            state = self.state[p]
            tensors = self._state_tensors(group, p, state, slots)
            item = _Item(j, p, grad, state, tensors)
            if not p.is_contiguous():
                lay_out(item, slots)
                laid_out = True
            buckets.setdefault(self._step_number(group, state), []).append(item)
        for step, items in buckets.items():
            if laid_out:
                params, grads, arrays = kernel_arrays(items, slots)
            else:
                # zero copy: CPU tensors and these arrays share memory
                params = [_layout.as_numpy(it.param) for it in items]
                grads = [_layout.as_numpy(it.grad) for it in items]
                arrays = {
                    slot.name: [_layout.as_numpy(it.tensors[k]) for it in items]
                    for k, slot in enumerate(slots)
                }
            try:
                applied = self._run(group, params, grads, arrays, step)
            except (TypeError, ValueError) as err:
                where = ", ".join(str(it.index) for it in items)
                msg = (
                    f"{fn}.step: param group {gi}: {err} (the kernel's list holds "
                    f"param_groups[{gi}]['params'][i] for i in [{where}])"
                )
                raise type(err)(msg) from err
            if applied:
                for it in items:
                    if it.gathered is not None:  # the whole step, or nothing
                        it.param.detach().copy_(it.gathered)
                self._advance(group, items)
                # autograd must see the in-place write, as with torch's own ops
                torch.autograd.graph.increment_version([it.param for it in items])

    def __repr__(self) -> str:
        return "steepest.torch." + super().__repr__()
