// Boots an image with scripts/run and captures what happened.
#pragma once

#include <string>
#include <vector>

struct BootResult {
    int status = -1;      ///< scripts/run's exit status (the guest's, or 124/125)
    std::string output;   ///< serial console (firmware and kernel), escapes removed
    bool contains(const std::string& s) const { return output.find(s) != std::string::npos; }
    /// The integer following `prefix` in the first line that has it, or -1.
    long long number_after(const std::string& prefix) const;
};

std::string env_or(const char* name, const char* fallback);

/// Runs `scripts/run $MK_ARCH --no-build --build-dir $MK_BUILD <args>` with a hard
/// timeout; the QEMU child never outlives the call.
BootResult boot(const std::string& args, int timeout_seconds = 90);

/// Like boot(), but once the console has printed `marker`, types `input` into the guest's
/// console (QEMU's stdin), one byte every 50 ms.
BootResult boot_typing(const std::string& args, const std::string& marker, const std::string& input,
                       int timeout_seconds = 90);

/// What boot_typing types, in steps: each step's input once its marker has been printed
/// (after the previous step's marker), one byte whenever the console has been quiet for
/// 50 ms.
struct TypingStep {
    std::string marker, input;
};
BootResult boot_typing(const std::string& args, const std::vector<TypingStep>& steps, int timeout_seconds = 90);

struct CommandResult {
    int status = -1;
    std::string output;  ///< stdout and stderr
};

/// Runs `scripts/cc $MK_ARCH --build-dir $MK_BUILD -o out <sources>` (sources relative to
/// the source tree), bounded by a timeout.
CommandResult compile_program(const std::string& sources, const std::string& out);
/// Runs a shell command in the source tree (stdout and stderr captured), bounded by a timeout.
CommandResult run_command(const std::string& command);
/// Builds a C program of the source tree as Debian's compiler for $MK_ARCH builds static
/// Linux programs (gcc -static; aarch64-linux-gnu-gcc, riscv64-linux-gnu-gcc).
CommandResult compile_linux_program(const std::string& source, const std::string& out);

/// Runs a shell command in the source tree on a pseudo-terminal of its own (its controlling
/// terminal: stdin, stdout and stderr), typing `steps` as boot_typing does; kills it after
/// `timeout_seconds`. The output is what the terminal showed, escape sequences and
/// carriage returns dropped; the status is 128 + N for a death by signal N.
CommandResult run_on_terminal(const std::string& command, const std::vector<TypingStep>& steps,
                              int timeout_seconds = 120);

/// A fresh, empty directory under $TMPDIR (or /tmp).
std::string temp_dir();

struct GdbSession {
    bool hint_seen = false;  ///< scripts/run printed a gdb-multiarch command
    std::string run_output;  ///< what scripts/run printed
    std::string gdb_output;  ///< what gdb printed
};

/// Starts `scripts/run --gdb=PORT` in the background, takes the kernel ELF from the
/// gdb-multiarch command it prints, attaches gdb in batch mode with `breakpoint`, continues
/// once, prints where it stopped, and kills the guest. Bounded by timeouts throughout.
GdbSession attach_gdb(const std::string& breakpoint);

/// procserv's last words for the first program: "... ended with status S; F of T KiB free
/// again": every block it lent to the program's threads and processes came back (F == T).
bool memory_returned(const BootResult& r, const std::string& program);

// Every failed check shows the whole console and the exit status.
#define SHOW(r) INFO("exit status " << (r).status << "; console:\n" << (r).output)
