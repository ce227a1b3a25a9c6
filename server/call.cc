#include "server/call.h"

#include <chrono>

#include "absl/time/clock.h"
#include "server/status.h"

namespace entente::server {

absl::Time DeadlineOf(const grpc::ServerContextBase* context) {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

bool Abandoned(const grpc::ServerContextBase* context) {
  return context->IsCancelled() || absl::Now() > DeadlineOf(context);
}

grpc::Status AbandonedStatus() {
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "the call's deadline passed or it was cancelled before it could run");
}

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, BoundedMessage(message));
}

}  // namespace entente::server
