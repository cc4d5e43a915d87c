#include "fdtable.hpp"

namespace procserv {

Result<void> FdTable::reserve(u64 size, Alloc alloc, Free free) {
    if (size <= size_) return {};
    u64 n = size_ ? size_ : kFirst;
    while (n < size) n *= 2;
    auto* fd = static_cast<OpenFile**>(alloc(n * (sizeof(OpenFile*) + sizeof(bool))));
    if (!fd) return Errno{12}; // ENOMEM
    auto* cloexec = reinterpret_cast<bool*>(fd + n);
    for (u64 i = 0; i < size_; ++i) fd[i] = fd_[i], cloexec[i] = cloexec_[i];
    free(fd_);
    fd_ = fd;
    cloexec_ = cloexec;
    size_ = n;
    return {};
}

Result<long> FdTable::lowest_free(Alloc alloc, Free free) {
    for (; low_ < size_; ++low_)
        if (!fd_[low_]) return static_cast<long>(low_);
    if (size_ >= kMax) return Errno{24}; // EMFILE
    long fd = static_cast<long>(size_);
    if (Result<void> r = reserve(size_ + 1, alloc, free); !r.ok()) return r.error();
    return fd;
}

void FdTable::release(Free free) {
    free(fd_);
    fd_ = nullptr;
    cloexec_ = nullptr;
    size_ = low_ = 0;
}

} // namespace procserv
