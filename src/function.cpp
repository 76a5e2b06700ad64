// Function (a prepared foreign call), the saved errno, and Closure.
#include <array>
#include <atomic>
#include <cerrno>
#include <optional>

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

}  // namespace

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
  if (!capture_errno_ && !count_calls_) fast_ = impl_->raw();
}

void Function::call_slow(void *ret, void **args) const {
  if (!impl_) throw Error("Function::call on an empty Function");
  if (count_calls_)
    detail::stats().calls[int(impl_->kind())].fetch_add(1, std::memory_order_relaxed);
  if (capture_errno_) errno = t_saved_errno;
  if (auto raw = impl_->raw())
    raw(fn_, ret, args);
  else
    impl_->call(fn_, ret, args);
  if (capture_errno_) t_saved_errno = errno;
}

std::size_t Function::return_size() const noexcept {
  const Type &r = *impl_->signature().ret();
  if (r.is_void()) return 0;
  // Narrow integers come back widened to 64 bits (see function.h).
  if (r.is_integer() && r.size() < 8) return 8;
  return r.size();
}

Closure::Closure(Signature sig, ClosureHandler handler, void *user_data, CallOptions options)
    : sig_(std::make_unique<Signature>(std::move(sig))) {
  if (!handler) throw Error("Closure: null handler for " + sig_->canonical());
  detail::check_closures_possible(*sig_);
  detail::Backend &backend = detail::choose_backend(*sig_, options.backend);
  impl_ = backend.make_closure(*sig_, handler, user_data);
  g_live_closures.fetch_add(1, std::memory_order_relaxed);
  if (detail::g_stats_enabled)
    detail::stats().closures[int(impl_->kind())].fetch_add(1, std::memory_order_relaxed);
}

Closure::Closure(Signature sig, Fn fn, CallOptions options) {
  if (!fn) throw Error("Closure: empty std::function for " + sig.canonical());
  auto owned = std::make_unique<Fn>(std::move(fn));
  auto trampoline = [](void *ret, void **args, void *ud) { (*static_cast<Fn *>(ud))(ret, args); };
  Closure tmp(std::move(sig), trampoline, owned.get(), options);
  *this = std::move(tmp);
  fn_ = std::move(owned);
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
