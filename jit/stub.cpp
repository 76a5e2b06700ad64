// Assembling a plan into W^X memory, with unwind info, perf map entry, listing and stats.
#include "jit/stub.h"

#include <asmjit/arm/a64assembler.h>
#include <asmjit/x86.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "jit/a64_emitter.h"
#include "jit/perf_map.h"
#include "jit/x64_emitter.h"

namespace jitffi::jit {

namespace {

// Keeps asmjit's first error instead of letting it unwind through asmjit.
class KeepError : public asmjit::ErrorHandler {
 public:
  asmjit::Error err = asmjit::kErrorOk;
  std::string message;
  void handleError(asmjit::Error e, const char *msg, asmjit::BaseEmitter *) override {
    if (err == asmjit::kErrorOk) err = e, message = msg;
  }
};

// The hooks of an entry stub: errno capture for the *Errno kinds, the call counter when
// JITFFI_STATS is on (fixed at load time, like Function's).
x64::EntryHooks entry_hooks(StubKind kind) {
  x64::EntryHooks h;
  if (detail::g_stats_enabled)
    h.counter = reinterpret_cast<std::uint64_t *>(&detail::stats().calls[int(BackendKind::Jit)]);
  if (kind == StubKind::ValueErrno || kind == StubKind::SlotsErrno) {
    h.errno_enter = reinterpret_cast<const void *>(&detail::errno_enter);
    h.errno_leave = reinterpret_cast<const void *>(&detail::errno_leave);
  }
  return h;
}

void emit(x64::CodeOut &out, const abi::CallPlan &plan, StubKind kind, const void *target,
          std::vector<x64::CfiOp> &cfi) {
  switch (kind) {
    case StubKind::Value:
    case StubKind::ValueErrno:
      return x64::emit_entry(out, plan, EntryKind::Value, entry_hooks(kind), cfi);
    case StubKind::Slots:
    case StubKind::SlotsErrno:
      return x64::emit_entry(out, plan, EntryKind::Slots, entry_hooks(kind), cfi);
    case StubKind::Upcall:
      return x64::emit_upcall(out, plan, cfi);
    case StubKind::ChainDowncall:
      return x64::emit_chain_downcall(out, plan, cfi);
    case StubKind::ChainUpcall:
      return x64::emit_chain_upcall(out, plan, target, cfi);
    case StubKind::TypedClosure:
      return x64::emit_typed_closure(out, plan, *static_cast<const x64::ClosureContext *>(target),
                                     cfi);
    case StubKind::CifCall:
      return x64::emit_cif_downcall(out, plan, *static_cast<const CifGuard *>(target), cfi);
    case StubKind::Downcall:
    case StubKind::Bound:
      break;
  }
  x64::emit_downcall(out, plan, kind == StubKind::Bound ? target : nullptr, cfi);
}

void emit(asmjit::a64::Assembler &a, const abi::CallPlan &plan, StubKind kind, const void *target,
          std::vector<x64::CfiOp> &cfi) {
  switch (kind) {
    case StubKind::Upcall:
      return a64::emit_upcall(a, plan, cfi);
    case StubKind::ChainDowncall:
      return a64::emit_chain_downcall(a, plan, cfi);
    case StubKind::ChainUpcall:
      return a64::emit_chain_upcall(a, plan, target, cfi);
    case StubKind::TypedClosure:
      return a64::emit_typed_closure(a, plan, *static_cast<const a64::ClosureContext *>(target),
                                     cfi);
    case StubKind::CifCall:
      return a64::emit_cif_downcall(a, plan, *static_cast<const CifGuard *>(target), cfi);
    case StubKind::Value:
    case StubKind::ValueErrno:
      return a64::emit_entry(a, plan, EntryKind::Value, entry_hooks(kind), cfi);
    case StubKind::Slots:
    case StubKind::SlotsErrno:
      return a64::emit_entry(a, plan, EntryKind::Slots, entry_hooks(kind), cfi);
    case StubKind::Downcall:
    case StubKind::Bound:
      break;
  }
  a64::emit_downcall(a, plan, kind == StubKind::Bound ? target : nullptr, cfi);
}

// Assembles with the plan's ISA into `code` (initialised for that ISA's environment).
void emit_for(asmjit::CodeHolder &code, const abi::CallPlan &plan, StubKind kind,
              const void *target, std::vector<x64::CfiOp> &cfi) {
  if (plan.isa == abi::Isa::A64) {
    asmjit::a64::Assembler a(&code);
    emit(a, plan, kind, target, cfi);
  } else {
    asmjit::x86::Assembler a(&code);
    x64::CodeOut out(a);
    emit(out, plan, kind, target, cfi);
  }
}

asmjit::Environment environment_of(abi::Isa isa) {
  return asmjit::Environment(isa == abi::Isa::A64 ? asmjit::Arch::kAArch64 : asmjit::Arch::kX64);
}

void check(const KeepError &e, const char *what) {
  if (e.err != asmjit::kErrorOk)
    throw Error(std::string("jitffi: asmjit failed to ") + what + ": " + e.message);
}

}  // namespace

abi::Isa host_isa() noexcept {
#if defined(__aarch64__)
  return abi::Isa::A64;
#else
  return abi::Isa::X64;
#endif
}

void check_host_plan(const abi::CallPlan &plan) {
  if (plan.isa != host_isa())
    throw UnsupportedError("the " +
                           std::string(host_isa() == abi::Isa::A64 ? "AArch64" : "x86-64") +
                           " JIT does not emit " + std::string(abi_name(plan.abi)) + " calls");
  if (plan.isa == abi::Isa::A64)
    a64::check_plan(plan);
  else
    x64::check_plan(plan);
}

// JITFFI_CHECK_ENCODER=1: every x86-64 stub is also assembled by asmjit alone and compared.
static bool check_encoder_enabled() noexcept {
  static const bool on = [] {
    const char *v = secure_getenv("JITFFI_CHECK_ENCODER");
    return v && std::strcmp(v, "1") == 0;
  }();
  return on;
}

bool dump_enabled() noexcept {
  static const bool on = [] {
    const char *v = secure_getenv("JITFFI_DUMP");
    return v && std::strcmp(v, "1") == 0;
  }();
  return on;
}

Stub::Stub(const abi::CallPlan &plan, StubKind kind, StubName name, const void *target,
           ExecMemory &mem, bool checked)
    : mem_(mem) {
  if (kind == StubKind::Bound && !target) throw Error("jitffi: a bound stub needs a target");
  if (kind == StubKind::ChainUpcall && !target)
    throw Error("jitffi: a static chain entry needs a handler");
  if (kind == StubKind::TypedClosure && !target)
    throw Error("jitffi: a typed closure needs its handler and user_data");
  if (kind == StubKind::CifCall && !target)
    throw Error("jitffi: an ffi_call-shape stub needs a guard");
  if (plan.isa != host_isa())
    throw UnsupportedError("jitffi: cannot run " + std::string(abi_name(plan.abi)) +
                           " code on this host");
  if (plan.isa == abi::Isa::X64 && check_encoder_enabled()) {
    std::string why;
    if (!x64::encoding_matches(plan, &why))
      throw Error("jitffi: the x86-64 encoder disagrees with asmjit for " + name.str() + ": " +
                  why);
  }
  // One CodeHolder per thread, soft-reset after each stub that needed it (its zone memory is
  // reused). An x86-64 stub needs it only for the rare forms the emitter leaves to asmjit
  // (x64::CodeOut); AArch64 stubs and listings always.
  thread_local asmjit::CodeHolder code;
  KeepError errors;
  std::optional<asmjit::FileLogger> logger;  // JITFFI_DUMP
  // Drop the pointers to this frame's handler and logger however we leave.
  struct Detach {
    asmjit::CodeHolder &c;
    ~Detach() {
      if (c.isInitialized()) c.reset(asmjit::ResetPolicy::kSoft);
    }
  } detach{code};
  thread_local std::vector<x64::CfiOp> cfi;  // keeps its capacity from stub to stub
  cfi.clear();
  std::optional<x64::CodeOut> out;  // after `detach`: its Assembler detaches first
  if (plan.isa == abi::Isa::X64 && !dump_enabled()) {
    out.emplace(code, &errors);
    if (checked) out->set_plan_checked();
    emit(*out, plan, kind, target, cfi);
  } else {
    code.init(asmjit::Environment::host());
    code.setErrorHandler(&errors);
    if (dump_enabled()) {
      logger.emplace(stderr);
      logger->addFlags(asmjit::FormatFlags::kMachineCode);
      code.setLogger(&*logger);
      std::fprintf(stderr, "jitffi: %.*s%.*s\n", int(name.prefix.size()), name.prefix.data(),
                   int(name.rest.size()), name.rest.data());
    }
    emit_for(code, plan, kind, target, cfi);
  }
  check(errors, "assemble");
  const bool direct = out && out->direct();
  if (direct) {
    size_ = out->size();
  } else {
    code.flatten();
    code.resolveUnresolvedLinks();
    size_ = code.codeSize();
  }

  ExecMemory::Block block = mem_.alloc(size_);
  try {
    if (direct) {
      std::memcpy(block.rw, out->bytes(), size_);
    } else {
      code.relocateToBase(reinterpret_cast<std::uint64_t>(block.rx));
      check(errors, "relocate");
      code.copyFlattenedData(block.rw, size_, asmjit::CopySectionFlags::kPadTargetBuffer);
    }
  } catch (...) {
    mem_.release(block.rx);
    throw;
  }
  code_ = mem_.commit(block);  // releases the block itself when it fails
  try {
    unwind_.emplace(code_, size_, cfi);
  } catch (...) {
    mem_.release(code_);
    throw;
  }
  if (dump_enabled()) std::fprintf(stderr, "  at %p, %zu bytes\n", code_, size_);
  perf_map_add(code_, size_, name.prefix, name.rest);
  detail::stats().stubs_compiled.fetch_add(1, std::memory_order_relaxed);
}

Stub::~Stub() {
  unwind_.reset();  // the unwinder must stop finding the range before it is reused
  mem_.release(code_);
}

std::string disassemble(const abi::CallPlan &plan, StubKind kind, const void *target) {
  asmjit::CodeHolder code;
  KeepError errors;
  code.init(environment_of(plan.isa));  // any host lists any ISA's code
  code.setErrorHandler(&errors);
  asmjit::StringLogger logger;
  logger.addFlags(asmjit::FormatFlags::kMachineCode);
  code.setLogger(&logger);
  std::vector<x64::CfiOp> cfi;
  emit_for(code, plan, kind, target, cfi);
  check(errors, "assemble");
  return std::string(logger.data(), logger.dataSize());
}

}  // namespace jitffi::jit
