// A private MariaDB server for the tests: mariadb-install-db into a temporary directory, mariadbd
// on its own unix socket and an ephemeral 127.0.0.1 port with --skip-grant-tables, stopped
// (SIGTERM, then SIGKILL) and its directory removed whatever happens to the process that started
// it: a watchdog process holds the other end of a pipe and cleans up when it closes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace jitffi::test::mariadb {

// Why no server can be started here (mariadbd or mariadb-install-db not found), or nullopt.
std::optional<std::string> server_unavailable();

class TestServer {
 public:
  // Starts the server and waits (at most `ready_timeout`) until it greets on its socket. Throws
  // std::runtime_error with the server's error log when it does not come up. The process must be
  // single-threaded here (the watchdog is forked without exec).
  explicit TestServer(std::chrono::seconds ready_timeout = std::chrono::seconds(60));
  TestServer(const TestServer &) = delete;
  TestServer &operator=(const TestServer &) = delete;
  ~TestServer();

  // Stops the server and removes its directory (idempotent).
  void stop();
  bool running() const { return watchdog_ > 0; }

  const std::string &dir() const { return dir_; }
  const std::string &socket() const { return socket_; }
  unsigned port() const { return port_; }
  pid_t server_pid() const { return server_; }

 private:
  bool start_once(std::chrono::seconds ready_timeout, std::string &why);
  std::string dir_, socket_;
  unsigned port_ = 0;
  pid_t watchdog_ = -1, server_ = -1;
  int lease_ = -1;  // write end of the watchdog's pipe: closing it stops the server
};

// The info file of a server shared by many test processes (the ctest fixture):
//   socket=<path>  port=<n>  dir=<path>  supervisor=<pid>   or   skip=<reason>
struct ServerInfo {
  std::string socket, dir, skip;
  unsigned port = 0;
  pid_t supervisor = -1;
};
std::optional<ServerInfo> read_info(const std::string &path);

}  // namespace jitffi::test::mariadb
