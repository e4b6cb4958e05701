// Every optimizer and reduction kernel instantiated for float and double.
// This file is compiled once per ISA level (CMakeLists.txt) with
// STEEPEST_ISA_NS naming the namespace, so each level gets its own symbols.
#include "steepest/kernel_table.hpp"
#include "steepest/optim/adagrad.hpp"
#include "steepest/optim/adam.hpp"
#include "steepest/optim/reduce.hpp"
#include "steepest/optim/rmsprop.hpp"
#include "steepest/optim/sgd.hpp"

#ifndef STEEPEST_ISA_NS
#error "STEEPEST_ISA_NS must name the ISA namespace"
#endif

namespace steepest::STEEPEST_ISA_NS {
namespace {

template <class C>
const C& as(const void* c) {
    return *static_cast<const C*>(c);
}

template <class T, bool WD, momentum_kind M, bool First>
void sgd_leaf(T* p, const T* g, T* s0, T*, T*, index_t n, const void* c) {
    sgd_chunk<T, WD, M, First>(p, g, s0, n, as<sgd_coeffs<T>>(c));
}

template <class T, bool WD>
void adagrad_leaf(T* p, const T* g, T* s0, T*, T*, index_t n, const void* c) {
    adagrad_chunk<T, WD>(p, g, s0, n, as<adagrad_coeffs<T>>(c));
}

template <class T, bool WD, bool Centered, bool Momentum>
void rmsprop_leaf(T* p, const T* g, T* s0, T* s1, T* s2, index_t n, const void* c) {
    rmsprop_chunk<T, WD, Centered, Momentum>(p, g, s0, s1, s2, n, as<rmsprop_coeffs<T>>(c));
}

template <class T, bool L2, bool Decoupled, bool AMS>
void adam_leaf(T* p, const T* g, T* s0, T* s1, T* s2, index_t n, const void* c) {
    adam_chunk<T, L2, Decoupled, AMS>(p, g, s0, s1, s2, n, as<adam_coeffs<T>>(c));
}

template <class T>
void traffic_leaf(T* p, const T* g, T* s0, T* s1, T*, index_t n, const void*) {
    traffic_chunk(p, g, s0, s1, n);
}

template <class T>
bool all_finite(const T* g, index_t n) { return all_finite_chunk(g, n); }
template <class T>
double sum_squares(const T* g, index_t n) { return sum_squares_chunk(g, n); }
template <class T>
double max_abs(const T* g, index_t n) { return max_abs_chunk(g, n); }
template <class T>
double sum_abs_pow(const T* g, index_t n, double q) { return sum_abs_pow_chunk(g, n, q); }
template <class T>
void scale(T* g, index_t n, T c) { scale_chunk(g, n, c); }

template <class T, bool WD>
void fill_sgd(kernel_table<T>& t) {
    constexpr int w = WD ? 1 : 0;
    t.sgd[w][0][0] = t.sgd[w][0][1] = &sgd_leaf<T, WD, momentum_kind::none, false>;
    t.sgd[w][1][0] = &sgd_leaf<T, WD, momentum_kind::heavy_ball, false>;
    t.sgd[w][1][1] = &sgd_leaf<T, WD, momentum_kind::heavy_ball, true>;
    t.sgd[w][2][0] = &sgd_leaf<T, WD, momentum_kind::nesterov, false>;
    t.sgd[w][2][1] = &sgd_leaf<T, WD, momentum_kind::nesterov, true>;
}

template <class T, bool A, bool B>
void fill_pair(kernel_table<T>& t) {
    t.rmsprop[A][B][0] = &rmsprop_leaf<T, A, B, false>;
    t.rmsprop[A][B][1] = &rmsprop_leaf<T, A, B, true>;
    t.adam[A][B][0] = &adam_leaf<T, A, B, false>;
    t.adam[A][B][1] = &adam_leaf<T, A, B, true>;
}

template <class T>
kernel_table<T> make_table() {
    kernel_table<T> t{};
    fill_sgd<T, false>(t);
    fill_sgd<T, true>(t);
    t.adagrad[0] = &adagrad_leaf<T, false>;
    t.adagrad[1] = &adagrad_leaf<T, true>;
    fill_pair<T, false, false>(t);
    fill_pair<T, false, true>(t);
    fill_pair<T, true, false>(t);
    fill_pair<T, true, true>(t);
    t.all_finite = &all_finite<T>;
    t.sum_squares = &sum_squares<T>;
    t.max_abs = &max_abs<T>;
    t.sum_abs_pow = &sum_abs_pow<T>;
    t.scale = &scale<T>;
    t.traffic = &traffic_leaf<T>;
    return t;
}

}  // namespace

const kernel_table<float>& table_float() {
    static const kernel_table<float> t = make_table<float>();
    return t;
}

const kernel_table<double>& table_double() {
    static const kernel_table<double> t = make_table<double>();
    return t;
}

}  // namespace steepest::STEEPEST_ISA_NS
