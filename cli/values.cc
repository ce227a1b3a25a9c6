#include "cli/values.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

// The values of a proto enum as lowercase words without `prefix`, paired
// with their numbers; UNSPECIFIED left out.
std::vector<std::pair<std::string, int>> EnumWords(const google::protobuf::EnumDescriptor* type,
                                                   absl::string_view prefix) {
  std::vector<std::pair<std::string, int>> words;
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* value = type->value(i);
    if (value->number() == 0) continue;
    std::string word(absl::StripPrefix(value->name(), prefix));
    absl::AsciiStrToLower(&word);
    words.emplace_back(std::move(word), value->number());
  }
  return words;
}

std::vector<std::string> FirstOf(const std::vector<std::pair<std::string, int>>& words) {
  std::vector<std::string> out;
  for (const auto& word : words) out.push_back(word.first);
  return out;
}

// Comma-separated words, each a whole word of `words` or a prefix of just
// one of them.
absl::StatusOr<std::vector<int>> WordsOf(const Args& args, const std::string& flag,
                                         const std::vector<std::pair<std::string, int>>& words) {
  std::vector<int> numbers;
  if (!args.Has(flag)) return numbers;
  for (absl::string_view part : absl::StrSplit(args.Value(flag), ',')) {
    std::string text(absl::StripAsciiWhitespace(part));
    absl::AsciiStrToLower(&text);
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": an empty name"));
    std::vector<const std::pair<std::string, int>*> found;
    for (const auto& word : words) {
      if (word.first == text) {
        found = {&word};
        break;
      }
      if (absl::StartsWith(word.first, text)) found.push_back(&word);
    }
    if (found.size() != 1) {
      std::vector<std::string> names;
      for (const auto* word : found) names.push_back(word->first);
      if (found.empty()) names = FirstOf(words);
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", text, "\" is ", found.empty() ? "not one of " : "ambiguous: ",
                       absl::StrJoin(names, ", ")));
    }
    numbers.push_back(found[0]->second);
  }
  return numbers;
}


const std::vector<std::pair<std::string, int>>& FactTypes() {
  static const auto* const kWords =
      new std::vector<std::pair<std::string, int>>(EnumWords(v1::FactType_descriptor(), "FACT_TYPE_"));
  return *kWords;
}

const std::vector<std::pair<std::string, int>>& EntityKinds() {
  static const auto* const kWords = new std::vector<std::pair<std::string, int>>(
      EnumWords(v1::EntityKind_descriptor(), "ENTITY_KIND_"));
  return *kWords;
}

// The first and last day a date of any precision covers.
absl::CivilDay FirstDay(const v1::Date& date) {
  return absl::CivilDay(date.year(), std::max(date.month(), 1), std::max(date.day(), 1));
}
absl::CivilDay LastDay(const v1::Date& date) {
  if (date.precision() == v1::PRECISION_YEAR) return absl::CivilDay(date.year() + 1, 1, 1) - 1;
  if (date.precision() == v1::PRECISION_MONTH) {
    return absl::CivilDay(absl::CivilMonth(date.year(), date.month()) + 1) - 1;
  }
  return FirstDay(date);
}

}  // namespace

absl::StatusOr<v1::Date> DateOf(const Args& args, const std::string& flag) {
  return date_text::ParseDate(args.Value(flag), flag);
}

absl::StatusOr<v1::TimeWindow> WindowOf(const Args& args) {
  v1::TimeWindow window;
  for (const char* flag : {"--from", "--to"}) {
    if (!args.Has(flag)) continue;
    auto date = DateOf(args, flag);
    if (!date.ok()) return date.status();
    *(flag[2] == 'f' ? window.mutable_from() : window.mutable_to()) = *date;
  }
  if (window.has_from() && window.has_to() && LastDay(window.to()) < FirstDay(window.from())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--to: ", date_text::FormatDate(window.to()), " is before --from ",
                     date_text::FormatDate(window.from())));
  }
  return window;
}

absl::StatusOr<int> IntOf(const Args& args, const std::string& flag, int min, int max,
                          int fallback) {
  if (!args.Has(flag)) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(args.Value(flag), &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": \"", args.Value(flag),
                                                   "\" is not a whole number in ", min, "..", max));
  }
  return value;
}

absl::StatusOr<std::vector<v1::FactType>> FactTypesOf(const Args& args, const std::string& flag) {
  auto numbers = WordsOf(args, flag, FactTypes());
  if (!numbers.ok()) return numbers.status();
  std::vector<v1::FactType> types;
  for (int number : *numbers) types.push_back(static_cast<v1::FactType>(number));
  return types;
}

absl::StatusOr<std::vector<v1::EntityKind>> EntityKindsOf(const Args& args,
                                                          const std::string& flag) {
  auto numbers = WordsOf(args, flag, EntityKinds());
  if (!numbers.ok()) return numbers.status();
  std::vector<v1::EntityKind> kinds;
  for (int number : *numbers) kinds.push_back(static_cast<v1::EntityKind>(number));
  return kinds;
}

Flag AsOfFlag() {
  return {"--as-of", "DATE|TIME", "as the store knew it then (end of DATE, UTC)"};
}

absl::StatusOr<google::protobuf::Timestamp> AsOfOf(const Args& args) {
  const std::string text = args.Value("--as-of");
  google::protobuf::Timestamp time;
  if (google::protobuf::util::TimeUtil::FromString(text, &time)) return time;
  auto date = date_text::ParseDate(text, "--as-of");
  if (!date.ok() || date->precision() != v1::PRECISION_DAY) {
    return absl::InvalidArgumentError(
        absl::StrCat("--as-of: \"", text,
                     "\" is neither a day (YYYY-MM-DD) nor a time (2025-02-01T12:00:00Z)"));
  }
  // The store as it was at the end of that day.
  const absl::Time end = absl::FromCivil(
      absl::CivilDay(date->year(), date->month(), date->day()) + 1, absl::UTCTimeZone());
  time.set_seconds(absl::ToUnixSeconds(end) - 1);
  return time;
}

Flag RollUpFlag() {
  return {"--roll-up", "", "count actors as the states they stood for on each fact's date"};
}

v1::RollUp RollUpOf(const Args& args) {
  return args.Has("--roll-up") ? v1::ROLL_UP_STATE : v1::ROLL_UP_UNSPECIFIED;
}

std::vector<Flag> FilterFlags() {
  return {
      {"--from", "DATE", "only facts from DATE on (YYYY, YYYY-MM or YYYY-MM-DD)"},
      {"--to", "DATE", "only facts up to DATE"},
      {"--types", "TYPE,...", "only these fact types (visit, agreement, ...; a prefix will do)"},
      {"--kinds", "KIND,...", "only pass through these entity kinds (state, organization, ...)"},
      AsOfFlag(),
      RollUpFlag(),
  };
}

absl::Status FilterOf(const Args& args, v1::GraphFilter* filter) {
  auto window = WindowOf(args);
  if (!window.ok()) return window.status();
  *filter->mutable_window() = *window;
  auto types = FactTypesOf(args, "--types");
  if (!types.ok()) return types.status();
  for (v1::FactType type : *types) filter->add_types(type);
  auto kinds = EntityKindsOf(args, "--kinds");
  if (!kinds.ok()) return kinds.status();
  for (v1::EntityKind kind : *kinds) filter->add_entity_kinds(kind);
  if (args.Has("--as-of")) {
    auto as_of = AsOfOf(args);
    if (!as_of.ok()) return as_of.status();
    *filter->mutable_as_of() = *as_of;
  }
  filter->set_roll_up(RollUpOf(args));
  return absl::OkStatus();
}

std::vector<std::string> FactTypeWords() { return FirstOf(FactTypes()); }
std::vector<std::string> EntityKindWords() { return FirstOf(EntityKinds()); }

}  // namespace entente::cli
