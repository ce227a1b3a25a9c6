// Private to cli/: the access-control flags (--token-file, --tls-ca,
// --tls-cert, --tls-key) read into the client's options.
#ifndef ENTENTE_CLI_CREDENTIALS_H_
#define ENTENTE_CLI_CREDENTIALS_H_

#include "absl/status/status.h"
#include "cli/cli.h"
#include "client/client.h"

namespace entente::cli {

// Reads the files the global flags in `global` name into `options`: the
// bearer token from --token-file (or the file $ENTENTE_TOKEN_FILE names),
// which holds the token alone; TLS when --tls-ca or --tls-cert is given.
// Errors name the flag and the file, never the token.
absl::Status LoadCredentials(const Args& global, client::ClientOptions* options);

}  // namespace entente::cli

#endif  // ENTENTE_CLI_CREDENTIALS_H_
