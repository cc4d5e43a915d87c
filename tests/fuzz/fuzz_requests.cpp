// libFuzzer target (scripts/fuzz host requests): procserv's request decoding
// (sys/procserv_requests.hpp), which every request of every process goes through before a
// handler sees it. Each input is a message: a label (an Op in its low 16 bits, anything
// above) and four words. check() must refuse it exactly when a reference written here from
// the table's kinds says so (ENOSYS for an Op not in the table; EINVAL for label bits above
// the Op that the request does not take or a word outside its kind), and a message it
// accepts must decode (arguments<M>) into the request that encodes (encode) back to the same
// label and words.
#include <sys/procserv_requests.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

using abi::Kind;
using abi::u64;
using procserv::Message;

/// Is v a value of kind p? (Written from the kinds' definitions, not from WordRule.)
bool fits(const abi::ParamInfo& p, u64 v) {
    switch (p.kind) {
    case Kind::Word32: return v >> 32 == 0;
    case Kind::Int32: return static_cast<std::int64_t>(v) == static_cast<std::int32_t>(v);
    case Kind::Flags: return (v | p.limit) == p.limit;
    case Kind::Limit: return !(v > p.limit);
    default: return true;
    }
}

/// The errno the table says message m gets for request M: 0 if accepted.
template <class M>
int expected(const Message& m) {
    int e = 0;
    unsigned i = 0;
    bool label_arg = false;
    M words{};
    abi::for_each_word(words, [&]<class P>(const P&) {
        if constexpr (procserv::is_in_label<P>) {
            label_arg = true;
            if (!fits(P::info, m.label >> 16)) e = abi::errc::kInval;
        } else if (!fits(P::info, m.word[i++])) {
            e = abi::errc::kInval;
        }
    });
    if (!label_arg && m.label >> 16) e = abi::errc::kInval;
    return e;
}

template <class M>
void decode_and_encode(const Message& m) {
    const M a = procserv::arguments<M>(m);
    const Message back = procserv::encode(a);
    if (back.label != m.label) abort();
    for (unsigned i = 0; i < procserv::kArgWords<M>; ++i)
        if (back.word[i] != m.word[i]) abort();
    for (unsigned i = procserv::kArgWords<M>; i < abi::kMsgRegsInRegisters; ++i)
        if (back.word[i] != 0) abort(); // (what the request does not have, it does not send)
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Message m{};
    u64 raw[5] = {};
    std::memcpy(raw, data, size < sizeof raw ? size : sizeof raw);
    // Mostly an Op of the table, sometimes any label; words as they came.
    const u64 op = raw[0] & 0x8000 ? raw[0] & 0xffff : procserv::kFirstOp + (raw[0] & 0xff) % (procserv::kOpCount + 2);
    m.label = (raw[0] & ~u64{0xffff}) | op;
    if (size > 40 && data[40] & 1) m.label &= 0xffff; // (often nothing above the Op)
    for (unsigned i = 0; i < abi::kMsgRegsInRegisters; ++i) m.word[i] = raw[1 + i];
    const int got = procserv::check(m);
    bool known = false;
    procserv::Requests::each([&]<class M>() {
        if (procserv::op_of(m.label) != static_cast<u64>(M::request.op)) return;
        known = true;
        if (got != expected<M>(m)) abort();
        if (got == 0) decode_and_encode<M>(m);
    });
    if (!known && got != abi::errc::kNoSys) abort();
    return 0;
}
