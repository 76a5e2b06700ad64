// Instructions per creation under callgrind (bench/create_callgrind.py runs it): each section
// makes N callables between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("<name>@N"), from
// signatures parsed before it (bench/new_signatures.h), each one new to the process. The first
// section is the first creation in the process (the cache, executable memory and unwinder set
// up). Outside valgrind the macros do nothing.
#include <valgrind/callgrind.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/new_signatures.h"
#include "jitffi.h"
#include "jitffi/jitffi.hpp"

namespace {

using bench::NewSig;

using bench::kTarget;

std::vector<std::string> texts(NewSig family, long n) {
  return bench::next_new_signatures(family, static_cast<std::size_t>(n));
}

std::vector<jitffi_sig *> parsed(const std::vector<std::string> &ts) {
  std::vector<jitffi_sig *> out;
  for (const auto &t : ts) {
    jitffi_sig *s = nullptr;
    if (jitffi_sig_parse(t.c_str(), &s)) std::abort();
    out.push_back(s);
  }
  return out;
}

void create(jitffi_sig *s, jitffi_fn **f) {
  if (jitffi_fn_create(s, kTarget, nullptr, f)) std::abort();
}

// Times `body` over n prepared items.
template <class F>
void section(const char *name, long n, F &&body) {
  const std::string label = std::string(name) + "@" + std::to_string(n);  // outlives the request
  CALLGRIND_ZERO_STATS;
  body();
  CALLGRIND_DUMP_STATS_AT(label.c_str());
}

void new_c(const char *name, NewSig family, long n) {
  auto sigs = parsed(texts(family, n));
  std::vector<jitffi_fn *> fns(sigs.size());
  section(name, n, [&] {
    for (long i = 0; i < n; ++i) create(sigs[i], &fns[i]);
  });
  for (auto *f : fns) jitffi_fn_free(f);
  for (auto *s : sigs) jitffi_sig_free(s);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("JITFFI_CACHE_MAX_ENTRIES", "1M", 0);  // every row in the pinned tier
  setenv("JITFFI_CACHE_MAX_BYTES", "1G", 0);
  const long n = argc > 1 ? std::atol(argv[1]) : 1000;
  std::printf("creations per section: %ld\n", n);
  new_c("create/first", NewSig::Small, 1);
  new_c("create/new/small", NewSig::Small, n);
  {
    std::vector<jitffi::Signature> sigs;
    for (const auto &t : texts(NewSig::Small, n)) sigs.push_back(jitffi::Signature::parse(t));
    std::vector<jitffi::Function> fns;
    fns.reserve(sigs.size());
    section("create/new/small_cxx", n, [&] {
      for (const auto &s : sigs) fns.emplace_back(s, kTarget);
    });
  }
  new_c("create/new/45args", NewSig::Args45, n / 4 + 1);
  {
    const auto ts = texts(NewSig::Small, n);
    std::vector<jitffi_sig *> sigs(ts.size());
    std::vector<jitffi_fn *> fns(ts.size());
    section("create/new/small+parse", n, [&] {
      for (long i = 0; i < n; ++i) {
        if (jitffi_sig_parse(ts[i].c_str(), &sigs[i])) std::abort();
        create(sigs[i], &fns[i]);
      }
    });
    for (auto *f : fns) jitffi_fn_free(f);
    for (auto *s : sigs) jitffi_sig_free(s);
  }
  {
    // Compiled before, parsed again: a lookup in the stub cache by canonical form.
    const std::string text = bench::new_signature(NewSig::Small, 0);
    auto sigs = parsed(std::vector<std::string>(std::size_t(n), text));
    std::vector<jitffi_fn *> fns(sigs.size());
    section("create/cached", n, [&] {
      for (long i = 0; i < n; ++i) create(sigs[i], &fns[i]);
    });
    for (auto *f : fns) jitffi_fn_free(f);
    for (auto *s : sigs) jitffi_sig_free(s);
  }
  return 0;
}
