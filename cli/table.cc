#include "cli/table.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

// Characters of UTF-8 text: the bytes that do not continue a character.
size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

bool IsDirectedPair(v1::ParticipantRole first, v1::ParticipantRole second) {
  using v1::ParticipantRole;
  static constexpr std::pair<ParticipantRole, ParticipantRole> kPairs[] = {
      {v1::PARTICIPANT_ROLE_VISITOR, v1::PARTICIPANT_ROLE_HOST},
      {v1::PARTICIPANT_ROLE_SENDER, v1::PARTICIPANT_ROLE_RECEIVER},
      {v1::PARTICIPANT_ROLE_SOURCE, v1::PARTICIPANT_ROLE_TARGET},
      {v1::PARTICIPANT_ROLE_EXPORTER, v1::PARTICIPANT_ROLE_IMPORTER},
      {v1::PARTICIPANT_ROLE_MEMBER, v1::PARTICIPANT_ROLE_BODY},
      {v1::PARTICIPANT_ROLE_OFFICE_HOLDER, v1::PARTICIPANT_ROLE_EMPLOYER},
  };
  return std::find(std::begin(kPairs), std::end(kPairs), std::make_pair(first, second)) !=
         std::end(kPairs);
}

// 12000 -> "12,000".
std::string WithThousands(int64_t value) {
  std::vector<std::string> groups;
  uint64_t rest = value < 0 ? -static_cast<uint64_t>(value) : value;
  do {
    groups.push_back(absl::StrFormat(rest >= 1000 ? "%03d" : "%d", rest % 1000));
    rest /= 1000;
  } while (rest > 0);
  std::reverse(groups.begin(), groups.end());
  return absl::StrCat(value < 0 ? "-" : "", absl::StrJoin(groups, ","));
}

}  // namespace

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::AlignRight(size_t column) { right_.at(column) = true; }

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = Width(headers_[c]);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], Width(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(widths[c] - Width(cells[c]), ' ');
      const bool last = c + 1 == cells.size();
      if (right_[c]) {
        absl::StrAppend(&line, pad, cells[c]);
      } else {
        absl::StrAppend(&line, cells[c], last ? "" : pad);
      }
      if (!last) line += "  ";
    }
    out << absl::StripTrailingAsciiWhitespace(line) << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

std::string FormatSpan(const v1::TimeSpan& span) {
  const std::string start = span.has_start() ? date_text::FormatDate(span.start()) : "open";
  if (!span.has_end() && !span.open_end()) return start;
  const std::string end = span.has_end() ? date_text::FormatDate(span.end()) : "open";
  return start == end ? start : absl::StrCat(start, " to ", end);
}

std::string TypeName(v1::FactType type) {
  return std::string(absl::StripPrefix(v1::FactType_Name(type), "FACT_TYPE_"));
}

std::string KindName(v1::EntityKind kind) {
  return std::string(absl::StripPrefix(v1::EntityKind_Name(kind), "ENTITY_KIND_"));
}

std::string Parties(Session& session, const v1::Fact& fact) {
  const auto& parts = fact.participants();
  // The parties themselves first, then what the fact is about or where.
  std::vector<std::string> names;
  std::vector<v1::ParticipantRole> party_roles;  // of names
  std::vector<std::string> marked;
  for (const v1::Participant& part : parts) {
    std::string name = session.NameOf(part.entity_id());
    switch (part.role()) {
      case v1::PARTICIPANT_ROLE_LOCATION:
        marked.push_back(absl::StrCat(name, " (location)"));
        break;
      case v1::PARTICIPANT_ROLE_SUBJECT:
        marked.push_back(absl::StrCat(name, " (subject)"));
        break;
      case v1::PARTICIPANT_ROLE_AGREEMENT:
        marked.push_back(absl::StrCat(name, " (agreement)"));
        break;
      default:
        names.push_back(std::move(name));
        party_roles.push_back(part.role());
    }
  }
  std::string text;
  size_t shown = 0;
  // The store keeps participants in id order, so the acting side need not
  // come first: find the pair wherever it stands ("Foreign Affairs (Russia)
  // → Iran" though IRN sorts first). Only a pair whose two roles no other
  // party has: with two senders, an arrow from one of them would mislead.
  auto alone = [&](v1::ParticipantRole role) {
    return std::count(party_roles.begin(), party_roles.end(), role) == 1;
  };
  for (size_t i = 0; shown == 0 && i < names.size(); ++i) {
    for (size_t j = 0; j < names.size(); ++j) {
      if (i == j || !IsDirectedPair(party_roles[i], party_roles[j]) ||
          !alone(party_roles[i]) || !alone(party_roles[j])) {
        continue;
      }
      const std::string from = names[i], to = names[j];
      text = absl::StrCat(from, " → ", to);
      // The pair first, then the other parties in their order.
      names.erase(names.begin() + std::max(i, j));
      names.erase(names.begin() + std::min(i, j));
      names.insert(names.begin(), {from, to});
      shown = 2;
      break;
    }
  }
  names.insert(names.end(), marked.begin(), marked.end());
  // A fact may have a dozen parties; a table cell shows what fits.
  constexpr size_t kMaxWidth = 60;
  for (; shown < names.size(); ++shown) {
    if (!text.empty() && text.size() + names[shown].size() + 2 > kMaxWidth) break;
    absl::StrAppend(&text, text.empty() ? "" : ", ", names[shown]);
  }
  if (shown < names.size()) absl::StrAppend(&text, " +", names.size() - shown, " more");
  return text;
}

std::string Claimants(Session& session, const v1::Fact& fact) {
  const v1::Attribution& attribution = fact.attribution();
  if (attribution.claimant_ids().empty()) {
    return attribution.stance() == v1::CLAIM_STANCE_DENIES ? "(denied)" : "-";
  }
  std::vector<std::string> names;
  for (const std::string& id : attribution.claimant_ids()) names.push_back(session.NameOf(id));
  std::string text = absl::StrJoin(names, ", ");
  if (attribution.stance() == v1::CLAIM_STANCE_DENIES) absl::StrAppend(&text, " (denies)");
  return text;
}

std::string RolledUpParties(Session& session, const v1::FactRecord& record) {
  if (record.rolled_up_participants().empty()) return Parties(session, record.fact());
  // Two ministries of one state are one party of the rolled-up fact.
  v1::Fact rolled;
  std::set<std::string> seen;
  for (const v1::Participant& part : record.rolled_up_participants()) {
    if (seen.insert(part.entity_id()).second) *rolled.add_participants() = part;
  }
  return Parties(session, rolled);
}

std::string NameList(Session& session, const std::vector<std::string>& ids) {
  constexpr size_t kMaxWidth = 60;
  std::string text;
  size_t shown = 0;
  for (; shown < ids.size(); ++shown) {
    const std::string name = session.NameOf(ids[shown]);
    if (!text.empty() && Width(text) + Width(name) + 2 > kMaxWidth) break;
    absl::StrAppend(&text, text.empty() ? "" : ", ", name);
  }
  if (shown < ids.size()) absl::StrAppend(&text, " +", ids.size() - shown, " more");
  return text;
}

Table FactTable(std::vector<std::string> lead, bool with_ids, bool rolled_up) {
  if (with_ids) lead.push_back("FACT");
  lead.push_back("DATE");
  lead.push_back("TYPE");
  if (rolled_up) {
    lead.push_back("ROLLED UP");
    lead.push_back("ACTORS");
  } else {
    lead.push_back("PARTIES");
  }
  lead.push_back("CLAIMED BY");
  lead.push_back("SUMMARY");
  return Table(std::move(lead));
}

std::vector<std::string> FactCells(Session& session, const v1::FactRecord& record,
                                   bool with_ids, bool rolled_up) {
  const v1::Fact& fact = record.fact();
  std::vector<std::string> cells;
  if (with_ids) cells.push_back(fact.id());
  cells.push_back(FormatSpan(fact.valid_time()));
  cells.push_back(TypeName(fact.type()));
  if (rolled_up) cells.push_back(RolledUpParties(session, record));
  cells.push_back(Parties(session, fact));
  cells.push_back(Claimants(session, fact));
  cells.push_back(record.has_retraction() ? absl::StrCat("[retracted] ", fact.summary())
                                          : fact.summary());
  return cells;
}

std::string FormatQuantity(const v1::Quantity& quantity) {
  static constexpr const char* kQualifiers[] = {"", "about ", "at least ", "more than ",
                                                "at most "};
  const int qualifier = quantity.qualifier();
  const double value = quantity.value();
  const double magnitude = std::abs(value);
  std::string number;
  if (magnitude >= 1e9) {
    number = absl::StrFormat("%.4g billion", value / 1e9);
  } else if (magnitude >= 1e6) {
    number = absl::StrFormat("%.4g million", value / 1e6);
  } else if (magnitude >= 1e4 && value == std::floor(value)) {
    // 12000 -> "12,000"
    number = WithThousands(static_cast<int64_t>(value));
  } else {
    number = absl::StrFormat("%.15g", value);
  }
  return absl::StrCat(qualifier >= 0 && qualifier < 5 ? kQualifiers[qualifier] : "", number,
                      quantity.unit().empty() ? "" : " ", quantity.unit());
}

std::string Signed(double value) { return absl::StrFormat("%+.1f", value); }

}  // namespace entente::cli
