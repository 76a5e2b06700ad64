// The only source of libjitffi.so itself: the rest is every component, linked whole.
extern "C" __attribute__((visibility("default"))) const char *jitffi_version(void) {
  return JITFFI_VERSION;
}
