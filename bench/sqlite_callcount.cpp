// Instructions per row of the sqlite benchmark under callgrind (stable where timings on a shared
// machine are not): each side runs the workload of sqlite_workload.h twice to warm up, then once
// between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("<side>"). bench/sqlite_callgrind.py
// runs it and prints instructions per row. Outside valgrind the macros do nothing.
#include <valgrind/callgrind.h>

#include "bench/sqlite_workload.h"

using namespace bench_sqlite;

namespace {

template <class F>
void section(const char *name, F &&run) {
  // Warm twice: sqlite's work per row depends on the heap's history (the first run after a
  // different allocation pattern costs ~3% more inside sqlite); from the third identical run on
  // it is the same for every run, so both sides are measured in that steady state.
  for (int i = 0; i < 2; ++i) check(run() == expected(), "wrong sums");
  CALLGRIND_ZERO_STATS;
  Sums s = run();
  CALLGRIND_DUMP_STATS_AT(name);
  check(s == expected(), "wrong sums");
}

}  // namespace

// The sections run in the order named on the command line (default: direct binding
// binding_libffi), so that an effect of the order on sqlite's own work can be seen.
int main(int argc, char **argv) {
  std::vector<std::string_view> order(argv + 1, argv + argc);
  if (order.empty()) order = {"direct", "binding", "binding_libffi"};
  for (std::string_view name : order) {
    if (name == "direct") {
      check(run_direct<Collect>().matches(), "direct: rows read back differ");
      section("direct", [] { return run_direct(); });
    } else if (name == "binding" || name == "binding_libffi") {
      sq::Sqlite3 lib = open_with(name == "binding" ? jitffi::BackendChoice::Auto
                                                    : jitffi::BackendChoice::Libffi);
      check(run_binding<Collect>(lib).matches(), "binding: rows read back differ");
      section(std::string(name).c_str(), [&] { return run_binding(lib); });
    } else {
      check(false, "unknown section (direct, binding, binding_libffi)");
    }
  }
  return 0;
}
