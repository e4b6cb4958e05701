// The training loops as the bindings reach them: one table of entry points per
// element type and ISA level. cpp/src/train_kernels.cpp compiles loop.hpp and
// data_parallel.hpp (and the model code they inline) once per level, as the
// rule kernels are, and dispatch.cpp hands out the selected level's table
// (the same core/isa.hpp selection; where the build could not give a level
// private copies of its inline code, the baseline's loops run there:
// isa_loops_built and CMakeLists.txt).
#pragma once

#include <cstdint>

#include "steepest/core/isa.hpp"
#include "steepest/train/data_parallel.hpp"
#include "steepest/train/loop.hpp"

namespace steepest::train {

template <class T>
struct loop_table {
    epoch_result (*run_epoch)(model::network<T>& net, optimizer<T>& opt, const data<T>& in,
                              index_t batch, stop_check check);
    epoch_result (*run_epoch_data_parallel)(model::network<T>& net, optimizer<T>& opt,
                                            const data<T>& in, index_t batch,
                                            const std::int64_t* global, index_t steps,
                                            const all_reduce<T>& reduce, stop_check check);
    // whether this level's loops were compiled with their threads (OpenMP),
    // as the bindings were: build_info()["loop_threads"]
    bool threaded;
};

// The table of the selected ISA (dispatch.cpp).
template <class T>
const loop_table<T>& loops();
template <>
const loop_table<float>& loops<float>();
template <>
const loop_table<double>& loops<double>();

}  // namespace steepest::train

#define STEEPEST_DECLARE_LOOP_TABLES(NS)                  \
    namespace steepest::NS {                              \
    const train::loop_table<float>& loop_table_float();   \
    const train::loop_table<double>& loop_table_double(); \
    }

STEEPEST_DECLARE_LOOP_TABLES(isa_baseline)
STEEPEST_DECLARE_LOOP_TABLES(isa_v3)
STEEPEST_DECLARE_LOOP_TABLES(isa_v4)
