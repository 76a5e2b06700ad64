// A BSON/JSON converter on the libbson binding.
//
//   jitffi_example_bson_json to-bson IN.json OUT.bson   JSON (plain or extended) to a BSON file
//   jitffi_example_bson_json to-json [--relaxed] IN.bson
//       each document of the file (back to back, as mongodump writes them) as canonical (default)
//       or relaxed extended JSON, one per line on stdout
//   jitffi_example_bson_json round-trip IN.json
//       JSON -> BSON -> canonical JSON -> BSON must give the same bytes; JSON -> BSON -> relaxed
//       JSON -> BSON the same values (relaxed JSON does not keep int64 vs int32 for small numbers,
//       so numbers compare by value there), walked element by element
//
// Errors (malformed JSON, a truncated or invalid BSON file) print libbson's text and exit 1;
// usage errors exit 2; no libbson exits 77 ("SKIP: ..."), which the test treats as a skip.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jitffi/bindings/bson.h"

namespace bs = jitffi::bindings::bson;

namespace {

std::string read_file(const char *path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot open ") + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The documents of a BSON file, each checked by bson_new_from_data and bson_validate.
std::vector<bs::Document> read_bson(const bs::Bson &lib, const char *path) {
  std::string bytes = read_file(path);
  std::vector<bs::Document> docs;
  std::size_t at = 0;
  while (at < bytes.size()) {
    std::uint32_t len = 0;
    if (bytes.size() - at < 5)
      throw std::runtime_error(std::string(path) + ": truncated document at byte " +
                               std::to_string(at));
    std::memcpy(&len, bytes.data() + at, 4);  // int32, little-endian (BSON and our hosts)
    if (len < 5 || len > bytes.size() - at)
      throw std::runtime_error(std::string(path) + ": document at byte " + std::to_string(at) +
                               " claims " + std::to_string(len) + " bytes, " +
                               std::to_string(bytes.size() - at) + " left");
    auto *p = reinterpret_cast<const std::uint8_t *>(bytes.data() + at);
    bs::Document d = bs::Document::from_data(lib, {p, len});
    d.validate(bs::kValidateUtf8);
    docs.push_back(std::move(d));
    at += len;
  }
  return docs;
}

bool is_number(bs::Type t) {
  return t == bs::Type::Int32 || t == bs::Type::Int64 || t == bs::Type::Double;
}

long double number(const bs::Iter &it) {
  switch (it.type()) {
    case bs::Type::Int32:
      return it.int32();
    case bs::Type::Int64:
      return static_cast<long double>(it.int64());
    default:
      return it.double_();
  }
}

// Walks a and b together; the first difference is reported with its dotted path. Returns the
// number of values compared.
std::size_t compare(bs::Iter a, bs::Iter b, const std::string &path, bool numbers_by_value) {
  std::size_t n = 0;
  for (;;) {
    bool more_a = a.next(), more_b = b.next();
    if (more_a != more_b) throw std::runtime_error("at " + path + ": one side has more elements");
    if (!more_a) return n;
    std::string key(a.key()), where = path.empty() ? key : path + "." + key;
    if (a.key() != b.key())
      throw std::runtime_error("at " + where + ": key differs (" + std::string(b.key()) + ")");
    bs::Type ta = a.type(), tb = b.type();
    ++n;
    if (ta != tb) {
      if (numbers_by_value && is_number(ta) && is_number(tb) && number(a) == number(b)) continue;
      throw std::runtime_error("at " + where + ": type 0x" + std::to_string(unsigned(ta)) +
                               " vs 0x" + std::to_string(unsigned(tb)));
    }
    bool same = true;
    switch (ta) {
      case bs::Type::Int32:
        same = a.int32() == b.int32();
        break;
      case bs::Type::Int64:
        same = a.int64() == b.int64();
        break;
      case bs::Type::Double:
        same = a.double_() == b.double_() || (std::isnan(a.double_()) && std::isnan(b.double_()));
        break;
      case bs::Type::Utf8:
        same = a.utf8() == b.utf8();
        break;
      case bs::Type::Bool:
        same = a.boolean() == b.boolean();
        break;
      case bs::Type::Binary: {
        bs::Binary x = a.binary(), y = b.binary();
        same = x.subtype == y.subtype && x.data == y.data;
        break;
      }
      case bs::Type::Oid:
        same = a.oid() == b.oid();
        break;
      case bs::Type::DateTime:
        same = a.date_time() == b.date_time();
        break;
      case bs::Type::Decimal128:
        same = a.decimal128() == b.decimal128();
        break;
      case bs::Type::Document:
      case bs::Type::Array:
        n += compare(a.recurse(), b.recurse(), where, numbers_by_value);
        break;
      case bs::Type::Null:
        break;
      default:
        throw std::runtime_error("at " + where + ": type 0x" + std::to_string(unsigned(ta)) +
                                 " is not compared by this example");
    }
    if (!same) throw std::runtime_error("at " + where + ": value differs");
  }
}

int to_bson(const bs::Bson &lib, const char *in, const char *out) {
  bs::Document d = bs::Document::from_json(lib, read_file(in));  // throws with libbson's text
  auto bytes = d.data();
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f.flush()) throw std::runtime_error(std::string("cannot write ") + out);
  std::fprintf(stderr, "%s: %zu bytes, %u top-level keys\n", out, bytes.size(), d.count_keys());
  return 0;
}

int to_json(const bs::Bson &lib, const char *in, bool relaxed) {
  for (const bs::Document &d : read_bson(lib, in))
    std::printf("%s\n", (relaxed ? d.relaxed_json() : d.canonical_json()).c_str());
  return 0;
}

int round_trip(const bs::Bson &lib, const char *in) {
  bs::Document d = bs::Document::from_json(lib, read_file(in));
  bs::Document canonical = bs::Document::from_json(lib, d.canonical_json());
  if (!(canonical == d)) {
    compare(d.iter(), canonical.iter(), "", false);  // names the difference
    throw std::runtime_error("canonical round trip: the bytes differ");
  }
  std::size_t n = compare(d.iter(), canonical.iter(), "", false);
  std::printf("canonical: %zu values, %zu bytes, byte-equal\n", n, d.data().size());
  bs::Document relaxed = bs::Document::from_json(lib, d.relaxed_json());
  n = compare(d.iter(), relaxed.iter(), "", true);
  std::printf("relaxed: %zu values equal%s\n", n,
              relaxed == d ? ", byte-equal" : " (numbers by value; bytes differ)");
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: jitffi_example_bson_json to-bson IN.json OUT.bson\n"
               "       jitffi_example_bson_json to-json [--relaxed] IN.bson\n"
               "       jitffi_example_bson_json round-trip IN.json\n");
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::unique_ptr<bs::Bson> lib;
  try {
    lib = std::make_unique<bs::Bson>();
  } catch (const jitffi::Error &e) {
    std::printf("SKIP: libbson-1.0.so.0 not available (scripts/deps.sh installs libbson-dev): %s\n",
                e.what());
    return 77;
  }
  try {
    if (args.size() == 3 && args[0] == "to-bson") return to_bson(*lib, argv[2], argv[3]);
    if (args.size() == 2 && args[0] == "to-json") return to_json(*lib, argv[2], false);
    if (args.size() == 3 && args[0] == "to-json" && args[1] == "--relaxed")
      return to_json(*lib, argv[3], true);
    if (args.size() == 2 && args[0] == "round-trip") return round_trip(*lib, argv[2]);
    return usage();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
