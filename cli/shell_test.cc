#include "cli/shell.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace entente::cli {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(SplitLineTest, SplitsOnWhitespaceAndGroupsQuotes) {
  EXPECT_THAT(*SplitLine("  timeline  Iran\tRussia "), ElementsAre("timeline", "Iran", "Russia"));
  EXPECT_THAT(*SplitLine(R"(path "North Korea" 'South Korea')"),
              ElementsAre("path", "North Korea", "South Korea"));
  EXPECT_THAT(*SplitLine(R"(show North\ Korea)"), ElementsAre("show", "North Korea"));
  // Quotes join what touches them; "" is an empty word.
  EXPECT_THAT(*SplitLine(R"(a"b c"'d' "")"), ElementsAre("ab cd", ""));
  EXPECT_THAT(*SplitLine(""), IsEmpty());
}

TEST(SplitLineTest, EscapesAsAShellDoes) {
  // Inside double quotes a backslash escapes only " and \.
  EXPECT_THAT(*SplitLine(R"("say \"hi\"" "a\b" "c\\d")"),
              ElementsAre("say \"hi\"", "a\\b", "c\\d"));
  // Inside single quotes nothing is escaped.
  EXPECT_THAT(*SplitLine(R"('it\s' \'x\')"), ElementsAre("it\\s", "'x'"));
  EXPECT_THAT(*SplitLine(R"(Côte\ d\'Ivoire)"), ElementsAre("Côte d'Ivoire"));
}

TEST(SplitLineTest, UnterminatedQuotesAndTrailingBackslashesAreErrors) {
  for (const char* line : {R"(show "North Korea)", "show 'Iran", R"(show Iran\)"}) {
    auto words = SplitLine(line);
    ASSERT_FALSE(words.ok()) << line;
    EXPECT_EQ(words.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(std::string(SplitLine(R"(show "Iran)").status().message()),
              HasSubstr("unterminated \" quote"));
}

// Entity names as the server's Resolve would give them, best first.
class CompleterTest : public ::testing::Test {
 protected:
  CompleterTest()
      : completer_([this](const std::string& prefix) {
          asked_.push_back(prefix);
          // Names and aliases, and the entity each belongs to.
          static const std::pair<const char*, const char*> kNames[] = {
              {"Iran", "Iran"},
              {"Tehran", "Iran"},
              {"Iraq", "Iraq"},
              {"Ireland", "Ireland"},
              {"North Korea", "North Korea"},
              {"North Macedonia", "North Macedonia"},
              {"Norway", "Norway"},
              {"Côte d'Ivoire", "Côte d'Ivoire"},
              {"Tehran (city)", "Tehran (city)"},
          };
          // As the server's Resolve: exact matches alone, else prefixes.
          std::vector<std::string> exact, names;
          for (const auto& [name, entity] : kNames) {
            if (absl::EqualsIgnoreCase(name, prefix)) exact.push_back(entity);
            if (absl::StartsWithIgnoreCase(name, prefix)) names.push_back(entity);
          }
          return exact.empty() ? names : exact;
        }) {}

  std::vector<std::string> Candidates(const std::string& line) {
    return completer_.Complete(line).candidates;
  }
  // The line after a first TAB.
  std::string Tab(const std::string& line) {
    const Completion completion = completer_.Complete(line);
    if (completion.candidates.empty()) return line;
    return line.substr(0, completion.start) + completion.insert;
  }

  std::vector<std::string> asked_;
  Completer completer_;
};

TEST_F(CompleterTest, CompletesCommandsFirst) {
  EXPECT_EQ(Tab("tim"), "timeline ");
  EXPECT_EQ(Tab("  tim"), "  timeline ");
  EXPECT_THAT(Candidates("s"), ElementsAre("show", "snapshot", "stats"));
  EXPECT_EQ(Tab("s"), "s");  // they share no more than that
  EXPECT_EQ(Tab("sh"), "show ");
  EXPECT_THAT(Candidates("q"), ElementsAre("quit"));
  EXPECT_THAT(Candidates("e"), ElementsAre("exit"));
  EXPECT_THAT(Candidates(""), Contains("timeline"));
  EXPECT_THAT(Candidates(""), Contains("help"));
  EXPECT_THAT(Candidates("frob"), IsEmpty());
  EXPECT_THAT(Candidates("frobnicate Ir"), IsEmpty());  // after an unknown command, nothing
  EXPECT_THAT(asked_, IsEmpty());
}

TEST_F(CompleterTest, HelpTakesACommandName) {
  EXPECT_EQ(Tab("help ti"), "help timeline ");
  EXPECT_THAT(Candidates("help d"), ElementsAre("diff"));
  EXPECT_THAT(Candidates("help q"), IsEmpty());
  EXPECT_THAT(Candidates("help timeline "), IsEmpty());
}

TEST_F(CompleterTest, CompletesTheCommandsFlagsAndJsonAndHelp) {
  EXPECT_THAT(Candidates("timeline Iran --b"), ElementsAre("--by"));
  EXPECT_THAT(Candidates("timeline Iran --t"), ElementsAre("--to", "--types"));
  EXPECT_EQ(Tab("timeline Iran --t"), "timeline Iran --t");
  EXPECT_EQ(Tab("timeline Iran --ty"), "timeline Iran --types ");
  EXPECT_THAT(Candidates("timeline --j"), ElementsAre("--json"));
  EXPECT_THAT(Candidates("stats -"), ElementsAre("--json", "--help"));
  // Fixed for the session, so not offered.
  EXPECT_THAT(Candidates("timeline --s"), IsEmpty());
  EXPECT_THAT(Candidates("import x.tsv --s"), ElementsAre("--strict", "--source-id"));
  EXPECT_THAT(Candidates("path A B --time"), ElementsAre("--time-respecting"));
  EXPECT_THAT(Candidates("timeline Iran --kinds"), IsEmpty());  // timeline has no --kinds
  EXPECT_THAT(Candidates("neighbors Iran --kinds"), ElementsAre("--kinds"));
  // Before the command, the flags a line may set.
  EXPECT_THAT(Candidates("--j"), ElementsAre("--json"));
}

TEST_F(CompleterTest, CompletesFixedFlagValues) {
  EXPECT_THAT(Candidates("timeline Iran --by "), ElementsAre("year", "month"));
  EXPECT_EQ(Tab("timeline Iran --by m"), "timeline Iran --by month ");
  EXPECT_EQ(Tab("timeline Iran --by=y"), "timeline Iran --by=year ");
  EXPECT_THAT(Candidates("path Iran Iraq --export "), ElementsAre("graphml", "dot"));
  EXPECT_EQ(Tab("neighbors Iran --export g"), "neighbors Iran --export graphml ");
  // --export's second value is a file: anything goes.
  EXPECT_THAT(Candidates("neighbors Iran --export dot o"), IsEmpty());
  EXPECT_THAT(Candidates("import x --format j"), ElementsAre("jsonl"));
  // Free values (dates, numbers) are not completed, nor taken for names.
  EXPECT_THAT(Candidates("timeline Iran --from 20"), IsEmpty());
  EXPECT_THAT(asked_, IsEmpty());
  // After a flag's value, arguments again.
  EXPECT_THAT(Candidates("timeline --by year Ir"), ElementsAre("Iran", "Iraq", "Ireland"));
  // --server's value is skipped too, though the flag is not offered.
  EXPECT_THAT(Candidates("--server h:1 tim"), ElementsAre("timeline"));
}

TEST_F(CompleterTest, CompletesTheLastItemOfACommaList) {
  EXPECT_THAT(Candidates("timeline Iran --types vi"), ElementsAre("visit"));
  const std::vector<std::string> all = Candidates("timeline Iran --types ");
  EXPECT_GT(all.size(), 3u);
  EXPECT_THAT(all, Contains("visit"));
  const std::vector<std::string> after = Candidates("timeline Iran --types visit,");
  EXPECT_EQ(after.size(), all.size() - 1);  // visit is given already
  EXPECT_THAT(after, Not(Contains("visit,visit")));
  EXPECT_EQ(Tab("timeline Iran --types visit,agreement_s"),
            "timeline Iran --types visit,agreement_signed ");
  EXPECT_THAT(Candidates("neighbors Iran --kinds st"), ElementsAre("state"));
  EXPECT_THAT(Candidates("neighbors Iran --kinds state,org"),
              ElementsAre("state,organization"));
}

TEST_F(CompleterTest, TheFirstTabTakesTheServersBestName) {
  EXPECT_THAT(Candidates("timeline Ir"), ElementsAre("Iran", "Iraq", "Ireland"));
  EXPECT_EQ(Tab("timeline Ir"), "timeline Iran");  // not "Ir", all that they share
  EXPECT_EQ(Tab("timeline Iran"), "timeline Iran ");
  EXPECT_EQ(Tab("timeline Iran Ira"), "timeline Iran Iran");
  EXPECT_EQ(Tab("timeline Iran Russia ire"), "timeline Iran Russia Ireland ");
  EXPECT_THAT(asked_, ElementsAre("Ir", "Ir", "Iran", "Ira", "ire"));
  // No name without a prefix: that would list the graph.
  EXPECT_THAT(Candidates("timeline "), IsEmpty());
  // Every command that takes entities; as many as it takes.
  for (const char* command : {"path", "neighbors", "resolve", "show", "snapshot", "diff"}) {
    EXPECT_EQ(Tab(std::string(command) + " Ir"), std::string(command) + " Iran") << command;
  }
  EXPECT_THAT(Candidates("show Iran Ir"), IsEmpty());
  EXPECT_THAT(Candidates("path Iran Iraq Ir"), IsEmpty());
  EXPECT_THAT(Candidates("stats Ir"), IsEmpty());
  EXPECT_THAT(Candidates("import Ir"), IsEmpty());
}

TEST_F(CompleterTest, NamesThatBeginWithTheWordGoFirst) {
  // Iran was found by its alias Tehran.
  EXPECT_THAT(Candidates("show Tehr"), ElementsAre("\"Tehran (city)\"", "Iran"));
  EXPECT_EQ(Tab("show Tehr"), "show \"Tehran (city)\"");
  EXPECT_EQ(Tab("show Tehran"), "show Iran ");  // the exact alias alone
}

TEST_F(CompleterTest, QuotesNamesWithSpaces) {
  EXPECT_THAT(Candidates("path No"),
              ElementsAre("\"North Korea\"", "\"North Macedonia\"", "Norway"));
  EXPECT_EQ(Tab("path No"), "path \"North Korea\"");
  EXPECT_EQ(Tab("path Iran \"North K"), "path Iran \"North Korea\" ");
  EXPECT_EQ(Tab("path Iran North\\ K"), "path Iran \"North Korea\" ");
  EXPECT_EQ(Tab("path Iran 'North K"), "path Iran 'North Korea' ");
  EXPECT_EQ(Tab("show Cô"), "show \"Côte d'Ivoire\" ");
  EXPECT_EQ(Tab("show 'Cô"), "show \"Côte d'Ivoire\" ");
  // What the completion wrote, the line splitter reads back.
  EXPECT_THAT(*SplitLine(Tab("show 'Cô")), ElementsAre("show", "Côte d'Ivoire"));
}

TEST_F(CompleterTest, AFailedLookupCompletesNothing) {
  Completer offline([](const std::string&) { return std::vector<std::string>{}; });
  EXPECT_THAT(offline.Complete("timeline Ir").candidates, IsEmpty());
  EXPECT_THAT(offline.Complete("tim").candidates, ElementsAre("timeline"));
}

// Lines the shell runs, without a server: help and errors only.
class ShellLineTest : public ::testing::Test {
 protected:
  ShellLineTest() : session_("127.0.0.1:1", false, out_, err_, false) {}

  std::ostringstream out_, err_;
  Session session_;
};

TEST_F(ShellLineTest, AnUnknownCommandIsReportedWithTheNearestOne) {
  bool quit = false;
  EXPECT_EQ(RunShellLine(session_, "timline Iran", &quit), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unknown command \"timline\"; did you mean timeline?"));
  err_.str("");
  EXPECT_EQ(RunShellLine(session_, "frobnicate", &quit), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unknown command \"frobnicate\" (help lists the commands)"));
  err_.str("");
  EXPECT_EQ(RunShellLine(session_, "qiut", &quit), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("did you mean quit?"));
  EXPECT_FALSE(quit);
}

TEST_F(ShellLineTest, BlankLinesCommentsHelpAndQuit) {
  bool quit = false;
  EXPECT_EQ(RunShellLine(session_, "   ", &quit), kExitOk);
  EXPECT_EQ(RunShellLine(session_, "# a comment", &quit), kExitOk);
  EXPECT_EQ(RunShellLine(session_, "help timeline", &quit), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("usage: entente timeline"));
  EXPECT_EQ(RunShellLine(session_, "show \"Iran", &quit), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unterminated \" quote"));
  EXPECT_EQ(RunShellLine(session_, "stats --server h:2", &quit), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--server is set when the session starts"));
  EXPECT_FALSE(quit);
  EXPECT_EQ(RunShellLine(session_, " exit ", &quit), kExitOk);
  EXPECT_TRUE(quit);
}

TEST_F(ShellLineTest, AScriptRunsToQuitAndReturnsTheLastFailure) {
  std::istringstream script("help\r\ntimline\nhelp stats\nquit\nfrobnicate\n");
  EXPECT_EQ(RunScript(session_, script), kExitUsage);
  EXPECT_THAT(out_.str(), HasSubstr("usage: entente stats"));
  EXPECT_THAT(err_.str(), HasSubstr("timline"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("frobnicate")));  // after quit
  std::istringstream fine("help\n\n# nothing\n");
  EXPECT_EQ(RunScript(session_, fine), kExitOk);
}

TEST(HistoryPathTest, FromTheEnvironment) {
  setenv("ENTENTE_HISTORY", "/tmp/h", 1);
  EXPECT_EQ(HistoryPath(), "/tmp/h");
  setenv("ENTENTE_HISTORY", "", 1);
  EXPECT_EQ(HistoryPath(), "");
  unsetenv("ENTENTE_HISTORY");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(HistoryPath(), "/home/someone/.entente_history");
}

}  // namespace
}  // namespace entente::cli
