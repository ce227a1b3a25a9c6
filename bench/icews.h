// Reading ICEWS-style event files (date, source actor, CAMEO event name,
// target actor; tab-separated with a header) into the store through its
// ordinary write path. Used by the benchmarks and by tests that need real
// event data; the full importer (CLI, CSV, strict mode) is its own feature.
#ifndef ENTENTE_BENCH_ICEWS_H_
#define ENTENTE_BENCH_ICEWS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "entente/v1/fact.pb.h"
#include "storage/store.h"

namespace entente::bench {

struct IcewsEvent {
  int year = 0, month = 0, day = 0;
  std::string source;
  std::string relation;
  std::string target;
  int64_t line = 0;
};

// Parses one data line; false when it is not four tab-separated fields with
// a YYYY-MM-DD date.
bool ParseIcewsLine(absl::string_view line, int64_t line_number, IcewsEvent* event);

// Reads every event of a file (the header is skipped).
absl::StatusOr<std::vector<IcewsEvent>> ReadIcewsFile(const std::string& path);

// The entity id an ICEWS actor name gets, the importer's slug: lowercase,
// runs of anything but letters and digits as "_" ("Government (Iran)" ->
// "government_iran").
std::string ActorId(absl::string_view name);

struct LoadCounts {
  int64_t events = 0;
  int64_t facts_created = 0;
  int64_t unchanged = 0;
  int64_t skipped = 0;  // relation is not a CAMEO event we know
  int64_t entities_created = 0;
  int64_t affiliations = 0;  // with states_and_affiliations
};

struct LoadOptions {
  std::string source_id = "icews14";
  // Names in bench/states.inc become STATE entities, and "Sector (Country)"
  // actors — also the copies "Sector (Country) #c" that entente_scale_icews
  // makes — get an open AFFILIATION to Country's state, so that roll-up has
  // real work. Off: every actor is an ORGANIZATION and nothing is
  // affiliated (the graph as the tests built on this loader know it).
  bool states_and_affiliations = false;
};

// Records each event as a fact (participants SOURCE and TARGET, DAY
// precision, the CAMEO code and fact type of its relation, provenance
// `source_id` and "line N"), creating ORGANIZATION entities for actors not
// yet known. Events whose relation is not in the CAMEO table are skipped.
absl::StatusOr<LoadCounts> LoadIcewsEvents(storage::Store& store,
                                           const std::vector<IcewsEvent>& events,
                                           const LoadOptions& options);
inline absl::StatusOr<LoadCounts> LoadIcewsEvents(storage::Store& store,
                                                  const std::vector<IcewsEvent>& events,
                                                  const std::string& source_id = "icews14") {
  LoadOptions options;
  options.source_id = source_id;
  return LoadIcewsEvents(store, events, options);
}

// True when `name` is a state as bench/states.inc spells it.
bool IsIcewsStateName(absl::string_view name);

// The fact an event becomes (without touching the store); nullopt when its
// relation is unknown.
std::optional<v1::Fact> IcewsFact(const IcewsEvent& event, const std::string& source_id);

}  // namespace entente::bench

#endif  // ENTENTE_BENCH_ICEWS_H_
