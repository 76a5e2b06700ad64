// The raw and java-raw APIs: libffi's generic versions (FFI_NATIVE_RAW_API is 0 on x86-64 and
// AArch64), argument blocks of ffi_raw words converted to and from pointer arrays around
// ffi_call and ffi_prep_closure_loc.
#include <alloca.h>

#include <cstdint>
#include <cstring>

#include "compat/src/compat.h"

namespace {

std::size_t align8(std::size_t n) {
  return (n + FFI_SIZEOF_ARG - 1) / FFI_SIZEOF_ARG * FFI_SIZEOF_ARG;
}

// The raw closure's hub: the closure's `fun`/`user_data` fields hold this function and the raw
// closure itself; its own fun and user_data follow.
void translate_args(ffi_cif *cif, void *rvalue, void **avalue, void *user_data) {
  auto *cl = static_cast<ffi_raw_closure *>(user_data);
  auto *raw = static_cast<ffi_raw *>(alloca(ffi_raw_size(cif) + sizeof(ffi_raw)));
  ffi_ptrarray_to_raw(cif, avalue, raw);
  cl->fun(cif, rvalue, raw, cl->user_data);
}

void java_translate_args(ffi_cif *cif, void *rvalue, void **avalue, void *user_data) {
  auto *cl = static_cast<ffi_java_raw_closure *>(user_data);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  auto *raw = static_cast<ffi_java_raw *>(alloca(ffi_java_raw_size(cif) + sizeof(ffi_raw)));
  ffi_java_ptrarray_to_raw(cif, avalue, raw);
#pragma GCC diagnostic pop
  cl->fun(cif, rvalue, raw, cl->user_data);
}

}  // namespace

extern "C" {

size_t ffi_raw_size(ffi_cif *cif) {
  size_t n = 0;
  for (unsigned i = 0; i < cif->nargs; ++i) {
    const ffi_type *t = cif->arg_types[i];
    n += t->type == FFI_TYPE_STRUCT ? align8(sizeof(void *)) : align8(t->size);
  }
  return n;
}

void ffi_raw_to_ptrarray(ffi_cif *cif, ffi_raw *raw, void **args) {
  for (unsigned i = 0; i < cif->nargs; ++i) {
    const ffi_type *t = cif->arg_types[i];
    switch (t->type) {
      case FFI_TYPE_STRUCT:
      case FFI_TYPE_COMPLEX:
        args[i] = (raw++)->ptr;
        break;
      case FFI_TYPE_POINTER:
        args[i] = &(raw++)->ptr;
        break;
      default:
        args[i] = raw;
        raw += align8(t->size) / sizeof(ffi_raw);
    }
  }
}

void ffi_ptrarray_to_raw(ffi_cif *cif, void **args, ffi_raw *raw) {
  for (unsigned i = 0; i < cif->nargs; ++i) {
    const ffi_type *t = cif->arg_types[i];
    switch (t->type) {
      case FFI_TYPE_UINT8:
        (raw++)->uint = *static_cast<std::uint8_t *>(args[i]);
        break;
      case FFI_TYPE_SINT8:
        (raw++)->sint = *static_cast<std::int8_t *>(args[i]);
        break;
      case FFI_TYPE_UINT16:
        (raw++)->uint = *static_cast<std::uint16_t *>(args[i]);
        break;
      case FFI_TYPE_SINT16:
        (raw++)->sint = *static_cast<std::int16_t *>(args[i]);
        break;
      case FFI_TYPE_UINT32:
        (raw++)->uint = *static_cast<std::uint32_t *>(args[i]);
        break;
      case FFI_TYPE_SINT32:
        (raw++)->sint = *static_cast<std::int32_t *>(args[i]);
        break;
      case FFI_TYPE_STRUCT:
      case FFI_TYPE_COMPLEX:
        (raw++)->ptr = args[i];
        break;
      case FFI_TYPE_POINTER:
        (raw++)->ptr = *static_cast<void **>(args[i]);
        break;
      default:
        std::memcpy(raw->data, args[i], t->size);
        raw += align8(t->size) / sizeof(ffi_raw);
    }
  }
}

void ffi_raw_call(ffi_cif *cif, void (*fn)(void), void *rvalue, ffi_raw *raw) {
  void **avalue = static_cast<void **>(alloca((cif->nargs + 1) * sizeof(void *)));
  ffi_raw_to_ptrarray(cif, raw, avalue);
  ffi_call(cif, fn, rvalue, avalue);
}

// Java's layout: 64-bit values take two slots (only the first is used), everything else one;
// structs and complex values do not exist in Java (libffi aborts on them too).
size_t ffi_java_raw_size(ffi_cif *cif) {
  size_t n = 0;
  for (unsigned i = 0; i < cif->nargs; ++i) {
    switch (cif->arg_types[i]->type) {
      case FFI_TYPE_UINT64:
      case FFI_TYPE_SINT64:
      case FFI_TYPE_DOUBLE:
        n += 2 * FFI_SIZEOF_JAVA_RAW;
        break;
      case FFI_TYPE_STRUCT:
      case FFI_TYPE_COMPLEX:
        jitffi::compat::die("ffi_java_raw_size", "struct and complex arguments have no Java form");
      default:
        n += FFI_SIZEOF_JAVA_RAW;
    }
  }
  return n;
}

void ffi_java_raw_to_ptrarray(ffi_cif *cif, ffi_java_raw *raw, void **args) {
  for (unsigned i = 0; i < cif->nargs; ++i) {
    switch (cif->arg_types[i]->type) {
      case FFI_TYPE_UINT64:
      case FFI_TYPE_SINT64:
      case FFI_TYPE_DOUBLE:
        args[i] = raw;
        raw += 2;
        break;
      case FFI_TYPE_COMPLEX:
        jitffi::compat::die("ffi_java_raw_to_ptrarray", "complex arguments have no Java form");
      default:
        args[i] = raw++;
    }
  }
}

void ffi_java_ptrarray_to_raw(ffi_cif *cif, void **args, ffi_java_raw *raw) {
  for (unsigned i = 0; i < cif->nargs; ++i) {
    switch (cif->arg_types[i]->type) {
      case FFI_TYPE_UINT8:
        (raw++)->uint = *static_cast<std::uint8_t *>(args[i]);
        break;
      case FFI_TYPE_SINT8:
        (raw++)->sint = *static_cast<std::int8_t *>(args[i]);
        break;
      case FFI_TYPE_UINT16:
        (raw++)->uint = *static_cast<std::uint16_t *>(args[i]);
        break;
      case FFI_TYPE_SINT16:
        (raw++)->sint = *static_cast<std::int16_t *>(args[i]);
        break;
      case FFI_TYPE_UINT32:
        (raw++)->uint = *static_cast<std::uint32_t *>(args[i]);
        break;
      case FFI_TYPE_SINT32:
        (raw++)->sint = *static_cast<std::int32_t *>(args[i]);
        break;
      case FFI_TYPE_FLOAT:
        (raw++)->flt = *static_cast<float *>(args[i]);
        break;
      case FFI_TYPE_UINT64:
      case FFI_TYPE_SINT64:
      case FFI_TYPE_DOUBLE:
        std::memcpy(&raw->uint, args[i], 8);
        raw += 2;
        break;
      case FFI_TYPE_POINTER:
        (raw++)->ptr = *static_cast<void **>(args[i]);
        break;
      default:
        jitffi::compat::die(
            "ffi_java_ptrarray_to_raw",
            "type code " + std::to_string(cif->arg_types[i]->type) + " has no Java form");
    }
  }
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void ffi_java_raw_call(ffi_cif *cif, void (*fn)(void), void *rvalue, ffi_java_raw *raw) {
  void **avalue = static_cast<void **>(alloca((cif->nargs + 1) * sizeof(void *)));
  ffi_java_raw_to_ptrarray(cif, raw, avalue);
  ffi_call(cif, fn, rvalue, avalue);
}
#pragma GCC diagnostic pop

ffi_status ffi_prep_raw_closure_loc(ffi_raw_closure *cl, ffi_cif *cif,
                                    void (*fun)(ffi_cif *, void *, ffi_raw *, void *),
                                    void *user_data, void *codeloc) {
  // The writable closure is the hub's user data: this library reads closures through it.
  ffi_status s =
      ffi_prep_closure_loc(reinterpret_cast<ffi_closure *>(cl), cif, &translate_args, cl, codeloc);
  if (s == FFI_OK) {
    cl->fun = fun;
    cl->user_data = user_data;
  }
  return s;
}

ffi_status ffi_prep_raw_closure(ffi_raw_closure *cl, ffi_cif *cif,
                                void (*fun)(ffi_cif *, void *, ffi_raw *, void *),
                                void *user_data) {
  return ffi_prep_raw_closure_loc(cl, cif, fun, user_data, cl);
}

ffi_status ffi_prep_java_raw_closure_loc(ffi_java_raw_closure *cl, ffi_cif *cif,
                                         void (*fun)(ffi_cif *, void *, ffi_java_raw *, void *),
                                         void *user_data, void *codeloc) {
  ffi_status s = ffi_prep_closure_loc(reinterpret_cast<ffi_closure *>(cl), cif,
                                      &java_translate_args, cl, codeloc);
  if (s == FFI_OK) {
    cl->fun = fun;
    cl->user_data = user_data;
  }
  return s;
}

ffi_status ffi_prep_java_raw_closure(ffi_java_raw_closure *cl, ffi_cif *cif,
                                     void (*fun)(ffi_cif *, void *, ffi_java_raw *, void *),
                                     void *user_data) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return ffi_prep_java_raw_closure_loc(cl, cif, fun, user_data, cl);
#pragma GCC diagnostic pop
}

}  // extern "C"
