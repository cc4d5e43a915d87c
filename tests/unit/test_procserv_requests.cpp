// procserv's request table (sys/procserv_requests.hpp) is the contract between libsys and
// procserv: what libsys encodes, procserv's check accepts and decodes into the same struct,
// and a word outside its kind is refused before any handler runs. docs/procserv.md shows
// the table.
#include "abi_table.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <sys/procserv_requests.hpp>

using abi::Kind;
using abi::u64;
using procserv::Message;

namespace {

/// A valid value of argument kind p.
template <class P>
u64 valid_value() {
    switch (P::info.kind) {
    case Kind::Int32: return static_cast<u64>(-7L);
    case Kind::Word32: return 0x8765'4321;
    case Kind::Flags:
    case Kind::Limit: return P::info.limit;
    default: return 0x7fff'1234'5678;
    }
}

/// The request M with every argument valid and distinct where its kind allows.
template <class M>
M sample() {
    M m{};
    u64 n = 1;
    abi::for_each_word(m, [&]<class P>(P& w) {
        w.value = valid_value<P>();
        if (P::info.kind == Kind::Word || P::info.kind == Kind::Address) w.value += n++;
    });
    return m;
}

template <class M>
void check_request() {
    INFO(M::request.op_name);
    const M a = sample<M>();
    const Message m = procserv::encode(a);
    CHECK(procserv::op_of(m.label) == static_cast<u64>(M::request.op));
    // What libsys sends, procserv accepts and reads back as the same struct.
    REQUIRE(procserv::check(m) == 0);
    const M b = procserv::arguments<M>(m);
    u64 wa[8] = {}, wb[8] = {};
    unsigned i = 0;
    abi::for_each_word(a, [&](const auto& w) { wa[i++] = w.value; });
    i = 0;
    abi::for_each_word(b, [&](const auto& w) { wb[i++] = w.value; });
    for (unsigned k = 0; k < i; ++k) CHECK(wa[k] == wb[k]);
    // Words past the request's own are not looked at; label bits it does not take are EINVAL.
    Message extra = m;
    for (unsigned k = procserv::kArgWords<M>; k < abi::kMsgRegsInRegisters; ++k) extra.word[k] = ~u64{0};
    CHECK(procserv::check(extra) == 0);
    const u64 label_mask = procserv::kRequestRules<M>.label_mask;
    if (label_mask != ~u64{0} >> procserv::kLabelArgShift) {
        Message high = m;
        high.label |= (label_mask + 1) << procserv::kLabelArgShift;
        CHECK(procserv::check(high) == abi::errc::kInval);
    }
    // Each word outside its kind is EINVAL, whatever the others say.
    unsigned w = 0;
    abi::for_each_word(a, [&]<class P>(const P&) {
        if constexpr (!procserv::is_in_label<P>) {
            Message bad = m;
            switch (P::info.kind) {
            case Kind::Word32: bad.word[w] = u64{1} << 32; break;
            case Kind::Int32: bad.word[w] = u64{1} << 31; break; // (2^31 is not sign-extended)
            case Kind::Flags:
            case Kind::Limit: bad.word[w] = P::info.limit + 1; break;
            default: break;
            }
            if (bad.word[w] != m.word[w]) CHECK(procserv::check(bad) == abi::errc::kInval);
            if (P::info.kind == Kind::Int32) { // -1 and -2^31 are ints; -2^31 - 1 is not
                bad.word[w] = ~u64{0};
                CHECK(procserv::check(bad) == 0);
                bad.word[w] = ~u64{0} << 31;
                CHECK(procserv::check(bad) == 0);
                bad.word[w] = (~u64{0} << 31) - 1;
                CHECK(procserv::check(bad) == abi::errc::kInval);
            }
            ++w;
        }
    });
}

} // namespace

TEST_CASE("procserv requests: what libsys encodes procserv accepts and reads back; a bad word is EINVAL") {
    procserv::Requests::each([]<class M>() { check_request<M>(); });
}

TEST_CASE("procserv requests: an operation not in the table is ENOSYS") {
    for (u64 op : {u64{0}, u64{1}, procserv::kFirstOp - 1, procserv::kFirstOp + procserv::kOpCount, u64{0xffff}})
        CHECK(procserv::check(Message{op}) == abi::errc::kNoSys);
    CHECK(procserv::check(Message{procserv::kFirstOp}) == 0); // (Exit with status 0)
}

TEST_CASE("procserv requests: docs/procserv.md's request table is the one sys/procserv_requests.hpp prints") {
    const std::string page = read_page(std::string(MK_SOURCE_ROOT) + "/docs/procserv.md");
    const std::string expected = with_procserv_request_table(page, procserv_request_table());
    REQUIRE_FALSE(expected.empty()); // the page has the table's markers
    INFO("docs/procserv.md is out of date: scripts/abi-table rewrites its request table");
    CHECK(page == expected);
}
