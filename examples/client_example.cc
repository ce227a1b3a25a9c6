// The C++ client in a few lines (README "C++"): how did Iran-Russia ties
// evolve from 2001 to 2025? Usage: entente_client_example [HOST:PORT]
#include <iostream>

#include "client/client.h"

int main(int argc, char** argv) {
  auto client = entente::client::Client::Connect(argc > 1 ? argv[1] : "127.0.0.1:50051");
  auto matches = client->Resolve("Tehran");  // -> IRN, an exact alias match
  if (!matches.ok() || matches->empty()) {
    std::cerr << "resolve: " << matches.status() << "\n";
    return 1;
  }
  entente::v1::GetTimelineRequest request;
  request.add_entity_ids(matches->front().entity().id());
  request.add_entity_ids("RUS");
  request.mutable_window()->mutable_from()->set_year(2001);
  request.mutable_window()->mutable_to()->set_year(2025);
  auto timeline = client->GetTimeline(request);  // the stream, merged
  if (!timeline.ok()) {
    std::cerr << "timeline: " << timeline.status() << "\n";  // code and message, field named
    return 1;
  }
  for (const auto& bucket : timeline->buckets()) {
    std::cout << bucket.period().year() << "  " << bucket.fact_count() << " facts, Goldstein mean "
              << bucket.goldstein_mean() << "\n";
  }
  return 0;
}
