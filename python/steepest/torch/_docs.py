"""The docstrings of the classes of :mod:`steepest.torch`, written from their spec rows."""

from __future__ import annotations

import textwrap

from .._rule_row import Rule

_SEE_SGD = "See :class:`steepest.torch.SGD`."


def class_doc(
    rule: Rule,
    summary: str,
    hyper: str,
    *,
    as_in: str = "same defaults; ``eps`` must be > 0",
    more: str = "",
    nonfinite: str = _SEE_SGD,
    notes: str,
) -> str:
    """The docstring of a class of :mod:`steepest.torch`, indented as in source.

    ``hyper`` names the torch hyperparameters of its signature, ``as_in``
    says what is as in ``torch.optim`` and ``more`` adds a sentence to it,
    ``nonfinite`` describes that argument and ``notes`` (with any further
    sections) ends the docstring; the rest comes from the spec row.
    """
    also = (
        " (``foreach``/``fused`` also False);\n    "
        if "fused" in rule.torch_flags
        else "; "
    )
    text = (
        f"{summary}; see :func:`steepest.functional.{rule.step}`.\n\n"
        "Parameters\n----------\n"
        "params : iterable of Tensor or of dict\n"
        "    Tensors to optimise (strided, CPU, float32/float64, or float16/bfloat16\n"
        "    with float32 state; any layout, see :mod:`steepest.torch`), or param\n"
        "    groups as in torch.\n"
        f"{hyper}\n    As in ``torch.optim.{rule.cls}`` ({as_in}).\n"
        + (f"    {more}\n" if more else "")
        + f"{', '.join(rule.torch_flags)}\n"
        f"    Accepted at torch's defaults only{also}any other value raises ValueError.\n"
        f'nonfinite : {{"ignore", "raise", "skip"}}\n    {nonfinite}\n\n'
        f"Notes\n-----\n{notes}"
    )
    return textwrap.indent(text, "    ").lstrip() + "\n    "


__all__ = ["class_doc"]
