"""A child interpreter interrupted by SIGINT, for the estimators' Ctrl-C tests.

Twins: ``python/steepest/models/_rollback.py`` (what an interrupted epoch
undoes). Used by ``tests/models/test_faults.py`` and
``tests/models/test_interrupt.py``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Interrupted:
    out: str  # what the child printed after "ready"
    err: str
    returncode: int
    waited: float  # seconds from the signal to the child's exit


def interrupt_child(script: str, *, timeout: float) -> Interrupted:
    """Run ``script``; send SIGINT 1 s after it prints ``ready`` (its first line)."""
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=timeout)
    return Interrupted(out, err, child.returncode, time.perf_counter() - sent)
