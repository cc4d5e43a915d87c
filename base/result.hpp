// Errors are values: one enum, one result type, one translation to the ABI (Linux errno).
#pragma once

#include <abi/abi.hpp>
#include <base/types.hpp>
#include <new>

namespace kernel {

enum class Error : u8 {
    // 0 is no error: Result<void> (below) is this one byte.
    InvalidArgument = 1, ///< a parameter is out of its domain
    NoMemory,        ///< the caller's memory (or the pool) is exhausted
    NotFound,        ///< no such object, node, file or entry
    OutOfRange,      ///< an index, address or length is outside what is allowed
    Malformed,       ///< input data (devicetree, archive, boot info) is not well formed
    Truncated,       ///< input data ends before its own headers say it does
    Exists,          ///< the slot, mapping or object is already there
    Fault,           ///< a user pointer does not point at accessible memory
    Unsupported,     ///< valid, but not something this kernel does
    BadCapability,   ///< the capability slot is empty
    WrongType,       ///< the capability names an object of another type
    AccessDenied,    ///< the capability lacks a right the operation needs
    Busy,            ///< the object is in a state that does not allow this now
    PeerGone,        ///< the partner of an IPC or the object waited on was destroyed
    Interrupted,     ///< a blocking operation was cancelled (the thread was suspended)
    WouldBlock,      ///< a non-blocking operation would have had to wait
    TimedOut,        ///< a receive's deadline passed (ThreadMethod::SetTimeout)
};

/// Translation to Linux errno values. Exhaustive: -Werror=switch catches a new Error.
constexpr int to_errno(Error e) {
    using namespace abi::errc;
    switch (e) {
    case Error::InvalidArgument: return kInval;
    case Error::NoMemory: return kNoMem;
    case Error::NotFound: return kNoEnt;
    case Error::OutOfRange: return kRange;
    case Error::Malformed: return kBadMsg;
    case Error::Truncated: return kBadMsg;
    case Error::Exists: return kExist;
    case Error::Fault: return kFault;
    case Error::Unsupported: return kOpNotSupp;
    case Error::BadCapability: return kBadF;
    case Error::WrongType: return kNoTty; // as Linux answers an ioctl on the wrong file
    case Error::AccessDenied: return kAcces;
    case Error::Busy: return kBusy;
    case Error::PeerGone: return kPipe;
    case Error::Interrupted: return kIntr;
    case Error::WouldBlock: return kAgain;
    case Error::TimedOut: return kTimedOut;
    }
    return 22;
}

constexpr const char* error_name(Error e) {
    switch (e) {
    case Error::InvalidArgument: return "invalid argument";
    case Error::NoMemory: return "out of memory";
    case Error::NotFound: return "not found";
    case Error::OutOfRange: return "out of range";
    case Error::Malformed: return "malformed";
    case Error::Truncated: return "truncated";
    case Error::Exists: return "already exists";
    case Error::Fault: return "bad address";
    case Error::Unsupported: return "unsupported";
    case Error::BadCapability: return "empty capability slot";
    case Error::WrongType: return "wrong object type";
    case Error::AccessDenied: return "missing right";
    case Error::Busy: return "busy";
    case Error::PeerGone: return "peer gone";
    case Error::Interrupted: return "interrupted";
    case Error::WouldBlock: return "would block";
    case Error::TimedOut: return "timed out";
    }
    return "?";
}

/// A value or an error (the kernel's Error unless the user picks another type, as procserv
/// does with Linux errno values). Small in-house `expected`, usable without exceptions.
template <class T, class E = Error>
class [[nodiscard]] Result {
  public:
    constexpr Result(T v) : ok_(true) { new (&storage_.value) T(static_cast<T&&>(v)); }
    constexpr Result(E e) : ok_(false) { storage_.error = e; }
    constexpr bool ok() const { return ok_; }
    constexpr explicit operator bool() const { return ok_; }
    constexpr E error() const { return storage_.error; }
    constexpr T& value() { return storage_.value; }
    constexpr const T& value() const { return storage_.value; }
    constexpr T* operator->() { return &storage_.value; }
    constexpr T& operator*() { return storage_.value; }

  private:
    union Storage {
        Storage() {}
        T value;
        E error;
    } storage_;
    bool ok_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
  public:
    constexpr Result() : ok_(true) {}
    constexpr Result(E e) : ok_(false), error_(e) {}
    constexpr bool ok() const { return ok_; }
    constexpr explicit operator bool() const { return ok_; }
    constexpr E error() const { return error_; }
    constexpr void value() const {}

  private:
    bool ok_;
    E error_{};
};

/// The kernel's own Result<void> is one byte, the error or 0: it travels in a register and
/// is tested with one compare. (As {ok, error} GCC spilled it to the stack to test and
/// read its two bytes; this alone took 7-8% off each kernel's .text, docs/performance.md.)
template <>
class [[nodiscard]] Result<void, Error> {
  public:
    constexpr Result() : error_{} {}
    constexpr Result(Error e) : error_(e) {}
    constexpr bool ok() const { return error_ == Error{}; }
    constexpr explicit operator bool() const { return ok(); }
    constexpr Error error() const { return error_; }
    constexpr void value() const {}

  private:
    Error error_;
};

} // namespace kernel

/// Propagate an error: `auto x = TRY(f());`
#define TRY(expr)                                        \
    __extension__({                                      \
        auto _try_result = (expr);                       \
        if (!_try_result.ok()) return _try_result.error(); \
        static_cast<decltype(_try_result)&&>(_try_result).value(); \
    })
