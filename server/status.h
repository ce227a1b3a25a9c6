// Conversion of the domain layer's absl::Status to grpc::Status, done once
// at the service edge.
#ifndef ENTENTE_SERVER_STATUS_H_
#define ENTENTE_SERVER_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace entente::server {

// Same code, same message (which names the field at fault).
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace entente::server

#endif  // ENTENTE_SERVER_STATUS_H_
