// The C library through jitffi (glibc on Linux, LP64): strings and memory, number parsing,
// qsort/bsearch with C++ comparators, snprintf (a real variadic call), environment, clocks,
// POSIX regex, pseudo-terminals and termios, pthreads with closures as start routines, and
// sockets. Every function is declared by its C prototype in libc.cpp (one table), and struct
// layouts (termios, regex_t, sockaddr_in, ...) come from those declarations too.
//
//   jitffi::bindings::libc::Libc c;
//   auto n = c.strtol("  -42xyz", 10);     // n.value == -42, n.consumed == 5
//   std::string s = c.format("%d-%s", 7, "seven");
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::libc {

// Linux constants used by the C++ layer and the tests.
inline constexpr int kAfUnix = 1, kAfInet = 2, kAfInet6 = 10;
inline constexpr int kSockStream = 1, kSockDgram = 2;
inline constexpr int kSolSocket = 1, kSoReuseAddr = 2;
inline constexpr int kAiPassive = 0x1, kAiNumericHost = 0x4, kAiNumericServ = 0x400;
inline constexpr int kShutRd = 0, kShutWr = 1, kShutRdWr = 2;
inline constexpr int kRegExtended = 1, kRegIcase = 2, kRegNewline = 4, kRegNosub = 8;
inline constexpr int kRegNoMatch = 1;
inline constexpr int kClockRealtime = 0, kClockMonotonic = 1;
inline constexpr int kTcsaNow = 0, kTcsaDrain = 1, kTcsaFlush = 2;
inline constexpr unsigned kEcho = 0x8, kIcanon = 0x2, kIsig = 0x1, kOpost = 0x1, kOnlcr = 0x4;
inline constexpr int kORdWr = 2, kONoctty = 0x100;

// The foreign functions and layouts, resolved when the library is opened.
struct Api {
  Library lib;
  Function strlen, strcmp, strncmp, strchr, strstr, memcpy, memmove, memset, memcmp, memchr;
  Function malloc, free, strerror_r;
  Function strtol, strtoll, strtoul, strtod;
  Function qsort, bsearch, snprintf;
  Function getenv, setenv, unsetenv, time, clock_gettime;
  Function regcomp, regexec, regerror, regfree;
  Function posix_openpt, grantpt, unlockpt, ptsname_r, openpty, open, close, read, write, poll;
  Function tcgetattr, tcsetattr, cfmakeraw, cfgetospeed, cfsetospeed, cfsetispeed;
  Function pthread_create, pthread_join, pthread_self, pthread_equal;
  Function mutex_init, mutex_destroy, mutex_lock, mutex_unlock, mutex_trylock;
  Function cond_init, cond_destroy, cond_wait, cond_timedwait, cond_signal, cond_broadcast;
  Function socket, bind, listen, accept, connect, send, recv, shutdown, getsockname, setsockopt,
      socketpair, getaddrinfo, freeaddrinfo, gai_strerror, inet_pton, inet_ntop, htons, ntohs;
  // stdlib.h (the rest of it; strtol..getenv are above).
  Function a64l, l64a, abort, abs, labs, llabs, atexit, atof, atoi, atol, atoll, calloc, realloc;
  Function div, ldiv, lldiv, drand48, erand48, srand48, lrand48, nrand48, mrand48, jrand48, seed48,
      lcong48, ecvt, fcvt, gcvt, exit, exit_now /* _Exit */, getsubopt, initstate, setstate, random,
      srandom, rand, srand, mblen, mbtowc, wctomb, mkstemp, mkdtemp, realpath, system, strtof,
      strtold, strtoull;

  // Closure signatures.
  Signature compare_fn = unresolved_signature(), start_routine = unresolved_signature(),
            atexit_fn = unresolved_signature();
  StructLayout div_t, ldiv_t, lldiv_t;
  StructLayout timespec, regex_t, regmatch_t, termios, pollfd, sockaddr_in, sockaddr_in6,
      sockaddr_storage, addrinfo, pthread_mutex_t, pthread_cond_t;

  // A variadic function prepared for this call's variadic argument types (cached).
  Function variadic(const Function &fn, std::vector<TypeRef> varargs) const;

 private:
  VariadicCache variadic_;
};

// A failed system call: the errno value, strerror's text and what was being done.
class SystemError : public jitffi::Error {
 public:
  SystemError(int code, std::string message, std::string call);
  int code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }  // strerror text

 private:
  int code_;
  std::string message_;
};

// A regcomp/regexec failure with regerror's text.
class RegexError : public jitffi::Error {
 public:
  RegexError(int code, std::string message, std::string pattern);
  int code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }

 private:
  int code_;
  std::string message_;
};

// getaddrinfo failure with gai_strerror's text.
class AddrInfoError : public jitffi::Error {
 public:
  AddrInfoError(int code, std::string message, std::string what);
  int code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }

 private:
  int code_;
  std::string message_;
};

template <class T>
struct Parsed {
  T value{};
  std::size_t consumed = 0;  // characters used; 0 when there was no number
  int error = 0;             // errno after the call (ERANGE on overflow, EINVAL for a bad base)
};

// One argument of format(): the C types a printf conversion consumes after promotion.
using FormatArg =
    std::variant<int, unsigned, long, unsigned long, long long, double, const char *, const void *>;

// div/ldiv/lldiv's result (returned by value in C).
template <class T>
struct DivResult {
  T quot{}, rem{};
};

// ecvt/fcvt: the digits without a point, where the point goes, and the sign.
struct Converted {
  std::string digits;
  int decimal_point = 0;
  bool negative = false;
};

// One suboption parsed by getsubopt: the token's index (-1: not in the list; name is then the
// whole suboption text) and its value after '=' if there was one.
struct SubOption {
  int index = -1;
  std::string name;
  std::optional<std::string> value;
};

// mbtowc's result: the wide character and how many bytes it took (0 for the NUL character).
struct WideChar {
  wchar_t wc = 0;
  int length = 0;
};

using Xsubi = std::array<unsigned short, 3>;  // the 48-bit state of erand48/nrand48/jrand48

struct TimeSpec {
  std::int64_t sec = 0;
  long nsec = 0;
};

class Fd;

// The C library. Copies share it.
class Libc {
 public:
  // path: an explicit file; empty means $JITFFI_LIBC_PATH, then libc.so.6.
  explicit Libc(std::string_view path = {});
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }

  // Strings and memory (pointers are the caller's; sizes in bytes).
  std::size_t strlen(const char *s) const;
  int strcmp(const char *a, const char *b) const;
  int strncmp(const char *a, const char *b, std::size_t n) const;
  std::optional<std::size_t> strchr(const char *s, int c) const;  // position, if found
  std::optional<std::size_t> strstr(const char *hay, const char *needle) const;
  void memcpy(std::span<std::byte> dst, std::span<const std::byte> src) const;  // sizes equal
  void memmove(void *dst, const void *src, std::size_t n) const;
  void memset(std::span<std::byte> dst, int value) const;
  int memcmp(std::span<const std::byte> a, std::span<const std::byte> b) const;  // sizes equal
  std::optional<std::size_t> memchr(std::span<const std::byte> s, int c) const;
  std::string strerror(int code) const;

  // Number parsing; the text is copied to make it NUL-terminated.
  Parsed<long> strtol(std::string_view text, int base = 10) const;
  Parsed<long long> strtoll(std::string_view text, int base = 10) const;
  Parsed<unsigned long> strtoul(std::string_view text, int base = 10) const;
  Parsed<double> strtod(std::string_view text) const;

  // qsort/bsearch with a C++ comparator (a closure for the duration of the call). An exception
  // thrown by the comparator is rethrown after qsort returns (the array is then unspecified).
  using Compare = std::function<int(const void *, const void *)>;
  void qsort(void *base, std::size_t count, std::size_t size, const Compare &cmp) const;
  const void *bsearch(const void *key, const void *base, std::size_t count, std::size_t size,
                      const Compare &cmp) const;
  template <class T, class F>
  void sort(std::span<T> items, F less) const {
    qsort(items.data(), items.size(), sizeof(T), [&](const void *a, const void *b) {
      const T &x = *static_cast<const T *>(a), &y = *static_cast<const T *>(b);
      return less(x, y) ? -1 : less(y, x) ? 1 : 0;
    });
  }

  // snprintf(buf, n, fmt, args...) called as the variadic function it is.
  std::string format(const char *fmt, std::span<const FormatArg> args) const;
  template <class... A>
  std::string format(const char *fmt, A... args) const {
    const FormatArg list[sizeof...(A) + 1] = {FormatArg(args)...};
    return format(fmt, std::span<const FormatArg>(list, sizeof...(A)));
  }

  std::optional<std::string> getenv(const char *name) const;
  void setenv(const char *name, const char *value, bool overwrite = true) const;
  void unsetenv(const char *name) const;

  std::int64_t time() const;
  TimeSpec clock_gettime(int clock) const;

  // ---- stdlib.h ----
  long a64l(const char *s) const;
  std::string l64a(long v) const;  // copied out of l64a's static buffer
  int abs(int v) const;
  long labs(long v) const;
  long long llabs(long long v) const;
  // Plain conversions without error reporting, as in C (strto* report errors).
  double atof(std::string_view text) const;
  int atoi(std::string_view text) const;
  long atol(std::string_view text) const;
  long long atoll(std::string_view text) const;
  Parsed<float> strtof(std::string_view text) const;
  Parsed<long double> strtold(std::string_view text) const;
  Parsed<unsigned long long> strtoull(std::string_view text, int base = 10) const;

  // C heap memory (free with free()). calloc/realloc throw SystemError (ENOMEM, or EINVAL for a
  // count*size overflow) where C returns NULL; realloc leaves `p` valid then, as C does.
  void *calloc(std::size_t count, std::size_t size) const;
  void *realloc(void *p, std::size_t size) const;
  void free(void *p) const;

  // div_t/ldiv_t/lldiv_t returned by value; the members are read through the declared layout.
  DivResult<int> div(int num, int den) const;
  DivResult<long> ldiv(long num, long den) const;
  DivResult<long long> lldiv(long long num, long long den) const;

  // The 48-bit linear congruential generators: the shared state (drand48, lrand48, mrand48,
  // srand48, seed48, lcong48) and caller-held states (erand48, nrand48, jrand48).
  double drand48() const;
  long lrand48() const;
  long mrand48() const;
  void srand48(long seed) const;
  Xsubi seed48(const Xsubi &seed) const;  // returns the previous state
  void lcong48(const std::array<unsigned short, 7> &param) const;
  double erand48(Xsubi &state) const;
  long nrand48(Xsubi &state) const;
  long jrand48(Xsubi &state) const;

  // random(3) and its state arrays: initstate/setstate return the previous state (a pointer the
  // C library owns or the caller's earlier buffer). initstate throws SystemError (EINVAL) for a
  // buffer under 8 bytes; the buffer must outlive its use as the state.
  long random() const;
  void srandom(unsigned seed) const;
  char *initstate(unsigned seed, std::span<char> state) const;
  char *setstate(char *state) const;
  int rand() const;
  void srand(unsigned seed) const;

  // Floating-point to text. ecvt/fcvt copy out of the C library's static buffer; gcvt writes
  // into a buffer sized for `ndigit` digits.
  Converted ecvt(double v, int ndigit) const;
  Converted fcvt(double v, int ndigit) const;
  std::string gcvt(double v, int ndigit) const;

  // Parses "a,b=1,c" against the tokens (getsubopt(3)); the text is copied first.
  std::vector<SubOption> getsubopt(std::string_view options,
                                   std::span<const char *const> tokens) const;

  // Multibyte characters in the current locale (LC_CTYPE). An invalid sequence throws
  // SystemError (EILSEQ). mblen/mbtowc look at most MB_CUR_MAX bytes of `s`.
  int mblen(std::string_view s) const;
  WideChar mbtowc(std::string_view s) const;
  std::string wctomb(wchar_t wc) const;

  // mkstemp: the template ends in XXXXXX; returns the open file and its name. mkdtemp: the name
  // of the directory made. realpath: the canonical absolute path (the C library allocates it).
  std::pair<Fd, std::string> mkstemp(std::string_view templ) const;
  std::string mkdtemp(std::string_view templ) const;
  std::string realpath(const char *path) const;

  // system(3): the wait status (use WIFEXITED/WEXITSTATUS); throws SystemError when no shell
  // could be started. system(nullptr) answers whether a shell exists (nonzero: yes).
  int system(const char *command) const;

  // Registers `fn` to run at normal process exit (atexit(3)), as a closure that is kept for the
  // rest of the process (it cannot be unregistered; Closure::live_count counts it). An exception
  // thrown by `fn` at exit calls std::terminate, as C frames cannot be unwound through.
  void atexit(std::function<void()> fn) const;
  [[noreturn]] void exit(int status) const;      // runs the atexit handlers
  [[noreturn]] void exit_now(int status) const;  // _Exit: no handlers, no stdio flush
  [[noreturn]] void abort() const;               // SIGABRT

 private:
  std::shared_ptr<Api> api_;
};

// A file descriptor closed on destruction, with read/write through the binding.
class Fd {
 public:
  Fd() = default;
  Fd(const Libc &c, int fd) : api_(c.shared_api()), fd_(fd) {}
  Fd(Fd &&o) noexcept : api_(std::move(o.api_)), fd_(std::exchange(o.fd_, -1)) {}
  Fd &operator=(Fd &&o) noexcept;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept;

  std::size_t write(std::span<const std::byte> data) const;
  std::size_t write(std::string_view s) const;
  // Waits up to `timeout` for data (poll), then reads what is there; "" at end of file.
  // Throws SystemError with ETIMEDOUT when nothing came.
  std::string read_some(std::size_t max, std::chrono::milliseconds timeout) const;
  // Reads until `n` bytes came or the deadline passed (then throws ETIMEDOUT).
  std::string read_exactly(std::size_t n, std::chrono::milliseconds timeout) const;

 protected:
  std::shared_ptr<const Api> api_;
  int fd_ = -1;
};

// ---- regex ----

struct RegexMatch {
  // Whole match first, then each group; nullopt for a group that did not take part.
  std::vector<std::optional<std::pair<std::size_t, std::size_t>>> groups;  // (offset, length)
  std::string_view group(std::string_view text, std::size_t i) const;
};

// A compiled POSIX regular expression (regex_t freed with regfree).
class Regex {
 public:
  // Throws RegexError with regerror's message when the pattern does not compile.
  Regex(const Libc &c, const char *pattern, int flags = kRegExtended);
  Regex(Regex &&) noexcept;
  Regex &operator=(Regex &&) = delete;
  ~Regex();
  std::size_t group_count() const;  // re_nsub
  bool matches(const char *text) const;
  std::optional<RegexMatch> match(const char *text) const;

 private:
  std::shared_ptr<const Api> api_;
  std::unique_ptr<std::max_align_t[]> re_;  // regex_t storage, sized from the declaration
};

// ---- pseudo-terminals and termios ----

// struct termios as declared in libc.cpp, with named accessors.
class Termios {
 public:
  explicit Termios(const Libc &c);
  unsigned iflag() const, oflag() const, cflag() const, lflag() const;
  void set_lflag(unsigned v), set_oflag(unsigned v), set_iflag(unsigned v);
  unsigned char cc(std::size_t i) const;
  void set_cc(std::size_t i, unsigned char v);
  void *data() noexcept { return bytes_.data(); }
  const void *data() const noexcept { return bytes_.data(); }

 private:
  std::shared_ptr<const Api> api_;
  std::vector<std::max_align_t> bytes_;
};

struct Pty {
  Fd master, slave;
  std::string slave_name;
};
// posix_openpt + grantpt + unlockpt + ptsname_r + open(2) (a variadic call).
Pty open_pty(const Libc &c);
// openpty(3) where the C library has it (glibc 2.34+, else libutil).
Pty openpty(const Libc &c);
Termios tcgetattr(const Libc &c, int fd);
void tcsetattr(const Libc &c, int fd, int when, const Termios &t);
void cfmakeraw(const Libc &c, Termios &t);

// ---- threads ----

// A thread created by pthread_create, whose start routine is a jitffi closure running `body`.
// The closure lives until join() (the destructor joins). An exception thrown by the body is
// rethrown from join().
class Thread {
 public:
  Thread(const Libc &c, std::function<void()> body);
  Thread(const Thread &) = delete;
  Thread &operator=(const Thread &) = delete;
  ~Thread();
  void join();
  std::uint64_t id() const noexcept { return tid_; }  // pthread_t

 private:
  struct State;
  std::shared_ptr<const Api> api_;
  std::unique_ptr<State> state_;
  std::uint64_t tid_ = 0;
  bool joined_ = false;
};

std::uint64_t pthread_self(const Libc &c);

class Mutex {
 public:
  explicit Mutex(const Libc &c);
  Mutex(const Mutex &) = delete;
  Mutex &operator=(const Mutex &) = delete;
  ~Mutex();
  void lock();
  void unlock();
  bool try_lock();
  void *native() noexcept { return storage_.get(); }

 private:
  std::shared_ptr<const Api> api_;
  std::unique_ptr<std::max_align_t[]> storage_;
};

class CondVar {
 public:
  explicit CondVar(const Libc &c);
  CondVar(const CondVar &) = delete;
  CondVar &operator=(const CondVar &) = delete;
  ~CondVar();
  void wait(Mutex &m);
  // false on timeout (CLOCK_REALTIME deadline, as pthread_cond_timedwait measures).
  bool wait_for(Mutex &m, std::chrono::milliseconds timeout);
  void signal();
  void broadcast();

 private:
  std::shared_ptr<const Api> api_;
  std::unique_ptr<std::max_align_t[]> storage_;
};

// ---- sockets ----

class Socket : public Fd {
 public:
  Socket() = default;
  Socket(const Libc &c, int fd) : Fd(c, fd) {}
  std::size_t send(std::string_view data) const;
  std::string recv(std::size_t max, std::chrono::milliseconds timeout) const {
    return read_some(max, timeout);
  }
  void shutdown(int how) const;
  std::uint16_t local_port() const;  // getsockname on an AF_INET socket
};

// A TCP socket listening on 127.0.0.1:port (0: an ephemeral port; see local_port()).
Socket listen_loopback(const Libc &c, std::uint16_t port = 0, int backlog = 16);
// Connects to 127.0.0.1:port; a refused connection throws SystemError (ECONNREFUSED).
Socket connect_loopback(const Libc &c, std::uint16_t port);
Socket accept(const Libc &c, const Socket &listener);
std::pair<Socket, Socket> socketpair(const Libc &c, int type = kSockStream);

struct AddrInfo {
  int family = 0, socktype = 0, protocol = 0;
  std::string address;  // numeric, from inet_ntop
  std::uint16_t port = 0;
};
std::vector<AddrInfo> getaddrinfo(const Libc &c, const char *host, const char *service,
                                  int family = 0, int socktype = 0, int flags = 0);

}  // namespace jitffi::bindings::libc
