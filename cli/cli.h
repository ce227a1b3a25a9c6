// The `entente` command-line tool: `entente [--server ADDR] [--json] COMMAND
// ARGS`, one-shot commands against a running entented for people and
// scripts. Each command is an entry of one table (cli.cc): its name,
// arguments, flags, help and the function that runs it, so a new command
// plugs in by adding an entry (see commands.h).
#ifndef ENTENTE_CLI_CLI_H_
#define ENTENTE_CLI_CLI_H_

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/client.h"
#include "google/protobuf/message.h"

namespace entente::cli {

// Exit statuses of every command.
enum ExitStatus : int {
  kExitOk = 0,
  // The server or the call failed, or the command's work did not all
  // succeed (import: lines were rejected).
  kExitFailed = 1,
  // The command line is wrong: an unknown command or flag, a missing
  // argument, a file that cannot be read. Nothing was sent.
  kExitUsage = 2,
};

// entented's default --listen address (server/server.h).
inline constexpr char kDefaultServer[] = "127.0.0.1:50051";

// A flag of a command: `--format tsv|csv|jsonl`, or a switch (`--strict`).
struct Flag {
  std::string name;        // with its dashes: "--format"
  std::string value_name;  // "tsv|csv|jsonl"; empty for a switch
  std::string help;
};

// A command line as a command receives it.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // by name; "" for a switch
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Value(const std::string& flag) const;  // "" when absent
};

class Session;

struct Command {
  std::string name;
  std::string arguments;  // positional arguments in the usage line: "FILE"
  size_t min_positional = 0;
  size_t max_positional = 0;
  std::vector<Flag> flags;
  std::string summary;      // one line, for `entente --help`
  std::string description;  // for `entente help NAME`
  std::function<int(Session&, const Command&, const Args&)> run;

  // "entente import FILE [--format tsv|csv|jsonl] [--strict] ..."
  std::string Usage() const;
};

// What a running command works with: the global flags' choices, the
// output streams and the server.
class Session {
 public:
  Session(std::string server, bool json, std::ostream& out, std::ostream& err,
          bool err_is_terminal);

  const std::string& server() const { return server_; }
  bool json() const { return json_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // Progress lines are for people watching, not for logs.
  bool err_is_terminal() const { return err_is_terminal_; }
  // Connects on first use.
  client::Client& client();

  // Reports a wrong command line and returns kExitUsage.
  int UsageError(const Command& command, absl::string_view message);
  // Reports a failed call and returns kExitFailed.
  int CallFailed(const Command& command, const absl::Status& status);
  // Prints `message` to out() in the proto JSON mapping.
  void PrintJson(const google::protobuf::Message& message);

 private:
  std::string server_;
  bool json_;
  std::ostream& out_;
  std::ostream& err_;
  bool err_is_terminal_;
  std::unique_ptr<client::Client> client_;
};

// Runs the command line `args` (without the program name) and returns the
// exit status.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool err_is_terminal);

}  // namespace entente::cli

#endif  // ENTENTE_CLI_CLI_H_
