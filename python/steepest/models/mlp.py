"""Multi-layer perceptrons (classifier and regressor) trained by gradient descent.

Twins: the model math is :mod:`steepest.nn.mlp` (training on
either backend, predictions always in NumPy). Tests:
``tests/models/test_mlp_estimator.py``.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import _checks as v
from ..nn import ACTIVATIONS
from ..nn import mlp as _mlp
from ..typing import FloatArray
from . import _docs
from ._base import SteepestClassifier, SteepestEstimator, SteepestRegressor
from ._epoch import Network

#: scikit-learn's name of the sigmoid, accepted as an alias
_ALIASES = {"logistic": "sigmoid"}
MLP_INIT_KINDS = ("auto", "normal", "uniform", "xavier", "he")

MLP_PARAMETERS = """\
hidden_layer_sizes : int or sequence of int, default=(100,)
    Units of each hidden layer (an empty sequence: no hidden layer).
activation : {"relu", "tanh", "sigmoid", "identity"}, default="relu"
    Of every hidden layer; scikit-learn's name "logistic" means "sigmoid".
init : {"auto", "normal", "uniform", "xavier", "he"}, default="auto"
    Initial weights (biases start at 0); "auto" is "he" for relu, else
    "xavier" (Glorot uniform). See :mod:`steepest.nn._init`.
"""

MLP_ATTRIBUTES = """\
coefs_ : list of ndarray
    ``coefs_[i]`` of shape (units of layer i, units of layer i + 1).
intercepts_ : list of ndarray
    ``intercepts_[i]`` of shape (units of layer i + 1,).
n_layers_ : int
    Hidden layers + 2 (input and output).
n_outputs_ : int
    Output units.
out_activation_ : str
    Output function: "logistic", "softmax" or "identity".
"""


_NOTES = """\
The penalty is L2 only (the objective of :mod:`steepest.nn.mlp`
with ``l1_ratio = 0``). Unlike scikit-learn's MLP, whose ``alpha`` is divided
by the batch size, ``alpha`` here is added once per step as is: scikit-learn's
``alpha=a`` with batch size B corresponds to ``alpha=a / B`` here.
"""


def _mlp_doc(
    summary: str, attributes: str, examples: str, own_parameters: str = ""
) -> str:
    return _docs.estimator_doc(
        summary,
        _docs.parameters(
            MLP_PARAMETERS,
            optimizer="adam",
            learning_rate=0.001,
            batch_size=200,
            max_iter=200,
            tol=0.0001,
            n_iter_no_change=10,
            dtype="float32",
        )
        + own_parameters,
        attributes + MLP_ATTRIBUTES,
        _NOTES + "\n",
        examples,
    )


class MLPBase(SteepestEstimator):
    """Hyperparameters and model plumbing shared by the two MLP estimators."""

    _family = "mlp"
    _fitted_attribute = "coefs_"

    def __init__(
        self,
        *,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        init: str = "auto",
        optimizer: Any = "adam",
        learning_rate: Any = 0.001,
        optimizer_params: dict[str, Any] | None = None,
        batch_size: int | None = 200,
        shuffle: bool = True,
        random_state: Any = None,
        alpha: float = 1e-4,
        max_iter: int = 200,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        reduce_on_plateau: Any = None,
        swa_start: int | None = None,
        swa_lr: Any = None,
        ema_decay: float | None = None,
        backend: str = "native",
        dtype: Any = np.float32,
        n_threads: int | None = None,
        warm_start: bool = False,
        verbose: bool = False,
        progress: bool | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.optimizer_params = optimizer_params
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.reduce_on_plateau = reduce_on_plateau
        self.swa_start = swa_start
        self.swa_lr = swa_lr
        self.ema_decay = ema_decay
        self.backend = backend
        self.dtype = dtype
        self.n_threads = n_threads
        self.warm_start = warm_start
        self.verbose = verbose
        self.progress = progress

    def _n_out(self) -> int:
        raise NotImplementedError

    def _hidden(self, fn: str) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        if v.is_int(sizes):
            sizes = (sizes,)
        expect = (
            f"{fn}: hidden_layer_sizes must be an int >= 1 or a sequence of them, "
            f"got {self.hidden_layer_sizes!r}"
        )
        ok = isinstance(sizes, Sequence) and not isinstance(sizes, str)
        if not ok or not all(v.is_int(h) for h in sizes):
            raise TypeError(expect)
        if any(operator.index(h) < 1 for h in sizes):
            raise ValueError(expect)
        return tuple(operator.index(h) for h in sizes)

    def _network(self, fn: str, alpha: float) -> Network:
        self._hidden(fn)
        v.choice(fn, "init", self.init, MLP_INIT_KINDS)
        names = (*ACTIVATIONS, *_ALIASES)
        activation = v.choice(fn, "activation", self.activation, names)
        activation = _ALIASES.get(activation, activation)
        self._fitted_activation = activation
        return Network("mlp", self._loss(), activation, alpha, 0.0)

    def _param_shapes(self, n_features: int) -> list[tuple[int, ...]]:
        sizes = [n_features, *self._hidden(type(self).__name__), self._n_out()]
        shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            shapes += [(fan_in, fan_out), (fan_out,)]
        return shapes

    def _new_params(
        self, n_features: int, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> list[FloatArray]:
        kind = self.init
        if kind == "auto":
            kind = "he" if self._fitted_activation == "relu" else "xavier"
        hidden = self._hidden(type(self).__name__)
        return _mlp.init_params(
            kind, n_features, hidden, self._n_out(), rng=rng, dtype=dtype
        )

    def _raw_predict(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        act = self._fitted_activation
        return _mlp.predict(params, X, activation=act, loss=self._loss())

    def _publish(self, params: list[FloatArray]) -> None:
        self.coefs_ = [p.copy() for p in params[0::2]]
        self.intercepts_ = [p.copy() for p in params[1::2]]
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = int(params[-1].shape[0])
        if self._loss() == "squared_error":
            self.out_activation_ = "identity"
        elif self._multilabel or self.n_outputs_ == 1:
            self.out_activation_ = "logistic"
        else:
            self.out_activation_ = "softmax"

    def _public_params(self) -> list[FloatArray]:
        params: list[FloatArray] = []
        for W, b in zip(self.coefs_, self.intercepts_, strict=True):
            params += [W, b]
        return params


class MLPClassifier(SteepestClassifier, MLPBase):
    __doc__ = _mlp_doc(
        """Multi-layer perceptron classifier fitted by mini-batch gradient descent.

Hidden layers share one activation; the output is one sigmoid unit for two
classes, else a softmax over the classes; the loss is the mean
cross-entropy plus the L2 penalty ``alpha / 2 * sum ||W||^2``.

Multi-label y (a 0/1 indicator matrix of shape (n_samples, n_labels),
scikit-learn's ``type_of_target == "multilabel-indicator"``) trains one
sigmoid unit per label on the sum of the labels' binary cross-entropies
(averaged over the samples, as scikit-learn's MLPClassifier); ``predict``
returns the indicator matrix (probability > 0.5), ``predict_proba`` each
label's probability (n_samples, n_labels), ``score`` the subset accuracy;
``class_weight`` must then be None (scikit-learn's MLPClassifier has none).""",
        "classes_ : ndarray of shape (n_classes,)\n    The sorted labels of ``y`` "
        "(multi-label: the column indices ``0 .. n_labels - 1``).\n",
        """\
>>> import numpy as np
>>> from steepest import MLPClassifier
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((300, 2)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
>>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate=0.01, batch_size=32,
...                     max_iter=60, tol=None, random_state=0, backend="reference")
>>> clf.fit(X, y).score(X, y) > 0.95
True
>>> [W.shape for W in clf.coefs_], clf.out_activation_
([(2, 16), (16, 1)], 'logistic')
""",
        _docs.CLASS_WEIGHT,
    )

    def __init__(
        self,
        *,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        init: str = "auto",
        optimizer: Any = "adam",
        learning_rate: Any = 0.001,
        optimizer_params: dict[str, Any] | None = None,
        batch_size: int | None = 200,
        shuffle: bool = True,
        random_state: Any = None,
        alpha: float = 1e-4,
        max_iter: int = 200,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        reduce_on_plateau: Any = None,
        swa_start: int | None = None,
        swa_lr: Any = None,
        ema_decay: float | None = None,
        backend: str = "native",
        dtype: Any = np.float32,
        n_threads: int | None = None,
        warm_start: bool = False,
        verbose: bool = False,
        progress: bool | None = None,
        class_weight: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            init=init,
            optimizer=optimizer,
            learning_rate=learning_rate,
            optimizer_params=optimizer_params,
            batch_size=batch_size,
            shuffle=shuffle,
            random_state=random_state,
            alpha=alpha,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            reduce_on_plateau=reduce_on_plateau,
            swa_start=swa_start,
            swa_lr=swa_lr,
            ema_decay=ema_decay,
            backend=backend,
            dtype=dtype,
            n_threads=n_threads,
            warm_start=warm_start,
            verbose=verbose,
            progress=progress,
        )
        self.class_weight = class_weight

    _multilabel_ok = True

    def _n_out(self) -> int:
        k = int(self.classes_.shape[0])
        return 1 if k == 2 and not self._multilabel else k

    def _proba(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        act = self._fitted_activation
        return _mlp.predict_proba(params, X, activation=act, loss=self._loss())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True  # 0/1 indicator y (n, k)
        return tags


class MLPRegressor(SteepestRegressor, MLPBase):
    __doc__ = _mlp_doc(
        """Multi-layer perceptron regressor fitted by mini-batch gradient descent.

Hidden layers share one activation, the output layer is linear; the loss is
``mean 0.5 * (y_hat - y)^2`` (over samples and targets) plus the L2 penalty
``alpha / 2 * sum ||W||^2``. A column vector y is fitted as 1-D. The loss
is scikit-learn's MLPRegressor loss value, and the gradient is that loss's:
scikit-learn's gradient leaves out the 1/n_targets of its mean over the
targets, so with k targets its learning rate ``lr`` is ``k * lr`` here.""",
        "",
        """\
>>> import numpy as np
>>> from steepest import MLPRegressor
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(-2, 2, (400, 1)); y = np.sin(X[:, 0])
>>> reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", learning_rate=0.01,
...                    batch_size=32, max_iter=100, tol=None, random_state=0,
...                    backend="reference").fit(X, y)
>>> reg.score(X, y) > 0.98
True
""",
    )

    _ravel_column_y = True

    def _n_out(self) -> int:
        return int(self.n_outputs_)

    def predict(self, X: Any) -> NDArray[Any]:
        """Predicted targets: shape (n,) for one output, else (n, n_outputs)."""
        return self._predict_raw(X)


__all__ = ["MLPBase", "MLPClassifier", "MLPRegressor"]
