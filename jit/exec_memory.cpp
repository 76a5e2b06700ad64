// Executable memory: dual-mapped JitAllocator, or RW pages flipped to RX (never rwx).
#include "jit/exec_memory.h"

#include <cstdint>
#include <cstring>

#include "jitffi/types.h"

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

std::unique_ptr<JitAllocator> make_dual_allocator() {
  JitAllocator::CreateParams params{};
  params.options = JitAllocatorOptions::kUseDualMapping;
  params.granularity = 32;  // closure trampolines are 23 bytes
  auto a = std::make_unique<JitAllocator>(&params);
  // Probe once: dual mapping needs memfd/shm, which a sandbox may refuse.
  void *rx = nullptr, *rw = nullptr;
  if (a->alloc(&rx, &rw, 32) != asmjit::kErrorOk || rx == rw) return nullptr;
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

std::size_t page_round(std::size_t n) {
  const std::size_t page = VirtMem::info().pageGranularity;
  return (n + page - 1) / page * page;
}

}  // namespace

ExecMemory::ExecMemory(Mode preferred) : mode_(Mode::Mprotect) {
  if (preferred == Mode::DualMapping) {
    alloc_ = make_dual_allocator();
    if (alloc_) mode_ = Mode::DualMapping;
  }
}

ExecMemory::~ExecMemory() {
  for (auto &[rx, size] : pages_) VirtMem::release(rx, size);
}

ExecMemory::Block ExecMemory::alloc(std::size_t size) {
  Block b;
  b.size = size;
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
  return b.rx;
}

void ExecMemory::release(void *rx) noexcept {
  if (!rx) return;
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

ExecMemory &ExecMemory::global() {
  // Leaked on purpose: cached stubs may be called by static destructors of other objects.
  static ExecMemory *mem = new ExecMemory(Mode::DualMapping);
  return *mem;
}

}  // namespace jitffi::jit
