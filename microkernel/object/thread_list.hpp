// An intrusive FIFO of threads, threaded through one of Thread's link fields, so that
// queueing never allocates and leaving a queue from the middle is O(1).
#pragma once

namespace kernel {

class Thread;

struct ThreadLinks {
    Thread* next = nullptr;
    Thread* prev = nullptr;
};

template <ThreadLinks Thread::*L>
class ThreadList {
  public:
    bool empty() const { return head_ == nullptr; }
    Thread* front() const { return head_; }

    [[gnu::always_inline]] void push_back(Thread& t) {
        (t.*L).next = nullptr;
        (t.*L).prev = tail_;
        if (tail_) (tail_->*L).next = &t;
        else head_ = &t;
        tail_ = &t;
    }
    void push_front(Thread& t) {
        (t.*L).prev = nullptr;
        (t.*L).next = head_;
        if (head_) (head_->*L).prev = &t;
        else tail_ = &t;
        head_ = &t;
    }
    /// Remove `t`, which must be on this list.
    [[gnu::always_inline]] void remove(Thread& t) {
        ThreadLinks& l = t.*L;
        if (l.prev) (l.prev->*L).next = l.next;
        else head_ = l.next;
        if (l.next) (l.next->*L).prev = l.prev;
        else tail_ = l.prev;
        l.next = l.prev = nullptr;
    }
    [[gnu::always_inline]] Thread* pop_front() {
        Thread* t = head_;
        if (!t) return nullptr;
        Thread* next = (t->*L).next; // (the head's prev is null already)
        head_ = next;
        if (next) (next->*L).prev = nullptr;
        else tail_ = nullptr;
        (t->*L).next = nullptr;
        return t;
    }

  private:
    Thread* head_ = nullptr;
    Thread* tail_ = nullptr;
};

} // namespace kernel
