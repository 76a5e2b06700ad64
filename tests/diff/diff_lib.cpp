// Loading generated libraries and rebuilding their signatures (see diff_lib.h).
#include "tests/diff/diff_lib.h"

#include <dlfcn.h>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace jitffi::difftest {

namespace {

template <class T>
T sym(void *h, const std::string &path, const char *name) {
  void *p = dlsym(h, name);
  if (!p) throw std::runtime_error(path + ": missing symbol " + name);
  return reinterpret_cast<T>(p);
}

// A recursive-descent reader of the canonical form, kept apart from signatures/parser.cpp on
// purpose: the suite must not trust the code it tests to tell it what it is testing.
class CanonReader {
 public:
  explicit CanonReader(std::string_view s) : s_(s) {}

  Signature signature() {
    std::size_t colon = s_.find(':');
    if (colon == std::string_view::npos) fail("an ABI prefix");
    auto abi = abi_from_name(s_.substr(0, colon));
    if (!abi) fail("a known ABI name");
    p_ = colon + 1;
    TypeRef ret = type();
    expect('(');
    std::vector<TypeRef> params;
    std::size_t fixed = 0;
    bool variadic = false;
    while (peek() != ')') {
      if (!params.empty() || variadic) expect(',');
      if (s_.substr(p_, 3) == "...") {
        p_ += 3;
        variadic = true;
        fixed = params.size();
        continue;
      }
      params.push_back(type());
    }
    expect(')');
    if (p_ != s_.size()) fail("the end of the signature");
    if (variadic) return Signature::variadic(*abi, ret, std::move(params), fixed);
    return Signature(*abi, ret, std::move(params));
  }

 private:
  TypeRef type() {
    TypeRef t;
    if (s_.substr(p_, 6) == "union{") {
      p_ += 5;
      t = Type::union_(members());
    } else if (peek() == '{') {
      t = Type::struct_(members());
    } else {
      std::size_t b = p_;
      while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])))) ++p_;
      std::string_view name = s_.substr(b, p_ - b);
      for (int k = 0; k <= int(TypeKind::Pointer) && !t; ++k)
        if (kind_name(TypeKind(k)) == name)
          t = k == int(TypeKind::Pointer) ? Type::pointer() : Type::scalar(TypeKind(k));
      if (!t) {
        p_ = b;
        fail("a scalar kind");
      }
    }
    // `T[2][3]` is 2 arrays of 3: apply the innermost (last) dimension first.
    std::vector<std::size_t> dims;
    while (peek() == '[') {
      ++p_;
      std::size_t n = 0, b = p_;
      while (p_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p_])))
        n = n * 10 + std::size_t(s_[p_++] - '0');
      if (p_ == b) fail("an array length");
      expect(']');
      dims.push_back(n);
    }
    for (auto it = dims.rbegin(); it != dims.rend(); ++it) t = Type::array(t, *it);
    return t;
  }

  std::vector<Field> members() {
    expect('{');
    std::vector<Field> m;
    do {
      std::string name = "m";  // appended, not `"m" + ...`: gcc 12 warns falsely (-Wrestrict)
      name += std::to_string(m.size());
      m.push_back(Field{std::move(name), type(), 0});
    } while (peek() == ',' && ++p_);
    expect('}');
    return m;
  }

  char peek() const { return p_ < s_.size() ? s_[p_] : '\0'; }
  void expect(char c) {
    if (peek() != c) fail(std::string("'") + c + "'");
    ++p_;
  }
  [[noreturn]] void fail(const std::string &what) const {
    throw std::runtime_error("expected " + what + " at position " + std::to_string(p_) + " in \"" +
                             std::string(s_) + "\"");
  }

  std::string_view s_;
  std::size_t p_ = 0;
};

}  // namespace

const DiffLib &load_lib(const std::string &abi, const std::string &path) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<DiffLib>> libs;
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = libs[abi];
  if (slot) return *slot;
  // RTLD_LOCAL: every mode's library has the same symbol names.
  void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw std::runtime_error("cannot load " + path + ": " + dlerror());
  auto lib = std::make_unique<DiffLib>();
  lib->abi = sym<const char *>(h, path, "diff_abi");
  lib->seed = sym<const char *>(h, path, "diff_seed");
  lib->path = path;
  if (lib->abi != abi) throw std::runtime_error(path + " was generated for " + lib->abi);
  auto chunks = sym<const diff_chunk *>(h, path, "diff_chunks");
  unsigned nchunks = *sym<const unsigned *>(h, path, "diff_chunk_count");
  for (unsigned c = 0; c < nchunks; ++c)
    for (unsigned k = 0; k < chunks[c].count; ++k) {
      const diff_entry *e = &chunks[c].entries[k];
      if (e->index != lib->entries.size())
        throw std::runtime_error(path + ": entry " + std::to_string(lib->entries.size()) +
                                 " holds index " + std::to_string(e->index));
      lib->entries.push_back(e);
    }
  lib->reset = sym<void (*)()>(h, path, "diff_reset");
  lib->failure_count = sym<unsigned (*)()>(h, path, "diff_failure_count");
  lib->typed_calls = sym<unsigned (*)()>(h, path, "diff_typed_calls");
  lib->first_failure = sym<const char *(*)()>(h, path, "diff_first_failure");
  slot = std::move(lib);
  return *slot;
}

Signature build_signature(std::string_view canonical) {
  return CanonReader(canonical).signature();
}

std::vector<CLayout> c_layouts(const diff_entry &e, std::size_t nparams) {
  std::vector<CLayout> out;
  const unsigned *p = e.layout;
  for (std::size_t i = 0; i <= nparams; ++i) {
    CLayout l;
    l.size = *p++;
    l.align = *p++;
    unsigned n = *p++;
    l.leaf_offsets.assign(p, p + n);
    p += n;
    out.push_back(std::move(l));
  }
  return out;
}

std::string compare_layout(const Type &t, const CLayout &c) {
  if (t.is_void()) return c.size == 0 ? "" : "void here, but C has size " + std::to_string(c.size);
  std::string out;
  if (t.size() != c.size)
    out += "size " + std::to_string(t.size()) + " (C: " + std::to_string(c.size) + ") ";
  if (t.align() != c.align)
    out += "align " + std::to_string(t.align()) + " (C: " + std::to_string(c.align) + ") ";
  std::vector<std::size_t> ours;
  t.for_each_scalar([&](std::size_t off, const Type &) { ours.push_back(off); });
  if (ours.size() != c.leaf_offsets.size()) {
    out +=
        std::to_string(ours.size()) + " leaves (C: " + std::to_string(c.leaf_offsets.size()) + ") ";
  } else {
    for (std::size_t i = 0; i < ours.size(); ++i)
      if (ours[i] != c.leaf_offsets[i]) {
        out += "leaf " + std::to_string(i) + " at offset " + std::to_string(ours[i]) +
               " (C: " + std::to_string(c.leaf_offsets[i]) + ") ";
        break;
      }
  }
  return out;
}

}  // namespace jitffi::difftest
