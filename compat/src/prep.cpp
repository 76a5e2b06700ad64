// ffi_prep_cif, ffi_prep_cif_var, ffi_call and the call plans.
//
// How a cif reaches its compiled stub in O(1): ffi_prep_cif describes the cif's ABI, variadic
// split and type trees in a compact key, finds or creates the Entry for that key, and stores
// the entry's index (tagged) in cif->flags. `flags` (like `bytes`) is libffi's private field:
// libffi itself keeps an encoding of its machine-dependent return handling there, and no client
// may interpret it. ffi_call then only reads flags, checks the tag and the range, and indexes the
// table. Entries depend on the type *contents*, never on addresses, so a cif on the stack, a
// copied cif and a reused address all work, and freed client types leave nothing dangling.
#include <alloca.h>

#include <cstdlib>
#include <cstring>
#include <shared_mutex>
#include <unordered_map>

#include "compat/src/compat.h"
#include "jit/stub_cache.h"

namespace jitffi::compat {

namespace {

constexpr unsigned kTag = 0x6au << 24;  // high byte of flags for a cif prepared here
constexpr unsigned kIndexMask = (1u << 24) - 1;
constexpr unsigned kChunkBits = 12;
constexpr unsigned kChunkSize = 1u << kChunkBits;
constexpr unsigned kChunks = (kIndexMask + 1) / kChunkSize;

// Entries by index, read without a lock: chunks are published with release stores and never
// move; entries are never freed (stubs may be in use until exit).
struct Table {
  std::atomic<std::atomic<Entry *> *> chunks[kChunks]{};
  std::atomic<unsigned> count{0};
  std::shared_mutex mu;  // guards `by_key` and appending
  std::unordered_map<std::string, unsigned> by_key;

  Entry *at(unsigned i) const noexcept {
    if (i >= count.load(std::memory_order_acquire)) return nullptr;
    std::atomic<Entry *> *c = chunks[i >> kChunkBits].load(std::memory_order_acquire);
    return c ? c[i & (kChunkSize - 1)].load(std::memory_order_acquire) : nullptr;
  }
  // Called with `mu` held exclusively.
  std::optional<unsigned> append(Entry *e) {
    unsigned i = count.load(std::memory_order_relaxed);
    if (i > kIndexMask) return std::nullopt;
    auto &chunk = chunks[i >> kChunkBits];
    if (!chunk.load(std::memory_order_relaxed))
      chunk.store(
          new std::atomic<Entry *>[kChunkSize] {}, std::memory_order_release);
    chunk.load(std::memory_order_relaxed)[i & (kChunkSize - 1)].store(e, std::memory_order_release);
    count.store(i + 1, std::memory_order_release);
    return i;
  }
};

Table &table() {
  static Table *t = new Table;  // never destroyed: cifs may be used from atexit handlers
  return *t;
}

std::optional<Abi> jit_abi(ffi_abi abi) {
#if defined(__x86_64__)
  if (abi == FFI_UNIX64) return Abi::SysV_x64;
  if (abi == FFI_WIN64) return Abi::Win64;  // FFI_GNUW64's long double rules: real libffi
#else
  (void)abi;
#endif
  return std::nullopt;
}

bool debug_enabled() {
  static const bool on = [] {
    const char *v = std::getenv("JITFFI_DEBUG");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return on;
}

// Tries the JIT for this entry; on success sets raw/call/closure_sig.
void try_jit(Entry &e, ffi_type *rtype, ffi_type **atypes) {
  detail::Backend *jit = detail::jit_backend();
  if (!jit || default_backend() == BackendChoice::Libffi) {
    e.why_fallback = "no JIT (or JITFFI_BACKEND=libffi)";
    return;
  }
  auto abi = jit_abi(e.abi);
  if (!abi) {
    e.why_fallback = "ABI " + std::to_string(e.abi) + " is not compiled by the JIT";
    return;
  }
  try {
    std::string why;
    TypeRef ret = to_jitffi(rtype, why);
    if (!ret) {
      e.why_fallback = "return type: " + why;
      return;
    }
    std::vector<TypeRef> params;
    for (unsigned i = 0; i < e.nargs; ++i) {
      TypeRef p = to_jitffi(atypes[i], why);
      if (!p) {
        e.why_fallback = "argument " + std::to_string(i + 1) + ": " + why;
        return;
      }
      params.push_back(std::move(p));
    }
    Signature plain(*abi, ret, params);
    // libffi sets %al on every SysV call, variadic or not, and clients call printf through
    // non-variadic cifs: the downcall is always prepared as variadic (`...` after the fixed
    // part), which makes the stub load %al.
    Signature down = Signature::variadic(*abi, ret, params, e.variadic ? e.nfixed : e.nargs);
    if (!jit->supports(down)) {
      e.why_fallback = jit::StubCache::global().entry(down).error;
      return;
    }
    e.call = jit->prepare(down);
    e.raw = e.call->raw();
    if (!e.raw) {
      e.call.reset();
      e.why_fallback = "the JIT gave no raw entry";
      return;
    }
    e.closure_sig = plain;
    e.bytes = jit::StubCache::global().entry(down).plan.stack_bytes;
  } catch (const std::exception &ex) {
    e.raw = nullptr;
    e.call.reset();
    e.why_fallback = ex.what();
  }
}

// A new entry for this prepared shape; returns its status (FFI_OK when usable).
std::unique_ptr<Entry> make_entry(ffi_abi abi, bool variadic, unsigned nfixed, unsigned nargs,
                                  ffi_type *rtype, ffi_type **atypes) {
  auto e = std::make_unique<Entry>();
  e->abi = abi;
  e->nargs = nargs;
  e->nfixed = nfixed;
  e->variadic = variadic;
  e->ret_buf = rtype->type == FFI_TYPE_VOID ? 0 : (rtype->size + 15) / 16 * 16 + 16;
  e->real_rtype = e->types.copy(rtype);
  for (unsigned i = 0; i < nargs; ++i) e->real_atypes.push_back(e->types.copy(atypes[i]));
  try_jit(*e, rtype, atypes);
  if (!e->raw) {
    if (debug_enabled())
      std::fprintf(stderr, "jitffi libffi: real libffi serves a cif (%s)\n",
                   e->why_fallback.c_str());
    if (!e->real()) return e;  // the status says why
    e->bytes = e->real_cif.bytes;
  }
  return e;
}

// Arguments that cannot follow `...` (C's default argument promotions, as libffi checks them).
bool promoted(const ffi_type *t) {
  if (t->type == FFI_TYPE_FLOAT) return false;
  if (t->type == FFI_TYPE_STRUCT || t->type == FFI_TYPE_COMPLEX) return true;
  return t->size >= ffi_type_sint32.size;
}

ffi_status prep(ffi_cif *cif, ffi_abi abi, bool variadic, unsigned nfixed, unsigned nargs,
                ffi_type *rtype, ffi_type **atypes) {
  if (!cif) return FFI_BAD_TYPEDEF;
  if (!(abi > FFI_FIRST_ABI && abi < FFI_LAST_ABI)) return FFI_BAD_ABI;
  cif->abi = abi;
  cif->arg_types = atypes;
  cif->nargs = nargs;
  cif->rtype = rtype;
  cif->flags = 0;
  cif->bytes = 0;
  if (!rtype || (rtype->size == 0 && initialize_aggregate(rtype, nullptr) != FFI_OK))
    return FFI_BAD_TYPEDEF;
  if (nargs && !atypes) return FFI_BAD_TYPEDEF;
  for (unsigned i = 0; i < nargs; ++i) {
    ffi_type *t = atypes[i];
    if (!t || (t->size == 0 && initialize_aggregate(t, nullptr) != FFI_OK)) return FFI_BAD_TYPEDEF;
    if (t->type == FFI_TYPE_VOID) return FFI_BAD_TYPEDEF;  // void is no argument
  }
  if (variadic) {
    if (nfixed > nargs) return FFI_BAD_ARGTYPE;
    for (unsigned i = nfixed; i < nargs; ++i)
      if (!promoted(atypes[i])) return FFI_BAD_ARGTYPE;
  }

  thread_local std::string key;
  key.clear();
  key.push_back(static_cast<char>(abi));
  key.push_back(variadic ? 'v' : 'f');
  key.append(reinterpret_cast<const char *>(&nfixed), sizeof nfixed);
  if (!encode_type(rtype, key)) return FFI_BAD_TYPEDEF;
  for (unsigned i = 0; i < nargs; ++i)
    if (!encode_type(atypes[i], key)) return FFI_BAD_TYPEDEF;

  Table &t = table();
  std::optional<unsigned> index;
  {
    std::shared_lock lock(t.mu);
    if (auto it = t.by_key.find(key); it != t.by_key.end()) index = it->second;
  }
  if (!index) {
    // Compile outside the lock; a thread that loses the race keeps the winner's entry.
    std::unique_ptr<Entry> fresh;
    try {
      fresh = make_entry(abi, variadic, nfixed, nargs, rtype, atypes);
    } catch (const std::bad_alloc &) {
      return FFI_BAD_TYPEDEF;
    }
    if (!fresh->raw && !fresh->real()) {
      // Cached as a failure too, so a bad cif costs one lookup next time.
      ffi_status s = fresh->real_status == FFI_OK ? FFI_BAD_TYPEDEF : fresh->real_status;
      std::unique_lock lock(t.mu);
      if (auto it = t.by_key.find(key); it != t.by_key.end()) return s;
      auto i = t.append(fresh.release());
      if (i) t.by_key.emplace(key, *i);
      return s;
    }
    std::unique_lock lock(t.mu);
    if (auto it = t.by_key.find(key); it != t.by_key.end()) {
      index = it->second;
    } else {
      index = t.append(fresh.get());
      if (!index) return FFI_BAD_TYPEDEF;  // 16M distinct signatures
      fresh.release();
      t.by_key.emplace(key, *index);
    }
  }
  Entry *e = t.at(*index);
  if (!e->raw && !e->real()) return e->real_status == FFI_OK ? FFI_BAD_TYPEDEF : e->real_status;
  cif->bytes = e->bytes;
  cif->flags = kTag | *index;
  return FFI_OK;
}

}  // namespace

ffi_cif *Entry::real() {
  std::call_once(real_once, [&] {
    const RealFfi *r = real_ffi();
    if (!r) {
      why_fallback += "; " + real_ffi_error();
      real_status = FFI_BAD_ABI;
      return;
    }
    if (variadic)
      real_status = r->prep_cif_var(&real_cif, abi, nfixed, nargs, real_rtype, real_atypes.data());
    else
      real_status = r->prep_cif(&real_cif, abi, nargs, real_rtype, real_atypes.data());
  });
  return real_status == FFI_OK ? &real_cif : nullptr;
}

const void *Entry::upcall_entry() {
  if (!closure_sig) return nullptr;
  std::call_once(upcall_once, [&] {
    try {
      upcall.store(jit::StubCache::global().upcall(*closure_sig).code(), std::memory_order_release);
    } catch (const std::exception &ex) {
      why_fallback = std::string("closure: ") + ex.what();
    }
  });
  return upcall.load(std::memory_order_acquire);
}

Entry *entry_of(const ffi_cif *cif) noexcept {
  if (!cif || (cif->flags & ~kIndexMask) != kTag) return nullptr;
  Entry *e = table().at(cif->flags & kIndexMask);
  if (!e || e->nargs != cif->nargs || e->abi != cif->abi) return nullptr;
  return e;
}

Entry &entry_or_die(const ffi_cif *cif, const char *what) noexcept {
  Entry *e = entry_of(cif);
  if (!e) die(what, "the cif was not prepared by ffi_prep_cif (or was changed since)");
  return *e;
}

}  // namespace jitffi::compat

using namespace jitffi::compat;

extern "C" {

ffi_status ffi_prep_cif(ffi_cif *cif, ffi_abi abi, unsigned int nargs, ffi_type *rtype,
                        ffi_type **atypes) {
  return prep(cif, abi, false, nargs, nargs, rtype, atypes);
}

ffi_status ffi_prep_cif_var(ffi_cif *cif, ffi_abi abi, unsigned int nfixedargs,
                            unsigned int ntotalargs, ffi_type *rtype, ffi_type **atypes) {
  return prep(cif, abi, true, nfixedargs, ntotalargs, rtype, atypes);
}

void ffi_call(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  Entry &e = entry_or_die(cif, "ffi_call");
  // libffi accepts a null rvalue for any result type and discards the result.
  if (!rvalue && e.ret_buf) rvalue = alloca(e.ret_buf);
  if (e.raw) {
    count_call(jitffi::BackendKind::Jit);
    e.raw(reinterpret_cast<void *>(fn), rvalue, avalue);
    return;
  }
  count_call(jitffi::BackendKind::Libffi);
  real_ffi()->call(&e.real_cif, fn, rvalue, avalue);
}

void ffi_call_go(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue, void *closure) {
  Entry &e = entry_or_die(cif, "ffi_call_go");
  ffi_cif *real = e.real();
  if (!real) die("ffi_call_go", "the real libffi cannot prepare this cif (" + e.why_fallback + ")");
  if (!rvalue && e.ret_buf) rvalue = alloca(e.ret_buf);
  count_call(jitffi::BackendKind::Libffi);
  real_ffi()->call_go(real, fn, rvalue, avalue, closure);
}

// A plan is the entry's stub, looked up once.
struct ffi_call_plan {
  ffi_cif *cif;
  Entry *entry;
  jitffi::RawCall raw;
};

ffi_call_plan *ffi_call_plan_alloc(ffi_cif *cif) {
  Entry *e = entry_of(cif);
  if (!e) return nullptr;
  auto *p = static_cast<ffi_call_plan *>(std::malloc(sizeof(ffi_call_plan)));
  if (p) *p = ffi_call_plan{cif, e, e->raw};
  return p;
}

void ffi_call_plan_invoke(ffi_call_plan *plan, void (*fn)(void), void *rvalue, void **avalue) {
  if (!plan) die("ffi_call_plan_invoke", "null plan");
  if (!rvalue && plan->entry->ret_buf) rvalue = alloca(plan->entry->ret_buf);
  if (plan->raw) {
    count_call(jitffi::BackendKind::Jit);
    plan->raw(reinterpret_cast<void *>(fn), rvalue, avalue);
    return;
  }
  count_call(jitffi::BackendKind::Libffi);
  real_ffi()->call(&plan->entry->real_cif, fn, rvalue, avalue);
}

void ffi_call_plan_free(ffi_call_plan *plan) {
  std::free(plan);
}

size_t ffi_call_plan_size(ffi_call_plan *plan) {
  return plan ? sizeof(ffi_call_plan) : 0;
}

const char *ffi_get_version(void) {
  return FFI_VERSION_STRING;
}

unsigned long ffi_get_version_number(void) {
  return FFI_VERSION_NUMBER;
}

unsigned int ffi_get_default_abi(void) {
  return FFI_DEFAULT_ABI;
}

size_t ffi_get_closure_size(void) {
  return sizeof(ffi_closure);
}

}  // extern "C"
