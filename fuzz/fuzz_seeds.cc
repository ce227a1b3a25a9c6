// libFuzzer target: the seed loader (seeds/seeds.h LoadJsonLines). The first
// byte picks the record kind (source, entity, fact), the rest is the JSON
// Lines text. Checks: a refusal has a refusal's code and names the file and
// line; a load that succeeds counted every line, left every record
// readable, and changes nothing when repeated; the store stays consistent.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "fuzz/harness.h"
#include "google/protobuf/util/json_util.h"
#include "seeds/seeds.h"

namespace entente::fuzz {
namespace {

constexpr absl::string_view kName = "fuzz.jsonl";

// The id of each line's record (the fact id a fact gets), parsed as the
// loader parses it; false when a line does not parse.
bool IdsOf(seeds::RecordKind kind, absl::string_view text, std::vector<std::string>* ids) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const google::protobuf::StringPiece json(line.data(), line.size());
    bool parsed = false;
    switch (kind) {
      case seeds::RecordKind::kSource: {
        v1::Source source;
        parsed = google::protobuf::util::JsonStringToMessage(json, &source, options).ok();
        ids->push_back(source.id());
        break;
      }
      case seeds::RecordKind::kEntity: {
        v1::Entity entity;
        parsed = google::protobuf::util::JsonStringToMessage(json, &entity, options).ok();
        ids->push_back(entity.id());
        break;
      }
      case seeds::RecordKind::kFact: {
        v1::Fact fact;
        parsed = google::protobuf::util::JsonStringToMessage(json, &fact, options).ok();
        ids->push_back(storage::Store::FactIdOf(fact));
        break;
      }
    }
    if (!parsed) return false;
  }
  return true;
}

absl::Status Readable(const storage::Store& store, seeds::RecordKind kind, const std::string& id) {
  switch (kind) {
    case seeds::RecordKind::kSource:
      return store.GetSource(id).status();
    case seeds::RecordKind::kEntity:
      return store.GetEntity(id).status();
    case seeds::RecordKind::kFact:
      return store.GetFact(id).status();
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace entente::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entente;
  using namespace entente::fuzz;
  if (size == 0) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const auto kind = static_cast<seeds::RecordKind>(data[0] % 3);
  const absl::string_view text = input.substr(1);
  storage::Store& store = SeededStore();

  seeds::LoadSummary summary;
  const absl::Status loaded = seeds::LoadJsonLines(store, kind, kName, text, &summary);
  const int64_t counted = summary.sources + summary.entities + summary.facts;
  Check(summary.changed <= counted, "more records changed than lines were read", input);
  if (!loaded.ok()) {
    Check(IsRefusalCode(loaded.code()),
          absl::StrCat("refused with a code that says the server failed: ", loaded.ToString()),
          input);
    absl::string_view message = loaded.message();
    const size_t digits = absl::ConsumePrefix(&message, absl::StrCat(kName, ":"))
                              ? message.find_first_not_of("0123456789")
                              : 0;
    Check(digits > 0 && digits != absl::string_view::npos && message.substr(digits, 2) == ": ",
          absl::StrCat("error does not name the file and line: ", loaded.ToString()), input);
    VerifyEvery(500, input);
    return 0;
  }

  std::vector<std::string> ids;
  Check(IdsOf(kind, text, &ids), "loaded, but a line does not parse", input);
  Check(counted == static_cast<int64_t>(ids.size()),
        absl::StrCat("loaded ", ids.size(), " lines but counted ", counted), input);
  for (const std::string& id : ids) {
    const absl::Status readable = Readable(store, kind, id);
    Check(readable.ok(), absl::StrCat("loaded \"", id, "\" cannot be read: ", readable.ToString()),
          input);
  }
  // A second load succeeds and, when no id repeats (a later line would
  // change an earlier one again), changes nothing.
  seeds::LoadSummary again;
  const absl::Status reloaded = seeds::LoadJsonLines(store, kind, kName, text, &again);
  Check(reloaded.ok(), absl::StrCat("a second load failed: ", reloaded.ToString()), input);
  const bool unique = std::set<std::string>(ids.begin(), ids.end()).size() == ids.size();
  Check(!unique || again.changed == 0,
        absl::StrCat("a second load changed ", again.changed, " records"), input);
  VerifyEvery(500, input);
  return 0;
}
