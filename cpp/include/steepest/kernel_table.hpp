// The interface between the per-ISA kernel objects (cpp/src/optim_kernels.cpp,
// compiled once per instruction-set level) and the bindings: a table of
// function pointers per element type, one table per ISA.
#pragma once

#include "steepest/common.hpp"

namespace steepest {

template <class T>
struct kernel_table {
    leaf_fn<T> sgd[2][3][2];      // [weight decay][momentum_kind][first step]
    leaf_fn<T> adagrad[2];        // [weight decay]
    leaf_fn<T> rmsprop[2][2][2];  // [weight decay][centered][momentum]
    leaf_fn<T> adam[2][2][2];     // [L2][decoupled][amsgrad]
    bool (*all_finite)(const T*, index_t);
    double (*sum_squares)(const T*, index_t);
    double (*max_abs)(const T*, index_t);
    double (*sum_abs_pow)(const T*, index_t, double);
    void (*scale)(T*, index_t, T);
    leaf_fn<T> traffic;  // roofline probe for the benchmarks
};

enum class isa { baseline = 0, v3 = 1, v4 = 2 };

#define STEEPEST_DECLARE_TABLES(NS)                  \
    namespace NS {                                   \
    const kernel_table<float>& table_float();        \
    const kernel_table<double>& table_double();      \
    }

STEEPEST_DECLARE_TABLES(isa_baseline)
STEEPEST_DECLARE_TABLES(isa_v3)
STEEPEST_DECLARE_TABLES(isa_v4)

// Chosen once at import (dispatch.cpp), overridable for tests.
isa selected_isa();
void select_isa(isa which);
bool isa_built(isa which);
bool isa_supported(isa which);
const char* isa_name(isa which);

template <class T>
const kernel_table<T>& kernels();
template <>
const kernel_table<float>& kernels<float>();
template <>
const kernel_table<double>& kernels<double>();

}  // namespace steepest
