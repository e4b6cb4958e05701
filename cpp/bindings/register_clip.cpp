// Binding of clip_grad_norm: the global norm over a list of gradients, with a
// deterministic block reduction, then an in-place scale when it exceeds
// max_norm. Full documentation lives in python/steepest/functional.py.
#include <algorithm>
#include <cmath>
#include <cstdint>

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

template <class S>
void list_blocks(const std::vector<S>& segs, std::vector<block>& out) {
    for (std::size_t i = 0; i < segs.size(); ++i) {
        for (index_t lo = 0; lo < segs[i].size; lo += clip_block) {
            out.push_back({i, lo, std::min(segs[i].size, lo + clip_block)});
        }
    }
}

// A float16 or bfloat16 gradient: its norm and scaling run on float32 tiles.
struct half_grad {
    std::uint16_t* grad;
    index_t size;
    storage store;
};

template <class T>
double block_norm(const kernel_table<T>& k, const T* g, index_t n, double q) {
    if (std::isinf(q)) return k.max_abs(g, n);
    if (q == 2.0) return k.sum_squares(g, n);
    return k.sum_abs_pow(g, n, q);
}

// norm(segment, lo, n): the block's sum (or maximum), in parallel over blocks.
template <class S, class Norm>
void reduce_blocks(const std::vector<S>& segs, Norm&& norm, std::vector<double>& acc) {
    std::vector<block> blocks;
    list_blocks(segs, blocks);
    std::vector<double> part(blocks.size(), 0.0);
    index_t grain_blocks = std::max<index_t>(1, grain_for(0.3) / clip_block);
    parallel_for(static_cast<index_t>(blocks.size()), grain_blocks, 1, [&](index_t b, index_t e) {
        for (index_t j = b; j < e; ++j) {
            const block& bl = blocks[static_cast<std::size_t>(j)];
            part[static_cast<std::size_t>(j)] = norm(segs[bl.seg], bl.lo, bl.hi - bl.lo);
        }
    });
    acc.insert(acc.end(), part.begin(), part.end());
}

template <class T>
void reduce_all(const std::vector<segment<T>>& segs, double q, std::vector<double>& acc) {
    const kernel_table<T>& k = kernels<T>();
    reduce_blocks(segs, [&](const segment<T>& s, index_t lo, index_t n) {
        return block_norm(k, s.grad + lo, n, q);
    }, acc);
}

// Widened exactly, a 16-bit block has the float32 block's norm.
void reduce_half(const std::vector<half_grad>& segs, double q, std::vector<double>& acc) {
    const kernel_table<float>& k = kernels<float>();
    reduce_blocks(segs, [&](const half_grad& s, index_t lo, index_t n) {
        thread_local std::vector<float> wide(clip_block);
        k.widen[static_cast<std::size_t>(s.store)](s.grad + lo, wide.data(), n);
        return block_norm(k, wide.data(), n, q);
    }, acc);
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

// g <- round(float(g) * float(coef)), tile by tile: the reference's astype trip.
void scale_half(const std::vector<half_grad>& segs, double coef) {
    const float c = static_cast<float>(coef);
    const kernel_table<float>& k = kernels<float>();
    std::vector<index_t> sizes;
    for (const half_grad& s : segs) sizes.push_back(s.size);
    for_each_piece(sizes, 0.2, [&](std::size_t i, index_t lo, index_t hi) {
        const half_grad& s = segs[i];
        on_half_tiles(s.grad, s.grad, s.store, lo, hi,
                      [&](float* tile, index_t, index_t n) { k.scale(tile, n, c); });
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
    // 16-bit grads are looked for first, so that other lists keep the message
    // naming float32 and float64
    std::vector<elem> kinds = check_lists(fn, args, any_half(grads));
    std::vector<segment<float>> f32;
    std::vector<segment<double>> f64;
    std::vector<half_grad> f16;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        void* p = const_cast<void*>(args[0].items[i].data());
        auto n = static_cast<index_t>(args[0].items[i].size());
        if (kinds[i] == elem::f32) {
            f32.push_back({static_cast<float*>(p), static_cast<float*>(p), {}, n});
        } else if (kinds[i] == elem::f64) {
            f64.push_back({static_cast<double*>(p), static_cast<double*>(p), {}, n});
        } else {
            f16.push_back({static_cast<std::uint16_t*>(p), n,
                           kinds[i] == elem::f16 ? storage::f16 : storage::bf16});
        }
    }
    double total = 0;
    {
        py::gil_scoped_release nogil;
        std::vector<double> parts;
        reduce_all(f32, norm_type, parts);
        reduce_all(f64, norm_type, parts);
        reduce_half(f16, norm_type, parts);
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
        scale_half(f16, coef);
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
