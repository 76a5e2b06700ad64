// The back-end interface that the libffi fallback and the JIT both implement.
//
// A back end prepares, once per signature, a CallImpl (a downcall) and creates ClosureImpls
// (upcalls). Function and Closure (function.h) pick a back end and hold what it prepared.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "jitffi/signature.h"

namespace jitffi {

enum class BackendKind : std::uint8_t { Jit, Libffi };
std::string_view backend_name(BackendKind kind) noexcept;  // "jit", "libffi"

// Which back end Function and Closure use when none is asked for explicitly:
//  Auto   - the JIT where it can serve the signature, libffi otherwise (the default);
//  Jit    - the JIT only: a signature it cannot serve throws UnsupportedError;
//  Libffi - libffi only.
// The initial value comes from JITFFI_BACKEND=auto|jit|libffi in the environment.
enum class BackendChoice : std::uint8_t { Auto, Jit, Libffi };
BackendChoice default_backend() noexcept;
void set_default_backend(BackendChoice choice) noexcept;

// The requested back end cannot serve this signature (e.g. the JIT asked for explicitly on an
// ABI it does not emit, or a type libffi cannot pass).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// The boxed calling interface shared by every downcall: args[i] points to the i-th argument's
// value, ret to a buffer for the result (see Function::call for its size).
using RawCall = void (*)(void *fn, void *ret, void **args);

// The host side of a closure: called with the result buffer, the boxed arguments and the
// closure's user data.
using ClosureHandler = void (*)(void *ret, void **args, void *user_data);

namespace detail {

// A prepared downcall for one signature, shared by every Function with that signature.
class CallImpl {
 public:
  CallImpl(Signature sig, BackendKind kind) : sig_(std::move(sig)), kind_(kind) {}
  virtual ~CallImpl() = default;
  CallImpl(const CallImpl &) = delete;
  CallImpl &operator=(const CallImpl &) = delete;

  // Fast path: when non-null, calling raw()(fn, ret, args) is the call.
  RawCall raw() const noexcept { return raw_; }
  // Always works; the default forwards to raw().
  virtual void call(void *fn, void *ret, void **args) const { raw_(fn, ret, args); }

  const Signature &signature() const noexcept { return sig_; }
  BackendKind kind() const noexcept { return kind_; }

 protected:
  RawCall raw_ = nullptr;

 private:
  Signature sig_;
  BackendKind kind_;
};

// A live closure: code() is a native function pointer with the closure's signature that calls
// handler(ret, args, user_data). Destroying it frees the code.
class ClosureImpl {
 public:
  virtual ~ClosureImpl() = default;
  virtual void *code() const noexcept = 0;
  virtual BackendKind kind() const noexcept = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const noexcept = 0;
  // Whether this back end can call/be called with this signature (no side effects).
  virtual bool supports(const Signature &sig) const noexcept = 0;
  // Throws UnsupportedError when !supports(sig).
  virtual std::shared_ptr<const CallImpl> prepare(const Signature &sig) = 0;
  virtual std::unique_ptr<ClosureImpl> make_closure(const Signature &sig, ClosureHandler handler,
                                                    void *user_data) = 0;
};

// Why this process cannot run code it writes (probed once; JITFFI_DEBUG says it once), or empty.
const std::string &exec_memory_refused() noexcept;
// Throws Error saying why when closures cannot be made at all (exec_memory_refused()).
void check_closures_possible(const Signature &sig);

// The libffi back end (always available).
Backend &libffi_backend();
// The JIT back end for the host, or null when this build/host has none.
Backend *jit_backend();

// Counters for JITFFI_STATS (printed at exit: to stderr with =1, appended as one line to the file
// when the value is a path). Counting calls costs one relaxed increment per call and only happens
// when stats are on.
struct Stats {
  std::atomic<std::uint64_t> stubs_compiled{0};
  std::atomic<std::uint64_t> calls[2]{};     // indexed by BackendKind
  std::atomic<std::uint64_t> closures[2]{};  // closures created, by BackendKind
  std::atomic<std::uint64_t> closure_calls[2]{};
};
Stats &stats() noexcept;
extern bool g_stats_enabled;  // set from JITFFI_STATS at load time

}  // namespace detail
}  // namespace jitffi
