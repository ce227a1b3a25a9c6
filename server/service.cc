#include "server/service.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "import/importer.h"
#include "server/call.h"
#include "server/page_token.h"
#include "server/status.h"
#include "storage/dates.h"
#include "storage/validate.h"

namespace entente::server {

using google::protobuf::util::TimeUtil;

namespace {

// Makes a stream's writes visible however the call ends.
class PublishOnExit {
 public:
  explicit PublishOnExit(const std::function<void()>& publish) : publish_(publish) {}
  ~PublishOnExit() { publish_(); }

 private:
  const std::function<void()>& publish_;
};

// The importer's options for an Import header, or INVALID_ARGUMENT naming
// the header's field at fault.
absl::StatusOr<importer::ImportOptions> ImportOptionsOf(const v1::ImportHeader& header,
                                                        const ServiceLimits& limits) {
  constexpr size_t kMaxFileNameBytes = 1024;
  const std::string& name = header.file_name();
  if (name.empty()) return absl::InvalidArgumentError("header.file_name: is empty");
  if (name.size() > kMaxFileNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.file_name: is longer than ", kMaxFileNameBytes, " bytes"));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("header.file_name: contains a control character");
    }
  }
  importer::ImportOptions options;
  if (!v1::ImportFormat_IsValid(header.format())) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.format: unknown format ", header.format()));
  }
  auto format = importer::DetectFormat(name, importer::FromProto(header.format()));
  if (!format.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.format: is unspecified and ", format.status().message()));
  }
  options.format = *format;
  if (!header.source_id().empty()) {
    if (auto s = storage::ValidateId(header.source_id(), "header.source_id"); !s.ok()) return s;
    options.source_id = header.source_id();
  } else if (std::filesystem::path(name).filename().empty()) {
    // The default source id is the name's last component; "data/" has none.
    return absl::InvalidArgumentError(absl::StrCat(
        "header.file_name: \"", name,
        "\" ends in \"/\" and so gives no default source id; name a file or set "
        "header.source_id"));
  }
  options.strict = header.strict();
  options.max_errors = static_cast<size_t>(limits.max_reported_rejections);
  return options;
}

}  // namespace

// ---- WriteService ----

WriteService::WriteService(storage::Store* store, const ServiceLimits& limits,
                           std::function<void()> published)
    : RawService("entente.v1.WriteService"),
      store_(store),
      limits_(limits),
      published_(std::move(published)) {
  ServeUnary<v1::UpsertEntityRequest, v1::UpsertEntityResponse>(
      "UpsertEntity", [this](auto* c, auto* q, auto* r) { return UpsertEntity(c, q, r); });
  ServeUnary<v1::UpsertSourceRequest, v1::UpsertSourceResponse>(
      "UpsertSource", [this](auto* c, auto* q, auto* r) { return UpsertSource(c, q, r); });
  ServeUnary<v1::RecordFactRequest, v1::RecordFactResponse>(
      "RecordFact", [this](auto* c, auto* q, auto* r) { return RecordFact(c, q, r); });
  ServeUnary<v1::RetractFactRequest, v1::RetractFactResponse>(
      "RetractFact", [this](auto* c, auto* q, auto* r) { return RetractFact(c, q, r); });
  ServeClientStream<v1::RecordFactsRequest, v1::RecordFactsResponse>(
      "RecordFacts", [this](auto* c, auto* q, auto* r) { return RecordFactsFrom(c, q, r); });
  ServeClientStream<v1::ImportRequest, v1::ImportResponse>(
      "Import", [this](auto* c, auto* q, auto* r) { return ImportFrom(c, q, r); });
}

grpc::Status WriteService::UpsertEntity(grpc::ServerContext* context,
                                        const v1::UpsertEntityRequest* request,
                                        v1::UpsertEntityResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  if (!request->has_entity()) return Invalid("entity: is missing");
  auto result = store_->UpsertEntity(request->entity());
  if (!result.ok()) return ToGrpc(result.status());
  published_();
  *response->mutable_entity() = std::move(result->entity);
  response->set_created(result->created);
  return grpc::Status::OK;
}

grpc::Status WriteService::UpsertSource(grpc::ServerContext* context,
                                        const v1::UpsertSourceRequest* request,
                                        v1::UpsertSourceResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  if (!request->has_source()) return Invalid("source: is missing");
  auto result = store_->UpsertSource(request->source());
  if (!result.ok()) return ToGrpc(result.status());
  *response->mutable_source() = std::move(result->source);
  response->set_created(result->created);
  return grpc::Status::OK;
}

grpc::Status WriteService::RecordFact(grpc::ServerContext* context,
                                      const v1::RecordFactRequest* request,
                                      v1::RecordFactResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  if (!request->has_fact()) return Invalid("fact: is missing");
  auto result = store_->RecordFact(request->fact());
  if (!result.ok()) return ToGrpc(result.status());
  published_();
  *response->mutable_record() = std::move(result->fact);
  response->set_created(result->created);
  return grpc::Status::OK;
}

grpc::Status WriteService::RecordFactsFrom(grpc::ServerContext* context,
                                           RequestReader<v1::RecordFactsRequest>* reader,
                                           v1::RecordFactsResponse* response) {
  const PublishOnExit publish_on_exit(published_);
  // Facts are applied in batches (one WriteBatch, and with --sync-writes one
  // fsync, per batch): nothing of a stream is acknowledged before it ends,
  // so a crash within a batch breaks no promise, and a fact's own write is
  // still all or nothing.
  constexpr size_t kBatch = 256;
  std::vector<v1::Mutation> batch;
  bool strict = false;
  int64_t index = 0;  // messages whose result is counted
  // Counts one message's result; a status to end the call with, or nullopt.
  auto settle = [&](const absl::Status& status, bool created) -> std::optional<grpc::Status> {
    ++index;
    if (status.ok() && created) response->set_created(response->created() + 1);
    if (status.ok() && !created) response->set_unchanged(response->unchanged() + 1);
    if (index % limits_.stream_publish_every == 0) published_();
    if (status.ok()) return std::nullopt;
    if (status.code() != absl::StatusCode::kInvalidArgument) return ToGrpc(status);
    if (strict) {
      return Invalid(absl::StrCat("message ", index - 1, ": ", status.message(),
                                  " (strict: stopped here; ", response->created(),
                                  " created and ", response->unchanged(), " unchanged before it)"));
    }
    response->set_rejected(response->rejected() + 1);
    if (response->rejections_size() < limits_.max_reported_rejections) {
      auto* rejection = response->add_rejections();
      rejection->set_index(index - 1);
      rejection->set_error(std::string(status.message()));
    }
    return std::nullopt;
  };
  auto flush = [&]() -> std::optional<grpc::Status> {
    if (batch.empty()) return std::nullopt;
    auto results = store_->ApplyBatch(std::move(batch), strict);
    batch.clear();
    for (auto& result : results) {
      if (auto end = settle(result.status(), result.ok() && result->created)) return end;
    }
    return std::nullopt;
  };
  v1::RecordFactsRequest request;
  int64_t received = 0;
  while (reader->Read(&request)) {
    if (Abandoned(context)) return AbandonedStatus();
    if (received == 0) strict = request.strict();
    if (received >= limits_.max_stream_facts) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("message ", received, ": a RecordFacts stream may carry at most ",
                                       limits_.max_stream_facts,
                                       " facts (max_stream_facts); split the input"));
    }
    ++received;
    response->set_received(received);
    if (!request.has_fact()) {
      if (auto end = flush()) return *end;
      if (auto end = settle(absl::InvalidArgumentError("fact: is missing"), false)) return *end;
      continue;
    }
    batch.emplace_back();
    batch.back().set_allocated_record_fact(request.release_fact());
    if (batch.size() == kBatch) {
      if (auto end = flush()) return *end;
    }
  }
  if (auto end = flush()) return *end;
  if (!reader->status().ok()) {
    // A message that does not decode ends the stream as a strict one ends.
    return Invalid(absl::StrCat(reader->status().error_message(), " (stopped here; ",
                                response->created(), " created and ", response->unchanged(),
                                " unchanged before it)"));
  }
  return grpc::Status::OK;
}

grpc::Status WriteService::RetractFact(grpc::ServerContext* context,
                                       const v1::RetractFactRequest* request,
                                       v1::RetractFactResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  auto result = store_->RetractFact(request->fact_id(), request->reason());
  if (!result.ok()) return ToGrpc(result.status());
  published_();
  *response->mutable_record() = std::move(result->fact);
  return grpc::Status::OK;
}

grpc::Status WriteService::ImportFrom(grpc::ServerContext* context,
                                      RequestReader<v1::ImportRequest>* reader,
                                      v1::ImportResponse* response) {
  v1::ImportRequest request;
  if (!reader->Read(&request)) {
    if (!reader->status().ok()) return reader->status();
    return Invalid("header: is missing (the first message carries the header, the chunks follow)");
  }
  if (!request.has_header()) {
    return Invalid("header: is missing (the first message carries the header, the chunks follow)");
  }
  auto options = ImportOptionsOf(request.header(), limits_);
  if (!options.ok()) return ToGrpc(options.status());
  std::unique_lock import_lock(import_mutex_, std::defer_lock);
  while (!import_lock.try_lock_for(std::chrono::milliseconds(100))) {
    if (Abandoned(context)) return AbandonedStatus();
  }
  const PublishOnExit publish_on_exit(published_);
  auto importer = importer::Importer::Start(*store_, *std::move(options),
                                            request.header().file_name());
  if (!importer.ok()) return ToGrpc(importer.status());
  int64_t total_bytes = 0;
  int64_t lines_published = 0;
  const grpc::Status abandoned(grpc::StatusCode::DEADLINE_EXCEEDED,
                               "the call's deadline passed or it was cancelled during the "
                               "import; the batches of lines applied before stay imported");
  for (int64_t index = 1; !(*importer)->stopped() && reader->Read(&request); ++index) {
    if (Abandoned(context)) return abandoned;
    if (request.has_header()) {
      return Invalid(absl::StrCat("header: is repeated in message ", index,
                                  "; only the first message carries it"));
    }
    if (request.item_case() != v1::ImportRequest::kChunk) {
      return Invalid(absl::StrCat("chunk: is missing in message ", index));
    }
    const int64_t chunk_bytes = static_cast<int64_t>(request.chunk().size());
    if (chunk_bytes > limits_.max_import_chunk_bytes) {
      return Invalid(absl::StrCat("chunk: message ", index, " carries ", chunk_bytes,
                                  " bytes; at most ", limits_.max_import_chunk_bytes,
                                  " are allowed"));
    }
    total_bytes += chunk_bytes;
    if (total_bytes > limits_.max_import_bytes) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("chunk: message ", index,
                                       " takes the stream past the limit of ",
                                       limits_.max_import_bytes,
                                       " bytes (max_import_bytes); split the file or import "
                                       "it offline (entented --import)"));
    }
    if (auto s = (*importer)->Feed(request.chunk()); !s.ok()) return ToGrpc(s);
    if ((*importer)->lines() - lines_published >= limits_.stream_publish_every) {
      published_();
      lines_published = (*importer)->lines();
    }
  }
  // A stream cut short ends inside a line that must not be read as the last.
  if (Abandoned(context)) return abandoned;
  if (!reader->status().ok()) return reader->status();
  auto summary = (*importer)->Finish();
  if (!summary.ok()) return ToGrpc(summary.status());
  *response = importer::ToProto(*summary);
  return grpc::Status::OK;
}

// ---- ReadService ----

ReadService::ReadService(const storage::Store* store, const ServiceLimits& limits)
    : RawService("entente.v1.ReadService"), store_(store), limits_(limits) {
  ServeCallbackUnary<v1::GetEntityRequest, v1::GetEntityResponse>(
      "GetEntity", [this](auto* c, auto* q, auto* r) { return AnswerGetEntity(c, q, r); });
  ServeCallbackUnary<v1::GetSourceRequest, v1::GetSourceResponse>(
      "GetSource", [this](auto* c, auto* q, auto* r) { return AnswerGetSource(c, q, r); });
  ServeCallbackUnary<v1::GetFactRequest, v1::GetFactResponse>(
      "GetFact", [this](auto* c, auto* q, auto* r) { return AnswerGetFact(c, q, r); });
  ServeCallbackUnary<v1::ResolveEntityRequest, v1::ResolveEntityResponse>(
      "ResolveEntity", [this](auto* c, auto* q, auto* r) { return AnswerResolveEntity(c, q, r); });
  ServeCallbackUnary<v1::ListFactsRequest, v1::ListFactsResponse>(
      "ListFacts", [this](auto* c, auto* q, auto* r) { return AnswerListFacts(c, q, r); });
}

grpc::Status ReadService::AnswerGetEntity(grpc::CallbackServerContext* context,
                                                 const v1::GetEntityRequest* request,
                                                 v1::GetEntityResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  auto entity = store_->GetEntity(request->id());
  if (!entity.ok()) return ToGrpc(entity.status());
  *response->mutable_entity() = std::move(*entity);
  return grpc::Status::OK;
}

grpc::Status ReadService::AnswerGetSource(grpc::CallbackServerContext* context,
                                                 const v1::GetSourceRequest* request,
                                                 v1::GetSourceResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  auto source = store_->GetSource(request->id());
  if (!source.ok()) return ToGrpc(source.status());
  *response->mutable_source() = std::move(*source);
  return grpc::Status::OK;
}

grpc::Status ReadService::AnswerGetFact(grpc::CallbackServerContext* context,
                                               const v1::GetFactRequest* request,
                                               v1::GetFactResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  auto record = store_->GetFact(request->id());
  if (!record.ok()) return ToGrpc(record.status());
  *response->mutable_record() = std::move(*record);
  return grpc::Status::OK;
}

grpc::Status ReadService::AnswerResolveEntity(grpc::CallbackServerContext* context,
                                                     const v1::ResolveEntityRequest* request,
                                                     v1::ResolveEntityResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  if (request->query().size() > storage::RecordLimits::kMaxNameBytes) {
    return Invalid(
        absl::StrCat("query: is longer than ", storage::RecordLimits::kMaxNameBytes, " bytes"));
  }
  if (request->limit() < 0 || request->limit() > limits_.max_resolve_limit) {
    return Invalid(absl::StrCat("limit: must be between 0 and ", limits_.max_resolve_limit,
                                " (0 means 10)"));
  }
  const size_t limit = request->limit() == 0 ? 10 : static_cast<size_t>(request->limit());
  auto matches = store_->Resolve(request->query(), limit);
  if (!matches.ok()) return ToGrpc(matches.status());
  for (auto& match : *matches) {
    auto* out = response->add_matches();
    *out->mutable_entity() = std::move(match.entity);
    out->set_match_kind(match.exact ? v1::MATCH_KIND_EXACT : v1::MATCH_KIND_PREFIX);
    out->set_matched_text(std::move(match.matched_text));
  }
  return grpc::Status::OK;
}

grpc::Status ReadService::AnswerListFacts(grpc::CallbackServerContext* context,
                                                 const v1::ListFactsRequest* request,
                                                 v1::ListFactsResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  storage::FactQuery query;
  if (request->entity_id().empty()) return Invalid("entity_id: is empty");
  query.entity_id = request->entity_id();
  query.other_entity_id = request->other_entity_id();
  if (query.other_entity_id == query.entity_id) {
    return Invalid("other_entity_id: is the same as entity_id");
  }
  auto window = storage::WindowRange(request->window(), "window");
  if (!window.ok()) return ToGrpc(window.status());
  query.window = *window;
  for (int i = 0; i < request->types_size(); ++i) {
    const auto type = request->types(i);
    if (type == v1::FACT_TYPE_UNSPECIFIED || !v1::FactType_IsValid(type)) {
      return Invalid(absl::StrCat("types[", i, "]: unknown fact type ", type));
    }
    query.types.push_back(type);
  }
  if (request->page_size() < 0) return Invalid("page_size: is negative");
  query.limit = static_cast<size_t>(request->page_size() == 0
                                        ? limits_.default_page_size
                                        : std::min(request->page_size(), limits_.max_page_size));
  const uint64_t fingerprint = RequestFingerprint(*request);
  if (!request->page_token().empty()) {
    auto cursor = DecodePageToken(request->page_token(), fingerprint);
    if (!cursor.ok()) return ToGrpc(cursor.status());
    query.cursor = std::move(*cursor);
  }
  if (request->has_as_of()) {
    const auto& as_of = request->as_of();
    if (as_of.seconds() < TimeUtil::kTimestampMinSeconds ||
        as_of.seconds() > TimeUtil::kTimestampMaxSeconds || as_of.nanos() < 0 ||
        as_of.nanos() > 999'999'999) {
      return Invalid("as_of: is not a valid timestamp");
    }
    query.as_of = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(request->as_of()));
  }
  query.include_retracted = request->include_retracted();
  query.deadline = DeadlineOf(context);
  auto page = store_->ListFacts(query);
  if (!page.ok()) return ToGrpc(page.status());
  for (auto& record : page->records) *response->add_records() = std::move(record);
  if (!page->next_cursor.empty()) {
    response->set_next_page_token(EncodePageToken(fingerprint, page->next_cursor));
  }
  return grpc::Status::OK;
}

// ---- AdminService ----

AdminService::AdminService(const storage::Store* store)
    : RawService("entente.v1.AdminService"), store_(store) {
  ServeUnary<v1::GetStatsRequest, v1::GetStatsResponse>(
      "GetStats", [this](auto* c, auto* q, auto* r) { return GetStats(c, q, r); });
  ServeUnary<v1::BackupRequest, v1::BackupResponse>(
      "Backup", [this](auto* c, auto* q, auto* r) { return Backup(c, q, r); });
}

namespace {

// GetStats' form of the store's counts.
void FillStats(const storage::StoreStats& stats, const std::string& db_path,
               v1::GetStatsResponse* response) {
  response->set_entity_count(stats.entities);
  response->set_source_count(stats.sources);
  response->set_fact_count(stats.facts);
  response->set_retracted_fact_count(stats.retracted_facts);
  for (const auto& [kind, count] : stats.entities_by_kind) {
    (*response->mutable_entities_by_kind())[v1::EntityKind_Name(kind)] = count;
  }
  for (const auto& [type, count] : stats.facts_by_type) {
    (*response->mutable_facts_by_type())[v1::FactType_Name(type)] = count;
  }
  response->set_disk_bytes(stats.disk_bytes);
  response->set_schema_version(stats.schema_version);
  response->set_db_path(db_path);
  *response->mutable_db_create_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(stats.create_time));
}

// A backup directory the server may write, or INVALID_ARGUMENT naming the
// field: absolute, and outside the database (a checkpoint inside it would
// be taken for part of the database, and copied into later backups).
absl::Status CheckBackupDir(const std::string& dir, const std::string& db_path) {
  namespace fs = std::filesystem;
  if (dir.empty()) return absl::InvalidArgumentError("dir: is empty");
  if (!fs::path(dir).is_absolute()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dir: \"", dir, "\" is not an absolute path (it names a directory on the server's machine)"));
  }
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(dir, ec);
  const fs::path db = fs::weakly_canonical(db_path, ec);
  if (ec) return absl::OkStatus();  // the checkpoint reports what is wrong
  auto [db_end, target_at] = std::mismatch(db.begin(), db.end(), target.begin(), target.end());
  if (db_end == db.end() || (std::next(db_end) == db.end() && db_end->empty())) {
    return absl::InvalidArgumentError(absl::StrCat("dir: ", dir, " lies inside the database directory ",
                                                   db_path, "; back up to a directory outside it"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status AdminService::GetStats(grpc::ServerContext* context,
                                    const v1::GetStatsRequest* request,
                                    v1::GetStatsResponse* response) {
  if (Abandoned(context)) return AbandonedStatus();
  FillStats(store_->Stats(), store_->path(), response);
  return grpc::Status::OK;
}

grpc::Status AdminService::Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                                  v1::BackupResponse* response) {
  if (auto s = CheckBackupDir(request->dir(), store_->path()); !s.ok()) return ToGrpc(s);
  // A checkpoint cannot be interrupted: one is started only while the
  // client still waits, and once started it completes (a client whose
  // deadline passes meanwhile finds the directory written).
  if (Abandoned(context)) return AbandonedStatus();
  const absl::Time start = absl::Now();
  auto info = store_->Checkpoint(request->dir());
  if (!info.ok()) return ToGrpc(info.status());
  response->set_dir(info->dir);
  FillStats(info->stats, info->dir, response->mutable_stats());
  response->set_log_sequence(info->log_sequence);
  *response->mutable_elapsed() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(absl::Now() - start));
  return grpc::Status::OK;
}

}  // namespace entente::server
