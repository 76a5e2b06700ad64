// jitffi: the command-line tool. Subcommands live in their own files (call.cpp, plan.cpp,
// bench.cpp, demo.cpp).
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "jitffi.h"

namespace {

void print_help() {
  std::fputs(
      "usage: jitffi COMMAND [ARGS...]\n"
      "\n"
      "Calls C functions in shared libraries through jitffi's generated call stubs.\n"
      "\n"
      "Commands:\n"
      "  call LIBRARY 'PROTOTYPE' [ARG...]  call one function and print its result\n"
      "  plan 'SIGNATURE'                   print the call plan and the generated stubs'\n"
      "                                     assembly, for any ABI (win64:, aapcs64:, ...)\n"
      "  bench LIBRARY 'PROTOTYPE' [ARG...] time one function's calls through the JIT\n"
      "                                     and through libffi\n"
      "  demo                               a short tour: libc and libm calls, a variadic\n"
      "                                     snprintf, errno capture and a qsort closure\n"
      "\n"
      "Options:\n"
      "  -h, --help     this help (jitffi COMMAND --help for a command's own)\n"
      "  --version      the library's version\n"
      "\n"
      "Environment:\n"
      "  JITFFI_BACKEND=auto|jit|libffi   the default back end (auto: the JIT where it can\n"
      "                                   serve the signature, libffi otherwise)\n"
      "\n"
      "Example:\n"
      "  jitffi call libm.so.6 'double cos(double)' 0\n"
      "  jitffi plan 'aapcs64:double(double, int)'\n"
      "  jitffi bench libm.so.6 'double cos(double)' 0.5\n",
      stdout);
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_help();
    return jitffi_cli::kExitUsage;
  }
  const std::string &command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "-h" || command == "--help" || command == "help") {
      if (command == "help" && !rest.empty()) {
        if (rest[0] == "call") return jitffi_cli::print_call_help(), 0;
        if (rest[0] == "plan") return jitffi_cli::print_plan_help(), 0;
        if (rest[0] == "bench") return jitffi_cli::print_bench_help(), 0;
        if (rest[0] == "demo") return jitffi_cli::print_demo_help(), 0;
      }
      print_help();
      return 0;
    }
    if (command == "--version") {
      std::printf("jitffi %s\n", jitffi_version());
      return 0;
    }
    if (command == "call") return jitffi_cli::run_call(rest);
    if (command == "plan") return jitffi_cli::run_plan(rest);
    if (command == "bench") return jitffi_cli::run_bench(rest);
    if (command == "demo") return jitffi_cli::run_demo(rest);
    throw jitffi_cli::CliError(jitffi_cli::kExitUsage,
                               "unknown command '" + command + "' (see jitffi --help)");
  } catch (const jitffi_cli::CliError &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "jitffi: %s\n", e.what());
    return e.code();
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "jitffi: %s\n", e.what());
    return jitffi_cli::kExitFailure;
  }
}
