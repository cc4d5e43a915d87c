// The method table (abi/methods.hpp) is the contract: the kernel checks every method as
// it says, and docs/abi.md shows what it says.
//
// For each method, on a capability to an object of its type: a capability without the
// method's right is EACCES; a message shorter than its required arguments is EINVAL; each
// capability argument names an empty slot (EBADF), an object of another type (ENOTTY)
// or a capability without the rights the table gives it (EACCES); each word outside its
// kind (Word32, Flags, Limit) is EINVAL. Whatever the kernel looks at first, each of these
// must be refused with that error, whatever the other arguments say.
#include "abi_table.hpp"
#include "kernel_world.hpp"
#include "toy_pte.hpp"

#include <abi/methods.hpp>
#include <microkernel/object/machine.hpp>
#include <microkernel/syscall/dispatch.hpp>
#include <string>
#include <vector>

using namespace kernel;
using abi::Kind;

namespace {
constexpr PagingOps kToyOps = paging_ops_for<ToyPte>();

struct PoweredOff {};
const MachineOps kFakeMachine{
    [](u32 line) { return line < 16; },
    [](u32, bool) {},
    [](char) {},
    [] { return -1; },
    [](int) { throw PoweredOff{}; },
    [] { return u64{0}; },
};

/// A kernel with the caller in slot 2 and, for every object type, a capability with all
/// rights in slot kFull + type and one with none of them in kNone + type.
struct TableWorld : KernelWorld {
    static constexpr u64 kFull = 20, kNone = 40, kEmpty = 60;
    Thread& me;
    abi::IpcBuffer buffer{};
    Machine machine{kFakeMachine};
    Console console{kFakeMachine};
    u32 next_line = 1;

    TableWorld() : KernelWorld(4 << 20, 1, &kToyOps), me(thread(2)) {
        me.set_cap_space(cs->slot(kSelfSlot), reaper);
        me.set_ipc_buffer(&buffer);
        REQUIRE(me.resume(sched).ok());
        REQUIRE(sched.schedule(0) == &me);
        for (u32 t = 1; t <= 12; ++t) make_object(static_cast<ObjectType>(t));
    }

    void make_object(ObjectType t) {
        u64 slot = kFull + static_cast<u64>(t);
        switch (t) {
        case ObjectType::Untyped: return; // the root untyped (slot 0) stands for it
        case ObjectType::CapSpace: make<CapSpace>(t, slot, 4); break;
        case ObjectType::AddressSpace: make<AddressSpace>(t, slot, 2); break;
        case ObjectType::Thread: thread(slot); break;
        case ObjectType::Endpoint: endpoint(slot); break;
        case ObjectType::Semaphore: semaphore(slot); break;
        case ObjectType::Frame: make<Frame>(t, slot); break;
        case ObjectType::Reply: make<Reply>(t, slot); break;
        case ObjectType::MapBudget: REQUIRE(kernel::retype(ut_cap(), t, 0, *cs, slot, 1).ok()); break;
        case ObjectType::Console: cap_install_root(cs->slot(slot), console, abi::rights::kAll); break;
        case ObjectType::Machine: cap_install_root(cs->slot(slot), machine, abi::rights::kAll); break;
        case ObjectType::IrqHandler:
            cap_install_root(cs->slot(slot), *machine.issue(next_line++).value(), abi::rights::kAll);
            break;
        }
        // A map budget, like an untyped, cannot be copied: it has no reduced twin.
        if (t != ObjectType::MapBudget)
            REQUIRE(cs->mint(slot, *cs, kNone + static_cast<u64>(t), 0, 0).ok());
    }
    u64 full(ObjectType t) const { return t == ObjectType::Untyped ? kUntypedSlot : kFull + static_cast<u64>(t); }
    /// A capability of type `t` with every right but `missing`, made for one check.
    u64 without(ObjectType t, u32 missing) {
        constexpr u64 kReduced = 61;
        (void)cs->remove(kReduced, reaper);
        REQUIRE(cs->mint(full(t), *cs, kReduced, abi::rights::kAll & ~missing, 0).ok());
        return kReduced;
    }
    /// Any type but `t` (for ENOTTY).
    static ObjectType other_than(ObjectType t) {
        return t == ObjectType::Semaphore ? ObjectType::Endpoint : ObjectType::Semaphore;
    }

    long long invoke(u64 slot, u64 label, const std::vector<u64>& words) {
        return syscall(abi::Syscall::Invoke, slot, label, words);
    }
    long long syscall(abi::Syscall nr, u64 slot, u64 label = 0, const std::vector<u64>& words = {}) {
        for (u32 i = 0; i < words.size(); ++i) me.set_mr(i, words[i]);
        me.set_reg(abi::kRegSyscall, static_cast<u64>(nr));
        me.set_reg(abi::kRegCap, slot);
        me.set_reg(abi::kRegInfo, abi::MessageInfo{label, static_cast<u32>(words.size()), 0}.encode());
        SyscallContext ctx{me, 0, sched, reaper, mem.window()};
        handle_syscall(ctx);
        return result(me);
    }
};

long long err(Error e) { return KernelWorld::err(e); }

/// The method's required words with every argument acceptable to its kind: capabilities of
/// the table's type with all rights, kNoSlot for optional ones, 0 for the rest.
template <class M>
std::vector<u64> acceptable(TableWorld& w) {
    std::vector<u64> words;
    M args{};
    abi::for_each_word(args, [&](const auto& a) {
        constexpr abi::ParamInfo p = std::remove_cvref_t<decltype(a)>::info;
        if (words.size() >= M::method.required) return;
        words.push_back(p.kind == Kind::Cap ? w.full(p.type) : p.kind == Kind::CapOrNone ? abi::kNoSlot : 0);
    });
    return words;
}

template <class M>
void check_method() {
    const abi::MethodInfo& m = M::method;
    INFO("method " << m.name << " of object type " << static_cast<u32>(m.object));
    {
        TableWorld w;
        if (m.object != ObjectType::Untyped) // (an untyped capability cannot be copied)
            CHECK(w.invoke(w.without(m.object, m.right), m.label, acceptable<M>(w)) == err(Error::AccessDenied));
        if (m.required > 0) {
            std::vector<u64> short_message = acceptable<M>(w);
            short_message.pop_back();
            CHECK(w.invoke(w.full(m.object), m.label, short_message) == err(Error::InvalidArgument));
        }
    }
    M args{};
    u32 index = 0;
    abi::for_each_word(args, [&](const auto& a) {
        constexpr abi::ParamInfo p = std::remove_cvref_t<decltype(a)>::info;
        const u32 i = index++;
        INFO("argument " << p.name);
        auto with = [&](TableWorld& w, u64 value) {
            std::vector<u64> words = acceptable<M>(w);
            while (words.size() <= i) words.push_back(0);
            words[i] = value;
            return w.invoke(w.full(m.object), m.label, words);
        };
        if constexpr (p.kind == Kind::Cap || p.kind == Kind::CapOrNone) {
            TableWorld w;
            CHECK(with(w, TableWorld::kEmpty) == err(Error::BadCapability));
            CHECK(with(w, w.full(TableWorld::other_than(p.type))) == err(Error::WrongType));
            if (p.rights) CHECK(with(w, w.without(p.type, p.rights)) == err(Error::AccessDenied));
        } else if constexpr (p.kind == Kind::Word32) {
            TableWorld w;
            CHECK(with(w, u64{1} << 32) == err(Error::InvalidArgument));
        } else if constexpr (p.kind == Kind::Flags) {
            TableWorld w;
            CHECK(with(w, p.limit + 1) == err(Error::InvalidArgument)); // (the masks are contiguous)
        } else if constexpr (p.kind == Kind::Limit) {
            TableWorld w;
            CHECK(with(w, p.limit + 1) == err(Error::InvalidArgument));
        }
    });
}

} // namespace

TEST_CASE("abi table: the kernel refuses what abi/methods.hpp refuses, for every method") {
    abi::Methods::each([]<class M>() { check_method<M>(); });
}

TEST_CASE("abi table: each system call refuses its capability as abi::kSyscalls says") {
    for (const abi::SyscallInfo& s : abi::kSyscalls) {
        if (s.object == ObjectType{}) continue;
        INFO("system call " << s.name);
        TableWorld w;
        CHECK(w.syscall(s.nr, TableWorld::kEmpty) == err(Error::BadCapability));
        CHECK(w.syscall(s.nr, w.full(TableWorld::other_than(s.object))) == err(Error::WrongType));
        CHECK(w.syscall(s.nr, w.without(s.object, s.right)) == err(Error::AccessDenied));
    }
}

TEST_CASE("abi table: each object type's labels are distinct") {
    std::vector<std::pair<ObjectType, u64>> seen;
    abi::Methods::each([&]<class M>() {
        for (auto& s : seen) CHECK(!(s.first == M::method.object && s.second == M::method.label));
        seen.emplace_back(M::method.object, M::method.label);
    });
    CHECK(seen.size() == abi::Methods::kCount);
}

TEST_CASE("abi table: docs/abi.md's system-call and method tables are the ones abi/methods.hpp prints") {
    const std::string page = read_page(std::string(MK_SOURCE_ROOT) + "/docs/abi.md");
    const std::string expected =
        with_abi_syscall_table(with_abi_method_table(page, abi_method_table()), abi_syscall_table());
    REQUIRE_FALSE(expected.empty()); // the page has the tables' markers
    INFO("docs/abi.md is out of date: scripts/abi-table rewrites its tables");
    CHECK(page == expected);
}
