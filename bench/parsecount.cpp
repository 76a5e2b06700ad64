// Instructions per parse under callgrind (stable where timings are not): for each text of
// bench/parse_texts.h, N parses through Signature::parse between CALLGRIND_ZERO_STATS and
// CALLGRIND_DUMP_STATS_AT("parse/<name>"), after a warm-up. bench/parse_callgrind.py runs it and
// prints the table (instructions per parse and per parameter). Outside valgrind it just runs.
// `jitffi_parsecount N compact/45` runs one text only, to read its profile with
// callgrind_annotate.
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/parse_texts.h"
#include "jitffi/signature.h"

int main(int argc, char **argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1000;
  const std::string only = argc > 2 ? argv[2] : "";  // one text, for callgrind_annotate
  for (const bench::ParseText &t : bench::parse_texts()) {
    if (!only.empty() && t.name != only) continue;
    std::size_t sink = 0;
    for (int i = 0; i < 10; ++i) sink += jitffi::Signature::parse(t.text).params().size();
    CALLGRIND_ZERO_STATS;
    for (long i = 0; i < n; ++i) sink += jitffi::Signature::parse(t.text).params().size();
    const std::string row = "parse/" + t.name;  // alive while valgrind reads it
    CALLGRIND_DUMP_STATS_AT(row.c_str());
    if (sink != static_cast<std::size_t>(t.params) * (n + 10)) {
      std::fprintf(stderr, "parse/%s: %zu parameters, expected %d\n", t.name.c_str(),
                   sink / (n + 10), t.params);
      return 1;
    }
  }
  return 0;
}
