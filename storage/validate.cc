#include "storage/validate.h"

#include <cmath>
#include <set>

#include "absl/strings/string_view.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/dates.h"

namespace entente::storage {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

std::string Indexed(absl::string_view field, size_t i) {
  return absl::StrCat(field, "[", i, "]");
}


// Text fields: valid UTF-8, no control characters but tab, bounded size.
absl::Status ValidateText(absl::string_view text, absl::string_view field, size_t max_bytes,
                          bool required) {
  if (required && absl::StripAsciiWhitespace(text).empty()) return Invalid(field, "is empty");
  if (text.size() > max_bytes) {
    return Invalid(field, absl::StrCat("is ", text.size(), " bytes; the limit is ", max_bytes));
  }
  if (!IsValidUtf8(text)) return Invalid(field, "is not valid UTF-8");
  for (char c : text) {
    if (static_cast<uint8_t>(c) < 0x20 && c != '\t') {
      return Invalid(field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOptionalId(absl::string_view id, absl::string_view field) {
  return id.empty() ? absl::OkStatus() : ValidateId(id, field);
}

bool IsSnakeCase(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) return false;
  }
  return true;
}

absl::Status ValidateAgreement(const v1::AgreementDetails& agreement, absl::string_view field) {
  if (auto s = ValidateText(agreement.agreement_type(), absl::StrCat(field, ".agreement_type"),
                            RecordLimits::kMaxNameBytes, false);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateText(agreement.term(), absl::StrCat(field, ".term"),
                            RecordLimits::kMaxNameBytes, false);
      !s.ok()) {
    return s;
  }
  if (!v1::AgreementStatus_IsValid(agreement.status())) {
    return Invalid(absl::StrCat(field, ".status"),
                   absl::StrCat("unknown agreement status ", agreement.status()));
  }
  if (agreement.clauses_size() > static_cast<int>(RecordLimits::kMaxClauses)) {
    return Invalid(absl::StrCat(field, ".clauses"), "has too many entries");
  }
  for (int i = 0; i < agreement.clauses_size(); ++i) {
    const auto& clause = agreement.clauses(i);
    const std::string at = Indexed(absl::StrCat(field, ".clauses"), i);
    if (!IsSnakeCase(clause.name())) {
      return Invalid(absl::StrCat(at, ".name"), "must be non-empty snake_case");
    }
    if (clause.presence() == v1::CLAUSE_PRESENCE_UNSPECIFIED ||
        !v1::ClausePresence_IsValid(clause.presence())) {
      return Invalid(absl::StrCat(at, ".presence"), "must be PRESENT or ABSENT");
    }
    if (auto s = ValidateText(clause.note(), absl::StrCat(at, ".note"),
                              RecordLimits::kMaxTextBytes, false);
        !s.ok()) {
      return s;
    }
  }
  if (agreement.has_signing_date()) {
    return ValidateDate(agreement.signing_date(), absl::StrCat(field, ".signing_date"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and code points beyond Unicode.
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::Status ValidateId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return Invalid(field, "is empty");
  if (id.size() > RecordLimits::kMaxIdBytes) {
    return Invalid(field, absl::StrCat("is ", id.size(), " bytes; the limit is ",
                                       RecordLimits::kMaxIdBytes));
  }
  for (char c : id) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '.' || c == ':' || c == '#' || c == '/' ||
          c == '-')) {
      return Invalid(field, "may contain only letters, digits and _ . : # / -");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEntity(const v1::Entity& entity, absl::string_view field) {
  if (auto s = ValidateId(entity.id(), absl::StrCat(field, ".id")); !s.ok()) return s;
  if (entity.kind() == v1::ENTITY_KIND_UNSPECIFIED || !v1::EntityKind_IsValid(entity.kind())) {
    return Invalid(absl::StrCat(field, ".kind"),
                   absl::StrCat("unknown or missing entity kind ", entity.kind()));
  }
  if (auto s = ValidateText(entity.name(), absl::StrCat(field, ".name"),
                            RecordLimits::kMaxNameBytes, true);
      !s.ok()) {
    return s;
  }
  if (entity.aliases_size() > static_cast<int>(RecordLimits::kMaxAliases)) {
    return Invalid(absl::StrCat(field, ".aliases"),
                   absl::StrCat("has ", entity.aliases_size(), " entries; the limit is ",
                                RecordLimits::kMaxAliases));
  }
  for (int i = 0; i < entity.aliases_size(); ++i) {
    if (auto s = ValidateText(entity.aliases(i), Indexed(absl::StrCat(field, ".aliases"), i),
                              RecordLimits::kMaxNameBytes, true);
        !s.ok()) {
      return s;
    }
  }
  if (auto s = ValidateText(entity.description(), absl::StrCat(field, ".description"),
                            RecordLimits::kMaxTextBytes, false);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateOptionalId(entity.state_id(), absl::StrCat(field, ".state_id")); !s.ok()) {
    return s;
  }
  if (entity.state_id() == entity.id()) {
    return Invalid(absl::StrCat(field, ".state_id"), "names the entity itself");
  }
  if (entity.has_agreement()) {
    if (entity.kind() != v1::ENTITY_KIND_AGREEMENT) {
      return Invalid(absl::StrCat(field, ".agreement"), "is set on an entity that is no AGREEMENT");
    }
    return ValidateAgreement(entity.agreement(), absl::StrCat(field, ".agreement"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSource(const v1::Source& source, absl::string_view field) {
  if (auto s = ValidateId(source.id(), absl::StrCat(field, ".id")); !s.ok()) return s;
  if (auto s = ValidateText(source.title(), absl::StrCat(field, ".title"),
                            RecordLimits::kMaxTextBytes, true);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateText(source.publisher(), absl::StrCat(field, ".publisher"),
                            RecordLimits::kMaxNameBytes, false);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateText(source.location(), absl::StrCat(field, ".location"),
                            RecordLimits::kMaxTextBytes, false);
      !s.ok()) {
    return s;
  }
  if (source.has_published()) {
    return ValidateDate(source.published(), absl::StrCat(field, ".published"));
  }
  return absl::OkStatus();
}

namespace {

bool IsAffiliationRole(v1::ParticipantRole role) {
  return role == v1::PARTICIPANT_ROLE_AFFILIATE || role == v1::PARTICIPANT_ROLE_AFFILIATED_STATE;
}

// An AFFILIATION ties one actor to one state, and its two roles mean
// nothing in any other fact. Entity kinds are checked by the store.
absl::Status ValidateAffiliationShape(const v1::Fact& fact, const std::string& participants) {
  if (fact.type() != v1::FACT_TYPE_AFFILIATION) {
    for (int i = 0; i < fact.participants_size(); ++i) {
      if (IsAffiliationRole(fact.participants(i).role())) {
        return Invalid(absl::StrCat(Indexed(participants, i), ".role"),
                       absl::StrCat(v1::ParticipantRole_Name(fact.participants(i).role()),
                                    " belongs to AFFILIATION facts only"));
      }
    }
    return absl::OkStatus();
  }
  if (fact.participants_size() != 2) {
    return Invalid(participants,
                   absl::StrCat("an AFFILIATION has exactly two participants (one AFFILIATE, "
                                "one AFFILIATED_STATE); this one has ",
                                fact.participants_size()));
  }
  int affiliates = 0, states = 0;
  for (int i = 0; i < 2; ++i) {
    const auto role = fact.participants(i).role();
    if (!IsAffiliationRole(role)) {
      return Invalid(absl::StrCat(Indexed(participants, i), ".role"),
                     "an AFFILIATION's participants are one AFFILIATE and one AFFILIATED_STATE");
    }
    (role == v1::PARTICIPANT_ROLE_AFFILIATE ? affiliates : states)++;
  }
  if (affiliates != 1 || states != 1) {
    return Invalid(absl::StrCat(Indexed(participants, 1), ".role"),
                   "an AFFILIATION's participants are one AFFILIATE and one AFFILIATED_STATE");
  }
  if (fact.participants(0).entity_id() == fact.participants(1).entity_id()) {
    return Invalid(absl::StrCat(Indexed(participants, 1), ".entity_id"),
                   "an entity cannot be affiliated with itself");
  }
  return absl::OkStatus();
}

}  // namespace

v1::Fact AffiliationFact(absl::string_view affiliate_id, absl::string_view state_id,
                         v1::TimeSpan span) {
  v1::Fact fact;
  fact.set_type(v1::FACT_TYPE_AFFILIATION);
  auto* affiliate = fact.add_participants();
  affiliate->set_entity_id(std::string(affiliate_id));
  affiliate->set_role(v1::PARTICIPANT_ROLE_AFFILIATE);
  auto* state = fact.add_participants();
  state->set_entity_id(std::string(state_id));
  state->set_role(v1::PARTICIPANT_ROLE_AFFILIATED_STATE);
  *fact.mutable_valid_time() = std::move(span);
  return fact;
}

v1::TimeSpan Always() {
  v1::TimeSpan span;
  span.set_open_start(true);
  span.set_open_end(true);
  return span;
}

absl::Status ValidateFact(const v1::Fact& fact, absl::string_view field) {
  if (fact.type() == v1::FACT_TYPE_UNSPECIFIED || !v1::FactType_IsValid(fact.type())) {
    return Invalid(absl::StrCat(field, ".type"),
                   absl::StrCat("unknown or missing fact type ", fact.type()));
  }
  if (fact.cameo_code().size() > 4) {
    return Invalid(absl::StrCat(field, ".cameo_code"), "has more than 4 digits");
  }
  for (char c : fact.cameo_code()) {
    if (!absl::ascii_isdigit(c)) {
      return Invalid(absl::StrCat(field, ".cameo_code"), "must contain digits only");
    }
  }
  const std::string participants = absl::StrCat(field, ".participants");
  if (fact.participants().empty()) return Invalid(participants, "is empty");
  if (fact.participants_size() > static_cast<int>(RecordLimits::kMaxParticipants)) {
    return Invalid(participants, absl::StrCat("has ", fact.participants_size(),
                                              " entries; the limit is ",
                                              RecordLimits::kMaxParticipants));
  }
  std::set<std::pair<absl::string_view, int>> seen;
  for (int i = 0; i < fact.participants_size(); ++i) {
    const auto& p = fact.participants(i);
    const std::string at = Indexed(participants, i);
    if (auto s = ValidateId(p.entity_id(), absl::StrCat(at, ".entity_id")); !s.ok()) return s;
    if (p.role() == v1::PARTICIPANT_ROLE_UNSPECIFIED || !v1::ParticipantRole_IsValid(p.role())) {
      return Invalid(absl::StrCat(at, ".role"),
                     absl::StrCat("unknown or missing participant role ", p.role()));
    }
    if (!seen.emplace(p.entity_id(), p.role()).second) {
      return Invalid(at, absl::StrCat("repeats ", p.entity_id(), " in the same role"));
    }
  }
  if (auto s = ValidateAffiliationShape(fact, participants); !s.ok()) return s;
  if (!fact.has_valid_time()) return Invalid(absl::StrCat(field, ".valid_time"), "is missing");
  if (auto s = ValidateTimeSpan(fact.valid_time(), absl::StrCat(field, ".valid_time")); !s.ok()) {
    return s;
  }
  const std::string quantities = absl::StrCat(field, ".quantities");
  if (fact.quantities_size() > static_cast<int>(RecordLimits::kMaxQuantities)) {
    return Invalid(quantities, "has too many entries");
  }
  for (int i = 0; i < fact.quantities_size(); ++i) {
    const auto& q = fact.quantities(i);
    const std::string at = Indexed(quantities, i);
    if (!IsSnakeCase(q.measure())) {
      return Invalid(absl::StrCat(at, ".measure"), "must be non-empty snake_case");
    }
    if (!std::isfinite(q.value())) return Invalid(absl::StrCat(at, ".value"), "is not finite");
    if (auto s = ValidateText(q.unit(), absl::StrCat(at, ".unit"), RecordLimits::kMaxNameBytes,
                              false);
        !s.ok()) {
      return s;
    }
    if (!v1::QuantityQualifier_IsValid(q.qualifier())) {
      return Invalid(absl::StrCat(at, ".qualifier"), absl::StrCat("unknown qualifier ",
                                                                  q.qualifier()));
    }
    if (q.has_period()) {
      if (auto s = ValidateTimeSpan(q.period(), absl::StrCat(at, ".period")); !s.ok()) return s;
    }
    if (auto s = ValidateText(q.baseline(), absl::StrCat(at, ".baseline"),
                              RecordLimits::kMaxNameBytes, false);
        !s.ok()) {
      return s;
    }
  }
  const std::string attributes = absl::StrCat(field, ".attributes");
  if (fact.attributes_size() > static_cast<int>(RecordLimits::kMaxAttributes)) {
    return Invalid(attributes, "has too many entries");
  }
  for (const auto& [key, value] : fact.attributes()) {
    if (!IsSnakeCase(key)) {
      return Invalid(attributes, absl::StrCat("key \"", key, "\" is not snake_case"));
    }
    if (auto s = ValidateText(value, absl::StrCat(attributes, "[", key, "]"),
                              RecordLimits::kMaxTextBytes, false);
        !s.ok()) {
      return s;
    }
  }
  if (auto s = ValidateText(fact.summary(), absl::StrCat(field, ".summary"),
                            RecordLimits::kMaxTextBytes, false);
      !s.ok()) {
    return s;
  }
  const std::string provenance = absl::StrCat(field, ".provenance");
  if (auto s = ValidateOptionalId(fact.provenance().source_id(),
                                  absl::StrCat(provenance, ".source_id"));
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateText(fact.provenance().locator(), absl::StrCat(provenance, ".locator"),
                            RecordLimits::kMaxNameBytes, false);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateText(fact.provenance().quote(), absl::StrCat(provenance, ".quote"),
                            RecordLimits::kMaxTextBytes, false);
      !s.ok()) {
    return s;
  }
  const std::string attribution = absl::StrCat(field, ".attribution");
  const auto& a = fact.attribution();
  if (!v1::ClaimStance_IsValid(a.stance())) {
    return Invalid(absl::StrCat(attribution, ".stance"), absl::StrCat("unknown stance ",
                                                                      a.stance()));
  }
  if (a.claimant_ids_size() > static_cast<int>(RecordLimits::kMaxClaimants)) {
    return Invalid(absl::StrCat(attribution, ".claimant_ids"), "has too many entries");
  }
  if (a.stance() != v1::CLAIM_STANCE_UNSPECIFIED && a.claimant_ids().empty()) {
    return Invalid(absl::StrCat(attribution, ".claimant_ids"),
                   "is empty but a stance is given: name who asserts or denies");
  }
  for (int i = 0; i < a.claimant_ids_size(); ++i) {
    if (auto s = ValidateId(a.claimant_ids(i),
                            Indexed(absl::StrCat(attribution, ".claimant_ids"), i));
        !s.ok()) {
      return s;
    }
  }
  return ValidateText(a.note(), absl::StrCat(attribution, ".note"), RecordLimits::kMaxTextBytes,
                      false);
}

}  // namespace entente::storage
