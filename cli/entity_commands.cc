// entente resolve (ReadService.ResolveEntity) and entente show
// (ReadService.GetEntity / GetFact).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "cli/values.h"
#include "google/protobuf/util/time_util.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

using google::protobuf::util::TimeUtil;

int RunResolve(Session& session, const Command& command, const Args& args) {
  auto limit = IntOf(args, "--limit", 1, 100, 10);
  if (!limit.ok()) return session.UsageError(command, limit.status().message());
  const std::string& text = args.positional[0];
  if (absl::StripAsciiWhitespace(text).empty()) return session.UsageError(command, "NAME is empty");
  auto matches = session.client().Resolve(text, *limit);
  if (!matches.ok()) return session.CallFailed(command, matches.status());
  if (session.json()) {
    v1::ResolveEntityResponse response;
    for (const v1::EntityMatch& match : *matches) *response.add_matches() = match;
    session.PrintJson(response);
    return kExitOk;
  }
  if (matches->empty()) {
    session.out() << "no entity is called \"" << text << "\" or has a name starting so\n";
    return kExitOk;
  }
  Table table({"ID", "NAME", "KIND", "MATCH", "MATCHED"});
  for (const v1::EntityMatch& match : *matches) {
    table.AddRow({match.entity().id(), match.entity().name(), KindName(match.entity().kind()),
                  match.match_kind() == v1::MATCH_KIND_EXACT ? "exact" : "prefix",
                  match.matched_text()});
  }
  table.Print(session.out());
  return kExitOk;
}

// Lines of "label  value", labels aligned, empty values left out.
class Fields {
 public:
  void Add(const std::string& label, const std::string& value) {
    if (!value.empty()) rows_.emplace_back(label, value);
  }
  void Print(std::ostream& out) const {
    size_t width = 0;
    for (const auto& row : rows_) width = std::max(width, row.first.size());
    for (const auto& [label, value] : rows_) {
      out << label << std::string(width - label.size() + 2, ' ') << value << "\n";
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

std::string RoleName(v1::ParticipantRole role) {
  std::string name(absl::StripPrefix(v1::ParticipantRole_Name(role), "PARTICIPANT_ROLE_"));
  absl::AsciiStrToLower(&name);
  return name;
}

std::string DescribeQuantity(const v1::Quantity& quantity) {
  std::string text = absl::StrCat(quantity.measure(), ": ", FormatQuantity(quantity));
  if (quantity.has_period()) absl::StrAppend(&text, " (", FormatSpan(quantity.period()), ")");
  if (!quantity.baseline().empty()) absl::StrAppend(&text, " vs ", quantity.baseline());
  return text;
}

void PrintFact(Session& session, const v1::FactRecord& record) {
  const v1::Fact& fact = record.fact();
  Fields fields;
  fields.Add("fact", fact.id());
  fields.Add("type", TypeName(fact.type()));
  fields.Add("cameo", fact.cameo_code());
  fields.Add("when", FormatSpan(fact.valid_time()));
  fields.Add("parties", Parties(session, fact));
  for (const v1::Participant& part : fact.participants()) {
    fields.Add(absl::StrCat("  ", RoleName(part.role())),
               absl::StrCat(session.NameOf(part.entity_id()), " [", part.entity_id(), "]"));
  }
  for (const v1::Quantity& quantity : fact.quantities()) {
    fields.Add("quantity", DescribeQuantity(quantity));
  }
  const std::map<std::string, std::string> attributes(fact.attributes().begin(),
                                                      fact.attributes().end());
  for (const auto& [key, value] : attributes) fields.Add(key, value);
  fields.Add("summary", fact.summary());
  fields.Add("claimed by", Claimants(session, fact));
  fields.Add("claim note", fact.attribution().note());
  fields.Add("source", fact.provenance().source_id());
  fields.Add("locator", fact.provenance().locator());
  fields.Add("quote", fact.provenance().quote());
  fields.Add("recorded", TimeUtil::ToString(record.record_time()));
  if (record.has_retraction()) {
    fields.Add("retracted", absl::StrCat(TimeUtil::ToString(record.retraction().retract_time()),
                                         ": ", record.retraction().reason()));
  }
  fields.Print(session.out());
}

void PrintEntity(Session& session, const v1::Entity& entity) {
  Fields fields;
  fields.Add("id", entity.id());
  fields.Add("name", entity.name());
  fields.Add("kind", KindName(entity.kind()));
  fields.Add("aliases", absl::StrJoin(entity.aliases(), ", "));
  fields.Add("description", entity.description());
  fields.Add("sector", entity.sector());
  if (!entity.state_id().empty()) {
    fields.Add("state", absl::StrCat(session.NameOf(entity.state_id()), " [", entity.state_id(),
                                     "]"));
  }
  if (entity.has_agreement()) {
    const v1::AgreementDetails& agreement = entity.agreement();
    fields.Add("agreement", agreement.agreement_type());
    fields.Add("term", agreement.term());
    if (agreement.status() != v1::AGREEMENT_STATUS_UNSPECIFIED) {
      std::string status(
          absl::StripPrefix(v1::AgreementStatus_Name(agreement.status()), "AGREEMENT_STATUS_"));
      absl::AsciiStrToLower(&status);
      fields.Add("status", status);
    }
    if (agreement.has_signing_date()) {
      fields.Add("signed", date_text::FormatDate(agreement.signing_date()));
    }
    for (const v1::Clause& clause : agreement.clauses()) {
      fields.Add(absl::StrCat("clause ", clause.name()),
                 absl::StrCat(clause.presence() == v1::CLAUSE_PRESENCE_ABSENT ? "absent"
                              : clause.presence() == v1::CLAUSE_PRESENCE_PRESENT
                                  ? "present"
                                  : "unknown",
                              clause.note().empty() ? "" : " (", clause.note(),
                              clause.note().empty() ? "" : ")"));
    }
  }
  if (entity.has_update_time()) fields.Add("updated", TimeUtil::ToString(entity.update_time()));
  fields.Print(session.out());
}

// Fact ids are 32 lowercase hex digits.
bool LooksLikeFactId(const std::string& text) {
  return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

int RunShow(Session& session, const Command& command, const Args& args) {
  const std::string& text = args.positional[0];
  if (LooksLikeFactId(text)) {
    auto record = session.client().GetFact(text);
    if (!record.ok()) return session.CallFailed(command, record.status());
    if (session.json()) {
      session.PrintJson(*record);
    } else {
      PrintFact(session, *record);
    }
    return kExitOk;
  }
  std::string id;
  if (int status = session.ResolveEntity(command, text, &id); status != kExitOk) return status;
  auto entity = session.client().GetEntity(id);
  if (!entity.ok()) return session.CallFailed(command, entity.status());
  if (session.json()) {
    session.PrintJson(*entity);
  } else {
    PrintEntity(session, *entity);
  }
  return kExitOk;
}

}  // namespace

Command ResolveCommand() {
  Command command;
  command.name = "resolve";
  command.arguments = "NAME";
  command.min_positional = 1;
  command.max_positional = 1;
  command.flags = {{"--limit", "N", "at most N matches (1..100, default 10)"}};
  command.summary = "the entities a name, alias or id stands for";
  command.description =
      "Lists the entities whose id, name or alias is NAME (case and punctuation\n"
      "do not matter), or, when none is, those with a name starting with NAME.\n"
      "\n"
      "Example: entente resolve Tehran";
  command.run = RunResolve;
  return command;
}

Command ShowCommand() {
  Command command;
  command.name = "show";
  command.arguments = "ENTITY|FACT_ID";
  command.min_positional = 1;
  command.max_positional = 1;
  command.summary = "all about one entity, or one fact with its provenance";
  command.description =
      "Shows an entity (an id, name or alias): its kind, aliases, description and,\n"
      "for an agreement, its type, term, status and clauses. Given a fact id (32\n"
      "hex digits, as `entente timeline --ids` lists them), shows the fact: its\n"
      "parties and their roles, quantities, who claims it, its source and quote,\n"
      "when it was recorded and whether it was retracted.\n"
      "\n"
      "Example: entente show IRN";
  command.run = RunShow;
  return command;
}

}  // namespace entente::cli
