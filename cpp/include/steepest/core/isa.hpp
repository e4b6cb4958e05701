// The instruction-set levels the kernels are built for, and the one in use:
// chosen once at import by cpp/src/dispatch.cpp (the highest level the build
// has and the CPU supports, unless STEEPEST_ISA overrides it), changeable by
// tests. Which functions each level provides is kernel_table.hpp's business.
#pragma once

namespace steepest {

enum class isa { baseline = 0, v3 = 1, v4 = 2 };

isa selected_isa();
void select_isa(isa which);
bool isa_built(isa which);
bool isa_supported(isa which);
const char* isa_name(isa which);
// Whether the training loops (train/table.hpp) have their own objects for
// this level; else the baseline's run there.
bool isa_loops_built(isa which);
// Whether that level's loops were compiled with their threads (OpenMP).
bool isa_loops_threaded(isa which);

}  // namespace steepest
