// A list whose first few entries live in the object itself: a step's lists
// mostly hold one array, and a heap allocation per list argument and call
// was a tenth of a 1e3-element step (perf, Adam: malloc and free ~10 %).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace steepest::bind {

template <class T, std::size_t N = 4>
class inline_list {
    // std::vector<bool> hands out proxies, not references
    static_assert(!std::is_same_v<T, bool>, "inline_list<bool>: use char");

   public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    void reserve(std::size_t n) {
        if (n > N) rest_.reserve(n - N);
    }

    void push_back(T x) {
        if (size_ < N) {
            head_[size_].emplace(std::move(x));
        } else {
            rest_.push_back(std::move(x));
        }
        ++size_;
    }

    const T& operator[](std::size_t i) const { return i < N ? *head_[i] : rest_[i - N]; }
    T& operator[](std::size_t i) { return i < N ? *head_[i] : rest_[i - N]; }

   private:
    std::array<std::optional<T>, N> head_{};
    std::vector<T> rest_;
    std::size_t size_ = 0;
};

}  // namespace steepest::bind
