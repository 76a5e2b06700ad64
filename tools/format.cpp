// Values -> text for `jitffi call` results, and parse errors with a caret.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cli.h"

namespace jitffi_cli {
namespace {

using jitffi::Type;
using jitffi::TypeKind;
using u128 = unsigned __int128;

template <class T>
T load(const void *p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string u128_text(u128 v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v);
  return s;
}

// inf/nan spelled the same way for every width (printf's are already, but only with %g).
template <class T>
bool special(T v, std::string &out) {
  if (std::isnan(v)) {
    out = std::signbit(v) ? "-nan" : "nan";
    return true;
  }
  if (std::isinf(v)) {
    out = v < 0 ? "-inf" : "inf";
    return true;
  }
  return false;
}

std::string quoted(const char *s) {
  std::string out = "\"";
  for (; *s; ++s) {
    unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string pointer_text(const void *p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  return buf;
}

}  // namespace

std::string format_double(double v) {
  std::string s;
  if (special(v, s)) return s;
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {  // the shortest that reads back the same double
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_float(float v) {
  std::string s;
  if (special(v, s)) return s;
  char buf[64];
  for (int prec = 1; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_long_double(long double v) {
  std::string s;
  if (special(v, s)) return s;
  char buf[96];
  for (int prec = 1; prec <= 36; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*Lg", prec, v);
    if (std::strtold(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_value(const Type &type, const void *p, bool top) {
  switch (type.kind()) {
    case TypeKind::Void:
      return "";
    case TypeKind::Bool:
      return load<unsigned char>(p) ? "true" : "false";
    case TypeKind::I8:
      return std::to_string(load<std::int8_t>(p));
    case TypeKind::U8:
      return std::to_string(load<std::uint8_t>(p));
    case TypeKind::I16:
      return std::to_string(load<std::int16_t>(p));
    case TypeKind::U16:
      return std::to_string(load<std::uint16_t>(p));
    case TypeKind::I32:
      return std::to_string(load<std::int32_t>(p));
    case TypeKind::U32:
      return std::to_string(load<std::uint32_t>(p));
    case TypeKind::I64:
      return std::to_string(load<std::int64_t>(p));
    case TypeKind::U64:
      return std::to_string(load<std::uint64_t>(p));
    case TypeKind::I128: {
      u128 v = load<u128>(p);
      bool negative = static_cast<__int128>(v) < 0;
      return (negative ? "-" : "") + u128_text(negative ? ~v + 1 : v);
    }
    case TypeKind::U128:
      return u128_text(load<u128>(p));
    case TypeKind::F32:
      return format_float(load<float>(p));
    case TypeKind::F64:
      return format_double(load<double>(p));
    case TypeKind::LongDouble:
      if (type.size() == sizeof(long double)) return format_long_double(load<long double>(p));
      return "(long double of another ABI)";
    case TypeKind::Pointer: {
      auto *ptr = load<const char *>(p);
      if (!type.is_cstr()) return pointer_text(ptr);
      if (!ptr) return "(null)";
      return top ? std::string(ptr) : quoted(ptr);
    }
    case TypeKind::Struct:
    case TypeKind::Union: {
      std::string out = type.kind() == TypeKind::Union ? "union{" : "{";
      const char *sep = "";
      for (const jitffi::Field &f : type.fields()) {
        out += sep;
        if (!f.name.empty()) out += f.name + "=";
        out += format_value(*f.type, static_cast<const unsigned char *>(p) + f.offset, false);
        sep = ", ";
      }
      return out + "}";
    }
    case TypeKind::Array: {
      std::string out = "[";
      for (std::size_t i = 0; i < type.count(); ++i) {
        if (i) out += ", ";
        out +=
            format_value(*type.element(),
                         static_cast<const unsigned char *>(p) + i * type.element()->size(), false);
      }
      return out + "]";
    }
  }
  return "?";
}

std::string explain_parse_error(const jitffi::ParseError &e, std::string_view what) {
  const std::string &in = e.input();
  std::size_t pos = std::min(e.position(), in.size());
  // Show only the line holding the position, tabs as spaces so that the caret lines up.
  std::size_t begin = 0;
  if (pos > 0) {
    std::size_t nl = in.rfind('\n', pos - 1);
    if (nl != std::string::npos) begin = nl + 1;
  }
  std::size_t end = in.find('\n', pos);
  std::string line = in.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  for (char &c : line)
    if (c == '\t' || c == '\r') c = ' ';
  std::string head = "expected " + e.expected() + " at position " + std::to_string(e.position());
  // The parser's hint for a type it does not know becomes the -d option that declares it.
  const std::string hint = " (declare it first: '";
  const std::size_t h = e.expected().find(hint), got = e.expected().find(", got '");
  if (h != std::string::npos && got != std::string::npos && got < h &&
      e.expected().compare(e.expected().size() - 2, 2, "')") == 0) {
    const std::size_t name_end = e.expected().find('\'', got + 7);
    const std::string name = e.expected().substr(got + 7, name_end - got - 7);
    const std::string declaration =
        e.expected().substr(h + hint.size(), e.expected().size() - 2 - h - hint.size());
    std::string why = e.expected().substr(name_end + 1, h - name_end - 1);  // ", an unknown type"
    why = why.rfind(", an unknown type", 0) == 0 ? "unknown type '" + name + "'"
                                                 : "'" + name + "'" + why;
    head = why + " at position " + std::to_string(e.position()) + "; declare it: -d '" +
           declaration + "'";
  }
  return std::string(what) + ": " + head + "\n  " + line + "\n  " + std::string(pos - begin, ' ') +
         "^";
}

}  // namespace jitffi_cli
