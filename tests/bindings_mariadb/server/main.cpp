// jitffi_mariadb_test_server: one MariaDB server shared by every test process of a ctest run
// (the ctest fixture "mariadb_server"), so that each test does not pay for its own startup.
//
//   start INFO   starts a supervisor that owns a TestServer, writes INFO (socket=, port=, ...)
//                once the server greets, and returns. Without mariadbd it writes skip=<reason>.
//                The supervisor stops the server on SIGTERM, when the process that ran `start`
//                (ctest) is gone, or after 4 hours, whichever comes first.
//   stop INFO    stops it and waits until INFO is gone.
//   exec INFO -- PROGRAM ARGS...
//                runs PROGRAM with JITFFI_MARIADB_SOCKET and JITFFI_MARIADB_PORT set from INFO;
//                exits 77 (skipped) when INFO says skip.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "test_server.h"

namespace srv = jitffi::test::mariadb;

namespace {

volatile sig_atomic_t g_stop = 0;
void on_term(int) {
  g_stop = 1;
}

void write_file(const std::string &path, const std::string &text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);  // readers never see half a file
}

int start(const std::string &info) {
  if (auto why = srv::server_unavailable()) {
    write_file(info, "skip=" + *why + "\n");
    std::printf("mariadb test server: skipped: %s\n", why->c_str());
    return 0;
  }
  if (auto old = srv::read_info(info);
      old && old->supervisor > 0 && ::kill(old->supervisor, 0) == 0) {
    std::fprintf(stderr, "a server is already running for %s (supervisor %d)\n", info.c_str(),
                 int(old->supervisor));
    return 1;
  }
  pid_t owner = ::getppid();  // ctest: when it goes, so does the server
  int report[2];
  if (::pipe(report) != 0) return 1;
  pid_t s = ::fork();
  if (s < 0) return 1;
  if (s > 0) {
    ::close(report[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report[0], buf, sizeof buf)) > 0)
      msg.append(buf, static_cast<std::size_t>(n));
    if (msg.rfind("ok", 0) == 0) {
      std::printf("mariadb test server: %s", msg.c_str() + 3);
      return 0;
    }
    std::fprintf(stderr, "mariadb test server failed: %s\n", msg.c_str());
    return 1;
  }
  // The supervisor: detached from ctest's output pipes and session.
  ::close(report[0]);
  ::setsid();
  int null = ::open("/dev/null", O_RDWR);
  ::dup2(null, 0);
  ::dup2(null, 1);
  ::dup2(null, 2);
  ::signal(SIGTERM, on_term);
  ::signal(SIGINT, on_term);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  std::string msg;
  try {
    srv::TestServer server;
    std::string text = "socket=" + server.socket() + "\nport=" + std::to_string(server.port()) +
                       "\ndir=" + server.dir() + "\nsupervisor=" + std::to_string(::getpid()) +
                       "\n";
    write_file(info, text);
    msg = "ok " + text;
    (void)!::write(report[1], msg.data(), msg.size());
    ::close(report[1]);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(4);
    while (!g_stop && (owner <= 1 || ::kill(owner, 0) == 0 || errno == EPERM) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
  } catch (const std::exception &e) {
    msg = e.what();
    (void)!::write(report[1], msg.data(), msg.size());
    ::close(report[1]);
  }
  std::error_code ec;
  std::filesystem::remove(info, ec);
  return 0;
}

int stop(const std::string &info) {
  auto i = srv::read_info(info);
  if (!i) {
    std::printf("mariadb test server: nothing to stop (%s absent)\n", info.c_str());
    return 0;
  }
  if (i->supervisor <= 0) {
    std::filesystem::remove(info);
    return 0;
  }
  ::kill(i->supervisor, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::filesystem::exists(info)) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "mariadb test server: supervisor %d did not stop\n", int(i->supervisor));
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf("mariadb test server: stopped (%s removed: %s)\n", i->dir.c_str(),
              std::filesystem::exists(i->dir) ? "no" : "yes");
  return std::filesystem::exists(i->dir) ? 1 : 0;
}

int exec(const std::string &info, char **argv) {
  auto i = srv::read_info(info);
  if (!i) {
    std::fprintf(stderr, "no mariadb test server: %s is absent (the fixture did not run)\n",
                 info.c_str());
    return 1;
  }
  if (!i->skip.empty()) {
    std::printf("skipped: %s\n", i->skip.c_str());
    return 77;
  }
  ::setenv("JITFFI_MARIADB_SOCKET", i->socket.c_str(), 1);
  ::setenv("JITFFI_MARIADB_PORT", std::to_string(i->port).c_str(), 1);
  std::fflush(stdout);
  ::execvp(argv[0], argv);
  std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
  return 127;
}

}  // namespace

int main(int argc, char **argv) {
  std::string cmd = argc > 2 ? argv[1] : "";
  if (cmd == "start" && argc == 3) return start(argv[2]);
  if (cmd == "stop" && argc == 3) return stop(argv[2]);
  if (cmd == "exec" && argc > 4 && std::strcmp(argv[3], "--") == 0) return exec(argv[2], argv + 4);
  std::fprintf(stderr, "usage: %s start INFO | stop INFO | exec INFO -- PROGRAM ARGS...\n",
               argv[0]);
  return 2;
}
