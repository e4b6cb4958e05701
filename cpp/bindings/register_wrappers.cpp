// Bindings of lookahead_sync, the slow-weight update of steepest.Lookahead
// (kernel: steepest/optim/lookahead.hpp), and ema_update, the moving average
// of steepest.EMA as a pass of its own (steepest/optim/ema.hpp; the fused
// one is step_with_ema). Full documentation lives in
// python/steepest/reference/functional/_lookahead.py and _ema.py.
#include <cmath>

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

void lookahead_sync(py::handle slow, py::handle fast, py::handle alpha_) {
    const std::string fn = "lookahead_sync";
    double alpha = real_arg(fn, "alpha", alpha_);
    if (!(std::isfinite(alpha) && alpha > 0 && alpha <= 1)) {
        value_error(fn, "alpha must be in (0, 1], got " + repr_float(alpha));
    }
    std::vector<list_arg> args{list_arg{"slow", slow, true}, list_arg{"fast", fast, true}};
    std::vector<elem> kinds = check_lists(fn, args);
    std::vector<pair_segment<float>> f32;
    std::vector<pair_segment<double>> f64;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        void* s = const_cast<void*>(args[0].items[i].data());
        void* f = const_cast<void*>(args[1].items[i].data());
        auto n = static_cast<index_t>(args[0].items[i].size());
        if (kinds[i] == elem::f32) {
            f32.push_back({static_cast<float*>(s), static_cast<float*>(f), n});
        } else {
            f64.push_back({static_cast<double*>(s), static_cast<double*>(f), n});
        }
    }
    py::gil_scoped_release nogil;
    sync_all(f32, alpha);
    sync_all(f64, alpha);
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

// pair_segment's slow is the average, fast the params (read only).
void ema_update(py::handle ema, py::handle params, py::handle decay_) {
    const std::string fn = "ema_update";
    double decay = real_arg(fn, "decay", decay_);
    if (!(decay >= 0 && decay < 1)) {
        value_error(fn, "decay must be in [0, 1), got " + repr_float(decay));
    }
    std::vector<list_arg> args{list_arg{"ema", ema, true}, list_arg{"params", params, false}};
    std::vector<elem> kinds = check_lists(fn, args);
    std::vector<pair_segment<float>> f32;
    std::vector<pair_segment<double>> f64;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        void* e = const_cast<void*>(args[0].items[i].data());
        void* p = const_cast<void*>(args[1].items[i].data());
        auto n = static_cast<index_t>(args[0].items[i].size());
        if (kinds[i] == elem::f32) {
            f32.push_back({static_cast<float*>(e), static_cast<float*>(p), n});
        } else {
            f64.push_back({static_cast<double*>(e), static_cast<double*>(p), n});
        }
    }
    py::gil_scoped_release nogil;
    ema_all(f32, decay);
    ema_all(f64, decay);
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
