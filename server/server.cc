#include "server/server.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "import/importer.h"
#include "server/auth.h"
#include "seeds/seeds.h"

namespace entente::server {
namespace {

void Log(const std::string& message) {
  const std::string time = absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::Now(), absl::UTCTimeZone());
  std::fprintf(stderr, "%s entented: %s\n", time.c_str(), message.c_str());
  std::fflush(stderr);
}

std::string Describe(const storage::StoreStats& stats) {
  return absl::StrFormat("%d entities, %d sources, %d facts (%d retracted), %.1f MiB on disk",
                         stats.entities, stats.sources, stats.facts, stats.retracted_facts,
                         static_cast<double>(stats.disk_bytes) / (1 << 20));
}

// Blocks SIGINT and SIGTERM in this thread and every thread it starts, so
// that only the waiter below receives them.
sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// The report of Store::Verify as `entented --verify` prints it.
std::string DescribeReport(const std::string& path, const storage::VerifyReport& report,
                           absl::Duration elapsed) {
  std::string text = absl::StrFormat(
      "%s: %s: %d entities, %d sources, %d facts (%d retracted), %d index entries, "
      "%d alias entries, %d log entries; checked in %.2f s\n",
      path, report.consistent() ? "consistent" : "NOT CONSISTENT", report.entities,
      report.sources, report.facts, report.retracted_facts, report.index_entries,
      report.alias_entries, report.log_entries, absl::ToDoubleSeconds(elapsed));
  for (const auto& problem : report.problems) absl::StrAppend(&text, "  ", problem, "\n");
  if (report.problem_count > static_cast<int64_t>(report.problems.size())) {
    absl::StrAppend(&text, "  ... and ",
                    report.problem_count - static_cast<int64_t>(report.problems.size()),
                    " more problems\n");
  }
  return text;
}

// Opens the existing database at `path` and verifies it; the exit status.
int VerifyDatabase(const std::string& path, storage::StoreOptions store_options) {
  store_options.create_if_missing = false;
  auto store = storage::Store::Open(path, store_options);
  if (!store.ok()) {
    Log(std::string(store.status().message()));
    return 1;
  }
  const absl::Time start = absl::Now();
  auto report = (*store)->Verify();
  if (!report.ok()) {
    Log(absl::StrCat("verifying ", path, " failed: ", report.status().message()));
    return 1;
  }
  std::fputs(DescribeReport(path, *report, absl::Now() - start).c_str(), stdout);
  std::fflush(stdout);
  return report->consistent() ? 0 : 1;
}

// Seeds a database this process created, then marks its creation finished:
// a crash before that (while seeding) leaves the database to be created and
// seeded anew by the next start, never half seeded. Nothing is served
// before.
absl::Status LoadSeedsIfNew(storage::Store& store, const ServerOptions& options) {
  if (store.created() && options.load_seeds) {
    auto summary = seeds::LoadSeeds(store);
    if (!summary.ok()) return summary.status();
    Log(absl::StrFormat("loaded the seed graph: %d sources, %d entities, %d facts",
                        summary->sources, summary->entities, summary->facts));
  } else if (store.created()) {
    Log("started without seeds (--no-seeds): the database is empty");
  }
  return store.FinishCreation();
}

}  // namespace

int RunVerify(const ServerOptions& options) {
  return VerifyDatabase(options.db_path, options.store);
}

int RunRestore(const ServerOptions& options) {
  const absl::Time start = absl::Now();
  auto restored = storage::Store::RestoreCheckpoint(options.restore_from, options.db_path);
  if (!restored.ok()) {
    Log(absl::StrCat("restore failed: ", restored.status().message()));
    return 1;
  }
  Log(absl::StrFormat("restored %s into %s in %.2f s: %s, log sequence %d", options.restore_from,
                      options.db_path, absl::ToDoubleSeconds(absl::Now() - start),
                      Describe(restored->stats), restored->log_sequence));
  const int status = VerifyDatabase(options.db_path, options.store);
  if (status != 0) {
    Log(absl::StrCat("the restored database at ", options.db_path,
                     " is not consistent; it is left there for inspection"));
  }
  return status;
}

absl::Status CheckLoopback(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: \"", address, "\" is not host:port"));
  }
  const std::string host = address.substr(0, colon);
  if (host == "127.0.0.1" || host == "localhost" || host == "[::1]" ||
      absl::StartsWith(host, "127.")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--listen: \"", address,
      "\" is not a loopback address; without both TLS (--tls-cert, --tls-key) and bearer "
      "tokens (--tokens) Entente listens on 127.0.0.1, [::1] or localhost only "
      "(docs/security.md)"));
}

absl::Status RunServer(const ServerOptions& options) {
  if (options.db_path.empty()) return absl::InvalidArgumentError("--db: is required");
  // Blocked before gRPC starts a thread (making credentials does): a thread
  // without the mask could take SIGTERM's default action, ending the process
  // without draining or closing the database.
  const sigset_t signals = BlockTerminationSignals();
  // Checked before anything is opened: a bad certificate or tokens file
  // touches nothing.
  auto credentials = MakeServerCredentials(options, Log);
  if (!credentials.ok()) return credentials.status();

  storage::StoreOptions store_options = options.store;
  store_options.finish_creation_on_open = false;  // LoadSeedsIfNew finishes it
  auto store = storage::Store::Open(options.db_path, store_options);
  if (!store.ok()) return store.status();
  Log(absl::StrCat("opened ", options.db_path,
                   (*store)->created() ? " (new database)" : " (existing database)",
                   ", schema version ", storage::kSchemaVersion));
  if (!(*store)->upgrade_report().empty()) Log((*store)->upgrade_report());
  if (auto s = LoadSeedsIfNew(**store, options); !s.ok()) return s;
  Log(absl::StrCat("holds ", Describe((*store)->Stats())));
  // The graph is saved beside the database at shutdown and read back at
  // start, which is much faster than building it from every fact.
  const std::string image_path = (std::filesystem::path(options.db_path) / "graph.image").string();
  auto graph = graph::LiveGraph::Build(**store, {.image_path = image_path});
  if (!graph.ok()) return graph.status();
  {
    const auto stats = (*graph)->build_stats();
    const auto snapshot = (*graph)->snapshot();
    const std::string how =
        stats.from_image
            ? absl::StrCat("read the graph image and ", stats.replayed, " later log entries")
            : absl::StrCat("built the graph from the facts",
                           stats.image_note.empty() ? "" : absl::StrCat(" (", stats.image_note, ")"));
    Log(absl::StrFormat("%s in %.3f s: %d vertices, %d facts, %d edges, %.1f MiB", how,
                        absl::ToDoubleSeconds(stats.build_time), stats.vertices, stats.facts,
                        stats.edges, static_cast<double>(snapshot->MemoryBytes()) / (1 << 20)));
  }

  WriteService write_service(store->get(), options.limits, [g = graph->get()] { g->Publish(); });
  ReadService read_service(store->get(), options.limits);
  QueryService query_service(graph->get(), store->get(), options.limits);
  AdminService admin_service(store->get());
  // Registers the health protocol's descriptors, so that reflection can
  // describe the health service as well as ours.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(&write_service);
  builder.RegisterService(&read_service);
  builder.RegisterService(&query_service);
  builder.RegisterService(&admin_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               " (in use, or not an address of this host)"));
  }
  auto* health = server->GetHealthCheckService();
  health->SetServingStatus(true);
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  Log(absl::StrCat("listening on ", host, ":", port));

  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    Log(absl::StrCat("received ", signal == SIGINT ? "SIGINT" : "SIGTERM",
                     "; draining in-flight calls"));
    health->SetServingStatus(false);
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(options.drain_seconds));
  });
  server->Wait();
  waiter.join();
  server.reset();
  {
    const absl::Time start = absl::Now();
    bool written = false;
    if (auto s = (*graph)->SaveImage(image_path, &written); s.ok()) {
      if (written) {
        Log(absl::StrFormat("saved the graph image in %.3f s",
                            absl::ToDoubleSeconds(absl::Now() - start)));
      }
    } else {
      Log(absl::StrCat("could not save the graph image (the next start builds the graph): ",
                       s.message()));
    }
  }
  graph->reset();  // stops following the store before it closes
  const std::string summary = Describe((*store)->Stats());
  store->reset();  // flushes and closes the database
  Log(absl::StrCat("closed ", options.db_path, " holding ", summary));
  return absl::OkStatus();
}

int RunImport(const ServerOptions& options) {
  auto format = importer::ParseFormat(options.import_format);
  if (!format.ok()) {
    Log(std::string(format.status().message()));
    return 1;
  }
  storage::StoreOptions store_options = options.store;
  store_options.finish_creation_on_open = false;  // LoadSeedsIfNew finishes it
  auto store = storage::Store::Open(options.db_path, store_options);
  if (!store.ok()) {
    Log(std::string(store.status().message()));
    return 1;
  }
  Log(absl::StrCat("opened ", options.db_path,
                   (*store)->created() ? " (new database)" : " (existing database)",
                   " for import"));
  if (!(*store)->upgrade_report().empty()) Log((*store)->upgrade_report());
  if (auto s = LoadSeedsIfNew(**store, options); !s.ok()) {
    Log(std::string(s.message()));
    return 1;
  }
  importer::ImportOptions import;
  import.format = *format;
  import.strict = options.import_strict;
  import.source_id = options.import_source_id;
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty) {
    import.progress = [](const importer::Progress& p) {
      std::fprintf(stderr, "\r%s   ", importer::DescribeProgress(p).c_str());
      std::fflush(stderr);
    };
  }
  auto summary = importer::ImportFile(**store, options.import_path, import);
  if (tty) std::fputs("\n", stderr);
  if (!summary.ok()) {
    Log(absl::StrCat("import failed: ", summary.status().message()));
    return 1;
  }
  std::fputs(importer::DescribeSummary(*summary).c_str(), stderr);
  Log(absl::StrCat("holds ", Describe((*store)->Stats())));
  store->reset();  // flushes and closes the database
  return summary->rejected > 0 || summary->stopped ? 1 : 0;
}

}  // namespace entente::server
