// libc binding: the C declarations (one place, below) and the C++ layer over them.
#include "jitffi/bindings/libc.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace jitffi::bindings::libc {

namespace {

// glibc's LP64 layouts. The pthread objects are opaque unions whose size differs per target.
#if defined(__aarch64__)
#define JITFFI_PTHREAD_SIZES                                        \
  "typedef union { char size[48]; long align; } pthread_mutex_t;"   \
  "typedef union { char size[8]; int align; } pthread_mutexattr_t;" \
  "typedef union { char size[64]; long align; } pthread_attr_t;"    \
  "typedef union { char size[8]; int align; } pthread_condattr_t;"
#else
#define JITFFI_PTHREAD_SIZES                                        \
  "typedef union { char size[40]; long align; } pthread_mutex_t;"   \
  "typedef union { char size[4]; int align; } pthread_mutexattr_t;" \
  "typedef union { char size[56]; long align; } pthread_attr_t;"    \
  "typedef union { char size[4]; int align; } pthread_condattr_t;"
#endif

constexpr std::string_view kDeclarations = R"(
  typedef long time_t;
  typedef int clockid_t;
  typedef unsigned long nfds_t;
  struct timespec { time_t tv_sec; long tv_nsec; };
  typedef int (*compare_fn)(const void *, const void *);

  typedef int regoff_t;
  typedef struct { regoff_t rm_so; regoff_t rm_eo; } regmatch_t;
  typedef struct re_pattern_buffer {
    void *buffer; unsigned long allocated; unsigned long used; unsigned long syntax;
    char *fastmap; unsigned char *translate; unsigned long re_nsub;
    unsigned int flags;  /* can_be_null .. newline_anchor: eight bit-fields */
  } regex_t;

  typedef unsigned char cc_t;
  typedef unsigned int speed_t;
  typedef unsigned int tcflag_t;
  struct termios {
    tcflag_t c_iflag; tcflag_t c_oflag; tcflag_t c_cflag; tcflag_t c_lflag;
    cc_t c_line; cc_t c_cc[32]; speed_t c_ispeed; speed_t c_ospeed;
  };
  struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; };
  struct pollfd { int fd; short events; short revents; };

  typedef unsigned long pthread_t;
  typedef union { char size[48]; long long align; } pthread_cond_t;
  typedef void *(*start_routine)(void *);

  typedef unsigned int socklen_t;
  typedef unsigned short sa_family_t;
  typedef unsigned short in_port_t;
  struct sockaddr { sa_family_t sa_family; char sa_data[14]; };
  struct in_addr { unsigned int s_addr; };
  struct sockaddr_in {
    sa_family_t sin_family; in_port_t sin_port; struct in_addr sin_addr;
    unsigned char sin_zero[8];
  };
  struct sockaddr_in6 {
    sa_family_t sin6_family; in_port_t sin6_port; unsigned int sin6_flowinfo;
    unsigned char sin6_addr[16]; unsigned int sin6_scope_id;
  };
  struct sockaddr_storage { sa_family_t ss_family; char ss_padding[118]; unsigned long ss_align; };
  struct addrinfo {
    int ai_flags; int ai_family; int ai_socktype; int ai_protocol; socklen_t ai_addrlen;
    struct sockaddr *ai_addr; char *ai_canonname; struct addrinfo *ai_next;
  };

  typedef struct { int quot; int rem; } div_t;
  typedef struct { long quot; long rem; } ldiv_t;
  typedef struct { long long quot; long long rem; } lldiv_t;
  typedef void (*atexit_fn)(void *);
)" JITFFI_PTHREAD_SIZES;

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::strlen, "size_t strlen(const char *s)"},
    {&Api::strcmp, "int strcmp(const char *a, const char *b)"},
    {&Api::strncmp, "int strncmp(const char *a, const char *b, size_t n)"},
    {&Api::strchr, "char *strchr(const char *s, int c)"},
    {&Api::strstr, "char *strstr(const char *hay, const char *needle)"},
    {&Api::memcpy, "void *memcpy(void *dst, const void *src, size_t n)"},
    {&Api::memmove, "void *memmove(void *dst, const void *src, size_t n)"},
    {&Api::memset, "void *memset(void *dst, int c, size_t n)"},
    {&Api::memcmp, "int memcmp(const void *a, const void *b, size_t n)"},
    {&Api::memchr, "void *memchr(const void *s, int c, size_t n)"},
    {&Api::malloc, "void *malloc(size_t n)"},
    {&Api::free, "void free(void *p)"},
    {&Api::strerror_r, "char *strerror_r(int code, char *buf, size_t n)"},  // the GNU variant
    {&Api::strtol, "long strtol(const char *s, char **end, int base)", kErrno},
    {&Api::strtoll, "long long strtoll(const char *s, char **end, int base)", kErrno},
    {&Api::strtoul, "unsigned long strtoul(const char *s, char **end, int base)", kErrno},
    {&Api::strtod, "double strtod(const char *s, char **end)", kErrno},
    {&Api::qsort, "void qsort(void *base, size_t n, size_t size, compare_fn cmp)"},
    {&Api::bsearch,
     "void *bsearch(const void *key, const void *base, size_t n, size_t size, compare_fn cmp)"},
    {&Api::snprintf, "int snprintf(char *buf, size_t n, const char *fmt, ...)", kErrno},
    {&Api::getenv, "char *getenv(const char *name)"},
    {&Api::setenv, "int setenv(const char *name, const char *value, int overwrite)", kErrno},
    {&Api::unsetenv, "int unsetenv(const char *name)", kErrno},
    {&Api::time, "time_t time(time_t *t)"},
    {&Api::clock_gettime, "int clock_gettime(clockid_t clock, struct timespec *ts)", kErrno},
    {&Api::regcomp, "int regcomp(regex_t *re, const char *pattern, int flags)"},
    {&Api::regexec,
     "int regexec(const regex_t *re, const char *s, size_t n, regmatch_t *m, int flags)"},
    {&Api::regerror, "size_t regerror(int code, const regex_t *re, char *buf, size_t n)"},
    {&Api::regfree, "void regfree(regex_t *re)"},
    {&Api::posix_openpt, "int posix_openpt(int flags)", kErrno},
    {&Api::grantpt, "int grantpt(int fd)", kErrno},
    {&Api::unlockpt, "int unlockpt(int fd)", kErrno},
    {&Api::ptsname_r, "int ptsname_r(int fd, char *buf, size_t n)"},
    {&Api::openpty,
     "int openpty(int *master, int *slave, char *name, const struct termios *t, "
     "const struct winsize *w)",
     kOptional | kErrno},  // in libc since glibc 2.34, in libutil before
    {&Api::open, "int open(const char *path, int flags, ...)", kErrno},
    {&Api::close, "int close(int fd)", kErrno},
    {&Api::read, "ssize_t read(int fd, void *buf, size_t n)", kErrno},
    {&Api::write, "ssize_t write(int fd, const void *buf, size_t n)", kErrno},
    {&Api::poll, "int poll(struct pollfd *fds, nfds_t n, int timeout)", kErrno},
    {&Api::tcgetattr, "int tcgetattr(int fd, struct termios *t)", kErrno},
    {&Api::tcsetattr, "int tcsetattr(int fd, int when, const struct termios *t)", kErrno},
    {&Api::cfmakeraw, "void cfmakeraw(struct termios *t)"},
    {&Api::cfgetospeed, "speed_t cfgetospeed(const struct termios *t)"},
    {&Api::cfsetospeed, "int cfsetospeed(struct termios *t, speed_t s)", kErrno},
    {&Api::cfsetispeed, "int cfsetispeed(struct termios *t, speed_t s)", kErrno},
    {&Api::pthread_create,
     "int pthread_create(pthread_t *t, const pthread_attr_t *attr, start_routine fn, void *arg)"},
    {&Api::pthread_join, "int pthread_join(pthread_t t, void **result)"},
    {&Api::pthread_self, "pthread_t pthread_self(void)"},
    {&Api::pthread_equal, "int pthread_equal(pthread_t a, pthread_t b)"},
    {&Api::mutex_init,
     "int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)"},
    {&Api::mutex_destroy, "int pthread_mutex_destroy(pthread_mutex_t *m)"},
    {&Api::mutex_lock, "int pthread_mutex_lock(pthread_mutex_t *m)"},
    {&Api::mutex_unlock, "int pthread_mutex_unlock(pthread_mutex_t *m)"},
    {&Api::mutex_trylock, "int pthread_mutex_trylock(pthread_mutex_t *m)"},
    {&Api::cond_init, "int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)"},
    {&Api::cond_destroy, "int pthread_cond_destroy(pthread_cond_t *c)"},
    {&Api::cond_wait, "int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)"},
    {&Api::cond_timedwait,
     "int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, "
     "const struct timespec *deadline)"},
    {&Api::cond_signal, "int pthread_cond_signal(pthread_cond_t *c)"},
    {&Api::cond_broadcast, "int pthread_cond_broadcast(pthread_cond_t *c)"},
    {&Api::socket, "int socket(int domain, int type, int protocol)", kErrno},
    {&Api::bind, "int bind(int fd, const struct sockaddr *addr, socklen_t len)", kErrno},
    {&Api::listen, "int listen(int fd, int backlog)", kErrno},
    {&Api::accept, "int accept(int fd, struct sockaddr *addr, socklen_t *len)", kErrno},
    {&Api::connect, "int connect(int fd, const struct sockaddr *addr, socklen_t len)", kErrno},
    {&Api::send, "ssize_t send(int fd, const void *buf, size_t n, int flags)", kErrno},
    {&Api::recv, "ssize_t recv(int fd, void *buf, size_t n, int flags)", kErrno},
    {&Api::shutdown, "int shutdown(int fd, int how)", kErrno},
    {&Api::getsockname, "int getsockname(int fd, struct sockaddr *addr, socklen_t *len)", kErrno},
    {&Api::setsockopt,
     "int setsockopt(int fd, int level, int name, const void *value, socklen_t len)", kErrno},
    {&Api::socketpair, "int socketpair(int domain, int type, int protocol, int *fds)", kErrno},
    {&Api::getaddrinfo,
     "int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, "
     "struct addrinfo **res)",
     kErrno},
    {&Api::freeaddrinfo, "void freeaddrinfo(struct addrinfo *res)"},
    {&Api::gai_strerror, "const char *gai_strerror(int code)"},
    {&Api::inet_pton, "int inet_pton(int family, const char *src, void *dst)"},
    {&Api::inet_ntop, "const char *inet_ntop(int family, const void *src, char *dst, socklen_t n)"},
    {&Api::htons, "in_port_t htons(in_port_t v)"},
    {&Api::ntohs, "in_port_t ntohs(in_port_t v)"},
    // stdlib.h. The man pages' array parameters (unsigned short xsubi[3]) are written as the
    // pointers they decay to.
    {&Api::a64l, "long a64l(const char *s)"},
    {&Api::l64a, "char *l64a(long v)"},
    {&Api::abort, "void abort(void)"},
    {&Api::abs, "int abs(int v)"},
    {&Api::labs, "long labs(long v)"},
    {&Api::llabs, "long long llabs(long long v)"},
    // atexit itself is in libc_nonshared.a, not in libc.so.6: it is __cxa_atexit(fn, NULL, NULL)
    // with the handler's argument unused (exit runs these with the atexit ones, in one list).
    {&Api::atexit, "int __cxa_atexit(atexit_fn fn, void *arg, void *dso)"},
    {&Api::atof, "double atof(const char *s)"},
    {&Api::atoi, "int atoi(const char *s)"},
    {&Api::atol, "long atol(const char *s)"},
    {&Api::atoll, "long long atoll(const char *s)"},
    {&Api::calloc, "void *calloc(size_t count, size_t size)", kErrno},
    {&Api::realloc, "void *realloc(void *p, size_t size)", kErrno},
    {&Api::div, "div_t div(int num, int den)"},
    {&Api::ldiv, "ldiv_t ldiv(long num, long den)"},
    {&Api::lldiv, "lldiv_t lldiv(long long num, long long den)"},
    {&Api::drand48, "double drand48(void)"},
    {&Api::erand48, "double erand48(unsigned short *xsubi)"},
    {&Api::srand48, "void srand48(long seed)"},
    {&Api::lrand48, "long lrand48(void)"},
    {&Api::nrand48, "long nrand48(unsigned short *xsubi)"},
    {&Api::mrand48, "long mrand48(void)"},
    {&Api::jrand48, "long jrand48(unsigned short *xsubi)"},
    {&Api::seed48, "unsigned short *seed48(unsigned short *seed)"},
    {&Api::lcong48, "void lcong48(unsigned short *param)"},
    {&Api::ecvt, "char *ecvt(double v, int ndigit, int *decpt, int *sign)"},
    {&Api::fcvt, "char *fcvt(double v, int ndigit, int *decpt, int *sign)"},
    {&Api::gcvt, "char *gcvt(double v, int ndigit, char *buf)"},
    {&Api::exit, "void exit(int status)"},
    {&Api::exit_now, "void _Exit(int status)"},
    {&Api::getsubopt, "int getsubopt(char **options, char *const *tokens, char **value)"},
    {&Api::initstate, "char *initstate(unsigned int seed, char *state, size_t n)", kErrno},
    {&Api::setstate, "char *setstate(char *state)", kErrno},
    {&Api::random, "long random(void)"},
    {&Api::srandom, "void srandom(unsigned int seed)"},
    {&Api::rand, "int rand(void)"},
    {&Api::srand, "void srand(unsigned int seed)"},
    {&Api::mblen, "int mblen(const char *s, size_t n)", kErrno},
    {&Api::mbtowc, "int mbtowc(wchar_t *wc, const char *s, size_t n)", kErrno},
    {&Api::wctomb, "int wctomb(char *s, wchar_t wc)", kErrno},
    {&Api::mkstemp, "int mkstemp(char *templ)", kErrno},
    {&Api::mkdtemp, "char *mkdtemp(char *templ)", kErrno},
    {&Api::realpath, "char *realpath(const char *path, char *resolved)", kErrno},
    {&Api::system, "int system(const char *command)", kErrno},
    {&Api::strtof, "float strtof(const char *s, char **end)", kErrno},
    {&Api::strtold, "long double strtold(const char *s, char **end)", kErrno},
    {&Api::strtoull, "unsigned long long strtoull(const char *s, char **end, int base)", kErrno},
};

const LibraryLocation kLocation{"libc", "JITFFI_LIBC_PATH", {"libc.so.6", "c"}};

constexpr short kPollIn = 0x1;
constexpr int kEtimedout = 110;

// Zeroed storage with the size and alignment of a declared struct.
std::unique_ptr<std::max_align_t[]> storage_for(const StructLayout &l) {
  return zeroed_storage(l.size());
}

std::string strerror_of(const Api &a, int code) {
  char buf[256] = {0};
  char *b = buf;
  auto msg = a.strerror_r.invoke<const char *>(code, b, sizeof buf);
  return msg ? msg : "";
}

[[noreturn]] void fail_errno(const Api &a, std::string call) {
  int code = saved_errno();
  throw SystemError(code, strerror_of(a, code), std::move(call));
}

// pthread functions return the error number instead of setting errno.
void check_pthread(const Api &a, int rc, const char *call) {
  if (rc != 0) throw SystemError(rc, strerror_of(a, rc), call);
}

}  // namespace

// ---- errors ----

SystemError::SystemError(int code, std::string message, std::string call)
    : jitffi::Error(call + ": " + message + " (errno " + std::to_string(code) + ")"),
      code_(code),
      message_(std::move(message)) {}

RegexError::RegexError(int code, std::string message, std::string pattern)
    : jitffi::Error("regex \"" + pattern + "\": " + message + " (code " + std::to_string(code) +
                    ")"),
      code_(code),
      message_(std::move(message)) {}

AddrInfoError::AddrInfoError(int code, std::string message, std::string what)
    : jitffi::Error("getaddrinfo(" + what + "): " + message + " (code " + std::to_string(code) +
                    ")"),
      code_(code),
      message_(std::move(message)) {}

Function Api::variadic(const Function &fn, std::vector<TypeRef> varargs) const {
  return variadic_.get(fn, std::move(varargs));
}

// ---- Libc ----

Libc::Libc(std::string_view path) : api_(std::make_shared<Api>()) {
  Api &a = *api_;
  a.lib = open_library(kLocation, path);
  Scope &scope = a.lib.scope();
  scope.declare(kDeclarations);
  resolve_functions<Api>(a.lib, a, kFunctions, "libc");
  a.compare_fn = scope.signature("int compare(const void *a, const void *b)");
  a.start_routine = scope.signature("void *start_routine(void *arg)");
  a.atexit_fn = scope.signature("void atexit_fn(void *arg)");
  a.div_t = StructLayout(scope.type("div_t"));
  a.ldiv_t = StructLayout(scope.type("ldiv_t"));
  a.lldiv_t = StructLayout(scope.type("lldiv_t"));
  a.timespec = StructLayout(scope.type("struct timespec"));
  a.regex_t = StructLayout(scope.type("regex_t"));
  a.regmatch_t = StructLayout(scope.type("regmatch_t"));
  a.termios = StructLayout(scope.type("struct termios"));
  a.pollfd = StructLayout(scope.type("struct pollfd"));
  a.sockaddr_in = StructLayout(scope.type("struct sockaddr_in"));
  a.sockaddr_in6 = StructLayout(scope.type("struct sockaddr_in6"));
  a.sockaddr_storage = StructLayout(scope.type("struct sockaddr_storage"));
  a.addrinfo = StructLayout(scope.type("struct addrinfo"));
  a.pthread_mutex_t = StructLayout(scope.type("pthread_mutex_t"));
  a.pthread_cond_t = StructLayout(scope.type("pthread_cond_t"));
}

std::size_t Libc::strlen(const char *s) const {
  return api_->strlen.invoke<std::size_t>(s);
}

int Libc::strcmp(const char *a, const char *b) const {
  return api_->strcmp.invoke<int>(a, b);
}

int Libc::strncmp(const char *a, const char *b, std::size_t n) const {
  return api_->strncmp.invoke<int>(a, b, n);
}

std::optional<std::size_t> Libc::strchr(const char *s, int c) const {
  auto p = api_->strchr.invoke<const char *>(s, c);
  if (!p) return std::nullopt;
  return static_cast<std::size_t>(p - s);
}

std::optional<std::size_t> Libc::strstr(const char *hay, const char *needle) const {
  auto p = api_->strstr.invoke<const char *>(hay, needle);
  if (!p) return std::nullopt;
  return static_cast<std::size_t>(p - hay);
}

void Libc::memcpy(std::span<std::byte> dst, std::span<const std::byte> src) const {
  if (dst.size() != src.size())
    throw BindingError("memcpy: destination has " + std::to_string(dst.size()) + " bytes, source " +
                       std::to_string(src.size()));
  api_->memcpy.invoke<void *>(static_cast<void *>(dst.data()),
                              static_cast<const void *>(src.data()), src.size());
}

void Libc::memmove(void *dst, const void *src, std::size_t n) const {
  api_->memmove.invoke<void *>(dst, src, n);
}

void Libc::memset(std::span<std::byte> dst, int value) const {
  api_->memset.invoke<void *>(static_cast<void *>(dst.data()), value, dst.size());
}

int Libc::memcmp(std::span<const std::byte> a, std::span<const std::byte> b) const {
  if (a.size() != b.size())
    throw BindingError("memcmp: sizes differ (" + std::to_string(a.size()) + " and " +
                       std::to_string(b.size()) + ")");
  return api_->memcmp.invoke<int>(static_cast<const void *>(a.data()),
                                  static_cast<const void *>(b.data()), a.size());
}

std::optional<std::size_t> Libc::memchr(std::span<const std::byte> s, int c) const {
  auto p = api_->memchr.invoke<const std::byte *>(static_cast<const void *>(s.data()), c, s.size());
  if (!p) return std::nullopt;
  return static_cast<std::size_t>(p - s.data());
}

std::string Libc::strerror(int code) const {
  return strerror_of(*api_, code);
}

namespace {

template <class T>
Parsed<T> parse_number(const Function &fn, std::string_view text, const int *base) {
  std::string s(text);
  const char *begin = s.c_str();
  char *end = nullptr;
  char **endp = &end;
  Parsed<T> r;
  set_saved_errno(0);  // strto* only set errno on failure
  if (base)
    r.value = fn.invoke<T>(begin, endp, *base);
  else
    r.value = fn.invoke<T>(begin, endp);
  r.error = saved_errno();
  r.consumed = end ? static_cast<std::size_t>(end - begin) : 0;
  return r;
}

}  // namespace

Parsed<long> Libc::strtol(std::string_view text, int base) const {
  return parse_number<long>(api_->strtol, text, &base);
}

Parsed<long long> Libc::strtoll(std::string_view text, int base) const {
  return parse_number<long long>(api_->strtoll, text, &base);
}

Parsed<unsigned long> Libc::strtoul(std::string_view text, int base) const {
  return parse_number<unsigned long>(api_->strtoul, text, &base);
}

Parsed<double> Libc::strtod(std::string_view text) const {
  return parse_number<double>(api_->strtod, text, nullptr);
}

void Libc::qsort(void *base, std::size_t count, std::size_t size, const Compare &cmp) const {
  CallbackError error;
  // The comparator closure lives for this call: qsort does not keep it.
  Closure closure(api_->compare_fn, [&](void *ret, void **args) {
    int r = 0;
    if (!error.failed())  // after a failure the order no longer matters: finish quickly
      error.guard([&] { r = cmp(arg<const void *>(args, 0), arg<const void *>(args, 1)); });
    *static_cast<int *>(ret) = r;
  });
  api_->qsort.invoke<void>(base, count, size, closure.code());
  error.rethrow_if_failed();
}

const void *Libc::bsearch(const void *key, const void *base, std::size_t count, std::size_t size,
                          const Compare &cmp) const {
  CallbackError error;
  Closure closure(api_->compare_fn, [&](void *ret, void **args) {
    int r = 0;
    if (!error.failed())
      error.guard([&] { r = cmp(arg<const void *>(args, 0), arg<const void *>(args, 1)); });
    *static_cast<int *>(ret) = r;
  });
  auto found = api_->bsearch.invoke<const void *>(key, base, count, size, closure.code());
  error.rethrow_if_failed();
  return found;
}

std::string Libc::format(const char *fmt, std::span<const FormatArg> args) const {
  // The variadic part's types are the promoted C types of the arguments given.
  std::vector<FormatArg> values(args.begin(), args.end());
  std::vector<void *> boxed(3 + values.size());
  std::vector<TypeRef> types = box_varargs(values, boxed, 3);
  Function fn = api_->variadic(api_->snprintf, std::move(types));
  std::size_t n = 0;
  char *buf = nullptr;
  boxed[0] = &buf;
  boxed[1] = &n;
  boxed[2] = &fmt;
  std::int64_t ret = 0;         // the int result, widened
  fn.call(&ret, boxed.data());  // measure: snprintf(NULL, 0, ...)
  int need = static_cast<int>(ret);
  if (need < 0) fail_errno(*api_, std::string("snprintf(\"") + fmt + "\")");
  std::string out(static_cast<std::size_t>(need) + 1, '\0');
  buf = out.data();
  n = out.size();
  fn.call(&ret, boxed.data());
  out.resize(static_cast<std::size_t>(need));
  return out;
}

std::optional<std::string> Libc::getenv(const char *name) const {
  auto v = api_->getenv.invoke<const char *>(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

void Libc::setenv(const char *name, const char *value, bool overwrite) const {
  if (api_->setenv.invoke<int>(name, value, overwrite ? 1 : 0) != 0)
    fail_errno(*api_, std::string("setenv(\"") + name + "\")");
}

void Libc::unsetenv(const char *name) const {
  if (api_->unsetenv.invoke<int>(name) != 0)
    fail_errno(*api_, std::string("unsetenv(\"") + name + "\")");
}

std::int64_t Libc::time() const {
  return api_->time.invoke<std::int64_t>(static_cast<std::int64_t *>(nullptr));
}

TimeSpec Libc::clock_gettime(int clock) const {
  auto ts = storage_for(api_->timespec);
  void *p = ts.get();
  if (api_->clock_gettime.invoke<int>(clock, p) != 0)
    fail_errno(*api_, "clock_gettime(" + std::to_string(clock) + ")");
  return {api_->timespec.get<std::int64_t>(p, "tv_sec"), api_->timespec.get<long>(p, "tv_nsec")};
}

// ---- stdlib.h ----

long Libc::a64l(const char *s) const {
  return api_->a64l.invoke<long>(s);
}

std::string Libc::l64a(long v) const {
  auto p = api_->l64a.invoke<const char *>(v);
  return p ? std::string(p) : std::string();
}

int Libc::abs(int v) const {
  return api_->abs.invoke<int>(v);
}

long Libc::labs(long v) const {
  return api_->labs.invoke<long>(v);
}

long long Libc::llabs(long long v) const {
  return api_->llabs.invoke<long long>(v);
}

double Libc::atof(std::string_view text) const {
  std::string s(text);
  return api_->atof.invoke<double>(static_cast<const char *>(s.c_str()));
}

int Libc::atoi(std::string_view text) const {
  std::string s(text);
  return api_->atoi.invoke<int>(static_cast<const char *>(s.c_str()));
}

long Libc::atol(std::string_view text) const {
  std::string s(text);
  return api_->atol.invoke<long>(static_cast<const char *>(s.c_str()));
}

long long Libc::atoll(std::string_view text) const {
  std::string s(text);
  return api_->atoll.invoke<long long>(static_cast<const char *>(s.c_str()));
}

Parsed<float> Libc::strtof(std::string_view text) const {
  return parse_number<float>(api_->strtof, text, nullptr);
}

Parsed<long double> Libc::strtold(std::string_view text) const {
  return parse_number<long double>(api_->strtold, text, nullptr);
}

Parsed<unsigned long long> Libc::strtoull(std::string_view text, int base) const {
  return parse_number<unsigned long long>(api_->strtoull, text, &base);
}

void *Libc::calloc(std::size_t count, std::size_t size) const {
  void *p = api_->calloc.invoke<void *>(count, size);
  if (!p && count && size)
    fail_errno(*api_, "calloc(" + std::to_string(count) + ", " + std::to_string(size) + ")");
  return p;
}

void *Libc::realloc(void *p, std::size_t size) const {
  void *q = api_->realloc.invoke<void *>(p, size);
  if (!q && size) fail_errno(*api_, "realloc(" + std::to_string(size) + ")");
  return q;
}

void Libc::free(void *p) const {
  api_->free.invoke<void>(p);
}

namespace {

// Calls a div-like function and reads quot/rem from the returned struct through its layout.
template <class T>
DivResult<T> call_div(const Function &fn, const StructLayout &layout, T num, T den,
                      const char *name) {
  if (den == 0) throw BindingError(std::string(name) + ": division by zero");
  std::vector<unsigned char> ret(std::max<std::size_t>(fn.return_size(), layout.size()));
  void *args[] = {&num, &den};
  fn.call(ret.data(), args);
  return {layout.get<T>(ret.data(), "quot"), layout.get<T>(ret.data(), "rem")};
}

}  // namespace

DivResult<int> Libc::div(int num, int den) const {
  return call_div<int>(api_->div, api_->div_t, num, den, "div");
}

DivResult<long> Libc::ldiv(long num, long den) const {
  return call_div<long>(api_->ldiv, api_->ldiv_t, num, den, "ldiv");
}

DivResult<long long> Libc::lldiv(long long num, long long den) const {
  return call_div<long long>(api_->lldiv, api_->lldiv_t, num, den, "lldiv");
}

double Libc::drand48() const {
  return api_->drand48.invoke<double>();
}

long Libc::lrand48() const {
  return api_->lrand48.invoke<long>();
}

long Libc::mrand48() const {
  return api_->mrand48.invoke<long>();
}

void Libc::srand48(long seed) const {
  api_->srand48.invoke<void>(seed);
}

Xsubi Libc::seed48(const Xsubi &seed) const {
  Xsubi in = seed;  // seed48 takes a non-const pointer
  unsigned short *p = in.data();
  auto prev = api_->seed48.invoke<const unsigned short *>(p);
  return {prev[0], prev[1], prev[2]};  // the C library's static buffer, copied out
}

void Libc::lcong48(const std::array<unsigned short, 7> &param) const {
  std::array<unsigned short, 7> in = param;
  unsigned short *p = in.data();
  api_->lcong48.invoke<void>(p);
}

double Libc::erand48(Xsubi &state) const {
  unsigned short *p = state.data();
  return api_->erand48.invoke<double>(p);
}

long Libc::nrand48(Xsubi &state) const {
  unsigned short *p = state.data();
  return api_->nrand48.invoke<long>(p);
}

long Libc::jrand48(Xsubi &state) const {
  unsigned short *p = state.data();
  return api_->jrand48.invoke<long>(p);
}

long Libc::random() const {
  return api_->random.invoke<long>();
}

void Libc::srandom(unsigned seed) const {
  api_->srandom.invoke<void>(seed);
}

char *Libc::initstate(unsigned seed, std::span<char> state) const {
  char *buf = state.data();
  set_saved_errno(0);
  char *prev = api_->initstate.invoke<char *>(seed, buf, state.size());
  if (!prev && saved_errno() != 0)
    fail_errno(*api_, "initstate(" + std::to_string(state.size()) + " bytes)");
  return prev;
}

char *Libc::setstate(char *state) const {
  set_saved_errno(0);
  char *prev = api_->setstate.invoke<char *>(state);
  if (!prev && saved_errno() != 0) fail_errno(*api_, "setstate");
  return prev;
}

int Libc::rand() const {
  return api_->rand.invoke<int>();
}

void Libc::srand(unsigned seed) const {
  api_->srand.invoke<void>(seed);
}

namespace {

Converted convert(const Function &fn, double v, int ndigit) {
  int decpt = 0, sign = 0;
  int *dp = &decpt, *sp = &sign;
  auto p = fn.invoke<const char *>(v, ndigit, dp, sp);
  return {p ? std::string(p) : std::string(), decpt, sign != 0};
}

}  // namespace

Converted Libc::ecvt(double v, int ndigit) const {
  return convert(api_->ecvt, v, ndigit);
}

Converted Libc::fcvt(double v, int ndigit) const {
  return convert(api_->fcvt, v, ndigit);
}

std::string Libc::gcvt(double v, int ndigit) const {
  if (ndigit < 0 || ndigit > 1000) throw BindingError("gcvt: ndigit " + std::to_string(ndigit));
  // Digits, sign, point, "e+308" and the NUL.
  std::string buf(static_cast<std::size_t>(ndigit) + 16, '\0');
  char *b = buf.data();
  api_->gcvt.invoke<char *>(v, ndigit, b);
  buf.resize(std::char_traits<char>::length(buf.data()));
  return buf;
}

std::vector<SubOption> Libc::getsubopt(std::string_view options,
                                       std::span<const char *const> tokens) const {
  std::string text(options);
  std::vector<const char *> list(tokens.begin(), tokens.end());
  list.push_back(nullptr);  // getsubopt's token list ends with NULL
  char *cursor = text.data();
  char **cp = &cursor;
  const char *const *tp = list.data();
  std::vector<SubOption> out;
  while (*cursor != '\0') {
    const char *start = cursor;
    char *value = nullptr;
    char **vp = &value;
    SubOption o;
    o.index = api_->getsubopt.invoke<int>(cp, tp, vp);
    if (o.index >= 0) {
      o.name = tokens[static_cast<std::size_t>(o.index)];
      if (value) o.value = std::string(value);
    } else {
      o.name = value ? value : start;  // glibc points value at the unknown suboption
    }
    out.push_back(std::move(o));
  }
  return out;
}

int Libc::mblen(std::string_view s) const {
  const char *p = s.data();
  int n = api_->mblen.invoke<int>(p, s.size());
  if (n < 0) fail_errno(*api_, "mblen");
  return n;
}

WideChar Libc::mbtowc(std::string_view s) const {
  wchar_t wc = 0;
  wchar_t *wp = &wc;
  const char *p = s.data();
  int n = api_->mbtowc.invoke<int>(wp, p, s.size());
  if (n < 0) fail_errno(*api_, "mbtowc");
  return {wc, n};
}

std::string Libc::wctomb(wchar_t wc) const {
  char buf[16] = {0};  // at least MB_LEN_MAX
  char *b = buf;
  int n = api_->wctomb.invoke<int>(b, wc);
  if (n < 0) fail_errno(*api_, "wctomb(" + std::to_string(wc) + ")");
  return std::string(buf, static_cast<std::size_t>(n));
}

std::pair<Fd, std::string> Libc::mkstemp(std::string_view templ) const {
  std::string name(templ);
  char *p = name.data();
  int fd = api_->mkstemp.invoke<int>(p);
  if (fd < 0) fail_errno(*api_, "mkstemp(\"" + name + "\")");
  return {Fd(*this, fd), name};
}

std::string Libc::mkdtemp(std::string_view templ) const {
  std::string name(templ);
  char *p = name.data();
  if (!api_->mkdtemp.invoke<char *>(p)) fail_errno(*api_, "mkdtemp(\"" + name + "\")");
  return name;
}

std::string Libc::realpath(const char *path) const {
  // Into our buffer (PATH_MAX on Linux), not realpath's malloc: that malloc may be another
  // allocator's than the free this binding resolves from libc.so.6 (ASan interposes malloc).
  std::string out(4096, '\0');
  char *buf = out.data();
  if (!api_->realpath.invoke<char *>(path, buf))
    fail_errno(*api_, std::string("realpath(\"") + path + "\")");
  out.resize(std::char_traits<char>::length(out.data()));
  return out;
}

int Libc::system(const char *command) const {
  int status = api_->system.invoke<int>(command);
  if (status == -1 && command) fail_errno(*api_, std::string("system(\"") + command + "\")");
  return status;
}

void Libc::atexit(std::function<void()> fn) const {
  // Kept until the process ends: the C library may call the closure in exit() at any later time.
  static std::mutex lock;
  static auto *kept = new std::vector<std::unique_ptr<Closure>>();
  auto body = std::make_shared<std::function<void()>>(std::move(fn));
  auto closure = std::make_unique<Closure>(api_->atexit_fn, [body](void *, void **) noexcept {
    (*body)();  // noexcept: an exception at exit terminates (no C frame can be unwound)
  });
  void *code = closure->code();
  std::lock_guard<std::mutex> g(lock);
  void *none = nullptr;
  if (api_->atexit.invoke<int>(code, none, none) != 0)
    throw BindingError("atexit: registration failed");
  kept->push_back(std::move(closure));
}

void Libc::exit(int status) const {
  api_->exit.invoke<void>(status);
  std::abort();  // exit does not return
}

void Libc::exit_now(int status) const {
  api_->exit_now.invoke<void>(status);
  std::abort();
}

void Libc::abort() const {
  api_->abort.invoke<void>();
  std::abort();
}

// ---- Fd ----

Fd &Fd::operator=(Fd &&o) noexcept {
  if (this != &o) {
    reset();
    api_ = std::move(o.api_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void Fd::reset() noexcept {
  if (fd_ >= 0 && api_) api_->close.invoke<int>(fd_);
  fd_ = -1;
}

std::size_t Fd::write(std::span<const std::byte> data) const {
  std::size_t done = 0;
  while (done < data.size()) {
    const void *p = data.data() + done;
    auto n = api_->write.invoke<long>(fd_, p, data.size() - done);
    if (n < 0) {
      if (saved_errno() == EINTR) continue;
      fail_errno(*api_, "write(fd " + std::to_string(fd_) + ")");
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

std::size_t Fd::write(std::string_view s) const {
  return write(std::as_bytes(std::span<const char>(s.data(), s.size())));
}

std::string Fd::read_some(std::size_t max, std::chrono::milliseconds timeout) const {
  const Api &a = *api_;
  auto pfd = storage_for(a.pollfd);
  void *p = pfd.get();
  a.pollfd.set<int>(p, "fd", fd_);
  a.pollfd.set<short>(p, "events", kPollIn);
  int ready = 0;
  do {
    ready = a.poll.invoke<int>(p, 1UL, static_cast<int>(timeout.count()));
  } while (ready < 0 && saved_errno() == EINTR);
  if (ready < 0) fail_errno(a, "poll(fd " + std::to_string(fd_) + ")");
  if (ready == 0)
    throw SystemError(
        kEtimedout, strerror_of(a, kEtimedout),
        "read(fd " + std::to_string(fd_) + ") after " + std::to_string(timeout.count()) + " ms");
  std::string out(max, '\0');
  void *buf = out.data();
  long n;
  do {
    n = a.read.invoke<long>(fd_, buf, max);
  } while (n < 0 && saved_errno() == EINTR);
  if (n < 0) fail_errno(a, "read(fd " + std::to_string(fd_) + ")");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Fd::read_exactly(std::size_t n, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    std::string part = read_some(n - out.size(), left);
    if (part.empty())
      throw SystemError(
          0,
          "end of file after " + std::to_string(out.size()) + " of " + std::to_string(n) + " bytes",
          "read(fd " + std::to_string(fd_) + ")");
    out += part;
  }
  return out;
}

// ---- regex ----

std::string_view RegexMatch::group(std::string_view text, std::size_t i) const {
  if (i >= groups.size() || !groups[i]) return {};
  return text.substr(groups[i]->first, groups[i]->second);
}

Regex::Regex(const Libc &c, const char *pattern, int flags)
    : api_(c.shared_api()), re_(storage_for(api_->regex_t)) {
  void *re = re_.get();
  int rc = api_->regcomp.invoke<int>(re, pattern, flags);
  if (rc != 0) {
    char msg[256] = {0};
    char *m = msg;
    api_->regerror.invoke<std::size_t>(rc, re, m, sizeof msg);
    re_.reset();  // regcomp frees what it allocated when it fails
    throw RegexError(rc, msg, pattern);
  }
}

Regex::Regex(Regex &&o) noexcept : api_(std::move(o.api_)), re_(std::move(o.re_)) {}

Regex::~Regex() {
  if (re_) api_->regfree.invoke<void>(static_cast<void *>(re_.get()));
}

std::size_t Regex::group_count() const {
  return api_->regex_t.get<unsigned long>(re_.get(), "re_nsub");
}

bool Regex::matches(const char *text) const {
  void *re = re_.get();
  int rc = api_->regexec.invoke<int>(re, text, std::size_t{0}, static_cast<void *>(nullptr), 0);
  if (rc != 0 && rc != kRegNoMatch) {
    char msg[256] = {0};
    char *m = msg;
    api_->regerror.invoke<std::size_t>(rc, re, m, sizeof msg);
    throw RegexError(rc, msg, "(regexec)");
  }
  return rc == 0;
}

std::optional<RegexMatch> Regex::match(const char *text) const {
  const Api &a = *api_;
  std::size_t n = group_count() + 1;
  std::size_t each = a.regmatch_t.size();
  std::vector<std::max_align_t> m((n * each + sizeof(std::max_align_t) - 1) /
                                  sizeof(std::max_align_t));
  void *re = re_.get();
  void *mp = m.data();
  int rc = a.regexec.invoke<int>(re, text, n, mp, 0);
  if (rc == kRegNoMatch) return std::nullopt;
  if (rc != 0) {
    char msg[256] = {0};
    char *mb = msg;
    a.regerror.invoke<std::size_t>(rc, re, mb, sizeof msg);
    throw RegexError(rc, msg, "(regexec)");
  }
  RegexMatch out;
  for (std::size_t i = 0; i < n; ++i) {
    const char *g = static_cast<const char *>(mp) + i * each;
    int so = a.regmatch_t.get<int>(g, "rm_so"), eo = a.regmatch_t.get<int>(g, "rm_eo");
    if (so < 0)
      out.groups.emplace_back(std::nullopt);
    else
      out.groups.emplace_back(std::make_pair(std::size_t(so), std::size_t(eo - so)));
  }
  return out;
}

// ---- termios and pseudo-terminals ----

Termios::Termios(const Libc &c)
    : api_(c.shared_api()),
      bytes_((api_->termios.size() + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t)) {
  // Value-initialising max_align_t leaves some bytes as they were (see zeroed_storage).
  std::memset(static_cast<void *>(bytes_.data()), 0, bytes_.size() * sizeof(std::max_align_t));
}

unsigned Termios::iflag() const {
  return api_->termios.get<unsigned>(data(), "c_iflag");
}
unsigned Termios::oflag() const {
  return api_->termios.get<unsigned>(data(), "c_oflag");
}
unsigned Termios::cflag() const {
  return api_->termios.get<unsigned>(data(), "c_cflag");
}
unsigned Termios::lflag() const {
  return api_->termios.get<unsigned>(data(), "c_lflag");
}
void Termios::set_lflag(unsigned v) {
  api_->termios.set<unsigned>(data(), "c_lflag", v);
}
void Termios::set_oflag(unsigned v) {
  api_->termios.set<unsigned>(data(), "c_oflag", v);
}
void Termios::set_iflag(unsigned v) {
  api_->termios.set<unsigned>(data(), "c_iflag", v);
}
unsigned char Termios::cc(std::size_t i) const {
  return api_->termios.get<unsigned char>(data(), "c_cc[" + std::to_string(i) + "]");
}
void Termios::set_cc(std::size_t i, unsigned char v) {
  api_->termios.set<unsigned char>(data(), "c_cc[" + std::to_string(i) + "]", v);
}

Pty open_pty(const Libc &c) {
  const Api &a = c.api();
  Pty pty;
  pty.master = Fd(c, a.posix_openpt.invoke<int>(kORdWr | kONoctty));
  if (!pty.master) fail_errno(a, "posix_openpt");
  if (a.grantpt.invoke<int>(pty.master.get()) != 0) fail_errno(a, "grantpt");
  if (a.unlockpt.invoke<int>(pty.master.get()) != 0) fail_errno(a, "unlockpt");
  char name[128] = {0};
  char *n = name;
  int rc = a.ptsname_r.invoke<int>(pty.master.get(), n, sizeof name);
  if (rc != 0) throw SystemError(rc, strerror_of(a, rc), "ptsname_r");
  pty.slave_name = name;
  // open(path, flags, ...) with no variadic argument: no O_CREAT, so no mode.
  Function open = a.variadic(a.open, {});
  const char *path = name;
  pty.slave = Fd(c, open.invoke<int>(path, kORdWr | kONoctty));
  if (!pty.slave) fail_errno(a, std::string("open(\"") + name + "\")");
  return pty;
}

Pty openpty(const Libc &c) {
  const Api &a = c.api();
  if (!a.openpty) throw BindingError("openpty is not in " + a.lib.name() + " (glibc < 2.34)");
  int master = -1, slave = -1;
  char name[128] = {0};
  int *mp = &master, *sp = &slave;
  char *np = name;
  if (a.openpty.invoke<int>(mp, sp, np, static_cast<const void *>(nullptr),
                            static_cast<const void *>(nullptr)) != 0)
    fail_errno(a, "openpty");
  return Pty{Fd(c, master), Fd(c, slave), name};
}

Termios tcgetattr(const Libc &c, int fd) {
  Termios t(c);
  if (c.api().tcgetattr.invoke<int>(fd, t.data()) != 0)
    fail_errno(c.api(), "tcgetattr(fd " + std::to_string(fd) + ")");
  return t;
}

void tcsetattr(const Libc &c, int fd, int when, const Termios &t) {
  if (c.api().tcsetattr.invoke<int>(fd, when, t.data()) != 0)
    fail_errno(c.api(), "tcsetattr(fd " + std::to_string(fd) + ")");
}

void cfmakeraw(const Libc &c, Termios &t) {
  c.api().cfmakeraw.invoke<void>(t.data());
}

// ---- threads ----

struct Thread::State {
  std::function<void()> body;
  CallbackError error;
  Closure start;
};

Thread::Thread(const Libc &c, std::function<void()> body)
    : api_(c.shared_api()), state_(std::make_unique<State>()) {
  State *s = state_.get();
  s->body = std::move(body);
  // Runs on the new thread: the closure is entered from a thread the host did not create.
  s->start = Closure(api_->start_routine, [s](void *ret, void **) {
    s->error.guard([&] { s->body(); });
    *static_cast<void **>(ret) = nullptr;
  });
  std::uint64_t tid = 0;
  std::uint64_t *tp = &tid;
  int rc = api_->pthread_create.invoke<int>(tp, static_cast<const void *>(nullptr), s->start.code(),
                                            static_cast<void *>(nullptr));
  check_pthread(*api_, rc, "pthread_create");
  tid_ = tid;
}

Thread::~Thread() {
  if (!joined_) {
    api_->pthread_join.invoke<int>(tid_, static_cast<void **>(nullptr));
    joined_ = true;
  }
}

void Thread::join() {
  if (joined_) throw BindingError("Thread::join: already joined");
  check_pthread(*api_, api_->pthread_join.invoke<int>(tid_, static_cast<void **>(nullptr)),
                "pthread_join");
  joined_ = true;
  state_->error.rethrow_if_failed();
}

std::uint64_t pthread_self(const Libc &c) {
  return c.api().pthread_self.invoke<std::uint64_t>();
}

Mutex::Mutex(const Libc &c) : api_(c.shared_api()), storage_(storage_for(api_->pthread_mutex_t)) {
  check_pthread(*api_, api_->mutex_init.invoke<int>(native(), static_cast<const void *>(nullptr)),
                "pthread_mutex_init");
}

Mutex::~Mutex() {
  api_->mutex_destroy.invoke<int>(native());
}

void Mutex::lock() {
  check_pthread(*api_, api_->mutex_lock.invoke<int>(native()), "pthread_mutex_lock");
}

void Mutex::unlock() {
  check_pthread(*api_, api_->mutex_unlock.invoke<int>(native()), "pthread_mutex_unlock");
}

bool Mutex::try_lock() {
  int rc = api_->mutex_trylock.invoke<int>(native());
  if (rc == EBUSY) return false;
  check_pthread(*api_, rc, "pthread_mutex_trylock");
  return true;
}

CondVar::CondVar(const Libc &c)
    : api_(c.shared_api()), storage_(storage_for(api_->pthread_cond_t)) {
  check_pthread(*api_,
                api_->cond_init.invoke<int>(static_cast<void *>(storage_.get()),
                                            static_cast<const void *>(nullptr)),
                "pthread_cond_init");
}

CondVar::~CondVar() {
  api_->cond_destroy.invoke<int>(static_cast<void *>(storage_.get()));
}

void CondVar::wait(Mutex &m) {
  check_pthread(*api_, api_->cond_wait.invoke<int>(static_cast<void *>(storage_.get()), m.native()),
                "pthread_cond_wait");
}

bool CondVar::wait_for(Mutex &m, std::chrono::milliseconds timeout) {
  const Api &a = *api_;
  // The deadline is absolute on CLOCK_REALTIME (the condition's default clock).
  auto ts = storage_for(a.timespec);
  void *p = ts.get();
  if (a.clock_gettime.invoke<int>(kClockRealtime, p) != 0) fail_errno(a, "clock_gettime");
  long long ns = a.timespec.get<long>(p, "tv_nsec") + (timeout.count() % 1000) * 1000000LL;
  a.timespec.set<std::int64_t>(
      p, "tv_sec",
      a.timespec.get<std::int64_t>(p, "tv_sec") + timeout.count() / 1000 + ns / 1000000000);
  a.timespec.set<long>(p, "tv_nsec", static_cast<long>(ns % 1000000000));
  int rc = a.cond_timedwait.invoke<int>(static_cast<void *>(storage_.get()), m.native(), p);
  if (rc == kEtimedout) return false;
  check_pthread(a, rc, "pthread_cond_timedwait");
  return true;
}

void CondVar::signal() {
  check_pthread(*api_, api_->cond_signal.invoke<int>(static_cast<void *>(storage_.get())),
                "pthread_cond_signal");
}

void CondVar::broadcast() {
  check_pthread(*api_, api_->cond_broadcast.invoke<int>(static_cast<void *>(storage_.get())),
                "pthread_cond_broadcast");
}

// ---- sockets ----

namespace {

// A sockaddr_in for 127.0.0.1:port, laid out from the declaration.
std::unique_ptr<std::max_align_t[]> loopback_address(const Api &a, std::uint16_t port) {
  auto sa = storage_for(a.sockaddr_in);
  void *p = sa.get();
  a.sockaddr_in.set<unsigned short>(p, "sin_family", kAfInet);
  a.sockaddr_in.set<unsigned short>(p, "sin_port", a.htons.invoke<unsigned short>(port));
  char *addr = static_cast<char *>(p) + a.sockaddr_in.offset("sin_addr");
  const char *text = "127.0.0.1";
  void *dst = addr;
  if (a.inet_pton.invoke<int>(kAfInet, text, dst) != 1)
    throw BindingError("inet_pton rejected 127.0.0.1");
  return sa;
}

Socket tcp_socket(const Libc &c) {
  int fd = c.api().socket.invoke<int>(kAfInet, kSockStream, 0);
  if (fd < 0) fail_errno(c.api(), "socket(AF_INET, SOCK_STREAM)");
  return Socket(c, fd);
}

}  // namespace

std::size_t Socket::send(std::string_view data) const {
  std::size_t done = 0;
  while (done < data.size()) {
    const void *p = data.data() + done;
    auto n = api_->send.invoke<long>(fd_, p, data.size() - done, 0x4000 /* MSG_NOSIGNAL */);
    if (n < 0) {
      if (saved_errno() == EINTR) continue;
      fail_errno(*api_, "send(fd " + std::to_string(fd_) + ")");
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void Socket::shutdown(int how) const {
  if (api_->shutdown.invoke<int>(fd_, how) != 0)
    fail_errno(*api_, "shutdown(fd " + std::to_string(fd_) + ")");
}

std::uint16_t Socket::local_port() const {
  const Api &a = *api_;
  auto sa = storage_for(a.sockaddr_storage);
  void *p = sa.get();
  unsigned len = static_cast<unsigned>(a.sockaddr_storage.size());
  unsigned *lp = &len;
  if (a.getsockname.invoke<int>(fd_, p, lp) != 0)
    fail_errno(a, "getsockname(fd " + std::to_string(fd_) + ")");
  return a.ntohs.invoke<unsigned short>(a.sockaddr_in.get<unsigned short>(p, "sin_port"));
}

Socket listen_loopback(const Libc &c, std::uint16_t port, int backlog) {
  const Api &a = c.api();
  Socket s = tcp_socket(c);
  int one = 1;
  const void *onep = &one;
  if (a.setsockopt.invoke<int>(s.get(), kSolSocket, kSoReuseAddr, onep, unsigned(sizeof one)) != 0)
    fail_errno(a, "setsockopt(SO_REUSEADDR)");
  auto sa = loopback_address(a, port);
  if (a.bind.invoke<int>(s.get(), static_cast<const void *>(sa.get()),
                         static_cast<unsigned>(a.sockaddr_in.size())) != 0)
    fail_errno(a, "bind(127.0.0.1:" + std::to_string(port) + ")");
  if (a.listen.invoke<int>(s.get(), backlog) != 0) fail_errno(a, "listen");
  return s;
}

Socket connect_loopback(const Libc &c, std::uint16_t port) {
  const Api &a = c.api();
  Socket s = tcp_socket(c);
  auto sa = loopback_address(a, port);
  int rc;
  do {
    rc = a.connect.invoke<int>(s.get(), static_cast<const void *>(sa.get()),
                               static_cast<unsigned>(a.sockaddr_in.size()));
  } while (rc != 0 && saved_errno() == EINTR);
  if (rc != 0) fail_errno(a, "connect(127.0.0.1:" + std::to_string(port) + ")");
  return s;
}

Socket accept(const Libc &c, const Socket &listener) {
  int fd;
  do {
    fd = c.api().accept.invoke<int>(listener.get(), static_cast<void *>(nullptr),
                                    static_cast<unsigned *>(nullptr));
  } while (fd < 0 && saved_errno() == EINTR);
  if (fd < 0) fail_errno(c.api(), "accept(fd " + std::to_string(listener.get()) + ")");
  return Socket(c, fd);
}

std::pair<Socket, Socket> socketpair(const Libc &c, int type) {
  int fds[2] = {-1, -1};
  int *p = fds;
  if (c.api().socketpair.invoke<int>(kAfUnix, type, 0, p) != 0)
    fail_errno(c.api(), "socketpair(AF_UNIX)");
  return {Socket(c, fds[0]), Socket(c, fds[1])};
}

std::vector<AddrInfo> getaddrinfo(const Libc &c, const char *host, const char *service, int family,
                                  int socktype, int flags) {
  const Api &a = c.api();
  auto hints = storage_for(a.addrinfo);
  void *h = hints.get();
  a.addrinfo.set<int>(h, "ai_flags", flags);
  a.addrinfo.set<int>(h, "ai_family", family);
  a.addrinfo.set<int>(h, "ai_socktype", socktype);
  void *res = nullptr;
  void **resp = &res;
  int rc = a.getaddrinfo.invoke<int>(host, service, static_cast<const void *>(h), resp);
  std::string what = std::string(host ? host : "NULL") + ", " + (service ? service : "NULL");
  if (rc != 0) throw AddrInfoError(rc, a.gai_strerror.invoke<const char *>(rc), std::move(what));
  std::vector<AddrInfo> out;
  for (void *ai = res; ai; ai = a.addrinfo.get<void *>(ai, "ai_next")) {
    AddrInfo info;
    info.family = a.addrinfo.get<int>(ai, "ai_family");
    info.socktype = a.addrinfo.get<int>(ai, "ai_socktype");
    info.protocol = a.addrinfo.get<int>(ai, "ai_protocol");
    const char *sa = static_cast<const char *>(a.addrinfo.get<void *>(ai, "ai_addr"));
    const StructLayout &l = info.family == kAfInet6 ? a.sockaddr_in6 : a.sockaddr_in;
    const char *port_field = info.family == kAfInet6 ? "sin6_port" : "sin_port";
    const char *addr_field = info.family == kAfInet6 ? "sin6_addr" : "sin_addr";
    if (sa && (info.family == kAfInet || info.family == kAfInet6)) {
      info.port = a.ntohs.invoke<unsigned short>(l.get<unsigned short>(sa, port_field));
      char text[64] = {0};
      char *tp = text;
      const void *src = sa + l.offset(addr_field);
      a.inet_ntop.invoke<const char *>(info.family, src, tp, unsigned(sizeof text));
      info.address = text;
    }
    out.push_back(std::move(info));
  }
  a.freeaddrinfo.invoke<void>(res);
  return out;
}

}  // namespace jitffi::bindings::libc
