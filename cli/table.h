// Private to cli/: what people read — aligned tables and the text forms of
// dates, fact types and claimants.
#ifndef ENTENTE_CLI_TABLE_H_
#define ENTENTE_CLI_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "entente/v1/fact.pb.h"
#include "entente/v1/time.pb.h"

namespace entente::cli {

// Columns padded to their widest cell (counted in characters, not UTF-8
// bytes); the last column is not padded, so long text runs on.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Numbers read better right-aligned.
  void AlignRight(size_t column);
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "2001-03", "2001-03 to 2003", "2022-02 to open", "open": each end at its
// precision.
std::string FormatSpan(const v1::TimeSpan& span);

// "VISIT", "AGREEMENT_SIGNED" (the enum name without its prefix).
std::string TypeName(v1::FactType type);
std::string KindName(v1::EntityKind kind);

// The fact's parties by name: "Russia → Iran" when two of them are a
// directed pair (visitor/host, sender/receiver, source/target,
// exporter/importer), the pair first, else "Iran, Russia, China"; then what it is about or
// where, marked: "Kazan (location)". About 60 characters at most: the rest
// is counted ("+3 more"); `entente show FACT_ID` lists them all.
std::string Parties(Session& session, const v1::Fact& fact);

// Who claims the fact: "Ukraine", "Iran (denies)"; "-" when unattributed.
std::string Claimants(Session& session, const v1::Fact& fact);

// The parties of a rolled-up answer's fact as the entities they counted
// as (record.rolled_up_participants: "Russia → Iran"), each once; the
// fact's own parties when the record carries none.
std::string RolledUpParties(Session& session, const v1::FactRecord& record);

// A table of facts: DATE, TYPE, PARTIES, CLAIMED BY, SUMMARY, after the
// `lead` columns, with FACT (the id) first when `with_ids`; and one fact's
// cells for it (without the lead cells). With `rolled_up` (a --roll-up
// answer) PARTIES becomes two columns: ROLLED UP (RolledUpParties) and
// ACTORS (the participants themselves), so that every count can be traced
// to the actors behind it.
Table FactTable(std::vector<std::string> lead, bool with_ids, bool rolled_up = false);
std::vector<std::string> FactCells(Session& session, const v1::FactRecord& record, bool with_ids,
                                   bool rolled_up = false);

// Names of `ids` joined by ", ", at most about 60 characters ("+3 more").
std::string NameList(Session& session, const std::vector<std::string>& ids);

// "about 12,000 persons", "1.6 billion USD", "41 percent": the qualifier,
// the value as people write it, the unit.
std::string FormatQuantity(const v1::Quantity& quantity);

// A Goldstein value with its sign: "+3.4", "-10.0".
std::string Signed(double value);

}  // namespace entente::cli

#endif  // ENTENTE_CLI_TABLE_H_
