"""Docstring pieces the estimators share (numpydoc), filled with each one's defaults.

The four estimators take the same training hyperparameters with different
defaults; writing them once keeps the four docstrings from drifting apart.
"""

from __future__ import annotations

import textwrap

from .. import _rules

TRAINING_PARAMETERS = """\
optimizer : str or Optimizer class, default={optimizer!r}
{optimizer_names}
    or an unbound steepest optimizer: a subclass of :class:`steepest.Optimizer`
    (e.g. ``steepest.Adam``) or a :func:`functools.partial` of one. It is built as
    ``optimizer(params, lr=learning_rate, **optimizer_params,
    nonfinite="ignore", backend=backend)``. With ``"asgd"`` (or
    ``steepest.ASGD``) the model publishes ASGD's averaged weights (its
    state ``ax``, what torch's ASGD keeps them for) as ``coef_``/``coefs_``
    at the end of every :meth:`fit` and :meth:`partial_fit`, unless early
    stopping or SWA installs its own; training (``warm_start``,
    :meth:`partial_fit`) continues from the last iterate.
learning_rate : float or schedule, default={learning_rate}
    The optimizer's ``lr``: a number > 0 or a schedule from
    :mod:`steepest.schedules` / :mod:`steepest.reference.schedules`, indexed
    by optimizer step (not by epoch).
optimizer_params : dict or None, default=None
    Further optimizer hyperparameters, e.g. ``{{"betas": (0.9, 0.99)}}``;
    they override those an optimizer name implies.
batch_size : int or None, default={batch_size}
    Samples per step: 1 is plain SGD, None one full batch per epoch; a value
    above the number of samples is clipped to it.
shuffle : bool, default=True
    Draw a new sample order each epoch (else the rows in order).
random_state : None, int or numpy.random.Generator, default=None
    Seeds ``numpy.random.default_rng``, the one generator of a fit. It draws,
    in order: the initial weights, the validation split (early stopping
    without ``validation_data``), one permutation per epoch. A Generator is
    used as is (and advanced); a legacy RandomState seeds a new Generator.
    :meth:`partial_fit` keeps the generator on the estimator: its first call
    (on an unfitted estimator) draws the initial weights, then the chunk's
    permutation; every later call (also after ``fit``) only its permutation.
alpha : float, default=1e-4
    Penalty strength: the objective is ``mean loss + R(W)`` with
    ``R = alpha * (l1_ratio * |W|_1 + (1 - l1_ratio) / 2 * |W|_2^2)`` on the
    weights (never on intercepts), *not* divided by the batch size
    (scikit-learn's SGD convention; scikit-learn's MLP ``alpha`` is this
    alpha times the batch size).
{model_parameters}max_iter : int, default={max_iter}
    Maximum number of epochs of this fit.
tol : float or None, default={tol}
    Stopping tolerance (scikit-learn's rule): without early stopping, an
    epoch whose training loss is above ``best_loss - tol`` is bad; with it,
    an epoch whose validation score is below ``best_score + tol`` (a NaN
    score counts as no improvement); training
    stops after ``n_iter_no_change`` consecutive bad epochs. None runs all
    ``max_iter`` epochs. A :class:`steepest.ConvergenceWarning` is issued
    when ``max_iter`` ends the fit while ``tol`` is set.
n_iter_no_change : int, default={n_iter_no_change}
    Consecutive bad epochs that stop training.
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the data (or use ``validation_data``
    of :meth:`fit`), apply ``tol`` to its score (accuracy for classifiers,
    R² for regressors) and keep the weights of the best-scoring epoch. The
    validation set needs at least 2 rows (a ValueError otherwise, as in
    scikit-learn's MLP: the R² of one row is undefined).
validation_fraction : float, default=0.1
    Held-out share for early stopping, in (0, 1): ``ceil(fraction * n)``
    rows drawn at random (not stratified).
reduce_on_plateau : ReduceLROnPlateau or None, default=None
    Fed once per epoch with the quantity the ``tol`` rule watches: the
    training loss, or ``1 - validation score`` under early stopping (so its
    ``mode`` must be "min"). Its ``scale`` (current lr / its initial lr)
    multiplies the learning rate; training stops when it reports
    ``stopped``. A deep copy is used, the given object is not changed.
swa_start : int or None, default=None
    Epoch index (0-based) from which stochastic weight averaging runs: the
    running mean of the weights at the end of every epoch ``>= swa_start``
    becomes the model's weights when training ends (``n_swa_`` epochs
    averaged; none when training stopped before ``swa_start``). Exclusive
    with ``early_stopping``.
swa_lr : float, schedule or None, default=None
    Learning rate from epoch ``swa_start`` on: None keeps ``learning_rate``,
    a float is constant, a schedule starts at its own step 0 on the first
    step of epoch ``swa_start``.
ema_decay : float or None, default=None
    Keep an exponential moving average of the weights, updated after every
    optimizer step, ``ema <- ema_decay * ema + (1 - ema_decay) * weights``
    (its first step copies the weights, as Keras' ``use_ema`` and torch's
    ``AveragedModel``), and publish it as the model's weights at the end of
    every :meth:`fit` and :meth:`partial_fit`; in [0, 1), e.g. 0.999. The
    native loop runs it inside each step's own pass. Training continues
    from the raw weights (``warm_start``, :meth:`partial_fit`), and the
    average carries on while the optimizer is kept. Exclusive with
    ``swa_start`` and ``early_stopping``, which choose the final weights
    their own way.
backend : {{"native", "reference"}}, default="native"
    Run epochs in C++ (``steepest._core``) or in NumPy
    (:mod:`steepest.reference`). Predictions use NumPy for both.
dtype : numpy.float32 or numpy.float64, default=numpy.{dtype}
    Precision of the weights and of the training computations.
n_threads : int or None, default=None
    Threads of the native loop (None: every core). Large batches are split
    over the threads, which changes the rounding: see Notes.
warm_start : bool, default=False
    Start from the weights and optimizer state of the previous fit (same
    model shapes and dtype needed). The curves and ``n_iter_`` describe the
    new fit only; ``t_`` keeps counting steps.
verbose : bool, default=False
    Report every epoch (loss, validation score, learning rate): a progress
    bar when stderr is a terminal (see ``progress``), else one printed line
    per epoch on stdout.
progress : bool or None, default=None
    A tqdm progress bar over the epochs of each :meth:`fit` (on stderr,
    postfix: loss, validation score, learning rate). None: only when
    ``verbose`` is True and stderr is a terminal; True: always (also in a
    log file); False: never. Needs tqdm (``pip install
    'steepest[progress]'``); without it one line per epoch is printed
    instead. :meth:`partial_fit` never draws a bar (one epoch per call).
"""

TRAINING_ATTRIBUTES = """\
loss_curve_ : list of float
    Mean training objective of each epoch (loss + penalty, each batch taken
    before its update); each :meth:`partial_fit` call appends its epoch.
lr_curve_ : list of float
    Learning rate of each epoch's first step (times the plateau scale).
validation_scores_ : list of float or None
    Score on the validation set after each epoch, None without one.
best_loss_ : float or None
    Lowest training loss (None under early stopping).
best_validation_score_ : float or None
    Best validation score under early stopping, else None.
n_iter_ : int
    Epochs run by the last fit, plus one per :meth:`partial_fit` call since.
t_ : int
    Optimizer steps applied since the weights were initialised.
n_swa_ : int
    Epochs averaged by SWA (0 without it).
n_features_in_ : int
    Number of features seen by fit.
"""

NOTES = """\
**Interrupts and errors.** Each epoch of :meth:`fit`, bookkeeping included,
is all or nothing. An exception raised before it ends (a KeyboardInterrupt,
which the native loop lets Python's signal handler raise between batches; an
error in a progress callback) undoes that epoch: the weights, the optimizer state and
step count, the random generator and the ``reduce_on_plateau`` counters go
back to the end of the last completed epoch. Its weights are published
(``coef_`` or ``coefs_``, ``n_iter_``, ``loss_curve_``, ``t_`` ...), not early
stopping's best ones nor SWA's average, which the optimizer state does not
belong to; then the exception propagates. A fit in which no epoch completed
leaves the estimator as it was before the call: unfitted, or with its
previous fit. A :meth:`partial_fit` call that raises changes nothing. So a
fit interrupted after k epochs followed by m :meth:`partial_fit` calls ends
with the same bits as ``fit(max_iter=k)`` followed by them, and as k + m
:meth:`partial_fit` calls from scratch (with ``tol=None``, without early
stopping or SWA). A :class:`~steepest.DivergenceError` restores the same
state, except that the initial weights are published when the first epoch
diverges (and by :meth:`partial_fit`, the weights before the call);
``set_params(learning_rate=...)`` keeps the optimizer, so training can go on
from that state with a lower learning rate.

**Checkpoints.** Pickling keeps the weights, the optimizer state (hence the
schedule's position) and the random generator: a loaded estimator and the
original give the same bits under the same :meth:`partial_fit` calls.

**Reproducibility.** The same data, hyperparameters, ``random_state`` and
thread count give bitwise identical results, on either backend. The
reference backend does not depend on ``n_threads``. The native backend
splits a batch over its threads when ``batch_size * (number of weights)`` is
at least 1/16 of ``steepest._core.get_parallel_grain()`` (16 Ki with the
default grain): each thread sums the gradient of its rows and the partial
sums are then added, so another thread count rounds differently (float32:
relative differences of order 1e-5 after a few epochs). Smaller batches run
on one thread with a threaded BLAS, whose results OpenBLAS does not make
depend on the thread count in practice (not a promise of steepest). The
native and reference backends agree to rounding, not bitwise: their GEMMs
sum in different orders.
"""

PARTIAL_FIT = """\
Train for one epoch on a chunk of the data, keeping the state.

The first call on an unfitted estimator initialises the weights{first};
later calls (also after :meth:`fit`) continue from the weights, optimizer
state and step count (hence the learning-rate schedule's position) of the
previous call. ``loss_curve_`` and ``lr_curve_`` get one entry per call,
``n_iter_`` and ``t_`` keep counting. ``max_iter``, ``tol`` and
``early_stopping`` do not apply (as in scikit-learn's ``partial_fit``);
``swa_start`` must be None; ``reduce_on_plateau`` watches each call's
training loss. Random draws: see ``random_state``.

Parameters
----------
X : array-like or scipy.sparse matrix/array of shape (n_samples, n_features)
    The chunk; ``n_features`` must stay the same across calls. Sparse X is
    trained as CSR without densifying it (see ``fit``).
y : array-like of shape (n_samples,){y_shape}
    {y_what}
{classes}sample_weight : array-like of shape (n_samples,), float or None, default=None
    Per-row weights of the loss (finite, >= 0, positive sum), scaled to mean
    1 within the chunk (data-parallel: within every process's chunk
    together); see ``fit``.
comm : communicator or None, default=None
    Data-parallel: every process passes its own chunk and the same
    ``comm``; the chunk's batches' gradients are summed over the processes
    (see ``fit`` and :mod:`steepest.distributed`). None: this process alone.

Returns
-------
self

Raises
------
ValueError
    When the number of features, the dtype or the targets' shape changed
    since the previous call{label_error}.
steepest.DivergenceError
    When the loss or a weight became NaN or infinite; the weights and
    optimizer state before the call are kept.
KeyboardInterrupt
    Or any other exception during the call: the estimator is left as it was
    before it (see Notes).
"""

CLASSIFIER_PARTIAL_FIT = PARTIAL_FIT.format(
    first=" and ``classes_`` from ``classes``",
    y_shape="",
    y_what="Class labels, all of them in ``classes_``.",
    classes="""\
classes : array-like of shape (n_classes,) or None, default=None
    Every label of the whole data set: required on the first call (a chunk
    may lack some classes); later it may be omitted, or must equal
    ``classes_``. Multi-label y (MLPClassifier): may be omitted, else the
    column indices ``0 .. n_labels - 1``.
""",
    label_error=", a label is not in ``classes_``, or ``classes`` is missing on "
    "the first call or differs from ``classes_``",
)

REGRESSOR_PARTIAL_FIT = PARTIAL_FIT.format(
    first="",
    y_shape=" or (n_samples, n_targets)",
    y_what="Targets; their number must stay the same across calls.",
    classes="",
    label_error="",
)


def _optimizer_names() -> str:
    """The ``optimizer=`` names as the docs list them, from the spec rows."""
    names = []
    for name, (rule, implied) in _rules.OPTIMIZER_NAMES.items():
        args = "".join(f", {k}={v!r}" for k, v in implied.items())
        names.append(f'"{name}" ({rule.cls}{args})' if implied else f'"{name}"')
    return textwrap.fill(", ".join(names) + ";", 80, initial_indent=" " * 4,
                         subsequent_indent=" " * 4)  # fmt: skip


def parameters(model_parameters: str, **defaults: object) -> str:
    """The shared Parameters block with ``defaults`` and the model's own entries."""
    return TRAINING_PARAMETERS.format(
        model_parameters=model_parameters,
        optimizer_names=_optimizer_names(),
        **defaults,
    )


#: the Parameters entry of both classifiers' class_weight
CLASS_WEIGHT = """\
class_weight : dict, "balanced" or None, default=None
    Weights of the classes, multiplying each row's sample weight before the
    weights are scaled to mean 1 (:mod:`steepest.models._weights`: only the
    ratios matter). A dict maps labels to weights (labels it lacks weigh 1;
    a label not in ``classes_`` is a ValueError); "balanced" is
    scikit-learn's ``n_samples / (n_classes * count(class))`` over the rows
    given to :meth:`fit` (before any validation split), and is refused by
    :meth:`partial_fit`.
"""


def estimator_doc(
    summary: str, parameters_block: str, attributes: str, notes: str, examples: str
) -> str:
    """A whole estimator docstring: the summary, then the numpydoc sections.

    ``parameters_block`` is what :func:`parameters` made; ``attributes`` and
    ``notes`` are the estimator's own entries, put before the shared ones.
    """
    return (
        f"{summary}\n\nParameters\n----------\n{parameters_block}"
        f"\nAttributes\n----------\n{attributes}{TRAINING_ATTRIBUTES}"
        f"\nNotes\n-----\n{notes}{NOTES}"
        f"\nExamples\n--------\n{examples}"
    )


__all__ = [
    "CLASSIFIER_PARTIAL_FIT",
    "CLASS_WEIGHT",
    "NOTES",
    "REGRESSOR_PARTIAL_FIT",
    "TRAINING_ATTRIBUTES",
    "estimator_doc",
    "parameters",
]
