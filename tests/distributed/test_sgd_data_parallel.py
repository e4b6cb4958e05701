"""SGDClassifier / SGDRegressor with ``comm=`` on 2 and 3 processes (gloo, MPI).

Twins: ``python/steepest/models/_sgd_parallel.py`` and the mini-batch epoch
with its all-reduce (``cpp/include/steepest/sgd/batch.hpp``,
``python/steepest/reference/sgd_batch.py``). One launch per (engine, k) runs
every case of ``_sgd_cases`` on both backends (``_worker.py``, mode
``sgd``); the tests compare what each rank wrote with one process trained
here with batch ``k*b`` over the same global batches. Also here: a rank
whose own sample weights are all 0 (SGD and LinearRegression), and Ctrl-C
(SIGINT) on one rank.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import steepest
from steepest.distributed import LocalCommunicator

from . import _cases as cs
from . import _sgd_cases as sc
from ._launch import RUN_TIMEOUT, launch

RUNS = [("torch", 2), ("torch", 3), ("mpi", 2)]
BACKENDS = ["native", "reference"]
FAILURE_SLACK = 60.0  # test_data_parallel's: process start-up on a loaded machine


@pytest.fixture(scope="module", params=RUNS, ids=lambda r: f"{r[0]}-{r[1]}")
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, list[dict[str, Any]]]:
    engine, k = request.param
    out = tmp_path_factory.mktemp(f"sgd-{engine}{k}")
    return k, launch(engine, k, "sgd", out)


def _same_on_every_rank(results: list[dict[str, Any]], key: str) -> dict[str, Any]:
    first = results[0][key]
    for res in results[1:]:
        other = res[key]
        np.testing.assert_array_equal(other["coef"], first["coef"])
        np.testing.assert_array_equal(other["intercept"], first["intercept"])
        for name, arrays in first["state"].items():
            for a, b in zip(arrays, other["state"][name], strict=True):
                np.testing.assert_array_equal(a, b)
        assert (other["n_iter"], other["t"]) == (first["n_iter"], first["t"])
        if first["classes"] is not None:
            np.testing.assert_array_equal(other["classes"], first["classes"])
    out: dict[str, Any] = first
    return out


def _close(got: dict[str, Any], one: Any) -> None:
    for a, b in ((got["coef"], one.coef_), (got["intercept"], one.intercept_)):
        scale = float(np.max(np.abs(b))) or 1.0
        assert a.dtype == np.asarray(b).dtype == one.coef_.dtype
        tol = cs.FLOAT32_RTOL if a.dtype == np.float32 else cs.FLOAT64_RTOL
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)
    assert got["n_iter"] == one.n_iter_
    assert got["t"] == one.t_
    assert one.coef_.dtype == one.get_params()["dtype"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sc.SGD_EQUIVALENT)
def test_matches_one_process_with_the_global_batch(
    run: tuple[int, list[dict[str, Any]]], name: str, backend: str
) -> None:
    k, results = run
    got = _same_on_every_rank(results, f"{name}/{backend}")
    case = sc.SGD_BY_NAME[name]
    one = sc.sgd_one_process(case, k, backend)
    _close(got, one)
    if "classes" in got and got["classes"] is not None:
        np.testing.assert_array_equal(got["classes"], one.classes_)
    if name == "tol":
        assert one.n_iter_ < one.max_iter  # the rule did stop training
    if name == "l1_no_intercept":
        assert np.all(one.intercept_ == 0)
        assert np.any(one.coef_ == 0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sc.SGD_ALIKE_ONLY)
def test_per_process_shuffles_and_splits_agree(
    run: tuple[int, list[dict[str, Any]]], name: str, backend: str
) -> None:
    _, results = run
    got = _same_on_every_rank(results, f"{name}/{backend}")
    if name == "early_stopping":
        assert got["n_iter"] < sc.SGD_BY_NAME[name].kwargs["max_iter"]


def test_native_and_reference_fit_alike(run: tuple[int, list[dict[str, Any]]]) -> None:
    # the same all-reduced sums: the two backends' epochs stay twins
    _, results = run
    for name in sc.SGD_EQUIVALENT:
        a, b = results[0][f"{name}/native"], results[0][f"{name}/reference"]
        np.testing.assert_array_equal(a["coef"], b["coef"])
        np.testing.assert_array_equal(a["intercept"], b["intercept"])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["log_ovr", "huber"])
def test_partial_fit_and_a_checkpoint_resumed_on_every_rank(
    run: tuple[int, list[dict[str, Any]]], name: str, backend: str
) -> None:
    k, results = run
    got = _same_on_every_rank(results, f"partial/{name}/{backend}")
    straight = _same_on_every_rank(results, f"straight/{name}/{backend}")
    resumed = _same_on_every_rank(results, f"resumed/{name}/{backend}")
    np.testing.assert_array_equal(resumed["coef"], straight["coef"])
    np.testing.assert_array_equal(resumed["intercept"], straight["intercept"])
    assert resumed["t"] == straight["t"]
    case = sc.SGD_BY_NAME[name]
    X, y, batch, sw = cs.single_process(case, k)
    kw = {"class_weight": None} if name == "log_ovr" else {}
    more = {"classes": [0, 1, 2]} if name == "log_ovr" else {}
    one = sc.sgd_estimator(case, backend=backend, batch_size=batch, **kw)
    for _ in range(2):
        one.partial_fit(X, y, sample_weight=sw, **more)
    _close(got, one)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sc.ZERO_CASES, ids=lambda c: c.name)
def test_a_rank_whose_weights_are_all_zero_trains(
    run: tuple[int, list[dict[str, Any]]], case: cs.Case, backend: str
) -> None:
    # rank 0's rows weigh 0: it trains, adds nothing, and every rank ends
    # as one process over every row with those weights
    k, results = run
    got = _same_on_every_rank(results, f"{case.name}/{backend}")
    _close(got, sc.zero_one_process(case, k, backend))
    # all 0 over every process: the same error on every process
    errors = {res[f"{case.name}/all_zero"] for res in results}
    assert len(errors) == 1, errors
    assert "over every process" in errors.pop()


def test_fit_classes_are_the_union_of_the_shards(
    run: tuple[int, list[dict[str, Any]]],
) -> None:
    _, results = run
    assert results[0]["union"][0] == [0, 1]  # rank 0's own labels
    for res in results:
        got = res["union"][1]
        np.testing.assert_array_equal(got["classes"], [0, 1, 2])
        assert got["coef"].shape == (3, 5)
        np.testing.assert_array_equal(got["coef"], results[0]["union"][1]["coef"])


def test_partial_fit_classes_are_checked_on_every_rank(
    run: tuple[int, list[dict[str, Any]]],
) -> None:
    k, results = run
    differ = {res["classes_differ"] for res in results}
    want = (
        "SGDClassifier.partial_fit: classes must be the same on every process, got "
        f"[0, 1, 2] on rank 0 and [0, 1, 2, 3] on rank {k - 1}"
    )
    assert differ == {want}
    outside = {res["label_outside"] for res in results}
    want = (
        "SGDClassifier.partial_fit: y holds labels [5] that are not in classes "
        f"(rank {k - 1})"
    )
    assert outside == {want}


@pytest.mark.parametrize(
    ("engine", "mode"),
    [
        ("mpi", "fail_mid_sgd"),
        ("torch", "sigint_sgd"),
        ("torch", "sigint"),
        ("mpi", "sigint_sgd"),
    ],
)
def test_a_failing_or_interrupted_rank_gives_an_error_on_every_rank(
    tmp_path: Path, engine: str, mode: str
) -> None:
    # sigint: the test sends SIGINT (Ctrl-C) to the last rank mid-fit; it
    # raises KeyboardInterrupt, the others CommunicationError within the
    # communicator's timeout (3 s in the worker)
    stop = threading.Event()

    def interrupt_when_ready() -> None:
        ready = tmp_path / "ready"
        deadline = time.monotonic() + RUN_TIMEOUT
        while not stop.is_set() and time.monotonic() < deadline:
            if ready.exists():
                os.kill(int(ready.read_text()), signal.SIGINT)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=interrupt_when_ready, daemon=True)
    if mode.startswith("sigint"):
        watcher.start()
    try:
        results = launch(engine, 2, mode, tmp_path)
    finally:
        stop.set()
    kind, message = results[0]["error"]
    assert kind == "CommunicationError", message
    assert "another process raised, died or stopped" in message
    assert results[0]["seconds"] < 3.0 + FAILURE_SLACK
    want = "KeyboardInterrupt" if mode.startswith("sigint") else "ArithmeticError"
    assert results[1]["error"][0] == want
    if mode.endswith("_sgd"):
        assert [res["fitted"] for res in results] == [False, False]


@pytest.mark.parametrize("cls", [steepest.SGDClassifier, steepest.SGDRegressor])
def test_a_communicator_of_one_process_changes_nothing(cls: Any) -> None:
    # k = 1: scikit-learn's per-sample plain SGD, exactly as without comm
    case = cs.BY_NAME["softmax"]
    X, y = cs.shards(case, 1)[0]
    if cls is steepest.SGDRegressor:
        y = y.astype(float)
    w = np.random.default_rng(3).uniform(0.0, 2.0, X.shape[0])
    for kw in ({}, {"batch_size": 4, "optimizer": "adam", "learning_rate": "constant"}):
        a = cls(max_iter=5, tol=None, random_state=0, **kw).fit(X, y, sample_weight=w)
        b = cls(max_iter=5, tol=None, random_state=0, **kw).fit(
            X, y, sample_weight=w, comm=LocalCommunicator()
        )
        np.testing.assert_array_equal(a.coef_, b.coef_)
        np.testing.assert_array_equal(a.intercept_, b.intercept_)
        c = cls(max_iter=5, tol=None, random_state=0, **kw)
        d = cls(max_iter=5, tol=None, random_state=0, **kw)
        more = {"classes": np.unique(y)} if cls is steepest.SGDClassifier else {}
        for _ in range(2):
            c.partial_fit(X, y, **more)
            d.partial_fit(X, y, comm=LocalCommunicator(), **more)
        np.testing.assert_array_equal(c.coef_, d.coef_)


def test_comm_is_checked() -> None:
    X, y = cs.shards(cs.BY_NAME["linear"], 1)[0]
    with pytest.raises(TypeError, match="as_communicator: comm must be"):
        steepest.SGDRegressor().fit(X, y, comm=3)


class _SizeTwo(LocalCommunicator):
    """Rank 0 of two, for checks made before any collective."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 2


@pytest.mark.parametrize("cls", [steepest.SGDClassifier, steepest.SGDRegressor])
def test_average_is_refused_on_several_processes(cls: Any) -> None:
    # k > 1 takes mini-batch steps, which have no averaging (one process
    # with batch k*b refuses it too); every process raises before a collective
    X, y = cs.shards(cs.BY_NAME["binary"], 1)[0]
    name = cls.__name__
    with pytest.raises(
        ValueError, match=rf"{name}.fit: average must be False with comm"
    ):
        cls(average=True).fit(
            X, y if name == "SGDClassifier" else X[:, 0], comm=_SizeTwo()
        )
    with pytest.raises(
        ValueError, match=rf"{name}.fit: average must be False with mini"
    ):
        cls(average=True, batch_size=2).fit(
            X, y if name == "SGDClassifier" else X[:, 0]
        )
