// Stub cache: pinned entries in a fixed array of buckets with chains that only grow, so readers
// walk them with acquire loads and no lock; writers take a per-stripe mutex and re-check before
// inserting. Past the pinned share of the budget, entries live in an LRU list under one mutex.
#include "jit/stub_cache.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace jitffi::jit {

namespace {

class JitCall final : public detail::CallImpl {
 public:
  // `borrow`: the plan outlives this call (it is its cache entry's, and the entry outlives the
  // call), so it is not copied: three allocations fewer per new signature. `cache`: the entry and
  // its cache outlive the call (the global cache's), so every stub is compiled on first use and
  // counted against the cache's budget then; null: the boxed stub is compiled now (the caller
  // counts it) and the value and slot entries are not counted.
  JitCall(const Signature &sig, const abi::CallPlan &plan, bool borrow, StubCache *cache,
          CacheEntry *entry)
      : CallImpl(sig, BackendKind::Jit),
        own_plan_(borrow ? nullptr : std::make_unique<const abi::CallPlan>(plan)),
        plan_(borrow ? plan : *own_plan_),
        cache_(cache),
        entry_(entry) {
    shape_ = abi::value_shape(plan);
    if (!cache_) make_raw();
  }

  std::size_t code_size() const noexcept { return boxed_.stub ? boxed_.stub->size() : 0; }

  // Compiled on first use (most signatures are only ever called boxed), once per kind.
  void *entry(EntryKind kind, bool capture_errno) const override {
    if (shape_.kind == ValueShape::None) return nullptr;
    const int k = (kind == EntryKind::Slots ? 1 : 0) + (capture_errno ? 2 : 0);
    static const StubKind kKinds[] = {StubKind::Value, StubKind::Slots, StubKind::ValueErrno,
                                      StubKind::SlotsErrno};
    static const char *const kNames[] = {
        "jitffi-value:", "jitffi-slots:", "jitffi-value-errno:", "jitffi-slots-errno:"};
    return compile(entries_[k], kKinds[k], kNames[k]);
  }

 private:
  struct Lazy {
    std::atomic<void *> code{nullptr};
    std::unique_ptr<Stub> stub;  // written once, under mu_, before code is published
  };

  // The boxed stub: in the constructor without a cache, else on the first raw().
  RawCall make_raw() const override {
    const auto r = reinterpret_cast<RawCall>(compile(boxed_, StubKind::Downcall, "jitffi:"));
    raw_.store(r, std::memory_order_release);
    return r;
  }

  // `e`'s code, compiled by the first caller and counted against the cache's budget (when the
  // call has a cache). Under a mutex rather than std::call_once (see CacheEntry::mu); a failure
  // lets the next caller retry.
  void *compile(Lazy &e, StubKind kind, const char *name) const {
    if (void *code = e.code.load(std::memory_order_acquire)) return code;
    void *code;
    std::size_t made;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (void *c = e.code.load(std::memory_order_relaxed)) return c;
      e.stub = std::make_unique<Stub>(plan_, kind, StubName(name, signature().canonical()), nullptr,
                                      ExecMemory::global(), true);
      code = e.stub->code();
      made = e.stub->size();
      e.code.store(code, std::memory_order_release);
    }
    if (cache_) cache_->count_code(*entry_, made);  // outside mu_: counting may evict others
    return code;
  }

  std::unique_ptr<const abi::CallPlan> own_plan_;  // a pointer: most calls borrow
  const abi::CallPlan &plan_;
  StubCache *cache_;
  CacheEntry *entry_;
  mutable std::mutex mu_;  // compiling a stub
  mutable Lazy boxed_;     // the (fn, ret, args) stub behind raw()
  mutable Lazy entries_[4];
};

// A size from the environment: digits with an optional k, M or G suffix (powers of 1024).
bool parse_size(const char *name, std::size_t &out) {
  const char *v = std::getenv(name);
  if (!v || !*v) return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v, &end, 10);
  unsigned shift = 0;
  if (end != v && *end && !end[1])
    shift = *end == 'k' || *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 64;
  if (end == v || *v == '-' || errno || (*end && (shift == 64 || end[1])) ||
      (shift && n > (~0ull >> shift))) {
    std::fprintf(stderr, "jitffi: ignoring %s=\"%s\": not a size (digits, optional k/M/G)\n", name,
                 v);
    return false;
  }
  out = std::size_t(n << shift);
  return true;
}

// The memory an entry holds before any code: itself, its plan and its signature's text.
std::size_t footprint(const CacheEntry &e) {
  return sizeof(CacheEntry) + e.plan.args.capacity() * sizeof(abi::ArgInfo) +
         e.plan.pieces.capacity() * sizeof(abi::ArgPiece) +
         e.plan.ret_pieces.capacity() * sizeof(abi::RetPiece) + e.sig.canonical().size();
}

std::string classify_error(StubCache::Classifier classify, const Signature &sig,
                           abi::CallPlan &plan) {
  if (abi::isa_of(sig.abi()) != host_isa())  // before classifying: foreign ISAs never run here
    return std::string(host_isa() == abi::Isa::A64 ? "the AArch64" : "the x86-64") +
           " JIT does not emit " + std::string(abi_name(sig.abi())) + " calls";
  try {
    plan = classify(sig);
    check_host_plan(plan);
    return {};
  } catch (const std::exception &e) {
    std::string msg = e.what();
    return msg.empty() ? "classification failed for " + sig.canonical() : msg;
  }
}

}  // namespace

CacheLimits CacheLimits::from_env() {
  CacheLimits l;
  parse_size("JITFFI_CACHE_MAX_ENTRIES", l.max_entries);
  parse_size("JITFFI_CACHE_MAX_BYTES", l.max_bytes);
  return l;
}

StubCache::StubCache(Classifier classify, CacheLimits limits)
    : classify_(classify),
      limits_(limits),
      pin_entries_(limits.max_entries / 2),
      pin_bytes_(limits.max_bytes / 2),
      buckets_(new std::atomic<CacheEntry *>[kBuckets]) {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i].store(nullptr, std::memory_order_relaxed);
}

StubCache::~StubCache() {
  for (std::size_t i = 0; i < kBuckets; ++i) {
    CacheEntry *e = buckets_[i].load(std::memory_order_relaxed);
    while (e) delete std::exchange(e, e->next);
  }
}

CacheEntry *StubCache::find(std::size_t bucket, std::uint64_t hash,
                            const Signature &sig) const noexcept {
  // The hash picks the bucket; the full canonical form decides (Signature's == compares the
  // shared data pointer first, so a copy of the signature that made the entry is one compare).
  for (CacheEntry *e = buckets_[bucket].load(std::memory_order_acquire); e; e = e->next)
    if (e->hash == hash && e->sig == sig) return e;
  return nullptr;
}

std::size_t StubCache::size() const noexcept {
  std::lock_guard<std::mutex> lock(lru_mu_);
  return count_.load(std::memory_order_relaxed) + lru_.size();
}

std::size_t StubCache::code_bytes() const noexcept {
  std::lock_guard<std::mutex> lock(lru_mu_);
  return pinned_bytes_.load(std::memory_order_relaxed) + lru_bytes_;
}

EntryRef StubCache::entry(const Signature &sig) {
  const std::uint64_t hash = sig.hash();
  const std::size_t bucket = hash & (kBuckets - 1);
  if (CacheEntry *e = find(bucket, hash, sig)) return EntryRef(EntryRef(), e);
  {
    std::lock_guard<std::mutex> lock(lru_mu_);
    auto it = index_.find(sig);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return *it->second;
    }
  }
  // Classify outside the locks (pure and quick); a thread that loses the race drops its copy.
  auto fresh = std::make_unique<CacheEntry>(sig);
  fresh->error = classify_error(classify_, sig, fresh->plan);
  // Pinned while the pinned tier has room: places are reserved, so it never overshoots by more
  // than the threads racing for the last one.
  if (pinned_bytes_.load(std::memory_order_relaxed) < pin_bytes_ &&
      reserved_.load(std::memory_order_relaxed) < pin_entries_) {
    if (reserved_.fetch_add(1, std::memory_order_relaxed) < pin_entries_)
      return pin(std::move(fresh), bucket);
    reserved_.fetch_sub(1, std::memory_order_relaxed);
  }
  return hold(EntryRef(std::move(fresh)));
}

EntryRef StubCache::pin(std::unique_ptr<CacheEntry> fresh, std::size_t bucket) {
  std::lock_guard<std::mutex> lock(locks_[bucket % kLocks]);
  if (CacheEntry *e = find(bucket, fresh->hash, fresh->sig)) {
    reserved_.fetch_sub(1, std::memory_order_relaxed);
    return EntryRef(EntryRef(), e);
  }
  fresh->pinned = true;
  fresh->next = buckets_[bucket].load(std::memory_order_relaxed);
  const std::size_t bytes = footprint(*fresh);
  CacheEntry *e = fresh.release();
  buckets_[bucket].store(e, std::memory_order_release);
  count_.fetch_add(1, std::memory_order_relaxed);
  pinned_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return EntryRef(EntryRef(), e);
}

EntryRef StubCache::hold(EntryRef fresh) {
  std::vector<EntryRef> evicted;  // destroyed after unlocking: freeing code takes other locks
  std::lock_guard<std::mutex> lock(lru_mu_);
  auto it = index_.find(fresh->sig);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
  }
  lru_.push_front(fresh);
  try {
    index_.emplace(fresh->sig, lru_.begin());
  } catch (...) {
    lru_.pop_front();
    throw;
  }
  fresh->held = true;
  fresh->bytes = footprint(*fresh);
  lru_bytes_ += fresh->bytes;
  trim(evicted);
  return fresh;
}

void StubCache::trim(std::vector<EntryRef> &out) {
  // What the pinned tier leaves (it may pass its half by the last stub it admitted).
  const std::size_t pinned = count_.load(std::memory_order_relaxed);
  const std::size_t pinned_bytes = pinned_bytes_.load(std::memory_order_relaxed);
  const std::size_t max_entries = limits_.max_entries - std::min(limits_.max_entries, pinned);
  const std::size_t max_bytes = limits_.max_bytes - std::min(limits_.max_bytes, pinned_bytes);
  while (!lru_.empty() && (lru_.size() > max_entries || lru_bytes_ > max_bytes)) {
    // The least recently used entry that nothing else holds, among the last few; else the last.
    auto victim = std::prev(lru_.end());
    auto it = victim;
    for (int k = 0; k < 8; ++k) {
      if (it->use_count() == 1) {
        victim = it;
        break;
      }
      if (it == lru_.begin()) break;
      --it;
    }
    CacheEntry &e = **victim;
    index_.erase(e.sig);
    e.held = false;
    lru_bytes_ -= e.bytes;
    out.push_back(std::move(*victim));
    lru_.erase(victim);
    evicted_.fetch_add(1, std::memory_order_relaxed);
  }
}

void StubCache::add_bytes(CacheEntry &e, std::size_t bytes) {
  if (e.pinned) {
    pinned_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return;
  }
  std::vector<EntryRef> evicted;
  std::lock_guard<std::mutex> lock(lru_mu_);
  if (!e.held) return;  // evicted meanwhile: its code goes with its last user
  e.bytes += bytes;
  lru_bytes_ += bytes;
  trim(evicted);
}

std::shared_ptr<const detail::CallImpl> StubCache::handle(const EntryRef &e) const noexcept {
  // A pinned entry of the global cache is never freed: hand out a pointer without a control
  // block, so that copying and dropping Functions touches no shared reference count. An
  // evictable entry's handle shares the entry's count: the entry stays while a Function uses it.
  if (e->pinned) {
    if (immortal_) return {std::shared_ptr<const detail::CallImpl>(), e->call.get()};
    return e->call;
  }
  return {e, e->call.get()};
}

std::shared_ptr<const detail::CallImpl> StubCache::downcall(const Signature &sig) {
  EntryRef e = entry(sig);
  if (e->call_ready.load(std::memory_order_acquire)) return handle(e);
  if (!e->error.empty()) throw UnsupportedError(e->error);
  bool made = false;
  {
    std::lock_guard<std::mutex> lock(e->mu);
    if (!e->call_ready.load(std::memory_order_relaxed)) {
      // The entry outlives the call unless it is pinned in a cache that may be destroyed
      // while Functions hold the call (see handle()).
      // The global cache and its entries outlive every call: there the stubs are compiled on
      // first use (a runtime calling only through the slot entry never compiles the boxed one).
      e->call = std::make_shared<const JitCall>(e->sig, e->plan, immortal_ || !e->pinned,
                                                immortal_ ? this : nullptr, e.get());
      e->call_ready.store(true, std::memory_order_release);
      made = true;
    }
  }
  if (made && !immortal_) add_bytes(*e, static_cast<const JitCall &>(*e->call).code_size());
  return handle(e);
}

std::shared_ptr<const Stub> StubCache::upcall(const Signature &sig) {
  EntryRef e = entry(sig);
  auto ref = [&] {
    return e->pinned ? std::shared_ptr<const Stub>(std::shared_ptr<const Stub>(), e->upcall.get())
                     : std::shared_ptr<const Stub>(e, e->upcall.get());
  };
  if (e->upcall_ready.load(std::memory_order_acquire)) return ref();
  if (!e->error.empty()) throw UnsupportedError(e->error);
  bool made = false;
  {
    std::lock_guard<std::mutex> lock(e->mu);
    if (!e->upcall_ready.load(std::memory_order_relaxed)) {
      e->upcall = std::make_unique<Stub>(e->plan, StubKind::Upcall,
                                         StubName("jitffi-upcall:", e->sig.canonical()), nullptr,
                                         ExecMemory::global(), true);
      e->upcall_ready.store(true, std::memory_order_release);
      made = true;
    }
  }
  if (made) add_bytes(*e, e->upcall->size());
  return ref();
}

std::shared_ptr<const Stub> StubCache::upcall(const Signature &sig, ExecMemory &mem) {
  if (&mem == &ExecMemory::global()) return upcall(sig);
  EntryRef e = entry(sig);
  auto ref = [&](const Stub *s) {
    return e->pinned ? std::shared_ptr<const Stub>(std::shared_ptr<const Stub>(), s)
                     : std::shared_ptr<const Stub>(e, s);
  };
  // placed_first_stub is written before placed_first is published, and never again.
  if (e->placed_first.load(std::memory_order_acquire) == &mem) return ref(e->placed_first_stub);
  if (!e->error.empty()) throw UnsupportedError(e->error);
  const Stub *made = nullptr;
  {
    std::lock_guard<std::mutex> lock(e->mu);
    for (const auto &[m, stub] : e->placed_upcalls)
      if (m == &mem) return ref(stub.get());
    auto stub =
        std::make_unique<Stub>(e->plan, StubKind::Upcall,
                               StubName("jitffi-upcall:", e->sig.canonical()), nullptr, mem, true);
    e->placed_upcalls.emplace_back(&mem, std::move(stub));
    made = e->placed_upcalls.back().second.get();
    if (e->placed_upcalls.size() == 1) {
      e->placed_first_stub = made;
      e->placed_first.store(&mem, std::memory_order_release);
    }
  }
  add_bytes(*e, made->size());
  return ref(made);
}

StubCache &StubCache::global() {
  static StubCache *cache = [] {
    auto *c = new StubCache(&abi::classify, CacheLimits::from_env());  // leaked on purpose
    c->immortal_ = true;
    return c;
  }();
  return *cache;
}

}  // namespace jitffi::jit
