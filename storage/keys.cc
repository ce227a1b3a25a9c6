#include "storage/keys.h"

#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"

namespace entente::storage::keys {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

uint32_t FlipSign(DayNumber day) { return static_cast<uint32_t>(day) ^ 0x80000000u; }

}  // namespace

SpanClass ClassOf(const DayRange& range) {
  if (range.first == kMinDay || range.last == kMaxDay) return SpanClass::kLong;
  const int64_t length = int64_t{range.last} - range.first + 1;
  return length <= kShortSpanDays ? SpanClass::kShort : SpanClass::kLong;
}

void AppendDay(std::string* out, DayNumber day) {
  const uint32_t v = FlipSign(day);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

DayNumber DecodeDay(absl::string_view bytes) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return static_cast<DayNumber>(v ^ 0x80000000u);
}

void AppendUint64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

uint64_t DecodeUint64(absl::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

std::string FactIdToText(absl::string_view binary) {
  std::string text;
  text.reserve(binary.size() * 2);
  for (char c : binary) {
    const auto b = static_cast<uint8_t>(c);
    text.push_back(kHexDigits[b >> 4]);
    text.push_back(kHexDigits[b & 0xf]);
  }
  return text;
}

std::optional<std::string> FactIdFromText(absl::string_view text) {
  if (text.size() != kFactIdBytes * 2) return std::nullopt;
  std::string binary(kFactIdBytes, '\0');
  for (size_t i = 0; i < kFactIdBytes; ++i) {
    const int hi = HexValue(text[2 * i]);
    const int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    binary[i] = static_cast<char>((hi << 4) | lo);
  }
  return binary;
}

std::string ActorPrefix(absl::string_view entity_id) {
  return absl::StrCat(entity_id, absl::string_view("\0", 1));
}

std::string DyadPrefix(absl::string_view a, absl::string_view b) {
  const absl::string_view nul("\0", 1);
  return absl::StrCat(a, nul, b, nul);
}

std::string TypePrefix(v1::FactType type) {
  const auto v = static_cast<uint16_t>(type);
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

std::string TimeSeekKey(absl::string_view prefix, SpanClass span_class, DayNumber start) {
  std::string key(prefix);
  key.push_back(static_cast<char>(span_class));
  AppendDay(&key, start);
  return key;
}

std::string TimeKey(absl::string_view prefix, SpanClass span_class, DayNumber start,
                    absl::string_view fact_id) {
  std::string key = TimeSeekKey(prefix, span_class, start);
  key.append(fact_id.data(), fact_id.size());
  return key;
}

std::optional<TimeKeyParts> ParseTimeKey(absl::string_view key, size_t prefix_size) {
  if (key.size() != prefix_size + 1 + 4 + kFactIdBytes) return std::nullopt;
  const absl::string_view rest = key.substr(prefix_size);
  const auto span_class = static_cast<uint8_t>(rest[0]);
  if (span_class > 1) return std::nullopt;
  return TimeKeyParts{static_cast<SpanClass>(span_class), DecodeDay(rest.substr(1, 4)),
                      rest.substr(5)};
}

std::string EncodeIndexValue(const IndexValue& value) {
  std::string out;
  AppendDay(&out, value.last_day);
  const auto type = static_cast<uint16_t>(value.type);
  out.push_back(static_cast<char>(type >> 8));
  out.push_back(static_cast<char>(type & 0xff));
  return out;
}

std::optional<IndexValue> DecodeIndexValue(absl::string_view bytes) {
  if (bytes.size() != 6) return std::nullopt;
  const int type = (static_cast<uint8_t>(bytes[4]) << 8) | static_cast<uint8_t>(bytes[5]);
  return IndexValue{DecodeDay(bytes.substr(0, 4)), static_cast<v1::FactType>(type)};
}

std::string AliasKey(absl::string_view normalized, absl::string_view entity_id) {
  return absl::StrCat(normalized, absl::string_view("\0", 1), entity_id);
}

std::string CounterKey(absl::string_view name) { return absl::StrCat("counter/", name); }

}  // namespace entente::storage::keys
