// Shared by the C API's sources (capi.cpp, capi_types.cpp): the handles' definitions and the
// error plumbing (a status plus a thread-local message; no exception ever reaches C).
#pragma once

#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "jitffi.h"
#include "jitffi/jitffi.hpp"

// Internal to libjitffi.so: none of this is exported (the version script exports *jitffi::*).
#pragma GCC visibility push(hidden)

namespace jitffi::capi {
class TypeArena;
}

// A type handle. Three sorts, told apart by the fields: the shared scalar handles (arena and own
// null), handles owned by a signature or a type (arena set, own null), and builder handles the
// caller frees (own set; arena == own.get()).
struct __attribute__((visibility("hidden"))) jitffi_type {
  jitffi::TypeRef type;
  // Where the handles of this type's members and element live.
  jitffi::capi::TypeArena *arena = nullptr;
  std::unique_ptr<jitffi::capi::TypeArena> own;
};

namespace jitffi::capi {

// The handles for the types reachable from one root (a signature or a builder handle), made on
// first use and kept until the root goes. One handle per distinct Type, so a type shared by many
// members (a DAG in the model) costs one handle, never one per path.
class TypeArena {
 public:
  // The handle of t: a shared one for scalars, else this arena's (made now if needed).
  const jitffi_type *handle(const TypeRef &t);

 private:
  std::mutex mutex_;
  std::unordered_map<const Type *, std::unique_ptr<jitffi_type>> handles_;
};

// The shared handle of a scalar type (kind Void..Pointer; cstr pointers have their own).
const jitffi_type *scalar_handle(const Type &t) noexcept;

// A new builder handle for t, which the caller frees with jitffi_type_free (scalars get their
// shared handle, which jitffi_type_free leaves alone).
jitffi_type *owned_handle(TypeRef t);

// A C caller may pass any int where an enum is expected; reading such a value as the C++ enum
// type is undefined, so its bytes are read as an int.
template <class E>
int raw_int(const E &e) noexcept {
  static_assert(sizeof(E) == sizeof(int));
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// Records "where: what suffix" as this thread's error, with a parse position or
// JITFFI_NO_POSITION. Never throws.
void set_error(const char *where, std::string_view what, std::size_t position,
               std::string_view suffix = {}) noexcept;
jitffi_status fail(const char *where, jitffi_status status, std::string_view what) noexcept;
// Maps the exception in flight to a status; called only from a catch block.
jitffi_status translate(const char *where) noexcept;
// "where: NAME is NULL" as JITFFI_INVALID_ARGUMENT.
jitffi_status null_arg(const char *where, std::string_view name) noexcept;

// Runs body, turning any exception into a status.
template <class F>
jitffi_status guard(const char *where, F &&body) noexcept {
  try {
    body();
    return JITFFI_OK;
  } catch (...) {
    return translate(where);
  }
}

}  // namespace jitffi::capi

struct __attribute__((visibility("hidden"))) jitffi_sig {
  explicit jitffi_sig(jitffi::Signature s) : sig(std::move(s)) {}
  jitffi::Signature sig;
  // Handles for introspection, made on demand (a const jitffi_sig may be read by many threads).
  mutable jitffi::capi::TypeArena types;
};

#pragma GCC visibility pop
