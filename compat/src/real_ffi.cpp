// Loading the system's libffi for what the JIT does not serve, under its own file name.
//
// We may be libffi.so.8 ourselves (LD_PRELOAD, LD_LIBRARY_PATH, or the replaced file), so the
// real one is opened by the path of its real file: glibc then loads it as a separate object
// even though its SONAME is also libffi.so.8. RTLD_LOCAL keeps its symbols out of the global
// scope and RTLD_DEEPBIND makes its own references bind to itself, never to our ffi_*. A file
// that is in fact this library (same device and inode) is skipped.
#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "compat/src/compat.h"

namespace jitffi::compat {

namespace {

struct Loaded {
  RealFfi ffi{};
  bool ok = false;
  std::string error;
};

bool same_file(const std::string &a, const struct stat &b) {
  struct stat sa;
  return ::stat(a.c_str(), &sa) == 0 && sa.st_dev == b.st_dev && sa.st_ino == b.st_ino;
}

#if defined(__x86_64__)
constexpr const char *kMultiarch = "x86_64-linux-gnu";
#else
constexpr const char *kMultiarch = "aarch64-linux-gnu";
#endif

// JITFFI_REAL_LIBFFI first, then libffi.so.8 and libffi.so.8.* in the usual library folders.
std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char *env = secure_getenv("JITFFI_REAL_LIBFFI"); env && *env) out.emplace_back(env);
  const std::string dirs[] = {std::string("/usr/lib/") + kMultiarch,
                              std::string("/lib/") + kMultiarch,
                              "/usr/lib64",
                              "/lib64",
                              "/usr/lib",
                              "/usr/local/lib"};
  for (const std::string &dir : dirs) {
    out.push_back(dir + "/libffi.so.8");
    if (DIR *d = ::opendir(dir.c_str())) {
      while (dirent *e = ::readdir(d))
        if (std::strncmp(e->d_name, "libffi.so.8.", 12) == 0) out.push_back(dir + "/" + e->d_name);
      ::closedir(d);
    }
  }
  return out;
}

// ASan refuses RTLD_DEEPBIND (libffi's own libc calls would bypass its interceptors), so the
// sanitizer build loads without it. The functions we call behave the same either way: none
// reaches another ffi_* through the PLT; ffi_prep_cif_var reads ffi_type_sint's size and compares
// with &ffi_type_float, which the copied types we pass never are (objdump of libffi 3.4.4).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kOpenFlags = RTLD_NOW | RTLD_LOCAL;
#else
constexpr int kOpenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif

template <class F>
bool bind(void *h, const char *name, F &f, std::string &missing) {
  f = reinterpret_cast<F>(::dlsym(h, name));
  if (!f) missing += std::string(missing.empty() ? "" : ", ") + name;
  return f != nullptr;
}

Loaded load() {
  Loaded l;
  Dl_info self{};
  struct stat me {};
  if (!::dladdr(reinterpret_cast<void *>(&real_ffi), &self) || !self.dli_fname ||
      ::stat(self.dli_fname, &me) != 0) {
    l.error = "cannot locate this library's own file";
    return l;
  }
  std::string tried;
  for (const std::string &c : candidates()) {
    char resolved[PATH_MAX];
    if (!::realpath(c.c_str(), resolved)) continue;
    if (same_file(resolved, me)) continue;  // that is us
    void *h = ::dlopen(resolved, kOpenFlags);
    if (!h) {
      tried += std::string(tried.empty() ? "" : "; ") + ::dlerror();
      continue;
    }
    std::string missing;
    RealFfi &f = l.ffi;
    bind(h, "ffi_prep_cif", f.prep_cif, missing);
    bind(h, "ffi_prep_cif_var", f.prep_cif_var, missing);
    bind(h, "ffi_call", f.call, missing);
    bind(h, "ffi_closure_alloc", f.closure_alloc, missing);
    bind(h, "ffi_closure_free", f.closure_free, missing);
    bind(h, "ffi_prep_closure_loc", f.prep_closure_loc, missing);
    bind(h, "ffi_prep_go_closure", f.prep_go_closure, missing);
    bind(h, "ffi_call_go", f.call_go, missing);
    f.has_int128 = ::dlsym(h, "ffi_type_sint128") != nullptr;
    // dlsym on a handle searches that object first: an answer inside us means a wrong file.
    Dl_info where{};
    if (missing.empty() && ::dladdr(reinterpret_cast<void *>(f.call), &where) &&
        where.dli_fbase == self.dli_fbase)
      missing = "(its ffi_call is ours)";
    if (!missing.empty()) {
      tried += std::string(tried.empty() ? "" : "; ") + resolved + " lacks " + missing;
      ::dlclose(h);
      continue;
    }
    f.path = resolved;
    l.ok = true;
    return l;
  }
  l.error = "no system libffi.so.8 found (set JITFFI_REAL_LIBFFI to its path)" +
            (tried.empty() ? std::string() : ": " + tried);
  return l;
}

const Loaded &loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

const RealFfi *real_ffi() noexcept {
  const Loaded &l = loaded();
  return l.ok ? &l.ffi : nullptr;
}

const std::string &real_ffi_error() noexcept {
  return loaded().error;
}

void die(const char *what, const std::string &detail) noexcept {
  std::fprintf(stderr, "jitffi libffi: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace jitffi::compat

// The entry points of compat's copy of the fallback back end (see real_ffi_redirect.h). Without
// a real libffi they fail the way libffi reports what it cannot do.
using jitffi::compat::real_ffi;

extern "C" {

ffi_status jitffi_compat_real_prep_cif(ffi_cif *cif, ffi_abi abi, unsigned n, ffi_type *r,
                                       ffi_type **a) {
  const auto *f = real_ffi();
  return f ? f->prep_cif(cif, abi, n, r, a) : FFI_BAD_ABI;
}

ffi_status jitffi_compat_real_prep_cif_var(ffi_cif *cif, ffi_abi abi, unsigned nf, unsigned n,
                                           ffi_type *r, ffi_type **a) {
  const auto *f = real_ffi();
  return f ? f->prep_cif_var(cif, abi, nf, n, r, a) : FFI_BAD_ABI;
}

void jitffi_compat_real_call(ffi_cif *cif, void (*fn)(void), void *rv, void **av) {
  // Only reachable with a cif the real libffi prepared, so it is loaded.
  real_ffi()->call(cif, fn, rv, av);
}

void *jitffi_compat_real_closure_alloc(size_t size, void **code) {
  const auto *f = real_ffi();
  return f ? f->closure_alloc(size, code) : nullptr;
}

void jitffi_compat_real_closure_free(void *p) {
  if (const auto *f = real_ffi()) f->closure_free(p);
}

ffi_status jitffi_compat_real_prep_closure_loc(ffi_closure *c, ffi_cif *cif,
                                               void (*fun)(ffi_cif *, void *, void **, void *),
                                               void *ud, void *code) {
  const auto *f = real_ffi();
  return f ? f->prep_closure_loc(c, cif, fun, ud, code) : FFI_BAD_ABI;
}

}  // extern "C"
