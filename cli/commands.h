// Private to cli/: the commands of the table in cli.cc, one function each
// returning its entry. A new command adds its function here and its entry
// to the table.
#ifndef ENTENTE_CLI_COMMANDS_H_
#define ENTENTE_CLI_COMMANDS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/cli.h"
#include "cli/export.h"

namespace entente::cli {

Command TimelineCommand();   // timeline_command.cc
Command PathCommand();       // path_command.cc
Command NeighborsCommand();  // neighbors_command.cc
Command ResolveCommand();    // entity_commands.cc
Command ShowCommand();       // entity_commands.cc
Command SnapshotCommand();   // relationship_commands.cc
Command DiffCommand();       // relationship_commands.cc
Command ImportCommand();     // import_command.cc
Command StatsCommand();      // stats_command.cc
Command BackupCommand();     // backup_command.cc

// --export graphml|dot FILE, for the commands whose result is a graph
// (export_flag.cc).
Flag ExportFlag();
class ExportRequest {
 public:
  ExportRequest() = default;
  ExportRequest(ExportFormat format, std::string path)
      : asked_(true), format_(format), path_(std::move(path)) {}
  bool asked() const { return asked_; }
  // When asked, writes the graph `build` makes to the file and says so on
  // stderr; returns kExitOk, or kExitFailed (reported) when the file
  // cannot be written. Not asked, does nothing (`build` may look names up).
  int Write(Session& session, const Command& command,
            const std::function<ExportGraph()>& build) const;

 private:
  bool asked_ = false;
  ExportFormat format_ = ExportFormat::kGraphml;
  std::string path_;
};
// The command line's --export; INVALID_ARGUMENT for an unknown format or an
// empty FILE.
absl::StatusOr<ExportRequest> ExportOf(const Args& args);
// Names and kinds of entities a response does not carry, from the session.
ExportLookup LookupOf(Session& session);

// Whether a word of a command line is a flag: it starts with "-", but "-"
// alone and numbers ("-3", "-1.5") are values (cli.cc).
bool IsFlag(absl::string_view word);
// The flag called `name` ("--from") among `flags`; nullptr when none is.
const Flag* FindFlag(const std::vector<Flag>& flags, absl::string_view name);

// Reports a wrong command line of `command` to `err` and returns
// kExitUsage (cli.cc).
int CommandUsageError(std::ostream& err, const Command& command, absl::string_view message);

}  // namespace entente::cli

#endif  // ENTENTE_CLI_COMMANDS_H_
