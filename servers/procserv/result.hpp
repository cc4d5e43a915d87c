// How procserv's functions fail: a Linux errno value (what the caller finally gets, as a
// negated number in the reply), carried in a Result next to the value on success.
// kernel::Result (microkernel/result.hpp) is the same idea over the kernel's Error; TRY
// works with both.
#pragma once

namespace procserv {

/// A Linux errno value, positive (EINVAL is Errno{22}).
struct Errno {
    int code;
};

template <class T>
class [[nodiscard]] Result {
  public:
    constexpr Result(T v) : ok_(true), value_(v) {}
    constexpr Result(Errno e) : ok_(false), value_(), error_(e) {}
    constexpr bool ok() const { return ok_; }
    constexpr Errno error() const { return error_; }
    constexpr T& value() { return value_; }
    constexpr const T& value() const { return value_; }
    constexpr T* operator->() { return &value_; }

  private:
    bool ok_;
    T value_;
    Errno error_{0};
};

template <>
class [[nodiscard]] Result<void> {
  public:
    constexpr Result() : ok_(true) {}
    constexpr Result(Errno e) : ok_(false), error_(e) {}
    constexpr bool ok() const { return ok_; }
    constexpr Errno error() const { return error_; }
    constexpr void value() const {}

  private:
    bool ok_;
    Errno error_{0};
};

/// A result as the protocol carries it: the value, or the negated errno.
template <class T>
constexpr long wire(const Result<T>& r) {
    return r.ok() ? static_cast<long>(r.value()) : -static_cast<long>(r.error().code);
}
constexpr long wire(const Result<void>& r) { return r.ok() ? 0 : -static_cast<long>(r.error().code); }
constexpr long wire(Errno e) { return -static_cast<long>(e.code); }

} // namespace procserv
