/* A library with an undefined reference to jt_add_i32 (from jitffi_testlib, deliberately not
 * linked): RTLD_NOW opens it only once a library opened with RTLD_GLOBAL provides the symbol;
 * RTLD_LAZY opens it anyway. */
int jt_add_i32(int a, int b);

int jt_needs_add(int a) {
  return jt_add_i32(a, 100);
}

int jt_needs_nothing(void) {
  return 7;
}
