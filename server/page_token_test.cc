#include "server/page_token.h"

#include "absl/strings/match.h"
#include "entente/v1/read_service.pb.h"
#include "gtest/gtest.h"
#include "server/server.h"

namespace entente::server {
namespace {

TEST(PageTokenTest, RoundTripsForTheSameRequest) {
  v1::ListFactsRequest request;
  request.set_entity_id("IRN");
  request.set_page_size(10);
  const uint64_t fingerprint = RequestFingerprint(request);
  const std::string token = EncodePageToken(fingerprint, std::string("\x00\x01cursor", 8));
  // The page size and token may change between pages.
  request.set_page_size(50);
  request.set_page_token(token);
  auto cursor = DecodePageToken(token, RequestFingerprint(request));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, std::string("\x00\x01cursor", 8));
}

TEST(PageTokenTest, RefusesATokenFromAnotherRequest) {
  v1::ListFactsRequest request;
  request.set_entity_id("IRN");
  const std::string token = EncodePageToken(RequestFingerprint(request), "abc");
  request.set_other_entity_id("RUS");
  auto cursor = DecodePageToken(token, RequestFingerprint(request));
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(cursor.status().message(), "page_token:"));
  EXPECT_EQ(DecodePageToken("%%%", 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoopbackTest, OnlyLoopbackWithoutAuthentication) {
  EXPECT_TRUE(CheckLoopback("127.0.0.1:50051").ok());
  EXPECT_TRUE(CheckLoopback("[::1]:0").ok());
  EXPECT_TRUE(CheckLoopback("localhost:7000").ok());
  EXPECT_FALSE(CheckLoopback("0.0.0.0:50051").ok());
  EXPECT_FALSE(CheckLoopback("[::]:50051").ok());
  EXPECT_FALSE(CheckLoopback("10.1.2.3:50051").ok());
  EXPECT_FALSE(CheckLoopback("127.0.0.1").ok());
}

}  // namespace
}  // namespace entente::server
