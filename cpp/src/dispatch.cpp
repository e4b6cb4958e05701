// Picks the kernel table (and the training loops' table) for the CPU once at
// import: the highest ISA level the build has and the CPU supports, unless
// STEEPEST_ISA overrides it.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "steepest/kernel_table.hpp"
#include "steepest/train/table.hpp"

namespace steepest {

bool isa_built(isa which) {
    switch (which) {
        case isa::baseline: return true;
#ifdef STEEPEST_BUILT_ISA_V3
        case isa::v3: return true;
#endif
#ifdef STEEPEST_BUILT_ISA_V4
        case isa::v4: return true;
#endif
        default: return false;
    }
}

bool isa_supported(isa which) {
    if (!isa_built(which)) return false;
#if defined(STEEPEST_BUILT_ISA_V3) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    // Tested feature by feature: only recent compilers know the level names.
    bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("avx");
    bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    if (which == isa::v3) return v3;
    if (which == isa::v4) return v4;
#endif
    return which == isa::baseline;
}

const char* isa_name(isa which) {
    switch (which) {
        case isa::v3: return "v3";
        case isa::v4: return "v4";
        default: return "baseline";
    }
}

namespace {

isa best_isa() {
    if (isa_supported(isa::v4)) return isa::v4;
    if (isa_supported(isa::v3)) return isa::v3;
    return isa::baseline;
}

isa initial_isa() {
    const char* env = std::getenv("STEEPEST_ISA");
    if (env == nullptr || *env == '\0') return best_isa();
    for (isa w : {isa::baseline, isa::v3, isa::v4}) {
        if (std::strcmp(env, isa_name(w)) == 0) {
            if (!isa_supported(w)) {
                throw std::runtime_error(std::string("STEEPEST_ISA=") + env +
                                         " is not available on this CPU or build");
            }
            return w;
        }
    }
    throw std::runtime_error(std::string("STEEPEST_ISA=") + env +
                             " is unknown; expected baseline, v3 or v4");
}

std::atomic<int>& current() {
    static std::atomic<int> c{static_cast<int>(initial_isa())};
    return c;
}

}  // namespace

isa selected_isa() { return static_cast<isa>(current().load()); }

void select_isa(isa which) {
    if (!isa_supported(which)) {
        throw std::invalid_argument(std::string("ISA ") + isa_name(which) +
                                    " is not available on this CPU or build");
    }
    current().store(static_cast<int>(which));
}

template <>
const kernel_table<float>& kernels<float>() {
    switch (selected_isa()) {
#ifdef STEEPEST_BUILT_ISA_V3
        case isa::v3: return isa_v3::table_float();
#endif
#ifdef STEEPEST_BUILT_ISA_V4
        case isa::v4: return isa_v4::table_float();
#endif
        default: return isa_baseline::table_float();
    }
}

template <>
const kernel_table<double>& kernels<double>() {
    switch (selected_isa()) {
#ifdef STEEPEST_BUILT_ISA_V3
        case isa::v3: return isa_v3::table_double();
#endif
#ifdef STEEPEST_BUILT_ISA_V4
        case isa::v4: return isa_v4::table_double();
#endif
        default: return isa_baseline::table_double();
    }
}

bool isa_loops_built(isa which) {
    switch (which) {
        case isa::baseline: return true;
#ifdef STEEPEST_LOOPS_ISA_V3
        case isa::v3: return true;
#endif
#ifdef STEEPEST_LOOPS_ISA_V4
        case isa::v4: return true;
#endif
        default: return false;
    }
}

bool isa_loops_threaded(isa which) {
    switch (which) {
#ifdef STEEPEST_LOOPS_ISA_V3
        case isa::v3: return isa_v3::loop_table_float().threaded;
#endif
#ifdef STEEPEST_LOOPS_ISA_V4
        case isa::v4: return isa_v4::loop_table_float().threaded;
#endif
        default: return isa_baseline::loop_table_float().threaded;
    }
}

namespace train {

template <>
const loop_table<float>& loops<float>() {
    switch (selected_isa()) {
#ifdef STEEPEST_LOOPS_ISA_V3
        case isa::v3: return isa_v3::loop_table_float();
#endif
#ifdef STEEPEST_LOOPS_ISA_V4
        case isa::v4: return isa_v4::loop_table_float();
#endif
        default: return isa_baseline::loop_table_float();
    }
}

template <>
const loop_table<double>& loops<double>() {
    switch (selected_isa()) {
#ifdef STEEPEST_LOOPS_ISA_V3
        case isa::v3: return isa_v3::loop_table_double();
#endif
#ifdef STEEPEST_LOOPS_ISA_V4
        case isa::v4: return isa_v4::loop_table_double();
#endif
        default: return isa_baseline::loop_table_double();
    }
}

}  // namespace train

}  // namespace steepest
