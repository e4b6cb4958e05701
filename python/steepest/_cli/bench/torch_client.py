"""The benchmark's handle on torch's process (:mod:`.torch_worker`, which runs
by path and imports nothing of steepest): how it is started, with which
``OMP_WAIT_POLICY``, and its request protocol from the parent's side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from . import torch_worker


def launch_wait_policy() -> tuple[str | None, str]:
    """``OMP_WAIT_POLICY`` as the user set it, and how that is known.

    steepest's ``__init__`` has run ``os.environ.setdefault("OMP_WAIT_POLICY",
    "passive")`` before any of this executes. A value other than passive is
    the user's. For passive, the environment the process was started with
    (``/proc/self/environ``, which ``os.environ`` changes do not touch) says
    whether the user set it; where that is unreadable, passive is taken to be
    steepest's and dropped.
    """
    now = os.environ.get("OMP_WAIT_POLICY")
    if now is None or now.lower() != "passive":
        return now, "the user's, not steepest's passive"
    try:
        with open("/proc/self/environ", "rb") as f:
            start = f.read().split(b"\0")
    except OSError:
        return None, "passive taken for steepest's and dropped: no /proc/self/environ"
    for entry in start:
        if entry.startswith(b"OMP_WAIT_POLICY="):
            return entry.partition(b"=")[2].decode(), "the user's: set at launch"
    return None, "steepest's passive dropped: unset at launch per /proc/self/environ"


class TorchWorker:
    """The child process, started once per run and fed one request at a time."""

    def __init__(self, threads: int) -> None:
        policy, how = launch_wait_policy()
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if policy is not None:
            env["OMP_WAIT_POLICY"] = policy
        cmd = [
            sys.executable,
            "-P",
            os.path.abspath(torch_worker.__file__),
            "--threads",
            str(threads),
        ]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        self.info: dict[str, Any] = self._read()
        self.notes: dict[str, str] = {}  # why an optional peer is absent, by name
        self.info["wait_policy_source"] = how
        if self.info.get("steepest_modules"):
            self.close()
            msg = f"the torch process imported {self.info['steepest_modules']}"
            raise RuntimeError(msg)

    @property
    def ok(self) -> bool:
        """Whether torch imported in the child."""
        return "error" not in self.info

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            msg = f"the torch process exited with status {self._proc.wait()}"
            raise RuntimeError(msg)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def request(self, **request: Any) -> dict[str, Any]:
        """Send one request line, return the reply; raises on an error reply."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def open(self, **request: Any) -> dict[str, dict[str, float] | None]:
        """Build and check the variants of one cell (the fields of :meth:`measure`
        but ``budget`` and ``repeats``, and ``others``: optional contenders of
        another class, name: ``{"peer": ..., "kwargs": ...}``): per variant its
        ``mismatch`` and the seconds of its ``first`` step, None if torch has
        no such variant or an optional one is absent (:attr:`notes` says why)."""
        reply = self.request(op="open", **request)
        self.notes.update(reply.get("notes", {}))
        variants: dict[str, dict[str, float] | None] = reply["variants"]
        return variants

    def run(self, variant: str, steps: int, evict: bool = False) -> float:
        """Seconds the child took for ``steps`` consecutive steps of ``variant``
        (with ``evict``, after its :func:`.torch_worker.evict_caches`, not timed)."""
        got = self.request(op="run", variant=variant, steps=steps, evict=evict)
        return float(got["seconds"])

    def close_cell(self) -> None:
        """Free the open cell's variants and their state."""
        self.request(op="close")

    def measure(self, **request: Any) -> dict[str, dict[str, Any]]:
        """Seconds per step of each torch variant; raises if a result is wrong.

        ``request`` holds ``peer``, ``kwargs``, ``variants`` (name: flags),
        ``count``, ``n``, ``dtype``, ``seed`` (inputs as :func:`.torch_worker.make_arrays`),
        ``expected`` (path of the reference's params after one step, all
        arrays concatenated), ``budget`` and ``repeats``.
        """
        results: dict[str, dict[str, Any]] = self.request(**request)["results"]
        return results

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
