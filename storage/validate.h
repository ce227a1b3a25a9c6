// Structural checks of what callers ask the store to keep. Each returns OK or
// INVALID_ARGUMENT whose message starts with the offending field's path
// ("fact.valid_time.end: ends (2001) before it starts (2002-03)").
// References to other records (does entity X exist?) are checked by the
// store when it applies a mutation.
#ifndef ENTENTE_STORAGE_VALIDATE_H_
#define ENTENTE_STORAGE_VALIDATE_H_

#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "entente/v1/entity.pb.h"
#include "entente/v1/fact.pb.h"
#include "entente/v1/source.pb.h"

namespace entente::storage {

// Size limits on stored records; requests over them are rejected.
struct RecordLimits {
  static constexpr size_t kMaxIdBytes = 128;
  static constexpr size_t kMaxNameBytes = 256;
  static constexpr size_t kMaxAliases = 64;
  static constexpr size_t kMaxTextBytes = 4096;
  static constexpr size_t kMaxParticipants = 64;
  static constexpr size_t kMaxQuantities = 32;
  static constexpr size_t kMaxAttributes = 32;
  static constexpr size_t kMaxClaimants = 16;
  static constexpr size_t kMaxClauses = 32;
};

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points past U+10FFFF).
bool IsValidUtf8(absl::string_view s);

// An id is 1..128 bytes of [A-Za-z0-9_.:#/-].
absl::Status ValidateId(absl::string_view id, absl::string_view field);
absl::Status ValidateEntity(const v1::Entity& entity, absl::string_view field);
absl::Status ValidateSource(const v1::Source& source, absl::string_view field);
// Does not look at `fact.id`, which the store derives.
absl::Status ValidateFact(const v1::Fact& fact, absl::string_view field);

// The AFFILIATION of `affiliate_id` with the state `state_id` over `span`,
// in the shape ValidateFact accepts; provenance and the rest are the
// caller's.
v1::Fact AffiliationFact(absl::string_view affiliate_id, absl::string_view state_id,
                         v1::TimeSpan span);
// An open span at both ends: an affiliation that holds whenever the actor
// appears (an ICEWS name "Military (Russia)" says so by itself).
v1::TimeSpan Always();

}  // namespace entente::storage

#endif  // ENTENTE_STORAGE_VALIDATE_H_
