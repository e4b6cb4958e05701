"""Progress display of training loops: a tqdm bar, or plain lines without tqdm.

Used by the estimators' fit loop (:mod:`steepest.models._loop`, one step per
epoch) and usable by any loop that counts steps (the demo). tqdm is an
optional dependency (``pip install 'steepest[progress]'``); without it the
display falls back to one printed line per step, and says so once per
process. Tests: ``tests/test_progress.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sized
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")

#: the "tqdm is missing" note is printed once per process, not once per fit
_told_missing = False


def _load_tqdm() -> Any:
    """The ``tqdm.tqdm`` class, or None when tqdm cannot be imported."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return None
    return tqdm


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def wants_progress(
    progress: bool | None, verbose: bool, stream: IO[str] | None = None
) -> bool:
    """Whether a training loop shows a progress bar.

    Parameters
    ----------
    progress : bool or None
        True or False decide; None follows ``verbose``, but only when
        ``stream`` is a terminal (a log file or a CI job gets ``verbose``'s
        plain lines instead of a bar redrawn with carriage returns).
    verbose : bool
        The estimator's ``verbose``.
    stream : text stream or None
        Where the bar would go (default: ``sys.stderr`` at call time).

    Returns
    -------
    bool
    """
    if progress is not None:
        return progress
    return verbose and _is_terminal(sys.stderr if stream is None else stream)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class ProgressBar(Generic[T]):
    """A progress display over steps, with a subset of tqdm's API (see :func:`progress_bar`).

    Either iterate over it like over the wrapped iterable, or call
    :meth:`update` after each step (tqdm's two styles); :meth:`set_postfix`
    and :meth:`set_postfix_str` show per-step values. Close it (or use it as
    a context manager) so that the last line is printed when a loop breaks.
    """

    def __init__(
        self,
        items: Iterable[T] | None,
        total: int | None,
        desc: str,
        mode: str,
        file: IO[str] | None,
        unit: str,
    ) -> None:
        self._items = items
        self._total = total
        self._desc = desc
        self._mode = mode  # "off", "tqdm" or "lines"
        self._file = file
        self._unit = unit
        self._postfix = ""
        self._n = 0
        self._in_step = False  # an iterated step is running, its line not printed
        self._bar: Any = None
        if mode == "tqdm":
            self._bar = _load_tqdm()(
                items, total=total, desc=desc, unit=unit, file=file, leave=True,
                dynamic_ncols=True,
            )  # fmt: skip

    @property
    def mode(self) -> str:
        """``"off"``, ``"tqdm"`` (a bar) or ``"lines"`` (tqdm missing)."""
        return self._mode

    def __iter__(self) -> Iterator[T]:
        if self._bar is not None:
            yield from self._bar
            return
        if self._items is None:
            msg = "progress_bar: built from a total, not an iterable; call update()"
            raise TypeError(msg)
        for item in self._items:
            self._in_step = True
            yield item
            # a step's line is printed once the step is over (so it carries
            # that step's postfix); a loop that breaks leaves it to close()
            self._in_step = False
            self.update(1)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more steps done (one printed line in the fallback)."""
        if self._bar is not None:
            self._bar.update(n)
            return
        self._n += n
        if self._mode == "lines":
            of = "" if self._total is None else f"/{self._total}"
            line = f"{self._desc} {self._unit} {self._n}{of}"
            shown = f"{line}: {self._postfix}" if self._postfix else line
            print(shown, file=self._file or sys.stderr)

    def set_postfix(self, **values: Any) -> None:
        """Show ``values`` after the counter (floats with 4 significant digits, None skipped)."""
        shown = {k: _format(v) for k, v in values.items() if v is not None}
        if self._bar is not None:
            # no forced redraw: tqdm redraws on its own rate limit and at close
            self._bar.set_postfix(shown, refresh=False)
        self._postfix = ", ".join(f"{k} {v}" for k, v in shown.items())

    def set_postfix_str(self, text: str) -> None:
        """Show ``text`` after the counter."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
        self._postfix = text

    def close(self) -> None:
        """Finish the display (prints the last line, or leaves the bar drawn)."""
        if self._bar is not None:
            self._bar.close()
        elif self._in_step:
            self._in_step = False
            self.update(1)

    def __enter__(self) -> ProgressBar[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(
    iterable_or_total: Iterable[T] | int | None = None,
    desc: str = "",
    enabled: bool = True,
    *,
    total: int | None = None,
    file: IO[str] | None = None,
    unit: str = "it",
) -> ProgressBar[Any]:
    """Wrap a loop's steps in a progress display.

    Parameters
    ----------
    iterable_or_total : iterable, int or None, default=None
        The steps to iterate over, or their number ``n`` (iterating then
        yields ``range(n)``); None: no iterable, count steps with
        ``update()``.
    desc : str, default=""
        Label in front of the counter (e.g. the estimator's name).
    enabled : bool, default=True
        False: silent. True: a tqdm bar; without tqdm one line per step
        (``"<desc> <unit> i/n: <postfix>"``), preceded once per process by a
        note that tqdm is missing.
    total : int or None, default=None
        Number of steps when it is not given by ``iterable_or_total``.
    file : text stream or None, default=None
        Where to draw (default: ``sys.stderr`` at call time).
    unit : str, default="it"
        Name of one step.

    Returns
    -------
    ProgressBar
        Iterable over the steps, with ``update(n)``, ``set_postfix(**values)``,
        ``set_postfix_str(text)`` and ``close()``; a context manager.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with progress_bar(2, "demo", enabled=False, file=out) as bar:
    ...     for step in bar:
    ...         bar.set_postfix(loss=0.5 / (step + 1))
    >>> out.getvalue()
    ''
    """
    global _told_missing
    items: Iterable[Any] | None
    if isinstance(iterable_or_total, int):
        items, total = range(iterable_or_total), iterable_or_total
    else:
        items = iterable_or_total
        if total is None and isinstance(items, Sized):
            total = len(items)
    mode = "off"
    if enabled:
        mode = "tqdm" if _load_tqdm() is not None else "lines"
    if mode == "lines" and not _told_missing:
        _told_missing = True
        print(
            f"steepest: tqdm is not installed (pip install 'steepest[progress]'); "
            f"printing one line per {unit} instead of a progress bar",
            file=file or sys.stderr,
        )
    return ProgressBar(items, total, desc, mode, file, unit)


__all__ = ["ProgressBar", "progress_bar", "wants_progress"]
