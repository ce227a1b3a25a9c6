// A C++ client for Entente: typed calls over the generated gRPC stubs, each
// with a deadline, returning absl::StatusOr with the server's code and
// message (which names the field at fault).
//
// Every Entente RPC is idempotent — facts are identified by their content,
// upserts replace, a second retraction changes nothing — so calls that fail
// with UNAVAILABLE (server restarting, connection lost) are retried with
// backoff before the error is returned.
#ifndef ENTENTE_CLIENT_CLIENT_H_
#define ENTENTE_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "entente/v1/admin_service.grpc.pb.h"
#include "entente/v1/query_service.grpc.pb.h"
#include "entente/v1/read_service.grpc.pb.h"
#include "entente/v1/write_service.grpc.pb.h"
#include "grpcpp/channel.h"

namespace entente::client {

struct ClientOptions {
  // Deadline of each call. Default: 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // Attempts for a call that fails with UNAVAILABLE. Default: 3.
  int max_attempts = 3;
  // Wait before the first retry; doubles each time. Default: 100 ms.
  absl::Duration initial_backoff = absl::Milliseconds(100);

  // Access control (docs/security.md); Connect applies these.
  // A bearer token, sent as the metadata "authorization: Bearer TOKEN"
  // with every call, the raw stubs' included. It is sent only over TLS or
  // to a loopback address: otherwise it is not sent at all, and the typed
  // calls fail with FAILED_PRECONDITION. Default: empty (no token).
  std::string bearer_token;
  // Connect over TLS. Default: false (plaintext).
  bool tls = false;
  // PEM root certificates that the server's certificate must chain to.
  // Default: empty (gRPC's default roots).
  std::string tls_root_certs;
  // PEM certificate chain and private key of this client, for a server that
  // requires client certificates. Default: empty (none).
  std::string tls_cert_chain;
  std::string tls_private_key;
};

// Where a Client::Import stands, after each chunk sent.
struct ImportProgress {
  int64_t bytes_sent = 0;
  int64_t total_bytes = 0;  // the input's size; 0 when unknown
  int64_t lines_sent = 0;   // line breaks sent
  absl::Duration elapsed;
};

struct ImportOptions {
  // Default: by the file name's extension (.tsv, .csv, .jsonl).
  v1::ImportFormat format = v1::IMPORT_FORMAT_UNSPECIFIED;
  // The Source the facts cite. Default: the file's name.
  std::string source_id;
  // Stop at the first bad line (the lines before it stay imported).
  bool strict = false;
  // Bytes per message. Default: 1 MiB (the server accepts up to 4 MiB).
  size_t chunk_bytes = 1 << 20;
  // Deadline of the whole import. Default: 1 hour.
  absl::Duration timeout = absl::Hours(1);
  // Called after each chunk is sent.
  std::function<void(const ImportProgress&)> progress;
};

class Client {
 public:
  // A client of the server at `address` ("127.0.0.1:50051"), over TLS or
  // plaintext and with the bearer token as `options` say.
  static std::unique_ptr<Client> Connect(const std::string& address,
                                         const ClientOptions& options = {});
  // A client over `channel` as it is: options' TLS and token settings are
  // not applied (the channel's credentials are the caller's).
  Client(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options);

  absl::StatusOr<v1::Entity> GetEntity(const std::string& id);
  absl::StatusOr<v1::Source> GetSource(const std::string& id);
  absl::StatusOr<v1::FactRecord> GetFact(const std::string& id);
  // Exact matches first; prefix matches only when there is no exact one.
  absl::StatusOr<std::vector<v1::EntityMatch>> Resolve(const std::string& query, int limit = 10);
  // One page.
  absl::StatusOr<v1::ListFactsResponse> ListFacts(const v1::ListFactsRequest& request);
  // Follows page tokens until the end or `max_records`.
  absl::StatusOr<std::vector<v1::FactRecord>> ListAllFacts(v1::ListFactsRequest request,
                                                           size_t max_records = 100000);

  absl::StatusOr<v1::UpsertEntityResponse> UpsertEntity(const v1::Entity& entity);
  absl::StatusOr<v1::UpsertSourceResponse> UpsertSource(const v1::Source& source);
  absl::StatusOr<v1::RecordFactResponse> RecordFact(const v1::Fact& fact);
  // Streams `facts` in one RecordFacts call and returns its summary.
  absl::StatusOr<v1::RecordFactsResponse> RecordFacts(const std::vector<v1::Fact>& facts,
                                                      bool strict = false);
  absl::StatusOr<v1::RetractFactResponse> RetractFact(const std::string& fact_id,
                                                      const std::string& reason);
  absl::StatusOr<v1::GetStatsResponse> GetStats();
  // AdminService.Backup into `dir`, a new directory on the server's machine.
  // Not retried on UNAVAILABLE (the directory may have been written).
  absl::StatusOr<v1::BackupResponse> Backup(const std::string& dir);

  // Streams the file at `path` to WriteService.Import in chunks and returns
  // the server's summary; errors name the file as `path`. A file that
  // cannot be opened is NOT_FOUND. On UNAVAILABLE the whole file is sent
  // again (an import is idempotent: what arrived before is then unchanged).
  absl::StatusOr<v1::ImportResponse> Import(const std::string& path,
                                            const ImportOptions& options = {});
  // The same from a stream, which the server knows as `file_name`. A stream
  // that cannot be rewound is sent once, without retries.
  absl::StatusOr<v1::ImportResponse> Import(std::istream& in, const std::string& file_name,
                                            const ImportOptions& options = {});

  // Graph queries.
  absl::StatusOr<v1::GetNeighborhoodResponse> GetNeighborhood(
      const v1::GetNeighborhoodRequest& request);
  absl::StatusOr<v1::FindPathsResponse> FindPaths(const v1::FindPathsRequest& request);
  // Reads the whole timeline stream and merges its messages into one: all
  // the facts, all the buckets and the summary.
  absl::StatusOr<v1::GetTimelineResponse> GetTimeline(const v1::GetTimelineRequest& request);
  // The timeline stream as it arrives: `on_message` sees each message in
  // order. A call is retried on UNAVAILABLE only until the first message.
  absl::Status StreamTimeline(
      const v1::GetTimelineRequest& request,
      const std::function<void(const v1::GetTimelineResponse&)>& on_message);
  absl::StatusOr<v1::GetRelationshipStateResponse> GetRelationshipState(
      const v1::GetRelationshipStateRequest& request);
  absl::StatusOr<v1::DiffRelationshipResponse> DiffRelationship(
      const v1::DiffRelationshipRequest& request);

  // The raw stubs, for calls without a typed helper.
  v1::ReadService::Stub& read_stub() { return *read_; }
  v1::WriteService::Stub& write_stub() { return *write_; }
  v1::AdminService::Stub& admin_stub() { return *admin_; }
  v1::QueryService::Stub& query_stub() { return *query_; }

 private:
  // Runs `call` with a fresh context per attempt, each with the deadline
  // `timeout` from its start, retrying on UNAVAILABLE up to `max_attempts`
  // times (default: the client's options), and only while `can_retry`
  // (when given) says so.
  absl::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& call);
  absl::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                    absl::Duration timeout, int max_attempts,
                    const std::function<bool()>& can_retry = nullptr);

  ClientOptions options_;
  // Set when Connect refused to send the token: every call returns it.
  absl::Status setup_error_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ReadService::Stub> read_;
  std::unique_ptr<v1::WriteService::Stub> write_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::QueryService::Stub> query_;
};

}  // namespace entente::client

#endif  // ENTENTE_CLIENT_CLIENT_H_
