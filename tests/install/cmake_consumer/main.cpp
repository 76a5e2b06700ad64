// Uses the installed C++ API: a library function, a signature and a closure.
#include <jitffi/jitffi.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main() {
  auto libm = jitffi::Library::open("libm.so.6");
  auto pow_fn = libm.function("double pow(double, double)");
  double r = pow_fn.invoke<double>(2.0, 10.0);

  int calls = 0;
  jitffi::Closure cmp(jitffi::Signature::parse("int(ptr, ptr)"), [&](void *ret, void **args) {
    ++calls;
    int a = **static_cast<int **>(args[0]), b = **static_cast<int **>(args[1]);
    std::int64_t v = (a > b) - (a < b);
    std::memcpy(ret, &v, sizeof v);
  });
  int values[] = {3, 1, 2};
  std::qsort(values, 3, sizeof(int), cmp.code<int (*)(const void *, const void *)>());

  bool ok = r == 1024.0 && values[0] == 1 && values[1] == 2 && values[2] == 3 && calls > 0;
  std::printf("find_package consumer: pow(2, 10) = %g via %s, qsort -> %d %d %d: %s\n", r,
              std::string(jitffi::backend_name(pow_fn.backend())).c_str(), values[0], values[1],
              values[2], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
