#include "server/status.h"

#include <string>

#include "absl/strings/str_format.h"
#include "storage/validate.h"

namespace entente::server {
namespace {

// The length of the UTF-8 character that starts `text`, or 0 when it does
// not start with a valid one.
size_t CharacterLength(absl::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  const size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || length > text.size()) return 0;
  return storage::IsValidUtf8(text.substr(0, length)) ? length : 0;
}

}  // namespace

std::string BoundedMessage(absl::string_view message) {
  std::string out;
  // Stops one past the bound: enough to know the message does not fit.
  while (!message.empty() && out.size() <= kMaxStatusMessageBytes) {
    const size_t length = CharacterLength(message);
    if (length == 0) {
      out += absl::StrFormat("\\x%02X", static_cast<unsigned char>(message[0]));
      message.remove_prefix(1);
    } else {
      out.append(message.data(), length);
      message.remove_prefix(length);
    }
  }
  if (out.size() <= kMaxStatusMessageBytes && message.empty()) return out;
  // `out` is valid UTF-8 now: cut before a character's first byte.
  size_t cut = kMaxStatusMessageBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out += "...";
  return out;
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      BoundedMessage(status.message()));
}

}  // namespace entente::server
