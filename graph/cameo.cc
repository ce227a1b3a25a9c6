#include "graph/cameo.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"

namespace entente::graph {
namespace {

const CameoEvent kEvents[] = {
#include "graph/cameo_table.inc"
};

struct Index {
  absl::flat_hash_map<std::string, const CameoEvent*> by_code;
  absl::flat_hash_map<std::string, const CameoEvent*> by_name;
  Index() {
    for (const auto& event : kEvents) {
      by_code.emplace(event.code, &event);  // the first row of a code wins
      by_name.emplace(absl::AsciiStrToLower(event.name), &event);
    }
  }
};

const Index& GetIndex() {
  static const Index* index = new Index();
  return *index;
}

}  // namespace

const CameoEvent* FindCameoByCode(absl::string_view code) {
  const auto& index = GetIndex().by_code;
  auto it = index.find(std::string(code));
  return it == index.end() ? nullptr : it->second;
}

const CameoEvent* FindCameoByName(absl::string_view name) {
  const auto& index = GetIndex().by_name;
  auto it = index.find(absl::AsciiStrToLower(name));
  return it == index.end() ? nullptr : it->second;
}

absl::string_view RepresentativeCode(v1::FactType type) {
  switch (type) {
    case v1::FACT_TYPE_VISIT: return "042";
    case v1::FACT_TYPE_MEETING: return "040";
    case v1::FACT_TYPE_CALL: return "040";
    case v1::FACT_TYPE_AGREEMENT_SIGNED: return "057";
    case v1::FACT_TYPE_MEMBERSHIP: return "050";
    case v1::FACT_TYPE_ARMS_TRANSFER: return "060";
    case v1::FACT_TYPE_TRADE: return "060";
    case v1::FACT_TYPE_SANCTION: return "163";
    case v1::FACT_TYPE_EXERCISE: return "060";
    case v1::FACT_TYPE_PROPOSAL: return "030";
    case v1::FACT_TYPE_NEGOTIATION: return "046";
    case v1::FACT_TYPE_WITHDRAWAL: return "160";
    case v1::FACT_TYPE_COOPERATION: return "060";
    case v1::FACT_TYPE_APPEAL: return "020";
    case v1::FACT_TYPE_INTENT_TO_COOPERATE: return "030";
    case v1::FACT_TYPE_CONSULT: return "040";
    case v1::FACT_TYPE_DIPLOMATIC_COOPERATION: return "050";
    case v1::FACT_TYPE_MATERIAL_COOPERATION: return "060";
    case v1::FACT_TYPE_AID: return "070";
    case v1::FACT_TYPE_YIELD: return "080";
    case v1::FACT_TYPE_INVESTIGATE: return "090";
    case v1::FACT_TYPE_DEMAND: return "100";
    case v1::FACT_TYPE_DISAPPROVE: return "110";
    case v1::FACT_TYPE_REJECT: return "120";
    case v1::FACT_TYPE_THREATEN: return "130";
    case v1::FACT_TYPE_PROTEST: return "140";
    case v1::FACT_TYPE_FORCE_POSTURE: return "150";
    case v1::FACT_TYPE_REDUCE_RELATIONS: return "160";
    case v1::FACT_TYPE_COERCE: return "170";
    case v1::FACT_TYPE_ASSAULT: return "180";
    case v1::FACT_TYPE_FIGHT: return "190";
    case v1::FACT_TYPE_MASS_VIOLENCE: return "200";
    default: return "";  // STATEMENT, ROLE, AFFILIATION, DEPLOYMENT, CASUALTIES: no direction
  }
}

double GoldsteinOf(v1::FactType type, absl::string_view cameo_code) {
  // Walk up the code's parents: "0431" -> "043" -> "040".
  std::string code(cameo_code);
  while (!code.empty()) {
    if (const CameoEvent* event = FindCameoByCode(code)) return event->goldstein;
    if (code.size() > 3) {
      code.resize(3);
    } else if (code.size() == 3 && code.back() != '0') {
      code.back() = '0';
    } else {
      break;
    }
  }
  const absl::string_view representative = RepresentativeCode(type);
  if (representative.empty()) return 0;
  const CameoEvent* event = FindCameoByCode(representative);
  return event == nullptr ? 0 : event->goldstein;
}

}  // namespace entente::graph
