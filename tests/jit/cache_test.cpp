// The stub cache's budget (eviction past it, evicted code alive while used) and the code size of
// calls with huge by-value aggregates (copied by a loop).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "abi/call_plan.h"
#include "jit/closure.h"
#include "jit/exec_memory.h"
#include "jit/stub.h"
#include "jit/stub_cache.h"
#include "targets.h"

namespace jitffi::test {
namespace {

using jit::CacheLimits;
using jit::ExecMemory;
using jit::JitClosure;
using jit::Stub;
using jit::StubCache;
using jit::StubKind;

// A distinct signature for each k, served by the JIT, with a small by-value aggregate whose
// copy length varies (so the stubs differ in size too).
Signature nth(std::size_t k) {
  return Signature::parse("i64(i32,f64,{i32[" + std::to_string(k % 97 + 5) + "]},{i" +
                          std::to_string(8 << (k % 4)) + "[" + std::to_string(k / 97 + 1) + "]})");
}

Signature nth_compact(std::size_t k) {  // small signatures, distinct for each k
  return Signature::parse("void(i32,{i8[" + std::to_string(k + 1) + "]})");
}

void add_handler(void *ret, void **args, void *) {
  std::int32_t a, b;
  std::memcpy(&a, args[0], 4);
  std::memcpy(&b, args[1], 4);
  const std::int64_t r = t_add(a, b);
  std::memcpy(ret, &r, 8);
}

TEST(StubCacheBound, ManySignaturesStayWithinTheBudget) {
  CacheLimits lim;
  lim.max_entries = 16;
  lim.max_bytes = 64 * 1024;
  StubCache cache(&abi::classify, lim);
  const ExecMemory::Usage before = ExecMemory::global().usage();
  std::size_t peak_entries = 0, peak_bytes = 0, peak_used = 0;
  for (std::size_t k = 0; k < 3000; ++k) {
    const Signature sig = nth_compact(k);
    auto call = cache.downcall(sig);
    ASSERT_NE(call->raw(), nullptr);
    auto up = cache.upcall(sig);
    peak_entries = std::max(peak_entries, cache.size());
    peak_bytes = std::max(peak_bytes, cache.code_bytes());
    const ExecMemory::Usage u = ExecMemory::global().usage();
    peak_used = std::max(peak_used, u.used > before.used ? u.used - before.used : 0);
  }
  EXPECT_LE(peak_entries, lim.max_entries);
  EXPECT_LE(peak_bytes, lim.max_bytes);
  EXPECT_EQ(cache.pinned(), lim.max_entries / 2);
  EXPECT_GE(cache.evicted(), 3000 - lim.max_entries);
  // The code of the entries held, and of the one in hand, and nothing of the evicted ones.
  EXPECT_LE(peak_used, lim.max_bytes + 16 * 1024) << "exec memory grew with evicted entries";
  const ExecMemory::Usage after = ExecMemory::global().usage();
  EXPECT_LE(after.used, before.used + lim.max_bytes);
  // Freed code is reused or unmapped: the mappings stay as they were, give or take a block.
  EXPECT_LE(after.mapped, before.mapped + 2 * 1024 * 1024)
      << "mapped " << before.mapped << " -> " << after.mapped;
}

TEST(StubCacheBound, ByteBudgetEvictsToo) {
  CacheLimits lim;
  lim.max_entries = 1000;
  lim.max_bytes = 8 * 1024;  // a few stubs' worth: bytes bind long before entries
  StubCache cache(&abi::classify, lim);
  for (std::size_t k = 0; k < 500; ++k) {
    cache.downcall(nth(k));
    ASSERT_LE(cache.code_bytes(), lim.max_bytes) << k;
  }
  EXPECT_LT(cache.size(), 200u);
  EXPECT_GT(cache.evicted(), 300u);
}

TEST(StubCacheBound, EvictedFunctionsAndClosuresKeepWorking) {
  CacheLimits lim;
  lim.max_entries = 4;  // 2 pinned, 2 evictable
  StubCache cache(&abi::classify, lim);
  cache.downcall(nth_compact(1));
  cache.downcall(nth_compact(2));
  ASSERT_EQ(cache.pinned(), 2u);

  const Signature add = Signature::parse("i32(i32,i32)");
  auto call = cache.downcall(add);  // evictable: the handle counts
  auto entry = cache.upcall(add);
  auto closure = std::make_unique<JitClosure>(entry->code(), &add_handler, nullptr,
                                              ExecMemory::global(), entry);
  const void *first = call.get();
  entry.reset();
  // Used entries are passed over while unused ones can go...
  for (std::size_t k = 10; k < 14; ++k) cache.downcall(nth_compact(k));
  EXPECT_EQ(cache.downcall(add).get(), first) << "a used entry was evicted before unused ones";
  // ...but not forever: a run of used entries longer than the scan window pushes it out.
  std::vector<std::shared_ptr<const detail::CallImpl>> held;
  for (std::size_t k = 100; k < 120; ++k) held.push_back(cache.downcall(nth_compact(k)));
  const std::size_t evicted = cache.evicted();
  EXPECT_GT(evicted, 15u);
  EXPECT_NE(cache.downcall(add).get(), first) << "expected a fresh compile after eviction";
  held.clear();
  // The evicted stub and the closure's evicted entry still run.
  for (std::int32_t a : {-5, 7, 1000}) {
    std::int32_t b = 2;
    void *args[] = {&a, &b};
    std::int64_t r = 0;
    call->raw()(reinterpret_cast<void *>(&t_add), &r, args);
    EXPECT_EQ(std::int32_t(r), a * 3 + 2);
    auto fn = reinterpret_cast<std::int32_t (*)(std::int32_t, std::int32_t)>(closure->code());
    EXPECT_EQ(call_add(fn, a, b), t_add(a, b)) << "closure through an evicted entry";
  }
  closure.reset();
  call.reset();  // the last users: the evicted entry's code is freed here (ASan would see a UAF)
}

TEST(StubCacheBound, ThreadsEvictingEachOthersEntriesKeepCallingCorrectly) {
  CacheLimits lim;
  lim.max_entries = 8;  // 4 pinned (the first signatures any thread makes), 4 evictable
  StubCache cache(&abi::classify, lim);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th)
    threads.emplace_back([&, th] {
      for (int round = 0; round < 1500; ++round) {
        // i32(i32,i32,{i8[n]}): t_add ignores the third argument (SysV: it goes to the stack).
        const std::size_t n = std::size_t(round * 7 + th) % 40 + 1;
        const Signature sig = Signature::parse("i32(i32,i32,{i8[" + std::to_string(n) + "]})");
        auto call = cache.downcall(sig);
        auto entry = cache.upcall(sig);
        std::int32_t a = round, b = th;
        char pad[48] = {};
        void *args[] = {&a, &b, pad};
        std::int64_t r = 0;
        call->raw()(reinterpret_cast<void *>(&t_add), &r, args);
        if (std::int32_t(r) != t_add(a, b)) ++bad;
        JitClosure c(entry->code(), &add_handler, nullptr, ExecMemory::global(), entry);
        entry.reset();  // the closure's own reference keeps the entry
        // Called with two: the entry boxes whatever is in the third's registers, unread.
        auto fn = reinterpret_cast<std::int32_t (*)(std::int32_t, std::int32_t)>(c.code());
        if (call_add(fn, a, b) != t_add(a, b)) ++bad;
      }
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(cache.size(), lim.max_entries);
  EXPECT_GT(cache.evicted(), 100u);
}

// ---- huge by-value aggregates -----------------------------------------------------------------

// The bytes every case passes: its first `size` bytes of one pattern.
const Big &pattern() {
  static const Big *h = [] {
    auto *p = new Big;
    for (std::size_t i = 0; i < sizeof p->b; ++i) p->b[i] = static_cast<unsigned char>(i * 7 + 3);
    return p;
  }();
  return *h;
}

// What the C compiler's own by-value call gives: the judge.
std::uint64_t expected(std::size_t size, std::uint64_t seed) {
  if (size == sizeof(Big)) return t_big(pattern(), seed);
  return t_b131(*reinterpret_cast<const B131 *>(pattern().b), seed);
}

struct HugeCase {
  const char *sig;
  void *target;
};

const HugeCase kHugeCases[] = {
    {"win64:u64({u8[60000]},u64)", reinterpret_cast<void *>(&w_big)},
    {"u64({u8[60000]},u64)", reinterpret_cast<void *>(&t_big)},
    {"u64({u8[131]},u64)", reinterpret_cast<void *>(&t_b131)},
    {"win64:u64({u8[131]},u64)", reinterpret_cast<void *>(&w_b131)},
};

TEST(HugeAggregate, LargeArgumentsAreCopiedByALoop) {
  const std::uint64_t seed = 0x1234567;
  for (const HugeCase &c : kHugeCases) {
    const Signature sig = Signature::parse(c.sig);
    const abi::CallPlan plan = abi::classify(sig);
    const std::size_t size = sig.params()[0]->size();
    for (StubKind kind : {StubKind::Downcall, StubKind::Value}) {
      Stub stub(plan, kind, "huge");
      // Unrolled, the copy took ~2.3 bytes of code per byte; a loop keeps the stub small.
      EXPECT_LT(stub.size(), 160u) << c.sig << "\n" << jit::disassemble(plan, kind);
      std::uint64_t s = seed;
      void *args[] = {const_cast<unsigned char *>(pattern().b), &s};
      std::uint64_t got = 0;
      if (kind == StubKind::Downcall)
        reinterpret_cast<RawCall>(stub.code())(c.target, &got, args);
      else
        got = reinterpret_cast<std::uint64_t (*)(void *, void **)>(stub.code())(c.target, args);
      EXPECT_EQ(got, expected(size, seed))
          << c.sig << (kind == StubKind::Value ? " (value entry)" : "");
    }
  }
}

void checksum_handler(void *ret, void **args, void *user) {
  const std::size_t size = *static_cast<const std::size_t *>(user);
  std::uint64_t seed, r;
  std::memcpy(&seed, args[1], 8);
  if (size == sizeof(Big))
    r = t_big(*static_cast<const Big *>(args[0]), seed);
  else
    r = t_b131(*static_cast<const B131 *>(args[0]), seed);
  std::memcpy(ret, &r, 8);
}

TEST(HugeAggregate, ClosuresSeeTheBytes) {
  const std::uint64_t seed = 99;
  StubCache cache;
  for (const HugeCase &c : kHugeCases) {
    const Signature sig = Signature::parse(c.sig);
    std::size_t size = sig.params()[0]->size();
    auto entry = cache.upcall(sig);
    EXPECT_LT(entry->size(), 512u) << c.sig;
    JitClosure cl(entry->code(), &checksum_handler, &size);
    const unsigned char *b = pattern().b;
    std::uint64_t got = 0;
    if (size == sizeof(Big) && sig.abi() == Abi::Win64)
      got = wcall_big(reinterpret_cast<MS std::uint64_t (*)(Big, std::uint64_t)>(cl.code()),
                      reinterpret_cast<const Big *>(b), seed);
    else if (size == sizeof(Big))
      got = call_big(reinterpret_cast<std::uint64_t (*)(Big, std::uint64_t)>(cl.code()),
                     reinterpret_cast<const Big *>(b), seed);
    else if (sig.abi() == Abi::Win64)
      got = wcall_b131(reinterpret_cast<MS std::uint64_t (*)(B131, std::uint64_t)>(cl.code()),
                       reinterpret_cast<const B131 *>(b), seed);
    else
      got = call_b131(reinterpret_cast<std::uint64_t (*)(B131, std::uint64_t)>(cl.code()),
                      reinterpret_cast<const B131 *>(b), seed);
    EXPECT_EQ(got, expected(size, seed)) << c.sig;
  }
}

}  // namespace
}  // namespace jitffi::test
