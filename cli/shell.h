// The shell: `entente` with no command runs the same commands line by line
// in one Session (one server, one connection). On a terminal it edits lines
// with libedit — prompt, history kept across runs, TAB completion of
// commands, flags, flag values and entity names looked up on the server as
// you type. Fed by a pipe or a file it runs the lines it reads, silently,
// for scripts. A command that fails prints its error and the shell goes on.
#ifndef ENTENTE_CLI_SHELL_H_
#define ENTENTE_CLI_SHELL_H_

#include <cstddef>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/cli.h"

namespace entente::cli {

// A line split into words as a shell splits it: whitespace separates words;
// "double" and 'single' quotes group ("North Korea" is one word, "" an empty
// one); a backslash takes the next character as it is, except inside single
// quotes, and inside double quotes only before " or \. INVALID_ARGUMENT for
// an unterminated quote or a line ending in a backslash.
absl::StatusOr<std::vector<std::string>> SplitLine(absl::string_view line);

// What TAB can do with the word before the cursor.
struct Completion {
  // Where that word starts in the line (at its opening quote, if any); it
  // ends at the cursor. The line's length when the cursor follows a space.
  size_t start = 0;
  // The words that fit there, written as they would be typed (a name with
  // spaces comes quoted: "North Korea"), best first. Empty: nothing fits.
  std::vector<std::string> candidates;
  // Parallel to candidates: what the listing says of each (an entity's
  // kind and the alias that found it, a flag's help); "" for nothing.
  std::vector<std::string> notes;
  // What the first TAB puts in place of the word: the only candidate and a
  // space; of several, the longest prefix their texts share, so that one
  // TAB never picks one of several entities. An entity found by its alias
  // shares the alias ("Tehr" may become "Tehran", never "Iran"); one found
  // by a word inside its name shares nothing beyond what was typed. When
  // they share no more than the word, the word as it was typed.
  std::string insert;
};

// The listing a second TAB prints: each candidate on a line of its own, in
// the Completer's order, its note aligned after it.
std::string ListCandidates(const Completion& completion);

// An entity a name lookup found.
struct NameMatch {
  std::string name;          // its display name (the id when it has none)
  std::string matched_text;  // the name, alias or id that matched
  std::string kind;          // "STATE", "PERSON", ...; "" when unknown
  std::string id;            // "" when unknown
};

// The entities whose name or alias starts with `prefix`, best match first;
// none when the lookup fails (a completion never reports errors). The
// Completer keeps that order, except that names beginning with the prefix
// go before those an alias or an inner word found, and with --roll-up
// earlier on the line STATE entities go before all others.
using NameLookup = std::function<std::vector<NameMatch>(const std::string& prefix)>;

// Completes shell lines. Knows the command table: the first word is a
// command (or quit, exit); after `help`, a command; a word starting with -
// a flag of the command or --json, --help (--server and --timeout are fixed
// for the session); after a flag whose values are a fixed set (--by
// year|month, --export graphml|dot, --format, --types and --kinds, each
// item of their comma lists) one of them; an argument of a command that
// takes entities (timeline, path, neighbors, resolve, show, snapshot, diff)
// an entity name from `names`. No terminal here: the shell's line editor
// calls it on TAB.
class Completer {
 public:
  explicit Completer(NameLookup names);

  // `line` is the text before the cursor.
  Completion Complete(absl::string_view line) const;

 private:
  NameLookup names_;
};

// Lines of history the shell keeps, in memory and in its file; the oldest
// go first.
inline constexpr size_t kHistoryLines = 1000;

// The shell's history file: $ENTENTE_HISTORY when set (set but empty: no
// history), else ~/.entente_history; "" when there is no home either. The
// file is plain text, a line an entry, each line appended as it is entered
// (a crash loses nothing) and the file cut to its last kHistoryLines lines
// when the shell starts.
std::string HistoryPath();

// Runs one shell line in `session`: a command line as `entente` takes it
// (without the program name), split by SplitLine. Blank lines and lines
// starting with # do nothing; quit and exit set `*quit`. An unknown command
// is reported with the nearest command's name when one is close ("did you
// mean timeline?"). Errors go to session.err(). Returns the exit status.
int RunShellLine(Session& session, absl::string_view line, bool* quit);

// Runs the lines of `in` with RunShellLine, silently (no prompt, no
// editing), until the end or quit. Returns the status of the last line
// that failed; kExitOk when none did.
int RunScript(Session& session, std::istream& in);

// `entente` with no command. When stdin is a terminal: a banner, then the
// prompt "entente> " with line editing (libedit: emacs keys, ~/.editrc),
// history in `history_path` ("" for none; Up brings earlier lines back) and
// TAB completion (Completer, names looked up on session.server() with a
// short deadline); Ctrl-C drops the line being edited, quit, exit or Ctrl-D
// end the shell, which returns kExitOk. Otherwise RunScript(session,
// std::cin). Connects only when a command or a completion needs the server.
int RunShell(Session& session, const std::string& history_path = HistoryPath());

// The paragraph of `entente help` on the shell.
std::string ShellHelp();

}  // namespace entente::cli

#endif  // ENTENTE_CLI_SHELL_H_
