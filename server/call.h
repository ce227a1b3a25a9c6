// What every service does at the start and end of a call: deadlines,
// cancellation, argument errors, and finishing a callback-API unary call.
#ifndef ENTENTE_SERVER_CALL_H_
#define ENTENTE_SERVER_CALL_H_

#include <string>

#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace entente::server {

// The call's deadline; absl::InfiniteFuture() when it has none.
absl::Time DeadlineOf(const grpc::ServerContextBase* context);

// A call whose deadline has passed or whose client went away is not started.
bool Abandoned(const grpc::ServerContextBase* context);
grpc::Status AbandonedStatus();

grpc::Status Invalid(const std::string& message);

// Answers a callback-API unary call with what `handler` returns (a
// grpc::Status, the response filled in). The handler runs at once on the
// gRPC thread that read the request, so a call costs no thread hand-off.
template <typename Handler>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, Handler&& handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(handler());
  return reactor;
}

}  // namespace entente::server

#endif  // ENTENTE_SERVER_CALL_H_
