// `jitffi demo`: a short tour of the API that checks every result against a direct call.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli.h"
#include "jitffi.h"

namespace jitffi_cli {
namespace {

using jitffi::Function;
using jitffi::Library;

// Counts results that disagree with the direct C++ call; the demo fails if any does.
struct Checker {
  int mismatches = 0;
  std::string last_prototype;

  // Prints the prototype once, then `call = result [back end]` under it.
  void line(const std::string &prototype, const std::string &call, const std::string &got,
            const std::string &expected, const Function &fn) {
    if (prototype != last_prototype) std::printf("  %s\n", prototype.c_str());
    last_prototype = prototype;
    std::string shown = call + " = " + got;
    bool ok = got == expected;
    std::printf("    %-44s [%s]%s\n", shown.c_str(),
                std::string(jitffi::backend_name(fn.backend())).c_str(),
                ok ? "" : ("  MISMATCH: expected " + expected).c_str());
    if (!ok) ++mismatches;
  }
};

std::string join(const std::vector<int> &v) {
  std::string out;
  for (int x : v) {
    if (!out.empty()) out += ' ';
    out += std::to_string(x);
  }
  return out;
}

jitffi::BackendChoice parse_backend_option(const std::vector<std::string> &args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name;
    if ((args[i] == "-b" || args[i] == "--backend") && i + 1 < args.size())
      name = args[++i];
    else if (args[i].rfind("--backend=", 0) == 0)
      name = args[i].substr(10);
    else
      throw CliError(kExitUsage,
                     "unknown demo argument '" + args[i] + "' (see jitffi demo --help)");
    if (name == "auto") return jitffi::BackendChoice::Auto;
    if (name == "jit") return jitffi::BackendChoice::Jit;
    if (name == "libffi") return jitffi::BackendChoice::Libffi;
    throw CliError(kExitUsage, "unknown back end '" + name + "' (expected auto, jit or libffi)");
  }
  return jitffi::default_backend();
}

const char *choice_name(jitffi::BackendChoice c) {
  switch (c) {
    case jitffi::BackendChoice::Jit:
      return "jit";
    case jitffi::BackendChoice::Libffi:
      return "libffi";
    case jitffi::BackendChoice::Auto:
      break;
  }
  return "auto (the JIT where it can serve a signature, libffi otherwise)";
}

void section(const char *title) {
  std::printf("\n%s\n", title);
}

}  // namespace

void print_demo_help() {
  std::fputs(
      "usage: jitffi demo [--backend auto|jit|libffi]\n"
      "\n"
      "Calls a few libm and libc functions by their C prototypes (cos, pow, sqrtf, strlen,\n"
      "abs, labs, atoi, getpid), a variadic snprintf, close(-1) with errno capture, and sorts\n"
      "an array with qsort through a closure. Prints which back end ran each call and checks\n"
      "every result against a direct call: the exit status is 1 if any disagrees.\n",
      stdout);
}

int run_demo(const std::vector<std::string> &args) {
  for (const std::string &a : args)
    if (a == "-h" || a == "--help") return print_demo_help(), 0;
  jitffi::BackendChoice choice = parse_backend_option(args);
  jitffi::set_default_backend(choice);
  Checker check;

  std::printf("jitffi %s demo: C functions called by prototype, through generated stubs\n",
              jitffi_version());
  std::printf("back end: %s\n", choice_name(choice));

  section("1. libm, each function declared by its C prototype");
  Library libm = Library::open("libm.so.6");
  {
    Function cos_fn = libm.function("double cos(double)");
    check.line("double cos(double)", "cos(0)", format_double(cos_fn.invoke<double>(0.0)),
               format_double(std::cos(0.0)), cos_fn);
    check.line("double cos(double)", "cos(1)", format_double(cos_fn.invoke<double>(1.0)),
               format_double(std::cos(1.0)), cos_fn);
    Function pow_fn = libm.function("double pow(double x, double y)");
    check.line("double pow(double x, double y)", "pow(2, 10)",
               format_double(pow_fn.invoke<double>(2.0, 10.0)), "1024", pow_fn);
    Function sqrtf_fn = libm.function("float sqrtf(float)");
    check.line("float sqrtf(float)", "sqrtf(2)", format_float(sqrtf_fn.invoke<float>(2.0f)),
               format_float(std::sqrt(2.0f)), sqrtf_fn);
  }

  section("2. libc: strings, narrow and wide integers, the process id");
  Library libc = Library::open("libc.so.6");
  {
    Function strlen_fn = libc.function("size_t strlen(const char *s)");
    const char *text = "hello, jitffi";
    check.line("size_t strlen(const char *s)", "strlen(\"hello, jitffi\")",
               std::to_string(strlen_fn.invoke<std::size_t>(text)),
               std::to_string(std::strlen(text)), strlen_fn);
    Function abs_fn = libc.function("int abs(int)");
    check.line("int abs(int)", "abs(-42)", std::to_string(abs_fn.invoke<int>(-42)), "42", abs_fn);
    Function labs_fn = libc.function("long labs(long)");
    check.line("long labs(long)", "labs(-0x7fffffffff)",
               std::to_string(labs_fn.invoke<long>(-0x7fffffffffL)), std::to_string(0x7fffffffffL),
               labs_fn);
    Function atoi_fn = libc.function("int atoi(const char *)");
    const char *number = "-1234";
    check.line("int atoi(const char *)", "atoi(\"-1234\")",
               std::to_string(atoi_fn.invoke<int>(number)), "-1234", atoi_fn);
    Function getpid_fn = libc.function("int getpid(void)");
    check.line("int getpid(void)", "getpid()", std::to_string(getpid_fn.invoke<int>()),
               std::to_string(::getpid()), getpid_fn);
  }

  section("3. a variadic call: this call's arguments after '...' are (const char *, int, double)");
  {
    jitffi::Signature proto =
        libc.scope().signature("int snprintf(char *buf, size_t size, const char *fmt, ...)");
    jitffi::Signature call_sig =
        proto.with_varargs({jitffi::Type::cstr(), jitffi::Type::scalar(jitffi::TypeKind::I32),
                            jitffi::Type::scalar(jitffi::TypeKind::F64)});
    Function snprintf_fn = libc.function(call_sig);
    char buf[64] = {};
    const char *fmt = "%s has %d letters; pi ~ %.4f";
    const char *word = "jitffi";
    int letters = 6;
    double pi = M_PI;
    std::size_t size = sizeof buf;
    char *bufp = buf;
    void *argv[] = {&bufp, &size, &fmt, &word, &letters, &pi};
    alignas(8) std::int64_t n = 0;
    snprintf_fn.call(&n, argv);
    char expected[64];
    int expected_n = std::snprintf(expected, sizeof expected, fmt, word, letters, pi);
    check.line("int snprintf(char *buf, size_t size, const char *fmt, ...)",
               "snprintf(buf, 64, fmt, word, letters, pi)", std::to_string(static_cast<int>(n)),
               std::to_string(expected_n), snprintf_fn);
    bool same = std::strcmp(buf, expected) == 0;
    std::printf("    buf = \"%s\"%s\n", buf, same ? "" : "  MISMATCH");
    std::printf("    (the signature of this call: %s)\n", call_sig.canonical().c_str());
    if (!same) ++check.mismatches;
  }

  section("4. errno, captured right after the call (CallOptions::capture_errno)");
  {
    jitffi::CallOptions opts;
    opts.capture_errno = true;
    Function close_fn = libc.function("int close(int fd)", opts);
    jitffi::set_saved_errno(0);
    int r = close_fn.invoke<int>(-1);
    int err = jitffi::saved_errno();
    check.line("int close(int fd)", "close(-1)", std::to_string(r), "-1", close_fn);
    std::printf("    saved errno = %d (%s)%s\n", err, std::strerror(err),
                err == EBADF ? "" : "  MISMATCH: expected EBADF");
    if (err != EBADF) ++check.mismatches;
  }

  section("5. a closure: a C++ lambda as qsort's comparator, qsort itself called through jitffi");
  {
    libc.scope().declare("typedef int (*compare_fn)(const void *, const void *);");
    Function qsort_fn =
        libc.function("void qsort(void *base, size_t n, size_t size, compare_fn compare)");
    int calls = 0;
    jitffi::Closure compare(jitffi::Signature::parse("int(const void *, const void *)"),
                            [&calls](void *ret, void **args) {
                              ++calls;
                              int a = **static_cast<const int *const *>(args[0]);
                              int b = **static_cast<const int *const *>(args[1]);
                              std::int64_t r = (a > b) - (a < b);  // widened, like ffi_arg
                              std::memcpy(ret, &r, sizeof r);
                            });
    std::vector<int> values = {42, -7, 19, 0, 88, 3, -21, 64, 5, 11};
    std::vector<int> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::printf("  before: %s\n", join(values).c_str());
    void *base = values.data();
    std::size_t n = values.size(), size = sizeof(int);
    void *code = compare.code();
    qsort_fn.invoke<void>(base, n, size, code);
    bool ok = values == sorted && calls > 0;
    std::printf("  after:  %s%s\n", join(values).c_str(), ok ? "" : "  MISMATCH");
    std::printf("  qsort [%s] called the closure [%s] %d times\n",
                std::string(jitffi::backend_name(qsort_fn.backend())).c_str(),
                std::string(jitffi::backend_name(compare.backend())).c_str(), calls);
    if (!ok) ++check.mismatches;
  }

  section("6. mistakes are reported with the text and the position");
  {
    const char *bad = "double cos(doubel x)";
    try {
      jitffi::Signature::parse(bad);
      std::printf("  Signature::parse(\"%s\") was accepted  MISMATCH\n", bad);
      ++check.mismatches;
    } catch (const jitffi::ParseError &e) {
      std::string shown = explain_parse_error(e, "ParseError");
      std::printf("  Signature::parse(\"%s\") throws\n  %s\n", bad, shown.c_str());
    }
    try {
      libm.function("double no_such_function(double)");
      std::printf("  no_such_function was found  MISMATCH\n");
      ++check.mismatches;
    } catch (const jitffi::SymbolError &e) {
      std::printf(
          "  libm.function(\"double no_such_function(double)\") throws SymbolError:\n"
          "    %s\n",
          e.what());
    }
  }

  if (check.mismatches) {
    std::printf("\ndemo FAILED: %d result(s) differ from the direct call\n", check.mismatches);
    return kExitFailure;
  }
  std::printf("\nevery result matches the direct C call\n");
  return 0;
}

}  // namespace jitffi_cli
