// CAMEO event codes: their names (as ICEWS spells them), Goldstein
// cooperation–conflict values, and the Entente fact type each maps to. The
// table and its sources are documented in graph/cameo_table.md.
#ifndef ENTENTE_GRAPH_CAMEO_H_
#define ENTENTE_GRAPH_CAMEO_H_

#include "absl/strings/string_view.h"
#include "entente/v1/fact.pb.h"

namespace entente::graph {

struct CameoEvent {
  const char* code;  // "042"
  const char* name;  // "Make a visit"
  double goldstein;  // -10 (conflict) .. +10 (cooperation)
  v1::FactType type;
};

// The event with exactly this code, or null.
const CameoEvent* FindCameoByCode(absl::string_view code);
// The event with this name (ICEWS spelling; case-insensitive), or null.
const CameoEvent* FindCameoByName(absl::string_view name);

// The Goldstein value of a fact: that of its CAMEO code, or of the code's
// nearest listed parent ("0431" -> "043" -> "040"); for a fact without a
// code, that of the representative code of its type (see
// RepresentativeCode); 0 when neither applies.
double GoldsteinOf(v1::FactType type, absl::string_view cameo_code);

// The CAMEO code whose Goldstein value stands for a curated fact type that
// carries no code (VISIT -> "042", AGREEMENT_SIGNED -> "057"); empty for
// types with no cooperative or conflictual direction (ROLE, CASUALTIES,
// DEPLOYMENT, STATEMENT).
absl::string_view RepresentativeCode(v1::FactType type);

}  // namespace entente::graph

#endif  // ENTENTE_GRAPH_CAMEO_H_
