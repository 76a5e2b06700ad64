// The differential suite: every generated signature is called through each back end (downcalls)
// and implemented by each back end (closures called from compiled C); the compiler-built C code
// checks every argument and result member by member. The compiler is the judge.
//
// JITFFI_DIFF_ONLY=<index> runs one signature; JITFFI_DIFF_VERBOSE=1 prints each signature's
// plan as it runs. See docs/testing.md.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include "abi/call_plan.h"
#include "jitffi/function.h"
#include "tests/diff/diff_lib.h"

namespace jitffi::difftest {
namespace {

struct Mode {
  const char *abi;
  const char *lib;
};

// The generated libraries of this build (tests/diff/tests.cmake).
const Mode kModes[] = {
#ifdef JITFFI_DIFF_LIB_sysv
    {"sysv", JITFFI_DIFF_LIB_sysv},
#endif
#ifdef JITFFI_DIFF_LIB_win64
    {"win64", JITFFI_DIFF_LIB_win64},
#endif
#ifdef JITFFI_DIFF_LIB_aapcs64
    {"aapcs64", JITFFI_DIFF_LIB_aapcs64},
#endif
};

void PrintTo(const Mode &m, std::ostream *os) {
  *os << m.abi;
}

std::string mode_name(const testing::TestParamInfo<Mode> &info) {
  return info.param.abi;
}

long only_index() {
  const char *s = std::getenv("JITFFI_DIFF_ONLY");
  return s && *s ? std::strtol(s, nullptr, 10) : -1;
}

bool verbose() {
  const char *s = std::getenv("JITFFI_DIFF_VERBOSE");
  return s && *s && *s != '0';
}

std::string plan_text(const Signature &sig) {
  try {
    return abi::classify(sig).describe();
  } catch (const std::exception &e) {
    return std::string("(no plan: ") + e.what() + ")";
  }
}

// What the suite was doing, for the report of a crash (a wrong stub may well crash).
struct Current {
  char text[1024] = "";
} g_current;

void on_crash(int sig) {
  const char head[] = "\n*** differential suite crashed while running: ";
  ssize_t r = write(2, head, sizeof head - 1);
  r = write(2, g_current.text, strnlen(g_current.text, sizeof g_current.text));
  r = write(2, "\n", 1);
  (void)r;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_crash_report() {
  static bool done = false;
  if (done) return;
  done = true;
  for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) std::signal(s, on_crash);
}

void set_current(const char *what, const diff_entry &e, const char *abi) {
  std::snprintf(g_current.text, sizeof g_current.text,
                "%s, mode %s, signature %u: %s (reproduce: JITFFI_DIFF_ONLY=%u)", what, abi,
                e.index, e.sig, e.index);
}

// Memory for one boxed value: 16-byte aligned, with guard bytes after it.
class Box {
 public:
  static constexpr std::size_t kGuard = 32;
  static constexpr unsigned char kFill = 0xA5;
  explicit Box(std::size_t size) : size_(size), mem_(new Chunk[(size + kGuard + 15) / 16]) {
    std::memset(data(), kFill, size + kGuard);
  }
  unsigned char *data() const { return reinterpret_cast<unsigned char *>(mem_.get()); }
  // Whether anything wrote past `limit` bytes.
  bool guard_intact(std::size_t limit) const {
    for (std::size_t i = limit; i < size_ + kGuard; ++i)
      if (data()[i] != kFill) return false;
    return true;
  }

 private:
  struct alignas(16) Chunk {
    unsigned char b[16];
  };
  std::size_t size_;
  std::unique_ptr<Chunk[]> mem_;
};

enum class Outcome { Ok, Mismatch, Unsupported };

// Per back end and direction: what happened to every signature.
struct Tally {
  unsigned run = 0, ok = 0, mismatches = 0, unsupported = 0, unexpected_unsupported = 0;
  std::vector<std::string> reports;  // the first few, in full

  void add(Outcome o, const std::string &report) {
    if (o == Outcome::Unsupported) {
      ++unsupported;
      if (!report.empty()) {
        ++unexpected_unsupported;
        keep(report);
      }
      return;
    }
    ++run;
    if (o == Outcome::Ok) {
      ++ok;
    } else {
      ++mismatches;
      keep(report);
    }
  }
  void keep(const std::string &r) {
    if (reports.size() < 10) reports.push_back(r);
  }
};

// libffi has no 128-bit integer type; the fallback maps i128 to two words checked against the
// compiler on SysV and AAPCS64 only (fallback/ffi_types.cpp), so Win64 refuses it. Anything else
// a back end refuses is a gap the suite reports.
std::string unsupported_is_expected(BackendKind kind, const Signature &sig) {
  if (kind != BackendKind::Libffi || sig.abi() == Abi::SysV_x64 || sig.abi() == Abi::AAPCS64)
    return "";
  auto wide = [](const TypeRef &t) {
    bool found = false;
    t->for_each_scalar([&](std::size_t, const Type &s) {
      found |= s.kind() == TypeKind::I128 || s.kind() == TypeKind::U128;
    });
    return found;
  };
  if (wide(sig.ret())) return "i128";
  for (const TypeRef &p : sig.params())
    if (wide(p)) return "i128";
  return "";
}

class DiffTest : public testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    install_crash_report();
    lib_ = &load_lib(GetParam().abi, GetParam().lib);
  }

  // The signatures to run: all, or JITFFI_DIFF_ONLY's.
  std::vector<const diff_entry *> selected() const {
    long only = only_index();
    if (only < 0) return lib_->entries;
    if (std::size_t(only) >= lib_->entries.size()) return {};
    return {lib_->entries[std::size_t(only)]};
  }

  std::string header(const diff_entry &e, const Signature &sig) const {
    std::ostringstream os;
    os << "mode " << lib_->abi << ", seed " << lib_->seed << ", signature " << e.index << ": "
       << e.sig << "\nplan:\n"
       << plan_text(sig);
    return os.str();
  }

  // Skips (never passes) when the back end does not exist or does not speak this ABI at all.
  void require_backend(BackendChoice choice) {
    if (choice == BackendChoice::Jit && !detail::jit_backend())
      GTEST_SKIP() << "the JIT back end is not built yet (detail::jit_backend() is null): "
                      "0 signatures ran through the JIT";
    detail::Backend &b =
        choice == BackendChoice::Jit ? *detail::jit_backend() : detail::libffi_backend();
    // A probe signature of this ABI without anything a back end may legitimately refuse.
    Abi abi = *abi_from_name(lib_->abi);
    Signature probe(abi, Type::scalar(TypeKind::I32), {Type::scalar(TypeKind::F64)});
    if (!b.supports(probe))
      GTEST_SKIP() << "the " << backend_name(b.kind()) << " back end does not support the "
                   << lib_->abi << " ABI: 0 signatures ran";
  }

  Outcome downcall(const diff_entry &e, const Signature &sig, BackendChoice choice,
                   std::string &report) {
    set_current("downcall", e, lib_->abi.c_str());
    Function f;
    try {
      f = Function(sig, e.target, CallOptions{choice});
    } catch (const UnsupportedError &x) {
      BackendKind kind = choice == BackendChoice::Jit ? BackendKind::Jit : BackendKind::Libffi;
      if (unsupported_is_expected(kind, sig).empty())
        report = header(e, sig) + "\nunsupported: " + x.what();
      return Outcome::Unsupported;
    }
    const auto &params = sig.params();
    auto layouts = c_layouts(e, params.size());
    std::vector<Box> boxes;
    std::vector<void *> args;
    boxes.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      boxes.emplace_back(std::max<std::size_t>(params[i]->size(), layouts[i + 1].size));
      args.push_back(boxes.back().data());
    }
    e.fill_args(args.data());
    // Args may not be written to: keep a copy to compare after the call.
    std::vector<std::vector<unsigned char>> before;
    for (std::size_t i = 0; i < params.size(); ++i)
      before.emplace_back(boxes[i].data(), boxes[i].data() + params[i]->size() + Box::kGuard);

    const std::size_t rsize = f.return_size();
    Box ret(std::max<std::size_t>(rsize, 16));
    lib_->reset();
    f.call(sig.ret()->is_void() ? nullptr : ret.data(), args.data());
    std::string target_failure =
        lib_->failure_count() ? std::string(lib_->first_failure()) : std::string();
    unsigned target_failures = lib_->failure_count();

    std::ostringstream why;
    if (target_failures)
      why << "\nthe target saw " << target_failures
          << " wrong argument value(s); first: " << target_failure;
    lib_->reset();
    if (!sig.ret()->is_void() && e.check_ret(ret.data()))
      why << "\nwrong result: " << lib_->first_failure();
    if (!ret.guard_intact(rsize))
      why << "\nthe call wrote past the " << rsize << "-byte result buffer";
    const Type &rt = *sig.ret();
    if (rt.is_integer() && rt.size() < 8) {
      // Function::call widens narrow integer results to 64 bits (function.h).
      std::uint64_t got, low = 0;
      std::memcpy(&got, ret.data(), 8);
      std::memcpy(&low, ret.data(), rt.size());
      std::uint64_t want = low;
      unsigned bits = unsigned(rt.size() * 8);
      if (rt.is_signed() && (low >> (bits - 1)) & 1) want |= ~std::uint64_t(0) << bits;
      if (got != want)
        why << "\nresult not widened to 64 bits: 0x" << std::hex << got << ", expected 0x" << want
            << std::dec;
    }
    for (std::size_t i = 0; i < params.size(); ++i)
      if (std::memcmp(before[i].data(), boxes[i].data(), before[i].size()) != 0)
        why << "\nthe call wrote into argument " << i << "'s box";
    if (why.str().empty()) return Outcome::Ok;
    report = header(e, sig) + why.str();
    return Outcome::Mismatch;
  }

  // The value entry (call_value) or the slot entry (call_slots) of the same call: the target
  // checks every argument, check_ret the result's own bytes (narrow integers come back
  // unwidened, so only their natural size is compared and written). `raw` is set when the
  // signature has the entry (its result comes back in registers); otherwise call_value and
  // call_slots make the boxed call, which is checked all the same.
  Outcome entry_call(const diff_entry &e, const Signature &sig, BackendChoice choice,
                     EntryKind kind, bool capture_errno, std::string &report, bool &raw) {
    set_current(kind == EntryKind::Value ? "value entry" : "slot entry", e, lib_->abi.c_str());
    Function f;
    try {
      f = Function(sig, e.target, CallOptions{choice, capture_errno});
    } catch (const UnsupportedError &x) {
      BackendKind bk = choice == BackendChoice::Jit ? BackendKind::Jit : BackendKind::Libffi;
      if (unsupported_is_expected(bk, sig).empty())
        report = header(e, sig) + "\nunsupported: " + x.what();
      return Outcome::Unsupported;
    }
    void *entry = kind == EntryKind::Value ? f.value_entry() : f.slots_entry();
    raw = entry != nullptr;
    const bool applies = f.value_shape().kind != ValueShape::None;
    std::ostringstream why;
    if (applies != raw)
      why << "\nthe result comes back in registers but the back end made no "
          << (kind == EntryKind::Value ? "value" : "slot") << " entry";
    const auto &params = sig.params();
    auto layouts = c_layouts(e, params.size());
    std::vector<Box> boxes;
    std::vector<void *> args;
    boxes.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      boxes.emplace_back(std::max<std::size_t>(params[i]->size(), layouts[i + 1].size));
      args.push_back(boxes.back().data());
    }
    e.fill_args(args.data());
    std::vector<std::vector<unsigned char>> before;
    for (std::size_t i = 0; i < params.size(); ++i)
      before.emplace_back(boxes[i].data(), boxes[i].data() + params[i]->size() + Box::kGuard);
    // Slots: each value extended per its type; a float's upper half is junk (only its low bits
    // are the value); anything else by address.
    std::vector<std::uint64_t> slots(params.size() + 1, 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Type &t = *params[i];
      if (!slot_holds_value(t)) {
        slots[i] = reinterpret_cast<std::uintptr_t>(args[i]);
        continue;
      }
      std::uint64_t v = t.is_float() && t.size() == 4 ? 0x5a5a5a5a00000000ull : 0;
      std::memcpy(&v, args[i], t.size());
      const unsigned bits = unsigned(t.size() * 8);
      if (t.is_integer() && bits < 64 && t.is_signed() && (v >> (bits - 1)) & 1)
        v |= ~std::uint64_t(0) << bits;
      slots[i] = v;
    }
    const std::vector<std::uint64_t> slots_before = slots;

    const std::size_t rsize = sig.ret()->is_void() ? 0 : sig.ret()->size();
    Box ret(std::max<std::size_t>(rsize, 16));
    lib_->reset();
    errno = 1234;
    set_saved_errno(77);
    if (kind == EntryKind::Value)
      f.call_value(ret.data(), args.data());
    else
      f.call_slots(ret.data(), slots.data());
    const int errno_after = errno;
    if (lib_->failure_count())
      why << "\nthe target saw " << lib_->failure_count()
          << " wrong argument value(s); first: " << lib_->first_failure();
    lib_->reset();
    if (!sig.ret()->is_void() && e.check_ret(ret.data()))
      why << "\nwrong result: " << lib_->first_failure();
    // Through an entry: the registers' bytes, at most 16 (or the result's size); the boxed
    // fallback writes return_size().
    const std::size_t written = std::max<std::size_t>(rsize, raw ? 16 : f.return_size());
    if (!ret.guard_intact(written))
      why << "\nthe call wrote past the " << written << "-byte result";
    for (std::size_t i = 0; i < params.size(); ++i)
      if (std::memcmp(before[i].data(), boxes[i].data(), before[i].size()) != 0)
        why << "\nthe call wrote into argument " << i << "'s box";
    if (slots != slots_before) why << "\nthe call wrote into the slots";
    // The generated targets do not touch errno: with capture the saved value comes in and goes
    // back out; without, errno is left as it was.
    if (capture_errno && (errno_after != 77 || saved_errno() != 77))
      why << "\nerrno capture: errno " << errno_after << ", saved " << saved_errno()
          << " (expected 77 and 77)";
    if (!capture_errno && errno_after != 1234)
      why << "\nerrno changed without capture: " << errno_after;
    if (why.str().empty()) return Outcome::Ok;
    report = header(e, sig) + (kind == EntryKind::Value ? "\n(value entry" : "\n(slot entry") +
             (capture_errno ? ", errno capture)" : ")") + why.str();
    return Outcome::Mismatch;
  }

  void run_entries(BackendChoice choice, bool capture_errno) {
    require_backend(choice);
    if (IsSkipped()) return;
    auto entries = selected();
    ASSERT_FALSE(entries.empty()) << "no signature selected (JITFFI_DIFF_ONLY out of range?)";
    const char *backend = choice == BackendChoice::Jit ? "jit" : "libffi";
    for (EntryKind kind : {EntryKind::Value, EntryKind::Slots}) {
      Tally t;
      unsigned raw_count = 0, narrow = 0;
      unsigned by_shape[ValueShape::VG + 1] = {};  // entries taken, per result shape
      for (const diff_entry *e : entries) {
        std::string report;
        Signature sig = build_signature(e->sig);
        bool raw = false;
        Outcome o = entry_call(*e, sig, choice, kind, capture_errno, report, raw);
        t.add(o, report);
        if (o != Outcome::Unsupported && raw) {
          ++raw_count;
          ++by_shape[abi::value_shape(abi::classify(sig)).kind];
          const Type &rt = *sig.ret();
          if (rt.is_integer() && rt.size() < 8) ++narrow;
        }
      }
      std::printf(
          "[diff] mode %s, back end %s, %s entry%s: %zu signatures, %u run (%u through the entry, "
          "%u of them narrow-integer results; the rest return in memory or in more registers "
          "than an entry hands back, and take the boxed call), %u agree with the compiler, %u "
          "mismatches, %u unsupported (%u unexpected)\n",
          lib_->abi.c_str(), backend, kind == EntryKind::Value ? "value" : "slot",
          capture_errno ? " with errno capture" : "", entries.size(), t.run, raw_count, narrow,
          t.ok, t.mismatches, t.unsupported, t.unexpected_unsupported);
      static const char *const kShapes[] = {"none", "void", "G", "V", "X", "GG", "VV", "GV", "VG"};
      std::string shapes;
      for (unsigned k = 0; k <= ValueShape::VG; ++k)
        if (by_shape[k])
          shapes += (shapes.empty() ? "" : ", ") + std::string(kShapes[k]) + " " +
                    std::to_string(by_shape[k]);
      std::printf("[diff]   through the %s entry by result shape: %s\n",
                  kind == EntryKind::Value ? "value" : "slot", shapes.c_str());
      for (const std::string &r : t.reports) ADD_FAILURE() << r;
      EXPECT_EQ(t.mismatches, 0u);
      EXPECT_EQ(t.unexpected_unsupported, 0u);
      EXPECT_GT(raw_count, 0u) << "no signature went through the entry itself";
    }
  }

  struct ClosureCtx {
    const diff_entry *e = nullptr;
    const DiffLib *lib = nullptr;
    unsigned calls = 0;
    int bad_args = 0;
    std::string first;
    bool perturb_result = false;
    std::size_t nparams = 0;
  };

  static void handler(void *ret, void **args, void *user) {
    auto *c = static_cast<ClosureCtx *>(user);
    ++c->calls;
    unsigned before = c->lib->failure_count();
    c->bad_args += c->e->check_args(args);
    if (c->lib->failure_count() > before && c->first.empty()) c->first = c->lib->first_failure();
    c->e->fill_ret(ret);
    if (c->perturb_result) static_cast<unsigned char *>(ret)[0] ^= 1;
  }

  Outcome closure(const diff_entry &e, const Signature &sig, BackendChoice choice,
                  std::string &report, bool perturb_result = false) {
    set_current("closure", e, lib_->abi.c_str());
    ClosureCtx ctx;
    ctx.e = &e;
    ctx.lib = lib_;
    ctx.perturb_result = perturb_result;
    Closure cl;
    try {
      cl = Closure(sig, &DiffTest::handler, &ctx, CallOptions{choice});
    } catch (const UnsupportedError &x) {
      BackendKind kind = choice == BackendChoice::Jit ? BackendKind::Jit : BackendKind::Libffi;
      if (unsupported_is_expected(kind, sig).empty())
        report = header(e, sig) + "\nunsupported: " + x.what();
      return Outcome::Unsupported;
    }
    lib_->reset();
    int bad_ret = e.call_closure(cl.code());
    std::ostringstream why;
    if (ctx.calls != 1) why << "\nthe handler ran " << ctx.calls << " times";
    if (ctx.bad_args)
      why << "\nthe handler saw " << ctx.bad_args
          << " wrong argument value(s); first: " << ctx.first;
    if (bad_ret) {
      // The record's first entry may be the handler's; say which failure is the result's.
      why << "\nthe C caller got a wrong result (" << bad_ret << " mismatch(es))";
      if (!ctx.bad_args) why << ": " << lib_->first_failure();
    }
    if (why.str().empty()) return Outcome::Ok;
    report = header(e, sig) + why.str();
    return Outcome::Mismatch;
  }

  // A typed closure (Closure::typed) of the signature, its handler the compiler's
  // diff_typed_i(params..., user_data), called by the compiler's caller.
  Outcome typed_closure(const diff_entry &e, const Signature &sig, BackendChoice choice,
                        bool capture_errno, std::string &report) {
    set_current("typed closure", e, lib_->abi.c_str());
    Closure cl;
    try {
      cl = Closure::typed(sig, e.typed_handler, e.typed_handler, {choice, capture_errno});
    } catch (const UnsupportedError &x) {
      BackendKind kind = choice == BackendChoice::Jit ? BackendKind::Jit : BackendKind::Libffi;
      if (unsupported_is_expected(kind, sig).empty())
        report = header(e, sig) + "\nunsupported: " + x.what();
      return Outcome::Unsupported;
    }
    lib_->reset();
    const int bad_ret = e.call_closure(cl.code());
    const unsigned calls = lib_->typed_calls(), failures = lib_->failure_count();
    std::ostringstream why;
    if (calls != 1) why << "\nthe handler ran " << calls << " times";
    if (failures)
      why << "\n"
          << failures << " mismatch(es) (" << bad_ret
          << " in the result the C caller got); first: " << lib_->first_failure();
    if (why.str().empty()) return Outcome::Ok;
    report = header(e, sig) + why.str();
    return Outcome::Mismatch;
  }

  void run_typed(BackendChoice choice, bool capture_errno) {
    require_backend(choice);
    if (IsSkipped()) return;
    Tally t;
    unsigned variadic = 0, in_register = 0;
    const std::size_t live_before = Closure::live_count();
    for (const diff_entry *e : selected()) {
      if (!e->typed_handler) {  // variadic: no typed closure (Closure::typed refuses it)
        ++variadic;
        continue;
      }
      std::string report;
      Signature sig = build_signature(e->sig);
      if (verbose()) std::printf("%s\n", header(*e, sig).c_str());
      Outcome o = typed_closure(*e, sig, choice, capture_errno, report);
      t.add(o, report);
      if (o != Outcome::Unsupported) {  // where the handler's plan puts user_data
        std::vector<TypeRef> params = sig.params();
        params.push_back(Type::pointer());
        const abi::CallPlan plan = abi::classify(Signature(sig.abi(), sig.ret(), params));
        in_register += plan.pieces.back().to.loc != abi::Loc::Stack;
      }
    }
    std::printf(
        "[diff] mode %s, back end %s, typed closures%s: %u signatures (%u variadic ones have "
        "none), %u run (user_data in a register %u, on the stack %u), %u agree with the "
        "compiler, %u mismatches, %u unsupported (%u unexpected)\n",
        lib_->abi.c_str(), choice == BackendChoice::Jit ? "jit" : "libffi",
        capture_errno ? " with errno capture" : "", t.run + t.unsupported, variadic, t.run,
        in_register, t.run - in_register, t.ok, t.mismatches, t.unsupported,
        t.unexpected_unsupported);
    for (const std::string &r : t.reports) ADD_FAILURE() << r;
    EXPECT_EQ(Closure::live_count(), live_before) << "closures leaked";
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_EQ(t.unexpected_unsupported, 0u);
    EXPECT_GT(t.run, 0u) << "nothing ran";
  }

  void run(BackendChoice choice, bool closures) {
    require_backend(choice);
    if (IsSkipped()) return;
    Tally t;
    auto entries = selected();
    ASSERT_FALSE(entries.empty()) << "no signature selected (JITFFI_DIFF_ONLY out of range?)";
    const std::size_t live_before = Closure::live_count();
    for (const diff_entry *e : entries) {
      std::string report;
      Signature sig = build_signature(e->sig);
      if (verbose()) std::printf("%s\n", header(*e, sig).c_str());
      Outcome o = closures ? closure(*e, sig, choice, report) : downcall(*e, sig, choice, report);
      t.add(o, report);
    }
    const char *backend = choice == BackendChoice::Jit ? "jit" : "libffi";
    std::printf(
        "[diff] mode %s, back end %s, %s: %zu signatures, %u run, %u agree with the compiler, "
        "%u mismatches, %u unsupported (%u unexpected)\n",
        lib_->abi.c_str(), backend, closures ? "closures" : "downcalls", entries.size(), t.run,
        t.ok, t.mismatches, t.unsupported, t.unexpected_unsupported);
    for (const std::string &r : t.reports) ADD_FAILURE() << r;
    EXPECT_EQ(Closure::live_count(), live_before) << "closures leaked";
    EXPECT_EQ(t.mismatches, 0u);
    EXPECT_EQ(t.unexpected_unsupported, 0u);
    EXPECT_GT(t.run, 0u) << "nothing ran: a back end that refuses everything does not pass";
  }

  const DiffLib *lib_ = nullptr;
};

// Every signature rebuilt from its text has the canonical form the generator wrote and the
// layout the compiler computed: the boxes the driver allocates are the C objects.
TEST_P(DiffTest, LayoutAgreesWithCompiler) {
  unsigned bad = 0;
  EXPECT_EQ(lib_->entries.size(), std::size_t(JITFFI_DIFF_COUNT));
  for (const diff_entry *e : selected()) {
    Signature sig = build_signature(e->sig);
    EXPECT_EQ(sig.canonical(), e->sig) << "signature " << e->index;
    auto c = c_layouts(*e, sig.params().size());
    std::string diff = compare_layout(*sig.ret(), c[0]);
    for (std::size_t i = 0; i < sig.params().size() && diff.empty(); ++i)
      if (std::string d = compare_layout(*sig.params()[i], c[i + 1]); !d.empty())
        diff = "parameter " + std::to_string(i) + " (" + sig.params()[i]->canonical() + "): " + d;
    if (!diff.empty() && ++bad <= 10)
      ADD_FAILURE() << "signature " << e->index << " " << e->sig << ": " << diff;
  }
  EXPECT_EQ(bad, 0u);
}

// The text parser reads every generated signature as the builder built it.
TEST_P(DiffTest, ParserAgreesWithBuilder) {
  try {
    (void)Signature::parse("sysv:i32(i32)");
  } catch (const ParseError &x) {
    GTEST_SKIP() << "the signature parser is not available yet: " << x.what();
  }
  unsigned bad = 0;
  for (const diff_entry *e : selected()) {
    Signature built = build_signature(e->sig);
    try {
      Signature parsed = Signature::parse(e->sig);
      if (parsed != built && ++bad <= 10)
        ADD_FAILURE() << "signature " << e->index << ": parsed " << parsed.canonical() << ", built "
                      << built.canonical();
    } catch (const std::exception &x) {
      if (++bad <= 10) ADD_FAILURE() << "signature " << e->index << ": " << x.what();
    }
  }
  EXPECT_EQ(bad, 0u);
}

TEST_P(DiffTest, LibffiDowncalls) {
  run(BackendChoice::Libffi, false);
}
TEST_P(DiffTest, LibffiClosures) {
  run(BackendChoice::Libffi, true);
}
TEST_P(DiffTest, JitDowncalls) {
  run(BackendChoice::Jit, false);
}
TEST_P(DiffTest, JitClosures) {
  run(BackendChoice::Jit, true);
}
// Typed closures (Closure::typed, issue 12 item 6): the JIT's own code, and the adapter that
// libffi and errno capture use.
TEST_P(DiffTest, JitTypedClosures) {
  run_typed(BackendChoice::Jit, false);
}
TEST_P(DiffTest, JitTypedClosuresErrno) {
  run_typed(BackendChoice::Jit, true);
}
TEST_P(DiffTest, LibffiTypedClosures) {
  run_typed(BackendChoice::Libffi, false);
}
// The value and slot entries of every signature (issue 12): downcalls, plain and with errno.
TEST_P(DiffTest, JitEntries) {
  run_entries(BackendChoice::Jit, false);
}
TEST_P(DiffTest, JitEntriesErrno) {
  run_entries(BackendChoice::Jit, true);
}
TEST_P(DiffTest, LibffiEntries) {
  run_entries(BackendChoice::Libffi, false);
}
TEST_P(DiffTest, LibffiEntriesErrno) {
  run_entries(BackendChoice::Libffi, true);
}

// The suite can fail: a value changed by one bit in an argument, in a result buffer and in a
// closure's result is reported by the compiled checks, naming the argument.
TEST_P(DiffTest, SelfCheckDetectsPerturbation) {
  require_backend(BackendChoice::Libffi);
  if (IsSkipped()) return;
  unsigned args_tried = 0, rets_tried = 0, closures_tried = 0, broken = 0;
  for (const diff_entry *e : selected()) {
    Signature sig = build_signature(e->sig);
    if (!unsupported_is_expected(BackendKind::Libffi, sig).empty()) continue;
    const auto &params = sig.params();
    auto layouts = c_layouts(*e, params.size());
    std::vector<Box> boxes;
    std::vector<void *> args;
    boxes.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      boxes.emplace_back(std::max<std::size_t>(params[i]->size(), layouts[i + 1].size));
      args.push_back(boxes.back().data());
    }
    e->fill_args(args.data());
    Function f(sig, e->target, CallOptions{BackendChoice::Libffi});
    Box ret(std::max<std::size_t>(f.return_size(), 16));
    // Only signatures this back end gets right: a real mismatch is the downcall tests' to report.
    lib_->reset();
    f.call(ret.data(), args.data());
    if (lib_->failure_count() || (!sig.ret()->is_void() && e->check_ret(ret.data()))) {
      ++broken;
      continue;
    }
    if (!params.empty()) {
      // Byte 0 of a value is always part of the first checked leaf (a union's checked member
      // starts at 0); flipping its low bit changes every kind of scalar.
      std::size_t k = e->index % params.size();
      boxes[k].data()[0] ^= 1;
      lib_->reset();
      set_current("self-check", *e, lib_->abi.c_str());
      f.call(ret.data(), args.data());
      std::string needle = "argument " + std::to_string(k);
      EXPECT_GT(lib_->failure_count(), 0u) << "undetected: " << e->sig << " argument " << k;
      EXPECT_NE(std::string(lib_->first_failure()).find(needle), std::string::npos)
          << lib_->first_failure();
      lib_->reset();
      EXPECT_GT(e->check_args(args.data()), 0) << "check_args missed: " << e->sig;
      boxes[k].data()[0] ^= 1;
      ++args_tried;
    }
    if (!sig.ret()->is_void()) {
      ret.data()[0] ^= 1;
      EXPECT_GT(e->check_ret(ret.data()), 0) << "check_ret missed: " << e->sig;
      std::string report;
      EXPECT_EQ(closure(*e, sig, BackendChoice::Libffi, report, true), Outcome::Mismatch)
          << "a perturbed closure result went unnoticed: " << e->sig;
      ++rets_tried;
      ++closures_tried;
    }
  }
  std::printf(
      "[diff] mode %s self-check: %u perturbed arguments, %u perturbed results, "
      "%u perturbed closure results, all detected unless reported above (%u signatures "
      "left out: libffi gets them wrong)\n",
      lib_->abi.c_str(), args_tried, rets_tried, closures_tried, broken);
  EXPECT_GT(args_tried, 0u);
}

INSTANTIATE_TEST_SUITE_P(Mode, DiffTest, testing::ValuesIn(kModes), mode_name);

}  // namespace
}  // namespace jitffi::difftest
