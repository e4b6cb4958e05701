// One epoch of mini-batch gradient descent, entirely in C++:
//   for s = 0, B, 2B, ... < n:
//       rows  = perm[s : s + B]                       (the last batch may be smaller)
//       J_b   = loss_and_grad(params, X[rows], y[rows], w[rows])   (w: sample weights or none)
//       stop if J_b is NaN or inf                     (divergence: reported, not applied)
//       lr    = (schedule ? schedule(t) : lr) * lr_scale,  t = steps applied so far
//       step t + 1 of the optimizer rule on every param (with the params'
//       moving average, if kept, in the same pass: rules/plan.hpp leaf_then_ema;
//       with L1, after the shrink below instead)
//       L1 proximal step on every weight matrix (model/penalty.hpp: shrink;
//       after the moving average's pass, as the reference's)
//   epoch loss = (sum_b |b| * J_b) / n                (accumulated in double)
// Between batches a stop_check may end the epoch early (a pending Ctrl-C).
// Two ways to run the batches:
// * serial: the calling thread does everything, the BLAS uses its own threads
//   for the GEMMs (small batches, small networks, one thread);
// * split: when a batch is big enough (batch x params >= split_work; CSR X
//   counts its mean nonzeros per row x the first layer's width instead of
//   features x width, since each thread's share of a sparse batch is that
//   small while the gradients it zeroes and sums are whole) one
//   parallel region runs the whole epoch. Each batch's rows are divided among
//   the threads, each running the forward and backward pass on its rows with
//   a single-threaded BLAS; after a barrier each thread sums the per-thread
//   gradients over its share of the parameters (threads in a fixed order:
//   deterministic for a given thread count) and updates that share; a second
//   barrier and the next batch follows. The barriers spin (spin_barrier):
//   waking sleeping threads per batch cost more than the batch's elementwise
//   work on the project's VMs.
// Rows that are consecutive in X (no shuffle) are read in place; otherwise
// they are gathered, since the GEMMs need them contiguous. CSR X (scipy.sparse)
// is gathered the same way, as a small CSR matrix of the batch's rows (their
// nonzeros only); the first layer's products then cost O(nonzeros x width)
// (model/sparse.hpp) and the step stays dense.
// Twin: steepest.reference.train.run_epoch; tests: tests/models/test_native_parity.py.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "steepest/core/parallel.hpp"
#include "steepest/model/dense.hpp"
#include "steepest/rules/plan.hpp"
#include "steepest/schedule/schedules.hpp"

namespace steepest::train {

// The optimizer as the loop drives it: rule, per-param state arrays, steps so far.
template <class T>
struct optimizer {
    any_rule r;
    std::vector<std::vector<T*>> state;  // state[k][param] (k < the rule's count), null where unused
    std::vector<scalar_row> scalars;  // per param, for a rule keeping scalars (else empty)
    long long steps = 0;
    const schedule::schedule* sched = nullptr;
    double lr = 0, lr_scale = 1;
    // The params' moving average (the estimators' ema_decay): one array per
    // param, or empty. Step ema_copy_step copies the params (the average's
    // first step); every other step averages with ema_decay.
    std::vector<T*> ema;
    double ema_decay = 0;
    long long ema_copy_step = -1;

    // The average fused into step t (off without one).
    ema_pass<T> ema_at(long long t) const {
        if (ema.empty()) return {};
        return ema_pass<T>::make(t == ema_copy_step ? 0.0 : ema_decay);
    }

    // The learning rate of the step after `t` applied steps.
    double lr_after(long long t) const {
        double base = sched ? schedule::lr_at(*sched, t) : lr;
        return base * lr_scale;
    }
};

struct epoch_result {
    double loss;      // mean over the epoch; the non-finite J_b on divergence
    long long steps;  // optimizer steps applied in this epoch
    bool diverged;
    bool stopped = false;  // stop_check said so: the epoch is incomplete
};

// Asked between batches, at most every 50 ms: whether to abandon the epoch
// (the binding checks for Python signals there, so Ctrl-C does not wait for
// the end of a long epoch). No function: never.
class stop_check {
 public:
    stop_check() = default;
    stop_check(bool (*fn)(void*), void* ctx) : fn_(fn), ctx_(ctx) {}
    bool poll() {
        if (fn_ == nullptr) return false;
        const auto now = std::chrono::steady_clock::now();
        if (now < next_) return false;
        next_ = now + std::chrono::milliseconds(50);
        return fn_(ctx_);
    }

 private:
    bool (*fn_)(void*) = nullptr;
    void* ctx_ = nullptr;
    std::chrono::steady_clock::time_point next_{};
};

template <class T>
struct data {
    const T* X;                  // n x d, row-major; null when X is CSR (below)
    const std::int64_t* labels;  // n (classification) or null
    const T* targets;            // n x k (regression) or null
    const std::int64_t* perm;    // n
    index_t n;
    const T* weights = nullptr;  // n sample weights (loss multipliers) or null
    model::csr_batch<T> csr{};   // X as CSR (all n rows; indices in [0, d)), or off
};

// Batches with at least this many (rows x parameters) are split over threads:
// 1/16 of the parallel grain, 16 Ki by default (~100 KFLOP, some 30 us of
// work per batch: well above the two spinning barriers a batch costs; the
// parallel region itself is entered once per epoch). A value >= 0 stored in
// split_override() replaces it (tests and benchmarks; infinity: never split).
inline std::atomic<double>& split_override() {
    static std::atomic<double> value{-1.0};
    return value;
}

inline double split_work() {
    const double forced = split_override().load();
    return forced >= 0 ? forced : static_cast<double>(parallel_grain().load()) / 16.0;
}

namespace detail {

// The rows [r0, r1) of the batch `rows`, in place or gathered into ws.
template <class T>
struct batch_rows {
    const T* a0;
    const std::int64_t* labels;
    const T* targets;
    const T* weights;  // null without sample weights
    model::csr_batch<T> csr{};  // the rows as CSR when X is (a0 then null)
};

// Asks for rows before they are needed: with shuffled rows each one is a
// cache miss, which would otherwise dominate small batches.
template <class T>
void prefetch_rows(const T* X, const std::int64_t* rows, index_t b, index_t d) {
    const index_t line = 64 / static_cast<index_t>(sizeof(T));
    for (index_t i = 0; i < b; ++i) {
        const T* row = X + rows[i] * d;
        for (index_t j = 0; j < d; j += line) STEEPEST_PREFETCH(row + j);
    }
}

// The same for the rows' labels or targets (an 800 KB label array of 100k
// samples does not stay in L2 either).
template <class T>
void prefetch_targets(const data<T>& in, const std::int64_t* rows, index_t b, index_t k) {
    for (index_t i = 0; i < b; ++i) {
        if (in.labels) {
            STEEPEST_PREFETCH(in.labels + rows[i]);
        } else {
            STEEPEST_PREFETCH(in.targets + rows[i] * k);
        }
    }
}

inline bool consecutive(const std::int64_t* rows, index_t b) {
    for (index_t i = 1; i < b; ++i) {
        if (rows[i] != rows[0] + i) return false;
    }
    return true;
}

template <class T>
batch_rows<T> gather(const data<T>& in, model::workspace<T>& ws, const std::int64_t* rows,
                     index_t b, index_t d, index_t k) {
    batch_rows<T> out{in.X ? in.X + rows[0] * d : nullptr,
                      in.labels ? in.labels + rows[0] : nullptr,
                      in.targets ? in.targets + rows[0] * k : nullptr,
                      in.weights ? in.weights + rows[0] : nullptr};
    if (in.csr.on()) {  // consecutive rows: a window of the matrix, read in place
        out.csr = {in.csr.val + in.csr.ptr[rows[0]], in.csr.ind + in.csr.ptr[rows[0]],
                   in.csr.ptr + rows[0]};
    }
    if (b <= 1 || consecutive(rows, b)) return out;
    if (in.weights) {
        for (index_t i = 0; i < b; ++i) ws.wb[static_cast<std::size_t>(i)] = in.weights[rows[i]];
        out.weights = ws.wb.data();
    }
    if (in.csr.on()) {
        out.csr = model::gather_csr(in.csr, rows, b, ws.sv, ws.si, ws.sp);
    } else {
        const auto row_bytes = sizeof(T) * static_cast<std::size_t>(d);
        constexpr index_t ahead = 4;  // rows in flight: shuffled rows are cache misses
        prefetch_rows(in.X, rows, std::min(ahead, b), d);
        for (index_t i = 0; i < b; ++i) {
            if (i + ahead < b) prefetch_rows(in.X, rows + i + ahead, 1, d);
            std::memcpy(ws.xb.data() + i * d, in.X + rows[i] * d, row_bytes);
        }
        out.a0 = ws.xb.data();
    }
    if (in.labels) {
        for (index_t i = 0; i < b; ++i) ws.lb[static_cast<std::size_t>(i)] = in.labels[rows[i]];
        out.labels = ws.lb.data();
    } else {
        const auto target_bytes = sizeof(T) * static_cast<std::size_t>(k);
        for (index_t i = 0; i < b; ++i)
            std::memcpy(ws.yb.data() + i * k, in.targets + rows[i] * k, target_bytes);
        out.targets = ws.yb.data();
    }
    return out;
}

template <class T>
T* param_of(model::network<T>& net, std::size_t i) {
    return i % 2 == 0 ? net.weights[i / 2] : net.biases[i / 2];
}

// The plans of step t at learning rate lr: one for every param, or one per
// param from its scalars (`cells`, updated) for a rule keeping them.
template <class T>
void plan_params(const optimizer<T>& opt, long long t, double lr, std::vector<scalar_row>& cells,
                 std::vector<step_plan<T>>& out) {
    out.clear();
    if (cells.empty()) {
        out.push_back(plan_step<T>(opt.r, t, lr));
        return;
    }
    for (scalar_row& c : cells) out.push_back(plan_step<T>(opt.r, t, lr, c.data()));
}

// The update of param i on elements [lo, hi) from grad g (already offset),
// with its average `ema` when the optimizer keeps one.
template <class T>
void update_piece(model::network<T>& net, optimizer<T>& opt,
                  const std::vector<step_plan<T>>& plans, std::size_t i, const T* g, index_t lo,
                  index_t hi, const ema_pass<T>& ema) {
    const step_plan<T>& plan = plans[plans.size() == 1 ? 0 : i];
    T* s[max_state_slots] = {};
    for (std::size_t k = 0; k < opt.state.size(); ++k) {
        T* a = opt.state[k][i];
        s[k] = a ? a + lo : a;
    }
    T* e = opt.ema.empty() ? nullptr : opt.ema[i] + lo;
    leaf_then_ema(plan.leaf, param_of(net, i) + lo, g, s, hi - lo, plan.coeffs(), e, ema);
}

// With an L1 penalty the average must see the thresholded weights, so the
// rule's pass carries none and average_piece follows the shrink instead.
template <class T>
ema_pass<T> fused_ema(const model::network<T>& net, const ema_pass<T>& ema) {
    return net.pen.a1 != 0 ? ema_pass<T>{} : ema;
}

// The average of param i on elements [lo, hi) after the shrink (see fused_ema).
template <class T>
void average_piece(model::network<T>& net, optimizer<T>& opt, std::size_t i, index_t lo,
                   index_t hi, const ema_pass<T>& ema) {
    if (!ema.on || net.pen.a1 == 0 || opt.ema.empty()) return;
    kernels<T>().ema(opt.ema[i] + lo, param_of(net, i) + lo, hi - lo, ema.decay, ema.weight);
}

// A two-pass rule's step over every param (rules/plan.hpp), from grads g.
template <class T>
void two_pass_update(model::network<T>& net, optimizer<T>& opt, const step_plan<T>& plan,
                     const std::vector<std::vector<T>>& g, const std::vector<index_t>& sizes,
                     const ema_pass<T>& ema) {
    auto at = [&](std::size_t i, index_t lo) {
        piece_args<T> a{param_of(net, i) + lo, g[i].data() + lo, {},
                        opt.ema.empty() ? nullptr : opt.ema[i] + lo};
        for (std::size_t k = 0; k < opt.state.size(); ++k) {
            T* s = opt.state[k][i];
            a.s[k] = s ? s + lo : s;
        }
        return a;
    };
    run_two_pass_at(plan, sizes, at, no_check{}, ema);
}

// Serial batch: loss and gradient on this thread, then the update (threaded
// only when the parameters are many).
template <class T>
T serial_batch(model::network<T>& net, model::workspace<T>& ws, optimizer<T>& opt,
               const batch_rows<T>& rows, index_t b, const std::vector<index_t>& sizes,
               index_t count) {
    const T J = model::loss_and_grad(net, ws, rows.a0, rows.labels, rows.targets, rows.weights, b,
                                     rows.csr);
    if (!std::isfinite(J)) return J;
    std::vector<step_plan<T>> plans;
    const double lr = opt.lr_after(opt.steps);
    plan_params(opt, opt.steps + 1, lr, opt.scalars, plans);
    const double weight = plans[0].weight;
    const ema_pass<T> ema = opt.ema_at(opt.steps + 1);
    const ema_pass<T> fused = fused_ema(net, ema);
    auto run = [&](std::size_t i, index_t lo, index_t hi) {
        update_piece(net, opt, plans, i, ws.grads[i].data() + lo, lo, hi, fused);
    };
    if (plans[0].measure != nullptr) {
        two_pass_update(net, opt, plans[0], ws.grads, sizes, fused);
    } else if (count < grain_for(weight) || max_threads() <= 1) {
        for (std::size_t i = 0; i < sizes.size(); ++i) run(i, 0, sizes[i]);
    } else {
        for_each_piece(sizes, weight, run);
    }
    for (std::size_t l = 0; l < net.layers(); ++l) net.pen.shrink(net.weights[l], sizes[2 * l], lr);
    for (std::size_t i = 0; i < sizes.size(); ++i) average_piece(net, opt, i, 0, sizes[i], ema);
    opt.steps += 1;
    return J;
}

// The split epoch (see the header); `tws` holds one workspace per thread.
template <class T>
epoch_result split_epoch(model::network<T>& net, std::vector<model::workspace<T>>& tws,
                         optimizer<T>& opt, const data<T>& in, index_t B,
                         const std::vector<index_t>& sizes, index_t count, stop_check& check) {
    const int nt = static_cast<int>(tws.size());
    const index_t n = in.n, d = net.inputs(), k = net.outputs();
    const std::vector<index_t> start = starts_of(sizes);
    std::vector<double> loss_sum(static_cast<std::size_t>(nt), 0.0);
    std::vector<double> abs_sum(loss_sum), square_sum(loss_sum);
    spin_barrier barrier;
    const long long first = opt.steps;
    long long last = first;
    double total = 0, bad = 0;
    bool diverged = false, stopped = false;  // written by thread 0 before a barrier
    team_of(nt, [&](int t, int threads) {
        if (t == 0) barrier.reset(threads);
        team_barrier();
        const auto me = static_cast<std::size_t>(t);
        // parameter share, in multiples of 16 elements (whole vectors)
        const index_t e0 = std::min(count, (count * t / threads) / 16 * 16);
        const index_t e1 =
            t + 1 == threads ? count : std::min(count, (count * (t + 1) / threads) / 16 * 16);
        long long step = first;
        std::vector<step_plan<T>> plans;
        std::vector<scalar_row> cells;
        for (index_t s = 0; s < n; s += B) {
            const index_t b = std::min(B, n - s);
            const std::int64_t* rows = in.perm + s;
            const index_t r0 = b * t / threads, r1 = b * (t + 1) / threads;
            loss_sum[me] = abs_sum[me] = square_sum[me] = 0;
            if (r1 > r0) {
                batch_rows<T> mine = gather(in, tws[me], rows + r0, r1 - r0, d, k);
                loss_sum[me] = model::forward_backward(net, tws[me], mine.a0, mine.labels,
                                                       mine.targets, mine.weights, r1 - r0, b,
                                                       mine.csr);
            } else {
                for (auto& g : tws[me].grads) std::fill(g.begin(), g.end(), T(0));
            }
            if (net.pen.active()) {
                visit_pieces(start, e0, e1, [&](std::size_t i, index_t lo, index_t hi) {
                    if (i % 2 == 0)
                        net.pen.accumulate(net.weights[i / 2] + lo, hi - lo, abs_sum[me],
                                           square_sum[me]);
                });
            }
            barrier.wait();
            // every thread reduces the same partial sums in the same order, so
            // all take the same decision below
            double ls = 0, as = 0, ss = 0;
            for (int u = 0; u < threads; ++u) {
                const auto uu = static_cast<std::size_t>(u);
                ls += loss_sum[uu];
                as += abs_sum[uu];
                ss += square_sum[uu];
            }
            T J = model::mean_loss<T>(net.loss, ls, b, k);
            if (net.pen.active()) J = J + net.pen.template value<T>(as, ss);
            if (!std::isfinite(J)) {
                if (t == 0) {
                    bad = double(J);
                    diverged = true;
                }
                break;
            }
            // every thread plans every param from the same scalars; thread 0
            // stores the new ones once all have read them (second barrier)
            cells = opt.scalars;
            const double lr = opt.lr_after(step);
            plan_params(opt, step + 1, lr, cells, plans);
            const ema_pass<T> ema = opt.ema_at(step + 1);
            const ema_pass<T> fused = fused_ema(net, ema);
            visit_pieces(start, e0, e1, [&](std::size_t i, index_t lo, index_t hi) {
                T* g = tws[0].grads[i].data() + lo;
                // the penalty's gradient joins the last thread's sum (one pass fewer)
                const T* w = i % 2 == 0 ? net.weights[i / 2] + lo : nullptr;
                for (int u = 1; u < threads; ++u) {
                    const T* other = tws[static_cast<std::size_t>(u)].grads[i].data() + lo;
                    if (w != nullptr && u + 1 == threads) {
                        net.pen.add_sum_and_grad(w, g, other, hi - lo);
                        w = nullptr;
                        continue;
                    }
#pragma omp simd
                    for (index_t j = 0; j < hi - lo; ++j) g[j] = g[j] + other[j];
                }
                if (w != nullptr) net.pen.add_grad(w, g, hi - lo);
                if (plans[0].measure == nullptr) {
                    update_piece(net, opt, plans, i, g, lo, hi, fused);
                    if (i % 2 == 0) net.pen.shrink(net.weights[i / 2] + lo, hi - lo, lr);
                    average_piece(net, opt, i, lo, hi, ema);
                }
            });
            if (plans[0].measure != nullptr) {
                // a two-pass rule needs every share's gradient: thread 0 steps
                // alone (its totals, like everything else, are thread-count free)
                barrier.wait();
                if (t == 0) {
                    const int saved = calling_thread_limit();
                    calling_thread_limit() = 1;
                    two_pass_update(net, opt, plans[0], tws[0].grads, sizes, fused);
                    calling_thread_limit() = saved;
                    for (std::size_t l = 0; l < net.layers(); ++l)
                        net.pen.shrink(net.weights[l], sizes[2 * l], lr);
                    for (std::size_t i = 0; i < sizes.size(); ++i)
                        average_piece(net, opt, i, 0, sizes[i], ema);
                }
            }
            ++step;
            if (t == 0) {
                total += double(J) * double(b);
                stopped = s + b < n && check.poll();  // the calling thread (OpenMP's master)
            }
            barrier.wait();  // the next batch reads the updated params
            if (t == 0) opt.scalars = cells;  // read by the others after the next first barrier
            if (stopped) break;
        }
        if (t == 0) last = step;
    });
    opt.steps = last;
    if (diverged) return {bad, last - first, true};
    return {total / double(n), last - first, false, stopped};
}

// Sets the BLAS thread count for the epoch and restores it after.
struct blas_threads_scope {
    int saved;
    explicit blas_threads_scope(int n) : saved(blas::blas_threads()) { blas::set_blas_threads(n); }
    ~blas_threads_scope() { blas::set_blas_threads(saved); }
    blas_threads_scope(const blas_threads_scope&) = delete;
    blas_threads_scope& operator=(const blas_threads_scope&) = delete;
};

}  // namespace detail

template <class T>
epoch_result run_epoch(model::network<T>& net, optimizer<T>& opt, const data<T>& in, index_t batch,
                       stop_check check = {}) {
    const index_t n = in.n, d = net.inputs(), k = net.outputs();
    const index_t B = batch < 1 || batch > n ? n : batch;
    std::vector<index_t> sizes;
    index_t count = 0;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        count += sizes.emplace_back(net.units[l] * net.units[l + 1]);
        count += sizes.emplace_back(net.units[l + 1]);
    }
    const int threads = max_threads();
    // a CSR row costs its nonzeros x the first layer's width there, not d x width
    double per_row = double(count);
    if (in.csr.on()) {
        const double first = double(net.units[0]) * double(net.units[1]);
        per_row += double(in.csr.ptr[n]) / double(n) * double(net.units[1]) - first;
    }
    const bool split = threads > 1 && B >= 2 * threads && double(B) * per_row >= split_work();
    // split: one BLAS thread per OpenMP thread; serial: the BLAS threads the GEMMs
    detail::blas_threads_scope blas_scope(split ? 1 : threads);
    std::vector<model::workspace<T>> ws;
    const index_t share = split ? (B + threads - 1) / threads : B;
    for (int t = 0; t < (split ? threads : 1); ++t) ws.emplace_back(net, share, !in.csr.on());
    if (split) return detail::split_epoch(net, ws, opt, in, B, sizes, count, check);
    double total = 0;
    const long long start = opt.steps;
    for (index_t s = 0; s < n; s += B) {
        const index_t b = std::min(B, n - s);
        const std::int64_t* rows = in.perm + s;
        if (B <= 8 && s + b < n && !in.csr.on()) {
            const index_t next = std::min(b, n - s - b);
            detail::prefetch_rows(in.X, rows + b, next, d);
            detail::prefetch_targets(in, rows + b, next, k);
        }
        detail::batch_rows<T> r = detail::gather(in, ws[0], rows, b, d, k);
        const T J = detail::serial_batch(net, ws[0], opt, r, b, sizes, count);
        if (!std::isfinite(J)) return {double(J), opt.steps - start, true};
        total += double(J) * double(b);
        if (s + b < n && check.poll()) return {total / double(n), opt.steps - start, false, true};
    }
    return {total / double(n), opt.steps - start, false};
}

}  // namespace steepest::train
