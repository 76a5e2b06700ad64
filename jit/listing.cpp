// Plan + listings, assembled without mapping any memory.
#include "jit/listing.h"

#include "abi/call_plan.h"
#include "jit/stub.h"

namespace jitffi::jit {

std::string listing(const jitffi::Signature &sig) {
  const abi::CallPlan plan = abi::classify(sig);
  std::string out = sig.canonical() + "\nplan:\n" + plan.describe();
  out += "downcall stub (void *fn, void *ret, void **args):\n";
  out += disassemble(plan, StubKind::Downcall);
  out += plan.isa == abi::Isa::A64 ? "upcall entry (closure context in x9):\n"
                                   : "upcall entry (closure context in r10):\n";
  out += disassemble(plan, StubKind::Upcall);
  return out;
}

}  // namespace jitffi::jit
