// libbson through jitffi: libbson-1.0 is opened at run time (no link-time dependency), every
// function declared by its C prototype, wrapped in an RAII Document (owns a bson_t *) and an
// Iter (a bson_iter_t held as an opaque buffer). Errors carry bson_error_t's domain, code and
// message.
//
//   jitffi::bindings::bson::Bson lib;                      // finds libbson-1.0.so.0
//   auto doc = jitffi::bindings::bson::Document::create(lib);
//   doc.append_int32("n", 42).append_utf8("s", "hello");
//   std::string json = doc.canonical_json();             // {"n":{"$numberInt":"42"},...}
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::bson {

// bson_type_t and bson_subtype_t values (bson-types.h; fixed by the BSON specification).
enum class Type : std::uint32_t {
  Eod = 0x00,
  Double = 0x01,
  Utf8 = 0x02,
  Document = 0x03,
  Array = 0x04,
  Binary = 0x05,
  Undefined = 0x06,
  Oid = 0x07,
  Bool = 0x08,
  DateTime = 0x09,
  Null = 0x0A,
  Regex = 0x0B,
  DbPointer = 0x0C,
  Code = 0x0D,
  Symbol = 0x0E,
  CodeWScope = 0x0F,
  Int32 = 0x10,
  Timestamp = 0x11,
  Int64 = 0x12,
  Decimal128 = 0x13,
  MaxKey = 0x7F,
  MinKey = 0xFF,
};
inline constexpr std::uint32_t kSubtypeBinary = 0x00, kSubtypeUuid = 0x04, kSubtypeMd5 = 0x05,
                               kSubtypeUser = 0x80;
// bson_validate_flags_t.
inline constexpr std::uint32_t kValidateNone = 0, kValidateUtf8 = 1 << 0,
                               kValidateDollarKeys = 1 << 1, kValidateDotKeys = 1 << 2,
                               kValidateUtf8AllowNull = 1 << 3, kValidateEmptyKeys = 1 << 4;

// bson_iter_t and bson_error_t as the library lays them out (bson-types.h, libbson 1.x): opaque
// buffers of the right size and alignment; the tests check both against the header.
inline constexpr std::size_t kIterSize = 80, kIterAlign = 128;
inline constexpr std::size_t kErrorSize = 512, kErrorAlign = 8, kErrorMessageOffset = 8;

// The foreign functions, resolved when the library is opened; prototypes in bson.cpp.
struct Api {
  Library lib;
  Function get_version, new_, destroy, get_data, new_from_data, new_from_json, init_static, copy,
      equal, count_keys, has_field, free;
  Function append_int32, append_int64, append_double, append_utf8, append_bool, append_null,
      append_binary, append_oid, append_date_time, append_decimal128, append_document, append_array;
  Function oid_init_from_string, oid_to_string, oid_is_valid, decimal128_from_string,
      decimal128_to_string;
  Function iter_init, iter_init_find, iter_next, iter_key, iter_type, iter_int32, iter_int64,
      iter_double, iter_utf8, iter_bool, iter_binary, iter_oid, iter_date_time, iter_decimal128,
      iter_recurse, iter_find_descendant;
  Function as_canonical_extended_json, as_relaxed_extended_json, validate, validate_with_error;
};

// An error reported by libbson through a bson_error_t: its domain, code and message (e.g.
// domain 1 BSON_ERROR_JSON, "Got parse error at ..."). what() is "bson: <message> (domain D,
// code C)" plus context.
class Error : public jitffi::Error {
 public:
  Error(std::uint32_t domain, std::uint32_t code, std::string message, std::string context = {});
  std::uint32_t domain() const noexcept { return domain_; }
  std::uint32_t code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }

 private:
  std::uint32_t domain_, code_;
  std::string message_;
};

// The loaded library. Copies share it; it stays loaded while any Document made from it lives.
class Bson {
 public:
  // path: an explicit library file; empty means $JITFFI_BSON_PATH, then libbson-1.0.so.0.
  explicit Bson(std::string_view path = {});
  std::string version() const;  // "1.23.1"
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }

 private:
  std::shared_ptr<Api> api_;
};

// bson_oid_t: 12 bytes.
struct Oid {
  std::array<std::uint8_t, 12> bytes{};
  // From 24 hex digits; throws BindingError on anything else (bson_oid_is_valid).
  static Oid from_string(const Bson &lib, std::string_view hex);
  std::string to_string(const Bson &lib) const;
  bool operator==(const Oid &o) const { return bytes == o.bytes; }
};

// bson_decimal128_t: {low, high}, little-endian host.
struct Decimal128 {
  std::uint64_t low = 0, high = 0;
  // bson_decimal128_from_string; throws BindingError when the text is not a decimal.
  static Decimal128 from_string(const Bson &lib, std::string_view text);
  std::string to_string(const Bson &lib) const;
  bool operator==(const Decimal128 &o) const { return low == o.low && high == o.high; }
};

struct Binary {
  std::uint32_t subtype = kSubtypeBinary;
  std::vector<std::uint8_t> data;
};

class Document;

// A bson_iter_t over a document's bytes: valid while the document it came from lives and is not
// appended to. Positioned before the first element until next() (or on the element found).
class Iter {
 public:
  bool next();
  std::string_view key() const;
  Type type() const;
  // Typed readers: each checks the element's type first (BindingError naming key and type).
  std::int32_t int32() const;
  std::int64_t int64() const;
  double double_() const;
  std::string_view utf8() const;  // may contain NULs: the length is libbson's
  bool boolean() const;
  Binary binary() const;
  Oid oid() const;
  std::int64_t date_time() const;  // milliseconds since the Unix epoch
  Decimal128 decimal128() const;
  // The sub-document or array's iterator (before its first element).
  Iter recurse() const;
  // bson_iter_find_descendant from this position: "a.b.0.c"; nullopt when absent.
  std::optional<Iter> find_descendant(std::string_view dotted) const;

 private:
  friend class Document;
  explicit Iter(std::shared_ptr<const Api> api) : api_(std::move(api)) {}
  void expect(Type t) const;
  void *raw() noexcept { return buf_; }
  const void *raw() const noexcept { return buf_; }
  std::shared_ptr<const Api> api_;
  alignas(kIterAlign) unsigned char buf_[kIterSize]{};
};

// An owned bson_t * (bson_destroy on destruction). Move-only; copy() duplicates.
class Document {
 public:
  static Document create(const Bson &lib);  // bson_new
  // bson_new_from_data: the bytes are copied; truncated or inconsistent lengths throw
  // BindingError ("bson_new_from_data rejected N bytes").
  static Document from_data(const Bson &lib, std::span<const std::uint8_t> bytes);
  // bson_init_static into a document that owns nothing but its bson_t: bytes must outlive it.
  // Read-only: appending throws BindingError (libbson itself would abort).
  static Document view(const Bson &lib, std::span<const std::uint8_t> bytes);
  // bson_new_from_json: malformed JSON throws Error with libbson's message.
  static Document from_json(const Bson &lib, std::string_view json);

  Document(Document &&) noexcept;
  Document &operator=(Document &&) noexcept;
  Document(const Document &) = delete;
  Document &operator=(const Document &) = delete;
  ~Document();

  Document copy() const;

  // Appending: keys are passed with their length (may contain no NUL). Each throws BindingError
  // if libbson refuses (document over its size limit, or a static view).
  Document &append_int32(std::string_view key, std::int32_t v);
  Document &append_int64(std::string_view key, std::int64_t v);
  Document &append_double(std::string_view key, double v);
  Document &append_utf8(std::string_view key, std::string_view v);
  Document &append_bool(std::string_view key, bool v);
  Document &append_null(std::string_view key);
  Document &append_binary(std::string_view key, std::span<const std::uint8_t> data,
                          std::uint32_t subtype = kSubtypeBinary);
  Document &append_oid(std::string_view key, const Oid &oid);
  Document &append_date_time(std::string_view key, std::int64_t ms_since_epoch);
  Document &append_decimal128(std::string_view key, const Decimal128 &v);
  Document &append_document(std::string_view key, const Document &child);
  // An array is a document keyed "0", "1", ... (built by the caller or with array_of below).
  Document &append_array(std::string_view key, const Document &array);

  std::span<const std::uint8_t> data() const;  // bson_get_data, bson_t's length
  std::uint32_t count_keys() const;
  bool has_field(std::string_view dotted) const;
  bool operator==(const Document &o) const;  // bson_equal: same bytes

  Iter iter() const;  // before the first element
  // bson_iter_find_descendant from the top: "a.b.0"; nullopt when absent.
  std::optional<Iter> find(std::string_view dotted) const;

  // bson_as_*_extended_json; the library's buffer is released with bson_free.
  std::string canonical_json() const;
  std::string relaxed_json() const;

  // bson_validate_with_error: throws Error with libbson's message when the document breaks a
  // rule in flags (kValidate*).
  void validate(std::uint32_t flags) const;
  // bson_validate: true when valid; otherwise false and *offset the offending byte.
  bool is_valid(std::uint32_t flags, std::size_t *offset = nullptr) const;

  void *handle() const noexcept { return doc_; }

 private:
  struct Storage;
  Document(std::shared_ptr<const Api> api, void *doc, std::unique_ptr<Storage> storage = {});
  int appendable(std::string_view key) const;
  Document &checked(bool ok, std::string_view what, std::string_view key);
  std::shared_ptr<const Api> api_;
  void *doc_ = nullptr;
  // For view(): the bson_t itself (128 bytes, aligned to 128) lives here, not on libbson's heap.
  std::unique_ptr<Storage> storage_;
};

// An array document from values appended by `fill(doc, "0")`, `fill(doc, "1")`, ...
template <class F>
Document array_of(const Bson &lib, std::size_t n, F &&fill) {
  Document a = Document::create(lib);
  for (std::size_t i = 0; i < n; ++i) fill(a, std::to_string(i), i);
  return a;
}

}  // namespace jitffi::bindings::bson
