// The JIT back end: SysV and Win64 signatures on x86-64 hosts, AAPCS64 and Apple's variant on
// AArch64 Linux hosts, through the stub cache.
#include "jit/closure.h"
#include "jit/stub_cache.h"
#include "jitffi/backend.h"

namespace jitffi::detail {

namespace {

class JitBackend final : public Backend {
 public:
  BackendKind kind() const noexcept override { return BackendKind::Jit; }

  bool supports(const Signature &sig) const noexcept override {
    if (abi::isa_of(sig.abi()) != jit::host_isa()) return false;
    try {
      return jit::StubCache::global().entry(sig)->error.empty();  // the plan is cached
    } catch (...) {
      return false;  // out of memory while classifying
    }
  }

  std::shared_ptr<const CallImpl> prepare(const Signature &sig) override {
    return jit::StubCache::global().downcall(sig);
  }

  std::unique_ptr<ClosureImpl> make_closure(const Signature &sig, ClosureHandler handler,
                                            void *user_data) override {
    // The trampoline and the entry run near the handler (see ExecMemory::near).
    jit::ExecMemory &mem = jit::ExecMemory::near(reinterpret_cast<const void *>(handler));
    std::shared_ptr<const jit::Stub> entry = jit::StubCache::global().upcall(sig, mem);
    void *code = entry->code();
    return std::make_unique<jit::JitClosure>(code, handler, user_data, mem, std::move(entry));
  }

  std::unique_ptr<ClosureImpl> make_typed_closure(const Signature &handler_sig, const void *handler,
                                                  void *user_data) override {
    if (abi::isa_of(handler_sig.abi()) != jit::host_isa()) return nullptr;
    const jit::EntryRef e = jit::StubCache::global().entry(handler_sig);
    if (!e->error.empty()) return nullptr;  // Closure adapts a boxed closure instead
    jit::ExecMemory &mem = jit::ExecMemory::near(handler);
    return std::make_unique<jit::JitTypedClosure>(e->plan, handler, user_data, mem);
  }
};

}  // namespace

Backend *jit_backend() {
#if (defined(__x86_64__) && !defined(_WIN32)) || (defined(__aarch64__) && defined(__linux__))
  static JitBackend *backend = new JitBackend;  // leaked: lives as long as the cache
  return backend;
#else
  return nullptr;
#endif
}

}  // namespace jitffi::detail
