// The libffi back end: downcalls through ffi_call, closures through ffi_prep_closure_loc.
#include <alloca.h>
#include <ffi.h>

#include <cstring>
#include <string>
#include <vector>

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
std::vector<bool> sysv_split_args(const Signature &sig) {
  std::vector<bool> split(sig.params().size(), false);
  if (sig.abi() != Abi::SysV_x64) return split;
  const Type &r = *sig.ret();
  int gpr = (r.is_aggregate() && ffi::sysv_regs(r).memory) ? 1 : 0, sse = 0;
  for (std::size_t i = 0; i < split.size(); ++i) {
    ffi::SysvRegs a = ffi::sysv_regs(*sig.params()[i]);
    if (a.memory || gpr + a.ngpr > 6 || sse + a.nsse > 8) continue;  // on the stack
    split[i] = a.int_then_sse && gpr == 5;
    gpr += a.ngpr;
    sse += a.nsse;
  }
  return split;
}

// A prepared ffi_cif with the type list it points to. For downcalls (`for_call`) some struct
// arguments may be passed as their two eightbytes (see sysv_split_args); closures never split.
struct Cif {
  Cif(const Cif &) = delete;  // cif.arg_types points into atypes
  Cif &operator=(const Cif &) = delete;
  Cif(const Signature &sig, bool for_call) {
    if (std::string why = reason_for(sig); !why.empty())
      throw UnsupportedError(why + " (signature " + sig.canonical() + ")");
    const ffi_abi abi = *ffi::ffi_abi_for(sig.abi());
#if defined(__x86_64__)
    if (for_call) split = sysv_split_args(sig);
#endif
    std::size_t fixed = sig.fixed_count();
    for (std::size_t i = 0; i < sig.params().size(); ++i) {
      if (i < split.size() && split[i]) {
        atypes.push_back(&ffi_type_uint64);
        atypes.push_back(&ffi_type_double);
        any_split = true;
        if (i < sig.fixed_count()) ++fixed;
      } else {
        atypes.push_back(ffi::ffi_type_for(*sig.params()[i], sig.abi()));
      }
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
    ret = sig.ret().get();
    widen_ret = is_narrow_integer(*ret);
    nparams = sig.params().size();
  }

  // The pointer array handed to ffi_call: a copy of args (libffi 3.4.4 replaces args[i] for
  // structs over 16 bytes), with split arguments expanded into their two eightbytes.
  void fill(void **out, void **args) const {
    if (!any_split) {
      std::memcpy(out, args, nparams * sizeof(void *));
      return;
    }
    for (std::size_t i = 0; i < nparams; ++i) {
      *out++ = args[i];
      if (split[i]) *out++ = static_cast<char *>(args[i]) + 8;
    }
  }

  mutable ffi_cif cif{};
  std::vector<ffi_type *> atypes;
  std::vector<bool> split;
  bool any_split = false;
  std::size_t nparams = 0;
  const Type *ret = nullptr;
  bool widen_ret = false;
};

class LibffiCall final : public CallImpl {
 public:
  explicit LibffiCall(const Signature &sig) : CallImpl(sig, BackendKind::Libffi), cif_(sig, true) {}

  void call(void *fn, void *ret, void **args) const override {
    const unsigned n = cif_.cif.nargs;
    void **copy = static_cast<void **>(alloca((n ? n : 1) * sizeof(void *)));
    cif_.fill(copy, args);
    ffi_call(&cif_.cif, FFI_FN(fn), ret, copy);
    // libffi already widens to ffi_arg on x86-64; do it here so the contract holds everywhere.
    if (cif_.widen_ret && ret) widen(ret, *cif_.ret);
  }

 private:
  Cif cif_;
};

class LibffiClosure final : public ClosureImpl {
 public:
  LibffiClosure(const Signature &sig, ClosureHandler handler, void *user_data)
      : cif_(sig, false), handler_(handler), user_data_(user_data) {
    closure_ = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code_));
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
  static void entry(ffi_cif *, void *ret, void **args, void *self_) {
    auto *self = static_cast<LibffiClosure *>(self_);
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
