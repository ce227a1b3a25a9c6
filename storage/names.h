// Normalization of names and aliases for resolution.
#ifndef ENTENTE_STORAGE_NAMES_H_
#define ENTENTE_STORAGE_NAMES_H_

#include <string>
#include "absl/strings/string_view.h"

namespace entente::storage {

// Lowercases ASCII letters, drops apostrophes (' and U+2019), turns every
// other run of ASCII punctuation or whitespace into one space, and trims.
// Other non-ASCII bytes are kept as they are. "Islamic Republic of  Iran"
// and "islamic-republic of iran" both become "islamic republic of iran";
// "People's Republic" becomes "peoples republic".
std::string NormalizeName(absl::string_view text);

}  // namespace entente::storage

#endif  // ENTENTE_STORAGE_NAMES_H_
