// bson binding against the real libbson: documents of every common type built, iterated, found
// by dotted path, round-tripped through canonical extended JSON value by value, validated, and
// malformed input rejected with libbson's own words.
#include "jitffi/bindings/bson.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/bindings/test_util.h"

namespace bs = jitffi::bindings::bson;
using jitffi::bindings::test::BindingTest;

namespace {

class Bson : public BindingTest {
 protected:
  bs::Bson lib_;

  // One document with every type the binding appends, nested two levels deep.
  bs::Document sample() {
    auto inner = bs::Document::create(lib_);
    inner.append_utf8("c", "deep").append_int32("n", -7);
    auto arr = bs::array_of(lib_, 3, [&](bs::Document &a, const std::string &k, std::size_t i) {
      if (i == 2)
        a.append_document(k, inner);
      else
        a.append_int64(k, std::int64_t(i) * 10000000000LL);
    });
    auto b = bs::Document::create(lib_);
    b.append_array("list", arr).append_bool("flag", true);
    auto doc = bs::Document::create(lib_);
    const std::uint8_t bytes[] = {0x00, 0x01, 0xfe, 0xff, 0x00};
    doc.append_int32("i32", std::numeric_limits<std::int32_t>::min())
        .append_int64("i64", std::numeric_limits<std::int64_t>::max())
        .append_double("dbl", 0.1)
        .append_utf8("str", std::string_view("h\xc3\xa9llo\0x", 8))
        .append_bool("t", true)
        .append_bool("f", false)
        .append_null("nil")
        .append_binary("bin", bytes, bs::kSubtypeUser)
        .append_oid("_id", bs::Oid::from_string(lib_, "5f1a2b3c4d5e6f7081920a0b"))
        .append_date_time("when", 1764892800123)  // 2025-12-05T00:00:00.123Z
        .append_decimal128("dec", bs::Decimal128::from_string(lib_, "-12345.6789E-3"))
        .append_document("a", b);
    return doc;
  }

  // Checks every value of sample() through the iterator (used on the original, the JSON round
  // trip and the static view).
  void check_sample(const bs::Document &doc) {
    std::vector<std::string> keys;
    std::vector<bs::Type> types;
    for (auto it = doc.iter(); it.next();) {
      keys.emplace_back(it.key());
      types.push_back(it.type());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"i32", "i64", "dbl", "str", "t", "f", "nil", "bin",
                                              "_id", "when", "dec", "a"}));
    EXPECT_EQ(types,
              (std::vector<bs::Type>{bs::Type::Int32, bs::Type::Int64, bs::Type::Double,
                                     bs::Type::Utf8, bs::Type::Bool, bs::Type::Bool, bs::Type::Null,
                                     bs::Type::Binary, bs::Type::Oid, bs::Type::DateTime,
                                     bs::Type::Decimal128, bs::Type::Document}));
    EXPECT_EQ(doc.count_keys(), 12u);
    EXPECT_EQ(doc.find("i32")->int32(), std::numeric_limits<std::int32_t>::min());
    EXPECT_EQ(doc.find("i64")->int64(), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(doc.find("dbl")->double_(), 0.1);
    EXPECT_EQ(doc.find("str")->utf8(), std::string_view("h\xc3\xa9llo\0x", 8));
    EXPECT_TRUE(doc.find("t")->boolean());
    EXPECT_FALSE(doc.find("f")->boolean());
    EXPECT_EQ(doc.find("nil")->type(), bs::Type::Null);
    bs::Binary bin = doc.find("bin")->binary();
    EXPECT_EQ(bin.subtype, bs::kSubtypeUser);
    EXPECT_EQ(bin.data, (std::vector<std::uint8_t>{0x00, 0x01, 0xfe, 0xff, 0x00}));
    EXPECT_EQ(doc.find("_id")->oid().to_string(lib_), "5f1a2b3c4d5e6f7081920a0b");
    EXPECT_EQ(doc.find("when")->date_time(), 1764892800123);
    EXPECT_EQ(doc.find("dec")->decimal128().to_string(lib_), "-12.3456789");
    EXPECT_EQ(doc.find("a.list.0")->int64(), 0);
    EXPECT_EQ(doc.find("a.list.1")->int64(), 10000000000LL);
    EXPECT_EQ(doc.find("a.list.2.c")->utf8(), "deep");
    EXPECT_EQ(doc.find("a.list.2.n")->int32(), -7);
    EXPECT_TRUE(doc.find("a.flag")->boolean());
  }
};

}  // namespace

TEST_F(Bson, LoadsTheLibraryAndUsesTheChosenBackend) {
  std::string v = lib_.version();
  EXPECT_EQ(v.rfind("1.", 0), 0u) << v;
  EXPECT_EQ(lib_.api().iter_next.backend(), jitffi::bindings::test::expected_backend());
  // The soname, unless JITFFI_BSON_PATH names the file (the arm64 cross run does).
  const char *env = ::getenv("JITFFI_BSON_PATH");
  EXPECT_EQ(lib_.api().lib.name(), env != nullptr && *env != '\0' ? env : "libbson-1.0.so.0");
}

TEST_F(Bson, LibraryPathOverrideIsAnErrorOfItsOwn) {
  try {
    bs::Bson bad("/nonexistent/libbson-1.0.so.0");
    FAIL() << "opened a missing file";
  } catch (const jitffi::LibraryError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libbson-1.0.so.0"), std::string::npos)
        << e.what();
  }
  ASSERT_EQ(::setenv("JITFFI_BSON_PATH", "/nonexistent/env/libbson.so", 1), 0);
  EXPECT_THROW(bs::Bson bad, jitffi::LibraryError);
  Dl_info info{};
  ASSERT_NE(dladdr(lib_.api().lib.find("bson_iter_next"), &info), 0);
  ASSERT_EQ(::setenv("JITFFI_BSON_PATH", info.dli_fname, 1), 0);
  bs::Bson by_env;
  ::unsetenv("JITFFI_BSON_PATH");
  EXPECT_EQ(by_env.api().lib.name(), info.dli_fname);
  EXPECT_EQ(by_env.version(), lib_.version());
}

struct FakeApi {
  jitffi::Function present, missing, also_missing, optional;
};

TEST_F(Bson, MissingSymbolsAreReportedByName) {
  jitffi::Library lib = jitffi::Library::open("libbson-1.0.so.0");
  lib.scope().declare("typedef struct _bson_t bson_t;");
  constexpr jitffi::bindings::FunctionEntry<FakeApi> table[] = {
      {&FakeApi::present, "bson_t *bson_new(void)"},
      {&FakeApi::missing, "int bson_no_such_function(bson_t *b)"},
      {&FakeApi::also_missing, "void bson_gone_too(void)"},
      {&FakeApi::optional, "void bson_maybe(void)", jitffi::bindings::kOptional},
  };
  FakeApi api;
  try {
    jitffi::bindings::resolve_functions<FakeApi>(lib, api, table);
    FAIL() << "missing symbols not reported";
  } catch (const jitffi::bindings::MissingSymbolsError &e) {
    EXPECT_EQ(e.symbols(), (std::vector<std::string>{"bson_no_such_function", "bson_gone_too"}));
  }
}

TEST_F(Bson, BuildsIteratesAndFindsEveryCommonType) {
  auto doc = sample();
  check_sample(doc);
  EXPECT_TRUE(doc.has_field("a.list.2.c"));
  EXPECT_FALSE(doc.has_field("a.list.3"));
  EXPECT_FALSE(doc.find("a.list.9").has_value());
  EXPECT_FALSE(doc.find("nope").has_value());
  EXPECT_FALSE(doc.find("i32.x").has_value());

  // Recursing by hand gives the same values as the dotted path.
  auto a = doc.find("a");
  ASSERT_TRUE(a);
  auto sub = a->recurse();
  ASSERT_TRUE(sub.next());
  EXPECT_EQ(sub.key(), "list");
  EXPECT_EQ(sub.type(), bs::Type::Array);
  auto list = sub.recurse();
  std::vector<std::string> idx;
  while (list.next()) idx.emplace_back(list.key());
  EXPECT_EQ(idx, (std::vector<std::string>{"0", "1", "2"}));
  // find_descendant from a position below the top.
  EXPECT_EQ(sub.find_descendant("list.2.n"), std::nullopt);  // sub already stands on "list"
  EXPECT_EQ(a->recurse().find_descendant("list.2.n")->int32(), -7);

  // The bytes are a BSON document of the length they announce, ending in NUL.
  auto bytes = doc.data();
  ASSERT_GE(bytes.size(), 5u);
  EXPECT_EQ(bytes.back(), 0);
  std::uint32_t len;
  std::memcpy(&len, bytes.data(), 4);
  EXPECT_EQ(len, bytes.size());
}

TEST_F(Bson, ReadingAnElementAsTheWrongTypeThrows) {
  auto doc = sample();
  try {
    doc.find("str")->int32();
    FAIL() << "read utf8 as int32";
  } catch (const jitffi::bindings::BindingError &e) {
    EXPECT_STREQ(e.what(), "bson: element \"str\" is utf8, not int32");
  }
  EXPECT_THROW(doc.find("i32")->recurse(), jitffi::bindings::BindingError);
  EXPECT_THROW(doc.find("dec")->double_(), jitffi::bindings::BindingError);
  EXPECT_THROW(doc.append_int32(std::string_view("a\0b", 3), 1), jitffi::bindings::BindingError);
}

TEST_F(Bson, CanonicalJsonRoundTripKeepsEveryValue) {
  auto doc = sample();
  std::string json = doc.canonical_json();
  // Spot checks of the canonical forms libbson writes.
  for (const char *piece : {"\"i32\" : { \"$numberInt\" : \"-2147483648\" }",
                            "\"i64\" : { \"$numberLong\" : \"9223372036854775807\" }",
                            "\"$oid\" : \"5f1a2b3c4d5e6f7081920a0b\"",
                            "\"$date\" : { \"$numberLong\" : \"1764892800123\" }",
                            "\"$numberDecimal\" : \"-12.3456789\"", "\"nil\" : null",
                            "\"str\" : \"h\xc3\xa9llo\\u0000x\""}) {
    EXPECT_NE(json.find(piece), std::string::npos) << piece << "\n in " << json;
  }
  auto back = bs::Document::from_json(lib_, json);
  check_sample(back);
  EXPECT_TRUE(back == doc);
  EXPECT_EQ(back.canonical_json(), json);
  // The relaxed form parses back to the same values where it is exact (int32 stays int32 etc.).
  auto relaxed = bs::Document::from_json(lib_, doc.relaxed_json());
  EXPECT_EQ(relaxed.find("i64")->int64(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(relaxed.find("a.list.2.c")->utf8(), "deep");
}

TEST_F(Bson, JsonTextIsParsedIntoTypedValues) {
  auto doc = bs::Document::from_json(lib_, R"({
    "n": 3, "big": {"$numberLong": "-5"}, "d": 2.5, "s": "x",
    "id": {"$oid": "0123456789abcdef01234567"},
    "at": {"$date": {"$numberLong": "86400000"}},
    "bin": {"$binary": {"base64": "AAEC", "subType": "04"}},
    "dec": {"$numberDecimal": "1E+3"},
    "arr": [1, {"k": [true, null]}]
  })");
  EXPECT_EQ(doc.find("n")->int32(), 3);
  EXPECT_EQ(doc.find("big")->int64(), -5);
  EXPECT_EQ(doc.find("d")->double_(), 2.5);
  EXPECT_EQ(doc.find("s")->utf8(), "x");
  EXPECT_EQ(doc.find("id")->oid(), bs::Oid::from_string(lib_, "0123456789abcdef01234567"));
  EXPECT_EQ(doc.find("at")->date_time(), 86400000);
  bs::Binary b = doc.find("bin")->binary();
  EXPECT_EQ(b.subtype, bs::kSubtypeUuid);
  EXPECT_EQ(b.data, (std::vector<std::uint8_t>{0, 1, 2}));
  EXPECT_EQ(doc.find("dec")->decimal128(), bs::Decimal128::from_string(lib_, "1E+3"));
  EXPECT_EQ(doc.find("dec")->decimal128().to_string(lib_), "1E+3");
  EXPECT_EQ(doc.find("arr.0")->int32(), 1);
  EXPECT_TRUE(doc.find("arr.1.k.0")->boolean());
  EXPECT_EQ(doc.find("arr.1.k.1")->type(), bs::Type::Null);
}

TEST_F(Bson, MalformedJsonIsRejectedWithLibbsonsMessage) {
  for (const char *bad : {"{\"a\": ", "{\"a\": 1,,}", "not json", "{\"x\": {\"$oid\": \"zz\"}}"}) {
    try {
      bs::Document::from_json(lib_, bad);
      FAIL() << "accepted " << bad;
    } catch (const bs::Error &e) {
      EXPECT_EQ(e.domain(), 1u) << bad;  // BSON_ERROR_JSON
      EXPECT_NE(e.code(), 0u) << bad;
      EXPECT_FALSE(e.message().empty()) << bad;
      EXPECT_NE(std::string(e.what()).find(e.message()), std::string::npos);
    }
  }
  // libbson's own words, position included.
  auto message = [&](std::string_view json) -> std::string {
    try {
      bs::Document::from_json(lib_, json);
    } catch (const bs::Error &e) {
      return e.message();
    }
    return "(accepted)";
  };
  EXPECT_EQ(message("{\"a\": 1,,}"), "Got parse error at \",\", position 8: \"STRAY_TOKEN\"");
  EXPECT_EQ(message("{\"a\": "), "Incomplete JSON");
  // Empty input is an error too, not an empty document.
  EXPECT_EQ(message(""), "Empty JSON string");
}

TEST_F(Bson, TruncatedOrCorruptBsonIsRejected) {
  auto doc = sample();
  auto bytes = doc.data();
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  // The whole document loads, by copy and as a static view.
  check_sample(bs::Document::from_data(lib_, copy));
  {
    auto v = bs::Document::view(lib_, copy);
    check_sample(v);
    EXPECT_EQ(v.data().data(), copy.data());  // a view, not a copy
    // A static view cannot grow.
    try {
      v.append_int32("more", 1);
      FAIL() << "appended to a static view";
    } catch (const jitffi::bindings::BindingError &e) {
      EXPECT_NE(std::string(e.what()).find("read-only view"), std::string::npos) << e.what();
    }
    auto grown = v.copy();  // a copy owns its bytes and can grow
    grown.append_int32("more", 1);
    EXPECT_EQ(grown.count_keys(), 13u);
  }
  for (std::size_t cut : {std::size_t(0), std::size_t(3), std::size_t(4), copy.size() - 1}) {
    std::span<const std::uint8_t> part(copy.data(), cut);
    EXPECT_THROW(bs::Document::from_data(lib_, part), jitffi::bindings::BindingError) << cut;
    EXPECT_THROW(bs::Document::view(lib_, part), jitffi::bindings::BindingError) << cut;
  }
  try {
    bs::Document::from_data(lib_, std::span<const std::uint8_t>(copy.data(), 10));
  } catch (const jitffi::bindings::BindingError &e) {
    EXPECT_STREQ(e.what(),
                 "bson: bson_new_from_data rejected 10 bytes (not one whole BSON document)");
  }
  // A length field that disagrees with the buffer, and a missing trailing NUL.
  std::vector<std::uint8_t> lying = copy;
  lying[0] ^= 0x01;
  EXPECT_THROW(bs::Document::from_data(lib_, lying), jitffi::bindings::BindingError);
  // Whole by its lengths but corrupt inside: the "dbl" element (type byte at 4 + 9 + 13) retyped
  // as an embedded document whose length is the double's bytes. Loading only checks the frame;
  // bson_validate walks the elements and names the offset.
  std::vector<std::uint8_t> inner = copy;
  ASSERT_EQ(inner[26], 0x01);
  inner[26] = 0x03;
  auto corrupt = bs::Document::from_data(lib_, inner);
  std::size_t off = 0;
  EXPECT_FALSE(corrupt.is_valid(bs::kValidateNone, &off));
  EXPECT_EQ(off, 26u + 1 + 4);  // libbson points at the bad value, after type byte and "dbl\0"
  try {
    corrupt.validate(bs::kValidateNone);
    FAIL() << "corrupt document validated";
  } catch (const bs::Error &e) {
    EXPECT_EQ(e.domain(), 3u);  // BSON_ERROR_INVALID
    EXPECT_NE(e.message().find("corrupt"), std::string::npos) << e.message();
  }
  std::vector<std::uint8_t> no_nul = copy;
  no_nul.back() = 0x7f;
  EXPECT_THROW(bs::Document::from_data(lib_, no_nul), jitffi::bindings::BindingError);
}

TEST_F(Bson, ValidateReportsTheBrokenRule) {
  auto good = sample();
  EXPECT_NO_THROW(good.validate(bs::kValidateUtf8 | bs::kValidateDollarKeys | bs::kValidateDotKeys |
                                bs::kValidateEmptyKeys | bs::kValidateUtf8AllowNull));
  std::size_t off = 99;
  EXPECT_TRUE(good.is_valid(bs::kValidateNone, &off));

  auto dollar = bs::Document::create(lib_);
  dollar.append_int32("ok", 1).append_int32("$bad", 2);
  EXPECT_NO_THROW(dollar.validate(bs::kValidateNone));
  try {
    dollar.validate(bs::kValidateDollarKeys);
    FAIL() << "a $ key passed";
  } catch (const bs::Error &e) {
    EXPECT_EQ(e.domain(), 3u);  // BSON_ERROR_INVALID
    EXPECT_NE(e.message().find("$bad"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(dollar.is_valid(bs::kValidateDollarKeys, &off));
  EXPECT_EQ(off, 4u + 1 + 3 + 4);  // length, then the "ok" element: type byte, "ok\0", int32

  auto dot = bs::Document::create(lib_);
  dot.append_utf8("a.b", "x");
  EXPECT_THROW(dot.validate(bs::kValidateDotKeys), bs::Error);

  // Invalid UTF-8 in a key. (libbson 1.23's BSON_VALIDATE_UTF8 checks keys; a string value with
  // the same bytes passes its bson_validate, checked directly in C, so values are not tested.)
  auto bad_key = bs::Document::create(lib_);
  bad_key.append_int32("\xc3\x28", 1);
  EXPECT_FALSE(bad_key.is_valid(bs::kValidateUtf8, &off));
  EXPECT_EQ(off, 4u);  // the element's type byte, right after the length
  EXPECT_THROW(bad_key.validate(bs::kValidateUtf8), bs::Error);

  auto empty = bs::Document::create(lib_);
  empty.append_int32("", 1);
  EXPECT_NO_THROW(empty.validate(bs::kValidateNone));
  try {
    empty.validate(bs::kValidateEmptyKeys);
    FAIL() << "an empty key passed";
  } catch (const bs::Error &e) {
    EXPECT_EQ(e.domain(), 3u);
    EXPECT_FALSE(e.message().empty());
  }
}

TEST_F(Bson, OidAndDecimalTextIsChecked) {
  EXPECT_THROW(bs::Oid::from_string(lib_, "xyz"), jitffi::bindings::BindingError);
  EXPECT_THROW(bs::Oid::from_string(lib_, "5f1a2b3c4d5e6f7081920a0"),
               jitffi::bindings::BindingError);
  EXPECT_THROW(bs::Decimal128::from_string(lib_, "12abc"), jitffi::bindings::BindingError);
  auto d = bs::Decimal128::from_string(lib_, "0.1");
  EXPECT_EQ(d.to_string(lib_), "0.1");
  // Decimal128 0.1 is coefficient 1, exponent -1: high word 0x303E000000000000, low 1.
  EXPECT_EQ(d.low, 1u);
  EXPECT_EQ(d.high, 0x303E000000000000ULL);
}

TEST_F(Bson, OwnershipMovesCopiesAndManyJsonBuffers) {
  auto a = sample();
  auto b = a.copy();
  EXPECT_TRUE(a == b);
  EXPECT_NE(a.handle(), b.handle());
  bs::Document c = std::move(a);
  EXPECT_EQ(a.handle(), nullptr);
  c = std::move(b);  // the old c is destroyed here
  check_sample(c);
  // Every JSON string comes from libbson's allocator and goes back through bson_free (ASan and
  // LeakSanitizer watch this loop in the sanitizer build).
  std::string first = c.canonical_json();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.canonical_json(), first);
  // Documents outlive the Bson handle they came from: they hold the library.
  bs::Document kept = [] {
    bs::Bson local;
    auto d = bs::Document::create(local);
    d.append_utf8("k", "v");
    return d;
  }();
  EXPECT_EQ(kept.find("k")->utf8(), "v");
}

// bson_iter_init_find (no wrapper: Document::find walks dotted paths with
// bson_iter_find_descendant), raw on a document's bson_t: a top-level key only, exact case.
TEST_F(Bson, IterInitFindOnTopLevelKeys) {
  auto inner = bs::Document::create(lib_);
  inner.append_int32("deep", 3);
  auto doc = bs::Document::create(lib_);
  doc.append_int32("n", -7).append_utf8("s", "text").append_document("sub", inner);
  const auto &a = lib_.api();
  alignas(bs::kIterAlign) unsigned char it[bs::kIterSize] = {};
  void *iter = it;
  ASSERT_TRUE(a.iter_init_find.invoke<bool>(iter, static_cast<const void *>(doc.handle()), "n"));
  EXPECT_EQ(a.iter_int32.invoke<std::int32_t>(static_cast<const void *>(iter)), -7);
  EXPECT_STREQ(a.iter_key.invoke<const char *>(static_cast<const void *>(iter)), "n");
  ASSERT_TRUE(a.iter_init_find.invoke<bool>(iter, static_cast<const void *>(doc.handle()), "s"));
  std::uint32_t len = 0;
  const char *s = a.iter_utf8.invoke<const char *>(static_cast<const void *>(iter), &len);
  EXPECT_EQ(std::string(s, len), "text");
  // Not a path, and case-sensitive: both miss.
  EXPECT_FALSE(
      a.iter_init_find.invoke<bool>(iter, static_cast<const void *>(doc.handle()), "sub.deep"));
  EXPECT_FALSE(a.iter_init_find.invoke<bool>(iter, static_cast<const void *>(doc.handle()), "N"));
  EXPECT_TRUE(a.iter_init_find.invoke<bool>(iter, static_cast<const void *>(doc.handle()), "sub"));
}
