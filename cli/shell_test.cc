#include "cli/shell.h"

#include <map>
#include <set>
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
          // Names and aliases as the server's alias index holds them, in its
          // (normalized text) order, each with its entity.
          struct Entry {
            const char* text;
            const char* entity;
            const char* kind;
          };
          static const Entry kEntries[] = {
              {"Cévennes", "Cévennes", "PLACE"},
              {"Côte d'Ivoire", "Côte d'Ivoire", "STATE"},
              {"Irakli Alasania", "Irakli Alasania", "PERSON"},
              {"Iran", "Iran", "STATE"},
              {"Iraq", "Iraq", "STATE"},
              {"Ireland", "Ireland", "STATE"},
              {"North Korea", "North Korea", "STATE"},
              {"North Macedonia", "North Macedonia", "STATE"},
              {"Norway", "Norway", "STATE"},
              {"Persia", "Iran", "STATE"},
              {"Tehran", "Iran", "STATE"},
              {"Tehran (city)", "Tehran (city)", "PLACE"},
          };
          // As the server's Resolve: exact matches alone, else prefixes,
          // each entity once. "Ministry of Defence (Iran)" stands for a name
          // a server might find by a word inside it.
          std::vector<NameMatch> exact, found;
          std::set<std::string> seen;
          for (const Entry& entry : kEntries) {
            if (absl::EqualsIgnoreCase(entry.text, prefix)) {
              exact.push_back({entry.entity, entry.text, entry.kind, ""});
            }
            if (absl::StartsWithIgnoreCase(entry.text, prefix) &&
                seen.insert(entry.entity).second) {
              found.push_back({entry.entity, entry.text, entry.kind, ""});
            }
          }
          if (!exact.empty()) return exact;
          if (absl::StartsWithIgnoreCase("Iran", prefix)) {
            found.push_back({"Ministry of Defence (Iran)", "Ministry of Defence (Iran)",
                             "ORGANIZATION", "iran_defense_ministry_x"});
          }
          return found;
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
  EXPECT_THAT(Candidates("timeline --by year Ire"), ElementsAre("Ireland"));
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

TEST_F(CompleterTest, TheFirstTabCompletesOnlyWhatTheCandidatesShare) {
  // Names that begin with the word in the server's order, then the one a
  // word inside its name found.
  EXPECT_THAT(Candidates("timeline Ir"),
              ElementsAre("\"Irakli Alasania\"", "Iran", "Iraq", "Ireland",
                          "\"Ministry of Defence (Iran)\""));
  // Not "Irakli Alasania", the first of five: they share no more than "Ir".
  EXPECT_EQ(Tab("timeline Ir"), "timeline Ir");
  EXPECT_EQ(Tab("timeline Irak"), "timeline \"Irakli Alasania\" ");
  EXPECT_EQ(Tab("timeline Iran"), "timeline Iran ");  // the exact name alone
  EXPECT_EQ(Tab("timeline Iran Russia ire"), "timeline Iran Russia Ireland ");
  EXPECT_THAT(asked_, ElementsAre("Ir", "Ir", "Irak", "Iran", "ire"));
  // What several names share is completed, in the case it was typed.
  EXPECT_EQ(Tab("path No"), "path Nor");
  EXPECT_EQ(Tab("path no"), "path nor");
  EXPECT_EQ(Tab("path Nort"), "path \"North ");  // quoted, left open
  EXPECT_EQ(Tab("path \"North "), "path \"North ");
  EXPECT_EQ(Tab("path 'Nort"), "path 'North ");
  // Never half a character: Cévennes and Côte share the first byte of é/ô.
  EXPECT_EQ(Tab("show C"), "show C");
  // No name without a prefix: that would list the graph.
  EXPECT_THAT(Candidates("timeline "), IsEmpty());
  // Every command that takes entities; as many as it takes.
  for (const char* command : {"path", "neighbors", "resolve", "show", "snapshot", "diff"}) {
    EXPECT_EQ(Tab(std::string(command) + " Ire"), std::string(command) + " Ireland ") << command;
  }
  EXPECT_THAT(Candidates("show Iran Ir"), IsEmpty());
  EXPECT_THAT(Candidates("path Iran Iraq Ir"), IsEmpty());
  EXPECT_THAT(Candidates("stats Ir"), IsEmpty());
  EXPECT_THAT(Candidates("import Ir"), IsEmpty());
}

TEST_F(CompleterTest, AnInnerWordOrAnAliasIsListedButNeverReplacesTheWord) {
  // Iran was found by its alias Tehran: listed after the city, and TAB
  // writes no more than what the alias shares with the city's name.
  const Completion tehr = completer_.Complete("show Tehr");
  EXPECT_THAT(tehr.candidates, ElementsAre("\"Tehran (city)\"", "Iran"));
  EXPECT_THAT(tehr.notes, ElementsAre("PLACE", "STATE, alias Tehran"));
  EXPECT_EQ(Tab("show Tehr"), "show Tehran");
  // Alone, an alias completes as the alias, not as the name it stands for.
  EXPECT_EQ(Tab("show Tehran"), "show Tehran ");
  EXPECT_EQ(Tab("show Pers"), "show Persia ");
  EXPECT_THAT(completer_.Complete("show Pers").notes, ElementsAre("STATE, alias Persia"));
  // A name found by a word inside it holds the word as typed.
  const Completion ira = completer_.Complete("show Ira");
  EXPECT_THAT(ira.candidates, Contains("\"Ministry of Defence (Iran)\""));
  EXPECT_EQ(Tab("show Ira"), "show Ira");
}

TEST_F(CompleterTest, RolledUpStatesComeFirst) {
  EXPECT_THAT(Candidates("timeline --roll-up Ir"),
              ElementsAre("Iran", "Iraq", "Ireland", "\"Irakli Alasania\"",
                          "\"Ministry of Defence (Iran)\""));
  EXPECT_THAT(Candidates("neighbors Russia --roll-up --from 2014 Tehr"),
              ElementsAre("Iran", "\"Tehran (city)\""));
  EXPECT_EQ(Tab("timeline --roll-up Ir"), "timeline --roll-up Ir");
  // The flags complete too.
  EXPECT_THAT(Candidates("timeline Iran --ro"), ElementsAre("--roll-up"));
  EXPECT_THAT(Candidates("snapshot Iran Russia --ro"), ElementsAre("--roll-up"));
  EXPECT_THAT(Candidates("diff Iran Russia --ro"), ElementsAre("--roll-up"));
  EXPECT_THAT(Candidates("path Iran Iraq --ro"), ElementsAre("--roll-up"));
  EXPECT_THAT(Candidates("timeline Iran --inc"), ElementsAre("--include-internal"));
}

TEST_F(CompleterTest, TheListingNamesEachCandidatesKind) {
  EXPECT_EQ(ListCandidates(completer_.Complete("timeline Ir")),
            "\"Irakli Alasania\"             PERSON\n"
            "Iran                          STATE\n"
            "Iraq                          STATE\n"
            "Ireland                       STATE\n"
            "\"Ministry of Defence (Iran)\"  ORGANIZATION\n");
  // Flags come with their help; values alone.
  EXPECT_THAT(ListCandidates(completer_.Complete("timeline Iran --ro")),
              HasSubstr("--roll-up  count actors as the states"));
  EXPECT_EQ(ListCandidates(completer_.Complete("timeline Iran --by ")), "year\nmonth\n");
}

TEST_F(CompleterTest, QuotesNamesWithSpaces) {
  EXPECT_THAT(Candidates("path No"),
              ElementsAre("\"North Korea\"", "\"North Macedonia\"", "Norway"));
  EXPECT_EQ(Tab("path Iran \"North K"), "path Iran \"North Korea\" ");
  EXPECT_EQ(Tab("path Iran North\\ K"), "path Iran \"North Korea\" ");
  EXPECT_EQ(Tab("path Iran 'North K"), "path Iran 'North Korea' ");
  EXPECT_EQ(Tab("show Cô"), "show \"Côte d'Ivoire\" ");
  EXPECT_EQ(Tab("show 'Cô"), "show \"Côte d'Ivoire\" ");
  // What the completion wrote, the line splitter reads back.
  EXPECT_THAT(*SplitLine(Tab("show 'Cô")), ElementsAre("show", "Côte d'Ivoire"));
}

TEST_F(CompleterTest, AFailedLookupCompletesNothing) {
  Completer offline([](const std::string&) { return std::vector<NameMatch>{}; });
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
