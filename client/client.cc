#include "client/client.h"

#include <algorithm>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_interceptor.h"

namespace entente::client {
namespace {

absl::Status ToAbsl(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// Adds "authorization: Bearer TOKEN" to a call's metadata. An interceptor
// rather than gRPC's call credentials: those refuse every channel that is
// not TLS, and a token may also be sent in plaintext to a server on this
// machine.
class BearerToken final : public grpc::experimental::Interceptor {
 public:
  explicit BearerToken(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", *header_);
    }
    methods->Proceed();
  }

 private:
  const std::string* header_;  // owned by the factory, which the channel keeps
};

class BearerTokenFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenFactory(const std::string& token) : header_("Bearer " + token) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new BearerToken(&header_);
  }

 private:
  const std::string header_;
};

// "127.0.0.1:50051", "localhost:7000", "[::1]:0", "dns:///localhost:7000".
bool IsLoopback(absl::string_view address) {
  for (absl::string_view scheme : {"dns:///", "ipv4:", "ipv6:"}) absl::ConsumePrefix(&address, scheme);
  if (absl::StartsWith(address, "unix:")) return true;
  const absl::string_view host = address.substr(0, address.rfind(':'));
  return host == "localhost" || host == "[::1]" || absl::StartsWith(host, "127.");
}

}  // namespace

std::unique_ptr<Client> Client::Connect(const std::string& address, const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_certs;
    ssl.pem_cert_chain = options.tls_cert_chain;
    ssl.pem_private_key = options.tls_private_key;
    credentials = grpc::SslCredentials(ssl);
  }
  absl::Status setup_error;
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!options.bearer_token.empty()) {
    if (options.tls || IsLoopback(address)) {
      interceptors.push_back(std::make_unique<BearerTokenFactory>(options.bearer_token));
    } else {
      setup_error = absl::FailedPreconditionError(absl::StrCat(
          "the bearer token was not sent to ", address,
          ": without TLS it would cross the network in the clear; connect with TLS"));
    }
  }
  auto client = std::make_unique<Client>(
      grpc::experimental::CreateCustomChannelWithInterceptors(
          address, credentials, grpc::ChannelArguments(), std::move(interceptors)),
      options);
  client->setup_error_ = std::move(setup_error);
  return client;
}

Client::Client(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options)
    : options_(options),
      channel_(std::move(channel)),
      read_(v1::ReadService::NewStub(channel_)),
      write_(v1::WriteService::NewStub(channel_)),
      admin_(v1::AdminService::NewStub(channel_)),
      query_(v1::QueryService::NewStub(channel_)) {}

absl::Status Client::Call(const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  return Call(call, options_.timeout, options_.max_attempts);
}

absl::Status Client::Call(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                          absl::Duration timeout, int max_attempts,
                          const std::function<bool()>& can_retry) {
  if (!setup_error_.ok()) return setup_error_;
  absl::Duration backoff = options_.initial_backoff;
  grpc::Status status;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    status = call(&context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= max_attempts ||
        (can_retry && !can_retry())) {
      return ToAbsl(status);
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff *= 2;
  }
}

absl::StatusOr<v1::Entity> Client::GetEntity(const std::string& id) {
  v1::GetEntityRequest request;
  request.set_id(id);
  v1::GetEntityResponse response;
  if (auto s = Call([&](auto* c) { return read_->GetEntity(c, request, &response); }); !s.ok()) {
    return s;
  }
  return std::move(*response.mutable_entity());
}

absl::StatusOr<v1::Source> Client::GetSource(const std::string& id) {
  v1::GetSourceRequest request;
  request.set_id(id);
  v1::GetSourceResponse response;
  if (auto s = Call([&](auto* c) { return read_->GetSource(c, request, &response); }); !s.ok()) {
    return s;
  }
  return std::move(*response.mutable_source());
}

absl::StatusOr<v1::FactRecord> Client::GetFact(const std::string& id) {
  v1::GetFactRequest request;
  request.set_id(id);
  v1::GetFactResponse response;
  if (auto s = Call([&](auto* c) { return read_->GetFact(c, request, &response); }); !s.ok()) {
    return s;
  }
  return std::move(*response.mutable_record());
}

absl::StatusOr<std::vector<v1::EntityMatch>> Client::Resolve(const std::string& query,
                                                             int limit) {
  v1::ResolveEntityRequest request;
  request.set_query(query);
  request.set_limit(limit);
  v1::ResolveEntityResponse response;
  if (auto s = Call([&](auto* c) { return read_->ResolveEntity(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return std::vector<v1::EntityMatch>(response.matches().begin(), response.matches().end());
}

absl::StatusOr<v1::ListFactsResponse> Client::ListFacts(const v1::ListFactsRequest& request) {
  v1::ListFactsResponse response;
  if (auto s = Call([&](auto* c) { return read_->ListFacts(c, request, &response); }); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<std::vector<v1::FactRecord>> Client::ListAllFacts(v1::ListFactsRequest request,
                                                                 size_t max_records) {
  std::vector<v1::FactRecord> records;
  do {
    auto page = ListFacts(request);
    if (!page.ok()) return page.status();
    for (auto& record : *page->mutable_records()) {
      if (records.size() == max_records) return records;
      records.push_back(std::move(record));
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return records;
}

absl::StatusOr<v1::UpsertEntityResponse> Client::UpsertEntity(const v1::Entity& entity) {
  v1::UpsertEntityRequest request;
  *request.mutable_entity() = entity;
  v1::UpsertEntityResponse response;
  if (auto s = Call([&](auto* c) { return write_->UpsertEntity(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::UpsertSourceResponse> Client::UpsertSource(const v1::Source& source) {
  v1::UpsertSourceRequest request;
  *request.mutable_source() = source;
  v1::UpsertSourceResponse response;
  if (auto s = Call([&](auto* c) { return write_->UpsertSource(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::RecordFactResponse> Client::RecordFact(const v1::Fact& fact) {
  v1::RecordFactRequest request;
  *request.mutable_fact() = fact;
  v1::RecordFactResponse response;
  if (auto s = Call([&](auto* c) { return write_->RecordFact(c, request, &response); }); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::RecordFactsResponse> Client::RecordFacts(const std::vector<v1::Fact>& facts,
                                                            bool strict) {
  v1::RecordFactsResponse response;
  auto s = Call([&](grpc::ClientContext* context) {
    response.Clear();
    auto writer = write_->RecordFacts(context, &response);
    v1::RecordFactsRequest request;
    request.set_strict(strict);
    for (const auto& fact : facts) {
      *request.mutable_fact() = fact;
      if (!writer->Write(request)) break;  // the server ended the call; Finish says why
      request.clear_strict();
    }
    writer->WritesDone();
    return writer->Finish();
  });
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<v1::RetractFactResponse> Client::RetractFact(const std::string& fact_id,
                                                            const std::string& reason) {
  v1::RetractFactRequest request;
  request.set_fact_id(fact_id);
  request.set_reason(reason);
  v1::RetractFactResponse response;
  if (auto s = Call([&](auto* c) { return write_->RetractFact(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::GetStatsResponse> Client::GetStats() {
  v1::GetStatsRequest request;
  v1::GetStatsResponse response;
  if (auto s = Call([&](auto* c) { return admin_->GetStats(c, request, &response); }); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::BackupResponse> Client::Backup(const std::string& dir) {
  v1::BackupRequest request;
  request.set_dir(dir);
  v1::BackupResponse response;
  // Not retried: an attempt whose answer was lost may have written `dir`,
  // and a second would then fail with ALREADY_EXISTS.
  if (auto s = Call([&](auto* c) { return admin_->Backup(c, request, &response); },
                    options_.timeout, 1);
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::ImportResponse> Client::Import(const std::string& path,
                                                  const ImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  return Import(in, path, options);
}

absl::StatusOr<v1::ImportResponse> Client::Import(std::istream& in, const std::string& file_name,
                                                  const ImportOptions& options) {
  // A stream that can seek has a size to report progress against, and can
  // be sent again.
  const std::streampos start = in.tellg();
  const bool rewindable = start != std::streampos(-1);
  int64_t total_bytes = 0;
  if (rewindable && in.seekg(0, std::ios::end)) {
    total_bytes = static_cast<int64_t>(in.tellg() - start);
    in.seekg(start);
  }
  v1::ImportResponse response;
  absl::Status read_error;
  auto send = [&](grpc::ClientContext* context) {
    response.Clear();
    if (rewindable) {
      in.clear();
      in.seekg(start);
    }
    auto writer = write_->Import(context, &response);
    v1::ImportRequest request;
    auto* header = request.mutable_header();
    header->set_format(options.format);
    header->set_file_name(file_name);
    header->set_source_id(options.source_id);
    header->set_strict(options.strict);
    bool open = writer->Write(request);
    ImportProgress progress;
    progress.total_bytes = total_bytes;
    const absl::Time began = absl::Now();
    std::string chunk(std::max<size_t>(options.chunk_bytes, 1), '\0');
    while (open && in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const size_t size = static_cast<size_t>(in.gcount());
      if (size == 0) break;
      request.set_chunk(chunk.data(), size);
      open = writer->Write(request);  // false: the server ended the call; Finish says why
      progress.bytes_sent += static_cast<int64_t>(size);
      progress.lines_sent += std::count(chunk.data(), chunk.data() + size, '\n');
      progress.elapsed = absl::Now() - began;
      if (options.progress) options.progress(progress);
    }
    if (in.bad()) {
      // Cancel rather than end the stream: the server must not import a
      // file cut short as if it were whole.
      read_error = absl::DataLossError(absl::StrCat("cannot read ", file_name));
      context->TryCancel();
    } else {
      writer->WritesDone();
    }
    return writer->Finish();
  };
  auto status = Call(send, options.timeout, rewindable ? options_.max_attempts : 1);
  if (!read_error.ok()) return read_error;
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::GetNeighborhoodResponse> Client::GetNeighborhood(
    const v1::GetNeighborhoodRequest& request) {
  v1::GetNeighborhoodResponse response;
  if (auto s = Call([&](auto* c) { return query_->GetNeighborhood(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::FindPathsResponse> Client::FindPaths(const v1::FindPathsRequest& request) {
  v1::FindPathsResponse response;
  if (auto s = Call([&](auto* c) { return query_->FindPaths(c, request, &response); }); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::GetTimelineResponse> Client::GetTimeline(
    const v1::GetTimelineRequest& request) {
  v1::GetTimelineResponse timeline;
  // Each message continues the one before: merging appends its facts and
  // buckets and takes the summary from the last.
  if (auto s = StreamTimeline(request, [&](const v1::GetTimelineResponse& message) {
        timeline.MergeFrom(message);
      });
      !s.ok()) {
    return s;
  }
  return timeline;
}

absl::Status Client::StreamTimeline(
    const v1::GetTimelineRequest& request,
    const std::function<void(const v1::GetTimelineResponse&)>& on_message) {
  bool delivered = false;
  return Call(
      [&](grpc::ClientContext* context) {
        auto reader = query_->GetTimeline(context, request);
        v1::GetTimelineResponse message;
        while (reader->Read(&message)) {
          delivered = true;
          on_message(message);
        }
        return reader->Finish();
      },
      options_.timeout, options_.max_attempts, [&] { return !delivered; });
}

absl::StatusOr<v1::GetRelationshipStateResponse> Client::GetRelationshipState(
    const v1::GetRelationshipStateRequest& request) {
  v1::GetRelationshipStateResponse response;
  if (auto s = Call([&](auto* c) { return query_->GetRelationshipState(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::DiffRelationshipResponse> Client::DiffRelationship(
    const v1::DiffRelationshipRequest& request) {
  v1::DiffRelationshipResponse response;
  if (auto s = Call([&](auto* c) { return query_->DiffRelationship(c, request, &response); });
      !s.ok()) {
    return s;
  }
  return response;
}

}  // namespace entente::client
