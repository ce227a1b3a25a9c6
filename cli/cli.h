// The `entente` command-line tool: `entente [--server ADDR] [--json] COMMAND
// ARGS`, one-shot commands against a running entented for people and
// scripts, and with no command an interactive shell running the same
// commands. Each command is an entry of one table (cli.cc): its name,
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
  // argument, a bad date, a file that cannot be read, a name that matches
  // no entity or several. Nothing but name lookups was sent.
  kExitUsage = 2,
};

// entented's default --listen address (server/server.h).
inline constexpr char kDefaultServer[] = "127.0.0.1:50051";

// A flag of a command: `--format tsv|csv|jsonl`, a switch (`--strict`), or
// a flag of several values (`--export graphml|dot FILE`).
struct Flag {
  std::string name;        // with its dashes: "--format"
  std::string value_name;  // "tsv|csv|jsonl"; one word per value; empty for a switch
  std::string help;
  // How many arguments follow the flag: the words of value_name.
  size_t ValueCount() const;
};

// A command line as a command receives it.
struct Args {
  std::vector<std::string> positional;
  // By name: the values that followed the flag; none for a switch.
  std::map<std::string, std::vector<std::string>> flags;
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  // The flag's (first) value; "" when absent.
  std::string Value(const std::string& flag) const;
  // The flag's values; empty when absent.
  std::vector<std::string> Values(const std::string& flag) const;
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
          bool err_is_terminal, client::ClientOptions options = {});

  const std::string& server() const { return server_; }
  bool json() const { return json_; }
  // The shell takes --json per command line.
  void set_json(bool json) { json_ = json; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // Progress lines are for people watching, not for logs.
  bool err_is_terminal() const { return err_is_terminal_; }
  // How the session's client connects: deadline, retries, TLS, token.
  const client::ClientOptions& options() const { return options_; }
  // Connects on first use.
  client::Client& client();

  // Reports a wrong command line and returns kExitUsage.
  int UsageError(const Command& command, absl::string_view message);
  // Reports a failed call and returns kExitFailed.
  int CallFailed(const Command& command, const absl::Status& status);
  // Prints `message` to out() in the proto JSON mapping, as one line (so a
  // stream prints one object per line).
  void PrintJson(const google::protobuf::Message& message);

  // The id of the entity `text` names: an entity id, or a name or alias
  // that matches exactly one entity. On failure reports it — a name of no
  // entity or of several lists the candidates (kExitUsage), a failed call
  // kExitFailed — and returns the exit status; kExitOk on success.
  int ResolveEntity(const Command& command, const std::string& text, std::string* id);
  // The entity with id `id`, asked of the server once per session; nullptr
  // when it cannot be had (unknown id, failed call).
  const v1::Entity* FindEntity(const std::string& id);
  // Its display name, or `id` itself when the entity cannot be had.
  std::string NameOf(const std::string& id);
  // Remembers an entity a response already carried (saves a lookup).
  void Remember(const v1::Entity& entity);

 private:
  std::string server_;
  bool json_;
  std::ostream& out_;
  std::ostream& err_;
  bool err_is_terminal_;
  client::ClientOptions options_;
  std::unique_ptr<client::Client> client_;
  // By id; a null entry marks an id the server could not give.
  std::map<std::string, std::unique_ptr<v1::Entity>> entities_;
};

// The command table, in the order of `entente help`.
const std::vector<Command>& Commands();
// Flags every command takes (--server, --json, --timeout, the credentials'
// --token-file and --tls-*, --help).
const std::vector<Flag>& GlobalFlags();
// nullptr when there is no command `name`.
const Command* FindCommand(absl::string_view name);

// Runs one command line (without the program name) in an open session,
// as the shell does for each line: the session's server and connection,
// --json for this line only. --server is refused (a session talks to one
// server). Returns the exit status.
int RunInSession(Session& session, const std::vector<std::string>& args);

// Runs the command line `args` (without the program name) and returns the
// exit status. With no command, runs the interactive shell (shell.h).
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool err_is_terminal);

}  // namespace entente::cli

#endif  // ENTENTE_CLI_CLI_H_
