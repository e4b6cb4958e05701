"""Start k worker processes on this machine and collect what each wrote.

torch: k Python processes joined by gloo over 127.0.0.1 (rank, size and port
in their environment, as ``torchrun`` would set them); mpi: ``mpiexec -n k``
of the PyPI MPICH runtime installed beside this Python.
"""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WORKER = Path(__file__).with_name("_worker.py")
# a whole run: process start-up (torch's import is seconds on a loaded machine) included
RUN_TIMEOUT = 300.0


def mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpiexec not found: install the 'mpi' extra (mpi4py, mpich)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def launch(
    engine: str, k: int, mode: str, outdir: Path, ranks: list[int] | None = None
) -> list[dict[str, Any]]:
    """Run the worker on k processes; the results of ``ranks`` (None: all)."""
    if engine == "torch":
        pytest.importorskip("torch")
    else:
        pytest.importorskip("mpi4py")
    env = dict(os.environ)
    # k processes share the machine's cores: one thread each
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, str(WORKER), engine, mode, str(outdir)]
    if engine == "torch":
        env.update(MASTER_PORT=str(_free_port()), WORLD_SIZE=str(k))
        procs = [
            subprocess.Popen(cmd, env={**env, "RANK": str(r)}, stderr=subprocess.PIPE)
            for r in range(k)
        ]
    else:
        procs = [
            subprocess.Popen(
                [mpiexec(), "-n", str(k), *cmd], env=env, stderr=subprocess.PIPE
            )
        ]
    errors = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail(f"{engine} workers still running after {RUN_TIMEOUT} s")
        errors.append(err.decode(errors="replace"))
    out = []
    for r in range(k) if ranks is None else ranks:
        path = outdir / f"rank{r}.pkl"
        if not path.exists():
            pytest.fail(f"rank {r} wrote no result; stderr:\n" + "\n".join(errors))
        res = pickle.loads(path.read_bytes())
        if "crash" in res:
            pytest.fail(f"rank {r} crashed:\n{res['crash']}")
        out.append(res)
    return out


__all__ = ["launch", "mpiexec"]
