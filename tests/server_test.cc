// Starts the real entented, talks to it through the generated stubs (via the
// C++ client), checks health and reflection, restarts it on the same
// directory and reads the same facts back.
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "client/client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "tests/server_process.h"

namespace entente {
namespace {

using testing::ServerProcess;
using testing::TempDir;

v1::Date Date(int y, int m = 0, int d = 0) { return date_text::MakeDate(y, m, d); }

v1::Entity Entity(const std::string& id, v1::EntityKind kind, const std::string& name) {
  v1::Entity e;
  e.set_id(id);
  e.set_kind(kind);
  e.set_name(name);
  return e;
}

v1::Fact Visit(const std::string& visitor, const std::string& host, v1::Date when) {
  v1::Fact fact;
  fact.set_type(v1::FACT_TYPE_VISIT);
  fact.set_cameo_code("042");
  auto* p = fact.add_participants();
  p->set_entity_id(visitor);
  p->set_role(v1::PARTICIPANT_ROLE_VISITOR);
  p = fact.add_participants();
  p->set_entity_id(host);
  p->set_role(v1::PARTICIPANT_ROLE_HOST);
  *fact.mutable_valid_time()->mutable_start() = when;
  fact.set_summary("state visit");
  return fact;
}

class ServerTest : public ::testing::Test {
 protected:
  std::string db() const { return dir_.path() + "/db"; }
  TempDir dir_;
};

TEST_F(ServerTest, RecordsReadsAndSurvivesARestart) {
  std::string fact_id;
  {
    ServerProcess server(db(), {"--no-seeds"});
    ASSERT_TRUE(server.ok()) << server.log();
    auto client = client::Client::Connect(server.address());
    auto iran = Entity("IRN", v1::ENTITY_KIND_STATE, "Iran");
    iran.add_aliases("Tehran");
    auto created = client->UpsertEntity(iran);
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_TRUE(created->created());
    ASSERT_TRUE(client->UpsertEntity(Entity("RUS", v1::ENTITY_KIND_STATE, "Russia")).ok());

    auto recorded = client->RecordFact(Visit("IRN", "RUS", Date(2022, 1, 19)));
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    EXPECT_TRUE(recorded->created());
    fact_id = recorded->record().fact().id();
    auto again = client->RecordFact(Visit("IRN", "RUS", Date(2022, 1, 19)));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->created());
    EXPECT_EQ(again->record().fact().id(), fact_id);

    auto stats = client->GetStats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->entity_count(), 2);
    EXPECT_EQ(stats->fact_count(), 1);
    EXPECT_EQ(stats->facts_by_type().at("FACT_TYPE_VISIT"), 1);
    EXPECT_EQ(server.Stop(), 0);
    EXPECT_TRUE(absl::StrContains(server.log(), "closed")) << server.log();
  }
  ServerProcess server(db());
  ASSERT_TRUE(server.ok()) << server.log();
  // Reopening an existing database does not seed it.
  EXPECT_FALSE(absl::StrContains(server.log(), "loaded the seed graph")) << server.log();
  auto client = client::Client::Connect(server.address());
  auto fact = client->GetFact(fact_id);
  ASSERT_TRUE(fact.ok()) << fact.status();
  EXPECT_EQ(fact->fact().valid_time().start().day(), 19);
  v1::ListFactsRequest request;
  request.set_entity_id("RUS");
  request.set_other_entity_id("IRN");
  *request.mutable_window()->mutable_from() = Date(2022);
  *request.mutable_window()->mutable_to() = Date(2022);
  auto facts = client->ListAllFacts(request);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].fact().id(), fact_id);
  auto resolved = client->Resolve("tehran");
  ASSERT_TRUE(resolved.ok());
  ASSERT_EQ(resolved->size(), 1u);
  EXPECT_EQ((*resolved)[0].entity().id(), "IRN");
}

TEST_F(ServerTest, MalformedWritesAreRejectedNamingTheFieldAndTheServerKeepsServing) {
  ServerProcess server(db(), {"--no-seeds"});
  ASSERT_TRUE(server.ok()) << server.log();
  auto client = client::Client::Connect(server.address());
  ASSERT_TRUE(client->UpsertEntity(Entity("IRN", v1::ENTITY_KIND_STATE, "Iran")).ok());
  ASSERT_TRUE(client->UpsertEntity(Entity("RUS", v1::ENTITY_KIND_STATE, "Russia")).ok());

  struct Case {
    v1::Fact fact;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({Visit("IRN", "NOPE", Date(2022, 1, 19)), "fact.participants[1].entity_id"});
  auto reversed = Visit("IRN", "RUS", Date(2022, 1, 19));
  *reversed.mutable_valid_time()->mutable_end() = Date(2021, 5);
  cases.push_back({reversed, "fact.valid_time.end"});
  auto no_precision = Visit("IRN", "RUS", Date(2022, 1, 19));
  no_precision.mutable_valid_time()->mutable_start()->clear_precision();
  cases.push_back({no_precision, "fact.valid_time.start"});
  auto unknown_type = Visit("IRN", "RUS", Date(2022));
  unknown_type.set_type(static_cast<v1::FactType>(777));
  cases.push_back({unknown_type, "fact.type"});
  for (const auto& c : cases) {
    auto result = client->RecordFact(c.fact);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    EXPECT_TRUE(absl::StartsWith(result.status().message(), c.field + ":")) << result.status();
  }
  auto empty_name = client->UpsertEntity(Entity("CHN", v1::ENTITY_KIND_STATE, ""));
  EXPECT_EQ(empty_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty_name.status().message(), "entity.name: is empty");

  v1::ListFactsRequest reversed_window;
  reversed_window.set_entity_id("IRN");
  *reversed_window.mutable_window()->mutable_from() = Date(2025);
  *reversed_window.mutable_window()->mutable_to() = Date(2001);
  auto listed = client->ListFacts(reversed_window);
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(listed.status().message(), "window:")) << listed.status();

  // A stream with one bad fact records the good ones and reports the bad.
  std::vector<v1::Fact> stream = {Visit("IRN", "RUS", Date(2022, 1, 19)), cases[0].fact,
                                  Visit("RUS", "IRN", Date(2023, 7))};
  auto summary = client->RecordFacts(stream);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->received(), 3);
  EXPECT_EQ(summary->created(), 2);
  EXPECT_EQ(summary->rejected(), 1);
  ASSERT_EQ(summary->rejections_size(), 1);
  EXPECT_EQ(summary->rejections(0).index(), 1);
  // Strict mode stops at the bad one.
  auto strict = client->RecordFacts({cases[1].fact}, /*strict=*/true);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kInvalidArgument);

  // Nothing of the rejected requests was stored, and the server still serves.
  auto stats = client->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->entity_count(), 2);
  EXPECT_EQ(stats->fact_count(), 2);
  EXPECT_EQ(client->GetEntity("CHN").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerTest, HealthAndReflectionAreServed) {
  ServerProcess server(db(), {"--no-seeds"});
  ASSERT_TRUE(server.ok()) << server.log();
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext health_context;
  health_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest health_request;
  grpc::health::v1::HealthCheckResponse health_response;
  ASSERT_TRUE(health->Check(&health_context, health_request, &health_response).ok());
  EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::set<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.insert(s.name());
  EXPECT_TRUE(services.contains("entente.v1.ReadService"));
  EXPECT_TRUE(services.contains("entente.v1.WriteService"));
  EXPECT_TRUE(services.contains("entente.v1.AdminService"));
  EXPECT_TRUE(services.contains("grpc.health.v1.Health"));
  // Reflection also hands out the descriptors, so tools need no .proto files.
  request.set_file_containing_symbol("entente.v1.ReadService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(server.Stop(), 0);
}

// The checks of the foundation issue against the seeded graph.
TEST_F(ServerTest, TheSeededGraphAnswersOverGrpc) {
  ServerProcess server(db());
  ASSERT_TRUE(server.ok()) << server.log();
  EXPECT_TRUE(absl::StrContains(server.log(), "loaded the seed graph")) << server.log();
  auto client = client::Client::Connect(server.address());

  auto tehran = client->Resolve("Tehran");
  ASSERT_TRUE(tehran.ok()) << tehran.status();
  ASSERT_EQ(tehran->size(), 1u);
  EXPECT_EQ((*tehran)[0].entity().id(), "IRN");
  EXPECT_EQ((*tehran)[0].match_kind(), v1::MATCH_KIND_EXACT);

  v1::ListFactsRequest dyad;
  dyad.set_entity_id("IRN");
  dyad.set_other_entity_id("RUS");
  dyad.set_page_size(7);  // several pages
  auto facts = client->ListAllFacts(dyad);
  ASSERT_TRUE(facts.ok()) << facts.status();
  auto find = [&](v1::FactType type, int year, int month, int day) -> const v1::Fact* {
    for (const auto& r : *facts) {
      const auto& start = r.fact().valid_time().start();
      if (r.fact().type() == type && start.year() == year && start.month() == month &&
          start.day() == day) {
        return &r.fact();
      }
    }
    return nullptr;
  };
  const v1::Fact* agreement_2001 = find(v1::FACT_TYPE_AGREEMENT_SIGNED, 2001, 3, 0);
  ASSERT_NE(agreement_2001, nullptr);
  EXPECT_EQ(agreement_2001->valid_time().start().precision(), v1::PRECISION_MONTH);
  ASSERT_NE(find(v1::FACT_TYPE_VISIT, 2022, 1, 0), nullptr) << "Raisi's January 2022 visit";
  const v1::Fact* agreement_2025 = find(v1::FACT_TYPE_AGREEMENT_SIGNED, 2025, 1, 17);
  ASSERT_NE(agreement_2025, nullptr);
  EXPECT_EQ(agreement_2025->valid_time().start().precision(), v1::PRECISION_DAY);
  std::string agreement_id;
  for (const auto& p : agreement_2025->participants()) {
    if (p.role() == v1::PARTICIPANT_ROLE_AGREEMENT) agreement_id = p.entity_id();
    if (p.entity_id() == "moscow") {
      EXPECT_EQ(p.role(), v1::PARTICIPANT_ROLE_LOCATION);
    }
  }
  auto agreement = client->GetEntity(agreement_id);
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  bool mutual_defense_absent = false;
  for (const auto& clause : agreement->agreement().clauses()) {
    if (clause.name() == "mutual_defense") {
      mutual_defense_absent = clause.presence() == v1::CLAUSE_PRESENCE_ABSENT;
    }
  }
  EXPECT_TRUE(mutual_defense_absent);
  // Facts come back in time order.
  for (size_t i = 1; i < facts->size(); ++i) {
    EXPECT_LE((*facts)[i - 1].fact().valid_time().start().year(),
              (*facts)[i].fact().valid_time().start().year());
  }

  // North Korean troop figures: one fact per claim, each with its claimants.
  v1::ListFactsRequest korea;
  korea.set_entity_id("PRK");
  korea.add_types(v1::FACT_TYPE_DEPLOYMENT);
  korea.add_types(v1::FACT_TYPE_CASUALTIES);
  auto claims = client->ListAllFacts(korea);
  ASSERT_TRUE(claims.ok()) << claims.status();
  std::map<std::pair<std::string, double>, std::set<std::string>> claimants_of;
  for (const auto& r : *claims) {
    for (const auto& q : r.fact().quantities()) {
      auto& who = claimants_of[{q.measure(), q.value()}];
      for (const auto& c : r.fact().attribution().claimant_ids()) who.insert(c);
    }
  }
  ASSERT_TRUE(claimants_of.contains({"troops", 12000}));
  ASSERT_TRUE(claimants_of.contains({"troops", 11000}));
  ASSERT_TRUE(claimants_of.contains({"killed_or_wounded", 3000}));
  ASSERT_TRUE(claimants_of.contains({"killed_or_wounded", 1100}));
  const auto& seoul = claimants_of[{"killed_or_wounded", 1100}];
  const auto& kyiv = claimants_of[{"killed_or_wounded", 3000}];
  EXPECT_TRUE(seoul.contains("jcs_kor"));
  EXPECT_FALSE(seoul.contains("UKR"));
  EXPECT_FALSE(kyiv.contains("jcs_kor"));
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerTest, RefusesBadStartsWithAClearMessage) {
  {
    ServerProcess server(db(), {"--listen", "0.0.0.0:0"});
    EXPECT_FALSE(server.ok());
    EXPECT_TRUE(absl::StrContains(server.log(), "not a loopback address")) << server.log();
  }
  {
    ServerProcess first(db(), {"--no-seeds"});
    ASSERT_TRUE(first.ok()) << first.log();
    TempDir other;
    ServerProcess second(db(), {"--no-seeds"});
    EXPECT_FALSE(second.ok());
    EXPECT_TRUE(absl::StrContains(second.log(), "in use by another process")) << second.log();
  }
}

}  // namespace
}  // namespace entente
