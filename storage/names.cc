#include "storage/names.h"

#include "absl/strings/string_view.h"
#include "absl/strings/ascii.h"

namespace entente::storage {

std::string NormalizeName(absl::string_view text) {
  static constexpr absl::string_view kRightQuote = "\xE2\x80\x99";
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'') continue;
    if (text.substr(i, kRightQuote.size()) == kRightQuote) {
      i += kRightQuote.size() - 1;
      continue;
    }
    const bool is_ascii = static_cast<unsigned char>(c) < 0x80;
    if (is_ascii && !absl::ascii_isalnum(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(is_ascii ? absl::ascii_tolower(c) : c);
  }
  return out;
}

}  // namespace entente::storage
