// MariaDB binding against the real libmariadb and a real mariadbd: connections over the unix
// socket and TCP, text queries and result sets (stored and streamed, field metadata, NULLs),
// prepared statements with parameters and results of every column type, transactions,
// multi-statements, escaping, and the server's and client's errors as exceptions.
#include "jitffi/bindings/mariadb.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "fixture.h"
#include "server/test_server.h"

namespace my = jitffi::bindings::mariadb;
using jitffi::test::mariadb::MariaDbTest;

namespace {

std::string text(const std::optional<std::string_view> &v) {
  return v ? std::string(*v) : std::string("<NULL>");
}

// ---- The library itself (no server) ----

TEST(MariaDbLibrary, LoadsAndReportsClientVersion) {
  my::MariaDB lib;
  EXPECT_GE(lib.client_version(), 30000u);  // Connector/C 3.x
  EXPECT_FALSE(lib.client_info().empty());
  EXPECT_GT(lib.api().layout.bind_size, 0u);
}

TEST(MariaDbLibrary, MissingSymbolsAreNamed) {
  // libc has none of the client's functions: every required one is listed.
  try {
    my::MariaDB lib("libc.so.6");
    FAIL() << "libc loaded as libmariadb";
  } catch (const jitffi::bindings::MissingSymbolsError &e) {
    const auto &s = e.symbols();
    EXPECT_NE(std::find(s.begin(), s.end(), "mysql_real_connect"), s.end());
    EXPECT_NE(std::find(s.begin(), s.end(), "mysql_stmt_bind_param"), s.end());
    EXPECT_NE(std::string(e.what()).find("mysql_init"), std::string::npos) << e.what();
  }
}

TEST(MariaDbLibrary, EnvironmentOverrideThatFailsIsAnError) {
  ::setenv("JITFFI_MARIADB_PATH", "/nonexistent/libmariadb.so.3", 1);
  try {
    my::MariaDB lib;
    ::unsetenv("JITFFI_MARIADB_PATH");
    FAIL() << "a missing override was ignored";
  } catch (const jitffi::LibraryError &e) {
    ::unsetenv("JITFFI_MARIADB_PATH");
    EXPECT_NE(std::string(e.what()).find("JITFFI_MARIADB_PATH=/nonexistent"), std::string::npos)
        << e.what();
  }
}

TEST(MariaDbLibrary, ConnectionRefusedIsAnErrorWithTheClientCode) {
  // A socket path where no server listens: CR_CONNECTION_ERROR (2002), SQLSTATE HY000.
  my::MariaDB lib;
  my::ConnectOptions o;
  o.host = "localhost";
  o.unix_socket = "/nonexistent-dir/mysqld.sock";
  try {
    my::Connection::connect(lib, o);
    FAIL() << "connected to nothing";
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 2002u) << e.what();
    EXPECT_EQ(e.sqlstate(), "HY000");
    EXPECT_NE(e.message().find("/nonexistent-dir/mysqld.sock"), std::string::npos) << e.message();
    EXPECT_NE(std::string(e.what()).find("mysql_real_connect"), std::string::npos) << e.what();
  }
}

// ---- Connections ----

TEST_F(MariaDbTest, ConnectsOverTheSocketAndOverTcp) {
  EXPECT_EQ(db_->host_info(), "Localhost via UNIX socket");
  EXPECT_NE(db_->server_info().find("MariaDB"), std::string::npos) << db_->server_info();
  EXPECT_GE(db_->server_version(), 100000u);
  EXPECT_GT(db_->thread_id(), 0u);
  EXPECT_EQ(db_->character_set(), "utf8mb4");
  db_->ping();

  auto tcp = my::Connection::connect(*lib_, jitffi::test::mariadb::tcp_options(*server_));
  EXPECT_EQ(tcp.host_info(), "127.0.0.1 via TCP/IP");
  auto port = tcp.select("SELECT @@port");
  ASSERT_TRUE(port.fetch());
  EXPECT_EQ(text(port.get(0)), std::to_string(server_->port));
  EXPECT_NE(tcp.thread_id(), db_->thread_id());
}

TEST_F(MariaDbTest, ConnectionReportsInfoWarningsAndCharacterSet) {
  db_->execute("CREATE TABLE w (a TINYINT)");
  db_->execute("INSERT INTO w VALUES (1), (2), (3)");
  EXPECT_EQ(db_->info(), "Records: 3  Duplicates: 0  Warnings: 0");
  db_->execute("SET SESSION sql_mode = ''");
  db_->execute("INSERT INTO w VALUES (300), (-300)");  // clipped to 127 and -128, with warnings
  EXPECT_EQ(db_->warning_count(), 2u);
  EXPECT_EQ(db_->info(), "Records: 2  Duplicates: 0  Warnings: 2");
  auto r = db_->select("SELECT MAX(a), MIN(a) FROM w");
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(0)), "127");
  EXPECT_EQ(text(r.get(1)), "-128");
  db_->set_character_set("latin1");
  EXPECT_EQ(db_->character_set(), "latin1");
  EXPECT_THROW(db_->set_character_set("no-such-charset"), my::Error);
  db_->set_character_set("utf8mb4");
  EXPECT_EQ(db_->character_set(), "utf8mb4");
}

// ---- Text queries and result sets ----

TEST_F(MariaDbTest, StoreResultGivesRowsFieldsAndNulls) {
  db_->execute(
      "CREATE TABLE people (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "name VARCHAR(40) NOT NULL, age SMALLINT NULL, photo BLOB NULL, score DECIMAL(8,3))");
  EXPECT_EQ(db_->execute("INSERT INTO people (name, age, photo, score) VALUES "
                         "('ann', 31, x'00ff10', 12.5), ('bob', NULL, NULL, NULL), "
                         "('cé', -4, '', -0.001)"),
            3u);
  EXPECT_EQ(db_->insert_id(), 1u);  // the first id of a multi-row insert

  auto r = db_->select("SELECT id, name, age, photo, score FROM people ORDER BY id");
  EXPECT_EQ(r.num_rows(), 3u);
  ASSERT_EQ(r.num_fields(), 5u);
  auto f = r.fields();
  EXPECT_EQ(f[0].name, "id");
  EXPECT_EQ(f[0].table, "people");
  EXPECT_EQ(f[0].db, database_);
  EXPECT_EQ(f[0].type, my::FieldType::Long);
  EXPECT_TRUE(f[0].flags & my::kPriKeyFlag);
  EXPECT_TRUE(f[0].flags & my::kAutoIncrementFlag);
  EXPECT_TRUE(f[0].is_unsigned());
  EXPECT_EQ(f[1].type, my::FieldType::VarString);
  EXPECT_TRUE(f[1].flags & my::kNotNullFlag);
  EXPECT_FALSE(f[1].is_binary());
  EXPECT_EQ(f[1].length, 40u * 4);  // utf8mb4: 4 bytes a character
  EXPECT_EQ(f[2].type, my::FieldType::Short);
  EXPECT_FALSE(f[2].flags & my::kNotNullFlag);
  EXPECT_EQ(f[3].type, my::FieldType::Blob);
  EXPECT_TRUE(f[3].is_binary());
  EXPECT_EQ(f[4].type, my::FieldType::NewDecimal);
  EXPECT_EQ(f[4].decimals, 3u);
  EXPECT_EQ(f[1].max_length, 3u);  // store_result measures the longest value ("cé": 3 bytes)

  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(0)), "1");
  EXPECT_EQ(text(r.get(1)), "ann");
  EXPECT_EQ(text(r.get(2)), "31");
  EXPECT_EQ(text(r.get(3)), std::string("\x00\xff\x10", 3));  // lengths from fetch_lengths
  EXPECT_EQ(text(r.get(4)), "12.500");
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(1)), "bob");
  EXPECT_TRUE(r.is_null(2));
  EXPECT_TRUE(r.is_null(3));
  EXPECT_FALSE(r.get(4).has_value());
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(1)), "c\xc3\xa9");
  EXPECT_EQ(text(r.get(2)), "-4");
  EXPECT_FALSE(r.is_null(3));
  EXPECT_EQ(text(r.get(3)), "");  // empty, not NULL
  EXPECT_EQ(text(r.get(4)), "-0.001");
  EXPECT_FALSE(r.fetch());
  EXPECT_THROW(r.get(0), jitffi::bindings::BindingError);  // no current row
}

TEST_F(MariaDbTest, UseResultStreamsRowsFromTheServer) {
  db_->execute("CREATE TABLE n (v INT NOT NULL)");
  db_->execute("INSERT INTO n SELECT seq FROM seq_1_to_5000");  // the SEQUENCE engine's table
  db_->query("SELECT v FROM n ORDER BY v");
  auto r = db_->use_result();
  ASSERT_TRUE(r.has_value());
  long long sum = 0, rows = 0;
  while (r->fetch()) {
    sum += std::stoll(std::string(*r->get(0)));
    ++rows;
    EXPECT_EQ(r->num_rows(), static_cast<std::uint64_t>(rows));  // counted as they arrive
  }
  EXPECT_EQ(rows, 5000);
  EXPECT_EQ(sum, 5000LL * 5001 / 2);
}

TEST_F(MariaDbTest, UnfinishedUseResultIsDrainedWhenFreed) {
  db_->query("SELECT seq FROM seq_1_to_1000");
  {
    auto r = db_->use_result();
    ASSERT_TRUE(r->fetch());
    EXPECT_EQ(text(r->get(0)), "1");
  }  // mysql_free_result reads the rest, so the connection is usable again
  auto r = db_->select("SELECT 2 + 2");
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(0)), "4");
}

TEST_F(MariaDbTest, StatementWithoutResultSetHasNone) {
  db_->query("CREATE TABLE e (a INT)");
  EXPECT_FALSE(db_->store_result().has_value());
  EXPECT_EQ(db_->field_count(), 0u);
  db_->query("INSERT INTO e VALUES (1), (2)");
  EXPECT_FALSE(db_->store_result().has_value());
  EXPECT_EQ(db_->affected_rows(), 2u);
  EXPECT_THROW(db_->select("DELETE FROM e"), my::Error);
}

TEST_F(MariaDbTest, MysqlQueryEndsAtNulRealQueryAtTheLength) {
  // mysql_query takes a C string; mysql_real_query (the binding's query) takes the length, so a
  // string_view into a longer buffer sends only its own bytes.
  const my::Api &a = db_->api();
  EXPECT_EQ(a.query.invoke<int>(db_->handle(), "SELECT 7\0 and no more"), 0);
  {
    auto r = db_->store_result();
    ASSERT_TRUE(r && r->fetch());
    EXPECT_EQ(text(r->get(0)), "7");
  }
  std::string_view buffer = "SELECT 8 + 1) ) not sent";
  db_->query(buffer.substr(0, 12));
  auto r = db_->store_result();
  ASSERT_TRUE(r && r->fetch());
  EXPECT_EQ(text(r->get(0)), "9");
  EXPECT_THROW(db_->query(buffer.substr(0, 13)), my::Error);  // "SELECT 8 + 1)": syntax error
}

// ---- Prepared statements ----

TEST_F(MariaDbTest, PreparedStatementRoundTripsEveryColumnType) {
  db_->execute(
      "CREATE TABLE t (id INT PRIMARY KEY, i8 TINYINT, i16 SMALLINT, i24 MEDIUMINT, i32 INT, "
      "i64 BIGINT, u64 BIGINT UNSIGNED, f32 FLOAT, f64 DOUBLE, dec1 DECIMAL(30,10), "
      "vc VARCHAR(100), txt TEXT, bin VARBINARY(20), bl LONGBLOB, d DATE, dt DATETIME(6), "
      "tm TIME(3), ts TIMESTAMP NULL, y YEAR)");
  auto ins = db_->prepare("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  EXPECT_EQ(ins.param_count(), 19u);
  std::string big(300000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + (i >> 9));
  my::DateTime tm{};
  tm.hour = 838, tm.minute = 59, tm.second = 58, tm.microsecond = 123000, tm.negative = true;
  tm.type = my::TimeType::Time;
  const std::vector<my::Value> row1 = {std::int64_t(1),
                                       std::int64_t(-128),
                                       std::int64_t(32767),
                                       std::int64_t(-8388608),
                                       std::int64_t(std::numeric_limits<std::int32_t>::min()),
                                       std::int64_t(std::numeric_limits<std::int64_t>::min()),
                                       std::uint64_t(std::numeric_limits<std::uint64_t>::max()),
                                       0.5,
                                       -1.0 / 3.0,
                                       my::Decimal{"-12345678901234567890.0123456789"},
                                       std::string("h\xc3\xa9llo, w\xc3\xb6rld"),
                                       std::string("text with 'quotes' and \"doubles\""),
                                       my::to_blob(std::string_view("\x00\x01\xfe\xff\x00", 5)),
                                       my::to_blob(big),
                                       my::DateTime::date(2024, 2, 29),
                                       my::DateTime::datetime(1999, 12, 31, 23, 59, 59, 999999),
                                       tm,
                                       my::DateTime::datetime(2038, 1, 19, 3, 14, 7),
                                       std::int64_t(2155)};
  ins.execute(row1);
  EXPECT_EQ(ins.affected_rows(), 1u);
  std::vector<my::Value> row2(19, my::Value(nullptr));
  row2[0] = std::int64_t(2);
  row2[10] = std::string();  // empty but not NULL
  ins.execute(row2);

  auto sel = db_->prepare("SELECT * FROM t ORDER BY id");
  EXPECT_EQ(sel.field_count(), 19u);
  sel.execute();
  ASSERT_TRUE(sel.fetch());
  std::vector<my::Value> got = sel.row_values();
  ASSERT_EQ(got.size(), 19u);
  for (std::size_t i = 0; i < 19; ++i) {
    SCOPED_TRACE("column " + std::to_string(i));
    if (i == 7) {
      EXPECT_EQ(std::get<double>(got[i]), 0.5);  // FLOAT holds 0.5 exactly
    } else if (i == 9) {
      EXPECT_EQ(std::get<my::Decimal>(got[i]).text, "-12345678901234567890.0123456789");
    } else if (i == 12 || i == 13) {
      EXPECT_TRUE(std::get<my::Blob>(got[i]) == std::get<my::Blob>(row1[i]))
          << "blob of " << std::get<my::Blob>(row1[i]).size() << " bytes differs, got "
          << std::get<my::Blob>(got[i]).size();
    } else if (i == 16) {
      my::DateTime t = std::get<my::DateTime>(got[i]);
      EXPECT_EQ(t.hour, 838u);
      EXPECT_EQ(t.minute, 59u);
      EXPECT_EQ(t.second, 58u);
      EXPECT_EQ(t.microsecond, 123000u);
      EXPECT_TRUE(t.negative);
      EXPECT_EQ(t.type, my::TimeType::Time);
    } else if (i == 18) {
      EXPECT_EQ(std::get<std::uint64_t>(got[i]), 2155u);  // YEAR columns are UNSIGNED
    } else if (i == 14) {
      EXPECT_TRUE(std::get<my::DateTime>(got[i]) == my::DateTime::date(2024, 2, 29));
    } else {
      EXPECT_TRUE(got[i] == row1[i]) << "index " << got[i].index() << " vs " << row1[i].index();
    }
  }
  // Typed access to the fetched buffers.
  EXPECT_EQ(sel.row().int64(5), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(sel.row().uint64(6), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(sel.row().double_(8), -1.0 / 3.0);
  EXPECT_EQ(sel.row().bytes(13).size(), big.size());
  EXPECT_EQ(sel.row().time(15).microsecond, 999999u);

  ASSERT_TRUE(sel.fetch());
  got = sel.row_values();
  EXPECT_EQ(std::get<std::int64_t>(got[0]), 2);
  EXPECT_EQ(std::get<std::string>(got[10]), "");
  for (std::size_t i = 1; i < 19; ++i)
    if (i != 10) {
      EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(got[i])) << "column " << i;
    }
  EXPECT_FALSE(sel.fetch());
}

TEST_F(MariaDbTest, PreparedResultMetadata) {
  db_->execute("CREATE TABLE m (a BIGINT UNSIGNED NOT NULL, b VARCHAR(9), c DATETIME)");
  auto st = db_->prepare("SELECT a, b AS bee, c FROM m WHERE a > ?");
  EXPECT_EQ(st.param_count(), 1u);
  auto f = st.fields();
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].type, my::FieldType::LongLong);
  EXPECT_TRUE(f[0].is_unsigned());
  EXPECT_EQ(f[1].name, "bee");
  EXPECT_EQ(f[1].org_name, "b");
  EXPECT_EQ(f[2].type, my::FieldType::DateTime);
  EXPECT_TRUE(db_->prepare("DELETE FROM m").fields().empty());
}

TEST_F(MariaDbTest, BindsAreReusedWithoutBindingAgain) {
  db_->execute("CREATE TABLE r (id BIGINT PRIMARY KEY, name VARCHAR(64), x DOUBLE)");
  auto ins = db_->prepare("INSERT INTO r VALUES (?, ?, ?)");
  my::Binds p = ins.make_params();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_TRUE(p.dirty());
  my::Transaction tx(*db_);
  for (int i = 0; i < 500; ++i) {
    p.set_int64(0, i);
    if (i % 7 == 3)
      p.set_null(1);
    else
      p.set_string(1, "name-" + std::to_string(i));
    p.set_double(2, i * 0.25);
    bool was_dirty = p.dirty();
    ins.execute(p);
    EXPECT_FALSE(p.dirty());
    // Same types and buffers as the previous row: no new bind (NULL switches the type).
    if (i > 4 && i % 7 != 3 && i % 7 != 4) {
      EXPECT_FALSE(was_dirty) << "row " << i;
    }
  }
  tx.commit();
  auto sel = db_->prepare("SELECT COUNT(*), SUM(id), COUNT(name), SUM(x) FROM r");
  sel.execute();
  ASSERT_TRUE(sel.fetch());
  EXPECT_EQ(sel.row().int64(0), 500);
  EXPECT_EQ(std::get<my::Decimal>(sel.column(1)).text, "124750");  // SUM of BIGINT: DECIMAL
  EXPECT_EQ(sel.row().int64(2), 500 - 71);
  EXPECT_EQ(sel.row().double_(3), 124750 * 0.25);
  EXPECT_THROW(ins.execute({std::int64_t(1)}), jitffi::bindings::BindingError);
}

TEST_F(MariaDbTest, StatementStoreResultCountsRows) {
  auto st = db_->prepare("SELECT seq, seq * 2 FROM seq_1_to_321");
  st.execute();
  st.store_result();
  EXPECT_EQ(st.num_rows(), 321u);
  std::int64_t n = 0;
  while (st.fetch()) {
    ++n;
    EXPECT_EQ(st.row().uint64(0), static_cast<std::uint64_t>(n));
    EXPECT_EQ(st.row().uint64(1), static_cast<std::uint64_t>(2 * n));
  }
  EXPECT_EQ(n, 321);
  st.free_result();
  st.execute();  // again, streamed this time
  n = 0;
  while (st.fetch()) ++n;
  EXPECT_EQ(n, 321);
}

TEST_F(MariaDbTest, StatementResetStartsOver) {
  auto st = db_->prepare("SELECT seq FROM seq_1_to_5");
  st.execute();
  ASSERT_TRUE(st.fetch());
  ASSERT_TRUE(st.fetch());
  EXPECT_EQ(st.row().uint64(0), 2u);
  st.reset();  // the rest of the result is dropped
  st.execute();
  ASSERT_TRUE(st.fetch());
  EXPECT_EQ(st.row().uint64(0), 1u);
  int n = 1;
  while (st.fetch()) ++n;
  EXPECT_EQ(n, 5);

  db_->execute("CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
  auto ins = db_->prepare("INSERT INTO ai (v) VALUES (?)");
  ins.execute({std::int64_t(10)});
  EXPECT_EQ(ins.insert_id(), 1u);
  ins.execute({std::int64_t(20)});
  EXPECT_EQ(ins.insert_id(), 2u);
  EXPECT_EQ(ins.affected_rows(), 1u);
}

// ---- Transactions ----

TEST_F(MariaDbTest, TransactionsCommitAndRollBack) {
  db_->execute("CREATE TABLE acct (id INT PRIMARY KEY, balance INT) ENGINE=InnoDB");
  db_->execute("INSERT INTO acct VALUES (1, 100), (2, 0)");
  auto balances = [&] {
    auto r = db_->select("SELECT balance FROM acct ORDER BY id");
    std::string s;
    while (r.fetch()) s += text(r.get(0)) + ";";
    return s;
  };
  {
    my::Transaction tx(*db_);
    db_->execute("UPDATE acct SET balance = balance - 30 WHERE id = 1");
    db_->execute("UPDATE acct SET balance = balance + 30 WHERE id = 2");
    EXPECT_EQ(balances(), "70;30;");
    tx.rollback();
  }
  EXPECT_EQ(balances(), "100;0;");
  {
    my::Transaction tx(*db_);
    db_->execute("UPDATE acct SET balance = 1 WHERE id = 1");
  }  // destroyed without commit: rolled back
  EXPECT_EQ(balances(), "100;0;");
  {
    my::Transaction tx(*db_);
    db_->execute("UPDATE acct SET balance = balance - 30 WHERE id = 1");
    db_->execute("UPDATE acct SET balance = balance + 30 WHERE id = 2");
    tx.commit();
  }
  EXPECT_EQ(balances(), "70;30;");
  // Another connection sees only committed data.
  db_->autocommit(false);
  db_->execute("DELETE FROM acct");
  auto other = connect();
  auto r = other.select("SELECT COUNT(*) FROM acct");
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(0)), "2");
  db_->rollback();
  db_->autocommit(true);
  EXPECT_EQ(balances(), "70;30;");
}

// ---- Multi-statements ----

TEST_F(MariaDbTest, MultiStatementsGiveOneResultEach) {
  auto c = connect(my::kClientMultiStatements);
  c.query(
      "CREATE TABLE ms (a INT); INSERT INTO ms VALUES (1), (2), (3); SELECT SUM(a) FROM ms; "
      "SELECT 'x' AS s, NULL AS n");
  // CREATE: no result set.
  EXPECT_FALSE(c.store_result().has_value());
  ASSERT_TRUE(c.more_results());
  ASSERT_TRUE(c.next_result());
  EXPECT_FALSE(c.store_result().has_value());
  EXPECT_EQ(c.affected_rows(), 3u);
  ASSERT_TRUE(c.next_result());
  {
    auto r = c.store_result();
    ASSERT_TRUE(r && r->fetch());
    EXPECT_EQ(text(r->get(0)), "6");
  }
  ASSERT_TRUE(c.next_result());
  {
    auto r = c.store_result();
    ASSERT_TRUE(r && r->fetch());
    EXPECT_EQ(r->field(0).name, "s");
    EXPECT_EQ(text(r->get(0)), "x");
    EXPECT_TRUE(r->is_null(1));
  }
  EXPECT_FALSE(c.more_results());
  EXPECT_FALSE(c.next_result());

  // An error in a later statement: the earlier ones ran, execute() throws the server's error.
  try {
    c.execute("INSERT INTO ms VALUES (10); SELEC 1; INSERT INTO ms VALUES (20)");
    FAIL() << "the bad second statement was not reported";
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1064u) << e.what();
    EXPECT_EQ(e.sqlstate(), "42000");
  }
  auto r = c.select("SELECT SUM(a) FROM ms");
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(0)), "16");

  // Without CLIENT_MULTI_STATEMENTS the server refuses the second statement as a syntax error.
  EXPECT_THROW(db_->execute("SELECT 1; SELECT 2"), my::Error);
}

// ---- Escaping ----

TEST_F(MariaDbTest, RealEscapeStringRoundTripsAwkwardText) {
  db_->execute("CREATE TABLE esc (s BLOB)");
  const std::string nasty("O'Brien \\ \"q\" \n\r \x1a \0 end; DROP TABLE esc; --", 45);
  std::string e = db_->escape(nasty);
  EXPECT_EQ(e.find('\0'), std::string::npos);
  EXPECT_NE(e.find("O\\'Brien"), std::string::npos) << e;
  EXPECT_NE(e.find("\\0"), std::string::npos) << e;
  EXPECT_NE(e.find("\\Z"), std::string::npos) << e;
  db_->execute("INSERT INTO esc VALUES ('" + e + "')");
  auto r = db_->select("SELECT s, LENGTH(s) FROM esc");
  ASSERT_TRUE(r.fetch());
  EXPECT_EQ(text(r.get(0)), nasty);
  EXPECT_EQ(text(r.get(1)), std::to_string(nasty.size()));
  EXPECT_EQ(db_->escape(""), "");
}

// ---- Errors ----

TEST_F(MariaDbTest, ServerErrorsCarryErrnoMessageAndSqlstate) {
  try {
    db_->execute("SELEC 1");
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1064u);  // ER_PARSE_ERROR
    EXPECT_EQ(e.sqlstate(), "42000");
    EXPECT_NE(e.message().find("near 'SELEC 1'"), std::string::npos) << e.message();
    EXPECT_NE(std::string(e.what()).find("errno 1064, SQLSTATE 42000"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("SELEC 1"), std::string::npos);
  }
  try {
    db_->select("SELECT * FROM no_such_table");
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1146u);  // ER_NO_SUCH_TABLE
    EXPECT_EQ(e.sqlstate(), "42S02");
    EXPECT_NE(e.message().find(database_ + ".no_such_table"), std::string::npos) << e.message();
  }
  db_->execute("CREATE TABLE u (k VARCHAR(8) PRIMARY KEY)");
  db_->execute("INSERT INTO u VALUES ('dup')");
  try {
    db_->execute("INSERT INTO u VALUES ('dup')");
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1062u);  // ER_DUP_ENTRY
    EXPECT_EQ(e.sqlstate(), "23000");
    EXPECT_EQ(e.message(), "Duplicate entry 'dup' for key 'PRIMARY'");
  }
  // The same through a prepared statement: mysql_stmt_errno/error/sqlstate.
  auto st = db_->prepare("INSERT INTO u VALUES (?)");
  try {
    st.execute({std::string("dup")});
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1062u);
    EXPECT_EQ(e.sqlstate(), "23000");
    EXPECT_NE(std::string(e.what()).find("mysql_stmt_execute"), std::string::npos) << e.what();
  }
  st.execute({std::string("ok")});  // the statement is still usable
  try {
    db_->prepare("SELECT * FROM u WHERE");
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1064u);
    EXPECT_NE(std::string(e.what()).find("prepare: SELECT * FROM u WHERE"), std::string::npos);
  }
  // Data too long in strict mode.
  try {
    db_->execute("INSERT INTO u VALUES ('123456789')");
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 1406u);  // ER_DATA_TOO_LONG
    EXPECT_EQ(e.sqlstate(), "22001");
  }
  db_->ping();  // errors leave the connection usable
}

// A server of its own, stopped under an open connection: the next call fails with the client's
// "lost connection" / "server gone" error, and connecting again is refused.
TEST_F(MariaDbTest, StoppedServerIsALostConnection) {
  jitffi::test::mariadb::TestServer own;
  jitffi::test::mariadb::ServerAddress a{own.socket(), own.port()};
  auto c = my::Connection::connect(*lib_, jitffi::test::mariadb::socket_options(a));
  auto tcp = my::Connection::connect(*lib_, jitffi::test::mariadb::tcp_options(a));
  c.execute("CREATE DATABASE gone");
  std::string dir = own.dir();
  own.stop();
  EXPECT_FALSE(std::filesystem::exists(dir));
  for (my::Connection *conn : {&c, &tcp}) {
    try {
      conn->execute("SELECT 1");
      FAIL() << "a query on a stopped server succeeded";
    } catch (const my::Error &e) {
      // CR_SERVER_GONE_ERROR (2006) or CR_SERVER_LOST (2013), depending on when the client
      // notices; both are SQLSTATE HY000.
      EXPECT_TRUE(e.code() == 2006u || e.code() == 2013u) << e.what();
      EXPECT_EQ(e.sqlstate(), "HY000");
      EXPECT_FALSE(e.message().empty());
    }
    EXPECT_THROW(conn->ping(), my::Error);
  }
  try {
    my::Connection::connect(*lib_, jitffi::test::mariadb::socket_options(a));
    FAIL();
  } catch (const my::Error &e) {
    EXPECT_EQ(e.code(), 2002u) << e.what();  // CR_CONNECTION_ERROR: no socket any more
  }
  try {
    my::Connection::connect(*lib_, jitffi::test::mariadb::tcp_options(a));
    FAIL();
  } catch (const my::Error &e) {
    // Connector/C 3.3 reports a refused TCP connection as CR_CONNECTION_ERROR too.
    EXPECT_EQ(e.code(), 2002u) << e.what();
    EXPECT_NE(e.message().find("127.0.0.1"), std::string::npos) << e.message();
  }
}

}  // namespace
