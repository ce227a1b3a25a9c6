// entente backup DIR: AdminService.Backup, a consistent copy of the server's
// database while it goes on serving.
#include <filesystem>
#include <map>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "google/protobuf/util/time_util.h"

namespace entente::cli {
namespace {

int RunBackup(Session& session, const Command& command, const Args& args) {
  std::string dir = args.positional[0];
  if (dir.empty()) return session.UsageError(command, "DIR: is empty");
  // The server takes absolute paths on its own machine. It listens on
  // loopback only, so a relative DIR is taken from this shell's directory.
  if (!std::filesystem::path(dir).is_absolute()) {
    std::error_code ec;
    dir = std::filesystem::absolute(dir, ec).lexically_normal().string();
    if (ec) return session.UsageError(command, "DIR: cannot be made an absolute path");
  }
  auto backup = session.client().Backup(dir);
  if (!backup.ok()) return session.CallFailed(command, backup.status());
  if (session.json()) {
    session.PrintJson(*backup);
    return kExitOk;
  }
  const v1::GetStatsResponse& stats = backup->stats();
  session.out() << absl::StrFormat(
      "backed up to %s in %.2f s: %d entities, %d sources, %d facts (%d retracted), "
      "log sequence %d, %.1f MiB\n"
      "restore with: entented --restore %s --db NEWDIR\n",
      backup->dir(),
      google::protobuf::util::TimeUtil::DurationToNanoseconds(backup->elapsed()) / 1e9,
      stats.entity_count(), stats.source_count(), stats.fact_count(),
      stats.retracted_fact_count(), backup->log_sequence(),
      static_cast<double>(stats.disk_bytes()) / (1 << 20), backup->dir());
  return kExitOk;
}

}  // namespace

Command BackupCommand() {
  Command command;
  command.name = "backup";
  command.arguments = "DIR";
  command.min_positional = 1;
  command.max_positional = 1;
  command.summary = "a consistent copy of the server's database in the new directory DIR";
  command.description =
      "Asks the server for a backup of its database as it is at one moment, taken while\n"
      "it goes on serving and writing (AdminService.Backup, a RocksDB checkpoint), in\n"
      "DIR: a directory on the server's machine that must not exist yet, whose parent\n"
      "must, outside the database directory. A relative DIR is taken from the current\n"
      "directory. On the database's filesystem the table files are hard-linked (quick,\n"
      "little space); elsewhere they are copied. Prints the backup's counts; make a\n"
      "database of it with `entented --restore DIR --db NEWDIR` (docs/durability.md).\n"
      "\n"
      "Example: entente backup /var/backups/entente/2025-06-01";
  command.run = RunBackup;
  return command;
}

}  // namespace entente::cli
