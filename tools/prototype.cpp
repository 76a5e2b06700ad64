// Command-line text -> declarations, a signature, boxed arguments and an opened library: the
// steps `jitffi call` and `jitffi bench` share, so that both read arguments the same way.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli.h"

namespace jitffi_cli {
namespace {

std::string param_label(const jitffi::Signature &sig, std::size_t i) {
  std::string label = "argument " + std::to_string(i + 1);
  if (i < sig.param_names().size() && !sig.param_names()[i].empty())
    label += " (" + sig.param_names()[i] + ")";
  return label;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::invalid_argument bad(std::string why) {
  return std::invalid_argument(std::move(why));
}

constexpr std::size_t kMaxOutputBytes = std::size_t{1} << 26;  // 64 MiB

// `buf:N` or `out:TYPE[=VALUE]`: points the argument at fresh zeroed memory (or a TYPE holding
// VALUE) that print_outputs shows after the call. False when the text is neither.
bool make_output(std::string_view text, const jitffi::Scope &scope, ArgValue &v) {
  if (starts_with(text, "buf:")) {
    const std::string n(text.substr(4));
    char *end = nullptr;
    errno = 0;
    const unsigned long long size = n.empty() || !std::isdigit(static_cast<unsigned char>(n[0]))
                                        ? 0
                                        : std::strtoull(n.c_str(), &end, 10);
    if (size == 0 || errno != 0 || end != n.c_str() + n.size() || size > kMaxOutputBytes)
      throw bad("buf:N needs a size in bytes from 1 to " + std::to_string(kMaxOutputBytes));
    v.storage.assign(static_cast<std::size_t>(size) + 1, 0);  // a NUL past the end: printable
    v.is_buffer = true;
  } else if (starts_with(text, "out:")) {
    std::string_view spec = text.substr(4), init;
    const bool has_init = spec.find('=') != std::string_view::npos;
    if (has_init) {
      init = spec.substr(spec.find('=') + 1);
      spec = spec.substr(0, spec.find('='));
    }
    jitffi::TypeRef t;
    try {
      t = scope.type(spec);
    } catch (const jitffi::Error &e) {
      throw bad("out:TYPE needs a type: '" + std::string(spec) + "': " + e.what());
    }
    if (t->is_void() || t->size() == 0 || t->size() > kMaxOutputBytes)
      throw bad("out:" + std::string(spec) + " has no room to write to (" +
                std::to_string(t->size()) + " bytes)");
    v.storage.assign(std::max<std::size_t>(t->size(), 16), 0);
    if (has_init) {
      if (t->is_aggregate())
        throw bad("out:TYPE=VALUE takes a number, pointer or string type, not " + describe(*t));
      convert(*t, init, v);  // a string's text stays in v.text
      std::memcpy(v.storage.data(), v.bytes, t->size());
    }
    v.shown = t;
  } else {
    return false;
  }
  void *p = v.storage.data();
  std::memset(v.bytes, 0, sizeof v.bytes);
  std::memcpy(v.bytes, &p, sizeof p);
  return true;
}

// printf, fprintf, snprintf, asprintf, dprintf, ...printf, and the libc functions that take a
// printf format as their last fixed parameter.
bool takes_printf_format(const jitffi::Signature &sig) {
  const std::string &name = sig.name();
  const std::size_t fixed = sig.fixed_count();
  if (!sig.is_variadic() || fixed == 0 || !sig.params()[fixed - 1]->is_cstr()) return false;
  if (name.size() >= 6 && name.compare(name.size() - 6, 6, "printf") == 0) return true;
  for (const char *n : {"syslog", "err", "errx", "warn", "warnx", "error", "error_at_line"})
    if (name == n) return true;
  return false;
}

}  // namespace

std::optional<FormatTypes> printf_format_types(std::string_view f, const jitffi::Scope &scope) {
  using jitffi::Type;
  using jitffi::TypeKind;
  FormatTypes out;
  auto add = [&](jitffi::TypeRef t, std::string conv) {
    out.types.push_back(std::move(t));
    out.conversions.push_back(std::move(conv));
  };
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') continue;
    const std::size_t start = i++;
    if (i < f.size() && f[i] == '%') continue;
    while (i < f.size() && std::strchr("-+ #0'I", f[i])) ++i;  // flags
    if (i < f.size() && f[i] == '*') {
      add(Type::scalar(TypeKind::I32), "* (width)");
      ++i;
    }
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) ++i;
    if (i < f.size() && f[i] == '$') return std::nullopt;  // positional: not read here
    if (i < f.size() && f[i] == '.') {
      ++i;
      if (i < f.size() && f[i] == '*') {
        add(Type::scalar(TypeKind::I32), ".* (precision)");
        ++i;
      }
      while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) ++i;
    }
    std::string len;
    while (i < f.size() && std::strchr("hlLqjzt", f[i])) len += f[i++];
    if (i >= f.size()) return std::nullopt;
    const char c = f[i];
    const std::string conv(f.substr(start, i + 1 - start));
    const bool wide =
        len == "ll" || len == "q" || len == "L" || len == "j" || len == "z" || len == "t";
    switch (c) {
      case 'd':
      case 'i':
        add(len == "l" ? scope.type("long") : Type::scalar(wide ? TypeKind::I64 : TypeKind::I32),
            conv);
        break;
      case 'o':
      case 'u':
      case 'x':
      case 'X':
        add(len == "l" ? scope.type("unsigned long")
                       : Type::scalar(wide ? TypeKind::U64 : TypeKind::U32),
            conv);
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
      case 'a':
      case 'A':
        add(len == "L" ? scope.type("long double") : Type::scalar(TypeKind::F64), conv);
        break;
      case 'c':
        add(Type::scalar(len == "l" ? TypeKind::U32 : TypeKind::I32), conv);
        break;
      case 's':
        add(len == "l" ? Type::pointer() : Type::cstr(), conv);
        break;
      case 'p':
      case 'n':
        add(Type::pointer(), conv);
        break;
      case 'm':  // glibc: strerror(errno), no argument
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

void declare_all(jitffi::Scope &scope, const std::vector<std::string> &declarations) {
  for (const std::string &d : declarations) {
    try {
      // A last `;` may be left out: -d 'typedef struct _IO_FILE FILE'.
      std::size_t end = d.find_last_not_of(" \t\n");
      scope.declare(end != std::string::npos && d[end] != ';' ? d + ";" : d);
    } catch (const jitffi::ParseError &e) {
      throw CliError(kExitUsage, explain_parse_error(e, "bad declaration"));
    } catch (const jitffi::Error &e) {
      throw CliError(kExitUsage, std::string("bad declaration: ") + e.what());
    }
  }
}

jitffi::Signature parse_signature(const jitffi::Scope &scope, const std::string &text,
                                  const char *what) {
  try {
    return scope.signature(text);
  } catch (const jitffi::ParseError &e) {
    throw CliError(kExitUsage, explain_parse_error(e, std::string("bad ") + what));
  } catch (const jitffi::Error &e) {
    throw CliError(kExitUsage, std::string("bad ") + what + ": " + e.what());
  }
}

jitffi::Signature parse_named_prototype(const jitffi::Scope &scope, const std::string &text) {
  jitffi::Signature sig = parse_signature(scope, text, "prototype");
  if (sig.name().empty())
    throw CliError(kExitUsage, "the prototype '" + text +
                                   "' has no function name: write it as a C prototype, e.g. "
                                   "'double cos(double)'");
  return sig;
}

BoxedArgs box_arguments(const jitffi::Signature &prototype, const std::vector<std::string> &args,
                        const jitffi::Scope &scope) {
  const jitffi::Signature &sig = prototype;
  std::size_t fixed = sig.fixed_count();
  if (sig.is_variadic() ? args.size() < fixed : args.size() != fixed) {
    throw CliError(kExitUsage, sig.name() + " takes " + (sig.is_variadic() ? "at least " : "") +
                                   std::to_string(fixed) + " argument" + (fixed == 1 ? "" : "s") +
                                   ", " + std::to_string(args.size()) + " given");
  }

  // A printf-family function: its format string types the variadic arguments that do not
  // give their own type (`printf '%f' 2` passes 2.0, as C would have it written).
  std::optional<FormatTypes> format;
  if (takes_printf_format(sig)) {
    std::string_view f = args[fixed - 1];
    if (starts_with(f, "str:")) f.remove_prefix(4);
    format = printf_format_types(f, scope);
    if (format && args.size() - fixed < format->types.size())
      throw CliError(
          kExitUsage, param_label(sig, fixed - 1) + " '" + args[fixed - 1] + "' takes " +
                          std::to_string(format->types.size()) + " argument" +
                          (format->types.size() == 1 ? "" : "s") + " (" +
                          [&] {
                            std::string list;
                            for (const std::string &c : format->conversions)
                              list += (list.empty() ? "" : " ") + c;
                            return list;
                          }() +
                          "), " + std::to_string(args.size() - fixed) + " given");
  }

  // Convert every argument; a variadic tail decides its own types.
  BoxedArgs out{prototype, {}, {}};
  std::vector<jitffi::TypeRef> vararg_types;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string &text = args[i];
    try {
      ArgValue &v = out.values.emplace_back();
      const bool output = starts_with(text, "buf:") || starts_with(text, "out:");
      if (i < fixed) {
        const jitffi::Type &param = *sig.params()[i];
        if (output && param.kind() != jitffi::TypeKind::Pointer)
          throw bad("buf: and out: point the argument at memory; this parameter is " +
                    describe(param) + ", not a pointer");
        if (!output || !make_output(text, scope, v)) convert(param, text, v);
      } else if (output && make_output(text, scope, v)) {
        vararg_types.push_back(jitffi::Type::pointer());
      } else if (const std::size_t k = i - fixed;
                 format && k < format->types.size() && !has_type_prefix(text)) {
        jitffi::TypeRef t = format->types[k];
        std::string value = text;
        // %c takes a character as itself: `printf '%c' A`; digits stay numbers.
        if (format->conversions[k].back() == 'c' && text.size() == 1 &&
            !std::isdigit(static_cast<unsigned char>(text[0])))
          value = std::to_string(static_cast<unsigned char>(text[0]));
        try {
          convert(*t, value, v);
        } catch (const std::invalid_argument &e) {
          throw bad(std::string(e.what()) + ", for " + format->conversions[k] +
                    " of the format; TYPE:VALUE overrides");
        }
        vararg_types.push_back(t);
      } else {
        VarArg va = classify_vararg(text, scope);
        convert(*va.type, va.text, v);
        vararg_types.push_back(va.type);
      }
      out.boxed.push_back(v.bytes);
    } catch (const std::invalid_argument &e) {
      throw CliError(kExitUsage, param_label(sig, i) + " '" + text + "': " + e.what());
    } catch (const jitffi::Error &e) {
      throw CliError(kExitUsage, param_label(sig, i) + " '" + text + "': " + e.what());
    }
  }
  if (sig.is_variadic()) {
    try {
      out.sig = sig.with_varargs(vararg_types);
    } catch (const jitffi::Error &e) {
      throw CliError(kExitUsage, std::string("variadic arguments: ") + e.what());
    }
  }
  return out;
}

jitffi::Library open_library(const std::string &name, jitffi::OpenOptions how) {
  try {
    return jitffi::Library::open(name, how);
  } catch (const jitffi::Error &e) {
    std::string what = e.what();  // LibraryError names the library and every attempt
    if (what.find(name) == std::string::npos) what = "cannot open library '" + name + "': " + what;
    throw CliError(kExitFailure, what);
  }
}

}  // namespace jitffi_cli

namespace jitffi_cli {

void print_outputs(const BoxedArgs &call) {
  for (std::size_t i = 0; i < call.values.size(); ++i) {
    const ArgValue &v = call.values[i];
    if (v.is_buffer) {
      std::string text = "\"";
      for (const unsigned char *p = v.storage.data(); *p; ++p) {
        if (*p == '"' || *p == '\\') {
          text += '\\';
          text += static_cast<char>(*p);
        } else if (*p == '\n') {
          text += "\\n";
        } else if (*p == '\t') {
          text += "\\t";
        } else if (*p < 0x20 || *p == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", *p);
          text += hex;
        } else {
          text += static_cast<char>(*p);
        }
      }
      std::printf("arg %zu (buf %zu): %s\"\n", i + 1, v.storage.size() - 1, text.c_str());
    } else if (v.shown) {
      std::printf("arg %zu (out %s): %s\n", i + 1, describe(*v.shown).c_str(),
                  format_value(*v.shown, v.storage.data(), false).c_str());
    }
  }
}

}  // namespace jitffi_cli
