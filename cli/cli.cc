#include "cli/cli.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "google/protobuf/util/json_util.h"

namespace entente::cli {
namespace {

constexpr char kGeneralUsage[] = "usage: entente [--server HOST:PORT] [--json] COMMAND [ARGS]";

// Flags every command takes, before or after its name.
const std::vector<Flag>& GlobalFlags() {
  static const auto* const kFlags = new std::vector<Flag>{
      {"--server", "HOST:PORT",
       absl::StrCat("the entented to talk to (default ", kDefaultServer, ")")},
      {"--json", "", "print the response as JSON (the proto JSON mapping)"},
      {"--help", "", "show the help of entente or of the command"},
  };
  return *kFlags;
}

const std::vector<Command>& Commands();

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
                  "rejected); 2 a usage error (nothing was sent).\n");
  return text;
}

std::string CommandHelp(const Command& command) {
  std::string text = absl::StrCat("usage: ", command.Usage(), "\n\n", command.description, "\n");
  if (!command.flags.empty()) absl::StrAppend(&text, "\nFlags:\n", DescribeFlags(command.flags));
  absl::StrAppend(&text, "\nGlobal flags:\n", DescribeFlags(GlobalFlags()));
  return text;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
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

// The command table: a new command adds its entry here.
const std::vector<Command>& Commands() {
  static const auto* const kCommands =
      new std::vector<Command>{ImportCommand(), StatsCommand(), HelpCommand()};
  return *kCommands;
}

int CommandUsageError(std::ostream& err, const Command& command, absl::string_view message) {
  err << "entente " << command.name << ": " << message << "\nusage: " << command.Usage()
      << "\nRun \"entente help " << command.name << "\" for more.\n";
  return kExitUsage;
}

int GeneralUsageError(std::ostream& err, absl::string_view message) {
  err << "entente: " << message << "\n"
      << kGeneralUsage << "\nRun \"entente help\" for the commands.\n";
  return kExitUsage;
}

const Flag* FindFlag(const std::vector<Flag>& flags, absl::string_view name) {
  for (const Flag& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

}  // namespace

std::string Args::Value(const std::string& flag) const {
  auto it = flags.find(flag);
  return it == flags.end() ? "" : it->second;
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

Session::Session(std::string server, bool json, std::ostream& out, std::ostream& err,
                 bool err_is_terminal)
    : server_(std::move(server)),
      json_(json),
      out_(out),
      err_(err),
      err_is_terminal_(err_is_terminal) {}

client::Client& Session::client() {
  if (client_ == nullptr) client_ = client::Client::Connect(server_);
  return *client_;
}

int Session::UsageError(const Command& command, absl::string_view message) {
  return CommandUsageError(err_, command, message);
}

int Session::CallFailed(const Command& command, const absl::Status& status) {
  err_ << "entente " << command.name << ": ";
  if (status.code() == absl::StatusCode::kUnavailable) err_ << "cannot reach " << server_ << ": ";
  err_ << absl::StatusCodeToString(status.code()) << ": " << status.message() << "\n";
  return kExitFailed;
}

void Session::PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;  // a count of 0 is an answer
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    err_ << "entente: cannot print the response as JSON: " << status.ToString() << "\n";
    return;
  }
  out_ << json;
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool err_is_terminal) {
  Args global;
  Args command_args;
  const Command* command = nullptr;
  bool flags_ended = false;  // after "--" every argument is positional
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_flag = !flags_ended && absl::StartsWith(arg, "-") && arg != "-";
    if (!is_flag) {
      if (command != nullptr) {
        command_args.positional.push_back(arg);
        continue;
      }
      command = FindCommand(arg);
      if (command == nullptr) {
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
    Args* into = &global;
    if (flag == nullptr && command != nullptr) {
      flag = FindFlag(command->flags, name);
      into = &command_args;
    }
    auto usage_error = [&](absl::string_view message) {
      return command == nullptr ? GeneralUsageError(err, message)
                                : CommandUsageError(err, *command, message);
    };
    if (flag == nullptr) return usage_error(absl::StrCat("unknown flag \"", name, "\""));
    std::string value;
    if (flag->value_name.empty()) {
      if (equals != std::string::npos) {
        return usage_error(absl::StrCat(name, " takes no value"));
      }
    } else if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return usage_error(absl::StrCat(name, " needs a value (", flag->value_name, ")"));
    }
    into->flags[name] = value;
  }

  if (global.Has("--help")) {
    out << (command == nullptr ? GeneralHelp() : CommandHelp(*command));
    return kExitOk;
  }
  if (command == nullptr) {
    return GeneralUsageError(err, "no command given (the interactive shell is yet to come)");
  }
  Session session(global.Has("--server") ? global.Value("--server") : kDefaultServer,
                  global.Has("--json"), out, err, err_is_terminal);
  if (global.Has("--server") && session.server().empty()) {
    return session.UsageError(*command, "--server: is empty (give HOST:PORT)");
  }
  const size_t given = command_args.positional.size();
  if (given < command->min_positional) {
    return session.UsageError(*command, absl::StrCat("missing ", command->arguments));
  }
  if (given > command->max_positional) {
    return session.UsageError(
        *command, absl::StrCat("unexpected argument \"",
                               command_args.positional[command->max_positional], "\""));
  }
  return command->run(session, *command, command_args);
}

}  // namespace entente::cli
