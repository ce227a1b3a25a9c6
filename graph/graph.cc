#include "graph/graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "graph/cameo.h"
#include "graph/internal/image.h"
#include "storage/keys.h"

namespace entente::graph {

Csr CsrFromSortedEdges(const std::vector<std::pair<uint32_t, uint32_t>>& pairs,
                       const std::vector<EdgeProps>& props, uint32_t vertex_count,
                       CsrView* view) {
  // The edges are sorted by source, and within a source by time; the CSR
  // keeps that order, which is what makes a window a contiguous range.
  Csr csr(boost::edges_are_sorted, pairs.begin(), pairs.end(), props.begin(), vertex_count);
  view->rowstart = csr.m_forward.m_rowstart.data();
  view->column = csr.m_forward.m_column.data();
  view->props = num_edges(csr) == 0
                    ? nullptr
                    : &csr[boost::detail::csr_edge_descriptor<uint32_t, uint32_t>(0, 0)];
  view->vertices = vertex_count;
  return csr;
}

namespace {

using google::protobuf::util::TimeUtil;

const absl::Time kRecordEpoch = absl::FromUnixSeconds(946684800);  // 2000-01-01 UTC

// A fact is folded into the base layer once the recent layer holds this many
// facts, or an eighth of the base, whichever is more.
constexpr size_t kMinRecentFacts = 1 << 16;

struct RawEdge {
  Vertex from;
  Vertex to;
  storage::DayNumber first_day;
  FactIndex fact;
};

uint32_t SecondOf(const google::protobuf::Timestamp& t) {
  return RecordSecond(absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t)));
}

Csr MakeCsr(std::vector<RawEdge>& edges, uint32_t vertex_count, CsrView* view) {
  std::sort(edges.begin(), edges.end(), [](const RawEdge& a, const RawEdge& b) {
    if (a.from != b.from) return a.from < b.from;
    if (a.first_day != b.first_day) return a.first_day < b.first_day;
    return a.fact < b.fact;
  });
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  std::vector<EdgeProps> props;
  pairs.reserve(edges.size());
  props.reserve(edges.size());
  for (const auto& e : edges) {
    pairs.emplace_back(e.from, e.to);
    props.push_back({e.first_day, e.fact});
  }
  std::vector<RawEdge>().swap(edges);
  return CsrFromSortedEdges(pairs, props, vertex_count, view);
}

// The ordered pairs a fact links: every pair of distinct participants, both
// ways; a fact with one participant links it to itself, so that it still
// shows in that entity's timeline. An AFFILIATION links nothing: it says
// what an actor is, not what it did, and it shapes the rolled-up graph
// instead. As edges, the open-ended ties of thousands of sector actors
// would sit in their states' longest band, which every scan of a state
// walks whole (time-respecting paths were 15x slower at 10x).
void AddFactEdges(absl::Span<const Vertex> participants, const FactInfo& info, FactIndex index,
                  std::vector<RawEdge> (&bands)[kBandCount]) {
  if (info.type == v1::FACT_TYPE_AFFILIATION) return;
  auto* out = &bands[BandOf(info.first_day, info.last_day)];
  if (participants.size() == 1) {
    out->push_back({participants[0], participants[0], info.first_day, index});
    return;
  }
  for (Vertex a : participants) {
    for (Vertex b : participants) {
      if (a != b) out->push_back({a, b, info.first_day, index});
    }
  }
}

// Builds `layer`'s rolled-up edges: each fact joins the distinct entities
// its participants roll up to (a fact internal to one state is a loop at
// it, like a fact with one participant, so a state's own timeline can list
// it; traversals skip loops).
template <typename Visible>
std::shared_ptr<const RolledLayer> BuildRolled(const Snapshot::Layer& layer,
                                               const VertexTable& vertices,
                                               const AffiliationTable& affiliations,
                                               const Visible& visible) {
  auto rolled = std::make_shared<RolledLayer>();
  const ParticipantLists& lists = layer.participants;
  rolled->rolled.resize(lists.flat.size());
  rolled->internal.assign(lists.size(), 0);
  std::vector<RawEdge> bands[kBandCount];
  std::vector<Vertex> distinct;
  for (size_t i = 0; i < lists.size(); ++i) {
    const FactInfo& info = layer.facts[i];
    const auto participants = lists[i];
    distinct.clear();
    for (size_t k = 0; k < participants.size(); ++k) {
      const Vertex to = affiliations.by_actor.empty()
                            ? participants[k]
                            : RollUpVertex(participants[k], info, vertices, affiliations, visible);
      rolled->rolled[lists.offsets[i] + k] = to;
      distinct.push_back(to);
    }
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (participants.size() >= 2 && distinct.size() == 1) rolled->internal[i] = 1;
    AddFactEdges(distinct, info, layer.first_fact + static_cast<FactIndex>(i), bands);
  }
  const auto n = static_cast<uint32_t>(vertices.size());
  for (int band = 0; band < kBandCount; ++band) {
    rolled->edges[band] = MakeCsr(bands[band], n, &rolled->views[band]);
  }
  return rolled;
}

// The (actor, state) ties a fact makes: an AFFILIATION's affiliate and
// state; a ROLE's office holders and the STATE that employs them (an office
// in an organization ties no one to a state).
std::vector<std::pair<Vertex, Vertex>> AffiliationsOf(const v1::Fact& fact,
                                                      const VertexTable& vertices) {
  std::vector<std::pair<Vertex, Vertex>> ties;
  if (fact.type() != v1::FACT_TYPE_AFFILIATION && fact.type() != v1::FACT_TYPE_ROLE) return ties;
  const bool affiliation = fact.type() == v1::FACT_TYPE_AFFILIATION;
  const auto actor_role =
      affiliation ? v1::PARTICIPANT_ROLE_AFFILIATE : v1::PARTICIPANT_ROLE_OFFICE_HOLDER;
  const auto state_role =
      affiliation ? v1::PARTICIPANT_ROLE_AFFILIATED_STATE : v1::PARTICIPANT_ROLE_EMPLOYER;
  for (const auto& s : fact.participants()) {
    if (s.role() != state_role) continue;
    const Vertex state = vertices.Find(s.entity_id());
    if (state == kNoVertex || vertices.kinds[state] != v1::ENTITY_KIND_STATE) continue;
    for (const auto& a : fact.participants()) {
      if (a.role() != actor_role) continue;
      const Vertex actor = vertices.Find(a.entity_id());
      if (actor != kNoVertex && actor != state &&
          vertices.kinds[actor] != v1::ENTITY_KIND_STATE) {
        ties.emplace_back(actor, state);
      }
    }
  }
  return ties;
}

bool HasEdges(const Snapshot::Layer& layer, Vertex v) {
  for (const CsrView& view : layer.views) {
    if (v < view.vertices && view.rowstart[v + 1] > view.rowstart[v]) return true;
  }
  return false;
}

}  // namespace

uint32_t RecordSecond(absl::Time time) {
  const double seconds = absl::ToDoubleSeconds(time - kRecordEpoch);
  if (seconds <= 0) return 0;
  if (seconds >= 4294967294.0) return kNever - 1;
  return static_cast<uint32_t>(std::ceil(seconds));
}

std::string FactInfo::IdText() const {
  return storage::keys::FactIdToText(
      absl::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

namespace {

v1::Date DateAt(storage::DayNumber day, uint8_t precision) {
  v1::Date date = storage::DateOfDay(day);
  date.set_precision(static_cast<v1::Precision>(precision));
  if (precision == v1::PRECISION_MONTH || precision == v1::PRECISION_YEAR) date.set_day(0);
  if (precision == v1::PRECISION_YEAR) date.set_month(0);
  return date;
}

}  // namespace

v1::TimeSpan FactInfo::ValidTime() const {
  v1::TimeSpan span;
  if (open_start) {
    span.set_open_start(true);
  } else {
    *span.mutable_start() = DateAt(first_day, start_precision);
  }
  if (open_end) {
    span.set_open_end(true);
  } else if (has_end) {
    *span.mutable_end() = DateAt(last_day, end_precision);
  }
  return span;
}

// ---- Snapshot ----

Snapshot::Snapshot(std::shared_ptr<const VertexTable> vertices, std::shared_ptr<const Layer> base,
                   std::shared_ptr<const Layer> recent,
                   std::shared_ptr<const absl::flat_hash_map<FactIndex, uint32_t>> retractions,
                   std::shared_ptr<const AffiliationTable> affiliations,
                   std::shared_ptr<const Projection> rolled_up)
    : vertices_(std::move(vertices)),
      base_(std::move(base)),
      recent_(std::move(recent)),
      retractions_(std::move(retractions)),
      base_facts_(static_cast<FactIndex>(base_->facts.size())),
      affiliations_(std::move(affiliations)),
      rolled_up_(std::move(rolled_up)) {}

Snapshot::~Snapshot() = default;

absl::Span<const Vertex> Snapshot::participants(FactIndex f) const {
  return f < base_facts_ ? base_->participants[f] : recent_->participants[f - base_facts_];
}

absl::Span<const Vertex> Snapshot::RolledUpParticipants(const Projection& projection,
                                                        FactIndex f) const {
  const bool in_base = f < base_facts_;
  const ParticipantLists& lists = in_base ? base_->participants : recent_->participants;
  const RolledLayer& rolled = in_base ? *projection.base : *projection.recent;
  const size_t i = in_base ? f : f - base_facts_;
  return absl::MakeConstSpan(rolled.rolled.data() + lists.offsets[i],
                             lists.offsets[i + 1] - lists.offsets[i]);
}

bool Snapshot::Internal(const Projection& projection, FactIndex f) const {
  return f < base_facts_ ? projection.base->internal[f] != 0
                         : projection.recent->internal[f - base_facts_] != 0;
}

size_t Snapshot::affiliation_count() const { return affiliations_->facts; }

std::shared_ptr<const Projection> Snapshot::RolledUp(uint32_t as_of) const {
  const auto& changes = affiliations_->change_seconds;
  if (as_of == kNever || changes.empty() || as_of >= changes.back()) return rolled_up_;
  // The affiliations visible as of `as_of` are those of the first `epoch`
  // changes: every as_of between two changes shares one projection.
  const size_t epoch =
      static_cast<size_t>(std::upper_bound(changes.begin(), changes.end(), as_of) -
                          changes.begin());
  std::lock_guard lock(past_mu_);
  for (const auto& [e, projection] : past_rolled_up_) {
    if (e == epoch) return projection;
  }
  auto visible = [&](FactIndex f) { return Visible(f, as_of); };
  auto projection = std::make_shared<Projection>();
  projection->base = BuildRolled(*base_, *vertices_, *affiliations_, visible);
  if (recent_ != nullptr) {
    projection->recent = BuildRolled(*recent_, *vertices_, *affiliations_, visible);
  }
  // A few past times are asked again and again (a notebook's as-of
  // comparison); keep the latest four.
  if (past_rolled_up_.size() >= 4) past_rolled_up_.erase(past_rolled_up_.begin());
  past_rolled_up_.emplace_back(epoch, projection);
  return projection;
}

size_t Snapshot::vertex_count() const { return vertices_->size(); }
size_t Snapshot::fact_count() const {
  return base_->facts.size() + (recent_ ? recent_->facts.size() : 0);
}

Vertex Snapshot::Find(absl::string_view entity_id) const {
  return vertices_->Find(entity_id);
}

absl::string_view Snapshot::id(Vertex v) const { return vertices_->Id(v); }
v1::EntityKind Snapshot::kind(Vertex v) const {
  return static_cast<v1::EntityKind>(vertices_->kinds[v]);
}

size_t Snapshot::edge_count() const {
  size_t edges = 0;
  for (const Layer* layer : {base_.get(), recent_.get()}) {
    if (layer == nullptr) continue;
    for (const Csr& csr : layer->edges) edges += num_edges(csr);
  }
  return edges;
}

size_t Snapshot::MemoryBytes() const {
  auto layer_bytes = [](const Layer& layer) {
    size_t bytes = layer.facts.capacity() * sizeof(FactInfo);
    for (const Csr& csr : layer.edges) {
      bytes += csr.m_forward.m_rowstart.capacity() * sizeof(uint32_t) +
               csr.m_forward.m_column.capacity() * sizeof(Vertex) +
               num_edges(csr) * sizeof(EdgeProps);
    }
    return bytes;
  };
  auto participant_bytes = [](const Layer& layer) {
    return layer.participants.flat.capacity() * sizeof(Vertex) +
           layer.participants.offsets.capacity() * sizeof(uint32_t);
  };
  auto rolled_bytes = [](const RolledLayer* layer) {
    if (layer == nullptr) return size_t{0};
    size_t bytes = layer->rolled.capacity() * sizeof(Vertex) + layer->internal.capacity();
    for (const Csr& csr : layer->edges) {
      bytes += csr.m_forward.m_rowstart.capacity() * sizeof(uint32_t) +
               csr.m_forward.m_column.capacity() * sizeof(Vertex) +
               num_edges(csr) * sizeof(EdgeProps);
    }
    return bytes;
  };
  size_t bytes = layer_bytes(*base_) + (recent_ ? layer_bytes(*recent_) : 0);
  bytes += participant_bytes(*base_) + (recent_ ? participant_bytes(*recent_) : 0);
  bytes += rolled_bytes(rolled_up_->base.get()) + rolled_bytes(rolled_up_->recent.get());
  bytes += vertices_->chars.capacity() + vertices_->offsets.capacity() * sizeof(uint32_t);
  bytes += vertices_->kinds.capacity();
  bytes += vertices_->index.capacity() * (sizeof(Vertex) + 1);
  return bytes;
}

// ---- LiveGraph ----

struct LiveGraph::State {
  std::shared_ptr<VertexTable> vertices;  // copied before a change once published
  bool vertices_published = false;
  std::shared_ptr<const Snapshot::Layer> base;
  // Facts recorded since the base was built, with their participants.
  std::vector<FactInfo> recent_facts;
  ParticipantLists recent_participants;
  std::shared_ptr<absl::flat_hash_map<FactIndex, uint32_t>> retractions;
  bool retractions_published = false;
  std::shared_ptr<AffiliationTable> affiliations = std::make_shared<AffiliationTable>();
  bool affiliations_published = false;
  // The base's rolled-up edges, for the base they were built from; stale
  // once an affiliation of an actor with base facts changed.
  std::shared_ptr<const RolledLayer> base_rolled;
  const Snapshot::Layer* base_rolled_for = nullptr;
  bool base_rolled_stale = false;
  bool dirty = false;

  AffiliationTable& MutableAffiliations() {
    if (affiliations_published) {
      affiliations = std::make_shared<AffiliationTable>(*affiliations);
      affiliations_published = false;
    }
    return *affiliations;
  }

  // Notes the ties fact `index` makes; an actor whose base facts now roll
  // up differently makes the base's rolled-up edges stale.
  void AddAffiliations(const v1::Fact& fact, const FactInfo& info, FactIndex index) {
    const auto ties = AffiliationsOf(fact, *vertices);
    if (ties.empty()) return;
    AffiliationTable& table = MutableAffiliations();
    for (const auto& [actor, state] : ties) {
      table.Add(actor, {info.first_day, info.last_day, state, index});
      if (base != nullptr && HasEdges(*base, actor)) base_rolled_stale = true;
    }
    table.AddChange(info.record_second);
    ++table.facts;
  }

  // After fact `index` was retracted at `second`: when it was an
  // affiliation, answers from then on roll up without it.
  void RetractAffiliation(FactIndex index, uint32_t second) {
    // Callers pass AFFILIATION and ROLE facts only; retractions of those are
    // rare, so the ties are searched, not indexed by fact.
    bool found = false;
    for (const auto& [actor, spans] : affiliations->by_actor) {
      for (const AffiliationSpan& span : spans) {
        if (span.fact != index) continue;
        found = true;
        if (base != nullptr && HasEdges(*base, actor)) base_rolled_stale = true;
      }
    }
    if (found) MutableAffiliations().AddChange(second);
  }

  std::shared_ptr<const RolledLayer> Rolled(const Snapshot::Layer& layer) const {
    const auto* retracted = retractions.get();
    return BuildRolled(layer, *vertices, *affiliations,
                       [retracted](FactIndex f) { return !retracted->contains(f); });
  }

  VertexTable& MutableVertices() {
    if (vertices_published) {
      vertices = std::make_shared<VertexTable>(*vertices);
      vertices_published = false;
    }
    return *vertices;
  }

  Vertex AddVertex(const v1::Entity& entity) {
    const Vertex known = vertices->Find(entity.id());
    if (known != kNoVertex) {
      if (vertices->kinds[known] != entity.kind()) {
        MutableVertices().kinds[known] = static_cast<uint8_t>(entity.kind());
        // Whether it is a state decides how its facts roll up.
        if (base != nullptr && HasEdges(*base, known)) base_rolled_stale = true;
      }
      return known;
    }
    return MutableVertices().Add(entity.id(), entity.kind());
  }

  // Appends a fact's participants as distinct vertices; the store
  // guarantees they exist.
  void AddParticipants(const v1::Fact& fact, ParticipantLists* lists) const {
    const size_t first = lists->flat.size();
    for (const auto& p : fact.participants()) {
      const Vertex v = vertices->Find(p.entity_id());
      if (v != kNoVertex) lists->flat.push_back(v);
    }
    auto begin = lists->flat.begin() + static_cast<ptrdiff_t>(first);
    std::sort(begin, lists->flat.end());
    lists->flat.erase(std::unique(begin, lists->flat.end()), lists->flat.end());
    lists->offsets.push_back(static_cast<uint32_t>(lists->flat.size()));
  }

  std::shared_ptr<const Snapshot::Layer> BuildLayer(
      FactIndex first_fact, std::vector<FactInfo> facts,
      const ParticipantLists& participants,
      const Snapshot::Layer* carry_edges_from) const {
    auto layer = std::make_shared<Snapshot::Layer>();
    layer->first_fact = first_fact;
    std::vector<RawEdge> bands[kBandCount];
    if (carry_edges_from != nullptr) {
      // Folding: keep the old base's edges (facts keep their indices).
      for (int band = 0; band < kBandCount; ++band) {
        const Csr& csr = carry_edges_from->edges[band];
        for (Vertex v = 0; v < num_vertices(csr); ++v) {
          for (auto [e, end] = out_edges(v, csr); e != end; ++e) {
            bands[band].push_back({v, target(*e, csr), csr[*e].first_day, csr[*e].fact});
          }
        }
      }
    }
    const FactIndex offset = carry_edges_from != nullptr
                                 ? static_cast<FactIndex>(carry_edges_from->facts.size())
                                 : 0;
    for (size_t i = 0; i < participants.size(); ++i) {
      AddFactEdges(participants[i], facts[i], first_fact + offset + static_cast<FactIndex>(i),
                   bands);
    }
    if (carry_edges_from != nullptr) {
      std::vector<FactInfo> all = carry_edges_from->facts;
      all.insert(all.end(), facts.begin(), facts.end());
      facts = std::move(all);
      layer->participants = carry_edges_from->participants;
    }
    layer->participants.Append(participants);
    layer->participants.flat.shrink_to_fit();
    layer->participants.offsets.shrink_to_fit();
    layer->facts = std::move(facts);
    layer->facts.shrink_to_fit();
    const auto n = static_cast<uint32_t>(vertices->size());
    for (int band = 0; band < kBandCount; ++band) {
      layer->edges[band] = MakeCsr(bands[band], n, &layer->views[band]);
    }
    return layer;
  }
};

LiveGraph::LiveGraph() : state_(std::make_unique<State>()) {}
LiveGraph::~LiveGraph() {
  if (store_ != nullptr) store_->SetApplyListener(nullptr);
}

namespace {

FactInfo InfoOf(const v1::FactRecord& record) {
  const v1::Fact& fact = record.fact();
  FactInfo info{};
  const storage::DayRange range = storage::SpanRange(fact.valid_time());
  info.first_day = range.first;
  info.last_day = range.last;
  info.record_second = SecondOf(record.record_time());
  info.type = static_cast<uint8_t>(fact.type());
  info.goldstein_tenths =
      static_cast<int8_t>(std::lround(GoldsteinOf(fact.type(), fact.cameo_code()) * 10));
  const auto& span = fact.valid_time();
  info.start_precision = static_cast<uint8_t>(span.start().precision());
  info.end_precision = static_cast<uint8_t>(span.end().precision());
  info.has_end = span.has_end();
  info.open_start = span.open_start();
  info.open_end = span.open_end();
  // The id is 32 hex digits (the store wrote it); decode without allocating.
  const std::string& text = fact.id();
  auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < info.id.size() && 2 * i + 1 < text.size(); ++i) {
    info.id[i] = static_cast<uint8_t>(hex(text[2 * i]) << 4 | hex(text[2 * i + 1]));
  }
  return info;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiveGraph>> LiveGraph::Build(storage::Store& store,
                                                            const BuildOptions& options) {
  const absl::Time start = absl::Now();
  std::unique_ptr<LiveGraph> graph(new LiveGraph());
  if (!options.image_path.empty()) {
    auto loaded = graph->LoadImage(store, options.image_path);
    if (!loaded.ok()) return loaded.status();
    if (*loaded) return Follow(std::move(graph), store, start);
  }
  if (auto s = graph->ReadFacts(store); !s.ok()) return s;
  return Follow(std::move(graph), store, start);
}

absl::Status LiveGraph::ReadFacts(storage::Store& store) {
  State& state = *state_;
  state.vertices = std::make_shared<VertexTable>();
  state.retractions = std::make_shared<absl::flat_hash_map<FactIndex, uint32_t>>();
  if (auto s = store.ForEachEntity([&](const v1::Entity& e) {
        state.AddVertex(e);
        return true;
      });
      !s.ok()) {
    return s;
  }
  std::vector<FactInfo> facts;
  ParticipantLists participants;
  std::vector<std::pair<FactIndex, uint32_t>> retracted;
  if (auto s = store.ForEachFact([&](const v1::FactRecord& record) {
        if (record.has_retraction()) {
          retracted.emplace_back(static_cast<FactIndex>(facts.size()),
                                 SecondOf(record.retraction().retract_time()));
        }
        facts.push_back(InfoOf(record));
        state.AddParticipants(record.fact(), &participants);
        state.AddAffiliations(record.fact(), facts.back(),
                              static_cast<FactIndex>(facts.size() - 1));
        if (record.has_retraction() && !AffiliationsOf(record.fact(), *state.vertices).empty()) {
          state.RetractAffiliation(static_cast<FactIndex>(facts.size() - 1),
                                   SecondOf(record.retraction().retract_time()));
        }
        return true;
      });
      !s.ok()) {
    return s;
  }
  for (const auto& [f, second] : retracted) (*state.retractions)[f] = second;
  state.base = state.BuildLayer(0, std::move(facts), participants, nullptr);
  state.dirty = true;
  return absl::OkStatus();
}

std::unique_ptr<LiveGraph> LiveGraph::Follow(std::unique_ptr<LiveGraph> graph,
                                             storage::Store& store, absl::Time start) {
  graph->Publish();
  // Register only now: writes before this point are already in the graph.
  graph->store_ = &store;
  store.SetApplyListener([g = graph.get()](const v1::Mutation& m, const storage::ApplyResult& r) {
    g->OnApplied(m, r);
  });
  auto snapshot = graph->snapshot();
  BuildStats& stats = graph->build_stats_;
  stats.build_time = absl::Now() - start;
  stats.facts = snapshot->fact_count();
  stats.vertices = snapshot->vertex_count();
  stats.edges = snapshot->edge_count();
  return graph;
}

namespace {

int64_t StoreId(const storage::Store& store) {
  return absl::ToUnixNanos(store.create_time());
}

}  // namespace

absl::StatusOr<bool> LiveGraph::LoadImage(storage::Store& store, const std::string& path) {
  auto image = ReadImage(path, StoreId(store), store.LogSequence());
  if (!image.ok()) {
    // Only a store failure is an error; an unusable image means a full build.
    build_stats_.image_note = std::string(image.status().message());
    return false;
  }
  State& state = *state_;
  state.vertices = std::move(image->vertices);
  state.base = std::move(image->base);
  state.retractions = std::move(image->retractions);
  state.affiliations = std::make_shared<AffiliationTable>();
  for (const ImageAffiliation& tie : image->affiliations) {
    const FactInfo& info = state.base->facts[tie.fact];
    state.affiliations->Add(tie.actor, {info.first_day, info.last_day, tie.state, tie.fact});
  }
  {
    // Changes: each affiliation fact's record second, and its retraction's.
    absl::flat_hash_set<FactIndex> seen;
    for (const ImageAffiliation& tie : image->affiliations) {
      if (!seen.insert(tie.fact).second) continue;
      ++state.affiliations->facts;
      state.affiliations->AddChange(state.base->facts[tie.fact].record_second);
      if (auto r = state.retractions->find(tie.fact); r != state.retractions->end()) {
        state.affiliations->AddChange(r->second);
      }
    }
  }
  state.dirty = true;
  build_stats_.from_image = true;
  uint64_t replayed = 0;
  auto s = store.ForEachLogEntry(image->log_sequence, [&](uint64_t, const v1::Mutation& m) {
    Replay(m);
    ++replayed;
    return true;
  });
  if (!s.ok()) return s;
  build_stats_.replayed = replayed;
  if (replayed == 0) {
    image_path_ = path;
    image_log_sequence_ = image->log_sequence;
  }
  return true;
}

void LiveGraph::Replay(const v1::Mutation& mutation) {
  storage::ApplyResult result;
  result.changed = true;
  result.created = true;
  switch (mutation.change_case()) {
    case v1::Mutation::kUpsertEntity:
      result.entity = mutation.upsert_entity();
      break;
    case v1::Mutation::kRecordFact:
      // The log holds the fact as its writer gave it; the id is derived.
      *result.fact.mutable_fact() = mutation.record_fact();
      result.fact.mutable_fact()->set_id(storage::Store::FactIdOf(mutation.record_fact()));
      *result.fact.mutable_record_time() = mutation.record_time();
      break;
    case v1::Mutation::kRetractFact:
      result.id = mutation.retract_fact().fact_id();
      *result.fact.mutable_retraction()->mutable_retract_time() = mutation.record_time();
      break;
    default:
      return;
  }
  OnApplied(mutation, result);
}

absl::Status LiveGraph::SaveImage(const std::string& path, bool* written) {
  if (written != nullptr) *written = false;
  if (store_ == nullptr) return absl::FailedPreconditionError("the graph follows no store");
  std::lock_guard lock(mu_);
  const uint64_t log_sequence = store_->LogSequence();
  std::error_code ec;
  if (path == image_path_ && log_sequence == image_log_sequence_ &&
      std::filesystem::exists(path, ec)) {
    return absl::OkStatus();
  }
  State& state = *state_;
  if (!state.recent_facts.empty()) {
    // The image holds one layer: fold the recent facts into the base.
    state.base = state.BuildLayer(0, std::move(state.recent_facts), state.recent_participants,
                                  state.base.get());
    state.recent_facts.clear();
    state.recent_participants.clear();
    state.dirty = true;
  }
  std::vector<ImageAffiliation> ties;
  for (const auto& [actor, spans] : state.affiliations->by_actor) {
    for (const AffiliationSpan& span : spans) ties.push_back({actor, span.state, span.fact});
  }
  std::sort(ties.begin(), ties.end(), [](const ImageAffiliation& a, const ImageAffiliation& b) {
    return std::tie(a.fact, a.actor, a.state) < std::tie(b.fact, b.actor, b.state);
  });
  if (auto s = WriteImage(path, *state.vertices, *state.base, *state.retractions, ties,
                         log_sequence, StoreId(*store_));
      !s.ok()) {
    return s;
  }
  image_path_ = path;
  image_log_sequence_ = log_sequence;
  if (written != nullptr) *written = true;
  return absl::OkStatus();
}

std::shared_ptr<const Snapshot> LiveGraph::snapshot() const {
  std::lock_guard lock(current_mu_);
  return current_;
}

void LiveGraph::OnApplied(const v1::Mutation& mutation, const storage::ApplyResult& result) {
  std::lock_guard lock(mu_);
  State& state = *state_;
  if (mutation.has_upsert_entity()) {
    const size_t before = state.vertices->size();
    state.AddVertex(result.entity);
    state.dirty = state.dirty || state.vertices->size() != before || !state.vertices_published;
  } else if (mutation.has_record_fact() && result.created) {
    state.recent_facts.push_back(InfoOf(result.fact));
    state.AddParticipants(result.fact.fact(), &state.recent_participants);
    state.AddAffiliations(
        result.fact.fact(), state.recent_facts.back(),
        static_cast<FactIndex>(state.base->facts.size() + state.recent_facts.size() - 1));
    state.dirty = true;
  } else if (mutation.has_retract_fact() && result.changed) {
    auto binary = storage::keys::FactIdFromText(result.id);
    if (!binary) return;
    auto matches = [&](const FactInfo& info) {
      return std::memcmp(info.id.data(), binary->data(), info.id.size()) == 0;
    };
    // Retractions are rare; a linear search keeps an id index out of memory.
    std::optional<FactIndex> index;
    const auto& base_facts = state.base->facts;
    for (size_t i = 0; i < base_facts.size() && !index; ++i) {
      if (matches(base_facts[i])) index = static_cast<FactIndex>(i);
    }
    for (size_t i = 0; i < state.recent_facts.size() && !index; ++i) {
      if (matches(state.recent_facts[i])) index = static_cast<FactIndex>(base_facts.size() + i);
    }
    if (!index) return;
    if (state.retractions_published) {
      state.retractions =
          std::make_shared<absl::flat_hash_map<FactIndex, uint32_t>>(*state.retractions);
      state.retractions_published = false;
    }
    const uint32_t second = SecondOf(result.fact.retraction().retract_time());
    (*state.retractions)[*index] = second;
    const FactInfo& info = *index < base_facts.size()
                               ? base_facts[*index]
                               : state.recent_facts[*index - base_facts.size()];
    if (info.type == v1::FACT_TYPE_AFFILIATION || info.type == v1::FACT_TYPE_ROLE) {
      state.RetractAffiliation(*index, second);
    }
    state.dirty = true;
  }
}

void LiveGraph::Publish() {
  std::lock_guard lock(mu_);
  State& state = *state_;
  if (!state.dirty) return;
  std::shared_ptr<const Snapshot::Layer> recent;
  const size_t fold_at = std::max(kMinRecentFacts, state.base->facts.size() / 8);
  if (state.recent_facts.size() >= fold_at) {
    state.base = state.BuildLayer(0, std::move(state.recent_facts), state.recent_participants,
                                  state.base.get());
    state.recent_facts.clear();
    state.recent_participants.clear();
  } else if (!state.recent_facts.empty()) {
    recent = state.BuildLayer(static_cast<FactIndex>(state.base->facts.size()),
                              state.recent_facts, state.recent_participants, nullptr);
  }
  if (recent == nullptr && state.base->views[kOneDay].vertices < state.vertices->size()) {
    // New vertices without facts yet: an empty recent layer covers them.
    recent = state.BuildLayer(static_cast<FactIndex>(state.base->facts.size()), {}, {}, nullptr);
  }
  auto rolled_up = std::make_shared<Projection>();
  if (state.base_rolled == nullptr || state.base_rolled_stale ||
      state.base_rolled_for != state.base.get()) {
    state.base_rolled = state.Rolled(*state.base);
    state.base_rolled_for = state.base.get();
    state.base_rolled_stale = false;
  }
  rolled_up->base = state.base_rolled;
  if (recent != nullptr) rolled_up->recent = state.Rolled(*recent);
  state.vertices_published = true;
  state.retractions_published = true;
  state.affiliations_published = true;
  auto next = std::make_shared<const Snapshot>(state.vertices, state.base, recent,
                                               state.retractions, state.affiliations,
                                               std::move(rolled_up));
  {
    std::lock_guard current_lock(current_mu_);
    next.swap(current_);
  }
  // `next` now holds the previous snapshot; when it was the last reference
  // it is freed here, outside current_mu_.
  state.dirty = false;
}

}  // namespace entente::graph
