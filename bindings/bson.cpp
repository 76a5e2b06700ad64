// libbson binding: the C declarations (one place, below), the library handle and the RAII layer.
#include "jitffi/bindings/bson.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace jitffi::bindings::bson {

namespace {

// Every C declaration this binding uses (libbson 1.x, bson-types.h and friends). bson_t,
// bson_iter_t, bson_oid_t, bson_decimal128_t and bson_error_t are only reached through pointers,
// so they are declared opaque; their sizes live in bson.h (checked by the tests).
constexpr std::string_view kDeclarations = R"(
  typedef struct _bson_t bson_t;
  typedef struct _bson_iter_t bson_iter_t;
  typedef struct _bson_oid_t bson_oid_t;
  typedef struct _bson_decimal128_t bson_decimal128_t;
  typedef struct _bson_error_t bson_error_t;
  typedef enum { BSON_TYPE_EOD = 0, BSON_TYPE_MINKEY = 0xFF } bson_type_t;
  typedef enum { BSON_SUBTYPE_BINARY = 0, BSON_SUBTYPE_USER = 0x80 } bson_subtype_t;
  typedef enum { BSON_VALIDATE_NONE = 0, BSON_VALIDATE_EMPTY_KEYS = 16 } bson_validate_flags_t;
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::get_version, "const char *bson_get_version(void)"},
    {&Api::new_, "bson_t *bson_new(void)"},
    {&Api::destroy, "void bson_destroy(bson_t *bson)"},
    {&Api::get_data, "const uint8_t *bson_get_data(const bson_t *bson)"},
    {&Api::new_from_data, "bson_t *bson_new_from_data(const uint8_t *data, size_t length)"},
    {&Api::new_from_json,
     "bson_t *bson_new_from_json(const uint8_t *data, ssize_t len, bson_error_t *error)"},
    {&Api::init_static, "bool bson_init_static(bson_t *b, const uint8_t *data, size_t length)"},
    {&Api::copy, "bson_t *bson_copy(const bson_t *bson)"},
    {&Api::equal, "bool bson_equal(const bson_t *bson, const bson_t *other)"},
    {&Api::count_keys, "uint32_t bson_count_keys(const bson_t *bson)"},
    {&Api::has_field, "bool bson_has_field(const bson_t *bson, const char *key)"},
    {&Api::free, "void bson_free(void *mem)"},
    {&Api::append_int32,
     "bool bson_append_int32(bson_t *bson, const char *key, int key_length, int32_t value)"},
    {&Api::append_int64,
     "bool bson_append_int64(bson_t *bson, const char *key, int key_length, int64_t value)"},
    {&Api::append_double,
     "bool bson_append_double(bson_t *bson, const char *key, int key_length, double value)"},
    {&Api::append_utf8,
     "bool bson_append_utf8(bson_t *bson, const char *key, int key_length, const char *value, "
     "int length)"},
    {&Api::append_bool,
     "bool bson_append_bool(bson_t *bson, const char *key, int key_length, bool value)"},
    {&Api::append_null, "bool bson_append_null(bson_t *bson, const char *key, int key_length)"},
    {&Api::append_binary,
     "bool bson_append_binary(bson_t *bson, const char *key, int key_length, "
     "bson_subtype_t subtype, const uint8_t *binary, uint32_t length)"},
    {&Api::append_oid,
     "bool bson_append_oid(bson_t *bson, const char *key, int key_length, const bson_oid_t *oid)"},
    {&Api::append_date_time,
     "bool bson_append_date_time(bson_t *bson, const char *key, int key_length, int64_t value)"},
    {&Api::append_decimal128,
     "bool bson_append_decimal128(bson_t *bson, const char *key, int key_length, "
     "const bson_decimal128_t *value)"},
    {&Api::append_document,
     "bool bson_append_document(bson_t *bson, const char *key, int key_length, "
     "const bson_t *value)"},
    {&Api::append_array,
     "bool bson_append_array(bson_t *bson, const char *key, int key_length, const bson_t *array)"},
    {&Api::oid_init_from_string,
     "void bson_oid_init_from_string(bson_oid_t *oid, const char *str)"},
    // The header says `char str[25]`; the parser wants the pointer C passes (25 bytes, NUL incl.).
    {&Api::oid_to_string, "void bson_oid_to_string(const bson_oid_t *oid, char *str)"},
    {&Api::oid_is_valid, "bool bson_oid_is_valid(const char *str, size_t length)"},
    {&Api::decimal128_from_string,
     "bool bson_decimal128_from_string(const char *string, bson_decimal128_t *dec)"},
    {&Api::decimal128_to_string,
     "void bson_decimal128_to_string(const bson_decimal128_t *dec, char *str)"},
    {&Api::iter_init, "bool bson_iter_init(bson_iter_t *iter, const bson_t *bson)"},
    {&Api::iter_init_find,
     "bool bson_iter_init_find(bson_iter_t *iter, const bson_t *bson, const char *key)"},
    {&Api::iter_next, "bool bson_iter_next(bson_iter_t *iter)"},
    {&Api::iter_key, "const char *bson_iter_key(const bson_iter_t *iter)"},
    {&Api::iter_type, "bson_type_t bson_iter_type(const bson_iter_t *iter)"},
    {&Api::iter_int32, "int32_t bson_iter_int32(const bson_iter_t *iter)"},
    {&Api::iter_int64, "int64_t bson_iter_int64(const bson_iter_t *iter)"},
    {&Api::iter_double, "double bson_iter_double(const bson_iter_t *iter)"},
    {&Api::iter_utf8, "const char *bson_iter_utf8(const bson_iter_t *iter, uint32_t *length)"},
    {&Api::iter_bool, "bool bson_iter_bool(const bson_iter_t *iter)"},
    {&Api::iter_binary,
     "void bson_iter_binary(const bson_iter_t *iter, bson_subtype_t *subtype, "
     "uint32_t *binary_len, const uint8_t **binary)"},
    {&Api::iter_oid, "const bson_oid_t *bson_iter_oid(const bson_iter_t *iter)"},
    {&Api::iter_date_time, "int64_t bson_iter_date_time(const bson_iter_t *iter)"},
    {&Api::iter_decimal128,
     "bool bson_iter_decimal128(const bson_iter_t *iter, bson_decimal128_t *dec)"},
    {&Api::iter_recurse, "bool bson_iter_recurse(const bson_iter_t *iter, bson_iter_t *child)"},
    {&Api::iter_find_descendant,
     "bool bson_iter_find_descendant(bson_iter_t *iter, const char *dotkey, "
     "bson_iter_t *descendant)"},
    {&Api::as_canonical_extended_json,
     "char *bson_as_canonical_extended_json(const bson_t *bson, size_t *length)"},
    {&Api::as_relaxed_extended_json,
     "char *bson_as_relaxed_extended_json(const bson_t *bson, size_t *length)"},
    {&Api::validate,
     "bool bson_validate(const bson_t *bson, bson_validate_flags_t flags, size_t *offset)"},
    {&Api::validate_with_error,
     "bool bson_validate_with_error(const bson_t *bson, bson_validate_flags_t flags, "
     "bson_error_t *error)"},
};

const LibraryLocation kLocation{"bson", "JITFFI_BSON_PATH", {"libbson-1.0.so.0", "libbson-1.0.so"}};

const char *const kTypeNames[] = {"eod",        "double",    "utf8",      "document", "array",
                                  "binary",     "undefined", "oid",       "bool",     "date_time",
                                  "null",       "regex",     "dbpointer", "code",     "symbol",
                                  "codewscope", "int32",     "timestamp", "int64",    "decimal128"};

std::string type_name(Type t) {
  auto v = static_cast<std::uint32_t>(t);
  if (v < std::size(kTypeNames)) return kTypeNames[v];
  if (t == Type::MaxKey) return "maxkey";
  if (t == Type::MinKey) return "minkey";
  return "type 0x" + std::to_string(v);
}

// A bson_error_t on the stack, laid out as bson-types.h has it: domain, code, message[504].
struct alignas(kErrorAlign) ErrorBuffer {
  unsigned char bytes[kErrorSize]{};
  Error to_error(std::string context) const {
    std::uint32_t domain, code;
    std::memcpy(&domain, bytes, 4);
    std::memcpy(&code, bytes + 4, 4);
    const char *msg = reinterpret_cast<const char *>(bytes + kErrorMessageOffset);
    return Error(domain, code, std::string(msg, strnlen(msg, kErrorSize - kErrorMessageOffset)),
                 std::move(context));
  }
};

// A std::string_view as a NUL-terminated key or text for the C side.
std::string z(std::string_view s) {
  return std::string(s);
}

int key_length(std::string_view key) {
  if (key.find('\0') != std::string_view::npos)
    throw BindingError("bson: key contains a NUL byte: \"" +
                       std::string(key.substr(0, key.find('\0'))) + "\\0...\"");
  if (key.size() > 0x7fffffff) throw BindingError("bson: key longer than 2 GiB");
  return static_cast<int>(key.size());
}

}  // namespace

// ---- Error, Bson ----

Error::Error(std::uint32_t domain, std::uint32_t code, std::string message, std::string context)
    : jitffi::Error("bson: " + message + " (domain " + std::to_string(domain) + ", code " +
                    std::to_string(code) + ")" + (context.empty() ? "" : " " + context)),
      domain_(domain),
      code_(code),
      message_(std::move(message)) {}

Bson::Bson(std::string_view path) : api_(std::make_shared<Api>()) {
  api_->lib = open_library(kLocation, path);
  api_->lib.scope().declare(kDeclarations);
  resolve_functions<Api>(api_->lib, *api_, kFunctions, "libbson");
}

std::string Bson::version() const {
  const char *v = api_->get_version.invoke<const char *>();
  return v ? v : "";
}

// ---- Oid, Decimal128 ----

Oid Oid::from_string(const Bson &lib, std::string_view hex) {
  const Api &a = lib.api();
  std::string s = z(hex);
  if (!a.oid_is_valid.invoke<bool>(static_cast<const char *>(s.c_str()), s.size()))
    throw BindingError("bson: not an ObjectId (24 hex digits): \"" + s + "\"");
  Oid o;
  a.oid_init_from_string.invoke<void>(static_cast<void *>(o.bytes.data()),
                                      static_cast<const char *>(s.c_str()));
  return o;
}

std::string Oid::to_string(const Bson &lib) const {
  char out[25] = {};
  lib.api().oid_to_string.invoke<void>(static_cast<const void *>(bytes.data()),
                                       static_cast<char *>(out));
  return out;
}

Decimal128 Decimal128::from_string(const Bson &lib, std::string_view text) {
  std::string s = z(text);
  Decimal128 d;
  std::uint64_t buf[2] = {};  // bson_decimal128_t: { uint64_t low, high } on little-endian hosts
  bool ok = lib.api().decimal128_from_string.invoke<bool>(static_cast<const char *>(s.c_str()),
                                                          static_cast<void *>(buf));
  // libbson stores NaN and still returns false for text it cannot read.
  if (!ok) throw BindingError("bson: not a decimal128: \"" + s + "\"");
  d.low = buf[0];
  d.high = buf[1];
  return d;
}

std::string Decimal128::to_string(const Bson &lib) const {
  std::uint64_t buf[2] = {low, high};
  char out[43] = {};  // BSON_DECIMAL128_STRING
  lib.api().decimal128_to_string.invoke<void>(static_cast<const void *>(buf),
                                              static_cast<char *>(out));
  return out;
}

// ---- Iter ----

bool Iter::next() {
  return api_->iter_next.invoke<bool>(raw());
}

std::string_view Iter::key() const {
  const char *k = api_->iter_key.invoke<const char *>(raw());
  return k ? std::string_view(k) : std::string_view();
}

Type Iter::type() const {
  return static_cast<Type>(api_->iter_type.invoke<std::uint32_t>(raw()));
}

void Iter::expect(Type t) const {
  Type have = type();
  if (have != t)
    throw BindingError("bson: element \"" + std::string(key()) + "\" is " + type_name(have) +
                       ", not " + type_name(t));
}

std::int32_t Iter::int32() const {
  expect(Type::Int32);
  return api_->iter_int32.invoke<std::int32_t>(raw());
}

std::int64_t Iter::int64() const {
  expect(Type::Int64);
  return api_->iter_int64.invoke<std::int64_t>(raw());
}

double Iter::double_() const {
  expect(Type::Double);
  return api_->iter_double.invoke<double>(raw());
}

std::string_view Iter::utf8() const {
  expect(Type::Utf8);
  std::uint32_t n = 0;
  const char *s = api_->iter_utf8.invoke<const char *>(raw(), static_cast<void *>(&n));
  return std::string_view(s, n);
}

bool Iter::boolean() const {
  expect(Type::Bool);
  return api_->iter_bool.invoke<bool>(raw());
}

Binary Iter::binary() const {
  expect(Type::Binary);
  std::uint32_t subtype = 0, n = 0;
  const std::uint8_t *p = nullptr;
  api_->iter_binary.invoke<void>(raw(), static_cast<void *>(&subtype), static_cast<void *>(&n),
                                 static_cast<void *>(&p));
  Binary b;
  b.subtype = subtype;
  if (n) b.data.assign(p, p + n);
  return b;
}

Oid Iter::oid() const {
  expect(Type::Oid);
  const void *p = api_->iter_oid.invoke<const void *>(raw());
  Oid o;
  std::memcpy(o.bytes.data(), p, o.bytes.size());
  return o;
}

std::int64_t Iter::date_time() const {
  expect(Type::DateTime);
  return api_->iter_date_time.invoke<std::int64_t>(raw());
}

Decimal128 Iter::decimal128() const {
  expect(Type::Decimal128);
  std::uint64_t buf[2] = {};
  if (!api_->iter_decimal128.invoke<bool>(raw(), static_cast<void *>(buf)))
    throw BindingError("bson: bson_iter_decimal128 failed on \"" + std::string(key()) + "\"");
  return Decimal128{buf[0], buf[1]};
}

Iter Iter::recurse() const {
  Type t = type();
  if (t != Type::Document && t != Type::Array)
    throw BindingError("bson: element \"" + std::string(key()) + "\" is " + type_name(t) +
                       ", not a document or array");
  Iter child(api_);
  if (!api_->iter_recurse.invoke<bool>(raw(), child.raw()))
    throw BindingError("bson: bson_iter_recurse failed on \"" + std::string(key()) + "\"");
  return child;
}

std::optional<Iter> Iter::find_descendant(std::string_view dotted) const {
  Iter from = *this;  // bson_iter_find_descendant advances the iterator it is given
  Iter found(api_);
  std::string k = z(dotted);
  if (!api_->iter_find_descendant.invoke<bool>(from.raw(), static_cast<const char *>(k.c_str()),
                                               found.raw()))
    return std::nullopt;
  return found;
}

// ---- Document ----

struct Document::Storage {
  alignas(128) unsigned char bytes[128];  // a bson_t (bson-types.h: 128 bytes, aligned to 128)
};

Document::Document(std::shared_ptr<const Api> api, void *doc, std::unique_ptr<Storage> storage)
    : api_(std::move(api)), doc_(doc), storage_(std::move(storage)) {}

Document::Document(Document &&o) noexcept
    : api_(std::move(o.api_)),
      doc_(std::exchange(o.doc_, nullptr)),
      storage_(std::move(o.storage_)) {}

Document &Document::operator=(Document &&o) noexcept {
  if (this != &o) {
    if (doc_) api_->destroy.invoke<void>(doc_);
    api_ = std::move(o.api_);
    doc_ = std::exchange(o.doc_, nullptr);
    storage_ = std::move(o.storage_);
  }
  return *this;
}

Document::~Document() {
  // For a static view bson_destroy frees nothing (the bson_t is ours, flagged static).
  if (doc_) api_->destroy.invoke<void>(doc_);
}

Document Document::create(const Bson &lib) {
  void *d = lib.api().new_.invoke<void *>();
  if (!d) throw BindingError("bson: bson_new returned NULL");
  return Document(lib.shared_api(), d);
}

Document Document::from_data(const Bson &lib, std::span<const std::uint8_t> bytes) {
  void *d =
      lib.api().new_from_data.invoke<void *>(static_cast<const void *>(bytes.data()), bytes.size());
  if (!d)
    throw BindingError("bson: bson_new_from_data rejected " + std::to_string(bytes.size()) +
                       " bytes (not one whole BSON document)");
  return Document(lib.shared_api(), d);
}

Document Document::view(const Bson &lib, std::span<const std::uint8_t> bytes) {
  auto storage = std::make_unique<Storage>();
  if (!lib.api().init_static.invoke<bool>(static_cast<void *>(storage->bytes),
                                          static_cast<const void *>(bytes.data()), bytes.size()))
    throw BindingError("bson: bson_init_static rejected " + std::to_string(bytes.size()) +
                       " bytes (not one whole BSON document)");
  void *d = storage->bytes;
  return Document(lib.shared_api(), d, std::move(storage));
}

Document Document::from_json(const Bson &lib, std::string_view json) {
  ErrorBuffer err;
  const void *p = json.empty() ? static_cast<const void *>("") : json.data();
  void *d = lib.api().new_from_json.invoke<void *>(p, static_cast<std::int64_t>(json.size()),
                                                   static_cast<void *>(err.bytes));
  if (!d) throw err.to_error("(bson_new_from_json)");
  return Document(lib.shared_api(), d);
}

Document Document::copy() const {
  void *d = api_->copy.invoke<void *>(doc_);
  if (!d) throw BindingError("bson: bson_copy returned NULL");
  return Document(api_, d);
}

int Document::appendable(std::string_view key) const {
  // libbson aborts (a failed precondition) on appending to a read-only bson_init_static view.
  if (storage_)
    throw BindingError("bson: cannot append \"" + std::string(key) +
                       "\" to a read-only view (Document::view); copy() it first");
  return key_length(key);
}

Document &Document::checked(bool ok, std::string_view what, std::string_view key) {
  if (!ok)
    throw BindingError("bson: " + std::string(what) + " refused key \"" + std::string(key) +
                       "\" (document too large or read-only)");
  return *this;
}

Document &Document::append_int32(std::string_view key, std::int32_t v) {
  int n = appendable(key);
  return checked(api_->append_int32.invoke<bool>(doc_, key.data(), n, v), "bson_append_int32", key);
}

Document &Document::append_int64(std::string_view key, std::int64_t v) {
  int n = appendable(key);
  return checked(api_->append_int64.invoke<bool>(doc_, key.data(), n, v), "bson_append_int64", key);
}

Document &Document::append_double(std::string_view key, double v) {
  int n = appendable(key);
  return checked(api_->append_double.invoke<bool>(doc_, key.data(), n, v), "bson_append_double",
                 key);
}

Document &Document::append_utf8(std::string_view key, std::string_view v) {
  int n = appendable(key);
  if (v.size() > 0x7fffffff) throw BindingError("bson: string longer than 2 GiB");
  const char *p = v.empty() ? "" : v.data();
  return checked(api_->append_utf8.invoke<bool>(doc_, key.data(), n, p, static_cast<int>(v.size())),
                 "bson_append_utf8", key);
}

Document &Document::append_bool(std::string_view key, bool v) {
  int n = appendable(key);
  return checked(api_->append_bool.invoke<bool>(doc_, key.data(), n, v), "bson_append_bool", key);
}

Document &Document::append_null(std::string_view key) {
  int n = appendable(key);
  return checked(api_->append_null.invoke<bool>(doc_, key.data(), n), "bson_append_null", key);
}

Document &Document::append_binary(std::string_view key, std::span<const std::uint8_t> data,
                                  std::uint32_t subtype) {
  int n = appendable(key);
  if (data.size() > 0x7fffffff) throw BindingError("bson: binary longer than 2 GiB");
  return checked(api_->append_binary.invoke<bool>(doc_, key.data(), n, subtype,
                                                  static_cast<const void *>(data.data()),
                                                  static_cast<std::uint32_t>(data.size())),
                 "bson_append_binary", key);
}

Document &Document::append_oid(std::string_view key, const Oid &oid) {
  int n = appendable(key);
  return checked(api_->append_oid.invoke<bool>(doc_, key.data(), n,
                                               static_cast<const void *>(oid.bytes.data())),
                 "bson_append_oid", key);
}

Document &Document::append_date_time(std::string_view key, std::int64_t ms) {
  int n = appendable(key);
  return checked(api_->append_date_time.invoke<bool>(doc_, key.data(), n, ms),
                 "bson_append_date_time", key);
}

Document &Document::append_decimal128(std::string_view key, const Decimal128 &v) {
  int n = appendable(key);
  std::uint64_t buf[2] = {v.low, v.high};
  return checked(
      api_->append_decimal128.invoke<bool>(doc_, key.data(), n, static_cast<const void *>(buf)),
      "bson_append_decimal128", key);
}

Document &Document::append_document(std::string_view key, const Document &child) {
  int n = appendable(key);
  return checked(api_->append_document.invoke<bool>(doc_, key.data(), n,
                                                    static_cast<const void *>(child.doc_)),
                 "bson_append_document", key);
}

Document &Document::append_array(std::string_view key, const Document &array) {
  int n = appendable(key);
  return checked(
      api_->append_array.invoke<bool>(doc_, key.data(), n, static_cast<const void *>(array.doc_)),
      "bson_append_array", key);
}

std::span<const std::uint8_t> Document::data() const {
  const auto *p = api_->get_data.invoke<const std::uint8_t *>(static_cast<const void *>(doc_));
  std::uint32_t len;
  std::memcpy(&len, p, 4);  // a BSON document starts with its total length, little-endian
  return {p, len};
}

std::uint32_t Document::count_keys() const {
  return api_->count_keys.invoke<std::uint32_t>(static_cast<const void *>(doc_));
}

bool Document::has_field(std::string_view dotted) const {
  std::string k = z(dotted);
  return api_->has_field.invoke<bool>(static_cast<const void *>(doc_),
                                      static_cast<const char *>(k.c_str()));
}

bool Document::operator==(const Document &o) const {
  return api_->equal.invoke<bool>(static_cast<const void *>(doc_),
                                  static_cast<const void *>(o.doc_));
}

Iter Document::iter() const {
  Iter it(api_);
  if (!api_->iter_init.invoke<bool>(it.raw(), static_cast<const void *>(doc_)))
    throw BindingError("bson: bson_iter_init refused the document");
  return it;
}

std::optional<Iter> Document::find(std::string_view dotted) const {
  return iter().find_descendant(dotted);
}

namespace {
std::string take_json(const Api &a, const Function &fn, const void *doc, const char *name) {
  std::size_t n = 0;
  char *s = fn.invoke<char *>(doc, static_cast<void *>(&n));
  if (!s) throw BindingError(std::string("bson: ") + name + " failed (invalid UTF-8 or nesting)");
  std::string out(s, n);
  a.free.invoke<void>(static_cast<void *>(s));  // libbson's allocator, not ours
  return out;
}
}  // namespace

std::string Document::canonical_json() const {
  return take_json(*api_, api_->as_canonical_extended_json, doc_,
                   "bson_as_canonical_extended_json");
}

std::string Document::relaxed_json() const {
  return take_json(*api_, api_->as_relaxed_extended_json, doc_, "bson_as_relaxed_extended_json");
}

void Document::validate(std::uint32_t flags) const {
  ErrorBuffer err;
  if (!api_->validate_with_error.invoke<bool>(static_cast<const void *>(doc_), flags,
                                              static_cast<void *>(err.bytes)))
    throw err.to_error("(bson_validate_with_error)");
}

bool Document::is_valid(std::uint32_t flags, std::size_t *offset) const {
  std::size_t off = 0;
  bool ok = api_->validate.invoke<bool>(static_cast<const void *>(doc_), flags,
                                        static_cast<void *>(&off));
  if (offset) *offset = off;
  return ok;
}

}  // namespace jitffi::bindings::bson
