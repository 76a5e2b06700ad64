// The server the MariaDB tests talk to: the ctest fixture's shared server when its info file
// exists (tests/bindings_mariadb/tests.cmake), else one this test process starts on first use and
// stops at exit. Tests skip, saying why, when mariadbd is not installed.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "jitffi/bindings/mariadb.h"
#include "tests/bindings/test_util.h"

namespace jitffi::test::mariadb {

struct ServerAddress {
  std::string socket;
  unsigned port = 0;
};

// The shared server's address, or nullptr with `skip` set to the reason there is none. Throws
// when mariadbd is installed but does not start.
const ServerAddress *shared_server(std::string &skip);

// Options for connecting to `a` over its unix socket, or over TCP to 127.0.0.1:port.
jitffi::bindings::mariadb::ConnectOptions socket_options(const ServerAddress &a);
jitffi::bindings::mariadb::ConnectOptions tcp_options(const ServerAddress &a);

// A test against the shared server: each test gets a database of its own (dropped at the end) so
// that tests may run in parallel against one server.
class MariaDbTest : public jitffi::bindings::test::BindingTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A new connection to the test's database (multi-statements allowed when asked).
  jitffi::bindings::mariadb::Connection connect(unsigned long flags = 0);

  std::optional<jitffi::bindings::mariadb::MariaDB> lib_;
  std::optional<jitffi::bindings::mariadb::Connection> db_;  // connected to database_
  const ServerAddress *server_ = nullptr;
  std::string database_;
};

}  // namespace jitffi::test::mariadb
