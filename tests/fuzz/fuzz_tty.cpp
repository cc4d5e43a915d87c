// libFuzzer target (scripts/fuzz host tty): the console's line discipline (servers/procserv/
// tty.cpp), which every byte typed on the console goes through. The input is a stream of
// steps: a typed byte, a read of up to n bytes, new settings (any termios, canonical or
// not, any control characters), or a flush. A read never gives more than asked or more
// than was there, and what is kept never exceeds kSize. In raw mode (no input flags, no
// ISIG, ICANON or ECHO: what `stty raw -echo` gives), held from the start, the bytes read
// must be the bytes typed, in order, up to kSize waiting (more are dropped), as a model
// queue says.
#include "tty.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>

namespace {

using procserv::LineDiscipline;
using procserv::Termios;

Termios from(const uint8_t* p) {
    Termios t{};
    memcpy(&t, p, sizeof t);
    return t;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static LineDiscipline tty; // (8 KiB of rings: not on the stack)
    tty = LineDiscipline{};
    const bool raw = data[0] & 1; // the model's mode: raw from the start, never changed
    if (raw) {
        Termios t = LineDiscipline::kDefault;
        t.iflag = 0, t.lflag = 0, t.cc[LineDiscipline::kVmin] = 1;
        tty.set(t);
    }
    std::deque<unsigned char> model;
    unsigned long echoed = 0;
    const auto echo = [&](unsigned char) { ++echoed; };
    unsigned char buf[LineDiscipline::kSize + 16];
    for (size_t i = 1; i < size;) {
        const uint8_t op = data[i++];
        if (op < 0xf0) { // a typed byte (most steps): the byte itself
            (void)tty.input(op, echo);
            if (raw && model.size() < LineDiscipline::kSize) model.push_back(op);
        } else if (op < 0xfc) { // a read of up to n bytes
            const size_t n = i < size ? (size_t{data[i++]} * 37) % (sizeof buf - 16) : 0;
            const uint64_t before = tty.available();
            const bool ready = tty.ready();
            memset(buf, 0xcc, sizeof buf);
            const uint64_t k = tty.read(buf, n);
            if (k > n || k > before || tty.available() != before - k) abort();
            for (size_t j = k; j < sizeof buf; ++j)
                if (buf[j] != 0xcc) abort(); // nothing written past what it says
            if (raw) {
                if (ready != !model.empty()) abort(); // VMIN 1
                for (uint64_t j = 0; j < k; ++j) {
                    if (model.empty() || model.front() != buf[j]) abort();
                    model.pop_front();
                }
                if (k != (n < before ? n : before)) abort();
            }
        } else if (op < 0xfe) { // new settings from the next 36 bytes (not in the model's mode)
            if (raw || size - i < sizeof(Termios)) break;
            tty.set(from(data + i));
            i += sizeof(Termios);
        } else { // a flush
            tty.flush();
            model.clear();
        }
        if (tty.available() > LineDiscipline::kSize) abort();
        if (raw && tty.available() != model.size()) abort();
        if (raw && echoed) abort(); // (no ECHO)
    }
    return 0;
}
