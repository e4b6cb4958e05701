"""Data-parallel training on 2 and 3 local processes, over gloo and MPI.

Twins: ``python/steepest/models/_data_parallel.py``,
``cpp/include/steepest/train/data_parallel.hpp``,
``python/steepest/distributed/``. One launch per (engine, k) runs every case
of ``_cases.CASES`` on both backends (``_worker.py``); the tests read what
each rank wrote and compare it with one process trained here with batch
``k*b`` over the same global batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from steepest.distributed import LocalCommunicator

from . import _cases as cs
from ._launch import launch

RUNS = [("torch", 2), ("torch", 3), ("mpi", 2)]
BACKENDS = ["native", "reference"]
# a failed process is noticed within the communicator's timeout (3 s in the
# worker) after it failed; the rest is process start-up on a loaded machine
FAILURE_SLACK = 60.0
CLASS_DICT = {0: 2.0, 2: 0.5}  # _worker.CLASS_DICT


@pytest.fixture(scope="module", params=RUNS, ids=lambda r: f"{r[0]}-{r[1]}")
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, list[dict[str, Any]]]:
    engine, k = request.param
    out = tmp_path_factory.mktemp(f"{engine}{k}")
    return k, launch(engine, k, "cases", out)


def _rtol(params: list[Any]) -> float:
    return cs.FLOAT32_RTOL if params[0].dtype == np.float32 else cs.FLOAT64_RTOL


def _assert_same_on_every_rank(results: list[dict[str, Any]], key: str) -> None:
    first = results[0][key]
    for res in results[1:]:
        other = res[key]
        for a, b in zip(
            first["params"] + first["public"],
            other["params"] + other["public"],
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
        for name, arrays in first["state"].items():
            for a, b in zip(arrays, other["state"][name], strict=True):
                np.testing.assert_array_equal(a, b)
        assert other["loss_curve"] == first["loss_curve"]
        assert other["scores"] == first["scores"]
        assert other["t"] == first["t"]


def _assert_close(got: list[Any], want: list[Any]) -> None:
    rtol = _rtol(want)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        # relative to the array's scale: elements near 0 carry its rounding
        scale = float(np.max(np.abs(b))) or 1.0
        np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", cs.EQUIVALENT)
def test_matches_one_process_with_the_global_batch(
    run: tuple[int, list[dict[str, Any]]], name: str, backend: str
) -> None:
    k, results = run
    key = f"{name}/{backend}"
    _assert_same_on_every_rank(results, key)
    case = cs.BY_NAME[name]
    X, y, batch, sw = cs.single_process(case, k)
    val = None
    if case.validation:
        parts = cs.validation(case, k)
        val = (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
        )
    one = cs.estimator(case, backend=backend, batch_size=batch)
    one.fit(X, y, sw, validation_data=val)
    got = results[0][key]
    assert got["n_iter"] == one.n_iter_
    assert got["t"] == one.t_
    _assert_close(got["params"], one._params)
    _assert_close(got["public"], one._public_params())
    np.testing.assert_allclose(
        got["loss_curve"], one.loss_curve_, rtol=_rtol(one._params)
    )
    if case.validation:
        assert got["scores"] == one.validation_scores_
    if name in ("tol", "early_stopping", "multilabel_early_stopping"):
        assert one.n_iter_ < one.max_iter  # the rule did stop training


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", cs.ALIKE_ONLY)
def test_per_process_shuffles_and_splits_agree(
    run: tuple[int, list[dict[str, Any]]], name: str, backend: str
) -> None:
    _, results = run
    _assert_same_on_every_rank(results, f"{name}/{backend}")
    got = results[0][f"{name}/{backend}"]
    if name == "validation_split":
        assert got["scores"] is not None
        assert got["n_iter"] < cs.BY_NAME[name].kwargs["max_iter"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_divergence_stops_every_rank_at_the_same_epoch(
    run: tuple[int, list[dict[str, Any]]], backend: str
) -> None:
    _, results = run
    got = [res[f"diverge/{backend}"] for res in results]
    assert all(isinstance(g, tuple) for g in got), got
    message, n_iter, coef = got[0]
    assert "diverged in epoch" in message
    for other in got[1:]:
        assert other[0] == message
        assert other[1] == n_iter
        np.testing.assert_array_equal(other[2], coef)
    assert np.isfinite(coef).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_partial_fit_and_a_checkpoint_resumed_on_every_rank(
    run: tuple[int, list[dict[str, Any]]], backend: str
) -> None:
    k, results = run
    _assert_same_on_every_rank(results, f"partial/{backend}")
    _assert_same_on_every_rank(results, f"resumed/{backend}")
    straight, resumed = (
        results[0][f"partial/{backend}"],
        results[0][f"resumed/{backend}"],
    )
    for a, b in zip(straight["params"], resumed["params"], strict=True):
        np.testing.assert_array_equal(a, b)
    case = cs.BY_NAME["softmax"]
    X, y, batch, _ = cs.single_process(case, k)
    one = cs.estimator(case, backend=backend, batch_size=batch)
    for _ in range(4):
        one.partial_fit(X, y, classes=[0, 1, 2])
    _assert_close(straight["params"], one._params)
    assert straight["t"] == one.t_


@pytest.mark.parametrize("backend", BACKENDS)
def test_weighted_partial_fit_scales_over_every_process(
    run: tuple[int, list[dict[str, Any]]], backend: str
) -> None:
    # each call's weights: mean 1 over every process's chunk together; the
    # class weights of a dict multiply them
    k, results = run
    _assert_same_on_every_rank(results, f"weighted_partial/{backend}")
    _assert_same_on_every_rank(results, f"class_dict_partial/{backend}")
    for key, name, more in (
        ("weighted_partial", "weighted_linear", {}),
        ("class_dict_partial", "l1_prox", {"classes": [0, 1, 2]}),
    ):
        case = cs.BY_NAME[name]
        X, y, batch, sw = cs.single_process(case, k)
        kw = {"class_weight": CLASS_DICT} if more else {}
        one = cs.estimator(case, backend=backend, batch_size=batch, **kw)
        for _ in range(2):
            one.partial_fit(X, y, sample_weight=sw, **more)
        got = results[0][f"{key}/{backend}"]
        _assert_close(got["params"], one._params)
        np.testing.assert_allclose(got["loss_curve"], one.loss_curve_, rtol=1e-12)


def test_validation_scores_are_weighted_over_every_process(
    run: tuple[int, list[dict[str, Any]]],
) -> None:
    # what early stopping compares: one process's weighted accuracy / R^2 of
    # every process's validation rows, from the sums all-reduced
    k, results = run
    for name in (
        "weighted_linear",
        "weighted_full_batch",
        "weighted_mlp_f32",
        "mlp_multilabel",
    ):
        case = cs.BY_NAME[name]
        scores = [res[f"score/{name}"] for res in results]
        assert len(set(scores)) == 1, scores
        parts = cs.shards(case, k, seed=1)
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        w = np.concatenate(cs.weights(case, k))
        est = cs.estimator(case, backend="native").fit(*cs.shards(case, 1)[0])
        Xc, yc = est._training_data(X, y, est._params[0].dtype, reset=False)
        yc = cs.encoded(est, yc)
        # the same weights as the worker's, on the single process's rows
        want = est._score_params(results[0][f"score_params/{name}"], Xc, yc, w)
        assert scores[0] == pytest.approx(
            want, rel=1e-6 if name.endswith("f32") else 1e-12
        )
        assert want != pytest.approx(
            est._score_params(results[0][f"score_params/{name}"], Xc, yc), rel=1e-9
        )


def test_functional_helpers(run: tuple[int, list[dict[str, Any]]]) -> None:
    k, results = run
    ranks = np.arange(1, k + 1, dtype=np.float64)
    weighted = float(np.sum(ranks * ranks) / np.sum(ranks))
    for res in results:
        f = res["functional"]
        for a, b in zip(f["params"], results[0]["functional"]["params"], strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(f["grads"][0], np.full((3, 2), weighted), rtol=1e-15)
        np.testing.assert_allclose(f["grads"][1], np.full(2, -weighted), rtol=1e-15)
        assert f["mean"][0].dtype == np.float32
        np.testing.assert_allclose(f["mean"][0], np.full(2, ranks.mean()), rtol=1e-7)


@pytest.mark.parametrize(
    ("engine", "mode", "error"),
    [
        ("torch", "fail_mid", "ArithmeticError"),
        ("torch", "die", None),
        ("mpi", "fail_mid", "ArithmeticError"),
    ],
)
def test_a_failing_rank_gives_an_error_on_every_rank(
    tmp_path: Path, engine: str, mode: str, error: str | None
) -> None:
    k = 2
    # a dead rank writes nothing: read rank 0 alone
    results = launch(engine, k, mode, tmp_path, ranks=[0] if mode == "die" else None)
    kind, message = results[0]["error"]
    assert kind == "CommunicationError", message
    assert "another process raised, died or stopped" in message
    assert results[0]["seconds"] < 3.0 + FAILURE_SLACK
    if error is not None:
        assert results[-1]["error"][0] == error


@pytest.mark.parametrize(
    ("engine", "mode"),
    [
        ("torch", "fail_start"),
        ("torch", "fail_features_sgd"),
        ("mpi", "fail_start_sgd"),
        ("mpi", "fail_features"),
    ],
)
def test_bad_input_on_one_rank_fails_every_rank_at_once(
    tmp_path: Path, engine: str, mode: str
) -> None:
    # the last rank's X holds a NaN (fail_start) or one more column
    # (fail_features); every rank raises a ValueError naming the rank and X
    # long before the communicator's timeout (30 s in the worker for these)
    results = launch(engine, 2, mode, tmp_path)
    for res in results:
        assert res["error"][0] == "ValueError", res["error"]
        assert res["seconds"] < 30.0
    message = results[0]["error"][1]
    if "features" in mode:
        assert "X must have as many features on every process" in message
        assert "by rank" in message
        assert results[1]["error"][1] == message
    else:
        assert "rank 1 of 2 before training" in message
        assert "NaN" in message
        assert "X" in message
        assert "rank" not in results[1]["error"][1]  # the failed rank's own error
    if mode.endswith("_sgd"):
        assert [res["fitted"] for res in results] == [False, False]


def test_without_a_communicator_nothing_changes() -> None:
    # one process through the data-parallel path takes the very same steps
    case = cs.BY_NAME["mlp_classifier"]
    X, y = cs.shards(case, 1)[0]
    for backend in BACKENDS:
        a = cs.estimator(case, backend=backend).fit(X, y)
        b = cs.estimator(case, backend=backend).fit(X, y, comm=LocalCommunicator())
        for p, q in zip(a._params, b._params, strict=True):
            np.testing.assert_array_equal(p, q)
        assert a.loss_curve_ == b.loss_curve_


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"class_weight": "balanced"},
        {"fit_intercept": False, "alpha": 0.5, "l1_ratio": 1.0},
    ],
    ids=["weights", "balanced", "l1_no_intercept"],
)
def test_one_process_through_the_data_parallel_path_weighs_alike(
    backend: str, kwargs: dict[str, Any]
) -> None:
    # the global scaling over one process is the plain one, bit for bit
    case = cs.BY_NAME["softmax"]
    X, y = cs.shards(case, 1)[0]
    w = np.random.default_rng(3).uniform(0.0, 2.0, X.shape[0])
    w[::5] = 0.0
    a = cs.estimator(case, backend=backend, **kwargs).fit(X, y, w)
    b = cs.estimator(case, backend=backend, **kwargs).fit(
        X, y, w, comm=LocalCommunicator()
    )
    for p, q in zip(a._params, b._params, strict=True):
        np.testing.assert_array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_
    if "l1_ratio" in kwargs:
        assert np.all(a.intercept_ == 0)
        assert np.any(a.coef_ == 0)


class _TwoRanks(LocalCommunicator):
    """Rank 0 of two whose peer's shard is ``other`` (allgather only)."""

    def __init__(self, other: Any) -> None:
        super().__init__()
        self.other = other

    def allgather(self, obj: Any) -> list[Any]:
        return [obj, self.other]


def test_training_weights_scale_over_every_process() -> None:
    from steepest.models import _data_parallel as dp

    w = np.array([1.0, 3.0, 0.0])
    # the peer: 5 rows weighing 2 in all, between 0.1 and 1
    got = dp.training_weights(
        _TwoRanks((True, 2.0, 5, 0.1, 1.0)), "F", w, 3, np.dtype("f8")
    )
    np.testing.assert_array_equal(got, w * (8 / 6.0))
    # a peer without sample_weight weighs its 5 rows 1; this one has none
    got = dp.training_weights(
        _TwoRanks((True, 2.0, 5, 0.1, 1.0)), "F", None, 3, np.dtype("f8")
    )
    np.testing.assert_array_equal(got, np.full(3, 8 / 5.0))
    # weights equal over every process: dropped, as in one process
    assert (
        dp.training_weights(
            _TwoRanks((False, 5.0, 5, 1.0, 1.0)), "F", None, 3, np.dtype("f8")
        )
        is None
    )
    assert (
        dp.training_weights(
            _TwoRanks((True, 10.0, 5, 2.0, 2.0)),
            "F",
            np.full(3, 2.0),
            3,
            np.dtype("f8"),
        )
        is None
    )
    with pytest.raises(
        ValueError,
        match="F: sample_weight of the training rows must have a positive sum",
    ):
        dp.training_weights(
            _TwoRanks((True, 0.0, 5, 0.0, 0.0)), "F", np.zeros(3), 3, np.dtype("f8")
        )


def test_balanced_class_weights_count_every_process() -> None:
    from steepest.models import _data_parallel as dp

    class Doubled(LocalCommunicator):
        # a peer with the same labels: every count doubles
        def allreduce(self, buf: np.ndarray) -> None:
            buf *= 2

    y = np.array([0, 0, 0, 1])
    got = dp.class_weights(
        Doubled(), "F", "balanced", np.array(["a", "b"]), y, chunk=False
    )
    np.testing.assert_array_equal(got, [8 / (2 * 6), 8 / (2 * 2)])
    with pytest.raises(
        ValueError, match="F: class_weight='balanced' is not supported by partial_fit"
    ):
        dp.class_weights(
            Doubled(), "F", "balanced", np.array(["a", "b"]), y, chunk=True
        )
