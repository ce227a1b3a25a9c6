// WriteService.Import at the RPC level, served in-process so that the limits
// can be small: what the header and the chunks must be, the limits, and a
// call cut short. Each bad stream is refused naming the field, and the
// server goes on serving.
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "graph/graph.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "seeds/seeds.h"
#include "server/service.h"
#include "storage/store.h"
#include "tests/server_process.h"

namespace entente {
namespace {

v1::ImportRequest Header(const std::string& file_name,
                         v1::ImportFormat format = v1::IMPORT_FORMAT_UNSPECIFIED) {
  v1::ImportRequest request;
  request.mutable_header()->set_file_name(file_name);
  request.mutable_header()->set_format(format);
  return request;
}

v1::ImportRequest Chunk(const std::string& bytes) {
  v1::ImportRequest request;
  request.set_chunk(bytes);
  return request;
}

class ImportRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::Store::Open(dir_.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(seeds::LoadSeeds(*store_).ok());
    auto graph = graph::LiveGraph::Build(*store_);
    ASSERT_TRUE(graph.ok()) << graph.status();
    graph_ = std::move(*graph);
    server::ServiceLimits limits;
    limits.max_import_chunk_bytes = 64;
    limits.max_import_bytes = 256;
    service_ = std::make_unique<server::WriteService>(store_.get(), limits,
                                                      [this] { graph_->Publish(); });
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = client::Client::Connect(absl::StrCat("127.0.0.1:", port));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Sends `requests` as one Import call.
  grpc::Status Send(const std::vector<v1::ImportRequest>& requests,
                    v1::ImportResponse* response = nullptr) {
    v1::ImportResponse ignored;
    grpc::ClientContext context;
    auto writer = client_->write_stub().Import(&context, response ? response : &ignored);
    for (const auto& request : requests) {
      if (!writer->Write(request)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<graph::LiveGraph> graph_;
  std::unique_ptr<server::WriteService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(ImportRpcTest, ImportsAFileCutIntoChunksAndQueriesSeeIt) {
  v1::ImportResponse response;
  const grpc::Status status =
      Send({Header("events.tsv"), Chunk("date\tsource\trelation\ttarget\n2014-01-05\tIr"),
            Chunk("an\tMake a visit\tRussia\n2014-01-06\tSeparatist Front (Ukraine)\t"),
            Chunk("Host a visit\tRussia")},
           &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.lines(), 2);
  // The two events, and Separatist Front (Ukraine)'s AFFILIATION with UKR.
  EXPECT_EQ(response.facts_created(), 3);
  EXPECT_EQ(response.entities_created(), 1);
  EXPECT_EQ(response.actors_affiliated(), 1);
  EXPECT_EQ(response.actors_unaffiliated(), 0);
  EXPECT_EQ(response.rejected(), 0);
  EXPECT_EQ(response.file_name(), "events.tsv");
  EXPECT_EQ(response.format(), v1::IMPORT_FORMAT_TSV);
  auto entity = store_->GetEntity("separatist_front_ukraine");
  ASSERT_TRUE(entity.ok()) << entity.status();
  EXPECT_EQ(entity->state_id(), "UKR");
  EXPECT_EQ(entity->sector(), "Separatist Front");
  // Published: queries' snapshots hold the new vertex and its fact.
  const auto snapshot = graph_->snapshot();
  const graph::Vertex front = snapshot->Find("separatist_front_ukraine");
  ASSERT_NE(front, graph::kNoVertex);
  EXPECT_EQ(snapshot->Degree(front), 1u);
}

TEST_F(ImportRpcTest, TheClientStreamsInChunksAndReportsProgress) {
  std::istringstream in(
      "date,source,event,target\n"
      "2014-04-01,Iran,Make a visit,China\n"
      "2014-04-02,Iran,Make a visit,\"Russia\"\n"
      "2014-04-31,Iran,Make a visit,Turkey\n");
  client::ImportOptions options;
  options.chunk_bytes = 16;  // under the server's limit of 64 here
  options.source_id = "notebook";
  std::vector<client::ImportProgress> seen;
  options.progress = [&](const client::ImportProgress& p) { seen.push_back(p); };
  auto response = client_->Import(in, "sheet.csv", options);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->lines(), 3);
  EXPECT_EQ(response->facts_created(), 2);
  ASSERT_EQ(response->errors_size(), 1);
  EXPECT_TRUE(absl::StartsWith(response->errors(0), "sheet.csv:4: date: ")) << response->errors(0);
  EXPECT_EQ(response->source_id(), "notebook");
  ASSERT_EQ(seen.size(), (in.str().size() + 15) / 16);
  EXPECT_EQ(seen.back().bytes_sent, static_cast<int64_t>(in.str().size()));
  EXPECT_EQ(seen.back().total_bytes, static_cast<int64_t>(in.str().size()));
  EXPECT_EQ(seen.back().lines_sent, 4);

  EXPECT_EQ(client_->Import(dir_.path() + "/missing.csv").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ImportRpcTest, BadStreamsAreRefusedNamingTheField) {
  v1::ImportRequest unknown_format = Header("events.tsv");
  unknown_format.mutable_header()->set_format(static_cast<v1::ImportFormat>(99));
  v1::ImportRequest bad_source = Header("events.tsv");
  bad_source.mutable_header()->set_source_id("no spaces");
  const std::vector<std::pair<std::vector<v1::ImportRequest>, std::string>> cases = {
      {{}, "header: is missing"},
      {{Chunk("2014\tIran\t042\tRussia\n")}, "header: is missing"},
      {{Header("")}, "header.file_name: is empty"},
      {{Header("a\nb.tsv")}, "header.file_name: contains a control character"},
      {{Header(std::string(1025, 'x') + ".tsv")}, "header.file_name: is longer than 1024 bytes"},
      {{unknown_format}, "header.format: unknown format 99"},
      {{Header("notes.txt")}, "header.format: is unspecified and notes.txt: cannot tell the format"},
      {{bad_source}, "header.source_id: "},
      // Found by fuzz_requests: the default source id was empty ("source id: is empty").
      {{Header("data/", v1::IMPORT_FORMAT_TSV)}, "header.file_name: \"data/\" ends in \"/\""},
      {{Header("events.tsv"), Header("events.tsv")}, "header: is repeated in message 1"},
      {{Header("events.tsv"), v1::ImportRequest()}, "chunk: is missing in message 1"},
      {{Header("events.tsv"), Chunk(std::string(65, '\n'))},
       "chunk: message 1 carries 65 bytes; at most 64 are allowed"},
  };
  for (const auto& [requests, message] : cases) {
    const grpc::Status status = Send(requests);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << message;
    EXPECT_TRUE(absl::StartsWith(status.error_message(), message))
        << message << "\n" << status.error_message();
  }
  // A file over the stream's limit: refused once the limit is passed.
  std::vector<v1::ImportRequest> too_much = {Header("big.tsv")};
  for (int i = 0; i < 5; ++i) too_much.push_back(Chunk(std::string(60, '\n')));
  const grpc::Status status = Send(too_much);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "the limit of 256 bytes (max_import_bytes)"))
      << status.error_message();
  // And the service goes on.
  v1::ImportResponse response;
  ASSERT_TRUE(Send({Header("late.tsv"), Chunk("2014-02-01\tIran\t042\tChina\n")}, &response).ok());
  EXPECT_EQ(response.facts_created(), 1);
}

TEST_F(ImportRpcTest, AStreamCutShortDoesNotReadItsLastPartialLine) {
  {
    grpc::ClientContext context;
    v1::ImportResponse response;
    auto writer = client_->write_stub().Import(&context, &response);
    ASSERT_TRUE(writer->Write(Header("cut.tsv")));
    // Read whole, "Atlantis" would become an entity: the line is cut short.
    ASSERT_TRUE(writer->Write(Chunk("2014-03-01\tIran\tMake a visit\tAtlantis")));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Imports run one at a time: this one starts when the cut one has ended.
  v1::ImportResponse response;
  ASSERT_TRUE(Send({Header("after.tsv"), Chunk("2014-03-02\tIran\t042\tChina\n")}, &response).ok());
  EXPECT_EQ(response.facts_created(), 1);
  EXPECT_EQ(store_->GetEntity("atlantis").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace entente
