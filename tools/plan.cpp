// `jitffi plan 'SIGNATURE'`: the call plan and the assembly of the stubs the JIT makes for it.
#include <cstdint>
#include <cstdio>

#include "abi/call_plan.h"
#include "cli.h"
#include "jit/listing.h"
#include "jit/stub.h"

namespace jitffi_cli {
namespace {

// A bound stub has its target built in; with no function at hand the listing shows this
// address, a typical 47-bit user-space one, so the instructions have their real length.
constexpr std::uintptr_t kPlaceholderTarget = 0x7f0123456780;

struct PlanCommand {
  std::vector<std::string> declarations;
  bool downcall = false, bound = false, upcall = false, value = false, slots = false;
  std::string signature;
};

// Options may come before or after the signature: a signature never starts with '-'.
PlanCommand parse_command_line(const std::vector<std::string> &argv) {
  PlanCommand cmd;
  std::vector<std::string> operands;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string &a = argv[i];
    if (a == "--") {
      operands.insert(operands.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                      argv.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      operands.push_back(a);
    } else if (a == "--downcall") {
      cmd.downcall = true;
    } else if (a == "--bound") {
      cmd.bound = true;
    } else if (a == "--upcall") {
      cmd.upcall = true;
    } else if (a == "--value") {
      cmd.value = true;
    } else if (a == "--slots") {
      cmd.slots = true;
    } else if (a == "-d" || a == "--declare") {
      if (i + 1 >= argv.size()) throw CliError(kExitUsage, "option " + a + " needs a value");
      cmd.declarations.push_back(argv[++i]);
    } else if (a.rfind("--declare=", 0) == 0) {
      cmd.declarations.push_back(a.substr(10));
    } else {
      throw CliError(kExitUsage, "unknown option '" + a + "' (see jitffi plan --help)");
    }
  }
  if (operands.size() != 1)
    throw CliError(kExitUsage, operands.empty()
                                   ? "plan needs a 'SIGNATURE' (see jitffi plan --help)"
                                   : "plan takes one 'SIGNATURE', " +
                                         std::to_string(operands.size()) +
                                         " given (quote it for the shell)");
  cmd.signature = operands[0];
  return cmd;
}

const char *upcall_header(jitffi::abi::Isa isa) {
  return isa == jitffi::abi::Isa::A64 ? "upcall entry (closure context in x9):\n"
                                      : "upcall entry (closure context in r10):\n";
}

// The stubs asked for, under the same headings as jit::listing().
std::string selected_listing(const jitffi::Signature &sig, const PlanCommand &cmd) {
  using jitffi::jit::StubKind;
  const jitffi::abi::CallPlan plan = jitffi::abi::classify(sig);
  std::string out = sig.canonical() + "\nplan:\n" + plan.describe();
  if (cmd.downcall) {
    out += "downcall stub (void *fn, void *ret, void **args):\n";
    out += jitffi::jit::disassemble(plan, StubKind::Downcall);
  }
  if (cmd.bound) {
    // asmjit writes immediates in decimal: both spellings, to find it in the listing.
    char header[192];
    std::snprintf(header, sizeof header,
                  "bound downcall stub (void *ret, void **args), target built in "
                  "(shown as the placeholder 0x%jx = %ju):\n",
                  static_cast<std::uintmax_t>(kPlaceholderTarget),
                  static_cast<std::uintmax_t>(kPlaceholderTarget));
    out += header;
    out += jitffi::jit::disassemble(plan, StubKind::Bound,
                                    reinterpret_cast<const void *>(kPlaceholderTarget));
  }
  if (cmd.upcall) {
    out += upcall_header(plan.isa);
    out += jitffi::jit::disassemble(plan, StubKind::Upcall);
  }
  const bool entries = jitffi::abi::value_shape(plan).kind != jitffi::ValueShape::None;
  if ((cmd.value || cmd.slots) && !entries)
    throw jitffi::UnsupportedError(
        "the result of " + sig.canonical() +
        " comes back in memory: it has no value or slot entry, only the boxed downcall");
  if (cmd.value) {
    out += "value entry (void *fn, void **args), result left in its registers:\n";
    out += jitffi::jit::disassemble(plan, StubKind::Value);
  }
  if (cmd.slots) {
    out += "slot entry (void *fn, const uint64_t *slots), result left in its registers:\n";
    out += jitffi::jit::disassemble(plan, StubKind::Slots);
  }
  return out;
}

}  // namespace

void print_plan_help() {
  std::fputs(
      "usage: jitffi plan [OPTIONS] 'SIGNATURE'\n"
      "\n"
      "Prints the signature's canonical form, its call plan (where every argument and\n"
      "result byte goes: registers, stack offsets, the hidden result pointer) and the\n"
      "assembly, with machine code, of the stubs the JIT generates for it. Nothing is\n"
      "called and no library is opened.\n"
      "\n"
      "  SIGNATURE  either syntax: 'int(int, int)', 'i32(i32, i32)', 'double cos(double)';\n"
      "             an ABI prefix picks the convention (default: this host's):\n"
      "             sysv:, win64:, aapcs64:, apple_arm64:, windows_arm64:\n"
      "             ('aapcs64:double(double)').\n"
      "             Any ABI is listed on any host: AArch64 code on x86-64 and the other way.\n"
      "\n"
      "Options (before or after the signature; with none, the downcall and upcall):\n"
      "  --downcall                   the boxed downcall stub, void stub(fn, ret, args)\n"
      "  --bound                      the bound downcall stub, void stub(ret, args), with\n"
      "                               a placeholder address as its built-in target\n"
      "  --upcall                     the shared closure entry\n"
      "  --value                      the value entry, R stub(fn, args): the result stays in\n"
      "                               its registers (results in memory have none)\n"
      "  --slots                      the slot entry, R stub(fn, slots): argument values in\n"
      "                               8-byte slots, aggregates by address\n"
      "  -d, --declare 'DECLARATIONS' struct/typedef declarations the signature uses\n"
      "  -h, --help                   this help\n"
      "\n"
      "Exit status: 0 with the listing, 1 when the JIT cannot serve the signature (the\n"
      "reason is printed), 2 for a bad command line, signature or declaration.\n"
      "\n"
      "Examples:\n"
      "  jitffi plan 'int(int, int)'\n"
      "  jitffi plan --bound 'win64:double(double, int, float, i64, double)'\n"
      "  jitffi plan -d 'struct v3 { double x, y, z; }' 'struct v3 add(struct v3, struct v3)'\n",
      stdout);
}

int run_plan(const std::vector<std::string> &argv) {
  for (const std::string &a : argv) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") return print_plan_help(), 0;
  }
  PlanCommand cmd = parse_command_line(argv);
  jitffi::Scope scope;
  declare_all(scope, cmd.declarations);
  jitffi::Signature sig = parse_signature(scope, cmd.signature, "signature");

  std::string text;
  try {
    // jit::listing() already holds the canonical form and the plan ahead of both stubs.
    if (!cmd.downcall && !cmd.bound && !cmd.upcall && !cmd.value && !cmd.slots)
      text = jitffi::jit::listing(sig);
    else
      text = selected_listing(sig, cmd);
  } catch (const jitffi::UnsupportedError &e) {
    throw CliError(kExitFailure, "the JIT cannot serve " + sig.canonical() + ": " + e.what());
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace jitffi_cli
