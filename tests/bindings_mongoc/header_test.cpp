// The constants mongoc.h copies from the driver's headers, checked against them (compiled with
// libmongoc's include path when pkg-config finds it; nothing is linked).
#include <gtest/gtest.h>

#include "jitffi/bindings/mongoc.h"

#ifdef JITFFI_HAVE_MONGOC_HEADERS
#include <mongoc/mongoc.h>

namespace mg = jitffi::bindings::mongoc;

TEST(MongocHeaders, ConstantsMatchTheDriver) {
  EXPECT_EQ(static_cast<unsigned>(mg::ReadMode::Primary), unsigned(MONGOC_READ_PRIMARY));
  EXPECT_EQ(static_cast<unsigned>(mg::ReadMode::Secondary), unsigned(MONGOC_READ_SECONDARY));
  EXPECT_EQ(static_cast<unsigned>(mg::ReadMode::PrimaryPreferred),
            unsigned(MONGOC_READ_PRIMARY_PREFERRED));
  EXPECT_EQ(static_cast<unsigned>(mg::ReadMode::SecondaryPreferred),
            unsigned(MONGOC_READ_SECONDARY_PREFERRED));
  EXPECT_EQ(static_cast<unsigned>(mg::ReadMode::Nearest), unsigned(MONGOC_READ_NEAREST));
  EXPECT_EQ(mg::kWUnacknowledged, MONGOC_WRITE_CONCERN_W_UNACKNOWLEDGED);
  EXPECT_EQ(mg::kWDefault, MONGOC_WRITE_CONCERN_W_DEFAULT);
  EXPECT_EQ(mg::kWMajority, MONGOC_WRITE_CONCERN_W_MAJORITY);
  EXPECT_EQ(mg::kWTag, MONGOC_WRITE_CONCERN_W_TAG);
  EXPECT_EQ(mg::kErrorDomainCommand, unsigned(MONGOC_ERROR_COMMAND));
  EXPECT_EQ(mg::kErrorDomainServerSelection, unsigned(MONGOC_ERROR_SERVER_SELECTION));
  EXPECT_EQ(13053u, unsigned(MONGOC_ERROR_SERVER_SELECTION_FAILURE));
  EXPECT_EQ(22u, unsigned(MONGOC_ERROR_COMMAND_INVALID_ARG));
  // The host list as the binding declares it (mongoc.cpp).
  EXPECT_EQ(sizeof(((mongoc_host_list_t *)nullptr)->host), 256u);
  EXPECT_EQ(sizeof(((mongoc_host_list_t *)nullptr)->host_and_port), 262u);
}
#else
TEST(MongocHeaders, ConstantsMatchTheDriver) {
  GTEST_SKIP() << "libmongoc-1.0 headers not found by pkg-config (package libmongoc-dev)";
}
#endif
