// Internals of the jitffi command-line tool: text <-> values and the subcommands.
#pragma once

#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/jitffi.hpp"

namespace jitffi_cli {

// Exit codes: 0 success, 1 the call could not be made (library, symbol, back end),
// 2 the command line is wrong (usage, prototype, argument text).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// An error reported as "jitffi: <message>" with the given exit code.
class CliError : public std::runtime_error {
 public:
  CliError(int code, const std::string &message) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// One converted argument: the bytes the boxed call reads, and the string it may point to.
// Kept in a std::deque so that neither moves once args[] points at it.
struct ArgValue {
  alignas(16) unsigned char bytes[16] = {};
  std::string text;
  // `buf:N` and `out:TYPE[=VALUE]`: the memory the pointer argument points to, shown after the
  // call. `shown` is null for other arguments; a buffer has no type (printed as text).
  std::vector<unsigned char> storage;
  jitffi::TypeRef shown;
  bool is_buffer = false;
};

// Converts `text` to a value of scalar type `type` (integers in any C base, range-checked;
// floats incl. inf/nan/hex; `null` or an integer for pointers; the text itself for strings).
// Throws std::invalid_argument with the reason (without the argument's position).
void convert(const jitffi::Type &type, std::string_view text, ArgValue &out);

// A variadic argument: the type it is passed as (already default-promoted) and its text.
struct VarArg {
  jitffi::TypeRef type;
  std::string text;
};
// `i64:5`, `f64:2`, `str:x`, `TYPE:value` give the type; otherwise it is inferred: an integer
// -> int (long long when it does not fit), a decimal or hex float -> double, `null` -> pointer,
// anything else (or text in double quotes) -> const char *. Throws std::invalid_argument.
VarArg classify_vararg(std::string_view text, const jitffi::Scope &scope);
// Whether the text starts with `TYPE:` (letters, digits, _, spaces and * before the first ':'),
// which classify_vararg reads as the argument's type.
bool has_type_prefix(std::string_view text);

// The C-like spelling of a type for messages: "int (i32)", "const char *", "struct {f64,f64}".
std::string describe(const jitffi::Type &type);

// Formats a value of `type` at `p` (integer results already narrowed): integers in decimal,
// floats in the shortest %g form that reads back exactly, strings as themselves (`(null)`),
// other pointers in hex, structs as {a=1, b=2}. `top` is false inside aggregates, where
// strings are quoted.
std::string format_value(const jitffi::Type &type, const void *p, bool top = true);
// Shortest %g spelling of a double / float / long double that reads back to the same value.
std::string format_double(double v);
std::string format_float(float v);
std::string format_long_double(long double v);

// "expected X at position N" with the input line and a caret under the position.
std::string explain_parse_error(const jitffi::ParseError &e, std::string_view what);

// ---- prototype.cpp: the steps `call` and `bench` share ---------------------------------------
// Declares each -d text in `scope` (a last ';' may be left out). Bad text: CliError, exit 2.
void declare_all(jitffi::Scope &scope, const std::vector<std::string> &declarations);
// Parses a signature in either syntax; a ParseError becomes "bad <what>: ..." with a caret.
jitffi::Signature parse_signature(const jitffi::Scope &scope, const std::string &text,
                                  const char *what);
// A C prototype with a function name (the symbol to look up).
jitffi::Signature parse_named_prototype(const jitffi::Scope &scope, const std::string &text);

// The arguments of one call, converted and boxed: boxed[i] points into values[i].
struct BoxedArgs {
  jitffi::Signature sig;  // the prototype, with this call's variadic arguments appended
  std::deque<ArgValue> values;
  std::vector<void *> boxed;
};
// Checks the argument count and converts each text by its parameter's type (variadic ones by
// classify_vararg, or by the format string of a printf-family function). A pointer argument may
// be `buf:N` (N zeroed bytes) or `out:TYPE` / `out:TYPE=VALUE` (room for one TYPE); those are
// printed after the call by print_outputs. Bad text: CliError naming the argument, exit 2.
BoxedArgs box_arguments(const jitffi::Signature &prototype, const std::vector<std::string> &args,
                        const jitffi::Scope &scope);
// One line per `buf:`/`out:` argument: `arg 2 (out int): 4`, `arg 1 (buf 64): "text"`.
void print_outputs(const BoxedArgs &call);
// The types a printf-style format string takes, in order (`*` widths included); nullopt when it
// cannot be read that way (positional `%1$d`, an unknown conversion). Exposed for tests.
struct FormatTypes {
  std::vector<jitffi::TypeRef> types;
  std::vector<std::string> conversions;  // "%d", "%*" ... for messages
};
std::optional<FormatTypes> printf_format_types(std::string_view format, const jitffi::Scope &scope);
// Library::open; failure is CliError with exit 1 naming the library.
jitffi::Library open_library(const std::string &name, jitffi::OpenOptions how = {});

int run_call(const std::vector<std::string> &args);
int run_demo(const std::vector<std::string> &args);
int run_plan(const std::vector<std::string> &args);
int run_bench(const std::vector<std::string> &args);
void print_call_help();
void print_demo_help();
void print_plan_help();
void print_bench_help();

}  // namespace jitffi_cli
