// A schedule description (the dict of a steepest schedule's to_native())
// validated and compiled for the C++ side; defined in register_schedule.cpp.
#pragma once

#include <pybind11/pybind11.h>

#include "steepest/schedule/schedules.hpp"

namespace steepest::bind {

schedule::schedule compile_schedule(pybind11::handle desc);

}  // namespace steepest::bind
