// `jitffi bench LIBRARY 'PROTOTYPE' ARG...`: the time of one call of a function through each
// back end. A direct call cannot be compiled for a prototype given at run time, so the reference
// points are calls of an empty function: through the same back ends (their own cost) and
// directly through a function pointer (the loop's floor).
#include <ffi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>

#include "cli.h"
#include "fallback/ffi_types.h"
#include "jit/bound_call.h"

// The empty target: returns without touching anything, which is a valid callee for any
// signature of these ABIs except one whose result the callee must push (x87).
extern "C" __attribute__((noinline)) void jitffi_cli_empty_function() {
  asm volatile("");
}

namespace jitffi_cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchCommand {
  std::vector<std::string> declarations;
  // Quick by default (about 13 ways x 3 runs x 0.05 s: 2-3 s); --long for steadier figures.
  double seconds = 0.05;
  int repeat = 3;
  std::string library;
  std::string prototype;
  std::vector<std::string> args;
};

double seconds_from(const std::string &text) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(v > 0) || v > 60)
    throw CliError(kExitUsage, "--seconds '" + text + "': expected a number of seconds in (0, 60]");
  return v;
}

int repeat_from(const std::string &text) {
  char *end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || v < 1 || v > 1000)
    throw CliError(kExitUsage, "--repeat '" + text + "': expected a whole number in 1..1000");
  return static_cast<int>(v);
}

// Options come first; the first operand ends all but --seconds and --repeat, which may also
// follow the arguments (`-5` there is an argument; after `--` everything is).
BenchCommand parse_command_line(const std::vector<std::string> &argv) {
  BenchCommand cmd;
  std::vector<std::string> operands;
  bool options_end = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string &a = argv[i];
    auto value_of = [&]() -> std::string {
      if (i + 1 >= argv.size()) throw CliError(kExitUsage, "option " + a + " needs a value");
      return argv[++i];
    };
    if (options_end) {
      operands.push_back(a);
    } else if (a == "--") {
      options_end = true;
    } else if (a == "--seconds" || (operands.empty() && a == "-s")) {
      cmd.seconds = seconds_from(value_of());
    } else if (a.rfind("--seconds=", 0) == 0) {
      cmd.seconds = seconds_from(a.substr(10));
    } else if (a == "--long" || (operands.empty() && a == "-l")) {
      cmd.seconds = 0.5;
      cmd.repeat = 7;
    } else if (a == "--repeat" || (operands.empty() && a == "-r")) {
      cmd.repeat = repeat_from(value_of());
    } else if (a.rfind("--repeat=", 0) == 0) {
      cmd.repeat = repeat_from(a.substr(9));
    } else if (!operands.empty() || a.size() < 2 || a[0] != '-') {
      operands.push_back(a);
    } else if (a == "-d" || a == "--declare") {
      cmd.declarations.push_back(value_of());
    } else if (a.rfind("--declare=", 0) == 0) {
      cmd.declarations.push_back(a.substr(10));
    } else {
      throw CliError(kExitUsage, "unknown option '" + a + "' (see jitffi bench --help)");
    }
  }
  if (operands.size() < 2)
    throw CliError(kExitUsage, "bench needs a LIBRARY and a 'PROTOTYPE' (see jitffi bench --help)");
  cmd.library = operands[0];
  cmd.prototype = operands[1];
  cmd.args.assign(operands.begin() + 2, operands.end());
  return cmd;
}

// Runs `n` calls; returns nothing, the calls are timed around it.
using Loop = std::function<void(std::uint64_t n)>;

struct Timing {
  double median_ns = 0, min_ns = 0;
  std::uint64_t calls_per_run = 0;
};

double elapsed_seconds(const Loop &loop, std::uint64_t n) {
  Clock::time_point t0 = Clock::now();
  loop(n);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Grows the call count until one run lasts `seconds`, then times `repeat` runs of that count.
Timing measure(const Loop &loop, double seconds, int repeat) {
  std::uint64_t n = 1;
  for (;;) {
    double t = elapsed_seconds(loop, n);
    if (t >= seconds) break;
    // Aim 20% past the target from the rate seen so far; at most 100x per step while the run
    // is too short for the clock to say much.
    double grow = t > 0 ? std::min(100.0, 1.2 * seconds / t) : 100.0;
    n = static_cast<std::uint64_t>(std::ceil(static_cast<double>(n) * std::max(grow, 2.0)));
  }
  std::vector<double> ns;
  for (int r = 0; r < repeat; ++r)
    ns.push_back(elapsed_seconds(loop, n) * 1e9 / static_cast<double>(n));
  std::sort(ns.begin(), ns.end());
  Timing t;
  t.calls_per_run = n;
  t.min_ns = ns.front();
  // The median of an even count is the mean of the middle two.
  t.median_ns = ns.size() % 2 ? ns[ns.size() / 2] : (ns[ns.size() / 2 - 1] + ns[ns.size() / 2]) / 2;
  return t;
}

// One way of making the call: a loop, or the reason it cannot be made.
struct Way {
  const char *name;
  const char *what;
  Loop loop;
  std::string unavailable;
};

// A result buffer of at least `size` bytes, 16-byte aligned, for any back end.
struct RetBuffer {
  explicit RetBuffer(std::size_t size)
      : words(std::make_unique<std::max_align_t[]>(
            (std::max<std::size_t>(size, 16) + sizeof(std::max_align_t) - 1) /
            sizeof(std::max_align_t))) {}
  void *get() const { return words.get(); }
  std::unique_ptr<std::max_align_t[]> words;
};

// libffi's own interface without jitffi around it: ffi_prep_cif once, then ffi_call.
struct RawCif {
  ffi_cif cif{};
  std::vector<ffi_type *> atypes;
};

std::unique_ptr<RawCif> prepare_raw_cif(const jitffi::Signature &sig) {
  namespace ffi = jitffi::detail::ffi;
  std::optional<ffi_abi> abi = ffi::ffi_abi_for(sig.abi());
  if (!abi)
    throw jitffi::UnsupportedError("libffi cannot call the " +
                                   std::string(jitffi::abi_name(sig.abi())) + " ABI on this host");
  auto raw = std::make_unique<RawCif>();
  for (const jitffi::TypeRef &p : sig.params())
    raw->atypes.push_back(ffi::ffi_type_for(*p, sig.abi()));
  ffi_type *rtype = ffi::ffi_type_for(*sig.ret(), sig.abi());
  const auto n = static_cast<unsigned>(raw->atypes.size());
  ffi_status s = sig.is_variadic()
                     ? ffi_prep_cif_var(&raw->cif, *abi, static_cast<unsigned>(sig.fixed_count()),
                                        n, rtype, raw->atypes.data())
                     : ffi_prep_cif(&raw->cif, *abi, n, rtype, raw->atypes.data());
  if (s != FFI_OK)
    throw jitffi::UnsupportedError("ffi_prep_cif" + std::string(sig.is_variadic() ? "_var" : "") +
                                   " returned " + std::to_string(static_cast<int>(s)));
  return raw;
}

// The ways to call `target` with `sig`; each catches what makes it impossible.
std::vector<Way> ways_to_call(const jitffi::Signature &sig, void *target, void **args, void *ret,
                              std::vector<std::shared_ptr<void>> &keep) {
  std::vector<Way> ways;
  auto add = [&](const char *name, const char *what, const std::function<Loop()> &make) {
    Way w{name, what, {}, {}};
    try {
      w.loop = make();
    } catch (const jitffi::Error &e) {
      std::string_view why = e.what();
      if (why.rfind("jitffi: ", 0) == 0) why.remove_prefix(8);  // this tool says it once
      w.unavailable = why;
    }
    ways.push_back(std::move(w));
  };
  add("jit", "jitffi::Function::call, JIT stub", [&]() -> Loop {
    auto fn = std::make_shared<jitffi::Function>(
        sig, target, jitffi::CallOptions{jitffi::BackendChoice::Jit, false});
    keep.push_back(fn);
    return [f = fn.get(), ret, args](std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i) f->call(ret, args);
    };
  });
  // The value and slot entries (issue 12): the result stays in its registers, stored here from
  // them as call_value does; unavailable when the result comes back in memory.
  auto entry_of = [&](jitffi::EntryKind kind) {
    auto fn = std::make_shared<jitffi::Function>(
        sig, target, jitffi::CallOptions{jitffi::BackendChoice::Jit, false});
    keep.push_back(fn);
    void *e = kind == jitffi::EntryKind::Value ? fn->value_entry() : fn->slots_entry();
    if (!e)
      throw jitffi::UnsupportedError(
          "the result comes back in memory: no " +
          std::string(kind == jitffi::EntryKind::Value ? "value" : "slot") + " entry");
    return std::make_pair(fn, e);
  };
  add("jit-value", "JIT value entry, R(fn, args), result in registers", [&]() -> Loop {
    auto [fn, e] = entry_of(jitffi::EntryKind::Value);
    return [e = e, shape = fn->value_shape(), target, ret, args](std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i)
        jitffi::detail::call_shaped(e, shape, target, args, ret);
    };
  });
  add("jit-slots", "JIT slot entry, R(fn, slots), argument values in 8-byte slots", [&]() -> Loop {
    auto [fn, e] = entry_of(jitffi::EntryKind::Slots);
    auto slots = std::make_shared<std::vector<std::uint64_t>>();
    for (std::size_t i = 0; i < sig.params().size(); ++i) {
      const jitffi::Type &t = *sig.params()[i];
      std::uint64_t v = 0;
      if (!jitffi::slot_holds_value(t)) {
        v = reinterpret_cast<std::uintptr_t>(args[i]);
      } else {
        std::memcpy(&v, args[i], t.size());
        const unsigned bits = unsigned(8 * t.size());
        if (t.is_integer() && t.is_signed() && bits < 64 && ((v >> (bits - 1)) & 1))
          v |= ~std::uint64_t(0) << bits;
      }
      slots->push_back(v);
    }
    keep.push_back(slots);
    return [e = e, shape = fn->value_shape(), target, ret, in = slots->data()](std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i) jitffi::detail::call_shaped(e, shape, target, in, ret);
    };
  });
  add("jit-bound", "JIT stub with the target built in, void(ret, args)", [&]() -> Loop {
    auto bound = std::make_shared<jitffi::jit::BoundCall>(sig, target);
    keep.push_back(bound);
    return [b = bound.get(), ret, args](std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i) b->call(ret, args);
    };
  });
  add("libffi", "jitffi::Function::call, libffi back end", [&]() -> Loop {
    auto fn = std::make_shared<jitffi::Function>(
        sig, target, jitffi::CallOptions{jitffi::BackendChoice::Libffi, false});
    keep.push_back(fn);
    return [f = fn.get(), ret, args](std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i) f->call(ret, args);
    };
  });
  add("ffi_call", "libffi's ffi_call on a cif prepared once", [&]() -> Loop {
    std::shared_ptr<RawCif> raw = prepare_raw_cif(sig);
    keep.push_back(raw);
    return [cif = &raw->cif, target, ret, args](std::uint64_t n) {
      for (std::uint64_t i = 0; i < n; ++i) ffi_call(cif, FFI_FN(target), ret, args);
    };
  });
  return ways;
}

void print_row(const Way &w, const std::optional<Timing> &t) {
  if (!t) {
    std::printf("  %-10s unavailable: %s\n", w.name, w.unavailable.c_str());
  } else {
    std::printf("  %-10s %9.2f ns/call  (min %.2f)  %s\n", w.name, t->median_ns, t->min_ns, w.what);
  }
  std::fflush(stdout);
}

// Times every way; returns how many could be timed.
int time_all(const std::vector<Way> &ways, const BenchCommand &cmd) {
  int timed = 0;
  for (const Way &w : ways) {
    if (!w.loop) {
      print_row(w, std::nullopt);
      continue;
    }
    print_row(w, measure(w.loop, cmd.seconds, cmd.repeat));
    ++timed;
  }
  return timed;
}

bool is_x87_result(const jitffi::Signature &sig) {
  return sig.abi() == jitffi::Abi::SysV_x64 && sig.ret()->kind() == jitffi::TypeKind::LongDouble;
}

}  // namespace

void print_bench_help() {
  std::fputs(
      "usage: jitffi bench [OPTIONS] LIBRARY 'PROTOTYPE' [ARG...]\n"
      "\n"
      "Times calls of one function, with the arguments converted as `jitffi call` does,\n"
      "through each way jitffi and libffi can make them:\n"
      "  jit        jitffi::Function::call on the JIT back end (the boxed stub)\n"
      "  jit-value  the JIT's value entry R(fn, args): the result stays in its registers\n"
      "  jit-slots  the JIT's slot entry R(fn, slots): argument values in 8-byte slots\n"
      "             (neither exists for a result that comes back in memory)\n"
      "  jit-bound  a JIT stub with the function's address built in\n"
      "  libffi     jitffi::Function::call on the libffi back end\n"
      "  ffi_call   libffi's ffi_call on a cif prepared once (libffi without jitffi)\n"
      "then the same ways to call an empty function with the same signature (what the\n"
      "back end itself costs), and an empty void(void) function called directly through\n"
      "a pointer (the floor of the loop). The function itself cannot be called directly:\n"
      "that needs a compiler for its prototype (bench/ compares direct calls for fixed\n"
      "signatures).\n"
      "\n"
      "Each figure is ns per call: the median and the minimum of --repeat runs, each run\n"
      "a number of calls found to last at least --seconds. The function is called that\n"
      "many times with the same arguments: bench only functions whose effects you want\n"
      "repeated. The result of the first call is printed.\n"
      "\n"
      "Options (before LIBRARY; --seconds, --repeat and --long may also follow the ARGs):\n"
      "  -s, --seconds S                the least duration of one run (default 0.05)\n"
      "  -r, --repeat N                 runs per figure (default 3)\n"
      "  -l, --long                     steadier figures: --seconds 0.5 --repeat 7\n"
      "                                 (about 45 s); later -s/-r still apply\n"
      "  -d, --declare 'DECLARATIONS'   struct/typedef declarations for the prototype\n"
      "  -h, --help                     this help\n"
      "\n"
      "Exit status: 0 when at least one back end was timed, 1 when the library, the\n"
      "symbol or every back end fails, 2 for a bad command line, prototype or argument.\n"
      "\n"
      "Example:\n"
      "  jitffi bench libm.so.6 'double cos(double)' 0.5\n",
      stdout);
}

int run_bench(const std::vector<std::string> &argv) {
  for (const std::string &a : argv) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") return print_bench_help(), 0;
    if (a.empty() || a[0] != '-') break;
  }
  BenchCommand cmd = parse_command_line(argv);

  jitffi::Scope scope;
  declare_all(scope, cmd.declarations);
  BoxedArgs call = box_arguments(parse_named_prototype(scope, cmd.prototype), cmd.args, scope);
  const jitffi::Signature &sig = call.sig;
  jitffi::Library lib = open_library(cmd.library);
  void *target;
  try {
    target = lib.symbol(sig.name());
  } catch (const jitffi::Error &e) {
    throw CliError(kExitFailure, e.what());
  }

  // 16 at least: the value and slot entries store whole result registers.
  std::size_t ret_size = sig.ret()->is_void() ? 0 : std::max<std::size_t>(sig.ret()->size(), 16);
  RetBuffer ret(ret_size);
  std::vector<std::shared_ptr<void>> keep;  // what the loops call through
  std::vector<Way> ways = ways_to_call(sig, target, call.boxed.data(), ret.get(), keep);

  std::printf("%s in %s: %s\n", sig.name().c_str(), cmd.library.c_str(), sig.canonical().c_str());
  const Way *first = nullptr;
  for (const Way &w : ways)
    if (w.loop && !first) first = &w;
  if (!first) {
    for (const Way &w : ways) print_row(w, std::nullopt);
    throw CliError(kExitFailure, "no back end can call " + sig.canonical());
  }
  std::fflush(stdout);  // the function may print itself
  first->loop(1);
  if (!sig.ret()->is_void()) {
    std::string result = format_value(*sig.ret(), ret.get());
    std::printf("result (%s): %s\n", first->name, result.c_str());
  }
  std::printf("ns per call: median (min) of %d runs, each at least %g s\n\n", cmd.repeat,
              cmd.seconds);

  std::printf("calls of %s:\n", sig.name().c_str());
  time_all(ways, cmd);

  std::printf("\ncalls of an empty function with the same signature (the back end's own cost):\n");
  if (is_x87_result(sig)) {
    std::printf("  not measured: an x87 long double result must be pushed by the callee\n");
  } else {
    void *empty = reinterpret_cast<void *>(&jitffi_cli_empty_function);
    std::vector<Way> empty_ways = ways_to_call(sig, empty, call.boxed.data(), ret.get(), keep);
    time_all(empty_ways, cmd);
  }

  std::printf("\nreference:\n");
  Way direct{"direct", "an empty void(void) function through a pointer, called directly", {}, {}};
  void (*volatile empty_fn)() = &jitffi_cli_empty_function;
  direct.loop = [&empty_fn](std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) empty_fn();
  };
  print_row(direct, measure(direct.loop, cmd.seconds, cmd.repeat));
  std::printf("  (%s itself cannot be called directly here: see jitffi bench --help)\n",
              sig.name().c_str());
  return 0;
}

}  // namespace jitffi_cli
