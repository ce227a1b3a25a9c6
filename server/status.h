// Conversion of the domain layer's absl::Status to grpc::Status, done once
// at the service edge.
#ifndef ENTENTE_SERVER_STATUS_H_
#define ENTENTE_SERVER_STATUS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace entente::server {

// Same code, same message (which names the field at fault), bounded by
// BoundedMessage.
grpc::Status ToGrpc(const absl::Status& status);

// Messages echo what the caller sent ("unknown entity \"...\""), which may be
// megabytes or not UTF-8: a status message travels in a header, which gRPC
// limits to 8 KiB, and clients decode it as UTF-8. The message cut to at
// most kMaxStatusMessageBytes (on a character boundary, marked with "...")
// and each byte that is not part of valid UTF-8 written as \xNN.
inline constexpr size_t kMaxStatusMessageBytes = 1000;
std::string BoundedMessage(absl::string_view message);

}  // namespace entente::server

#endif  // ENTENTE_SERVER_STATUS_H_
