// entente_write_bench: the write rate of a running entented, from N
// concurrent clients, measured on the client.
//
//   entente_write_bench --server ADDR [--clients N] [--seconds S]
//                       [--mode unary|stream] [--batch B]
//
// Each client has its own channel and makes one call at a time: unary
// RecordFact calls of one fact, or (stream) RecordFacts calls of B facts
// (default 1000). Every fact is new (its summary carries the client, a
// counter and a per-run nonce), so each is a real write. Before timing, the
// bench upserts the two entities and the source its facts name. Prints one
// line: mode, clients, facts written, facts per second, and the median and
// 99th percentile call latency. Exit status 1 when a call failed.
// docs/durability.md uses it to measure what --sync-writes costs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "proto/date_text.h"

namespace {

constexpr char kUsage[] =
    "usage: entente_write_bench --server ADDR [--clients N] [--seconds S]\n"
    "                           [--mode unary|stream] [--batch B]\n";

struct Options {
  std::string server;
  int clients = 1;
  double seconds = 10;
  bool stream = false;
  int batch = 1000;
};

entente::v1::Fact MakeFact(const std::string& nonce, int client, int64_t serial) {
  entente::v1::Fact fact;
  fact.set_type(entente::v1::FACT_TYPE_CALL);
  auto* p = fact.add_participants();
  p->set_entity_id("bench_caller");
  p->set_role(entente::v1::PARTICIPANT_ROLE_SOURCE);
  p = fact.add_participants();
  p->set_entity_id("bench_callee");
  p->set_role(entente::v1::PARTICIPANT_ROLE_TARGET);
  *fact.mutable_valid_time()->mutable_start() =
      entente::date_text::MakeDate(2000 + static_cast<int>(serial % 25), 1 + serial % 12, 1);
  fact.set_summary(absl::StrCat("write bench ", nonce, " client ", client, " call ", serial));
  fact.mutable_provenance()->set_source_id("write_bench");
  return fact;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "entente_write_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--server" && has_value) {
      options.server = argv[++i];
    } else if (arg == "--clients" && has_value && absl::SimpleAtoi(argv[i + 1], &options.clients) &&
               options.clients > 0) {
      ++i;
    } else if (arg == "--seconds" && has_value &&
               absl::SimpleAtod(argv[i + 1], &options.seconds) && options.seconds > 0) {
      ++i;
    } else if (arg == "--mode" && has_value &&
               (std::string(argv[i + 1]) == "unary" || std::string(argv[i + 1]) == "stream")) {
      options.stream = std::string(argv[++i]) == "stream";
    } else if (arg == "--batch" && has_value && absl::SimpleAtoi(argv[i + 1], &options.batch) &&
               options.batch > 0) {
      ++i;
    } else {
      std::fprintf(stderr, "entente_write_bench: bad argument \"%s\"\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (options.server.empty()) return Fail(absl::StrCat("--server is required\n", kUsage));

  auto setup = entente::client::Client::Connect(options.server);
  for (const char* id : {"bench_caller", "bench_callee"}) {
    entente::v1::Entity entity;
    entity.set_id(id);
    entity.set_kind(entente::v1::ENTITY_KIND_ORGANIZATION);
    entity.set_name(id);
    if (auto s = setup->UpsertEntity(entity); !s.ok()) return Fail(s.status().ToString());
  }
  entente::v1::Source source;
  source.set_id("write_bench");
  source.set_title("entente_write_bench");
  if (auto s = setup->UpsertSource(source); !s.ok()) return Fail(s.status().ToString());

  const std::string nonce = absl::StrCat(std::random_device()());
  std::atomic<bool> failed = false;
  std::vector<std::vector<double>> latencies(options.clients);
  std::vector<int64_t> facts(options.clients, 0);
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(options.seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = entente::client::Client::Connect(options.server);
      int64_t serial = 0;
      std::vector<entente::v1::Fact> batch;
      while (!failed && absl::Now() < end) {
        const absl::Time call_start = absl::Now();
        if (options.stream) {
          batch.clear();
          for (int i = 0; i < options.batch; ++i) batch.push_back(MakeFact(nonce, c, serial++));
          auto response = client->RecordFacts(batch);
          if (!response.ok() || response->created() != options.batch) {
            failed = true;
            std::fprintf(stderr, "RecordFacts: %s\n", response.status().ToString().c_str());
            return;
          }
          facts[c] += options.batch;
        } else {
          auto response = client->RecordFact(MakeFact(nonce, c, serial++));
          if (!response.ok() || !response->created()) {
            failed = true;
            std::fprintf(stderr, "RecordFact: %s\n", response.status().ToString().c_str());
            return;
          }
          ++facts[c];
        }
        latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - call_start));
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  if (failed) return Fail("a call failed");
  std::vector<double> all;
  int64_t total = 0;
  for (int c = 0; c < options.clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    total += facts[c];
  }
  std::sort(all.begin(), all.end());
  auto percentile = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf("mode=%s clients=%d batch=%d seconds=%.1f facts=%lld facts_per_s=%.0f "
              "call_p50_ms=%.2f call_p99_ms=%.2f\n",
              options.stream ? "stream" : "unary", options.clients,
              options.stream ? options.batch : 1, elapsed, static_cast<long long>(total),
              static_cast<double>(total) / elapsed, percentile(0.5), percentile(0.99));
  return 0;
}
