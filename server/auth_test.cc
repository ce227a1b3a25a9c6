#include "server/auth.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace entente::server {
namespace {

constexpr char kReader[] = "reader-token-0123456789";
constexpr char kWriter[] = "writer-token-0123456789";
constexpr char kAdmin[] = "admin+token/0123456789==";

TokenTable Table() {
  auto table = TokenTable::Parse(absl::StrCat("# Entente tokens\n\n",        //
                                              "reader ", kReader, " alice\n",  //
                                              "writer\t", kWriter, "  ingest job  \r\n",
                                              "  admin ", kAdmin, "\n"),
                                 "tokens");
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : TokenTable();
}

std::string ParseError(const std::string& text) {
  auto table = TokenTable::Parse(text, "tokens");
  EXPECT_FALSE(table.ok());
  return std::string(table.status().message());
}

TEST(TokenTableTest, ParsesRolesTokensAndNames) {
  const TokenTable table = Table();
  ASSERT_EQ(table.size(), 3u);
  const auto* reader = table.Find(kReader);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->role, Role::kReader);
  EXPECT_EQ(reader->name, "alice");
  ASSERT_NE(table.Find(kWriter), nullptr);
  EXPECT_EQ(table.Find(kWriter)->name, "ingest job");
  ASSERT_NE(table.Find(kAdmin), nullptr);
  EXPECT_EQ(table.Find(kAdmin)->role, Role::kAdmin);
  EXPECT_EQ(table.Find(kAdmin)->name, "line 5");  // no NAME given
  EXPECT_EQ(table.Find("reader-token-012345678"), nullptr);
  EXPECT_EQ(table.Find(""), nullptr);
  EXPECT_EQ(table.Describe(), "3 bearer tokens: admin line 5; writer ingest job; reader alice");
}

TEST(TokenTableTest, ErrorsNameTheLineAndNeverTheToken) {
  std::string message = ParseError("# ok\nreader 0123456789abcdef\nreadr 0123456789abcdeg\n");
  EXPECT_TRUE(absl::StartsWith(message, "tokens:3: the first word is not a role")) << message;
  // Role and token swapped: the token is not quoted back.
  message = ParseError("0123456789abcdef reader\n");
  EXPECT_TRUE(absl::StartsWith(message, "tokens:1: ")) << message;
  EXPECT_FALSE(absl::StrContains(message, "0123456789abcdef")) << message;
  EXPECT_TRUE(absl::StrContains(ParseError("writer\n"), "tokens:1: there is no token"));
  message = ParseError("admin s3cr3t\n");
  EXPECT_TRUE(absl::StrContains(message, "tokens:1: the token is shorter than 16")) << message;
  EXPECT_FALSE(absl::StrContains(message, "s3cr3t")) << message;
  EXPECT_TRUE(absl::StrContains(ParseError("admin 0123456789abcdef\"x\n"),
                                "tokens:1: the token has a character other than"));
  message = ParseError("reader 0123456789abcdef a\n\nadmin 0123456789abcdef b\n");
  EXPECT_TRUE(absl::StrContains(message, "tokens:3: the same token as line 1")) << message;
  EXPECT_EQ(ParseError("# nothing\n\n"), "tokens: holds no tokens");
}

TEST(RequiredRoleTest, ByService) {
  EXPECT_EQ(RequiredRole("/entente.v1.ReadService/GetEntity"), Role::kReader);
  EXPECT_EQ(RequiredRole("/entente.v1.QueryService/GetTimeline"), Role::kReader);
  EXPECT_EQ(RequiredRole("/grpc.health.v1.Health/Check"), Role::kReader);
  EXPECT_EQ(RequiredRole("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
            Role::kReader);
  EXPECT_EQ(RequiredRole("/entente.v1.WriteService/Import"), Role::kWriter);
  EXPECT_EQ(RequiredRole("/entente.v1.WriteService/RecordFacts"), Role::kWriter);
  EXPECT_EQ(RequiredRole("/entente.v1.AdminService/GetStats"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("/entente.v1.AdminService/Backup"), Role::kAdmin);  // any later RPC
  EXPECT_EQ(RequiredRole("/entente.v1.SomeNewService/Do"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("/entente.v1.ReadServiceX/GetEntity"), Role::kAdmin);
  EXPECT_EQ(RequiredRole(""), Role::kAdmin);
}

TEST(AuthorizeTest, UnauthenticatedWithoutAKnownToken) {
  const TokenTable table = Table();
  const std::string read = "/entente.v1.ReadService/GetEntity";
  for (const std::vector<absl::string_view>& values :
       std::vector<std::vector<absl::string_view>>{
           {},
           {kReader},  // no scheme
           {"Basic cmVhZGVyOnJlYWRlcg=="},
           {"Bearer"},
           {"Bearer nobody-has-this-token"},
           {absl::StrCat("Bearer ", kReader), absl::StrCat("Bearer ", kAdmin)}}) {
    const grpc::Status status = Authorize(table, read, values);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << (values.empty() ? "none" : values[0]);
    EXPECT_FALSE(absl::StrContains(status.error_message(), "token-0123")) << status.error_message();
  }
  EXPECT_TRUE(Authorize(table, read, {absl::StrCat("Bearer ", kReader)}).ok());
  EXPECT_TRUE(Authorize(table, read, {absl::StrCat("bearer  ", kReader)}).ok());
}

TEST(AuthorizeTest, PermissionDeniedNamesTheRoleNeeded) {
  const TokenTable table = Table();
  const std::string reader = absl::StrCat("Bearer ", kReader);
  const std::string writer = absl::StrCat("Bearer ", kWriter);
  const std::string admin = absl::StrCat("Bearer ", kAdmin);
  grpc::Status status = Authorize(table, "/entente.v1.WriteService/RecordFact", {reader});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "entente.v1.WriteService/RecordFact needs the writer role; token \"alice\" has the "
            "reader role");
  status = Authorize(table, "/entente.v1.AdminService/GetStats", {writer});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "needs the admin role")) << status.error_message();
  EXPECT_TRUE(Authorize(table, "/entente.v1.WriteService/Import", {writer}).ok());
  EXPECT_TRUE(Authorize(table, "/entente.v1.QueryService/FindPaths", {writer}).ok());
  EXPECT_TRUE(Authorize(table, "/entente.v1.AdminService/GetStats", {admin}).ok());
  EXPECT_TRUE(Authorize(table, "/entente.v1.WriteService/RecordFact", {admin}).ok());
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("entente_auth_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "tokens").string();
    std::ofstream(path_) << "reader " << kReader << " alice\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(TokenFileTest, RefusesAFileEveryUserCanRead) {
  std::vector<std::string> warnings;
  chmod(path_.c_str(), 0644);
  auto table = TokenTable::Load(path_, &warnings);
  ASSERT_FALSE(table.ok());
  EXPECT_TRUE(absl::StrContains(table.status().message(), "--tokens: \"" + path_ +
                                                              "\" is open to every user"))
      << table.status();
  EXPECT_TRUE(absl::StrContains(table.status().message(), "mode 0644")) << table.status();

  chmod(path_.c_str(), 0640);
  table = TokenTable::Load(path_, &warnings);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(absl::StrContains(warnings[0], "is open to its group (mode 0640)")) << warnings[0];

  warnings.clear();
  chmod(path_.c_str(), 0600);
  table = TokenTable::Load(path_, &warnings);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(warnings.empty());
  EXPECT_NE(table->Find(kReader), nullptr);

  table = TokenTable::Load(path_ + ".missing", &warnings);
  ASSERT_FALSE(table.ok());
  EXPECT_TRUE(absl::StrContains(table.status().message(), "--tokens: cannot read")) << table.status();
}

TEST_F(TokenFileTest, ParseErrorsNameTheFlagFileAndLine) {
  std::ofstream(path_) << "# tokens\nreader " << kReader << "\nwriter tooshort\n";
  chmod(path_.c_str(), 0600);
  std::vector<std::string> warnings;
  auto table = TokenTable::Load(path_, &warnings);
  ASSERT_FALSE(table.ok());
  EXPECT_TRUE(absl::StartsWith(table.status().message(), "--tokens: " + path_ + ":3: "))
      << table.status();
}

}  // namespace
}  // namespace entente::server
