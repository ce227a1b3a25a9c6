// Session: the connection, output and entity lookups a command works with.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "google/protobuf/util/json_util.h"

namespace entente::cli {
namespace {

// "IRN (Iran, STATE)".
std::string DescribeCandidate(const v1::Entity& entity) {
  return absl::StrCat(entity.id(), " (", entity.name(), ", ", KindName(entity.kind()), ")");
}

}  // namespace

Session::Session(std::string server, bool json, std::ostream& out, std::ostream& err,
                 bool err_is_terminal, client::ClientOptions options)
    : server_(std::move(server)),
      json_(json),
      out_(out),
      err_(err),
      err_is_terminal_(err_is_terminal),
      options_(options) {}

client::Client& Session::client() {
  if (client_ == nullptr) client_ = client::Client::Connect(server_, options_);
  return *client_;
}

int Session::UsageError(const Command& command, absl::string_view message) {
  return CommandUsageError(err_, command, message);
}

int Session::CallFailed(const Command& command, const absl::Status& status) {
  err_ << "entente " << command.name << ": ";
  if (status.code() == absl::StatusCode::kUnavailable) err_ << "cannot reach " << server_ << ": ";
  err_ << absl::StatusCodeToString(status.code()) << ": " << status.message();
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    err_ << " (give the token with --token-file FILE or ENTENTE_TOKEN_FILE)";
  }
  err_ << "\n";
  return kExitFailed;
}

void Session::PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;  // a count of 0 is an answer
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    err_ << "entente: cannot print the response as JSON: " << status.ToString() << "\n";
    return;
  }
  out_ << json << "\n";
}

int Session::ResolveEntity(const Command& command, const std::string& text, std::string* id) {
  if (text.empty()) return UsageError(command, "an entity argument is empty");
  auto matches = client().Resolve(text, 20);
  if (!matches.ok()) return CallFailed(command, matches.status());
  std::vector<const v1::Entity*> exact;
  std::set<std::string> seen;
  for (const v1::EntityMatch& match : *matches) {
    Remember(match.entity());
    if (match.match_kind() != v1::MATCH_KIND_EXACT) continue;
    // An entity's own id wins over others that merely have it as a name.
    if (match.entity().id() == text) {
      *id = text;
      return kExitOk;
    }
    if (seen.insert(match.entity().id()).second) exact.push_back(&match.entity());
  }
  if (exact.size() == 1) {
    *id = exact[0]->id();
    return kExitOk;
  }
  if (exact.size() > 1) {
    return UsageError(
        command, absl::StrCat("\"", text, "\" names ", exact.size(), " entities: ",
                              absl::StrJoin(exact, ", ",
                                            [](std::string* out, const v1::Entity* entity) {
                                              out->append(DescribeCandidate(*entity));
                                            }),
                              "; give one of the ids"));
  }
  // Ids are not always among the names (ICEWS actors' slugs).
  if (FindEntity(text) != nullptr) {
    *id = text;
    return kExitOk;
  }
  std::string message = absl::StrCat("no entity is called \"", text, "\"");
  if (!matches->empty()) {
    absl::StrAppend(&message, "; names starting so: ",
                    absl::StrJoin(*matches, ", ", [](std::string* out, const v1::EntityMatch& m) {
                      out->append(DescribeCandidate(m.entity()));
                    }));
  }
  return UsageError(command, message);
}

const v1::Entity* Session::FindEntity(const std::string& id) {
  auto it = entities_.find(id);
  if (it != entities_.end()) return it->second.get();
  auto entity = client().GetEntity(id);
  // A failed call may succeed later; an unknown id stays unknown.
  if (!entity.ok() && entity.status().code() != absl::StatusCode::kNotFound) return nullptr;
  it = entities_
           .emplace(id, entity.ok() ? std::make_unique<v1::Entity>(std::move(*entity)) : nullptr)
           .first;
  return it->second.get();
}

std::string Session::NameOf(const std::string& id) {
  const v1::Entity* entity = FindEntity(id);
  return entity == nullptr || entity->name().empty() ? id : entity->name();
}

void Session::Remember(const v1::Entity& entity) {
  auto& slot = entities_[entity.id()];
  if (slot == nullptr) slot = std::make_unique<v1::Entity>(entity);
}

}  // namespace entente::cli
