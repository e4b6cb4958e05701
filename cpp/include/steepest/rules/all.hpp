// THE list of update rules. The per-ISA kernel tables (cpp/src/optim_kernels.cpp),
// the functional bindings <name>_step (cpp/bindings/register_optim.cpp) and the
// training loop's rule reader (cpp/bindings/register_train.cpp) are generated
// from it: adding a rule is its header (see rule.hpp for what it declares)
// plus one entry here.
#pragma once

#include "steepest/rules/adabelief.hpp"
#include "steepest/rules/adadelta.hpp"
#include "steepest/rules/adagrad.hpp"
#include "steepest/rules/adam.hpp"
#include "steepest/rules/adamax.hpp"
#include "steepest/rules/asgd.hpp"
#include "steepest/rules/lamb.hpp"
#include "steepest/rules/lion.hpp"
#include "steepest/rules/nadam.hpp"
#include "steepest/rules/radam.hpp"
#include "steepest/rules/rmsprop.hpp"
#include "steepest/rules/rprop.hpp"
#include "steepest/rules/rule.hpp"
#include "steepest/rules/schedulefree.hpp"
#include "steepest/rules/sgd.hpp"

namespace steepest::rules {

using all = rule_list<sgd, adagrad, rmsprop, adam, adamw, adamax, adadelta, radam, nadam, rprop,
                      asgd, lamb, lion, adabelief, sgd_schedulefree,
                      adamw_schedulefree>;

}  // namespace steepest::rules
