#include "server/page_token.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace entente::server {
namespace {

constexpr char kVersion = 1;

uint64_t Fnv1a(const std::string& bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

uint64_t RequestFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* descriptor = copy->GetDescriptor();
  const auto* reflection = copy->GetReflection();
  for (const char* name : {"page_token", "page_size"}) {
    if (const auto* field = descriptor->FindFieldByName(name)) reflection->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&out);
  }
  return Fnv1a(bytes);
}

std::string EncodePageToken(uint64_t fingerprint, const std::string& cursor) {
  std::string raw(1, kVersion);
  for (int shift = 56; shift >= 0; shift -= 8) raw.push_back(static_cast<char>(fingerprint >> shift));
  raw += cursor;
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(const std::string& token, uint64_t fingerprint) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 9 || raw[0] != kVersion) {
    return absl::InvalidArgumentError("page_token: is malformed");
  }
  uint64_t stored = 0;
  for (int i = 1; i <= 8; ++i) stored = (stored << 8) | static_cast<unsigned char>(raw[i]);
  if (stored != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: belongs to a request with other parameters; repeat the request unchanged");
  }
  return raw.substr(9);
}

}  // namespace entente::server
