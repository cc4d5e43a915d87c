#include "tty.hpp"

namespace procserv {

namespace {
constexpr int kSigint = 2, kSigquit = 3, kSigtstp = 20;
bool is_control(unsigned char c) { return (c < 32 && c != '\t' && c != '\n') || c == 127; }
} // namespace

void LineDiscipline::set(const Termios& t) {
    const bool was = tio_.lflag & kIcanon, now = t.lflag & kIcanon;
    if (was && !now) commit(false); // the line typed so far: readable as it is
    if (!was && now && head_ != tail_ && ends_head_ - ends_tail_ < 256) ends_[ends_head_++ % 256] = head_;
    if (!now) ends_head_ = ends_tail_ = 0;
    tio_ = t;
}

void LineDiscipline::flush() {
    head_ = tail_ = 0;
    ends_head_ = ends_tail_ = 0;
    line_len_ = 0;
}

bool LineDiscipline::ready() const {
    if (tio_.lflag & kIcanon) return ends_head_ != ends_tail_;
    const u64 min = tio_.cc[kVmin];
    return head_ - tail_ >= (min ? min : 0) && (min == 0 || head_ != tail_);
}

LineDiscipline::u64 LineDiscipline::read(unsigned char* to, u64 n) {
    u64 end = head_;
    const bool canonical = tio_.lflag & kIcanon;
    if (canonical) {
        if (ends_head_ == ends_tail_) return 0;
        end = ends_[ends_tail_ % 256];
    }
    u64 k = 0;
    for (; k < n && tail_ < end; ++k) to[k] = ring_[tail_++ % kSize];
    if (canonical && tail_ == end) ++ends_tail_; // (a line of 0 bytes: VEOF's end of file)
    return k;
}

void LineDiscipline::commit(bool with_line_end) {
    for (u64 i = 0; i < line_len_ && head_ - tail_ < kSize; ++i) ring_[head_++ % kSize] = line_[i];
    line_len_ = 0;
    if (with_line_end && ends_head_ - ends_tail_ < 256) ends_[ends_head_++ % 256] = head_;
}

void LineDiscipline::echo_char(unsigned char c, const Out& out) const {
    if ((tio_.lflag & kEchoctl) && is_control(c)) {
        out.put('^');
        out.put(c ^ 0x40);
    } else {
        out.put(c);
    }
}

void LineDiscipline::rub_out(unsigned char c, const Out& out) const {
    const int columns = (tio_.lflag & kEchoctl) && is_control(c) ? 2 : 1;
    for (int i = 0; i < columns; ++i) out.put('\b'), out.put(' '), out.put('\b');
}

bool LineDiscipline::erase_one(const Out& out) {
    if (line_len_ == 0) return false;
    const unsigned char gone = line_[--line_len_];
    if ((tio_.lflag & kEcho) && (tio_.lflag & kEchoe)) rub_out(gone, out);
    return true;
}

int LineDiscipline::take(unsigned char c, const Out& out) {
    const std::uint32_t iflag = tio_.iflag, lflag = tio_.lflag;
    if (iflag & kIstrip) c &= 0x7f;
    if (c == '\r') {
        if (iflag & kIgncr) return 0;
        if (iflag & kIcrnl) c = '\n';
    } else if (c == '\n' && (iflag & kInlcr)) {
        c = '\r';
    }
    if (lflag & kIsig) {
        const int sig = is(c, kVintr) ? kSigint : is(c, kVquit) ? kSigquit : is(c, kVsusp) ? kSigtstp : 0;
        if (sig) {
            if (!(lflag & kNoflsh)) flush();
            if (lflag & kEcho) echo_char(c, out);
            return sig;
        }
    }
    if (!(lflag & kIcanon)) {
        if (head_ - tail_ < kSize) ring_[head_++ % kSize] = c;
        if (lflag & kEcho) echo_char(c, out);
        return 0;
    }
    if (is(c, kVerase)) {
        if ((lflag & kEcho) && !(lflag & kEchoe)) { // shown as typed, not rubbed out
            if (line_len_) --line_len_;
            echo_char(c, out);
        } else {
            erase_one(out);
        }
        return 0;
    }
    if ((lflag & kIexten) && is(c, kVwerase)) {
        while (line_len_ && (line_[line_len_ - 1] == ' ' || line_[line_len_ - 1] == '\t')) erase_one(out);
        while (line_len_ && line_[line_len_ - 1] != ' ' && line_[line_len_ - 1] != '\t') erase_one(out);
        return 0;
    }
    if (is(c, kVkill)) {
        if ((lflag & kEcho) && (lflag & kEchok) && (lflag & kEchoke) && (lflag & kEchoe)) {
            while (erase_one(out)) {}
        } else {
            line_len_ = 0;
            if (lflag & kEcho) echo_char(c, out);
            if ((lflag & kEcho) && (lflag & kEchok)) out.put('\n');
        }
        return 0;
    }
    if (is(c, kVeof)) { // the line ends here, without the byte (not echoed, as on Linux)
        commit(true);
        return 0;
    }
    const bool line_end = c == '\n' || is(c, kVeol) || is(c, kVeol2);
    if (!line_end && line_len_ + 1 >= kSize - (head_ - tail_)) return 0; // full: room for its end only
    if (line_len_ < kSize) line_[line_len_++] = c;
    if (lflag & kEcho) echo_char(c, out);
    else if (c == '\n' && (lflag & kEchonl)) out.put('\n');
    if (line_end) commit(true);
    return 0;
}

} // namespace procserv
