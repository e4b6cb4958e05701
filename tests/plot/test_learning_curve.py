"""steepest.plot.learning_curve: figures, PNGs, errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import steepest

pytest.importorskip("matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"


def _fitted(loss: list[float], val: list[float] | None = None) -> SimpleNamespace:
    """Duck-typed fitted estimator: what learning_curve reads from steepest's."""
    return SimpleNamespace(fit=None, loss_curve_=loss, validation_scores_=val)


# -- learning_curve -----------------------------------------------------------------
def test_learning_curve_of_a_fitted_estimator(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5]
    est = steepest.LinearRegression(max_iter=8, tol=None, early_stopping=True,
                                    random_state=0).fit(X, y)  # fmt: skip
    fig = steepest.plot.learning_curve(est, path=tmp_path / "lc.png")
    assert (tmp_path / "lc.png").read_bytes()[:8] == PNG
    loss_ax, val_ax = fig.axes
    (line,) = loss_ax.get_lines()
    assert line.get_gid() == "loss:LinearRegression"
    np.testing.assert_array_equal(line.get_ydata(), est.loss_curve_)
    np.testing.assert_array_equal(
        line.get_xdata(), np.arange(1, len(est.loss_curve_) + 1)
    )
    (vline,) = val_ax.get_lines()
    np.testing.assert_array_equal(vline.get_ydata(), est.validation_scores_)
    assert loss_ax.get_yscale() == "log"


def test_learning_curve_accepts_every_input_form() -> None:
    a = {"loss": [1.0, 0.5, 0.25], "validation": [0.5, 0.7, 0.8]}
    b = {"loss": [1.0, 0.8]}
    est = _fitted([2.0, 1.0, 0.5, 0.4])
    lc = steepest.plot.learning_curve
    # a single dict run: one panel (no validation) or two
    assert len(lc(b).axes) == 1
    assert len(lc(a).axes) == 2
    # a list of runs, labelled by class name or "run i", or by labels=
    fig = lc([a, b, est])
    gids = [line.get_gid() for line in fig.axes[0].get_lines()]
    assert gids == ["loss:run 0", "loss:run 1", "loss:SimpleNamespace"]
    assert [line.get_gid() for line in fig.axes[1].get_lines()] == ["validation:run 0"]
    fig = lc((a, b), labels=["lr=0.1", "lr=0.01"], log=False, title="lrs")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        "lr=0.1",
        "lr=0.01",
    ]
    assert fig.axes[0].get_yscale() == "linear"
    assert fig.get_suptitle() == "lrs"
    # a dict of label to runs (estimators and dicts mixed)
    fig = lc({"sgd": est, "adam": a})
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["sgd", "adam"]
    # colours agree between the panels
    loss_adam, val_adam = fig.axes[0].get_lines()[1], fig.axes[1].get_lines()[0]
    assert loss_adam.get_color() == val_adam.get_color()
    # a non-positive loss keeps the axis linear instead of dropping points
    assert lc({"loss": [1.0, 0.0]}).axes[0].get_yscale() == "linear"


@pytest.mark.parametrize(
    ("runs", "kwargs", "error", "match"),
    [
        (3.0, {}, TypeError, r"runs must be a fitted estimator.*got float"),
        ([{"loss": [1.0]}, 2], {}, TypeError, r"runs\[1\] must be a fitted steepest"),
        (
            {"a": {"validation": [1.0]}},
            {},
            ValueError,
            r"runs\['a'\] must have a 'loss' key",
        ),
        (
            {"a": {"loss": [1.0], "val": [1.0]}},
            {},
            ValueError,
            r"got keys \['loss', 'val'\]",
        ),
        ({"loss": []}, {}, ValueError, r"runs\['loss'\] must be a non-empty 1-D"),
        ({"loss": [[1.0]]}, {}, ValueError, r"must be a non-empty 1-D sequence"),
        (
            {"loss": ["a"]},
            {},
            TypeError,
            r"runs\['loss'\] must be a sequence of numbers",
        ),
        ([], {}, ValueError, "runs is empty"),
        (
            [{"loss": [1.0]}],
            {"labels": ["a", "b"]},
            ValueError,
            "labels must be a list of 1",
        ),
        ({"a": {"loss": [1.0]}}, {"labels": ["x"]}, ValueError, "labels must be None"),
        (
            SimpleNamespace(fit=None),
            {},
            ValueError,
            r"runs \(SimpleNamespace\) has no loss_curve_",
        ),
    ],
    ids=lambda v: None,
)
def test_learning_curve_bad_input(
    runs: object, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(
        error, match=r"^steepest\.plot\.learning_curve: " + ".*" + match
    ):
        steepest.plot.learning_curve(runs, **kwargs)  # type: ignore[arg-type]
