// The opaque buffers of the bson binding against libbson's own header: bson_iter_t, bson_error_t,
// bson_t, bson_oid_t and bson_decimal128_t must have the sizes and alignments bson.h assumes.
#include <gtest/gtest.h>

#include <cstddef>

#include "jitffi/bindings/bson.h"

#if JITFFI_HAVE_BSON_HEADERS
#include <bson/bson.h>
#endif

namespace bs = jitffi::bindings::bson;

TEST(BsonLayout, OpaqueBuffersMatchTheHeader) {
#if JITFFI_HAVE_BSON_HEADERS
  EXPECT_EQ(sizeof(bson_iter_t), bs::kIterSize);
  EXPECT_EQ(alignof(bson_iter_t), bs::kIterAlign);
  EXPECT_EQ(sizeof(bson_error_t), bs::kErrorSize);
  EXPECT_EQ(alignof(bson_error_t), bs::kErrorAlign);
  EXPECT_EQ(offsetof(bson_error_t, domain), 0u);
  EXPECT_EQ(offsetof(bson_error_t, code), 4u);
  EXPECT_EQ(offsetof(bson_error_t, message), bs::kErrorMessageOffset);
  EXPECT_EQ(sizeof(bson_t), 128u);
  EXPECT_EQ(alignof(bson_t), 128u);
  EXPECT_EQ(sizeof(bson_oid_t), sizeof(bs::Oid::bytes));
  EXPECT_EQ(sizeof(bson_decimal128_t), 16u);
#if BSON_BYTE_ORDER == BSON_LITTLE_ENDIAN
  EXPECT_EQ(offsetof(bson_decimal128_t, low), 0u);
  EXPECT_EQ(offsetof(bson_decimal128_t, high), 8u);
#endif
  EXPECT_EQ(sizeof(bson_type_t), 4u);
  EXPECT_EQ(sizeof(bson_subtype_t), 4u);
  EXPECT_EQ(sizeof(bson_validate_flags_t), 4u);
  EXPECT_EQ(static_cast<unsigned>(BSON_TYPE_DECIMAL128), unsigned(bs::Type::Decimal128));
  EXPECT_EQ(static_cast<unsigned>(BSON_VALIDATE_EMPTY_KEYS), bs::kValidateEmptyKeys);
  EXPECT_EQ(static_cast<unsigned>(BSON_VALIDATE_DOT_KEYS), bs::kValidateDotKeys);
  EXPECT_EQ(BSON_DECIMAL128_STRING, 43);
#else
  GTEST_SKIP() << "libbson headers not found by pkg-config (install libbson-dev, scripts/deps.sh)";
#endif
}
