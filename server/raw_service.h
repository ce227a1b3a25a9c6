// Services that decode their own requests.
//
// gRPC decodes a request before a handler sees it, and when the bytes do not
// decode — a string field that is not UTF-8 is the common case — the client
// gets INTERNAL (sync API), UNIMPLEMENTED (callback API) or, inside a client
// stream, a silent end of the stream, all without a word on what was wrong.
// RawService serves every method of a generated service from the request
// bytes instead: a request that does not decode gets INVALID_ARGUMENT naming
// the field at fault, and the typed handlers stay as they were.
#ifndef ENTENTE_SERVER_RAW_SERVICE_H_
#define ENTENTE_SERVER_RAW_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"  // CallbackUnaryHandler (clang needs it)
#include "grpcpp/support/method_handler.h"

namespace entente::server {

// Parses `bytes` into `request`. When they do not decode: INVALID_ARGUMENT
// "<prefix><field path>: is not valid UTF-8" for a string that is not, or
// "<prefix>request: is not a valid <message type>" otherwise.
grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request,
                          absl::string_view prefix = {});

// The first string field of `wire` (a serialized `type`) that is not valid
// UTF-8, as a path ("fact.participants[1].entity_id"); empty when there is
// none or the bytes are not a message at all.
std::string FindInvalidUtf8(const google::protobuf::Descriptor& type, absl::string_view wire);

using RawStream = grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;

// The requests of a client stream, decoded one by one.
template <class Request>
class RequestReader {
 public:
  explicit RequestReader(RawStream* stream) : stream_(stream) {}

  // The next request; false at the end of the stream or at a message that
  // does not decode (then status() says which and why).
  bool Read(Request* request) {
    grpc::ByteBuffer bytes;
    if (!status_.ok() || !stream_->Read(&bytes)) return false;
    status_ = ParseRequest(bytes, request, "message " + std::to_string(read_) + ": ");
    ++read_;
    return status_.ok();
  }
  const grpc::Status& status() const { return status_; }

 private:
  RawStream* stream_;
  grpc::Status status_;
  int64_t read_ = 0;
};

// A generated service class (v1::X::Service or v1::X::CallbackService)
// whose methods the derived class serves with the Serve* calls below, from
// its constructor.
template <class Base>
class RawService : public Base {
 protected:
  // `service_name` is the full name ("entente.v1.WriteService").
  explicit RawService(const char* service_name)
      : descriptor_(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service_name)) {}

  // A unary method of a sync service.
  template <class Request, class Response>
  void ServeUnary(const char* method,
                  std::function<grpc::Status(grpc::ServerContext*, const Request*, Response*)>
                      handler) {
    const int index = MethodIndex<Request>(method);
    // Served as a stream of one request and one reply, the way gRPC's own
    // "streamed unary" methods are, so that the bytes reach us undecoded.
    this->MarkMethodStreamed(index, new grpc::internal::TemplatedBidiStreamingHandler<RawStream, false>(
        [handler](grpc::ServerContext* context, RawStream* stream) -> grpc::Status {
          grpc::ByteBuffer bytes;
          if (!stream->Read(&bytes)) {
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request: is missing");
          }
          Request request;
          if (auto s = ParseRequest(bytes, &request); !s.ok()) return s;
          Response response;
          if (auto s = handler(context, &request, &response); !s.ok()) return s;
          return Reply(response, stream);
        }));
  }

  // A client-streaming method of a sync service. The handler sees a message
  // that does not decode as the end of the stream and should return
  // reader->status() (with what it did before); when it replies OK
  // instead, the call still ends with that error.
  template <class Request, class Response>
  void ServeClientStream(
      const char* method,
      std::function<grpc::Status(grpc::ServerContext*, RequestReader<Request>*, Response*)>
          handler) {
    const int index = MethodIndex<Request>(method);
    this->MarkMethodStreamed(index, new grpc::internal::TemplatedBidiStreamingHandler<RawStream, false>(
        [handler](grpc::ServerContext* context, RawStream* stream) -> grpc::Status {
          RequestReader<Request> reader(stream);
          Response response;
          const grpc::Status status = handler(context, &reader, &response);
          if (!status.ok()) return status;
          if (!reader.status().ok()) return reader.status();
          return Reply(response, stream);
        }));
  }

  // A unary method of a callback service; `handler` runs on the gRPC thread
  // that read the request.
  template <class Request, class Response>
  void ServeCallbackUnary(
      const char* method,
      std::function<grpc::Status(grpc::CallbackServerContext*, const Request*, Response*)>
          handler) {
    const int index = MethodIndex<Request>(method);
    this->MarkMethodRawCallback(
        index, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                   [handler](grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes,
                             grpc::ByteBuffer* reply) {
                     Request request;
                     Response response;
                     grpc::Status status = ParseRequest(*bytes, &request);
                     if (status.ok()) status = handler(context, &request, &response);
                     if (status.ok()) status = Serialize(response, reply);
                     grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                     reactor->Finish(status);
                     return reactor;
                   }));
  }

 private:
  // The method's index in the generated service; aborts at start-up when
  // the name or the request type is wrong, a wiring mistake.
  template <class Request>
  int MethodIndex(const char* method) const {
    const auto* found = descriptor_ ? descriptor_->FindMethodByName(method) : nullptr;
    GPR_ASSERT(found != nullptr && found->input_type() == Request::descriptor());
    return found->index();
  }

  static grpc::Status Serialize(const google::protobuf::Message& response,
                                grpc::ByteBuffer* out) {
    bool own_buffer = false;
    return grpc::SerializationTraits<google::protobuf::Message>::Serialize(response, out,
                                                                          &own_buffer);
  }

  static grpc::Status Reply(const google::protobuf::Message& response, RawStream* stream) {
    grpc::ByteBuffer bytes;
    if (auto s = Serialize(response, &bytes); !s.ok()) return s;
    if (!stream->Write(bytes)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away before the reply");
    }
    return grpc::Status::OK;
  }

  const google::protobuf::ServiceDescriptor* descriptor_;
};

}  // namespace entente::server

#endif  // ENTENTE_SERVER_RAW_SERVICE_H_
