"""The early-stopping split holds out ceil(validation_fraction * n) rows.

scikit-learn's convention (``train_test_split`` with a float ``test_size``
rounds the held-out count up, computed as ``ceil(test_size * n)`` in floating
point): the table pins the count where ``fraction * n`` is not a whole number,
so that ``round``, ``floor`` or ``int`` in its place fails, and one product
that lands a hair above a whole number (0.07 * 100 = 7.000000000000001). The
count is observed through the public API: with ``batch_size=1`` an epoch
takes one step per training row, so ``t_`` is the training set's size.
Twin: ``python/steepest/models/_stopping.py`` (``split_validation``).
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest
from sklearn.model_selection import train_test_split

# (n, validation_fraction, rows held out)
SPLITS = [
    (10, 0.25, 3),  # 2.5: round() gives 2
    (10, 0.12, 2),  # 1.2: round() and floor give 1
    (11, 0.2, 3),  # 2.2
    (9, 0.35, 4),  # 3.15
    (14, 0.1, 2),  # 1.4: round() and floor give 1, too few to score
    (3, 0.5, 2),  # 1.5: one training row left
    (13, 0.15, 2),  # 1.95
    (100, 0.07, 8),  # 7.000000000000001 in floating point, as scikit-learn counts it
    (10, 0.3, 3),  # a whole number: 3.0 exactly
]
IDS = [f"n{n}-f{f}" for n, f, _ in SPLITS]


def _fit(n: int, fraction: float, epochs: int = 2) -> steepest.LinearRegression:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((n, 2))
    y = X @ np.array([1.0, -2.0]) + 0.1 * rng.standard_normal(n)
    est = steepest.LinearRegression(
        learning_rate=0.01, batch_size=1, max_iter=epochs, tol=None,
        early_stopping=True, validation_fraction=fraction, random_state=0,
    )  # fmt: skip
    return est.fit(X, y)


@pytest.mark.parametrize(("n", "fraction", "held_out"), SPLITS, ids=IDS)
def test_rows_held_out(n: int, fraction: float, held_out: int) -> None:
    est = _fit(n, fraction)
    assert est.t_ == 2 * (n - held_out)  # two epochs, one step per training row
    assert len(est.validation_scores_) == 2


@pytest.mark.parametrize(("n", "fraction", "held_out"), SPLITS, ids=IDS)
def test_table_follows_scikit_learn(n: int, fraction: float, held_out: int) -> None:
    _, test = train_test_split(np.arange(n), test_size=fraction, random_state=0)
    assert len(test) == held_out


def test_one_validation_row_is_an_error() -> None:
    # 0.1 * 7 = 0.7 -> 1 row held out: no R² (NaN), as scikit-learn's MLP refuses
    with pytest.raises(ValueError, match="holds out 1 row, too few to score"):
        _fit(7, 0.1)


def test_no_training_row_left_is_an_error() -> None:
    # 0.9 * 2 = 1.8 -> 2 rows held out of 2.
    with pytest.raises(ValueError, match="leaves an empty training or validation set"):
        _fit(2, 0.9)
