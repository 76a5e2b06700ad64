// jitffi public API: Function (a callable foreign function), Closure (a native function pointer
// that calls back into C++), Library (a shared library opened at run time).
#pragma once

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "jitffi/backend.h"
#include "jitffi/signature.h"

namespace jitffi {

// Per-function options.
struct CallOptions {
  // Which back end; Auto follows default_backend() at construction time.
  BackendChoice backend = BackendChoice::Auto;
  // ctypes' use_errno: before each call errno is set to this thread's saved value
  // (jitffi::saved_errno()), after the call the new errno is saved there.
  bool capture_errno = false;
};

// The thread's errno as saved by the last call of a Function with capture_errno.
int saved_errno() noexcept;
void set_saved_errno(int value) noexcept;

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
    if (fast_) [[likely]]
      return fast_(fn_, ret, args);
    call_slow(ret, args);
  }

  // Typed convenience: fn.invoke<double>(2.0, 10.0). Each argument must have the C++ type that
  // matches its parameter exactly (no conversions are made).
  template <class R, class... A>
  R invoke(A... a) const {
    // Exactly one slot per argument (a spare slot would be one more store on every call).
    void *args[sizeof...(A) ? sizeof...(A) : 1] = {slot(&a)...};
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
  static void *slot(void *p) noexcept {
#if defined(__GNUC__)
    asm("" : "+r"(p));
#endif
    return p;
  }
  void call_slow(void *ret, void **args) const;
  // The stub itself when a call needs nothing else (see call()); null otherwise.
  RawCall fast_ = nullptr;
  void *fn_ = nullptr;
  std::shared_ptr<const detail::CallImpl> impl_;
  bool capture_errno_ = false;
  // JITFFI_STATS counting, fixed when the Function is made (the flag is read at load time).
  bool count_calls_ = false;
};

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
// Copies share the handle; dlclose runs when the last copy goes.
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
  Function function(const Signature &sig, std::string_view version,
                    CallOptions options = {}) const;

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
