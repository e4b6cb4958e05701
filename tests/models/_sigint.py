"""A child interpreter interrupted by SIGINT, for the estimators' Ctrl-C tests.

Twins: ``python/steepest/models/_rollback.py`` (what an interrupted epoch
undoes). Used by ``tests/models/test_faults.py`` and
``tests/models/test_interrupt.py``.

No sleeps: the child itself says when it is inside a native epoch (a line
``ready`` written by a thread that can only run once the C++ loop released
the GIL), and says when the interrupt landed (its SIGINT handler, which the
loop runs between batches, writes the time). Both times are
``time.monotonic`` (CLOCK_MONOTONIC, one clock for every process), so the
delay measured is the loop's, not the child's start-up or teardown.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

#: prepended to a child's script: ``ready`` once its ``at``-th native epoch
#: (``steepest._core.train_epoch`` call) is under way, ``landed <time>`` when
#: SIGINT reaches Python. Format with ``at``.
ANNOUNCE = """
import signal as _signal, sys as _sys, threading as _threading, time as _time
import steepest._core as _core_module

def _on_sigint(signum, frame):
    print("landed", _time.monotonic(), flush=True)
    raise KeyboardInterrupt

_signal.signal(_signal.SIGINT, _on_sigint)
# the GIL changes hands only where a thread blocks, never on a timer: the
# announcing thread runs only once the main thread let go of it
_sys.setswitchinterval(1000.0)
_real_train_epoch = _core_module.train_epoch
_epochs = [0]

def _announcing_train_epoch(*args, **kwargs):
    _epochs[0] += 1
    if _epochs[0] == {at}:
        go = _threading.Event()

        def announce():
            go.wait()  # wakes holding nothing: it gets the GIL inside the C++ loop
            print("ready", flush=True)

        _threading.Thread(target=announce, daemon=True).start()
        go.set()
    return _real_train_epoch(*args, **kwargs)

_core_module.train_epoch = _announcing_train_epoch
"""


@dataclass(frozen=True)
class Interrupted:
    out: str  # what the child printed after "ready", but the "landed" line
    err: str
    returncode: int
    waited: float  # seconds from the signal to the child's KeyboardInterrupt


def interrupt_child(script: str, *, timeout: float, at: int = 1) -> Interrupted:
    """Run ``script`` (after :data:`ANNOUNCE`); send SIGINT as soon as it is
    inside its ``at``-th native epoch."""
    child = subprocess.Popen(
        [sys.executable, "-c", ANNOUNCE.replace("{at}", str(at)) + script],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    # a child that never gets there is killed, and the readline below ends
    guard = threading.Timer(timeout, child.kill)
    guard.start()
    try:
        first = child.stdout.readline().strip()
    finally:
        guard.cancel()
    if first != "ready":
        child.kill()
        out, err = child.communicate()
        msg = f"the child never reached native epoch {at}: {first!r}\n{out}\n{err}"
        raise AssertionError(msg)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=timeout)
    landed = [line for line in out.splitlines() if line.startswith("landed ")]
    assert len(landed) == 1, out + err
    rest = "\n".join(
        line for line in out.splitlines() if not line.startswith("landed ")
    )
    return Interrupted(rest, err, child.returncode, float(landed[0].split()[1]) - sent)
