// Go closures: ffi_prep_go_closure and ffi_call_go, with libffi's semantics.
//
// An ffi_go_closure is {tramp, cif, fun} in the client's memory. Its caller puts the closure's
// address in the static chain register (r10 on x86-64, x18 on AArch64) and calls tramp, which
// calls fun(closure->cif, ret, args, closure); ffi_call_go calls fn with its `closure` argument
// in that register (libffi src/x86/unix64.S, src/aarch64/sysv.S).
//
// Where the JIT serves the signature, tramp is the JIT's per-signature static chain entry, which
// calls go_jit_handler(ret, args, closure), and ffi_call_go is the JIT's static chain downcall.
// Otherwise tramp is jitffi_compat_go_fallback below: it saves the argument registers, asks
// go_enter for the real libffi's go closure of the signature (prepared over the real cif, with
// go_real_handler as its fun), remembers the client's closure for this thread, and jumps to the
// real closure with it in the chain register. Either way fun gets the client's cif and closure.
#include <alloca.h>

#include <memory>

#include "compat/src/compat.h"
#include "jit/stub.h"
#include "jit/stub_cache.h"

namespace jitffi::compat {

namespace {

void go_jit_handler(void *ret, void **args, void *closure) {
  auto *c = static_cast<ffi_go_closure *>(closure);
  if (detail::g_stats_enabled)
    detail::stats().closure_calls[int(BackendKind::Jit)].fetch_add(1, std::memory_order_relaxed);
  c->fun(c->cif, ret, args, c);
}

// The client's closure between go_enter and go_real_handler: nothing but the real libffi's
// closure code runs in between, on this thread.
thread_local ffi_go_closure *t_go_client = nullptr;

void go_real_handler(ffi_cif *, void *ret, void **args, void *) {
  ffi_go_closure *c = t_go_client;
  t_go_client = nullptr;
  if (!c) die("go closure", "the real libffi's go closure was entered without ours");
  if (detail::g_stats_enabled)
    detail::stats().closure_calls[int(BackendKind::Libffi)].fetch_add(1, std::memory_order_relaxed);
  c->fun(c->cif, ret, args, c);
}

}  // namespace

bool Entry::go_jit() {
  std::call_once(go_once, [&] {
    if (!call || !closure_sig) return;
    try {
      jit::StubCache &cache = jit::StubCache::global();
      const jit::EntryRef down_ref = cache.entry(call->signature());
      const jit::EntryRef up_ref = cache.entry(*closure_sig);
      const jit::CacheEntry &down = *down_ref, &up = *up_ref;
      if (!down.error.empty()) throw UnsupportedError(down.error);
      if (!up.error.empty()) throw UnsupportedError(up.error);
      // Owned by the entry, which lives until exit (reachable, so not a leak to LeakSanitizer).
      auto d = std::make_shared<jit::Stub>(down.plan, jit::StubKind::ChainDowncall,
                                           "jitffi-go-call:" + down.sig.canonical());
      auto u = std::make_shared<jit::Stub>(up.plan, jit::StubKind::ChainUpcall,
                                           "jitffi-go-closure:" + up.sig.canonical(),
                                           reinterpret_cast<const void *>(&go_jit_handler));
      go_call = reinterpret_cast<GoCall>(d->code());
      go_entry = u->code();
      go_stubs[0] = std::move(d);
      go_stubs[1] = std::move(u);
    } catch (const std::exception &ex) {
      why_fallback = std::string("go closure: ") + ex.what();
    }
  });
  return go_entry != nullptr;
}

ffi_go_closure *Entry::real_go_closure() {
  std::call_once(real_go_once, [&] {
    ffi_cif *rc = real();
    const RealFfi *f = real_ffi();
    if (!rc || !f) {
      real_go_status = real_status == FFI_OK ? FFI_BAD_ABI : real_status;
      return;
    }
    real_go_status = f->prep_go_closure(&real_go, rc, &go_real_handler);
  });
  return real_go_status == FFI_OK ? &real_go : nullptr;
}

}  // namespace jitffi::compat

using namespace jitffi::compat;

extern "C" {

// The fallback's C half: the real go closure for the client's, which the thunk jumps to.
__attribute__((visibility("hidden"))) ffi_go_closure *jitffi_compat_go_enter(
    ffi_go_closure *client) {
  if (!client) die("go closure", "called with a null closure in the static chain register");
  Entry *e = entry_of(client->cif);
  if (!e) die("go closure", "its cif was not prepared by ffi_prep_cif (or was changed since)");
  ffi_go_closure *real = e->real_go_closure();
  if (!real) die("go closure", "the real libffi cannot prepare a go closure for its cif");
  t_go_client = client;
  return real;
}

__attribute__((visibility("hidden"))) void jitffi_compat_go_fallback();

}  // extern "C"

// The fallback thunk: every argument register is kept for the real closure; the stack is
// untouched when it jumps there.
#if defined(__x86_64__)
asm(R"(
  .text
  .p2align 4
  .globl jitffi_compat_go_fallback
  .hidden jitffi_compat_go_fallback
  .type jitffi_compat_go_fallback, @function
jitffi_compat_go_fallback:
  .cfi_startproc
  endbr64
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  subq $192, %rsp
  movq %rdi, 0(%rsp)
  movq %rsi, 8(%rsp)
  movq %rdx, 16(%rsp)
  movq %rcx, 24(%rsp)
  movq %r8, 32(%rsp)
  movq %r9, 40(%rsp)
  movq %rax, 48(%rsp)
  movaps %xmm0, 64(%rsp)
  movaps %xmm1, 80(%rsp)
  movaps %xmm2, 96(%rsp)
  movaps %xmm3, 112(%rsp)
  movaps %xmm4, 128(%rsp)
  movaps %xmm5, 144(%rsp)
  movaps %xmm6, 160(%rsp)
  movaps %xmm7, 176(%rsp)
  movq %r10, %rdi
  call jitffi_compat_go_enter
  movq %rax, %r10
  movq 0(%rsp), %rdi
  movq 8(%rsp), %rsi
  movq 16(%rsp), %rdx
  movq 24(%rsp), %rcx
  movq 32(%rsp), %r8
  movq 40(%rsp), %r9
  movq 48(%rsp), %rax
  movaps 64(%rsp), %xmm0
  movaps 80(%rsp), %xmm1
  movaps 96(%rsp), %xmm2
  movaps 112(%rsp), %xmm3
  movaps 128(%rsp), %xmm4
  movaps 144(%rsp), %xmm5
  movaps 160(%rsp), %xmm6
  movaps 176(%rsp), %xmm7
  leave
  .cfi_def_cfa %rsp, 8
  jmpq *(%r10)
  .cfi_endproc
  .size jitffi_compat_go_fallback, .-jitffi_compat_go_fallback
)");
#elif defined(__aarch64__)
asm(R"(
  .text
  .p2align 4
  .globl jitffi_compat_go_fallback
  .hidden jitffi_compat_go_fallback
  .type jitffi_compat_go_fallback, %function
jitffi_compat_go_fallback:
  .cfi_startproc
  hint #34
  stp x29, x30, [sp, #-224]!
  .cfi_def_cfa_offset 224
  .cfi_offset x29, -224
  .cfi_offset x30, -216
  mov x29, sp
  stp x0, x1, [sp, #16]
  stp x2, x3, [sp, #32]
  stp x4, x5, [sp, #48]
  stp x6, x7, [sp, #64]
  str x8, [sp, #80]
  stp q0, q1, [sp, #96]
  stp q2, q3, [sp, #128]
  stp q4, q5, [sp, #160]
  stp q6, q7, [sp, #192]
  mov x0, x18
  bl jitffi_compat_go_enter
  mov x18, x0
  ldp x0, x1, [sp, #16]
  ldp x2, x3, [sp, #32]
  ldp x4, x5, [sp, #48]
  ldp x6, x7, [sp, #64]
  ldr x8, [sp, #80]
  ldp q0, q1, [sp, #96]
  ldp q2, q3, [sp, #128]
  ldp q4, q5, [sp, #160]
  ldp q6, q7, [sp, #192]
  ldp x29, x30, [sp], #224
  .cfi_def_cfa_offset 0
  .cfi_restore x29
  .cfi_restore x30
  ldr x16, [x18]
  br x16
  .cfi_endproc
  .size jitffi_compat_go_fallback, .-jitffi_compat_go_fallback
)");
#else
#error "go closures: no fallback thunk for this instruction set"
#endif

extern "C" {

ffi_status ffi_prep_go_closure(ffi_go_closure *closure, ffi_cif *cif,
                               void (*fun)(ffi_cif *, void *, void **, void *)) {
  if (!closure) return FFI_BAD_TYPEDEF;
  Entry *e = entry_of(cif);
  if (!e) return FFI_BAD_ABI;
  if (e->has_void) return FFI_BAD_TYPEDEF;  // void arguments: not for go closures (docs)
  jitffi::BackendKind kind = jitffi::BackendKind::Jit;
  void *tramp = const_cast<void *>(e->go_jit() ? e->go_entry : nullptr);
  if (!tramp) {
    if (!e->real_go_closure()) return e->real_go_status;
    kind = jitffi::BackendKind::Libffi;
    tramp = reinterpret_cast<void *>(&jitffi_compat_go_fallback);
  }
  closure->tramp = tramp;
  closure->cif = cif;
  closure->fun = fun;
  if (jitffi::detail::g_stats_enabled)
    jitffi::detail::stats().closures[int(kind)].fetch_add(1, std::memory_order_relaxed);
  return FFI_OK;
}

void ffi_call_go(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue, void *closure) {
  Entry &e = entry_or_die(cif, "ffi_call_go");
  // libffi accepts a null rvalue for any result type and discards the result.
  if (!rvalue && e.ret_buf) rvalue = alloca(e.ret_buf);
  if (e.has_void)
    avalue =
        real_args(e, avalue, static_cast<void **>(alloca(e.slots.size() * sizeof(void *) + 1)));
  if (e.go_jit()) {
    count_call(jitffi::BackendKind::Jit);
    e.go_call(reinterpret_cast<void *>(fn), rvalue, avalue, closure);
    return;
  }
  ffi_cif *real = e.real();
  if (!real) die("ffi_call_go", "the real libffi cannot prepare this cif (" + e.why_fallback + ")");
  count_call(jitffi::BackendKind::Libffi);
  real_ffi()->call_go(real, fn, rvalue, avalue, closure);
}

}  // extern "C"
