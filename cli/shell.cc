// The shell (shell.h): running lines, the history file, and libedit.
//
// libedit's readline emulation is used with these facts of its behaviour
// (libedit 3.1, filecomplete.c and readline.c):
// - On TAB it hands rl_attempted_completion_function the "word" before the
//   cursor, found by walking back to a character of
//   rl_basic_word_break_characters; rl_completer_word_break_characters and
//   rl_completer_quote_characters are not used at all. With no break
//   characters the word is the whole line before the cursor, so the
//   Completer sees the line and does its own quoting.
// - It replaces that word by matches[0] as given (no common prefix of its
//   own). When matches[1] is the only candidate (matches[2] NULL, matches[0]
//   equal to matches[1]) it then appends rl_completion_append_character.
// - A TAB right after a TAB lists matches[1..] when there are several, but
//   sorted (case folded), and it never calls
//   rl_completion_display_matches_hook. So the handler always returns one
//   match and prints the listing itself, in the Completer's order (states
//   first with --roll-up), then has libedit redraw the prompt and line
//   below it (rl_forced_update_display). A TAB that inserts rings the bell,
//   even for a single match.
// - When the function returns NULL with rl_attempted_completion_over unset
//   it completes file names instead.
// - It catches SIGINT while editing: puts the terminal back, passes the
//   signal on to the program's handler (by kill(0, ...), to the process
//   group) and makes readline() return NULL, as at the end of input.
// - It reads TERM: unset means "dumb" (lines are redrawn, not patched, and
//   all still works); an unknown one prints "No entry for terminal type"
//   once and is dumb too; "emacs" turns editing off. It edits only when
//   the terminal echoes (else lines are read as they come).
// - It prints the prompt before it takes the terminal out of line mode, so
//   a Ctrl-D typed in between reaches the line discipline, not libedit.
#include "cli/shell.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <editline/readline.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/table.h"

namespace entente::cli {
namespace {

constexpr char kPrompt[] = "entente> ";

// Completion asks the server while the user waits at the prompt.
constexpr absl::Duration kLookupTimeout = absl::Seconds(2);

// Edits (insertions, deletions, substitutions, swaps of neighbours) that
// turn `a` into `b`.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The command (or quit, exit) `word` is likely a typo of; "" when none is
// close enough to guess.
std::string NearestCommand(const std::string& word) {
  std::vector<std::string> names = {"quit", "exit"};
  for (const Command& command : Commands()) names.push_back(command.name);
  std::string best;
  size_t best_distance = 3;  // more than two edits is another word
  for (const std::string& name : names) {
    const size_t distance = EditDistance(absl::AsciiStrToLower(word), name);
    if (distance < best_distance && distance < name.size() / 2 + 1) {
      best = name;
      best_distance = distance;
    }
  }
  return best;
}

// The history file: read when the shell starts, appended to a line at a
// time so that whatever happens later, the lines entered are kept.
class HistoryFile {
 public:
  HistoryFile(std::string path, std::ostream& err) : path_(std::move(path)), err_(err) {}

  // Its last kHistoryLines lines, oldest first; cuts the file to them when
  // it had more. A missing file has none.
  std::vector<std::string> Load() {
    std::vector<std::string> lines;
    if (path_.empty()) return lines;
    std::ifstream in(path_);
    size_t read = 0;
    for (std::string line; std::getline(in, line);) {
      ++read;
      if (!line.empty()) lines.push_back(std::move(line));
    }
    if (lines.size() > kHistoryLines) {
      lines.erase(lines.begin(), lines.end() - kHistoryLines);
    }
    if (read > lines.size()) Rewrite(lines);
    return lines;
  }

  void Append(const std::string& line) {
    if (path_.empty() || failed_) return;
    const int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    const std::string text = line + "\n";
    // One write of a short line in append mode lands whole, even with two
    // shells open.
    const bool written = fd >= 0 && write(fd, text.data(), text.size()) ==
                                        static_cast<ssize_t>(text.size());
    const int error = errno;
    if (fd >= 0) close(fd);
    if (!written) Fail(error);
  }

 private:
  // Replaces the file by `lines`, whole or not at all.
  void Rewrite(const std::vector<std::string>& lines) {
    const std::string temporary = path_ + ".new";
    {
      std::ofstream out(temporary, std::ios::trunc);
      for (const std::string& line : lines) out << line << "\n";
      out.flush();
      if (!out) {
        Fail(errno);
        std::remove(temporary.c_str());
        return;
      }
    }
    if (std::rename(temporary.c_str(), path_.c_str()) != 0) {
      Fail(errno);
      std::remove(temporary.c_str());
    }
  }

  // Says so once; the shell works on without history.
  void Fail(int error) {
    if (failed_) return;
    failed_ = true;
    err_ << "entente: cannot keep history in " << path_ << ": " << std::strerror(error) << "\n";
  }

  std::string path_;
  std::ostream& err_;
  bool failed_ = false;
};

// What the TAB handler, a plain function libedit calls, works with.
struct TabState {
  const Completer* completer = nullptr;
  FILE* terminal = nullptr;  // where the listing goes
  // The line as a TAB that had several candidates left it, and those
  // candidates: the next TAB on that same line lists them (completing the
  // line anew might not: after "Tehr" became "Tehran", Tehran alone is an
  // exact alias of Iran and has no others).
  std::string offered_line;
  Completion offered;
};
TabState* tab_state = nullptr;

// A matches array as libedit takes it (it frees it): the text to put in
// place of the word, then the candidates, then NULL.
char** Matches(const std::string& replacement, const std::vector<std::string>& candidates) {
  auto** matches = static_cast<char**>(std::calloc(candidates.size() + 2, sizeof(char*)));
  if (matches == nullptr) return nullptr;
  matches[0] = strdup(replacement.c_str());
  for (size_t i = 0; i < candidates.size(); ++i) matches[i + 1] = strdup(candidates[i].c_str());
  return matches;
}

char** CompleteOnTab(const char* text, int /*start*/, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  if (tab_state == nullptr) return nullptr;
  try {
    // With no word-break characters, `text` is the line before the cursor.
    const std::string before = text;
    TabState& state = *tab_state;
    if (!state.offered.candidates.empty() && before == state.offered_line) {
      std::fprintf(state.terminal, "\n%s", ListCandidates(state.offered).c_str());
      rl_forced_update_display();  // the prompt and the line again, below the list
      return Matches(before, {before});
    }
    state.offered = Completion();
    Completion completion = state.completer->Complete(before);
    if (completion.candidates.empty()) return nullptr;
    const std::string line = before.substr(0, completion.start) + completion.insert;
    if (completion.candidates.size() > 1) {
      state.offered_line = line;
      state.offered = std::move(completion);
    }
    // Given twice, libedit's sign of a single match: it lists nothing itself.
    return Matches(line, {line});
  } catch (...) {  // nothing may unwind through libedit's C frames
    return nullptr;
  }
}

// Set by Ctrl-C (SIGINT); a command running when it came.
volatile std::sig_atomic_t interrupted = 0;
volatile std::sig_atomic_t command_running = 0;

// At the prompt, Ctrl-C drops the line (libedit ends readline()). A
// running command cannot be cancelled (its call runs to its deadline), so
// the first Ctrl-C says so and a second one ends the shell.
void OnInterrupt(int signal_number) {
  if (command_running && interrupted) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  if (command_running) {
    static const char kMessage[] =
        "\nentente: the command runs until its call returns; Ctrl-C again ends the shell\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  }
  interrupted = 1;
}

// libedit decodes keys in the locale's character set; without one (the C
// locale) it drops every byte of a name like "Côte d'Ivoire".
void UseUtf8Input() {
  if (std::setlocale(LC_CTYPE, "") == nullptr || MB_CUR_MAX == 1) {
    std::setlocale(LC_CTYPE, "C.UTF-8");
  }
}

int RunInteractive(Session& session, const std::string& history_path) {
  // The prompt and what is typed stay on the terminal when stdout is
  // redirected.
  FILE* terminal = isatty(STDOUT_FILENO) ? stdout : stderr;
  UseUtf8Input();

  // Entity names come through a client of its own with a short deadline:
  // a TAB should not hang for the session's --timeout.
  std::unique_ptr<client::Client> lookup;
  Completer completer([&](const std::string& prefix) {
    std::vector<NameMatch> names;
    if (lookup == nullptr) {
      client::ClientOptions options = session.options();  // the same TLS and token
      options.timeout = kLookupTimeout;
      options.max_attempts = 1;
      lookup = client::Client::Connect(session.server(), options);
    }
    auto matches = lookup->Resolve(prefix, 20);
    if (!matches.ok()) return names;
    for (const v1::EntityMatch& match : *matches) {
      session.Remember(match.entity());
      const v1::Entity& entity = match.entity();
      names.push_back({entity.name().empty() ? entity.id() : entity.name(), match.matched_text(),
                       KindName(entity.kind()), entity.id()});
    }
    return names;
  });
  TabState state;
  state.completer = &completer;
  state.terminal = terminal;
  tab_state = &state;

  static char no_breaks[] = "";
  rl_readline_name = "entente";  // its section of ~/.editrc
  rl_instream = stdin;
  rl_outstream = terminal;
  rl_basic_word_break_characters = no_breaks;
  rl_completer_word_break_characters = no_breaks;
  rl_attempted_completion_function = CompleteOnTab;
  rl_completion_append_character = '\0';  // the Completer adds the space
  using_history();
  stifle_history(static_cast<int>(kHistoryLines));

  HistoryFile history(history_path, session.err());
  std::string previous;  // the newest history line
  for (const std::string& line : history.Load()) {
    add_history(line.c_str());
    previous = line;
  }

  struct sigaction on_interrupt = {}, before = {};
  on_interrupt.sa_handler = OnInterrupt;
  on_interrupt.sa_flags = SA_RESTART;
  sigemptyset(&on_interrupt.sa_mask);
  sigaction(SIGINT, &on_interrupt, &before);

  std::fprintf(terminal, "connected to %s \u2014 type help, or quit\n", session.server().c_str());
  for (;;) {
    session.out().flush();
    session.err().flush();
    std::fflush(stdout);
    interrupted = 0;
    char* typed = readline(kPrompt);
    if (typed == nullptr) {
      std::fputs("\n", terminal);
      if (interrupted) continue;  // Ctrl-C: a fresh prompt
      break;                      // Ctrl-D or the end of input
    }
    const std::string line = typed;
    std::free(typed);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (line != previous) {
      add_history(line.c_str());
      history.Append(line);
      previous = line;
    }
    bool quit = false;
    interrupted = 0;
    command_running = 1;
    RunShellLine(session, line, &quit);
    command_running = 0;
    if (quit) break;
  }
  session.out().flush();
  sigaction(SIGINT, &before, nullptr);
  tab_state = nullptr;
  return kExitOk;
}

}  // namespace

std::string HistoryPath() {
  if (const char* path = std::getenv("ENTENTE_HISTORY"); path != nullptr) return path;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return absl::StrCat(home, "/.entente_history");
}

int RunShellLine(Session& session, absl::string_view line, bool* quit) {
  const absl::string_view text = absl::StripAsciiWhitespace(line);
  if (text.empty() || absl::StartsWith(text, "#")) return kExitOk;
  auto words = SplitLine(text);
  if (!words.ok()) {
    session.err() << "entente: " << words.status().message() << "\n";
    return kExitUsage;
  }
  if (words->empty()) return kExitOk;
  const std::string& first = words->front();
  if (first == "quit" || first == "exit") {
    *quit = true;
    return kExitOk;
  }
  // A line may start with a flag (--json); the parser judges those.
  if (!absl::StartsWith(first, "-") && FindCommand(first) == nullptr) {
    session.err() << "entente: unknown command \"" << first << "\"";
    if (const std::string nearest = NearestCommand(first); !nearest.empty()) {
      session.err() << "; did you mean " << nearest << "?";
    }
    session.err() << " (help lists the commands)\n";
    return kExitUsage;
  }
  return RunInSession(session, *words);
}

int RunScript(Session& session, std::istream& in) {
  int failed = kExitOk;
  bool quit = false;
  for (std::string line; !quit && std::getline(in, line);) {
    if (absl::EndsWith(line, "\r")) line.pop_back();  // a file written on Windows
    if (const int status = RunShellLine(session, line, &quit); status != kExitOk) failed = status;
    session.out().flush();
  }
  return failed;
}

int RunShell(Session& session, const std::string& history_path) {
  if (isatty(STDIN_FILENO) != 1) return RunScript(session, std::cin);
  return RunInteractive(session, history_path);
}

std::string ShellHelp() {
  return "With no command, entente is a shell for these commands, a line each (quote names\n"
         "with spaces: \"North Korea\"): TAB completes commands, flags and entity names (a\n"
         "first TAB completes what all candidates share, a second lists them with their\n"
         "kinds; names found by an alias are listed, never put in place of what you typed;\n"
         "after --roll-up, states come first), Up brings back earlier lines (kept in\n"
         "$ENTENTE_HISTORY, else ~/.entente_history), a failing command just prints its\n"
         "error; quit, exit or Ctrl-D leave. When stdin is not a terminal it runs the\n"
         "lines it reads (# starts a comment) and exits with the status of the last one\n"
         "that failed.\n";
}

}  // namespace entente::cli
