// Shared machinery of the bindings: finding a library (path override, environment variable,
// sonames with fallbacks), resolving a table of C prototypes into Functions when it opens, and
// small helpers for closures that must not let C++ exceptions cross C frames.
#pragma once

#include <cstddef>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "jitffi/function.h"

namespace jitffi::bindings {

// Base of the errors a binding itself reports (not the wrapped library's own errors).
class BindingError : public Error {
 public:
  using Error::Error;
};

// Required symbols missing from a library: every missing name, listed in what().
class MissingSymbolsError : public BindingError {
 public:
  MissingSymbolsError(std::string library, std::vector<std::string> symbols);
  const std::string &library() const noexcept { return library_; }
  const std::vector<std::string> &symbols() const noexcept { return symbols_; }

 private:
  std::string library_;
  std::vector<std::string> symbols_;
};

// Where a library is looked for, in order: the explicit path given to the binding, the path in
// the environment variable `env_var` (when set and non-empty), then each of `sonames`.
struct LibraryLocation {
  std::string_view display_name;  // "sqlite3", for messages
  std::string_view env_var;       // "JITFFI_SQLITE3_PATH"; may be empty
  std::vector<std::string_view> sonames;
};

// Opens the library as described above. An explicit path or environment override that fails is
// an error of its own (no silent fallback to the sonames: the caller asked for that file).
Library open_library(const LibraryLocation &where, std::string_view path_override = {});

// How an entry of a function table is resolved.
enum EntryFlags : unsigned {
  kRequired = 0,
  kOptional = 1u << 0,  // missing in some versions: the Function stays empty (operator bool)
  kErrno = 1u << 1,     // sets errno: called with CallOptions::capture_errno
};

// One foreign function of a binding: the member of the binding's API struct that receives it
// and its C prototype (parsed against the library's declarations).
template <class Api>
struct FunctionEntry {
  Function Api::*member;
  std::string_view prototype;
  unsigned flags = kRequired;
};

// Parses every prototype against lib.scope(), looks each symbol up and stores the Function.
// All missing required symbols are collected and reported together; a prototype that does not
// parse throws the parser's ParseError (that is a bug in the binding, not in the library).
// `binding` names the binding ("libsqlite3") for JITFFI_BINDING_COVERAGE, which counts the calls
// of each function of a named binding (bindings/coverage.cpp); empty: not counted.
template <class Api>
void resolve_functions(const Library &lib, Api &api, std::span<const FunctionEntry<Api>> table,
                       std::string_view binding = {});

// Non-template core of resolve_functions: returns the Function, or an empty one when the symbol
// is missing (its name appended to `missing` when required).
Function resolve_one(const Library &lib, std::string_view prototype, unsigned flags,
                     std::vector<std::string> &missing, std::string_view binding = {});

template <class Api>
void resolve_functions(const Library &lib, Api &api, std::span<const FunctionEntry<Api>> table,
                       std::string_view binding) {
  std::vector<std::string> missing;
  for (const FunctionEntry<Api> &e : table)
    api.*(e.member) = resolve_one(lib, e.prototype, e.flags, missing, binding);
  if (!missing.empty()) throw MissingSymbolsError(lib.name(), std::move(missing));
}

// Variadic functions prepared per set of variadic argument types (a call's `...` part), so that a
// repeated call shape costs one map lookup; keyed by target address and signature. Safe to use
// from many threads.
class VariadicCache {
 public:
  Function get(const Function &fn, std::vector<TypeRef> varargs) const;

 private:
  mutable std::mutex mutex_;
  mutable std::map<std::string, Function, std::less<>> cache_;
};

// An exception caught inside a callback (C frames are between the callback and its C++ caller)
// and rethrown once control is back in C++. The first one wins.
class CallbackError {
 public:
  // Runs f; a thrown exception is stored and false returned.
  template <class F>
  bool guard(F &&f) noexcept {
    try {
      f();
      return true;
    } catch (...) {
      if (!error_) error_ = std::current_exception();
      return false;
    }
  }
  bool failed() const noexcept { return error_ != nullptr; }
  const std::exception_ptr &error() const noexcept { return error_; }
  void rethrow_if_failed() {
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  std::exception_ptr error_;
};

// Member access into a struct declared in a binding's C text, so that its layout is written once
// (in the declarations) and C++ reads fields by name: "c_lflag", "sin_addr.s_addr", "c_cc[6]".
class StructLayout {
 public:
  StructLayout() = default;
  explicit StructLayout(TypeRef type);
  std::size_t size() const noexcept { return type_ ? type_->size() : 0; }
  std::size_t align() const noexcept { return type_ ? type_->align() : 1; }
  const TypeRef &type() const noexcept { return type_; }
  // Byte offset of a member path; with `size` the member's size. Throws BindingError.
  std::size_t offset(std::string_view path, std::size_t *size = nullptr) const;

  // Reads/writes a scalar member whose size must be sizeof(T) (checked: a mismatch is a bug in
  // the declarations or the caller, reported with the path).
  template <class T>
  T get(const void *base, std::string_view path) const {
    T v;
    std::memcpy(&v, static_cast<const char *>(base) + checked(path, sizeof(T)), sizeof(T));
    return v;
  }
  template <class T>
  void set(void *base, std::string_view path, T v) const {
    std::memcpy(static_cast<char *>(base) + checked(path, sizeof(T)), &v, sizeof(T));
  }

 private:
  std::size_t checked(std::string_view path, std::size_t want) const;
  TypeRef type_;
};

// Storage for `bytes` bytes, aligned for any scalar, with every byte zero: C APIs read members
// the caller never set (getaddrinfo's hints), and `new std::max_align_t[n]()` leaves padding and
// the tail of its long double as the heap had them.
std::unique_ptr<std::max_align_t[]> zeroed_storage(std::size_t bytes);

// `void(void)`: the value of a binding's closure Signature members until the library is opened.
inline Signature unresolved_signature() {
  return Signature(host_abi(), Type::void_(), {});
}

// Reads the i-th boxed closure argument as T (args[i] points to the value).
template <class T>
T arg(void **args, std::size_t i) noexcept {
  return *static_cast<T *>(args[i]);
}

// The variadic part of a printf-family call: for each value (a std::variant of promoted C
// types) its type, and its address boxed at boxed[first + i]. `values` must outlive the call.
template <class Variant>
std::vector<TypeRef> box_varargs(std::vector<Variant> &values, std::vector<void *> &boxed,
                                 std::size_t first) {
  std::vector<TypeRef> types;
  types.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    types.push_back(std::visit(
        [](auto v) -> TypeRef {
          using T = decltype(v);
          if constexpr (std::is_same_v<T, double>) return Type::scalar(TypeKind::F64);
          if constexpr (std::is_pointer_v<T>) return Type::pointer();
          if constexpr (sizeof(T) == 8)
            return Type::scalar(std::is_signed_v<T> ? TypeKind::I64 : TypeKind::U64);
          return Type::scalar(std::is_signed_v<T> ? TypeKind::I32 : TypeKind::U32);
        },
        values[i]));
    boxed[first + i] = std::visit([](auto &v) -> void * { return &v; }, values[i]);
  }
  return types;
}

}  // namespace jitffi::bindings
