// The entented process: opens the store, seeds a new database, serves the
// gRPC services until SIGINT or SIGTERM, then drains and closes.
#ifndef ENTENTE_SERVER_SERVER_H_
#define ENTENTE_SERVER_SERVER_H_

#include <string>

#include "absl/status/status.h"
#include "server/service.h"
#include "storage/store.h"

namespace entente::server {

struct ServerOptions {
  // Database directory; created if missing. Required.
  std::string db_path;
  // host:port to listen on. Port 0 picks a free port (logged). Default:
  // 127.0.0.1:50051. Only loopback addresses are accepted unless both TLS
  // and bearer tokens are set (below).
  std::string listen = "127.0.0.1:50051";
  // Load the curated seed graph into a database this run creates.
  // Default: true.
  bool load_seeds = true;
  // Largest request message accepted, in bytes. Default: 4 MiB.
  int max_message_bytes = 4 << 20;
  // How long in-flight calls may take to finish at shutdown; calls still
  // running then are cancelled. gRPC also holds shutdown open for idle client
  // connections until this passes, so keep it short. Default: 5 s.
  int drain_seconds = 5;
  storage::StoreOptions store;
  ServiceLimits limits;

  // Access control (docs/security.md). Read once at start: replacing a
  // certificate or a token takes a restart.
  // TLS: PEM files of the server's certificate chain and of its private key
  // (not encrypted; refused when every user may read it). Both or neither.
  // Default: empty (plaintext).
  std::string tls_cert_path;
  std::string tls_key_path;
  // PEM file of the CA certificates that sign client certificates: when
  // set, a client must present a certificate signed by one of them. Needs
  // TLS. Default: empty (client certificates are not asked for).
  std::string tls_client_ca_path;
  // Bearer tokens file, one "ROLE TOKEN [NAME]" a line, ROLE reader, writer
  // or admin; refused when every user may read it. Every call then needs
  // a token of a role its service allows. Default: empty (every caller may
  // call everything).
  std::string tokens_path;

  // Offline import (`--import FILE`): when set, RunImport imports this file
  // into the database (opening, creating and seeding it as RunServer would)
  // and returns instead of serving. Default: empty (serve).
  std::string import_path;
  // "tsv", "csv" or "jsonl". Default: empty, by the file's extension.
  std::string import_format;
  // Stop at the first bad line. Default: false (report bad lines, import
  // the rest).
  bool import_strict = false;
  // Source id the imported facts name. Default: empty, the file's name.
  std::string import_source_id;

  // `--verify`: RunVerify checks the database at db_path and returns
  // instead of serving. Default: false.
  bool verify = false;
  // `--restore DIR`: RunRestore copies the backup DIR (AdminService.Backup)
  // into db_path, which must be absent or empty, verifies the copy and
  // returns instead of serving. Default: empty.
  std::string restore_from;
};

// Runs the server until a termination signal; returns the first error that
// stopped it from starting or closing cleanly.
absl::Status RunServer(const ServerOptions& options);

// Runs an offline import (options.import_path): prints progress (only when
// stderr is a terminal), the summary and the bad lines to stderr, and
// returns the process exit status: 0 when every line was imported, 1 when
// lines were rejected, a strict import stopped, or the import failed.
int RunImport(const ServerOptions& options);

// Opens the existing database at options.db_path (recovering it after a
// crash, as a start would), runs Store::Verify and prints the report to
// stdout. Returns the exit status: 0 consistent, 1 not, or the database
// could not be opened or read.
int RunVerify(const ServerOptions& options);

// Restores options.restore_from into options.db_path
// (Store::RestoreCheckpoint), opens and verifies the copy, and says what it
// holds on stderr. Returns the exit status: 0 restored and consistent, 1
// otherwise (a restored copy that fails verification is left for
// inspection).
int RunRestore(const ServerOptions& options);

// OK when `address` is a loopback host:port ("127.0.0.1:50051",
// "[::1]:0", "localhost:7000"); the error says what allows other addresses.
absl::Status CheckLoopback(const std::string& address);

}  // namespace entente::server

#endif  // ENTENTE_SERVER_SERVER_H_
