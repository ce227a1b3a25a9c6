#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "entente/v1/query_service.grpc.pb.h"
#include "entente/v1/read_service.grpc.pb.h"
#include "entente/v1/write_service.grpc.pb.h"
#include "grpc/grpc_security_constants.h"

namespace entente::server {
namespace {

// A token shorter than this could be guessed by trying.
constexpr size_t kMinTokenLength = 16;
// Names listed per role when the tokens are described in the log.
constexpr size_t kNamesShown = 10;

// Tokens travel as "authorization: Bearer TOKEN"; RFC 6750's b64token
// characters keep them free of spaces and of anything a header would mangle.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/' || c == '=';
}

std::optional<Role> ParseRole(absl::string_view word) {
  if (word == "reader") return Role::kReader;
  if (word == "writer") return Role::kWriter;
  if (word == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::array<uint8_t, 32> Sha256(absl::string_view text) {
  std::array<uint8_t, 32> digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

// Splits off the first whitespace-separated word of `*rest`.
absl::string_view TakeWord(absl::string_view* rest) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  size_t end = 0;
  while (end < rest->size() && !absl::ascii_isspace(static_cast<unsigned char>((*rest)[end]))) {
    ++end;
  }
  const absl::string_view word = rest->substr(0, end);
  rest->remove_prefix(end);
  return word;
}

absl::string_view View(grpc::string_ref ref) { return absl::string_view(ref.data(), ref.size()); }

grpc::Status Unauthenticated(const std::string& message) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, message);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(flag, ": cannot read \"", path, "\": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Secrets (tokens, private keys) must not be open to every user of the
// machine; a group that can read them is allowed with a warning, since
// deployments sometimes share a secret with a service group on purpose.
absl::Status CheckPrivate(const std::string& path, absl::string_view flag,
                          std::vector<std::string>* warnings) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(
        absl::StrCat(flag, ": cannot read \"", path, "\": ", std::strerror(errno)));
  }
  const std::string mode = absl::StrFormat("%04o", info.st_mode & 07777);
  if ((info.st_mode & S_IRWXO) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        flag, ": \"", path, "\" is open to every user of this machine (mode ", mode,
        "); it holds secrets: chmod 600 it"));
  }
  if ((info.st_mode & S_IRWXG) != 0) {
    warnings->push_back(absl::StrCat("warning: ", flag, ": \"", path, "\" is open to its group (mode ",
                                     mode, "); chmod 600 it unless the group is meant to read it"));
  }
  return absl::OkStatus();
}

class TokenProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenProcessor(TokenTable tokens) : tokens_(std::move(tokens)) {}

  // A check is a hash and a few comparisons: it runs on gRPC's own thread
  // instead of being handed to a thread pool.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* /*context*/,
                       OutputMetadata* consumed, OutputMetadata* /*response*/) override {
    absl::string_view method;
    std::vector<absl::string_view> authorization;
    for (const auto& [key, value] : metadata) {
      if (key == ":path") {
        method = View(value);
      } else if (key == "authorization") {
        authorization.push_back(View(value));
      }
    }
    grpc::Status status = Authorize(tokens_, method, authorization);
    if (status.ok()) {
      for (absl::string_view value : authorization) {
        consumed->emplace("authorization", std::string(value));
      }
    }
    return status;
  }

 private:
  const TokenTable tokens_;
};

// OpenSSL objects freed when they go out of scope.
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio MemoryBio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

// The first certificate of a PEM text, or nullptr.
std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  Bio bio = MemoryBio(pem);
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Without a password callback OpenSSL would prompt on the terminal for an
// encrypted key; this one makes such a key fail to load instead.
int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

// Reads and checks the TLS files into gRPC's options, and describes the
// certificate to `log`.
absl::StatusOr<grpc::SslServerCredentialsOptions> LoadTls(
    const ServerOptions& options, const std::function<void(const std::string&)>& log) {
  std::vector<std::string> warnings;
  if (auto s = CheckPrivate(options.tls_key_path, "--tls-key", &warnings); !s.ok()) return s;
  auto cert = ReadWholeFile(options.tls_cert_path, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadWholeFile(options.tls_key_path, "--tls-key");
  if (!key.ok()) return key.status();

  // gRPC would only report a bad certificate or key as a port it cannot
  // listen on; checking them here names the file at fault.
  auto x509 = FirstCertificate(*cert);
  Bio key_bio = MemoryBio(*key);
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassword, nullptr));
  ERR_clear_error();  // leave OpenSSL's error queue empty for gRPC
  if (x509 == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: \"", options.tls_cert_path, "\" holds no PEM certificate"));
  }
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: \"", options.tls_key_path,
                     "\" holds no PEM private key (an encrypted key is not supported)"));
  }
  if (X509_check_private_key(x509.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key: \"", options.tls_key_path, "\" is not the key of the certificate in \"",
        options.tls_cert_path, "\""));
  }
  Bio text(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(text.get(), X509_get_subject_name(x509.get()), 0, XN_FLAG_ONELINE);
  const std::string subject = BioText(text.get());
  Bio until(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(until.get(), X509_get0_notAfter(x509.get()));
  const std::string expiry = BioText(until.get());
  if (X509_cmp_current_time(X509_get0_notAfter(x509.get())) < 0) {
    warnings.push_back(absl::StrCat("warning: --tls-cert: the certificate expired on ", expiry,
                                    "; clients will refuse it"));
  }

  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({std::move(*key), std::move(*cert)});
  std::string clients = "client certificates: not asked for";
  if (!options.tls_client_ca_path.empty()) {
    auto ca = ReadWholeFile(options.tls_client_ca_path, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    if (FirstCertificate(*ca) == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls-client-ca: \"", options.tls_client_ca_path, "\" holds no PEM certificate"));
    }
    ssl.pem_root_certs = std::move(*ca);
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    clients = absl::StrCat("client certificates: required, signed by a CA of ",
                           options.tls_client_ca_path);
  }
  log(absl::StrCat("TLS with the certificate of ", subject, " (valid until ", expiry, "); ",
                   clients));
  for (const std::string& warning : warnings) log(warning);
  return ssl;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kWriter:
      return "writer";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

Role RequiredRole(absl::string_view method) {
  absl::string_view service = method;
  absl::ConsumePrefix(&service, "/");
  service = service.substr(0, service.find('/'));
  if (service == v1::ReadService::service_full_name() ||
      service == v1::QueryService::service_full_name() || service == "grpc.health.v1.Health" ||
      service == "grpc.reflection.v1alpha.ServerReflection" ||
      service == "grpc.reflection.v1.ServerReflection") {
    return Role::kReader;
  }
  if (service == v1::WriteService::service_full_name()) return Role::kWriter;
  // AdminService, and whatever service is added without a rule here: the
  // safe default for something nobody has classified.
  return Role::kAdmin;
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text,
                                             const std::string& file_name) {
  TokenTable table;
  std::vector<int> line_of;  // by entry
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto error = [&](absl::string_view message) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ":", number, ": ", message,
                                                     " (lines are \"ROLE TOKEN [NAME]\")"));
    };
    absl::string_view rest = line;
    // The words are not quoted back: a line in the wrong order would put a
    // token where the role should be.
    const std::optional<Role> role = ParseRole(TakeWord(&rest));
    if (!role) return error("the first word is not a role: reader, writer or admin");
    const absl::string_view token = TakeWord(&rest);
    if (token.empty()) return error("there is no token after the role");
    if (token.size() < kMinTokenLength) {
      return error(absl::StrCat("the token is shorter than ", kMinTokenLength, " characters"));
    }
    for (char c : token) {
      if (!IsTokenChar(c)) {
        return error("the token has a character other than A-Z a-z 0-9 - . _ ~ + / =");
      }
    }
    Stored stored{Sha256(token), {*role, std::string(absl::StripAsciiWhitespace(rest))}};
    if (stored.entry.name.empty()) stored.entry.name = absl::StrCat("line ", number);
    for (size_t i = 0; i < table.entries_.size(); ++i) {
      if (table.entries_[i].digest == stored.digest) {
        return error(absl::StrCat("the same token as line ", line_of[i]));
      }
    }
    table.entries_.push_back(std::move(stored));
    line_of.push_back(number);
  }
  if (table.entries_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": holds no tokens"));
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path,
                                            std::vector<std::string>* warnings) {
  if (auto s = CheckPrivate(path, "--tokens", warnings); !s.ok()) return s;
  auto text = ReadWholeFile(path, "--tokens");
  if (!text.ok()) return text.status();
  auto table = Parse(*text, path);
  if (!table.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tokens: ", table.status().message()));
  }
  return table;
}

const TokenTable::Entry* TokenTable::Find(absl::string_view token) const {
  // Comparing digests of a fixed size, all of them, with CRYPTO_memcmp
  // leaks neither how much of a token was right nor which entry matched.
  const Digest digest = Sha256(token);
  const Entry* found = nullptr;
  for (const Stored& stored : entries_) {
    if (CRYPTO_memcmp(stored.digest.data(), digest.data(), digest.size()) == 0) {
      found = &stored.entry;
    }
  }
  return found;
}

std::string TokenTable::Describe() const {
  std::map<Role, std::vector<std::string>, std::greater<>> names;
  for (const Stored& stored : entries_) names[stored.entry.role].push_back(stored.entry.name);
  std::vector<std::string> parts;
  for (auto& [role, list] : names) {
    const size_t more = list.size() > kNamesShown ? list.size() - kNamesShown : 0;
    list.resize(list.size() - more);
    parts.push_back(absl::StrCat(RoleName(role), " ", absl::StrJoin(list, ", "),
                                 more > 0 ? absl::StrCat(" and ", more, " more") : ""));
  }
  return absl::StrCat(entries_.size(), entries_.size() == 1 ? " bearer token: " : " bearer tokens: ",
                      absl::StrJoin(parts, "; "));
}

grpc::Status Authorize(const TokenTable& tokens, absl::string_view method,
                       const std::vector<absl::string_view>& authorization) {
  if (authorization.empty()) {
    return Unauthenticated(
        "no bearer token: this server needs the metadata \"authorization: Bearer TOKEN\"");
  }
  if (authorization.size() > 1) return Unauthenticated("more than one authorization metadata");
  absl::string_view token = authorization.front();
  // The scheme's name is case-insensitive (RFC 7235).
  constexpr absl::string_view kScheme = "bearer ";
  if (!absl::StartsWithIgnoreCase(token, kScheme)) {
    return Unauthenticated("the authorization metadata is not \"Bearer TOKEN\"");
  }
  token = absl::StripAsciiWhitespace(token.substr(kScheme.size()));
  const TokenTable::Entry* entry = tokens.Find(token);
  if (entry == nullptr) return Unauthenticated("unknown bearer token");
  const Role needed = RequiredRole(method);
  if (entry->role < needed) {
    absl::string_view name = method;
    absl::ConsumePrefix(&name, "/");
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat(name, " needs the ", RoleName(needed), " role; token \"",
                                     entry->name, "\" has the ", RoleName(entry->role), " role"));
  }
  return grpc::Status::OK;
}

std::shared_ptr<grpc::AuthMetadataProcessor> NewTokenProcessor(TokenTable tokens) {
  return std::make_shared<TokenProcessor>(std::move(tokens));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options, const std::function<void(const std::string&)>& log) {
  if (options.tls_cert_path.empty() != options.tls_key_path.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: the certificate chain and its private key");
  }
  const bool tls = !options.tls_cert_path.empty();
  const bool tokens = !options.tokens_path.empty();
  if (!options.tls_client_ca_path.empty() && !tls) {
    return absl::InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key");
  }
  // Without TLS a token crosses the network in the clear, and without
  // tokens anyone who reaches the port may write: either way, loopback only.
  if (!(tls && tokens)) {
    if (auto s = CheckLoopback(options.listen); !s.ok()) return s;
  }
  std::optional<TokenTable> table;
  if (tokens) {
    std::vector<std::string> warnings;
    auto loaded = TokenTable::Load(options.tokens_path, &warnings);
    if (!loaded.ok()) return loaded.status();
    for (const std::string& warning : warnings) log(warning);
    log(absl::StrCat(loaded->Describe(), " (from ", options.tokens_path, ")"));
    table = std::move(*loaded);
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (tls) {
    auto ssl = LoadTls(options, log);
    if (!ssl.ok()) return ssl.status();
    credentials = grpc::SslServerCredentials(*ssl);
  } else if (tokens) {
    // gRPC runs an AuthMetadataProcessor on secure credentials only. Local
    // credentials count as secure yet add no handshake on the wire, so
    // plaintext clients on this machine connect as before.
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
    log("no TLS: bearer tokens travel in plaintext, on loopback only");
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  if (table) {
    credentials->SetAuthMetadataProcessor(NewTokenProcessor(std::move(*table)));
  } else {
    log("no --tokens: every caller may call every RPC (loopback only)");
  }
  return credentials;
}

}  // namespace entente::server
