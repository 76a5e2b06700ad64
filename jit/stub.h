// A piece of generated code for one plan: assembled, placed in W^X memory, given unwind info and
// a perf map entry; freed (and unregistered) on destruction.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "abi/call_plan.h"
#include "jit/exec_memory.h"
#include "jit/unwind.h"

namespace jitffi::jit {

enum class StubKind : std::uint8_t {
  Downcall,  // void stub(void *fn, void *ret, void **args)
  Bound,     // void stub(void *ret, void **args), target fixed
  Upcall,    // shared closure entry, context in r10 (x64) or x9 (a64)
  // The static chain forms (libffi's ffi_call_go and go closures): the context travels in the
  // static chain register, r10 (x64) or x18 (a64).
  ChainDowncall,  // void stub(void *fn, void *ret, void **args, void *chain)
  ChainUpcall,    // shared entry, calls target(ret, args, chain): target is the handler
  // The value and slot entries (jitffi::EntryKind), plain or with errno capture; each counts its
  // calls itself when JITFFI_STATS is on.
  Value,       // R stub(void *fn, void **args)
  Slots,       // R stub(void *fn, const uint64_t *slots)
  ValueErrno,  // Value, swapping errno with the thread's saved copy around the call
  SlotsErrno,
  // A typed closure's code (Closure::typed), in its stack form: `target` is a ClosureContext
  // holding the handler and user_data, both written into the code.
  TypedClosure,
  // The boxed downcall in libffi's ffi_call shape, void stub(cif, fn, ret, args): `target` is a
  // CifGuard (jit/cif_guard.h) saying which cif it serves and where to go for any other.
  CifCall,
};

// A stub's name for the perf map and the JITFFI_DUMP listing: a prefix and the rest ("jitffi:"
// and a signature's canonical text), joined only when printed, so that making a stub builds no
// string. Views: pass it straight to the Stub constructor (which copies nothing it keeps).
struct StubName {
  StubName(std::string_view whole) : rest(whole) {}    // NOLINT: implicit, a name is a string
  StubName(const char *whole) : rest(whole) {}         // NOLINT
  StubName(const std::string &whole) : rest(whole) {}  // NOLINT
  StubName(std::string_view prefix_, std::string_view rest_) : prefix(prefix_), rest(rest_) {}
  std::string str() const { return std::string(prefix) + std::string(rest); }
  std::string_view prefix;
  std::string_view rest;
};

class Stub {
 public:
  // `target`: the callee of a Bound stub, the handler of a ChainUpcall (required for both).
  // `name` goes to the perf map and the JITFFI_DUMP listing. Throws UnsupportedError for a
  // plan the emitter cannot execute, jitffi::Error when assembling or mapping fails.
  // `checked`: the plan passed check_host_plan already (a stub cache entry's), so the emitter
  // skips its own check.
  Stub(const abi::CallPlan &plan, StubKind kind, StubName name, const void *target = nullptr,
       ExecMemory &mem = ExecMemory::global(), bool checked = false);
  ~Stub();
  Stub(const Stub &) = delete;
  Stub &operator=(const Stub &) = delete;

  void *code() const noexcept { return code_; }
  std::size_t size() const noexcept { return size_; }
  const UnwindRegistration &unwind() const noexcept { return *unwind_; }

 private:
  ExecMemory &mem_;
  void *code_ = nullptr;
  std::size_t size_ = 0;
  std::optional<UnwindRegistration> unwind_;  // in place: one allocation less per stub
};

// The instruction set this build runs generated code on.
abi::Isa host_isa() noexcept;

// Throws UnsupportedError unless this host's emitter can execute the plan.
void check_host_plan(const abi::CallPlan &plan);

// The assembly listing (with machine code) of the code a plan turns into, for the plan's ISA
// (assembled for that target, so an x86-64 host lists AArch64 code and the other way round).
std::string disassemble(const abi::CallPlan &plan, StubKind kind, const void *target = nullptr);

// JITFFI_DUMP=1: every stub's listing goes to stderr as it is made.
bool dump_enabled() noexcept;

}  // namespace jitffi::jit
