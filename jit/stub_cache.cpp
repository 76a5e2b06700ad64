// Stub cache: a fixed array of buckets with chains that only grow, so readers walk them with
// acquire loads and no lock; writers take a per-stripe mutex and re-check before inserting.
#include "jit/stub_cache.h"

namespace jitffi::jit {

namespace {

class JitCall final : public detail::CallImpl {
 public:
  JitCall(const Signature &sig, const abi::CallPlan &plan)
      : CallImpl(sig, BackendKind::Jit),
        plan_(plan),
        stub_(plan, StubKind::Downcall, "jitffi:" + sig.canonical()) {
    raw_ = reinterpret_cast<RawCall>(stub_.code());
    shape_ = abi::value_shape(plan);
  }

  // Compiled on first use (most signatures are only ever called boxed), once per kind.
  void *entry(EntryKind kind, bool capture_errno) const override {
    if (shape_.kind == ValueShape::None) return nullptr;
    const int k = (kind == EntryKind::Slots ? 1 : 0) + (capture_errno ? 2 : 0);
    Lazy &e = entries_[k];
    if (void *code = e.code.load(std::memory_order_acquire)) return code;
    static const StubKind kKinds[] = {StubKind::Value, StubKind::Slots, StubKind::ValueErrno,
                                      StubKind::SlotsErrno};
    static const char *const kNames[] = {
        "jitffi-value:", "jitffi-slots:", "jitffi-value-errno:", "jitffi-slots-errno:"};
    std::call_once(e.once, [&] {
      e.stub = std::make_unique<Stub>(plan_, kKinds[k], kNames[k] + signature().canonical());
      e.code.store(e.stub->code(), std::memory_order_release);
    });
    return e.code.load(std::memory_order_acquire);
  }

 private:
  struct Lazy {
    std::once_flag once;
    std::atomic<void *> code{nullptr};
    std::unique_ptr<Stub> stub;
  };
  abi::CallPlan plan_;
  Stub stub_;
  mutable Lazy entries_[4];
};

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

StubCache::StubCache(Classifier classify)
    : classify_(classify), buckets_(new std::atomic<CacheEntry *>[kBuckets]) {
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

CacheEntry &StubCache::entry(const Signature &sig) {
  const std::uint64_t hash = sig.hash();
  const std::size_t bucket = hash & (kBuckets - 1);
  if (CacheEntry *e = find(bucket, hash, sig)) return *e;
  // Classify outside the lock (pure and quick); a thread that loses the race drops its copy.
  auto fresh = std::make_unique<CacheEntry>(sig);
  fresh->error = classify_error(classify_, sig, fresh->plan);
  std::lock_guard<std::mutex> lock(locks_[bucket % kLocks]);
  if (CacheEntry *e = find(bucket, hash, sig)) return *e;
  fresh->next = buckets_[bucket].load(std::memory_order_relaxed);
  CacheEntry *e = fresh.release();
  buckets_[bucket].store(e, std::memory_order_release);
  count_.fetch_add(1, std::memory_order_relaxed);
  return *e;
}

std::shared_ptr<const detail::CallImpl> StubCache::handle(const CacheEntry &e) const noexcept {
  // The global cache never frees an entry: hand out a pointer without a control block, so that
  // copying and dropping Functions touches no shared reference count.
  if (immortal_) return {std::shared_ptr<const detail::CallImpl>(), e.call.get()};
  return e.call;
}

std::shared_ptr<const detail::CallImpl> StubCache::downcall(const Signature &sig) {
  CacheEntry &e = entry(sig);
  if (e.call_ready.load(std::memory_order_acquire)) return handle(e);
  if (!e.error.empty()) throw UnsupportedError(e.error);
  // Compiled once; a thread arriving meanwhile waits, a failure lets the next one retry.
  std::call_once(e.down_once, [&] {
    e.call = std::make_shared<const JitCall>(e.sig, e.plan);
    e.call_ready.store(true, std::memory_order_release);
  });
  return handle(e);
}

const Stub &StubCache::upcall(const Signature &sig) {
  CacheEntry &e = entry(sig);
  if (e.upcall_ready.load(std::memory_order_acquire)) return *e.upcall;
  if (!e.error.empty()) throw UnsupportedError(e.error);
  std::call_once(e.up_once, [&] {
    e.upcall =
        std::make_unique<Stub>(e.plan, StubKind::Upcall, "jitffi-upcall:" + e.sig.canonical());
    e.upcall_ready.store(true, std::memory_order_release);
  });
  return *e.upcall;
}

const Stub &StubCache::upcall(const Signature &sig, ExecMemory &mem) {
  if (&mem == &ExecMemory::global()) return upcall(sig);
  CacheEntry &e = entry(sig);
  // placed_first_stub is written before placed_first is published, and never again.
  if (e.placed_first.load(std::memory_order_acquire) == &mem) return *e.placed_first_stub;
  if (!e.error.empty()) throw UnsupportedError(e.error);
  std::lock_guard<std::mutex> lock(e.placed_mu);
  for (const auto &[m, stub] : e.placed_upcalls)
    if (m == &mem) return *stub;
  auto stub = std::make_unique<Stub>(e.plan, StubKind::Upcall, "jitffi-upcall:" + e.sig.canonical(),
                                     nullptr, mem);
  e.placed_upcalls.emplace_back(&mem, std::move(stub));
  const Stub &made = *e.placed_upcalls.back().second;
  if (e.placed_upcalls.size() == 1) {
    e.placed_first_stub = &made;
    e.placed_first.store(&mem, std::memory_order_release);
  }
  return made;
}

StubCache &StubCache::global() {
  static StubCache *cache = [] {
    auto *c = new StubCache;  // leaked on purpose, like the memory it uses
    c->immortal_ = true;
    return c;
  }();
  return *cache;
}

}  // namespace jitffi::jit
