// Closures: ffi_closure_alloc, ffi_prep_closure_loc and friends, with W^X.
//
// ffi_closure_alloc returns a writable ffi_closure and, in *code, the address of a small
// trampoline in executable memory that is never writable there (trampoline.h), on x86-64:
//     endbr64; mov r10, <Rec *>; jmp [r10 + 16]
// With dual mapping (jit/exec_memory.h) the whole closure is one block mapped twice, as libffi's
// own W^X closures are: the writable closure is the RW view, *code the RX view of the same bytes,
// and the trampoline sits in the closure's trampoline area (libffi's tests compare the two
// views). Where the system refuses dual mapping, the closure is heap memory and the trampoline a
// block of its own, made executable once written.
// Rec starts with the JIT's ClosureContext {handler, user_data}; slot 16 is the entry the
// trampoline jumps to, set by ffi_prep_closure_loc once the cif is known: the JIT's shared
// upcall code for the signature (which calls handler(ret, args, user_data) with r10 = Rec), or
// the code of a real libffi closure when the JIT does not serve the signature. Either way the
// client's fun is called with the cif, fun and user_data read from the writable ffi_closure at
// call time, as libffi does.
#include <alloca.h>
#include <pthread.h>
#include <sched.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <unordered_map>
#include <utility>

#include "compat/src/compat.h"
#include "compat/src/trampoline.h"
#include "jit/exec_memory.h"
#include "jit/x64_emitter.h"

namespace jitffi::compat {

namespace {

struct Rec {
  jit::x64::ClosureContext ctx;         // read by the JIT upcall through r10
  std::atomic<const void *> entry;      // read by the trampoline: jmp [r10 + 16]
  ffi_closure *closure = nullptr;       // the client's writable closure
  void *exec = nullptr;                 // our trampoline (null for a closure in client memory)
  bool dual = false;                    // closure and exec: two views of one ExecMemory block
  ffi_closure *real_closure = nullptr;  // a real libffi closure serving this one
  void *real_code = nullptr;
  std::atomic<const Entry *> spread{nullptr};  // the entry when its cif has void arguments
  // Pooled: handed out by ffi_closure_alloc and not yet freed (a double free's check; relaxed:
  // freeing one closure from two threads at once is the client's race).
  std::atomic<bool> live{false};
  Rec *next_free = nullptr;  // pooled: the free list's link
};
static_assert(offsetof(Rec, entry) == kRecEntryOffset, "the trampoline jumps through the entry");

// Where an unprepared closure jumps: there is no cif to decode anything with.
extern "C" void jitffi_compat_unprepared_closure() {
  die("closure", "called before ffi_prep_closure_loc");
}

// The JIT upcall's handler: user_data is the Rec.
void jit_handler(void *ret, void **args, void *user_data) {
  const Rec *r = static_cast<Rec *>(user_data);
  ffi_closure *c = r->closure;
  // The client's numbering of args[] when the cif has void arguments (they have no slot here).
  if (const Entry *e = r->spread.load(std::memory_order_acquire))
    args = client_args(*e, args, static_cast<void **>(alloca(e->nargs * sizeof(void *) + 1)));
  if (detail::g_stats_enabled)
    detail::stats().closure_calls[int(BackendKind::Jit)].fetch_add(1, std::memory_order_relaxed);
  c->fun(c->cif, ret, args, c->user_data);
}

// The real libffi closure's function: the client's fun with the client's cif.
void real_handler(ffi_cif *, void *ret, void **args, void *user_data) {
  const Rec *r = static_cast<Rec *>(user_data);
  ffi_closure *c = r->closure;
  // The client's numbering of args[] when the cif has void arguments (they have no slot here).
  if (const Entry *e = r->spread.load(std::memory_order_acquire))
    args = client_args(*e, args, static_cast<void **>(alloca(e->nargs * sizeof(void *) + 1)));
  if (detail::g_stats_enabled)
    detail::stats().closure_calls[int(BackendKind::Libffi)].fetch_add(1, std::memory_order_relaxed);
  c->fun(c->cif, ret, args, c->user_data);
}

struct Registry {
  std::mutex mu;
  std::unordered_map<void *, Rec *> ours;     // writable closure -> Rec (ffi_closure_alloc)
  std::unordered_map<void *, Rec *> foreign;  // client-allocated closures, Rec kept for reuse
};

Registry &registry() {
  static Registry *r = new Registry;  // closures may be freed from atexit handlers
  return *r;
}

Rec *new_rec(ffi_closure *c) {
  Rec *r = new Rec;
  r->ctx = {&jit_handler, r};
  r->entry.store(reinterpret_cast<const void *>(&jitffi_compat_unprepared_closure));
  r->closure = c;
  return r;
}

void drop_real(Rec *r) {
  if (r->real_closure) real_ffi()->closure_free(r->real_closure);
  r->real_closure = nullptr;
  r->real_code = nullptr;
}

// With dual mapping, closures of up to kSlotBytes come from a pool of pre-made ones: blocks of
// kPerBatch slots, each slot a closure (the RW view) whose trampoline area already holds the
// trampoline to its own Rec (the RX view runs it). ffi_closure_alloc pops a slot, ffi_closure_free
// pushes it back: no mapping, no code written, no registry lookup, where a closure of its own
// costs an ExecMemory block, a trampoline write and a hash map entry. The RX view is never
// writable (W^X as before). Slots are never unmapped: the pool keeps the most closures that
// were ever alive at once, as libffi's own allocator keeps its segments.
constexpr std::size_t kSlotBytes = 128;  // ffi_closure (56 / 48) and ffi_raw_closure (72 / 64)
constexpr unsigned kPerBatch = 64;       // 8 KiB per batch
constexpr unsigned kMaxBatches = 4096;   // 262144 pooled closures; more get blocks of their own

struct Batch {
  std::uintptr_t rw;  // the first slot's writable address
  Rec *recs[kPerBatch];
};

// A spin lock: held for a few instructions (a pop or a push), so cheaper than a mutex.
class SpinLock {
 public:
  void lock() noexcept {
    while (busy_.exchange(true, std::memory_order_acquire))
      while (busy_.load(std::memory_order_relaxed)) sched_yield();
  }
  void unlock() noexcept { busy_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> busy_{false};
};

struct Pool {
  std::atomic<Batch *> batches[kMaxBatches]{};  // published with release stores, never removed
  std::atomic<unsigned> count{0};
  SpinLock mu;  // guards `free` and growing
  Rec *free = nullptr;
};
// Created when the library loads and never destroyed (closures may be freed from atexit handlers).
Pool *const g_pool = new Pool;

// The pooled Rec whose closure (RW view) is `closure`, or null: a pointer into no batch, or not at
// a slot's start. Lock-free: batches never move or go away.
Rec *pooled_rec(const void *closure) noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(closure);
  for (unsigned i = g_pool->count.load(std::memory_order_acquire); i-- > 0;) {
    const Batch *b = g_pool->batches[i].load(std::memory_order_acquire);
    const std::uintptr_t off = a - b->rw;
    if (off < kSlotBytes * kPerBatch) return off % kSlotBytes ? nullptr : b->recs[off / kSlotBytes];
  }
  return nullptr;
}

// Maps one more batch and puts its slots on the free list (with g_pool->mu held). False when the
// pool is full or memory ran out.
bool grow_pool() noexcept {
  Pool &p = *g_pool;
  const unsigned n = p.count.load(std::memory_order_relaxed);
  if (n == kMaxBatches) return false;
  jit::ExecMemory &mem = jit::ExecMemory::global();
  jit::ExecMemory::Block blk;
  auto b = std::make_unique<Batch>();
  try {
    blk = mem.alloc(kSlotBytes * kPerBatch);
    std::memset(blk.rw, 0, blk.size);
    b->rw = reinterpret_cast<std::uintptr_t>(blk.rw);
    for (unsigned i = 0; i < kPerBatch; ++i) {
      auto *c =
          reinterpret_cast<ffi_closure *>(static_cast<unsigned char *>(blk.rw) + i * kSlotBytes);
      Rec *r = b->recs[i] = new_rec(c);
      r->dual = true;
      r->exec = static_cast<unsigned char *>(blk.rx) + i * kSlotBytes;
      write_trampoline(reinterpret_cast<unsigned char *>(c->tramp), r);
    }
    mem.commit(blk);
  } catch (const std::exception &) {
    for (Rec *r : b->recs) delete r;
    if (blk.rx) mem.release(blk.rx);
    return false;
  }
  for (Rec *r : b->recs) {
    r->next_free = p.free;
    p.free = r;
  }
  p.batches[n].store(b.release(), std::memory_order_release);
  p.count.store(n + 1, std::memory_order_release);
  return true;
}

// Per thread, up to kLocalMax freed slots, taken again without the pool's lock (a closure freed
// and allocated on the same thread, as a binding's callback per call is), handed back to the
// pool when the thread exits (a pthread key's destructor: the list itself is plain data, so the
// thread_local needs no guard). Not initial-exec TLS: a libffi.so.8 that python's _ctypes
// dlopens then fails with "cannot allocate memory in static TLS block" (compat.replace_file).
struct LocalFree {
  static constexpr unsigned kLocalMax = 32;
  Rec *head;
  unsigned n;
  bool registered;  // the key's value is set: the destructor will run at thread exit
};
thread_local LocalFree t_free;

void return_local(void *p) noexcept {
  auto *lf = static_cast<LocalFree *>(p);
  std::lock_guard lock(g_pool->mu);
  while (Rec *r = lf->head) {
    lf->head = r->next_free;
    r->next_free = g_pool->free;
    g_pool->free = r;
  }
  lf->n = 0;
  lf->registered = false;  // a closure freed by a later destructor registers again
}

pthread_key_t make_local_key() {
  pthread_key_t k{};
  if (pthread_key_create(&k, &return_local) != 0) die("closures", "pthread_key_create failed");
  return k;
}
const pthread_key_t g_local_key = make_local_key();

// This thread's list. The address goes through an empty asm so that g++ keeps it in a register:
// otherwise it calls __tls_get_addr again for each access (a shared library's TLS).
[[gnu::always_inline]] inline LocalFree &local_free() noexcept {
  LocalFree *lf = &t_free;
  asm("" : "+r"(lf));
  return *lf;
}

// A closure from this thread's free list, marked live, or null when the list is empty.
[[gnu::always_inline]] inline Rec *local_take() noexcept {
  LocalFree &lf = local_free();
  Rec *r = lf.head;
  if (!r) return nullptr;
  lf.head = r->next_free;
  --lf.n;
  r->live.store(true, std::memory_order_relaxed);
  return r;
}

// A free pooled closure, marked live, or null when the pool cannot serve one.
Rec *pool_take() noexcept {
  if (Rec *r = local_take()) return r;
  Pool &p = *g_pool;
  std::lock_guard lock(p.mu);
  if (!p.free && !grow_pool()) return nullptr;
  Rec *r = p.free;
  p.free = r->next_free;
  r->live.store(true, std::memory_order_relaxed);
  return r;
}

// Returns a pooled closure (already reset) to this thread's list, or to the pool when that is full.
void pool_put(Rec *r) noexcept {
  LocalFree &lf = local_free();
  if (!lf.registered) lf.registered = pthread_setspecific(g_local_key, &lf) == 0;
  if (lf.registered && lf.n < LocalFree::kLocalMax) {
    r->next_free = lf.head;
    lf.head = r;
    ++lf.n;
    return;
  }
  std::lock_guard lock(g_pool->mu);
  r->next_free = g_pool->free;
  g_pool->free = r;
}

// Zeroes a pooled slot past its trampoline area, as a fresh closure is, with plain 16-byte stores
// written out (no loop): g++ turns a memset of this size, or a loop of stores, into `rep stos`,
// whose start-up cost on Zen is more than the rest of ffi_closure_alloc.
template <std::size_t... I>
[[gnu::always_inline]] inline void zero16(unsigned char *p, std::index_sequence<I...>) noexcept {
  using V16 = unsigned long long __attribute__((vector_size(16), aligned(1), may_alias));
  (..., (*reinterpret_cast<V16 *>(p + 16 * I) = V16{}));
}
inline void zero_slot(ffi_closure *c) noexcept {
  constexpr std::size_t kBytes = kSlotBytes - FFI_TRAMPOLINE_SIZE;
  static_assert(kBytes % 8 == 0 && kBytes >= 16);
  auto *p = reinterpret_cast<unsigned char *>(c) + FFI_TRAMPOLINE_SIZE;
  zero16(p, std::make_index_sequence<kBytes / 16>{});
  if constexpr (kBytes % 16 != 0) {
    using U64 = std::uint64_t __attribute__((aligned(1), may_alias));
    *reinterpret_cast<U64 *>(p + kBytes - 8) = 0;
  }
}

// A pooled slot handed to the client as ffi_closure_alloc's result: zeroed as a fresh closure is
// (the trampoline area keeps its trampoline), its code address in *code.
[[gnu::always_inline]] inline void *hand_out(Rec *r, void **code) noexcept {
  zero_slot(r->closure);
  *code = r->exec;
  return r->closure;
}

// Points the Rec at the code that serves `cif`.
[[gnu::always_inline]] inline ffi_status arm(Rec *r, Entry *e) {
  r->spread.store(e->has_void ? e : nullptr, std::memory_order_release);
  const void *up = e->upcall.load(std::memory_order_acquire);  // compiled: no call
  if (!up) up = e->upcall_entry();
  if (up) {
    drop_real(r);
    r->entry.store(up, std::memory_order_release);
    if (detail::g_stats_enabled)
      detail::stats().closures[int(BackendKind::Jit)].fetch_add(1, std::memory_order_relaxed);
    return FFI_OK;
  }
  ffi_cif *real = e->real();
  if (!real) return e->real_status == FFI_OK ? FFI_BAD_ABI : e->real_status;
  const RealFfi *f = real_ffi();
  if (!r->real_closure) {
    r->real_closure =
        static_cast<ffi_closure *>(f->closure_alloc(sizeof(ffi_closure), &r->real_code));
    if (!r->real_closure) return FFI_BAD_TYPEDEF;
  }
  ffi_status s = f->prep_closure_loc(r->real_closure, real, &real_handler, r, r->real_code);
  if (s != FFI_OK) return s;
  r->entry.store(r->real_code, std::memory_order_release);
  if (detail::g_stats_enabled)
    detail::stats().closures[int(BackendKind::Libffi)].fetch_add(1, std::memory_order_relaxed);
  return FFI_OK;
}

}  // namespace

}  // namespace jitffi::compat

using namespace jitffi::compat;
using jitffi::jit::ExecMemory;

extern "C" {

// Everything but a slot from this thread's free list.
[[gnu::noinline]] static void *closure_alloc_slow(size_t size, void **code) {
  if (size < sizeof(ffi_closure)) size = sizeof(ffi_closure);
  ExecMemory &mem = ExecMemory::global();
  const bool dual = mem.mode() == ExecMemory::Mode::DualMapping;
  if (dual && size <= kSlotBytes) {
    if (Rec *r = pool_take()) return hand_out(r, code);
  }
  ffi_closure *c = nullptr;
  Rec *r = nullptr;
  try {
    r = new_rec(nullptr);
    // Dual mapping: the closure itself, its trampoline area first. Otherwise the trampoline only.
    ExecMemory::Block b = mem.alloc(dual ? size : kTrampSize);
    std::memset(b.rw, 0, b.size);
    if (dual) {
      c = static_cast<ffi_closure *>(b.rw);
      write_trampoline(reinterpret_cast<unsigned char *>(c->tramp), r);
    } else {
      write_trampoline(static_cast<unsigned char *>(b.rw), r);
    }
    r->exec = mem.commit(b);
    r->dual = dual;
    if (!dual) {
      c = static_cast<ffi_closure *>(std::calloc(1, size));
      if (!c) throw std::bad_alloc();
    }
    r->closure = c;
    Registry &reg = registry();
    std::lock_guard lock(reg.mu);
    reg.ours.emplace(c, r);
  } catch (const std::exception &) {
    if (r && r->exec) mem.release(r->exec);
    if (r && !r->dual) std::free(c);
    delete r;
    return nullptr;
  }
  *code = r->exec;
  return c;
}

void *ffi_closure_alloc(size_t size, void **code) {
  // The common case, kept short: a slot this thread freed (only pooled slots, so dual mapping, are
  // ever on the list; no ExecMemory lookup).
  if (code && size <= kSlotBytes)
    if (Rec *r = local_take()) return hand_out(r, code);
  return code ? closure_alloc_slow(size, code) : nullptr;
}

// A closure that is not pooled (or a bad pointer).
[[gnu::noinline]] static void closure_free_slow(void *ptr) {
  Rec *r = nullptr;
  {
    Registry &reg = registry();
    std::lock_guard lock(reg.mu);
    if (auto it = reg.ours.find(ptr); it != reg.ours.end()) {
      r = it->second;
      reg.ours.erase(it);
    }
  }
  if (!r) die("ffi_closure_free", "pointer was not returned by ffi_closure_alloc");
  drop_real(r);
  if (!r->dual) std::free(ptr);
  ExecMemory::global().release(r->exec);  // with dual mapping, the closure's memory too
  delete r;
}

void ffi_closure_free(void *ptr) {
  if (!ptr) return;
  Rec *r = pooled_rec(ptr);
  if (!r) return closure_free_slow(ptr);
  if (!r->live.load(std::memory_order_relaxed)) die("ffi_closure_free", "closure freed twice");
  r->live.store(false, std::memory_order_relaxed);
  drop_real(r);
  // Until ffi_prep_closure_loc prepares it again, a call through it dies with a message.
  r->entry.store(reinterpret_cast<const void *>(&jitffi_compat_unprepared_closure),
                 std::memory_order_release);
  r->spread.store(nullptr, std::memory_order_relaxed);
  pool_put(r);
}

// A closure that is not a pooled slot prepared at its own code address: the registry's.
[[gnu::noinline]] static ffi_status prep_closure_slow(ffi_closure *closure, ffi_cif *cif,
                                                      void (*fun)(ffi_cif *, void *, void **,
                                                                  void *),
                                                      void *user_data, void *codeloc, Entry *e) {
  Registry &reg = registry();
  std::lock_guard lock(reg.mu);
  Rec *r = nullptr;
  if (auto it = reg.ours.find(closure); it != reg.ours.end() && it->second->exec == codeloc) {
    r = it->second;
  } else {
    // Client memory (ffi_prep_closure on a mapping of its own): as libffi does, write the
    // trampoline into the closure's trampoline area; the client makes it executable.
    auto [it2, fresh] = reg.foreign.try_emplace(closure, nullptr);
    if (fresh) it2->second = new_rec(closure);
    r = it2->second;
    r->closure = closure;
  }
  closure->cif = cif;
  closure->fun = fun;
  closure->user_data = user_data;
  ffi_status s = arm(r, e);
  if (s != FFI_OK) return s;
  if (!r->exec) {
    // Written through the closure (the writable view), run at codeloc, as libffi does.
    write_trampoline(reinterpret_cast<unsigned char *>(closure->tramp), r);
    char *run = static_cast<char *>(codeloc ? codeloc : closure->tramp);
    __builtin___clear_cache(run, run + kTrampSize);
  }
  return FFI_OK;
}

ffi_status ffi_prep_closure_loc(ffi_closure *closure, ffi_cif *cif,
                                void (*fun)(ffi_cif *, void *, void **, void *), void *user_data,
                                void *codeloc) {
  if (!closure || !cif) return FFI_BAD_TYPEDEF;
  Entry *e = entry_of(cif);
  if (!e) return FFI_BAD_ABI;  // libffi's answer for a cif it cannot use
  Rec *r = pooled_rec(closure);
  if (!r || r->exec != codeloc) return prep_closure_slow(closure, cif, fun, user_data, codeloc, e);
  closure->cif = cif;  // no registry: its own slot
  closure->fun = fun;
  closure->user_data = user_data;
  return arm(r, e);
}

ffi_status ffi_prep_closure(ffi_closure *closure, ffi_cif *cif,
                            void (*fun)(ffi_cif *, void *, void **, void *), void *user_data) {
  return ffi_prep_closure_loc(closure, cif, fun, user_data, closure);
}

}  // extern "C"
