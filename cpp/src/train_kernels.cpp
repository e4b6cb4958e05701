// The training loops (train/loop.hpp, train/data_parallel.hpp and the model
// code under them), instantiated for float and double. Compiled once per ISA
// level (CMakeLists.txt) with STEEPEST_ISA_NS naming the namespace of the
// entry points. Unlike optim_kernels.cpp this file instantiates ordinary
// inline and template code (the loops, std::vector, the model's passes): for
// v3/v4 the build renames every weak function of the object after compiling
// it (cmake/isa_private_copies.cmake), so that the linker cannot hand an
// AVX2/AVX-512 copy of a shared inline function to baseline code; the shared
// data (function-local statics: the pool, the settings) keeps its name.
#include "steepest/train/table.hpp"

#ifndef STEEPEST_ISA_NS
#error "STEEPEST_ISA_NS must name the ISA namespace"
#endif

namespace steepest::STEEPEST_ISA_NS {
namespace {

#ifdef STEEPEST_HAVE_OPENMP
constexpr bool threaded = true;
#else
constexpr bool threaded = false;
#endif

template <class T>
train::epoch_result serial(model::network<T>& net, train::optimizer<T>& opt,
                           const train::data<T>& in, index_t batch, train::stop_check check) {
    return train::run_epoch(net, opt, in, batch, check);
}

template <class T>
train::epoch_result data_parallel(model::network<T>& net, train::optimizer<T>& opt,
                                  const train::data<T>& in, index_t batch,
                                  const std::int64_t* global, index_t steps,
                                  const train::all_reduce<T>& reduce, train::stop_check check) {
    return train::run_epoch_data_parallel(net, opt, in, batch, global, steps, reduce, check);
}

}  // namespace

const train::loop_table<float>& loop_table_float() {
    static const train::loop_table<float> t{&serial<float>, &data_parallel<float>, threaded};
    return t;
}

const train::loop_table<double>& loop_table_double() {
    static const train::loop_table<double> t{&serial<double>, &data_parallel<double>, threaded};
    return t;
}

}  // namespace steepest::STEEPEST_ISA_NS
