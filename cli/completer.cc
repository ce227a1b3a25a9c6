// The shell's words: SplitLine and the Completer (shell.h).
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/shell.h"
#include "cli/values.h"

namespace entente::cli {
namespace {

// A line read up to its end (the cursor, when completing), word by word.
struct Scan {
  std::vector<std::string> words;  // the words before the last one
  bool in_word = false;            // the line ends inside a word
  std::string last;                // that word so far, quotes and escapes undone
  size_t last_start = 0;           // where it starts in the line
  char open_quote = 0;             // the quote the line ends inside, if any
  bool dangling_backslash = false;
};

Scan ScanLine(absl::string_view line) {
  Scan scan;
  auto start_word = [&](size_t at) {
    if (scan.in_word) return;
    scan.in_word = true;
    scan.last_start = at;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (scan.dangling_backslash) {
      scan.last.push_back(c);
      scan.dangling_backslash = false;
    } else if (scan.open_quote == '\'') {
      if (c == '\'') {
        scan.open_quote = 0;
      } else {
        scan.last.push_back(c);
      }
    } else if (scan.open_quote == '"') {
      if (c == '"') {
        scan.open_quote = 0;
      } else if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        scan.last.push_back(line[++i]);
      } else {
        scan.last.push_back(c);
      }
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (scan.in_word) scan.words.push_back(std::move(scan.last));
      scan.last.clear();
      scan.in_word = false;
    } else {
      start_word(i);
      if (c == '\\') {
        scan.dangling_backslash = true;
      } else if (c == '"' || c == '\'') {
        scan.open_quote = c;
      } else {
        scan.last.push_back(c);
      }
    }
  }
  return scan;
}

// Where the word being completed stands, by the words before it, read as
// Parse in cli.cc reads a command line.
struct Place {
  const Command* command = nullptr;
  bool unknown_command = false;
  const Flag* open_flag = nullptr;  // a flag still waiting for values
  size_t values_given = 0;          // to open_flag
  size_t positional = 0;            // arguments of the command before the word
  bool flags_ended = false;         // by "--"
};

Place PlaceOf(const std::vector<std::string>& words) {
  Place place;
  for (const std::string& word : words) {
    if (place.open_flag != nullptr) {
      if (++place.values_given == place.open_flag->ValueCount()) place.open_flag = nullptr;
      continue;
    }
    if (!place.flags_ended && IsFlag(word)) {
      if (word == "--") {
        place.flags_ended = true;
        continue;
      }
      const size_t equals = word.find('=');
      const std::string name = word.substr(0, equals);
      const Flag* flag = FindFlag(GlobalFlags(), name);
      if (flag == nullptr && place.command != nullptr) flag = FindFlag(place.command->flags, name);
      if (flag != nullptr && flag->ValueCount() > 0 && equals == std::string::npos) {
        place.open_flag = flag;
        place.values_given = 0;
      }
      continue;
    }
    if (place.command != nullptr) {
      ++place.positional;
      continue;
    }
    place.command = FindCommand(word);
    if (place.command == nullptr) {
      place.unknown_command = true;
      return place;
    }
  }
  return place;
}

// The flags a shell line may give: the command's, and the global ones that
// can change per line.
std::vector<Flag> LineFlags(const Command* command) {
  std::vector<Flag> flags;
  if (command != nullptr) flags = command->flags;
  for (const Flag& flag : GlobalFlags()) {
    if (flag.name == "--json" || flag.name == "--help") flags.push_back(flag);
  }
  return flags;
}

// Commands whose positional arguments are entities (ids, names, aliases).
bool TakesEntities(const Command& command) {
  static const std::set<std::string>* const kNames = new std::set<std::string>{
      "timeline", "path", "neighbors", "resolve", "show", "snapshot", "diff"};
  return kNames->count(command.name) > 0;
}

bool StartsWithIgnoringCase(absl::string_view text, absl::string_view prefix) {
  return text.size() >= prefix.size() && absl::EqualsIgnoreCase(text.substr(0, prefix.size()),
                                                                 prefix);
}

// The words of `choices` that `typed` begins.
std::vector<std::string> Matching(const std::vector<std::string>& choices,
                                  absl::string_view typed) {
  std::vector<std::string> out;
  for (const std::string& choice : choices) {
    if (StartsWithIgnoringCase(choice, typed)) out.push_back(choice);
  }
  return out;
}

// The values a flag's value at `index` can take, by its value_name
// ("year|month") or, for comma lists, by the flag; empty when any text
// will do (DATE, N, FILE).
std::vector<std::string> FixedValues(const Flag& flag, size_t index) {
  if (flag.name == "--types") return FactTypeWords();
  if (flag.name == "--kinds") return EntityKindWords();
  const std::vector<std::string> words = absl::StrSplit(flag.value_name, ' ', absl::SkipEmpty());
  if (index >= words.size() || !absl::StrContains(words[index], '|')) return {};
  return absl::StrSplit(words[index], '|', absl::SkipEmpty());
}

bool IsCommaList(const Flag& flag) { return absl::EndsWith(flag.value_name, ",..."); }

// Completions of a flag's value `typed`. In a comma list only the item
// after the last comma is completed, and items already given are left out.
std::vector<std::string> ValuesOf(const Flag& flag, size_t index, const std::string& typed) {
  const std::vector<std::string> values = FixedValues(flag, index);
  if (!IsCommaList(flag)) return Matching(values, typed);
  const size_t comma = typed.rfind(',');
  const std::string head = comma == std::string::npos ? "" : typed.substr(0, comma + 1);
  const std::set<std::string> given = absl::StrSplit(head, ',', absl::SkipEmpty());
  std::vector<std::string> out;
  for (const std::string& value : Matching(values, typed.substr(head.size()))) {
    if (given.count(value) == 0) out.push_back(head + value);
  }
  return out;
}

// The command names, and quit and exit where a line starts.
std::vector<std::string> CommandNames(bool with_quit) {
  std::vector<std::string> names;
  for (const Command& command : Commands()) names.push_back(command.name);
  if (with_quit) {
    names.push_back("quit");
    names.push_back("exit");
  }
  return names;
}

// `text` as one shell word: as it is when it needs no quoting, else in
// the quotes the user opened (single ones only if `text` has none) or in
// double quotes with " and \ escaped.
std::string Quote(const std::string& text, char open_quote) {
  const bool plain = !text.empty() && text.find_first_of(" \t\n\"'\\#") == std::string::npos;
  if (plain) return text;
  if (open_quote == '\'' && text.find('\'') == std::string::npos) {
    return absl::StrCat("'", text, "'");
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string CommonPrefix(const std::vector<std::string>& words) {
  std::string prefix = words.front();
  for (const std::string& word : words) {
    size_t n = 0;
    while (n < prefix.size() && n < word.size() && prefix[n] == word[n]) ++n;
    prefix.resize(n);
  }
  return prefix;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitLine(absl::string_view line) {
  Scan scan = ScanLine(line);
  if (scan.open_quote != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unterminated ", std::string(1, scan.open_quote), " quote"));
  }
  if (scan.dangling_backslash) return absl::InvalidArgumentError("the line ends in a backslash");
  if (scan.in_word) scan.words.push_back(std::move(scan.last));
  return std::move(scan.words);
}

Completer::Completer(NameLookup names) : names_(std::move(names)) {}

Completion Completer::Complete(absl::string_view line) const {
  const Scan scan = ScanLine(line);
  Completion completion;
  completion.start = scan.in_word ? scan.last_start : line.size();
  const std::string& typed = scan.last;

  const Place place = PlaceOf(scan.words);
  if (place.unknown_command) return completion;  // nothing sensible follows it
  const Command* command = place.command;
  const size_t positional = place.positional;

  bool names = false;
  if (place.open_flag != nullptr) {
    completion.candidates = ValuesOf(*place.open_flag, place.values_given, typed);
  } else if (!place.flags_ended && absl::StartsWith(typed, "-")) {
    const std::vector<Flag> flags = LineFlags(command);
    const size_t equals = typed.find('=');
    if (equals == std::string::npos) {
      for (const Flag& flag : flags) {
        if (absl::StartsWith(flag.name, typed)) completion.candidates.push_back(flag.name);
      }
    } else if (const Flag* flag = FindFlag(flags, typed.substr(0, equals)); flag != nullptr) {
      for (const std::string& value : ValuesOf(*flag, 0, typed.substr(equals + 1))) {
        completion.candidates.push_back(absl::StrCat(flag->name, "=", value));
      }
    }
  } else if (command == nullptr) {
    completion.candidates = Matching(CommandNames(/*with_quit=*/true), typed);
  } else if (command->name == "help") {
    if (positional == 0) completion.candidates = Matching(CommandNames(false), typed);
  } else if (TakesEntities(*command) && positional < command->max_positional &&
             !typed.empty() && names_) {
    // An empty word would list the whole graph; a prefix is needed.
    names = true;
    // A name that begins with the word goes before one found by an alias
    // ("Tehr" is Tehran the city before Iran, whose capital it names).
    std::vector<std::string> found = names_(typed);
    std::stable_partition(found.begin(), found.end(), [&](const std::string& name) {
      return StartsWithIgnoringCase(name, typed);
    });
    std::set<std::string> seen;
    for (const std::string& name : found) {
      std::string word = Quote(name, scan.open_quote);
      if (seen.insert(word).second) completion.candidates.push_back(std::move(word));
    }
  }

  if (completion.candidates.empty()) return completion;
  if (completion.candidates.size() == 1) {
    completion.insert = completion.candidates.front() + " ";
  } else if (names) {
    completion.insert = completion.candidates.front();
  } else {
    completion.insert = CommonPrefix(completion.candidates);
    // Matching ignores case: "TIM" still gets at least what was typed.
    if (completion.insert.size() < typed.size()) {
      completion.insert = std::string(line.substr(completion.start));
    }
  }
  return completion;
}

}  // namespace entente::cli
