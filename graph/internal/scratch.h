// Private to graph/: per-thread working memory for traversals. Arrays are
// sized once per thread and "cleared" by bumping an epoch, so a query
// allocates nothing in proportion to the graph.
#ifndef ENTENTE_GRAPH_INTERNAL_SCRATCH_H_
#define ENTENTE_GRAPH_INTERNAL_SCRATCH_H_

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace entente::graph::internal {

// A map from dense indices to T whose reset costs O(1).
template <typename T>
class StampedArray {
 public:
  void Reset(size_t size) {
    if (stamps_.size() < size) {
      stamps_.resize(size, 0);
      values_.resize(size);
    }
    if (++epoch_ == 0) {  // wrapped: clear for real
      std::fill(stamps_.begin(), stamps_.end(), 0);
      epoch_ = 1;
    }
  }
  bool Has(size_t i) const { return stamps_[i] == epoch_; }
  T& Set(size_t i, const T& value) {
    stamps_[i] = epoch_;
    return values_[i] = value;
  }
  T& Get(size_t i) { return values_[i]; }
  const T& Get(size_t i) const { return values_[i]; }

 private:
  std::vector<uint32_t> stamps_;
  std::vector<T> values_;
  uint32_t epoch_ = 0;
};

struct VisitState {
  int32_t distance;
  uint32_t count;
  Vertex parent;
  FactIndex parent_fact;
};

struct TimeLabel {
  storage::DayNumber day;
  int32_t hops;
  Vertex parent;
  FactIndex fact;
};

struct Scratch {
  StampedArray<VisitState> visit;
  StampedArray<VisitState> visit_from_target;  // the backward half of a path search
  StampedArray<TimeLabel> time;
  StampedArray<uint8_t> blocked;  // vertices a path search may not enter
  StampedArray<uint8_t> seen_facts;
  StampedArray<uint32_t> hop_facts;  // facts from one vertex to each neighbor
  std::vector<Vertex> touched;
  std::vector<Vertex> frontier;
  std::vector<Vertex> frontier_from_target;
  std::vector<Vertex> next;
};

// This thread's scratch space.
Scratch& ThreadScratch();

// Checks a deadline at the first call and every 1024th after, so that hot
// loops stay cheap and a query whose deadline has passed before it starts
// does no work.
class DeadlineCheck {
 public:
  explicit DeadlineCheck(absl::Time deadline) : deadline_(deadline) {}
  bool Expired() {
    if (calls_++ % 1024 != 0 || deadline_ == absl::InfiniteFuture()) return false;
    return absl::Now() > deadline_;
  }
  // Reads the clock now: for loops whose every round is long.
  bool ExpiredNow() const {
    return deadline_ != absl::InfiniteFuture() && absl::Now() > deadline_;
  }

 private:
  absl::Time deadline_;
  uint64_t calls_ = 0;
};

}  // namespace entente::graph::internal

#endif  // ENTENTE_GRAPH_INTERNAL_SCRATCH_H_
