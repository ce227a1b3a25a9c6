// QueryService: checks requests, runs the graph queries on one snapshot,
// and converts their results.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "graph/queries.h"
#include "graph/relationship.h"
#include "server/call.h"
#include "server/service.h"
#include "server/status.h"
#include "storage/dates.h"

namespace entente::server {
namespace {

using google::protobuf::util::TimeUtil;
using graph::Snapshot;
using graph::Vertex;

// An int32 request field: 0 means `fallback`; otherwise it must lie in
// [min, max].
grpc::Status Bounded(int32_t value, int32_t fallback, int32_t min, int32_t max,
                     const std::string& field, int32_t* out) {
  if (value == 0) {
    *out = fallback;
    return grpc::Status::OK;
  }
  if (value < min || value > max) {
    return Invalid(absl::StrCat(field, ": ", value, " is outside ", min, "..", max));
  }
  *out = value;
  return grpc::Status::OK;
}

grpc::Status Lookup(const Snapshot& graph, const std::string& id, const std::string& field,
                    Vertex* out) {
  if (id.empty()) return Invalid(absl::StrCat(field, ": is empty"));
  *out = graph.Find(id);
  if (*out == graph::kNoVertex) {
    return Invalid(absl::StrCat(field, ": unknown entity \"", id, "\""));
  }
  return grpc::Status::OK;
}

grpc::Status AsOf(const google::protobuf::Timestamp& as_of, bool present,
                  const std::string& field, uint32_t* out) {
  *out = graph::kNever;
  if (!present) return grpc::Status::OK;
  if (as_of.seconds() < TimeUtil::kTimestampMinSeconds ||
      as_of.seconds() > TimeUtil::kTimestampMaxSeconds || as_of.nanos() < 0 ||
      as_of.nanos() > 999'999'999) {
    return Invalid(absl::StrCat(field, ": is not a valid timestamp"));
  }
  // Whole seconds: a fact recorded during the cut-off's second counts as
  // recorded after it.
  *out = graph::RecordSecond(absl::FromUnixSeconds(as_of.seconds()));
  return grpc::Status::OK;
}

grpc::Status Types(const google::protobuf::RepeatedField<int>& types, const std::string& field,
                   graph::EdgeFilter* filter) {
  for (int i = 0; i < types.size(); ++i) {
    const int type = types[i];
    if (type == v1::FACT_TYPE_UNSPECIFIED || !v1::FactType_IsValid(type) || type >= 64) {
      return Invalid(absl::StrCat(field, "[", i, "]: unknown fact type ", type));
    }
    filter->types.set(static_cast<size_t>(type));
  }
  return grpc::Status::OK;
}

// Whether a request rolls up to states; an unknown mode is refused.
grpc::Status RollsUp(int mode, const std::string& field, bool* on) {
  switch (mode) {
    case v1::ROLL_UP_UNSPECIFIED:
    case v1::ROLL_UP_NONE:
      *on = false;
      return grpc::Status::OK;
    case v1::ROLL_UP_STATE:
      *on = true;
      return grpc::Status::OK;
    default:
      return Invalid(absl::StrCat(field, ": unknown roll-up mode ", mode));
  }
}

// The rolled-up graph as of `as_of` that a query on `snapshot` uses, when
// it rolls up: set in *use, and held by the caller for as long as the query
// runs.
std::shared_ptr<const graph::Projection> UseRollUp(const Snapshot& snapshot, bool on,
                                                   uint32_t as_of,
                                                   const graph::Projection** use) {
  if (!on) return nullptr;
  auto projection = snapshot.RolledUp(as_of);
  *use = projection.get();
  return projection;
}

grpc::Status ToFilter(const v1::GraphFilter& in, graph::EdgeFilter* out, bool* roll_up) {
  if (auto s = RollsUp(in.roll_up(), "filter.roll_up", roll_up); !s.ok()) return s;
  auto window = storage::WindowRange(in.window(), "filter.window");
  if (!window.ok()) return ToGrpc(window.status());
  out->window = *window;
  if (auto s = Types(in.types(), "filter.types", out); !s.ok()) return s;
  for (int i = 0; i < in.entity_kinds_size(); ++i) {
    const int kind = in.entity_kinds(i);
    if (kind == v1::ENTITY_KIND_UNSPECIFIED || !v1::EntityKind_IsValid(kind) || kind >= 8) {
      return Invalid(absl::StrCat("filter.entity_kinds[", i, "]: unknown entity kind ", kind));
    }
    out->kinds.set(static_cast<size_t>(kind));
  }
  return AsOf(in.as_of(), in.has_as_of(), "filter.as_of", &out->as_of);
}

v1::FactEdge Edge(const Snapshot& graph, Vertex from, Vertex to, graph::FactIndex f,
                  const graph::Projection* rolled_up) {
  const graph::FactInfo& info = graph.fact(f);
  v1::FactEdge edge;
  edge.set_fact_id(info.IdText());
  edge.set_type(static_cast<v1::FactType>(info.type));
  *edge.mutable_valid_time() = info.ValidTime();
  edge.set_from_entity_id(std::string(graph.id(from)));
  edge.set_to_entity_id(std::string(graph.id(to)));
  edge.set_goldstein(info.goldstein());
  if (rolled_up != nullptr) {
    for (auto& id : graph::ActorsBehind(graph, *rolled_up, f, from)) {
      edge.add_from_actor_ids(std::move(id));
    }
    for (auto& id : graph::ActorsBehind(graph, *rolled_up, f, to)) {
      edge.add_to_actor_ids(std::move(id));
    }
  }
  return edge;
}

v1::Date PeriodOf(storage::DayNumber first_day, graph::Granularity granularity) {
  v1::Date date = storage::DateOfDay(first_day);
  date.set_day(0);
  if (granularity == graph::Granularity::kYear) {
    date.set_month(0);
    date.set_precision(v1::PRECISION_YEAR);
  } else {
    date.set_precision(v1::PRECISION_MONTH);
  }
  return date;
}

grpc::Status CheckDate(const v1::Date& date, bool present, const std::string& field,
                       storage::DayNumber* last_day) {
  if (!present) return Invalid(absl::StrCat(field, ": is missing"));
  v1::TimeWindow window;
  *window.mutable_to() = date;
  auto range = storage::WindowRange(window, field);
  if (!range.ok()) {
    // Name the field itself, not "field.to".
    std::string message(range.status().message());
    const std::string wrong = absl::StrCat(field, ".to");
    if (message.rfind(wrong, 0) == 0) message = field + message.substr(wrong.size());
    return Invalid(message);
  }
  *last_day = range->last;
  return grpc::Status::OK;
}

// The two entities of a relationship request (fields entity_id and
// other_entity_id), which must differ.
grpc::Status LookupPair(const Snapshot& graph, const std::string& entity_id,
                        const std::string& other_entity_id, graph::RelationshipQuery* query) {
  if (auto s = Lookup(graph, entity_id, "entity_id", &query->a); !s.ok()) return s;
  if (auto s = Lookup(graph, other_entity_id, "other_entity_id", &query->b); !s.ok()) return s;
  if (query->a == query->b) return Invalid("other_entity_id: is the same as entity_id");
  return grpc::Status::OK;
}

void ToProto(const graph::RelationshipState& state, const v1::Date& at,
             v1::RelationshipState* out) {
  *out->mutable_at() = at;
  for (const auto& r : state.agreements) *out->add_agreements() = r;
  for (const auto& r : state.memberships) *out->add_memberships() = r;
  for (const auto& r : state.deployments) *out->add_deployments() = r;
  for (const auto& figure : state.trade) {
    auto* t = out->add_trade();
    t->set_series(figure.series);
    *t->mutable_quantity() = figure.quantity;
    *t->mutable_record() = figure.record;
  }
}

void ToProto(const graph::Change& change, v1::RelationshipChange* out) {
  for (const auto& r : change.added) *out->add_added() = r;
  for (const auto& r : change.removed) *out->add_removed() = r;
}

// Checks a timeline request and turns it into a graph query (without its
// deadline).
grpc::Status ToTimelineQuery(const Snapshot& graph, const v1::GetTimelineRequest& request,
                             const ServiceLimits& limits, graph::TimelineQuery* query,
                             bool* roll_up) {
  if (request.entity_ids().empty()) return Invalid("entity_ids: is empty");
  if (auto s = RollsUp(request.roll_up(), "roll_up", roll_up); !s.ok()) return s;
  if (request.include_internal() && !*roll_up) {
    return Invalid("include_internal: applies to rolled-up timelines only (roll_up: "
                   "ROLL_UP_STATE); a plain timeline lists every fact");
  }
  query->include_internal = request.include_internal();
  if (request.entity_ids_size() > limits.max_timeline_entities) {
    return Invalid(absl::StrCat("entity_ids: has ", request.entity_ids_size(),
                                " entries; the limit is ", limits.max_timeline_entities));
  }
  for (int i = 0; i < request.entity_ids_size(); ++i) {
    Vertex v;
    if (auto s = Lookup(graph, request.entity_ids(i), absl::StrCat("entity_ids[", i, "]"), &v);
        !s.ok()) {
      return s;
    }
    if (std::find(query->entities.begin(), query->entities.end(), v) != query->entities.end()) {
      return Invalid(absl::StrCat("entity_ids[", i, "]: repeats \"", request.entity_ids(i), "\""));
    }
    query->entities.push_back(v);
  }
  auto window = storage::WindowRange(request.window(), "window");
  if (!window.ok()) return ToGrpc(window.status());
  query->filter.window = *window;
  if (auto s = Types(request.types(), "types", &query->filter); !s.ok()) return s;
  if (auto s = AsOf(request.as_of(), request.has_as_of(), "as_of", &query->filter.as_of); !s.ok()) {
    return s;
  }
  switch (request.granularity()) {
    case v1::GRANULARITY_UNSPECIFIED:
    case v1::GRANULARITY_YEAR:
      query->granularity = graph::Granularity::kYear;
      break;
    case v1::GRANULARITY_MONTH:
      query->granularity = graph::Granularity::kMonth;
      break;
    default:
      return Invalid(absl::StrCat("granularity: unknown granularity ", request.granularity()));
  }
  int32_t max_facts;
  if (auto s = Bounded(request.max_facts(), 10000, 1, limits.max_timeline_facts, "max_facts",
                       &max_facts);
      !s.ok()) {
    return s;
  }
  query->max_facts = static_cast<size_t>(max_facts);
  return grpc::Status::OK;
}

void ToProto(const graph::TimelineBucket& bucket, graph::Granularity granularity,
             v1::TimelineBucket* out) {
  *out->mutable_period() = PeriodOf(bucket.first_day, granularity);
  out->set_fact_count(bucket.facts);
  for (size_t type = 0; type < bucket.by_type.size(); ++type) {
    if (bucket.by_type[type] == 0) continue;
    (*out->mutable_counts_by_type())[v1::FactType_Name(static_cast<v1::FactType>(type))] =
        bucket.by_type[type];
  }
  out->set_goldstein_total(bucket.goldstein_sum);
  out->set_scored_fact_count(bucket.scored_facts);
  out->set_goldstein_mean(bucket.scored_facts == 0
                              ? 0
                              : bucket.goldstein_sum / static_cast<double>(bucket.scored_facts));
}

// Appends a length-delimited field (a message or bytes) to serialized
// protobuf: its tag, its length, then the bytes.
void AppendField(int number, absl::string_view bytes, std::string* out) {
  auto append_varint = [out](uint64_t value) {
    while (value >= 0x80) {
      out->push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out->push_back(static_cast<char>(value));
  };
  append_varint(static_cast<uint64_t>(number) << 3 | 2);  // wire type 2: length-delimited
  append_varint(bytes.size());
  out->append(bytes.data(), bytes.size());
}

// Streams a timeline's answer: its facts, read from the store a page at a
// time (one MultiGet each), then its buckets and its summary, packed into
// messages of about kMessageBytes, since each message costs the server about
// as much as a small call. One message is in flight at a time: the next is
// built when gRPC has taken the one before. Deletes itself when the call
// ends.
//
// The messages are GetTimelineResponses written as bytes: a stored fact
// record is a serialized FactRecord, which is how field `facts` is encoded,
// so records are copied as they are instead of being parsed and serialized
// again (that was a third of a timeline's server CPU).
class TimelineWriter final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  TimelineWriter(grpc::CallbackServerContext* context, const storage::Store* store,
                 std::shared_ptr<const Snapshot> snapshot, const graph::TimelineQuery& query,
                 std::shared_ptr<const graph::Projection> rolled_up)
      : context_(context),
        store_(store),
        snapshot_(std::move(snapshot)),
        rolled_up_(std::move(rolled_up)),
        granularity_(query.granularity),
        as_of_(query.filter.as_of) {}

  void Start(graph::TimelineResult result) {
    result_ = std::move(result);
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  // A message is closed once it holds this many bytes; one fact more may
  // take it past them (a fact record is far smaller than gRPC's 4 MiB
  // default limit on a received message).
  static constexpr size_t kMessageBytes = 256 << 10;
  // Facts read from the store with one MultiGet.
  static constexpr size_t kPageFacts = 256;

  void WriteNext() {
    if (context_->IsCancelled()) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the timeline"));
      return;
    }
    std::string wire;
    while (wire.size() < kMessageBytes && next_fact_ < result_.facts.size()) {
      if (page_next_ == page_.size()) {
        if (auto s = ReadPage(); !s.ok()) {
          Finish(s);
          return;
        }
      }
      AppendField(v1::GetTimelineResponse::kFactsFieldNumber, page_[page_next_++], &wire);
      ++next_fact_;
    }
    v1::TimelineBucket bucket;
    while (wire.size() < kMessageBytes && next_bucket_ < result_.buckets.size()) {
      bucket.Clear();
      ToProto(result_.buckets[next_bucket_++], granularity_, &bucket);
      AppendField(v1::GetTimelineResponse::kBucketsFieldNumber, bucket.SerializeAsString(),
                  &wire);
    }
    const bool last =
        next_fact_ == result_.facts.size() && next_bucket_ == result_.buckets.size();
    if (last) {
      v1::TimelineSummary summary;
      summary.set_total_facts(static_cast<int64_t>(result_.total_facts));
      summary.set_streamed_facts(static_cast<int64_t>(result_.facts.size()));
      summary.set_truncated(result_.facts.size() < result_.total_facts);
      AppendField(v1::GetTimelineResponse::kSummaryFieldNumber, summary.SerializeAsString(),
                  &wire);
    }
    grpc::Slice slice(wire);
    message_ = grpc::ByteBuffer(&slice, 1);
    if (last) {
      StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(&message_);
    }
  }

  // Reads the records of the next kPageFacts facts.
  grpc::Status ReadPage() {
    const size_t end = std::min(result_.facts.size(), next_fact_ + kPageFacts);
    std::vector<std::string> ids;
    ids.reserve(end - next_fact_);
    for (size_t i = next_fact_; i < end; ++i) {
      ids.push_back(snapshot_->fact(result_.facts[i]).IdText());
    }
    auto records = store_->GetSerializedFacts(ids);
    if (!records.ok()) return ToGrpc(records.status());
    if (as_of_ != graph::kNever || rolled_up_ != nullptr) {
      for (size_t i = 0; i < records->size(); ++i) {
        std::string& bytes = (*records)[i];
        v1::FactRecord record;
        if (!record.ParseFromString(bytes)) {
          return grpc::Status(grpc::StatusCode::DATA_LOSS, "a stored fact cannot be parsed");
        }
        // Visible() says these were not retracted as of then: drop any
        // later retraction from the records.
        const bool retraction_hidden = as_of_ != graph::kNever && record.has_retraction();
        if (!retraction_hidden && rolled_up_ == nullptr) continue;
        if (retraction_hidden) record.clear_retraction();
        if (rolled_up_ != nullptr) {
          for (auto& p : graph::RolledUpParticipantsOf(*snapshot_, *rolled_up_,
                                                       result_.facts[next_fact_ + i],
                                                       record.fact())) {
            *record.add_rolled_up_participants() = std::move(p);
          }
        }
        bytes = record.SerializeAsString();
      }
    }
    page_ = std::move(*records);
    page_next_ = 0;
    return grpc::Status::OK;
  }

  grpc::CallbackServerContext* context_;
  const storage::Store* store_;
  std::shared_ptr<const Snapshot> snapshot_;  // keeps the result's fact indexes valid
  std::shared_ptr<const graph::Projection> rolled_up_;  // null unless rolled up
  graph::Granularity granularity_;
  uint32_t as_of_;
  graph::TimelineResult result_;
  size_t next_fact_ = 0, next_bucket_ = 0;
  std::vector<std::string> page_;  // serialized FactRecords
  size_t page_next_ = 0;
  grpc::ByteBuffer message_;
};

}  // namespace

QueryService::QueryService(const graph::LiveGraph* graph, const storage::Store* store,
                           const ServiceLimits& limits)
    : RawService("entente.v1.QueryService"), graph_(graph), store_(store), limits_(limits) {
  ServeCallbackUnary<v1::GetNeighborhoodRequest, v1::GetNeighborhoodResponse>(
      "GetNeighborhood",
      [this](auto* c, auto* q, auto* r) { return AnswerGetNeighborhood(c, q, r); });
  ServeCallbackUnary<v1::FindPathsRequest, v1::FindPathsResponse>(
      "FindPaths", [this](auto* c, auto* q, auto* r) { return AnswerFindPaths(c, q, r); });
  ServeCallbackUnary<v1::GetRelationshipStateRequest, v1::GetRelationshipStateResponse>(
      "GetRelationshipState",
      [this](auto* c, auto* q, auto* r) { return AnswerGetRelationshipState(c, q, r); });
  ServeCallbackUnary<v1::DiffRelationshipRequest, v1::DiffRelationshipResponse>(
      "DiffRelationship",
      [this](auto* c, auto* q, auto* r) { return AnswerDiffRelationship(c, q, r); });
}

grpc::Status QueryService::AnswerGetNeighborhood(grpc::CallbackServerContext* context,
                                                        const v1::GetNeighborhoodRequest* request,
                                                        v1::GetNeighborhoodResponse* response) {
  const auto snapshot = graph_->snapshot();
  graph::NeighborhoodQuery query;
  if (request->entity_ids().empty()) return Invalid("entity_ids: is empty");
  if (request->entity_ids_size() > limits_.max_seeds) {
    return Invalid(absl::StrCat("entity_ids: has ", request->entity_ids_size(),
                                " entries; the limit is ", limits_.max_seeds));
  }
  for (int i = 0; i < request->entity_ids_size(); ++i) {
    Vertex v;
    if (auto s =
            Lookup(*snapshot, request->entity_ids(i), absl::StrCat("entity_ids[", i, "]"), &v);
        !s.ok()) {
      return s;
    }
    query.seeds.push_back(v);
  }
  if (request->hops() < 1 || request->hops() > limits_.max_hops) {
    return Invalid(absl::StrCat("hops: ", request->hops(), " is outside 1..", limits_.max_hops));
  }
  query.hops = request->hops();
  bool roll_up = false;
  if (auto s = ToFilter(request->filter(), &query.filter, &roll_up); !s.ok()) return s;
  const auto rolled_up =
      UseRollUp(*snapshot, roll_up, query.filter.as_of, &query.filter.rolled_up);
  int32_t limit, max_facts;
  if (auto s = Bounded(request->limit(), 100, 1, limits_.max_neighbors, "limit", &limit);
      !s.ok()) {
    return s;
  }
  if (auto s = Bounded(request->max_facts(), 1000, 1, limits_.max_result_facts, "max_facts",
                       &max_facts);
      !s.ok()) {
    return s;
  }
  query.limit = static_cast<size_t>(limit);
  query.max_facts = static_cast<size_t>(max_facts);
  query.deadline = DeadlineOf(context);
  auto result = graph::Neighborhood(*snapshot, query);
  if (!result.ok()) return ToGrpc(result.status());
  std::vector<std::string> ids;
  ids.reserve(result->neighbors.size());
  for (const auto& n : result->neighbors) ids.emplace_back(snapshot->id(n.vertex));
  auto entities = store_->GetEntities(ids);  // for the names: one batched read
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& n = result->neighbors[i];
    auto* out = response->add_neighbors();
    out->set_entity_id(std::move(ids[i]));
    out->set_kind(snapshot->kind(n.vertex));
    out->set_distance(n.distance);
    out->set_fact_count(n.fact_count);
    if (entities.ok() && (*entities)[i]) {
      out->set_name(std::move(*(*entities)[i]->mutable_name()));
    }
  }
  // Each edge reads its fact's FactInfo, most often a cache miss (the fact
  // table is tens of MiB): ask for the next few while converting one.
  constexpr size_t kPrefetchAhead = 8;
  const auto& connections = result->connections;
  for (size_t i = 0; i < connections.size(); ++i) {
    if (i + kPrefetchAhead < connections.size()) {
      __builtin_prefetch(&snapshot->fact(connections[i + kPrefetchAhead].fact));
    }
    const auto& c = connections[i];
    *response->add_facts() = Edge(*snapshot, c.from, c.to, c.fact, rolled_up.get());
  }
  response->set_reached_count(static_cast<int64_t>(result->reached));
  response->set_facts_truncated(result->facts_truncated);
  return grpc::Status::OK;
}

grpc::Status QueryService::AnswerFindPaths(grpc::CallbackServerContext* context,
                                                  const v1::FindPathsRequest* request,
                                                  v1::FindPathsResponse* response) {
  const auto snapshot = graph_->snapshot();
  graph::PathQuery query;
  if (auto s = Lookup(*snapshot, request->from_entity_id(), "from_entity_id", &query.from);
      !s.ok()) {
    return s;
  }
  if (auto s = Lookup(*snapshot, request->to_entity_id(), "to_entity_id", &query.to); !s.ok()) {
    return s;
  }
  bool roll_up = false;
  if (auto s = ToFilter(request->filter(), &query.filter, &roll_up); !s.ok()) return s;
  const auto rolled_up =
      UseRollUp(*snapshot, roll_up, query.filter.as_of, &query.filter.rolled_up);
  int32_t max_hops, facts_per_hop, k;
  if (auto s = Bounded(request->max_hops(), limits_.max_hops, 1, limits_.max_hops, "max_hops",
                       &max_hops);
      !s.ok()) {
    return s;
  }
  if (auto s = Bounded(request->facts_per_hop(), 5, 1, limits_.max_facts_per_hop, "facts_per_hop",
                       &facts_per_hop);
      !s.ok()) {
    return s;
  }
  if (auto s = Bounded(request->k(), 5, 1, limits_.max_k, "k", &k); !s.ok()) return s;
  query.max_hops = max_hops;
  query.facts_per_hop = static_cast<size_t>(facts_per_hop);
  query.deadline = DeadlineOf(context);

  std::vector<graph::Path> paths;
  switch (request->mode()) {
    case v1::PATH_MODE_UNSPECIFIED:
    case v1::PATH_MODE_SHORTEST: {
      auto path = graph::ShortestPath(*snapshot, query);
      if (!path.ok()) return ToGrpc(path.status());
      if (*path) paths.push_back(std::move(**path));
      break;
    }
    case v1::PATH_MODE_K_SHORTEST: {
      auto found = graph::KShortestPaths(*snapshot, query, k);
      if (!found.ok()) return ToGrpc(found.status());
      paths = std::move(*found);
      break;
    }
    case v1::PATH_MODE_TIME_RESPECTING: {
      storage::DayNumber since = query.filter.window.first;
      if (request->has_since()) {
        v1::TimeWindow window;
        *window.mutable_from() = request->since();
        auto range = storage::WindowRange(window, "since");
        if (!range.ok()) {
          std::string message(range.status().message());
          if (message.rfind("since.from", 0) == 0) message = "since" + message.substr(10);
          return Invalid(message);
        }
        since = std::max(since, range->first);
      }
      auto path = graph::TimeRespectingPath(*snapshot, query, since);
      if (!path.ok()) return ToGrpc(path.status());
      if (*path) paths.push_back(std::move(**path));
      break;
    }
    default:
      return Invalid(absl::StrCat("mode: unknown path mode ", request->mode()));
  }
  const bool timed = request->mode() == v1::PATH_MODE_TIME_RESPECTING;
  for (const auto& path : paths) {
    auto* out = response->add_paths();
    for (Vertex v : path.vertices) out->add_entity_ids(std::string(snapshot->id(v)));
    for (const auto& hop : path.hops) {
      auto* h = out->add_hops();
      h->set_from_entity_id(std::string(snapshot->id(hop.from)));
      h->set_to_entity_id(std::string(snapshot->id(hop.to)));
      for (graph::FactIndex f : hop.facts) {
        *h->add_facts() = Edge(*snapshot, hop.from, hop.to, f, rolled_up.get());
      }
      h->set_fact_count(static_cast<int64_t>(hop.fact_count));
      if (timed) *h->mutable_day() = storage::DateOfDay(hop.day);
    }
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* QueryService::GetTimeline(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes) {
  auto snapshot = graph_->snapshot();
  graph::TimelineQuery query;
  v1::GetTimelineRequest request;
  grpc::Status status = ParseRequest(*request_bytes, &request);
  bool roll_up = false;
  if (status.ok()) status = ToTimelineQuery(*snapshot, request, limits_, &query, &roll_up);
  std::shared_ptr<const graph::Projection> rolled_up;
  if (status.ok()) {
    rolled_up = UseRollUp(*snapshot, roll_up, query.filter.as_of, &query.filter.rolled_up);
  }
  absl::StatusOr<graph::TimelineResult> result;
  if (status.ok()) {
    query.deadline = DeadlineOf(context);
    result = graph::Timeline(*snapshot, query);
    if (!result.ok()) status = ToGrpc(result.status());
  }
  auto* writer =
      new TimelineWriter(context, store_, std::move(snapshot), query, std::move(rolled_up));
  if (status.ok()) {
    writer->Start(std::move(*result));
  } else {
    writer->Finish(status);
  }
  return writer;
}

grpc::Status QueryService::AnswerGetRelationshipState(
    grpc::CallbackServerContext* context, const v1::GetRelationshipStateRequest* request,
    v1::GetRelationshipStateResponse* response) {
  const auto snapshot = graph_->snapshot();
  graph::RelationshipQuery query;
  if (auto s = LookupPair(*snapshot, request->entity_id(), request->other_entity_id(), &query);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckDate(request->at(), request->has_at(), "at", &query.day); !s.ok()) return s;
  if (auto s = AsOf(request->as_of(), request->has_as_of(), "as_of", &query.as_of); !s.ok()) {
    return s;
  }
  bool roll_up = false;
  if (auto s = RollsUp(request->roll_up(), "roll_up", &roll_up); !s.ok()) return s;
  const auto rolled_up = UseRollUp(*snapshot, roll_up, query.as_of, &query.rolled_up);
  query.deadline = DeadlineOf(context);
  auto state = graph::RelationshipAt(*snapshot, *store_, query);
  if (!state.ok()) return ToGrpc(state.status());
  ToProto(*state, request->at(), response->mutable_state());
  return grpc::Status::OK;
}

grpc::Status QueryService::AnswerDiffRelationship(grpc::CallbackServerContext* context,
                                                         const v1::DiffRelationshipRequest* request,
                                                         v1::DiffRelationshipResponse* response) {
  const auto snapshot = graph_->snapshot();
  graph::RelationshipQuery query;
  if (auto s = LookupPair(*snapshot, request->entity_id(), request->other_entity_id(), &query);
      !s.ok()) {
    return s;
  }
  storage::DayNumber from_day, to_day;
  if (auto s = CheckDate(request->from(), request->has_from(), "from", &from_day); !s.ok())
    return s;
  if (auto s = CheckDate(request->to(), request->has_to(), "to", &to_day); !s.ok()) return s;
  if (to_day < from_day) return Invalid("to: is before from");
  if (auto s = AsOf(request->as_of(), request->has_as_of(), "as_of", &query.as_of); !s.ok()) {
    return s;
  }
  bool roll_up = false;
  if (auto s = RollsUp(request->roll_up(), "roll_up", &roll_up); !s.ok()) return s;
  const auto rolled_up = UseRollUp(*snapshot, roll_up, query.as_of, &query.rolled_up);
  query.deadline = DeadlineOf(context);
  query.day = from_day;
  auto from = graph::RelationshipAt(*snapshot, *store_, query);
  if (!from.ok()) return ToGrpc(from.status());
  query.day = to_day;
  auto to = graph::RelationshipAt(*snapshot, *store_, query);
  if (!to.ok()) return ToGrpc(to.status());
  const graph::RelationshipDiff diff = graph::DiffStates(*from, *to);
  ToProto(*from, request->from(), response->mutable_from_state());
  ToProto(*to, request->to(), response->mutable_to_state());
  ToProto(diff.agreements, response->mutable_agreements());
  ToProto(diff.memberships, response->mutable_memberships());
  ToProto(diff.deployments, response->mutable_deployments());
  ToProto(diff.trade, response->mutable_trade());
  return grpc::Status::OK;
}

}  // namespace entente::server
