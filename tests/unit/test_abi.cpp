// The ABI header stands alone (libsys includes it without the kernel), and its error
// codes are the host Linux's own errno values.
#include <abi/abi.hpp> // first: it must compile with nothing before it
#include <catch2/catch.hpp>
#include <cerrno>
#include <base/result.hpp>

TEST_CASE("abi: error codes are Linux errno values") {
    using namespace abi::errc;
    CHECK(kPerm == EPERM);
    CHECK(kNoEnt == ENOENT);
    CHECK(kIntr == EINTR);
    CHECK(kBadF == EBADF);
    CHECK(kAgain == EAGAIN);
    CHECK(kNoMem == ENOMEM);
    CHECK(kAcces == EACCES);
    CHECK(kFault == EFAULT);
    CHECK(kBusy == EBUSY);
    CHECK(kExist == EEXIST);
    CHECK(kInval == EINVAL);
    CHECK(kNoTty == ENOTTY);
    CHECK(kPipe == EPIPE);
    CHECK(kRange == ERANGE);
    CHECK(kBadMsg == EBADMSG);
    CHECK(kOpNotSupp == EOPNOTSUPP);
}

TEST_CASE("abi: every kernel error has a distinct errno, except the two data errors") {
    using kernel::Error;
    const Error all[] = {Error::InvalidArgument, Error::NoMemory, Error::NotFound,
                         Error::OutOfRange, Error::Malformed, Error::Truncated, Error::Exists,
                         Error::Fault, Error::Unsupported, Error::BadCapability,
                         Error::WrongType, Error::AccessDenied, Error::Busy, Error::PeerGone,
                         Error::Interrupted, Error::WouldBlock};
    for (Error a : all) {
        CHECK(kernel::to_errno(a) > 0);
        CHECK(kernel::error_name(a)[0] != '?');
        for (Error b : all) {
            bool both_data = (a == Error::Malformed || a == Error::Truncated) &&
                             (b == Error::Malformed || b == Error::Truncated);
            if (a != b && !both_data) CHECK(kernel::to_errno(a) != kernel::to_errno(b));
        }
    }
}

TEST_CASE("abi: message info round trip and limits") {
    abi::MessageInfo m{0x123456789abc, abi::kMaxMsgWords, abi::kMaxMsgCaps};
    auto d = abi::MessageInfo::decode(m.encode());
    CHECK(d.label == m.label);
    CHECK(d.length == m.length);
    CHECK(d.caps == m.caps);
    CHECK(abi::kMaxMsgWords < 64); // fits the 6-bit length field
    CHECK(abi::kRegArchFirst <= abi::kRegCount);
    CHECK(static_cast<unsigned>(abi::kRegBadge) < abi::kRegArchFirst);
}
