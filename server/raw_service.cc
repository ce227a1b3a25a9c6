#include "server/raw_service.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "storage/validate.h"

namespace entente::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

// Deeper nesting than any Entente message has: the rest is not looked at.
constexpr int kMaxDepth = 32;

// Walks the fields of one serialized message; true when it found a string
// that is not UTF-8 (its path in *found).
bool Walk(const Descriptor& type, absl::string_view wire, const std::string& path, int depth,
          std::string* found) {
  if (depth > kMaxDepth) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  absl::flat_hash_map<int, int> occurrences;  // of repeated fields, for their index
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return false;  // the end, or bytes that are not a message
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (field == nullptr ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    std::string payload;
    if (!in.ReadVarint32(&length) || !in.ReadString(&payload, static_cast<int>(length))) {
      return false;
    }
    std::string name = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->is_repeated()) absl::StrAppend(&name, "[", occurrences[field->number()]++, "]");
    if (field->type() == FieldDescriptor::TYPE_STRING && !storage::IsValidUtf8(payload)) {
      *found = std::move(name);
      return true;
    }
    if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
        Walk(*field->message_type(), payload, name, depth + 1, found)) {
      return true;
    }
  }
}

}  // namespace

std::string FindInvalidUtf8(const Descriptor& type, absl::string_view wire) {
  std::string found;
  Walk(type, wire, "", 0, &found);
  return found;
}

grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request,
                          absl::string_view prefix) {
  grpc::ByteBuffer shared(bytes);  // the same slices; the reader needs its own buffer
  {
    grpc::ProtoBufferReader reader(&shared);
    if (reader.status().ok() && request->ParseFromZeroCopyStream(&reader)) {
      return grpc::Status::OK;
    }
  }
  // Rare, so the bytes are copied to find out what is wrong.
  std::vector<grpc::Slice> slices;
  std::string wire;
  if (bytes.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      wire.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  const std::string field = FindInvalidUtf8(*request->GetDescriptor(), wire);
  if (!field.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat(prefix, field, ": is not valid UTF-8"));
  }
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat(prefix, "request: is not a valid ",
                                   request->GetDescriptor()->full_name(), " message"));
}

}  // namespace entente::server
