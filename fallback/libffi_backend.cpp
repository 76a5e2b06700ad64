// The libffi back end: downcalls through ffi_call, closures through ffi_prep_closure_loc.
#include <alloca.h>
#include <ffi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "fallback/ffi_types.h"
#include "jitffi/backend.h"

namespace jitffi::detail {

namespace {

const char *status_name(ffi_status s) {
  switch (s) {
    case FFI_OK:
      return "FFI_OK";
    case FFI_BAD_TYPEDEF:
      return "FFI_BAD_TYPEDEF";
    case FFI_BAD_ABI:
      return "FFI_BAD_ABI";
    case FFI_BAD_ARGTYPE:
      return "FFI_BAD_ARGTYPE";
  }
  return "an unknown ffi_status";
}

// Integer results narrower than 64 bits, which we hand out widened to 64 bits (libffi's ffi_arg).
bool is_narrow_integer(const Type &t) {
  return t.is_integer() && t.size() < 8;
}

// Sign- or zero-extends the narrow integer stored in the low bytes of buf to all 8 bytes.
void widen(void *buf, const Type &t) {
  unsigned char *p = static_cast<unsigned char *>(buf);
  std::uint64_t v = 0;
  switch (t.size()) {
    case 1:
      v = t.is_signed() ? std::uint64_t(std::int64_t(std::int8_t(p[0]))) : p[0];
      break;
    case 2: {
      std::uint16_t x;
      std::memcpy(&x, p, 2);
      v = t.is_signed() ? std::uint64_t(std::int64_t(std::int16_t(x))) : x;
      break;
    }
    default: {
      std::uint32_t x;
      std::memcpy(&x, p, 4);
      v = t.is_signed() ? std::uint64_t(std::int64_t(std::int32_t(x))) : x;
    }
  }
  std::memcpy(p, &v, 8);
}

std::string reason_for(const Signature &sig) {
  if (std::string r = ffi::unsupported_reason(*sig.ret(), sig.abi()); !r.empty()) return r;
  for (const TypeRef &p : sig.params())
    if (std::string r = ffi::unsupported_reason(*p, sig.abi()); !r.empty()) return r;
  return {};
}

// Arguments that libffi 3.4.4's x86-64 ffi_call would corrupt: for a struct passed in registers
// it copies the struct's whole remaining size into the general-register slot, so a 16-byte
// {INTEGER, SSE} struct landing in the last GPR (r9) spills its second half over the saved xmm0
// of an earlier argument. Passing its two eightbytes as a u64 and a double instead uses the very
// same registers (the struct is in registers as a whole) without the overflowing copy.
// The count must be libffi's: rdi is taken only by a hidden result pointer, never for a
// {long double}-like result, which libffi returns in st0 (ffi_call_int in src/x86/ffi64.c:
// `if (flags & UNIX64_FLAG_RET_IN_MEM) reg_args->gpr[gprcount++] = rvalue;`).
[[maybe_unused]] std::vector<bool> sysv_split_args(const Signature &sig) {
  std::vector<bool> split(sig.params().size(), false);
  if (sig.abi() != Abi::SysV_x64) return split;
  int gpr = ffi::sysv_ret_in_memory(*sig.ret()) ? 1 : 0, sse = 0;
  for (std::size_t i = 0; i < split.size(); ++i) {
    ffi::SysvRegs a = ffi::sysv_regs(*sig.params()[i]);
    if (a.memory || gpr + a.ngpr > 6 || sse + a.nsse > 8) continue;  // on the stack
    split[i] = a.int_then_sse && gpr == 5;
    gpr += a.ngpr;
    sse += a.nsse;
  }
  return split;
}

// AArch64 (AAPCS64): what libffi 3.4.4's arm64 ffi_call and closures get wrong, and the forms
// that work around it. `pad[i]`: C.8 ("if the argument has an alignment of 16 then the NGRN is
// rounded up to the next even number") is missing in libffi, which would start a 16-aligned
// argument (__int128, a union holding a long double) in an odd register; a u64 placed before it
// takes that register. Only when the pair still fits: at NGRN 7 both go to the stack anyway.
// `by_ref[i]`: a composite over 16 bytes (B.4) is passed by a pointer to a copy, which libffi,
// once the x registers are used up, stores on the stack at the composite's alignment instead of
// the pointer's (for a 16-aligned struct, 8 bytes past where the callee reads it). We make the
// copy (the callee owns it and may write it) and hand libffi a plain pointer to it.
struct A64Forms {
  std::vector<bool> pad, by_ref;
};

[[maybe_unused]] A64Forms a64_forms(const Signature &sig, const std::vector<ffi_type *> &types,
                                    bool for_call) {
  A64Forms f{std::vector<bool>(types.size(), false), std::vector<bool>(types.size(), false)};
  const bool even_pairs = sig.abi() == Abi::AAPCS64;  // Apple arm64 drops C.8
  unsigned ngrn = 0;                                  // libffi's NGRN, which the pads keep right
  for (std::size_t i = 0; i < types.size(); ++i) {
    const ffi_type *t = types[i];
    if (ffi::a64_is_vfp(t)) continue;  // v registers or the stack, never x registers
    const std::size_t n = t->type == FFI_TYPE_STRUCT && t->size <= 16 ? (t->size + 7) / 8 : 1;
    if (t->type == FFI_TYPE_STRUCT && t->size > 16) f.by_ref[i] = for_call;
    if (even_pairs && n == 2 && t->alignment == 16 && ngrn % 2 == 1 && ngrn + 1 + n <= 8) {
      f.pad[i] = true;
      ++ngrn;
    }
    ngrn = ngrn + n <= 8 ? unsigned(ngrn + n) : 8;
  }
  return f;
}

// How one parameter reaches libffi.
enum class Form : std::uint8_t {
  Plain,      // its own ffi_type, args[i] as given
  Split,      // x86-64: two eightbytes, a u64 and a double (sysv_split_args)
  PadBefore,  // AArch64: a u64 pad argument, then the parameter (C.8, a64_forms)
  Copy,       // AArch64 downcalls: a pointer to a copy made per call (B.4, a64_forms)
};

// A prepared ffi_cif with the type list it points to. Downcalls (`for_call`) may use every Form;
// closures only PadBefore, since libffi's closure side reads by-reference composites correctly.
struct Cif {
  Cif(const Cif &) = delete;  // cif.arg_types points into atypes
  Cif &operator=(const Cif &) = delete;
  Cif(const Signature &sig, bool for_call) {
    if (std::string why = reason_for(sig); !why.empty())
      throw UnsupportedError(why + " (signature " + sig.canonical() + ")");
    const ffi_abi abi = *ffi::ffi_abi_for(sig.abi());
    nparams = sig.params().size();
    forms.assign(nparams, Form::Plain);
    std::vector<ffi_type *> ptypes;
    for (const TypeRef &p : sig.params()) ptypes.push_back(ffi::ffi_type_for(*p, sig.abi()));
#if defined(__x86_64__)
    if (for_call) {
      std::vector<bool> split = sysv_split_args(sig);
      for (std::size_t i = 0; i < nparams; ++i)
        if (split[i]) forms[i] = Form::Split;
    }
#elif defined(__aarch64__)
    A64Forms a64 = a64_forms(sig, ptypes, for_call);
    for (std::size_t i = 0; i < nparams; ++i) {
      if (a64.pad[i]) forms[i] = Form::PadBefore;
      if (a64.by_ref[i]) {
        forms[i] = Form::Copy;
        copy_offset.resize(nparams, 0);
        copy_offset[i] = copy_bytes;
        copy_bytes += (sig.params()[i]->size() + 15) / 16 * 16;
      }
    }
#endif
    std::size_t fixed = sig.fixed_count();
    for (std::size_t i = 0; i < nparams; ++i) {
      switch (forms[i]) {
        case Form::Plain:
          atypes.push_back(ptypes[i]);
          continue;
        case Form::Split:
          atypes.push_back(&ffi_type_uint64);
          atypes.push_back(&ffi_type_double);
          break;
        case Form::PadBefore:
          atypes.push_back(&ffi_type_uint64);
          atypes.push_back(ptypes[i]);
          break;
        case Form::Copy:
          atypes.push_back(&ffi_type_pointer);
          any_special = true;
          continue;
      }
      any_special = true;
      if (i < sig.fixed_count()) ++fixed;  // one more libffi argument among the fixed ones
    }
    ffi_type *rtype = ffi::ffi_type_for(*sig.ret(), sig.abi());
    const auto n = static_cast<unsigned>(atypes.size());
    ffi_status s;
    if (sig.is_variadic()) {
      s = ffi_prep_cif_var(&cif, abi, static_cast<unsigned>(fixed), n, rtype, atypes.data());
      // libffi 3.4.4 rejects narrow *fixed* parameters too (its check starts at argument 1, not
      // at the first variadic one). On x86-64 libffi prepares variadic and fixed calls alike
      // (%al is always set), and Signature has already checked the promotions of the varargs.
#if defined(__x86_64__)
      if (s == FFI_BAD_ARGTYPE) s = ffi_prep_cif(&cif, abi, n, rtype, atypes.data());
#endif
    } else {
      s = ffi_prep_cif(&cif, abi, n, rtype, atypes.data());
    }
    if (s != FFI_OK)
      throw UnsupportedError("libffi cannot prepare " + sig.canonical() + ": " + status_name(s));
    for (const TypeRef &p : sig.params()) sizes.push_back(p->size());
    ret = sig.ret().get();
    widen_ret = is_narrow_integer(*ret);
  }

  // Bytes of scratch that fill() needs: the copies (16-aligned) and a pointer to each.
  std::size_t scratch_bytes() const {
    return copy_bytes + copy_offset.size() * sizeof(void *);
  }

  // The pointer array handed to ffi_call, built from args without writing to it (libffi 3.4.4
  // replaces args[i] for x86-64 structs over 16 bytes). `scratch` is 16-aligned, scratch_bytes().
  void fill(void **out, void **args, unsigned char *scratch) const {
    if (!any_special) {
      if (nparams) std::memcpy(out, args, nparams * sizeof(void *));  // args may be null if none
      return;
    }
    static const std::uint64_t pad_value = 0;
    void **ptrs = reinterpret_cast<void **>(scratch + copy_bytes);
    for (std::size_t i = 0; i < nparams; ++i) {
      switch (forms[i]) {
        case Form::Plain:
          *out++ = args[i];
          break;
        case Form::Split:
          *out++ = args[i];
          *out++ = static_cast<char *>(args[i]) + 8;
          break;
        case Form::PadBefore:
          *out++ = const_cast<std::uint64_t *>(&pad_value);
          *out++ = args[i];
          break;
        case Form::Copy:
          ptrs[i] = std::memcpy(scratch + copy_offset[i], args[i], sizes[i]);
          *out++ = &ptrs[i];
          break;
      }
    }
  }

  // A closure's libffi argument array with the pads dropped: the handler's args. `out` has
  // nparams entries.
  void **unpad(void **ffi_args, void **out) const {
    if (!any_special) return ffi_args;
    for (std::size_t i = 0; i < nparams; ++i) {
      if (forms[i] == Form::PadBefore) ++ffi_args;
      *out++ = *ffi_args++;
    }
    return out - nparams;
  }

  mutable ffi_cif cif{};
  std::vector<ffi_type *> atypes;
  std::vector<Form> forms;
  std::vector<std::size_t> sizes, copy_offset;
  std::size_t copy_bytes = 0;
  bool any_special = false;
  std::size_t nparams = 0;
  const Type *ret = nullptr;
  bool widen_ret = false;
};

// The shape the JIT's entries return in, from the same plan (abi/), so that both back ends' entries
// are called alike; None where the plan cannot be made.
ValueShape shape_of(const Signature &sig) {
  try {
    return abi::value_shape(abi::classify(sig));
  } catch (const std::exception &) {
    return {};
  }
}

// A host type whose return registers are the shape's (see ValueShape), for the adapter's closure.
ffi_type *proxy_type(ValueShape::Kind k) {
  static ffi_type *gg[] = {&ffi_type_uint64, &ffi_type_uint64, nullptr};
  static ffi_type *vv[] = {&ffi_type_double, &ffi_type_double, nullptr};
  static ffi_type *gv[] = {&ffi_type_uint64, &ffi_type_double, nullptr};
  static ffi_type *vg[] = {&ffi_type_double, &ffi_type_uint64, nullptr};
  static ffi_type pairs[4] = {{0, 0, FFI_TYPE_STRUCT, gg},
                              {0, 0, FFI_TYPE_STRUCT, vv},
                              {0, 0, FFI_TYPE_STRUCT, gv},
                              {0, 0, FFI_TYPE_STRUCT, vg}};
  switch (k) {
    case ValueShape::Void:
      return &ffi_type_void;
    case ValueShape::G:
      return &ffi_type_uint64;
    case ValueShape::V:
      return &ffi_type_double;
    case ValueShape::X:
      return &ffi_type_longdouble;
    case ValueShape::GG:
      return &pairs[0];
    case ValueShape::VV:
      return &pairs[1];
    case ValueShape::GV:
      return &pairs[2];
    case ValueShape::VG:
      return &pairs[3];
    case ValueShape::None:
      break;
  }
  return nullptr;
}

// ffi_closure_alloc, with the system libffi's closure allocator initialized once before any
// concurrent use. libffi 3.4's allocator (its dlmalloc) initializes itself on the first call
// behind a double-checked test of a plain variable and then initializes its mutex: two threads
// allocating the first closures at once race there (ThreadSanitizer reports it in the stress
// test: the mutex's initialization against another thread's lock). The first allocation is made
// under a C++ static's once-guard, which orders it before every other.
void *closure_alloc(void **code) {
  [[maybe_unused]] static const bool initialized = [] {
    void *c = nullptr;
    if (void *p = ffi_closure_alloc(sizeof(ffi_closure), &c)) ffi_closure_free(p);
    return true;
  }();
  return ffi_closure_alloc(sizeof(ffi_closure), code);
}

// The generic adapter behind the libffi back end's value and slot entries: a libffi closure
// `R entry(void *fn, void **args_or_slots)` returning through the shape's proxy type, which
// boxes the slots (if any), makes the boxed call and moves the result into the proxy's registers.
class EntryAdapter {
 public:
  EntryAdapter(const CallImpl &call, EntryKind kind, bool capture_errno)
      : call_(call), slots_(kind == EntryKind::Slots), errno_(capture_errno) {
    const Signature &sig = call.signature();
    for (const TypeRef &p : sig.params()) slot_value_.push_back(slot_holds_value(*p));
    atypes_[0] = atypes_[1] = &ffi_type_pointer;
    if (ffi_prep_cif(&cif_, FFI_DEFAULT_ABI, 2, proxy_type(call.value_shape().kind), atypes_) !=
        FFI_OK)
      throw UnsupportedError("libffi cannot prepare the entry adapter for " + sig.canonical());
    closure_ = static_cast<ffi_closure *>(closure_alloc(&code_));
    if (!closure_) throw Error("ffi_closure_alloc failed for " + sig.canonical());
    if (ffi_prep_closure_loc(closure_, &cif_, &EntryAdapter::run, this, code_) != FFI_OK) {
      ffi_closure_free(closure_);
      throw UnsupportedError("libffi cannot make the entry adapter for " + sig.canonical());
    }
  }
  ~EntryAdapter() { ffi_closure_free(closure_); }
  EntryAdapter(const EntryAdapter &) = delete;
  EntryAdapter &operator=(const EntryAdapter &) = delete;
  void *code() const noexcept { return code_; }

 private:
  static void run(ffi_cif *cif, void *ret, void **cargs, void *self_) {
    const auto *self = static_cast<const EntryAdapter *>(self_);
    void *fn = *static_cast<void **>(cargs[0]);
    void *in = *static_cast<void **>(cargs[1]);
    void **args = static_cast<void **>(in);
    const std::size_t n = self->slot_value_.size();
    if (self->slots_ && n) {
      auto *slots = static_cast<std::uint64_t *>(in);
      args = static_cast<void **>(alloca(n * sizeof(void *)));
      for (std::size_t i = 0; i < n; ++i)
        args[i] = self->slot_value_[i] ? static_cast<void *>(&slots[i])
                                       : reinterpret_cast<void *>(slots[i]);
    }
    if (g_stats_enabled)
      stats().calls[int(BackendKind::Libffi)].fetch_add(1, std::memory_order_relaxed);
    alignas(16) unsigned char buf[64] = {};
    if (self->errno_) errno_enter();
    self->call_.call(fn, buf, args);
    if (self->errno_) errno_leave();
    if (cif->rtype->size) std::memset(ret, 0, cif->rtype->size);
    const ValueShape &s = self->call_.value_shape();
    for (unsigned i = 0; i < s.count; ++i)
      std::memcpy(static_cast<unsigned char *>(ret) + 8 * i, buf + s.offset[i], s.size[i]);
  }

  const CallImpl &call_;
  bool slots_, errno_;
  std::vector<bool> slot_value_;
  ffi_type *atypes_[2];
  ffi_cif cif_{};
  ffi_closure *closure_ = nullptr;
  void *code_ = nullptr;
};

class LibffiCall final : public CallImpl {
 public:
  explicit LibffiCall(const Signature &sig) : CallImpl(sig, BackendKind::Libffi), cif_(sig, true) {
    shape_ = shape_of(sig);
  }

  // Made on first use, once per kind; null where libffi cannot make closures.
  void *entry(EntryKind kind, bool capture_errno) const override {
    if (shape_.kind == ValueShape::None) return nullptr;
    Lazy &e = entries_[(kind == EntryKind::Slots ? 1 : 0) + (capture_errno ? 2 : 0)];
    if (void *code = e.code.load(std::memory_order_acquire)) return code;
    try {
      std::call_once(e.once, [&] {
        e.adapter = std::make_unique<EntryAdapter>(*this, kind, capture_errno);
        e.code.store(e.adapter->code(), std::memory_order_release);
      });
    } catch (const Error &) {
      return nullptr;  // the boxed call still works
    }
    return e.code.load(std::memory_order_acquire);
  }

  void call(void *fn, void *ret, void **args) const override {
    const unsigned n = cif_.cif.nargs;
    void **copy = static_cast<void **>(alloca((n ? n : 1) * sizeof(void *)));
    const std::size_t scratch = cif_.scratch_bytes();
    // alloca is 16-aligned on the ABIs we run on; the copies need their types' alignment.
    cif_.fill(copy, args, scratch ? static_cast<unsigned char *>(alloca(scratch)) : nullptr);
    ffi_call(&cif_.cif, FFI_FN(fn), ret, copy);
    // libffi already widens to ffi_arg on x86-64; do it here so the contract holds everywhere.
    if (cif_.widen_ret && ret) widen(ret, *cif_.ret);
  }

 private:
  struct Lazy {
    std::once_flag once;
    std::atomic<void *> code{nullptr};
    std::unique_ptr<EntryAdapter> adapter;
  };
  Cif cif_;
  mutable Lazy entries_[4];
};

class LibffiClosure final : public ClosureImpl {
 public:
  LibffiClosure(const Signature &sig, ClosureHandler handler, void *user_data)
      : cif_(sig, false), handler_(handler), user_data_(user_data) {
    closure_ = static_cast<ffi_closure *>(closure_alloc(&code_));
    if (!closure_) throw Error("ffi_closure_alloc failed for " + sig.canonical());
    ffi_status s = ffi_prep_closure_loc(closure_, &cif_.cif, &LibffiClosure::entry, this, code_);
    if (s != FFI_OK) {
      ffi_closure_free(closure_);
      throw UnsupportedError("libffi cannot make a closure for " + sig.canonical() + ": " +
                             status_name(s));
    }
  }
  ~LibffiClosure() override { ffi_closure_free(closure_); }

  void *code() const noexcept override { return code_; }
  BackendKind kind() const noexcept override { return BackendKind::Libffi; }

 private:
  static void entry(ffi_cif *, void *ret, void **ffi_args, void *self_) {
    auto *self = static_cast<LibffiClosure *>(self_);
    const std::size_t n = self->cif_.nparams;
    void **args =
        self->cif_.unpad(ffi_args, static_cast<void **>(alloca((n ? n : 1) * sizeof(void *))));
    if (g_stats_enabled)
      stats().closure_calls[int(BackendKind::Libffi)].fetch_add(1, std::memory_order_relaxed);
    if (!self->cif_.widen_ret) return self->handler_(ret, args, self->user_data_);
    // A handler may write just the natural size of a narrow integer: hand it a zeroed 8-byte
    // buffer, then store the value extended to the full ffi_arg libffi loads the result from.
    alignas(8) unsigned char buf[8] = {};
    self->handler_(buf, args, self->user_data_);
    widen(buf, *self->cif_.ret);
    std::memcpy(ret, buf, sizeof(ffi_arg));
  }

  Cif cif_;
  ClosureHandler handler_;
  void *user_data_;
  ffi_closure *closure_ = nullptr;
  void *code_ = nullptr;
};

class LibffiBackend final : public Backend {
 public:
  BackendKind kind() const noexcept override { return BackendKind::Libffi; }

  bool supports(const Signature &sig) const noexcept override {
    try {
      return reason_for(sig).empty();
    } catch (...) {
      return false;
    }
  }

  std::shared_ptr<const CallImpl> prepare(const Signature &sig) override {
    return std::make_shared<const LibffiCall>(sig);
  }

  std::unique_ptr<ClosureImpl> make_closure(const Signature &sig, ClosureHandler handler,
                                            void *user_data) override {
    if (!handler) throw Error("closure for " + sig.canonical() + " has no handler");
    return std::make_unique<LibffiClosure>(sig, handler, user_data);
  }
};

}  // namespace

Backend &libffi_backend() {
  static LibffiBackend backend;
  return backend;
}

}  // namespace jitffi::detail
