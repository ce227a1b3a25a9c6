// libFuzzer target: every request validator of the gRPC services, through
// the real services (server/service.h) served in-process on 127.0.0.1 over
// a temporary seeded store, wired as server/server.cc wires them.
//
// Input: the first byte picks the RPC (Methods()); the rest is its request,
// serialized. For the client-streaming RPCs (RecordFacts, Import) the rest is
// a sequence of length-delimited messages (a varint length, then the bytes).
// A request that parses is sent through the typed stub; one that does not is
// sent as raw bytes through grpc::GenericStub, to check how undecodable
// requests are answered.
//
// Checked: nothing crashes; every answer is OK or a refusal's code
// (fuzz/harness.h IsRefusalCode: never UNKNOWN, INTERNAL, DATA_LOSS...), and
// a request that did not decode is not OK (but for an import that stopped
// before the bad message); INVALID_ARGUMENT names the field at fault first; what an OK answer says
// agrees with itself (stream counts, page sizes); the server still answers
// after a call that timed out; the store stays consistent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "entente/v1/admin_service.grpc.pb.h"
#include "entente/v1/query_service.grpc.pb.h"
#include "entente/v1/read_service.grpc.pb.h"
#include "entente/v1/write_service.grpc.pb.h"
#include "fuzz/harness.h"
#include "google/protobuf/stubs/logging.h"
#include "graph/graph.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "server/service.h"

namespace entente::fuzz {
namespace {

// Long enough for any honest call on the seed graph, short enough that a
// hang shows.
constexpr int kDeadlineSeconds = 5;
// Client-streaming requests carry at most this many messages.
constexpr size_t kMaxStreamMessages = 16;

struct InProcessServer {
  std::unique_ptr<graph::LiveGraph> graph;
  std::unique_ptr<server::WriteService> write;
  std::unique_ptr<server::ReadService> read;
  std::unique_ptr<server::QueryService> query;
  std::unique_ptr<server::AdminService> admin;
  std::unique_ptr<grpc::Server> grpc_server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ReadService::Stub> read_stub;
  std::unique_ptr<v1::QueryService::Stub> query_stub;
  std::unique_ptr<v1::WriteService::Stub> write_stub;
  std::unique_ptr<v1::AdminService::Stub> admin_stub;
  std::unique_ptr<grpc::GenericStub> generic_stub;
  // Answers seen, "Service/Method typed|raw CODE" -> count, printed at exit.
  std::map<std::string, int64_t> outcomes;
};

InProcessServer* server = nullptr;

void PrintOutcomes() {
  std::fprintf(stderr, "fuzz_requests: answers by method, request form and code:\n");
  for (const auto& [what, count] : server->outcomes) {
    std::fprintf(stderr, "  %-52s %lld\n", what.c_str(), static_cast<long long>(count));
  }
}

// Runs before the store closes (registered after it was opened).
void StopServer() {
  PrintOutcomes();
  server->grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->grpc_server->Wait();
  delete server;
  server = nullptr;
}

InProcessServer& Server() {
  if (server != nullptr) return *server;
  // Protobuf logs every string that is not UTF-8 as it parses; most inputs
  // have one, and the log would drown libFuzzer's.
  google::protobuf::SetLogHandler(nullptr);
  storage::Store& store = SeededStore();
  auto graph = graph::LiveGraph::Build(store);
  if (!graph.ok()) {
    std::fprintf(stderr, "fuzz_requests: %s\n", graph.status().ToString().c_str());
    std::abort();
  }
  server = new InProcessServer;
  server->graph = *std::move(graph);
  // Small stream limits, so that inputs of a few KiB reach them.
  server::ServiceLimits limits;
  limits.max_stream_facts = 8;
  limits.stream_publish_every = 3;
  limits.max_import_chunk_bytes = 1024;
  limits.max_import_bytes = 3072;
  graph::LiveGraph* live = server->graph.get();
  server->write = std::make_unique<server::WriteService>(&store, limits, [live] { live->Publish(); });
  server->read = std::make_unique<server::ReadService>(&store, limits);
  server->query = std::make_unique<server::QueryService>(live, &store, limits);
  server->admin = std::make_unique<server::AdminService>(&store);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(4 << 20);
  builder.RegisterService(server->write.get());
  builder.RegisterService(server->read.get());
  builder.RegisterService(server->query.get());
  builder.RegisterService(server->admin.get());
  server->grpc_server = builder.BuildAndStart();
  if (server->grpc_server == nullptr || port == 0) {
    std::fprintf(stderr, "fuzz_requests: cannot listen on 127.0.0.1\n");
    std::abort();
  }
  server->channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                        grpc::InsecureChannelCredentials());
  server->read_stub = v1::ReadService::NewStub(server->channel);
  server->query_stub = v1::QueryService::NewStub(server->channel);
  server->write_stub = v1::WriteService::NewStub(server->channel);
  server->admin_stub = v1::AdminService::NewStub(server->channel);
  server->generic_stub = std::make_unique<grpc::GenericStub>(server->channel);
  std::atexit(StopServer);
  return *server;
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(kDeadlineSeconds));
}

// The length-delimited messages of a client-streaming request; a length
// that runs past the end takes what is left.
std::vector<absl::string_view> DelimitedMessages(absl::string_view body) {
  std::vector<absl::string_view> messages;
  while (!body.empty() && messages.size() < kMaxStreamMessages) {
    uint64_t length = 0;
    size_t i = 0;
    for (int shift = 0; i < body.size() && shift < 35; shift += 7) {
      const auto byte = static_cast<unsigned char>(body[i++]);
      length |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    body.remove_prefix(i);
    const size_t take = static_cast<size_t>(std::min<uint64_t>(length, body.size()));
    messages.push_back(body.substr(0, take));
    body.remove_prefix(take);
  }
  return messages;
}

// Sends `messages` as they are on one call of `method` (any kind: unary and
// streaming calls are alike on the wire), reads every reply, and returns
// the call's status.
grpc::Status RawCall(const std::string& method, const std::vector<absl::string_view>& messages) {
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::CompletionQueue queue;
  auto call = Server().generic_stub->PrepareCall(&context, method, &queue);
  // One operation is outstanding at a time; wait for it.
  auto done = [&queue] {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && ok;
  };
  void* const tag = reinterpret_cast<void*>(1);
  call->StartCall(tag);
  bool ok = done();
  for (absl::string_view message : messages) {
    if (!ok) break;
    grpc::Slice slice(message.data(), message.size());
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, tag);
    ok = done();
  }
  if (ok) {
    call->WritesDone(tag);
    done();
  }
  grpc::ByteBuffer reply;
  do {
    call->Read(&reply, tag);
  } while (done());
  grpc::Status status;
  call->Finish(&status, tag);
  done();
  queue.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (queue.Next(&ignored_tag, &ignored_ok)) {
  }
  return status;
}

// Parses a request body and makes the call typed; false when the body does
// not parse (it then goes raw). `status` gets the call's status; `input` is
// for failure reports.
using TypedCall = std::function<bool(absl::string_view body, grpc::Status* status,
                                     absl::string_view input)>;

struct Method {
  std::string path;  // "/entente.v1.ReadService/GetEntity"
  TypedCall call;
  bool streams_requests = false;
};

template <typename Request, typename Response>
using Checker = void (*)(const Request&, const Response&, absl::string_view input);

// A unary RPC of the stub `stub` of the in-process server; `check` looks at
// an OK answer.
template <typename Stub, typename Request, typename Response>
TypedCall Unary(std::unique_ptr<Stub> InProcessServer::*stub,
                grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                Checker<Request, Response> check = nullptr) {
  return [stub, rpc, check](absl::string_view body, grpc::Status* status,
                            absl::string_view input) {
    Request request;
    if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) return false;
    grpc::ClientContext context;
    SetDeadline(&context);
    Response response;
    *status = ((*(Server().*stub)).*rpc)(&context, request, &response);
    if (status->ok() && check != nullptr) check(request, response, input);
    return true;
  };
}

// A client-streaming RPC: the body's delimited messages, each of which must
// parse, written in order.
template <typename Request, typename Response>
TypedCall ClientStream(
    std::unique_ptr<grpc::ClientWriter<Request>> (v1::WriteService::Stub::*rpc)(
        grpc::ClientContext*, Response*),
    Checker<std::vector<Request>, Response> check) {
  return [rpc, check](absl::string_view body, grpc::Status* status, absl::string_view input) {
    std::vector<Request> requests;
    for (absl::string_view message : DelimitedMessages(body)) {
      if (!requests.emplace_back().ParseFromArray(message.data(),
                                                  static_cast<int>(message.size()))) {
        return false;
      }
    }
    grpc::ClientContext context;
    SetDeadline(&context);
    Response response;
    auto writer = ((*Server().write_stub).*rpc)(&context, &response);
    for (const Request& request : requests) {
      if (!writer->Write(request)) break;
    }
    writer->WritesDone();
    *status = writer->Finish();
    if (status->ok()) check(requests, response, input);
    return true;
  };
}

// Backup writes a directory: an absolute `dir` is moved under the temporary
// root ("/x" -> ROOT/x, "/db/x" -> inside the store's directory, which must
// be refused), with ".." taken out so that nothing lands outside it.
std::string ConfinedBackupDir(const std::string& dir) {
  if (!absl::StartsWith(dir, "/")) return dir;  // refused before anything is written
  return TempRoot() + absl::StrReplaceAll(dir, {{"..", "__"}});
}

bool Backup(absl::string_view body, grpc::Status* status, absl::string_view input) {
  v1::BackupRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) return false;
  request.set_dir(ConfinedBackupDir(request.dir()));
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::BackupResponse response;
  *status = Server().admin_stub->Backup(&context, request, &response);
  if (status->ok()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string made = fs::weakly_canonical(request.dir(), ec).string();
    const std::string db = TempRoot() + "/db";
    Check(!ec && absl::StartsWith(made, TempRoot() + "/") && made != db &&
              !absl::StartsWith(made, db + "/"),
          absl::StrCat("Backup wrote \"", made, "\", inside the database or outside the root"),
          input);
    fs::remove_all(made, ec);
  }
  return true;
}

bool GetTimeline(absl::string_view body, grpc::Status* status, absl::string_view input) {
  v1::GetTimelineRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) return false;
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = Server().query_stub->GetTimeline(&context, request);
  v1::GetTimelineResponse message;
  int64_t facts = 0;
  int64_t summaries = 0;
  v1::TimelineSummary summary;
  while (reader->Read(&message)) {
    facts += message.facts_size();
    if (message.has_summary()) {
      ++summaries;
      summary = message.summary();
    }
  }
  *status = reader->Finish();
  if (status->ok()) {
    Check(summaries == 1 && message.has_summary(),
          absl::StrCat("a timeline stream carries ", summaries, " summaries, not one at its end"),
          input);
    Check(summary.streamed_facts() == facts && summary.total_facts() >= facts &&
              summary.truncated() == (summary.total_facts() > facts),
          absl::StrCat("timeline summary says ", summary.streamed_facts(), " streamed of ",
                       summary.total_facts(), " (truncated ", summary.truncated(),
                       "); the stream carried ", facts),
          input);
  }
  return true;
}

void CheckResolve(const v1::ResolveEntityRequest& request,
                  const v1::ResolveEntityResponse& response, absl::string_view input) {
  const int limit = request.limit() == 0 ? 10 : request.limit();
  Check(response.matches_size() <= limit,
        absl::StrCat("ResolveEntity returned ", response.matches_size(), " matches for limit ",
                     request.limit()),
        input);
}

void CheckListFacts(const v1::ListFactsRequest& request, const v1::ListFactsResponse& response,
                    absl::string_view input) {
  const int page = request.page_size() == 0 ? 100 : std::min(request.page_size(), 1000);
  Check(response.records_size() <= page,
        absl::StrCat("ListFacts returned ", response.records_size(), " records for page_size ",
                     request.page_size()),
        input);
}

void CheckRecordFacts(const std::vector<v1::RecordFactsRequest>& requests,
                      const v1::RecordFactsResponse& response, absl::string_view input) {
  Check(response.received() == static_cast<int64_t>(requests.size()) &&
            response.created() + response.unchanged() + response.rejected() ==
                response.received(),
        absl::StrCat("RecordFacts: sent ", requests.size(), ", received ", response.received(),
                     " = created ", response.created(), " + unchanged ", response.unchanged(),
                     " + rejected ", response.rejected(), "?"),
        input);
}

void CheckImport(const std::vector<v1::ImportRequest>&, const v1::ImportResponse& response,
                 absl::string_view input) {
  Check(response.facts_created() + response.unchanged() <= response.lines() &&
            response.errors_size() <= response.rejected(),
        absl::StrCat("Import: lines ", response.lines(), ", created ", response.facts_created(),
                     ", unchanged ", response.unchanged(), ", rejected ", response.rejected(),
                     " with ", response.errors_size(), " errors"),
        input);
}

// Every RPC of ReadService, QueryService, WriteService and AdminService;
// the first byte of an input picks one. fuzz/make_corpus.py lists them in
// this order.
const std::vector<Method>& Methods() {
  using S = InProcessServer;
  using Read = v1::ReadService::Stub;
  using Query = v1::QueryService::Stub;
  using Write = v1::WriteService::Stub;
  static const auto* methods = new std::vector<Method>{
      {"/entente.v1.ReadService/GetEntity", Unary(&S::read_stub, &Read::GetEntity)},
      {"/entente.v1.ReadService/GetSource", Unary(&S::read_stub, &Read::GetSource)},
      {"/entente.v1.ReadService/GetFact", Unary(&S::read_stub, &Read::GetFact)},
      {"/entente.v1.ReadService/ResolveEntity",
       Unary(&S::read_stub, &Read::ResolveEntity, CheckResolve)},
      {"/entente.v1.ReadService/ListFacts", Unary(&S::read_stub, &Read::ListFacts, CheckListFacts)},
      {"/entente.v1.QueryService/GetNeighborhood", Unary(&S::query_stub, &Query::GetNeighborhood)},
      {"/entente.v1.QueryService/FindPaths", Unary(&S::query_stub, &Query::FindPaths)},
      {"/entente.v1.QueryService/GetTimeline", GetTimeline},
      {"/entente.v1.QueryService/GetRelationshipState",
       Unary(&S::query_stub, &Query::GetRelationshipState)},
      {"/entente.v1.QueryService/DiffRelationship",
       Unary(&S::query_stub, &Query::DiffRelationship)},
      {"/entente.v1.WriteService/UpsertEntity", Unary(&S::write_stub, &Write::UpsertEntity)},
      {"/entente.v1.WriteService/UpsertSource", Unary(&S::write_stub, &Write::UpsertSource)},
      {"/entente.v1.WriteService/RecordFact", Unary(&S::write_stub, &Write::RecordFact)},
      {"/entente.v1.WriteService/RecordFacts", ClientStream(&Write::RecordFacts, CheckRecordFacts),
       true},
      {"/entente.v1.WriteService/RetractFact", Unary(&S::write_stub, &Write::RetractFact)},
      {"/entente.v1.WriteService/Import", ClientStream(&Write::Import, CheckImport), true},
      {"/entente.v1.AdminService/GetStats", Unary(&S::admin_stub, &v1::AdminService::Stub::GetStats)},
      {"/entente.v1.AdminService/Backup", Backup},
  };
  return *methods;
}

// INVALID_ARGUMENT names the field first; RecordFacts' strict stop names
// the message first ("message 3: fact.type: ...").
bool NamesField(absl::string_view message) {
  if (absl::ConsumePrefix(&message, "message ")) {
    const size_t digits = message.find_first_not_of("0123456789");
    if (digits == 0 || digits == absl::string_view::npos || message.substr(digits, 2) != ": ") {
      return false;
    }
    message.remove_prefix(digits + 2);
  }
  return StartsWithFieldPath(message);
}

}  // namespace
}  // namespace entente::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entente::fuzz;
  if (size == 0) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const Method& method = Methods()[data[0] % Methods().size()];
  const absl::string_view body = input.substr(1);
  InProcessServer& in_process = Server();

  grpc::Status status;
  const bool decoded = method.call(body, &status, input);
  if (!decoded) {
    // The services decode requests themselves (server/raw_service.h), so
    // undecodable bytes get a refusal naming the field too.
    status = RawCall(method.path, method.streams_requests
                                      ? DelimitedMessages(body)
                                      : std::vector<absl::string_view>{body});
  }
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  ++in_process.outcomes[absl::StrCat(method.path.substr(12),
                                     decoded ? " typed " : " raw ",
                                     absl::StatusCodeToString(code))];
  const std::string said =
      absl::StrCat(method.path, " answered ", absl::StatusCodeToString(code), ": \"",
                   status.error_message(), "\"");
  Check(status.ok() || IsRefusalCode(code),
        absl::StrCat(said, " — not a refusal's code, for a request that ",
                     decoded ? "decoded" : "did not decode"),
        input);
  Check(code != absl::StatusCode::kInvalidArgument || NamesField(status.error_message()),
        absl::StrCat(said, " — INVALID_ARGUMENT without the field's path first"), input);
  // Only an import may end well before the undecodable message: a strict
  // import that met a bad line, or a bad header, reads no further.
  Check(decoded || !status.ok() || method.path == "/entente.v1.WriteService/Import",
        absl::StrCat(said, " — OK for a request that did not decode"), input);
  if (code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kUnavailable) {
    grpc::ClientContext context;
    SetDeadline(&context);
    entente::v1::GetStatsResponse stats;
    const grpc::Status alive =
        in_process.admin_stub->GetStats(&context, entente::v1::GetStatsRequest(), &stats);
    Check(alive.ok(), absl::StrCat(said, "; then GetStats failed too: ", alive.error_message()),
          input);
  }
  VerifyEvery(1000, input);
  return 0;
}
