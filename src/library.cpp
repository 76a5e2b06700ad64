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
void *try_open(const std::string &name, std::string &error) {
  void *h = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
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
  if (const char *p = std::getenv("LD_LIBRARY_PATH")) {
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

}  // namespace

Library Library::open(std::string_view name_view) {
  const std::string name(name_view);
  if (name.empty()) throw LibraryError("Library::open: empty library name");
  std::vector<std::string> attempts;
  auto attempt = [&](const std::string &candidate) -> Library {
    std::string err;
    if (void *h = try_open(candidate, err)) {
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

Library Library::open_any(std::initializer_list<std::string_view> names) {
  if (names.size() == 0) throw LibraryError("Library::open_any: no names given");
  std::string msg = "cannot open any of the libraries:";
  for (std::string_view n : names) {
    try {
      return open(n);
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
    std::string n(name);
    dlerror();  // clear: a null dlsym result is only an error when dlerror says so
    void *p = dlsym(h_->handle, n.c_str());
    if (dlerror()) return nullptr;
    return p;
  } catch (...) {
    return nullptr;
  }
}

void *Library::symbol(std::string_view name) const {
  if (!h_) throw SymbolError(std::string(name), "(no library)", "the Library is empty");
  std::string n(name);
  dlerror();
  void *p = dlsym(h_->handle, n.c_str());
  if (const char *e = dlerror()) throw SymbolError(n, h_->name, e);
  if (!p) throw SymbolError(n, h_->name, "the symbol's address is null");
  return p;
}

Function Library::function(std::string_view prototype, CallOptions options) const {
  if (!h_) throw Error("Library::function on an empty Library");
  return function(h_->scope.signature(prototype), options);
}

Function Library::function(const Signature &sig, CallOptions options) const {
  if (sig.name().empty())
    throw Error("Library::function: the signature " + sig.canonical() +
                " has no function name to look up (use a C prototype such as "
                "'double cos(double)')");
  return Function(sig, symbol(sig.name()), options);
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
