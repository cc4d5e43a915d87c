// A frame: one 4 KiB page of memory for user space (and for IPC buffers). The header
// is a separate small object carved just below the page, so the page itself holds only
// user data; retype zeroes it so no previous owner's data leaks.
#pragma once

#include <microkernel/object/object.hpp>

namespace kernel {

class Frame : public KernelObject {
  public:
    explicit Frame(PhysAddr page) : KernelObject(ObjectType::Frame), page_(page) {}
    static constexpr u64 kSize = kPageSize;
    PhysAddr page() const { return page_; }

  private:
    PhysAddr page_;
};

} // namespace kernel
