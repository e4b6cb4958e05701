// Binding of clip_grad_norm: the global norm over a list of gradients, with a
// deterministic block reduction, then an in-place scale when it exceeds
// max_norm. Full documentation lives in python/steepest/functional.py.
#include <cmath>

#include "step_driver.hpp"

namespace steepest::bind {
namespace {

// Fixed-size blocks summed in block order: the total does not depend on the
// number of threads.
constexpr index_t clip_block = 16384;

struct block {
    std::size_t seg;
    index_t lo, hi;
};

template <class T>
void list_blocks(const std::vector<segment<T>>& segs, std::vector<block>& out) {
    for (std::size_t i = 0; i < segs.size(); ++i) {
        for (index_t lo = 0; lo < segs[i].size; lo += clip_block) {
            out.push_back({i, lo, std::min(segs[i].size, lo + clip_block)});
        }
    }
}

template <class T>
void reduce_blocks(const std::vector<segment<T>>& segs, double q, std::vector<double>& acc) {
    std::vector<block> blocks;
    list_blocks(segs, blocks);
    std::vector<double> part(blocks.size(), 0.0);
    const kernel_table<T>& k = kernels<T>();
    index_t grain_blocks = std::max<index_t>(1, grain_for(0.3) / clip_block);
    parallel_for(static_cast<index_t>(blocks.size()), grain_blocks, 1, [&](index_t b, index_t e) {
        for (index_t j = b; j < e; ++j) {
            const block& bl = blocks[static_cast<std::size_t>(j)];
            const T* g = segs[bl.seg].grad + bl.lo;
            index_t n = bl.hi - bl.lo;
            double r;
            if (std::isinf(q)) {
                r = k.max_abs(g, n);
            } else if (q == 2.0) {
                r = k.sum_squares(g, n);
            } else {
                r = k.sum_abs_pow(g, n, q);
            }
            part[static_cast<std::size_t>(j)] = r;
        }
    });
    acc.insert(acc.end(), part.begin(), part.end());
}

template <class T>
void scale_all(const std::vector<segment<T>>& segs, double coef) {
    T c = static_cast<T>(coef);
    auto scale = kernels<T>().scale;
    std::vector<index_t> sizes;
    for (const segment<T>& s : segs) sizes.push_back(s.size);
    for_each_piece(sizes, 0.2, [&](std::size_t i, index_t lo, index_t hi) {
        scale(const_cast<T*>(segs[i].grad) + lo, hi - lo, c);
    });
}

double clip_grad_norm(py::handle grads, py::handle max_norm_, py::handle norm_type_,
                      py::handle error_if_nonfinite_) {
    const std::string fn = "clip_grad_norm";
    double max_norm = real_arg(fn, "max_norm", max_norm_);
    double norm_type = real_arg(fn, "norm_type", norm_type_);
    bool error_if_nonfinite = bool_arg(fn, "error_if_nonfinite", error_if_nonfinite_);
    // torch accepts max_norm=inf (no clipping); NaN and negatives are errors.
    if (!(max_norm >= 0)) {
        value_error(fn, "max_norm must be a number >= 0 (inf allowed), got " + repr_float(max_norm));
    }
    if (!(norm_type > 0)) {
        value_error(fn, "norm_type must be > 0 (inf allowed), got " + repr_float(norm_type));
    }
    std::vector<list_arg> args{list_arg{"grads", grads, true}};
    std::vector<elem> kinds = check_lists(fn, args);
    std::vector<segment<float>> f32;
    std::vector<segment<double>> f64;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        void* p = const_cast<void*>(args[0].items[i].data());
        auto n = static_cast<index_t>(args[0].items[i].size());
        if (kinds[i] == elem::f32) {
            f32.push_back({static_cast<float*>(p), static_cast<float*>(p), {}, n});
        } else {
            f64.push_back({static_cast<double*>(p), static_cast<double*>(p), {}, n});
        }
    }
    double total = 0;
    {
        py::gil_scoped_release nogil;
        std::vector<double> parts;
        reduce_blocks(f32, norm_type, parts);
        reduce_blocks(f64, norm_type, parts);
        if (std::isinf(norm_type)) {
            for (double x : parts) total = nan_max(total, x);
        } else {
            for (double x : parts) total += x;
            total = norm_type == 2.0 ? std::sqrt(total)
                                     : std::pow(total, 1.0 / norm_type);
        }
    }
    if (error_if_nonfinite && !std::isfinite(total)) {
        value_error(fn, "the total norm of grads is " + repr_float(total) +
                            "; nothing was scaled (error_if_nonfinite=True)");
    }
    // torch.nn.utils.clip_grad_norm_: coef = max_norm / (total + 1e-6), clamped to 1.
    double coef = max_norm / (total + 1e-6);
    if (coef < 1.0 || std::isnan(coef)) {
        py::gil_scoped_release nogil;
        scale_all(f32, coef);
        scale_all(f64, coef);
    }
    return total;
}

}  // namespace

void register_clip(py::module_& m) {
    m.def("clip_grad_norm", &clip_grad_norm, "Clip gradients by their global norm, in place.",
          py::arg("grads"), py::arg("max_norm"), py::arg("norm_type"),
          py::arg("error_if_nonfinite"));
}

}  // namespace steepest::bind
