// ffi_prep_cif, ffi_prep_cif_var, ffi_call and the call plans.
//
// How a cif reaches its compiled stub in O(1): ffi_prep_cif describes the cif's ABI, variadic
// split and type trees in a compact key, finds or creates the Entry for that key, and stores
// the entry's index (tagged) in cif->flags. `flags` (like `bytes`) is libffi's private field:
// libffi itself keeps an encoding of its machine-dependent return handling there, and no client
// may interpret it. ffi_call then only reads flags and jumps through a table (below). Entries
// depend on the type *contents*, never on addresses, so a cif on the stack, a copied cif and a
// reused address all work, and freed client types leave nothing dangling.
//
// ffi_call itself is one dispatch: the low bits of flags pick a slot of a static array, which
// holds the entry's stub in ffi_call's own shape (jit/cif_guard.h) or call_slow. The stub checks
// that the cif is the one it was made for (the whole flags word, abi and nargs) and that a
// result has somewhere to go, and jumps to call_slow otherwise.
#include <alloca.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <shared_mutex>
#include <unordered_map>

#include "compat/src/compat.h"
#include "jit/cif_guard.h"
#include "jit/stub.h"
#include "jit/stub_cache.h"

// Every ffi_call that no stub serves: the message for a cif not prepared here, a null rvalue,
// void arguments, the real libffi, JITFFI_STATS.
extern "C" {
static void call_slow(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue);
}

namespace jitffi::compat {

namespace {

constexpr unsigned kTag = 0x6au << 24;  // high byte of flags for a cif prepared here
constexpr unsigned kIndexMask = (1u << 24) - 1;
constexpr unsigned kChunkBits = 12;
constexpr unsigned kChunkSize = 1u << kChunkBits;
constexpr unsigned kChunks = (kIndexMask + 1) / kChunkSize;

// What ffi_call jumps to, by the low bits of a cif's flags (one dependent load from the cif):
// entry i's stub in ffi_call's shape at i % kFastSlots, for the first kFastSlots entries with a
// stub; call_slow everywhere else (later entries, which their slot's stub sends there, void
// arguments, the real libffi, JITFFI_STATS). Filled with call_slow when the library loads.
using CifCall = void (*)(ffi_cif *, void (*)(void), void *, void **);
constexpr unsigned kFastSlots = 4096;
std::atomic<CifCall> g_fast[kFastSlots];

// A cif's first 8 bytes as one little-endian word (what a CifCall stub compares).
std::uint64_t cif_word(ffi_abi abi, unsigned nargs) {
  static_assert(offsetof(ffi_cif, abi) == 0 && offsetof(ffi_cif, nargs) == 4 &&
                sizeof(ffi_abi) == 4);
  return std::uint64_t(std::uint32_t(abi)) | std::uint64_t(nargs) << 32;
}

// Entry i's stub in ffi_call's shape, guarded by the cif words that designate it; null when the
// JIT cannot make it (the slot then stays call_slow, which serves the cif just as well).
std::shared_ptr<jit::Stub> cif_stub(const Entry &e, unsigned i) noexcept {
  try {
    const jit::CifGuard guard{offsetof(ffi_cif, flags), kTag | i, cif_word(e.abi, e.nargs),
                              reinterpret_cast<const void *>(&call_slow)};
    return std::make_shared<jit::Stub>(e.plan->plan, jit::StubKind::CifCall,
                                       jit::StubName("jitffi-ffi_call:", e.plan->sig.canonical()),
                                       &guard, jit::ExecMemory::global(), /*checked=*/true);
  } catch (const std::exception &) {
    return nullptr;
  }
}

// Entries by index, read without a lock: chunks are published with release stores and never
// move; entries are never freed (stubs may be in use until exit).
struct Table {
  Table() {
    for (auto &slot : g_fast) slot.store(&call_slow, std::memory_order_relaxed);
  }
  std::atomic<std::atomic<Entry *> *> chunks[kChunks]{};
  std::atomic<unsigned> count{0};
  std::shared_mutex mu;  // guards `by_key` and appending
  std::unordered_map<std::string, unsigned> by_key;

  // Null for an index never appended: chunks start zeroed and an entry is published after it is
  // built, so no count check is needed.
  Entry *at(unsigned i) const noexcept {
    std::atomic<Entry *> *c =
        chunks[(i >> kChunkBits) & (kChunks - 1)].load(std::memory_order_acquire);
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
    // With JITFFI_STATS (read once, when the library loads) no entry is fast: every call takes
    // call_entry, which counts it, and ffi_call's fast path needs no test of the flag.
    if (i < kFastSlots && e->fast && e->plan && !jitffi::detail::g_stats_enabled) {
      e->cif_stub = cif_stub(*e, i);
      if (e->cif_stub)
        g_fast[i].store(reinterpret_cast<CifCall>(e->cif_stub->code()), std::memory_order_release);
    }
    count.store(i + 1, std::memory_order_release);
    return i;
  }
};

// Created when the library loads (before any client can prepare a cif) and never destroyed:
// cifs may be used from atexit handlers. A plain pointer keeps ffi_call free of guard checks.
Table *const g_table = new Table;
Table &table() {
  return *g_table;
}

// Per thread, the last keys seen (ctypes prepares a cif for every call): a hit costs a short
// compare instead of the shared lock and the map. Entries are never removed, so a cached index
// stays valid.
struct RecentKeys {
  static constexpr unsigned kSlots = 16;
  std::string building;  // the key being built (kept to reuse its capacity)
  std::string key[kSlots];
  unsigned index[kSlots] = {};
  // One cheap step per byte and one multiply at the end: keys are about ten bytes, written
  // byte by byte just before (wide loads over them would stall on store forwarding).
  static unsigned slot(const std::string &k) {
    std::uint64_t h = k.size();
    for (unsigned char c : k) h = ((h << 5) | (h >> 59)) ^ c;
    return unsigned((h * 0x9e3779b97f4a7c15ull) >> 60);
  }
};

std::optional<Abi> jit_abi(ffi_abi abi) {
#if defined(__x86_64__)
  if (abi == FFI_UNIX64) return Abi::SysV_x64;
  if (abi == FFI_WIN64) return Abi::Win64;  // FFI_GNUW64's long double rules: real libffi
#elif defined(__aarch64__)
  if (abi == FFI_SYSV) return Abi::AAPCS64;
  // FFI_WIN64 is Windows on ARM64's convention (variadic arguments in x registers only, long
  // double = double): the JIT's windows_arm64 plans serve it. Debian's libffi accepts the value
  // on Linux but runs it with the SYSV rules (it picks Windows' by its build), so the real libffi
  // never serves it here: what the JIT cannot serve is refused (Entry::real).
  if (abi == FFI_WIN64) return Abi::Windows_arm64;
#else
  (void)abi;
#endif
  return std::nullopt;
}

bool debug_enabled() {
  static const bool on = [] {
    const char *v = secure_getenv("JITFFI_DEBUG");
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
    unsigned nfixed = 0;  // the fixed part without void arguments
    for (unsigned i = 0; i < e.nargs; ++i) {
      if (atypes[i]->type == FFI_TYPE_VOID) continue;
      if (i < e.nfixed) ++nfixed;
      TypeRef p = to_jitffi(atypes[i], why);
      if (!p) {
        e.why_fallback = "argument " + std::to_string(i + 1) + ": " + why;
        return;
      }
      params.push_back(std::move(p));
    }
    Signature plain(*abi, ret, params);
#if defined(__x86_64__)
    // libffi sets %al on every SysV call, variadic or not, and clients call printf through
    // non-variadic cifs: the downcall is always prepared as variadic (`...` after the fixed
    // part), which makes the stub load %al.
    Signature down = Signature::variadic(*abi, ret, params, e.variadic ? nfixed : params.size());
#else
    // AAPCS64 passes variadic arguments as fixed ones (only Apple's and Windows' variants
    // differ), so a variadic callee through a plain cif works as with libffi.
    Signature down = e.variadic ? Signature::variadic(*abi, ret, params, nfixed) : plain;
#endif
    if (!jit->supports(down)) {
      e.why_fallback = jit::StubCache::global().entry(down)->error;
      return;
    }
    e.call = jit->prepare(down);
    e.raw = e.call->raw();
    e.fast = e.has_void ? nullptr : e.raw;
    if (!e.raw) {
      e.call.reset();
      e.why_fallback = "the JIT gave no raw entry";
      return;
    }
    e.closure_sig = plain;
    e.plan = jit::StubCache::global().entry(down);
    e.bytes = e.plan->plan.stack_bytes;
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
  bool any_void = false;
  for (unsigned i = 0; i < nargs; ++i) {
    if (atypes[i]->type == FFI_TYPE_VOID) {
      any_void = true;
      continue;
    }
    e->slots.push_back(i);
    e->real_atypes.push_back(e->types.copy(atypes[i]));
  }
  e->has_void = any_void;
  if (!any_void) e->slots.clear();
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

// The common case in one word: every type a built-in scalar with its standard size, at most 9
// arguments (ABI 3 bits, variadic 1, fixed count 4, count 4, then 5 bits per type). Zero when the
// shape does not fit; then the byte key decides.
[[gnu::always_inline]] inline std::uint64_t scalar_key(ffi_abi abi, bool variadic, unsigned nfixed,
                                                       unsigned nargs, const ffi_type *rtype,
                                                       ffi_type *const *atypes) {
  // Per type code, its standard size and the 32 bits at &alignment (alignment, then type) of a
  // standard node; ~0 (no real node has it) for the codes without a scalar key.
  static constexpr std::uint64_t kSize[18] = {1, 4, 4, 8, 16, 1, 1, 2,  2,
                                              4, 4, 8, 8, 0,  8, 0, 16, 16};
  static constexpr std::uint32_t kMisc[18] = {1u | 0u << 16,   4u | 1u << 16,
                                              4u | 2u << 16,   8u | 3u << 16,
                                              16u | 4u << 16,  1u | 5u << 16,
                                              1u | 6u << 16,   2u | 7u << 16,
                                              2u | 8u << 16,   4u | 9u << 16,
                                              4u | 10u << 16,  8u | 11u << 16,
                                              8u | 12u << 16,  ~0u,
                                              8u | 14u << 16,  ~0u,
                                              16u | 16u << 16, 16u | 17u << 16};
  static_assert(offsetof(ffi_type, type) == offsetof(ffi_type, alignment) + 2 &&
                sizeof(ffi_type::alignment) == 2 && sizeof(ffi_type::type) == 2);
  if (nargs > 9 || nfixed > 15 || unsigned(abi) > 7) return 0;
  std::uint64_t k = std::uint64_t(abi) | std::uint64_t(variadic) << 3 | std::uint64_t(nfixed) << 4 |
                    std::uint64_t(nargs) << 8;
  unsigned shift = 12;
  auto add = [&](const ffi_type *t) {
    if (!t) return false;
    std::uint32_t misc;
    std::memcpy(&misc, &t->alignment, sizeof misc);
    const unsigned c = misc >> 16;
    if (c >= 18 || misc != kMisc[c] || t->size != kSize[c]) return false;
    k |= std::uint64_t(c) << shift;
    shift += 5;
    return true;
  };
  if (!add(rtype)) return 0;
  for (unsigned i = 0; i < nargs; ++i)
    if (!add(atypes[i])) return 0;
  return k;
}

// Scalar keys seen recently, direct-mapped, shared by all threads: no thread_local, whose
// __tls_get_addr call in a shared library costs as much as the rest of a hit. Each slot is a
// seqlock whose sequence is the key itself: a writer claims the slot by swapping the key for
// kBusy (no real key has bit 63 set), stores the index, then publishes the key; a reader takes
// the index only when it saw the same key before and after reading it.
class RecentScalar {
 public:
  static constexpr unsigned kSlots = 64;
  static unsigned slot(std::uint64_t k) { return unsigned((k * 0x9e3779b97f4a7c15ull) >> 58); }
  // `value` is what the cif's bytes and flags (adjacent) get: bytes | flags << 32.
  bool find(std::uint64_t k, std::uint64_t &value) const noexcept {
    const Slot &s = slots_[slot(k)];
    if (s.key.load(std::memory_order_acquire) != k) return false;
    value = s.value.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    return s.key.load(std::memory_order_relaxed) == k;
  }
  void record(std::uint64_t k, std::uint64_t value) noexcept {
    Slot &s = slots_[slot(k)];
    std::uint64_t old = s.key.load(std::memory_order_relaxed);
    if (old == kBusy || !s.key.compare_exchange_strong(old, kBusy, std::memory_order_relaxed))
      return;  // another thread is writing this slot: leave it
    std::atomic_thread_fence(std::memory_order_release);
    s.value.store(value, std::memory_order_relaxed);
    s.key.store(k, std::memory_order_release);
  }

 private:
  static constexpr std::uint64_t kBusy = ~0ull;
  struct Slot {
    std::atomic<std::uint64_t> key{0};
    std::atomic<std::uint64_t> value{0};
  };
  Slot slots_[kSlots];
};
RecentScalar g_recent_scalar;  // constant-initialized: ready before any constructor runs

// Per thread, the shapes of cifs prepared recently, keyed by the type *pointers* (GLib's
// marshaller and most bindings prepare with the same ffi_type objects every time) and checked
// against the type *contents* recorded beside them, so a type changed or reallocated at the same
// address misses. A hit costs a hash of the pointers and one walk comparing words: no key text,
// no lock. POD, so the thread_local needs no constructor or destructor.
struct ShapeCache {
  static constexpr unsigned kSlots = 16;
  static constexpr unsigned kWords = 62;  // S5's 12 scalars take 41, S6's structs 35
  struct Slot {
    unsigned n;  // words in w (0: empty)
    unsigned index;
    std::uint64_t w[kWords];
  };
  Slot slot[kSlots];
};
// Per thread, the shapes of cifs prepared recently by their type *contents* alone (a client that
// builds new ffi_type objects for each cif, as a binding that translates types on every call
// does): the words below, compared in full on a hit, so a hash collision only misses.
struct ContentCache {
  static constexpr unsigned kSlots = 16;
  static constexpr unsigned kWords = 62;
  struct Slot {
    unsigned n;              // words in w (0: empty)
    std::uint64_t cif_word;  // the cif's bytes | flags << 32
    std::uint64_t w[kWords];
  };
  Slot slot[kSlots];
};
struct ThreadCaches {  // one thread_local: one TLS address lookup
  ShapeCache shapes;
  ContentCache contents;
};
thread_local ThreadCaches t_caches;

// A type node's words: its address, size, alignment and code, then for an aggregate its element
// list's address, each element's words and a 0.
std::uint64_t shape_misc(const ffi_type *t) {
  return std::uint64_t(t->alignment) | std::uint64_t(t->type) << 16;
}
bool is_aggregate(const ffi_type *t) {
  return t->type == FFI_TYPE_STRUCT || t->type == FFI_TYPE_COMPLEX;
}

bool shape_put(const ffi_type *t, std::uint64_t *w, unsigned &n, int depth) {
  if (!t || depth > 16 || n + 4 > ShapeCache::kWords) return false;
  w[n++] = reinterpret_cast<std::uintptr_t>(t);
  w[n++] = t->size;
  w[n++] = shape_misc(t);
  if (!is_aggregate(t)) return true;
  w[n++] = reinterpret_cast<std::uintptr_t>(t->elements);
  if (!t->elements) return true;
  for (ffi_type **e = t->elements; *e; ++e)
    if (!shape_put(*e, w, n, depth + 1)) return false;
  if (n >= ShapeCache::kWords) return false;
  w[n++] = 0;
  return true;
}

// Compares t's words with p (advanced past them); bounded by the recorded words, so a cyclic
// client tree ends in a mismatch.
bool shape_match(const ffi_type *t, const std::uint64_t *&p, const std::uint64_t *end) {
  if (end - p < 3 || p[0] != reinterpret_cast<std::uintptr_t>(t) || p[1] != t->size ||
      p[2] != shape_misc(t))
    return false;
  p += 3;
  if (!is_aggregate(t)) return true;
  if (p == end || *p++ != reinterpret_cast<std::uintptr_t>(t->elements)) return false;
  if (!t->elements) return true;
  for (ffi_type **e = t->elements;; ++e) {
    const ffi_type *m = *e;
    if (!m) return p != end && *p++ == 0;
    if (is_aggregate(m)) {
      if (!shape_match(m, p, end)) return false;
    } else {  // a scalar member, inline: most members are
      if (end - p < 3 || p[0] != reinterpret_cast<std::uintptr_t>(m) || p[1] != m->size ||
          p[2] != shape_misc(m))
        return false;
      p += 3;
    }
  }
}

struct ShapeHead {
  std::uint64_t w0, w1;
  unsigned slot;
};
ShapeHead shape_head(ffi_abi abi, bool variadic, unsigned nfixed, unsigned nargs,
                     const ffi_type *rtype, ffi_type *const *atypes) {
  ShapeHead h{std::uint64_t(unsigned(abi)) | std::uint64_t(variadic) << 32,
              std::uint64_t(nfixed) | std::uint64_t(nargs) << 32, 0};
  std::uint64_t x = h.w0 * 31 + h.w1 + reinterpret_cast<std::uintptr_t>(rtype);
  for (unsigned i = 0; i < nargs; ++i)
    x = ((x << 7) | (x >> 57)) ^ reinterpret_cast<std::uintptr_t>(atypes[i]);
  h.slot = unsigned((x * 0x9e3779b97f4a7c15ull) >> 60);
  return h;
}

// The entry index recorded for this shape, or -1.
long shape_find(const ShapeHead &h, const ffi_type *rtype, ffi_type *const *atypes,
                unsigned nargs) {
  const ShapeCache::Slot &s = t_caches.shapes.slot[h.slot];
  if (!s.n || s.w[0] != h.w0 || s.w[1] != h.w1) return -1;
  const std::uint64_t *p = s.w + 2, *end = s.w + s.n;
  if (!shape_match(rtype, p, end)) return -1;
  for (unsigned i = 0; i < nargs; ++i)
    if (!shape_match(atypes[i], p, end)) return -1;
  return p == end ? long(s.index) : -1;
}

void shape_record(const ShapeHead &h, const ffi_type *rtype, ffi_type *const *atypes,
                  unsigned nargs, unsigned index) {
  ShapeCache::Slot &s = t_caches.shapes.slot[h.slot];
  s.n = 0;
  unsigned n = 2;
  s.w[0] = h.w0;
  s.w[1] = h.w1;
  if (!shape_put(rtype, s.w, n, 0)) return;
  for (unsigned i = 0; i < nargs; ++i)
    if (!shape_put(atypes[i], s.w, n, 0)) return;
  s.index = index;
  s.n = n;
}

// A cif's shape as words without addresses: the ABI, the variadic split and the counts, then per
// type node, in preorder, its size | (alignment | code << 16) << 32, and after an aggregate's
// elements kEnd (kNoElements for a null list). No node word may equal a marker (such a tree is
// not cached), so equal words mean equal key text. False when the shape does not fit.
constexpr std::uint64_t kEnd = ~0ull, kNoElements = ~0ull - 1;
bool content_put(const ffi_type *t, std::uint64_t *w, unsigned &n, int depth) {
  if (!t || depth > 16 || n >= ContentCache::kWords || (t->size >> 32)) return false;
  const std::uint64_t x = std::uint64_t(t->size) | shape_misc(t) << 32;
  if (x >= kNoElements) return false;
  w[n++] = x;
  if (!is_aggregate(t)) return true;
  if (t->elements)
    for (ffi_type **e = t->elements; *e; ++e)
      if (!content_put(*e, w, n, depth + 1)) return false;
  if (n >= ContentCache::kWords) return false;
  w[n++] = t->elements ? kEnd : kNoElements;
  return true;
}
bool content_words(ffi_abi abi, bool variadic, unsigned nfixed, unsigned nargs,
                   const ffi_type *rtype, ffi_type *const *atypes, std::uint64_t *w, unsigned &n) {
  w[0] = std::uint64_t(unsigned(abi)) | std::uint64_t(variadic) << 32;
  w[1] = std::uint64_t(nfixed) | std::uint64_t(nargs) << 32;
  n = 2;
  if (!content_put(rtype, w, n, 0)) return false;
  for (unsigned i = 0; i < nargs; ++i)
    if (!content_put(atypes[i], w, n, 0)) return false;
  return true;
}
unsigned content_slot(const std::uint64_t *w, unsigned n) {
  std::uint64_t h = n;
  for (unsigned i = 0; i < n; ++i) h = ((h << 13) | (h >> 51)) ^ (w[i] * 0x9e3779b97f4a7c15ull);
  return unsigned((h * 0x9e3779b97f4a7c15ull) >> 60);
}

// ffi_prep_cif's common case, kept apart from prep() so that it compiles to a short leaf: a valid
// all-scalar cif (at most 9 arguments) whose key was seen before. False sends the cif to prep().
[[gnu::always_inline]] inline bool prep_seen_scalars(ffi_cif *cif, ffi_abi abi, bool variadic,
                                                     unsigned nfixed, unsigned nargs,
                                                     ffi_type *rtype, ffi_type **atypes,
                                                     std::uint64_t &sk) {
  sk = 0;
  if (!cif || !(abi > FFI_FIRST_ABI && abi < FFI_LAST_ABI) || !rtype || (nargs && !atypes))
    return false;
  sk = scalar_key(abi, variadic, nfixed, nargs, rtype, atypes);  // 0 for a null type
  std::uint64_t hit;
  if (!sk || !g_recent_scalar.find(sk, hit)) return false;
  if (variadic) {
    if (nfixed > nargs) return false;
    for (unsigned i = nfixed; i < nargs; ++i)
      if (!promoted(atypes[i])) return false;
  }
  cif->abi = abi;
  cif->arg_types = atypes;
  cif->nargs = nargs;
  cif->rtype = rtype;
  static_assert(offsetof(ffi_cif, flags) == offsetof(ffi_cif, bytes) + 4 &&
                sizeof(cif->bytes) == 4 && sizeof(cif->flags) == 4);
  std::memcpy(&cif->bytes, &hit, sizeof hit);  // recorded only for usable entries
  return true;
}

ffi_status prep(ffi_cif *cif, ffi_abi abi, bool variadic, unsigned nfixed, unsigned nargs,
                ffi_type *rtype, ffi_type **atypes, std::uint64_t sk) {
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
    // A void argument is accepted, as libffi does (Ruby's fiddle passes one): it has no slot.
  }
  if (variadic) {
    if (nfixed > nargs) return FFI_BAD_ARGTYPE;
    for (unsigned i = nfixed; i < nargs; ++i)
      if (!promoted(atypes[i])) return FFI_BAD_ARGTYPE;
  }

  // `sk` (the caller's scalar_key, which prep_seen_scalars did not find) is the same after the
  // checks above: initialize_aggregate only lays out structs, which have no scalar key.
  ShapeHead shape{};
  std::uint64_t words[ContentCache::kWords];
  unsigned nwords = 0, content = 0;
  bool have_words = false;
  if (!sk) {
    shape = shape_head(abi, variadic, nfixed, nargs, rtype, atypes);
    const long hit = shape_find(shape, rtype, atypes, nargs);
    if (hit >= 0) {  // recorded only for usable entries, which are never removed
      cif->bytes = table().at(unsigned(hit))->bytes;
      cif->flags = kTag | unsigned(hit);
      return FFI_OK;
    }
    have_words = content_words(abi, variadic, nfixed, nargs, rtype, atypes, words, nwords);
    if (have_words) {
      content = content_slot(words, nwords);
      const ContentCache::Slot &s = t_caches.contents.slot[content];
      if (s.n == nwords && std::memcmp(s.w, words, nwords * sizeof *words) == 0) {
        std::memcpy(&cif->bytes, &s.cif_word, sizeof s.cif_word);  // usable entries only
        return FFI_OK;
      }
    }
  }

  thread_local RecentKeys recent;
  std::string &key = recent.building;
  key.clear();
  key.push_back(static_cast<char>(abi));
  key.push_back(variadic ? 'v' : 'f');
  key.append(reinterpret_cast<const char *>(&nfixed), sizeof nfixed);
  if (!encode_type(rtype, key)) return FFI_BAD_TYPEDEF;
  for (unsigned i = 0; i < nargs; ++i)
    if (!encode_type(atypes[i], key)) return FFI_BAD_TYPEDEF;

  Table &t = table();
  std::optional<unsigned> index;
  const unsigned slot = RecentKeys::slot(key);
  if (recent.key[slot] == key) {
    index = recent.index[slot];
  } else {
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
  recent.key[slot] = key;
  recent.index[slot] = *index;
  if (sk) {
    g_recent_scalar.record(sk, std::uint64_t(e->bytes) | std::uint64_t(kTag | *index) << 32);
  } else {
    shape_record(shape, rtype, atypes, nargs, *index);
    if (have_words) {
      ContentCache::Slot &c = t_caches.contents.slot[content];
      std::memcpy(c.w, words, nwords * sizeof *words);
      c.cif_word = std::uint64_t(e->bytes) | std::uint64_t(kTag | *index) << 32;
      c.n = nwords;
    }
  }
  cif->bytes = e->bytes;
  cif->flags = kTag | *index;
  return FFI_OK;
}

// Whether the real libffi knows every type code in a (copied, so acyclic) tree. libffi 3.4 has
// codes 0-15; 3.6 adds the 128-bit integers. An unknown code is no error there: the arm64 libffi
// aborts on it, the x86-64 one answers FFI_BAD_TYPEDEF; here it is always FFI_BAD_TYPEDEF.
bool real_knows(const ffi_type *t, bool int128) {
  if (t->type > FFI_TYPE_SINT128 || (t->type > FFI_TYPE_LAST && !int128)) return false;
  if (t->type == FFI_TYPE_STRUCT || t->type == FFI_TYPE_COMPLEX)
    for (ffi_type **p = t->elements; p && *p; ++p)
      if (!real_knows(*p, int128)) return false;
  return true;
}

}  // namespace

ffi_cif *Entry::real() {
  std::call_once(real_once, [&] {
#if defined(__aarch64__)
    if (abi == FFI_WIN64) {
      why_fallback +=
          "; FFI_WIN64 is served by the JIT's windows_arm64 plans only (the real "
          "libffi on Linux would run it with the SYSV rules)";
      real_status = FFI_BAD_ABI;
      return;
    }
#endif
    const RealFfi *r = real_ffi();
    if (!r) {
      why_fallback += "; " + real_ffi_error();
      real_status = FFI_BAD_ABI;
      return;
    }
    bool known = real_knows(real_rtype, r->has_int128);
    for (const ffi_type *t : real_atypes) known = known && real_knows(t, r->has_int128);
    if (!known) {
      why_fallback += "; a type code the real libffi (" + r->path + ") does not know";
      real_status = FFI_BAD_TYPEDEF;
      return;
    }
    // Over the real arguments only: libffi's x86-64 closures would give a void one a register.
    const unsigned n = unsigned(real_atypes.size());
    unsigned fixed = n;
    if (variadic && has_void) {
      fixed = 0;
      while (fixed < n && slots[fixed] < nfixed) ++fixed;
    } else if (variadic) {
      fixed = nfixed;
    }
    if (variadic)
      real_status = r->prep_cif_var(&real_cif, abi, fixed, n, real_rtype, real_atypes.data());
    else
      real_status = r->prep_cif(&real_cif, abi, n, real_rtype, real_atypes.data());
  });
  return real_status == FFI_OK ? &real_cif : nullptr;
}

const void *Entry::upcall_entry() {
  if (const void *up = upcall.load(std::memory_order_acquire)) return up;
  if (!closure_sig) return nullptr;
  std::call_once(upcall_once, [&] {
    try {
      auto stub = jit::StubCache::global().upcall(*closure_sig);
      const void *code = stub->code();
      upcall_stub = std::move(stub);  // keeps the code alive
      upcall.store(code, std::memory_order_release);
    } catch (const std::exception &ex) {
      why_fallback = std::string("closure: ") + ex.what();
    }
  });
  return upcall.load(std::memory_order_acquire);
}

void **client_args(const Entry &e, void **args, void **out) noexcept {
  static unsigned char dummy[16];  // what a void argument's pointer points at
  for (unsigned i = 0; i < e.nargs; ++i) out[i] = dummy;
  for (std::size_t i = 0; i < e.slots.size(); ++i) out[e.slots[i]] = args[i];
  return out;
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
  std::uint64_t sk;
  if (prep_seen_scalars(cif, abi, false, nargs, nargs, rtype, atypes, sk)) return FFI_OK;
  return prep(cif, abi, false, nargs, nargs, rtype, atypes, sk);
}

ffi_status ffi_prep_cif_var(ffi_cif *cif, ffi_abi abi, unsigned int nfixedargs,
                            unsigned int ntotalargs, ffi_type *rtype, ffi_type **atypes) {
  std::uint64_t sk;
  if (prep_seen_scalars(cif, abi, true, nfixedargs, ntotalargs, rtype, atypes, sk)) return FFI_OK;
  return prep(cif, abi, true, nfixedargs, ntotalargs, rtype, atypes, sk);
}

// Everything but the common case: a null rvalue, void arguments, the real libffi, JITFFI_STATS,
// and the message for a cif that was not prepared here.
[[gnu::noinline]] static void call_entry(Entry &e, void (*fn)(void), void *rvalue, void **avalue) {
  // libffi accepts a null rvalue for any result type and discards the result.
  if (!rvalue && e.ret_buf) rvalue = alloca(e.ret_buf);
  if (e.has_void)
    avalue =
        real_args(e, avalue, static_cast<void **>(alloca(e.slots.size() * sizeof(void *) + 1)));
  if (e.raw) {
    count_call(jitffi::BackendKind::Jit);
    e.raw(reinterpret_cast<void *>(fn), rvalue, avalue);
    return;
  }
  count_call(jitffi::BackendKind::Libffi);
  real_ffi()->call(&e.real_cif, fn, rvalue, avalue);
}

[[gnu::noinline]] static void call_slow(ffi_cif *cif, void (*fn)(void), void *rvalue,
                                        void **avalue) {
  call_entry(entry_or_die(cif, "ffi_call"), fn, rvalue, avalue);
}

// The common case is a tail jump into the stub, with our own arguments as they are: no frame of
// its own, so the call is as deep as Function::call (loop -> stub -> target). The stub checks
// the cif (see g_fast). Aligned so that the path to the jump (26 bytes) is one fetch block: at
// the linker's placement (16-byte aligned, across a 64-byte line) it measured 2-13% slower.
[[gnu::aligned(64)]] void ffi_call(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  if (!cif) return call_slow(cif, fn, rvalue, avalue);
  g_fast[cif->flags & (kFastSlots - 1)].load(std::memory_order_acquire)(cif, fn, rvalue, avalue);
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
  if (p) *p = ffi_call_plan{cif, e, e->fast};
  return p;
}

void ffi_call_plan_invoke(ffi_call_plan *plan, void (*fn)(void), void *rvalue, void **avalue) {
  if (!plan) die("ffi_call_plan_invoke", "null plan");
  if (plan->raw && rvalue && !jitffi::detail::g_stats_enabled)
    return plan->raw(reinterpret_cast<void *>(fn), rvalue, avalue);
  call_entry(*plan->entry, fn, rvalue, avalue);
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
