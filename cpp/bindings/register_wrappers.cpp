// Bindings of lookahead_sync, the slow-weight update of steepest.Lookahead
// (kernel: steepest/optim/lookahead.hpp), and ema_update, the moving average
// of steepest.EMA as a pass of its own (steepest/optim/ema.hpp; the fused
// one is step_with_ema). Full documentation lives in
// python/steepest/reference/functional/_lookahead.py and _ema.py.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "segment.hpp"
#include "step_driver.hpp"
#include "steepest/optim/lookahead.hpp"

namespace steepest::bind {
namespace {

template <class T>
struct pair_segment {
    T* slow;
    T* fast;
    index_t size;
};

template <class T>
void sync_all(const std::vector<pair_segment<T>>& segs, double alpha) {
    if (segs.empty()) return;
    T a = static_cast<T>(alpha);
    auto kernel = kernels<T>().lookahead;
    std::vector<index_t> sizes;
    for (const pair_segment<T>& s : segs) sizes.push_back(s.size);
    // two reads and two writes per element, about half of Adam's traffic
    for_each_piece(sizes, 0.5, [&](std::size_t i, index_t lo, index_t hi) {
        kernel(segs[i].slow + lo, segs[i].fast + lo, hi - lo, a);
    });
}

// float32 slow weights of a float16 or bfloat16 fast array (or a float32
// moving average of a float16 or bfloat16 param, only read).
struct half_pair {
    float* slow;
    std::uint16_t* fast;
    index_t size;
    storage store;
};

// A wrapper's arrays (slow weights or average) beside the params, checked
// and split by dtype. A 16-bit param's are float32 (its state): the params
// are then checked first, so that messages name them as the steps do.
struct pair_lists {
    std::vector<pair_segment<float>> f32;
    std::vector<pair_segment<double>> f64;
    std::vector<half_pair> f16;
};

pair_lists check_pairs(const std::string& fn, list_arg mine, list_arg params) {
    const bool half = any_half(params.obj);
    std::vector<list_arg> args;
    if (half) {
        args = {params, mine};
    } else {
        args = {mine, params};
    }
    std::vector<elem> kinds = check_lists(fn, args, half, 1);
    const std::size_t si = half ? 1 : 0;
    pair_lists out;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        void* s = const_cast<void*>(args[si].items[i].data());
        void* f = const_cast<void*>(args[1 - si].items[i].data());
        auto n = static_cast<index_t>(args[0].items[i].size());
        if (kinds[i] == elem::f32) {
            out.f32.push_back({static_cast<float*>(s), static_cast<float*>(f), n});
        } else if (kinds[i] == elem::f64) {
            out.f64.push_back({static_cast<double*>(s), static_cast<double*>(f), n});
        } else {
            out.f16.push_back({static_cast<float*>(s), static_cast<std::uint16_t*>(f), n,
                               kinds[i] == elem::f16 ? storage::f16 : storage::bf16});
        }
    }
    return out;
}

// The float32 update on tiles of the widened fast weights, each tile (then
// equal to the new slow weights) rounded back: the reference's astype round
// trip (segment.hpp on_half_tiles).
void sync_half(const std::vector<half_pair>& segs, double alpha) {
    if (segs.empty()) return;
    const float a = static_cast<float>(alpha);
    const kernel_table<float>& k = kernels<float>();
    std::vector<index_t> sizes;
    for (const half_pair& s : segs) sizes.push_back(s.size);
    for_each_piece(sizes, 0.5, [&](std::size_t i, index_t lo, index_t hi) {
        const half_pair& s = segs[i];
        on_half_tiles(s.fast, s.fast, s.store, lo, hi, [&](float* tile, index_t b, index_t n) {
            k.lookahead(s.slow + b, tile, n, a);
        });
    });
}

void lookahead_sync(py::handle slow, py::handle fast, py::handle alpha_) {
    const std::string fn = "lookahead_sync";
    double alpha = real_arg(fn, "alpha", alpha_);
    if (!(std::isfinite(alpha) && alpha > 0 && alpha <= 1)) {
        value_error(fn, "alpha must be in (0, 1], got " + repr_float(alpha));
    }
    // the fast weights are the params: a 16-bit one has float32 slow weights
    pair_lists pairs = check_pairs(fn, list_arg{"slow", slow, true}, list_arg{"fast", fast, true});
    py::gil_scoped_release nogil;
    sync_all(pairs.f32, alpha);
    sync_all(pairs.f64, alpha);
    sync_half(pairs.f16, alpha);
}

template <class T>
void ema_all(const std::vector<pair_segment<T>>& segs, double decay) {
    if (segs.empty()) return;
    const ema_pass<T> e = ema_pass<T>::make(decay);
    auto kernel = kernels<T>().ema;
    std::vector<index_t> sizes;
    for (const pair_segment<T>& s : segs) sizes.push_back(s.size);
    for_each_piece(sizes, 0.4, [&](std::size_t i, index_t lo, index_t hi) {
        kernel(segs[i].slow + lo, segs[i].fast + lo, hi - lo, e.decay, e.weight);
    });
}

// The float32 average of a 16-bit param's exact (widened) values, tile by tile.
void ema_half(const std::vector<half_pair>& segs, double decay) {
    if (segs.empty()) return;
    const ema_pass<float> e = ema_pass<float>::make(decay);
    auto kernel = kernels<float>().ema;
    std::vector<index_t> sizes;
    for (const half_pair& s : segs) sizes.push_back(s.size);
    for_each_piece(sizes, 0.4, [&](std::size_t i, index_t lo, index_t hi) {
        const half_pair& s = segs[i];
        on_half_tiles(s.fast, nullptr, s.store, lo, hi, [&](const float* p, index_t b, index_t n) {
            kernel(s.slow + b, p, n, e.decay, e.weight);
        });
    });
}

// pair_segment's slow is the average, fast the params (read only).
void ema_update(py::handle ema, py::handle params, py::handle decay_) {
    const std::string fn = "ema_update";
    double decay = real_arg(fn, "decay", decay_);
    if (!(decay >= 0 && decay < 1)) {
        value_error(fn, "decay must be in [0, 1), got " + repr_float(decay));
    }
    // a 16-bit param has a float32 average (its state)
    pair_lists pairs =
        check_pairs(fn, list_arg{"ema", ema, true}, list_arg{"params", params, false});
    py::gil_scoped_release nogil;
    ema_all(pairs.f32, decay);
    ema_all(pairs.f64, decay);
    ema_half(pairs.f16, decay);
}

}  // namespace

void register_wrappers(py::module_& m) {
    m.def("lookahead_sync", &lookahead_sync,
          "Lookahead's slow-weight update: slow += alpha * (fast - slow); fast = slow.",
          py::arg("slow"), py::arg("fast"), py::arg("alpha"));
    m.def("ema_update", &ema_update,
          "The params' moving average: ema <- decay * ema + (1 - decay) * params.",
          py::arg("ema"), py::arg("params"), py::arg("decay"));
}

}  // namespace steepest::bind
