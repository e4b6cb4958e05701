"""Chooses the functional layer behind the classes: native or reference."""

from __future__ import annotations

from types import ModuleType

BACKENDS = ("native", "reference")


def functional(backend: str, owner: str) -> ModuleType:
    """The functional module for ``backend``; imports the extension only for native."""
    if backend == "native":
        from . import functional as native

        return native
    if backend == "reference":
        from .reference import functional as reference

        return reference
    msg = f"{owner}: backend must be 'native' or 'reference', got {backend!r}"
    raise ValueError(msg)
