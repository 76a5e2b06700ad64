// Signature: validation, canonical form and hash. Parsing lives in parser.cpp.
#include "jitffi/signature.h"

#include <algorithm>
#include <atomic>

namespace jitffi {

Abi host_abi() noexcept {
#if defined(__x86_64__) && defined(_WIN32)
  return Abi::Win64;
#elif defined(__x86_64__)
  return Abi::SysV_x64;
#elif defined(__aarch64__) && defined(_WIN32)
  return Abi::Windows_arm64;
#elif defined(__aarch64__) && defined(__APPLE__)
  return Abi::Apple_arm64;
#elif defined(__aarch64__)
  return Abi::AAPCS64;
#else
#error "jitffi supports x86-64 and AArch64 hosts"
#endif
}

std::string_view abi_name(Abi abi) noexcept {
  switch (abi) {
    case Abi::SysV_x64:
      return "sysv";
    case Abi::Win64:
      return "win64";
    case Abi::AAPCS64:
      return "aapcs64";
    case Abi::Apple_arm64:
      return "apple_arm64";
    case Abi::Windows_arm64:
      return "windows_arm64";
  }
  return "?";
}

std::optional<Abi> abi_from_name(std::string_view name) noexcept {
  static constexpr std::pair<std::string_view, Abi> kNames[] = {
      {"sysv", Abi::SysV_x64},
      {"sysv_x64", Abi::SysV_x64},
      {"sysv64", Abi::SysV_x64},
      {"x86_64", Abi::SysV_x64},
      {"unix64", Abi::SysV_x64},
      {"sysv_abi", Abi::SysV_x64},
      {"win64", Abi::Win64},
      {"ms_abi", Abi::Win64},
      {"msabi", Abi::Win64},
      {"ms", Abi::Win64},
      {"aapcs64", Abi::AAPCS64},
      {"aarch64", Abi::AAPCS64},
      {"arm64", Abi::AAPCS64},
      {"apple_arm64", Abi::Apple_arm64},
      {"darwin_arm64", Abi::Apple_arm64},
      {"apple", Abi::Apple_arm64},
      {"windows_arm64", Abi::Windows_arm64},
      {"win_arm64", Abi::Windows_arm64},
      {"arm64_win64", Abi::Windows_arm64},
      {"win64_arm64", Abi::Windows_arm64},
      {"arm64_windows", Abi::Windows_arm64},
      {"woa64", Abi::Windows_arm64},
  };
  for (auto &[n, a] : kNames)
    if (n == name) return a;
  return std::nullopt;
}

namespace {

// what() is a C string: a NUL in the input (or in a token quoted from it) is written \0 so
// that the message does not end there.
std::string escape_nul(std::string text) {
  if (text.find('\0') == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    if (c)
      out.push_back(c);
    else
      out.append("\\0");
  }
  return out;
}

}  // namespace

ParseError::ParseError(std::string input, std::size_t position, std::string expected)
    : Error(escape_nul("expected " + expected + " at position " + std::to_string(position) +
                       " in \"" + input + "\"")),
      input_(std::move(input)),
      position_(position),
      expected_(std::move(expected)) {}

struct Signature::Data {
  Abi abi;
  TypeRef ret;
  std::vector<TypeRef> params;
  std::size_t fixed;
  bool variadic;
  std::string name;
  std::vector<std::string> names;
  const std::vector<std::string> *names_view;  // &names, or a shared vector of empty names
  std::string canonical;
  std::uint64_t hash;
};

namespace {

// Most signatures name no parameter (compact texts, prototypes without names): their
// param_names() is one of these shared vectors of empty names rather than a vector of their own
// (an allocation and n strings less per signature). Made on first use for each count up to
// kSharedNames and kept for the process (at most 65 vectors, 66 KB); null beyond.
const std::vector<std::string> *shared_empty_names(std::size_t n) {
  constexpr std::size_t kSharedNames = 64;
  static std::atomic<const std::vector<std::string> *> table[kSharedNames + 1];
  if (n > kSharedNames) return nullptr;
  const std::vector<std::string> *v = table[n].load(std::memory_order_acquire);
  if (v) return v;
  auto *made = new std::vector<std::string>(n);
  if (table[n].compare_exchange_strong(v, made, std::memory_order_acq_rel)) return made;
  delete made;  // another thread's is there
  return v;
}

// 64-bit FNV-1a.
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

}  // namespace

Signature Signature::make(Abi abi, TypeRef ret, std::vector<TypeRef> params, std::size_t fixed,
                          bool variadic, std::string name, std::vector<std::string> names) {
  if (!ret) throw TypeError("signature has no return type");
  if (ret->kind() == TypeKind::Array) throw TypeError("a function cannot return an array");
  if (fixed > params.size()) throw TypeError("fixed parameter count exceeds parameter count");
  const bool ld_is_double =
      abi == Abi::Win64 || abi == Abi::Apple_arm64 || abi == Abi::Windows_arm64;
  auto check_ld = [&](const Type &t, auto &&where) {
    if (ld_is_double && t.contains(TypeKind::LongDouble))
      throw TypeError(where() + ": long double is double on " + std::string(abi_name(abi)) +
                      "; use f64");
  };
  check_ld(*ret, [] { return std::string("return type"); });
  // The canonical text is bounded like a type's: parameters that share one large type would
  // otherwise multiply it (and every later step that reads the parameters) by their number.
  std::size_t canon_length = abi_name(abi).size() + ret->canonical().size() + 7;
  for (const TypeRef &p : params) canon_length += p ? p->canonical().size() + 1 : 0;
  if (canon_length > kMaxCanonicalLength)
    throw TypeError("signature with " + std::to_string(params.size()) +
                    " parameters has a canonical form of about " + std::to_string(canon_length) +
                    " characters; at most " + std::to_string(kMaxCanonicalLength) + " are allowed");
  // Written in place into canon_length characters (a bound: at most n - 1 commas and one
  // ",..."), with the hash of each character as it is written: one pass, one allocation. A
  // parameter's name for a message only when there is a message.
  std::string canon(canon_length, '\0');
  char *out = canon.data();
  std::uint64_t hash = kFnvOffset;
  auto put = [&](std::string_view s) {
    for (const char c : s) {
      *out++ = c;
      hash = (hash ^ static_cast<unsigned char>(c)) * kFnvPrime;
    }
  };
  put(abi_name(abi));
  put(":");
  put(ret->canonical());
  put("(");
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto where = [i] { return "parameter " + std::to_string(i + 1); };
    if (!params[i]) throw TypeError(where() + " has no type");
    const Type &p = *params[i];
    if (p.is_void()) throw TypeError(where() + " has type void");
    if (p.kind() == TypeKind::Array)
      throw TypeError(where() + " is an array (" + p.canonical() + "); pass a pointer");
    check_ld(p, where);
    if (variadic && i >= fixed && !p.is_promoted())
      throw TypeError(where() + " (variadic) has type " + p.canonical() +
                      ", which the default argument promotions turn into " +
                      (p.kind() == TypeKind::F32 ? "f64" : "i32"));
    if (variadic && i == fixed) put(i ? ",..." : "...");
    if (i || (variadic && fixed == 0)) put(",");
    put(p.canonical());
  }
  if (variadic && fixed == params.size()) put(params.empty() ? "..." : ",...");
  put(")");
  canon.resize(static_cast<std::size_t>(out - canon.data()));
  const std::vector<std::string> *shared = nullptr;
  if (std::all_of(names.begin(), names.end(), [](const std::string &n) { return n.empty(); }))
    shared = shared_empty_names(params.size());
  if (shared)
    names.clear();
  else if (names.size() != params.size())
    names.resize(params.size());
  auto d = std::make_shared<Data>();
  d->abi = abi;
  d->ret = std::move(ret);
  d->params = std::move(params);
  d->fixed = variadic ? fixed : d->params.size();
  d->variadic = variadic;
  d->name = std::move(name);
  d->names = std::move(names);
  d->names_view = shared ? shared : &d->names;
  d->hash = hash;
  d->canonical = std::move(canon);
  return Signature(std::move(d));
}

Signature::Signature(Abi abi, TypeRef ret, std::vector<TypeRef> params)
    : Signature(make(abi, std::move(ret), std::move(params), 0, false, {}, {})) {}

Signature Signature::variadic(Abi abi, TypeRef ret, std::vector<TypeRef> params,
                              std::size_t fixed_count) {
  return make(abi, std::move(ret), std::move(params), fixed_count, true, {}, {});
}

Abi Signature::abi() const noexcept {
  return data_->abi;
}
const TypeRef &Signature::ret() const noexcept {
  return data_->ret;
}
const std::vector<TypeRef> &Signature::params() const noexcept {
  return data_->params;
}
std::size_t Signature::fixed_count() const noexcept {
  return data_->fixed;
}
bool Signature::is_variadic() const noexcept {
  return data_->variadic;
}
const std::string &Signature::name() const noexcept {
  return data_->name;
}
const std::vector<std::string> &Signature::param_names() const noexcept {
  return *data_->names_view;
}
const std::string &Signature::canonical() const noexcept {
  return data_->canonical;
}
std::uint64_t Signature::hash() const noexcept {
  return data_->hash;
}

Signature Signature::with_varargs(std::vector<TypeRef> varargs) const {
  if (!is_variadic()) throw TypeError("with_varargs: " + canonical() + " is not variadic");
  std::vector<TypeRef> params(data_->params.begin(), data_->params.begin() + data_->fixed);
  const std::vector<std::string> &all = param_names();
  std::vector<std::string> names(all.begin(), all.begin() + data_->fixed);
  params.insert(params.end(), varargs.begin(), varargs.end());
  return make(data_->abi, data_->ret, std::move(params), data_->fixed, true, data_->name,
              std::move(names));
}

Signature Signature::with_name(std::string name) const {
  return make(data_->abi, data_->ret, data_->params, data_->fixed, data_->variadic, std::move(name),
              param_names());
}

}  // namespace jitffi
