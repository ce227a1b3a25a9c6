// What every service does at the start and end of a call: deadlines,
// cancellation and argument errors.
#ifndef ENTENTE_SERVER_CALL_H_
#define ENTENTE_SERVER_CALL_H_

#include <string>

#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace entente::server {

// The call's deadline; absl::InfiniteFuture() when it has none.
absl::Time DeadlineOf(const grpc::ServerContextBase* context);

// A call whose deadline has passed or whose client went away is not started.
bool Abandoned(const grpc::ServerContextBase* context);
grpc::Status AbandonedStatus();

grpc::Status Invalid(const std::string& message);

}  // namespace entente::server

#endif  // ENTENTE_SERVER_CALL_H_
