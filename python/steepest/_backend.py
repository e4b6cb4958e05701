"""The backends behind the optimizer classes, by name: "native" or "reference".

A foundation module that knows no backend itself: each backend's package
registers itself when it is imported (``steepest`` as "native",
``steepest.reference`` as "reference"), and offers ``functional`` (the steps)
and ``schedules`` (``from_native``). The native package's attributes load the
extension only when first read, so choosing a backend imports nothing more.
"""

from __future__ import annotations

from types import ModuleType

BACKENDS = ("native", "reference")

_PACKAGES: dict[str, ModuleType] = {}


def register(name: str, package: ModuleType) -> None:
    """Make ``package`` the backend ``name`` (one of :data:`BACKENDS`)."""
    if name not in BACKENDS:
        msg = f"register: name must be one of {BACKENDS}, got {name!r}"
        raise ValueError(msg)
    _PACKAGES[name] = package


def check(owner: str, backend: object) -> str:
    """``backend`` if it names a backend; ValueError otherwise."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        msg = f"{owner}: backend must be 'native' or 'reference', got {backend!r}"
        raise ValueError(msg)
    return backend


def package(owner: str, backend: str) -> ModuleType:
    """The package of ``backend`` (checked), with ``functional`` and ``schedules``."""
    return _PACKAGES[check(owner, backend)]
