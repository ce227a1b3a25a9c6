#include "cli/cli.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/credentials.h"
#include "cli/shell.h"
#include "cli/values.h"

namespace entente::cli {

const std::vector<Flag>& GlobalFlags() {
  static const auto* const kFlags = new std::vector<Flag>{
      {"--server", "HOST:PORT",
       absl::StrCat("the entented to talk to (default ", kDefaultServer, ")")},
      {"--json", "", "print responses as JSON (the proto JSON mapping), one object per line"},
      {"--timeout", "SECONDS", "deadline of each call (default 10)"},
      {"--token-file", "FILE",
       "send the bearer token this file holds (default: $ENTENTE_TOKEN_FILE; docs/security.md)"},
      {"--tls-ca", "FILE", "connect over TLS, trusting the PEM CA certificates in FILE"},
      {"--tls-cert", "FILE", "PEM client certificate chain, for a server that asks for one"},
      {"--tls-key", "FILE", "PEM private key of --tls-cert"},
      {"--help", "", "show the help of entente or of the command"},
  };
  return *kFlags;
}

int CommandUsageError(std::ostream& err, const Command& command, absl::string_view message) {
  err << "entente " << command.name << ": " << message << "\nusage: " << command.Usage()
      << "\nRun \"entente help " << command.name << "\" for more.\n";
  return kExitUsage;
}

bool IsFlag(absl::string_view word) {
  double unused;
  return absl::StartsWith(word, "-") && word != "-" && !absl::SimpleAtod(word, &unused);
}

const Flag* FindFlag(const std::vector<Flag>& flags, absl::string_view name) {
  for (const Flag& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

namespace {

constexpr char kGeneralUsage[] = "usage: entente [--server HOST:PORT] [--json] COMMAND [ARGS]";

// "  --format tsv|csv|jsonl  the input's format ..." lines, aligned.
std::string DescribeFlags(const std::vector<Flag>& flags) {
  std::vector<std::string> heads;
  size_t width = 0;
  for (const Flag& flag : flags) {
    heads.push_back(flag.value_name.empty() ? flag.name
                                            : absl::StrCat(flag.name, " ", flag.value_name));
    width = std::max(width, heads.back().size());
  }
  std::string text;
  for (size_t i = 0; i < flags.size(); ++i) {
    absl::StrAppend(&text, "  ", heads[i], std::string(width - heads[i].size() + 2, ' '),
                    flags[i].help, "\n");
  }
  return text;
}

std::string GeneralHelp() {
  std::string text = absl::StrCat(
      kGeneralUsage, "\n\nOne-shot commands against a running entented, for people and scripts.\n\n",
      "Commands:\n");
  size_t width = 0;
  for (const Command& command : Commands()) {
    width = std::max(width, command.name.size() + 1 + command.arguments.size());
  }
  for (const Command& command : Commands()) {
    const std::string head = absl::StrCat(command.name, " ", command.arguments);
    absl::StrAppend(&text, "  ", head, std::string(width - head.size() + 2, ' '), command.summary,
                    "\n");
  }
  absl::StrAppend(&text, "\nFlags:\n", DescribeFlags(GlobalFlags()),
                  "\nExit status: 0 done; 1 the server or the command failed (import: lines were\n"
                  "rejected); 2 a usage error: a wrong command line, a bad date, a name that\n"
                  "matches no entity or several (only name lookups were sent).\n");
  absl::StrAppend(&text, "\n", ShellHelp());
  return text;
}

// "Fact types: visit, meeting, ...\n  call, ...\n": `words` after `head`,
// in lines of at most 80 characters.
std::string Wrapped(const std::string& head, const std::vector<std::string>& words) {
  std::string text = head;
  size_t line_start = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string word = words[i] + (i + 1 < words.size() ? "," : ".");
    if (text.size() - line_start + word.size() + 1 > 80) {
      text += "\n ";
      line_start = text.size() - 1;
    }
    absl::StrAppend(&text, text.size() == head.size() ? "" : " ", word);
  }
  return text + "\n";
}

std::string CommandHelp(const Command& command) {
  std::string text = absl::StrCat("usage: ", command.Usage(), "\n\n", command.description, "\n");
  if (!command.flags.empty()) absl::StrAppend(&text, "\nFlags:\n", DescribeFlags(command.flags));
  // The words --types and --kinds take, so nobody has to read the proto.
  if (FindFlag(command.flags, "--types") != nullptr) {
    absl::StrAppend(&text, "\n", Wrapped("Fact types: ", FactTypeWords()));
  }
  if (FindFlag(command.flags, "--kinds") != nullptr) {
    absl::StrAppend(&text, "\n", Wrapped("Entity kinds: ", EntityKindWords()));
  }
  absl::StrAppend(&text, "\nGlobal flags:\n", DescribeFlags(GlobalFlags()));
  return text;
}

Command HelpCommand() {
  Command help;
  help.name = "help";
  help.arguments = "[COMMAND]";
  help.max_positional = 1;
  help.summary = "this text, or the help of COMMAND";
  help.description = "Shows what entente's commands do, or all about one of them.";
  help.run = [](Session& session, const Command& self, const Args& args) -> int {
    if (args.positional.empty()) {
      session.out() << GeneralHelp();
      return kExitOk;
    }
    const Command* command = FindCommand(args.positional[0]);
    if (command == nullptr) {
      return session.UsageError(self,
                                absl::StrCat("unknown command \"", args.positional[0], "\""));
    }
    session.out() << CommandHelp(*command);
    return kExitOk;
  };
  return help;
}


int GeneralUsageError(std::ostream& err, absl::string_view message) {
  err << "entente: " << message << "\n"
      << kGeneralUsage << "\nRun \"entente help\" for the commands.\n";
  return kExitUsage;
}

// A command line taken apart: the command, its arguments and flags, and
// the global flags.
struct CommandLine {
  const Command* command = nullptr;
  Args global;
  Args command_args;
};

// Splits `args` into a CommandLine; on a usage error reports it and returns
// kExitUsage, else kExitOk.
int Parse(const std::vector<std::string>& args, std::ostream& err, CommandLine* line) {
  bool flags_ended = false;  // after "--" every argument is positional
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_flag = !flags_ended && IsFlag(arg);
    if (!is_flag) {
      if (line->command != nullptr) {
        line->command_args.positional.push_back(arg);
        continue;
      }
      line->command = FindCommand(arg);
      if (line->command == nullptr) {
        return GeneralUsageError(err, absl::StrCat("unknown command \"", arg, "\""));
      }
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    const size_t equals = arg.find('=');
    std::string name = arg.substr(0, equals);
    if (name == "-h") name = "--help";
    const Flag* flag = FindFlag(GlobalFlags(), name);
    Args* into = &line->global;
    if (flag == nullptr && line->command != nullptr) {
      flag = FindFlag(line->command->flags, name);
      into = &line->command_args;
    }
    auto usage_error = [&](absl::string_view message) {
      return line->command == nullptr ? GeneralUsageError(err, message)
                                      : CommandUsageError(err, *line->command, message);
    };
    if (flag == nullptr) return usage_error(absl::StrCat("unknown flag \"", name, "\""));
    std::vector<std::string> values;
    const size_t count = flag->ValueCount();
    if (count == 0 && equals != std::string::npos) {
      return usage_error(absl::StrCat(name, " takes no value"));
    }
    if (count > 0 && equals != std::string::npos) values.push_back(arg.substr(equals + 1));
    while (values.size() < count && i + 1 < args.size()) values.push_back(args[++i]);
    if (values.size() < count) {
      return usage_error(absl::StrCat(name, " needs ", count == 1 ? "a value" : "values", " (",
                                      flag->value_name, ")"));
    }
    into->flags[name] = std::move(values);
  }
  return kExitOk;
}

// Checks the positional count and runs the command.
int RunCommand(Session& session, const Command& command, const Args& args) {
  const size_t given = args.positional.size();
  if (given < command.min_positional) {
    return session.UsageError(command, absl::StrCat("missing ", command.arguments));
  }
  if (given > command.max_positional) {
    return session.UsageError(
        command, absl::StrCat("unexpected argument \"", args.positional[command.max_positional],
                              "\""));
  }
  return command.run(session, command, args);
}

}  // namespace

// The command table: a new command adds its entry here.
const std::vector<Command>& Commands() {
  static const auto* const kCommands = new std::vector<Command>{
      TimelineCommand(), PathCommand(),  NeighborsCommand(), ResolveCommand(), ShowCommand(),
      SnapshotCommand(), DiffCommand(),  ImportCommand(),    StatsCommand(),   BackupCommand(),
      HelpCommand()};
  return *kCommands;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

size_t Flag::ValueCount() const {
  const std::vector<absl::string_view> words = absl::StrSplit(value_name, ' ', absl::SkipEmpty());
  return words.size();
}

std::string Args::Value(const std::string& flag) const {
  auto it = flags.find(flag);
  return it == flags.end() || it->second.empty() ? "" : it->second.front();
}

std::vector<std::string> Args::Values(const std::string& flag) const {
  auto it = flags.find(flag);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

std::string Command::Usage() const {
  std::string usage = absl::StrCat("entente ", name);
  if (!arguments.empty()) absl::StrAppend(&usage, " ", arguments);
  for (const Flag& flag : flags) {
    absl::StrAppend(&usage, " [", flag.name, flag.value_name.empty() ? "" : " ", flag.value_name,
                    "]");
  }
  return usage;
}

int RunInSession(Session& session, const std::vector<std::string>& args) {
  CommandLine line;
  if (int status = Parse(args, session.err(), &line); status != kExitOk) return status;
  if (line.global.Has("--help") || line.command == nullptr) {
    session.out() << (line.command == nullptr ? GeneralHelp() : CommandHelp(*line.command));
    return kExitOk;
  }
  for (const char* fixed :
       {"--server", "--timeout", "--token-file", "--tls-ca", "--tls-cert", "--tls-key"}) {
    if (line.global.Has(fixed)) {
      return session.UsageError(*line.command,
                                absl::StrCat(fixed, " is set when the session starts"));
    }
  }
  const bool json = session.json();
  session.set_json(json || line.global.Has("--json"));
  const int status = RunCommand(session, *line.command, line.command_args);
  session.set_json(json);
  return status;
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool err_is_terminal) {
  CommandLine line;
  if (int status = Parse(args, err, &line); status != kExitOk) return status;
  if (line.global.Has("--help")) {
    out << (line.command == nullptr ? GeneralHelp() : CommandHelp(*line.command));
    return kExitOk;
  }
  auto usage_error = [&](absl::string_view message) {
    return line.command == nullptr ? GeneralUsageError(err, message)
                                   : CommandUsageError(err, *line.command, message);
  };
  const std::string server =
      line.global.Has("--server") ? line.global.Value("--server") : kDefaultServer;
  if (server.empty()) return usage_error("--server: is empty (give HOST:PORT)");
  client::ClientOptions options;
  if (line.global.Has("--timeout")) {
    double seconds = 0;
    if (!absl::SimpleAtod(line.global.Value("--timeout"), &seconds) || !(seconds > 0) ||
        seconds > 86400) {
      return usage_error(absl::StrCat("--timeout: \"", line.global.Value("--timeout"),
                                      "\" is not a number of seconds in (0, 86400]"));
    }
    options.timeout = absl::Seconds(seconds);
  }
  if (auto status = LoadCredentials(line.global, &options); !status.ok()) {
    return usage_error(status.message());
  }
  Session session(server, line.global.Has("--json"), out, err, err_is_terminal, options);
  if (line.command == nullptr) return RunShell(session);
  return RunCommand(session, *line.command, line.command_args);
}

}  // namespace entente::cli
