// Function (a prepared foreign call), the saved errno, and Closure.
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "jitffi/function.h"
#include "src/api_internal.h"

namespace jitffi {

namespace {

// ctypes' use_errno: a private per-thread copy swapped with the real errno around each call.
thread_local int t_saved_errno = 0;

std::atomic<std::size_t> g_live_closures{0};

// A per-thread memo of recently prepared calls, in front of the back ends' caches: a hash probe
// and one pointer compare when a Function is made again from the same Signature (or a copy of
// it). The slot keeps its Signature alive, so an equal address means the same signature data,
// names included; anything else takes the full path (canonical compare in the back end's cache).
struct Prepared {
  std::optional<Signature> sig;
  BackendChoice choice = BackendChoice::Auto;
  std::shared_ptr<const detail::CallImpl> impl;
};
constexpr std::size_t kMemoSlots = 16;
thread_local std::array<Prepared, kMemoSlots> t_prepared;

std::shared_ptr<const detail::CallImpl> prepare(const Signature &sig, BackendChoice choice) {
  if (choice == BackendChoice::Auto) choice = default_backend();
  Prepared &slot = t_prepared[sig.hash() % kMemoSlots];
  if (slot.sig && &slot.sig->canonical() == &sig.canonical() && slot.choice == choice)
    return slot.impl;
  auto impl = detail::prepared_call(detail::choose_backend(sig, choice), sig);
  slot.sig = sig;
  slot.choice = choice;
  slot.impl = impl;
  return impl;
}

detail::ArgCode code_of(const Type &t) {
  using namespace detail;
  if (t.is_void()) return arg_code(kArgVoid, 0);
  if (t.is_integer()) return arg_code(kArgInteger, t.size());
  if (t.is_float()) return arg_code(kArgFloating, t.size());
  if (t.kind() == TypeKind::Pointer) return arg_code(kArgPointer, sizeof(void *));
  if (t.is_aggregate()) return arg_code(kArgAggregate, t.size(), t.align());
  return kArgUnsupported << 29;  // an array cannot be a parameter; never matches
}

// [return, params...] for invoke<>() and as<>(). Up to 15 parameters the codes and the count
// share one allocation (make_shared of an array): one malloc fewer per Function.
std::shared_ptr<const detail::ArgCode[]> codes_of(const Signature &sig) {
  const auto &params = sig.params();
  detail::ArgCode *codes;
  std::shared_ptr<const detail::ArgCode[]> owner;
  if (params.size() < 16) {
    auto block = std::make_shared<std::array<detail::ArgCode, 16>>();
    codes = block->data();
    owner = std::shared_ptr<const detail::ArgCode[]>(block, codes);
  } else {
    std::shared_ptr<detail::ArgCode[]> heap(new detail::ArgCode[params.size() + 1]);
    codes = heap.get();
    owner = std::move(heap);
  }
  codes[0] = code_of(*sig.ret());
  for (std::size_t i = 0; i < params.size(); ++i) codes[i + 1] = code_of(*params[i]);
  return owner;
}

// "8-byte floating", "16-byte aggregate (align 8)", ...
std::string describe(detail::ArgCode code) {
  using namespace detail;
  ArgCode kind = code >> 29, size = code & (kArgSizeLimit - 1);
  std::ostringstream out;
  switch (kind) {
    case kArgVoid:
      return "void";
    case kArgInteger:
      out << size << "-byte integer";
      break;
    case kArgFloating:
      out << size << "-byte floating";
      break;
    case kArgPointer:
      return "pointer";
    case kArgAggregate:
      out << size << "-byte aggregate (align " << (1u << ((code >> 25) & 15)) << ")";
      break;
    default:
      return "a type invoke cannot pass";
  }
  return out.str();
}

}  // namespace

namespace detail {
void errno_enter() noexcept {
  errno = t_saved_errno;
}
void errno_leave() noexcept {
  t_saved_errno = errno;
}
}  // namespace detail

int saved_errno() noexcept {
  return t_saved_errno;
}

void set_saved_errno(int value) noexcept {
  t_saved_errno = value;
}

Function::Function(const Signature &sig, void *fn, CallOptions options)
    : fn_(fn), capture_errno_(options.capture_errno), count_calls_(detail::g_stats_enabled) {
  if (!fn) throw Error("Function: null target address for " + sig.canonical());
  impl_ = prepare(sig, options.backend);
  codes_ = codes_of(sig);
  ncodes_ = std::uint32_t(sig.params().size() + 1);
  packed_ = detail::packed_codes(codes_.get(), ncodes_);
  // The JIT compiles the boxed stub on its first call (see call_slow): a Function used only
  // through its value or slot entry never makes it.
  if (!capture_errno_ && !count_calls_) fast_.set(impl_->raw_if_ready());
}

void Function::keep_alive(std::shared_ptr<const void> owner) {
  if (!impl_) return;
  // One control block owns both the prepared call and the owner; impl_ still points at the call,
  // so the hot path and the back ends' caches see no difference.
  using Both = std::pair<std::shared_ptr<const detail::CallImpl>, std::shared_ptr<const void>>;
  auto both = std::make_shared<const Both>(impl_, std::move(owner));
  impl_ = std::shared_ptr<const detail::CallImpl>(both, both->first.get());
}

void Function::call_slow(void *ret, void **args) const {
  if (!impl_) throw Error("Function::call on an empty Function");
  const RawCall raw = impl_->raw();  // the first call may compile the stub (and set errno)
  if (raw && !capture_errno_ && !count_calls_) {
    fast_.set(raw);  // later calls take call()'s fast path
    return raw(fn_, ret, args);
  }
  if (count_calls_)
    detail::stats().calls[int(impl_->kind())].fetch_add(1, std::memory_order_relaxed);
  if (capture_errno_) errno = t_saved_errno;
  if (raw)
    raw(fn_, ret, args);
  else
    impl_->call(fn_, ret, args);
  if (capture_errno_) t_saved_errno = errno;
}

void *Function::entry_ptr(EntryKind kind) const {
  if (!impl_) throw Error("Function: entry of an empty Function");
  return impl_->entry(kind, capture_errno_);
}

void *Function::resolve_value() const {
  if (!impl_) return nullptr;  // call_boxed throws the error
  void *e = impl_->entry(EntryKind::Slots, capture_errno_);
  const ValueShape &s = impl_->value_shape();
  value_.set(e ? reinterpret_cast<std::uintptr_t>(e) : 1,
             s.packed ? std::uint8_t(s.kind) : std::uint8_t(ValueShape::None));
  return e;
}

void Function::call_value(void *ret, void **args) const {
  if (!impl_) throw Error("Function::call_value on an empty Function");
  if (void *e = impl_->entry(EntryKind::Value, capture_errno_))
    return detail::call_shaped(e, impl_->value_shape(), fn_, args, ret);
  call(ret, args);
}

void Function::call_slots(void *ret, const std::uint64_t *slots) const {
  if (!impl_) throw Error("Function::call_slots on an empty Function");
  if (void *e = impl_->entry(EntryKind::Slots, capture_errno_))
    return detail::call_shaped(e, impl_->value_shape(), fn_, slots, ret);
  // No slot entry: box the slots and make the boxed call.
  const auto &params = impl_->signature().params();
  const std::size_t n = params.size();
  void *small[16];
  std::unique_ptr<void *[]> many;
  void **args = small;
  if (n > 16) {
    many.reset(new void *[n]);
    args = many.get();
  }
  for (std::size_t i = 0; i < n; ++i)
    args[i] = slot_holds_value(*params[i])
                  ? const_cast<void *>(static_cast<const void *>(&slots[i]))
                  : reinterpret_cast<void *>(slots[i]);
  call(ret, args);
}

void Function::invoke_mismatch(const detail::ArgCode *given, const detail::TypeNameFn *names,
                               std::size_t n, const char *what) const {
  if (!impl_) throw Error(std::string("Function::") + what + " on an empty Function");
  const Signature &sig = impl_->signature();
  std::ostringstream out;
  out << "Function::" << what << "<>() for " << sig.canonical();
  if (!sig.name().empty()) out << " (" << sig.name() << ")";
  out << ": ";
  const std::size_t params = sig.params().size();
  if (n != params + 1) {
    out << "given " << n - 1 << " argument" << (n == 2 ? "" : "s") << ", the signature has "
        << params;
    if (sig.is_variadic())
      out << " (" << sig.fixed_count()
          << " fixed; a call's variadic argument types are part of the signature, see "
             "Signature::with_varargs)";
    throw Error(out.str());
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (given[i] == codes_[i]) continue;
    const Type &want = i == 0 ? *sig.ret() : *sig.params()[i - 1];
    if (i == 0)
      out << "result type " << names[0]();
    else {
      out << "argument " << i << " of " << n - 1;
      const auto &pnames = sig.param_names();
      if (i - 1 < pnames.size() && !pnames[i - 1].empty()) out << " (" << pnames[i - 1] << ")";
      out << " is " << names[i]();
    }
    out << " (" << describe(given[i]) << "), the signature's "
        << (i == 0 ? std::string("return type") : "parameter " + std::to_string(i)) << " is "
        << want.canonical() << " (" << describe(codes_[i]) << ")";
    if (i > sig.fixed_count())
      out << ", a variadic argument (apply C's default promotions yourself)";
    out << "; no conversion is made";
    throw Error(out.str());
  }
  throw Error(out.str() + "mismatch");  // unreachable: some code differed
}

std::size_t Function::return_size() const noexcept {
  const Type &r = *impl_->signature().ret();
  if (r.is_void()) return 0;
  // Narrow integers come back widened to 64 bits (see function.h).
  if (r.is_integer() && r.size() < 8) return 8;
  return r.size();
}

Closure::Closure(Signature sig, ClosureHandler handler, void *user_data, CallOptions options) {
  if (!handler) throw Error("Closure: null handler for " + sig.canonical());
  if (options.capture_errno) {
    // The errno exchange lives in the Fn path's trampoline; the handler rides inside an Fn.
    *this =
        Closure(std::move(sig),
                Fn([handler, user_data](void *ret, void **args) { handler(ret, args, user_data); }),
                options);
    return;
  }
  sig_ = std::make_unique<Signature>(std::move(sig));
  detail::check_closures_possible(*sig_);
  detail::Backend &backend = detail::choose_backend(*sig_, options.backend);
  impl_ = backend.make_closure(*sig_, handler, user_data);
  g_live_closures.fetch_add(1, std::memory_order_relaxed);
  if (detail::g_stats_enabled)
    detail::stats().closures[int(impl_->kind())].fetch_add(1, std::memory_order_relaxed);
}

namespace {

// capture_errno for a closure, the mirror of Function's: the C caller's errno becomes the saved
// value for the handler to read (saved_errno()) and, on return, the saved value becomes the
// caller's errno, so what the host runtime does to errno in between stays invisible unless the
// handler sets it (set_saved_errno()). The thread's saved value from before is put back, so a
// callback does not disturb what the host last saved from its own calls.
struct ClosureErrnoScope {
  int outer = t_saved_errno;
  ClosureErrnoScope() noexcept { t_saved_errno = errno; }
  ~ClosureErrnoScope() {
    errno = t_saved_errno;
    t_saved_errno = outer;
  }
};

}  // namespace

Closure::Closure(Signature sig, Fn fn, CallOptions options) {
  if (!fn) throw Error("Closure: empty std::function for " + sig.canonical());
  auto owned = std::make_unique<Fn>(std::move(fn));
  auto trampoline = [](void *ret, void **args, void *ud) { (*static_cast<Fn *>(ud))(ret, args); };
  auto errno_trampoline = [](void *ret, void **args, void *ud) {
    ClosureErrnoScope scope;
    (*static_cast<Fn *>(ud))(ret, args);
  };
  const bool capture = options.capture_errno;
  options.capture_errno = false;  // handled here, by the trampoline
  Closure tmp(std::move(sig), capture ? +errno_trampoline : +trampoline, owned.get(), options);
  *this = std::move(tmp);
  fn_ = std::move(owned);
}

Closure Closure::typed(Signature sig, const void *handler, void *user_data, CallOptions options) {
  if (!handler) throw Error("Closure::typed: null handler for " + sig.canonical());
  if (sig.is_variadic())
    throw UnsupportedError("Closure::typed: " + sig.canonical() +
                           " is variadic: a handler has no place for user_data after `...`");
  // The handler's signature: the closure's with the user_data pointer appended.
  std::vector<TypeRef> params = sig.params();
  params.push_back(Type::pointer());
  Signature handler_sig(sig.abi(), sig.ret(), std::move(params));
  if (!options.capture_errno) {
    detail::check_closures_possible(sig);
    detail::Backend &backend = detail::choose_backend(sig, options.backend);
    if (auto impl = backend.make_typed_closure(handler_sig, handler, user_data)) {
      Closure c;
      c.sig_ = std::make_unique<Signature>(std::move(sig));
      c.impl_ = std::move(impl);
      g_live_closures.fetch_add(1, std::memory_order_relaxed);
      if (detail::g_stats_enabled)
        detail::stats().closures[int(c.impl_->kind())].fetch_add(1, std::memory_order_relaxed);
      return c;
    }
  }
  // The generic adapter (libffi, errno capture, a signature the JIT serves only boxed): a boxed
  // closure whose handler calls the typed one through a Function of the handler's signature, on
  // the same back end. Its result goes straight into the closure's result buffer (widened as a
  // boxed handler's must be; for a result in memory the buffer is the caller's).
  Function call(handler_sig, const_cast<void *>(handler), {options.backend});
  const std::size_t n = sig.params().size();
  Fn fn = [call = std::move(call), n, user_data](void *ret, void **args) {
    void *small[16];
    std::vector<void *> big;
    void **argv = small;
    if (n + 1 > std::size(small)) big.resize(n + 1), argv = big.data();
    std::copy(args, args + n, argv);
    void *ud = user_data;
    argv[n] = &ud;
    call.call(ret, argv);
  };
  return Closure(std::move(sig), std::move(fn), options);
}

Closure::~Closure() {
  if (impl_) g_live_closures.fetch_sub(1, std::memory_order_relaxed);
}

Closure::Closure(Closure &&other) noexcept
    : sig_(std::move(other.sig_)), fn_(std::move(other.fn_)), impl_(std::move(other.impl_)) {}

Closure &Closure::operator=(Closure &&other) noexcept {
  if (this != &other) {
    if (impl_) g_live_closures.fetch_sub(1, std::memory_order_relaxed);
    impl_ = std::move(other.impl_);  // frees our code before the handler state it uses
    fn_ = std::move(other.fn_);
    sig_ = std::move(other.sig_);
  }
  return *this;
}

std::size_t Closure::live_count() noexcept {
  return g_live_closures.load(std::memory_order_relaxed);
}

}  // namespace jitffi
