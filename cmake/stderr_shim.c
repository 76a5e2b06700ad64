/* libasmjit.a (Debian) reaches libc's `stderr` with a PC32 relocation, as code built for an
 * executable does (it expects a copy relocation). A shared object cannot carry that, so it gets
 * a hidden `stderr` of its own here, set to libc's FILE * before any code can use it. */
#define _GNU_SOURCE
#include <dlfcn.h>

__attribute__((visibility("hidden"))) void *stderr;

__attribute__((constructor(101))) static void jitffi_stderr_shim_init(void) {
  void **real = (void **)dlsym(RTLD_NEXT, "stderr");
  if (!real) real = (void **)dlsym(RTLD_DEFAULT, "stderr");
  stderr = real ? *real : 0;
}
