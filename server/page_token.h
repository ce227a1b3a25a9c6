// Page tokens: the store's resume cursor plus a fingerprint of the request
// that produced it, so a token replayed with different filters is refused
// instead of silently skipping or repeating results.
#ifndef ENTENTE_SERVER_PAGE_TOKEN_H_
#define ENTENTE_SERVER_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace entente::server {

// Fingerprint of `request` with its page_token and page_size fields ignored.
uint64_t RequestFingerprint(const google::protobuf::Message& request);

std::string EncodePageToken(uint64_t fingerprint, const std::string& cursor);
// INVALID_ARGUMENT "page_token: ..." when malformed or from another request.
absl::StatusOr<std::string> DecodePageToken(const std::string& token, uint64_t fingerprint);

}  // namespace entente::server

#endif  // ENTENTE_SERVER_PAGE_TOKEN_H_
