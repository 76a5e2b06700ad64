// Executable memory with W^X: no page is ever writable and executable at once.
//
// Preferred: an asmjit JitAllocator with dual mapping, which maps the same memory twice, once
// read+write (where code is written) and once read+execute (where it runs). Where the system
// refuses dual mapping, each block gets its own pages, written while RW and flipped to RX with
// mprotect before first use. A JitRuntime or a single-mapped JitAllocator would map rwx pages.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

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

  // Bytes in live blocks, and bytes mapped for code (each counted once, not per view).
  struct Usage {
    std::size_t used = 0;
    std::size_t mapped = 0;
  };
  Usage usage();

  // The process-wide instance used by the JIT back end (never destroyed: stubs live until exit).
  // Mprotect mode when the environment has JITFFI_NO_DUAL_MAP=1 (no writable view of any code).
  static ExecMemory &global();

  // Why this process cannot run code it writes (a seccomp filter or SELinux deny_execmem refusing
  // PROT_EXEC), or empty when it can: probed once, with one small block of global().
  static const std::string &refused() noexcept;

  // Memory whose code runs within a few GiB of `code`: global() when it already is, else an
  // instance of its own for that part of the address space (never destroyed either).
  //
  // Why: on x86-64 (measured on Zen 4) a call or return between code 128 GiB or more apart costs
  // ~0.5-0.8 ns more than one within 64 GiB, whatever the instructions. mmap puts JIT code next
  // to the shared libraries, ~40 TiB from a PIE program's own text, so a closure whose caller
  // and handler are in the program paid that twice per call (docs/performance.md). A closure's
  // trampoline and its entry are therefore placed near the handler. Other ISAs, and global() in
  // Mprotect mode: global().
  static ExecMemory &near(const void *code);

 private:
  struct Chunk {  // placed dual mapping: one memfd, mapped RX (placed) and RW (anywhere)
    std::uint8_t *rx;
    std::uint8_t *rw;
    std::size_t size;
    std::size_t used;
    std::unique_ptr<std::uint32_t[]> units;  // per 32-byte granule: a live block's size there
  };
  struct Free {
    void *rx;
    void *rw;
  };
  explicit ExecMemory(const void *near);  // a placed instance (near())
  bool add_chunk(std::size_t at_least);   // false when it cannot map near near_
  Chunk &chunk_of(const void *rx);        // the chunk holding a block of ours
  void *map_near(std::size_t size, int prot, int flags, int fd) const;

  Mode mode_;
  std::unique_ptr<asmjit::JitAllocator> alloc_;
  std::mutex mu_;  // Mprotect mode: rx -> mapped size; placed dual mapping: chunks, free lists
  std::unordered_map<void *, std::size_t> pages_;
  std::atomic<const void *> sample_{nullptr};  // an address this memory's code runs at
  // Placed instances (near()): own dual mappings within a few GiB of near_.
  const void *near_ = nullptr;
  std::vector<Chunk> chunks_;
  std::vector<std::vector<Free>> free_;  // released blocks by size in granules
};

}  // namespace jitffi::jit
