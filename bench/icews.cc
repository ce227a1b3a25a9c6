#include "bench/icews.h"

#include <fstream>
#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "graph/cameo.h"
#include "import/importer.h"
#include "storage/validate.h"

namespace entente::bench {

bool ParseIcewsLine(absl::string_view line, int64_t line_number, IcewsEvent* event) {
  std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
  if (fields.size() != 4) return false;
  const absl::string_view date = fields[0];
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  if (!absl::SimpleAtoi(date.substr(0, 4), &event->year) ||
      !absl::SimpleAtoi(date.substr(5, 2), &event->month) ||
      !absl::SimpleAtoi(date.substr(8, 2), &event->day)) {
    return false;
  }
  event->source = std::string(absl::StripAsciiWhitespace(fields[1]));
  event->relation = std::string(absl::StripAsciiWhitespace(fields[2]));
  event->target = std::string(absl::StripAsciiWhitespace(absl::StripSuffix(fields[3], "\r")));
  event->line = line_number;
  return !event->source.empty() && !event->target.empty();
}

absl::StatusOr<std::vector<IcewsEvent>> ReadIcewsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<IcewsEvent> events;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 && absl::StartsWith(line, "date\t")) continue;
    IcewsEvent event;
    if (!ParseIcewsLine(line, number, &event)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": not an event line"));
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::string ActorId(absl::string_view name) { return importer::SlugOf(name); }

std::optional<v1::Fact> IcewsFact(const IcewsEvent& event, const std::string& source_id) {
  const graph::CameoEvent* cameo = graph::FindCameoByName(event.relation);
  if (cameo == nullptr) return std::nullopt;
  v1::Fact fact;
  fact.set_type(cameo->type);
  fact.set_cameo_code(cameo->code);
  auto* p = fact.add_participants();
  p->set_entity_id(ActorId(event.source));
  p->set_role(v1::PARTICIPANT_ROLE_SOURCE);
  p = fact.add_participants();
  p->set_entity_id(ActorId(event.target));
  p->set_role(v1::PARTICIPANT_ROLE_TARGET);
  auto* start = fact.mutable_valid_time()->mutable_start();
  start->set_year(event.year);
  start->set_month(event.month);
  start->set_day(event.day);
  start->set_precision(v1::PRECISION_DAY);
  fact.set_summary(absl::StrCat(event.source, ": ", event.relation, ": ", event.target));
  fact.mutable_provenance()->set_source_id(source_id);
  fact.mutable_provenance()->set_locator(absl::StrCat("line ", event.line));
  return fact;
}

namespace {

constexpr absl::string_view kStateNames[] = {
#include "bench/states.inc"
};

// The country of "Sector (Country)" (the importer's rule) or of a scaled
// copy "Sector (Country) #c"; empty for other names.
std::string CountryOf(absl::string_view name) {
  if (const size_t hash = name.rfind(" #"); hash != absl::string_view::npos) {
    name = name.substr(0, hash);
  }
  auto parsed = importer::ParseSectorName(name);
  return parsed ? parsed->country : std::string();
}

}  // namespace

bool IsIcewsStateName(absl::string_view name) {
  static const auto* states =
      new absl::flat_hash_set<absl::string_view>(std::begin(kStateNames), std::end(kStateNames));
  return states->contains(name);
}

absl::StatusOr<LoadCounts> LoadIcewsEvents(storage::Store& store,
                                           const std::vector<IcewsEvent>& events,
                                           const LoadOptions& options) {
  const std::string& source_id = options.source_id;
  LoadCounts counts;
  if (!store.GetSource(source_id).ok()) {
    v1::Source source;
    source.set_id(source_id);
    source.set_title("ICEWS coded events");
    source.set_location(source_id);
    if (auto r = store.UpsertSource(source); !r.ok()) return r.status();
  }
  absl::flat_hash_set<std::string> known;
  std::function<absl::Status(absl::string_view)> ensure_entity =
      [&](absl::string_view name) -> absl::Status {
    const std::string id = ActorId(name);
    if (known.contains(id)) return absl::OkStatus();
    known.insert(id);
    const bool is_state = options.states_and_affiliations && IsIcewsStateName(name);
    if (!store.GetEntity(id).ok()) {
      v1::Entity entity;
      entity.set_id(id);
      entity.set_kind(is_state ? v1::ENTITY_KIND_STATE : v1::ENTITY_KIND_ORGANIZATION);
      entity.set_name(std::string(name));
      auto r = store.UpsertEntity(entity);
      if (!r.ok()) return r.status();
      ++counts.entities_created;
    }
    const std::string country = CountryOf(name);
    if (is_state || !options.states_and_affiliations || !IsIcewsStateName(country)) {
      return absl::OkStatus();
    }
    if (auto s = ensure_entity(country); !s.ok()) return s;
    v1::Fact tie = storage::AffiliationFact(id, ActorId(country), storage::Always());
    tie.mutable_provenance()->set_source_id(source_id);
    auto r = store.RecordFact(tie);
    if (!r.ok()) return r.status();
    ++counts.affiliations;
    return absl::OkStatus();
  };
  for (const IcewsEvent& event : events) {
    ++counts.events;
    auto fact = IcewsFact(event, source_id);
    if (!fact) {
      ++counts.skipped;
      continue;
    }
    if (auto s = ensure_entity(event.source); !s.ok()) return s;
    if (auto s = ensure_entity(event.target); !s.ok()) return s;
    auto r = store.RecordFact(*fact);
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          absl::StrCat("line ", event.line, ": ", r.status().message()));
    }
    (r->created ? counts.facts_created : counts.unchanged)++;
  }
  return counts;
}

}  // namespace entente::bench
