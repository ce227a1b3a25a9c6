// `entented --limit NAME=VALUE`: the ServiceLimits an operator may set, by
// name, with the range each accepts.
#include <cstdint>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/service.h"

namespace entente::server {
namespace {

struct LimitField {
  const char* name;
  std::variant<int32_t ServiceLimits::*, int64_t ServiceLimits::*> member;
  int64_t min;
  int64_t max;
  const char* bounds;  // what the limit bounds, for --help
};

constexpr int64_t kInt32Max = INT32_MAX;

const LimitField kLimitFields[] = {
    {"default_page_size", &ServiceLimits::default_page_size, 1, kInt32Max,
     "ListFacts page size when the request gives none"},
    {"max_page_size", &ServiceLimits::max_page_size, 1, kInt32Max,
     "largest ListFacts page (larger requests are cut to it)"},
    {"max_resolve_limit", &ServiceLimits::max_resolve_limit, 1, kInt32Max,
     "most matches a ResolveEntity may ask for"},
    {"max_stream_facts", &ServiceLimits::max_stream_facts, 1, INT64_MAX,
     "facts in one RecordFacts stream (the batch size)"},
    {"max_reported_rejections", &ServiceLimits::max_reported_rejections, 0, kInt32Max,
     "rejected facts or lines listed in a RecordFacts or Import reply"},
    {"stream_publish_every", &ServiceLimits::stream_publish_every, 1, kInt32Max,
     "facts (lines) of a stream (import) between publications to queries"},
    {"max_import_chunk_bytes", &ServiceLimits::max_import_chunk_bytes, 1, INT64_MAX,
     "bytes in one Import chunk message"},
    {"max_import_bytes", &ServiceLimits::max_import_bytes, 1, INT64_MAX,
     "bytes in one Import stream"},
    {"max_seeds", &ServiceLimits::max_seeds, 1, kInt32Max, "seed entities of a neighborhood"},
    {"max_neighbors", &ServiceLimits::max_neighbors, 1, kInt32Max,
     "neighbors a neighborhood returns"},
    {"max_result_facts", &ServiceLimits::max_result_facts, 1, kInt32Max,
     "connecting facts a neighborhood returns"},
    {"max_hops", &ServiceLimits::max_hops, 1, 64, "hops of a neighborhood or a path"},
    {"max_k", &ServiceLimits::max_k, 1, 1000, "paths a k-shortest-paths query returns"},
    {"max_facts_per_hop", &ServiceLimits::max_facts_per_hop, 1, kInt32Max,
     "facts listed per hop of a path"},
    {"max_timeline_entities", &ServiceLimits::max_timeline_entities, 1, 1024,
     "entities of one timeline"},
    {"max_timeline_facts", &ServiceLimits::max_timeline_facts, 1, kInt32Max,
     "facts one timeline streams"},
};

int64_t ValueOf(const LimitField& field, const ServiceLimits& limits) {
  return std::visit([&](auto member) { return static_cast<int64_t>(limits.*member); },
                    field.member);
}

}  // namespace

absl::Status SetLimit(absl::string_view assignment, ServiceLimits* limits) {
  const size_t eq = assignment.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit: \"", assignment, "\" is not NAME=VALUE"));
  }
  const absl::string_view name = assignment.substr(0, eq);
  const absl::string_view text = assignment.substr(eq + 1);
  for (const LimitField& field : kLimitFields) {
    if (name != field.name) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(text, &value) || value < field.min || value > field.max) {
      return absl::InvalidArgumentError(absl::StrCat("--limit ", name, ": \"", text,
                                                     "\" is not a number in ", field.min, "..",
                                                     field.max));
    }
    std::visit(
        [&](auto member) {
          limits->*member = static_cast<std::remove_reference_t<decltype(limits->*member)>>(value);
        },
        field.member);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--limit: unknown limit \"", name, "\" (entented --help lists them)"));
}

std::string DescribeLimits(const ServiceLimits& limits) {
  std::string text;
  for (const LimitField& field : kLimitFields) {
    absl::StrAppendFormat(&text, "  %-24s %12d  %s\n", field.name, ValueOf(field, limits),
                          field.bounds);
  }
  return text;
}

}  // namespace entente::server
