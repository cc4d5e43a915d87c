// The console's line discipline (servers/procserv/tty.hpp) behaves as Linux's n_tty does
// for what it keeps: canonical lines and their editing, end of file, echo, signal
// characters, input flags, and non-canonical reads.
#include <catch2/catch.hpp>
#include <servers/procserv/tty.hpp>

#include <string>

using namespace procserv;
using LD = LineDiscipline;

namespace {
/// Types `keys` into `ld`: what was echoed, and the signals raised (as a string of digits).
struct Typed {
    std::string echo, signals;
};
Typed type(LD& ld, const std::string& keys) {
    Typed t;
    for (unsigned char c : keys) {
        int sig = ld.input(c, [&](unsigned char e) { t.echo += static_cast<char>(e); });
        if (sig) t.signals += std::to_string(sig) + " ";
    }
    return t;
}
std::string read(LD& ld, unsigned long n = 100) {
    unsigned char buf[LD::kSize];
    return std::string(reinterpret_cast<char*>(buf), ld.read(buf, n));
}
Termios with(unsigned lflag_set, unsigned lflag_clear, unsigned char vmin = 1) {
    Termios t = LD::kDefault;
    t.lflag = (t.lflag | lflag_set) & ~lflag_clear;
    t.cc[LD::kVmin] = vmin;
    return t;
}
} // namespace

TEST_CASE("tty: a canonical read returns one completed line at a time, echoed as typed") {
    LD ld;
    Typed t = type(ld, "hello\rwor");
    CHECK(t.echo == "hello\nwor"); // (ICRNL: the carriage return ends the line as a newline)
    CHECK(ld.ready());
    CHECK(read(ld, 3) == "hel"); // a short read takes part of the line ...
    CHECK(read(ld) == "lo\n");   // ... and the next the rest, never the line after
    CHECK_FALSE(ld.ready());     // "wor" is still being typed
    type(ld, "ld\nnext\n");
    CHECK(read(ld) == "world\n");
    CHECK(read(ld) == "next\n");
    CHECK_FALSE(ld.ready());
}

TEST_CASE("tty: erase, word erase and kill edit the line, and rub it out on the screen") {
    LD ld;
    Typed t = type(ld, "abc\x7f" "d\n");
    CHECK(read(ld) == "abd\n");
    CHECK(t.echo == "abc\b \bd\n");
    t = type(ld, "one two  \x17" "three\n"); // ^W: the word and the blanks after it
    CHECK(read(ld) == "one three\n");
    t = type(ld, "x\x01\x7f" "y\n"); // a control byte shows as ^A: two columns to rub out
    CHECK(t.echo == "x^A\b \b\b \by\n");
    CHECK(read(ld) == "xy\n");
    t = type(ld, "gone\x15kept\n"); // ^U: the whole line
    CHECK(t.echo == "gone\b \b\b \b\b \b\b \bkept\n");
    CHECK(read(ld) == "kept\n");
    t = type(ld, "\x7f\x7fz\n"); // erasing nothing does nothing
    CHECK(t.echo == "z\n");
    CHECK(read(ld) == "z\n");
}

TEST_CASE("tty: VEOF ends a line without a newline; on an empty line it is end of file") {
    LD ld;
    Typed t = type(ld, "abc\x04");
    CHECK(t.echo == "abc"); // (^D itself is not echoed)
    CHECK(read(ld) == "abc");
    type(ld, "\x04");
    CHECK(ld.ready());
    CHECK(read(ld) == ""); // end of file, once
    CHECK_FALSE(ld.ready());
}

TEST_CASE("tty: ^C, ^\\ and ^Z raise SIGINT, SIGQUIT and SIGTSTP and flush the input; NOFLSH keeps it") {
    LD ld;
    type(ld, "done\n");
    Typed t = type(ld, "half\x03");
    CHECK(t.signals == "2 ");
    CHECK(t.echo == "half^C");
    CHECK_FALSE(ld.ready()); // the finished line went too
    CHECK(type(ld, "\x1c").signals == "3 ");
    CHECK(type(ld, "\x1a").signals == "20 ");
    ld.set(with(LD::kNoflsh, 0));
    type(ld, "kept\n");
    CHECK(type(ld, "\x03").signals == "2 ");
    CHECK(read(ld) == "kept\n");
    ld.set(with(0, LD::kIsig)); // without ISIG ^C is a byte like any other
    t = type(ld, "\x03\n");
    CHECK(t.signals.empty());
    CHECK(read(ld) == "\x03\n");
}

TEST_CASE("tty: without ECHO nothing is echoed but ECHONL's newline; without ECHOCTL control bytes echo raw") {
    LD ld;
    ld.set(with(0, LD::kEcho));
    CHECK(type(ld, "secret\n").echo.empty());
    ld.set(with(LD::kEchonl, LD::kEcho));
    CHECK(type(ld, "secret\n").echo == "\n");
    ld.set(with(0, LD::kEchoctl));
    CHECK(type(ld, "\x01\n").echo == "\x01\n");
    ld.set(with(0, LD::kEchoe)); // without ECHOE an erase shows as the erase byte
    CHECK(type(ld, "ab\x7f\n").echo == "ab^?\n");
    CHECK(read(ld) == "secret\n");
    CHECK(read(ld) == "secret\n");
    CHECK(read(ld) == "\x01\n");
    CHECK(read(ld) == "a\n");
}

TEST_CASE("tty: non-canonical reads get bytes as they come, after VMIN of them; VMIN 0 never waits") {
    LD ld;
    type(ld, "par");
    ld.set(with(0, LD::kIcanon, 1)); // the line being typed becomes readable
    CHECK(ld.ready());
    CHECK(read(ld, 2) == "pa");
    CHECK(read(ld) == "r");
    CHECK_FALSE(ld.ready());
    Typed t = type(ld, "\x7f\r");
    CHECK(t.echo == "^?\n"); // no editing: DEL is a byte; ICRNL still turns CR into NL
    CHECK(read(ld) == "\x7f\n");
    ld.set(with(0, LD::kIcanon, 3));
    type(ld, "ab");
    CHECK_FALSE(ld.ready());
    type(ld, "c");
    CHECK(ld.ready());
    CHECK(read(ld) == "abc");
    ld.set(with(0, LD::kIcanon, 0));
    CHECK(ld.ready()); // VMIN 0: a read returns at once, with nothing
    CHECK(read(ld) == "");
    type(ld, "xy");
    ld.set(LD::kDefault); // back to canonical: what is there is one line
    CHECK(ld.ready());
    CHECK(read(ld) == "xy");
}

TEST_CASE("tty: input flags: IGNCR drops carriage returns, INLCR turns newlines into them, ISTRIP clears bit 7") {
    LD ld;
    Termios t = LD::kDefault;
    t.iflag = LD::kIgncr;
    ld.set(t);
    type(ld, "a\rb\n");
    CHECK(read(ld) == "ab\n");
    t.iflag = LD::kInlcr | LD::kIstrip;
    t.lflag &= ~LD::kIcanon;
    ld.set(t);
    type(ld, "\n\xc1");
    CHECK(read(ld) == "\rA");
}

TEST_CASE("tty: input beyond what is kept is dropped, a line's end still fits; flush forgets everything") {
    LD ld;
    type(ld, std::string(LD::kSize + 100, 'x'));
    type(ld, "\n");
    std::string line = read(ld, LD::kSize);
    CHECK(line.size() == LD::kSize - 1 + 1);
    CHECK(line.back() == '\n');
    type(ld, "abc\nde");
    ld.flush();
    CHECK_FALSE(ld.ready());
    type(ld, "f\n");
    CHECK(read(ld) == "f\n");
}
