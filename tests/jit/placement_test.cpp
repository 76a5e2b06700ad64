// Closure code placed near its handler (ExecMemory::near): where it lands, that it runs, unwinds
// and keeps W^X, and that released blocks are reused.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "jit/closure.h"
#include "jit/exec_memory.h"
#include "jit/stub.h"
#include "jit/stub_cache.h"
#include "jitffi/backend.h"
#include "jitffi/signature.h"

namespace jitffi::test {
namespace {

using jit::ExecMemory;

std::uint64_t distance(const void *a, const void *b) {
  const auto x = reinterpret_cast<std::uintptr_t>(a), y = reinterpret_cast<std::uintptr_t>(b);
  return x > y ? x - y : y - x;
}

constexpr std::uint64_t kGiB = std::uint64_t(1) << 30;

// A handler in this test program (the main executable, far from the shared libraries on a PIE
// build).
void add_handler(void *ret, void **args, void *user_data) {
  *static_cast<std::int64_t *>(ret) =
      *static_cast<int *>(args[0]) + *static_cast<int *>(args[1]) + *static_cast<int *>(user_data);
}

void throwing_handler(void *, void **, void *) {
  throw std::runtime_error("from a placed closure");
}

// Lines of /proc/self/maps with both w and x.
std::vector<std::string> rwx_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::vector<std::string> bad;
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') bad.push_back(line);
  }
  return bad;
}

const void *handler_address(ClosureHandler h) {
  return reinterpret_cast<const void *>(h);
}

// A closure through the JIT back end, as jitffi::Closure makes it.
std::unique_ptr<detail::ClosureImpl> closure(const char *sig, ClosureHandler h, void *user_data) {
  return detail::jit_backend()->make_closure(Signature::parse(sig), h, user_data);
}

using AddFn = int (*)(int, int);

TEST(Placement, ClosureCodeRunsNearItsHandler) {
  int bias = 100;
  auto c = closure("i32(i32,i32)", &add_handler, &bias);
  EXPECT_EQ(reinterpret_cast<AddFn>(c->code())(3, 4), 107);
#if defined(__x86_64__)
  // The trampoline, and the entry it jumps to, within 16 GiB of the handler.
  EXPECT_LT(distance(c->code(), handler_address(&add_handler)), 16 * kGiB) << c->code();
  const auto entry = jit::StubCache::global().upcall(
      Signature::parse("i32(i32,i32)"), ExecMemory::near(handler_address(&add_handler)));
  EXPECT_LT(distance(entry->code(), handler_address(&add_handler)), 16 * kGiB) << entry->code();
#endif
}

#if defined(__x86_64__)
// The placed memory starts right below the image that holds the handler (on Zen 5 code within a
// megabyte of its caller ran as fast as the program's own text, 64 MiB away a cycle slower). The
// gap below a PIE program's text is free on Linux, where mmap puts everything else far above.
TEST(Placement, ClosureCodeLandsRightBelowTheProgram) {
  int bias = 1;
  auto c = closure("i32(i32,i32)", &add_handler, &bias);
  Dl_info info;
  ASSERT_NE(dladdr(handler_address(&add_handler), &info), 0);
  const auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  const auto code = reinterpret_cast<std::uintptr_t>(c->code());
  EXPECT_LT(code, base) << c->code() << " vs the image at " << info.dli_fbase;
  EXPECT_LT(base - code, std::uintptr_t(64) << 20) << c->code() << " vs " << info.dli_fbase;
  EXPECT_EQ(reinterpret_cast<AddFn>(c->code())(3, 4), 8);
}

// The x86-64 trampoline: `mov reg, context` then a rel32 jump when the entry is within reach of
// where the trampoline runs, else `mov r11, entry; jmp r11`.
TEST(Placement, TrampolineJumpsRel32WhenInReach) {
  unsigned char buf[jit::x64::kTrampolineSize];
  const auto ctx = reinterpret_cast<const void *>(std::uintptr_t{0x1122334455667788});
  const auto rx = reinterpret_cast<const void *>(std::uintptr_t{0x7f0000001000});
  const auto near_entry = reinterpret_cast<const void *>(std::uintptr_t{0x7f0000000040});
  jit::x64::write_trampoline(buf, rx, ctx, near_entry);
  const unsigned char mov_r10[] = {0x49, 0xBA, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
  EXPECT_EQ(std::vector<unsigned char>(buf, buf + 10),
            std::vector<unsigned char>(mov_r10, mov_r10 + 10));
  EXPECT_EQ(buf[10], 0xE9);
  std::int32_t rel;
  std::memcpy(&rel, buf + 11, 4);
  EXPECT_EQ(rel, 0x40 - (0x1000 + 15));
  // 4 GiB away: the absolute form.
  const auto far_entry = reinterpret_cast<const void *>(std::uintptr_t{0x7f0100001000});
  jit::x64::write_trampoline(buf, rx, ctx, far_entry);
  const unsigned char tail[] = {0x49, 0xBB, 0x00, 0x10, 0x00, 0x00, 0x01,
                                0x7f, 0x00, 0x00, 0x41, 0xFF, 0xE3};
  EXPECT_EQ(std::vector<unsigned char>(buf + 10, buf + 23),
            std::vector<unsigned char>(tail, tail + 13));
  // Another register for a typed closure's user_data: rdx (48 BA), r8 (49 B8).
  jit::x64::write_trampoline(buf, rx, ctx, near_entry, 2);
  EXPECT_EQ(buf[0], 0x48);
  EXPECT_EQ(buf[1], 0xBA);
  jit::x64::write_trampoline(buf, rx, ctx, near_entry, 8);
  EXPECT_EQ(buf[0], 0x49);
  EXPECT_EQ(buf[1], 0xB8);
}
#endif

TEST(Placement, MemoryNearTheLibraryIsTheSharedOne) {
  // Code the global memory already runs near (its own blocks) gets the global memory back.
  ExecMemory &g = ExecMemory::global();
  ExecMemory::Block b = g.alloc(16);
  EXPECT_EQ(&ExecMemory::near(b.rx), &g);
  g.release(b.rx);
  EXPECT_EQ(&ExecMemory::near(nullptr), &g);
}

TEST(Placement, OneMemoryPerPartOfTheAddressSpace) {
  const void *h = handler_address(&add_handler);
  ExecMemory &a = ExecMemory::near(h);
  const void *next = static_cast<const char *>(h) + 4096;
  EXPECT_EQ(&ExecMemory::near(next), &a);
#if defined(__x86_64__)
  if (&a != &ExecMemory::global()) {
    EXPECT_EQ(a.mode(), ExecMemory::Mode::DualMapping);
    ExecMemory::Block b = a.alloc(40);
    EXPECT_NE(b.rx, b.rw);  // two views: written through rw, run at rx
    EXPECT_LT(distance(b.rx, h), 16 * kGiB);
    a.release(b.rx);
  }
#endif
}

TEST(Placement, ReleasedBlocksAreReused) {
  ExecMemory &m = ExecMemory::near(handler_address(&add_handler));
  if (&m == &ExecMemory::global()) GTEST_SKIP() << "no placed memory on this host";
  std::set<void *> first;
  std::vector<void *> blocks;
  for (int i = 0; i < 64; ++i) blocks.push_back(m.alloc(23).rx);
  first.insert(blocks.begin(), blocks.end());
  EXPECT_EQ(first.size(), blocks.size());  // all distinct
  for (void *rx : blocks) m.release(rx);
  for (int i = 0; i < 64; ++i) {
    void *rx = m.alloc(23).rx;
    EXPECT_EQ(first.count(rx), 1u) << "block " << i << " not reused";
    blocks[std::size_t(i)] = rx;
  }
  for (void *rx : blocks) m.release(rx);
}

TEST(Placement, ReleasedBlocksOfOtherSizesAreSplitAndReused) {
  // Evicted entries free blocks of every size: a smaller block comes out of a larger free one
  // instead of growing the memory.
  ExecMemory &m = ExecMemory::near(handler_address(&add_handler));
  if (&m == &ExecMemory::global()) GTEST_SKIP() << "no placed memory on this host";
  auto *big = static_cast<std::uint8_t *>(m.alloc(200 * 32).rx);  // sizes no other test uses
  m.release(big);
  const std::size_t mapped = m.usage().mapped;
  auto *a = static_cast<std::uint8_t *>(m.alloc(150 * 32).rx);
  auto *b = static_cast<std::uint8_t *>(m.alloc(50 * 32 - 5).rx);
  EXPECT_EQ(a, big);
  EXPECT_EQ(b, big + 150 * 32);
  EXPECT_EQ(m.usage().mapped, mapped);
  m.release(a);
  m.release(b);
}

TEST(Placement, GrowsPastManyChunksAndStaysNear) {
  // Every new chunk is mapped next to the previous ones: 48 blocks of 64 KiB (a chunk each),
  // 3 MiB in all, stay within 16 GiB of the code (the differential suite's 5,000 entries once
  // ran out of places to put chunks).
  const void *h = handler_address(&add_handler);
  ExecMemory &m = ExecMemory::near(h);
  if (&m == &ExecMemory::global()) GTEST_SKIP() << "no placed memory on this host";
  std::vector<void *> blocks;
  for (int i = 0; i < 48; ++i) {
    ExecMemory::Block b = m.alloc(64 * 1024);
    EXPECT_LT(distance(b.rx, h), 16 * kGiB) << i;
    static_cast<unsigned char *>(b.rw)[0] = 0xC3;  // ret, through the writable view
    m.commit(b);
    EXPECT_EQ(*static_cast<const unsigned char *>(b.rx), 0xC3) << i;  // seen through the other
    blocks.push_back(b.rx);
  }
  EXPECT_EQ(std::set<void *>(blocks.begin(), blocks.end()).size(), blocks.size());
  for (void *rx : blocks) m.release(rx);
}

TEST(Placement, NoMappingIsWritableAndExecutable) {
  std::vector<std::unique_ptr<detail::ClosureImpl>> many;
  int bias = 1;
  for (int i = 0; i < 200; ++i) many.push_back(closure("i32(i32,i32)", &add_handler, &bias));
  EXPECT_TRUE(rwx_mappings().empty()) << rwx_mappings()[0];
  for (auto &c : many) EXPECT_EQ(reinterpret_cast<AddFn>(c->code())(1, 2), 4);
}

TEST(Placement, ExceptionsUnwindThroughAPlacedEntry) {
  auto c = closure("i32(i32,i32)", &throwing_handler, nullptr);
  EXPECT_THROW(reinterpret_cast<AddFn>(c->code())(1, 2), std::runtime_error);
}

TEST(Placement, ManySignaturesShareOnePlacedMemory) {
  // Entries for several signatures, each compiled once in the placed memory.
  const char *sigs[] = {"i32(i32,i32)", "f64(f64,i32)", "void(ptr)",
                        "i64(i64,i64,i64,i64,i64,i64,i64)"};
  for (const char *text : sigs) {
    Signature sig = Signature::parse(text);
    ExecMemory &m = ExecMemory::near(handler_address(&add_handler));
    const auto a = jit::StubCache::global().upcall(sig, m);
    const auto b = jit::StubCache::global().upcall(sig, m);
    EXPECT_EQ(a.get(), b.get()) << text;
  }
}

}  // namespace
}  // namespace jitffi::test
