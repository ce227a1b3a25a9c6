// entente_scale_icews: makes an ICEWS-format event file N times the size of a
// real one while keeping its shape.
//
//   entente_scale_icews --factor N --in events.tsv --out scaled.tsv [--limit L]
//
// Copy 0 is the input as it is. Copy c (1..N-1) moves every date c years on
// and renames every actor that is not a state to "NAME #c", so sub-state
// actors, people and groups get copies with the same degree pattern while
// states stay shared hubs whose degree grows N-fold, as in real multi-year
// data. "Is a state" is an exact match against bench/states.inc; a name with
// a qualifier such as "Government (Iran)" never matches.
//
// The output is written as it is made (the input is read once per copy), so
// memory does not grow with N. The same input and factor always give the
// same bytes. --limit L uses only the first L event lines of the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "bench/icews.h"

namespace {

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

std::string ActorCopy(const std::string& name, int copy) {
  if (copy == 0 || entente::bench::IsIcewsStateName(name)) return name;
  return absl::StrCat(name, " #", copy);
}

int Usage(absl::string_view error) {
  if (!error.empty()) std::cerr << "entente_scale_icews: " << error << "\n";
  std::cerr << "usage: entente_scale_icews --factor N --in EVENTS.tsv --out SCALED.tsv "
               "[--limit LINES]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int factor = 0;
  int64_t limit = -1;
  std::string in_path, out_path;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Usage("");
    if (i + 1 >= argc) return Usage(absl::StrCat(arg, " needs a value"));
    const char* value = argv[++i];
    if (arg == "--factor") {
      if (!absl::SimpleAtoi(value, &factor) || factor < 1 || factor > 1000) {
        return Usage("--factor must be 1..1000");
      }
    } else if (arg == "--in") {
      in_path = value;
    } else if (arg == "--out") {
      out_path = value;
    } else if (arg == "--limit") {
      if (!absl::SimpleAtoi(value, &limit) || limit < 0) return Usage("--limit must be >= 0");
    } else {
      return Usage(absl::StrCat("unknown option ", arg));
    }
  }
  if (factor == 0 || in_path.empty() || out_path.empty()) {
    return Usage("--factor, --in and --out are required");
  }

  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "entente_scale_icews: cannot write " << out_path << "\n";
    return 1;
  }
  int64_t written = 0;
  int64_t renamed_endpoints = 0, state_endpoints = 0;
  bool header_written = false;
  for (int copy = 0; copy < factor; ++copy) {
    std::ifstream in(in_path, std::ios::binary);
    if (!in) {
      std::cerr << "entente_scale_icews: cannot open " << in_path << "\n";
      return 1;
    }
    std::string line;
    int64_t number = 0, events = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (number == 1 && absl::StartsWith(line, "date\t")) {
        if (!header_written) out << line << '\n';
        header_written = true;
        continue;
      }
      if (line.empty()) continue;
      if (limit >= 0 && events >= limit) break;
      entente::bench::IcewsEvent event;
      if (!entente::bench::ParseIcewsLine(line, number, &event)) {
        std::cerr << "entente_scale_icews: " << in_path << ":" << number << ": not an event line\n";
        return 1;
      }
      ++events;
      if (!header_written) {  // a file without a header still gets one
        out << "date\tsource\trelation\ttarget\n";
        header_written = true;
      }
      if (copy == 0) {
        out << line << '\n';
      } else {
        const int year = event.year + copy;
        int day = event.day;
        if (event.month == 2 && day == 29 && !IsLeap(year)) day = 28;
        const std::string source = ActorCopy(event.source, copy);
        const std::string target = ActorCopy(event.target, copy);
        for (const std::string* name : {&event.source, &event.target}) {
          (entente::bench::IsIcewsStateName(*name) ? state_endpoints : renamed_endpoints)++;
        }
        out << absl::StrFormat("%04d-%02d-%02d\t%s\t%s\t%s\n", year, event.month, day, source,
                               event.relation, target);
      }
      ++written;
    }
  }
  out.flush();
  if (!out) {
    std::cerr << "entente_scale_icews: write to " << out_path << " failed\n";
    return 1;
  }
  std::cerr << "entente_scale_icews: wrote " << written << " events (" << factor << " copies) to "
            << out_path << "; in copies 1.." << factor - 1 << ": " << state_endpoints
            << " state endpoints kept, " << renamed_endpoints << " renamed\n";
  return 0;
}
