// The C API (include/jitffi.h) on top of the C++ API. Every entry point catches everything:
// no exception may cross into C, so each failure becomes a status plus a thread-local message.
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "src/capi_internal.h"

// The handles are opaque to C; their C++ innards stay out of libjitffi's exports (hidden).
struct __attribute__((visibility("hidden"))) jitffi_fn {
  jitffi_fn(jitffi::Function f) : fn(std::move(f)), sig(fn.signature()) {
    nargs = sig.sig.params().size();
    returns_void = sig.sig.ret()->is_void();
    const jitffi::Type &r = *sig.sig.ret();
    ret_size = r.is_void() ? 0 : r.size();
    if ((r.is_integer() && r.size() <= 8) || r.kind() == jitffi::TypeKind::Pointer) {
      ret_int_size = std::uint8_t(r.size());
      ret_signed = r.is_integer() && r.is_signed();
    }
    if (r.is_float() && (r.size() == 4 || r.size() == 8)) ret_float_size = std::uint8_t(r.size());
  }
  // A Function from Library::function keeps its library loaded (runtimes free in any order).
  jitffi::Function fn;
  jitffi_sig sig;
  std::size_t nargs;
  bool returns_void;
  // The result type for the value calls: integer/pointer (size, signedness), float or double.
  std::uint8_t ret_int_size = 0;  // 0: not an integer, bool or pointer
  bool ret_signed = false;
  std::uint8_t ret_float_size = 0;  // 4 or 8; 0: neither float nor double
  std::size_t ret_size = 0;
};

struct __attribute__((visibility("hidden"))) jitffi_closure {
  ~jitffi_closure() {
    closure = jitffi::Closure();  // the code goes first: nothing may call into user_data after
    if (destroy) destroy(user_data);
  }
  jitffi::Closure closure;
  jitffi_destroy destroy = nullptr;
  void *user_data = nullptr;
};

struct __attribute__((visibility("hidden"))) jitffi_lib {
  jitffi::Library lib;
};

namespace jitffi::capi {

namespace {

thread_local std::string t_error;
thread_local std::size_t t_position = JITFFI_NO_POSITION;
thread_local bool t_error_is_oom = false;  // the message itself could not be stored

// Appends `text` with each NUL written as \0: the message is handed out as a C string, which
// would otherwise end at the first NUL of an input given with its length (jitffi_sig_parse_n).
void append_escaped(std::string &out, std::string_view text) {
  for (std::size_t at = 0;;) {
    const std::size_t nul = text.find('\0', at);
    out.append(text.substr(at, nul - at));
    if (nul == std::string_view::npos) return;
    out.append("\\0");
    at = nul + 1;
  }
}

}  // namespace

// "where: what suffix"; never throws (an allocation failure is remembered instead).
void set_error(const char *where, std::string_view what, std::size_t position,
               std::string_view suffix) noexcept {
  t_position = position;
  try {
    t_error.assign(where);
    t_error.append(": ");
    append_escaped(t_error, what);
    append_escaped(t_error, suffix);
    t_error_is_oom = false;
  } catch (...) {
    t_error_is_oom = true;
  }
}

jitffi_status fail(const char *where, jitffi_status status, std::string_view what) noexcept {
  set_error(where, what, JITFFI_NO_POSITION);
  return status;
}

jitffi_status translate(const char *where) noexcept {
  try {
    throw;
  } catch (const jitffi::ParseError &e) {
    set_error(where, e.what(), e.position());
    return JITFFI_PARSE_ERROR;
  } catch (const jitffi::SymbolError &e) {
    return fail(where, JITFFI_SYMBOL_ERROR, e.what());
  } catch (const jitffi::LibraryError &e) {
    return fail(where, JITFFI_LIBRARY_ERROR, e.what());
  } catch (const jitffi::UnsupportedError &e) {
    return fail(where, JITFFI_UNSUPPORTED, e.what());
  } catch (const jitffi::TypeError &e) {
    return fail(where, JITFFI_TYPE_ERROR, e.what());
  } catch (const std::bad_alloc &) {
    return fail(where, JITFFI_NO_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return fail(where, JITFFI_ERROR, e.what());
  } catch (...) {
    return fail(where, JITFFI_ERROR, "unknown exception");
  }
}

jitffi_status null_arg(const char *where, std::string_view name) noexcept {
  set_error(where, name, JITFFI_NO_POSITION, " is NULL");
  return JITFFI_INVALID_ARGUMENT;
}

}  // namespace jitffi::capi

namespace {

using namespace jitffi::capi;

jitffi_status bad_backend(const char *where, std::string_view name, int value) noexcept {
  char text[64];
  std::snprintf(text, sizeof text, " is %d, not a jitffi_backend", value);
  set_error(where, name, JITFFI_NO_POSITION, text);
  return JITFFI_INVALID_ARGUMENT;
}

bool to_choice(const jitffi_backend &b, jitffi::BackendChoice &out) noexcept {
  switch (raw_int(b)) {
    case JITFFI_BACKEND_AUTO:
      out = jitffi::BackendChoice::Auto;
      return true;
    case JITFFI_BACKEND_JIT:
      out = jitffi::BackendChoice::Jit;
      return true;
    case JITFFI_BACKEND_LIBFFI:
      out = jitffi::BackendChoice::Libffi;
      return true;
  }
  return false;
}

jitffi_status to_options(const char *where, const jitffi_fn_options *o,
                         jitffi::CallOptions &out) noexcept {
  if (!o) return JITFFI_OK;
  if (!to_choice(o->backend, out.backend))
    return bad_backend(where, "options->backend", raw_int(o->backend));
  out.capture_errno = o->capture_errno != 0;
  return JITFFI_OK;
}

const char *name_of(jitffi::BackendKind kind) noexcept {
  // backend_name returns a view of a literal, so data() is NUL-terminated.
  return jitffi::backend_name(kind).data();
}

}  // namespace

extern "C" {

const char *jitffi_last_error(void) {
  if (t_error_is_oom) return "out of memory (while recording an error)";
  return t_error.c_str();
}

size_t jitffi_last_error_position(void) {
  return t_position;
}

const char *jitffi_status_name(jitffi_status status) {
  switch (raw_int(status)) {
    case JITFFI_OK:
      return "JITFFI_OK";
    case JITFFI_PARSE_ERROR:
      return "JITFFI_PARSE_ERROR";
    case JITFFI_TYPE_ERROR:
      return "JITFFI_TYPE_ERROR";
    case JITFFI_LIBRARY_ERROR:
      return "JITFFI_LIBRARY_ERROR";
    case JITFFI_SYMBOL_ERROR:
      return "JITFFI_SYMBOL_ERROR";
    case JITFFI_UNSUPPORTED:
      return "JITFFI_UNSUPPORTED";
    case JITFFI_INVALID_ARGUMENT:
      return "JITFFI_INVALID_ARGUMENT";
    case JITFFI_NO_MEMORY:
      return "JITFFI_NO_MEMORY";
    case JITFFI_ERROR:
      return "JITFFI_ERROR";
  }
  return "(unknown jitffi_status)";
}

// ---- Signatures --------------------------------------------------------------------------

jitffi_status jitffi_sig_parse_n(const char *text, size_t length, jitffi_sig **out) {
  static const char kWhere[] = "jitffi_sig_parse";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!text) return null_arg(kWhere, "text");
  return guard(kWhere, [&] {
    *out = new jitffi_sig{jitffi::Signature::parse(std::string_view(text, length))};
  });
}

jitffi_status jitffi_sig_parse(const char *text, jitffi_sig **out) {
  if (!text) {
    if (out) *out = nullptr;
    return null_arg("jitffi_sig_parse", "text");
  }
  return jitffi_sig_parse_n(text, std::char_traits<char>::length(text), out);
}

jitffi_status jitffi_sig_with_varargs(const jitffi_sig *sig, const char *const *types, size_t count,
                                      jitffi_sig **out) {
  static const char kWhere[] = "jitffi_sig_with_varargs";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!sig) return null_arg(kWhere, "sig");
  if (!types && count) return null_arg(kWhere, "types");
  for (size_t i = 0; i < count; ++i)
    if (!types[i]) return null_arg(kWhere, "an entry of types");
  return guard(kWhere, [&] {
    jitffi::Scope scope(sig->sig.abi());
    std::vector<jitffi::TypeRef> varargs;
    varargs.reserve(count);
    for (size_t i = 0; i < count; ++i) varargs.push_back(scope.type(types[i]));
    *out = new jitffi_sig{sig->sig.with_varargs(std::move(varargs))};
  });
}

void jitffi_sig_free(jitffi_sig *sig) {
  delete sig;
}

const char *jitffi_sig_canonical(const jitffi_sig *sig) {
  return sig ? sig->sig.canonical().c_str() : nullptr;
}

uint64_t jitffi_sig_hash(const jitffi_sig *sig) {
  return sig ? sig->sig.hash() : 0;
}

size_t jitffi_sig_nargs(const jitffi_sig *sig) {
  return sig ? sig->sig.params().size() : 0;
}

size_t jitffi_sig_fixed_count(const jitffi_sig *sig) {
  return sig ? sig->sig.fixed_count() : 0;
}

int jitffi_sig_is_variadic(const jitffi_sig *sig) {
  return sig && sig->sig.is_variadic();
}

const char *jitffi_sig_name(const jitffi_sig *sig) {
  return sig ? sig->sig.name().c_str() : nullptr;
}

int jitffi_sig_equal(const jitffi_sig *a, const jitffi_sig *b) {
  return a && b && a->sig == b->sig;
}

// ---- Functions ---------------------------------------------------------------------------

jitffi_status jitffi_fn_create(const jitffi_sig *sig, void *address,
                               const jitffi_fn_options *options, jitffi_fn **out) {
  static const char kWhere[] = "jitffi_fn_create";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!sig) return null_arg(kWhere, "sig");
  if (!address) return null_arg(kWhere, "address");
  jitffi::CallOptions opts;
  if (jitffi_status s = to_options(kWhere, options, opts)) return s;
  return guard(kWhere, [&] { *out = new jitffi_fn(jitffi::Function(sig->sig, address, opts)); });
}

jitffi_status jitffi_fn_call(const jitffi_fn *fn, void *ret, void **args) {
  static const char kWhere[] = "jitffi_fn_call";
  if (!fn) return null_arg(kWhere, "fn");
  if (!args && fn->nargs) return null_arg(kWhere, "args");
  if (!ret && !fn->returns_void) return null_arg(kWhere, "ret");
  return guard(kWhere, [&] { fn->fn.call(ret, args); });
}

namespace {

// The value calls: check the arguments and the result type, then call through the value or slot
// entry into a buffer and convert from it.
enum class ValueOut { I64, F64, Pair };

jitffi_status value_call(const char *where, const jitffi_fn *fn, void **args,
                         const std::uint64_t *slots, bool use_slots, ValueOut as, void *out) {
  if (!fn) return null_arg(where, "fn");
  if (!out) return null_arg(where, "out");
  if (use_slots ? !slots && fn->nargs : !args && fn->nargs)
    return null_arg(where, use_slots ? "slots" : "args");
  const bool ok = as == ValueOut::I64   ? fn->ret_int_size != 0
                  : as == ValueOut::F64 ? fn->ret_float_size != 0
                                        : fn->ret_size > 0 && fn->ret_size <= 16;
  if (!ok) {
    const char *want = as == ValueOut::I64   ? "an integer, bool or pointer"
                       : as == ValueOut::F64 ? "a float or double"
                                             : "a non-void result of at most 16 bytes";
    return fail(where, JITFFI_TYPE_ERROR,
                "the result type " + fn->sig.sig.ret()->canonical() + " of " +
                    fn->sig.sig.canonical() + " is not " + want);
  }
  return guard(where, [&] {
    alignas(16) unsigned char buf[32] = {};
    if (use_slots)
      fn->fn.call_slots(buf, slots);
    else
      fn->fn.call_value(buf, args);
    switch (as) {
      case ValueOut::I64: {
        std::uint64_t v = 0;
        std::memcpy(&v, buf, fn->ret_int_size);
        const unsigned bits = 8u * fn->ret_int_size;
        if (bits < 64 && fn->ret_signed && ((v >> (bits - 1)) & 1)) v |= ~std::uint64_t(0) << bits;
        std::memcpy(out, &v, 8);
        break;
      }
      case ValueOut::F64: {
        double d;
        if (fn->ret_float_size == 4) {
          float f;
          std::memcpy(&f, buf, 4);
          d = f;
        } else {
          std::memcpy(&d, buf, 8);
        }
        *static_cast<double *>(out) = d;
        break;
      }
      case ValueOut::Pair:
        std::memset(buf + fn->ret_size, 0, 16 - fn->ret_size);
        std::memcpy(out, buf, 16);
        break;
    }
  });
}

}  // namespace

jitffi_status jitffi_fn_call_slots(const jitffi_fn *fn, void *ret, const uint64_t *slots) {
  static const char kWhere[] = "jitffi_fn_call_slots";
  if (!fn) return null_arg(kWhere, "fn");
  if (!slots && fn->nargs) return null_arg(kWhere, "slots");
  if (!ret && !fn->returns_void) return null_arg(kWhere, "ret");
  return guard(kWhere, [&] {
    if (fn->returns_void || fn->ret_size >= 16) return fn->fn.call_slots(ret, slots);
    // call_slots may write up to 16 bytes (a register's worth): the caller's buffer need only
    // hold the result.
    alignas(16) unsigned char buf[32];
    fn->fn.call_slots(buf, slots);
    std::memcpy(ret, buf, fn->ret_size);
  });
}

jitffi_status jitffi_fn_call_i64(const jitffi_fn *fn, void **args, int64_t *out) {
  return value_call("jitffi_fn_call_i64", fn, args, nullptr, false, ValueOut::I64, out);
}
jitffi_status jitffi_fn_call_f64(const jitffi_fn *fn, void **args, double *out) {
  return value_call("jitffi_fn_call_f64", fn, args, nullptr, false, ValueOut::F64, out);
}
jitffi_status jitffi_fn_call_pair(const jitffi_fn *fn, void **args, jitffi_pair *out) {
  return value_call("jitffi_fn_call_pair", fn, args, nullptr, false, ValueOut::Pair, out);
}
jitffi_status jitffi_fn_call_slots_i64(const jitffi_fn *fn, const uint64_t *slots, int64_t *out) {
  return value_call("jitffi_fn_call_slots_i64", fn, nullptr, slots, true, ValueOut::I64, out);
}
jitffi_status jitffi_fn_call_slots_f64(const jitffi_fn *fn, const uint64_t *slots, double *out) {
  return value_call("jitffi_fn_call_slots_f64", fn, nullptr, slots, true, ValueOut::F64, out);
}
jitffi_status jitffi_fn_call_slots_pair(const jitffi_fn *fn, const uint64_t *slots,
                                        jitffi_pair *out) {
  return value_call("jitffi_fn_call_slots_pair", fn, nullptr, slots, true, ValueOut::Pair, out);
}

jitffi_value_shape jitffi_fn_value_shape(const jitffi_fn *fn) {
  if (!fn) return JITFFI_SHAPE_NONE;
  // ValueShape::Kind and jitffi_value_shape list the same shapes in the same order.
  static_assert(int(jitffi::ValueShape::VG) == int(JITFFI_SHAPE_FLOAT_INT));
  return jitffi_value_shape(int(fn->fn.value_shape().kind));
}

void *jitffi_fn_value_entry(const jitffi_fn *fn) {
  if (!fn) return nullptr;
  try {
    return fn->fn.value_entry();
  } catch (...) {
    return nullptr;  // compiling it failed: the calls above still work (boxed)
  }
}

void *jitffi_fn_slots_entry(const jitffi_fn *fn) {
  if (!fn) return nullptr;
  try {
    return fn->fn.slots_entry();
  } catch (...) {
    return nullptr;
  }
}

size_t jitffi_fn_return_size(const jitffi_fn *fn) {
  return fn ? fn->fn.return_size() : 0;
}

const char *jitffi_fn_backend(const jitffi_fn *fn) {
  return fn ? name_of(fn->fn.backend()) : nullptr;
}

void *jitffi_fn_address(const jitffi_fn *fn) {
  return fn ? fn->fn.address() : nullptr;
}

const jitffi_sig *jitffi_fn_sig(const jitffi_fn *fn) {
  return fn ? &fn->sig : nullptr;
}

void jitffi_fn_free(jitffi_fn *fn) {
  delete fn;
}

// ---- Closures ----------------------------------------------------------------------------

jitffi_status jitffi_closure_create_full(const jitffi_sig *sig, jitffi_handler handler,
                                         void *user_data, jitffi_destroy destroy,
                                         const jitffi_fn_options *options, jitffi_closure **out) {
  static const char kWhere[] = "jitffi_closure_create";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!sig) return null_arg(kWhere, "sig");
  if (!handler) return null_arg(kWhere, "handler");
  jitffi::CallOptions opts;
  if (jitffi_status s = to_options(kWhere, options, opts)) return s;
  return guard(kWhere, [&] {
    auto c = std::make_unique<jitffi_closure>();
    c->closure = jitffi::Closure(sig->sig, handler, user_data, opts);
    // Set last: until *out is handed over, a failure must not call destroy.
    c->destroy = destroy;
    c->user_data = user_data;
    *out = c.release();
  });
}

jitffi_status jitffi_closure_create_typed(const jitffi_sig *sig, jitffi_typed_handler handler,
                                          void *user_data, jitffi_destroy destroy,
                                          const jitffi_fn_options *options, jitffi_closure **out) {
  static const char kWhere[] = "jitffi_closure_create_typed";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!sig) return null_arg(kWhere, "sig");
  if (!handler) return null_arg(kWhere, "handler");
  jitffi::CallOptions opts;
  if (jitffi_status s = to_options(kWhere, options, opts)) return s;
  return guard(kWhere, [&] {
    auto c = std::make_unique<jitffi_closure>();
    c->closure =
        jitffi::Closure::typed(sig->sig, reinterpret_cast<const void *>(handler), user_data, opts);
    c->destroy = destroy;  // set last, as in jitffi_closure_create_full
    c->user_data = user_data;
    *out = c.release();
  });
}

namespace {
// The handler of a closure with thread hooks: brackets the host's handler with enter/leave.
struct HookedHandler {
  jitffi_handler handler;
  void *user_data;
  jitffi_destroy destroy;
  jitffi_thread_hook enter, leave;
};
void hooked_call(void *ret, void **args, void *data) {
  const auto *h = static_cast<const HookedHandler *>(data);
  const int entered = h->enter ? h->enter() : 0;
  h->handler(ret, args, h->user_data);
  if (entered && h->leave) h->leave();
}
void hooked_destroy(void *data) {
  auto *h = static_cast<HookedHandler *>(data);
  if (h->destroy) h->destroy(h->user_data);
  delete h;
}
}  // namespace

jitffi_status jitffi_closure_create_hooked(const jitffi_sig *sig, jitffi_handler handler,
                                           void *user_data, jitffi_destroy destroy,
                                           const jitffi_fn_options *options,
                                           jitffi_thread_hook enter, jitffi_thread_hook leave,
                                           jitffi_closure **out) {
  if (!handler) {
    if (out) *out = nullptr;
    return null_arg("jitffi_closure_create", "handler");
  }
  HookedHandler *h = new (std::nothrow) HookedHandler{handler, user_data, destroy, enter, leave};
  if (!h) {
    if (out) *out = nullptr;
    return fail("jitffi_closure_create", JITFFI_NO_MEMORY, "out of memory");
  }
  jitffi_status s = jitffi_closure_create_full(sig, hooked_call, h, hooked_destroy, options, out);
  if (s != JITFFI_OK) delete h;  // on failure destroy is not called: user_data stays the caller's
  return s;
}

jitffi_status jitffi_closure_create_with(const jitffi_sig *sig, jitffi_handler handler,
                                         void *user_data, jitffi_backend backend,
                                         jitffi_closure **out) {
  jitffi::BackendChoice unused;
  if (!to_choice(backend, unused)) {
    if (out) *out = nullptr;
    return bad_backend("jitffi_closure_create", "backend", raw_int(backend));
  }
  jitffi_fn_options options = {backend, 0};
  return jitffi_closure_create_full(sig, handler, user_data, nullptr, &options, out);
}

jitffi_status jitffi_closure_create(const jitffi_sig *sig, jitffi_handler handler, void *user_data,
                                    jitffi_closure **out) {
  return jitffi_closure_create_full(sig, handler, user_data, nullptr, nullptr, out);
}

void *jitffi_closure_code(const jitffi_closure *closure) {
  return closure ? closure->closure.code() : nullptr;
}

const char *jitffi_closure_backend(const jitffi_closure *closure) {
  return closure ? name_of(closure->closure.backend()) : nullptr;
}

void jitffi_closure_free(jitffi_closure *closure) {
  delete closure;
}

// ---- Libraries ---------------------------------------------------------------------------

jitffi_status jitffi_lib_open(const char *name, jitffi_lib **out) {
  static const char kWhere[] = "jitffi_lib_open";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!name) return null_arg(kWhere, "name");
  return guard(kWhere, [&] { *out = new jitffi_lib{jitffi::Library::open(name)}; });
}

jitffi_status jitffi_lib_open_flags(const char *name, unsigned flags, jitffi_lib **out) {
  static const char kWhere[] = "jitffi_lib_open_flags";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!name) return null_arg(kWhere, "name");
  if (unsigned unknown = flags & ~(JITFFI_OPEN_GLOBAL | JITFFI_OPEN_LAZY)) {
    char text[64];
    std::snprintf(text, sizeof text, "unknown flag bits 0x%x in flags", unknown);
    return fail(kWhere, JITFFI_INVALID_ARGUMENT, text);
  }
  jitffi::OpenOptions how;
  how.global = (flags & JITFFI_OPEN_GLOBAL) != 0;
  how.lazy = (flags & JITFFI_OPEN_LAZY) != 0;
  return guard(kWhere, [&] { *out = new jitffi_lib{jitffi::Library::open(name, how)}; });
}

jitffi_status jitffi_lib_open_self(jitffi_lib **out) {
  static const char kWhere[] = "jitffi_lib_open_self";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  return guard(kWhere, [&] { *out = new jitffi_lib{jitffi::Library::self()}; });
}

jitffi_status jitffi_lib_symbol(const jitffi_lib *lib, const char *name, void **out) {
  static const char kWhere[] = "jitffi_lib_symbol";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!lib) return null_arg(kWhere, "lib");
  if (!name) return null_arg(kWhere, "name");
  return guard(kWhere, [&] { *out = lib->lib.symbol(name); });
}

jitffi_status jitffi_lib_declare(jitffi_lib *lib, const char *declarations) {
  static const char kWhere[] = "jitffi_lib_declare";
  if (!lib) return null_arg(kWhere, "lib");
  if (!declarations) return null_arg(kWhere, "declarations");
  return guard(kWhere, [&] { lib->lib.scope().declare(declarations); });
}

jitffi_status jitffi_lib_function(const jitffi_lib *lib, const char *prototype,
                                  const jitffi_fn_options *options, jitffi_fn **out) {
  static const char kWhere[] = "jitffi_lib_function";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!lib) return null_arg(kWhere, "lib");
  if (!prototype) return null_arg(kWhere, "prototype");
  jitffi::CallOptions opts;
  if (jitffi_status s = to_options(kWhere, options, opts)) return s;
  return guard(kWhere, [&] { *out = new jitffi_fn(lib->lib.function(prototype, opts)); });
}

jitffi_status jitffi_lib_function_sig(const jitffi_lib *lib, const jitffi_sig *sig,
                                      const jitffi_fn_options *options, jitffi_fn **out) {
  static const char kWhere[] = "jitffi_lib_function_sig";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!lib) return null_arg(kWhere, "lib");
  if (!sig) return null_arg(kWhere, "sig");
  jitffi::CallOptions opts;
  if (jitffi_status s = to_options(kWhere, options, opts)) return s;
  return guard(kWhere, [&] { *out = new jitffi_fn(lib->lib.function(sig->sig, opts)); });
}

jitffi_status jitffi_lib_parse(const jitffi_lib *lib, const char *prototype, jitffi_sig **out) {
  static const char kWhere[] = "jitffi_lib_parse";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!lib) return null_arg(kWhere, "lib");
  if (!prototype) return null_arg(kWhere, "prototype");
  return guard(kWhere, [&] { *out = new jitffi_sig{lib->lib.scope().signature(prototype)}; });
}

jitffi_status jitffi_lib_type(const jitffi_lib *lib, const char *text, jitffi_type **out) {
  static const char kWhere[] = "jitffi_lib_type";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!lib) return null_arg(kWhere, "lib");
  if (!text) return null_arg(kWhere, "text");
  return guard(kWhere, [&] { *out = owned_handle(lib->lib.scope().type(text)); });
}

const char *jitffi_lib_name(const jitffi_lib *lib) {
  return lib ? lib->lib.name().c_str() : nullptr;
}

void jitffi_lib_close(jitffi_lib *lib) {
  delete lib;
}

// ---- errno and back ends -----------------------------------------------------------------

int jitffi_saved_errno(void) {
  return jitffi::saved_errno();
}

void jitffi_set_saved_errno(int value) {
  jitffi::set_saved_errno(value);
}

jitffi_backend jitffi_default_backend(void) {
  switch (jitffi::default_backend()) {
    case jitffi::BackendChoice::Jit:
      return JITFFI_BACKEND_JIT;
    case jitffi::BackendChoice::Libffi:
      return JITFFI_BACKEND_LIBFFI;
    case jitffi::BackendChoice::Auto:
      break;
  }
  return JITFFI_BACKEND_AUTO;
}

jitffi_status jitffi_set_default_backend(jitffi_backend backend) {
  jitffi::BackendChoice choice;
  if (!to_choice(backend, choice))
    return bad_backend("jitffi_set_default_backend", "backend", raw_int(backend));
  jitffi::set_default_backend(choice);
  return JITFFI_OK;
}

}  // extern "C"
