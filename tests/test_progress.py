"""Progress display: the helper with and without tqdm, and the estimators' use of it.

Twins: ``python/steepest/_progress.py`` and ``python/steepest/models/_loop.py``.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
import steepest
from steepest import _progress
from steepest._progress import progress_bar, wants_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    """tqdm cannot be imported, and the once-per-process note is due again."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(_progress, "_told_missing", False)


@pytest.mark.parametrize(
    ("progress", "verbose", "terminal", "expected"),
    [
        (None, False, True, False),
        (None, True, True, True),
        (None, True, False, False),  # a log file gets verbose's lines instead
        (True, False, False, True),
        (False, True, True, False),
    ],
)  # fmt: skip
def test_wants_progress(
    progress: bool | None, verbose: bool, terminal: bool, expected: bool
) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    assert wants_progress(progress, verbose, stream) is expected


def test_bar_with_tqdm_draws_counter_and_postfix() -> None:
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with progress_bar(3, "train", enabled=True, file=out, unit="epoch") as bar:
        assert bar.mode == "tqdm"
        for step in bar:
            bar.set_postfix(loss=1.0 / (step + 1), val=None, lr=0.01)
    text = out.getvalue()
    assert "train" in text
    assert "3/3" in text
    assert "loss=0.3333" in text
    assert "lr=0.01" in text
    assert "val" not in text  # None values are left out


def test_disabled_bar_is_silent_and_yields_everything() -> None:
    out = io.StringIO()
    with progress_bar(["a", "b"], "x", enabled=False, file=out) as bar:
        assert list(bar) == ["a", "b"]
    assert out.getvalue() == ""


def test_without_tqdm_one_line_per_step_and_one_note(no_tqdm: None) -> None:
    out = io.StringIO()
    for _ in range(2):
        with progress_bar(3, "train", enabled=True, file=out, unit="epoch") as bar:
            assert bar.mode == "lines"
            for step in bar:
                bar.set_postfix(loss=float(step))
                if step == 1:
                    break  # the last line still comes from close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("steepest: tqdm is not installed")
    assert lines[1:] == ["train epoch 1/3: loss 0", "train epoch 2/3: loss 1"] * 2


def test_manual_update_and_postfix_str(no_tqdm: None) -> None:
    out = io.StringIO()
    with progress_bar(total=2, desc="fits", enabled=True, file=out) as bar:
        bar.set_postfix_str("iris sgd")
        bar.update(1)
        bar.set_postfix_str("wine adam")
        bar.update()
    assert out.getvalue().splitlines()[1:] == [
        "fits it 1/2: iris sgd",
        "fits it 2/2: wine adam",
    ]
    with pytest.raises(TypeError, match="call update"):
        list(progress_bar(desc="x", enabled=False))


def _fit(
    monkeypatch: pytest.MonkeyPatch, stderr: io.StringIO, **params: object
) -> steepest.LogisticRegression:
    monkeypatch.setattr(sys, "stderr", stderr)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] > 0).astype(int)
    est = steepest.LogisticRegression(max_iter=4, tol=None, backend="reference",
                                      learning_rate=0.1, **params)  # fmt: skip
    return est.fit(X, y, validation_data=(X, y))


def test_estimator_progress_true_draws_a_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    err = io.StringIO()
    _fit(monkeypatch, err, progress=True)
    text = err.getvalue()
    assert "LogisticRegression" in text
    assert "4/4" in text
    assert "loss=" in text
    assert "val=" in text
    assert "lr=0.1" in text
    assert capsys.readouterr().out == ""


def test_estimator_verbose_on_a_terminal_draws_a_bar_instead_of_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    err = _Terminal()
    _fit(monkeypatch, err, verbose=True)
    assert "4/4" in err.getvalue()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("progress", [None, False])
def test_estimator_verbose_elsewhere_prints_lines(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    progress: bool | None,
) -> None:
    err = io.StringIO()
    _fit(monkeypatch, err, verbose=True, progress=progress)
    assert err.getvalue() == ""
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_estimator_silent_by_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _Terminal()
    _fit(monkeypatch, err)
    assert err.getvalue() == ""
    assert capsys.readouterr().out == ""


def test_estimator_progress_without_tqdm_prints_lines(
    monkeypatch: pytest.MonkeyPatch, no_tqdm: None
) -> None:
    err = io.StringIO()
    _fit(monkeypatch, err, progress=True)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("steepest: tqdm is not installed")
    assert len(lines) == 5
    assert lines[4].startswith("LogisticRegression epoch 4/4: loss ")
    assert ", val " in lines[4]


def test_estimator_progress_must_be_bool_or_none() -> None:
    est = steepest.LinearRegression(progress="yes")
    with pytest.raises(TypeError, match="progress must be a bool"):
        est.fit(np.ones((4, 1)), np.ones(4))
