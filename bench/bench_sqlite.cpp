// Inserting and querying 100,000 sqlite rows: the same program through the jitffi binding
// (libsqlite3 opened at run time, every call through a prepared foreign call) and linked directly
// against libsqlite3 (the workload, both sides, is in sqlite_workload.h). Rows:
// sqlite_insert_query/binding (default back end: the JIT), sqlite_insert_query/binding_libffi,
// sqlite_insert_query/direct. Each iteration creates an in-memory database, inserts the rows in
// one transaction through one prepared statement, reads them all back, checks the sums and closes
// the database. Before timing, every side's rows are read back in full and compared with the rows
// inserted.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/sqlite_workload.h"

namespace {

using namespace bench_sqlite;

void BM_binding(benchmark::State &state, jitffi::BackendChoice backend) {
  sq::Sqlite3 lib = open_with(backend);
  state.SetLabel(std::string(jitffi::backend_name(lib.api().step.backend())));
  for (auto _ : state) {
    Sums s = run_binding(lib);
    check(s == expected(), "binding: wrong sums");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_direct(benchmark::State &state) {
  for (auto _ : state) {
    Sums s = run_direct();
    check(s == expected(), "direct: wrong sums");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK(BM_direct)->Name("sqlite_insert_query/direct")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_binding, auto, jitffi::BackendChoice::Auto)
    -> Name("sqlite_insert_query/binding") -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_binding, libffi, jitffi::BackendChoice::Libffi)
    ->Name("sqlite_insert_query/binding_libffi")
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char **argv) {
  // Both programs must have done the same SQL work: every row read back, compared in full.
  check(run_direct<Collect>().matches(), "direct: rows read back differ from the rows inserted");
  check(run_binding<Collect>(open_with(jitffi::BackendChoice::Auto)).matches(),
        "binding: rows read back differ from the rows inserted");
  check(run_binding<Collect>(open_with(jitffi::BackendChoice::Libffi)).matches(),
        "binding_libffi: rows read back differ from the rows inserted");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
