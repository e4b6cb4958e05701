"""Params of any strided layout handed to kernels that take C-contiguous arrays.

The update rules act element by element, so a kernel may walk a param in any
order as long as its grad and every state tensor put the same element at the
same place. Two cases, as torch creates state (``preserve_format``):

- a *dense* param (its elements fill one block of memory without gaps or
  repeats, in any order of dimensions: ``channels_last`` conv weights, a
  transposed matrix) keeps its grad and state in its own layout, and the
  kernel updates all of them in place through 1-D views of their blocks;
- any other view (a slice with gaps, say ``w[:, :3]``) gets contiguous state
  and is *gathered*: the kernel updates a contiguous copy, which is copied
  back once the step has been applied. That costs two extra reads and two
  extra writes of the param per step and a temporary of its size.

A param whose elements share memory (``expand``) is refused: no in-place
update of it means one thing.

A float16 or bfloat16 param keeps float32 state (the kernels widen its
elements to float32 and round the result back); a bfloat16 tensor reaches
NumPy as an ``ml_dtypes.bfloat16`` view of the same memory.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._rules import Slot
from ..typing import FloatArray


def _dims(t: torch.Tensor) -> list[tuple[int, int]]:
    """(stride, size) of the dimensions that step through memory, inner first."""
    return sorted((st, n) for st, n in zip(t.stride(), t.shape, strict=True) if n > 1)


def is_dense(t: torch.Tensor) -> bool:
    """Whether ``t``'s elements fill one block of memory exactly (torch's
    "non-overlapping and dense"), whatever the order of its dimensions."""
    expected = 1
    for st, n in _dims(t):
        if st != expected:
            return False
        expected *= n
    return True


def overlaps_itself(t: torch.Tensor) -> bool:
    """Whether two elements of ``t`` may share memory.

    Sufficient for no overlap: each dimension's stride, inner first, steps
    past every offset the inner ones reach. A tensor failing it (an expanded
    one) is refused, even in the odd case where it does not overlap.
    """
    if t.numel() == 0:
        return False
    reach = 0
    for st, n in _dims(t):
        if st <= reach:
            return True
        reach += st * (n - 1)
    return False


def span_bytes(t: torch.Tensor) -> int:
    """Bytes from ``t``'s first element to the end of its last (gaps included)."""
    if t.numel() == 0:
        return 0
    last = sum(st * (n - 1) for st, n in zip(t.stride(), t.shape, strict=True))
    return (last + 1) * t.element_size()


def same_layout(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether ``a`` and ``b`` put every element at the same offset."""
    return a.shape == b.shape and all(
        sa == sb
        for sa, sb, n in zip(a.stride(), b.stride(), a.shape, strict=True)
        if n > 1
    )


def fits(p: torch.Tensor, t: torch.Tensor) -> bool:
    """Whether ``t`` (a grad or state of ``p``) is laid out as the kernel needs:
    as ``p`` for a dense param, contiguous for any other."""
    return same_layout(t, p) if is_dense(p) else t.is_contiguous()


def laid_out_for(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``t`` itself if it :func:`fits` ``p``, else a copy that does."""
    if fits(p, t):
        return t
    if not is_dense(p):
        # not empty_like: its preserve_format keeps a permuted order of p's dims
        return t.contiguous()
    return torch.empty_like(p, dtype=t.dtype, requires_grad=False).copy_(t)


#: params stored in 16 bits, whose state is float32
HALVES = (torch.float16, torch.bfloat16)


def state_dtype(p: torch.Tensor) -> torch.dtype:
    """The dtype of ``p``'s state arrays: float32 for a 16-bit param, else p's."""
    return torch.float32 if p.dtype in HALVES else p.dtype


def new_state(p: torch.Tensor, fill: float | None) -> torch.Tensor:
    """A state tensor for ``p`` that :func:`fits` it, filled (None: uninitialised)."""
    dtype = state_dtype(p)
    if is_dense(p):
        # p's layout, as torch's preserve_format
        t = torch.empty_like(p, dtype=dtype, requires_grad=False)
    else:
        t = torch.empty(p.shape, dtype=dtype, device=p.device)
    return t if fill is None else t.fill_(fill)


def keep_wide_state(
    state: Any,
    params: list[torch.Tensor],
    saved: dict[str, Any],
    scalars: set[str],
    scalar_dtype: torch.dtype,
) -> None:
    """After torch's ``load_state_dict`` (which casts every state tensor but
    ``step`` to its param's dtype): each 16-bit param's array state from the
    ``saved`` dict in float32 (exact: widening), laid out as the param, and its
    per-param ``scalars`` in their saved float32/float64 (else ``scalar_dtype``)."""
    ids = [i for g in saved["param_groups"] for i in g["params"]]
    for pid, p in zip(ids, params, strict=True):
        values = saved["state"].get(pid)
        if p.dtype not in HALVES or values is None:
            continue
        st = state[p]
        for key, value in values.items():
            if key == "step" or not torch.is_tensor(value):
                continue
            if key in scalars:
                wide = (torch.float32, torch.float64)
                dtype = value.dtype if value.dtype in wide else scalar_dtype
                st[key] = value.detach().to(dtype, copy=True)
            elif value.is_floating_point():
                st[key] = laid_out_for(p, value.detach().to(torch.float32, copy=True))


@functools.cache
def _bfloat16() -> np.dtype[Any]:
    try:
        import ml_dtypes  # only bfloat16 params need it
    except ImportError as err:
        msg = (
            "steepest.torch: bfloat16 params need the ml_dtypes package (NumPy's "
            "bfloat16): pip install ml_dtypes"
        )
        raise ImportError(msg) from err
    dtype: np.dtype[Any] = np.dtype(ml_dtypes.bfloat16)
    return dtype


def as_numpy(t: torch.Tensor) -> FloatArray:
    """A NumPy view of a CPU tensor, no copy (bfloat16 as ml_dtypes')."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(_bfloat16())
    return t.numpy()


def flat(t: torch.Tensor) -> FloatArray:
    """A 1-D NumPy view of a dense tensor's block of memory, no copy."""
    return as_numpy(t.detach().as_strided((t.numel(),), (1,)))


@dataclass
class Item:
    """One param of a group about to be stepped, with its grad and state tensors."""

    index: int
    param: torch.Tensor
    grad: torch.Tensor
    state: dict[str, Any]
    tensors: list[torch.Tensor]
    #: for a param that is not contiguous (see the module documentation): the
    #: kernel takes 1-D views of the dense blocks of param, grad and state
    #: (flat), or updates a copy of the param (gathered), written back once
    #: the step is applied
    flat: bool = False
    gathered: torch.Tensor | None = None


def lay_out(item: Item, slots: tuple[Slot, ...]) -> None:
    """Ready a param that is not contiguous for the kernel (see the module):
    its grad and state laid out as it (a state tensor that is not is replaced
    by a copy that is, in the state too), and a copy of it to update when it
    is not dense."""
    p = item.param
    item.grad = laid_out_for(p, item.grad)
    for k, (slot, t) in enumerate(zip(slots, item.tensors, strict=True)):
        if slot.scalar:  # a per-param scalar (NAdam's mu_product) has no layout
            continue
        fitting = laid_out_for(p, t)
        if fitting is not t:
            item.tensors[k] = fitting
            if item.state.get(slot.torch) is t:
                item.state[slot.torch] = fitting
    if is_dense(p):
        item.flat = True
    else:
        item.gathered = p.detach().contiguous()


def kernel_arrays(
    items: list[Item], slots: tuple[Slot, ...]
) -> tuple[list[FloatArray], list[FloatArray], dict[str, list[FloatArray]]]:
    """The kernel's params, grads and state arrays of ``items``, some laid out
    by :func:`lay_out`: 1-D views of the dense ones, the gathered copies."""

    def view(it: Item, t: torch.Tensor, scalar: bool = False) -> FloatArray:
        return flat(t) if it.flat and not scalar else as_numpy(t)

    params = [
        as_numpy(it.gathered) if it.gathered is not None else view(it, it.param)
        for it in items
    ]
    grads = [view(it, it.grad) for it in items]
    arrays = {
        slot.name: [view(it, it.tensors[k], slot.scalar) for it in items]
        for k, slot in enumerate(slots)
    }
    return params, grads, arrays
