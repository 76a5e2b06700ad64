// mongoc binding against the real libmongoc (Debian's 1.23): there is no MongoDB server here, so
// these tests cover what the driver does without one — URI parsing and its getters, building
// commands and bulk operations (checked locally by the driver, never executed against a server),
// client pools, and the server-selection failure of a client aimed at a closed loopback port.
#include "jitffi/bindings/mongoc.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "tests/bindings/test_util.h"

namespace bs = jitffi::bindings::bson;
namespace mg = jitffi::bindings::mongoc;
using jitffi::bindings::test::BindingTest;

namespace {

// A loopback port nobody listens on: bound to 127.0.0.1:0, read back, closed.
int closed_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
  socklen_t n = sizeof a;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &n), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string closed_uri(const std::string &extra = {}) {
  return "mongodb://127.0.0.1:" + std::to_string(closed_loopback_port()) +
         "/?serverSelectionTimeoutMS=200&connectTimeoutMS=200" + extra;
}

bool contains(const std::string &s, const std::string &what) {
  return s.find(what) != std::string::npos;
}

class Mongoc : public BindingTest {
 protected:
  mg::Mongoc m_;
  const bs::Bson &bson() { return m_.bson(); }
  bs::Document json(const char *text) { return bs::Document::from_json(bson(), text); }

  // The driver's server-selection failure, as the binding reports it.
  void expect_server_selection(const mg::Error &e, int port) {
    EXPECT_EQ(e.domain(), mg::kErrorDomainServerSelection) << e.what();
    EXPECT_EQ(e.code(), 13053u) << e.what();  // MONGOC_ERROR_SERVER_SELECTION_FAILURE
    EXPECT_TRUE(contains(e.message(), "No suitable servers found")) << e.message();
    EXPECT_TRUE(contains(e.message(), "127.0.0.1:" + std::to_string(port))) << e.message();
    EXPECT_TRUE(contains(e.what(), "(domain 15, code 13053)")) << e.what();
  }
};

int port_of(const mg::Uri &u) {
  return u.hosts().at(0).port;
}

}  // namespace

TEST_F(Mongoc, LoadsTheDriverOnceAndUsesTheChosenBackend) {
  EXPECT_EQ(m_.version().rfind("1.", 0), 0u) << m_.version();
  EXPECT_EQ(m_.api().uri_get_string.backend(), jitffi::bindings::test::expected_backend());
  const char *env = ::getenv("JITFFI_MONGOC_PATH");
  EXPECT_EQ(m_.api().lib.name(), env != nullptr && *env != '\0' ? env : "libmongoc-1.0.so.0");
  // One driver per process: a second Mongoc shares it, another file is refused by name.
  mg::Mongoc again;
  EXPECT_EQ(&again.api(), &m_.api());
  try {
    mg::Mongoc other("/nonexistent/libmongoc-1.0.so.0");
    FAIL() << "loaded a second driver";
  } catch (const jitffi::bindings::BindingError &e) {
    EXPECT_TRUE(contains(e.what(), "/nonexistent/libmongoc-1.0.so.0")) << e.what();
    EXPECT_TRUE(contains(e.what(), "already loaded")) << e.what();
  }
}

struct FakeApi {
  jitffi::Function present, missing, also_missing;
};

TEST_F(Mongoc, MissingSymbolsAreReportedByName) {
  jitffi::Library lib = jitffi::Library::open("libmongoc-1.0.so.0");
  lib.scope().declare("typedef struct _mongoc_uri_t mongoc_uri_t;");
  constexpr jitffi::bindings::FunctionEntry<FakeApi> table[] = {
      {&FakeApi::present, "void mongoc_uri_destroy(mongoc_uri_t *uri)"},
      {&FakeApi::missing, "int mongoc_no_such_function(mongoc_uri_t *u)"},
      {&FakeApi::also_missing, "void mongoc_gone_too(void)"},
  };
  FakeApi api;
  try {
    jitffi::bindings::resolve_functions<FakeApi>(lib, api, table);
    FAIL() << "missing symbols not reported";
  } catch (const jitffi::bindings::MissingSymbolsError &e) {
    EXPECT_EQ(e.symbols(),
              (std::vector<std::string>{"mongoc_no_such_function", "mongoc_gone_too"}));
  }
}

TEST_F(Mongoc, UriWithEveryOptionIsParsed) {
  auto u = m_.uri(
      "mongodb://alice:s%40cret@db1.example:27018,[::1]:27019,db3.example/shop"
      "?replicaSet=rs0&authSource=admin&tls=false&serverSelectionTimeoutMS=1500&appname=jitffi"
      "&readPreference=secondaryPreferred&readPreferenceTags=dc:ny,rack:1&readPreferenceTags="
      "&maxStalenessSeconds=120&w=majority&wtimeoutMS=500&journal=true&retryWrites=false");
  auto hosts = u.hosts();
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0].host, "db1.example");
  EXPECT_EQ(hosts[0].port, 27018);
  EXPECT_EQ(hosts[0].host_and_port, "db1.example:27018");
  EXPECT_EQ(hosts[1].host, "::1");
  EXPECT_EQ(hosts[1].host_and_port, "[::1]:27019");
  EXPECT_EQ(hosts[2].port, 27017);  // the default port
  EXPECT_EQ(u.database(), "shop");
  EXPECT_EQ(u.username(), "alice");
  EXPECT_EQ(u.replica_set(), "rs0");
  EXPECT_EQ(u.auth_source(), "admin");
  EXPECT_FALSE(u.tls());
  EXPECT_EQ(u.option_int32("serverSelectionTimeoutMS", -1), 1500);
  EXPECT_EQ(u.option_int32("connectTimeoutMS", 4242), 4242);  // absent: the fallback
  EXPECT_EQ(u.option_utf8("appname"), "jitffi");
  EXPECT_FALSE(u.option_bool("retryWrites", true));
  EXPECT_EQ(u.option_utf8("nosuchoption"), std::nullopt);
  auto opts = u.options();
  ASSERT_TRUE(opts.find("serverselectiontimeoutms").has_value()) << opts.relaxed_json();
  EXPECT_EQ(opts.find("serverselectiontimeoutms")->int32(), 1500);
  EXPECT_EQ(opts.find("replicaset")->utf8(), "rs0");

  EXPECT_EQ(u.read_mode(), mg::ReadMode::SecondaryPreferred);
  auto tags = u.read_tags();  // [{dc: ny, rack: 1}, {}]
  EXPECT_EQ(tags.count_keys(), 2u) << tags.relaxed_json();
  EXPECT_EQ(tags.find("0.dc")->utf8(), "ny");
  EXPECT_EQ(tags.find("0.rack")->utf8(), "1");
  EXPECT_EQ(tags.find("1")->recurse().next(), false);  // the empty tag set: any server
  EXPECT_EQ(u.max_staleness_seconds(), 120);

  EXPECT_EQ(u.w(), mg::kWMajority);
  EXPECT_TRUE(u.wmajority());
  EXPECT_EQ(u.wtimeout_ms(), 500);
  EXPECT_EQ(u.journal(), true);
  EXPECT_TRUE(contains(u.string(), "db1.example:27018")) << u.string();
}

TEST_F(Mongoc, MinimalUriHasTheDriversDefaults) {
  auto u = m_.uri("mongodb://localhost");
  ASSERT_EQ(u.hosts().size(), 1u);
  EXPECT_EQ(u.hosts()[0].host_and_port, "localhost:27017");
  EXPECT_EQ(u.database(), std::nullopt);
  EXPECT_EQ(u.username(), std::nullopt);
  EXPECT_EQ(u.replica_set(), std::nullopt);
  EXPECT_EQ(u.read_mode(), mg::ReadMode::Primary);
  EXPECT_EQ(u.read_tags().count_keys(), 0u);
  EXPECT_EQ(u.max_staleness_seconds(), -1);  // MONGOC_NO_MAX_STALENESS
  EXPECT_EQ(u.w(), mg::kWDefault);
  EXPECT_FALSE(u.wmajority());
  EXPECT_EQ(u.journal(), std::nullopt);
  EXPECT_EQ(u.options().count_keys(), 0u);
  auto w2 = m_.uri("mongodb://localhost/?w=2&readPreference=nearest");
  EXPECT_EQ(w2.w(), 2);
  EXPECT_EQ(w2.read_mode(), mg::ReadMode::Nearest);
  auto w0 = m_.uri("mongodb://localhost/?w=0");
  EXPECT_EQ(w0.w(), mg::kWUnacknowledged);
}

TEST_F(Mongoc, BadUrisThrowTheDriversError) {
  struct Case {
    const char *uri, *says;
  } cases[] = {
      {"http://localhost", "Invalid URI Schema"},
      {"mongodb://", "Invalid host string in URI"},
      {"mongodb://localhost:99999", "Invalid host string in URI"},
      {"mongodb://localhost/?w=0&journal=true", "Journal conflicts with w value"},
      {"mongodb://localhost/?readPreference=primary&maxStalenessSeconds=100",
       "Invalid readPreferences"},
      {"mongodb://localhost/?readPreference=bogus", "Unsupported readPreference value"},
      {"mongodb://localhost/?serverSelectionTimeoutMS=notanumber", "Unsupported value"},
  };
  for (const Case &c : cases) {
    try {
      auto u = m_.uri(c.uri);
      ADD_FAILURE() << "accepted " << c.uri;
    } catch (const mg::Error &e) {
      EXPECT_TRUE(contains(e.message(), c.says)) << c.uri << ": " << e.what();
      EXPECT_EQ(e.domain(), mg::kErrorDomainCommand) << c.uri << ": " << e.what();
      EXPECT_EQ(e.code(), 22u) << e.what();  // MONGOC_ERROR_COMMAND_INVALID_ARG
      EXPECT_TRUE(contains(e.what(), c.uri)) << e.what();
    }
  }
  // A NUL inside the text would silently cut it for the driver: refused before the call.
  EXPECT_THROW(m_.uri(std::string_view("mongodb://a\0b", 13)), jitffi::bindings::BindingError);
}

TEST_F(Mongoc, CommandOnAClosedLoopbackPortFailsServerSelection) {
  auto u = m_.uri(closed_uri());
  auto client = m_.client(u);
  EXPECT_FALSE(client.pooled());
  // A real command document, built through the bson binding.
  auto docs = bs::array_of(bson(), 2, [&](bs::Document &a, const std::string &k, std::size_t i) {
    auto d = bs::Document::create(bson());
    d.append_int32("_id", static_cast<std::int32_t>(i + 1)).append_utf8("name", "item " + k);
    a.append_document(k, d);
  });
  auto cmd = bs::Document::create(bson());
  cmd.append_utf8("insert", "items").append_array("documents", docs).append_bool("ordered", true);
  EXPECT_EQ(cmd.relaxed_json(),
            R"({ "insert" : "items", "documents" : [ { "_id" : 1, "name" : "item 0" }, )"
            R"({ "_id" : 2, "name" : "item 1" } ], "ordered" : true })");
  auto t0 = std::chrono::steady_clock::now();
  try {
    client.command_simple("shop", cmd);
    FAIL() << "a command succeeded with no server";
  } catch (const mg::Error &e) {
    expect_server_selection(e, port_of(u));
    EXPECT_TRUE(contains(e.what(), "mongoc_client_command_simple on \"shop\"")) << e.what();
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 10000) << "serverSelectionTimeoutMS=200 not honoured";
  // Again at once: a single-threaded client does not rescan within its cooldown (5 s), and says
  // so as a server-selection error; the client is still whole.
  try {
    client.command_simple("admin", json(R"({"ping": 1})"));
    FAIL() << "ping succeeded with no server";
  } catch (const mg::Error &e) {
    EXPECT_EQ(e.domain(), mg::kErrorDomainServerSelection) << e.what();
    EXPECT_EQ(e.code(), 13053u) << e.what();
    EXPECT_TRUE(contains(e.message(), "No servers yet eligible for rescan")) << e.what();
  }
}

TEST_F(Mongoc, BulkOperationsAreBuiltAndCheckedWithoutAServer) {
  auto u = m_.uri(closed_uri());
  auto client = m_.client(u);
  auto coll = client.collection("shop", "items");
  EXPECT_EQ(coll.name(), "items");
  auto opts = json(R"({"ordered": false})");
  auto bulk = coll.bulk(&opts);
  for (int i = 0; i < 3; ++i) {
    auto d = bs::Document::create(bson());
    d.append_int32("_id", i).append_utf8("state", "new");
    bulk.insert(d);
  }
  auto upsert = json(R"({"upsert": true})");
  bulk.update_one(json(R"({"_id": 0})"), json(R"({"$set": {"state": "seen"}})"), &upsert)
      .update_many(json(R"({"state": "new"})"), json(R"({"$inc": {"n": 1}})"))
      .replace_one(json(R"({"_id": 1})"), json(R"({"state": "replaced"})"))
      .remove_one(json(R"({"_id": 2})"))
      .remove_many(json(R"({"state": "gone"})"));
  EXPECT_EQ(bulk.appended(), 8u);

  // The driver checks each operation as it is appended, with its own words.
  auto refused = [&](auto &&append, const char *says) {
    try {
      append();
      ADD_FAILURE() << "accepted; expected \"" << says << "\"";
    } catch (const mg::Error &e) {
      EXPECT_TRUE(contains(e.message(), says)) << e.what();
      EXPECT_EQ(e.domain(), mg::kErrorDomainCommand) << e.what();
    }
  };
  refused([&] { bulk.update_one(json(R"({"_id": 0})"), json(R"({"state": "x"})")); },
          "update only works with $ operators");
  refused([&] { bulk.replace_one(json(R"({"_id": 0})"), json(R"({"$set": {"a": 1}})")); },
          "replace prohibits $ operators");
  refused([&] { bulk.insert(json(R"({"": 1})")); }, "empty key");
  auto bad_opts = json(R"({"limit": 2})");
  refused([&] { bulk.remove_one(json(R"({})"), &bad_opts); }, "limit");
  EXPECT_EQ(bulk.appended(), 8u);

  // Executing needs a server: none answers on the closed port.
  try {
    bulk.execute();
    FAIL() << "a bulk write succeeded with no server";
  } catch (const mg::Error &e) {
    expect_server_selection(e, port_of(u));
  }
  // An empty bulk is refused before any server is looked for.
  auto empty = coll.bulk();
  try {
    empty.execute();
    FAIL() << "an empty bulk write succeeded";
  } catch (const mg::Error &e) {
    EXPECT_TRUE(contains(e.message(), "empty bulk write")) << e.what();
  }
}

TEST_F(Mongoc, ClientPoolHandsOutUpToMaxPoolSizeClients) {
  auto u = m_.uri(closed_uri("&maxPoolSize=2"));
  auto pool = m_.pool(u);
  std::optional<mg::Client> a = pool.pop();
  mg::Client b = pool.pop();
  EXPECT_TRUE(a->pooled());
  EXPECT_NE(a->handle(), b.handle());
  EXPECT_FALSE(pool.try_pop().has_value()) << "a third client beyond maxPoolSize=2";
  void *first = a->handle();
  a.reset();  // pushed back
  auto c = pool.try_pop();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->handle(), first);  // the same client, reused
  // A pooled client waits serverSelectionTimeoutMS for a server, then fails the same way.
  auto ping = json(R"({"ping": 1})");
  auto t0 = std::chrono::steady_clock::now();
  try {
    c->command_simple("admin", ping);
    FAIL() << "ping succeeded with no server";
  } catch (const mg::Error &e) {
    expect_server_selection(e, port_of(u));
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GE(ms, 150) << "the pool did not wait for serverSelectionTimeoutMS=200";
  EXPECT_LT(ms, 10000);
  // A collection (and its client) may outlive the pool object: the pool goes with its last client.
  auto coll = c->collection("shop", "items");
  c.reset();
  EXPECT_EQ(coll.name(), "items");
}

TEST_F(Mongoc, ClientCreationFailureIsTheDriversError) {
  // An SRV URI is resolved when the client is made; .invalid never resolves (RFC 2606).
  auto u = m_.uri("mongodb+srv://cluster.jitffi.invalid/?serverSelectionTimeoutMS=200");
  try {
    auto client = m_.client(u);
    FAIL() << "a client was made from an SRV name that cannot resolve";
  } catch (const mg::Error &e) {
    EXPECT_TRUE(contains(e.message(), "_mongodb._tcp.cluster.jitffi.invalid")) << e.what();
  }
  try {
    auto pool = m_.pool(u);
    FAIL() << "a pool was made from an SRV name that cannot resolve";
  } catch (const mg::Error &e) {
    EXPECT_TRUE(contains(e.message(), "_mongodb._tcp.cluster.jitffi.invalid")) << e.what();
  }
}

TEST_F(Mongoc, LogLinesReachAClosureFromEveryThread) {
  struct Line {
    mg::LogLevel level;
    std::string domain, message;
  };
  std::mutex mutex;
  std::vector<Line> lines;
  struct Restore {  // the driver's own handler again, even when an assertion ends the test early
    const mg::Mongoc &m;
    ~Restore() { m.set_log_handler({}); }
  } restore{m_};
  m_.set_log_handler([&](mg::LogLevel level, std::string_view domain, std::string_view message) {
    std::lock_guard<std::mutex> lock(mutex);
    lines.push_back({level, std::string(domain), std::string(message)});
  });
  EXPECT_THROW(m_.uri("mongodb://"), mg::Error);  // the driver also logs why
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0].level, mg::LogLevel::Error);
    EXPECT_EQ(lines[0].domain, "mongoc");
    EXPECT_EQ(lines[0].message, "Empty hostname in URI");
  }
  // A pool's monitor thread logs its failed connection through the same closure.
  {
    auto u = m_.uri(closed_uri());
    auto pool = m_.pool(u);
    auto c = pool.pop();
    EXPECT_THROW(c.command_simple("admin", json(R"({"ping": 1})")), mg::Error);
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    bool monitor = false;
    for (const Line &l : lines)
      monitor = monitor || (l.domain == "monitor" && contains(l.message, "Failed to connect"));
    EXPECT_TRUE(monitor) << lines.size() << " lines, none from the monitor";
  }
  // A handler that throws: the exception stays on our side of the driver.
  m_.set_log_handler([](mg::LogLevel, std::string_view, std::string_view) {
    throw std::runtime_error("from the log handler");
  });
  EXPECT_THROW(m_.uri("mongodb://"), mg::Error);
  // Back to the driver's own handler; the closures are gone (BindingTest checks the count).
  m_.set_log_handler({});
  std::size_t seen = lines.size();
  EXPECT_THROW(m_.uri("mongodb://"), mg::Error);
  EXPECT_EQ(lines.size(), seen);
}

// mongoc_cleanup ends the driver for the process: run in a child of its own.
TEST(MongocChild, DISABLED_CleanupOnce) {
  if (!::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "a helper of CleanupRunsOncePerProcess";
  {
    mg::Mongoc m;
    auto u = m.uri("mongodb://localhost/?serverSelectionTimeoutMS=100");
    auto client = m.client(u);
    auto pool = m.pool(u);
    auto pooled = pool.pop();
  }
  EXPECT_TRUE(mg::Mongoc::cleanup());
  EXPECT_FALSE(mg::Mongoc::cleanup());  // once
  try {
    mg::Mongoc after;
    ADD_FAILURE() << "the driver was opened again after mongoc_cleanup";
  } catch (const jitffi::bindings::BindingError &e) {
    EXPECT_TRUE(contains(e.what(), "mongoc_cleanup has run")) << e.what();
  }
}

namespace {
// Runs this binary's MongocChild.DISABLED_<child> in a process of its own (the driver is
// process-wide) with `env` prepended; returns its exit status and output.
int run_child(const std::string &env, const std::string &child, std::string &out) {
  std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  if (const char *emu = std::getenv("JITFFI_EMULATOR")) {
    char path[4096];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) self = std::string(emu) + " " + std::string(path, std::size_t(n));
  }
  std::string cmd = env + " JITFFI_TEST_CHILD=1 " + self +
                    " --gtest_also_run_disabled_tests --gtest_filter=MongocChild.DISABLED_" +
                    child + " 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  return pclose(p);
}
}  // namespace

TEST(MongocChild, DISABLED_OpenFromEnvironment) {
  if (!::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "a helper of LibraryPathFromTheEnvironment";
  const char *want = ::getenv("JITFFI_MONGOC_PATH");
  ASSERT_NE(want, nullptr);
  if (std::string(want).rfind("/nonexistent/", 0) == 0) {
    try {
      mg::Mongoc m;
      ADD_FAILURE() << "opened " << want;
    } catch (const jitffi::LibraryError &e) {
      EXPECT_TRUE(contains(e.what(), want)) << e.what();
    }
    return;
  }
  mg::Mongoc m;
  EXPECT_EQ(m.api().lib.name(), want);
  EXPECT_EQ(m.version().rfind("1.", 0), 0u);
}

TEST_F(Mongoc, LibraryPathFromTheEnvironment) {
  std::string out;
  int status =
      run_child("JITFFI_MONGOC_PATH=/nonexistent/env/libmongoc.so", "OpenFromEnvironment", out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_TRUE(contains(out, "[  PASSED  ] 1 test")) << out;
  Dl_info info{};
  ASSERT_NE(dladdr(m_.api().lib.find("mongoc_uri_get_string"), &info), 0);
  out.clear();
  status =
      run_child(std::string("JITFFI_MONGOC_PATH=") + info.dli_fname, "OpenFromEnvironment", out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_TRUE(contains(out, "[  PASSED  ] 1 test")) << out;
}

TEST_F(Mongoc, CleanupRunsOncePerProcess) {
  std::string out;
  int status = run_child("", "CleanupOnce", out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_TRUE(contains(out, "[  PASSED  ] 1 test")) << out;
}
