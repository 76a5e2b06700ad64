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

// The other ways into a compiled signature (docs/api.md, "Entries"). Both are host functions that
// hand the result back in registers, so that a typed caller receives it directly (the stub can end
// in a jump to the target):
//  - value: `R entry(void *fn, void **args)`, args[i] points to the i-th argument as for RawCall;
//  - slots: `R entry(void *fn, const std::uint64_t *slots)`, slots[i] holds the i-th argument's
//    value itself (integers sign- or zero-extended per their type to 64 bits, float and double in
//    the low bits, pointers); an argument that does not fit a slot (an aggregate, long double,
//    __int128) is passed as its address.
// Narrow integer results are not widened. A result that comes back in memory has neither entry.
enum class EntryKind : std::uint8_t { Value, Slots };

// Whether the slot entry passes an argument of this type as its value (else as its address).
inline bool slot_holds_value(const Type &t) noexcept {
  return !t.is_aggregate() && t.size() <= 8;
}

// Where the value and slot entries leave the result, as the signature's ABI returns it: up to two
// registers, each holding `size` bytes of the result at `offset` (in the low bytes). A host C++
// or C caller receives G as a 64-bit integer (rax, x0), V as a double (xmm0, v0), X as a long
// double (st0), and a pair as a struct of two such members (rax:rdx, xmm0:xmm1, rax:xmm0, ...).
struct ValueShape {
  enum Kind : std::uint8_t {
    None,  // no value entry: the result comes back in memory, or in a form not listed here
    Void,
    G,
    V,
    X,
    GG,
    VV,
    GV,
    VG,
  };
  Kind kind = None;
  std::uint8_t count = 0;  // registers used
  // Register i holds bytes [8i, 8i + 8) of the result (every x86-64 shape): a caller may copy
  // the registers' bytes as the result's.
  bool packed = false;
  std::uint8_t offset[2] = {0, 0};
  std::uint8_t size[2] = {0, 0};
};

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

  // Fast path: when non-null, calling raw()(fn, ret, args) is the call. A back end may make it
  // on first use (the JIT compiles the boxed stub when it is first asked for: a runtime that only
  // uses the slot entry never pays for it); that may throw like preparing does.
  RawCall raw() const {
    if (RawCall r = raw_.load(std::memory_order_acquire)) return r;
    return make_raw();
  }
  // raw() if it is already made, else null (never compiles).
  RawCall raw_if_ready() const noexcept { return raw_.load(std::memory_order_acquire); }
  // Always works; the default forwards to raw().
  virtual void call(void *fn, void *ret, void **args) const { raw()(fn, ret, args); }

  const Signature &signature() const noexcept { return sig_; }
  BackendKind kind() const noexcept { return kind_; }

  // How the value and slot entries return (kind None: neither exists for this signature).
  const ValueShape &value_shape() const noexcept { return shape_; }
  // The value or slot entry (see EntryKind), made on first use and kept; with `capture_errno`
  // the entry also swaps errno with the thread's saved copy around the call (see CallOptions),
  // and with JITFFI_STATS on it counts the call. Null when value_shape() is None or the back
  // end cannot make one here (then Function uses the boxed call).
  virtual void *entry(EntryKind kind, bool capture_errno) const {
    (void)kind, (void)capture_errno;
    return nullptr;
  }

 protected:
  // Makes, publishes (raw_, release) and returns the raw entry; null when this back end has none.
  virtual RawCall make_raw() const { return nullptr; }

  mutable std::atomic<RawCall> raw_{nullptr};
  ValueShape shape_;

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
  // A typed closure (Closure::typed) made natively: code with the signature `handler_sig` less
  // its last parameter that calls handler(args..., user_data), `handler_sig` being the
  // handler's. Null when this back end has no such code (Closure then adapts a boxed closure).
  virtual std::unique_ptr<ClosureImpl> make_typed_closure(const Signature &handler_sig,
                                                          const void *handler, void *user_data) {
    (void)handler_sig, (void)handler, (void)user_data;
    return nullptr;
  }
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

// errno = the thread's saved errno (before a call with errno capture), and the reverse after it:
// what the entries with errno capture call around the target.
void errno_enter() noexcept;
void errno_leave() noexcept;

}  // namespace detail
}  // namespace jitffi
