// The gRPC services of Entente. Each is an adapter: it checks the request,
// calls the store (later the graph layer), and converts the result and any
// error, keeping the message that names the offending field.
#ifndef ENTENTE_SERVER_SERVICE_H_
#define ENTENTE_SERVER_SERVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "entente/v1/admin_service.grpc.pb.h"
#include "entente/v1/query_service.grpc.pb.h"
#include "entente/v1/read_service.grpc.pb.h"
#include "entente/v1/write_service.grpc.pb.h"
#include "graph/graph.h"
#include "server/raw_service.h"
#include "storage/store.h"

namespace entente::server {

// Limits every request is held to. Requests beyond them get
// INVALID_ARGUMENT (sizes) or RESOURCE_EXHAUSTED (streams).
struct ServiceLimits {
  // Page size when a request leaves it at 0. Default: 100.
  int32_t default_page_size = 100;
  // Largest page a request may ask for. Default: 1000.
  int32_t max_page_size = 1000;
  // Most matches a resolve may ask for. Default: 100.
  int32_t max_resolve_limit = 100;
  // Most facts one RecordFacts stream may carry. Default: 10 million.
  int64_t max_stream_facts = 10'000'000;
  // Rejections listed in a RecordFacts summary. Default: 100.
  int32_t max_reported_rejections = 100;
  // A RecordFacts stream makes its facts visible to queries every this
  // many facts, an Import every this many lines (and both at their end).
  // Default: 10000.
  int32_t stream_publish_every = 10000;
  // Import: bytes of one chunk message, and of one stream (a larger file is
  // split, or imported offline with `entented --import`). Default: 4 MiB,
  // 16 GiB. Requests are held to max_message_bytes (server.h) as well.
  int64_t max_import_chunk_bytes = 4 << 20;
  int64_t max_import_bytes = int64_t{16} << 30;
  // Graph queries: seeds per neighborhood, neighbors and facts returned,
  // hops, k, facts per hop, entities per timeline, facts streamed.
  int32_t max_seeds = 100;
  int32_t max_neighbors = 10000;
  int32_t max_result_facts = 100000;
  int32_t max_hops = 6;
  int32_t max_k = 20;
  int32_t max_facts_per_hop = 100;
  int32_t max_timeline_entities = 16;
  int32_t max_timeline_facts = 100000;
};

// Sets one limit from "NAME=VALUE", NAME a field of ServiceLimits
// ("max_hops=4"). INVALID_ARGUMENT naming the limit when the name is unknown
// or the value is not a number in the limit's range.
absl::Status SetLimit(absl::string_view assignment, ServiceLimits* limits);

// Every limit SetLimit takes, its value in `limits` and what it bounds, a
// line each (entented --help).
std::string DescribeLimits(const ServiceLimits& limits);

// Every service decodes its own requests (raw_service.h): one that does not
// decode gets INVALID_ARGUMENT naming the field.
class WriteService final : public RawService<v1::WriteService::Service> {
 public:
  // `published` is called after a request's writes are applied (and every
  // stream_publish_every facts of a stream), to make them visible to
  // queries before the call returns.
  WriteService(storage::Store* store, const ServiceLimits& limits,
               std::function<void()> published = [] {});
  grpc::Status UpsertEntity(grpc::ServerContext* context, const v1::UpsertEntityRequest* request,
                            v1::UpsertEntityResponse* response) override;
  grpc::Status UpsertSource(grpc::ServerContext* context, const v1::UpsertSourceRequest* request,
                            v1::UpsertSourceResponse* response) override;
  grpc::Status RecordFact(grpc::ServerContext* context, const v1::RecordFactRequest* request,
                          v1::RecordFactResponse* response) override;
  grpc::Status RecordFactsFrom(grpc::ServerContext* context,
                               RequestReader<v1::RecordFactsRequest>* reader,
                               v1::RecordFactsResponse* response);
  grpc::Status RetractFact(grpc::ServerContext* context, const v1::RetractFactRequest* request,
                           v1::RetractFactResponse* response) override;
  grpc::Status ImportFrom(grpc::ServerContext* context, RequestReader<v1::ImportRequest>* reader,
                          v1::ImportResponse* response);

 private:
  storage::Store* store_;
  ServiceLimits limits_;
  std::function<void()> published_;
  // Imports run one at a time: an importer picks ids for the entities it
  // creates from what the store holds, and two at once could pick the same
  // id for different names.
  std::timed_mutex import_mutex_;
};

// ReadService and QueryService use gRPC's callback API: a call runs on the
// gRPC thread that read it, without the sync server's hand-off to a worker
// thread, which cost more CPU than the lookups themselves.
class ReadService final : public RawService<v1::ReadService::CallbackService> {
 public:
  ReadService(const storage::Store* store, const ServiceLimits& limits);
  grpc::Status AnswerGetEntity(grpc::CallbackServerContext* context,
                                      const v1::GetEntityRequest* request,
                                      v1::GetEntityResponse* response);
  grpc::Status AnswerGetSource(grpc::CallbackServerContext* context,
                                      const v1::GetSourceRequest* request,
                                      v1::GetSourceResponse* response);
  grpc::Status AnswerGetFact(grpc::CallbackServerContext* context,
                                    const v1::GetFactRequest* request,
                                    v1::GetFactResponse* response);
  grpc::Status AnswerResolveEntity(grpc::CallbackServerContext* context,
                                          const v1::ResolveEntityRequest* request,
                                          v1::ResolveEntityResponse* response);
  grpc::Status AnswerListFacts(grpc::CallbackServerContext* context,
                                      const v1::ListFactsRequest* request,
                                      v1::ListFactsResponse* response);

 private:
  const storage::Store* store_;
  ServiceLimits limits_;
};

// GetTimeline is a raw method (request and messages as bytes): it passes the
// stored fact records on without parsing them (query_service.cc).
class QueryService final
    : public RawService<v1::QueryService::WithRawCallbackMethod_GetTimeline<
          v1::QueryService::CallbackService>> {
 public:
  QueryService(const graph::LiveGraph* graph, const storage::Store* store,
               const ServiceLimits& limits);
  grpc::Status AnswerGetNeighborhood(grpc::CallbackServerContext* context,
                                            const v1::GetNeighborhoodRequest* request,
                                            v1::GetNeighborhoodResponse* response);
  grpc::Status AnswerFindPaths(grpc::CallbackServerContext* context,
                                      const v1::FindPathsRequest* request,
                                      v1::FindPathsResponse* response);
  grpc::ServerWriteReactor<grpc::ByteBuffer>* GetTimeline(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) override;
  grpc::Status AnswerGetRelationshipState(grpc::CallbackServerContext* context,
                                          const v1::GetRelationshipStateRequest* request,
                                          v1::GetRelationshipStateResponse* response);
  grpc::Status AnswerDiffRelationship(grpc::CallbackServerContext* context,
                                             const v1::DiffRelationshipRequest* request,
                                             v1::DiffRelationshipResponse* response);

 private:
  const graph::LiveGraph* graph_;
  const storage::Store* store_;
  ServiceLimits limits_;
};

class AdminService final : public RawService<v1::AdminService::Service> {
 public:
  explicit AdminService(const storage::Store* store);
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::GetStatsResponse* response) override;
  // A checkpoint of the store in request.dir (Store::Checkpoint). Refuses,
  // with INVALID_ARGUMENT naming `dir`, an empty or relative path or one
  // inside the database directory; ALREADY_EXISTS when it exists.
  grpc::Status Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                      v1::BackupResponse* response) override;

 private:
  const storage::Store* store_;
};

}  // namespace entente::server

#endif  // ENTENTE_SERVER_SERVICE_H_
