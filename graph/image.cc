#include "graph/internal/image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace entente::graph {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'E', 'N', 'T', 'G', 'R', 'A', 'P', 'H'};

struct ImageHeader {
  char magic[8];
  uint32_t version;
  uint32_t fact_info_bytes;  // sizeof(FactInfo): a layout check
  uint64_t log_sequence;
  int64_t store_id;
  uint64_t vertices;
  uint64_t id_bytes;
  uint64_t facts;
  uint64_t retractions;
  uint64_t participant_slots;  // participants of all facts together
  uint64_t affiliations;
  uint64_t band_vertices[kBandCount];
  uint64_t band_edges[kBandCount];
};
static_assert(std::is_trivially_copyable_v<ImageHeader>);
static_assert(std::is_trivially_copyable_v<FactInfo>);
static_assert(std::is_trivially_copyable_v<EdgeProps>);
static_assert(std::is_trivially_copyable_v<ImageAffiliation>);

using Retraction = std::pair<FactIndex, uint32_t>;

// The bytes the arrays after the header take.
uint64_t BodyBytes(const ImageHeader& h) {
  uint64_t bytes = h.id_bytes + (h.vertices + 1) * sizeof(uint32_t) + h.vertices +
                   h.facts * sizeof(FactInfo) + h.retractions * sizeof(Retraction) +
                   (h.facts + 1) * sizeof(uint32_t) + h.participant_slots * sizeof(Vertex) +
                   h.affiliations * sizeof(ImageAffiliation);
  for (int band = 0; band < kBandCount; ++band) {
    bytes += (h.band_vertices[band] + 1) * sizeof(uint32_t) +
             h.band_edges[band] * (sizeof(Vertex) + sizeof(EdgeProps));
  }
  return bytes;
}

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {}
  ~Writer() {
    if (file_ != nullptr) std::fclose(file_);
  }
  bool ok() const { return file_ != nullptr && ok_; }
  void Write(const void* data, size_t bytes) {
    if (ok() && bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes) ok_ = false;
  }
  template <typename T>
  void WriteArray(const T* data, size_t count) {
    Write(data, count * sizeof(T));
  }
  // Flushes and syncs the file to disk, then closes it.
  bool Close() {
    if (file_ == nullptr) return false;
    ok_ = ok_ && std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
    ok_ = std::fclose(file_) == 0 && ok_;
    file_ = nullptr;
    return ok_;
  }

 private:
  std::string path_;
  std::FILE* file_;
  bool ok_ = true;
};

class Reader {
 public:
  explicit Reader(const std::string& path) : file_(std::fopen(path.c_str(), "rb")) {}
  ~Reader() {
    if (file_ != nullptr) std::fclose(file_);
  }
  bool open() const { return file_ != nullptr; }
  bool Read(void* data, size_t bytes) {
    return bytes == 0 || (file_ != nullptr && std::fread(data, 1, bytes, file_) == bytes);
  }
  template <typename T>
  bool ReadArray(std::vector<T>* out, uint64_t count) {
    out->resize(count);
    return Read(out->data(), count * sizeof(T));
  }

 private:
  std::FILE* file_;
};

absl::Status Truncated(const std::string& path) {
  return absl::DataLossError(absl::StrCat("graph image ", path, " is truncated"));
}

}  // namespace

absl::Status WriteImage(const std::string& path, const VertexTable& vertices,
                        const Snapshot::Layer& base,
                        const absl::flat_hash_map<FactIndex, uint32_t>& retractions,
                        const std::vector<ImageAffiliation>& affiliations,
                        uint64_t log_sequence, int64_t store_id) {
  ImageHeader header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.version = kImageVersion;
  header.fact_info_bytes = sizeof(FactInfo);
  header.log_sequence = log_sequence;
  header.store_id = store_id;
  header.vertices = vertices.size();
  header.id_bytes = vertices.chars.size();
  header.facts = base.facts.size();
  header.retractions = retractions.size();
  header.participant_slots = base.participants.flat.size();
  header.affiliations = affiliations.size();
  for (int band = 0; band < kBandCount; ++band) {
    header.band_vertices[band] = base.views[band].vertices;
    header.band_edges[band] = num_edges(base.edges[band]);
  }
  std::vector<Retraction> retracted(retractions.begin(), retractions.end());

  const std::string temporary = path + ".tmp";
  Writer out(temporary);
  out.Write(&header, sizeof(header));
  out.Write(vertices.chars.data(), vertices.chars.size());
  out.WriteArray(vertices.offsets.data(), vertices.offsets.size());
  out.WriteArray(vertices.kinds.data(), vertices.kinds.size());
  out.WriteArray(base.facts.data(), base.facts.size());
  out.WriteArray(retracted.data(), retracted.size());
  out.WriteArray(base.participants.offsets.data(), base.participants.offsets.size());
  out.WriteArray(base.participants.flat.data(), base.participants.flat.size());
  out.WriteArray(affiliations.data(), affiliations.size());
  for (int band = 0; band < kBandCount; ++band) {
    const CsrView& view = base.views[band];
    out.WriteArray(view.rowstart, view.vertices + 1);
    out.WriteArray(view.column, header.band_edges[band]);
    out.WriteArray(view.props, header.band_edges[band]);
  }
  if (!out.Close()) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return absl::InternalError(absl::StrCat("cannot write the graph image ", temporary, ": ",
                                            std::strerror(errno)));
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", temporary, " to ", path, ": ", ec.message()));
  }
  // Make the rename itself durable.
  const int dir = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<GraphImage> ReadImage(const std::string& path, int64_t store_id,
                                     uint64_t max_log_sequence) {
  std::error_code ec;
  const uint64_t file_bytes = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("no graph image at ", path));
  Reader in(path);
  ImageHeader h;
  if (!in.open()) return absl::NotFoundError(absl::StrCat("cannot open the graph image ", path));
  if (!in.Read(&h, sizeof(h))) return Truncated(path);
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0 || h.version != kImageVersion ||
      h.fact_info_bytes != sizeof(FactInfo)) {
    return absl::FailedPreconditionError(
        absl::StrCat("graph image ", path, " is of another format version"));
  }
  if (h.store_id != store_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("graph image ", path, " was made from another database"));
  }
  if (h.log_sequence > max_log_sequence) {
    return absl::FailedPreconditionError(absl::StrCat(
        "graph image ", path, " includes log entry ", h.log_sequence,
        " but the database ends at ", max_log_sequence));
  }
  const uint64_t behind = max_log_sequence - h.log_sequence;
  if (behind > kImageMaxBehind + h.facts / 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("the graph image is ", behind, " log entries behind"));
  }
  if (file_bytes != sizeof(h) + BodyBytes(h)) return Truncated(path);

  GraphImage image;
  image.log_sequence = h.log_sequence;
  image.vertices = std::make_shared<VertexTable>();
  VertexTable& vertices = *image.vertices;
  vertices.chars.resize(h.id_bytes);
  if (!in.Read(vertices.chars.data(), h.id_bytes) ||
      !in.ReadArray(&vertices.offsets, h.vertices + 1) ||
      !in.ReadArray(&vertices.kinds, h.vertices)) {
    return Truncated(path);
  }
  for (uint64_t v = 0; v < h.vertices; ++v) {
    if (vertices.offsets[v] > vertices.offsets[v + 1]) {
      return absl::DataLossError(absl::StrCat("graph image ", path, ": bad vertex table"));
    }
  }
  if (vertices.offsets.front() != 0 || vertices.offsets.back() != h.id_bytes) {
    return absl::DataLossError(absl::StrCat("graph image ", path, ": bad vertex table"));
  }
  vertices.index.reserve(h.vertices);
  for (Vertex v = 0; v < h.vertices; ++v) vertices.index.insert(v);

  auto layer = std::make_shared<Snapshot::Layer>();
  std::vector<Retraction> retracted;
  if (!in.ReadArray(&layer->facts, h.facts) || !in.ReadArray(&retracted, h.retractions)) {
    return Truncated(path);
  }
  image.retractions = std::make_shared<absl::flat_hash_map<FactIndex, uint32_t>>(
      retracted.begin(), retracted.end());
  auto& lists = layer->participants;
  if (!in.ReadArray(&lists.offsets, h.facts + 1) ||
      !in.ReadArray(&lists.flat, h.participant_slots) ||
      !in.ReadArray(&image.affiliations, h.affiliations)) {
    return Truncated(path);
  }
  bool participants_consistent =
      lists.offsets.front() == 0 && lists.offsets.back() == h.participant_slots;
  for (uint64_t f = 0; f < h.facts && participants_consistent; ++f) {
    participants_consistent = lists.offsets[f] <= lists.offsets[f + 1];
  }
  for (Vertex v : lists.flat) participants_consistent = participants_consistent && v < h.vertices;
  for (const ImageAffiliation& tie : image.affiliations) {
    participants_consistent = participants_consistent && tie.actor < h.vertices &&
                              tie.state < h.vertices && tie.fact < h.facts;
  }
  if (!participants_consistent) {
    return absl::DataLossError(absl::StrCat("graph image ", path, ": bad participant table"));
  }

  std::vector<uint32_t> rowstart;
  std::vector<Vertex> column;
  std::vector<EdgeProps> props;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  for (int band = 0; band < kBandCount; ++band) {
    const uint64_t n = h.band_vertices[band];
    const uint64_t edges = h.band_edges[band];
    if (n > h.vertices || !in.ReadArray(&rowstart, n + 1) || !in.ReadArray(&column, edges) ||
        !in.ReadArray(&props, edges)) {
      return Truncated(path);
    }
    pairs.clear();
    pairs.reserve(edges);
    bool consistent = rowstart.front() == 0 && rowstart.back() == edges;
    for (uint32_t v = 0; v < n && consistent; ++v) {
      consistent = rowstart[v] <= rowstart[v + 1];
      for (uint32_t e = rowstart[v]; e < rowstart[v + 1] && consistent; ++e) {
        consistent = column[e] < n && props[e].fact < h.facts;
        pairs.emplace_back(v, column[e]);
      }
    }
    if (!consistent) {
      return absl::DataLossError(absl::StrCat("graph image ", path, ": bad edge table"));
    }
    layer->edges[band] =
        CsrFromSortedEdges(pairs, props, static_cast<uint32_t>(n), &layer->views[band]);
  }
  image.base = std::move(layer);
  return image;
}

}  // namespace entente::graph
