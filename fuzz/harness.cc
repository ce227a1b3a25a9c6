#include "fuzz/harness.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "seeds/seeds.h"

namespace entente::fuzz {
namespace {

std::string* temp_root = nullptr;
storage::Store* seeded_store = nullptr;

void RemoveTempRoot() {
  std::error_code ec;
  std::filesystem::remove_all(*temp_root, ec);
}

// Registered once the store is open: exit handlers run in reverse order, so
// this runs before RocksDB's own static objects go (closing after them
// crashed) and before RemoveTempRoot.
void CloseStore() {
  delete seeded_store;
  seeded_store = nullptr;
}

[[noreturn]] void SetupFailed(absl::string_view what) {
  std::fprintf(stderr, "fuzz harness: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace

const std::string& TempRoot() {
  if (temp_root != nullptr) return *temp_root;
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp",
                                     "/entente_fuzz_XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) SetupFailed(absl::StrCat("mkdtemp ", pattern, " failed"));
  // Absolute: Backup requests are confined under it and must name absolute paths.
  temp_root = new std::string(std::filesystem::absolute(pattern).string());
  std::atexit(RemoveTempRoot);
  return *temp_root;
}

storage::Store& SeededStore() {
  if (seeded_store != nullptr) return *seeded_store;
  auto store = storage::Store::Open(TempRoot() + "/db");
  if (!store.ok()) SetupFailed(store.status().ToString());
  auto seeded = seeds::LoadSeeds(**store);
  if (!seeded.ok()) SetupFailed(seeded.status().ToString());
  seeded_store = store->release();
  std::atexit(CloseStore);
  return *seeded_store;
}

void Fail(absl::string_view what, absl::string_view input) {
  const absl::string_view shown = input.substr(0, 2048);
  // Escaped: messages may quote input bytes, NULs included.
  std::fprintf(stderr, "\n== fuzz invariant failed: %s\n== input (%zu bytes%s): \"%s\"\n",
               absl::CEscape(what).c_str(), input.size(),
               shown.size() < input.size() ? ", first 2048 shown" : "",
               absl::CEscape(shown).c_str());
  std::fflush(stderr);
  std::abort();
}

bool IsRefusalCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

bool StartsWithFieldPath(absl::string_view message) {
  // segment ("[" digits "]")* ("." segment ...)* ": "
  size_t i = 0;
  while (true) {
    const size_t start = i;
    while (i < message.size() && (absl::ascii_islower(message[i]) ||
                                  absl::ascii_isdigit(message[i]) || message[i] == '_')) {
      ++i;
    }
    if (i == start || absl::ascii_isdigit(message[start])) return false;
    while (i < message.size() && message[i] == '[') {
      const size_t digits = ++i;
      while (i < message.size() && absl::ascii_isdigit(message[i])) ++i;
      if (i == digits || i == message.size() || message[i] != ']') return false;
      ++i;
    }
    if (i < message.size() && message[i] == '.') {
      ++i;
      continue;
    }
    return message.substr(i, 2) == ": ";
  }
}

void VerifyEvery(int every, absl::string_view input) {
  static int calls = 0;
  if (++calls % every != 0) return;
  auto report = SeededStore().Verify();
  Check(report.ok(), absl::StrCat("Store::Verify failed: ", report.status().ToString()), input);
  if (!report->consistent()) {
    std::string problems;
    for (const auto& problem : report->problems) absl::StrAppend(&problems, "\n  ", problem);
    Fail(absl::StrCat("the store disagrees with itself after this input (", report->problem_count,
                      " problems):", problems),
         input);
  }
}

uint64_t HashOf(absl::string_view data) {
  uint64_t hash = 0xcbf29ce484222325u;
  for (unsigned char c : data) hash = (hash ^ c) * 0x100000001b3u;
  return hash;
}

std::vector<absl::string_view> SplitInput(absl::string_view data, uint64_t seed,
                                          size_t max_pieces) {
  // splitmix64 steps give the cut points.
  auto next = [&seed] {
    uint64_t z = (seed += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  };
  const size_t pieces = 1 + static_cast<size_t>(next() % std::max<size_t>(max_pieces, 1));
  std::vector<size_t> cuts;
  for (size_t i = 1; i < pieces; ++i) cuts.push_back(static_cast<size_t>(next() % (data.size() + 1)));
  std::sort(cuts.begin(), cuts.end());
  std::vector<absl::string_view> out;
  size_t at = 0;
  for (size_t cut : cuts) {
    out.push_back(data.substr(at, cut - at));
    at = cut;
  }
  out.push_back(data.substr(at));
  return out;
}

}  // namespace entente::fuzz
