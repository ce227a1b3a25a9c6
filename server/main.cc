// entented: the Entente server. Flags fill ServerOptions and nothing else.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/server.h"

namespace {

constexpr char kUsage[] =
    "usage: entented --db DIR [--listen HOST:PORT] [--no-seeds] [--sync-writes]\n"
    "                [--block-cache-mb N] [--row-cache-mb N] [--limit NAME=N ...]\n"
    "                [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--tokens FILE]\n"
    "       entented --db DIR --import FILE [--import-format tsv|csv|jsonl] [--strict]\n"
    "                [--source-id ID] [--no-seeds]\n"
    "       entented --db DIR --verify\n"
    "       entented --restore BACKUP --db NEWDIR\n"
    "\n"
    "Serves an Entente knowledge graph over gRPC, or imports a file into it\n"
    "offline (docs/import.md).\n"
    "\n"
    "  --db DIR            database directory; created (and seeded) if missing\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:50051; port 0\n"
    "                      picks a free port); loopback only unless both TLS and\n"
    "                      --tokens are set\n"
    "  --no-seeds          do not load the curated seed graph into a new database\n"
    "  --sync-writes       fsync the write-ahead log before acknowledging a write\n"
    "                      (survives power loss; slower). Without it a write\n"
    "                      survives a crash of the process, not of the machine.\n"
    "  --max-message-bytes N  largest request accepted (default 4194304)\n"
    "  --limit NAME=N      set one of the limits below (repeatable): requests\n"
    "                      over them are refused with INVALID_ARGUMENT or\n"
    "                      RESOURCE_EXHAUSTED naming the field\n"
    "  --drain-seconds N   at SIGINT/SIGTERM, how long in-flight calls may run\n"
    "                      before they are cancelled (default 5)\n"
    "  --block-cache-mb N  RocksDB block cache for reads, in MiB (default 64);\n"
    "                      timelines read every fact they return from the store\n"
    "  --row-cache-mb N    RocksDB row cache of recently read records, in MiB\n"
    "                      (default 0: off); spares repeated reads the block search\n"
    "  --import FILE       import FILE (ICEWS TSV, CSV or JSON Lines of facts) into\n"
    "                      the database and exit instead of serving; exit status 0\n"
    "                      when every line was imported, 1 when lines were rejected\n"
    "  --import-format F   tsv, csv or jsonl (default: by FILE's extension)\n"
    "  --strict            stop the import at the first bad line (default: report\n"
    "                      bad lines and import the rest)\n"
    "  --source-id ID      the source the imported facts cite (default: FILE's name)\n"
    "  --verify            check that the database's records, indexes, log and\n"
    "                      counters agree, print the report and exit (0: they do)\n"
    "  --restore BACKUP    copy a backup (entente backup DIR) into the new or empty\n"
    "                      --db NEWDIR, verify it and exit; then serve NEWDIR\n"
    "\n"
    "Access control (docs/security.md); without both TLS and --tokens, entented\n"
    "listens on loopback only:\n"
    "  --tls-cert FILE     serve TLS with this PEM certificate chain ...\n"
    "  --tls-key FILE      ... and this PEM private key (chmod 600)\n"
    "  --tls-client-ca FILE  require client certificates signed by a CA in FILE\n"
    "  --tokens FILE       bearer tokens, one \"ROLE TOKEN [NAME]\" a line (chmod 600;\n"
    "                      lines starting with # are comments). ROLE is reader\n"
    "                      (queries), writer (+ writes, imports) or admin\n"
    "                      (+ AdminService). Every call then needs \"authorization:\n"
    "                      Bearer TOKEN\": without a known token UNAUTHENTICATED,\n"
    "                      with too low a role PERMISSION_DENIED. Tokens are never\n"
    "                      logged.\n"
    "\n"
    "  --help              show this text\n"
    "\n"
    "Limits (--limit NAME=N; the defaults):\n";

std::string Usage() {
  return kUsage + entente::server::DescribeLimits(entente::server::ServiceLimits());
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "entented: %s\n\n%s", message.c_str(), Usage().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  entente::server::ServerOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(Usage().c_str(), stdout);
      return 0;
    } else if (arg == "--db") {
      if (!take_value()) return UsageError("--db needs a directory");
      options.db_path = value;
    } else if (arg == "--listen") {
      if (!take_value()) return UsageError("--listen needs HOST:PORT");
      options.listen = value;
    } else if (arg == "--no-seeds" && !has_value) {
      options.load_seeds = false;
    } else if (arg == "--sync-writes" && !has_value) {
      options.store.sync_writes = true;
    } else if (arg == "--max-message-bytes") {
      int bytes = 0;
      if (!take_value() || !absl::SimpleAtoi(value, &bytes) || bytes < 1024) {
        return UsageError("--max-message-bytes needs a number of bytes >= 1024");
      }
      options.max_message_bytes = bytes;
    } else if (arg == "--limit") {
      if (!take_value()) return UsageError("--limit needs NAME=N");
      if (auto s = entente::server::SetLimit(value, &options.limits); !s.ok()) {
        return UsageError(std::string(s.message()));
      }
    } else if (arg == "--drain-seconds") {
      int seconds = 0;
      if (!take_value() || !absl::SimpleAtoi(value, &seconds) || seconds < 0 || seconds > 3600) {
        return UsageError("--drain-seconds needs a number of seconds (0..3600)");
      }
      options.drain_seconds = seconds;
    } else if (arg == "--block-cache-mb" || arg == "--row-cache-mb") {
      const int min = arg == "--block-cache-mb" ? 1 : 0;
      int mebibytes = 0;
      if (!take_value() || !absl::SimpleAtoi(value, &mebibytes) || mebibytes < min ||
          mebibytes > 1 << 20) {
        return UsageError(absl::StrCat(arg, " needs a number of MiB (", min, "..1048576)"));
      }
      (arg == "--block-cache-mb" ? options.store.block_cache_bytes
                                 : options.store.row_cache_bytes) =
          static_cast<size_t>(mebibytes) << 20;
    } else if (arg == "--tls-cert" || arg == "--tls-key" || arg == "--tls-client-ca" ||
               arg == "--tokens") {
      if (!take_value() || value.empty()) return UsageError(absl::StrCat(arg, " needs a file"));
      (arg == "--tls-cert"        ? options.tls_cert_path
       : arg == "--tls-key"       ? options.tls_key_path
       : arg == "--tls-client-ca" ? options.tls_client_ca_path
                                  : options.tokens_path) = value;
    } else if (arg == "--import") {
      if (!take_value() || value.empty()) return UsageError("--import needs a file");
      options.import_path = value;
    } else if (arg == "--import-format") {
      if (!take_value() || (value != "tsv" && value != "csv" && value != "jsonl")) {
        return UsageError("--import-format needs tsv, csv or jsonl");
      }
      options.import_format = value;
    } else if (arg == "--strict" && !has_value) {
      options.import_strict = true;
    } else if (arg == "--verify" && !has_value) {
      options.verify = true;
    } else if (arg == "--restore") {
      if (!take_value() || value.empty()) return UsageError("--restore needs a backup directory");
      options.restore_from = value;
    } else if (arg == "--source-id") {
      if (!take_value() || value.empty()) return UsageError("--source-id needs an id");
      options.import_source_id = value;
    } else {
      return UsageError(absl::StrCat("unknown argument \"", argv[i], "\""));
    }
  }
  if (options.db_path.empty()) return UsageError("--db DIR is required");
  if (options.limits.default_page_size > options.limits.max_page_size) {
    return UsageError("--limit default_page_size: is larger than max_page_size");
  }
  if (options.import_path.empty() &&
      (options.import_strict || !options.import_format.empty() ||
       !options.import_source_id.empty())) {
    return UsageError("--import-format, --strict and --source-id go with --import FILE");
  }
  if (options.verify + !options.restore_from.empty() + !options.import_path.empty() > 1) {
    return UsageError("--verify, --restore and --import exclude one another");
  }
  if (options.verify) return entente::server::RunVerify(options);
  if (!options.restore_from.empty()) return entente::server::RunRestore(options);
  if (!options.import_path.empty()) return entente::server::RunImport(options);
  const absl::Status status = entente::server::RunServer(options);
  if (!status.ok()) {
    std::fprintf(stderr, "entented: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
