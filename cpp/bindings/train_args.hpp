// The arguments of the native training loop's binding (register_train.cpp),
// read and checked before any array is touched: `epoch_args` holds them; the
// rule dict is read in train_rule.cpp, the params, data, targets and options
// in train_args.cpp. Messages name the binding "train_epoch".
#pragma once

#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "steepest/rules/plan.hpp"
#include "steepest/schedule/schedules.hpp"
#include "steepest/train/loop.hpp"
#include "step_driver.hpp"

namespace steepest::bind::train_args {

// Everything one epoch needs, checked.
struct epoch_args {
    std::vector<py::array> params;
    std::vector<index_t> units;  // n0 (features), ..., nL (outputs)
    elem kind = elem::f64;
    py::dtype dt;
    any_rule r;
    std::vector<std::vector<py::array>> state;
    std::vector<scalar_arg> scalars;  // the rule's per-param scalars, if it keeps any
    long long step = 0;
    schedule::schedule sched;
    bool has_sched = false;
    double lr = 0, lr_scale = 1, alpha = 0, l1_ratio = 0;
    py::array X, y, perm;
    py::array X_indices, X_indptr;  // X as CSR: X holds its data (else unused)
    bool csr = false;
    index_t n = 0;
    py::object weights;  // None or an array (n,) of the params' dtype
    index_t batch = 0;
    model::loss_kind loss = model::loss_kind::squared;
    model::activation act = model::activation::identity;
    int n_threads = 0;
    bool fit_bias = true;
    std::vector<py::array> ema;  // the params' moving average, or none
    double ema_decay = 0;
    long long ema_copy_step = -1;
    py::object reduce;  // data-parallel: the all-reduce (None: one process)
    py::array batches;  // data-parallel: the global rows of each step
};

// {"kind": rule name, <its hyperparameters by name>, "state": {name: [arrays]}}
any_rule read_rule(const py::dict& d, const std::vector<py::array>& params, const py::dtype& dt,
                   std::vector<std::vector<py::array>>& state, std::vector<scalar_arg>& scalars);

// ema: None, or a list of arrays alike to the params (written) and apart
// from them; the decay in [0, 1).
void read_ema(epoch_args& a, py::handle ema, py::handle decay, py::handle copy_step);

// [W1, b1, ..., WL, bL]: one float dtype, writeable, shapes chained.
void read_params(epoch_args& a, py::handle obj);

void check_permutation(const py::array& perm, index_t n);

// y: targets of the params' dtype (squared error; multilabel: 0/1 indicators)
// or class indices (int64).
void check_targets(const epoch_args& a, index_t n);

// X dense (n >= 1, d); or, with indices and indptr, the data of a CSR matrix
// with d columns: int32 indices in [0, d) (any order; a repeated one adds
// up), int64 indptr of n + 1 >= 2 non-decreasing offsets from 0 to nnz.
void read_X(epoch_args& a, py::handle X, py::handle indices, py::handle indptr);

model::loss_kind read_loss(py::handle obj, index_t outputs);

model::activation read_activation(py::handle obj);

}  // namespace steepest::bind::train_args
