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

// As CommonPrefix, ignoring ASCII case (the first text's characters kept),
// and never ending inside a UTF-8 character.
std::string CommonPrefixIgnoringCase(const std::vector<std::string>& texts) {
  const std::string& first = texts.front();
  size_t n = first.size();
  for (const std::string& text : texts) {
    size_t i = 0;
    while (i < n && i < text.size() &&
           absl::ascii_tolower(static_cast<unsigned char>(first[i])) ==
               absl::ascii_tolower(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    n = i;
  }
  while (n > 0 && n < first.size() && (static_cast<unsigned char>(first[n]) & 0xC0) == 0x80) --n;
  return first.substr(0, n);
}

// `text` as the start of a shell word that goes on: quoted as Quote does
// but left open, so that more can be typed inside the quotes.
std::string QuoteOpen(const std::string& text, char open_quote) {
  std::string quoted = Quote(text, open_quote);
  const bool closed = quoted.size() >= 2 && (quoted.front() == '"' || quoted.front() == '\'') &&
                      quoted.back() == quoted.front() && (quoted != text);
  if (closed) quoted.pop_back();
  return quoted;
}

// Text as name resolution compares it, roughly: lower case, each run of
// punctuation and spaces one space ("Kim Jong-" is "kim jong ").
std::string Folded(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !absl::ascii_isalnum(u)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(absl::ascii_tolower(u)));
    }
  }
  return out;
}

bool BeginsFolded(absl::string_view text, absl::string_view typed) {
  return absl::StartsWith(Folded(text), Folded(typed));
}

// How a lookup found an entity, for what TAB may write and the listing.
enum class FoundBy { kName, kAlias, kInnerWord };

struct NameCandidate {
  std::string word;  // the name as typed: quoted when it must be
  std::string note;  // "STATE", "STATE, alias Tehran"
  std::string text;  // what it lets TAB write (unquoted)
  FoundBy found_by = FoundBy::kName;
  bool state = false;
};

NameCandidate CandidateOf(const NameMatch& match, const std::string& typed, char open_quote) {
  NameCandidate candidate;
  candidate.word = Quote(match.name, open_quote);
  candidate.state = match.kind == "STATE";
  candidate.note = match.kind;
  if (BeginsFolded(match.name, typed)) {
    candidate.text = match.name;
  } else if (!match.matched_text.empty() && BeginsFolded(match.matched_text, typed)) {
    // The alias is what was being typed; the name would replace it.
    candidate.found_by = FoundBy::kAlias;
    candidate.text = match.matched_text;
    absl::StrAppend(&candidate.note, candidate.note.empty() ? "" : ", ",
                    match.matched_text == match.id ? "id " : "alias ", match.matched_text);
  } else {
    candidate.found_by = FoundBy::kInnerWord;
    candidate.text = typed;
    if (!match.matched_text.empty() && match.matched_text != match.name) {
      absl::StrAppend(&candidate.note, candidate.note.empty() ? "" : ", ", "matched ",
                      match.matched_text);
    }
  }
  return candidate;
}

// Characters of UTF-8 text, for aligning the listing.
size_t Width(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// Whether the words before the cursor ask for a rolled-up answer.
bool RollsUp(const std::vector<std::string>& words) {
  return std::find(words.begin(), words.end(), "--roll-up") != words.end();
}

// Entity names for the word `scan` ends in, which starts at `start`.
Completion CompleteName(const NameLookup& names, absl::string_view line, const Scan& scan,
                        size_t start) {
  Completion completion;
  completion.start = start;
  const std::string& typed = scan.last;
  std::vector<NameCandidate> found;
  std::set<std::pair<std::string, std::string>> seen;
  for (const NameMatch& match : names(typed)) {
    NameCandidate candidate = CandidateOf(match, typed, scan.open_quote);
    if (seen.emplace(candidate.word, candidate.note).second) found.push_back(std::move(candidate));
  }
  if (found.empty()) return completion;
  // A name that begins with the word goes before one found by an alias
  // ("Tehr" is Tehran the city before Iran, whose capital it names); rolled
  // up, the states an analyst is after go before their ministries.
  const bool states_first = RollsUp(scan.words);
  std::stable_sort(found.begin(), found.end(), [&](const NameCandidate& a, const NameCandidate& b) {
    const bool a_state = states_first && a.state, b_state = states_first && b.state;
    if (a_state != b_state) return a_state;
    return (a.found_by == FoundBy::kName) > (b.found_by == FoundBy::kName);
  });
  std::vector<std::string> texts;
  for (const NameCandidate& candidate : found) {
    completion.candidates.push_back(candidate.word);
    completion.notes.push_back(candidate.note);
    texts.push_back(candidate.text);
  }
  const std::string as_typed(line.substr(start));
  if (found.size() == 1) {
    const NameCandidate& only = found.front();
    // A name found by an inner word is listed only: it is not what was typed.
    completion.insert = only.found_by == FoundBy::kInnerWord
                            ? as_typed
                            : Quote(only.text, scan.open_quote) + " ";
    return completion;
  }
  // Only what every candidate shares: one TAB must not pick one of several.
  const std::string shared = CommonPrefixIgnoringCase(texts);
  if (shared.size() > typed.size() &&
      absl::EqualsIgnoreCase(shared.substr(0, typed.size()), typed)) {
    completion.insert = QuoteOpen(typed + shared.substr(typed.size()), scan.open_quote);
  } else {
    completion.insert = as_typed;
  }
  return completion;
}

}  // namespace

std::string ListCandidates(const Completion& completion) {
  size_t width = 0;
  for (const std::string& word : completion.candidates) width = std::max(width, Width(word));
  std::string text;
  for (size_t i = 0; i < completion.candidates.size(); ++i) {
    const std::string& word = completion.candidates[i];
    const std::string note = i < completion.notes.size() ? completion.notes[i] : "";
    absl::StrAppend(&text, word);
    if (!note.empty()) absl::StrAppend(&text, std::string(width - Width(word) + 2, ' '), note);
    text += "\n";
  }
  return text;
}

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

  if (place.open_flag != nullptr) {
    completion.candidates = ValuesOf(*place.open_flag, place.values_given, typed);
  } else if (!place.flags_ended && absl::StartsWith(typed, "-")) {
    const std::vector<Flag> flags = LineFlags(command);
    const size_t equals = typed.find('=');
    if (equals == std::string::npos) {
      for (const Flag& flag : flags) {
        if (!absl::StartsWith(flag.name, typed)) continue;
        completion.candidates.push_back(flag.name);
        completion.notes.push_back(flag.help);
      }
    } else if (const Flag* flag = FindFlag(flags, typed.substr(0, equals)); flag != nullptr) {
      for (const std::string& value : ValuesOf(*flag, 0, typed.substr(equals + 1))) {
        completion.candidates.push_back(absl::StrCat(flag->name, "=", value));
      }
    }
  } else if (command == nullptr) {
    completion.candidates = Matching(CommandNames(/*with_quit=*/true), typed);
    for (const std::string& name : completion.candidates) {
      const Command* found = FindCommand(name);
      completion.notes.push_back(found == nullptr ? "" : found->summary);
    }
  } else if (command->name == "help") {
    if (positional == 0) completion.candidates = Matching(CommandNames(false), typed);
  } else if (TakesEntities(*command) && positional < command->max_positional &&
             !typed.empty() && names_) {
    // An empty word would list the whole graph; a prefix is needed.
    return CompleteName(names_, line, scan, completion.start);
  }

  if (completion.candidates.empty()) return completion;
  if (completion.candidates.size() == 1) {
    completion.insert = completion.candidates.front() + " ";
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
