// jitffi signatures: an ABI, a return type, parameter types and a variadic split; and the
// parser for both text syntaxes (compact `i32(ptr, f64, ...)` and C prototypes).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/types.h"

namespace jitffi {

// A syntax error in a signature or declaration: the whole input, the 0-based character position
// where it went wrong, and what was expected there. what() reads
//   `expected ')' at position 12 in "i32(ptr, f64"`.
class ParseError : public Error {
 public:
  ParseError(std::string input, std::size_t position, std::string expected);
  const std::string &input() const noexcept { return input_; }
  std::size_t position() const noexcept { return position_; }
  const std::string &expected() const noexcept { return expected_; }

 private:
  std::string input_;
  std::size_t position_;
  std::string expected_;
};

// The longest text the parser reads (Signature::parse, Scope): longer input is a ParseError
// before any other work, so that what parsing costs is bounded (DESIGN.md, "Untrusted input").
inline constexpr std::size_t kMaxTextLength = std::size_t{1} << 21;

// An immutable, cheaply copied function signature.
//
// For a variadic call the parameter list holds the fixed parameters followed by the types of the
// variadic arguments of this particular call; fixed_count() tells where the split is. Variadic
// arguments must already have their default-promoted types (no bool/i8/u8/i16/u16/f32 after
// `...`): constructing such a signature throws TypeError.
class Signature {
 public:
  // A non-variadic signature. Throws TypeError for an array or void parameter, an array return,
  // or a long double on an ABI where it does not exist as its own type (win64, apple_arm64,
  // windows_arm64).
  Signature(Abi abi, TypeRef ret, std::vector<TypeRef> params);
  // A variadic signature: params[0, fixed_count) are fixed, the rest are this call's varargs.
  static Signature variadic(Abi abi, TypeRef ret, std::vector<TypeRef> params,
                            std::size_t fixed_count);

  // Parses either syntax; the ABI named in the text wins, else `abi`. See docs/signatures.md.
  static Signature parse(std::string_view text, Abi abi = host_abi());

  Abi abi() const noexcept;
  const TypeRef &ret() const noexcept;
  const std::vector<TypeRef> &params() const noexcept;
  std::size_t fixed_count() const noexcept;  // == params().size() when not variadic
  bool is_variadic() const noexcept;
  // The function name of a C prototype (`cos` in `double cos(double)`); empty otherwise.
  const std::string &name() const noexcept;
  // Parameter names from a C prototype ("" where none was given); same length as params().
  const std::vector<std::string> &param_names() const noexcept;

  // `sysv:i32(ptr,f64,...,i32)`: the ABI, the return type and the parameters; `...` marks the
  // fixed/variadic split. Names are not part of it.
  const std::string &canonical() const noexcept;
  // 64-bit FNV-1a hash of canonical().
  std::uint64_t hash() const noexcept;

  // For a variadic prototype: the same fixed part with `varargs` as this call's variadic
  // arguments. Throws TypeError if this signature is not variadic.
  Signature with_varargs(std::vector<TypeRef> varargs) const;
  // The same signature under another name (C prototype name), e.g. for a symbol alias.
  Signature with_name(std::string name) const;

  friend bool operator==(const Signature &a, const Signature &b) noexcept {
    return a.data_ == b.data_ || a.canonical() == b.canonical();
  }
  friend bool operator!=(const Signature &a, const Signature &b) noexcept { return !(a == b); }

 private:
  struct Data;
  explicit Signature(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  static Signature make(Abi abi, TypeRef ret, std::vector<TypeRef> params, std::size_t fixed,
                        bool variadic, std::string name, std::vector<std::string> names);
  friend class Scope;
  std::shared_ptr<const Data> data_;
};

// A set of C declarations (struct/union/enum definitions and typedefs) against which C types and
// prototypes are parsed. The C names whose meaning depends on the ABI are resolved with the
// scope's ABI: `long` is i32 on win64 and windows_arm64 and i64 elsewhere, `long double` is f64
// on win64, apple_arm64 and windows_arm64. Opaque types (`typedef struct sqlite3 sqlite3;`) can be
// used behind pointers.
class Scope {
 public:
  explicit Scope(Abi abi = host_abi());

  Abi abi() const noexcept { return abi_; }

  // Parses declarations separated by `;`: `struct point { double x, y; };`,
  // `typedef struct sqlite3 sqlite3;`, `typedef int (*cmp_fn)(const void *, const void *);`,
  // `enum color { RED, GREEN };`, `union u { int i; float f; };`. Throws ParseError.
  void declare(std::string_view declarations);

  // Parses a type name in either syntax (`const char *`, `struct point`, `{f64,f64}`, `u32`).
  TypeRef type(std::string_view text) const;
  // Parses a signature in either syntax using this scope's declarations; the ABI named in the
  // text wins, else the scope's.
  Signature signature(std::string_view text) const;

  // Registers a type under a typedef name, as `typedef <type> name;` would.
  void define(std::string name, TypeRef type);
  // The typedef or struct/union tag, or null.
  TypeRef find_typedef(std::string_view name) const;
  TypeRef find_tag(std::string_view tag) const;

 private:
  friend class Parser;
  Abi abi_;
  std::map<std::string, TypeRef, std::less<>> typedefs_;
  // Tag -> type; a null TypeRef marks an opaque (declared but not defined) struct/union.
  std::map<std::string, TypeRef, std::less<>> tags_;
  // Enumerator name -> value, so that later declarations can size arrays with them.
  std::map<std::string, long long, std::less<>> constants_;
};

}  // namespace jitffi
