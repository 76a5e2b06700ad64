// Library: dlopen with soname fallbacks, symbol lookup, and prototypes bound to symbols.
#include <dirent.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "jitffi/function.h"

namespace jitffi {

SymbolError::SymbolError(std::string symbol, std::string library, std::string detail)
    : Error("symbol '" + symbol + "' not found in " + library +
            (detail.empty() ? std::string() : ": " + detail)),
      symbol_(std::move(symbol)),
      library_(std::move(library)) {}

struct Library::Handle {
  Handle(void *h, std::string n) : handle(h), name(std::move(n)) {}
  ~Handle() {
    if (handle) dlclose(handle);
  }
  void *handle;
  std::string name;
  Scope scope;
};

namespace {

// dlopen and dlerror share one per-thread error string; keep open+error together.
void *try_open(const std::string &name, OpenOptions how, std::string &error) {
  int flags = (how.lazy ? RTLD_LAZY : RTLD_NOW) | (how.global ? RTLD_GLOBAL : RTLD_LOCAL);
  void *h = dlopen(name.c_str(), flags);
  if (!h) {
    const char *e = dlerror();
    error = e ? e : "dlopen failed";
  }
  return h;
}

#if defined(__x86_64__)
constexpr const char *kTriplet = "x86_64-linux-gnu";
#elif defined(__aarch64__)
constexpr const char *kTriplet = "aarch64-linux-gnu";
#else
constexpr const char *kTriplet = "";
#endif

// LD_LIBRARY_PATH first (as the loader does), then the standard multiarch and plain dirs.
std::vector<std::string> library_dirs() {
  std::vector<std::string> dirs;
  if (const char *p = secure_getenv("LD_LIBRARY_PATH")) {
    std::string s(p);
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  std::string t = kTriplet;
  if (!t.empty()) {
    dirs.push_back("/lib/" + t);
    dirs.push_back("/usr/lib/" + t);
  }
  for (const char *d : {"/lib", "/usr/lib", "/usr/local/lib"}) dirs.push_back(d);
  return dirs;
}

// The version numbers after "<base>.", e.g. {6} for libc.so.6 or {3, 42, 0} for
// libsqlite3.so.3.42.0; empty when the suffix is not a dotted number.
std::vector<unsigned long> version_of(const std::string &file, const std::string &base) {
  std::vector<unsigned long> v;
  if (file.size() <= base.size() + 1 || file.compare(0, base.size(), base) != 0 ||
      file[base.size()] != '.')
    return v;
  const char *p = file.c_str() + base.size() + 1;
  while (*p) {
    char *end = nullptr;
    if (*p < '0' || *p > '9') return {};
    v.push_back(std::strtoul(p, &end, 10));
    p = end;
    if (*p == '.')
      ++p;
    else if (*p)
      return {};
  }
  return v;
}

// The path of the highest <base>.N[.M...] in the library directories, or "".
std::string highest_version(const std::string &base) {
  std::string best;
  std::vector<unsigned long> best_v;
  for (const std::string &dir : library_dirs()) {
    DIR *d = opendir(dir.c_str());
    if (!d) continue;
    while (dirent *e = readdir(d)) {
      std::string f = e->d_name;
      auto v = version_of(f, base);
      if (!v.empty() && (best.empty() || v > best_v)) {
        best_v = std::move(v);
        best = dir + "/" + f;
      }
    }
    closedir(d);
  }
  return best;
}

// "name@VERSION" or "name@@VERSION" -> {name, VERSION}; no '@' -> {name, ""}.
struct VersionedName {
  std::string name, version;
  bool bad = false;  // an '@' with nothing after it
};
VersionedName split_name(std::string_view text) {
  VersionedName v;
  std::size_t at = text.find('@');
  v.name = std::string(text.substr(0, at));
  if (at == std::string_view::npos) return v;
  std::size_t start = at + 1;
  if (start < text.size() && text[start] == '@') ++start;
  v.version = std::string(text.substr(start));
  v.bad = v.version.empty() || v.name.empty();
  return v;
}

// dlsym, or dlvsym for a versioned name. On failure returns null and sets `error`.
void *lookup(void *handle, std::string_view text, std::string &error) {
  VersionedName v = split_name(text);
  if (v.bad) {
    error = "expected NAME@VERSION, e.g. memcpy@GLIBC_2.2.5";
    return nullptr;
  }
  dlerror();  // clear: a null result is only an error when dlerror says so
  void *p;
  if (v.version.empty()) {
    p = dlsym(handle, v.name.c_str());
  } else {
#if defined(__GLIBC__)
    p = dlvsym(handle, v.name.c_str(), v.version.c_str());
#else
    error = "versioned symbols (dlvsym) need glibc";
    return nullptr;
#endif
  }
  if (const char *e = dlerror()) {
    error = e;
    if (!v.version.empty()) error += " (no version " + v.version + " of " + v.name + ")";
    return nullptr;
  }
  if (!p) error = "the symbol's address is null";
  return p;
}

}  // namespace

std::string Library::split_version(std::string_view prototype, std::string &version) {
  version.clear();
  std::size_t at = prototype.find('@');
  if (at == std::string_view::npos) return std::string(prototype);
  std::size_t start = at + 1;
  if (start < prototype.size() && prototype[start] == '@') ++start;
  std::size_t end = start;
  auto is_version_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  };
  while (end < prototype.size() && is_version_char(prototype[end])) ++end;
  if (end == start)
    throw ParseError(std::string(prototype), start,
                     "a symbol version after '@' (e.g. memcpy@GLIBC_2.2.5)");
  version = std::string(prototype.substr(start, end - start));
  return std::string(prototype.substr(0, at)) + std::string(prototype.substr(end));
}

Library Library::open(std::string_view name_view, OpenOptions how) {
  const std::string name(name_view);
  if (name.empty()) throw LibraryError("Library::open: empty library name");
  std::vector<std::string> attempts;
  auto attempt = [&](const std::string &candidate) -> Library {
    std::string err;
    if (void *h = try_open(candidate, how, err)) {
      Library lib;
      lib.h_ = std::make_shared<Handle>(h, candidate);
      return lib;
    }
    attempts.push_back(candidate + ": " + err);
    return Library();
  };
  if (Library l = attempt(name); l.h_) return l;
  if (name.find('/') == std::string::npos) {
    // A bare name: lib<name>.so (or <name>.so), then the highest installed <base>.so.N (the
    // unversioned .so is often a dev-package symlink or, for libc, a linker script).
    std::string base;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) {
      base = name;
    } else if (name.find(".so.") == std::string::npos) {
      base = (name.rfind("lib", 0) == 0 ? name : "lib" + name) + ".so";
      if (base != name)
        if (Library l = attempt(base); l.h_) return l;
    }
    if (!base.empty()) {
      std::string found = highest_version(base);
      if (!found.empty())
        if (Library l = attempt(found); l.h_) return l;
    }
  }
  std::string msg = "cannot open library '" + name + "'; tried:";
  for (const auto &a : attempts) msg += "\n  " + a;
  throw LibraryError(msg);
}

Library Library::open_any(std::initializer_list<std::string_view> names, OpenOptions how) {
  if (names.size() == 0) throw LibraryError("Library::open_any: no names given");
  std::string msg = "cannot open any of the libraries:";
  for (std::string_view n : names) {
    try {
      return open(n, how);
    } catch (const LibraryError &e) {
      msg += "\n";
      msg += e.what();
    }
  }
  throw LibraryError(msg);
}

Library Library::self() {
  void *h = dlopen(nullptr, RTLD_NOW);
  if (!h) {
    const char *e = dlerror();
    throw LibraryError(std::string("cannot open the running program: ") + (e ? e : "?"));
  }
  Library lib;
  lib.h_ = std::make_shared<Handle>(h, "(self)");
  return lib;
}

void *Library::find(std::string_view name) const noexcept {
  if (!h_) return nullptr;
  try {
    std::string err;
    return lookup(h_->handle, name, err);
  } catch (...) {
    return nullptr;
  }
}

void *Library::symbol(std::string_view name) const {
  if (!h_) throw SymbolError(std::string(name), "(no library)", "the Library is empty");
  std::string err;
  void *p = lookup(h_->handle, name, err);
  if (!p) throw SymbolError(std::string(name), h_->name, err);
  return p;
}

Function Library::function(std::string_view prototype, CallOptions options) const {
  if (!h_) throw Error("Library::function on an empty Library");
  std::string version;
  std::string text = split_version(prototype, version);
  return function(h_->scope.signature(text), version, options);
}

Function Library::function(const Signature &sig, CallOptions options) const {
  return function(sig, std::string_view(), options);
}

Function Library::function(const Signature &sig, std::string_view version,
                           CallOptions options) const {
  if (sig.name().empty())
    throw Error("Library::function: the signature " + sig.canonical() +
                " has no function name to look up (use a C prototype such as "
                "'double cos(double)')");
  void *address =
      version.empty() ? symbol(sig.name()) : symbol(sig.name() + "@" + std::string(version));
  Function f(sig, address, options);
  f.keep_alive(h_);  // one rule for both APIs: a function keeps its library loaded
  return f;
}

Scope &Library::scope() noexcept {
  return h_->scope;
}

const Scope &Library::scope() const noexcept {
  return h_->scope;
}

const std::string &Library::name() const noexcept {
  static const std::string empty;
  return h_ ? h_->name : empty;
}

void *Library::handle() const noexcept {
  return h_ ? h_->handle : nullptr;
}

}  // namespace jitffi
