// entented --import: the offline import mode, run as a process.
#include <fstream>

#include "absl/strings/match.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"

namespace entente::testing {
namespace {

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ImportCliTest, ImportsReportsBadLinesAndExitsWithTheirStatus) {
  TempDir dir;
  const std::string db = dir.path() + "/db";
  const std::string good = Write(dir, "good.tsv",
                                 "date\tsource\trelation\ttarget\n"
                                 "2014-01-01\tIran\tMake a visit\tRussia\n"
                                 "2014-01-02\tMinistry (Iran)\tHost a visit\tChina\n");
  RunResult run = RunEntented({"--db", db, "--import", good}, dir.path() + "/1.log");
  EXPECT_EQ(run.exit_status, 0) << run.stderr_text;
  // Ministry (Iran) is new and Iran's by its name: its AFFILIATION is the third fact.
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "2 lines read, 3 facts created, 0 unchanged, "
                                                 "0 rejected, 1 entities created (1 affiliated, "
                                                 "0 unaffiliated)"))
      << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "loaded the seed graph")) << run.stderr_text;
  EXPECT_FALSE(absl::StrContains(run.stderr_text, "rows/s")) << "progress only on a terminal";
  EXPECT_FALSE(absl::StrContains(run.stderr_text, "listening")) << "an import does not serve";

  run = RunEntented({"--db", db, "--import", good}, dir.path() + "/2.log");
  EXPECT_EQ(run.exit_status, 0) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "0 facts created, 2 unchanged, 0 rejected, "
                                                 "0 entities created (0 affiliated, "
                                                 "0 unaffiliated)"))
      << run.stderr_text;

  const std::string bad = Write(dir, "bad.txt",
                                "date,source,colour,event,target\n"
                                "2014-01-01,Iran,red,Make a visit,Turkey\n"
                                "2014-02-30,Iran,red,Make a visit,Turkey\n"
                                "2014-01-03,Iran\n"
                                "2014-01-04,Turkey,red,Make a visit,Iran\n");
  run = RunEntented({"--db", db, "--import", bad, "--import-format", "csv", "--source-id",
                     "analyst_sheet"},
                    dir.path() + "/3.log");
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  for (const std::string& expected :
       {bad + ":1: header: unknown column \"colour\"", bad + ":3: date: \"2014-02-30\"",
        bad + ":4: expected 5 fields", std::string("2 facts created, 0 unchanged, 3 rejected"),
        std::string("source \"analyst_sheet\"")}) {
    EXPECT_TRUE(absl::StrContains(run.stderr_text, expected)) << expected << "\n"
                                                              << run.stderr_text;
  }

  run = RunEntented({"--db", db, "--import", bad, "--import-format", "csv", "--strict"},
                    dir.path() + "/4.log");
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "stopped at the first bad line"))
      << run.stderr_text;

  run = RunEntented({"--db", db, "--import", bad}, dir.path() + "/5.log");
  EXPECT_EQ(run.exit_status, 1) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "cannot tell the format")) << run.stderr_text;

  run = RunEntented({"--db", db, "--import", good, "--import-format", "xml"},
                    dir.path() + "/6.log");
  EXPECT_EQ(run.exit_status, 2) << run.stderr_text;
  run = RunEntented({"--db", db, "--strict"}, dir.path() + "/7.log");
  EXPECT_EQ(run.exit_status, 2) << run.stderr_text;

  // The server then serves what was imported, on the seeds' vertices.
  ServerProcess server(db);
  ASSERT_TRUE(server.ok()) << server.log();
  auto client = client::Client::Connect(server.address());
  auto ministry = client->GetEntity("ministry_iran");
  ASSERT_TRUE(ministry.ok()) << ministry.status();
  EXPECT_EQ(ministry->state_id(), "IRN");
  EXPECT_EQ(ministry->sector(), "Ministry");
  v1::ListFactsRequest affiliations;
  affiliations.set_entity_id("ministry_iran");
  affiliations.add_types(v1::FACT_TYPE_AFFILIATION);
  auto affiliation = client->ListAllFacts(affiliations);
  ASSERT_TRUE(affiliation.ok()) << affiliation.status();
  ASSERT_EQ(affiliation->size(), 1u);
  EXPECT_EQ((*affiliation)[0].fact().provenance().locator(), "line 3");
  v1::ListFactsRequest request;
  request.set_entity_id("IRN");
  request.set_other_entity_id("TUR");
  auto facts = client->ListAllFacts(request);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->size(), 2u);  // lines 2 and 5 of bad.txt
}

}  // namespace
}  // namespace entente::testing
