// libFuzzer target: the whole preparation pipeline for a signature text, under every ABI:
// parse -> classify (CallPlan) -> emit every kind of stub for the plan's instruction set (x86-64
// and AArch64 alike: assembled, never run) -> Function and Closure preparation through the public
// API against a dummy address, for each back-end choice. Nothing is ever called.
//
// Invariants (a violation aborts, which libFuzzer reports as a crash):
//  - parsing throws only ParseError (fuzz_parse checks its details);
//  - classify throws only UnsupportedError; a plan has one ArgInfo per parameter, a 16-byte
//    multiple of outgoing stack, and its describe() lists it;
//  - the emitters throw only UnsupportedError (a plan they cannot execute), asmjit accepts every
//    instruction they write, and for x86-64 plans the stubs' own encoder produces exactly the
//    bytes asmjit produces;
//  - Function and Closure throw only UnsupportedError (or, for closures, the one error that says
//    this process refuses executable memory), and what they make reports the signature, back end
//    and address it was made with.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asmjit/core.h>

#include "abi/call_plan.h"
#include "jit/a64_emitter.h"
#include "jit/x64_emitter.h"
#include "jitffi/function.h"

namespace {

using namespace jitffi;

constexpr Abi kAbis[] = {Abi::SysV_x64, Abi::Win64, Abi::AAPCS64, Abi::Apple_arm64};
constexpr BackendChoice kChoices[] = {BackendChoice::Auto, BackendChoice::Jit,
                                      BackendChoice::Libffi};

[[noreturn]] void violated(std::string_view what, std::string_view text, std::string_view more) {
  std::fprintf(stderr, "fuzz_pipeline: %.*s\n  input: \"%.*s\" (%zu bytes)\n  %.*s\n",
               int(what.size()), what.data(), int(text.size()), text.data(), text.size(),
               int(more.size()), more.data());
  std::abort();
}

// Runs `step`; UnsupportedError means "this layer cannot serve it" (false), anything else is a
// finding.
template <class F>
bool allowed(std::string_view step, std::string_view text, F &&f) {
  try {
    f();
    return true;
  } catch (const UnsupportedError &) {
    return false;
  } catch (const std::exception &e) {
    violated(std::string(step) + " threw something other than UnsupportedError", text, e.what());
  } catch (...) {
    violated(std::string(step) + " threw a non-standard exception", text, "");
  }
}

void dummy_target() {}
void never_called(void *, void **, void *) {
  std::abort();
}

// Records asmjit's first error: an emitter that makes asmjit fail is a finding.
struct KeepError : asmjit::ErrorHandler {
  asmjit::Error err = asmjit::kErrorOk;
  std::string message;
  void handleError(asmjit::Error e, const char *msg, asmjit::BaseEmitter *) override {
    if (err == asmjit::kErrorOk) err = e, message = msg;
  }
};

// Every stub kind for an AArch64 plan, assembled for AArch64 (on any host), never mapped.
void emit_a64(const abi::CallPlan &plan, std::string_view text) {
  static const char handler = 0;  // a bound target or static-chain handler, never run
  for (int kind = 0; kind < 5; ++kind) {
    asmjit::CodeHolder code;
    KeepError errors;
    code.init(asmjit::Environment(asmjit::Arch::kAArch64));
    code.setErrorHandler(&errors);
    asmjit::a64::Assembler a(&code);
    std::vector<jit::a64::CfiOp> cfi;
    const bool ok = allowed("the AArch64 emitter", text, [&] {
      switch (kind) {
        case 0:
        case 1:
          jit::a64::emit_downcall(a, plan, kind == 1 ? &handler : nullptr, cfi);
          break;
        case 2:
          jit::a64::emit_upcall(a, plan, cfi);
          break;
        case 3:
          jit::a64::emit_chain_downcall(a, plan, cfi);
          break;
        default:
          jit::a64::emit_chain_upcall(a, plan, &handler, cfi);
      }
    });
    if (!ok) return;  // the emitter refuses the plan, whatever the kind
    if (errors.err != asmjit::kErrorOk)
      violated("asmjit refused what the AArch64 emitter wrote", text,
               errors.message + "\n" + plan.describe());
    if (code.textSection()->buffer().size() == 0)
      violated("the AArch64 emitter wrote nothing", text, plan.describe());
  }
}

// Every stub kind for the plan's instruction set. An x86-64 plan is assembled twice per kind, by
// the stubs' own encoder and by asmjit alone, and the bytes must agree (jit/x64_emitter.cpp).
// (Listings, jit::disassemble, are left out: asmjit's logger costs ~100 ms per input under ASan.)
void emit_all(const abi::CallPlan &plan, std::string_view text) {
  if (plan.isa == abi::Isa::A64) return emit_a64(plan, text);
  std::string why;
  bool same = true;
  if (!allowed("the x86-64 emitter", text, [&] { same = jit::x64::encoding_matches(plan, &why); }))
    return;
  if (!same)
    violated("the x86-64 encoder disagrees with asmjit", text, why + "\n" + plan.describe());
}

void prepare_all(const Signature &sig, std::string_view text) {
  void *address = reinterpret_cast<void *>(&dummy_target);
  for (BackendChoice choice : kChoices) {
    allowed("Function", text, [&] {
      Function f(sig, address, CallOptions{choice});
      if (!f || f.address() != address || !(f.signature() == sig))
        violated("a Function that does not report what it was made with", text, sig.canonical());
      if (sig.ret()->is_void() ? false : f.return_size() < sig.ret()->size())
        violated("return_size() smaller than the return type", text, sig.canonical());
      if (choice == BackendChoice::Jit && f.backend() != BackendKind::Jit)
        violated("BackendChoice::Jit served by another back end", text, sig.canonical());
      if (choice == BackendChoice::Libffi && f.backend() != BackendKind::Libffi)
        violated("BackendChoice::Libffi served by another back end", text, sig.canonical());
    });
    try {
      Closure c(sig, &never_called, nullptr, CallOptions{choice});
      if (!c || !c.code() || !(c.signature() == sig))
        violated("a Closure without code or with another signature", text, sig.canonical());
    } catch (const UnsupportedError &) {
    } catch (const std::exception &e) {
      // Where the system refuses executable memory, closures fail with this one error.
      if (detail::exec_memory_refused().empty())
        violated("Closure threw something other than UnsupportedError", text, e.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  for (Abi abi : kAbis) {
    std::optional<Signature> sig;
    try {
      sig = Signature::parse(text, abi);
    } catch (const ParseError &) {
      continue;  // fuzz_parse checks the errors; another ABI may accept the text
    } catch (const std::exception &e) {
      violated("Signature::parse threw something other than ParseError", text, e.what());
    }
    abi::CallPlan plan;
    const bool classified = allowed("abi::classify", text, [&] { plan = abi::classify(*sig); });
    if (classified) {
      if (plan.args.size() != sig->params().size() || plan.abi != sig->abi() ||
          plan.stack_bytes % 16 != 0 || plan.describe().empty())
        violated("a malformed plan", text, sig->canonical() + "\n" + plan.describe());
      emit_all(plan, text);
    }
    prepare_all(*sig, text);
    if (sig->abi() != abi) break;  // the text names its ABI: the others would repeat it
  }
  return 0;
}
