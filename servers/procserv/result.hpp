// How procserv's functions fail: a Linux errno value (what the caller finally gets, as a
// negated number in the reply), carried in the kernel's Result template
// (base/result.hpp) next to the value on success; TRY works with it.
#pragma once

#include <base/result.hpp>

namespace procserv {

/// A Linux errno value, positive (EINVAL is Errno{22}).
struct Errno {
    int code;
};

template <class T>
using Result = kernel::Result<T, Errno>;

/// A result as the protocol carries it: the value, or the negated errno.
template <class T>
constexpr long wire(const Result<T>& r) {
    return r.ok() ? static_cast<long>(r.value()) : -static_cast<long>(r.error().code);
}
constexpr long wire(const Result<void>& r) { return r.ok() ? 0 : -static_cast<long>(r.error().code); }
constexpr long wire(Errno e) { return -static_cast<long>(e.code); }

} // namespace procserv
