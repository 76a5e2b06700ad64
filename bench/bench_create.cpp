// Creating a callable for a signature new to the process (issue 13): jitffi_fn_create and
// jitffi::Function on signatures parsed ahead of time (bench/new_signatures.h), each iteration
// a signature never compiled before: classify, emit, place in W^X memory, register unwind info.
// The rows against the same creation from the cache, and with the parse included (what a
// runtime's `foreign-procedure` for a new signature costs).
//
// Every new signature stays in the stub cache, so the cache grows over the run; its budget is
// raised (unless JITFFI_CACHE_MAX_* are set) so that every row measures the tier a program's
// first two thousand signatures live in, the pinned one, not evictions.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/new_signatures.h"
#include "jitffi.h"
#include "jitffi/jitffi.hpp"

namespace {

using bench::NewSig;

using bench::kTarget;

std::vector<std::string> texts(NewSig family, std::size_t n) {
  return bench::next_new_signatures(family, n);
}

std::vector<jitffi_sig *> parsed(NewSig family, std::size_t n) {
  std::vector<jitffi_sig *> out;
  for (const auto &t : texts(family, n)) {
    jitffi_sig *s = nullptr;
    if (jitffi_sig_parse(t.c_str(), &s)) std::abort();
    out.push_back(s);
  }
  return out;
}

void free_all(std::vector<jitffi_sig *> &sigs, std::vector<jitffi_fn *> &fns) {
  for (auto *f : fns) jitffi_fn_free(f);
  for (auto *s : sigs) jitffi_sig_free(s);
}

// jitffi_fn_create on new signatures parsed before the timed loop.
void create_new(benchmark::State &st, NewSig family) {
  auto sigs = parsed(family, std::size_t(st.max_iterations));
  std::vector<jitffi_fn *> fns(sigs.size());
  std::size_t i = 0;
  for (auto _ : st) {
    if (jitffi_fn_create(sigs[i], kTarget, nullptr, &fns[i])) std::abort();
    ++i;
  }
  free_all(sigs, fns);
}

// The same through the C++ API.
void create_new_cxx(benchmark::State &st) {
  std::vector<jitffi::Signature> sigs;
  for (const auto &t : texts(NewSig::Small, std::size_t(st.max_iterations)))
    sigs.push_back(jitffi::Signature::parse(t));
  std::size_t i = 0;
  for (auto _ : st) {
    jitffi::Function fn(sigs[i++], kTarget);
    benchmark::DoNotOptimize(fn);
  }
}

// jitffi_sig_parse + jitffi_fn_create from the text: the whole of a new foreign procedure.
void parse_create_new(benchmark::State &st) {
  const auto ts = texts(NewSig::Small, std::size_t(st.max_iterations));
  std::vector<jitffi_sig *> sigs(ts.size());
  std::vector<jitffi_fn *> fns(ts.size());
  std::size_t i = 0;
  for (auto _ : st) {
    if (jitffi_sig_parse(ts[i].c_str(), &sigs[i]) ||
        jitffi_fn_create(sigs[i], kTarget, nullptr, &fns[i]))
      std::abort();
    ++i;
  }
  free_all(sigs, fns);
}

// A signature compiled before, parsed again (its own jitffi_sig, so a cache lookup by canonical
// form rather than the per-thread memo of the same Signature object).
void create_cached(benchmark::State &st) {
  const std::string text = bench::next_new_signatures(NewSig::Small, 1)[0];
  std::vector<jitffi_sig *> sigs(std::size_t(st.max_iterations) + 1);
  for (auto &s : sigs)
    if (jitffi_sig_parse(text.c_str(), &s)) std::abort();
  std::vector<jitffi_fn *> fns(sigs.size());
  if (jitffi_fn_create(sigs.back(), kTarget, nullptr, &fns.back())) std::abort();
  std::size_t i = 0;
  for (auto _ : st) {
    if (jitffi_fn_create(sigs[i], kTarget, nullptr, &fns[i])) std::abort();
    ++i;
  }
  free_all(sigs, fns);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("JITFFI_CACHE_MAX_ENTRIES", "1M", 0);
  setenv("JITFFI_CACHE_MAX_BYTES", "1G", 0);
  // One signature outside any row: the cache, the executable memory and the unwinder's first
  // registration are made once per process, not per row.
  {
    jitffi_sig *s;
    jitffi_fn *f;
    if (jitffi_sig_parse("i32(i32,i32,i32,i32,i32,i32,i32,i32,i32,i32)", &s) ||
        jitffi_fn_create(s, kTarget, nullptr, &f))
      return 1;
    jitffi_fn_free(f);
    jitffi_sig_free(s);
  }
  // Fixed iteration counts: each iteration consumes a signature, and the counts bound the cache.
  // Ten short repetitions, with their minimum besides the median: on a shared machine the least
  // disturbed repetition says more than the mean.
  auto min = [](const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); };
  auto row = [&](benchmark::internal::Benchmark *b, int iterations) {
    b->Iterations(iterations)->Repetitions(10)->ComputeStatistics("min", min);
  };
  row(benchmark::RegisterBenchmark("create/new/small", create_new, NewSig::Small), 2000);
  row(benchmark::RegisterBenchmark("create/new/small_cxx", create_new_cxx), 2000);
  row(benchmark::RegisterBenchmark("create/new/45args", create_new, NewSig::Args45), 500);
  row(benchmark::RegisterBenchmark("create/new/small+parse", parse_create_new), 2000);
  row(benchmark::RegisterBenchmark("create/cached", create_cached), 20000);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
