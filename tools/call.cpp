// `jitffi call LIBRARY 'PROTOTYPE' ARG...`: one call from the shell.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli.h"

namespace jitffi_cli {
namespace {

void print_lines(const char *text) {
  std::fputs(text, stdout);
}

struct CallCommand {
  jitffi::CallOptions options;
  jitffi::OpenOptions open;
  std::vector<std::string> declarations;
  bool verbose = false;
  std::string library;
  std::string prototype;
  std::vector<std::string> args;
};

jitffi::BackendChoice backend_from(const std::string &name) {
  if (name == "auto") return jitffi::BackendChoice::Auto;
  if (name == "jit") return jitffi::BackendChoice::Jit;
  if (name == "libffi") return jitffi::BackendChoice::Libffi;
  throw CliError(kExitUsage, "unknown back end '" + name + "' (expected auto, jit or libffi)");
}

// Options come first; the first operand ends them, so that `-5` is an argument, not an option.
// A `--` ends them too, wherever it stands (`call libc.so.6 'int abs(int)' -- -7`, as with
// getopt): the first one is dropped, any later one is an argument.
CallCommand parse_command_line(const std::vector<std::string> &argv) {
  CallCommand cmd;
  std::size_t i = 0;
  bool options_ended = false;
  auto value_of = [&](const std::string &opt) -> std::string {
    if (i + 1 >= argv.size()) throw CliError(kExitUsage, "option " + opt + " needs a value");
    return argv[++i];
  };
  for (; i < argv.size(); ++i) {
    const std::string &a = argv[i];
    if (a == "--") {
      ++i;
      options_ended = true;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    if (a == "-b" || a == "--backend") {
      cmd.options.backend = backend_from(value_of(a));
    } else if (a.rfind("--backend=", 0) == 0) {
      cmd.options.backend = backend_from(a.substr(10));
    } else if (a == "-d" || a == "--declare") {
      cmd.declarations.push_back(value_of(a));
    } else if (a.rfind("--declare=", 0) == 0) {
      cmd.declarations.push_back(a.substr(10));
    } else if (a == "--global") {
      cmd.open.global = true;
    } else if (a == "--lazy") {
      cmd.open.lazy = true;
    } else if (a == "-e" || a == "--errno") {
      cmd.options.capture_errno = true;
    } else if (a == "-v" || a == "--verbose") {
      cmd.verbose = true;
    } else {
      throw CliError(kExitUsage, "unknown option '" + a + "' (see jitffi call --help)");
    }
  }
  std::vector<std::string> operands(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
  if (!options_ended)
    if (auto dashes = std::find(operands.begin(), operands.end(), "--"); dashes != operands.end())
      operands.erase(dashes);
  if (operands.size() < 2)
    throw CliError(kExitUsage, "call needs a LIBRARY and a 'PROTOTYPE' (see jitffi call --help)");
  cmd.library = operands[0];
  cmd.prototype = operands[1];
  cmd.args.assign(operands.begin() + 2, operands.end());
  return cmd;
}

}  // namespace

void print_call_help() {
  print_lines(
      "usage: jitffi call [OPTIONS] LIBRARY 'PROTOTYPE' [ARG...]\n"
      "\n"
      "Opens LIBRARY, looks up the function named by the C PROTOTYPE, converts each ARG\n"
      "to its parameter's type, calls the function and prints the result.\n"
      "\n"
      "  LIBRARY    a path, a file name (libm.so.6) or a short name (m, c, sqlite3)\n"
      "  PROTOTYPE  a C prototype with the function's name: 'double cos(double)',\n"
      "             'int snprintf(char *, size_t, const char *, ...)'; NAME@VERSION picks\n"
      "             a symbol version: 'void *memcpy@GLIBC_2.2.5(void *, const void *, size_t)'\n"
      "\n"
      "Arguments, by parameter type:\n"
      "  integers   decimal, 0x hex, 0b binary or 0 octal, optionally negative; checked\n"
      "             against the type's range (300 is an error for unsigned char)\n"
      "  bool       true, false, 0 or 1\n"
      "  floats     12.5, -1e-3, 0x1.8p1, inf, nan\n"
      "  strings    a const char * or char * parameter takes the text itself;\n"
      "             write str:null for the text \"null\"\n"
      "  pointers   null, or an address as an integer (0x7fff0000); str:TEXT passes a\n"
      "             text to any pointer (const void *, const unsigned char *)\n"
      "  buf:N      N zeroed bytes for a pointer parameter; printed as text after the call\n"
      "  out:TYPE   room for one TYPE (out:int, out:char*, out:u32=16 with a first value);\n"
      "             its value is printed after the call (frexp's exponent, strtol's endptr)\n"
      "  structs    passed by value: not possible from text (use a pointer instead)\n"
      "Arguments after the fixed ones of a variadic prototype ('...') are typed by a prefix,\n"
      "TYPE:VALUE (i32:7, i64:5, u64:0xff, f64:2, str:text, ptr:null, long:-1), or\n"
      "inferred: 42 -> int (long long if it does not fit), 4.5 or 1e3 -> double,\n"
      "null -> pointer, anything else (or \"quoted\") -> const char *. Narrow types are\n"
      "promoted as C does (short -> int, float -> double). For printf, snprintf and the\n"
      "other *printf functions (and syslog, err, warn, error) the format string types them\n"
      "instead: printf '%f' 2 passes 2.0; a TYPE: prefix still wins.\n"
      "\n"
      "Results: integers in decimal, floats in the shortest form that reads back exactly\n"
      "(cos(0) prints 1), strings as text or (null), other pointers in hex, structs as\n"
      "{field=value, ...}; void prints nothing.\n"
      "\n"
      "Options:\n"
      "  -b, --backend auto|jit|libffi   which back end makes the call (default: auto,\n"
      "                                  or JITFFI_BACKEND from the environment)\n"
      "  -d, --declare 'DECLARATIONS'    struct/typedef declarations for the prototype,\n"
      "                                  e.g. -d 'typedef struct FILE FILE;'\n"
      "  -e, --errno                     print errno after the call to stderr\n"
      "      --global                    open LIBRARY with RTLD_GLOBAL (default RTLD_LOCAL)\n"
      "      --lazy                      open LIBRARY with RTLD_LAZY (default RTLD_NOW)\n"
      "  -v, --verbose                   print the signature and back end to stderr\n"
      "  -h, --help                      this help\n"
      "  --                              ends the options, here or among the ARGs (the\n"
      "                                  first one only): ... 'int abs(int)' -- -7\n"
      "\n"
      "Exit status: 0 after the call, 1 when the library, the symbol or the back end fails,\n"
      "2 for a bad command line, prototype or argument.\n"
      "\n"
      "Examples:\n"
      "  jitffi call libm.so.6 'double cos(double)' 0                 -> 1\n"
      "  jitffi call libc.so.6 'size_t strlen(const char *)' hello    -> 5\n"
      "  jitffi call libc.so.6 'long labs(long)' -0x10                -> 16\n"
      "  jitffi call libm.so.6 'double frexp(double, int *)' 8 out:int -> 0.5, 4\n"
      "  jitffi call libc.so.6 'int gethostname(char *, size_t)' buf:64 64\n"
      "  jitffi call libc.so.6 'int printf(const char *, ...)' $'%s=%d\\n' x 42\n");
}

int run_call(const std::vector<std::string> &argv) {
  for (const std::string &a : argv) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") {
      print_call_help();
      return 0;
    }
    if (a.empty() || a[0] != '-') break;
  }
  CallCommand cmd = parse_command_line(argv);

  // The prototype is checked before the library is opened: a typo is reported as such.
  jitffi::Scope scope;
  declare_all(scope, cmd.declarations);
  std::string version;  // from NAME@VERSION, looked up with dlvsym
  std::string prototype;
  try {
    prototype = jitffi::Library::split_version(cmd.prototype, version);
  } catch (const jitffi::ParseError &e) {
    throw CliError(kExitUsage, explain_parse_error(e, "bad prototype"));
  }
  BoxedArgs call = box_arguments(parse_named_prototype(scope, prototype), cmd.args, scope);
  const jitffi::Signature &sig = call.sig;

  jitffi::Library lib = open_library(cmd.library, cmd.open);
  jitffi::Function fn;
  try {
    fn = lib.function(sig, version, cmd.options);
  } catch (const jitffi::SymbolError &e) {
    throw CliError(kExitFailure, e.what());
  } catch (const jitffi::Error &e) {
    throw CliError(kExitFailure, "cannot call " + sig.name() + ": " + e.what());
  }
  if (cmd.verbose)
    std::fprintf(stderr, "jitffi: %s at %p%s via %s\n", sig.canonical().c_str(), fn.address(),
                 version.empty() ? "" : (" (" + sig.name() + "@" + version + ")").c_str(),
                 std::string(jitffi::backend_name(fn.backend())).c_str());

  // 16-byte aligned room for any result (integers come back widened to 8 bytes).
  std::size_t size = std::max<std::size_t>(fn.return_size(), 16);
  auto ret = std::make_unique<std::max_align_t[]>((size + sizeof(std::max_align_t) - 1) /
                                                  sizeof(std::max_align_t));
  std::fflush(stdout);  // the callee may write to stdout itself (printf, puts)
  fn.call(ret.get(), call.boxed.data());
  int err = cmd.options.capture_errno ? jitffi::saved_errno() : 0;

  if (!sig.ret()->is_void()) {
    std::string out = format_value(*sig.ret(), ret.get());
    std::fflush(nullptr);
    std::printf("%s\n", out.c_str());
  }
  std::fflush(nullptr);
  print_outputs(call);
  std::fflush(stdout);
  if (cmd.options.capture_errno) std::fprintf(stderr, "errno: %d (%s)\n", err, std::strerror(err));
  return 0;
}

}  // namespace jitffi_cli
