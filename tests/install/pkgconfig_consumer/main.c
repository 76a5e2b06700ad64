/* Uses the installed C API, built with the flags from pkg-config jitffi. */
#include <jitffi.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  jitffi_lib *libc = NULL;
  jitffi_fn *strlen_fn = NULL;
  const char *text = "pkg-config";
  void *args[1];
  size_t n = 0;
  if (jitffi_lib_open("libc.so.6", &libc) != JITFFI_OK ||
      jitffi_lib_function(libc, "size_t strlen(const char *)", NULL, &strlen_fn) != JITFFI_OK) {
    fprintf(stderr, "pkg-config consumer: %s\n", jitffi_last_error());
    return 1;
  }
  args[0] = &text;
  if (jitffi_fn_call(strlen_fn, &n, args) != JITFFI_OK) {
    fprintf(stderr, "pkg-config consumer: %s\n", jitffi_last_error());
    return 1;
  }
  printf("pkg-config consumer: jitffi %s, strlen(\"%s\") = %zu via %s: %s\n", jitffi_version(),
         text, n, jitffi_fn_backend(strlen_fn), n == strlen(text) ? "ok" : "WRONG");
  jitffi_fn_free(strlen_fn);
  jitffi_lib_close(libc);
  return n == strlen(text) ? 0 : 1;
}
