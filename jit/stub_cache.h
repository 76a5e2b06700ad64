// The stub cache: one plan, one downcall stub and one upcall entry per signature (and one more
// entry per placed memory closures use, see ExecMemory::near), compiled once even when many
// threads ask at the same moment; lookups of the plan, the downcall and the shared entry take no
// lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "abi/call_plan.h"
#include "jit/stub.h"
#include "jitffi/backend.h"

namespace jitffi::jit {

struct CacheEntry {
  explicit CacheEntry(Signature s) : sig(std::move(s)), hash(sig.hash()) {}
  Signature sig;
  std::uint64_t hash;  // sig.hash(), kept here so a probe reads no other cache line
  std::string error;   // why the JIT cannot serve this signature; empty when it can
  abi::CallPlan plan;

  std::once_flag down_once;
  std::shared_ptr<const detail::CallImpl> call;
  std::atomic<bool> call_ready{false};  // `call` is set: hits skip call_once (and its TLS)
  std::once_flag up_once;
  std::unique_ptr<Stub> upcall;
  std::atomic<bool> upcall_ready{false};
  // Entries in memory placed near closure handlers (ExecMemory::near), one per placed memory;
  // the first one's memory also in `placed_first` (set once), so most closures take no lock.
  std::mutex placed_mu;
  std::vector<std::pair<const ExecMemory *, std::unique_ptr<Stub>>> placed_upcalls;
  std::atomic<const ExecMemory *> placed_first{nullptr};
  const Stub *placed_first_stub = nullptr;  // written once, before placed_first

  CacheEntry *next = nullptr;  // bucket chain; fixed before the entry is published
};

class StubCache {
 public:
  // Turns a signature into a plan; abi::classify unless a test supplies its own.
  using Classifier = abi::CallPlan (*)(const Signature &);
  explicit StubCache(Classifier classify = &abi::classify);
  ~StubCache();
  StubCache(const StubCache &) = delete;
  StubCache &operator=(const StubCache &) = delete;

  // The entry for a signature, classified (not compiled). Never fails: an unsupported
  // signature gets an entry with `error` set.
  CacheEntry &entry(const Signature &sig);
  // The prepared downcall; throws UnsupportedError when the JIT cannot serve the signature.
  std::shared_ptr<const detail::CallImpl> downcall(const Signature &sig);
  // The shared closure entry code; throws UnsupportedError likewise.
  const Stub &upcall(const Signature &sig);
  // The same, in `mem` (compiled once per memory): closures placed near their handler.
  const Stub &upcall(const Signature &sig, ExecMemory &mem);

  std::size_t size() const noexcept { return count_.load(std::memory_order_relaxed); }

  // The process-wide cache (never destroyed: its stubs may be called until exit).
  static StubCache &global();

 private:
  static constexpr std::size_t kBuckets = 1 << 14;
  static constexpr std::size_t kLocks = 64;
  CacheEntry *find(std::size_t bucket, std::uint64_t hash, const Signature &sig) const noexcept;
  std::shared_ptr<const detail::CallImpl> handle(const CacheEntry &e) const noexcept;
  Classifier classify_;
  bool immortal_ = false;  // global(): entries live until exit, handles need no reference count
  std::unique_ptr<std::atomic<CacheEntry *>[]> buckets_;
  std::mutex locks_[kLocks];  // writers only, striped by bucket
  std::atomic<std::size_t> count_{0};
};

}  // namespace jitffi::jit
