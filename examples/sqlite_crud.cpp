// A contacts table through the sqlite3 binding: create, read, update, delete, in a database file.
// Usage: jitffi_example_sqlite_crud [directory]   (default: the system's temporary directory)
// Prints what it does and exits non-zero if any result is not what it should be.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "jitffi/bindings/sqlite3.h"

namespace sq = jitffi::bindings::sqlite;

namespace {

int failures = 0;

void expect(bool ok, const std::string &what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what.c_str());
  if (!ok) ++failures;
}

struct Contact {
  std::int64_t id;
  std::string name, email;
  double balance;
};

std::vector<Contact> all(sq::Database &db) {
  std::vector<Contact> out;
  auto st = db.prepare("SELECT id, name, email, balance FROM contacts ORDER BY id");
  while (st.step())
    out.push_back({st.column_int64(0), st.column_text(1), st.column_text(2), st.column_double(3)});
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  // The pid keeps concurrent runs (one per back end under ctest -j) apart.
  std::filesystem::path file = dir / ("jitffi_example_crud_" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(file);
  try {
    sq::Sqlite3 lib;
    std::printf("sqlite %s via jitffi, database %s\n", lib.version().c_str(), file.c_str());
    auto db = sq::Database::open(lib, file.string());
    db.exec(
        "CREATE TABLE contacts(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "email TEXT UNIQUE, balance REAL)");

    // Create: one prepared statement, many rows, one transaction.
    {
      sq::Transaction tx(db);
      auto ins = db.prepare("INSERT INTO contacts(name, email, balance) VALUES(?, ?, ?)");
      const Contact people[] = {{0, "Ada", "ada@example.org", 10.5},
                                {0, "Brian", "brian@example.org", -3.25},
                                {0, "Grace", "grace@example.org", 100}};
      for (const Contact &c : people) {
        ins.bind_text(1, c.name).bind_text(2, c.email).bind_double(3, c.balance);
        ins.step();
        ins.reset();
      }
      tx.commit();
    }
    auto rows = all(db);
    expect(rows.size() == 3, "created 3 contacts");
    expect(rows.size() == 3 && rows[1].name == "Brian" && rows[1].balance == -3.25,
           "read back Brian with balance -3.25");

    // Update.
    auto upd = db.prepare("UPDATE contacts SET balance = balance + ? WHERE name = ?");
    upd.bind_double(1, 3.25).bind_text(2, "Brian");
    upd.step();
    expect(db.changes() == 1, "updated one row");
    rows = all(db);
    expect(rows.size() == 3 && rows[1].balance == 0.0, "Brian's balance is now 0");

    // A constraint violation is reported with sqlite's message and changes nothing.
    try {
      db.exec("INSERT INTO contacts(name, email) VALUES('Eve', 'ada@example.org')");
      expect(false, "duplicate email rejected");
    } catch (const sq::Error &e) {
      expect(e.message() == "UNIQUE constraint failed: contacts.email",
             "duplicate email rejected: " + e.message());
    }

    // Delete.
    auto del = db.prepare("DELETE FROM contacts WHERE id = ?");
    del.bind_int64(1, rows[0].id);
    del.step();
    rows = all(db);
    expect(rows.size() == 2 && rows[0].name == "Brian", "deleted Ada");

    double total = 0;
    db.exec("SELECT sum(balance) FROM contacts", [&](auto values, auto) {
      total = std::stod(std::string(*values[0]));
      return true;
    });
    expect(total == 100.0, "total balance is 100");
    for (const Contact &c : rows)
      std::printf("  %lld %-6s %-20s %8.2f\n", static_cast<long long>(c.id), c.name.c_str(),
                  c.email.c_str(), c.balance);
  } catch (const std::exception &e) {
    std::printf("error: %s\n", e.what());
    return 2;
  }
  std::filesystem::remove(file);
  if (failures) {
    std::printf("sqlite_crud: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("sqlite_crud: ok\n");
  return 0;
}
