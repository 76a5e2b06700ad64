// W^X executable memory, the stub cache under concurrency, the back end, and the perf map.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "jit/closure.h"
#include "jit/exec_memory.h"
#include "jit/perf_map.h"
#include "jit/stub.h"
#include "jit/stub_cache.h"
#include "plans.h"
#include "targets.h"

namespace jitffi::test {
namespace {

using jit::ExecMemory;
using jit::JitClosure;
using jit::Stub;
using jit::StubCache;
using jit::StubKind;

TypeRef t(TypeKind k) {
  return Type::scalar(k);
}

// Mappings that are writable and executable at once, as /proc/self/maps lines.
std::vector<std::string> rwx_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::vector<std::string> bad;
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') bad.push_back(line);
  }
  return bad;
}

void add_handler(void *ret, void **args, void *) {
  std::int32_t a, b;
  std::memcpy(&a, args[0], 4);
  std::memcpy(&b, args[1], 4);
  const std::int32_t r = t_add(a, b);
  std::memcpy(ret, &r, 4);
}

// Makes stubs and closures in `mem` from several threads while another scans the mappings.
void no_rwx_while_creating(ExecMemory &mem) {
  ASSERT_TRUE(rwx_mappings().empty()) << rwx_mappings()[0];
  std::atomic<bool> stop{false};
  std::atomic<int> scans{0}, made{0};
  std::vector<std::string> seen;
  std::thread scanner([&] {
    while (!stop.load()) {
      auto bad = rwx_mappings();
      if (!bad.empty() && seen.empty()) seen = bad;
      ++scans;
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 60; ++i) {
        Stub down(plan_add(), StubKind::Downcall, "wx", nullptr, mem);
        Stub up(i % 2 ? plan_add() : wplan_add(), StubKind::Upcall, "wx-up", nullptr, mem);
        std::int32_t a = i, b = 1;
        void *args[] = {&a, &b};
        std::int64_t r = 0;
        reinterpret_cast<RawCall>(down.code())(reinterpret_cast<void *>(&t_add), &r, args);
        if (r != i * 3 + 1) std::abort();
        for (int k = 0; k < 5; ++k) {
          JitClosure c(up.code(), &add_handler, nullptr, mem);
          using Fn = std::int32_t (*)(std::int32_t, std::int32_t);
          using WFn = MS std::int32_t (*)(std::int32_t, std::int32_t);
          const std::int32_t got = i % 2 ? call_add(reinterpret_cast<Fn>(c.code()), k, 2)
                                         : wcall_add(reinterpret_cast<WFn>(c.code()), k, 2);
          if (got != k * 3 + 2) std::abort();
          ++made;
        }
      }
    });
  }
  for (auto &w : workers) w.join();
  // Keep scanning a little after the last write so that late mappings are seen too.
  const int target = scans.load() + 3;
  while (scans.load() < target) std::this_thread::yield();
  stop = true;
  scanner.join();
  EXPECT_TRUE(seen.empty()) << "rwx mapping: " << seen[0];
  EXPECT_EQ(made.load(), 4 * 60 * 5);
  EXPECT_GT(scans.load(), 3);
  std::printf("[   INFO   ] %d closures and %d stubs made, %d scans of /proc/self/maps\n",
              made.load(), 4 * 60 * 2, scans.load());
}

TEST(ExecMemory, TheScanSeesAnRwxMapping) {
  void *p =
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  // PR_SET_MDWE, SELinux deny_execmem or a seccomp filter refuse rwx: nothing to show the scan.
  if (p == MAP_FAILED && (errno == EPERM || errno == EACCES))
    GTEST_SKIP() << "the kernel refuses an rwx mapping in this process (" << std::strerror(errno)
                 << "), so the scan cannot be shown one";
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  EXPECT_FALSE(rwx_mappings().empty());
  munmap(p, 4096);
  EXPECT_TRUE(rwx_mappings().empty());
}

TEST(ExecMemory, DualMappingIsAvailableHere) {
  EXPECT_EQ(ExecMemory::global().mode(), ExecMemory::Mode::DualMapping);
  ExecMemory::Block b = ExecMemory::global().alloc(64);
  EXPECT_NE(b.rx, b.rw);  // two views of the same memory
  std::memset(b.rw, 0xC3, 64);
  void *rx = ExecMemory::global().commit(b);
  EXPECT_EQ(*static_cast<unsigned char *>(rx), 0xC3);
  reinterpret_cast<void (*)()>(rx)();  // ret
  ExecMemory::global().release(rx);
}

TEST(ExecMemory, NoPageIsWritableAndExecutableWithDualMapping) {
  no_rwx_while_creating(ExecMemory::global());
}

TEST(ExecMemory, NoPageIsWritableAndExecutableWithTheMprotectFallback) {
  ExecMemory mem(ExecMemory::Mode::Mprotect);
  ASSERT_EQ(mem.mode(), ExecMemory::Mode::Mprotect);
  no_rwx_while_creating(mem);
}

// Signatures with hand-built plans: the cache under test classifies through this table.
struct Case {
  Signature sig;
  CallPlan plan;
};
std::vector<Case> &cases() {
  static std::vector<Case> c = [] {
    std::vector<Case> v;
    v.push_back({Signature(Abi::SysV_x64, t(TypeKind::I32), {t(TypeKind::I32), t(TypeKind::I32)}),
                 plan_add()});
    v.push_back({Signature(Abi::SysV_x64, t(TypeKind::F64), {t(TypeKind::F64), t(TypeKind::F64)}),
                 plan_div()});
    v.push_back({Signature(Abi::Win64, t(TypeKind::I32), {t(TypeKind::I32), t(TypeKind::I32)}),
                 wplan_add()});
    // Distinct signatures void(ptr, i64, i64 x k) sharing the void plan's first two pieces.
    for (int k = 0; k < 20; ++k) {
      std::vector<TypeRef> params = {Type::pointer(), t(TypeKind::I64)};
      for (int i = 0; i < k; ++i) params.push_back(t(TypeKind::U64));
      CallPlan p = plan_void();
      for (int i = 0; i < k; ++i) p.args.push_back({8, 8, false, 0});
      p.fixed_count = std::uint32_t(p.args.size());
      v.push_back({Signature(Abi::SysV_x64, Type::void_(), params), p});
    }
    return v;
  }();
  return c;
}
CallPlan table_classify(const Signature &sig) {
  for (const Case &c : cases())
    if (c.sig == sig) return c.plan;
  throw UnsupportedError("no hand-built plan for " + sig.canonical());
}

TEST(StubCache, UnsupportedSignaturesCarryTheReason) {
  StubCache cache(&table_classify);
  const Signature s(Abi::SysV_x64, t(TypeKind::I8), {});
  EXPECT_FALSE(cache.entry(s)->error.empty());
  try {
    cache.downcall(s);
    FAIL();
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("sysv:i8()"), std::string::npos) << e.what();
  }
  const Signature arm(Abi::AAPCS64, t(TypeKind::I32), {});
  EXPECT_THROW(cache.downcall(arm), UnsupportedError);
}

TEST(StubCache, EightThreadsCompileEachSignatureOnce) {
  StubCache cache(&table_classify);
  const auto before = detail::stats().stubs_compiled.load();
  const std::size_t n = cases().size();
  std::vector<std::vector<const detail::CallImpl *>> got(8,
                                                         std::vector<const detail::CallImpl *>(n));
  std::atomic<int> ready{0};
  std::atomic<long> calls{0}, closures{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      ++ready;
      while (ready.load() < 8) {
      }  // start together so that first requests collide
      for (int round = 0; round < 50; ++round) {
        for (std::size_t j = 0; j < n; ++j) {
          const std::size_t i = (j + std::size_t(th) * 3) % n;  // same and different at once
          auto impl = cache.downcall(cases()[i].sig);
          if (round == 0)
            got[th][i] = impl.get();
          else if (got[th][i] != impl.get())
            std::abort();
          if (i == 0) {
            std::int32_t a = round, b = th;
            void *args[] = {&a, &b};
            std::int64_t r = 0;
            impl->raw()(reinterpret_cast<void *>(&t_add), &r, args);
            if (r != round * 3 + th) std::abort();
            ++calls;
          }
        }
        // A closure made, called (sometimes from a thread C created) and freed.
        const auto entry = cache.upcall(cases()[0].sig);
        JitClosure c(entry->code(), &add_handler, nullptr);
        auto fn = reinterpret_cast<std::int32_t (*)(std::int32_t, std::int32_t)>(c.code());
        const std::int32_t r =
            round % 10 == 0 ? call_add_in_c_thread(fn, round, th) : call_add(fn, round, th);
        if (r != round * 3 + th) std::abort();
        ++closures;
      }
    });
  }
  for (auto &t : threads) t.join();
  for (std::size_t i = 0; i < n; ++i)
    for (int th = 1; th < 8; ++th) EXPECT_EQ(got[th][i], got[0][i]) << cases()[i].sig.canonical();
  EXPECT_EQ(cache.size(), n);
  // n downcalls and one upcall entry, each compiled exactly once.
  EXPECT_EQ(detail::stats().stubs_compiled.load() - before, n + 1);
  EXPECT_EQ(calls.load(), 8 * 50);
  EXPECT_EQ(closures.load(), 8 * 50);
}

TEST(Backend, JitBackendServesWhatItCanClassify) {
  detail::Backend *b = detail::jit_backend();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->kind(), BackendKind::Jit);
  const Signature arm(Abi::AAPCS64, t(TypeKind::I32), {t(TypeKind::I32)});
  EXPECT_FALSE(b->supports(arm));
  EXPECT_THROW(b->prepare(arm), UnsupportedError);
  const Signature add(Abi::SysV_x64, t(TypeKind::I32), {t(TypeKind::I32), t(TypeKind::I32)});
  ASSERT_TRUE(b->supports(add));
  auto impl = b->prepare(add);
  EXPECT_EQ(impl->kind(), BackendKind::Jit);
  EXPECT_EQ(impl, b->prepare(add));  // cached
  std::int32_t x = -4, y = 1;
  void *args[] = {&x, &y};
  std::int64_t r = 0;
  impl->raw()(reinterpret_cast<void *>(&t_add), &r, args);
  EXPECT_EQ(r, -11);
  r = 0;
  impl->call(reinterpret_cast<void *>(&t_add), &r, args);
  EXPECT_EQ(r, -11);
  auto c = b->make_closure(add, &add_handler, nullptr);
  EXPECT_EQ(c->kind(), BackendKind::Jit);
  EXPECT_EQ(
      call_add(reinterpret_cast<std::int32_t (*)(std::int32_t, std::int32_t)>(c->code()), 2, 3), 9);
}

TEST(PerfMap, EachStubIsNamedBySignature) {
  setenv("JITFFI_PERF_MAP", "1", 1);
  jit::perf_map_reread();  // read once per process otherwise
  Stub down(plan_add(), StubKind::Downcall, "jitffi:perf-test-down");
  Stub up(plan_add(), StubKind::Upcall, "jitffi-upcall:perf-test-up");
  unsetenv("JITFFI_PERF_MAP");
  jit::perf_map_reread();
  Stub quiet(plan_add(), StubKind::Downcall, "jitffi:perf-test-quiet");
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::set<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.insert(l);
  char want[128];
  std::snprintf(want, sizeof want, "%llx %zx jitffi:perf-test-down",
                (unsigned long long)reinterpret_cast<std::uintptr_t>(down.code()), down.size());
  EXPECT_EQ(lines.count(want), 1u) << want;
  std::snprintf(want, sizeof want, "%llx %zx jitffi-upcall:perf-test-up",
                (unsigned long long)reinterpret_cast<std::uintptr_t>(up.code()), up.size());
  EXPECT_EQ(lines.count(want), 1u) << want;
  for (const std::string &l : lines) EXPECT_EQ(l.find("perf-test-quiet"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace jitffi::test
