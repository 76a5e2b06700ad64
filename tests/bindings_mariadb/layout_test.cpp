// The struct layouts and constants the MariaDB binding declares in its C text, against
// libmariadb-dev's own headers: every MYSQL_BIND, MYSQL_TIME and MYSQL_FIELD member it touches,
// the enum values and flags it passes.
#include <gtest/gtest.h>

#include <cstddef>

#include "jitffi/bindings/mariadb.h"

#if JITFFI_HAVE_MARIADB_HEADERS
#include <mysql.h>
#endif

namespace my = jitffi::bindings::mariadb;

TEST(MariaDbLayout, StructsMatchTheHeaders) {
#if JITFFI_HAVE_MARIADB_HEADERS
  my::MariaDB lib;
  const my::Layouts &l = lib.api().layout;
  EXPECT_EQ(l.bind_size, sizeof(MYSQL_BIND));
  EXPECT_EQ(l.bind.align(), alignof(MYSQL_BIND));
  EXPECT_EQ(l.bind_length, offsetof(MYSQL_BIND, length));
  EXPECT_EQ(l.bind_is_null, offsetof(MYSQL_BIND, is_null));
  EXPECT_EQ(l.bind_buffer, offsetof(MYSQL_BIND, buffer));
  EXPECT_EQ(l.bind_error, offsetof(MYSQL_BIND, error));
  EXPECT_EQ(l.bind_buffer_length, offsetof(MYSQL_BIND, buffer_length));
  EXPECT_EQ(l.bind_buffer_type, offsetof(MYSQL_BIND, buffer_type));
  EXPECT_EQ(l.bind_is_unsigned, offsetof(MYSQL_BIND, is_unsigned));
  EXPECT_EQ(l.bind.offset("extension"), offsetof(MYSQL_BIND, extension));
  EXPECT_EQ(l.bind.offset("u"), offsetof(MYSQL_BIND, u));
  EXPECT_EQ(l.bind.offset("is_null_value"), offsetof(MYSQL_BIND, is_null_value));

  EXPECT_EQ(l.time_size, sizeof(MYSQL_TIME));
  EXPECT_EQ(l.time.align(), alignof(MYSQL_TIME));
  EXPECT_EQ(l.time_year, offsetof(MYSQL_TIME, year));
  EXPECT_EQ(l.time_month, offsetof(MYSQL_TIME, month));
  EXPECT_EQ(l.time_day, offsetof(MYSQL_TIME, day));
  EXPECT_EQ(l.time_hour, offsetof(MYSQL_TIME, hour));
  EXPECT_EQ(l.time_minute, offsetof(MYSQL_TIME, minute));
  EXPECT_EQ(l.time_second, offsetof(MYSQL_TIME, second));
  EXPECT_EQ(l.time_second_part, offsetof(MYSQL_TIME, second_part));
  EXPECT_EQ(l.time_neg, offsetof(MYSQL_TIME, neg));
  EXPECT_EQ(l.time_time_type, offsetof(MYSQL_TIME, time_type));
  EXPECT_LE(sizeof(MYSQL_TIME), 64u);  // Binds keeps it in 8 uint64_t

  EXPECT_EQ(l.field.size(), sizeof(MYSQL_FIELD));
  EXPECT_EQ(l.field_name, offsetof(MYSQL_FIELD, name));
  EXPECT_EQ(l.field_org_name, offsetof(MYSQL_FIELD, org_name));
  EXPECT_EQ(l.field_table, offsetof(MYSQL_FIELD, table));
  EXPECT_EQ(l.field_org_table, offsetof(MYSQL_FIELD, org_table));
  EXPECT_EQ(l.field_db, offsetof(MYSQL_FIELD, db));
  EXPECT_EQ(l.field_length, offsetof(MYSQL_FIELD, length));
  EXPECT_EQ(l.field_max_length, offsetof(MYSQL_FIELD, max_length));
  EXPECT_EQ(l.field_name_length, offsetof(MYSQL_FIELD, name_length));
  EXPECT_EQ(l.field_flags, offsetof(MYSQL_FIELD, flags));
  EXPECT_EQ(l.field_decimals, offsetof(MYSQL_FIELD, decimals));
  EXPECT_EQ(l.field_charsetnr, offsetof(MYSQL_FIELD, charsetnr));
  EXPECT_EQ(l.field_type, offsetof(MYSQL_FIELD, type));
  EXPECT_EQ(sizeof(enum enum_field_types), sizeof(int));
  EXPECT_EQ(sizeof(my_bool), 1u);
#else
  GTEST_SKIP() << "libmariadb headers not found by pkg-config (install libmariadb-dev, "
                  "scripts/deps.sh)";
#endif
}

TEST(MariaDbLayout, ConstantsMatchTheHeaders) {
#if JITFFI_HAVE_MARIADB_HEADERS
  EXPECT_EQ(int(my::FieldType::NewDecimal), MYSQL_TYPE_NEWDECIMAL);
  EXPECT_EQ(int(my::FieldType::LongLong), MYSQL_TYPE_LONGLONG);
  EXPECT_EQ(int(my::FieldType::Int24), MYSQL_TYPE_INT24);
  EXPECT_EQ(int(my::FieldType::DateTime), MYSQL_TYPE_DATETIME);
  EXPECT_EQ(int(my::FieldType::Time), MYSQL_TYPE_TIME);
  EXPECT_EQ(int(my::FieldType::Year), MYSQL_TYPE_YEAR);
  EXPECT_EQ(int(my::FieldType::Blob), MYSQL_TYPE_BLOB);
  EXPECT_EQ(int(my::FieldType::VarString), MYSQL_TYPE_VAR_STRING);
  EXPECT_EQ(int(my::FieldType::String), MYSQL_TYPE_STRING);
  EXPECT_EQ(int(my::FieldType::Json), MYSQL_TYPE_JSON);
  EXPECT_EQ(int(my::FieldType::Geometry), MYSQL_TYPE_GEOMETRY);
  EXPECT_EQ(int(my::TimeType::None), MYSQL_TIMESTAMP_NONE);
  EXPECT_EQ(int(my::TimeType::Time), MYSQL_TIMESTAMP_TIME);
  EXPECT_EQ(my::kNotNullFlag, unsigned(NOT_NULL_FLAG));
  EXPECT_EQ(my::kPriKeyFlag, unsigned(PRI_KEY_FLAG));
  EXPECT_EQ(my::kUnsignedFlag, unsigned(UNSIGNED_FLAG));
  EXPECT_EQ(my::kAutoIncrementFlag, unsigned(AUTO_INCREMENT_FLAG));
  EXPECT_EQ(my::kBinaryFlag, unsigned(BINARY_FLAG));
  EXPECT_EQ(my::kClientMultiStatements, CLIENT_MULTI_STATEMENTS);
  EXPECT_EQ(my::kClientFoundRows, static_cast<unsigned long>(CLIENT_FOUND_ROWS));
  EXPECT_EQ(my::kNoData, MYSQL_NO_DATA);
  EXPECT_EQ(my::kDataTruncated, MYSQL_DATA_TRUNCATED);
  EXPECT_EQ(my::kOptConnectTimeout, int(MYSQL_OPT_CONNECT_TIMEOUT));
  EXPECT_EQ(my::kOptReadTimeout, int(MYSQL_OPT_READ_TIMEOUT));
  EXPECT_EQ(my::kOptWriteTimeout, int(MYSQL_OPT_WRITE_TIMEOUT));
  EXPECT_EQ(my::kOptSetCharsetName, int(MYSQL_SET_CHARSET_NAME));
#else
  GTEST_SKIP() << "libmariadb headers not found by pkg-config (install libmariadb-dev)";
#endif
}
