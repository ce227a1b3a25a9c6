// Private to cli/: reading flag values into request fields. Each parser
// takes the flag's name for its error message ("--from: \"2001-13\" is not
// a date ..."), which the command reports as a usage error.
#ifndef ENTENTE_CLI_VALUES_H_
#define ENTENTE_CLI_VALUES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/cli.h"
#include "entente/v1/entity.pb.h"
#include "entente/v1/fact.pb.h"
#include "entente/v1/query_service.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "entente/v1/time.pb.h"

namespace entente::cli {

// --from/--to as a window; unset flags leave that end open.
absl::StatusOr<v1::TimeWindow> WindowOf(const Args& args);

// A date flag; `flag` must be present.
absl::StatusOr<v1::Date> DateOf(const Args& args, const std::string& flag);

// A whole number flag in [min, max]; `fallback` when absent.
absl::StatusOr<int> IntOf(const Args& args, const std::string& flag, int min, int max,
                          int fallback);

// "visit,agreement": comma-separated fact types, each a whole name or an
// unambiguous prefix of one, any case ("agreement" is AGREEMENT_SIGNED).
absl::StatusOr<std::vector<v1::FactType>> FactTypesOf(const Args& args, const std::string& flag);

// "state,organization": entity kinds, as FactTypesOf.
absl::StatusOr<std::vector<v1::EntityKind>> EntityKindsOf(const Args& args,
                                                          const std::string& flag);

// --as-of DATE|TIME: the end of that day (UTC), or an RFC 3339 time.
Flag AsOfFlag();
absl::StatusOr<google::protobuf::Timestamp> AsOfOf(const Args& args);

// --roll-up: count every participant as the state it stood for on the
// fact's date (RollUp STATE); ROLL_UP_UNSPECIFIED without the flag, so a
// plain request stays as it was.
Flag RollUpFlag();
v1::RollUp RollUpOf(const Args& args);

// The flags of a graph query's filter: --from, --to, --types, --kinds,
// --as-of, --roll-up; and the filter they give.
std::vector<Flag> FilterFlags();
absl::Status FilterOf(const Args& args, v1::GraphFilter* filter);

// Fact type names people type: "visit", "agreement_signed", ... (for help
// texts and completion).
std::vector<std::string> FactTypeWords();
std::vector<std::string> EntityKindWords();

}  // namespace entente::cli

#endif  // ENTENTE_CLI_VALUES_H_
