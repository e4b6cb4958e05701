# Hand-written stub of the extension module steepest._core (kept honest by
# `python -m mypy.stubtest steepest._core`). Documentation: steepest.functional.
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from numpy.typing import NDArray

_Arrays: TypeAlias = NDArray[Any] | Sequence[NDArray[Any]]

__version__: str

# The rule steps, one per row of steepest._rules: they take the arguments of
# their twin in steepest.reference.functional, in its order, all positional
# (tests/test_rules.py compares the names); steepest.functional types them.
_Step: TypeAlias = Callable[..., bool]

sgd_step: _Step
adagrad_step: _Step
rmsprop_step: _Step
adam_step: _Step
adamw_step: _Step
adamax_step: _Step
adadelta_step: _Step
radam_step: _Step
nadam_step: _Step
rprop_step: _Step
asgd_step: _Step
lamb_step: _Step
lion_step: _Step
adabelief_step: _Step
sgd_schedulefree_step: _Step
adamw_schedulefree_step: _Step
# each step's METH_FASTCALL twin, by name: every argument positional
_fast_steps: dict[str, _Step]

def traffic_pass(param: _Arrays, grad: _Arrays, m: _Arrays, v: _Arrays) -> None: ...
def storage_widen(bits: NDArray[Any], kind: str) -> NDArray[Any]: ...
def storage_narrow(x: NDArray[Any], kind: str) -> NDArray[Any]: ...
def clip_grad_norm(
    grads: _Arrays, max_norm: float, norm_type: float, error_if_nonfinite: bool
) -> float: ...
def lookahead_sync(slow: _Arrays, fast: _Arrays, alpha: float) -> None: ...
def ema_update(ema: _Arrays, params: _Arrays, decay: float) -> None: ...
def step_with_ema(*args: Any) -> bool: ...

class Schedule:
    @property
    def kind(self) -> str: ...
    def __init__(self, description: dict[str, Any]) -> None: ...
    def __call__(self, t: int) -> float: ...
    def values(self, n: int, start: int = 0) -> NDArray[Any]: ...

def schedule_values(description: dict[str, Any], n: int) -> NDArray[Any]: ...
def build_info() -> dict[str, Any]: ...
def available_isas() -> list[str]: ...
def get_isa() -> str: ...
def set_isa(isa: str) -> None: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def get_parallel_grain() -> int: ...
def set_parallel_grain(grain: int) -> None: ...
def _step_threads(
    enabled: bool | None = None,
    spin_us: int | None = None,
    warm_divisor: int | None = None,
) -> dict[str, Any]: ...
def _gemm(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]: ...
def train_epoch(
    params: list[NDArray[Any]],
    # {"kind": a rule's name (steepest._rules.RULES, cpp/include/steepest/rules/all.hpp),
    # <hyperparameters under the functional steps' keyword names>, "state":
    # {state name: list of arrays shaped like params}}: see models/_epoch.py
    # native_rule
    rule: dict[str, Any],
    step: int,
    schedule: dict[str, Any] | None,
    lr: float,
    lr_scale: float,
    X: NDArray[Any],
    y: NDArray[Any],
    perm: NDArray[Any],
    batch_size: int,
    loss: str,
    activation: str,
    alpha: float,
    l1_ratio: float,
    n_threads: int,
    # the params' moving average (models/_epoch.py ParamAverage), or None
    ema: list[NDArray[Any]] | None = None,
    ema_decay: float = 0.0,
    ema_copy_step: int = -1,
    sample_weight: NDArray[Any] | None = None,
    fit_intercept: bool = True,
    # data-parallel (steepest.distributed): reduce(buf) sums the flat buffer
    # over the processes in place; batches[j] = the global rows of step j
    reduce: Callable[[NDArray[Any]], object] | None = None,
    batches: NDArray[Any] | None = None,
    # X as CSR: X is its data (1-D), these its int32 indices and int64 indptr
    X_indices: NDArray[Any] | None = None,
    X_indptr: NDArray[Any] | None = None,
) -> tuple[float, int]: ...
def sgd_epoch(
    X: NDArray[Any],  # dense (n, d), or a CSR matrix's data with indices, indptr
    indices: NDArray[Any] | None,
    indptr: NDArray[Any] | None,
    y: NDArray[Any],
    sample_weight: NDArray[Any],
    perm: NDArray[Any],
    # see steepest.reference.sgd.sgd_epoch for the keys of state and settings
    state: dict[str, Any],
    settings: dict[str, Any],
) -> tuple[NDArray[Any], NDArray[Any]]: ...
def sgd_batch_epoch(
    X: NDArray[Any],  # dense (n, d), or a CSR matrix's data with indices, indptr
    indices: NDArray[Any] | None,
    indptr: NDArray[Any] | None,
    y: NDArray[Any],
    sample_weight: NDArray[Any],
    perm: NDArray[Any],
    # see steepest.reference.sgd_batch.sgd_batch_epoch for state and settings;
    # rule as for train_epoch: {"kind", hyperparameters, "state"}
    state: dict[str, Any],
    settings: dict[str, Any],
    rule: dict[str, Any],
    # data-parallel: sums a float64 buffer over the processes; global rows per step
    reduce: Callable[[NDArray[Any]], object] | None = None,
    batches: NDArray[Any] | None = None,
) -> tuple[NDArray[Any], int]: ...
def _set_split_work(work: float) -> None: ...
def _get_split_work() -> float: ...
