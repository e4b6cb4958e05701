// The per-sample losses of scikit-learn's plain SGD: value and derivative in p.
//
// y is the target (classifiers: +1 / -1, or 1 / 0 for log_loss), p = w.x + b.
//   hinge(th)          loss th - y p if y p <= th else 0; dloss -y or 0
//                      (perceptron = hinge with th = 0)
//   squared_hinge      z = 1 - y p; loss z^2 if z > 0; dloss -2 y z
//   log_loss           log(1 + e^p) - y p (y in {0, 1}); dloss sigmoid(p) - y
//   modified_huber     z = y p; 0 (z >= 1), (1 - z)^2 (z >= -1), else -4 z
//   squared_error      (p - y)^2 / 2; dloss p - y
//   huber(eps)         r = |y - p|; r^2 / 2 if r <= eps else eps (r - eps / 2)
//   epsilon_insensitive(eps)          max(0, |y - p| - eps)
//   squared_epsilon_insensitive(eps)  max(0, |y - p| - eps)^2
// The branches and operation order are scikit-learn's (sklearn/linear_model/
// _sgd_fast.pyx.tp, sklearn/_loss/_loss.pyx.tp), so its coef_ is matched to
// rounding. Twin: steepest.reference.sgd (LOSSES); tests/models/test_sgd_*.py.
#pragma once

#include <cmath>

namespace steepest::sgd {

enum class loss_kind {
    hinge,
    squared_hinge,
    log_loss,
    modified_huber,
    squared_error,
    huber,
    epsilon_insensitive,
    squared_epsilon_insensitive
};

struct loss_fn {
    loss_kind kind = loss_kind::hinge;
    double param = 1.0;  // hinge threshold, or huber / epsilon width

    static double log1pexp(double x) {
        if (x <= -37) return std::exp(x);
        if (x <= -2) return std::log1p(std::exp(x));
        if (x <= 18) return std::log(1. + std::exp(x));
        if (x <= 33.3) return x + std::exp(-x);
        return x;
    }

    double value(double y, double p) const {
        switch (kind) {
            case loss_kind::hinge: {
                const double z = p * y;
                return z <= param ? param - z : 0.0;
            }
            case loss_kind::squared_hinge: {
                const double z = param - p * y;
                return z > 0 ? z * z : 0.0;
            }
            case loss_kind::log_loss: return log1pexp(p) - y * p;
            case loss_kind::modified_huber: {
                const double z = p * y;
                if (z >= 1.0) return 0.0;
                if (z >= -1.0) return (1.0 - z) * (1.0 - z);
                return -4.0 * z;
            }
            case loss_kind::squared_error: return 0.5 * (p - y) * (p - y);
            case loss_kind::huber: {
                const double r = std::fabs(y - p);
                return r <= param ? 0.5 * (r * r) : param * (r - 0.5 * param);
            }
            case loss_kind::epsilon_insensitive: {
                const double r = std::fabs(y - p) - param;
                return r > 0 ? r : 0.0;
            }
            case loss_kind::squared_epsilon_insensitive: {
                const double r = std::fabs(y - p) - param;
                return r > 0 ? r * r : 0.0;
            }
        }
        return 0.0;
    }

    double gradient(double y, double p) const {
        switch (kind) {
            case loss_kind::hinge: return p * y <= param ? -y : 0.0;
            case loss_kind::squared_hinge: {
                const double z = param - p * y;
                return z > 0 ? -2 * y * z : 0.0;
            }
            case loss_kind::log_loss: {
                if (p > -37) {
                    const double e = std::exp(-p);
                    return ((1 - y) - y * e) / (1 + e);
                }
                return std::exp(p) - y;
            }
            case loss_kind::modified_huber: {
                const double z = p * y;
                if (z >= 1.0) return 0.0;
                if (z >= -1.0) return 2.0 * (1.0 - z) * -y;
                return -4.0 * y;
            }
            case loss_kind::squared_error: return p - y;
            case loss_kind::huber: {
                const double r = p - y;
                if (std::fabs(r) <= param) return r;
                return r >= 0 ? param : -param;
            }
            case loss_kind::epsilon_insensitive:
                if (y - p > param) return -1.0;
                if (p - y > param) return 1.0;
                return 0.0;
            case loss_kind::squared_epsilon_insensitive: {
                const double z = y - p;
                if (z > param) return -2 * (z - param);
                if (z < -param) return 2 * (-z - param);
                return 0.0;
            }
        }
        return 0.0;
    }
};

}  // namespace steepest::sgd
