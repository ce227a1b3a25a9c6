// Private to server/: who may call what (docs/security.md).
//
// Bearer tokens read from a file map to roles — reader, writer, admin, each
// allowed what the one before is and more. A grpc::AuthMetadataProcessor
// checks every call's token against the role its method needs. It runs in
// gRPC's transport filters, before a call reaches any service, so it covers
// the sync services, the callback services, health and reflection alike;
// gRPC runs it only on secure server credentials (TLS, or local credentials
// on loopback), which is how the server is started whenever there are tokens.
#ifndef ENTENTE_SERVER_AUTH_H_
#define ENTENTE_SERVER_AUTH_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/status.h"
#include "server/server.h"

namespace entente::server {

enum class Role : int { kReader = 1, kWriter = 2, kAdmin = 3 };

// "reader", "writer", "admin".
absl::string_view RoleName(Role role);

// The role a call of `method` ("/entente.v1.WriteService/RecordFact") needs,
// decided by its service so that RPCs added later are covered: ReadService,
// QueryService, health and reflection need reader; WriteService writer;
// AdminService — and any service not named here — admin.
Role RequiredRole(absl::string_view method);

// The bearer tokens of a tokens file: one "ROLE TOKEN [NAME]" a line, `#`
// comments and blank lines ignored (docs/security.md). Only a SHA-256
// digest of each token is kept, so no token can end up in a log or a
// message; errors name the file and the line, never a token.
class TokenTable {
 public:
  struct Entry {
    Role role;
    std::string name;  // NAME, or "line N" when the line gives none
  };

  // Parses the text of a tokens file; errors name `file_name` and the line.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text, const std::string& file_name);
  // Reads and parses the file at `path`. A file that other users can read
  // or write is refused; one that its group can read adds a warning.
  static absl::StatusOr<TokenTable> Load(const std::string& path,
                                         std::vector<std::string>* warnings);

  // The entry of `token`, or nullptr. Takes the same time whichever entry
  // matches, or none: every entry is compared, in constant time.
  const Entry* Find(absl::string_view token) const;
  size_t size() const { return entries_.size(); }
  // "3 bearer tokens: admin ops; writer ingest; reader alice, bob" — roles
  // and names only.
  std::string Describe() const;

 private:
  using Digest = std::array<uint8_t, 32>;
  struct Stored {
    Digest digest;
    Entry entry;
  };
  std::vector<Stored> entries_;
};

// Decides a call of `method` given the values of its `authorization`
// metadata: UNAUTHENTICATED without exactly one "Bearer TOKEN" of a known
// token; PERMISSION_DENIED, naming the role needed and the token's name,
// when the token's role is below it; OK otherwise.
grpc::Status Authorize(const TokenTable& tokens, absl::string_view method,
                       const std::vector<absl::string_view>& authorization);

// A processor for ServerCredentials::SetAuthMetadataProcessor that runs
// Authorize on every call and, when it allows the call, removes the
// `authorization` metadata so that no service ever sees a token.
std::shared_ptr<grpc::AuthMetadataProcessor> NewTokenProcessor(TokenTable tokens);

// The credentials RunServer listens with, from options' TLS and tokens
// settings, after checking them: the files are readable and well formed,
// the key matches the certificate, and the listening address is loopback
// unless there are both TLS and tokens. `log` receives what an operator
// should know (the certificate's subject and expiry, the tokens' roles and
// names, warnings) — never a token or a key.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options, const std::function<void(const std::string&)>& log);

}  // namespace entente::server

#endif  // ENTENTE_SERVER_AUTH_H_
