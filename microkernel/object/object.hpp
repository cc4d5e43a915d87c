// The header every kernel object starts with. Objects live in memory retyped from an
// Untyped (reached through the kernel's PhysWindow); the header records who paid for
// the object and how much, so destroying it returns exactly that amount.
#pragma once

#include <abi/abi.hpp>
#include <base/types.hpp>

namespace kernel {

using ObjectType = abi::ObjectType;

class Untyped;

/// Common header. No virtual functions: code that needs the concrete type switches on
/// `type()` (every such switch is exhaustive under -Werror=switch).
class KernelObject {
  public:
    explicit KernelObject(ObjectType type) : type_(type) {}
    KernelObject(const KernelObject&) = delete;
    KernelObject& operator=(const KernelObject&) = delete;

    ObjectType type() const { return type_; }
    /// Number of capabilities that name this object. The object is destroyed when the
    /// last one is deleted, so this count is exact by construction.
    u32 cap_count() const { return caps_; }

  private:
    friend class Untyped;
    friend class Capability;
    friend class Reaper;

    ObjectType type_;
    u32 caps_ = 0;
    Untyped* source_ = nullptr; ///< the untyped that paid; null for boot-time objects
    u64 cost_ = 0;              ///< bytes charged to source_, padding included
    KernelObject* next_dead_ = nullptr; ///< link while queued for destruction
};

} // namespace kernel
