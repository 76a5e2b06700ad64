// Back-end selection (JITFFI_BACKEND and set_default_backend), the libffi prepared-call cache and
// the JITFFI_STATS counters.
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "jit/exec_memory.h"
#include "jit/stub_cache.h"
#include "src/api_internal.h"

namespace jitffi {

std::string_view backend_name(BackendKind kind) noexcept {
  switch (kind) {
    case BackendKind::Jit:
      return "jit";
    case BackendKind::Libffi:
      return "libffi";
  }
  return "?";
}

namespace {

BackendChoice choice_from_env() {
  const char *v = secure_getenv("JITFFI_BACKEND");
  if (!v || !*v) return BackendChoice::Auto;
  std::string s(v);
  if (s == "auto") return BackendChoice::Auto;
  if (s == "jit") return BackendChoice::Jit;
  if (s == "libffi") return BackendChoice::Libffi;
  // Read once per process, so the warning is printed once.
  std::fprintf(stderr, "jitffi: ignoring JITFFI_BACKEND=%s (expected auto, jit or libffi)\n", v);
  return BackendChoice::Auto;
}

std::atomic<BackendChoice> &default_choice() {
  static std::atomic<BackendChoice> choice{choice_from_env()};
  return choice;
}

}  // namespace

BackendChoice default_backend() noexcept {
  return default_choice().load(std::memory_order_relaxed);
}

void set_default_backend(BackendChoice choice) noexcept {
  default_choice().store(choice, std::memory_order_relaxed);
}

namespace detail {

namespace {

// The same prepared call under another signature name (names are not part of the canonical
// form, so a cached call may have been prepared for a differently named prototype).
class RenamedCall final : public CallImpl {
 public:
  RenamedCall(const Signature &sig, std::shared_ptr<const CallImpl> inner)
      : CallImpl(sig, inner->kind()), inner_(std::move(inner)) {
    raw_.store(inner_->raw_if_ready(), std::memory_order_relaxed);
    shape_ = inner_->value_shape();
  }
  void call(void *fn, void *ret, void **args) const override { inner_->call(fn, ret, args); }
  // The inner call's value and slot entries too: without them a renamed call had none.
  void *entry(EntryKind kind, bool capture_errno) const override {
    return inner_->entry(kind, capture_errno);
  }

 private:
  RawCall make_raw() const override {
    RawCall r = inner_->raw();
    raw_.store(r, std::memory_order_release);
    return r;
  }

  std::shared_ptr<const CallImpl> inner_;
};

bool same_names(const Signature &a, const Signature &b) {
  // Copies of one Signature share their data: the same name object means the same names.
  if (&a.name() == &b.name()) return true;
  return a.name() == b.name() && a.param_names() == b.param_names();
}

// Bounded like the stub cache (JITFFI_CACHE_MAX_ENTRIES): past it, an entry makes room by
// dropping another; a Function holding a dropped call keeps it.
struct CallCache {
  std::shared_mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const CallImpl>> calls;
  std::size_t max_entries = jit::StubCache::global().limits().max_entries;
};

CallCache &libffi_cache() {
  static CallCache c;
  return c;
}

// JITFFI_STATS=<path>: the file every process appends its line to (empty: stderr).
std::string &stats_path() {
  static std::string *p = new std::string;  // read by the atexit handler: never destroyed
  return *p;
}

// The counters as one line; `who` (pid and program) goes first when given.
std::string stats_line(const std::string &who) {
  Stats &s = stats();
  auto get = [](const std::atomic<std::uint64_t> &a) {
    return static_cast<unsigned long long>(a.load());
  };
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "stubs compiled %llu; calls: jit %llu, libffi %llu; closures: jit %llu, libffi "
                "%llu; closure calls: jit %llu, libffi %llu\n",
                get(s.stubs_compiled), get(s.calls[0]), get(s.calls[1]), get(s.closures[0]),
                get(s.closures[1]), get(s.closure_calls[0]), get(s.closure_calls[1]));
  return "jitffi stats" + who + ": " + buf;
}

// The program: the file name of the executable (argv[0] when /proc does not say), made safe
// for a one-line record.
std::string program_name() {
  std::string name = program_invocation_short_name;
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    name.assign(exe, std::size_t(n));
    name.erase(0, name.rfind('/') + 1);
  }
  for (char &c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return name.empty() ? "?" : name;
}

// Nothing counted: the process never used jitffi (a child that only inherited the variable).
bool stats_all_zero() {
  Stats &s = stats();
  std::uint64_t sum = s.stubs_compiled.load();
  for (int k = 0; k < 2; ++k)
    sum += s.calls[k].load() + s.closures[k].load() + s.closure_calls[k].load();
  return sum == 0;
}

void print_stats() {
  const std::string &path = stats_path();
  if (path.empty()) {
    // On stderr, only processes that did something speak (a shell pipeline or python's children
    // would otherwise print a zero line each); a file gets every process's line, as a record.
    if (!stats_all_zero()) std::fputs(stats_line("").c_str(), stderr);
    return;
  }
  // One write with O_APPEND: lines of processes exiting at the same time do not interleave.
  const std::string line =
      stats_line(" [pid " + std::to_string(getpid()) + " " + program_name() + "]");
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  const ssize_t n = fd >= 0 ? ::write(fd, line.data(), line.size()) : -1;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "jitffi: cannot append the stats to JITFFI_STATS=%s (%s)\n", path.c_str(),
                 n < 0 ? std::strerror(err) : "short write");
    std::fputs(line.c_str(), stderr);
  }
}

// A forked child counts from zero: each process reports what it did itself, so the lines of a
// process tree add up.
void reset_stats_in_child() {
  Stats &s = stats();
  s.stubs_compiled.store(0, std::memory_order_relaxed);
  for (int k = 0; k < 2; ++k) {
    s.calls[k].store(0, std::memory_order_relaxed);
    s.closures[k].store(0, std::memory_order_relaxed);
    s.closure_calls[k].store(0, std::memory_order_relaxed);
  }
}

// JITFFI_STATS=1: a line on stderr at exit; a value with a '/' is a file that each process
// appends its line to.
bool stats_from_env() {
  const char *v = secure_getenv("JITFFI_STATS");
  if (!v) return false;
  const std::string value = v;
  if (value.find('/') != std::string::npos)
    stats_path() = value;
  else if (value != "1")
    return false;
  stats();  // constructed before the atexit handler is registered, so destroyed after it ran
  std::atexit(print_stats);
  pthread_atfork(nullptr, nullptr, reset_stats_in_child);
  return true;
}

}  // namespace

bool g_stats_enabled = stats_from_env();

Stats &stats() noexcept {
  static Stats s;
  return s;
}

const std::string &exec_memory_refused() noexcept {
  static const std::string &why = []() -> const std::string & {
    const std::string &w = jit::ExecMemory::refused();
    const char *d = secure_getenv("JITFFI_DEBUG");
    if (!w.empty() && d && *d && std::strcmp(d, "0") != 0)
      std::fprintf(stderr,
                   "jitffi: executable memory is refused (%s): Auto serves every Function from "
                   "libffi, and closures cannot be made\n",
                   w.c_str());
    return w;
  }();
  return why;
}

void check_closures_possible(const Signature &sig) {
  const std::string &why = exec_memory_refused();
  if (!why.empty())
    throw Error("Closure " + sig.canonical() +
                ": this process refuses executable memory, which closures need on every back end "
                "(libffi's too): " +
                why);
}

Backend &choose_backend(const Signature &sig, BackendChoice choice) {
  if (choice == BackendChoice::Auto) choice = default_backend();
  if (choice == BackendChoice::Libffi) return libffi_backend();
  Backend *jit = jit_backend();
  if (choice == BackendChoice::Jit) {
    if (!jit)
      throw UnsupportedError("the JIT back end was requested but this build has none for " +
                             std::string(abi_name(host_abi())) + " (signature " + sig.canonical() +
                             ")");
    if (!jit->supports(sig))
      throw UnsupportedError("the JIT back end cannot serve " + sig.canonical());
    if (const std::string &why = exec_memory_refused(); !why.empty())
      throw UnsupportedError("the JIT back end was requested for " + sig.canonical() +
                             " but this process refuses executable memory (" + why +
                             "); BackendChoice::Auto would use libffi");
    return *jit;
  }
  // Where the process may not map code (seccomp, SELinux deny_execmem), libffi still calls.
  if (jit && jit->supports(sig) && exec_memory_refused().empty()) return *jit;
  return libffi_backend();
}

std::shared_ptr<const CallImpl> prepared_call(Backend &backend, const Signature &sig) {
  std::shared_ptr<const CallImpl> impl;
  if (backend.kind() != BackendKind::Libffi) {
    impl = backend.prepare(sig);  // the JIT caches its own stubs
  } else {
    CallCache &c = libffi_cache();
    {
      std::shared_lock lock(c.mu);
      if (auto it = c.calls.find(sig.canonical()); it != c.calls.end()) impl = it->second;
    }
    if (!impl) {
      auto fresh = backend.prepare(sig);  // outside the lock: preparing may throw
      std::unique_lock lock(c.mu);
      if (c.max_entries == 0) {  // nothing kept
        impl = std::move(fresh);
      } else {
        if (c.calls.size() >= c.max_entries && !c.calls.count(sig.canonical()))
          c.calls.erase(c.calls.begin());
        impl = c.calls.emplace(sig.canonical(), std::move(fresh)).first->second;
      }
    }
  }
  if (same_names(impl->signature(), sig)) return impl;
  return std::make_shared<const RenamedCall>(sig, std::move(impl));
}

}  // namespace detail
}  // namespace jitffi
