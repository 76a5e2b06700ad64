// Executable memory: dual-mapped JitAllocator, or RW pages flipped to RX (never rwx).
#include "jit/exec_memory.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "jitffi/types.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>  // client requests: a few no-op instructions outside valgrind
#define JITFFI_HAVE_VALGRIND_H 1
#endif
#endif

namespace jitffi::jit {

using asmjit::JitAllocator;
using asmjit::JitAllocatorOptions;
namespace VirtMem = asmjit::VirtMem;

namespace {

#if defined(__aarch64__)
// Writes `mov w0, #value; ret` at rw, flushes the instruction cache at rx and runs it.
int write_and_run(void *rx, void *rw, std::uint16_t value) {
  const std::uint32_t code[2] = {0x52800000u | (std::uint32_t(value) << 5), 0xD65F03C0u};
  std::memcpy(rw, code, sizeof code);
  VirtMem::flushInstructionCache(rx, sizeof code);
  return reinterpret_cast<int (*)()>(rx)();
}

bool rewrite_runs(void *rx, void *rw) {
  return write_and_run(rx, rw, 1) == 1 && write_and_run(rx, rw, 2) == 2;
}
#endif

constexpr std::uint64_t kGiB = std::uint64_t(1) << 30;
// Code this close counts as near: measured, 64 GiB apart runs as fast as 64 MiB, 128 GiB does not.
constexpr std::uint64_t kNear = 16 * kGiB;
// near() keeps one placed instance per window of this many address bits: every address in a
// window is within 32 GiB + kNear of the instance's code.
constexpr unsigned kWindowBits = 35;
constexpr std::size_t kChunk = 64 * 1024;  // a placed mapping: 2048 closure trampolines
constexpr std::size_t kGranule = 32;       // closure trampolines are 23 bytes

std::uint64_t distance(const void *a, const void *b) {
  const auto x = reinterpret_cast<std::uintptr_t>(a), y = reinterpret_cast<std::uintptr_t>(b);
  return x > y ? x - y : y - x;
}

std::unique_ptr<JitAllocator> make_dual_allocator(std::atomic<const void *> &sample) {
  JitAllocator::CreateParams params{};
  params.options = JitAllocatorOptions::kUseDualMapping;
  params.granularity = 32;  // closure trampolines are 23 bytes
  auto a = std::make_unique<JitAllocator>(&params);
  // Probe once: dual mapping needs memfd/shm, which a sandbox may refuse.
  void *rx = nullptr, *rw = nullptr;
  if (a->alloc(&rx, &rw, 32) != asmjit::kErrorOk || rx == rw) return nullptr;
  sample.store(rx, std::memory_order_relaxed);
#if defined(__aarch64__)
  // Code rewritten through the RW view must run after the cache flush on the RX view. qemu-user
  // (7.2) does not honour that for an alias: it keeps running the first translation of the RX
  // page. Rewrite a probe once and use dual mapping only where the new code runs.
  const bool coherent = rewrite_runs(rx, rw);
  a->release(rx);
  if (!coherent) return nullptr;
#else
  a->release(rx);
#endif
  return a;
}

// JITFFI_NO_DUAL_MAP=1 (any value but empty or "0"): no writable view of code at all. Every block
// gets pages of its own, written while RW and made RX before first use (docs/security.md).
bool dual_mapping_forbidden() {
  static const bool forbidden = [] {
    const char *v = secure_getenv("JITFFI_NO_DUAL_MAP");
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  }();
  return forbidden;
}

std::size_t page_round(std::size_t n) {
  const std::size_t page = VirtMem::info().pageGranularity;
  return (n + page - 1) / page * page;
}

}  // namespace

ExecMemory::ExecMemory(Mode preferred) : mode_(Mode::Mprotect) {
  if (preferred == Mode::DualMapping) {
    alloc_ = make_dual_allocator(sample_);
    if (alloc_) mode_ = Mode::DualMapping;
  }
}

ExecMemory::~ExecMemory() {
  for (auto &[rx, size] : pages_) VirtMem::release(rx, size);
  for (const Chunk &c : chunks_) munmap(c.rx, c.size), munmap(c.rw, c.size);
}

ExecMemory::Block ExecMemory::alloc(std::size_t size) {
  Block b;
  b.size = size;
  if (near_) {
    const std::size_t units = std::max<std::size_t>(1, (size + kGranule - 1) / kGranule);
    std::lock_guard<std::mutex> lock(mu_);
    Chunk *c = nullptr;
    // A released block of this size, else the smallest larger one, split (so blocks freed by
    // evicted stubs of other sizes are reused before the chunk grows).
    std::size_t from = units;
    while (from < free_.size() && free_[from].empty()) ++from;
    if (from < free_.size()) {
      const Free f = free_[from].back();
      free_[from].pop_back();
      b.rx = f.rx;
      b.rw = f.rw;
      c = &chunk_of(b.rx);
      if (from > units) {
        const std::size_t at = units * kGranule;
        try {
          free_[from - units].push_back(
              {static_cast<std::uint8_t *>(f.rx) + at, static_cast<std::uint8_t *>(f.rw) + at});
        } catch (...) {  // out of memory: the rest of the block is lost, not handed out twice
        }
      }
    } else {
      if (chunks_.back().size - chunks_.back().used < units * kGranule && !add_chunk(size))
        throw Error("jitffi: out of executable memory (" + std::to_string(size) + " bytes)");
      c = &chunks_.back();
      b.rx = c->rx + c->used;
      b.rw = c->rw + c->used;
      c->used += units * kGranule;
    }
    c->units[(static_cast<std::uint8_t *>(b.rx) - c->rx) / kGranule] = std::uint32_t(units);
    return b;
  }
  if (mode_ == Mode::DualMapping) {
    if (alloc_->alloc(&b.rx, &b.rw, size) != asmjit::kErrorOk)
      throw Error("jitffi: out of executable memory (" + std::to_string(size) + " bytes)");
    return b;
  }
  const std::size_t mapped = page_round(size);
  void *p = nullptr;
  if (VirtMem::alloc(&p, mapped, VirtMem::MemoryFlags::kAccessRW) != asmjit::kErrorOk)
    throw Error("jitffi: cannot map " + std::to_string(mapped) + " bytes for code");
  {
    std::lock_guard<std::mutex> lock(mu_);
    pages_.emplace(p, mapped);
  }
  b.rx = b.rw = p;
  sample_.store(p, std::memory_order_relaxed);
  return b;
}

void *ExecMemory::commit(const Block &b) {
  if (mode_ == Mode::Mprotect) {
    std::size_t mapped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      mapped = pages_.at(b.rx);
    }
    // RW -> RX: from here on the pages are never writable again.
    if (VirtMem::protect(b.rx, mapped, VirtMem::MemoryFlags::kAccessRX) != asmjit::kErrorOk) {
      release(b.rx);
      throw Error("jitffi: cannot make code pages executable (mprotect refused)");
    }
  }
  VirtMem::flushInstructionCache(b.rx, b.size);
#if JITFFI_HAVE_VALGRIND_H
  // Valgrind does not see a write through the RW view change the code at rx: a reused block
  // (a closure's trampoline after another closure's) would run the old code's translation.
  VALGRIND_DISCARD_TRANSLATIONS(b.rx, b.size);
#endif
  return b.rx;
}

void ExecMemory::release(void *rx) noexcept {
  if (!rx) return;
  if (near_) {  // kept for the next block of the same size (the mappings stay until exit)
    std::lock_guard<std::mutex> lock(mu_);
    for (Chunk &c : chunks_) {
      if (rx < static_cast<void *>(c.rx) || rx >= static_cast<void *>(c.rx + c.used)) continue;
      const std::size_t at = std::size_t(static_cast<std::uint8_t *>(rx) - c.rx);
      const std::uint32_t units = c.units[at / kGranule];
      if (at % kGranule || units == 0) return;  // not a live block
      try {
        if (free_.size() <= units) free_.resize(units + 1);
        free_[units].push_back({rx, c.rw + at});
      } catch (...) {  // out of memory: the block is lost, not handed out twice
      }
      c.units[at / kGranule] = 0;
      return;
    }
    return;
  }
  if (mode_ == Mode::DualMapping) {
    alloc_->release(rx);
    return;
  }
  std::size_t mapped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pages_.find(rx);
    if (it == pages_.end()) return;
    mapped = it->second;
    pages_.erase(it);
  }
  VirtMem::release(rx, mapped);
}

ExecMemory::Usage ExecMemory::usage() {
  Usage u;
  std::lock_guard<std::mutex> lock(mu_);
  if (near_) {
    for (const Chunk &c : chunks_) {
      u.mapped += c.size;
      for (std::size_t k = 0; k < c.used / kGranule; ++k) u.used += c.units[k] * kGranule;
    }
  } else if (mode_ == Mode::DualMapping) {
    const JitAllocator::Statistics s = alloc_->statistics();
    u.used = s.usedSize();
    u.mapped = s.reservedSize();
  } else {
    for (const auto &[rx, size] : pages_) u.used += size, u.mapped += size;
  }
  return u;
}

ExecMemory &ExecMemory::global() {
  // Leaked on purpose: cached stubs may be called by static destructors of other objects.
  static ExecMemory *mem =
      new ExecMemory(dual_mapping_forbidden() ? Mode::Mprotect : Mode::DualMapping);
  return *mem;
}

const std::string &ExecMemory::refused() noexcept {
  static const std::string *why = [] {
    try {
      ExecMemory &mem = global();
      Block b = mem.alloc(16);
      std::memset(b.rw, 0xc3, b.size);  // never run: only whether the pages can be executable
      mem.release(mem.commit(b));
      return new std::string;
    } catch (const std::exception &ex) {
      return new std::string(ex.what());
    } catch (...) {
      return new std::string("unknown error while mapping code");
    }
  }();
  return *why;
}

ExecMemory &ExecMemory::near(const void *code) {
  ExecMemory &g = global();
#if defined(__x86_64__)
  if (g.mode() != Mode::DualMapping) return g;  // placed memories are dual mappings
  const void *at = g.sample_.load(std::memory_order_relaxed);
  if (!at) at = reinterpret_cast<const void *>(&ExecMemory::global);  // our library's text
  if (!code || distance(code, at) < kNear) return g;
  const std::uintptr_t window = reinterpret_cast<std::uintptr_t>(code) >> kWindowBits;
  // This thread's last answer (placed memories live until exit): no lock on the common path.
  thread_local std::uintptr_t t_window = ~std::uintptr_t(0);
  thread_local ExecMemory *t_mem = nullptr;
  if (window == t_window) return *t_mem;
  static std::mutex mu;
  static auto *placed = new std::vector<std::pair<std::uintptr_t, ExecMemory *>>;  // leaked
  std::lock_guard<std::mutex> lock(mu);
  ExecMemory *m = nullptr;
  for (const auto &[w, mem] : *placed)
    if (w == window) m = mem;
  if (!m) {
    m = new ExecMemory(code);
    if (m->chunks_.empty()) {  // no memfd, or no room near `code`: the shared memory then
      delete m;
      m = &g;
    }
    placed->emplace_back(window, m);
  }
  t_window = window;
  t_mem = m;
  return *m;
#else
  (void)code;
  return g;
#endif
}

ExecMemory::ExecMemory(const void *near) : mode_(Mode::DualMapping), near_(near) {
  add_chunk(kChunk);
}

ExecMemory::Chunk &ExecMemory::chunk_of(const void *rx) {
  for (Chunk &c : chunks_)
    if (rx >= static_cast<void *>(c.rx) && rx < static_cast<void *>(c.rx + c.size)) return c;
  std::abort();  // a block of ours is always in one of our chunks
}

bool ExecMemory::add_chunk(std::size_t at_least) {
  const std::size_t size = std::max(kChunk, page_round(at_least));
  const int fd = memfd_create("jitffi-code", MFD_CLOEXEC);
  if (fd < 0) return false;
  void *rx = nullptr, *rw = MAP_FAILED;
  if (ftruncate(fd, off_t(size)) == 0) {
    rx = map_near(size, PROT_READ | PROT_EXEC, MAP_SHARED, fd);
    if (rx) rw = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd);  // the mappings keep the memory
  if (rw == MAP_FAILED) {
    if (rx) munmap(rx, size);
    return false;
  }
  try {
    std::unique_ptr<std::uint32_t[]> units(new std::uint32_t[size / kGranule]());
    chunks_.push_back({static_cast<std::uint8_t *>(rx), static_cast<std::uint8_t *>(rw), size, 0,
                       std::move(units)});
  } catch (...) {
    munmap(rx, size);
    munmap(rw, size);
    return false;
  }
  sample_.store(rx, std::memory_order_relaxed);
  return true;
}

void *ExecMemory::map_near(std::size_t size, int prot, int flags, int fd) const {
  // A hint is taken when the range is free. First right below the lowest chunk and right above
  // the highest (the placed memory grows as one run), then 1 to 8 GiB from the code, below it
  // first: a program's heap grows up from the end of its data.
  std::uintptr_t hints[3 + 11];
  std::size_t n = 0;
  if (!chunks_.empty()) {
    auto lo = reinterpret_cast<std::uintptr_t>(chunks_.front().rx);
    auto hi = reinterpret_cast<std::uintptr_t>(chunks_.front().rx + chunks_.front().size);
    for (const Chunk &c : chunks_) {
      lo = std::min(lo, reinterpret_cast<std::uintptr_t>(c.rx));
      hi = std::max(hi, reinterpret_cast<std::uintptr_t>(c.rx + c.size));
    }
    if (lo > size) hints[n++] = lo - size;
    hints[n++] = hi;
  }
  // Then right below the image (program or library) holding the code: on Zen 5 a closure within
  // a megabyte of its caller and handler ran as fast as a hand-written thunk in the program's
  // text, at 64 MiB and beyond a cycle slower (docs/performance.md, "Closures on Zen 5").
  Dl_info info;
  if (dladdr(near_, &info) && info.dli_fbase) {
    const auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
    if (base > size + kChunk) hints[n++] = (base - size) & ~std::uintptr_t(kChunk - 1);
  }
  const auto at = reinterpret_cast<std::uintptr_t>(near_) & ~std::uintptr_t(kGiB - 1);
  for (int step : {-1, -2, -3, -4, -6, -8, 2, 3, 4, 6, 8}) {
    const std::uint64_t d = std::uint64_t(step < 0 ? -step : step) * kGiB;
    if (step < 0 && at < d + kGiB) continue;
    hints[n++] = step < 0 ? at - d : at + d;
  }
  for (std::size_t k = 0; k < n; ++k) {
    void *p = mmap(reinterpret_cast<void *>(hints[k]), size, prot, flags, fd, 0);
    if (p == MAP_FAILED) continue;
    if (distance(p, near_) < kNear) return p;
    munmap(p, size);
  }
  return nullptr;
}

}  // namespace jitffi::jit
