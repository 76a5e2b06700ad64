// Concurrency stress: many threads at once parse signatures, make Functions (the same signatures
// on every thread: stub-cache hits and racing first compiles; per-thread ones: misses), call
// them, create closures, call and free them, on both back ends; and threads the host did not
// create (raw pthreads whose start routine is itself a closure) call closures and Functions.
// Every result is checked against the value the compiled target computes. Run in ctest and, built
// with -DJITFFI_TSAN=ON, under ThreadSanitizer by scripts/test.sh.
//
//   jitffi_test_stress [threads [iterations]]     (default 8 threads, 200 iterations)
#include <pthread.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "jitffi/jitffi.hpp"

using namespace jitffi;

namespace {

std::atomic<long> g_checks{0}, g_failures{0};

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    g_checks.fetch_add(1, std::memory_order_relaxed);                           \
    if (!(cond)) {                                                              \
      if (g_failures.fetch_add(1) < 20) {                                       \
        std::fprintf(stderr, "stress: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
        std::fprintf(stderr, __VA_ARGS__);                                      \
        std::fputc('\n', stderr);                                               \
      }                                                                         \
    }                                                                           \
  } while (0)

struct Pair {
  double a, b;
};
struct Mixed {
  std::int8_t c;
  std::int32_t i;
  float f;
  double d;
};

}  // namespace

// Targets compiled by the compiler: the judge of every call.
extern "C" {
__attribute__((noinline)) std::int64_t st_mul_add(std::int64_t a, std::int64_t b, std::int32_t c) {
  return a * b + c;
}
__attribute__((noinline)) Pair st_pair(Pair p, Mixed m, double k) {
  return {p.a * k + m.c + m.i, p.b * k + double(m.f) + m.d};
}
// Sums `n` variadic arguments typed by `kinds` ('i' i64, 'd' f64): one target for many distinct
// signatures (one per pattern of kinds), so that threads also make stubs nobody made before.
__attribute__((noinline)) double st_vsum(const char *kinds, ...) {
  va_list ap;
  va_start(ap, kinds);
  double s = 0;
  for (const char *k = kinds; *k; ++k)
    s += *k == 'i' ? double(va_arg(ap, std::int64_t)) : va_arg(ap, double);
  va_end(ap);
  return s;
}
// A C caller of a closure with struct arguments.
__attribute__((noinline)) void st_noop() {}
__attribute__((noinline)) Pair st_call_pair(Pair (*fn)(Pair, Mixed, double), Pair p, Mixed m,
                                            double k) {
  return fn(p, m, k);
}
}

namespace {

const BackendChoice kChoices[] = {BackendChoice::Auto, BackendChoice::Jit, BackendChoice::Libffi};

// Whether the JIT serves this host, asked through the public API (the test links libjitffi.so,
// which exports nothing else).
bool have_jit() {
  static const bool yes = [] {
    try {
      Function(Signature::parse("void()"), reinterpret_cast<void *>(&st_noop),
               CallOptions{BackendChoice::Jit});
      return true;
    } catch (const UnsupportedError &) {
      return false;
    }
  }();
  return yes;
}

BackendChoice choice_of(unsigned n) {
  if (kChoices[n % 3] == BackendChoice::Jit && !have_jit()) return BackendChoice::Auto;
  return kChoices[n % 3];
}

// The same signatures on every thread: hits, and races for the first compile.
void shared_calls(unsigned seed) {
  const CallOptions opts{choice_of(seed)};
  Function f(Signature::parse("i64 st_mul_add(i64, i64, i32)"),
             reinterpret_cast<void *>(&st_mul_add), opts);
  const std::int64_t a = seed * 7 + 1, b = -3;
  const std::int32_t c = std::int32_t(seed);
  const std::int64_t r = f.invoke<std::int64_t>(a, b, c);
  CHECK(r == st_mul_add(a, b, c), "st_mul_add(%lld) = %lld", (long long)a, (long long)r);

  Function g(Signature::parse("{f64,f64}({f64,f64}, {i8,i32,f32,f64}, f64)"),
             reinterpret_cast<void *>(&st_pair), opts);
  const Pair p{1.5 + seed, -2.25};
  const Mixed m{-3, std::int32_t(seed), 0.5f, 4.125};
  const Pair want = st_pair(p, m, 2.0), got = g.invoke<Pair>(p, m, 2.0);
  CHECK(got.a == want.a && got.b == want.b, "st_pair: %g,%g want %g,%g", got.a, got.b, want.a,
        want.b);
}

// A variadic signature per pattern: many distinct ones, each made by whichever thread comes first.
void variadic_calls(unsigned pattern) {
  const unsigned n = 1 + pattern % 9;
  std::string kinds, text = "f64(cstr, ...";
  std::vector<std::int64_t> ints(n);
  std::vector<double> dbls(n);
  std::vector<void *> args(n + 1);
  const char *kinds_arg = nullptr;
  double want = 0;
  for (unsigned i = 0; i < n; ++i) {
    const bool is_int = (pattern >> (i % 12)) & 1;
    kinds += is_int ? 'i' : 'd';
    text += is_int ? ", i64" : ", f64";
    ints[i] = std::int64_t(i) * 3 - 5;
    dbls[i] = 0.5 * i + 0.25;
    want += is_int ? double(ints[i]) : dbls[i];
    args[i + 1] = is_int ? static_cast<void *>(&ints[i]) : static_cast<void *>(&dbls[i]);
  }
  text += ")";
  kinds_arg = kinds.c_str();
  args[0] = &kinds_arg;
  Function f(Signature::parse(text), reinterpret_cast<void *>(&st_vsum), {choice_of(pattern)});
  double got = 0;
  f.call(&got, args.data());
  CHECK(got == want, "%s: %g want %g", text.c_str(), got, want);
}

// Closures made, called (directly and from a C caller) and freed on this thread.
void closure_calls(unsigned seed) {
  const CallOptions opts{choice_of(seed + 1)};
  std::atomic<int> calls{0};
  Closure add(
      Signature::parse("i64(i64, i64, i32)"),
      [&calls, seed](void *ret, void **args) {
        ++calls;
        const std::int64_t r =
            *static_cast<std::int64_t *>(args[0]) * *static_cast<std::int64_t *>(args[1]) +
            *static_cast<std::int32_t *>(args[2]) + seed;
        std::memcpy(ret, &r, sizeof r);
      },
      opts);
  auto fn = add.code<std::int64_t (*)(std::int64_t, std::int64_t, std::int32_t)>();
  const std::int64_t r = fn(6, -7, 3);
  CHECK(r == 6 * -7 + 3 + std::int64_t(seed), "closure i64: %lld", (long long)r);

  Closure pair(
      Signature::parse("{f64,f64}({f64,f64}, {i8,i32,f32,f64}, f64)"),
      [&calls](void *ret, void **args) {
        ++calls;
        Pair p;
        Mixed m;
        double k;
        std::memcpy(&p, args[0], sizeof p);
        std::memcpy(&m, args[1], sizeof m);
        std::memcpy(&k, args[2], sizeof k);
        const Pair r = st_pair(p, m, k);
        std::memcpy(ret, &r, sizeof r);
      },
      opts);
  const Pair p{0.5, seed * 1.0};
  const Mixed m{7, -9, 1.25f, -0.5};
  const Pair want = st_pair(p, m, 3.0);
  const Pair got = st_call_pair(pair.code<Pair (*)(Pair, Mixed, double)>(), p, m, 3.0);
  CHECK(got.a == want.a && got.b == want.b, "closure pair: %g,%g want %g,%g", got.a, got.b, want.a,
        want.b);
  CHECK(calls == 2, "handlers ran %d times, want 2", calls.load());
}

void worker(unsigned id, unsigned iterations) {
  for (unsigned k = 0; k < iterations; ++k) {
    const unsigned seed = id * 7919 + k;
    try {
      shared_calls(seed);
      variadic_calls(seed % 512);  // threads overlap on patterns: hits and racing misses
      if (k % 4 == 0) closure_calls(seed);
    } catch (const std::exception &e) {
      CHECK(false, "thread %u iteration %u: %s", id, k, e.what());
    }
  }
}

// Raw pthreads: the start routine is a closure, so the new thread's first instruction is jitffi
// code; it calls another closure and a Function before it returns through the closure's result.
struct RawTask {
  const Closure *inner;
  const Function *fn;
  std::int64_t in, out = 0;
};

void raw_threads(unsigned count) {
  Closure inner(Signature::parse("i64(i64)"),
                [](void *ret, void **args) {
                  const std::int64_t r = *static_cast<std::int64_t *>(args[0]) * 2 + 1;
                  std::memcpy(ret, &r, sizeof r);
                },
                {choice_of(count)});
  Function fn(Signature::parse("i64(i64, i64, i32)"), reinterpret_cast<void *>(&st_mul_add));
  Closure start(Signature::parse("ptr(ptr)"),
                [](void *ret, void **args) {
                  auto *task = *static_cast<RawTask **>(args[0]);
                  auto twice = task->inner->code<std::int64_t (*)(std::int64_t)>();
                  task->out = task->fn->invoke<std::int64_t>(twice(task->in), std::int64_t{3}, 1);
                  void *r = task;
                  std::memcpy(ret, &r, sizeof r);
                },
                {choice_of(count + 1)});
  std::vector<RawTask> tasks(count);
  std::vector<pthread_t> threads(count);
  for (unsigned i = 0; i < count; ++i) {
    tasks[i] = RawTask{&inner, &fn, std::int64_t(i) - 4};
    const int rc = pthread_create(&threads[i], nullptr, start.code<void *(*)(void *)>(), &tasks[i]);
    CHECK(rc == 0, "pthread_create: %s", std::strerror(rc));
    if (rc != 0) threads[i] = pthread_t{};
  }
  for (unsigned i = 0; i < count; ++i) {
    void *res = nullptr;
    if (pthread_join(threads[i], &res) != 0) continue;
    CHECK(res == &tasks[i], "raw thread %u returned %p, want %p", i, res,
          static_cast<void *>(&tasks[i]));
    const std::int64_t want = (tasks[i].in * 2 + 1) * 3 + 1;
    CHECK(tasks[i].out == want, "raw thread %u: %lld want %lld", i, (long long)tasks[i].out,
          (long long)want);
  }
}

}  // namespace

int main(int argc, char **argv) {
  const unsigned threads = argc > 1 ? unsigned(std::atoi(argv[1])) : 8;
  const unsigned iterations = argc > 2 ? unsigned(std::atoi(argv[2])) : 200;
  if (threads == 0 || iterations == 0) {
    std::fprintf(stderr, "usage: %s [threads [iterations]]\n", argv[0]);
    return 2;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t, iterations);
  // Meanwhile, raw pthreads in rounds.
  for (unsigned round = 0; round < 4; ++round) raw_threads(threads);
  for (auto &t : pool) t.join();
  CHECK(Closure::live_count() == 0, "closures leaked: %zu", Closure::live_count());
  std::printf(
      "stress: %u threads x %u iterations, %u raw pthreads x 4 rounds: %ld checks, %ld "
      "failures; %zu closures alive\n",
      threads, iterations, threads, g_checks.load(), g_failures.load(), Closure::live_count());
  return g_failures.load() == 0 ? 0 : 1;
}
