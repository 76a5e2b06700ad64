// The texts whose parse cost is measured, shared by jitffi_bench (parse/* rows, timings) and
// jitffi_parsecount (instructions under callgrind, bench/parse_callgrind.py): both syntaxes,
// short and long parameter lists, so that the cost per parameter can be read off.
#pragma once

#include <string>
#include <vector>

namespace bench {

struct ParseText {
  std::string name;  // the row: parse/<name>
  std::string text;
  int params;
};

inline std::vector<ParseText> parse_texts() {
  // i64(f64, i32 x 44): the shape of the Chez creation benchmark (docs/chez.md), 45 parameters.
  std::string compact45 = "i64(f64";
  for (int i = 0; i < 44; ++i) compact45 += ",i32";
  compact45 += ")";
  // A C prototype with 40 named parameters of the usual kinds (keywords, typedef names,
  // qualifiers, pointers).
  static const char *const kC[] = {"int",    "double", "const char *", "unsigned long",
                                   "void *", "float",  "size_t",       "short"};
  std::string c40 = "long f40(";
  for (int i = 0; i < 40; ++i)
    c40 += std::string(i ? ", " : "") + kC[i % 8] + " a" + std::to_string(i);
  c40 += ")";
  return {
      {"compact/small", "f64(i8,i16,i32)", 3},
      {"compact/pow", "f64(f64,f64)", 2},
      {"compact/struct", "{i32,f64}(ptr,{f32,f32},u64)", 3},
      {"compact/45", compact45, 45},
      {"c/pow", "double pow(double, double)", 2},
      {"c/memcpy", "void *memcpy(void *dest, const void *src, size_t n)", 3},
      {"c/snprintf",
       "int snprintf(char *restrict str, size_t size, const char *restrict format, ...)", 3},
      {"c/40", c40, 40},
      // FILE and an array parameter.
      {"c/fopen", "FILE *fopen(const char *restrict path, const char *restrict mode)", 2},
      {"c/main", "int main(int argc, char *argv[])", 2},
      // A function pointer parameter: the general parser.
      {"c/qsort",
       "void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void "
       "*))",
       4},
  };
}

}  // namespace bench
