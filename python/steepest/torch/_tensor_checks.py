"""What the classes of :mod:`steepest.torch` check of what they are given.

Params and grads (dtype, layout, device, memory shared within a tensor:
every problem in the order checked, the first one raised), hyperparameters
given as tensors (torch allows a tensor ``lr``), torch.optim's code-path
flags (accepted at their defaults only), and the dtype torch keeps its step
counts in. :class:`steepest.torch._base.NativeOptimizer` calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NoReturn

import torch

from . import _layout

FLOATS = (torch.float32, torch.float64)
#: the param dtypes steepest steps (16-bit ones with float32 state)
PARAM_DTYPES = (*FLOATS, *_layout.HALVES)
# flags of torch.optim that choose how torch computes, with their only accepted value
FLAG_DEFAULTS = {
    "foreach": None,
    "fused": None,
    "capturable": False,
    "differentiable": False,
}
FLAG_REASONS = {
    "foreach": "steepest always updates a whole param group in one native call",
    "fused": "steepest's kernels are already fused",
    "capturable": "steepest runs on CPU tensors only",
    "differentiable": "a native step cannot be differentiated through",
}


def scalar_dtype() -> torch.dtype:
    """The dtype of ``state["step"]``: torch's rule (float32 unless the default is float64)."""
    return (
        torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    )


def plain(fn: str, name: str, x: Any) -> Any:
    """A group's value ``name`` with tensors as numbers, also inside a pair (betas)."""
    if isinstance(x, torch.Tensor):
        return number(fn, name, x)
    if isinstance(x, (tuple, list)):
        return type(x)(
            number(fn, f"{name}[{i}]", b) if isinstance(b, torch.Tensor) else b
            for i, b in enumerate(x)
        )
    return x


def number(fn: str, name: str, x: torch.Tensor) -> Any:
    """The number in a hyperparameter given as a tensor (torch allows ``lr``).

    torch takes any one-element tensor; anything else is refused here with
    the library's message rather than the RuntimeError of ``Tensor.item``.
    The number itself is then checked as any other value of ``name``.
    """
    if x.is_complex() or x.dtype == torch.bool:
        msg = (
            f"{fn}: {name} must be a real number or a one-element real tensor, "
            f"got a tensor of dtype {x.dtype}"
        )
        raise TypeError(msg)
    if x.numel() != 1:
        msg = (
            f"{fn}: {name} must be a number or a one-element tensor, got a tensor "
            f"of shape {tuple(x.shape)}"
        )
        raise ValueError(msg)
    if not x.is_cpu:
        msg = f"{fn}: {name} must be a CPU tensor, got one on device {x.device}"
        raise ValueError(msg)
    return x.item()


#: (is it so, the exception, what the message says after the tensor's name)
Problem = tuple[bool, type[Exception], str]


def param_problems(p: torch.Tensor) -> Iterator[Problem]:
    """What may be wrong with a param, in the order checked; lazily, as a
    later check may not apply to a tensor that failed an earlier one."""
    if p.is_complex():
        why = "complex tensors are not supported"
    elif p.is_floating_point():
        why = (
            f"{p.dtype} is not supported, only float32, float64, float16 and "
            "bfloat16 (keep a float32 copy of other low-precision params to optimise)"
        )
    else:
        why = "only float32, float64, float16 and bfloat16 params can be optimised"
    yield p.dtype not in PARAM_DTYPES, TypeError, f"has dtype {p.dtype}: {why}"
    yield (
        p.layout != torch.strided,
        TypeError,
        f"has layout {p.layout}; only dense (strided) tensors are supported",
    )
    yield (
        not p.is_cpu,
        ValueError,
        f"is on device {p.device}; steepest updates CPU tensors only",
    )
    yield (
        _layout.overlaps_itself(p),
        ValueError,
        (
            f"(shape {tuple(p.shape)}, strides {p.stride()}) has elements sharing "
            "memory (an expanded view?); steepest updates params in place, element "
            "by element: optimise a tensor that owns each element"
        ),
    )


def grad_problems(p: torch.Tensor, g: torch.Tensor) -> Iterator[Problem]:
    """What may be wrong with the grad ``g`` of ``p``, in the order checked."""
    yield (
        g.layout != torch.strided,
        TypeError,
        f"is sparse ({g.layout}); sparse gradients are not supported",
    )
    yield g.dtype != p.dtype, TypeError, f"has dtype {g.dtype}, the param {p.dtype}"
    yield not g.is_cpu, ValueError, f"is on device {g.device}, not the CPU"
    yield (
        g.shape != p.shape,
        ValueError,
        f"has shape {tuple(g.shape)}, the param {tuple(p.shape)}",
    )


def raise_first(fn: str, what: str, problems: Iterable[Problem]) -> NoReturn:
    """Raise the first of ``problems`` that is so, as "fn: what <message>"."""
    for is_so, error, message in problems:
        if is_so:
            msg = f"{fn}: {what} {message}"
            raise error(msg)
    raise AssertionError(what)  # pragma: no cover - only called after a check failed


__all__ = [
    "FLAG_DEFAULTS",
    "FLAG_REASONS",
    "PARAM_DTYPES",
    "Problem",
    "grad_problems",
    "number",
    "param_problems",
    "plain",
    "raise_first",
    "scalar_dtype",
]
