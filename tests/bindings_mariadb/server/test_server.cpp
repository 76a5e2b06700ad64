// The tests' MariaDB server: see test_server.h.
#include "test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace jitffi::test::mariadb {

namespace {

using Clock = std::chrono::steady_clock;

// The program's path: $JITFFI_MARIADB_BINDIR alone when set, else $PATH, then the sbin
// directories (mariadbd lives in /usr/sbin).
std::string find_program(const std::string &name) {
  const char *bindir = std::getenv("JITFFI_MARIADB_BINDIR");
  std::string path;
  if (bindir && *bindir) {
    path = bindir;
  } else {
    path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/usr/local/sbin:/usr/bin:/sbin";
  }
  std::stringstream ss(path);
  std::string d;
  while (std::getline(ss, d, ':')) {
    if (d.empty()) continue;
    std::string p = d + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

std::string read_tail(const std::string &file, std::size_t max = 3000) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max ? "..." + s.substr(s.size() - max) : s;
}

// An ephemeral port that is free on 127.0.0.1 now (mariadbd cannot be told to pick one itself).
unsigned free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(e));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs a program with its output in `log`; false (and the status in `why`) unless it exits 0
// within the time limit (then it is killed).
bool run(const std::vector<std::string> &argv, const std::string &log, std::chrono::seconds limit,
         std::string &why) {
  std::vector<char *> args;
  for (const std::string &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    why = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(args[0], args.data());
    _exit(127);
  }
  auto deadline = Clock::now() + limit;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      why = argv[0] + " did not finish in " + std::to_string(limit.count()) + " s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  why = argv[0] + " failed (status " + std::to_string(status) + "):\n" + read_tail(log);
  return false;
}

// True once the server sends its handshake (protocol version 10) on the unix socket.
bool greets(const std::string &socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, socket_path.c_str(), sizeof a.sun_path - 1);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
    unsigned char head[5];
    std::size_t got = 0;
    while (got < sizeof head) {
      ssize_t n = ::recv(fd, head + got, sizeof head - got, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ok = got == sizeof head && head[4] == 10;  // 4-byte packet header, then the protocol version
  }
  ::close(fd);
  return ok;
}

bool alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

// The watchdog (a forked child, never returns): starts mariadbd, reports its pid on `ready`, and
// when `lease` reaches end-of-file (the owner stopped it, exited or crashed) stops the server
// (SIGTERM, 30 s, SIGKILL) and removes `dir`.
[[noreturn]] void watchdog(int lease, int ready, const std::string &dir,
                           const std::vector<std::string> &server_argv) {
  ::setpgid(0, 0);  // a terminal's ^C reaches the owner, whose exit then stops us in order
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  // Other servers' leases were inherited by this fork: holding them would keep those alive.
  for (int fd = 3; fd < 4096; ++fd)
    if (fd != lease && fd != ready) ::close(fd);
  std::vector<char *> args;
  for (const std::string &a : server_argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t me = ::getpid();
  pid_t server = ::fork();
  if (server == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // should the watchdog itself be killed
    if (::getppid() != me) _exit(126);
    ::close(lease);
    ::close(ready);
    std::string out = dir + "/server.out";
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    _exit(127);
  }
  (void)!::write(ready, &server, sizeof server);
  ::close(ready);
  bool server_done = server < 0;
  for (;;) {
    pollfd p{lease, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r > 0) {
      char c;
      if (::read(lease, &c, 1) <= 0) break;
    } else if (r < 0 && errno != EINTR) {
      break;
    }
    if (!server_done && ::waitpid(server, nullptr, WNOHANG) == server) server_done = true;
  }
  if (!server_done) {
    ::kill(server, SIGTERM);
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (::waitpid(server, nullptr, WNOHANG) != server) {
      if (Clock::now() > deadline) {
        ::kill(server, SIGKILL);
        ::waitpid(server, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  _exit(0);
}

}  // namespace

std::optional<std::string> server_unavailable() {
  if (find_program("mariadbd").empty())
    return "mariadbd not found in $JITFFI_MARIADB_BINDIR or $PATH or /usr/sbin (install "
           "mariadb-server: scripts/deps.sh)";
  if (find_program("mariadb-install-db").empty())
    return "mariadb-install-db not found (install mariadb-server: scripts/deps.sh)";
  return std::nullopt;
}

TestServer::TestServer(std::chrono::seconds ready_timeout) {
  if (auto why = server_unavailable()) throw std::runtime_error(*why);
  std::string why;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (start_once(ready_timeout, why)) return;
    // Another process took the port between our probe and the server's bind: try another one.
    if (why.find("Address already in use") == std::string::npos) break;
  }
  throw std::runtime_error("mariadb test server did not start: " + why);
}

TestServer::~TestServer() {
  stop();
}

bool TestServer::start_once(std::chrono::seconds ready_timeout, std::string &why) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "jitffi-mariadb-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
  dir_ = tmpl;
  socket_ = dir_ + "/mysqld.sock";
  if (socket_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("socket path too long for AF_UNIX (set TMPDIR shorter): " + socket_);
  }
  bool root = ::geteuid() == 0;
  std::string data = dir_ + "/data";
  std::vector<std::string> install = {find_program("mariadb-install-db"),
                                      "--no-defaults",
                                      "--datadir=" + data,
                                      "--auth-root-authentication-method=normal",
                                      "--skip-test-db",
                                      "--skip-name-resolve",
                                      "--innodb-log-file-size=8M"};
  if (root) install.push_back("--user=root");
  if (!run(install, dir_ + "/install.log", std::chrono::seconds(180), why)) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    return false;
  }
  port_ = free_port();
  std::vector<std::string> server = {find_program("mariadbd"),
                                     "--no-defaults",
                                     "--datadir=" + data,
                                     "--socket=" + socket_,
                                     "--port=" + std::to_string(port_),
                                     "--bind-address=127.0.0.1",
                                     "--pid-file=" + dir_ + "/mysqld.pid",
                                     "--log-error=" + dir_ + "/error.log",
                                     "--tmpdir=" + dir_,
                                     "--skip-grant-tables",
                                     "--skip-name-resolve",
                                     "--innodb-log-file-size=8M",
                                     "--innodb-buffer-pool-size=32M",
                                     "--innodb-flush-log-at-trx-commit=2"};
  if (root) server.push_back("--user=root");

  int lease[2], ready[2];
  if (::pipe2(lease, O_CLOEXEC) != 0 || ::pipe2(ready, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  pid_t w = ::fork();
  if (w < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
  if (w == 0) {
    ::close(lease[1]);
    ::close(ready[0]);
    watchdog(lease[0], ready[1], dir_, server);
  }
  ::close(lease[0]);
  ::close(ready[1]);
  watchdog_ = w;
  lease_ = lease[1];
  pid_t m = -1;
  ssize_t n = ::read(ready[0], &m, sizeof m);
  ::close(ready[0]);
  server_ = n == sizeof m ? m : -1;

  auto deadline = Clock::now() + ready_timeout;
  bool up = false;
  while (Clock::now() < deadline && alive(server_)) {
    if (greets(socket_)) {
      up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (up) return true;
  why = (alive(server_) ? "no greeting on " + socket_ + " within " +
                              std::to_string(ready_timeout.count()) + " s"
                        : std::string("mariadbd exited")) +
        "; error log:\n" + read_tail(dir_ + "/error.log") + read_tail(dir_ + "/server.out");
  stop();
  return false;
}

void TestServer::stop() {
  if (watchdog_ <= 0) return;
  ::close(lease_);
  lease_ = -1;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (::waitpid(watchdog_, nullptr, WNOHANG) != watchdog_) {
    if (Clock::now() > deadline) {
      ::kill(watchdog_, SIGKILL);  // the server follows (PR_SET_PDEATHSIG)
      ::waitpid(watchdog_, nullptr, 0);
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  watchdog_ = -1;
  server_ = -1;
}

std::optional<ServerInfo> read_info(const std::string &path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  ServerInfo info;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "socket")
      info.socket = v;
    else if (k == "dir")
      info.dir = v;
    else if (k == "skip")
      info.skip = v;
    else if (k == "port")
      info.port = static_cast<unsigned>(std::stoul(v));
    else if (k == "supervisor")
      info.supervisor = static_cast<pid_t>(std::stol(v));
  }
  return info;
}

}  // namespace jitffi::test::mariadb
