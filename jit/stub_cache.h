// The stub cache: one plan, one downcall stub and one upcall entry per signature (and one more
// entry per placed memory closures use, see ExecMemory::near), compiled once even when many
// threads ask at the same moment.
//
// Bounded (CacheLimits): the first signatures, up to half the entry and code budget, are pinned
// in a table whose lookups take no lock and whose handles need no reference count; later ones go
// to an LRU tier under a mutex, whose entries are evicted past the budget (those no Function or
// Closure uses first). A handle to an evicted entry keeps it, and its code, alive until the last
// Function or Closure using it goes: so a host that keeps making new signatures stays flat.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "abi/call_plan.h"
#include "jit/stub.h"
#include "jitffi/backend.h"

namespace jitffi::jit {

// The cache's budget. Half of each goes to the pinned tier, the rest to the evictable one.
struct CacheLimits {
  std::size_t max_entries = 4096;
  // What the entries hold: their stubs' machine code and their plans (a large aggregate in
  // memory is a piece per eightbyte).
  std::size_t max_bytes = std::size_t(16) << 20;
  // The defaults, overridden by JITFFI_CACHE_MAX_ENTRIES and JITFFI_CACHE_MAX_BYTES (a number,
  // bytes with an optional k, M or G suffix); a malformed value is reported on stderr and ignored.
  static CacheLimits from_env();
};

struct CacheEntry {
  explicit CacheEntry(Signature s) : sig(std::move(s)), hash(sig.hash()) {}
  Signature sig;
  std::uint64_t hash;  // sig.hash(), kept here so a probe reads no other cache line
  std::string error;   // why the JIT cannot serve this signature; empty when it can
  abi::CallPlan plan;

  // Compiling any of the entry's code: the first thread compiles, one arriving meanwhile waits,
  // a failure lets the next one retry. A mutex rather than std::call_once, whose glibc
  // pthread_once makes a futex wake syscall every time it runs a function; a free mutex makes
  // none. Hits only read the `*_ready` flags.
  std::mutex mu;
  std::shared_ptr<const detail::CallImpl> call;
  std::atomic<bool> call_ready{false};  // `call` is set
  std::unique_ptr<Stub> upcall;
  std::atomic<bool> upcall_ready{false};
  // Entries in memory placed near closure handlers (ExecMemory::near), one per placed memory,
  // under `mu`; the first one's memory also in `placed_first` (set once), so most closures take
  // no lock.
  std::vector<std::pair<const ExecMemory *, std::unique_ptr<Stub>>> placed_upcalls;
  std::atomic<const ExecMemory *> placed_first{nullptr};
  const Stub *placed_first_stub = nullptr;  // written once, before placed_first

  CacheEntry *next = nullptr;  // bucket chain; fixed before the entry is published
  bool pinned = false;         // in the lock-free table: lives as long as the cache
  // Evictable tier only, under the cache's LRU mutex: whether the LRU list holds it, and the
  // bytes counted for it (see footprint()).
  bool held = false;
  std::size_t bytes = 0;
};

// A counted reference to an entry of the evictable tier; for a pinned entry, a plain pointer
// without a control block (copying it touches no shared count).
using EntryRef = std::shared_ptr<CacheEntry>;

class StubCache {
 public:
  // Turns a signature into a plan; abi::classify unless a test supplies its own.
  using Classifier = abi::CallPlan (*)(const Signature &);
  explicit StubCache(Classifier classify = &abi::classify, CacheLimits limits = {});
  ~StubCache();
  StubCache(const StubCache &) = delete;
  StubCache &operator=(const StubCache &) = delete;

  // The entry for a signature, classified (not compiled). Never fails: an unsupported
  // signature gets an entry with `error` set.
  // Holding the reference keeps the entry (evicted or not) alive.
  EntryRef entry(const Signature &sig);
  // The prepared downcall; throws UnsupportedError when the JIT cannot serve the signature. The
  // handle keeps the entry's code alive.
  std::shared_ptr<const detail::CallImpl> downcall(const Signature &sig);
  // The shared closure entry code; throws UnsupportedError likewise. Hold the pointer as long as
  // closures use the code.
  std::shared_ptr<const Stub> upcall(const Signature &sig);
  // The same, in `mem` (compiled once per memory): closures placed near their handler.
  std::shared_ptr<const Stub> upcall(const Signature &sig, ExecMemory &mem);

  // Counts code compiled later for an entry (a stub made on first use) against the budget.
  void count_code(CacheEntry &e, std::size_t bytes) { add_bytes(e, bytes); }

  // Entries held (pinned and evictable), and the bytes counted for them (plans and code).
  std::size_t size() const noexcept;
  std::size_t code_bytes() const noexcept;
  std::size_t pinned() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::size_t evicted() const noexcept { return evicted_.load(std::memory_order_relaxed); }
  const CacheLimits &limits() const noexcept { return limits_; }

  // The process-wide cache, limits from the environment (never destroyed: its pinned stubs may
  // be called until exit).
  static StubCache &global();

 private:
  static constexpr std::size_t kBuckets = 1 << 14;
  static constexpr std::size_t kLocks = 64;
  struct SigHash {
    std::size_t operator()(const Signature &s) const noexcept { return std::size_t(s.hash()); }
  };
  using Lru = std::list<EntryRef>;  // most recently used first

  CacheEntry *find(std::size_t bucket, std::uint64_t hash, const Signature &sig) const noexcept;
  std::shared_ptr<const detail::CallImpl> handle(const EntryRef &e) const noexcept;
  EntryRef pin(std::unique_ptr<CacheEntry> fresh, std::size_t bucket);
  EntryRef hold(EntryRef fresh);
  // Counts code compiled for an entry against the budget (evicting past it).
  void add_bytes(CacheEntry &e, std::size_t bytes);
  // Evicts from the LRU end until the evictable tier fits; the evicted go to `out` (destroyed
  // by the caller after unlocking). Called with lru_mu_ held.
  void trim(std::vector<EntryRef> &out);

  Classifier classify_;
  CacheLimits limits_;
  std::size_t pin_entries_, pin_bytes_;  // the pinned tier's share of the limits
  bool immortal_ = false;  // global(): pinned entries live until exit, their handles uncounted
  std::unique_ptr<std::atomic<CacheEntry *>[]> buckets_;
  std::mutex locks_[kLocks];              // writers only, striped by bucket
  std::atomic<std::size_t> count_{0};     // pinned entries
  std::atomic<std::size_t> reserved_{0};  // pinned places taken (a few more than count_ in races)
  std::atomic<std::size_t> pinned_bytes_{0};
  std::atomic<std::size_t> evicted_{0};
  // The evictable tier.
  mutable std::mutex lru_mu_;
  Lru lru_;
  std::unordered_map<Signature, Lru::iterator, SigHash> index_;
  std::size_t lru_bytes_ = 0;
};

}  // namespace jitffi::jit
