// Access control end to end: a CA, a server certificate (for 127.0.0.1 and
// localhost) and client certificates made with the openssl command at test
// time, a tokens file, and the real entented started with them; clients and
// the `entente` tool with and without the right credentials.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/client.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "tests/server_process.h"

namespace entente::testing {
namespace {

using absl::StatusCode;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

// 32 hex digits: a token no log line could hold by chance.
std::string RandomToken() {
  std::random_device random;
  std::string token;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&token, absl::StrFormat("%08x", random()));
  return token;
}

v1::Fact Visit(int day) {
  v1::Fact fact;
  fact.set_type(v1::FACT_TYPE_VISIT);
  auto* p = fact.add_participants();
  p->set_entity_id("IRN");
  p->set_role(v1::PARTICIPANT_ROLE_VISITOR);
  p = fact.add_participants();
  p->set_entity_id("RUS");
  p->set_role(v1::PARTICIPANT_ROLE_HOST);
  *fact.mutable_valid_time()->mutable_start() = date_text::MakeDate(2022, 1, day);
  fact.set_summary("a visit recorded by the access-control test");
  return fact;
}

v1::Entity TestEntity() {
  v1::Entity entity;
  entity.set_id("auth_test_org");
  entity.set_kind(v1::ENTITY_KIND_ORGANIZATION);
  entity.set_name("Access Control Test Organization");
  return entity;
}

// One JSON Lines fact, as `Import` takes it.
std::string JsonlOf(const v1::Fact& fact) {
  std::string line;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(fact, &line).ok());
  return line + "\n";
}

class AuthTest : public ::testing::Test {
 protected:
  // The certificates and tokens, made once: openssl takes a moment a call.
  static void SetUpTestSuite() {
    pki_ = new TempDir;
    reader_ = RandomToken();
    writer_ = RandomToken();
    admin_ = RandomToken();
    MakeCa("ca", "Entente test CA");
    MakeLeaf("server", "ca", "localhost",
             "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n");
    MakeLeaf("client", "ca", "entente test client", "extendedKeyUsage=clientAuth\n");
    // A client certificate the server's CA did not sign.
    MakeCa("rogue_ca", "Someone else's CA");
    MakeLeaf("rogue", "rogue_ca", "rogue client", "extendedKeyUsage=clientAuth\n");
    WriteFile(Pki("tokens"), absl::StrCat("# the test's tokens\n", "reader ", reader_, " analyst\n",
                                          "writer ", writer_, " ingest\n\n", "admin ", admin_,
                                          " ops\n"));
    WriteFile(Pki("reader.token"), reader_ + "\n");
    WriteFile(Pki("admin.token"), admin_ + "\n");
  }
  static void TearDownTestSuite() { delete pki_; }

  static std::string Pki(const std::string& name) { return pki_->path() + "/" + name; }

  static void Openssl(const std::vector<std::string>& args) {
    RunResult run = RunProgram(OPENSSL_PATH, args, Pki("openssl.log"));
    ASSERT_EQ(run.exit_status, 0) << "openssl " << absl::StrJoin(args, " ") << "\n"
                                  << run.stderr_text;
  }
  static void MakeCa(const std::string& name, const std::string& common_name) {
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", Pki(name + ".key"), "-out", Pki(name + ".pem"), "-days", "2", "-subj",
             "/CN=" + common_name});
  }
  // A key and a certificate signed by the CA `ca`, with `extensions`.
  static void MakeLeaf(const std::string& name, const std::string& ca,
                       const std::string& common_name, const std::string& extensions) {
    Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             Pki(name + ".key"), "-out", Pki(name + ".csr"), "-subj", "/CN=" + common_name});
    WriteFile(Pki(name + ".ext"), extensions);
    Openssl({"x509", "-req", "-in", Pki(name + ".csr"), "-CA", Pki(ca + ".pem"), "-CAkey",
             Pki(ca + ".key"), "-CAcreateserial", "-days", "2", "-extfile", Pki(name + ".ext"),
             "-out", Pki(name + ".pem")});
    chmod(Pki(name + ".key").c_str(), 0600);
  }

  std::string Db(const std::string& name) const { return dir_.path() + "/" + name; }

  static std::vector<std::string> TlsAndTokens(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--tls-cert", Pki("server.pem"), "--tls-key",
                                     Pki("server.key"), "--tokens", Pki("tokens"),
                                     "--drain-seconds", "0"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // A client of `server` with `token`, over TLS trusting the test CA unless
  // `tls` is false, presenting the certificate `client_cert` ("client",
  // "rogue") when given. One attempt: a refused handshake is final here.
  static std::unique_ptr<client::Client> Connect(const ServerProcess& server,
                                                 const std::string& token, bool tls = true,
                                                 const std::string& client_cert = "") {
    client::ClientOptions options;
    options.max_attempts = 1;
    options.bearer_token = token;
    options.tls = tls;
    if (tls) options.tls_root_certs = ReadFile(Pki("ca.pem"));
    if (!client_cert.empty()) {
      options.tls_cert_chain = ReadFile(Pki(client_cert + ".pem"));
      options.tls_private_key = ReadFile(Pki(client_cert + ".key"));
    }
    return client::Client::Connect(server.address(), options);
  }

  // The log holds no token, whatever happened.
  static void ExpectNoTokenIn(const std::string& log) {
    for (const std::string* token : {&reader_, &writer_, &admin_}) {
      EXPECT_FALSE(absl::StrContains(log, *token)) << log;
    }
  }

  RunResult Entente(const std::vector<std::string>& args) {
    return RunProgram(ENTENTE_CLI_PATH, args, absl::StrCat(dir_.path(), "/entente", ++runs_, ".log"));
  }

  static TempDir* pki_;
  static std::string reader_, writer_, admin_;
  TempDir dir_;
  int runs_ = 0;
};

TempDir* AuthTest::pki_ = nullptr;
std::string AuthTest::reader_, AuthTest::writer_, AuthTest::admin_;

// A status of `code` whose message says `says`.
#define EXPECT_STATUS(expr, want, says)                                                  \
  do {                                                                                 \
    const absl::Status status_ = (expr).status();                                      \
    EXPECT_EQ(status_.code(), want) << #expr << ": " << status_;                       \
    EXPECT_TRUE(absl::StrContains(status_.message(), says)) << #expr << ": " << status_; \
  } while (false)

TEST_F(AuthTest, EachRoleCallsWhatItMayAndNoMore) {
  ServerProcess server(Db("roles"), TlsAndTokens());
  ASSERT_TRUE(server.ok()) << server.log();

  EXPECT_STATUS(Connect(server, "")->Resolve("Tehran"), StatusCode::kUnauthenticated,
                "no bearer token");
  EXPECT_STATUS(Connect(server, RandomToken())->Resolve("Tehran"), StatusCode::kUnauthenticated,
                "unknown bearer token");
  EXPECT_STATUS(Connect(server, "")->GetStats(), StatusCode::kUnauthenticated, "no bearer token");

  auto reader = Connect(server, reader_);
  auto matches = reader->Resolve("Tehran");
  ASSERT_TRUE(matches.ok()) << matches.status();
  ASSERT_FALSE(matches->empty());
  EXPECT_EQ(matches->front().entity().id(), "IRN");
  v1::GetTimelineRequest timeline;  // a callback service's server stream
  timeline.add_entity_ids("IRN");
  timeline.add_entity_ids("RUS");
  EXPECT_TRUE(reader->GetTimeline(timeline).ok());
  v1::FindPathsRequest paths;
  paths.set_from_entity_id("PRK");
  paths.set_to_entity_id("IRN");
  EXPECT_TRUE(reader->FindPaths(paths).ok());
  // Health answers readers, and nobody else; no client library here.
  {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(Pki("ca.pem"));
    auto channel = grpc::CreateChannel(server.address(), grpc::SslCredentials(ssl));
    auto health = grpc::health::v1::Health::NewStub(channel);
    for (const std::string& token : {std::string(), reader_}) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      grpc::health::v1::HealthCheckResponse response;
      const grpc::Status status = health->Check(&context, {}, &response);
      EXPECT_EQ(status.error_code(), token.empty() ? grpc::StatusCode::UNAUTHENTICATED
                                                   : grpc::StatusCode::OK)
          << status.error_message();
    }
  }

  // A reader cannot write, by any of the write RPCs, nor read the stats.
  const std::string needs_writer = "needs the writer role; token \"analyst\" has the reader role";
  EXPECT_STATUS(reader->RecordFact(Visit(3)), StatusCode::kPermissionDenied, needs_writer);
  EXPECT_STATUS(reader->RecordFacts({Visit(3)}), StatusCode::kPermissionDenied, needs_writer);
  EXPECT_STATUS(reader->UpsertEntity(TestEntity()), StatusCode::kPermissionDenied, needs_writer);
  std::istringstream jsonl(JsonlOf(Visit(4)));
  EXPECT_STATUS(reader->Import(jsonl, "visit.jsonl"), StatusCode::kPermissionDenied,
                "WriteService/Import needs the writer role");
  EXPECT_STATUS(reader->GetStats(), StatusCode::kPermissionDenied,
                "AdminService/GetStats needs the admin role");

  auto admin = Connect(server, admin_);
  auto before = admin->GetStats();
  ASSERT_TRUE(before.ok()) << before.status();

  // A writer writes, and still cannot read the stats.
  auto writer = Connect(server, writer_);
  auto upserted = writer->UpsertEntity(TestEntity());
  ASSERT_TRUE(upserted.ok()) << upserted.status();
  EXPECT_TRUE(upserted->created());
  auto recorded = writer->RecordFact(Visit(3));
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->created());
  jsonl = std::istringstream(JsonlOf(Visit(4)));
  auto imported = writer->Import(jsonl, "visit.jsonl");
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->facts_created(), 1);
  EXPECT_STATUS(writer->GetStats(), StatusCode::kPermissionDenied,
                "needs the admin role; token \"ingest\" has the writer role");

  auto after = admin->GetStats();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->entity_count(), before->entity_count() + 1);
  EXPECT_EQ(after->fact_count(), before->fact_count() + 2);  // the reader's wrote nothing
  EXPECT_TRUE(reader->GetEntity("auth_test_org").ok());
  EXPECT_TRUE(admin->RecordFact(Visit(3)).ok());  // admin may do what a writer may

  // Plaintext to the TLS port: no connection, token or not.
  EXPECT_STATUS(Connect(server, reader_, /*tls=*/false)->Resolve("Tehran"),
                StatusCode::kUnavailable, "");

  EXPECT_EQ(server.Stop(), 0);
  const std::string log = server.log();
  ExpectNoTokenIn(log);
  EXPECT_TRUE(absl::StrContains(log, "3 bearer tokens: admin ops; writer ingest; reader analyst"))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "TLS with the certificate of CN = localhost")) << log;
}

TEST_F(AuthTest, ClientCertificatesWhenTheServerAsksForThem) {
  ServerProcess server(Db("mtls"), TlsAndTokens({"--tls-client-ca", Pki("ca.pem")}));
  ASSERT_TRUE(server.ok()) << server.log();
  EXPECT_STATUS(Connect(server, reader_)->Resolve("Tehran"), StatusCode::kUnavailable, "");
  EXPECT_STATUS(Connect(server, reader_, true, "rogue")->Resolve("Tehran"),
                StatusCode::kUnavailable, "");
  auto matches = Connect(server, reader_, true, "client")->Resolve("Tehran");
  EXPECT_TRUE(matches.ok()) << matches.status();
  // The certificate gets a connection; the calls still need a token.
  EXPECT_STATUS(Connect(server, "", true, "client")->Resolve("Tehran"),
                StatusCode::kUnauthenticated, "no bearer token");
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_TRUE(absl::StrContains(server.log(), "client certificates: required")) << server.log();
  ExpectNoTokenIn(server.log());
}

TEST_F(AuthTest, OnlyTlsWithTokensListensBeyondLoopback) {
  const std::vector<std::string> everywhere = {"--listen", "0.0.0.0:0"};
  for (const auto& credentials : std::vector<std::vector<std::string>>{
           {},
           {"--tokens", Pki("tokens")},
           {"--tls-cert", Pki("server.pem"), "--tls-key", Pki("server.key")}}) {
    std::vector<std::string> args = everywhere;
    args.insert(args.end(), credentials.begin(), credentials.end());
    ServerProcess server(Db("refused"), args);
    EXPECT_FALSE(server.ok()) << absl::StrJoin(args, " ");
    EXPECT_TRUE(absl::StrContains(
        server.log(), "\"0.0.0.0:0\" is not a loopback address; without both TLS (--tls-cert, "
                      "--tls-key) and bearer tokens (--tokens)"))
        << server.log();
  }
  // Bound to every address, and reached here only through 127.0.0.1.
  ServerProcess server(Db("everywhere"), TlsAndTokens(everywhere));
  ASSERT_TRUE(server.ok()) << server.log();
  EXPECT_TRUE(absl::StrContains(server.log(), "listening on 0.0.0.0:")) << server.log();
  EXPECT_TRUE(Connect(server, reader_)->Resolve("Tehran").ok());
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AuthTest, TokensWithoutTlsOnLoopback) {
  ServerProcess server(Db("plaintext"), {"--tokens", Pki("tokens"), "--drain-seconds", "0"});
  ASSERT_TRUE(server.ok()) << server.log();
  EXPECT_STATUS(Connect(server, "", false)->Resolve("Tehran"), StatusCode::kUnauthenticated,
                "no bearer token");
  EXPECT_TRUE(Connect(server, reader_, false)->Resolve("Tehran").ok());
  EXPECT_STATUS(Connect(server, reader_, false)->RecordFact(Visit(5)),
                StatusCode::kPermissionDenied, "needs the writer role");
  EXPECT_TRUE(Connect(server, writer_, false)->RecordFact(Visit(5)).ok());
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_TRUE(absl::StrContains(server.log(), "no TLS: bearer tokens travel in plaintext"))
      << server.log();
  ExpectNoTokenIn(server.log());
}

TEST_F(AuthTest, BadCredentialFilesStopTheStartNamingTheFile) {
  const std::string malformed = Db("malformed_tokens");
  WriteFile(malformed, absl::StrCat("# ok so far\nreader ", reader_, " analyst\n", writer_,
                                    " writer swapped\n"));
  const std::string open_to_all = Db("open_tokens");
  WriteFile(open_to_all, absl::StrCat("reader ", reader_, "\n"), 0644);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--tokens", malformed},
       absl::StrCat("--tokens: ", malformed, ":3: the first word is not a role")},
      {{"--tokens", open_to_all}, "is open to every user of this machine (mode 0644)"},
      {{"--tokens", Db("missing")}, "--tokens: cannot read"},
      {{"--tls-cert", Pki("server.pem"), "--tls-key", Pki("client.key")},
       "is not the key of the certificate"},
      {{"--tls-cert", Pki("server.pem")}, "--tls-cert and --tls-key go together"},
      {{"--tls-cert", Pki("server.pem"), "--tls-key", Pki("server.key"), "--tls-client-ca",
        Pki("tokens")},
       "--tls-client-ca: \"" + Pki("tokens") + "\" holds no PEM certificate"},
  };
  for (const auto& [args, says] : cases) {
    ServerProcess server(Db("bad"), args);
    EXPECT_FALSE(server.ok()) << absl::StrJoin(args, " ");
    const std::string log = server.log();
    EXPECT_TRUE(absl::StrContains(log, says)) << log;
    ExpectNoTokenIn(log);
  }
}

TEST_F(AuthTest, EntenteToolWithTokenFileAndTlsCa) {
  ServerProcess server(Db("tool"), TlsAndTokens());
  ASSERT_TRUE(server.ok()) << server.log();
  const std::vector<std::string> tls = {"--server", server.address(), "--tls-ca", Pki("ca.pem")};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), tls.begin(), tls.end());
    return args;
  };

  RunResult run = Entente(with({"--token-file", Pki("reader.token"), "resolve", "Tehran"}));
  EXPECT_EQ(run.exit_status, 0) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "IRN")) << run.stdout_text;

  run = Entente(with({"--token-file", Pki("reader.token"), "stats"}));
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_EQ(run.stderr_text,
            "entente stats: PERMISSION_DENIED: entente.v1.AdminService/GetStats needs the admin "
            "role; token \"analyst\" has the reader role\n");

  const std::string facts = Db("visit.jsonl");
  WriteFile(facts, JsonlOf(Visit(6)));
  run = Entente(with({"--token-file", Pki("reader.token"), "import", facts}));
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "PERMISSION_DENIED")) << run.stderr_text;

  run = Entente(with({"stats"}));
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "UNAUTHENTICATED: no bearer token")) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "--token-file")) << run.stderr_text;

  setenv("ENTENTE_TOKEN_FILE", Pki("admin.token").c_str(), 1);  // inherited by the child
  run = Entente(with({"stats"}));
  unsetenv("ENTENTE_TOKEN_FILE");
  EXPECT_EQ(run.exit_status, 0) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "entities")) << run.stdout_text;

  run = Entente(with({"--token-file", Db("no_such_file"), "stats"}));
  EXPECT_EQ(run.exit_status, 2);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "--token-file: cannot read")) << run.stderr_text;

  // Without --tls-ca the tool speaks plaintext, which the TLS port refuses.
  run = Entente({"--server", server.address(), "--timeout", "5", "--token-file",
                 Pki("reader.token"), "resolve", "Tehran"});
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "UNAVAILABLE")) << run.stderr_text;

  EXPECT_EQ(server.Stop(), 0);
  ExpectNoTokenIn(server.log());
}

}  // namespace
}  // namespace entente::testing
