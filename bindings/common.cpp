// Library lookup and function-table resolution shared by every binding.
#include "jitffi/bindings/common.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "coverage.h"

namespace jitffi::bindings {

namespace {

std::string join(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

MissingSymbolsError::MissingSymbolsError(std::string library, std::vector<std::string> symbols)
    : BindingError(library + " lacks required symbol" + (symbols.size() == 1 ? "" : "s") + ": " +
                   join(symbols)),
      library_(std::move(library)),
      symbols_(std::move(symbols)) {}

Library open_library(const LibraryLocation &where, std::string_view path_override) {
  if (!path_override.empty()) {
    try {
      return Library::open(path_override);
    } catch (const LibraryError &e) {
      throw LibraryError(std::string(where.display_name) + ": the path given (" +
                         std::string(path_override) + ") cannot be opened: " + e.what());
    }
  }
  if (!where.env_var.empty()) {
    const char *env = std::getenv(std::string(where.env_var).c_str());
    if (env && *env) {
      try {
        return Library::open(env);
      } catch (const LibraryError &e) {
        throw LibraryError(std::string(where.display_name) + ": " + std::string(where.env_var) +
                           "=" + env + " cannot be opened: " + e.what());
      }
    }
  }
  std::string tried;
  for (std::string_view soname : where.sonames) {
    try {
      return Library::open(soname);
    } catch (const LibraryError &e) {
      tried += "\n";
      tried += e.what();
    }
  }
  throw LibraryError("cannot find " + std::string(where.display_name) +
                     (where.env_var.empty()
                          ? std::string()
                          : " (set " + std::string(where.env_var) + " to its path)") +
                     ":" + tried);
}

Function resolve_one(const Library &lib, std::string_view prototype, unsigned flags,
                     std::vector<std::string> &missing, std::string_view binding) {
  Signature sig = lib.scope().signature(prototype);
  if (sig.name().empty())
    throw BindingError("binding prototype without a function name: " + std::string(prototype));
  void *address = lib.find(sig.name());
  if (!binding.empty() && coverage::enabled() && (address || (flags & kOptional)))
    address = coverage::counted(binding, sig.name(), address);
  if (!address) {
    if (!(flags & kOptional)) missing.push_back(sig.name());
    return Function();
  }
  CallOptions options;
  options.capture_errno = (flags & kErrno) != 0;
  return Function(std::move(sig), address, options);
}

Function VariadicCache::get(const Function &fn, std::vector<TypeRef> varargs) const {
  if (!fn) throw BindingError("VariadicCache: the variadic function is not resolved");
  Signature sig = fn.signature().with_varargs(std::move(varargs));
  // Keyed by target and call shape: two functions may share a signature (curl_easy_setopt and
  // curl_easy_getinfo do), and a cache keyed by the signature alone would call the wrong one.
  char addr[2 + 2 * sizeof(void *) + 2];
  std::snprintf(addr, sizeof addr, "%p:", fn.address());
  std::string key = addr + sig.canonical();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  return cache_.emplace(std::move(key), Function(std::move(sig), fn.address())).first->second;
}

std::unique_ptr<std::max_align_t[]> zeroed_storage(std::size_t bytes) {
  std::size_t n = (bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
  std::unique_ptr<std::max_align_t[]> p(new std::max_align_t[n]);
  std::memset(static_cast<void *>(p.get()), 0, n * sizeof(std::max_align_t));
  return p;
}

StructLayout::StructLayout(TypeRef type) : type_(std::move(type)) {
  if (!type_ || !type_->is_aggregate())
    throw BindingError("StructLayout: not a struct or union: " +
                       (type_ ? type_->canonical() : std::string("(null)")));
}

std::size_t StructLayout::offset(std::string_view path, std::size_t *size) const {
  if (!type_) throw BindingError("StructLayout: empty layout");
  const Type *t = type_.get();
  std::size_t off = 0;
  std::string_view rest = path;
  auto bad = [&](const std::string &why) {
    return BindingError("struct " + t->tag() + ": " + why + " in member path '" +
                        std::string(path) + "'");
  };
  while (!rest.empty()) {
    if (rest.front() == '[') {  // an array index
      std::size_t close = rest.find(']');
      if (t->kind() != TypeKind::Array || close == std::string_view::npos)
        throw bad("unexpected '['");
      std::size_t index = std::stoul(std::string(rest.substr(1, close - 1)));
      if (index >= t->count()) throw bad("index " + std::to_string(index) + " out of range");
      off += index * t->element()->size();
      t = t->element().get();
      rest.remove_prefix(close + 1);
    } else {
      if (rest.front() == '.') rest.remove_prefix(1);
      std::size_t end = rest.find_first_of(".[");
      std::string_view name = rest.substr(0, end);
      const Field *found = nullptr;
      for (const Field &f : t->fields())
        if (f.name == name) found = &f;
      if (!found) throw bad("no member '" + std::string(name) + "'");
      off += found->offset;
      t = found->type.get();
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
  }
  if (size) *size = t->size();
  return off;
}

std::size_t StructLayout::checked(std::string_view path, std::size_t want) const {
  std::size_t size = 0;
  std::size_t off = offset(path, &size);
  if (size != want)
    throw BindingError("struct " + type_->tag() + ": member '" + std::string(path) + "' has " +
                       std::to_string(size) + " bytes, accessed as " + std::to_string(want));
  return off;
}

}  // namespace jitffi::bindings
