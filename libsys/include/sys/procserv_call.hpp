// How libsys sends procserv a request of its table (sys/procserv_requests.hpp): the
// request's struct, encoded by the table, in one Call on the thread's procserv endpoint.
#pragma once

#include <sys/kernel.hpp>
#include <sys/procserv_requests.hpp>

namespace sys {

/// Request M, one Call: a request that must wait is answered when the wait is over.
template <class M>
Reply ask(const M& request) {
    const procserv::Message m = procserv::encode(request);
    return syscall(abi::Syscall::Call, procserv::kEndpoint, m.label, m.word, procserv::kArgWords<M>);
}

} // namespace sys
