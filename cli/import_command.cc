// entente import FILE: streams a file to the server's Import RPC.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "import/summary.h"

namespace entente::cli {
namespace {

int RunImport(Session& session, const Command& command, const Args& args) {
  const std::string& path = args.positional[0];
  auto format = importer::ParseFormat(args.Value("--format"));
  if (!format.ok() || (args.Has("--format") && *format == importer::Format::kAuto)) {
    return session.UsageError(command, absl::StrCat("--format: \"", args.Value("--format"),
                                                    "\" is not one of tsv, csv, jsonl"));
  }
  format = importer::DetectFormat(path, *format);
  if (!format.ok()) {
    return session.UsageError(command, absl::StrCat(format.status().message(), " with --format"));
  }
  if (args.Has("--source-id") && args.Value("--source-id").empty()) {
    return session.UsageError(command, "--source-id: is empty");
  }
  // A file that cannot be read is the caller's mistake, found before the
  // server is asked anything.
  if (!std::ifstream(path, std::ios::binary)) {
    return session.UsageError(command,
                              absl::StrCat("cannot read \"", path, "\": ", std::strerror(errno)));
  }
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
    return session.UsageError(command, absl::StrCat("cannot read \"", path, "\": a directory"));
  }

  client::ImportOptions options;
  options.format = importer::ToProto(*format);
  options.strict = args.Has("--strict");
  options.source_id = args.Value("--source-id");
  absl::Time last_shown = absl::InfinitePast();
  bool shown = false;
  if (session.err_is_terminal()) {
    // What was sent, which runs ahead of what the server has imported by
    // what gRPC buffers (some MiB): the last line waits for the server.
    options.progress = [&](const client::ImportProgress& sent) {
      const absl::Time now = absl::Now();
      const bool all_sent = sent.bytes_sent == sent.total_bytes;
      if (now - last_shown < absl::Milliseconds(500) && !all_sent) return;
      last_shown = now;
      shown = true;
      const importer::Progress progress{sent.lines_sent, sent.bytes_sent, sent.total_bytes,
                                        sent.elapsed};
      session.err() << "\r" << importer::DescribeProgress(progress)
                    << (all_sent ? "; all sent, the server is finishing" : "") << "   "
                    << std::flush;
    };
  }
  auto response = session.client().Import(path, options);
  if (shown) session.err() << "\n";
  if (!response.ok()) return session.CallFailed(command, response.status());
  if (session.json()) {
    session.PrintJson(*response);
  } else {
    session.out() << importer::DescribeSummary(importer::FromProto(*response));
  }
  // As `entented --import`: a skipped line fails the import for scripts.
  return response->rejected() > 0 || response->stopped() ? kExitFailed : kExitOk;
}

}  // namespace

Command ImportCommand() {
  Command command;
  command.name = "import";
  command.arguments = "FILE";
  command.min_positional = 1;
  command.max_positional = 1;
  command.flags = {
      {"--format", "tsv|csv|jsonl", "FILE's format (default: by its extension)"},
      {"--strict", "", "stop at the first bad line (default: report and skip bad lines)"},
      {"--source-id", "ID", "the source the facts cite (default: FILE's name)"},
  };
  command.summary = "import ICEWS TSV, CSV or JSON Lines into the server";
  command.description =
      "Streams FILE to the server, which imports it as `entented --import` does\n"
      "(docs/import.md): actor names resolve to the server's entities, bad lines are\n"
      "reported as FILE:LINE: reason and skipped (or stop the import with --strict),\n"
      "and importing the same file again creates nothing. Prints the summary; on a\n"
      "terminal, progress goes to stderr while the file is sent.\n"
      "\n"
      "Exit status: 0 when every line was imported; 1 when lines were rejected, a\n"
      "strict import stopped, or the server failed; 2 for a usage error.";
  command.run = RunImport;
  return command;
}

}  // namespace entente::cli
