// The in-memory graph: a projection of the store's entities (vertices) and
// facts (edges between every pair of a fact's participants) that the
// neighborhood, path, timeline and relationship queries run on.
//
// Each vertex's edges live in Boost.Graph compressed sparse row graphs,
// sorted by the first day of the fact, so a time window is a binary search
// and a contiguous range. Edges are split in three bands by the days their
// fact covers — one day (most events), up to a year, longer (memberships,
// agreements in force) — so a scan starts where the earliest fact of the
// band that could overlap the window would be: at the window for one-day
// facts, a year before it for the second band, at the start for the third.
// An interval that began before a window is never missed.
//
// Readers work on an immutable Snapshot. LiveGraph follows the store's apply
// path and publishes a new snapshot atomically; queries never wait for
// writes and never see half of one. New facts go to a small "recent" layer
// that is rebuilt on each publish and folded into the base layer when it
// grows past a fraction of it.
#ifndef ENTENTE_GRAPH_GRAPH_H_
#define ENTENTE_GRAPH_GRAPH_H_

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "absl/time/time.h"
#include "entente/v1/entity.pb.h"
#include "entente/v1/fact.pb.h"
#include "storage/dates.h"
#include "storage/store.h"

namespace entente::graph {

using Vertex = uint32_t;
using FactIndex = uint32_t;
inline constexpr Vertex kNoVertex = 0xffffffffu;

// Record times are kept as whole seconds since 2000-01-01 UTC, rounded up:
// a fact recorded during second S counts as recorded at the end of S.
uint32_t RecordSecond(absl::Time time);
inline constexpr uint32_t kNever = 0xffffffffu;

// What the queries need of a fact, in 32 bytes.
struct FactInfo {
  storage::DayNumber first_day;
  storage::DayNumber last_day;
  uint32_t record_second;
  uint8_t type;  // a v1::FactType
  // Cooperation (+) or conflict (-) on the Goldstein scale, in tenths.
  int8_t goldstein_tenths;
  // Precision of the start and end dates and the open ends, so that a
  // fact's valid time can be given back without reading the store.
  uint8_t start_precision : 2;
  uint8_t end_precision : 2;
  uint8_t has_end : 1;
  uint8_t open_start : 1;
  uint8_t open_end : 1;
  uint8_t unused = 0;  // padding to 32 bytes
  std::array<uint8_t, 16> id;

  std::string IdText() const;
  v1::TimeSpan ValidTime() const;
  double goldstein() const { return goldstein_tenths / 10.0; }
};

// The graph with every participant of every fact counted as the state it
// stood for on the fact's date (Snapshot::RolledUp). Layout in
// graph/internal/layer.h.
struct Projection;

// Which edges a traversal may use.
struct EdgeFilter {
  storage::DayRange window;  // facts overlapping it
  std::bitset<64> types;     // empty: all types
  std::bitset<8> kinds;      // entity kinds a traversal may enter; empty: all
  uint32_t as_of = kNever;   // record-time cut-off (RecordSecond); kNever: now
  // Non-null: traverse the rolled-up graph instead of the actors' one. It
  // must come from the same snapshot's RolledUp(as_of) and outlive the query.
  const Projection* rolled_up = nullptr;

  bool AllowsType(v1::FactType type) const {
    return types.none() || (type < 64 && types.test(static_cast<size_t>(type)));
  }
};

// Who stood for which state when: AFFILIATION facts (affiliate -> state)
// and ROLE facts whose employer is a STATE (office holder -> state), each
// over its fact's valid time. Layout in graph/internal/layer.h.
struct AffiliationTable;

// An immutable view of the graph. Thread-safe for any number of readers.
class Snapshot {
 public:
  struct Layer;
  Snapshot(std::shared_ptr<const struct VertexTable> vertices,
           std::shared_ptr<const Layer> base, std::shared_ptr<const Layer> recent,
           std::shared_ptr<const absl::flat_hash_map<FactIndex, uint32_t>> retractions,
           std::shared_ptr<const AffiliationTable> affiliations,
           std::shared_ptr<const Projection> rolled_up);
  ~Snapshot();

  size_t vertex_count() const;
  size_t fact_count() const;
  Vertex Find(absl::string_view entity_id) const;  // kNoVertex when absent
  absl::string_view id(Vertex v) const;
  v1::EntityKind kind(Vertex v) const;
  const FactInfo& fact(FactIndex f) const;

  // True when fact `f` was recorded by `as_of` and not retracted by then.
  bool Visible(FactIndex f, uint32_t as_of) const;

  // Calls visit(neighbor, fact) for every edge of `v` that passes `filter`
  // (window, types, as-of; not kinds — callers decide what entering a
  // vertex means). Edges come layer by layer, each in time order.
  template <typename Visit>
  void ForEachEdge(Vertex v, const EdgeFilter& filter, Visit&& visit) const;

  // Edges of `v` in all layers and bands, before any filter; of the
  // rolled-up graph when `rolled_up` is given.
  size_t Degree(Vertex v, const Projection* rolled_up = nullptr) const;

  // The distinct participants of fact `f`, in vertex order.
  absl::Span<const Vertex> participants(FactIndex f) const;

  // The rolled-up graph as the store knew it at `as_of` (kNever: now): the
  // current one unless an affiliation was recorded or retracted after
  // as_of, else one built for the affiliations known then (kept for later
  // queries on this snapshot). Never null.
  std::shared_ptr<const Projection> RolledUp(uint32_t as_of) const;
  // What each of participants(f) counted as in `projection` (same order).
  absl::Span<const Vertex> RolledUpParticipants(const Projection& projection,
                                                FactIndex f) const;
  // True when every participant of `f` (two or more) rolled up to one
  // state: the fact is internal to it.
  bool Internal(const Projection& projection, FactIndex f) const;
  // Affiliation facts recorded or retracted so far.
  size_t affiliation_count() const;

  // Bytes held by the vertex table, the fact tables and the CSR arrays.
  size_t MemoryBytes() const;
  size_t edge_count() const;

 private:
  template <typename Visit>
  void ScanLayer(const struct CsrView (&views)[3], Vertex v, const EdgeFilter& filter,
                 Visit& visit) const;

  std::shared_ptr<const VertexTable> vertices_;
  std::shared_ptr<const Layer> base_;
  std::shared_ptr<const Layer> recent_;
  std::shared_ptr<const absl::flat_hash_map<FactIndex, uint32_t>> retractions_;
  FactIndex base_facts_;
  std::shared_ptr<const AffiliationTable> affiliations_;
  std::shared_ptr<const Projection> rolled_up_;  // as of now
  // Projections as of earlier times, by how many affiliation changes they
  // include; built on demand.
  mutable std::mutex past_mu_;
  mutable std::vector<std::pair<size_t, std::shared_ptr<const Projection>>> past_rolled_up_;
};

// The live graph of a store: built at start, kept current by the store's
// apply listener, read through snapshot().
class LiveGraph {
 public:
  // Reads every entity and fact of `store` and registers the listener that
  // keeps the graph current. The store must outlive the graph; destroying
  // the graph unregisters the listener.
  struct BuildOptions {
    // A graph image written by SaveImage. When it was made from this store,
    // the graph is read from it and brought up to date from the store's log,
    // instead of being built from every fact; otherwise (missing, stale,
    // another database) the graph is built from the facts. Empty: always
    // build from the facts.
    std::string image_path;
  };
  static absl::StatusOr<std::unique_ptr<LiveGraph>> Build(storage::Store& store,
                                                          const BuildOptions& options);
  static absl::StatusOr<std::unique_ptr<LiveGraph>> Build(storage::Store& store) {
    return Build(store, BuildOptions());
  }
  ~LiveGraph();

  // Writes the graph as an image for a later Build (atomically: a crash
  // leaves the previous image or none). Call it with writes stopped, so that
  // the image and the log sequence it records agree — at shutdown. Nothing
  // is written when `path` already holds the graph as it is (read or saved
  // there, nothing logged since); *written says which.
  absl::Status SaveImage(const std::string& path, bool* written = nullptr);

  // The current snapshot; never null.
  std::shared_ptr<const Snapshot> snapshot() const;

  // Makes every write applied so far visible to new snapshots. Writers call
  // it after a request's writes (a stream: every few thousand facts).
  void Publish();

  struct BuildStats {
    absl::Duration build_time;
    size_t facts = 0;
    size_t vertices = 0;
    size_t edges = 0;
    bool from_image = false;
    uint64_t replayed = 0;     // log entries applied on top of the image
    std::string image_note;    // why an image was not used (empty: it was, or none was asked)
  };
  BuildStats build_stats() const { return build_stats_; }

 private:
  LiveGraph();
  void OnApplied(const v1::Mutation& mutation, const storage::ApplyResult& result);
  // Builds the graph from every entity and fact of the store.
  absl::Status ReadFacts(storage::Store& store);
  // Publishes the graph and registers it as the store's apply listener.
  static std::unique_ptr<LiveGraph> Follow(std::unique_ptr<LiveGraph> graph,
                                           storage::Store& store, absl::Time start);
  // Applies a logged mutation, as the apply listener would have.
  void Replay(const v1::Mutation& mutation);
  // Reads the image into the state; false (with the reason in build_stats_)
  // when it cannot be used.
  absl::StatusOr<bool> LoadImage(storage::Store& store, const std::string& path);

  struct State;
  storage::Store* store_ = nullptr;
  std::unique_ptr<State> state_;  // guarded by mu_
  std::mutex mu_;
  // The published snapshot, behind a mutex of its own that is held only to
  // copy or swap the pointer: readers never wait for a Publish (which holds
  // mu_). Not std::atomic<std::shared_ptr>: GCC 12's unlocks its lock bit in
  // load() with a relaxed store, so a load's read of the pointer is not
  // ordered before the next store's write — a data race ThreadSanitizer
  // reports (docs/sanitizers.md).
  mutable std::mutex current_mu_;
  std::shared_ptr<const Snapshot> current_;  // guarded by current_mu_
  BuildStats build_stats_;
  // The image this graph was read from or last saved to, and the log
  // sequence it holds.
  std::string image_path_;
  uint64_t image_log_sequence_ = 0;
};

}  // namespace entente::graph

#include "graph/internal/layer.h"  // IWYU pragma: export (template bodies)

#endif  // ENTENTE_GRAPH_GRAPH_H_
