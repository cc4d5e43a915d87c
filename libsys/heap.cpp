#include <sys/heap.hpp>

namespace sys {
namespace {
constexpr std::uintptr_t align_up(std::uintptr_t v, std::size_t a) { return (v + a - 1) & ~(a - 1); }
constexpr std::uintptr_t align_down(std::uintptr_t v, std::size_t a) { return v & ~(a - 1); }
} // namespace

void Heap::init(void* base, std::size_t size) {
    begin_ = align_up(reinterpret_cast<std::uintptr_t>(base), kAlign);
    end_ = align_down(reinterpret_cast<std::uintptr_t>(base) + size, kAlign);
    free_list_ = nullptr;
    free_bytes_ = 0;
    if (end_ <= begin_ || end_ - begin_ < 2 * kHeader) {
        end_ = begin_;
        return;
    }
    free_list_ = reinterpret_cast<Block*>(begin_);
    free_list_->size = end_ - begin_;
    free_list_->next = nullptr;
    free_bytes_ = free_list_->size;
}

void* Heap::alloc(std::size_t size) {
    if (size == 0 || size > end_ - begin_) return nullptr;
    std::size_t need = align_up(size, kAlign) + kHeader;
    for (Block** link = &free_list_; *link; link = &(*link)->next) {
        Block* b = *link;
        if (b->size < need) continue;
        if (b->size - need >= 2 * kHeader) { // split: the tail stays free
            auto* rest = reinterpret_cast<Block*>(reinterpret_cast<std::uintptr_t>(b) + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->next;
        }
        free_bytes_ -= b->size;
        b->size |= kUsed;
        return reinterpret_cast<char*>(b) + kHeader;
    }
    return nullptr;
}

bool Heap::release(void* p) {
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    if (!p || addr < begin_ + kHeader || addr >= end_ || addr % kAlign) return false;
    auto* b = reinterpret_cast<Block*>(addr - kHeader);
    std::size_t size = b->size & ~kUsed;
    if (!(b->size & kUsed) || size < kHeader || size > end_ - (addr - kHeader)) return false;
    b->size = size;
    free_bytes_ += size;

    // Insert by address, then merge with the neighbours it touches.
    Block* prev = nullptr;
    Block* next = free_list_;
    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    b->next = next;
    if (prev) prev->next = b;
    else free_list_ = b;
    if (next && reinterpret_cast<std::uintptr_t>(b) + b->size == reinterpret_cast<std::uintptr_t>(next)) {
        b->size += next->size;
        b->next = next->next;
    }
    if (prev && reinterpret_cast<std::uintptr_t>(prev) + prev->size == reinterpret_cast<std::uintptr_t>(b)) {
        prev->size += b->size;
        prev->next = b->next;
    }
    return true;
}

bool Heap::extend(void* at, std::size_t size) {
    auto start = reinterpret_cast<std::uintptr_t>(at);
    if (begin_ == end_ && !free_list_) { // empty: as init
        init(at, size);
        return end_ > begin_;
    }
    size = align_down(size, kAlign);
    if (start != end_ || size < 2 * kHeader || start + size < start) return false;
    auto* b = reinterpret_cast<Block*>(start);
    b->size = size | kUsed;
    end_ += size;
    return release(reinterpret_cast<char*>(b) + kHeader); // merges with a free tail
}

Heap& default_heap() {
    alignas(Heap::kAlign) static unsigned char arena[kDefaultHeapBytes];
    static Heap heap;
    static bool ready = false;
    if (!ready) {
        heap.init(arena, sizeof arena);
        ready = true;
    }
    return heap;
}

} // namespace sys

extern "C" {
void* malloc(std::size_t size) { return sys::default_heap().alloc(size); }
void free(void* p) { (void)sys::default_heap().release(p); }
void* calloc(std::size_t count, std::size_t size) {
    if (size && count > static_cast<std::size_t>(-1) / size) return nullptr;
    auto* p = static_cast<unsigned char*>(malloc(count * size));
    if (p)
        for (std::size_t i = 0; i < count * size; ++i) p[i] = 0;
    return p;
}
}
