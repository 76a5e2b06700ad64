// Executable memory with W^X: no page is ever writable and executable at once.
//
// Preferred: an asmjit JitAllocator with dual mapping, which maps the same memory twice, once
// read+write (where code is written) and once read+execute (where it runs). Where the system
// refuses dual mapping, each block gets its own pages, written while RW and flipped to RX with
// mprotect before first use. A JitRuntime or a single-mapped JitAllocator would map rwx pages.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <asmjit/core.h>

namespace jitffi::jit {

class ExecMemory {
 public:
  enum class Mode { DualMapping, Mprotect };

  // A block being written: bytes go to rw, code runs at rx (same address in Mprotect mode).
  struct Block {
    void *rx = nullptr;
    void *rw = nullptr;
    std::size_t size = 0;
  };

  // DualMapping falls back to Mprotect when the system refuses dual mapping.
  explicit ExecMemory(Mode preferred = Mode::DualMapping);
  ~ExecMemory();
  ExecMemory(const ExecMemory &) = delete;
  ExecMemory &operator=(const ExecMemory &) = delete;

  Mode mode() const noexcept { return mode_; }

  // Reserves `size` bytes (writable through rw). Throws jitffi::Error when out of memory.
  Block alloc(std::size_t size);
  // Makes the written block executable (and never writable again in Mprotect mode); returns rx.
  void *commit(const Block &block);
  // Frees a block by its rx address.
  void release(void *rx) noexcept;

  // The process-wide instance used by the JIT back end (never destroyed: stubs live until exit).
  static ExecMemory &global();

 private:
  Mode mode_;
  std::unique_ptr<asmjit::JitAllocator> alloc_;
  std::mutex mu_;  // Mprotect mode: rx -> mapped size
  std::unordered_map<void *, std::size_t> pages_;
};

}  // namespace jitffi::jit
