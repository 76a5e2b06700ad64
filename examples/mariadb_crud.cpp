// A contacts table through the MariaDB binding: create, read, update, delete on a running server.
// Usage: jitffi_example_mariadb_crud [socket]
//   The server: the socket argument, else $JITFFI_MARIADB_SOCKET, else TCP to 127.0.0.1 on
//   $JITFFI_MARIADB_PORT; user root without a password (the tests' server runs with
//   --skip-grant-tables). A database of its own is created and dropped again.
// Prints what it does and exits non-zero if any result is not what it should be.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jitffi/bindings/mariadb.h"

namespace my = jitffi::bindings::mariadb;

namespace {

int failures = 0;

void expect(bool ok, const std::string &what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what.c_str());
  if (!ok) ++failures;
}

struct Contact {
  std::int64_t id;
  std::string name, email;
  std::string balance;  // DECIMAL, as text
  my::DateTime since;
};

std::vector<Contact> all(my::Connection &db) {
  std::vector<Contact> out;
  auto st = db.prepare("SELECT id, name, email, balance, since FROM contacts ORDER BY id");
  st.execute();
  while (st.fetch())
    out.push_back({st.row().int64(0), std::string(st.row().bytes(1)),
                   std::string(st.row().bytes(2)), std::string(st.row().bytes(3)),
                   st.row().time(4)});
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  my::ConnectOptions where;
  const char *sock = argc > 1 ? argv[1] : std::getenv("JITFFI_MARIADB_SOCKET");
  const char *port = std::getenv("JITFFI_MARIADB_PORT");
  if (sock && *sock) {
    where.host = "localhost";
    where.unix_socket = sock;
  } else if (port && *port) {
    where.host = "127.0.0.1";
    where.port = static_cast<unsigned>(std::atoi(port));
  } else {
    std::fprintf(stderr, "usage: %s SOCKET (or set JITFFI_MARIADB_SOCKET / _PORT)\n", argv[0]);
    return 2;
  }
  where.charset = "utf8mb4";
  // The pid keeps concurrent runs (one per back end under ctest -j) apart.
  const std::string dbname = "jitffi_crud_" + std::to_string(getpid());
  try {
    my::MariaDB lib;
    auto db = my::Connection::connect(lib, where);
    std::printf("libmariadb %s via jitffi, server %s (%s)\n", lib.client_info().c_str(),
                db.server_info().c_str(), db.host_info().c_str());
    db.execute("CREATE DATABASE " + dbname);
    db.execute("USE " + dbname);
    db.execute(
        "CREATE TABLE contacts (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, "
        "email VARCHAR(80) UNIQUE, balance DECIMAL(12,2), since DATE)");

    // Create: one prepared statement, many rows, one transaction.
    {
      my::Transaction tx(db);
      auto ins = db.prepare("INSERT INTO contacts (name, email, balance, since) VALUES (?,?,?,?)");
      my::Binds p = ins.make_params();
      const Contact people[] = {
          {0, "Ada", "ada@example.org", "10.50", my::DateTime::date(1843, 7, 1)},
          {0, "Brian", "brian@example.org", "-3.25", my::DateTime::date(1978, 2, 22)},
          {0, "Grace", "grace@example.org", "100.00", my::DateTime::date(1952, 5, 3)}};
      for (const Contact &c : people) {
        p.set_string(0, c.name);
        p.set_string(1, c.email);
        p.set_decimal(2, c.balance);
        p.set_time(3, c.since);
        ins.execute(p);
      }
      tx.commit();
    }
    auto rows = all(db);
    expect(rows.size() == 3, "three contacts inserted");
    expect(rows.size() == 3 && rows[2].name == "Grace" && rows[2].balance == "100.00" &&
               rows[0].since == my::DateTime::date(1843, 7, 1),
           "read back with their balances and dates");

    // Update: text query with an escaped value.
    std::string name = db.escape("Brian O'Neil");
    std::uint64_t n = db.execute("UPDATE contacts SET name = '" + name +
                                 "', balance = balance + 3.25 "
                                 "WHERE email = 'brian@example.org'");
    expect(n == 1, "one contact updated");
    auto r = db.select("SELECT name, balance FROM contacts WHERE email = 'brian@example.org'");
    expect(r.fetch() && r.get(0) == std::string_view("Brian O'Neil") &&
               r.get(1) == std::string_view("0.00"),
           "update visible (name with a quote, balance 0.00)");

    // A constraint error, reported in the server's words.
    try {
      db.execute("INSERT INTO contacts (name, email) VALUES ('Eve', 'ada@example.org')");
      expect(false, "duplicate e-mail refused");
    } catch (const my::Error &e) {
      std::printf("        server said: %s (errno %u, SQLSTATE %s)\n", e.message().c_str(),
                  e.code(), e.sqlstate().c_str());
      expect(e.code() == 1062 && e.sqlstate() == "23000", "duplicate e-mail refused (1062)");
    }

    // Delete.
    n = db.execute("DELETE FROM contacts WHERE balance < 50");
    expect(n == 2, "two contacts deleted");
    rows = all(db);
    expect(rows.size() == 1 && rows[0].name == "Grace", "Grace remains");
    for (const Contact &c : rows)
      std::printf("        %lld %s <%s> %s since %04u-%02u-%02u\n", static_cast<long long>(c.id),
                  c.name.c_str(), c.email.c_str(), c.balance.c_str(), c.since.year, c.since.month,
                  c.since.day);
    db.execute("DROP DATABASE " + dbname);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
