// The console's line discipline (Linux's n_tty, in small): what a typed byte does under
// the terminal's settings (struct termios), and what a read of the terminal gets. Pure
// logic, no kernel calls, so that the host's unit tests check it (tests/unit/test_tty.cpp);
// procserv feeds it the bytes its console interrupt brings (console.cpp).
//
// Canonical mode (ICANON) keeps the line being typed apart and edits it (VERASE, VWERASE,
// VKILL); a read returns at most one completed line, and VEOF ends a line without a
// newline (on an empty line: a read of 0, end of file). Non-canonical mode gives bytes as
// they come, once VMIN of them are there (VMIN 0: a read never waits; VTIME is not kept).
// ISIG turns VINTR, VQUIT and VSUSP into SIGINT, SIGQUIT and SIGTSTP for the foreground
// process group (and flushes the input, unless NOFLSH). Input flags ISTRIP, INLCR, IGNCR
// and ICRNL apply; echo follows ECHO, ECHOE, ECHOK, ECHOKE, ECHONL and ECHOCTL (^X).
#pragma once

#include <cstdint>

namespace procserv {

/// struct termios as Linux's ioctls carry it (36 bytes: four flag words, c_line, c_cc[19]).
struct Termios {
    std::uint32_t iflag, oflag, cflag, lflag;
    unsigned char line;
    unsigned char cc[19];
};

class LineDiscipline {
  public:
    using u64 = std::uint64_t;
    static constexpr u64 kSize = 4096; ///< bytes kept (typed and not read); more are dropped
    // termios bits and c_cc indices (the same on every Linux arch)
    static constexpr std::uint32_t kIstrip = 040, kInlcr = 0100, kIgncr = 0200, kIcrnl = 0400;
    static constexpr std::uint32_t kIsig = 01, kIcanon = 02, kEcho = 010, kEchoe = 020, kEchok = 040,
                                   kEchonl = 0100, kNoflsh = 0200, kEchoctl = 01000, kEchoke = 04000,
                                   kIexten = 0100000;
    enum Cc { kVintr = 0, kVquit = 1, kVerase = 2, kVkill = 3, kVeof = 4, kVtime = 5, kVmin = 6, kVsusp = 10,
              kVeol = 11, kVwerase = 14, kVeol2 = 16 };

    /// A serial console's settings as Linux starts one: ICRNL IXON, OPOST ONLCR, B38400 CS8
    /// CREAD HUPCL, ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN; ^C ^\ DEL ^U ^D ...
    static constexpr Termios kDefault{00002400, 00000005, 00002277, 00105073, 0,
                                      {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0}};

    const Termios& settings() const { return tio_; }
    /// New settings (TCSETS): leaving canonical mode makes the line being typed readable;
    /// entering it makes what is there one line.
    void set(const Termios& t);

    /// A typed byte: what it echoes goes to echo(byte); the signal for the foreground
    /// group is returned (0: none).
    template <class Echo>
    int input(unsigned char c, const Echo& echo) {
        Out out{[](const void* e, unsigned char b) { (*static_cast<const Echo*>(e))(b); }, &echo};
        return take(c, out);
    }
    /// Would a read return now (with data, or 0 at end of file)?
    bool ready() const;
    /// A read of up to `n` bytes (ready() first): canonical, at most one line.
    u64 read(unsigned char* to, u64 n);
    /// Bytes a read could take now (FIONREAD).
    u64 available() const { return head_ - tail_; }
    /// Forget what was typed and not read (TCSETSF, TCFLSH).
    void flush();

  private:
    struct Out {
        void (*fn)(const void* echo, unsigned char c);
        const void* echo;
        void put(unsigned char c) const { fn(echo, c); }
    };
    int take(unsigned char c, const Out& out);
    void echo_char(unsigned char c, const Out& out) const; ///< c as echo shows it (^X with ECHOCTL)
    void rub_out(unsigned char c, const Out& out) const;   ///< erase c from the screen
    bool erase_one(const Out& out);                        ///< the line's last byte goes
    void commit(bool with_line_end);                  ///< the line typed so far becomes readable
    bool is(unsigned char c, Cc i) const { return tio_.cc[i] != 0 && c == tio_.cc[i]; }

    Termios tio_ = kDefault;
    unsigned char ring_[kSize] = {};
    u64 head_ = 0, tail_ = 0;         ///< readable bytes: [tail_, head_) of the ring (counters)
    u64 ends_[256] = {};                 ///< canonical: where completed lines end (counters) ...
    u64 ends_head_ = 0, ends_tail_ = 0; ///< ... [ends_tail_, ends_head_) of that ring
    unsigned char line_[kSize] = {};  ///< canonical: the line being typed
    u64 line_len_ = 0;
};

} // namespace procserv
