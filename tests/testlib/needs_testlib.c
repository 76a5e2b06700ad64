/* A library with an undefined reference to jt_add_i32 (from jitffi_testlib, deliberately not
 * linked): RTLD_NOW opens it only once a library opened with RTLD_GLOBAL provides the symbol;
 * RTLD_LAZY opens it anyway. */
#define _GNU_SOURCE
#include <dlfcn.h>

int jt_add_i32(int a, int b);

int jt_needs_add(int a) {
  return jt_add_i32(a, 100);
}

int jt_needs_nothing(void) {
  return 7;
}

/* 1 when `name` is in the global scope (the program's handle; RTLD_DEFAULT would also search
 * this library's own scope): this library's symbols are only when opened with RTLD_GLOBAL. */
int jt_is_global(const char *name) {
  void *program = dlopen(0, RTLD_NOW);
  int found = program && dlsym(program, name) != 0;
  if (program) dlclose(program);
  return found;
}
