// badargs: mapping at kernel or misaligned addresses, over what is mapped, with bad rights;
// retype with absurd sizes, counts and slots.
#include "badargs.hpp"

namespace badargs {

// mapping: kernel addresses, misaligned, occupied, bad rights
void mapping() {
    for (u64 va : {kKernelVa, u64{0xffff800000000000ull}, u64{0x0000800000000000ull}, u64{0xfffffffffffff000ull}})
        expect(sys::map(root::kAddressSpace, kFrame, va, rt::kRead), e::kRange, "map at a kernel address");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa + 8, rt::kRead), e::kInval, "map misaligned");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa + 1, rt::kRead), e::kInval, "map misaligned by one");
    expect(sys::map(root::kAddressSpace, kFrame, 0x400000, rt::kRead), e::kExist, "map over my own code");
    expect(sys::map(root::kAddressSpace, kFrame, root::kIpcBuffer, rt::kRead), e::kExist, "map over my IPC buffer");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, 0), e::kInval, "map without read");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, rt::kWrite), e::kInval, "map write-only");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, 0xf0), e::kInval, "map with undefined rights");
    expect(err(bad_invoke(root::kAddressSpace, abi::AddressSpaceMethod::Map, {kFrame, kFreeVa, kHuge})), e::kInval,
           "map with rights beyond 32 bits");
    expect(sys::unmap(root::kAddressSpace, kFreeVa), e::kNoEnt, "unmap what is not mapped");
    expect(sys::unmap(root::kAddressSpace, kKernelVa), e::kRange, "unmap the kernel");
    expect(sys::protect(root::kAddressSpace, kKernelVa, 4096, rt::kRead), e::kRange, "protect the kernel");
    expect(sys::protect(root::kAddressSpace, kKernelVa - 4096, 8192, rt::kRead), e::kRange,
           "protect into the kernel");
    expect(sys::protect(root::kAddressSpace, 0x400000, 0, rt::kRead), e::kInval, "protect nothing");
    expect(sys::protect(root::kAddressSpace, 0x400000, 100, rt::kRead), e::kInval, "protect part of a page");
    expect(sys::protect(root::kAddressSpace, 0x400000, 4096, rt::kWrite), e::kInval, "protect to write-only");
    expect(sys::protect(root::kAddressSpace, 0x400000, 4096, rt::kRead | rt::kWrite | rt::kExecute), 0,
           "protect never adds a right");
    expect(err(bad_invoke(root::kAddressSpace, abi::AddressSpaceMethod::Query, {kKernelVa})), e::kRange,
           "query the kernel");
    expect(err(bad_invoke(root::kAddressSpace, abi::AddressSpaceMethod::Query, {kFreeVa})), e::kNoEnt,
           "query an unmapped page");
    // And the frame is still usable after all that.
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, rt::kRead | rt::kWrite), 0, "map it properly");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, rt::kRead), e::kExist, "map it twice at one VA");
    *reinterpret_cast<volatile u64*>(kFreeVa) = 7;
    expect(sys::unmap(root::kAddressSpace, kFreeVa), 0, "unmap it");
}

// retype with absurd sizes, counts and slots
void retype_args() {
    expect(retype(ObjectType::Frame, 0, kScratch, 0), e::kInval, "count 0");
    expect(retype(ObjectType::Frame, 0, kScratch, 65), e::kInval, "count 65");
    expect(retype(ObjectType::Frame, 0, kScratch, u64{1} << 32), e::kInval, "count 2^32 (truncation)");
    expect(retype(ObjectType::Frame, 0, kScratch, ~u64{0}), e::kInval, "count 2^64-1");
    expect(retype(ObjectType::CapSpace, 21, kScratch, 1), e::kInval, "cap space of 2^21 slots");
    expect(retype(ObjectType::CapSpace, 0, kScratch, 1), e::kInval, "cap space of one slot");
    expect(retype(ObjectType::AddressSpace, 9, kScratch, 1), e::kInval, "address space budget 2^9");
    expect(retype(ObjectType::Untyped, 63, kScratch, 1), e::kInval, "untyped of 2^63 bytes");
    expect(retype(ObjectType::Untyped, 200, kScratch, 1), e::kInval, "size_bits 200");
    expect(retype(ObjectType::Untyped, u64{1} << 32, kScratch, 1), e::kInval, "size_bits 2^32 (truncation)");
    expect(retype(ObjectType::Untyped, 40, kScratch, 1), e::kNoMem, "untyped of 1 TiB");
    expect(retype(ObjectType::Untyped, 25, kScratch, 1), e::kNoMem, "all my memory again");
    expect(retype(ObjectType::Frame, 0, g_slot_count - 6, 10), e::kRange, "slots past the end of the table");
    expect(retype(ObjectType::Frame, 0, kHuge, 1), e::kRange, "huge first slot");
    expect(retype(ObjectType::Frame, 0, ~u64{0} - 1, 4), e::kRange, "first slot + count wraps");
    expect(retype(ObjectType::Frame, 0, kEndpoint - 1, 2), e::kExist, "over occupied slots");
    expect(retype(ObjectType::Frame, 0, kScratch, 1, kReadOnlyCs), e::kAcces, "into a read-only cap space");
    // Nothing above may have consumed memory or slots: one frame still fits in kScratch.
    expect(retype(ObjectType::Frame, 0, kScratch, 1), 0, "a good retype still works");
    expect(sys::cap_delete(root::kCapSpace, kScratch), 0, "and its delete");
}

} // namespace badargs
