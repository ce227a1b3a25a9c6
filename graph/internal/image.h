// Private to graph/: the graph image, a file holding a built graph (vertex
// table, fact table, the three edge CSRs, retractions) so that a server
// start reads arrays instead of parsing every fact of the store.
//
// An image names the store it was made from (the store's creation time) and
// the log sequence it includes; whatever the store logged after that is
// replayed on top. The layout is the in-memory one (little-endian x86-64);
// kImageVersion changes whenever it, or what the graph derives from a fact,
// changes, and an image of another version is ignored.
#ifndef ENTENTE_GRAPH_INTERNAL_IMAGE_H_
#define ENTENTE_GRAPH_INTERNAL_IMAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/graph.h"
#include "graph/internal/layer.h"

namespace entente::graph {

// 2: each fact's participants and the affiliation ties (roll-up).
inline constexpr uint32_t kImageVersion = 2;

// An affiliation tie of the base: actor -> state by fact.
struct ImageAffiliation {
  Vertex actor;
  Vertex state;
  FactIndex fact;
};

// Replaying a log entry costs more than building from a fact does: an image
// more than this many entries plus half its facts behind is not worth
// reading.
inline constexpr uint64_t kImageMaxBehind = 1 << 16;

struct GraphImage {
  std::shared_ptr<VertexTable> vertices;
  std::shared_ptr<const Snapshot::Layer> base;
  std::shared_ptr<absl::flat_hash_map<FactIndex, uint32_t>> retractions;
  std::vector<ImageAffiliation> affiliations;
  uint64_t log_sequence = 0;
};

// Writes the image atomically: to a temporary file, synced, then renamed.
absl::Status WriteImage(const std::string& path, const VertexTable& vertices,
                        const Snapshot::Layer& base,
                        const absl::flat_hash_map<FactIndex, uint32_t>& retractions,
                        const std::vector<ImageAffiliation>& affiliations,
                        uint64_t log_sequence, int64_t store_id);

// Reads an image of store `store_id` that includes at most
// `max_log_sequence`. NOT_FOUND when there is none; FAILED_PRECONDITION
// when it belongs to another store or version, is ahead of the store, or is
// too far behind it (kImageMaxBehind; checked before the arrays are read);
// DATA_LOSS when it is truncated or inconsistent.
absl::StatusOr<GraphImage> ReadImage(const std::string& path, int64_t store_id,
                                     uint64_t max_log_sequence);

}  // namespace entente::graph

#endif  // ENTENTE_GRAPH_INTERNAL_IMAGE_H_
