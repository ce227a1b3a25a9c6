#include "server/raw_service.h"

#include <string>

#include "entente/v1/write_service.pb.h"
#include "gtest/gtest.h"
#include "server/service.h"
#include "server/status.h"

namespace entente::server {
namespace {

grpc::ByteBuffer BufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A RecordFactRequest whose second participant's entity id is not UTF-8;
// the placeholder and its replacement have the same length, so the length
// prefixes stay right.
std::string RequestWithBadParticipant() {
  v1::RecordFactRequest request;
  request.mutable_fact()->add_participants()->set_entity_id("IRN");
  request.mutable_fact()->add_participants()->set_entity_id("@@@@");
  std::string wire = request.SerializeAsString();
  wire.replace(wire.find("@@@@"), 4, "\xff\xfe\xc3\x28");
  return wire;
}

TEST(ParseRequestTest, NamesTheFieldThatIsNotUtf8) {
  v1::RecordFactRequest request;
  const grpc::Status status =
      ParseRequest(BufferOf(RequestWithBadParticipant()), &request, "message 3: ");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "message 3: fact.participants[1].entity_id: is not valid UTF-8");
}

TEST(ParseRequestTest, BytesThatAreNoMessageAreInvalid) {
  v1::RecordFactRequest request;
  const grpc::Status status = ParseRequest(BufferOf("\x0a\xff\xff\xff"), &request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "request: is not a valid entente.v1.RecordFactRequest message");
}

TEST(ParseRequestTest, ParsesAGoodRequest) {
  v1::RecordFactRequest sent;
  sent.mutable_fact()->set_summary("Tehran – Moscow");
  v1::RecordFactRequest request;
  ASSERT_TRUE(ParseRequest(BufferOf(sent.SerializeAsString()), &request).ok());
  EXPECT_EQ(request.fact().summary(), "Tehran – Moscow");
}

TEST(FindInvalidUtf8Test, EmptyForValidOrUnparsableBytes) {
  v1::RecordFactRequest request;
  request.mutable_fact()->set_summary("ok");
  EXPECT_EQ(FindInvalidUtf8(*v1::RecordFactRequest::descriptor(), request.SerializeAsString()),
            "");
  EXPECT_EQ(FindInvalidUtf8(*v1::RecordFactRequest::descriptor(), "\x0a\x7f"), "");
}

TEST(BoundedMessageTest, CutsLongMessagesOnACharacterAndEscapesBadBytes) {
  EXPECT_EQ(BoundedMessage("id: unknown entity \"x\xff\""), "id: unknown entity \"x\\xFF\"");
  std::string long_text = "name: ";
  for (int i = 0; i < 2000; ++i) long_text += "é";
  const std::string bounded = BoundedMessage(long_text);
  EXPECT_LE(bounded.size(), kMaxStatusMessageBytes);
  EXPECT_EQ(bounded.substr(bounded.size() - 3), "...");
  EXPECT_EQ(bounded.substr(0, 6), "name: ");
  // Every "é" kept whole: two bytes each after the prefix.
  EXPECT_EQ((bounded.size() - 6 - 3) % 2, 0u);
  const std::string exact(kMaxStatusMessageBytes, 'a');
  EXPECT_EQ(BoundedMessage(exact), exact);
}

TEST(SetLimitTest, SetsByNameAndRefusesNamingTheLimit) {
  ServiceLimits limits;
  ASSERT_TRUE(SetLimit("max_hops=4", &limits).ok());
  EXPECT_EQ(limits.max_hops, 4);
  ASSERT_TRUE(SetLimit("max_import_bytes=17179869184", &limits).ok());
  EXPECT_EQ(limits.max_import_bytes, int64_t{17179869184});
  EXPECT_EQ(SetLimit("max_hops=0", &limits).message(),
            "--limit max_hops: \"0\" is not a number in 1..64");
  EXPECT_EQ(SetLimit("max_k=many", &limits).message(),
            "--limit max_k: \"many\" is not a number in 1..1000");
  EXPECT_EQ(SetLimit("max_hop=3", &limits).message(),
            "--limit: unknown limit \"max_hop\" (entented --help lists them)");
  EXPECT_EQ(SetLimit("max_hops", &limits).message(), "--limit: \"max_hops\" is not NAME=VALUE");
  EXPECT_EQ(limits.max_hops, 4);  // refusals change nothing
  EXPECT_NE(DescribeLimits(limits).find("max_hops"), std::string::npos);
}

}  // namespace
}  // namespace entente::server
