// JITFFI_BINDING_COVERAGE=<file>: which declared functions of each binding are called.
//
// When the variable is set, resolve_one() hands each Function a counting thunk instead of the
// symbol's address: `lock inc [counter]; jmp target` (x86-64; an ldxr/stxr loop on AArch64). The
// thunk touches no argument register, no %al (the variadic count), no stack and no errno, so every
// call shape reaches the real function exactly as before, through either back end, and calls made
// by C through an address the binding handed out (a log handler, a destructor) count too. Unset,
// resolve_one() gives the symbol's own address and nothing here runs: the cost is zero.
//
// The counters live in a MAP_SHARED mapping, so a forked child's calls (exit, abort, _Exit, which
// never return to write anything) land in its parent's counters. Thunk slots are taken from an
// index in that same shared page, so a child that resolves after the fork never reuses a slot
// of its parent. Each process appends, at exit, one line per function it resolved:
// "<binding>\t<function>\t<calls>" ("missing" for an optional symbol the library lacks), in one
// write with O_APPEND; tests/scripts/binding_coverage.py adds the lines up.
#include "coverage.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace jitffi::bindings::coverage {

namespace {

constexpr std::size_t kCapacity = 8192;  // thunks per process tree
constexpr std::size_t kSlot = 64;        // bytes per thunk

struct Shared {
  std::atomic<std::uint32_t> next;  // the next free slot, for the whole process tree
  std::uint64_t counters[kCapacity];
};

struct Entry {
  std::string binding;
  std::string function;
  long slot;  // -1: the symbol is missing
  pid_t owner;
};

struct State {
  std::string path;
  std::mutex mutex;
  Shared *shared = nullptr;
  unsigned char *code_rw = nullptr;          // the thunks' memory, written through this view
  const unsigned char *code_rx = nullptr;    // and run through this one (never rwx)
  std::map<std::string, std::size_t> index;  // binding, function, address -> entries[i]
  std::vector<Entry> entries;
  std::string error;  // why thunks cannot be made (empty: they can)
};

State &state() {
  static State *s = new State;  // read by the atexit handler: never destroyed
  return *s;
}

// Appends this process's lines to the file: the entries it resolved itself (a forked child's
// counts of its parent's functions are already in the shared counters the parent writes).
void write_lines() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const pid_t self = ::getpid();
  std::string out;
  for (const Entry &e : s.entries) {
    if (e.owner != self) continue;
    out += e.binding + '\t' + e.function + '\t';
    if (e.slot < 0)
      out += "missing";
    else
      out += std::to_string(__atomic_load_n(&s.shared->counters[e.slot], __ATOMIC_RELAXED));
    out += '\n';
  }
  if (out.empty()) return;
  const int fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  const ssize_t n = fd >= 0 ? ::write(fd, out.data(), out.size()) : -1;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (n != static_cast<ssize_t>(out.size()))
    std::fprintf(stderr, "jitffi: cannot append to JITFFI_BINDING_COVERAGE=%s (%s)\n",
                 s.path.c_str(), n < 0 ? std::strerror(err) : "short write");
}

// Maps the shared counters and the thunk memory (a memfd seen twice: writable and executable).
void map_memory(State &s) {
  void *shared =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    s.error = std::string("mmap of the counters failed: ") + std::strerror(errno);
    return;
  }
  s.shared = static_cast<Shared *>(shared);
  const std::size_t bytes = kCapacity * kSlot;
  const int fd = ::memfd_create("jitffi-binding-coverage", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    s.error = std::string("memfd_create/ftruncate failed: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return;
  }
  void *rw = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  void *rx = ::mmap(nullptr, bytes, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);
  if (rw == MAP_FAILED || rx == MAP_FAILED) {
    s.error = std::string("mapping the thunks failed: ") + std::strerror(err);
    return;
  }
  s.code_rw = static_cast<unsigned char *>(rw);
  s.code_rx = static_cast<const unsigned char *>(rx);
}

State *init() {
  static State *enabled = []() -> State * {
    const char *v = secure_getenv("JITFFI_BINDING_COVERAGE");
    if (!v || !*v) return nullptr;
    State &s = state();
    s.path = v;
#if defined(__x86_64__) || defined(__aarch64__)
    map_memory(s);
#else
    s.error = "counting thunks are written for x86-64 and AArch64 only";
#endif
    std::atexit(write_lines);
    return &s;
  }();
  return enabled;
}

void put64(unsigned char *p, const void *v) {
  const std::uint64_t x = reinterpret_cast<std::uintptr_t>(v);
  std::memcpy(p, &x, 8);
}

#if defined(__x86_64__)
// endbr64; movabs r11, counter; lock inc qword [r11]; movabs r11, target; jmp r11.
// r11 is a scratch register at a call (SysV: not an argument, not preserved).
void write_thunk(unsigned char *p, const std::uint64_t *counter, const void *target) {
  static const unsigned char head[] = {0xF3, 0x0F, 0x1E, 0xFA, 0x49, 0xBB};
  std::memset(p, 0xCC, kSlot);
  std::memcpy(p, head, sizeof head);
  put64(p + 6, counter);
  static const unsigned char inc[] = {0xF0, 0x49, 0xFF, 0x03, 0x49, 0xBB};
  std::memcpy(p + 14, inc, sizeof inc);
  put64(p + 20, target);
  static const unsigned char jmp[] = {0x41, 0xFF, 0xE3};
  std::memcpy(p + 28, jmp, sizeof jmp);
}
#elif defined(__aarch64__)
// bti c; ldr x16, =counter; 1: ldxr x17, [x16]; add x17, x17, #1; stxr w15, x17, [x16];
// cbnz w15, 1b; ldr x16, =target; br x16. x16/x17 (IP0/IP1) and x15 are free at a call
// (AAPCS64: the intra-procedure-call and temporary registers; none carries an argument).
void write_thunk(unsigned char *p, const std::uint64_t *counter, const void *target) {
  static const std::uint32_t code[] = {
      0xd503245f,                  //  0: bti c
      0x58000000 | (9 << 5) | 16,  //  4: ldr x16, [pc + 36] (the counter's address, at 40)
      0xc85f7e11,                  //  8: ldxr x17, [x16]
      0x91000631,                  // 12: add x17, x17, #1
      0xc80f7e11,                  // 16: stxr w15, x17, [x16]
      0x35000000 | ((0x7ffff & std::uint32_t(-3)) << 5) | 15,  // 20: cbnz w15, 8
      0x58000000 | (6 << 5) | 16,  // 24: ldr x16, [pc + 24] (the target, at 48)
      0xd61f0200,                  // 28: br x16
      0x00000000,                  // 32: udf (never reached)
      0x00000000,                  // 36: udf
  };
  std::memset(p, 0, kSlot);
  std::memcpy(p, code, sizeof code);
  put64(p + 40, counter);
  put64(p + 48, target);
}
#endif

}  // namespace

bool enabled() noexcept {
  return init() != nullptr;
}

void *counted(std::string_view binding, const std::string &function, void *address) {
  State *s = init();
  if (!s) return address;
  std::lock_guard<std::mutex> lock(s->mutex);
  char addr[32];
  std::snprintf(addr, sizeof addr, "%p", address);
  const std::string key = std::string(binding) + '\n' + function + '\n' + addr;
  auto found = s->index.find(key);
  if (found != s->index.end())
    return address
               ? const_cast<unsigned char *>(s->code_rx) + s->entries[found->second].slot * kSlot
               : nullptr;
  long slot = -1;
  if (address) {
    if (!s->error.empty())
      throw BindingError("JITFFI_BINDING_COVERAGE: cannot count calls to " + function + ": " +
                         s->error);
    const std::uint32_t n = s->shared->next.fetch_add(1);
    if (n >= kCapacity)
      throw BindingError("JITFFI_BINDING_COVERAGE: more than " + std::to_string(kCapacity) +
                         " functions resolved (at " + function + ")");
    slot = static_cast<long>(n);
    write_thunk(s->code_rw + n * kSlot, &s->shared->counters[n], address);
    // Written through the RW view, run through the RX one: make the new code visible there.
    char *rx = reinterpret_cast<char *>(const_cast<unsigned char *>(s->code_rx) + n * kSlot);
    __builtin___clear_cache(rx, rx + kSlot);
  }
  s->index.emplace(key, s->entries.size());
  s->entries.push_back(Entry{std::string(binding), function, slot, ::getpid()});
  return slot < 0 ? nullptr : const_cast<unsigned char *>(s->code_rx) + slot * kSlot;
}

}  // namespace jitffi::bindings::coverage
