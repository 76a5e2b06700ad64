// Command-line text -> declarations, a signature, boxed arguments and an opened library: the
// steps `jitffi call` and `jitffi bench` share, so that both read arguments the same way.
#include "cli.h"

namespace jitffi_cli {
namespace {

std::string param_label(const jitffi::Signature &sig, std::size_t i) {
  std::string label = "argument " + std::to_string(i + 1);
  if (i < sig.param_names().size() && !sig.param_names()[i].empty())
    label += " (" + sig.param_names()[i] + ")";
  return label;
}

}  // namespace

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

  // Convert every argument; a variadic tail decides its own types.
  BoxedArgs out{prototype, {}, {}};
  std::vector<jitffi::TypeRef> vararg_types;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string &text = args[i];
    try {
      ArgValue &v = out.values.emplace_back();
      if (i < fixed) {
        convert(*sig.params()[i], text, v);
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
