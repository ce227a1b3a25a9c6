#include "cli/credentials.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace entente::cli {
namespace {

absl::StatusOr<std::string> ReadFlagFile(const std::string& flag, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": is empty (give a file)"));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read \"", path, "\": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::Status LoadCredentials(const Args& global, client::ClientOptions* options) {
  std::string flag = "--token-file";
  std::string path = global.Value(flag);
  if (!global.Has(flag)) {
    const char* from_env = std::getenv("ENTENTE_TOKEN_FILE");
    flag = "ENTENTE_TOKEN_FILE";
    path = from_env == nullptr ? "" : from_env;
  }
  if (global.Has("--token-file") || !path.empty()) {
    auto text = ReadFlagFile(flag, path);
    if (!text.ok()) return text.status();
    const absl::string_view token = absl::StripAsciiWhitespace(*text);
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": \"", path, "\" holds no token"));
    }
    for (char c : token) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) || !absl::ascii_isprint(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": \"", path, "\" holds more than a token (the file holds the "
                         "token alone, not a line of the server's tokens file)"));
      }
    }
    options->bearer_token = std::string(token);
  }
  if (global.Has("--tls-cert") != global.Has("--tls-key")) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: the client certificate chain and its key");
  }
  if (global.Has("--tls-ca") || global.Has("--tls-cert")) options->tls = true;
  for (auto [name, field] : {std::pair{"--tls-ca", &options->tls_root_certs},
                             std::pair{"--tls-cert", &options->tls_cert_chain},
                             std::pair{"--tls-key", &options->tls_private_key}}) {
    if (!global.Has(name)) continue;
    auto text = ReadFlagFile(name, global.Value(name));
    if (!text.ok()) return text.status();
    *field = std::move(*text);
  }
  return absl::OkStatus();
}

}  // namespace entente::cli
