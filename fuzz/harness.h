// What the fuzz targets share: a temporary seeded store made once per
// process, the checks of invariants, and input helpers. See
// docs/fuzzing.md for what each target feeds and checks.
#ifndef ENTENTE_FUZZ_HARNESS_H_
#define ENTENTE_FUZZ_HARNESS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "storage/store.h"

namespace entente::fuzz {

// A directory made with mkdtemp under $TMPDIR (default /tmp) on first use
// and removed, with everything in it, when the process exits normally.
const std::string& TempRoot();

// A store in TempRoot()/db holding the seed graph, opened on first use and
// closed at exit before the directory goes. Every input of a run writes to
// it, so later inputs meet what earlier ones left (as a server does).
storage::Store& SeededStore();

// Prints what broke and the input (escaped, cut at 2 KiB), then aborts so
// that libFuzzer saves the input as a crash.
[[noreturn]] void Fail(absl::string_view what, absl::string_view input);

// Fails unless `ok`.
inline void Check(bool ok, absl::string_view what, absl::string_view input) {
  if (!ok) Fail(what, input);
}

// True for the codes a refusal of bad input may carry: INVALID_ARGUMENT,
// NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
// OUT_OF_RANGE, ABORTED, DEADLINE_EXCEEDED. Never UNKNOWN, INTERNAL,
// DATA_LOSS and the like, which say the server failed.
bool IsRefusalCode(absl::StatusCode code);

// True when `message` starts with a field path and ": " —
// "fact.valid_time.end: ...", "participants[1].entity_id: ...".
bool StartsWithFieldPath(absl::string_view message);

// Runs Store::Verify every `every` calls and fails on any disagreement
// between records, indexes, log and counters.
void VerifyEvery(int every, absl::string_view input);

// A 64-bit FNV-1a hash: splits, modes and other choices are derived from
// the input, so a saved input replays the same way.
uint64_t HashOf(absl::string_view data);

// Up to `max_pieces` consecutive pieces of `data` that cover it, cut at
// points derived from `seed` (some may be empty).
std::vector<absl::string_view> SplitInput(absl::string_view data, uint64_t seed,
                                          size_t max_pieces);

}  // namespace entente::fuzz

#endif  // ENTENTE_FUZZ_HARNESS_H_
