// Internal to compat/ (the libffi-compatible libffi.so.8): the real libffi loaded under its own
// name, the prepared-call entries that cifs designate, and the type helpers.
#pragma once

#include <ffi.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jitffi/backend.h"
#include "jitffi/signature.h"

namespace jitffi::jit {
class Stub;
struct CacheEntry;
}  // namespace jitffi::jit

namespace jitffi::compat {

// The system's libffi, dlopen'ed by its real file name with RTLD_LOCAL | RTLD_DEEPBIND (no
// DEEPBIND under ASan), so that its ffi_* symbols and ours never bind to each other (real_ffi.cpp).
struct RealFfi {
  std::string path;
  ffi_status (*prep_cif)(ffi_cif *, ffi_abi, unsigned, ffi_type *, ffi_type **);
  ffi_status (*prep_cif_var)(ffi_cif *, ffi_abi, unsigned, unsigned, ffi_type *, ffi_type **);
  void (*call)(ffi_cif *, void (*)(void), void *, void **);
  void *(*closure_alloc)(size_t, void **);
  void (*closure_free)(void *);
  ffi_status (*prep_closure_loc)(ffi_closure *, ffi_cif *,
                                 void (*)(ffi_cif *, void *, void **, void *), void *, void *);
  ffi_status (*prep_go_closure)(ffi_go_closure *, ffi_cif *,
                                void (*)(ffi_cif *, void *, void **, void *));
  void (*call_go)(ffi_cif *, void (*)(void), void *, void **, void *);
  bool has_int128 = false;  // exports ffi_type_sint128 (libffi 3.6+): knows type codes 16 and 17
};
// Null when no real libffi could be loaded; real_ffi_error() then says why.
const RealFfi *real_ffi() noexcept;
const std::string &real_ffi_error() noexcept;

// Prints "jitffi libffi: <what>: <detail>" and aborts: for misuse that libffi itself would
// answer with a crash (an unprepared cif, a closure called before it was prepared).
[[noreturn]] void die(const char *what, const std::string &detail) noexcept;

// A deep copy of a client's ffi_type tree, owned by an Entry, for the real libffi: the entry
// outlives the client's types (it serves every cif with the same contents).
struct TypeCopy {
  std::deque<ffi_type> nodes;
  std::deque<std::vector<ffi_type *>> lists;
  ffi_type *copy(const ffi_type *t);
};

// One prepared call: what every cif with the same ABI, variadic split and type contents runs.
struct Entry {
  ffi_abi abi{};
  unsigned nargs = 0;
  unsigned nfixed = 0;
  bool variadic = false;
  std::size_t ret_buf = 0;  // scratch size for a null rvalue (0 for void)
  unsigned bytes = 0;       // cif->bytes
  // libffi gives a void argument no register or stack slot: the client's index of each real
  // argument when the cif has void ones (empty otherwise). Downcalls pick avalue[] through it,
  // closures spread args[] back (void ones point at a dummy byte).
  std::vector<unsigned> slots;
  bool has_void = false;

  // The JIT's downcall (null when the real libffi serves this signature).
  RawCall raw = nullptr;
  // What a call plan (ffi_call_plan_invoke) calls with no further work: raw when no void argument
  // needs dropping. ffi_call itself jumps to cif_stub, made from the same plan when fast is set.
  RawCall fast = nullptr;
  std::shared_ptr<const detail::CallImpl> call;
  // The stub cache's entry for the downcall (its plan), and the same downcall in ffi_call's own
  // shape, which ffi_call jumps to (made when the entry gets a fast slot; prep.cpp).
  std::shared_ptr<jit::CacheEntry> plan;
  std::shared_ptr<jit::Stub> cif_stub;
  // The non-variadic signature for closures (absent when the types have no jitffi equivalent).
  std::optional<Signature> closure_sig;
  std::once_flag upcall_once;
  std::atomic<const void *> upcall{nullptr};  // the JIT's shared closure entry, once compiled
  std::shared_ptr<const void> upcall_stub;    // the stub cache's reference to that entry

  // The real libffi's cif over copied types (prepared on first use when the JIT serves calls).
  TypeCopy types;
  ffi_type *real_rtype = nullptr;
  std::vector<ffi_type *> real_atypes;
  std::once_flag real_once;
  ffi_status real_status = FFI_BAD_ABI;
  ffi_cif real_cif{};
  std::string why_fallback;  // why the JIT does not serve it (JITFFI_DEBUG)

  // Go closures (go_closures.cpp), compiled on first use: the JIT's downcall that passes a
  // closure in the static chain register, and the shared entry that takes one from it.
  using GoCall = void (*)(void *fn, void *ret, void **args, void *chain);
  std::once_flag go_once;
  GoCall go_call = nullptr;
  const void *go_entry = nullptr;
  std::shared_ptr<void> go_stubs[2];  // owns the two jit::Stub objects behind go_call, go_entry
  // The real libffi's go closure for this signature (over real_cif), when the JIT does not serve
  // go closures.
  std::once_flag real_go_once;
  ffi_status real_go_status = FFI_BAD_ABI;
  ffi_go_closure real_go{};

  // The real cif, prepared on first use; null (status in real_status) when it cannot be.
  ffi_cif *real();
  // The JIT closure entry for this signature, or null when closures go through the real libffi.
  const void *upcall_entry();
  // Whether go_call and go_entry serve this signature (compiled on the first call).
  bool go_jit();
  // The real go closure, prepared on first use; null (status in real_go_status) when it cannot be.
  ffi_go_closure *real_go_closure();
};

// avalue[] without the void arguments' entries (into `out`, slots.size() long), or avalue itself.
inline void **real_args(const Entry &e, void **avalue, void **out) noexcept {
  if (!e.has_void) return avalue;
  for (std::size_t i = 0; i < e.slots.size(); ++i) out[i] = avalue[e.slots[i]];
  return out;
}
// args[] with the client's numbering (into `out`, e.nargs long) from the real arguments' args.
void **client_args(const Entry &e, void **args, void **out) noexcept;

// The entry a prepared cif designates, or null when `cif` was not prepared here.
Entry *entry_of(const ffi_cif *cif) noexcept;
// entry_of or die(what, ...).
Entry &entry_or_die(const ffi_cif *cif, const char *what) noexcept;

// libffi's initialize_aggregate: lays out a struct whose size is 0 from its elements (and writes
// the member offsets when asked). FFI_BAD_TYPEDEF for a null or empty element list.
ffi_status initialize_aggregate(ffi_type *t, size_t *offsets, int depth = 0);

// Appends a compact, exact description of a type tree to `key`; false for a malformed tree
// (null element, nesting beyond a sane depth).
bool encode_type(const ffi_type *t, std::string &key, int depth = 0);

// The jitffi type an ffi_type stands for, or null when there is none that the JIT may use with
// libffi's meaning: complex, a struct whose element list is not its real C layout (the ctypes
// convention for unions, bit fields, packed structs), sizes or alignments that disagree.
TypeRef to_jitffi(const ffi_type *t, std::string &why, int depth = 0);

// Counters for JITFFI_STATS (src/backend.cpp prints them at exit).
inline void count_call(BackendKind k) noexcept {
  if (detail::g_stats_enabled)
    detail::stats().calls[int(k)].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace jitffi::compat
