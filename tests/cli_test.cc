// The `entente` tool against a real entented: `entente import` streams files
// through WriteService.Import, `entente stats` reads the counts, and the
// exit statuses tell scripts what happened.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"

namespace entente::testing {
namespace {

constexpr int64_t kIcewsLines = 86933;
constexpr int64_t kIcewsFacts = 86933 - 3574;  // the "locatedin" rows are no CAMEO events
// The actors the sample adds to the seeds, and those of them that read
// "Sector (Country)" of a seed state: each with an AFFILIATION fact.
constexpr int64_t kIcewsActors = 6811;
constexpr int64_t kIcewsAffiliated = 3818;

class CliTest : public ::testing::Test {
 protected:
  // Runs `entente args...`.
  RunResult Entente(const std::vector<std::string>& args) {
    return RunProgram(ENTENTE_CLI_PATH, args, absl::StrCat(dir_.path(), "/run", ++runs_, ".log"));
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  TempDir dir_;
  int runs_ = 0;
};

v1::GetStatsResponse Stats(client::Client& client) {
  auto stats = client.GetStats();
  EXPECT_TRUE(stats.ok()) << stats.status();
  return stats.ok() ? *stats : v1::GetStatsResponse{};
}

TEST_F(CliTest, IcewsImportsOnceAndMeetsTheSeedsOnTheIranVertex) {
  ServerProcess server(dir_.path() + "/db");
  ASSERT_TRUE(server.ok()) << server.log();
  auto client = client::Client::Connect(server.address());
  const v1::GetStatsResponse seeded = Stats(*client);

  RunResult run = Entente({"--server", server.address(), "import", ICEWS_EVENTS});
  // As `entented --import`: the rejected "locatedin" rows make it exit 1.
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(
      run.stdout_text,
      absl::StrCat(kIcewsLines, " lines read, ", kIcewsFacts + kIcewsAffiliated,
                   " facts created, 0 unchanged, 3574 rejected, ", kIcewsActors,
                   " entities created (", kIcewsAffiliated, " affiliated, ",
                   kIcewsActors - kIcewsAffiliated, " unaffiliated)")))
      << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, ":72770: relation: unknown CAMEO event "
                                                 "\"locatedin\""))
      << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "... and 3474 more")) << run.stdout_text;
  EXPECT_EQ(run.stderr_text, "") << "progress is for terminals only";
  const v1::GetStatsResponse imported = Stats(*client);
  EXPECT_EQ(imported.fact_count(), seeded.fact_count() + kIcewsFacts + kIcewsAffiliated);
  EXPECT_EQ(imported.entity_count(), seeded.entity_count() + kIcewsActors);

  run = Entente({"--server", server.address(), "--json", "import", ICEWS_EVENTS});
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  v1::ImportResponse again;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.stdout_text, &again).ok())
      << run.stdout_text;
  EXPECT_EQ(again.lines(), kIcewsLines);
  EXPECT_EQ(again.facts_created(), 0);
  EXPECT_EQ(again.unchanged(), kIcewsFacts);  // the affiliations are stored: not sent again
  EXPECT_EQ(again.entities_created(), 0);
  EXPECT_EQ(again.rejected(), 3574);
  EXPECT_EQ(again.errors_size(), 100);
  EXPECT_EQ(again.source_id(), "events.tsv");
  EXPECT_EQ(again.format(), v1::IMPORT_FORMAT_TSV);
  const v1::GetStatsResponse reimported = Stats(*client);
  EXPECT_EQ(reimported.fact_count(), imported.fact_count());
  EXPECT_EQ(reimported.entity_count(), imported.entity_count());

  // Iran's neighborhood in 2014 joins ICEWS events and curated seed facts
  // on the one IRN vertex.
  v1::GetNeighborhoodRequest request;
  request.add_entity_ids("IRN");
  request.set_hops(1);
  request.mutable_filter()->mutable_window()->mutable_from()->set_year(2014);
  request.mutable_filter()->mutable_window()->mutable_to()->set_year(2014);
  request.set_limit(10000);
  request.set_max_facts(100000);
  auto neighborhood = client->GetNeighborhood(request);
  ASSERT_TRUE(neighborhood.ok()) << neighborhood.status();
  EXPECT_FALSE(neighborhood->facts_truncated());
  v1::ListFactsRequest list;
  list.set_entity_id("IRN");
  list.mutable_window()->mutable_from()->set_year(2014);
  list.mutable_window()->mutable_to()->set_year(2014);
  list.set_page_size(1000);
  auto records = client->ListAllFacts(list);
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, std::string> source_of;
  for (const auto& record : *records) {
    source_of[record.fact().id()] = record.fact().provenance().source_id();
  }
  int64_t icews = 0, curated = 0;
  for (const auto& edge : neighborhood->facts()) {
    if (edge.from_entity_id() != "IRN" && edge.to_entity_id() != "IRN") continue;
    auto it = source_of.find(edge.fact_id());
    ASSERT_NE(it, source_of.end()) << edge.fact_id();
    ++(it->second == "events.tsv" ? icews : curated);
  }
  EXPECT_GT(icews, 1000);
  EXPECT_GT(curated, 0);
}

TEST_F(CliTest, BadLinesAreReportedByLineAndTheServerKeepsServing) {
  ServerProcess server(dir_.path() + "/db");
  ASSERT_TRUE(server.ok()) << server.log();
  auto client = client::Client::Connect(server.address());
  const v1::GetStatsResponse before = Stats(*client);

  const std::string bad = Write("bad.csv",
                                "date,source,colour,event,target\n"
                                "2014-01-01,Iran,red,Make a visit,Turkey\n"
                                "2014-02-30,Iran,red,Make a visit,Turkey\n"
                                "2014-01-03,Iran\n"
                                "2014-01-04,Turkey,red,Make a visit,Iran\n");
  RunResult run = Entente({"--server", server.address(), "import", bad});
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  for (const std::string& expected :
       {bad + ":1: header: unknown column \"colour\"", bad + ":3: date: \"2014-02-30\" is not a date",
        bad + ":4: expected 5 fields", std::string("4 lines read, 2 facts created, 0 unchanged, "
                                                   "3 rejected, 0 entities created")}) {
    EXPECT_TRUE(absl::StrContains(run.stdout_text, expected)) << expected << "\n"
                                                              << run.stdout_text;
  }
  // Only the good lines were stored, and the server still answers queries.
  EXPECT_EQ(Stats(*client).fact_count(), before.fact_count() + 2);
  v1::ListFactsRequest request;
  request.set_entity_id("IRN");
  request.set_other_entity_id("TUR");
  auto facts = client->ListAllFacts(request);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->size(), 2u);

  // --strict stops at the first bad line; the lines before it stay.
  const std::string strict = Write("strict.tsv",
                                   "date\tsource\trelation\ttarget\n"
                                   "2014-03-01\tIran\tMake a visit\tTurkey\n"
                                   "2014-13-01\tIran\tMake a visit\tTurkey\n"
                                   "2014-03-03\tIran\tMake a visit\n"
                                   "2014-03-04\tTurkey\tMake a visit\tIran\n");
  run = Entente({"--server", server.address(), "import", strict, "--strict", "--source-id",
                 "analyst_sheet"});
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "source \"analyst_sheet\"): 2 lines read, 1 facts "
                                                 "created, 0 unchanged, 1 rejected"))
      << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "stopped at the first bad line"))
      << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, strict + ":3: date: ")) << run.stdout_text;
  EXPECT_FALSE(absl::StrContains(run.stdout_text, strict + ":4:")) << run.stdout_text;
  EXPECT_EQ(Stats(*client).fact_count(), before.fact_count() + 3);

  // A clean file exits 0; stats prints the counts.
  const std::string good = Write("good.jsonl",
                                 R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_SOURCE"}, {"entityId": "TUR", "role": "PARTICIPANT_ROLE_TARGET"}], "validTime": {"start": {"year": 2014, "month": 5, "precision": "PRECISION_MONTH"}}})");
  run = Entente({"import", "--server=" + server.address(), good});
  EXPECT_EQ(run.exit_status, 0) << run.stdout_text << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "1 lines read, 1 facts created")) << run.stdout_text;
  run = Entente({"--server", server.address(), "stats"});
  EXPECT_EQ(run.exit_status, 0) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text,
                                absl::StrCat("facts     ", before.fact_count() + 4, ", ")))
      << run.stdout_text;
  run = Entente({"--server", server.address(), "--json", "stats"});
  v1::GetStatsResponse stats;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.stdout_text, &stats).ok())
      << run.stdout_text;
  EXPECT_EQ(stats.fact_count(), before.fact_count() + 4);
}

// A loopback port with nothing listening on it.
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(CliTest, UsageErrorsExit2AndAnUnreachableServerExits1) {
  const std::string good = Write("good.tsv", "2014-01-01\tIran\tMake a visit\tRussia\n");
  const std::string text = Write("notes.txt", "2014-01-01\tIran\tMake a visit\tRussia\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage_errors = {
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"--colour", "stats"}, "unknown flag \"--colour\""},
      {{"import"}, "entente import: missing FILE"},
      {{"import", good, "--colour"}, "entente import: unknown flag \"--colour\""},
      {{"import", good, "--format"}, "--format needs a value"},
      {{"import", good, "--format", "xml"}, "--format: \"xml\" is not one of tsv, csv, jsonl"},
      {{"import", good, "--strict=yes"}, "--strict takes no value"},
      {{"import", dir_.path() + "/missing.tsv"}, "cannot read"},
      {{"import", "--format", "tsv", dir_.path()}, "a directory"},
      {{"import", text}, "cannot tell the format"},
      {{"import", good, good}, "unexpected argument"},
      {{"stats", "now"}, "entente stats: unexpected argument \"now\""},
      {{"help", "frobnicate"}, "unknown command \"frobnicate\""},
  };
  for (const auto& [args, message] : usage_errors) {
    const RunResult run = Entente(args);
    EXPECT_EQ(run.exit_status, 2) << message;
    EXPECT_TRUE(absl::StrContains(run.stderr_text, message)) << message << "\n" << run.stderr_text;
    EXPECT_TRUE(absl::StrContains(run.stderr_text, "usage: entente")) << run.stderr_text;
  }

  RunResult run = Entente({"--help"});
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "import FILE")) << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "stats")) << run.stdout_text;
  run = Entente({"help", "import"});
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "usage: entente import FILE [--format "
                                                 "tsv|csv|jsonl] [--strict] [--source-id ID]"))
      << run.stdout_text;
  EXPECT_EQ(Entente({"import", "--help"}).stdout_text, run.stdout_text);

  const std::string nowhere = absl::StrCat("127.0.0.1:", UnusedPort());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--server", nowhere, "import", good},
        std::vector<std::string>{"--server", nowhere, "--json", "stats"}}) {
    run = Entente(args);
    EXPECT_EQ(run.exit_status, 1) << args.back();
    EXPECT_TRUE(absl::StrContains(run.stderr_text, "cannot reach " + nowhere + ": UNAVAILABLE"))
        << run.stderr_text;
    EXPECT_EQ(run.stdout_text, "");
  }
}

}  // namespace
}  // namespace entente::testing
