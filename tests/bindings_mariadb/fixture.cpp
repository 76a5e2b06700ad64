// The shared server and the per-test database: see fixture.h.
#include "fixture.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "server/test_server.h"

namespace my = jitffi::bindings::mariadb;

namespace jitffi::test::mariadb {

namespace {

std::unique_ptr<TestServer> g_own;  // the server this process started, when there is no fixture

// Stops this process's own server after the last test (the watchdog covers a crash).
class StopOwnServer : public ::testing::Environment {
 public:
  void TearDown() override { g_own.reset(); }
};
[[maybe_unused]] ::testing::Environment *const g_env =
    ::testing::AddGlobalTestEnvironment(new StopOwnServer);

std::string info_path() {
  const char *env = std::getenv("JITFFI_MARIADB_SERVER_INFO");
  return env && *env ? env : JITFFI_MARIADB_SERVER_INFO;
}

}  // namespace

const ServerAddress *shared_server(std::string &skip) {
  static std::mutex mu;
  static std::optional<ServerAddress> address;
  static std::string skipped;
  std::lock_guard<std::mutex> lock(mu);
  if (!address && skipped.empty()) {
    if (auto info = read_info(info_path())) {
      if (!info->skip.empty())
        skipped = info->skip;
      else
        address = ServerAddress{info->socket, info->port};
    } else if (auto why = server_unavailable()) {
      skipped = *why;
    } else {
      g_own = std::make_unique<TestServer>();
      address = ServerAddress{g_own->socket(), g_own->port()};
    }
  }
  skip = skipped;
  return address ? &*address : nullptr;
}

my::ConnectOptions socket_options(const ServerAddress &a) {
  my::ConnectOptions o;
  o.host = "localhost";
  o.unix_socket = a.socket;
  o.connect_timeout = 10;
  return o;
}

my::ConnectOptions tcp_options(const ServerAddress &a) {
  my::ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = a.port;
  o.connect_timeout = 10;
  return o;
}

void MariaDbTest::SetUp() {
  BindingTest::SetUp();
  std::string skip;
  server_ = shared_server(skip);
  if (!server_) GTEST_SKIP() << "no MariaDB server: " << skip;
  lib_.emplace();
  static std::atomic<int> counter{0};
  database_ = "jt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  auto admin = my::Connection::connect(*lib_, socket_options(*server_));
  admin.execute("DROP DATABASE IF EXISTS " + database_);
  admin.execute("CREATE DATABASE " + database_ + " CHARACTER SET utf8mb4");
  db_.emplace(connect());
}

void MariaDbTest::TearDown() {
  if (server_ && lib_) {
    db_.reset();
    try {
      auto admin = my::Connection::connect(*lib_, socket_options(*server_));
      admin.execute("DROP DATABASE IF EXISTS " + database_);
    } catch (const std::exception &e) {
      ADD_FAILURE() << "dropping " << database_ << ": " << e.what();
    }
  }
  BindingTest::TearDown();
}

my::Connection MariaDbTest::connect(unsigned long flags) {
  my::ConnectOptions o = socket_options(*server_);
  o.database = database_;
  o.flags = flags;
  o.charset = "utf8mb4";
  return my::Connection::connect(*lib_, o);
}

}  // namespace jitffi::test::mariadb
