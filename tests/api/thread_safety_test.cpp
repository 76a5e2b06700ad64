// What docs/api.md ("Thread safety") promises about concurrent use, each on many threads at
// once: one Function called from every thread (its value and slot entries made on first use by
// whichever thread comes first), prototypes parsed against one Library's declarations, errno
// capture kept per thread, and closures made, called and freed on every thread.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "api_test_util.h"

namespace {

using namespace jitffi;

constexpr int kThreads = 8;

// Runs body(t) on kThreads threads that start together; returns the failures they counted.
template <class F>
int on_threads(F body) {
  std::atomic<int> ready{0}, failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      failures.fetch_add(body(t));
    });
  for (auto &th : ts) th.join();
  return failures.load();
}

class ThreadSafety : public ::testing::TestWithParam<BackendChoice> {};

TEST_P(ThreadSafety, OneFunctionFromManyThreads) {
  Library libm = Library::open("m");
  // Not called before the threads start: the first invoke makes the slot entry, on some thread.
  const Function pow = libm.function("double pow(double, double)", {GetParam()});
  const auto typed = pow.as<double(double, double)>();
  int failures = on_threads([&](int t) {
    int bad = 0;
    for (int i = 0; i < 2000; ++i) {
      double y = (t + i) % 12;
      bad += pow.invoke<double>(2.0, y) != std::ldexp(1.0, int(y));
      bad += typed(2.0, y + 1) != std::ldexp(1.0, int(y) + 1);
      double x = 3, r = 0;
      void *args[] = {&x, &y};
      pow.call(&r, args);
      bad += r != std::pow(3.0, y);
    }
    return bad;
  });
  EXPECT_EQ(failures, 0);
}

TEST_P(ThreadSafety, PrototypesAgainstOneLibrarysDeclarations) {
  Library libc = Library::open("c");
  // Declarations first; afterwards only lookups run concurrently (that is the rule).
  libc.scope().declare(
      "typedef unsigned long my_size_t; struct pair { int a; double b; };"
      "typedef int (*cmp_t)(const void *, const void *);");
  int failures = on_threads([&](int t) {
    int bad = 0;
    for (int i = 0; i < 200; ++i) {
      Function len = libc.function("my_size_t strlen(const char *)", {GetParam()});
      std::string s(std::size_t(t + i % 7), 'x');
      bad += len.invoke<unsigned long>(s.c_str()) != s.size();
      bad += libc.scope().type("struct pair")->size() != 16;
      bad +=
          libc.scope().signature("void qsort(void *, size_t, size_t, cmp_t)").params().size() != 4;
    }
    return bad;
  });
  EXPECT_EQ(failures, 0);
}

TEST_P(ThreadSafety, SavedErrnoIsPerThread) {
  Library libc = Library::open("c");
  const Function strtol =
      libc.function("long strtol(const char *, char **, int)", {GetParam(), true});
  int failures = on_threads([&](int t) {
    int bad = 0;
    for (int i = 0; i < 500; ++i) {
      set_saved_errno(1000 + t);
      // Success leaves errno alone: the thread's own value comes back.
      bad += strtol.invoke<long>("42", static_cast<char **>(nullptr), 10) != 42;
      bad += saved_errno() != 1000 + t;
      strtol.invoke<long>("99999999999999999999", static_cast<char **>(nullptr), 10);
      bad += saved_errno() != ERANGE;
    }
    return bad;
  });
  EXPECT_EQ(failures, 0);
}

TEST_P(ThreadSafety, ClosuresMadeCalledAndFreedOnEveryThread) {
  const Signature sig = Signature::parse("i32(i32, i32)");
  std::size_t before = Closure::live_count();
  int failures = on_threads([&](int t) {
    int bad = 0;
    for (int i = 0; i < 100; ++i) {
      int k = t * 1000 + i;
      Closure c(sig,
                [k](void *ret, void **args) {
                  *static_cast<int *>(ret) =
                      *static_cast<int *>(args[0]) * *static_cast<int *>(args[1]) + k;
                },
                {GetParam()});
      auto f = c.code<int (*)(int, int)>();
      bad += f(i, 3) != i * 3 + k;
    }
    return bad;
  });
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Closure::live_count(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, ThreadSafety, ::testing::ValuesIn(jt::backends()),
                         [](const auto &info) {
                           return std::string(info.param == BackendChoice::Libffi ? "libffi"
                                                                                  : "auto");
                         });

}  // namespace
