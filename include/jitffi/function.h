// jitffi public API: Function (a callable foreign function), Closure (a native function pointer
// that calls back into C++), Library (a shared library opened at run time).
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "jitffi/backend.h"
#include "jitffi/signature.h"

namespace jitffi {

// Per-function options.
struct CallOptions {
  // Which back end; Auto follows default_backend() at construction time.
  BackendChoice backend = BackendChoice::Auto;
  // ctypes' use_errno. For a Function: before each call errno is set to this thread's saved
  // value (jitffi::saved_errno()), after the call the new errno is saved there. For a Closure,
  // the mirror image: on entry the native caller's errno is saved there for the handler to
  // read, on return errno is set from it (the caller gets its own errno back, or what the
  // handler stored with set_saved_errno(), whatever the host did to errno meanwhile), and the
  // thread's saved value from before the call is put back.
  bool capture_errno = false;
};

// The thread's errno as saved by the last call of a Function with capture_errno.
int saved_errno() noexcept;
void set_saved_errno(int value) noexcept;

namespace detail {

// What invoke<>() checks per value: a kind (top 3 bits), for aggregates log2 of the alignment
// (4 bits), and the size in bytes (25 bits). Signedness is not part of it (same bits either way).
using ArgCode = std::uint32_t;
enum ArgKind : ArgCode {
  kArgVoid = 0,
  kArgInteger = 1,
  kArgFloating = 2,
  kArgPointer = 3,
  kArgAggregate = 4,
  kArgUnsupported = 7,  // a C++ type invoke cannot pass, or an aggregate of 32 MiB or more
};
constexpr ArgCode kArgSizeLimit = ArgCode(1) << 25;

constexpr ArgCode arg_code(ArgCode kind, std::size_t size, std::size_t align = 1) {
  if (size >= kArgSizeLimit) return kArgUnsupported << 29;
  ArgCode lg = 0;
  while ((std::size_t(1) << lg) < align) ++lg;
  return (kind << 29) | (lg << 25) | ArgCode(size);
}

template <class T>
constexpr bool is_int128() {
#if defined(__SIZEOF_INT128__)
  return std::is_same_v<T, __int128> || std::is_same_v<T, unsigned __int128>;
#else
  return false;
#endif
}

// The code of a C++ type passed to (or returned by) invoke<>(): arrays and functions arrive
// decayed to pointers; a class or union travels by value as its bytes, so it must be trivially
// copyable, and matches any C aggregate of the same size and alignment.
template <class T>
constexpr ArgCode arg_code_of() {
  if constexpr (std::is_void_v<T>)
    return arg_code(kArgVoid, 0);
  else if constexpr (std::is_integral_v<T> || std::is_enum_v<T> || is_int128<T>())
    return arg_code(kArgInteger, sizeof(T));
  else if constexpr (std::is_floating_point_v<T>)
    return arg_code(kArgFloating, sizeof(T));
  else if constexpr (std::is_pointer_v<T> || std::is_null_pointer_v<T>)
    return arg_code(kArgPointer, sizeof(void *));
  else if constexpr (std::is_class_v<T> || std::is_union_v<T>) {
    static_assert(std::is_trivially_copyable_v<T>,
                  "jitffi: a struct passed or returned by value must be trivially copyable");
    return arg_code(kArgAggregate, sizeof(T), alignof(T));
  } else
    return kArgUnsupported << 29;
}

// The C++ spelling of T for error messages (the compiler's own, from the function's name).
template <class T>
std::string_view cxx_type_name() noexcept {
#if defined(__clang__) || defined(__GNUC__)
  std::string_view p = __PRETTY_FUNCTION__;
  std::size_t b = p.find("T = ");
  if (b == std::string_view::npos) return "?";
  b += 4;
  std::size_t e = p.find_first_of(";]", b);
  return p.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
#else
  return "?";
#endif
}
using TypeNameFn = std::string_view (*)() noexcept;

// For up to 7 values (return type first), all scalar or void, the codes also fit exactly in 64
// bits: the count in the low byte, then a byte per value (kind << 4 | log2 of the size, 7 for
// size 0). 0 when they do not fit; then invoke compares the codes one by one.
constexpr std::uint64_t packed_codes(const ArgCode *codes, std::size_t n) {
  if (n > 7) return 0;
  std::uint64_t key = n;
  for (std::size_t i = 0; i < n; ++i) {
    ArgCode kind = codes[i] >> 29, size = codes[i] & (kArgSizeLimit - 1);
    if (kind == kArgAggregate || kind == kArgUnsupported) return 0;
    ArgCode lg = 0;
    while ((ArgCode(1) << lg) < size) ++lg;
    if (size == 0)
      lg = 7;
    else if ((ArgCode(1) << lg) != size || lg > 6)
      return 0;
    key |= std::uint64_t((kind << 4) | lg) << (8 * (i + 1));
  }
  return key;
}

// [R, A...] as codes, and the same as names for the error path.
template <class R, class... A>
struct InvokeCodes {
  static constexpr ArgCode codes[] = {arg_code_of<R>(), arg_code_of<A>()...};
  static constexpr std::uint64_t packed = packed_codes(codes, sizeof...(A) + 1);
  static constexpr TypeNameFn names[] = {&cxx_type_name<R>, &cxx_type_name<A>...};
};

// The same for a function type given to as<R(A...)>() (parameters as they decay).
template <class F>
struct FunctionCodes {
  static_assert(std::is_function_v<F>, "jitffi: as<F>() takes a function type, e.g. int(int)");
};
template <class R, class... A>
struct FunctionCodes<R(A...)> {
  using type = InvokeCodes<std::remove_cv_t<R>, std::decay_t<A>...>;
};

// Calls a value or slot entry whose result comes back as `s` says and stores the result registers'
// bytes at `out` (at least 16 bytes, or the result's size if larger): the result in the first
// bytes, narrow integers not widened, the bytes past the result unspecified. Every copy has a
// constant size: a copy of the shape's runtime piece size measured ~30 ns a call on Zen 5.
struct RegsGG {
  std::uint64_t a, b;
};
struct RegsVV {
  double a, b;
};
struct RegsGV {
  std::uint64_t a;
  double b;
};
struct RegsVG {
  double a;
  std::uint64_t b;
};
inline void call_shaped(void *entry, const ValueShape &s, void *fn, const void *in, void *out) {
  using In = const void *;
  unsigned char *o = static_cast<unsigned char *>(out);
  alignas(16) unsigned char regs[16];
  switch (s.kind) {
    case ValueShape::Void:
    case ValueShape::None:
      reinterpret_cast<void (*)(void *, In)>(entry)(fn, in);
      return;
    case ValueShape::G: {
      std::uint64_t r = reinterpret_cast<std::uint64_t (*)(void *, In)>(entry)(fn, in);
      std::memcpy(regs, &r, 8);
      break;
    }
    case ValueShape::V: {
      double r = reinterpret_cast<double (*)(void *, In)>(entry)(fn, in);
      std::memcpy(regs, &r, 8);
      break;
    }
    case ValueShape::X: {
      long double r = reinterpret_cast<long double (*)(void *, In)>(entry)(fn, in);
      std::memcpy(o, &r, sizeof r < 16 ? sizeof r : 16);
      return;
    }
    case ValueShape::GG: {
      RegsGG r = reinterpret_cast<RegsGG (*)(void *, In)>(entry)(fn, in);
      std::memcpy(regs, &r, 16);
      break;
    }
    case ValueShape::VV: {
      RegsVV r = reinterpret_cast<RegsVV (*)(void *, In)>(entry)(fn, in);
      std::memcpy(regs, &r, 16);
      break;
    }
    case ValueShape::GV: {
      RegsGV r = reinterpret_cast<RegsGV (*)(void *, In)>(entry)(fn, in);
      std::memcpy(regs, &r, 16);
      break;
    }
    case ValueShape::VG: {
      RegsVG r = reinterpret_cast<RegsVG (*)(void *, In)>(entry)(fn, in);
      std::memcpy(regs, &r, 16);
      break;
    }
  }
  if (s.packed) {  // register i is bytes [8i, 8i + 8): copy whole registers
    std::memcpy(o, regs, 8);
    if (s.count > 1) std::memcpy(o + 8, regs + 8, 8);
    return;
  }
  for (unsigned i = 0; i < s.count && i < 2; ++i)  // pieces at other offsets (AArch64 float HFAs)
    for (unsigned k = 0; k < s.size[i] && k < 8; ++k) o[s.offset[i] + k] = regs[8 * i + k];
}

// A Function's entry pointer, looked up on first use (0: not yet, 1: none) and copied with it,
// with the entry's ValueShape kind when its registers are the result's bytes (packed), else None.
class LazyEntry {
 public:
  LazyEntry() = default;
  LazyEntry(const LazyEntry &o) noexcept : v_(o.get()), kind_(o.kind()) {}
  LazyEntry &operator=(const LazyEntry &o) noexcept {
    set(o.get(), o.kind());
    return *this;
  }
  std::uintptr_t get() const noexcept { return v_.load(std::memory_order_acquire); }
  // Valid once get() returned an entry.
  std::uint8_t kind() const noexcept { return kind_.load(std::memory_order_relaxed); }
  void set(std::uintptr_t v, std::uint8_t kind) const noexcept {
    kind_.store(kind, std::memory_order_relaxed);
    v_.store(v, std::memory_order_release);
  }

 private:
  mutable std::atomic<std::uintptr_t> v_{0};
  mutable std::atomic<std::uint8_t> kind_{0};
};

// Function::call's stub, set when the Function is made if the back end has it ready, else on
// the first call that makes it (see CallImpl::raw); copied with the Function.
class LazyRaw {
 public:
  LazyRaw() = default;
  LazyRaw(const LazyRaw &o) noexcept : v_(o.get()) {}
  LazyRaw &operator=(const LazyRaw &o) noexcept {
    set(o.get());
    return *this;
  }
  RawCall get() const noexcept { return v_.load(std::memory_order_acquire); }
  void set(RawCall r) const noexcept { v_.store(r, std::memory_order_release); }

 private:
  mutable std::atomic<RawCall> v_{nullptr};
};

}  // namespace detail

// A foreign function: a signature, a target address and the prepared call.
//
// call(ret, args): args[i] points to the value of the i-th argument (never written to);
// ret points to the result buffer. Integer results narrower than 64 bits (bool, i8..u32) are
// widened to 64 bits (sign- or zero-extended, like libffi's ffi_arg), so the buffer must hold at
// least return_size() bytes: max(8, size of the return type) for integers, the type's size
// otherwise; ret may be null for void.
class Function {
 public:
  Function() = default;
  Function(const Signature &sig, void *fn, CallOptions options = {});

  // The hot path is one load, one test and a tail jump into the stub; anything that needs work
  // around the call (errno capture, JITFFI_STATS counting, a back end without a raw entry, an
  // empty Function) goes out of line.
  void call(void *ret, void **args) const {
    if (RawCall f = fast_.get()) [[likely]]
      return f(fn_, ret, args);
    call_slow(ret, args);
  }

  // Typed convenience: fn.invoke<double>(2.0, 10.0). Checked on every call (a compare of a few
  // words): the number of arguments, and each argument's kind (integer, floating, pointer,
  // aggregate) and size against its parameter, R against the return type; a mismatch throws Error
  // naming the argument. No conversion is made: pass 2.0, not 2, for a double. Signedness is not
  // checked. A struct or union parameter takes any trivially copyable C++ type of the same size
  // and alignment. A variadic Function's signature lists this call's variadic types (see
  // Signature::with_varargs), already default-promoted; they are checked like the fixed ones, so
  // the promotions (float -> double, char/short/bool -> int) are the caller's job.
  template <class R, class... A>
  R invoke(A... a) const {
    using Codes = detail::InvokeCodes<R, A...>;
    if constexpr (Codes::packed != 0) {
      // One compare with a constant: equal packed codes mean equal codes.
      if (packed_ != Codes::packed) [[unlikely]]
        invoke_mismatch(Codes::codes, Codes::names, sizeof...(A) + 1, "invoke");
    } else if (ncodes_ != sizeof...(A) + 1 ||
               std::memcmp(codes_.get(), Codes::codes, sizeof(Codes::codes)) != 0) [[unlikely]] {
      invoke_mismatch(Codes::codes, Codes::names, sizeof...(A) + 1, "invoke");
    }
    return call_typed<R>(a...);
  }

  // A typed handle, checked once here (as invoke<>() would, throwing the same Error): its calls
  // convert the arguments to A... as any C++ call does and go, like invoke's, through the slot
  // entry when the signature has one (the result comes back in registers), else to call().
  //   auto pow = libm.function("double pow(double, double)").as<double(double, double)>();
  //   double r = pow(2, 10);  // 1024
  template <class F>
  class Typed;
  template <class F>
  Typed<F> as() const;

  // The other entries into the compiled signature (see EntryKind in backend.h). Both return the
  // result in registers, narrow integers unwidened; a signature whose result comes back in memory
  // has neither (value_shape().kind is None). The entry pointers (null when there is none) take
  // the target as their first argument, address(); with capture_errno they swap errno like call()
  // does, and with JITFFI_STATS on they count their calls.
  //   auto add = reinterpret_cast<int (*)(void *, const std::uint64_t *)>(f.slots_entry());
  //   std::uint64_t slots[] = {2, std::uint64_t(-3)};  // int(int, int): values sign-extended
  //   int r = add(f.address(), slots);
  void *value_entry() const { return entry_ptr(EntryKind::Value); }
  void *slots_entry() const { return entry_ptr(EntryKind::Slots); }
  const ValueShape &value_shape() const noexcept { return impl_->value_shape(); }
  // Calls through the value / slot entry and stores the result registers' bytes at ret: the
  // result first (narrow integers not widened), then unspecified bytes up to 16; ret must hold
  // max(16, return_size()) bytes. Where there is no such entry
  // (a result in memory) they make the boxed call (call_slots boxes the slots first), so they
  // serve every signature.
  void call_value(void *ret, void **args) const;
  void call_slots(void *ret, const std::uint64_t *slots) const;

  const Signature &signature() const noexcept { return impl_->signature(); }
  void *address() const noexcept { return fn_; }
  BackendKind backend() const noexcept { return impl_->kind(); }
  std::size_t return_size() const noexcept;
  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  // An argument's address as a value the compiler cannot see through, so that args[] is written
  // by one 8-byte store per slot: gcc's SLP vectorizer otherwise writes two slots (addresses it
  // knows) with one 16-byte vector store, and on x86-64 the stub's 8-byte loads from such a store
  // wait for store-to-load forwarding far longer than from a scalar store (the sqlite benchmark
  // lost ~5% to it, see docs/performance.md).
  static void *slot(const void *cp) noexcept {
    void *p = const_cast<void *>(cp);  // args[] is never written through
#if defined(__GNUC__)
    asm("" : "+r"(p));
#endif
    return p;
  }
  friend class Library;
  // Keeps `owner` (a library's handle) alive as long as this Function or a copy of it exists.
  void keep_alive(std::shared_ptr<const void> owner);
  void call_slow(void *ret, void **args) const;
  void *entry_ptr(EntryKind kind) const;
  // The value entry, looked up (and compiled) on first use: null when there is none.
  void *value_fast() const {
    const std::uintptr_t e = value_.get();
    if (e > 1) [[likely]]
      return reinterpret_cast<void *>(e);
    return e == 0 ? resolve_value() : nullptr;
  }
  void *resolve_value() const;
  // Results a C++ function returns the way the entry does (rax or xmm0; x0 or v0).
  template <class R>
  static constexpr bool direct_result() {
    if constexpr (std::is_void_v<R>)
      return true;
    else if constexpr (std::is_floating_point_v<R>)
      return sizeof(R) <= 8;
    else
      return (std::is_integral_v<R> || std::is_enum_v<R> || std::is_pointer_v<R> ||
              std::is_null_pointer_v<R>)&&sizeof(R) <= 8;
  }
  // An argument as the slot entry takes it: a value of at most 8 bytes itself (integers
  // extended per their C++ type, floating values in the low bits), anything else by address. The
  // empty asm keeps each slot its own 8-byte store (see slot()).
  template <class T>
  static std::uint64_t to_slot(const T &a) noexcept {
    std::uint64_t v;
    if constexpr (std::is_class_v<T> || std::is_union_v<T> || sizeof(T) > 8)
      v = reinterpret_cast<std::uintptr_t>(&a);
    else if constexpr (std::is_pointer_v<T>)
      v = reinterpret_cast<std::uintptr_t>(a);
    else if constexpr (std::is_null_pointer_v<T>)
      v = 0;
    else if constexpr (std::is_enum_v<T>)
      return to_slot(static_cast<std::underlying_type_t<T>>(a));
    else if constexpr (std::is_integral_v<T>)
      v = std::is_signed_v<T> ? std::uint64_t(std::int64_t(a)) : std::uint64_t(a);
    else {
      v = 0;
      std::memcpy(&v, &a, sizeof(T));
    }
#if defined(__GNUC__)
    asm("" : "+r"(v));
#endif
    return v;
  }
  template <class R, class... A>
  R call_typed(A... a) const {
    // Typed calls go through the slot entry: one store per argument here and one load in the stub
    // (the value entry's args[] costs a store of the value and of its address, and two loads).
    if (void *e = value_fast()) [[likely]] {
      const std::uint64_t slots[sizeof...(A) ? sizeof...(A) : 1] = {to_slot(a)...};
      return via_entry<R>(e, static_cast<const std::uint64_t *>(slots));
    }
    // Exactly one slot per argument (a spare slot would be one more store on every call).
    void *args[sizeof...(A) ? sizeof...(A) : 1] = {slot(&a)...};
    return call_boxed<R>(args);
  }
  // Calls a value or slot entry `e` with `in`, taking the result from its registers: a scalar the
  // way a C++ function returns it (rax or xmm0; x0 or v0), anything else as the signature's ABI
  // left it (value_shape()).
  // `e` is value_'s entry (its kind is the shape's when the registers are the result's bytes).
  template <class R, class In>
  R via_entry(void *e, In in) const {
    if constexpr (direct_result<R>()) {
      return reinterpret_cast<R (*)(void *, In)>(e)(fn_, in);
    } else {
      R r;
      if constexpr (sizeof(R) <= 16) {
        // The registers' bytes are the result's (a copy of constant size, no buffer).
        {
          switch (value_.kind()) {
            case ValueShape::G:
              return from_regs<R>(reinterpret_cast<std::uint64_t (*)(void *, In)>(e)(fn_, in));
            case ValueShape::V:
              return from_regs<R>(reinterpret_cast<double (*)(void *, In)>(e)(fn_, in));
            case ValueShape::GG:
              return from_regs<R>(reinterpret_cast<detail::RegsGG (*)(void *, In)>(e)(fn_, in));
            case ValueShape::VV:
              return from_regs<R>(reinterpret_cast<detail::RegsVV (*)(void *, In)>(e)(fn_, in));
            case ValueShape::GV:
              return from_regs<R>(reinterpret_cast<detail::RegsGV (*)(void *, In)>(e)(fn_, in));
            case ValueShape::VG:
              return from_regs<R>(reinterpret_cast<detail::RegsVG (*)(void *, In)>(e)(fn_, in));
            default:
              break;
          }
        }
      }
      alignas(16) unsigned char buf[sizeof(R) < 16 ? 16 : sizeof(R)] = {};  // filled by the stub
      detail::call_shaped(e, impl_->value_shape(), fn_, in, buf);
      std::memcpy(&r, buf, sizeof(R));
      return r;
    }
  }
  // The first sizeof(R) bytes of the registers' values.
  template <class R, class Regs>
  static R from_regs(const Regs &regs) noexcept {
    R r;
    std::memcpy(&r, &regs, sizeof(R) < sizeof(Regs) ? sizeof(R) : sizeof(Regs));
    return r;
  }
  template <class R>
  R call_boxed(void **args) const {
    if constexpr (std::is_void_v<R>) {
      call(nullptr, args);
    } else {
      alignas(16) unsigned char buf[sizeof(R) < 8 ? 8 : sizeof(R)];
      call(buf, args);
      R r;
      std::memcpy(&r, buf, sizeof(R));  // little-endian: the low bytes of a widened integer
      return r;
    }
  }
  // Throws the Error describing how given[0..n) (return type first) differs from the signature.
  [[noreturn]] void invoke_mismatch(const detail::ArgCode *given, const detail::TypeNameFn *names,
                                    std::size_t n, const char *what) const;
  // [return, params...] as detail::ArgCode, computed when the Function is made; ncodes_ is 0 for
  // an empty Function so that every invoke takes the error path.
  std::shared_ptr<const detail::ArgCode[]> codes_;
  std::uint32_t ncodes_ = 0;
  std::uint64_t packed_ = 0;  // detail::packed_codes of codes_ (0: does not fit, or empty)
  // The stub itself when a call needs nothing else (see call()); null otherwise, and until the
  // first call when the stub is made then.
  detail::LazyRaw fast_;
  // The value entry for typed calls (with errno capture when asked for): see value_fast().
  detail::LazyEntry value_;
  void *fn_ = nullptr;
  std::shared_ptr<const detail::CallImpl> impl_;
  bool capture_errno_ = false;
  // JITFFI_STATS counting, fixed when the Function is made (the flag is read at load time).
  bool count_calls_ = false;
};

template <class R, class... A>
class Function::Typed<R(A...)> {
 public:
  Typed() = default;
  R operator()(A... a) const { return f_.call_typed<R, A...>(a...); }
  const Function &function() const noexcept { return f_; }
  explicit operator bool() const noexcept { return bool(f_); }

 private:
  friend class Function;
  explicit Typed(const Function &f) : f_(f) {}
  Function f_;
};

template <class F>
Function::Typed<F> Function::as() const {
  using Codes = typename detail::FunctionCodes<F>::type;
  constexpr std::size_t n = sizeof(Codes::codes) / sizeof(detail::ArgCode);
  if (ncodes_ != n || std::memcmp(codes_.get(), Codes::codes, sizeof(Codes::codes)) != 0)
    invoke_mismatch(Codes::codes, Codes::names, n, "as");
  (void)value_fast();  // the handle's calls find the entry ready
  return Typed<F>(*this);
}

// A closure: code() is a native function pointer with the given signature; calling it calls the
// handler with boxed arguments. The handler writes the result into ret (at least return_size()
// bytes, as for Function; writing just the natural size of an integer is enough). Freed when the
// Closure is destroyed: the code pointer must not be called after that. Movable, not copyable.
//
// A C++ exception thrown by the handler propagates to the native caller; that is only sound when
// the caller is C++ (or C compiled with unwind tables) that expects it.
class Closure {
 public:
  using Fn = std::function<void(void *ret, void **args)>;

  Closure() = default;
  Closure(Signature sig, ClosureHandler handler, void *user_data, CallOptions options = {});
  Closure(Signature sig, Fn fn, CallOptions options = {});
  ~Closure();
  Closure(Closure &&) noexcept;
  Closure &operator=(Closure &&) noexcept;

  // A typed closure: its code calls `R handler(params..., void *user_data)`, a function with the
  // signature's own result, parameters and calling convention plus a trailing pointer that
  // receives user_data, so arguments and result travel in their registers with no boxing.
  // With the JIT (and no capture_errno) the code is `mov reg, user_data; jmp handler` when
  // user_data goes in a register, and copies the caller's stack arguments when it goes on the
  // stack. With libffi, or capture_errno, a boxed closure calls the handler through a Function
  // (the same behaviour, at a boxed closure's cost plus a downcall). Throws UnsupportedError for
  // a variadic signature (a C function has no parameter after `...`).
  static Closure typed(Signature sig, const void *handler, void *user_data,
                       CallOptions options = {});
  template <class R, class... A>
  static Closure typed(Signature sig, R (*handler)(A...), void *user_data,
                       CallOptions options = {}) {
    static_assert(
        sizeof...(A) > 0 &&
            std::is_same_v<std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>, void *>,
        "a typed closure's handler takes void *user_data last");
    return typed(std::move(sig), reinterpret_cast<const void *>(handler), user_data, options);
  }

  void *code() const noexcept { return impl_ ? impl_->code() : nullptr; }
  template <class F>
  F code() const noexcept {
    return reinterpret_cast<F>(code());
  }
  const Signature &signature() const noexcept { return *sig_; }
  BackendKind backend() const noexcept { return impl_->kind(); }
  explicit operator bool() const noexcept { return impl_ != nullptr; }

  // Closures alive in this process (for leak checks in tests).
  static std::size_t live_count() noexcept;

 private:
  std::unique_ptr<Signature> sig_;
  std::unique_ptr<Fn> fn_;  // owned std::function when built from one
  std::unique_ptr<detail::ClosureImpl> impl_;
};

// The library could not be opened (dlopen's message included).
class LibraryError : public Error {
 public:
  using Error::Error;
};

// A symbol is missing from a library.
class SymbolError : public Error {
 public:
  SymbolError(std::string symbol, std::string library, std::string detail);
  const std::string &symbol() const noexcept { return symbol_; }
  const std::string &library() const noexcept { return library_; }

 private:
  std::string symbol_, library_;
};

// How Library::open calls dlopen. The default is RTLD_NOW | RTLD_LOCAL.
struct OpenOptions {
  // RTLD_GLOBAL: the library's symbols resolve the undefined symbols of libraries opened later
  // and are found by dlsym(RTLD_DEFAULT) (plugins that expect their host's symbols need this).
  bool global = false;
  // RTLD_LAZY: functions are bound at their first call, so a library with an unresolvable
  // function reference still opens (calling that function then aborts the process).
  bool lazy = false;
};

// A shared library opened with dlopen. open("sqlite3"), open("libsqlite3.so"),
// open("libsqlite3.so.0") and open("/path/to/lib.so") all work: a bare name is tried as given,
// then as lib<name>.so, then as the highest lib<name>.so.N found in the library directories.
// Copies share the handle; dlclose runs when the last copy goes and no Function made by
// function() remains: such a Function keeps its library loaded, so it may outlive every Library
// copy (a Function made from a raw address, e.g. Function(sig, lib.symbol(...)), does not).
//
// Versioned symbols: a name "memcpy@GLIBC_2.2.5" (or "memcpy@@GLIBC_2.14") is looked up with
// dlvsym(handle, "memcpy", "GLIBC_2.2.5"), in symbol(), find() and function(); in a prototype
// the version follows the function's name: "void *memcpy@GLIBC_2.2.5(void *, const void *,
// size_t)". A plain name gets dlsym's choice (the default version).
class Library {
 public:
  static Library open(std::string_view name, OpenOptions how = {});
  // Tries each name in turn; the error lists every attempt.
  static Library open_any(std::initializer_list<std::string_view> names, OpenOptions how = {});
  // The running program and everything it has loaded (dlopen(NULL)).
  static Library self();

  // Looks the symbol (or name@VERSION) up; throws SymbolError naming it when missing.
  void *symbol(std::string_view name) const;
  // Null when missing.
  void *find(std::string_view name) const noexcept;

  // Parses the C prototype (with this library's scope of declarations), resolves its name
  // (name@VERSION allowed, see above) and prepares the call. Throws ParseError, SymbolError.
  Function function(std::string_view prototype, CallOptions options = {}) const;
  // Same with a signature already parsed (its name() is the symbol).
  Function function(const Signature &sig, CallOptions options = {}) const;
  // Same, the symbol looked up as sig.name()@version (an empty version: plain dlsym).
  Function function(const Signature &sig, std::string_view version, CallOptions options = {}) const;

  // Splits "TEXT@VERSION(..." the way function(prototype) does: returns the prototype without
  // "@VERSION" and stores the version (empty when there is none). Throws ParseError for an '@'
  // without a version.
  static std::string split_version(std::string_view prototype, std::string &version);

  // Declarations (structs, typedefs) that later prototypes may use.
  Scope &scope() noexcept;
  const Scope &scope() const noexcept;

  // The path or name the library was opened by.
  const std::string &name() const noexcept;
  void *handle() const noexcept;

 private:
  struct Handle;
  std::shared_ptr<Handle> h_;
};

}  // namespace jitffi
