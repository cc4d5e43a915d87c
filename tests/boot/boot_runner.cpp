#include "boot_runner.hpp"

#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <ctime>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

namespace {
// GRUB and U-Boot paint the serial terminal with ANSI/VT100 sequences: drop them, and
// carriage returns, so tests see plain lines.
std::string strip_escapes(const std::string& in) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '\x1b') {
            if (i + 1 < in.size() && in[i + 1] == '[') {
                i += 2;
                while (i < in.size() && !((in[i] >= '@' && in[i] <= '~'))) ++i;
            } else {
                ++i;
            }
            continue;
        }
        if (c == '\r') continue;
        out += c;
    }
    return out;
}
} // namespace

long long BootResult::number_after(const std::string& prefix) const {
    size_t at = output.find(prefix);
    if (at == std::string::npos) return -1;
    at += prefix.size();
    if (at >= output.size() || output[at] < '0' || output[at] > '9') return -1;
    return std::strtoll(output.c_str() + at, nullptr, 10);
}

namespace {
std::string run_command(const std::string& args, int timeout_seconds) {
    std::string root = env_or("MK_ROOT", ".");
    return "timeout -k 5 " + std::to_string(timeout_seconds + 15) + " '" + root +
           "/scripts/run' " + env_or("MK_ARCH", "x86_64") + " --no-build --build-dir '" +
           env_or("MK_BUILD", ".") + "' --timeout " + std::to_string(timeout_seconds) + " " + args;
}
} // namespace

BootResult boot_typing(const std::string& args, const std::string& marker, const std::string& input,
                       int timeout_seconds) {
    return boot_typing(args, std::vector<TypingStep>{{marker, input}}, timeout_seconds);
}

namespace {
/// Reads `out` until it ends (or `deadline` passes), typing each step's input into `in`
/// once its marker has been printed (after the previous step's), a byte whenever `out`
/// has been quiet for 50 ms. Returns everything read.
std::string converse(int out, int in, const std::vector<TypingStep>& steps, time_t deadline) {
    std::string raw;
    size_t step = 0, typed = 0, searched_from = 0;
    bool marker_seen = false;
    auto typing = [&] { return marker_seen && step < steps.size() && typed < steps[step].input.size(); };
    while (time(nullptr) < deadline) {
        pollfd p{out, POLLIN, 0};
        int ready = poll(&p, 1, typing() ? 50 : 1000);
        if (ready > 0) {
            char buf[4096];
            ssize_t n = read(out, buf, sizeof buf);
            if (n <= 0) break; // (a terminal's master: EIO once the last program on it has ended)
            raw.append(buf, static_cast<size_t>(n));
        } else if (typing()) {
            if (write(in, &steps[step].input[typed], 1) == 1) ++typed;
            if (typed == steps[step].input.size()) ++step, typed = 0, marker_seen = false;
        }
        if (!marker_seen && step < steps.size()) {
            std::string seen = strip_escapes(raw);
            size_t at = seen.find(steps[step].marker, searched_from);
            if (at != std::string::npos) marker_seen = true, searched_from = at + steps[step].marker.size();
        }
    }
    return raw;
}

int exit_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1; }
} // namespace

BootResult boot_typing(const std::string& args, const std::vector<TypingStep>& steps, int timeout_seconds) {
    BootResult r;
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0) return r;
    if (pipe(from_child) != 0) return r;
    pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        dup2(from_child[1], 2);
        close(to_child[1]);
        close(from_child[0]);
        std::string cmd = "exec " + run_command(args, timeout_seconds);
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    // (run_command's timeout ends QEMU; the deadline only bounds a runner gone astray)
    std::string raw = converse(from_child[0], to_child[1], steps, time(nullptr) + timeout_seconds + 60);
    close(to_child[1]);
    close(from_child[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.output = strip_escapes(raw);
    return r;
}

CommandResult run_on_terminal(const std::string& command, const std::vector<TypingStep>& steps, int timeout_seconds) {
    CommandResult r;
    int master = -1;
    pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    if (pid < 0) return r;
    if (pid == 0) {
        if (chdir(env_or("MK_ROOT", ".").c_str()) != 0) _exit(127);
        std::string cmd = "exec " + command;
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    time_t deadline = time(nullptr) + timeout_seconds;
    r.output = strip_escapes(converse(master, master, steps, deadline));
    if (time(nullptr) >= deadline) kill(pid, SIGKILL);
    close(master);
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = exit_status(st);
    return r;
}

BootResult boot(const std::string& args, int timeout_seconds) {
    std::string cmd = run_command(args, timeout_seconds) + " </dev/null 2>&1";
    BootResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::string raw;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) raw.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.output = strip_escapes(raw);
    return r;
}

CommandResult compile_program(const std::string& sources, const std::string& out) {
    return run_command("scripts/cc " + env_or("MK_ARCH", "x86_64") + " --build-dir '" + env_or("MK_BUILD", ".") +
                       "' -o '" + out + "' " + sources);
}

CommandResult compile_linux_program(const std::string& source, const std::string& out) {
    std::string arch = env_or("MK_ARCH", "x86_64");
    std::string cc = arch == "x86_64" ? "gcc" : arch + "-linux-gnu-gcc";
    return run_command(cc + " -static -O2 -o '" + out + "' " + source + " -lm");
}

CommandResult run_command(const std::string& command) {
    std::string cmd = "cd '" + env_or("MK_ROOT", ".") + "' && timeout -k 5 300 " + command + " </dev/null 2>&1";
    CommandResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string temp_dir() {
    std::string tmpl = env_or("TMPDIR", "/tmp") + std::string("/mk-boot-test.XXXXXX");
    char* made = mkdtemp(tmpl.data());
    return made ? std::string(made) : std::string();
}

namespace {
std::string read_file(const std::string& path) {
    std::string s;
    if (FILE* f = std::fopen(path.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
        std::fclose(f);
    }
    return s;
}

std::string capture(const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        pclose(p);
    }
    return out;
}
} // namespace

GdbSession attach_gdb(const std::string& breakpoint) {
    GdbSession s;
    int port = 20000 + int(getpid() % 20000);
    char dir_template[] = "/tmp/mk-gdb-test.XXXXXX";
    std::string dir = mkdtemp(dir_template) ? dir_template : "/tmp";
    std::string log = dir + "/run.log";
    std::string root = env_or("MK_ROOT", ".");
    std::string run = "timeout -k 5 90 '" + root + "/scripts/run' " + env_or("MK_ARCH", "x86_64") +
                      " --no-build --build-dir '" + env_or("MK_BUILD", ".") + "' --timeout 60 --gdb=" +
                      std::to_string(port) + " </dev/null >'" + log + "' 2>&1 & echo $!";
    long pid = std::strtol(capture(run).c_str(), nullptr, 10);

    // Wait (at most 20 s) for the hint, then take the ELF it names.
    std::string elf;
    for (int i = 0; i < 200 && elf.empty(); ++i) {
        s.run_output = read_file(log);
        size_t at = s.run_output.find("gdb-multiarch ");
        if (at != std::string::npos) {
            size_t start = at + 14, end = s.run_output.find(' ', start);
            if (end != std::string::npos) elf = s.run_output.substr(start, end - start);
        }
        if (elf.empty()) usleep(100000);
    }
    s.hint_seen = !elf.empty();
    if (s.hint_seen) {
        usleep(500000); // QEMU opens its gdb port right after the hint is printed
        s.gdb_output = capture("timeout -k 5 60 gdb-multiarch -nx -batch '" + elf +
                               "' -ex 'target remote :" + std::to_string(port) + "' -ex '" +
                               breakpoint + "' -ex continue -ex 'info symbol $pc' -ex kill 2>&1");
    }
    if (pid > 0) {
        std::string kill_cmd = "pkill -P " + std::to_string(pid) + " 2>/dev/null; kill " +
                               std::to_string(pid) + " 2>/dev/null; sleep 0.5";
        (void)!system(kill_cmd.c_str());
    }
    s.run_output = read_file(log);
    (void)!system(("rm -rf '" + dir + "'").c_str());
    return s;
}

bool memory_returned(const BootResult& r, const std::string& program) {
    std::string prefix = "procserv: " + program + " ended with status ";
    size_t at = r.output.find(prefix);
    if (at == std::string::npos) return false;
    size_t semi = r.output.find("; ", at);
    size_t of = r.output.find(" of ", at);
    if (semi == std::string::npos || of == std::string::npos) return false;
    long long free_after = std::strtoll(r.output.c_str() + semi + 2, nullptr, 10);
    return free_after > 0 && free_after == std::strtoll(r.output.c_str() + of + 4, nullptr, 10);
}
